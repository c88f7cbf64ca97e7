"""The Python API: create a GAN by name, train it, load a finished run, evaluate it."""
from __future__ import annotations

import os
from pathlib import Path

import torch

from .config import TrainConfig, check_seed, load_config
from .errors import GankitError
from .pipelines import run_context, sample
from .recipes.base import GAN
from .recipes.factory import create
from .metrics import compare
from .metrics.sources import check_counts
from .registry import DATASETS, METRICS, MODELS, OBJECTIVES, REGULARIZERS
from .runtime import resolve_device
from .training import checkpoint as ckpt


def list_models(pattern: str = "*") -> list[str]:
    return MODELS.names(pattern)


def list_datasets(pattern: str = "*") -> list[str]:
    return DATASETS.names(pattern)


def list_objectives(pattern: str = "*") -> list[str]:
    return OBJECTIVES.names(pattern)


def list_regularizers(pattern: str = "*") -> list[str]:
    return REGULARIZERS.names(pattern)


def list_metrics(pattern: str = "*") -> list[str]:
    return METRICS.names(pattern)


def train(config: TrainConfig | None = None, out_dir: str | Path = "runs/run", *, resume: bool = False,
          progress: bool = True, **config_values):
    """Train from a TrainConfig (or its fields as keywords) into ``out_dir``; returns the Trainer."""
    from .training import Trainer
    if config is not None and not isinstance(config, TrainConfig):
        raise GankitError(f"train takes a TrainConfig (or its fields as keywords), got {type(config).__name__}; "
                          "e.g. gankit.train(model='dcgan', data='mnist', steps=200)")
    if not isinstance(out_dir, (str, os.PathLike)):
        raise GankitError(f"out_dir must be a path (the run folder), got {out_dir!r}")
    if config is None:
        config = TrainConfig.from_dict(config_values)         # unknown or missing keys: one line
    return Trainer(config, out_dir, resume=resume, progress=progress).run()


def load(run: str | Path, checkpoint: str | Path | None = None, device: str | None = "auto") -> GAN:
    """A trained GAN (weights, EMA generator, config) from a run folder or a checkpoint file, on ``device``
    (``"auto"``: cuda when available, else cpu)."""
    device = resolve_device(device)          # a device this machine lacks fails before any loading
    for name, path in (("run", run), ("checkpoint", checkpoint)):
        if path is not None and not isinstance(path, (str, os.PathLike)):
            raise GankitError(f"{name} must be a path (a run folder or a checkpoint file), got {path!r}")
    payload = ckpt.load_checkpoint(Path(checkpoint) if checkpoint else Path(run))
    build_args = dict(payload["build_args"])
    gan = create(build_args.pop("name"), **build_args)
    gan.load_state_dict(payload["model"])
    gan.load_recipe_state(payload["recipe_state"])
    gan.config = TrainConfig.from_dict(payload["config"])
    gan.step = int(payload["step"])
    return gan.to(device).eval()


def sample_run(path: str | Path, num: int, *, seed: int = 0, batch_size: int = 100, device: str = "auto"):
    """``num`` images (float, [-1, 1], CPU) of a run folder's or checkpoint's EMA generator, seeded: how the
    metrics measure a run source (they are handed this function; metrics import no api)."""
    path = Path(path)
    gan = load(path.parent if path.is_file() else path, checkpoint=path if path.is_file() else None, device=device)
    return sample(gan, num, None, rng=torch.Generator().manual_seed(seed), batch_size=batch_size).cpu()


def fid(source_a, source_b, **options) -> dict:
    """FID between two sources, as `gankit fid A B --json` prints it: :func:`gankit.metrics.compare.fid`
    (same options) with run folders and checkpoints among the sources sampled by :func:`sample_run`."""
    return compare.fid(source_a, source_b, sample_run=sample_run, **options)


def run_config(run: str | Path) -> TrainConfig:
    path = Path(run) / "config.json"
    if not path.exists():
        raise GankitError(f"{run} is not a gankit run folder (no config.json); train with `gankit train ... --out {run}`")
    return load_config(path)


def evaluate(run: str | Path, metric: str, num: int = 1000, *, seed: int = 0, batch_size: int = 100,
             device: str | None = None, classifier_path: str | Path | None = None, progress: bool = False) -> dict:
    from .training.evaluation import evaluate as evaluate_gan
    check_counts(num, batch_size)                # before loading: a bad count fails in one line, at once
    check_seed(seed)
    gan = load(run, device=device)
    classifier = Path(classifier_path) if classifier_path else None
    return evaluate_gan(gan, gan.config, metric, num, seed=seed, batch_size=batch_size, run_dir=Path(run),
                        classifier_path=classifier, progress=progress, context=run_context(gan, gan.config, gan.step))


def parameter_counts(pattern: str = "*") -> dict:
    """``{model: {"shape", "generator", "discriminator"}}``: parameters of each registered model built with
    its defaults (its paper configuration) for its ``paper_shape`` meta, else 1×28×28 (2 for 2-D data);
    conditional models with 10 classes."""
    from .registry import MODELS
    counts = {}
    for name in MODELS.names(pattern):
        meta = MODELS.entry(name).meta
        shape = tuple(meta.get("paper_shape", (2,) if meta.get("data") in ("ring8", "grid25") else (1, 28, 28)))
        gan = create(name, sample_shape=shape, num_classes=10)
        counts[name] = {"shape": list(shape),
                        "generator": sum(p.numel() for p in gan.generator.parameters()),
                        "discriminator": sum(p.numel() for p in gan.discriminator.parameters())}
    return counts
