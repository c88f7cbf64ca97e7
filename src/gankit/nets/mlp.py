"""MLP generator and discriminator for 2D toy data (ring8, grid25).

Sizes follow the toy experiments of Metz et al. 2017 (unrolled GAN): ReLU MLPs with 128-unit hidden
layers; the discriminator outputs one unbounded logit per sample (no sigmoid).
"""
from __future__ import annotations

from torch import nn

from .blocks import maybe_spectral_norm


class MLPGenerator(nn.Module):
    def __init__(self, latent_dim: int = 64, hidden: int = 128, depth: int = 2, out_dim: int = 2):
        super().__init__()
        layers, width = [], latent_dim
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        layers.append(nn.Linear(width, out_dim))
        self.net = nn.Sequential(*layers)
        self.latent_dim = latent_dim

    def forward(self, z):
        return self.net(z)


class MLPDiscriminator(nn.Module):
    output_kind = "logits"

    def __init__(self, in_dim: int = 2, hidden: int = 128, depth: int = 2, spectral_norm: bool = False):
        super().__init__()
        layers, width = [], in_dim
        for _ in range(depth):
            layers += [maybe_spectral_norm(nn.Linear(width, hidden), spectral_norm), nn.LeakyReLU(0.2)]
            width = hidden
        layers.append(maybe_spectral_norm(nn.Linear(width, 1), spectral_norm))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x).squeeze(1)
