"""Run a registered metric on a GAN: the glue between a trained run and ``gankit.metrics``."""
from __future__ import annotations

from pathlib import Path

import torch

from ..config import TrainConfig
from ..metrics.context import EvalContext
from ..metrics.sources import check_counts
from ..pipelines import SamplingPipeline
from ..pipelines.interpolation import PathPairs
from ..registry import METRICS
from .data import load_training_data


def evaluate(gan, config: TrainConfig, metric: str, num: int, *, seed: int = 0, batch_size: int = 100,
             run_dir: Path | None = None, classifier_path: Path | None = None, progress: bool = False,
             context=None) -> dict:
    """``metric`` of ``gan``'s samples; ``context``: the schedule position to sample at (staged recipes; None:
    training finished)."""
    METRICS.entry(metric)                               # unknown name: one line listing the valid ones
    check_counts(num, batch_size)
    rng = torch.Generator().manual_seed(seed)

    pipeline = SamplingPipeline(gan, context=context)

    def sample(n, labels=None, latent=None):
        return pipeline(n, labels, rng=rng, latent=latent, batch_size=batch_size)

    def load_data(split):
        return load_training_data(config, split)

    def path_pairs(n, **options):
        return PathPairs(gan, n, rng=torch.Generator().manual_seed(seed), context=context, **options)

    ctx = EvalContext(sample=sample, num_samples=num, data_name=config.data, load_data=load_data,
                      num_classes=gan.num_classes, gan=gan, device=gan.device(), batch_size=batch_size,
                      seed=seed, run_dir=run_dir, classifier_path=classifier_path, progress=progress,
                      path_pairs=path_pairs)
    result = METRICS.build(metric, ctx)
    return {"metric": metric, **result} if "metric" not in result else result
