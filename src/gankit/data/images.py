"""Pixel plumbing shared by the image datasets: resizing, cropping, uint8 -> float32 in [-1, 1].

Resizing uses PIL's bilinear filter (``Image.BILINEAR``, which PIL antialiases when shrinking),
the default of torchvision's ``Resize`` that the reference DCGAN/WGAN code trains with.
"""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from ..errors import GankitError

RESAMPLE = Image.BILINEAR


def resize_and_center_crop(image: Image.Image, size: int) -> Image.Image:
    """Scale so the shorter side is ``size``, then cut the central ``size`` x ``size`` square."""
    width, height = image.size
    scale = size / min(width, height)
    new_size = (max(size, round(width * scale)), max(size, round(height * scale)))
    if new_size != image.size:
        image = image.resize(new_size, RESAMPLE)
    left = (new_size[0] - size) // 2
    top = (new_size[1] - size) // 2
    return image.crop((left, top, left + size, top + size))


def resize_gray_stack(images: np.ndarray, size: int) -> np.ndarray:
    """Resize every (H, W) uint8 image of an (N, H, W) stack to (size, size)."""
    out = np.empty((images.shape[0], size, size), dtype=np.uint8)
    for index, image in enumerate(images):
        out[index] = np.asarray(Image.fromarray(image).resize((size, size), RESAMPLE))
    return out


def images_to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (B, C, H, W) → float32 in [−1, 1] (0 → −1, 255 → 1), on the tensor's device."""
    return images.float().div_(127.5).sub_(1.0)


def check_channels(channels, dataset: str, allowed=(1, 3)) -> None:
    if channels is not None and channels not in allowed:
        raise GankitError(f"dataset '{dataset}' can give channels={' or '.join(map(str, allowed))}, "
                          f"not {channels}")


def check_image_size(image_size, dataset: str) -> None:
    if image_size is not None and (not isinstance(image_size, int) or image_size < 4):
        raise GankitError(f"image_size for dataset '{dataset}' must be an integer >= 4, "
                          f"got {image_size!r}")
