"""The ResNet family: sngan, sngan-projection, sagan, biggan (nets/resnet.py, nets/attention.py).

Channel plans, with ``width`` = ch (64 in the papers' configurations):
- up to 32 px (base·2^k, k ≤ 3): G 4ch at every block (256 at ch = 64: SNGAN's and BigGAN's CIFAR G);
  D: optimized block, k − 2 down-blocks, two plain blocks, 2ch each for SNGAN/SAGAN (128: Miyato et al.
  2018, App. B, Table 4) and 4ch for BigGAN (256: BigGAN-PyTorch's ``D_arch[32]``);
- 64 px and up (k ≥ 4): G 2^k·ch … ch (16ch → ch at 64 px), D ch … 2^k·ch, every D block halving
  (Miyato et al. 2018's 64-px ResNet; BigGAN's ``arch[64]`` up to its first block).
Self-attention sits after the block whose maps have ``attention`` px (default: half the image size, 16 at
32 px, 32 at 64 px; 0: none), in G and in D.
"""
from __future__ import annotations

from ..nets.conditional import ProjectionDiscriminator
from ..nets.dcgan import resolution_plan
from ..nets.resnet import ResNetDiscriminator, ResNetGenerator, RotationResNetDiscriminator
from ..registry import register_model
from .base import GAN
from .builders import ConditionalGAN, image_shape, require_classes, requests_regularizer

CIFAR_SHAPE = (3, 32, 32)
SNGAN_HPARAMS = dict(lr_g=2e-4, lr_d=2e-4, betas=(0.0, 0.9), n_critic=5, lr_decay="linear")


class BigGAN(ConditionalGAN):
    """Brock et al. 2019: truncation by resampling the latent entries beyond ±ψ (Sec. 3.1)."""
    truncation = "resample"


def generator_plan(steps: int, width: int) -> list[int]:
    return [4 * width] * (steps + 1) if steps <= 3 else [width * 2 ** (steps - i) for i in range(steps + 1)]


def discriminator_plan(steps: int, width: int, multiplier: int) -> tuple[list[int], list[bool]]:
    if steps <= 3:
        return [multiplier * width] * (steps + 1), [True] * (steps - 1) + [False, False]
    return [width * 2 ** i for i in range(steps + 1)], [True] * (steps + 1)


def resnet_pair(sample_shape, model: str, width: int, latent_dim: int, *, d_multiplier: int = 2,
                attention: int | None = None, spectral_norm_g: bool = False, conditioning: str = "none",
                num_classes: int = 0, shared_dim: int = 128, init: str = "xavier", rotation_head: bool = False):
    """(G, D) for ``sample_shape``; D is a projection discriminator when ``conditioning`` is not 'none', and
    has SS-GAN's rotation head when ``rotation_head`` (unconditional D only)."""
    channels, size = image_shape(sample_shape, model)
    base, steps = resolution_plan(size)
    attention_at = size // 2 if attention is None else attention
    generator = ResNetGenerator(latent_dim, generator_plan(steps, width), base, channels, conditioning=conditioning,
                                num_classes=num_classes, shared_dim=shared_dim, spectral_norm=spectral_norm_g,
                                attention_at=attention_at, init=init)
    d_channels, downsample = discriminator_plan(steps, width, d_multiplier)
    net = RotationResNetDiscriminator if rotation_head and conditioning == "none" else ResNetDiscriminator
    discriminator = net(size, d_channels, downsample, channels, spectral_norm=True, attention_at=attention_at, init=init)
    if conditioning != "none":
        discriminator = ProjectionDiscriminator(discriminator.body, discriminator.head, discriminator.feature_dim,
                                                num_classes)
    return generator, discriminator


@register_model("sngan", data="fashion-mnist", tiny=dict(width=4), paper_shape=CIFAR_SHAPE,
                help="SNGAN ResNet (Miyato et al. 2018): SN D, hinge, Adam 2e-4 β=(0,0.9), n_critic 5, linear lr "
                     "decay, z 128, ch 64 (G 256, D 128 at 32 px)")
def sngan(sample_shape=CIFAR_SHAPE, num_classes=0, latent_dim=128, width=64, **recipe):
    """Miyato et al. 2018 (arXiv:1802.05957), App. B: the CIFAR-10 ResNet (and 64 px); hinge loss (their
    Sec. 4), Adam lr 2e-4, β = (0, 0.9), five D steps per G step, lr decayed linearly to 0."""
    generator, discriminator = resnet_pair(sample_shape, "sngan", width, latent_dim, attention=0,
                                           rotation_head=requests_regularizer(recipe, "rotation"))
    return GAN(generator, discriminator, latent_dim=latent_dim, sample_shape=sample_shape,
               defaults=SNGAN_HPARAMS, default_objective="hinge", **recipe)


