"""LAPGAN's Laplacian pyramid and per-level nets (Denton et al. 2015, arXiv:1506.05751).

Pyramid (Sec. 3.2, after Burt & Adelson 1983). ``d(.)`` blurs with a 2×2 box filter and decimates by two
(= ``avg_pool2d(2)``, the area resize gankit uses everywhere, so a level's real images are exactly the data
resized to that size); ``u(.)`` is bilinear ×2 with half-pixel centres (the [1, 3, 3, 1]/4 tent kernel on a
zero-inserted image, borders replicated). The reference code (facebookarchive/eyescream,
``cifar/datasets/coarse_to_fine_cifar10.lua``) uses torch's bilinear ``image.scale`` both ways. Any linear
pair makes an exact pyramid: with the Gaussian pyramid I_{k+1} = d(I_k) and the coefficients
h_k = I_k − u(I_{k+1}) (Eq. 3), the backward recurrence I_k = u(I_{k+1}) + h_k (Eq. 4) gives back I_0.

Lists run coarse → fine here: ``sizes`` [8, 16, 32], level 0 the coarsest (the paper's K).

Nets (Sec. 4, CIFAR-10): the coarsest level is an unconditional GAN of dense nets with two hidden ReLU layers,
1200 units in G, 600 with dropout in D, z_K 100-d uniform in [−1, 1]. Every finer level k has a conv G of 3
layers and a conv D of 2 (the reference code's ``train_cifar_coarse_to_fine.lua``: G 7×7, 7×7, 5×5 convs
with 128 maps; D 5×5 and 5×5 stride 2 with 128 maps, dropout, one linear unit). G_k takes the low-pass
l_k = u(I_{k+1}) with a noise plane as a 4th colour plane and returns the residual h̃_k; D_k judges
l_k + h (h real or generated) given l_k: ``condition="concat"`` stacks [l_k + h, l_k] (2C channels, a
conditional D in the sense of Mirza & Osindero), ``"sum"`` gives D only l_k + h (the reference code's
``CAddTable``). Deviations: tanh on the coarse G's output (data in [−1, 1]); 'same' padding in D (any size
≥ 8 works); the coarse D uses leaky ReLU (nets/image_mlp.py's D); D's dropout is an option (the recipe's
default is 0, see recipes/lapgan.py).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import GankitError
from .blocks import Reshape
from .image_mlp import MLPImageDiscriminator
from .mlp import MLPGenerator

CONDITIONS = ("concat", "sum")


def downsample(images: torch.Tensor) -> torch.Tensor:
    """d(.): 2×2 box blur and decimation by two (Denton et al. 2015, Sec. 3.2)."""
    return F.avg_pool2d(images, 2)


def upsample(images: torch.Tensor) -> torch.Tensor:
    """u(.): ×2 bilinear (half-pixel centres, borders replicated) (Denton et al. 2015, Sec. 3.2)."""
    return F.interpolate(images, scale_factor=2, mode="bilinear", align_corners=False)


def pyramid_sizes(image_size: int, levels: int | None = None) -> list[int]:
    """The level sizes coarse → fine. ``levels`` None: halve while the half is even-split and ≥ 8 px
    (32 → [8, 16, 32], 64 → [8, …, 64], 28 → [14, 28], 16 → [8, 16]). A given ``levels`` needs
    image_size divisible by 2^(levels − 1) with a coarsest level of at least 4 px (28 with levels=3: 7, 14, 28)."""
    if levels is None:
        levels = 1
        while image_size % 2 ** levels == 0 and image_size // 2 ** levels >= 8:
            levels += 1
    if not isinstance(levels, int) or levels < 2:
        raise GankitError(f"lapgan needs at least 2 pyramid levels, got levels={levels!r}; use an image size "
                          "of 16 px or more (e.g. --image-size 32)")
    coarsest, rest = divmod(image_size, 2 ** (levels - 1))
    if rest or coarsest < 4:
        raise GankitError(f"lapgan cannot split {image_size} px into {levels} levels (each half exact, the "
                          f"coarsest ≥ 4 px); use --image-size 32 (8 → 16 → 32) or fewer levels")
    return [coarsest * 2 ** level for level in range(levels)]


def gaussian_pyramid(images: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """[I_K, …, I_1, I_0] (coarse → fine): I_{k+1} = d(I_k), I_0 the images (Sec. 3.2)."""
    pyramid = [images]
    for _ in range(levels - 1):
        pyramid.insert(0, downsample(pyramid[0]))
    return pyramid


def laplacian_pyramid(images: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """[I_K, h_{K−1}, …, h_0] (coarse → fine): the low-pass residual I_K, then h_k = I_k − u(I_{k+1}) (Eq. 3)."""
    gaussian = gaussian_pyramid(images, levels)
    return [gaussian[0]] + [fine - upsample(coarse) for coarse, fine in zip(gaussian, gaussian[1:])]


def reconstruct(coefficients: list[torch.Tensor]) -> torch.Tensor:
    """I_0 from [I_K, h_{K−1}, …, h_0] by the backward recurrence I_k = u(I_{k+1}) + h_k (Eq. 4)."""
    image = coefficients[0]
    for residual in coefficients[1:]:
        image = upsample(image) + residual
    return image


class ResidualGenerator(nn.Module):
    """G_k: [l_k, z_k] (C + 1 planes) → conv 7×7, ReLU, conv 7×7, ReLU, conv 5×5 → h̃_k (C planes, linear)."""

    def __init__(self, channels: int, width: int):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(channels + 1, width, 7, padding=3), nn.ReLU(),
                                 nn.Conv2d(width, width, 7, padding=3), nn.ReLU(),
                                 nn.Conv2d(width, channels, 5, padding=2))

    def forward(self, condition: torch.Tensor, noise_plane: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([condition, noise_plane], dim=1))


class ResidualDiscriminator(nn.Module):
    """D_k(l_k + h | l_k): conv 5×5, ReLU, conv 5×5 stride 2, ReLU, dropout, linear → one logit."""
    output_kind = "logits"

    def __init__(self, channels: int, width: int, size: int, condition: str = "concat", dropout: float = 0.5):
        super().__init__()
        self.condition = condition
        planes = 2 * channels if condition == "concat" else channels
        half = (size + 1) // 2
        self.net = nn.Sequential(nn.Conv2d(planes, width, 5, padding=2), nn.ReLU(),
                                 nn.Conv2d(width, width, 5, stride=2, padding=2), nn.ReLU(), nn.Flatten(),
                                 nn.Dropout(dropout), nn.Linear(width * half * half, 1))

    def forward(self, images: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        inputs = torch.cat([images, condition], dim=1) if self.condition == "concat" else images
        return self.net(inputs).squeeze(1)


class CoarseDiscriminator(MLPImageDiscriminator):
    """D_K(I_K): the unconditional coarsest level (a ``condition`` argument, None, for a uniform call)."""

    def forward(self, images: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        return super().forward(images)


class Conditioned(nn.Module):
    """A level's D with its condition l_k held fixed: what gradient penalties and regularizers see, so that
    their gradients are taken w.r.t. the judged image only (the condition is data, like a class label)."""
    output_kind = "logits"

    def __init__(self, net: nn.Module, condition: torch.Tensor | None):
        super().__init__()
        self.net, self.condition = net, condition

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images, self.condition)


class LaplacianGenerator(nn.Module):
    """All levels' generators. The latent of a sample packs every level's noise: z_K (``noise_dim``) then
    one noise plane per finer level (size² values each), so a latent fixes the whole chain."""

    def __init__(self, sizes: list[int], channels: int, noise_dim: int = 100, hidden: int = 1200,
                 width: int = 128):
        super().__init__()
        self.sizes, self.channels, self.noise_dim = list(sizes), channels, noise_dim
        self.latent_dim = noise_dim + sum(size * size for size in sizes[1:])
        coarse = sizes[0]
        self.coarse = nn.Sequential(MLPGenerator(noise_dim, hidden, 2, channels * coarse * coarse), nn.Tanh(),
                                    Reshape(channels, coarse, coarse))
        self.refiners = nn.ModuleList(ResidualGenerator(channels, width) for _ in sizes[1:])

    def split_latent(self, z: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(z_K, [noise plane (N, 1, s, s) of each finer level])."""
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise GankitError(f"a lapgan latent has {self.latent_dim} values per sample (z_K {self.noise_dim} + "
                              f"noise planes {self.sizes[1:]} px), got shape {tuple(z.shape)}")
        parts = torch.split(z, [self.noise_dim] + [size * size for size in self.sizes[1:]], dim=1)
        return parts[0], [part.reshape(-1, 1, size, size) for part, size in zip(parts[1:], self.sizes[1:])]

    def conditioned(self, z: torch.Tensor, conditions: list[torch.Tensor]) -> list[torch.Tensor]:
        """Training's fakes: [G_K(z_K)] + [l_k + G_k(l_k, z_k)] for the given low-pass images l_k (the real
        u(I_{k+1}) in training, Sec. 3.3), coarse → fine, unclamped."""
        coarse_noise, planes = self.split_latent(z)
        return [self.coarse(coarse_noise)] + [condition + refiner(condition, plane) for refiner, condition, plane
                                              in zip(self.refiners, conditions, planes)]

    def levels(self, z: torch.Tensor) -> list[torch.Tensor]:
        """Sampling (Sec. 3.3, Fig. 1): Ĩ_K = G_K(z_K), then Ĩ_k = u(Ĩ_{k+1}) + G_k(u(Ĩ_{k+1}), z_k), each
        clamped to [−1, 1] (the range of the real low-pass images G_k was trained on); coarse → fine."""
        coarse_noise, planes = self.split_latent(z)
        outputs = [self.coarse(coarse_noise).clamp(-1.0, 1.0)]
        for refiner, plane in zip(self.refiners, planes):
            condition = upsample(outputs[-1])
            outputs.append((condition + refiner(condition, plane)).clamp(-1.0, 1.0))
        return outputs

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.levels(z)[-1]


