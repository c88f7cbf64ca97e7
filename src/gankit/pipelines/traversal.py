"""Latent traversals: one row per noise vector, one latent code varied along the columns (InfoGAN)."""
from __future__ import annotations

import torch

from ..errors import GankitError
from ..recipes.base import GAN, model_name
from .sampling import SamplingPipeline


def traverse(gan: GAN, code: str, rows: int = 10, steps: int = 10, span: float = 2.0, *, rng=None,
             ema: bool = True) -> tuple[torch.Tensor, int]:
    """(images (rows·columns, C, H, W) row-major, columns) for a model with the 'latent-codes' capability;
    the recipe says which latents make the traversal (``GAN.traversal_latents``)."""
    if "latent-codes" not in gan.capabilities:
        raise GankitError(f"a traversal needs a model with latent codes (infogan); "
                          f"'{model_name(gan)}' has none")
    latent, columns = gan.traversal_latents(code, rows, steps, span, rng=rng)
    return SamplingPipeline(gan, ema=ema)(latent.shape[0], latent=latent), columns
