"""Fully connected image nets, the kind Mirza & Osindero 2014 (arXiv:1411.1784, Sec. 4.1) used for cGAN.

Generator: Linear layers through ``hidden`` widths, LeakyReLU(0.2) (batch norm after all but the first),
then Linear to prod(sample_shape), tanh, reshaped to the image. Discriminator: flattened input through
``hidden`` widths with LeakyReLU(0.2) and dropout, then one logit. The paper used maxout units in D
and a sigmoid output in G; we use LeakyReLU + dropout in D and tanh for [-1, 1] images.
"""
from __future__ import annotations

import math

from torch import nn

from .blocks import Reshape


class MLPImageGenerator(nn.Module):
    def __init__(self, in_dim: int, sample_shape: tuple, hidden=(256, 512, 1024)):
        super().__init__()
        layers, width = [], in_dim
        for index, size in enumerate(hidden):
            layers.append(nn.Linear(width, size))
            if index > 0:
                layers.append(nn.BatchNorm1d(size))
            layers.append(nn.LeakyReLU(0.2))
            width = size
        layers += [nn.Linear(width, math.prod(sample_shape)), nn.Tanh(), Reshape(*sample_shape)]
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(z)


class MLPImageDiscriminator(nn.Module):
    output_kind = "logits"

    def __init__(self, in_dim: int, hidden=(512, 256), dropout: float = 0.3):
        super().__init__()
        layers, width = [nn.Flatten()], in_dim
        for size in hidden:
            layers += [nn.Linear(width, size), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x).squeeze(1)
