"""SPADE (Park et al. 2019, "Semantic Image Synthesis with Spatially-Adaptive Normalization",
arXiv:1903.07291) and the multi-scale PatchGAN discriminator of pix2pixHD (Wang et al. 2018, arXiv:1711.11585).

- :class:`SPADE`: Eq. 1 — the activation is normalised without learned parameters (batch norm, as the
  paper's synchronized BN, or instance norm), then modulated per position by γ and β computed from the
  label map: the one-hot map is resized (nearest) to the activation's size and passed through a shared
  3×3 conv + ReLU (``hidden`` channels, 128 in the paper), then one 3×3 conv each for γ and β (Sec. 3.1,
  Fig. 2). As in the official code the modulation is ``x̂·(1 + γ) + β``, so γ = 0 is the identity.
- :class:`SPADEResBlock`: SPADE → LeakyReLU(0.2) → conv3×3, twice (middle channels min(in, out)), plus a
  learned shortcut SPADE → conv1×1 (no bias) when the channels change (Sec. 3.2, Fig. 4 and App. A);
  spectral norm on the block's convs.
- :class:`SPADEGenerator`: the paper's generator (App. A, Fig. 13) with its 5 upsamplings ("normal"): a
  block at S/32 px with 16·width channels, two at S/16 (16·width), then S/8 (8·width), S/4 (4·width),
  S/2 (2·width) and S (width), LeakyReLU, conv3×3 to the image, tanh. Its first input is either the label
  map downsampled (nearest) to S/32 px through a 3×3 conv — the "SPADE w/o encoder" generator of Sec. 4
  and the official code without ``--use_vae`` (``noise_dim=0``, gankit's default) — or noise z ~ N(0, I)
  through a linear layer reshaped to S/32 px (``noise_dim > 0``: the paper's multimodal generator,
  without its image encoder, whose KL loss is not implemented).
- :class:`MultiscaleDiscriminator`: pix2pixHD's D (Sec. 3.2): ``scales`` PatchGANs with 4×4 convs (stride 2,
  2, 2 then 1, width doubling up to 8·width, LeakyReLU 0.2), the second seeing the input average-pooled
  by 2; every conv after the first with spectral norm and instance norm (SPADE's ``spectralinstance``).
  It returns, per scale, the feature map of every layer, the patch logits last — the features for the
  feature-matching loss (pix2pixHD Eq. 4).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import GankitError
from .blocks import maybe_spectral_norm

UPSAMPLINGS = 5                              # the paper's "normal" generator: the first block at S/32 px
NORMS = ("batch", "instance")


def one_hot_maps(maps: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Label maps (N, H, W) of class ids → float one-hot (N, num_classes, H, W)."""
    return F.one_hot(maps.long(), num_classes).permute(0, 3, 1, 2).float()


