"""The style-based GANs' discriminator (Karras et al. 2019 App. C; Karras et al. 2020 Sec. 4.1, Fig. 7c).

fromRGB at the image size, then one block per halving down to 4 px, then the epilogue: minibatch standard
deviation (group 4, 1 feature), conv 3×3, FC (C·16 → C), FC → 1 score. A block is conv 3×3, then a
low-pass filtered stride-2 conv 3×3 (:class:`DownConv2d`), leaky ReLU(0.2)·√2 after each;
``architecture="resnet"`` (StyleGAN2 config E/F) adds the residual path: filtered stride-2 1×1 conv without
bias, the sum scaled by 1/√2. ``"plain"`` (no residual) is StyleGAN v1's discriminator without progressive
growing: its blur [1, 2, 1] before conv 3×3 + 2×2 average pool is the filter [1, 2, 1] * [1, 1] = [1, 3, 3, 1]
before a stride-2 conv (the per-channel filter commutes with the conv; only the border handling differs).
Channels at resolution r: min(cbase // r, cmax) (stylegan2-ada's ``channel_base``/``channel_max``).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .style_blocks import LRELU_GAIN, EqualizedConv2d, EqualizedLinear, MinibatchStdDev
from .style_synthesis import FIRFilter, upfirdn2d

ARCHITECTURES = ("resnet", "plain")


def style_channels(resolution: int, cbase: int, cmax: int) -> int:
    """Feature maps at ``resolution`` px: min(cbase // r, cmax), at least 1 (StyleGAN2 config F: 32768, 512)."""
    return max(1, min(cbase // resolution, cmax))


def lrelu(x):
    """Leaky ReLU(0.2) × √2 (the reference's bias_act gain); the layers before it use weight gain 1/√fan_in."""
    return F.leaky_relu(x, 0.2) * LRELU_GAIN


class DownConv2d(EqualizedConv2d):
    """Low-pass filter (pad so that the output is half the size), then a stride-2 equalized conv
    (the reference's conv2d_resample with down=2)."""

    def __init__(self, in_channels, out_channels, kernel_size, bias=True, gain=1.0,
                 taps: Sequence[float] = (1, 3, 3, 1)):
        super().__init__(in_channels, out_channels, kernel_size, bias=bias, gain=gain, padding=0)
        self.filter = FIRFilter(taps)
        extra = kernel_size // 2
        taps = len(taps)
        self.pad = ((taps - 1) // 2 + extra, (taps - 2) // 2 + extra)

    def forward(self, x):
        pad0, pad1 = self.pad
        x = upfirdn2d(x, self.filter.kernel, padding=(pad0, pad1, pad0, pad1))
        bias = None if self.bias is None else self.bias * self.lr_multiplier
        return F.conv2d(x, self.weight * self.weight_scale, bias, stride=2)


class DiscriminatorBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, residual: bool, taps):
        super().__init__()
        self.conv0 = EqualizedConv2d(in_channels, in_channels, 3, gain=1.0)
        self.conv1 = DownConv2d(in_channels, out_channels, 3, taps=taps)
        self.skip = DownConv2d(in_channels, out_channels, 1, bias=False, taps=taps) if residual else None

    def forward(self, x):
        y = lrelu(self.conv1(lrelu(self.conv0(x))))
        return y if self.skip is None else (self.skip(x) + y) * math.sqrt(0.5)


class StyleDiscriminator(nn.Module):
    output_kind = "logits"

    def __init__(self, image_size: int, channels: int = 3, cbase: int = 32768, cmax: int = 512,
                 architecture: str = "resnet", group_size: int = 4, taps: Sequence[float] = (1, 3, 3, 1)):
        super().__init__()
        resolutions = [image_size // 2 ** i for i in range(image_size.bit_length() - 3)]      # size … 8
        width = [style_channels(r, cbase, cmax) for r in resolutions + [4]]
        self.from_rgb = EqualizedConv2d(channels, width[0], 1, gain=1.0)
        self.blocks = nn.ModuleList(DiscriminatorBlock(a, b, architecture == "resnet", taps)
                                    for a, b in zip(width, width[1:]))
        self.stddev = MinibatchStdDev(group_size)
        self.conv = EqualizedConv2d(width[-1] + 1, width[-1], 3, gain=1.0)
        self.fc = EqualizedLinear(width[-1] * 16, width[-1], gain=1.0)
        self.out = EqualizedLinear(width[-1], 1, gain=1.0)

    def forward(self, x):
        x = lrelu(self.from_rgb(x))
        for block in self.blocks:
            x = block(x)
        x = lrelu(self.conv(self.stddev(x)))
        return self.out(lrelu(self.fc(x.flatten(1)))).flatten()
