"""k-NN manifold metrics of two feature sets.

* Improved precision and recall (Kynkäänniemi et al. 2019), k = 3: each set's manifold is the union
  of balls around its points with radius = distance to the point's k-th nearest neighbour in the
  same set (itself excluded). Precision = fraction of fake samples inside the real manifold; recall =
  fraction of real samples inside the fake manifold.
* Density and coverage (Naeem et al. 2020), k = 5: density = (1 / (k·M)) Σ_fake #(real balls containing
  it); coverage = fraction of real points whose own ball contains at least one fake sample.

Ball membership follows each paper's reference code: closed balls (distance <= radius) for
precision/recall (NVlabs/precision-recall), open balls (distance < radius) for density/coverage
(clovaai/generative-evaluation-prdc). Distances are Euclidean in float64, computed in blocks so
10k x 10k sets fit in memory.

Feature space: both papers (and StyleGAN2-ADA's pr50k3, torch-fidelity's ``prc``) embed images with
VGG-16's fc2 layer (4096-d). gankit computes the same formulas on the features of its backends, the
TF-Inception pool3 (2048-d) or the MNIST classifier (128-d), and names them in ``protocol``: the
values rank models the same way but are not comparable with published VGG-16 numbers (no VGG-16
weights are reachable offline here).
"""
from __future__ import annotations

import torch

from ..errors import GankitError

BLOCK = 1024


def pairwise_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Euclidean distances (n, m) in float64, via ||a||² + ||b||² − 2ab.

    That formula leaves a rounding error of about dim·eps·(||a||² + ||b||²) where the exact value is 0:
    squared distances below it are set to 0, so that duplicate images are at distance exactly 0 and the
    ball rules (``<=`` / ``<`` against a radius of 0) do not depend on rounding noise."""
    norms_a, norms_b = (a * a).sum(1)[:, None], (b * b).sum(1)[None, :]
    squared = norms_a + norms_b - 2 * a @ b.T
    rounding = a.shape[1] * torch.finfo(squared.dtype).eps * (norms_a + norms_b)
    return torch.where(squared > rounding, squared, 0.0).sqrt()


def knn_radii(points: torch.Tensor, k: int) -> torch.Tensor:
    """Distance from every point to its k-th nearest *other* point of the same set."""
    if points.shape[0] <= k:
        raise GankitError(f"k-NN radii with k={k} need more than {k} samples in each set, got a set of "
                          f"{points.shape[0]}; give at least {k + 1} images per source (papers use 10k-50k)")
    radii = [pairwise_distances(points[start:start + BLOCK], points).topk(k + 1, largest=False).values[:, k]
             for start in range(0, points.shape[0], BLOCK)]
    return torch.cat(radii)


def _inside_counts(queries: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor,
                   closed: bool = True) -> torch.Tensor:
    """For every query, how many balls (centres, radii) contain it (``closed``: distance <= radius)."""
    inside = torch.le if closed else torch.lt
    counts = [inside(pairwise_distances(queries[start:start + BLOCK], centres), radii[None, :]).sum(1)
              for start in range(0, queries.shape[0], BLOCK)]
    return torch.cat(counts)


def precision_recall(real_features, fake_features, k: int = 3) -> dict:
    real, fake = torch.as_tensor(real_features).double(), torch.as_tensor(fake_features).double()
    precision = (_inside_counts(fake, real, knn_radii(real, k)) > 0).double().mean()
    recall = (_inside_counts(real, fake, knn_radii(fake, k)) > 0).double().mean()
    return {"precision": float(precision), "recall": float(recall), "k": k}


def density_coverage(real_features, fake_features, k: int = 5) -> dict:
    real, fake = torch.as_tensor(real_features).double(), torch.as_tensor(fake_features).double()
    radii = knn_radii(real, k)
    density = _inside_counts(fake, real, radii, closed=False).double().sum() / (k * fake.shape[0])
    nearest_fake = torch.cat([pairwise_distances(real[start:start + BLOCK], fake).min(1).values
                              for start in range(0, real.shape[0], BLOCK)])
    coverage = (nearest_fake < radii).double().mean()
    return {"density": float(density), "coverage": float(coverage), "k": k}


def manifold_metrics(real_features, fake_features, k_pr: int = 3, k_dc: int = 5) -> dict:
    """Precision/recall (k=3) and density/coverage (k=5) in one dict."""
    pr = precision_recall(real_features, fake_features, k_pr)
    dc = density_coverage(real_features, fake_features, k_dc)
    return {"precision": pr["precision"], "recall": pr["recall"], "density": dc["density"],
            "coverage": dc["coverage"], "k_pr": k_pr, "k_dc": k_dc}
