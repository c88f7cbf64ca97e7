"""The 2D mode benchmark (unrolled GAN / VEEGAN / PacGAN protocol).

Train a model on a toy Gaussian mixture (ring8, grid25) for several seeds, draw 2,500 samples from the
trained generator, and count: **modes covered** — modes that receive at least ``min_share`` of the
samples within 3σ of them — and **high-quality %** — the share of samples within 3σ of their nearest
mode. Reported as mean ± std over seeds.

The headline numbers score the generator as trained (``ema=False``), as the protocol's papers do
(Metz et al. 2017, Srivastava et al. 2017 (VEEGAN), Lin et al. 2018 (PacGAN) average no weights); the
same statistics for the EMA generator that ``gankit sample`` uses are reported alongside as ``ema_*``.
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import torch

from .config import TrainConfig
from .data.toy2d import mode_statistics
from .pipelines import sample

NUM_EVAL_SAMPLES = 2500   # PacGAN/VEEGAN score 2,500 generated samples
DEFAULT_MIN_SHARE = 0.01  # a mode counts when ≥1% of all samples lie within 3σ of it


def run_one(job: dict) -> dict:
    """Train one (objective, seed) and score it; runs in a worker process with one thread."""
    from .training import Trainer
    torch.set_num_threads(1)
    config = TrainConfig(model=job["model"], data=job["data"], steps=job["steps"], seed=job["seed"],
                         batch_size=job["batch_size"], objective=job["objective"],
                         regularizers=tuple(job["regularizers"]), log_every=0, sample_every=0,
                         checkpoint_every=0, **{"device": "cpu", **job.get("settings", {})})
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out_dir:
        with warnings.catch_warnings():     # the benchmark, not the user, turned checkpoints off: no warning
            warnings.filterwarnings("ignore", message="checkpoint_every is 0")
            trainer = Trainer(config, out_dir, hooks=[], progress=False)
        try:
            trainer.run()
        except Exception as error:      # a diverged run scores as zero modes, and says why
            return {**job, "modes_covered": 0, "high_quality_share": 0.0, "ema_modes_covered": 0,
                    "ema_high_quality_share": 0.0, "error": str(error), "seconds": time.perf_counter() - started}
    stats = {}
    for prefix, ema in (("", False), ("ema_", True)):
        rng = torch.Generator().manual_seed(10_000 + job["seed"])     # the same latents for both
        points = sample(trainer.gan, NUM_EVAL_SAMPLES, rng=rng, ema=ema)
        scores = mode_statistics(points, trainer.data.modes, trainer.data.mode_std, min_share=job["min_share"])
        stats.update({prefix + key: value for key, value in scores.items()})
    return {**job, **stats, "seconds": time.perf_counter() - started}


def spread(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def summarize(results: list[dict]) -> dict:
    summary = {}
    for prefix in ("", "ema_"):
        modes = [r[prefix + "modes_covered"] for r in results]
        quality = [100.0 * r[prefix + "high_quality_share"] for r in results]
        summary.update({f"{prefix}modes_mean": statistics.fmean(modes), f"{prefix}modes_std": spread(modes),
                        f"{prefix}high_quality_mean": statistics.fmean(quality),
                        f"{prefix}high_quality_std": spread(quality), f"{prefix}modes_per_seed": modes})
    return {**summary, "num_modes": next((r["num_modes"] for r in results if "num_modes" in r), None),
            "seeds": len(results), "seconds_total": round(sum(r["seconds"] for r in results), 1),
            "errors": [r["error"] for r in results if "error" in r]}


def mode_benchmark(model: str, data: str, objectives: list[str | None], seeds: int, steps: int, *,
                   batch_size: int = 256, regularizers=(), min_share: float = DEFAULT_MIN_SHARE,
                   workers: int | None = None, progress=None, settings: dict | None = None) -> dict:
    """{objective name: summary} for each objective (None = the model's default).

    ``settings``: more TrainConfig fields for every run, e.g. ``{"lr_g": 1e-4, "model_args": {"hidden": 256}}``.
    """
    jobs = [dict(model=model, data=data, objective=objective, seed=seed, steps=steps,
                 batch_size=batch_size, regularizers=list(regularizers), min_share=min_share,
                 settings=dict(settings or {}))
            for objective in objectives for seed in range(seeds)]
    workers = workers or min(len(jobs), os.cpu_count() or 1)
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = []
            for result in pool.map(run_one, jobs):
                results.append(result)
                if progress:
                    progress(result)
    else:
        results = []
        for job in jobs:
            results.append(run_one(job))
            if progress:
                progress(results[-1])
    return {str(objective or "default"): summarize([r for r in results if r["objective"] == objective])
            for objective in objectives}


def format_table(summaries: dict, data: str) -> str:
    lines = [f"{'objective':<16} {'modes (' + data + ')':>18} {'high-quality %':>16}"]
    for name, s in summaries.items():
        lines.append(f"{name:<16} {s['modes_mean']:>8.2f} ± {s['modes_std']:<5.2f}/{s['num_modes']:<3} "
                     f"{s['high_quality_mean']:>8.1f} ± {s['high_quality_std']:.1f}")
    return "\n".join(lines)


