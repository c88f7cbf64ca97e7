"""The synthesis networks of StyleGAN (Karras et al. 2019, arXiv:1812.04948) and StyleGAN2 (Karras et al.
2020, arXiv:1912.04958), and their generators under the W-space contract (:class:`StyleGenerator`).

Both start from a learned 4×4 constant and double the resolution per block; channels at r px are
min(cbase // r, cmax) (:func:`style_channels`). Each synthesis layer takes one w, so num_ws = 2 per
resolution (18 at 1024 px in both papers).

StyleGAN v1 (Fig. 1b, App. C): per resolution, [nearest ×2 → conv 3×3 → blur [1, 2, 1]] (the first block:
the constant), then conv 3×3; after each conv: per-pixel noise × a learned per-channel strength, bias, leaky
ReLU, AdaIN with its own w. One toRGB at the end (no progressive growing).

StyleGAN2 config E/F (Sec. 2.2, 4.1, Fig. 7b): per resolution, modulated/demodulated conv 3×3 (the first of
each block ×2 up: transposed conv + the [1, 3, 3, 1] filter), noise × one learned scalar, bias, leaky ReLU·√2;
skip architecture: every resolution's toRGB (modulated 1×1, not demodulated) is added to the image so far,
upsampled by the FIR filter.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .progressive import progressive_levels
from .style_blocks import EqualizedConv2d
from .style_discriminator import style_channels
from .style_synthesis import (AdaIN, BiasActivation, ConstantInput, FIRFilter, MappingNetwork, ModulatedConv2d,
                              NoiseInjection, StyleGenerator, blur2d, resolve_noises, upsample2d)


def level_widths(image_size: int, cbase: int, cmax: int, model: str) -> list:
    """Channels at 4, 8, …, image_size px (a one-line error for a size that is not a power of two)."""
    return [style_channels(4 * 2 ** level, cbase, cmax) for level in range(progressive_levels(image_size, model))]


# ----------------------------------------------------------------------------- StyleGAN v1
class AdaINLayer(nn.Module):
    """[nearest ×2 → ] conv 3×3 [→ blur] → noise → bias, leaky ReLU·√2 → AdaIN(w) (StyleGAN Fig. 1b);
    ``conv`` False: the 4×4 block's first layer, on the constant."""

    def __init__(self, in_channels, out_channels, w_dim, resolution, conv=True, up=False, taps=(1, 2, 1)):
        super().__init__()
        self.conv = EqualizedConv2d(in_channels, out_channels, 3, bias=False, gain=1.0) if conv else None
        self.blur = FIRFilter(taps) if up else None
        self.noise = NoiseInjection(out_channels, resolution)
        self.act = BiasActivation(out_channels)
        self.adain = AdaIN(out_channels, w_dim)

    def forward(self, x, w, noise_mode, noise):
        if self.blur is not None:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        if self.conv is not None:
            x = self.conv(x)
        if self.blur is not None:
            x = blur2d(x, self.blur.kernel)
        return self.adain(self.act(self.noise(x, noise_mode, noise)), w)


class AdaINSynthesis(nn.Module):
    def __init__(self, image_size: int, image_channels: int, w_dim: int, cbase: int, cmax: int,
                 taps: Sequence[float] = (1, 2, 1)):
        super().__init__()
        widths = level_widths(image_size, cbase, cmax, "stylegan")
        self.const = ConstantInput(widths[0], ones=True)
        layers = [AdaINLayer(widths[0], widths[0], w_dim, 4, conv=False),
                  AdaINLayer(widths[0], widths[0], w_dim, 4)]
        for level, (c_in, c_out) in enumerate(zip(widths, widths[1:]), start=1):
            resolution = 4 * 2 ** level
            layers += [AdaINLayer(c_in, c_out, w_dim, resolution, up=True, taps=taps),
                       AdaINLayer(c_out, c_out, w_dim, resolution)]
        self.layers = nn.ModuleList(layers)
        self.to_rgb = EqualizedConv2d(widths[-1], image_channels, 1, gain=1.0)
        self.num_ws = len(layers)
        self.noise_layers = [layer.noise for layer in layers]

    def forward(self, ws, noise_mode="random", noises=None):
        noises = resolve_noises(self.noise_layers, noise_mode, noises)
        x = self.const(ws.shape[0])
        for index, layer in enumerate(self.layers):
            x = layer(x, ws[:, index], noise_mode, noises[index])
        return self.to_rgb(x)


