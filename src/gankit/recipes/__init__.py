"""Recipes: a GAN = nets + objective + regularizers + optimizers + schedule. Importing registers them."""
from . import classic  # noqa: F401  (registers gan, dcgan, mlp-gan)
from .base import GAN, Phase

__all__ = ["GAN", "Phase"]
