"""Image grids and 2D scatter plots as PNG, with PIL + numpy only (no torchvision)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from .runtime import replace_atomically


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) floats in [-1, 1] → (N, H, W, C) uint8, rounding as (x + 1) · 127.5."""
    array = ((images.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return array.permute(0, 2, 3, 1).cpu().numpy()


def image_grid(images: torch.Tensor, columns: int | None = None, padding: int = 2) -> Image.Image:
    pixels = to_uint8(images)
    n, h, w, c = pixels.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    canvas = np.zeros((rows * (h + padding) + padding, columns * (w + padding) + padding, c), np.uint8)
    for i in range(n):
        r, col = divmod(i, columns)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        canvas[top:top + h, left:left + w] = pixels[i]
    return Image.fromarray(canvas[..., 0] if c == 1 else canvas)


def scatter_plot(fake_points: torch.Tensor, real_points: torch.Tensor | None = None, size: int = 512,
                 extent: float | None = None) -> Image.Image:
    """Real points grey, generated points red, on a square canvas centred on the origin."""
    stacked = fake_points if real_points is None else torch.cat([fake_points, real_points])
    extent = extent or float(stacked.abs().max().clamp(min=1.0)) * 1.1
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)

    def pixel(p):
        return ((p[0] / extent + 1) * size / 2, (1 - p[1] / extent) * size / 2)
    for points, colour in ((real_points, (170, 170, 170)), (fake_points, (220, 30, 30))):
        if points is None:
            continue
        for p in points.detach().cpu().tolist():
            x, y = pixel(p)
            draw.ellipse((x - 1.5, y - 1.5, x + 1.5, y + 1.5), fill=colour)
    return image


def save_png(image: Image.Image, path: str | Path) -> Path:
    """Write atomically (temp file + rename), creating the parent folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(path, lambda temporary: image.save(temporary, format="PNG"))
    return path


def render_samples(samples: torch.Tensor, real_points: torch.Tensor | None = None, columns=None) -> Image.Image:
    """A grid for images, a scatter plot for 2D points."""
    if samples.dim() == 4:
        return image_grid(samples, columns)
    return scatter_plot(samples, real_points)
