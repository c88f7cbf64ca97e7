"""Label-input conditional GANs: cgan (MLP), cdcgan (conv) and cgan-projection (CBN G + projection D).

In these models the discriminator reads the label with the sample, D(x, y), so gradient penalties and
discriminator regularizers (which call D(x) alone) do not apply; the recipe refuses them in one line.
ACGAN, whose D reads x alone, lives in :mod:`gankit.recipes.multihead`.
"""
from __future__ import annotations

import math

from ..nets import DCGANDiscriminator, DCGANGenerator
from ..nets.conditional import (ConditionalDCGANGenerator, LabelConcatGenerator, LabelInputDiscriminator,
                                ProjectionDiscriminator)
from ..nets.image_mlp import MLPImageDiscriminator, MLPImageGenerator
from ..registry import register_model
from .builders import MNIST_SHAPE, ConditionalGAN, image_shape, require_classes


def label_concat_gan(generator_net, discriminator_net, classes: int, latent_dim: int, sample_shape, as_maps: bool,
                     recipe: dict) -> ConditionalGAN:
    """Mirza & Osindero 2014's conditioning of any G/D pair built for the widened inputs; DCGAN's Adam."""
    return ConditionalGAN(LabelConcatGenerator(generator_net, classes),
                          LabelInputDiscriminator(discriminator_net, classes, as_maps=as_maps),
                          latent_dim=latent_dim, sample_shape=sample_shape, num_classes=classes,
                          defaults=dict(lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999)), **recipe)


@register_model("cgan", data="mnist", tiny=dict(hidden_g=(16, 16), hidden_d=(16,)),
                help="conditional GAN (Mirza & Osindero 2014): MLPs, one-hot label concatenated in G and D")
def cgan(sample_shape=MNIST_SHAPE, num_classes=10, latent_dim=100, hidden_g=(256, 512, 1024),
         hidden_d=(512, 256), dropout=0.3, **recipe):
    """Mirza & Osindero 2014 (arXiv:1411.1784): G([z, y]) and D([x, y]) are MLPs; see nets/image_mlp.py."""
    classes = require_classes(num_classes, "cgan")
    return label_concat_gan(MLPImageGenerator(latent_dim + classes, sample_shape, tuple(hidden_g)),
                            MLPImageDiscriminator(math.prod(sample_shape) + classes, tuple(hidden_d), dropout),
                            classes, latent_dim, sample_shape, as_maps=False, recipe=recipe)


@register_model("cdcgan", data="mnist", tiny=dict(width=8),
                help="conv conditional GAN: DCGAN nets, one-hot label joined to z and as K input maps of D")
def cdcgan(sample_shape=MNIST_SHAPE, num_classes=10, latent_dim=100, width=64, spectral_norm=False,
           batch_norm=True, **recipe):
    """Mirza & Osindero 2014's conditioning on Radford et al. 2015's DCGAN nets."""
    classes = require_classes(num_classes, "cdcgan")
    channels, size = image_shape(sample_shape, "cdcgan")
    return label_concat_gan(DCGANGenerator(size, channels, latent_dim + classes, width),
                            DCGANDiscriminator(size, channels + classes, width, spectral_norm=spectral_norm,
                                               batch_norm=batch_norm),
                            classes, latent_dim, sample_shape, as_maps=True, recipe=recipe)


@register_model("cgan-projection", data="mnist", tiny=dict(width=8),
                help="projection discriminator (Miyato & Koyama 2018) + conditional-BN DCGAN generator, hinge loss")
def cgan_projection(sample_shape=MNIST_SHAPE, num_classes=10, latent_dim=100, width=64, spectral_norm=True,
                    **recipe):
    """G: DCGAN layout with conditional BN (de Vries et al. 2017); D: DCGAN conv body without BN, spectral
    norm (Miyato et al. 2018), projection output (Miyato & Koyama 2018, Eq. 3). Hinge loss and Adam
    (2e-4, β = (0, 0.9)) by default, as in Miyato & Koyama's experiments."""
    classes = require_classes(num_classes, "cgan-projection")
    channels, size = image_shape(sample_shape, "cgan-projection")
    backbone = DCGANDiscriminator(size, channels, width, spectral_norm=spectral_norm, batch_norm=False)
    discriminator = ProjectionDiscriminator(backbone.body, backbone.head, backbone.feature_dim, classes,
                                            spectral_norm=spectral_norm)
    recipe.setdefault("objective", "hinge")
    return ConditionalGAN(ConditionalDCGANGenerator(size, channels, latent_dim, width, classes), discriminator,
                          latent_dim=latent_dim, sample_shape=sample_shape, num_classes=classes,
                          defaults=dict(lr_g=2e-4, lr_d=2e-4, betas=(0.0, 0.9)), **recipe)
