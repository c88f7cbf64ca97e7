"""Class-conditioning blocks, shared by every conditional model (cgan, cdcgan, acgan, cgan-projection).

- :func:`one_hot` and :class:`LabelConcatGenerator`: the label as a one-hot vector concatenated to z
  (Mirza & Osindero 2014, arXiv:1411.1784, Sec. 3.2).
- :class:`LabelInputDiscriminator`: the label joined to D's input, as a flat one-hot vector for MLPs
  (Mirza & Osindero 2014) or as K constant feature maps for conv nets (the usual conv cGAN input).
- :class:`ConditionalBatchNorm2d`: batch norm whose scale and shift are looked up per class
  (Dumoulin et al. 2017, arXiv:1610.07629; de Vries et al. 2017, arXiv:1707.00683), γ_y = 1 + Δγ_y
  with Δγ and β initialised to 0, so a fresh layer is exactly plain BN (γ = 1, β = 0).
- :class:`VectorConditionalBatchNorm2d`: BigGAN's conditional BN (Brock et al. 2019, arXiv:1809.11096,
  Sec. 3 and App. B): gain 1 + W_γ c and bias W_β c from linear maps of a condition vector c (the shared
  class embedding, concatenated with a chunk of z for hierarchical latents).
- :class:`ConditionalDCGANGenerator`: DCGAN's generator (Radford et al. 2015) with every BN made
  class-conditional, as in Miyato & Koyama 2018's generators.
- :class:`ProjectionDiscriminator`: D(x, y) = ψ(φ(x)) + ⟨embed(y), φ(x)⟩ (Miyato & Koyama 2018,
  arXiv:1802.05637, Eq. 3).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import dcgan_init, maybe_spectral_norm
from .dcgan import resolution_plan


def one_hot(labels: torch.Tensor, num_classes: int, like: torch.Tensor) -> torch.Tensor:
    """(N, K) float one-hot rows of ``labels`` with ``like``'s dtype and device."""
    return F.one_hot(labels.long(), num_classes).to(dtype=like.dtype, device=like.device)


class LabelConcatGenerator(nn.Module):
    """G(z, y) = net([z, onehot(y)]): ``net`` is any generator built for latent_dim + K inputs."""

    def __init__(self, net: nn.Module, num_classes: int):
        super().__init__()
        self.net, self.num_classes = net, num_classes

    def forward(self, z, labels):
        return self.net(torch.cat([z.flatten(1), one_hot(labels, self.num_classes, z)], dim=1))


class LabelInputDiscriminator(nn.Module):
    """D(x, y) = net([x, y]): y as K constant maps beside the image channels (``as_maps``) or as a
    one-hot vector after the flattened sample. ``net`` is built for the widened input."""
    output_kind = "logits"

    def __init__(self, net: nn.Module, num_classes: int, as_maps: bool):
        super().__init__()
        self.net, self.num_classes, self.as_maps = net, num_classes, as_maps

    def forward(self, samples, labels):
        codes = one_hot(labels, self.num_classes, samples)
        if self.as_maps:
            maps = codes[:, :, None, None].expand(-1, -1, *samples.shape[2:])
            return self.net(torch.cat([samples, maps], dim=1))
        return self.net(torch.cat([samples.flatten(1), codes], dim=1))


class ConditionalBatchNorm2d(nn.Module):
    """out = (1 + Δγ[y]) · BN(x) + β[y], BN without its own affine parameters (de Vries et al. 2017, Eq. 2)."""

    def __init__(self, num_features: int, num_classes: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(num_features, affine=False)
        self.scale_delta = nn.Embedding(num_classes, num_features)
        self.shift = nn.Embedding(num_classes, num_features)
        nn.init.zeros_(self.scale_delta.weight)
        nn.init.zeros_(self.shift.weight)

    def forward(self, x, labels):
        scale = 1.0 + self.scale_delta(labels)[:, :, None, None]
        return scale * self.norm(x) + self.shift(labels)[:, :, None, None]


class VectorConditionalBatchNorm2d(nn.Module):
    """out = (1 + W_γ c) · BN(x) + W_β c, BN without affine parameters; W_γ, W_β linear (no bias, as in
    BigGAN's reference ccbn), spectrally normalised when ``spectral_norm``."""

    def __init__(self, num_features: int, condition_dim: int, spectral_norm: bool = True):
        super().__init__()
        self.norm = nn.BatchNorm2d(num_features, affine=False)
        self.gain = maybe_spectral_norm(nn.Linear(condition_dim, num_features, bias=False), spectral_norm)
        self.bias = maybe_spectral_norm(nn.Linear(condition_dim, num_features, bias=False), spectral_norm)

    def forward(self, x, condition):
        gain = 1.0 + self.gain(condition)[:, :, None, None]
        return gain * self.norm(x) + self.bias(condition)[:, :, None, None]


class ConditionalDCGANGenerator(nn.Module):
    """DCGAN generator layout (convT base×base, then convT 4×4/2 per doubling, tanh) with conditional BN."""

    def __init__(self, image_size: int = 28, channels: int = 1, latent_dim: int = 100, width: int = 64,
                 num_classes: int = 10):
        super().__init__()
        base, steps = resolution_plan(image_size)
        self.latent_dim = latent_dim
        channel_plan = [width * 2 ** i for i in reversed(range(steps))]        # e.g. [2w, w] at 28 px
        self.convs = nn.ModuleList([nn.ConvTranspose2d(latent_dim, channel_plan[0], base, bias=False)])
        self.convs.extend(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False)
                          for c_in, c_out in zip(channel_plan, channel_plan[1:]))
        self.norms = nn.ModuleList(ConditionalBatchNorm2d(c, num_classes) for c in channel_plan)
        self.to_image = nn.ConvTranspose2d(channel_plan[-1], channels, 4, 2, 1)
        for convolutions in (self.convs, self.to_image):     # the CBN embeddings keep their 0 init
            dcgan_init(convolutions)

    def forward(self, z, labels):
        x = z.view(z.shape[0], -1, 1, 1)
        for conv, norm in zip(self.convs, self.norms):
            x = F.relu(norm(conv(x), labels))
        return torch.tanh(self.to_image(x))


class ProjectionDiscriminator(nn.Module):
    """D(x, y) = ψ(φ(x)) + ⟨embed(y), φ(x)⟩ with φ = ``body`` (flattened) and ψ = ``head``.

    Miyato & Koyama pool φ by a global sum; here φ is the flattened last feature map, whose linear
    read-out is exactly DCGAN's base×base conv head, so ``head`` can be that conv unchanged.
    """
    output_kind = "logits"

    def __init__(self, body: nn.Module, head: nn.Module, feature_dim: int, num_classes: int,
                 spectral_norm: bool = True):
        super().__init__()
        self.body, self.head = body, head
        self.embed = nn.Embedding(num_classes, feature_dim)
        nn.init.normal_(self.embed.weight, 0.0, 0.02)
        self.embed = maybe_spectral_norm(self.embed, spectral_norm)

    def forward(self, samples, labels):
        features = self.body(samples)
        unconditional = self.head(features).flatten()
        return unconditional + (self.embed(labels) * features.flatten(1)).sum(dim=1)
