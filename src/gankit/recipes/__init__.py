"""Recipes: a GAN = nets + objective + regularizers + optimizers + schedule. Importing registers them."""
from . import classic  # noqa: F401  (registers gan, dcgan, mlp-gan)
from . import conditional, infogan, lapgan, multihead, progressive, resnet, sgan  # noqa: F401  (cgan, cdcgan, cgan-projection,
#                                    acgan, infogan, lapgan, sngan, sngan-projection, sagan, biggan, sgan, pggan)
from .base import GAN, Phase

__all__ = ["GAN", "Phase"]
