"""Recipes: a GAN = nets + objective + regularizers + optimizers + schedule. Importing registers them."""
from . import classic  # noqa: F401  (registers gan, dcgan, mlp-gan)
from . import conditional, infogan, lapgan, multihead, progressive, resnet, sgan, spade, style  # noqa: F401  (cgan,
#   cdcgan, cgan-projection, acgan, infogan, lapgan, sngan, sngan-projection, sagan, biggan, sgan, pggan, spade,
#   stylegan, stylegan2)
from .base import GAN, Phase

__all__ = ["GAN", "Phase"]
