"""The image-quality metrics of ``gankit eval``: FID, KID, IS and precision/recall/density/coverage.

Each comes in two feature backends: the TF-Inception (``fid``, ``kid``, ``is``, ``pr``; the papers'
protocol) and the MNIST classifier (``fid-mnist``, ``kid-mnist``, ``is-mnist``, ``pr-mnist``; fast, for
MNIST-like 28x28 data). ``ctx.num_samples`` images are generated (seeded) and compared with the first
``num_samples`` images of the run's training data at the run's image size (statistics cached).
Gray images are repeated to 3 channels for the Inception. The ``metric`` field names the protocol,
e.g. ``fid_tf-inception-pool3-2048_n2000_vs_fashion-mnist-train``.
"""
from __future__ import annotations

from functools import lru_cache

import torch

from ..errors import GankitError
from ..registry import register_metric
from .context import EvalContext
from .features import FeatureExtractor, make_extractor
from .fid import fid_from_stats
from .inception_score import inception_score
from .kid import kernel_inception_distance
from .precision_recall import manifold_metrics
from .sources import dataset_features, dataset_stats, tensor_features

BACKEND_SUFFIXES = {"inception": "", "mnist-classifier": "-mnist"}


@lru_cache(maxsize=4)
def cached_extractor(backend: str, device: str, weights: str | None = None) -> FeatureExtractor:
    return make_extractor(backend, device=device, weights=weights)


def _extractor(ctx: EvalContext, backend: str) -> FeatureExtractor:
    """The backend on ctx.device; the MNIST classifier from ``--classifier`` when one is given."""
    weights = str(ctx.classifier_path) if backend == "mnist-classifier" and ctx.classifier_path else None
    return cached_extractor(backend, str(torch.device(ctx.device)), weights)


def _fake_features(ctx: EvalContext, extractor: FeatureExtractor, minimum: int):
    if ctx.num_samples < minimum:
        raise GankitError(f"this metric needs at least {minimum} samples; raise --num")
    with torch.no_grad():
        images = ctx.sample(ctx.num_samples, None)
    return tensor_features(images.cpu(), extractor, ctx.batch_size, ctx.progress, origin="samples")


def _reference(ctx: EvalContext) -> tuple[str, object]:
    return f"{ctx.data_name}-train", ctx.load_data("train")


def fid_metric(ctx: EvalContext, backend: str) -> dict:
    extractor = _extractor(ctx, backend)
    fake = _fake_features(ctx, extractor, 2).stats(extractor.name)
    label, data = _reference(ctx)
    real = dataset_stats(ctx.data_name, "train", extractor, ctx.num_samples, ctx.batch_size, ctx.progress, data)
    return {"metric": f"fid_{extractor.name}_n{fake.n}_vs_{label}", "value": fid_from_stats(fake, real),
            "n_fake": fake.n, "n_real": real.n}


def kid_metric(ctx: EvalContext, backend: str) -> dict:
    extractor = _extractor(ctx, backend)
    fake = _fake_features(ctx, extractor, 2)
    label, data = _reference(ctx)
    real = dataset_features(ctx.data_name, "train", extractor, ctx.num_samples, ctx.batch_size, ctx.progress, data)
    result = kernel_inception_distance(real.features, fake.features, seed=ctx.seed)
    return {"metric": f"kid_{extractor.name}_n{len(fake.features)}_vs_{label}", "value": result["kid"],
            "kid_std": result["kid_std"], "subset_size": result["subset_size"], "subsets": result["num_subsets"]}


def pr_metric(ctx: EvalContext, backend: str) -> dict:
    extractor = _extractor(ctx, backend)
    fake = _fake_features(ctx, extractor, 6)
    label, data = _reference(ctx)
    real = dataset_features(ctx.data_name, "train", extractor, ctx.num_samples, ctx.batch_size, ctx.progress, data)
    result = manifold_metrics(real.features, fake.features)
    return {"metric": f"precision_{extractor.name}_n{len(fake.features)}_vs_{label}",
            "value": result["precision"], **result}


def is_metric(ctx: EvalContext, backend: str) -> dict:
    extractor = _extractor(ctx, backend)
    if not extractor.has_logits:
        raise GankitError("the Inception Score needs the 1008-class classifier, which fid-helper's weights "
                          "lack; put pytorch-fid's pt_inception-2015-12-05-6726825d.pth in the gankit cache "
                          "dir, or use --metric is-mnist")
    fake = _fake_features(ctx, extractor, 10)
    result = inception_score(fake.logits)
    return {"metric": f"is_{extractor.logits_name}_n{len(fake.logits)}",
            "value": result.pop("is"), **result}


_METRICS = {
    "fid": (fid_metric, "Fréchet distance of features, generated vs training data (Heusel 2017)"),
    "kid": (kid_metric, "Kernel Inception Distance, cubic kernel, 100 subsets (Bińkowski 2018)"),
    "pr": (pr_metric, "precision/recall k=3 (Kynkäänniemi 2019) + density/coverage k=5 (Naeem 2020)"),
    "is": (is_metric, "Inception Score, 10 splits (Salimans 2016)"),
}


def _register_all() -> None:
    for metric, (function, description) in _METRICS.items():
        for backend, suffix in BACKEND_SUFFIXES.items():
            def run(ctx: EvalContext, function=function, backend=backend) -> dict:
                return function(ctx, backend)
            register_metric(f"{metric}{suffix}", help=f"{description}; {backend} features",
                            backend=backend)(run)


_register_all()