class LaplacianDiscriminator(nn.Module):
    """All levels' discriminators; ``forward(images)`` scores the real pyramid of full-size images,
    (N, levels) logits: D_K(I_K) and D_k(I_k | u(I_{k+1}))."""
    output_kind = "logits"

    def __init__(self, sizes: list[int], channels: int, hidden: int = 600, width: int = 128,
                 condition: str = "concat", dropout: float = 0.5):
        super().__init__()
        if condition not in CONDITIONS:
            raise GankitError(f"lapgan's condition must be one of {', '.join(CONDITIONS)}, got {condition!r}")
        self.sizes = list(sizes)
        coarse = sizes[0]
        self.coarse = CoarseDiscriminator(channels * coarse * coarse, (hidden, hidden), dropout)
        self.refiners = nn.ModuleList(ResidualDiscriminator(channels, width, size, condition, dropout)
                                      for size in sizes[1:])

    def level_nets(self) -> list[nn.Module]:
        return [self.coarse, *self.refiners]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        pyramid = gaussian_pyramid(images, len(self.sizes))
        conditions = [None] + [upsample(coarse) for coarse in pyramid[:-1]]
        return torch.stack([net(image, condition) for net, image, condition
                            in zip(self.level_nets(), pyramid, conditions)], dim=1)
