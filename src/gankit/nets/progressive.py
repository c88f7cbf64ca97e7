"""PGGAN's growing nets (Karras et al. 2018, Sec. 2 and App. A.1, Table 2), holding every resolution's
layers from the start so their state dicts never change shape; ``resolution`` and ``alpha`` pick the
path at each call.

Generator: z → pixel norm → 4×4 block (dense to 4×4·C, conv 3×3) → per doubling: nearest ×2, conv 3×3,
conv 3×3 (leaky ReLU 0.2 and pixel norm after every conv) → toRGB (linear). During a fade-in (α < 1) the
image is (1 − α)·up(toRGB_{r/2}(h_{r/2})) + α·toRGB_r(h_r) (Sec. 2, Fig. 2).
Discriminator, mirrored: fromRGB → per halving: conv 3×3, conv 3×3, average-pool ×2 → 4×4 block
(minibatch stddev, conv 3×3, conv 4×4 valid, linear → 1 score). During a fade-in the features entering the
block below the new one are (1 − α)·fromRGB_{r/2}(pool(x)) + α·block_r(fromRGB_r(x)).
Channels at resolution r: min(width, 32·width/r) (Table 2 with width 512: 512 up to 32 px, 16 at 1024 px).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import GankitError
from .style_blocks import EqualizedConv2d, EqualizedLinear, FromRGB, LRELU_GAIN, MinibatchStdDev, PixelNorm, ToRGB


def progressive_levels(image_size: int, model: str = "pggan") -> int:
    """The number of resolutions from 4 px to ``image_size`` (4 → 1, 8 → 2, 32 → 4); ``model`` names the
    model in the error (pggan, stylegan and stylegan2 all double from 4 px)."""
    if image_size < 4 or image_size & (image_size - 1):
        raise GankitError(f"{model} builds its images from 4 px by doubling: --image-size must be a power of two "
                          f"≥ 4 (e.g. 32 or 64), not {image_size}")
    return image_size.bit_length() - 2


def level_channels(width: int, resolution: int) -> int:
    return max(1, min(width, width * 32 // resolution))


def conv_act(in_channels: int, out_channels: int, kernel: int = 3, norm: bool = False, padding=None) -> list:
    layers = [EqualizedConv2d(in_channels, out_channels, kernel, padding=padding), nn.LeakyReLU(0.2)]
    return layers + [PixelNorm()] if norm else layers


class ProgressiveGenerator(nn.Module):
    def __init__(self, image_size: int, channels: int = 3, latent_dim: int = 512, width: int = 512):
        super().__init__()
        self.levels, self.image_size, self.latent_dim = progressive_levels(image_size), image_size, latent_dim
        sizes = [4 * 2 ** level for level in range(self.levels)]
        widths = [level_channels(width, size) for size in sizes]
        self.input_norm = PixelNorm()
        # the 4×4 block's dense layer has gain √2/4 in the reference code (a 4×4 "deconv" from a 1×1 input)
        self.dense = EqualizedLinear(latent_dim, widths[0] * 16, gain=LRELU_GAIN / 4)
        self.first = nn.Sequential(nn.LeakyReLU(0.2), PixelNorm(), *conv_act(widths[0], widths[0], norm=True))
        self.blocks = nn.ModuleList(nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                                  *conv_act(c_in, c_out, norm=True), *conv_act(c_out, c_out, norm=True))
                                    for c_in, c_out in zip(widths, widths[1:]))
        self.to_rgb = nn.ModuleList(ToRGB(c, channels) for c in widths)

    def level_of(self, resolution) -> int:
        if resolution is None:
            return self.levels - 1
        level = progressive_levels(resolution) - 1
        if level >= self.levels:
            raise GankitError(f"this generator grows to {self.image_size} px, not {resolution}")
        return level

    def forward(self, z, resolution: int | None = None, alpha: float = 1.0):
        level = self.level_of(resolution)
        h = self.dense(self.input_norm(z)).view(z.shape[0], -1, 4, 4)
        h = self.first(h)
        previous = h
        for block in self.blocks[:level]:
            previous, h = h, block(h)
        image = self.to_rgb[level](h)
        if alpha < 1.0 and level > 0:
            low = F.interpolate(self.to_rgb[level - 1](previous), scale_factor=2, mode="nearest")
            image = torch.lerp(low, image, alpha)
        return image


class ProgressiveDiscriminator(nn.Module):
    """Scores images at any of its resolutions (read from the input); ``alpha`` is the fade-in of the
    newest block (1: none). ``fade`` is the α used when the caller gives none (gradient penalties call
    ``discriminator(x)``): the recipe sets it from the step's context before each loss."""
    output_kind = "logits"

    def __init__(self, image_size: int, channels: int = 3, width: int = 512, group_size: int = 4):
        super().__init__()
        self.levels, self.image_size = progressive_levels(image_size), image_size
        sizes = [4 * 2 ** level for level in range(self.levels)]
        widths = [level_channels(width, size) for size in sizes]
        self.from_rgb = nn.ModuleList(FromRGB(channels, c) for c in widths)
        # blocks[level - 1] takes level's maps (widths[level]) to level − 1's (half the size)
        self.blocks = nn.ModuleList(nn.Sequential(*conv_act(c_out, c_out), *conv_act(c_out, c_in), nn.AvgPool2d(2))
                                    for c_in, c_out in zip(widths, widths[1:]))
        self.last = nn.Sequential(MinibatchStdDev(group_size), *conv_act(widths[0] + 1, widths[0]),
                                  *conv_act(widths[0], widths[0], kernel=4, padding=0), nn.Flatten())
        self.head = EqualizedLinear(widths[0], 1, gain=1.0)
        self.fade = 1.0

    def forward(self, x, alpha: float | None = None):
        alpha = self.fade if alpha is None else alpha
        resolution = x.shape[-1]
        level = progressive_levels(resolution) - 1
        if level >= self.levels:
            raise GankitError(f"this discriminator grows to {self.image_size} px, not {resolution}")
        h = self.from_rgb[level](x)
        if level > 0:
            h = self.blocks[level - 1](h)
            if alpha < 1.0:
                h = torch.lerp(self.from_rgb[level - 1](F.avg_pool2d(x, 2)), h, alpha)
        for block in reversed(self.blocks[:max(level - 1, 0)]):
            h = block(h)
        return self.head(self.last(h)).flatten()
