"""Blocks of the style-based generators (Karras et al. 2019, StyleGAN; Karras et al. 2020, StyleGAN2), in
plain torch ops (no compiled extension: the reference code's upfirdn2d/bias_act CUDA plugins are replaced by
conv2d with padding and strides, which autograd differentiates twice for R1 and path-length regularization).

- :func:`upfirdn2d` — upsample by zero insertion, pad, FIR filter, downsample (the reference's upfirdn2d);
  :func:`fir_kernel` the normalised 2D filter (StyleGAN2 App. B: [1, 3, 3, 1]; StyleGAN v1: [1, 2, 1]);
- :func:`modulated_conv2d` — StyleGAN2 Sec. 2.2, Eq. 1–3, in the grouped-conv form (one group per sample);
- :class:`NoiseInjection` — per-pixel noise × a learned strength (per channel in v1, one scalar in v2);
- :class:`MappingNetwork` — z (pixel-normed) → w, 8 equalized FC layers with lr multiplier 0.01 (StyleGAN
  Sec. 2, App. C), an optional class embedding (stylegan2-ada's conditional mapping);
- :class:`ConstantInput` — the learned 4×4 input (StyleGAN Sec. 2); :class:`AdaIN` (StyleGAN Eq. 1);
- :class:`StyleGenerator` — the W-space contract (mapping, synthesis(ws, noise_mode, noises), num_ws, w_dim,
  noise_shapes, the running mean ``w_avg``) around any synthesis network.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import GankitError
from .style_blocks import LRELU_GAIN, EqualizedLinear, PixelNorm

NOISE_MODES = ("random", "const", "none")


# ----------------------------------------------------------------------------- FIR resampling
def fir_taps(taps: Sequence[float] = (1, 3, 3, 1)) -> torch.Tensor:
    """The 1D low-pass filter t / sum(t) (StyleGAN2 App. B: [1, 3, 3, 1]; StyleGAN v1: [1, 2, 1])."""
    t = torch.as_tensor(taps, dtype=torch.float32)
    return t / t.sum()


def fir_kernel(taps: Sequence[float] = (1, 3, 3, 1)) -> torch.Tensor:
    """The separable 2D filter outer(t, t) / sum(t)², summing to 1 (the reference's ``setup_filter``)."""
    t = fir_taps(taps)
    return torch.outer(t, t)


def upfirdn2d(x: torch.Tensor, kernel: torch.Tensor, up: int = 1, down: int = 1,
              padding: Sequence[int] = (0, 0, 0, 0), gain: float = 1.0) -> torch.Tensor:
    """Upsample by ``up`` (zero insertion), pad by (left, right, top, bottom) (negative crops), convolve every
    channel with ``kernel`` × ``gain``, keep every ``down``-th pixel. Output size per axis:
    (in·up + pad₀ + pad₁ − taps) // down + 1. A 1D ``kernel`` is separable (the 2D filter is its outer
    product, :func:`fir_kernel`) and runs as two 1D depthwise convs; a 2D one as one depthwise conv. Either
    way the result is the direct 2D convolution (tests/test_style_blocks.py)."""
    n, c, h, w = x.shape
    if up > 1:
        x = F.pad(x.reshape(n, c, h, 1, w, 1), [0, up - 1, 0, 0, 0, up - 1]).reshape(n, c, h * up, w * up)
    x = F.pad(x, list(padding))
    kernel = kernel.to(x.dtype).flip(list(range(kernel.dim())))         # a convolution, not a correlation
    if kernel.dim() == 1:
        taps = kernel.numel()
        x = F.conv2d(x, (kernel * gain).view(1, 1, taps, 1).expand(c, 1, taps, 1), groups=c)
        x = F.conv2d(x, kernel.view(1, 1, 1, taps).expand(c, 1, 1, taps), groups=c)
    else:
        x = F.conv2d(x, (kernel * gain)[None, None].expand(c, 1, *kernel.shape), groups=c)
    return x[:, :, ::down, ::down] if down > 1 else x


def upsample2d(x: torch.Tensor, kernel: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """×factor, same content: zero insertion then the filter × factor² (its DC gain restored; StyleGAN2's
    skip generator upsamples each toRGB output this way)."""
    taps = kernel.shape[-1]
    pad = ((taps + factor - 1) // 2, (taps - factor) // 2)
    return upfirdn2d(x, kernel, up=factor, padding=(*pad, *pad), gain=factor ** 2)


def downsample2d(x: torch.Tensor, kernel: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Filter then keep every ``factor``-th pixel (low-pass before decimation, StyleGAN v1 Sec. 2 / StyleGAN2)."""
    taps = kernel.shape[-1]
    pad = ((taps - factor + 1) // 2, (taps - factor) // 2)
    return upfirdn2d(x, kernel, down=factor, padding=(*pad, *pad))


def blur2d(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """The filter at the same size ('same' padding): StyleGAN v1's blur after upsampling."""
    taps = kernel.shape[-1]
    pad = ((taps - 1) // 2, taps // 2)
    return upfirdn2d(x, kernel, padding=(*pad, *pad))


class FIRFilter(nn.Module):
    """Holds :func:`fir_kernel` (2D: one depthwise conv, faster on CPU than the two 1D passes) as a
    non-persistent buffer: it follows ``.to(device)`` and stays out of state dicts."""

    def __init__(self, taps: Sequence[float] = (1, 3, 3, 1)):
        super().__init__()
        self.register_buffer("kernel", fir_kernel(taps), persistent=False)


# ----------------------------------------------------------------------------- modulated convolution
def modulated_conv2d(x: torch.Tensor, weight: torch.Tensor, styles: torch.Tensor, demodulate: bool = True,
                     up: int = 1, padding: int = 0, epsilon: float = 1e-8) -> torch.Tensor:
    """StyleGAN2 (Karras et al. 2020) Sec. 2.2: w'_ijk = s_i·w_ijk (Eq. 1); with ``demodulate``,
    w''_ijk = w'_ijk / √(Σ_{i,k} w'_ijk² + ε) (Eq. 3), so every output filter of every sample has unit L2 norm.
    Run as one grouped convolution with one group per sample (Sec. 2.2, "grouped convolutions"); ``up`` = 2
    is a stride-2 transposed convolution (the caller low-pass filters the result). ``weight``: (O, I, k, k)
    already scaled; ``styles``: (N, I)."""
    n, in_channels, h, w = x.shape
    out_channels, _, k, _ = weight.shape
    weights = weight[None] * styles[:, None, :, None, None]                 # (N, O, I, k, k)
    if demodulate:
        weights = weights * torch.rsqrt(weights.pow(2).sum(dim=(2, 3, 4), keepdim=True) + epsilon)
    x = x.reshape(1, n * in_channels, h, w)
    if up > 1:
        weights = weights.transpose(1, 2).reshape(n * in_channels, out_channels, k, k)
        x = F.conv_transpose2d(x, weights, stride=up, groups=n)
    else:
        x = F.conv2d(x, weights.reshape(n * out_channels, in_channels, k, k), padding=padding, groups=n)
    return x.reshape(n, out_channels, *x.shape[2:])


class ModulatedConv2d(nn.Module):
    """A conv whose kernel each sample's style (an affine map of its w, bias init 1) modulates; equalized lr
    (weights N(0, 1) × 1/√(I·k²) at runtime). ``up`` = 2: transposed conv then the FIR filter (StyleGAN2
    App. B). ``demodulate=False`` is toRGB's form."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, w_dim: int, demodulate: bool = True,
                 up: int = 1, taps: Sequence[float] = (1, 3, 3, 1)):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.weight_scale = 1.0 / math.sqrt(in_channels * kernel_size ** 2)
        self.affine = EqualizedLinear(w_dim, in_channels, gain=1.0, bias_init=1.0)
        self.demodulate, self.up, self.padding = demodulate, up, kernel_size // 2
        self.filter = FIRFilter(taps) if up > 1 else None

    def forward(self, x, w):
        styles = self.affine(w)
        x = modulated_conv2d(x, self.weight * self.weight_scale, styles, self.demodulate, self.up, self.padding)
        if self.up > 1:       # (2H + k − 2) px after the transposed conv, filtered down to 2H with gain up²
            taps, k = self.filter.kernel.shape[-1], self.weight.shape[-1]
            pad0 = (taps + self.up - 1) // 2 + self.padding - (k - 1)
            pad1 = (taps - self.up) // 2 + self.padding - (k - self.up)
            x = upfirdn2d(x, self.filter.kernel, padding=(pad0, pad1, pad0, pad1), gain=self.up ** 2)
        return x


# ----------------------------------------------------------------------------- noise, bias, activation
class NoiseInjection(nn.Module):
    """x + strength·noise with per-pixel noise (N, 1, H, W) shared by the channels (StyleGAN Sec. 2): a
    learned strength per channel (v1, ``channels`` = C) or one scalar (v2, ``channels`` = 1), initialised 0.
    ``noise_const`` (1, 1, H, W), drawn once at construction, is the fixed map of noise_mode "const"."""

    def __init__(self, channels: int, resolution: int):
        super().__init__()
        self.strength = nn.Parameter(torch.zeros(channels))
        self.register_buffer("noise_const", torch.randn(1, 1, resolution, resolution))

    def make_noise(self, x: torch.Tensor, noise_mode: str) -> Optional[torch.Tensor]:
        if noise_mode == "random":
            return torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device, dtype=x.dtype)
        if noise_mode == "const":
            return self.noise_const.to(x.dtype)
        return None

    def forward(self, x, noise_mode: str = "random", noise: Optional[torch.Tensor] = None):
        noise = self.make_noise(x, noise_mode) if noise is None else noise
        return x if noise is None else x + noise * self.strength.view(1, -1, 1, 1)


class BiasActivation(nn.Module):
    """+ bias (×lr multiplier), leaky ReLU(0.2) × √2 (the reference's bias_act 'lrelu' with its gain)."""

    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        return F.leaky_relu(x + self.bias.view(1, -1, 1, 1), 0.2) * LRELU_GAIN


# ----------------------------------------------------------------------------- mapping, input, AdaIN
class MappingNetwork(nn.Module):
    """z → w (StyleGAN Sec. 2, App. C): z normalised to unit second moment (pixel norm), an optional class
    embedding (normalised too, concatenated; stylegan2-ada), then ``num_layers`` equalized FC layers with
    leaky ReLU and ``lr_multiplier`` (0.01 in both papers)."""

    def __init__(self, z_dim: int, w_dim: int, num_layers: int = 8, lr_multiplier: float = 0.01,
                 num_classes: int = 0, hidden: Optional[int] = None):
        super().__init__()
        hidden = w_dim if hidden is None else hidden
        self.normalize = PixelNorm()
        self.embed = EqualizedLinear(num_classes, w_dim, gain=1.0) if num_classes else None
        self.num_classes = num_classes
        sizes = [z_dim + (w_dim if num_classes else 0)] + [hidden] * (num_layers - 1) + [w_dim]
        self.layers = nn.ModuleList(EqualizedLinear(a, b, lr_multiplier=lr_multiplier) for a, b in zip(sizes, sizes[1:]))

    def forward(self, z, labels=None):
        x = self.normalize(z)
        if self.embed is not None:
            if labels is None:
                raise GankitError("this mapping network is class-conditional: give one label per latent")
            onehot = F.one_hot(labels.long(), self.num_classes).to(z.dtype)
            x = torch.cat([x, self.normalize(self.embed(onehot))], dim=1)
        for layer in self.layers:
            x = F.leaky_relu(layer(x), 0.2)
        return x


class ConstantInput(nn.Module):
    """The learned constant 4×4 input of the synthesis network (StyleGAN Sec. 2), initialised N(0, 1) as in
    StyleGAN2's code, or to ones (``ones``) as in StyleGAN v1's."""

    def __init__(self, channels: int, size: int = 4, ones: bool = False):
        super().__init__()
        self.const = nn.Parameter(torch.ones(1, channels, size, size) if ones else torch.randn(1, channels, size, size))

    def forward(self, n: int):
        return self.const.expand(n, -1, -1, -1)


class AdaIN(nn.Module):
    """StyleGAN Eq. 1: AdaIN(x, y) = y_s·(x − μ(x))/σ(x) + y_b per channel, the style (y_s, y_b) an affine map
    of w; y_s is stored as 1 + the affine output (the reference code's ``style[:, 0] + 1``)."""

    def __init__(self, channels: int, w_dim: int, epsilon: float = 1e-8):
        super().__init__()
        self.affine = EqualizedLinear(w_dim, 2 * channels, gain=1.0)
        self.epsilon = epsilon

    def forward(self, x, w):
        x = x - x.mean(dim=(2, 3), keepdim=True)
        x = x * torch.rsqrt(x.pow(2).mean(dim=(2, 3), keepdim=True) + self.epsilon)
        scale, shift = self.affine(w)[:, :, None, None].chunk(2, dim=1)
        return x * (scale + 1.0) + shift


# ----------------------------------------------------------------------------- the W-space generator
def resolve_noises(noise_layers: Sequence[NoiseInjection], noise_mode: str, noises) -> list:
    """One entry per noise layer: the caller's maps (``noises``), else ``noise_mode``'s (None: let the layer
    draw), with one-line errors for a bad mode or a list of the wrong length."""
    if noise_mode not in NOISE_MODES:
        raise GankitError(f"noise_mode must be one of {', '.join(NOISE_MODES)}, got {noise_mode!r}")
    if noises is None:
        return [None] * len(noise_layers)
    if len(noises) != len(noise_layers):
        raise GankitError(f"noises must hold one map per noise layer ({len(noise_layers)}), got {len(noises)}")
    return list(noises)


class StyleGenerator(nn.Module):
    """The W-space contract shared by StyleGAN and StyleGAN2 (docs: HELPERS/ARCHITECTURE): ``mapping(z,
    labels) -> w`` (N, w_dim); ``synthesis(ws, noise_mode, noises)`` with ws (N, num_ws, w_dim); ints
    ``num_ws``, ``w_dim``; ``noise_shapes``; the buffer ``w_avg`` (running mean of w, StyleGAN Sec. 3.1's w̄,
    moved toward each G step's batch mean by 1 − ``w_avg_beta``, :meth:`track_w_avg`). ``synthesis`` is a
    module with ``num_ws``, ``noise_layers`` and ``forward(ws, noise_mode, noises)``."""

    def __init__(self, mapping: MappingNetwork, synthesis: nn.Module, w_dim: int, w_avg_beta: float = 0.995):
        super().__init__()
        self.mapping, self.synthesis = mapping, synthesis
        self.w_dim, self.num_ws, self.w_avg_beta = w_dim, synthesis.num_ws, w_avg_beta
        self.register_buffer("w_avg", torch.zeros(w_dim))

    @property
    def noise_shapes(self) -> list:
        return [tuple(layer.noise_const.shape) for layer in self.synthesis.noise_layers]

    @torch.no_grad()
    def track_w_avg(self, w: torch.Tensor) -> None:
        """w̄ ← lerp(batch mean of w, w̄, β), β = 0.995 (stylegan2-ada's ``w_avg_beta``)."""
        self.w_avg.copy_(w.detach().float().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))

    def broadcast(self, w: torch.Tensor) -> torch.Tensor:
        return w.unsqueeze(1).expand(-1, self.num_ws, -1)

    def forward(self, z, labels=None, noise_mode: str = "random", noises=None):
        return self.synthesis(self.broadcast(self.mapping(z, labels)), noise_mode, noises)
