"""The unconditional classics: the seed Keras MNIST GAN, DCGAN and the 2D toy MLP GAN.

Each builder takes the data's ``sample_shape`` (and ``num_classes``, unused here) plus its own options,
and returns a :class:`GAN`. Any hyperparameter in ``HPARAM_KEYS`` and ``objective``/``regularizers``
pass through to the recipe.
"""
from __future__ import annotations

from ..errors import GankitError
from ..nets import (DCGANDiscriminator, DCGANGenerator, KerasMnistDiscriminator, KerasMnistGenerator,
                    MLPDiscriminator, MLPGenerator)
from ..registry import register_model
from .base import GAN

MNIST_SHAPE = (1, 28, 28)


def image_shape(sample_shape, model: str) -> tuple[int, int]:
    if len(sample_shape) != 3 or sample_shape[1] != sample_shape[2]:
        raise GankitError(f"model '{model}' needs square images (C, H, W), got samples of shape "
                          f"{tuple(sample_shape)}; pick an image dataset or use mlp-gan for 2D data")
    return sample_shape[0], sample_shape[1]


@register_model("gan", data="mnist", tiny={}, help="seed Keras MNIST conv GAN (Goodfellow 2014 loss), 28×28")
def keras_mnist_gan(sample_shape=MNIST_SHAPE, num_classes=0, latent_dim=100, dropout=0.4, **recipe):
    channels, size = image_shape(sample_shape, "gan")
    if size != 28:
        raise GankitError(f"model 'gan' is the 28×28 Keras MNIST net, but the data is {size}×{size}; "
                          "use --image-size 28 or the dcgan model")
    return GAN(KerasMnistGenerator(latent_dim, channels), KerasMnistDiscriminator(channels, dropout=dropout),
               latent_dim=latent_dim, sample_shape=sample_shape,
               defaults=dict(lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999)), **recipe)


@register_model("dcgan", data="fashion-mnist", tiny=dict(width=8),
                help="DCGAN (Radford 2015): strided convs, BN, N(0,0.02) init; 28, 32 or 64 px")
def dcgan(sample_shape=MNIST_SHAPE, num_classes=0, latent_dim=100, width=64, spectral_norm=False,
          batch_norm=True, **recipe):
    channels, size = image_shape(sample_shape, "dcgan")
    return GAN(DCGANGenerator(size, channels, latent_dim, width),
               DCGANDiscriminator(size, channels, width, spectral_norm=spectral_norm, batch_norm=batch_norm),
               latent_dim=latent_dim, sample_shape=sample_shape,
               defaults=dict(lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999)), **recipe)


@register_model("mlp-gan", data="ring8", tiny=dict(hidden=16),
                help="MLP pair for 2D toy mixtures (ring8, grid25)")
def mlp_gan(sample_shape=(2,), num_classes=0, latent_dim=64, hidden=128, depth=2, spectral_norm=False,
            **recipe):
    if len(sample_shape) != 1:
        raise GankitError(f"model 'mlp-gan' is for 2D points, got samples of shape {tuple(sample_shape)}; "
                          "use --data ring8 or grid25, or an image model such as dcgan")
    return GAN(MLPGenerator(latent_dim, hidden, depth, sample_shape[0]),
               MLPDiscriminator(sample_shape[0], hidden, depth, spectral_norm=spectral_norm),
               latent_dim=latent_dim, sample_shape=sample_shape,
               defaults=dict(lr_g=1e-3, lr_d=1e-3, betas=(0.5, 0.999)), **recipe)
