"""The unconditional classics: the seed Keras MNIST GAN, DCGAN and the 2D toy MLP GAN.

Each builder takes the data's ``sample_shape`` (and ``num_classes``, unused here) plus its own options,
and returns a :class:`GAN` — an :class:`EnergyGAN` with an autoencoder discriminator when the objective
scores energies (ebgan, began; mlp-gan and dcgan have one, the seed ``gan`` does not). Any hyperparameter
in ``HPARAM_KEYS`` and ``objective``/``regularizers`` pass through to the recipe.
"""
from __future__ import annotations

from ..errors import GankitError
from ..nets import (ConvAutoencoderDiscriminator, DCGANDiscriminator, DCGANGenerator, KerasMnistDiscriminator,
                    KerasMnistGenerator, MLPAutoencoderDiscriminator, MLPDiscriminator, MLPGenerator,
                    RotationDCGANDiscriminator)
from ..registry import register_model
from .energy import gan_for_objective

MNIST_SHAPE = (1, 28, 28)


def image_shape(sample_shape, model: str) -> tuple[int, int]:
    if len(sample_shape) != 3 or sample_shape[1] != sample_shape[2]:
        raise GankitError(f"model '{model}' needs square images (C, H, W), got samples of shape "
                          f"{tuple(sample_shape)}; pick an image dataset or use mlp-gan for 2D data")
    return sample_shape[0], sample_shape[1]


def requests_regularizer(recipe: dict, name: str) -> bool:
    """Whether ``recipe['regularizers']`` (names, "name:key=value" specs or Regularizers) includes ``name``."""
    specs = recipe.get("regularizers") or ()
    return any((spec.partition(":")[0] if isinstance(spec, str) else spec.name) == name for spec in specs)


@register_model("gan", data="mnist", tiny={}, help="seed Keras MNIST conv GAN (Goodfellow 2014 loss), 28×28")
def keras_mnist_gan(sample_shape=MNIST_SHAPE, num_classes=0, latent_dim=100, dropout=0.4, **recipe):
    channels, size = image_shape(sample_shape, "gan")
    if size != 28:
        raise GankitError(f"model 'gan' is the 28×28 Keras MNIST net, but the data is {size}×{size}; "
                          "use --image-size 28 or the dcgan model")
    return gan_for_objective(KerasMnistGenerator(latent_dim, channels),
                             lambda: KerasMnistDiscriminator(channels, dropout=dropout),
                             latent_dim=latent_dim, sample_shape=sample_shape,
                             defaults=dict(lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999)), **recipe)


@register_model("dcgan", data="fashion-mnist", tiny=dict(width=8),
                help="DCGAN (Radford 2015): strided convs, BN, N(0,0.02) init; 28, 32 or 64 px")
def dcgan(sample_shape=MNIST_SHAPE, num_classes=0, latent_dim=100, width=64, spectral_norm=False,
          batch_norm=True, rotation_head=None, code_dim=64, **recipe):
    """``rotation_head`` (None: when the 'rotation' regularizer is requested) adds SS-GAN's rotation
    classifier; ``code_dim`` is the autoencoder discriminator's code size (ebgan, began)."""
    channels, size = image_shape(sample_shape, "dcgan")
    if rotation_head is None:
        rotation_head = requests_regularizer(recipe, "rotation")
    discriminator = RotationDCGANDiscriminator if rotation_head else DCGANDiscriminator
    return gan_for_objective(
        DCGANGenerator(size, channels, latent_dim, width),
        lambda: discriminator(size, channels, width, spectral_norm=spectral_norm, batch_norm=batch_norm),
        lambda norm: ConvAutoencoderDiscriminator(size, channels, width, code_dim, norm, spectral_norm),
        latent_dim=latent_dim, sample_shape=sample_shape,
        defaults=dict(lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999)), **recipe)


@register_model("mlp-gan", data="ring8", tiny=dict(hidden=16),
                help="MLP pair for 2D toy mixtures (ring8, grid25)")
def mlp_gan(sample_shape=(2,), num_classes=0, latent_dim=64, hidden=128, depth=2, spectral_norm=False,
            code_dim=16, **recipe):
    """``code_dim``: the autoencoder discriminator's code size (ebgan, began)."""
    if len(sample_shape) != 1:
        raise GankitError(f"model 'mlp-gan' is for 2D points, got samples of shape {tuple(sample_shape)}; "
                          "use --data ring8 or grid25, or an image model such as dcgan")
    dim = sample_shape[0]
    return gan_for_objective(
        MLPGenerator(latent_dim, hidden, depth, dim),
        lambda: MLPDiscriminator(dim, hidden, depth, spectral_norm=spectral_norm),
        lambda norm: MLPAutoencoderDiscriminator(dim, hidden, depth, code_dim, norm, spectral_norm),
        latent_dim=latent_dim, sample_shape=sample_shape,
        defaults=dict(lr_g=1e-3, lr_d=1e-3, betas=(0.5, 0.999)), **recipe)
