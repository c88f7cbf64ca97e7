"""Pyramid sampling: every level's output of a coarse-to-fine model (LAPGAN, Denton et al. 2015, Fig. 1),
for models that declare the "pyramid" capability (``GAN.level_images(net, z)`` → one image batch per level,
coarse → fine)."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from ..errors import GankitError
from ..recipes.base import GAN, model_name
from .sampling import SamplingPipeline


@torch.no_grad()
def sample_levels(gan: GAN, num: int, *, rng: Optional[torch.Generator] = None, ema: bool = True,
                  batch_size: int = 100) -> list[torch.Tensor]:
    """Every level's images for ``num`` samples, coarse → fine, on the CPU in [−1, 1]. The latents are drawn
    as :class:`SamplingPipeline` draws them, so the last level equals `gankit sample`'s images for a seed."""
    if "pyramid" not in gan.capabilities:
        raise GankitError(f"--levels needs a model that generates through a pyramid (lapgan); "
                          f"'{model_name(gan)}' has no levels")
    if not (isinstance(num, int) and num >= 1) or not (isinstance(batch_size, int) and batch_size >= 1):
        raise GankitError(f"the number of samples and the batch size must be integers ≥ 1, got {num!r} and {batch_size!r}")
    latent = SamplingPipeline(gan, ema=ema).latents(num, rng)
    net = gan.generator_ema if ema else gan.generator
    was_training = net.training
    net.eval()
    try:
        batches = [gan.level_images(net, latent[start:start + batch_size].to(gan.device()))
                   for start in range(0, num, batch_size)]
    finally:
        net.train(was_training)
    return [torch.cat([batch[level].cpu() for batch in batches]) for level in range(len(batches[0]))]


def level_grid(levels: list[torch.Tensor]) -> tuple[torch.Tensor, int]:
    """(images (num·levels, C, H, W) row-major, columns): one row per sample, one column per level, every level
    upsampled to the finest size by nearest neighbour (its pixels shown as blocks)."""
    size = levels[-1].shape[-1]
    full = [F.interpolate(images, size=(size, size), mode="nearest") for images in levels]
    return torch.stack(full, dim=1).flatten(0, 1), len(levels)