@register_model("sngan-projection", data="mnist", tiny=dict(width=4), paper_shape=CIFAR_SHAPE,
                help="SNGAN with conditional BN in G and a projection D (Miyato & Koyama 2018), hinge, "
                     "Adam 2e-4 β=(0,0.9), n_critic 5, linear decay")
def sngan_projection(sample_shape=CIFAR_SHAPE, num_classes=10, latent_dim=128, width=64, **recipe):
    """Miyato & Koyama 2018 (arXiv:1802.05637): SNGAN's ResNet with per-class BN gains/biases in G and
    D(x, y) = ψ(φ(x)) + ⟨embed(y), φ(x)⟩ (Eq. 3); SNGAN's optimiser settings."""
    classes = require_classes(num_classes, "sngan-projection")
    generator, discriminator = resnet_pair(sample_shape, "sngan-projection", width, latent_dim, attention=0,
                                           conditioning="class", num_classes=classes)
    return ConditionalGAN(generator, discriminator, latent_dim=latent_dim, sample_shape=sample_shape,
                          num_classes=classes, defaults=SNGAN_HPARAMS, default_objective="hinge", **recipe)


@register_model("sagan", data="fashion-mnist", tiny=dict(width=4), paper_shape=CIFAR_SHAPE,
                help="SAGAN (Zhang et al. 2019): SN in G and D, self-attention at half the image size, hinge, "
                     "TTUR G 1e-4 / D 4e-4, β=(0,0.9), z 128, ch 64")
def sagan(sample_shape=CIFAR_SHAPE, num_classes=0, latent_dim=128, width=64, attention=None, **recipe):
    """Zhang et al. 2019 (arXiv:1805.08318): spectral norm in G and D (Sec. 4), self-attention blocks
    (Sec. 3) in both nets, hinge loss, TTUR with lr_G 1e-4 and lr_D 4e-4, Adam β = (0, 0.9) (Sec. 5), on
    SNGAN's ResNet; ``attention`` (px) defaults to half the image size (16 at 32 px, 32 at 64 px)."""
    generator, discriminator = resnet_pair(sample_shape, "sagan", width, latent_dim, attention=attention,
                                           spectral_norm_g=True, rotation_head=requests_regularizer(recipe, "rotation"))
    return GAN(generator, discriminator, latent_dim=latent_dim, sample_shape=sample_shape,
               defaults=dict(lr_g=1e-4, lr_d=4e-4, betas=(0.0, 0.9), n_critic=1), default_objective="hinge", **recipe)


@register_model("biggan", data="mnist", tiny=dict(width=4, latent_dim=20, shared_dim=8), paper_shape=CIFAR_SHAPE,
                help="BigGAN (Brock et al. 2019), CIFAR config: shared class embedding 128 + hierarchical z 128 "
                     "in every CBN, projection D, SN in G and D, attention, ortho 1e-4 (embedding excluded), "
                     "hinge, Adam 2e-4 β=(0,0.999), n_critic 4, EMA from step 1000, truncation by resampling")
def biggan(sample_shape=CIFAR_SHAPE, num_classes=10, latent_dim=128, width=64, shared_dim=128, attention=None,
           **recipe):
    """Brock et al. 2019 (arXiv:1809.11096): shared class embedding + one z chunk per block into each
    block's conditional BN (Sec. 4, App. B), projection D, SN in both nets, orthogonal init and
    orthogonal regularization β = 1e-4 off the diagonal (Eq. 3) without the shared embedding, hinge loss.
    Optimiser, D steps and EMA start follow BigGAN-PyTorch's CIFAR script (lr 2e-4 for both, β = (0,
    0.999), 4 D steps, EMA from iteration 1000)."""
    classes = require_classes(num_classes, "biggan")
    generator, discriminator = resnet_pair(sample_shape, "biggan", width, latent_dim, d_multiplier=4,
                                           attention=attention, spectral_norm_g=True, conditioning="shared",
                                           num_classes=classes, shared_dim=shared_dim, init="ortho")
    if not recipe.get("regularizers"):
        recipe["regularizers"] = ("ortho",)
    return BigGAN(generator, discriminator, latent_dim=latent_dim, sample_shape=sample_shape, num_classes=classes,
                  defaults=dict(lr_g=2e-4, lr_d=2e-4, betas=(0.0, 0.999), n_critic=4, ema_start=1000),
                  default_objective="hinge", **recipe)
