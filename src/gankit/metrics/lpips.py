"""LPIPS on VGG-16 (Zhang et al. 2018, "The Unreasonable Effectiveness of Deep Features as a Perceptual
Metric", Eq. 1): the distance perceptual path length is measured with (Karras et al. 2019, Sec. 4.2).

    d(x, y) = Σ_l  mean_{h,w}  ‖ w_l ⊙ (x̂_l − ŷ_l) ‖²

where x̂_l is VGG-16's activation at relu1_2, relu2_2, relu3_3, relu4_3 and relu5_3 (l = 1..5), unit-normalised
over channels at every pixel, and w_l the learned per-channel weights (the ``lpips`` package's 1×1 "lin"
layers, which weight the squared difference: Σ_c w_lc (x̂_lc − ŷ_lc)²). Images in [−1, 1] are first shifted
and scaled as the package's ``ScalingLayer`` does ((x − shift) / scale, shift (−.030, −.088, −.188), scale
(.458, .448, .450)), and used at their own size (no resize), as the package does.

Weights, both read with ``weights_only=True`` and never downloaded: torchvision's VGG-16 state dict (see
:mod:`gankit.metrics.vgg16`: ``--vgg16``-style lookup, ``$GANKIT_VGG16_WEIGHTS``, gankit's cache, torch
hub's) and the ``lpips`` package's linear weights ``weights/v0.1/vgg.pth`` (keys ``lin0.model.1.weight`` ..
``lin4.model.1.weight``, each (1, C_l, 1, 1)): given as a path, ``$GANKIT_LPIPS_WEIGHTS``, ``lpips-vgg.pth`` in
gankit's cache, or found inside an installed ``lpips`` package (located, not imported).
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import torch

from ..data.download import cache_dir
from ..errors import GankitError
from .features import given_weights
from .vgg16 import VGG16, load_vgg16

WEIGHTS_ENV = "GANKIT_LPIPS_WEIGHTS"
CACHE_FILE = "lpips-vgg.pth"
PACKAGE_FILE = Path("weights") / "v0.1" / "vgg.pth"
# torchvision's vgg16.features index of the ReLU ending each of LPIPS's five slices (relu1_2 ... relu5_3)
VGG_TAPS = (3, 8, 15, 22, 29)
VGG_CHANNELS = (64, 128, 256, 512, 512)
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
LINEAR_KEYS = tuple(f"lin{index}.model.1.weight" for index in range(len(VGG_TAPS)))
REMEDY = "use vgg.pth from the lpips package (pip install --no-deps lpips; lpips/weights/v0.1/vgg.pth)"


def unit_normalize(features: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    """Each pixel's channel vector divided by its length (+ eps), as the lpips package's ``normalize_tensor``."""
    return features / (features.square().sum(dim=1, keepdim=True).sqrt() + eps)


def layer_distance(features_a: list[torch.Tensor], features_b: list[torch.Tensor],
                   weights: list[torch.Tensor] | None = None) -> torch.Tensor:
    """(N,) Σ_l mean_hw Σ_c w_lc (â_lc − b̂_lc)² over unit-normalised activations (Zhang et al. 2018, Eq. 1);
    ``weights`` None: every channel weighs 1 (the paper's uncalibrated baseline, ``lpips=False``)."""
    total = 0.0
    for index, (a, b) in enumerate(zip(features_a, features_b)):
        squared = (unit_normalize(a) - unit_normalize(b)).square()
        if weights is not None:
            squared = squared * weights[index].to(squared).view(1, -1, 1, 1)
        total = total + squared.sum(dim=1).mean(dim=(1, 2))
    return total


def locate_lpips_weights(path: str | os.PathLike | None = None) -> Path | None:
    """The given path, ``$GANKIT_LPIPS_WEIGHTS``, gankit's cache, or an installed lpips package's file; None
    when none is named or found (a named file that does not exist is a one-line error)."""
    explicit = given_weights(path, WEIGHTS_ENV, "LPIPS", REMEDY)
    if explicit is not None:
        return explicit
    if (cache_dir() / CACHE_FILE).is_file():
        return cache_dir() / CACHE_FILE
    spec = importlib.util.find_spec("lpips")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            if (Path(folder) / PACKAGE_FILE).is_file():
                return Path(folder) / PACKAGE_FILE
    return None


def load_linear_weights(path: Path) -> list[torch.Tensor]:
    """The five (C_l,) channel weights from the lpips package's vgg.pth, or a one-line error naming the file."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:    # truncated, not a torch file, or pickled code refused by weights_only
        raise GankitError(f"cannot read LPIPS weights {path} ({type(error).__name__}); {REMEDY}") from None
    weights = []
    for key, channels in zip(LINEAR_KEYS, VGG_CHANNELS):
        value = state.get(key) if isinstance(state, dict) else None
        if not isinstance(value, torch.Tensor) or value.shape != (1, channels, 1, 1):
            found = "missing" if value is None else f"shaped {tuple(getattr(value, 'shape', ()))}"
            raise GankitError(f"{path} is not the lpips package's VGG linear weights ({key} is {found}, expected "
                              f"(1, {channels}, 1, 1)); {REMEDY}")
        weights.append(value.flatten().float())
    return weights


class LPIPS:
    """``LPIPS(vgg, weights)(a, b)`` → (N,) distances of images in [−1, 1] (N, 3, H, W); gray repeated to 3."""
    name = "lpips-vgg16"

    def __init__(self, vgg: VGG16, weights: list[torch.Tensor]):
        self.vgg, self.weights = vgg.eval(), weights
        self.shift = torch.tensor(SHIFT).view(1, 3, 1, 1)
        self.scale = torch.tensor(SCALE).view(1, 3, 1, 1)

    def activations(self, images: torch.Tensor) -> list[torch.Tensor]:
        x = (images.expand(-1, 3, -1, -1) - self.shift.to(images)) / self.scale.to(images)
        outputs = []
        for index, layer in enumerate(self.vgg.features[:VGG_TAPS[-1] + 1]):
            x = layer(x)
            if index in VGG_TAPS:
                outputs.append(x)                    # (the layer after each tap is a max-pool: x is kept)
        return outputs

    def __call__(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return layer_distance(self.activations(a), self.activations(b), self.weights)


def load_lpips(vgg16_path=None, lpips_path=None, device="cpu") -> LPIPS:
    """LPIPS from the two weight files (found as described above), or a one-line error naming what is missing."""
    found = locate_lpips_weights(lpips_path)
    if found is None:
        raise GankitError(f"LPIPS weights not found: put the lpips package's vgg.pth in {cache_dir() / CACHE_FILE}, "
                          f"point ${WEIGHTS_ENV} at it, or {REMEDY}")
    weights = load_linear_weights(found)
    return LPIPS(load_vgg16(vgg16_path, device), [w.to(device) for w in weights])