def spade_init(module: nn.Module, gain: float = 0.02) -> None:
    """The official SPADE code's ``--init_type xavier --init_variance 0.02``: conv/linear weights from Glorot's
    normal with gain 0.02 (the unnormalised weight under spectral norm), biases 0."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            parametrized = getattr(layer, "parametrizations", None)
            nn.init.xavier_normal_(parametrized.weight.original if parametrized is not None else layer.weight, gain)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


def resize_nearest(onehot: torch.Tensor, size) -> torch.Tensor:
    return onehot if tuple(onehot.shape[-2:]) == tuple(size) else F.interpolate(onehot, size=size, mode="nearest")


class SPADE(nn.Module):
    """Eq. 1 of Park et al. 2019: ``norm(x)·(1 + γ(m)) + β(m)``, γ and β (N, C, H, W) from the map m."""

    def __init__(self, channels: int, label_channels: int, hidden: int = 128, norm: str = "batch"):
        super().__init__()
        if norm not in NORMS:
            raise GankitError(f"SPADE's parameter-free norm is one of {', '.join(NORMS)}, not {norm!r}")
        self.norm = (nn.BatchNorm2d(channels, affine=False) if norm == "batch"
                     else nn.InstanceNorm2d(channels, affine=False))
        self.shared = nn.Sequential(nn.Conv2d(label_channels, hidden, 3, padding=1), nn.ReLU())
        self.gamma = nn.Conv2d(hidden, channels, 3, padding=1)
        self.beta = nn.Conv2d(hidden, channels, 3, padding=1)

    def modulation(self, x: torch.Tensor, onehot: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(γ, β) at the size of ``x`` from the one-hot map (resized nearest)."""
        hidden = self.shared(resize_nearest(onehot, x.shape[-2:]))
        return self.gamma(hidden), self.beta(hidden)

    def forward(self, x: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.modulation(x, onehot)
        return self.norm(x) * (1 + gamma) + beta


class SPADEResBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, label_channels: int, hidden: int, norm: str,
                 spectral_norm: bool = True):
        super().__init__()
        middle = min(c_in, c_out)
        self.norm_0, self.norm_1 = SPADE(c_in, label_channels, hidden, norm), SPADE(middle, label_channels, hidden, norm)
        self.conv_0 = maybe_spectral_norm(nn.Conv2d(c_in, middle, 3, padding=1), spectral_norm)
        self.conv_1 = maybe_spectral_norm(nn.Conv2d(middle, c_out, 3, padding=1), spectral_norm)
        self.learned_shortcut = c_in != c_out
        if self.learned_shortcut:
            self.norm_s = SPADE(c_in, label_channels, hidden, norm)
            self.conv_s = maybe_spectral_norm(nn.Conv2d(c_in, c_out, 1, bias=False), spectral_norm)

    def forward(self, x: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        skip = self.conv_s(self.norm_s(x, onehot)) if self.learned_shortcut else x
        h = self.conv_0(F.leaky_relu(self.norm_0(x, onehot), 0.2))
        h = self.conv_1(F.leaky_relu(self.norm_1(h, onehot), 0.2))
        return skip + h


def generator_plan(width: int) -> list[tuple[int, int, bool]]:
    """(in, out, upsample before) per block: head at S/32, two middle blocks at S/16, then four up-blocks
    (App. A's head_0, G_middle_0/1, up_0 … up_3)."""
    wide = 16 * width
    plan = [(wide, wide, False), (wide, wide, True), (wide, wide, False)]
    channels = [wide, 8 * width, 4 * width, 2 * width, width]
    return plan + [(c_in, c_out, True) for c_in, c_out in zip(channels, channels[1:])]


class SPADEGenerator(nn.Module):
    """G(one-hot map, z) → (N, channels, S, S) in [−1, 1]; see the module docstring."""

    def __init__(self, size: int, label_channels: int, channels: int = 3, width: int = 64, hidden: int = 128,
                 noise_dim: int = 0, norm: str = "batch"):
        super().__init__()
        if size % 2 ** UPSAMPLINGS:
            raise GankitError(f"the SPADE generator upsamples {UPSAMPLINGS} times from S/32 px, so the image size must "
                              f"be a multiple of {2 ** UPSAMPLINGS}; got {size} (use --image-size 32, 64, 128, 256 ...)")
        self.base, self.noise_dim, self.label_channels = size // 2 ** UPSAMPLINGS, noise_dim, label_channels
        wide = 16 * width
        self.head = (nn.Linear(noise_dim, wide * self.base ** 2) if noise_dim
                     else nn.Conv2d(label_channels, wide, 3, padding=1))
        plan = generator_plan(width)
        self.upsample_before = [up for _, _, up in plan]
        self.blocks = nn.ModuleList(SPADEResBlock(c_in, c_out, label_channels, hidden, norm) for c_in, c_out, _ in plan)
        self.to_image = nn.Conv2d(width, channels, 3, padding=1)
        spade_init(self)

    def forward(self, onehot: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        if self.noise_dim:
            x = self.head(noise).view(noise.shape[0], -1, self.base, self.base)
        else:
            x = self.head(resize_nearest(onehot, (self.base, self.base)))
        for block, upsample in zip(self.blocks, self.upsample_before):
            x = block(F.interpolate(x, scale_factor=2) if upsample else x, onehot)
        return torch.tanh(self.to_image(F.leaky_relu(x, 0.2)))


class PatchDiscriminator(nn.Module):
    """pix2pixHD's ``NLayerDiscriminator`` (``layers`` = 4): the feature map after every layer, logits last."""

    def __init__(self, in_channels: int, width: int = 64, layers: int = 4):
        super().__init__()
        stages = [nn.Sequential(nn.Conv2d(in_channels, width, 4, stride=2, padding=2), nn.LeakyReLU(0.2))]
        c_in = width
        for index in range(1, layers):
            c_out = min(c_in * 2, 8 * width)
            stride = 1 if index == layers - 1 else 2
            stages.append(nn.Sequential(maybe_spectral_norm(nn.Conv2d(c_in, c_out, 4, stride=stride, padding=2), True),
                                        nn.InstanceNorm2d(c_out, affine=False), nn.LeakyReLU(0.2)))
            c_in = c_out
        stages.append(nn.Conv2d(c_in, 1, 4, stride=1, padding=2))
        self.stages = nn.ModuleList(stages)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        return features


class MultiscaleDiscriminator(nn.Module):
    """``scales`` PatchGANs on the input and its 2×, 4× … average-pooled copies (pix2pixHD Sec. 3.2):
    D(x) → one list of features per scale, the patch logits last in each."""
    output_kind = "logits"

    def __init__(self, in_channels: int, width: int = 64, layers: int = 4, scales: int = 2):
        super().__init__()
        self.scales = nn.ModuleList(PatchDiscriminator(in_channels, width, layers) for _ in range(scales))
        spade_init(self)

    def forward(self, x: torch.Tensor) -> list[list[torch.Tensor]]:
        outputs = []
        for index, patch_gan in enumerate(self.scales):
            if index:
                x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
            outputs.append(patch_gan(x))
        return outputs
