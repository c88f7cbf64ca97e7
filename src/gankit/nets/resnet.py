"""Residual generators and discriminators shared by SNGAN, SAGAN and BigGAN.

- :class:`UpBlock`: norm-ReLU-upsample(×2, nearest)-conv3-norm-ReLU-conv3, plus upsample-conv1×1 on the
  shortcut (Miyato et al. 2018, arXiv:1802.05957, App. B, Fig. 8a; Gulrajani et al. 2017's ResNet).
  Its norms take ``(x, condition)``: plain BN ignores the condition, class-conditional BN reads labels
  (Miyato & Koyama 2018), BigGAN's reads a vector (Brock et al. 2019).
- :class:`DownBlock`: ReLU-conv3-ReLU-conv3-avgpool, plus conv1×1-avgpool on the shortcut (identity when
  the channels and size do not change); ``optimized=True`` is SNGAN's first D block, conv3-ReLU-conv3-avgpool
  with avgpool-conv1×1 on the shortcut (no ReLU on the image).
- :class:`ResNetGenerator`: linear z → base×base map, up-blocks, BN-ReLU-conv3-tanh; optional self-attention
  (Zhang et al. 2019) after the block at a given resolution; conditioning ``none``, ``class`` (per-class BN
  tables) or ``shared`` (BigGAN: a shared class embedding concatenated with one chunk of z per block —
  hierarchical latents — feeds every block's BN; the first chunk feeds the linear layer).
- :class:`ResNetDiscriminator`: optimized block, down/plain blocks, ReLU, global sum pool, linear; its
  ``body``/``head``/``feature_dim`` fit :class:`~gankit.nets.conditional.ProjectionDiscriminator`.
  :class:`RotationResNetDiscriminator` adds SS-GAN's rotation head (the 'rotation' regularizer).
Spectral norm (``maybe_spectral_norm``) can wrap every conv and linear of either net.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import GankitError
from .attention import SelfAttention
from .blocks import maybe_spectral_norm
from .conditional import ConditionalBatchNorm2d, VectorConditionalBatchNorm2d
from .heads import RotationHead

CONDITIONINGS = ("none", "class", "shared")


def resnet_init(module: nn.Module, kind: str = "xavier") -> None:
    """Conv/linear weights: Glorot-uniform (SNGAN's Chainer code) or orthogonal (BigGAN's ``G_init ortho``);
    biases 0. Embeddings and norms keep their own init."""
    initialise = nn.init.orthogonal_ if kind == "ortho" else nn.init.xavier_uniform_
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            parametrized = getattr(layer, "parametrizations", None)
            initialise(parametrized.weight.original if parametrized is not None else layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


def conv3(c_in: int, c_out: int, spectral_norm: bool) -> nn.Module:
    return maybe_spectral_norm(nn.Conv2d(c_in, c_out, 3, padding=1), spectral_norm)


def conv1(c_in: int, c_out: int, spectral_norm: bool) -> nn.Module:
    return maybe_spectral_norm(nn.Conv2d(c_in, c_out, 1), spectral_norm)


class PlainBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d that takes (and ignores) a condition, so the blocks call every norm the same way."""

    def forward(self, x, condition=None):
        return super().forward(x)


class UpBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, make_norm, spectral_norm: bool):
        super().__init__()
        self.norm1, self.norm2 = make_norm(c_in), make_norm(c_out)
        self.conv1, self.conv2 = conv3(c_in, c_out, spectral_norm), conv3(c_out, c_out, spectral_norm)
        self.shortcut = conv1(c_in, c_out, spectral_norm)

    def forward(self, x, condition=None):
        h = F.interpolate(F.relu(self.norm1(x, condition)), scale_factor=2)
        h = self.conv2(F.relu(self.norm2(self.conv1(h), condition)))
        return h + self.shortcut(F.interpolate(x, scale_factor=2))


class DownBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, spectral_norm: bool, downsample: bool = True,
                 optimized: bool = False):
        super().__init__()
        self.optimized, self.downsample = optimized, downsample
        self.conv1, self.conv2 = conv3(c_in, c_out, spectral_norm), conv3(c_out, c_out, spectral_norm)
        learned = optimized or downsample or c_in != c_out
        self.shortcut = conv1(c_in, c_out, spectral_norm) if learned else nn.Identity()

    def pool(self, x):
        return F.avg_pool2d(x, 2) if self.downsample else x

    def forward(self, x):
        h = self.conv1(x if self.optimized else F.relu(x))
        h = self.pool(self.conv2(F.relu(h)))
        skip = self.shortcut(self.pool(x)) if self.optimized else self.pool(self.shortcut(x))
        return h + skip


def attention_or_identity(resolution: int, attention_at: int, channels: int, spectral_norm: bool) -> nn.Module:
    return SelfAttention(channels, spectral_norm) if resolution == attention_at else nn.Identity()


def check_attention(resolutions: list[int], attention_at: int, net: str) -> None:
    if attention_at and attention_at not in resolutions:
        raise GankitError(f"self-attention at {attention_at} px: the {net}'s feature maps are "
                          f"{', '.join(map(str, resolutions))} px; pick one of those (or 0: none)")


