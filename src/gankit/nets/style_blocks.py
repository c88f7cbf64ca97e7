"""Blocks shared by the progressive and style-based nets (Karras et al. 2018, PGGAN; later StyleGAN).

- :class:`EqualizedLinear` / :class:`EqualizedConv2d`: the equalized learning rate of Karras et al. 2018,
  Sec. 4.1 — weights initialised N(0, 1) and scaled at runtime by ĉ = gain/√fan_in (He's constant), so Adam's
  per-parameter step is the same for every layer. ``lr_multiplier`` λ (StyleGAN's mapping network uses 0.01):
  weights start N(0, 1/λ²) and are used ×λ·ĉ, the bias is stored /λ and used ×λ, i.e. a λ times smaller
  effective learning rate with the same initial function.
- :class:`PixelNorm`: Sec. 4.2, Eq. (not numbered) b = a / √(mean_j a_j² + ε), ε = 1e-8, over channels.
- :class:`MinibatchStdDev`: Sec. 3 (simplified variant of App. A.1): the standard deviation of every
  feature over a group of samples, averaged to one number per group, appended as one more channel.
- :class:`ToRGB` / :class:`FromRGB`: 1×1 equalized convs between feature maps and images (App. A.1).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

LRELU_GAIN = math.sqrt(2.0)      # He's gain for leaky ReLU(0.2), as in the reference code (gain=√2)


class EqualizedLinear(nn.Module):
    """y = x·(λĉ·W)ᵀ + λ·b, W ~ N(0, 1/λ²), ĉ = gain/√in_features (Karras et al. 2018, Sec. 4.1)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, gain: float = LRELU_GAIN,
                 lr_multiplier: float = 1.0, bias_init: float = 0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full((out_features,), bias_init / lr_multiplier)) if bias else None
        self.weight_scale = gain / math.sqrt(in_features) * lr_multiplier
        self.lr_multiplier = lr_multiplier

    def forward(self, x):
        bias = None if self.bias is None else self.bias * self.lr_multiplier
        return F.linear(x, self.weight * self.weight_scale, bias)


class EqualizedConv2d(nn.Module):
    """A conv whose kernel (N(0, 1/λ²)) is scaled at runtime by λ·gain/√(in_channels·k²); 'same' padding."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True,
                 gain: float = LRELU_GAIN, lr_multiplier: float = 1.0, padding: int | None = None):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size) / lr_multiplier)
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_scale = gain / math.sqrt(in_channels * kernel_size * kernel_size) * lr_multiplier
        self.lr_multiplier = lr_multiplier
        self.padding = kernel_size // 2 if padding is None else padding

    def forward(self, x):
        bias = None if self.bias is None else self.bias * self.lr_multiplier
        return F.conv2d(x, self.weight * self.weight_scale, bias, padding=self.padding)


class PixelNorm(nn.Module):
    """Karras et al. 2018, Sec. 4.2: each pixel's feature vector divided by its root mean square (ε = 1e-8)."""

    def __init__(self, epsilon: float = 1e-8):
        super().__init__()
        self.epsilon = epsilon

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + self.epsilon)


def group_size_for(batch: int, group_size: int) -> int:
    """The largest group ≤ ``group_size`` that divides ``batch`` (the reference code needs batch % group == 0;
    taking a divisor lets any batch size through, e.g. an evaluation's last batch)."""
    group = max(1, min(group_size, batch))
    while batch % group:
        group -= 1
    return group


class MinibatchStdDev(nn.Module):
    """Karras et al. 2018, Sec. 3 and App. A.1 (the reference code's ``minibatch_stddev_layer``): split the
    batch into groups of ``group_size`` (sample n is in group n mod M, M = N/group); per group, the standard
    deviation (biased, +1e-8 under the root) of each feature and pixel over the group's samples, averaged
    over features and pixels; that one number is appended as a constant channel to each of its samples."""

    def __init__(self, group_size: int = 4, epsilon: float = 1e-8):
        super().__init__()
        self.group_size, self.epsilon = group_size, epsilon

    def forward(self, x):
        n, c, h, w = x.shape
        group = group_size_for(n, self.group_size)
        y = x.reshape(group, n // group, c, h, w)
        y = y - y.mean(dim=0, keepdim=True)
        y = (y.pow(2).mean(dim=0) + self.epsilon).sqrt()          # (M, C, H, W)
        y = y.mean(dim=(1, 2, 3)).reshape(-1, 1, 1, 1)            # (M, 1, 1, 1)
        y = y.repeat(group, 1, h, w)                              # sample n gets group n mod M
        return torch.cat([x, y], dim=1)


class ToRGB(nn.Module):
    """Feature maps → image: a 1×1 equalized conv with gain 1 and a linear output (App. A.1)."""

    def __init__(self, in_channels: int, image_channels: int):
        super().__init__()
        self.conv = EqualizedConv2d(in_channels, image_channels, 1, gain=1.0)

    def forward(self, x):
        return self.conv(x)


class FromRGB(nn.Module):
    """Image → feature maps: a 1×1 equalized conv and leaky ReLU(0.2) (App. A.1)."""

    def __init__(self, image_channels: int, out_channels: int):
        super().__init__()
        self.conv = EqualizedConv2d(image_channels, out_channels, 1)

    def forward(self, x):
        return F.leaky_relu(self.conv(x), 0.2)