# ----------------------------------------------------------------------------- StyleGAN2
class ModulatedLayer(nn.Module):
    """Modulated/demodulated conv 3×3 (×2 up when ``up``) → noise × a scalar → bias, leaky ReLU·√2."""

    def __init__(self, in_channels, out_channels, w_dim, resolution, up=1, taps=(1, 3, 3, 1)):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, 3, w_dim, up=up, taps=taps)
        self.noise = NoiseInjection(1, resolution)
        self.act = BiasActivation(out_channels)

    def forward(self, x, w, noise_mode, noise):
        return self.act(self.noise(self.conv(x, w), noise_mode, noise))


class ModulatedToRGB(nn.Module):
    """Modulated 1×1 conv without demodulation, + bias, linear (StyleGAN2 Fig. 7b's tRGB)."""

    def __init__(self, in_channels, image_channels, w_dim):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, image_channels, 1, w_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(image_channels))

    def forward(self, x, w):
        return self.conv(x, w) + self.bias.view(1, -1, 1, 1)


class SkipSynthesis(nn.Module):
    def __init__(self, image_size: int, image_channels: int, w_dim: int, cbase: int, cmax: int,
                 taps: Sequence[float] = (1, 3, 3, 1)):
        super().__init__()
        widths = level_widths(image_size, cbase, cmax, "stylegan2")
        self.const = ConstantInput(widths[0])
        self.filter = FIRFilter(taps)
        convs = [ModulatedLayer(widths[0], widths[0], w_dim, 4)]
        for level, (c_in, c_out) in enumerate(zip(widths, widths[1:]), start=1):
            resolution = 4 * 2 ** level
            convs += [ModulatedLayer(c_in, c_out, w_dim, resolution, up=2, taps=taps),
                      ModulatedLayer(c_out, c_out, w_dim, resolution)]
        self.convs = nn.ModuleList(convs)
        self.to_rgb = nn.ModuleList(ModulatedToRGB(c, image_channels, w_dim) for c in widths)
        self.num_ws = 2 * len(widths)
        self.noise_layers = [layer.noise for layer in convs]

    def forward(self, ws, noise_mode="random", noises=None):
        """Layer i takes ws[:, i]; each resolution's toRGB takes the w after its last conv's (stylegan2-ada)."""
        noises = resolve_noises(self.noise_layers, noise_mode, noises)
        x = self.convs[0](self.const(ws.shape[0]), ws[:, 0], noise_mode, noises[0])
        image = self.to_rgb[0](x, ws[:, 1])
        for level in range(1, len(self.to_rgb)):
            first = 2 * level - 1
            for index in (first, first + 1):
                x = self.convs[index](x, ws[:, index], noise_mode, noises[index])
            image = upsample2d(image, self.filter.kernel) + self.to_rgb[level](x, ws[:, first + 2])
        return image


# ----------------------------------------------------------------------------- generators
def style_generator(synthesis: nn.Module, z_dim: int, w_dim: int, mapping_layers: int, num_classes: int = 0,
                    lr_multiplier: float = 0.01) -> StyleGenerator:
    """Mapping network (``mapping_layers`` × ``w_dim``, lr multiplier 0.01) + ``synthesis``, W-space contract."""
    mapping = MappingNetwork(z_dim, w_dim, mapping_layers, lr_multiplier, num_classes)
    return StyleGenerator(mapping, synthesis, w_dim)
