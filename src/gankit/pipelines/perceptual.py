"""The perceptual term of GAN inversion: feature-map distances of a fixed ImageNet network.

Image2StyleGAN (Abdal et al. 2019, Sec. 5, Eq. 2) measures
    L_percept(I₁, I₂) = Σ_j λ_j / N_j ‖F_j(I₁) − F_j(I₂)‖²₂,
F_j the outputs of VGG-16's conv1_1, conv1_2, conv3_2 and conv4_2, N_j their number of scalars, λ_j = 1.
gankit reads these after their ReLU (torchvision's ``features.1/3/13/20``) from torchvision's VGG-16 state dict
(:mod:`gankit.metrics.vgg16`, no torchvision needed) when the user supplies it (``--vgg16 FILE``,
``$GANKIT_VGG16_WEIGHTS`` or the file in gankit's / torch hub's cache).

Those weights are not installed offline. Without them gankit uses a **substitute**, named so in every result:
the stem of the TF-Inception of FID (:mod:`gankit.metrics.inception`, whose weights are installed), tapped after
``Conv2d_1a_3x3`` (½ resolution), ``Conv2d_2b_3x3`` (½), ``Conv2d_3b_1x1`` (¼) and ``Conv2d_4a_3x3`` (¼) — the
same kind of early, local features at similar strides as VGG's four layers, not the same numbers.

Input sizes: the images (in [−1, 1], gray repeated to RGB) are resized to ``size`` pixels before the network:
bilinearly with antialiasing (area-like) when shrinking — StyleGAN2-ADA's projector likewise shrinks its targets
to 256 for its VGG-16 distance — and bilinearly when enlarging. :func:`default_size` is the image's size held
to [64, 256]: a 32 px Fashion-MNIST image is seen at 64 px (at 256 the TF-Inception stem costs ~18x more on a
CPU; at 32 px its 3×3 stem leaves 4×4 maps at ``Conv2d_4a_3x3``).
"""
from __future__ import annotations

import os
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import GankitError
from ..metrics.inception_weights import load_inception
from ..metrics.vgg16 import IMAGENET_MEAN, IMAGENET_STD, WEIGHTS_ENV, find_vgg16_weights, load_vgg16

VGG16_TAPS = {1: "conv1_1", 3: "conv1_2", 13: "conv3_2", 20: "conv4_2"}     # torchvision features.N (after ReLU)
INCEPTION_STEM = ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "max_pool", "Conv2d_3b_1x1", "Conv2d_4a_3x3")
INCEPTION_TAPS = ("Conv2d_1a_3x3", "Conv2d_2b_3x3", "Conv2d_3b_1x1", "Conv2d_4a_3x3")
MIN_SIZE, MAX_SIZE = 64, 256


def default_size(image_size: int) -> int:
    """The perceptual network's input size for images of ``image_size`` pixels (see the module docstring)."""
    return min(max(image_size, MIN_SIZE), MAX_SIZE)


class PerceptualLoss(nn.Module):
    """Σ_j mean((F_j(a) − F_j(b))²) per image (Image2StyleGAN Eq. 2 with λ_j = 1), for a trunk of layers.

    ``trunk``: the network's layers in order; ``taps``: {index in trunk: layer name}; ``prepare``: [−1, 1] RGB →
    the network's input range; ``net``: what the results call the network."""

    def __init__(self, trunk: nn.Sequential, taps: dict, prepare, net: str, size: Optional[int] = None):
        super().__init__()
        self.trunk = trunk.eval().requires_grad_(False)
        self.taps, self.prepare, self.net, self.size = dict(taps), prepare, net, size
        self.last_tap = max(self.taps)

    @property
    def layers(self) -> list[str]:
        return [self.taps[index] for index in sorted(self.taps)]

    def describe(self, image_size: int) -> dict:
        return {"net": self.net, "layers": self.layers, "size": self.input_size(image_size)}

    def input_size(self, image_size: int) -> int:
        return self.size or default_size(image_size)

    def features(self, images: torch.Tensor) -> list[torch.Tensor]:
        """(N, 1 or 3, H, W) in [−1, 1] → the tapped feature maps, in layer order."""
        size = self.input_size(images.shape[-1])
        x = images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images
        if x.shape[-2:] != (size, size):
            x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False,
                              antialias=size < x.shape[-1])
        x = self.prepare(x)
        found = []
        for index, layer in enumerate(self.trunk[:self.last_tap + 1]):
            x = layer(x)
            if index in self.taps:
                found.append(x)
        return found

    @staticmethod
    def distance(features_a: list[torch.Tensor], features_b: list[torch.Tensor]) -> torch.Tensor:
        """Σ_j (1/N_j)‖F_j(a) − F_j(b)‖² per image: (N,)."""
        return sum((a - b).pow(2).flatten(1).mean(1) for a, b in zip(features_a, features_b))


def vgg16_loss(weights=None, device="cpu", size: Optional[int] = None) -> PerceptualLoss:
    """Image2StyleGAN's layers of torchvision's VGG-16 (inputs normalised with ImageNet's mean and std on [0, 1])."""
    model = load_vgg16(weights, device)
    mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1)
    return PerceptualLoss(model.features, VGG16_TAPS, lambda x: ((x + 1) / 2 - mean) / std,
                          f"vgg16 ({model.weights_path.name})", size)


def inception_stem_loss(model=None, device="cpu", size: Optional[int] = None) -> PerceptualLoss:
    """The offline substitute: TF-Inception's stem (its input range is [−1, 1], as the images' already)."""
    model = load_inception(device=device) if model is None else model.to(device)
    layers = [nn.MaxPool2d(kernel_size=3, stride=2) if name == "max_pool" else getattr(model, name)
              for name in INCEPTION_STEM]
    taps = {INCEPTION_STEM.index(name): name for name in INCEPTION_TAPS}
    return PerceptualLoss(nn.Sequential(*layers), taps, lambda x: x,
                          f"substitute: tf-inception {', '.join(INCEPTION_TAPS)} (VGG-16 weights not given)", size)


def perceptual_loss(vgg16=None, device="cpu", size: Optional[int] = None) -> PerceptualLoss:
    """VGG-16 when its weights are given or found (:func:`gankit.metrics.vgg16.find_vgg16_weights`), else the
    TF-Inception substitute. Weights that were asked for (``vgg16``, ``$GANKIT_VGG16_WEIGHTS``) must load."""
    if size is not None and not (isinstance(size, int) and 16 <= size <= 1024):
        raise GankitError(f"the perceptual size must be an integer number of pixels in 16..1024, got {size!r}")
    try:
        find_vgg16_weights(vgg16)
    except GankitError:
        if vgg16 or os.environ.get(WEIGHTS_ENV):
            raise
        return inception_stem_loss(device=device, size=size)
    return vgg16_loss(vgg16, device, size)
