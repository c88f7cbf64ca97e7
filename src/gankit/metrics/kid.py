"""Kernel Inception Distance (Bińkowski et al. 2018, "Demystifying MMD GANs").

KID is the squared MMD between feature sets under the cubic polynomial kernel
k(x, y) = (x·y / d + 1)³, estimated without bias (the estimator of the paper's code and torch-fidelity):

    MMD²_u = Σ_{i≠j} k(xᵢ, xⱼ) / (m(m−1)) + Σ_{i≠j} k(yᵢ, yⱼ) / (m(m−1)) − 2 Σ_{i,j} k(xᵢ, yⱼ) / m²

averaged over ``num_subsets`` random subsets of ``subset_size`` samples per side (drawn without
replacement inside a subset; default 100 subsets of 1000, the size shrinks to the smaller set when
fewer samples are given). Reported as mean and standard deviation over subsets. Unbiased means it can
be slightly negative when the two sets come from the same distribution. When neither set has more
samples than a subset holds, every subset is the two whole sets: KID is computed once, and its spread
is unknown (``kid_std`` None, with a warning), not 0.
"""
from __future__ import annotations

import warnings

import torch

from ..errors import GankitError


def polynomial_kernel(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """k(x, y) = (x·y / d + 1)³ for all pairs: (n, d), (m, d) -> (n, m)."""
    return (x @ y.T / x.shape[1] + 1) ** 3


def mmd2_unbiased(x: torch.Tensor, y: torch.Tensor) -> float:
    """Unbiased squared MMD of two equally sized sets under :func:`polynomial_kernel`."""
    m = x.shape[0]
    k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    within = (k_xx.sum() - k_xx.diagonal().sum() + k_yy.sum() - k_yy.diagonal().sum()) / (m * (m - 1))
    return float(within - 2 * k_xy.sum() / (m * m))


def check_kid_options(num_subsets: int, subset_size: int) -> None:
    if num_subsets < 1 or subset_size < 2:
        raise GankitError(f"KID needs at least 1 subset of at least 2 samples; got {num_subsets} subsets "
                          f"of {subset_size} (--subsets, --subset-size)")


def kernel_inception_distance(real_features, fake_features, num_subsets: int = 100, subset_size: int = 1000,
                              seed: int = 0) -> dict:
    """{"kid": mean MMD², "kid_std": std over subsets (None if undefined), "subset_size", "num_subsets"},
    float64."""
    real = torch.as_tensor(real_features).double()
    fake = torch.as_tensor(fake_features).double()
    if real.shape[1] != fake.shape[1]:
        raise GankitError(f"KID needs features of one backend; got {real.shape[1]}-d and {fake.shape[1]}-d")
    check_kid_options(num_subsets, subset_size)
    size = min(subset_size, real.shape[0], fake.shape[0])
    if size < 2:
        raise GankitError(f"KID needs at least 2 samples per side, got {real.shape[0]} and {fake.shape[0]}")
    if size == real.shape[0] == fake.shape[0]:
        warnings.warn(f"KID: {size} vs {size} samples, no more than a subset holds: every subset is the whole "
                      "sets, so KID has no spread to report (kid_std is null); give more samples per side than "
                      "the subset size (1000 in papers; `gankit kid --subset-size`)", stacklevel=2)
        return {"kid": mmd2_unbiased(real, fake), "kid_std": None, "subset_size": size, "num_subsets": 1}
    rng = torch.Generator().manual_seed(seed)
    values = []
    for _ in range(num_subsets):
        real_index = torch.randperm(real.shape[0], generator=rng)[:size]
        fake_index = torch.randperm(fake.shape[0], generator=rng)[:size]
        values.append(mmd2_unbiased(real[real_index], fake[fake_index]))
    scores = torch.tensor(values, dtype=torch.float64)
    return {"kid": float(scores.mean()), "kid_std": float(scores.std(unbiased=False)),
            "subset_size": size, "num_subsets": num_subsets}