class ResNetGenerator(nn.Module):
    """``channel_plan[0]`` channels at ``base``×``base``, then one up-block per further entry."""

    def __init__(self, latent_dim: int, channel_plan: list[int], base: int = 4, channels: int = 3, *,
                 conditioning: str = "none", num_classes: int = 0, shared_dim: int = 128,
                 spectral_norm: bool = False, attention_at: int = 0, init: str = "xavier"):
        super().__init__()
        if conditioning not in CONDITIONINGS:
            raise GankitError(f"conditioning must be one of {', '.join(CONDITIONINGS)}, got {conditioning!r}")
        self.latent_dim, self.conditioning = latent_dim, conditioning
        num_blocks = len(channel_plan) - 1
        # BigGAN's hierarchical latents: one equal chunk per block, the rest (≥ a chunk) for the linear layer
        chunk = latent_dim // (num_blocks + 1)
        self.chunks = ([latent_dim - num_blocks * chunk] + [chunk] * num_blocks if conditioning == "shared"
                       else [latent_dim])
        if min(self.chunks) < 1:
            raise GankitError(f"latent_dim {latent_dim} is too small to split into {num_blocks + 1} chunks")
        if conditioning == "shared":
            self.shared = nn.Embedding(num_classes, shared_dim)
        resolutions = [base * 2 ** (i + 1) for i in range(num_blocks)]
        check_attention(resolutions, attention_at, "generator")
        self.base = base
        self.linear = maybe_spectral_norm(nn.Linear(self.chunks[0], channel_plan[0] * base * base), spectral_norm)
        self.blocks = nn.ModuleList(
            UpBlock(c_in, c_out, self.norm_factory(num_classes, shared_dim + self.chunks[-1], spectral_norm),
                    spectral_norm) for c_in, c_out in zip(channel_plan, channel_plan[1:]))
        self.attention = nn.ModuleList(attention_or_identity(r, attention_at, c, spectral_norm)
                                       for r, c in zip(resolutions, channel_plan[1:]))
        self.output_norm = PlainBatchNorm2d(channel_plan[-1])
        self.to_image = conv3(channel_plan[-1], channels, spectral_norm)
        resnet_init(self, init)

    def norm_factory(self, num_classes: int, condition_dim: int, spectral_norm: bool):
        if self.conditioning == "class":
            return lambda c: ConditionalBatchNorm2d(c, num_classes)
        if self.conditioning == "shared":
            return lambda c: VectorConditionalBatchNorm2d(c, condition_dim, spectral_norm)
        return PlainBatchNorm2d

    def unregularized_parameters(self) -> list[torch.Tensor]:
        """What BigGAN's orthogonal regularization leaves out: the shared class embedding (Brock et al. 2019,
        Sec. 3.1; the reference code's ``blacklist``)."""
        return list(self.shared.parameters()) if self.conditioning == "shared" else []

    def conditions(self, z, labels):
        """(input of the linear layer, one condition per block)."""
        if self.conditioning == "shared":
            parts = z.split(self.chunks, dim=1)
            embedded = self.shared(labels)
            return parts[0], [torch.cat([embedded, part], dim=1) for part in parts[1:]]
        return z, [labels] * len(self.blocks)

    def forward(self, z, labels=None):
        z = z.flatten(1)
        first, conditions = self.conditions(z, labels)
        x = self.linear(first).view(z.shape[0], -1, self.base, self.base)
        for block, attention, condition in zip(self.blocks, self.attention, conditions):
            x = attention(block(x, condition))
        return torch.tanh(self.to_image(F.relu(self.output_norm(x))))


class SumPool(nn.Module):
    """ReLU, then the sum over positions: (N, C, H, W) → (N, C) (Miyato et al. 2018's D ending)."""

    def forward(self, x):
        return F.relu(x).sum(dim=(2, 3))


class ResNetDiscriminator(nn.Module):
    """An optimized first block to ``channel_plan[0]``, one block per further entry (``downsample[i]`` for
    the i-th block, the first always downsamples), ReLU, sum pool, linear to one logit."""
    output_kind = "logits"

    def __init__(self, image_size: int, channel_plan: list[int], downsample: list[bool], channels: int = 3, *,
                 spectral_norm: bool = True, attention_at: int = 0, init: str = "xavier"):
        super().__init__()
        layers, resolution, resolutions = [], image_size, []
        c_in = channels
        for index, (c_out, down) in enumerate(zip(channel_plan, downsample)):
            layers.append(DownBlock(c_in, c_out, spectral_norm, downsample=down or index == 0, optimized=index == 0))
            resolution = resolution // 2 if (down or index == 0) else resolution
            resolutions.append(resolution)
            attend = attention_at if attention_at not in resolutions[:-1] else 0    # once, at the first such block
            layers.append(attention_or_identity(resolution, attend, c_out, spectral_norm))
            c_in = c_out
        check_attention(resolutions, attention_at, "discriminator")
        self.body = nn.Sequential(*layers, SumPool())
        self.head = maybe_spectral_norm(nn.Linear(c_in, 1), spectral_norm)
        self.feature_dim = c_in
        resnet_init(self, init)

    def features(self, x):
        return self.body(x)

    def forward(self, x):
        return self.head(self.body(x)).flatten()


class RotationResNetDiscriminator(RotationHead, ResNetDiscriminator):
    """A ResNet discriminator with SS-GAN's rotation head on its pooled features (Chen et al. 2019 put it on
    the SNGAN ResNet D), for the 'rotation' regularizer."""

    def __init__(self, *args, spectral_norm: bool = True, init: str = "xavier", **kwargs):
        super().__init__(*args, spectral_norm=spectral_norm, init=init, **kwargs)
        resnet_init(self.add_rotation_head(spectral_norm), init)
