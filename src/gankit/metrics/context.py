"""What `gankit eval` hands to a metric: a way to draw samples and the run's data.

Every registered metric is ``metric(ctx: EvalContext) -> dict`` and returns at least
``{"metric": <protocol name>, "value": <float>}`` plus whatever else describes the measurement.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import torch

from ..data.base import Dataset


@dataclass
class EvalContext:
    # (n, labels or None, latent=None) -> float images in [-1, 1], (n, C, H, W), on CPU; deterministic given
    # ctx.seed; ``latent`` (n, D) samples those latents instead of drawing them
    sample: Callable[..., torch.Tensor]
    num_samples: int
    data_name: str                            # registry name of the run's training dataset
    load_data: Callable[[str], Dataset]    # split ('train' | 'test') -> the run's dataset, same size
    num_classes: int = 0
    gan: Any = None                           # the loaded GAN (generator, discriminator, config)
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    batch_size: int = 100
    seed: int = 0
    run_dir: Optional[Path] = None
    classifier_path: Optional[Path] = None    # MNIST classifier weights (else env/cache/ccexam lookup)
    progress: bool = False                    # progress bars for the feature passes (the CLI turns them on)
    # (num, space=, sampling=, epsilon=) -> pairs(start, stop) -> (images at t, images at t + ε) of perceptual path
    # length, raw generator outputs on the model's device (gankit.pipelines.interpolation.PathPairs); None: no
    # generator to walk (metrics/ppl.py)
    path_pairs: Optional[Callable[..., Callable[[int, int], tuple]]] = None
