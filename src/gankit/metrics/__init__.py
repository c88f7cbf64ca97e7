"""Metrics: FID, KID, IS, precision/recall/density/coverage (TF-Inception or MNIST-classifier features),
and the conditional metrics. Importing registers them for ``gankit eval``; no weights load at import.
"""
from . import conditional, layout, ppl, registered  # noqa: F401  (registration happens on import)
from .context import EvalContext
from .fid import FeatureStats, frechet_distance
from .inception_score import inception_score
from .kid import kernel_inception_distance
from .precision_recall import density_coverage, manifold_metrics, precision_recall

__all__ = ["EvalContext", "FeatureStats", "frechet_distance", "inception_score", "kernel_inception_distance",
           "precision_recall", "density_coverage", "manifold_metrics"]
