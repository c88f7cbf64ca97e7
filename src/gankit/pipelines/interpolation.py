"""Latent interpolation, and the pairs of nearby images that perceptual path length measures.

Both walk between two latents drawn from the model's Gaussian latent: for style-based models (``"w-space"``)
linearly between their ws (lerp in W), otherwise spherically between the zs (:func:`latents.slerp`), as
Karras et al. 2019 (Sec. 4.2) interpolate in W and Z. InfoGAN's code traversals are ``traverse`` (traversal.py).
"""
from __future__ import annotations

from typing import Optional

import torch

from ..errors import GankitError
from ..recipes.base import GAN
from .latents import slerp
from .sampling import SamplingPipeline, check_truncation, model_name
from .wspace import has_w_space, map_to_ws, render_ws

SPACES = ("w", "z")
SAMPLINGS = ("end", "full")


def require_gaussian_latent(gan: GAN, what: str) -> None:
    if "gaussian-latent" not in gan.capabilities:
        raise GankitError(f"{what} needs a model with a Gaussian latent; '{model_name(gan)}' has other latent "
                          "codes (InfoGAN's: use --traverse)")


def interpolate(gan: GAN, rows: int = 6, steps: int = 8, *, truncation: float = 1.0, class_id: Optional[int] = None,
                rng: Optional[torch.Generator] = None, ema: bool = True,
                batch_size: int = 64) -> tuple[torch.Tensor, int]:
    """(images (rows·steps, C, H, W) row-major, steps): each row walks in ``steps`` equal steps from one latent
    to another (both ends included), in W by lerp for style-based models, else by slerp in Z; truncation ψ
    acts on the ends (in W for style-based models). Conditional models: one class per row (``class_id``: all)."""
    require_gaussian_latent(gan, "interpolation (--interpolate)")
    check_truncation(gan, truncation)
    if rows < 1 or steps < 2:
        raise GankitError(f"an interpolation needs at least 1 row of at least 2 steps, got {rows} rows of {steps}")
    pipeline = SamplingPipeline(gan, ema=ema)
    ends = pipeline.latents(2 * rows, rng)
    row_labels = None
    if gan.conditional:
        row_labels = torch.full((rows,), int(class_id)) if class_id is not None else torch.arange(rows) % gan.num_classes
    fractions = torch.linspace(0, 1, steps)
    if not has_w_space(gan):
        ends = pipeline.truncated(ends, truncation, rng)
        path = slerp(ends[:rows, None], ends[rows:, None], fractions.view(1, -1, 1)).flatten(0, 1)
        labels = None if row_labels is None else row_labels.repeat_interleave(steps)
        return pipeline(len(path), labels, latent=path, batch_size=batch_size), steps
    end_labels = None if row_labels is None else torch.cat([row_labels, row_labels])
    with pipeline.network() as net:
        ws = pipeline.batched(lambda z, y: map_to_ws(gan, net, z, y, truncation), 2 * rows, batch_size, ends, end_labels)
        path = torch.lerp(ws[:rows, None], ws[rows:, None], fractions.view(1, -1, 1, 1)).flatten(0, 1)
        return pipeline.batched(lambda w: render_ws(net, w), len(path), batch_size, path), steps
