"""The image-quality metrics of ``gankit eval``: FID, KID, IS and precision/recall/density/coverage.

Each comes in two feature backends: the TF-Inception (``fid``, ``kid``, ``is``, ``pr``; the papers'
protocol) and the MNIST classifier (``fid-mnist``, ``kid-mnist``, ``is-mnist``, ``pr-mnist``; fast, for
MNIST-like 28x28 data). ``ctx.num_samples`` images are generated (seeded) and compared with the first
``num_samples`` images of the run's training data at the run's image size (statistics cached); both
sides are rounded to 8-bit pixels, as saved images are. Gray images are repeated to 3 channels for the
Inception. The ``metric`` field names the protocol, e.g.
``fid_tf-inception-pool3-2048_n2000_vs_fashion-mnist-train``; ``protocol`` names the features alone, as
`gankit fid --json` does (``pr_tf-inception-pool3-2048_k3`` for precision/recall: Inception features, not
the papers' VGG-16, see :func:`gankit.metrics.suite.pr_protocol`), and ``n_fake``/``n_real`` the counts.

``fid-mnist`` and ``classifier-fid`` (``conditional.py``) use the same MNIST-classifier features but not
the same protocol: ``classifier-fid`` feeds the float samples (no 8-bit rounding) and compares them with a
random training subset drawn with ``--seed``. Their values differ (much at small n); compare a value only
with the same metric at the same n.
"""
from __future__ import annotations

from functools import lru_cache

import torch

from ..errors import GankitError
from ..registry import register_metric
from .context import EvalContext
from .features import FeatureExtractor, make_extractor
from .fid import fid_from_stats
from .inception_score import check_split_sizes, inception_score, missing_classifier_message
from .kid import kernel_inception_distance
from .precision_recall import manifold_metrics
from .sources import dataset_features, dataset_stats, tensor_features
from .suite import pr_protocol

BACKEND_SUFFIXES = {"inception": "", "mnist-classifier": "-mnist"}
IS_SPLITS = 10              # the Inception Score's splits, as in Salimans et al. 2016's reference code


@lru_cache(maxsize=4)
def cached_extractor(backend: str, device: str, weights: str | None = None) -> FeatureExtractor:
    return make_extractor(backend, device=device, weights=weights)


def _extractor(ctx: EvalContext, backend: str) -> FeatureExtractor:
    """The backend on ctx.device; the MNIST classifier from ``--classifier`` when one is given."""
    weights = str(ctx.classifier_path) if backend == "mnist-classifier" and ctx.classifier_path else None
    return cached_extractor(backend, str(torch.device(ctx.device)), weights)


def _fake_features(ctx: EvalContext, extractor: FeatureExtractor, minimum: int = 1):
    if ctx.num_samples < minimum:
        raise GankitError(f"this metric needs at least {minimum} samples; raise --num")
    with torch.no_grad():
        images = ctx.sample(ctx.num_samples, None)
    return tensor_features(images.cpu(), extractor, ctx.batch_size, ctx.progress, origin="samples")


def _reference(ctx: EvalContext) -> tuple[str, object]:
    """The run's training data, loaded before the samples' feature pass: a dataset that is missing fails
    at once, not after minutes of generated-sample features."""
    return f"{ctx.data_name}-train", ctx.load_data("train")


def fid_metric(ctx: EvalContext, backend: str) -> dict:
    extractor = _extractor(ctx, backend)
    label, data = _reference(ctx)
    fake = _fake_features(ctx, extractor, 2).stats(extractor.name)
    real = dataset_stats(ctx.data_name, "train", extractor, ctx.num_samples, ctx.batch_size, ctx.progress, data)
    return {"metric": f"fid_{extractor.name}_n{fake.n}_vs_{label}", "value": fid_from_stats(fake, real),
            "protocol": extractor.name, "n_fake": fake.n, "n_real": real.n}


def kid_metric(ctx: EvalContext, backend: str) -> dict:
    extractor = _extractor(ctx, backend)
    label, data = _reference(ctx)
    fake = _fake_features(ctx, extractor, 2)
    real = dataset_features(ctx.data_name, "train", extractor, ctx.num_samples, ctx.batch_size, ctx.progress, data)
    result = kernel_inception_distance(real.features, fake.features, seed=ctx.seed)
    return {"metric": f"kid_{extractor.name}_n{len(fake.features)}_vs_{label}", "value": result["kid"],
            "protocol": extractor.name, "n_fake": len(fake.features), "n_real": len(real.features),
            "kid_std": result["kid_std"], "subset_size": result["subset_size"], "subsets": result["num_subsets"]}


def pr_metric(ctx: EvalContext, backend: str) -> dict:
    extractor = _extractor(ctx, backend)
    label, data = _reference(ctx)
    fake = _fake_features(ctx, extractor, 6)
    real = dataset_features(ctx.data_name, "train", extractor, ctx.num_samples, ctx.batch_size, ctx.progress, data)
    result = manifold_metrics(real.features, fake.features)
    return {"metric": f"precision_{extractor.name}_n{len(fake.features)}_vs_{label}",
            "value": result["precision"], "protocol": pr_protocol(extractor.name), "n_fake": len(fake.features),
            "n_real": len(real.features), **result}


def is_metric(ctx: EvalContext, backend: str) -> dict:
    check_split_sizes(ctx.num_samples, IS_SPLITS, samples="samples (--num)", splits_option=None)
    extractor = _extractor(ctx, backend)
    if not extractor.has_logits:
        raise GankitError(missing_classifier_message(extractor.weights_path, None, "use --metric is-mnist"))
    fake = _fake_features(ctx, extractor)
    result = inception_score(fake.logits, splits=IS_SPLITS)
    return {"metric": f"is_{extractor.logits_name}_n{len(fake.logits)}",
            "value": result.pop("is"), "protocol": extractor.logits_name, "n_fake": len(fake.logits), **result}


VERSUS_TRAINING = "--num samples vs the first --num training images, both as 8-bit pixels"
_METRICS = {
    "fid": (fid_metric, f"Fréchet distance (Heusel 2017), {VERSUS_TRAINING}"),
    "kid": (kid_metric, "Kernel Inception Distance, cubic kernel, 100 subsets (Bińkowski 2018), "
            f"{VERSUS_TRAINING}"),
    "pr": (pr_metric, "precision/recall k=3 (Kynkäänniemi 2019) + density/coverage k=5 (Naeem 2020), "
           f"{VERSUS_TRAINING}"),
    "is": (is_metric, f"Inception Score, {IS_SPLITS} splits of at least 2 samples (Salimans 2016)"),
}
BACKEND_FEATURES = {"inception": "TF-Inception features", "mnist-classifier": "MNIST-classifier features"}
NOTES = {"fid-mnist": " (classifier-fid differs: float samples vs a random training subset)"}


def _register_all() -> None:
    for metric, (function, description) in _METRICS.items():
        for backend, suffix in BACKEND_SUFFIXES.items():
            def run(ctx: EvalContext, function=function, backend=backend) -> dict:
                return function(ctx, backend)
            name = f"{metric}{suffix}"
            register_metric(name, help=f"{description}; {BACKEND_FEATURES[backend]}{NOTES.get(name, '')}",
                            backend=backend)(run)


_register_all()
