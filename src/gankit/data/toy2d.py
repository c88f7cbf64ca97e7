"""2-D Gaussian mixtures for watching mode collapse, and the mode statistics used to score them.

- ``ring8``: 8 Gaussians, means evenly spaced on a circle of radius 2, std 0.02 -- the mixture of
  Metz et al. 2017, "Unrolled Generative Adversarial Networks" (arXiv:1611.02163), mixture-of-Gaussians
  experiment (radius and std as in the reference port mk-minchul/unroll_gan ``data.py``). PacGAN's code
  uses the same ring scaled by 1/2 (radius 1, std 0.01); the statistics below are scale-free.
- ``grid25``: 25 Gaussians with means on {-4, -2, 0, 2, 4}^2, std 0.05 -- Lin et al. 2018, "PacGAN"
  (arXiv:1712.04086), following VEEGAN (Srivastava et al. 2017, arXiv:1705.07761); fjxmlzn/PacGAN
  ``synthetic_data_experiments/2DGrid_GAN&PacGAN/config.py``.
Every mode has the same weight. Samples are drawn with a fixed seed (train 0, test 1 unless ``seed``
is given), so a dataset is the same tensor on every call.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import GankitError
from ..registry import register_dataset
from .base import MemoryData

DEFAULT_NUM_SAMPLES = 100_000
HIGH_QUALITY_STDS = 3.0          # VEEGAN / PacGAN: within 3 std of the nearest mode is high quality
_SPLIT_SEEDS = {"train": 0, "test": 1}


def ring_modes(num_modes: int = 8, radius: float = 2.0) -> torch.Tensor:
    angles = torch.arange(num_modes, dtype=torch.float64) * (2 * math.pi / num_modes)
    return torch.stack([radius * torch.cos(angles), radius * torch.sin(angles)], dim=1).float()


def grid_modes(values=(-4.0, -2.0, 0.0, 2.0, 4.0)) -> torch.Tensor:
    axis = torch.tensor(values, dtype=torch.float32)
    x, y = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([x.reshape(-1), y.reshape(-1)], dim=1)


def sample_mixture(modes: torch.Tensor, std: float, num_samples: int,
                   generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``num_samples`` points from the equal-weight isotropic mixture, with their mode indices."""
    labels = torch.randint(len(modes), (num_samples,), generator=generator)
    noise = torch.randn(num_samples, 2, generator=generator) * std
    return modes[labels] + noise, labels


def _mixture_dataset(name: str, modes: torch.Tensor, std: float, split: str, num_samples: int,
                     seed) -> MemoryData:
    if split not in _SPLIT_SEEDS:
        raise GankitError(f"dataset '{name}' has splits 'train' and 'test', not '{split}'")
    if not isinstance(num_samples, int) or num_samples < 1:
        raise GankitError(f"num_samples for '{name}' must be a positive integer, got {num_samples!r}")
    generator = torch.Generator().manual_seed(_SPLIT_SEEDS[split] if seed is None else int(seed))
    points, labels = sample_mixture(modes, std, num_samples, generator)
    return MemoryData(name, {"point": points}, meta={"label": labels}, num_classes=len(modes),
                      class_names=tuple(f"mode {i}" for i in range(len(modes))),
                      modes=modes, mode_std=std, source=f"seeded mixture ({len(modes)} modes)")


@register_dataset("ring8", kind="points", num_modes=8,
                  help="8 Gaussians on a circle of radius 2, std 0.02 (Metz et al. 2017)")
def ring8(*, split="train", num_samples=DEFAULT_NUM_SAMPLES, seed=None, **ignored):
    """Eight-mode ring, (N, 2) points; labels are mode indices."""
    return _mixture_dataset("ring8", ring_modes(8, 2.0), 0.02, split, num_samples, seed)


@register_dataset("grid25", kind="points", num_modes=25,
                  help="25 Gaussians on the grid {-4,-2,0,2,4}^2, std 0.05 (PacGAN / VEEGAN)")
def grid25(*, split="train", num_samples=DEFAULT_NUM_SAMPLES, seed=None, **ignored):
    """Twenty-five-mode grid, (N, 2) points; labels are mode indices."""
    return _mixture_dataset("grid25", grid_modes(), 0.05, split, num_samples, seed)


def _as_cpu_pairs(values) -> torch.Tensor:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu()
    return torch.as_tensor(np.asarray(values), dtype=torch.float64).reshape(-1, 2)


def mode_statistics(points, modes, std: float, min_count: int = 1, min_share: float = 0.0) -> dict:
    """Mode coverage of 2-D samples, following VEEGAN/PacGAN (as computed by fjxmlzn/PacGAN
    ``pacgan/extensions.py::MetricLogger``).

    A sample is *high quality* when its distance to the nearest mode is below 3 ``std``. Each
    high-quality sample is assigned to its nearest mode; a mode is *covered* when it receives at
    least ``max(min_count, min_share * len(points))`` of them. The defaults (``min_count=1``,
    ``min_share=0``) are PacGAN's code: a mode counts if any high-quality sample lands on it (the
    papers score 2,500 generated samples). Returns ``modes_covered``, ``num_modes``,
    ``high_quality_share`` (fraction of all samples that are high quality) and ``samples_per_mode``.
    """
    points, modes = _as_cpu_pairs(points), _as_cpu_pairs(modes)
    if len(points) == 0:
        raise GankitError("mode_statistics needs at least one point")
    distances = torch.cdist(points, modes)
    nearest_distance, nearest_mode = distances.min(dim=1)
    high_quality = nearest_distance < HIGH_QUALITY_STDS * std
    counts = torch.bincount(nearest_mode[high_quality], minlength=len(modes))
    threshold = max(int(min_count), math.ceil(min_share * len(points)))
    return {
        "modes_covered": int((counts >= threshold).sum()),
        "num_modes": len(modes),
        "high_quality_share": float(high_quality.double().mean()),
        "samples_per_mode": counts.tolist(),
    }
