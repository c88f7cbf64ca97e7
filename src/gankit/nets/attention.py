"""Self-attention over the positions of a feature map (Zhang et al. 2019, SAGAN, arXiv:1805.08318, Sec. 3).

f(x), g(x): 1×1 convs to C/8 channels (query, key); h(x): 1×1 conv (value); β = softmax over the key
positions of f(x)ᵀ g(x); o = v(h(x) β) with an output 1×1 conv v; y = γ·o + x with a learnable scalar
γ initialised at 0, so that a fresh block is the identity and the net relies on local cues first.
BigGAN's reference code max-pools the key and value maps and halves the value channels to save memory;
this is the paper's plain form (at 32 px the maps are small).
"""
from __future__ import annotations

import torch
from torch import nn

from .blocks import maybe_spectral_norm


class SelfAttention(nn.Module):
    def __init__(self, channels: int, spectral_norm: bool = True):
        super().__init__()
        inner = max(channels // 8, 1)

        def conv(c_in, c_out):
            return maybe_spectral_norm(nn.Conv2d(c_in, c_out, 1, bias=False), spectral_norm)
        self.query, self.key, self.value = conv(channels, inner), conv(channels, inner), conv(channels, channels)
        self.output = conv(channels, channels)
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        n, c, h, w = x.shape
        query = self.query(x).flatten(2)                    # (N, C/8, HW)
        key = self.key(x).flatten(2)                        # (N, C/8, HW)
        attention = torch.softmax(query.transpose(1, 2) @ key, dim=-1)   # (N, HW query, HW key)
        attended = self.value(x).flatten(2) @ attention.transpose(1, 2)   # (N, C, HW)
        return x + self.gamma * self.output(attended.view(n, c, h, w))
