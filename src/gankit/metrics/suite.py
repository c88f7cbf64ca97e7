"""Several metrics from one feature pass per source: the computation behind `gankit metrics A B --fid --kid
--pr --is` (and behind the single-metric commands `gankit fid|kid|pr|is`).

As torch-fidelity does, each source's images go through the feature network once; FID, KID and
precision/recall/density/coverage use the features, the Inception Score the logits of the same pass.
``a`` is the set measured (generated samples: torch-fidelity's ``input1``), ``b`` the reference (real
images: ``input2``). The Inception Score uses ``a`` alone; precision is the fraction of ``a`` inside
``b``'s manifold (Kynkäänniemi et al. 2019).

Every result is one dict: ``metric`` (fid, kid, pr, is), ``value`` (FID, KID's mean, precision, IS),
``protocol`` (the features it was computed on: see :func:`pr_protocol` for precision/recall), ``n_a``
and ``n_b``, and the metric's own fields (``kid_std``, ``recall``, ``density``, ``coverage``, ``is_std``...).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import GankitError
from .features import FeatureExtractor
from .fid import FeatureStats, fid_from_stats
from .inception_score import check_split_sizes, check_splits, inception_score
from .kid import check_kid_options, kernel_inception_distance
from .precision_recall import manifold_metrics

METRICS = ("fid", "kid", "pr", "is")
# neighbours for improved precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem et al. 2020)
PR_K, DC_K = 3, 5


def pr_protocol(features_name: str) -> str:
    """The protocol name of precision/recall (k=3) and density/coverage (k=5) on ``features_name``:
    ``pr_vgg16-fc2-4096_k3`` is the papers' (Kynkäänniemi et al. 2019, Naeem et al. 2020: VGG-16 fc2);
    ``pr_tf-inception-pool3-2048_k3`` the same formulas on Inception pool3 features, NOT comparable with
    published values."""
    return f"pr_{features_name}_k{PR_K}"


@dataclass
class MetricOptions:
    """KID's subsets (Bińkowski et al. 2018: 100 of 1000), IS's splits (Salimans et al. 2016: 10), the seed
    of KID's subsets."""
    kid_subsets: int = 100
    kid_subset_size: int = 1000
    is_splits: int = 10
    seed: int = 0

    def check(self, requested) -> None:
        if "kid" in requested:
            check_kid_options(self.kid_subsets, self.kid_subset_size)
        if "is" in requested:
            check_splits(self.is_splits)


def check_requested(requested, has_b: bool) -> None:
    """One-line errors for an empty or unknown set of metrics, or a second source missing."""
    if not requested:
        raise GankitError("say which metrics to compute: --fid, --kid, --pr and/or --is")
    unknown = [metric for metric in requested if metric not in METRICS]
    if unknown:
        raise GankitError(f"unknown metric(s) {', '.join(unknown)}; valid: {', '.join(METRICS)}")
    if not has_b and set(requested) - {"is"}:
        raise GankitError("FID, KID and precision/recall compare two sources: give a second one (B)")


def check_counts_for(requested, a: tuple[str, int | None], b: tuple[str, int | None], splits: int) -> None:
    """Before any feature pass, with each source's (name, count of images, None if unknown): IS needs 2
    images per split of A; precision/recall (k=3) and density/coverage (k=5) need more than k points in a
    set: REAL (B) k+1 for both k, FAKE (A) k+1 for recall."""
    if "is" in requested and a[1] is not None:
        check_split_sizes(a[1], splits, samples="images", splits_option="--splits")
    if "pr" in requested:
        minimums = {"REAL": max(PR_K, DC_K) + 1, "FAKE": PR_K + 1}
        for role, (source, count) in (("REAL", b), ("FAKE", a)):
            if count is not None and count < minimums[role]:
                raise GankitError(f"precision/recall (k={PR_K}) and density/coverage (k={DC_K}) need at least "
                                  f"{minimums['REAL']} REAL and {minimums['FAKE']} FAKE images, but {role} {source} "
                                  f"gives {count}; give more (raise --num, or add images to a folder; papers use "
                                  "10k-50k)")


def fid_result(stats_a: FeatureStats, stats_b: FeatureStats, protocol: str, device=None) -> dict:
    value = fid_from_stats(stats_a, stats_b, device=device)
    return {"metric": "fid", "value": value, "fid": value, "protocol": protocol, "n_a": stats_a.n, "n_b": stats_b.n}


def measure(requested, a, b, extractor: FeatureExtractor, options: MetricOptions = MetricOptions()) -> list[dict]:
    """The ``requested`` metrics (in that order) of the features ``a`` (measured) and ``b`` (reference, or
    None for IS alone): :class:`gankit.metrics.sources.Features`, both from ``extractor``."""
    check_requested(requested, b is not None)
    options.check(requested)
    sizes = {"n_a": len(a.features), **({"n_b": len(b.features)} if b is not None else {})}
    results = []
    for metric in requested:
        if metric == "fid":
            results.append(fid_result(a.stats(extractor.name), b.stats(extractor.name), extractor.name,
                                      extractor.device))
        elif metric == "kid":
            kid = kernel_inception_distance(a.features, b.features, options.kid_subsets, options.kid_subset_size,
                                            options.seed)
            results.append({"metric": "kid", "value": kid["kid"], "kid": kid["kid"], "kid_std": kid["kid_std"],
                            "protocol": extractor.name, **sizes, "subset_size": kid["subset_size"],
                            "subsets": kid["num_subsets"]})
        elif metric == "pr":
            manifold = manifold_metrics(b.features, a.features, k_pr=PR_K, k_dc=DC_K)
            results.append({"metric": "pr", "value": manifold["precision"], **manifold,
                            "protocol": pr_protocol(extractor.name), **sizes,
                            "n_real": sizes["n_b"], "n_fake": sizes["n_a"]})
        else:
            if a.logits is None:
                raise GankitError(f"the Inception Score needs class logits, which the {extractor.name} features "
                                  "have none of (use the Inception with its classifier, or a --features file "
                                  "that returns (features, logits))")
            score = inception_score(a.logits, splits=options.is_splits)
            results.append({"metric": "is", "value": score["is"], "is": score["is"], "is_std": score["is_std"],
                            "protocol": extractor.logits_name, "n_a": sizes["n_a"], "n": sizes["n_a"],
                            "splits": options.is_splits})
    return results
