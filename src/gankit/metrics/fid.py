"""Fréchet distance between Gaussians fitted to features (FID, Heusel et al. 2017), and its statistics files.

    d² = ||μ1 − μ2||² + Tr(Σ1) + Tr(Σ2) − 2 Tr((Σ1 Σ2)^½)

Tr((Σ1 Σ2)^½) is computed in float64 without a matrix square root (scipy's ``sqrtm``, which
pytorch-fid/TTUR/clean-fid call, is slow, can return complex or NaN values, and its ``disp=``
argument is gone in scipy 1.18): write Σ1 = B Bᵀ, then Σ1 Σ2 = B (Bᵀ Σ2 B) B⁻¹ has the eigenvalues of the
symmetric positive semi-definite matrix Bᵀ Σ2 B, so Tr((Σ1 Σ2)^½) = Σ √λᵢ(Bᵀ Σ2 B). B is the Cholesky
factor of Σ1 when Σ1 is positive definite (fast), else V Λ^½ from ``eigh(Σ1)`` (the symmetric form
Σ1^½ Σ2 Σ1^½ in Σ1's eigenbasis). Eigenvalues below the solver's accuracy (k·eps·λmax, negative
ones included) are rounding noise around 0 and are set to 0.
The result is never NaN or complex; a negative result within ``NEGATIVE_TOLERANCE`` (relative to
Tr Σ1 + Tr Σ2) is rounding and is returned as 0, a more negative one raises (invalid covariances).
The covariances are symmetric by construction (statistics files are checked when loaded); like LAPACK,
the solvers read one triangle of each. Covariances with clearly negative eigenvalues are refused.

On the CPU the step runs in numpy + LAPACK (scipy's bindings): ``potrf`` (Cholesky), ``sygst``
(forms Bᵀ Σ2 B using the symmetry: n³ flops instead of two 2n³ products) and ``syevd`` without
eigenvectors (tridiagonal reduction + root-free QR). On a GPU it runs in torch, float64, on the device.

Statistics files are pytorch-fid's ``.npz`` (``mu``, ``sigma``), plus ``n`` and ``protocol`` when
gankit writes them (pytorch-fid ignores the extra keys).
"""
from __future__ import annotations

import os
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..errors import GankitError
from ..runtime import resolve_device
from ..runtime import replace_atomically
from .feature_cache import savez

NEGATIVE_TOLERANCE = 1e-6


class RankDeficientCovarianceWarning(UserWarning):
    """Fewer samples than feature dimensions: the covariance is singular and FID is biased upwards."""


# Eigenvalues more negative than this share of the largest magnitude are not rounding (which is about
# dim·eps·λmax, ~5e-13 at 2048-d): the matrix is not positive semi-definite, so it is not a covariance.
INDEFINITE_TOLERANCE = 1e-8


def check_semi_definite(eigenvalues: np.ndarray, name: str) -> None:
    scale = float(np.abs(eigenvalues).max()) if eigenvalues.size else 0.0
    if eigenvalues.size and float(eigenvalues.min()) < -INDEFINITE_TOLERANCE * scale:
        raise GankitError(f"{name} is not a covariance matrix: it has a negative eigenvalue "
                          f"({float(eigenvalues.min()):.3g}, largest {scale:.3g}); recompute the statistics")


def check_symmetric(matrix: np.ndarray, name: str) -> None:
    scale = float(np.abs(matrix).max())
    asymmetry = float(np.abs(matrix - matrix.T).max())
    if asymmetry > 1e-6 * scale:
        raise GankitError(f"{name} is not a covariance matrix: it is not symmetric (max |S - S^T| = "
                          f"{asymmetry:.3g}, max |S| = {scale:.3g}); recompute the statistics")


def _inner_eigenvalues_lapack(sigma1: np.ndarray, sigma2: np.ndarray) -> np.ndarray:
    """Eigenvalues of Bᵀ Σ2 B with Σ1 = B Bᵀ, float64 LAPACK on the CPU.

    d = 2048 on 2 cores: 0.45-0.50 s, against 0.95 s for numpy's cholesky, two matmuls and eigvalsh
    (docs/benchmarks.md, ``benchmarks/bench_fid.py frechet-parts``).
    C-ordered symmetric arrays are passed transposed (Fortran order, the same matrix) to avoid copies.
    """
    from scipy.linalg import lapack
    dim = sigma1.shape[0]
    cholesky, info = lapack.dpotrf(sigma1.T, lower=1, clean=0)
    if info == 0:
        inner, info = lapack.dsygst(sigma2.T, cholesky, itype=2, lower=1)   # Lᵀ Σ2 L, lower triangle
    else:                                                # singular or indefinite: eigen-factor instead
        values, vectors = np.linalg.eigh(sigma1)
        check_semi_definite(values, "sigma1")
        factor = vectors * np.sqrt(np.clip(values, 0, None))
        inner, info = np.asfortranarray(factor.T @ sigma2 @ factor), 0
    if info != 0:
        raise GankitError(f"LAPACK sygst failed (info {info}); the covariances are not valid")
    # the optimal workspace matters: scipy's minimal default runs the unblocked reduction (≈2× slower)
    work, iwork, _ = lapack.dsyevd_lwork(dim, compute_v=0, lower=1)
    eigenvalues, _, info = lapack.dsyevd(inner, compute_v=0, lower=1, overwrite_a=1, lwork=int(work),
                                         liwork=int(iwork))
    if info != 0:
        raise GankitError(f"LAPACK syevd did not converge (info {info}); the covariances are not valid")
    return eigenvalues


def _inner_eigenvalues_torch(sigma1: torch.Tensor, sigma2: torch.Tensor) -> torch.Tensor:
    """The same eigenvalues in torch, for statistics on a GPU."""
    factor, info = torch.linalg.cholesky_ex(sigma1)
    if int(info) != 0:                                   # singular or indefinite: eigen-factor instead
        values, vectors = torch.linalg.eigh(sigma1)
        check_semi_definite(values.cpu().numpy(), "sigma1")
        factor = vectors * values.clamp(min=0).sqrt()
    inner = factor.T @ sigma2 @ factor
    return torch.linalg.eigvalsh((inner + inner.T) / 2)


def trace_sqrt_product(sigma1, sigma2, factor1=None, factor2=None) -> float:
    """Tr((Σ1 Σ2)^½) for symmetric PSD float64 matrices (see the module docstring): numpy arrays run in
    numpy + LAPACK, torch tensors in torch on their device.

    ``factorᵢ`` (n, d) with Σᵢ = factorᵢᵀ factorᵢ (centred features / √(n−1)) may be given when n < d:
    the nonzero eigenvalues of Σ1 Σ2 are then those of the small matrices A2 Σ1 A2ᵀ, or the squared
    singular values of A1 A2ᵀ -- exact, with no null space to round, and fast.
    """
    on_torch = isinstance(sigma1, torch.Tensor)
    linalg = torch.linalg if on_torch else np.linalg
    if factor1 is not None and factor2 is not None:
        product = factor1 @ factor2.T
        singular_values = linalg.svdvals(product) if on_torch else linalg.svd(product, compute_uv=False)
        return float(singular_values.sum())
    if factor1 is not None:
        sigma1, sigma2, factor2 = sigma2, sigma1, factor1          # Tr((Σ1Σ2)^½) = Tr((Σ2Σ1)^½)
    if factor2 is not None:
        inner = factor2 @ sigma1 @ factor2.T
        eigenvalues = linalg.eigvalsh((inner + inner.T) / 2)
    else:
        eigenvalues = (_inner_eigenvalues_torch if on_torch else _inner_eigenvalues_lapack)(sigma1, sigma2)
    eigenvalues = eigenvalues.cpu().numpy() if on_torch else eigenvalues
    # Bᵀ Σ2 B is congruent to Σ2 where B is invertible (Sylvester's law of inertia), and A Σ Aᵀ is PSD for
    # any PSD Σ: clearly negative eigenvalues mean a given sigma is not a covariance
    check_semi_definite(eigenvalues, "sigma2" if factor1 is None and factor2 is None else "a sigma")
    # A backward-stable eigensolver is exact to about k·eps·λmax: values below that (the null space of
    # singular covariances, e.g. dead ReLU features or n < dim) are zeros. Their noise would otherwise
    # add √noise each, e.g. 1e-5 to the FID of 128-d classifier features with 45 dead units.
    noise = eigenvalues.shape[0] * np.finfo(eigenvalues.dtype).eps * np.abs(eigenvalues).max()
    return float(np.sqrt(np.where(eigenvalues > noise, eigenvalues, 0.0)).sum())


def frechet_distance(mu1, sigma1, mu2, sigma2, device: str | torch.device | None = None, *,
                     factor1=None, factor2=None) -> float:
    """FID between N(mu1, sigma1) and N(mu2, sigma2), float64, on ``device`` (GPU when present).

    ``factor1``/``factor2``: optional low-rank factors of the covariances (see :func:`trace_sqrt_product`).
    """
    device = resolve_device(device)
    mu1, mu2 = (np.asarray(mu, dtype=np.float64).reshape(-1) for mu in (mu1, mu2))
    sigma1, sigma2 = (np.ascontiguousarray(np.atleast_2d(np.asarray(sigma, dtype=np.float64)))
                      for sigma in (sigma1, sigma2))
    dim = mu1.shape[0]
    if mu2.shape[0] != dim or sigma1.shape != (dim, dim) or sigma2.shape != (dim, dim):
        raise GankitError(f"statistics do not match: mu {mu1.shape[0]} vs {mu2.shape[0]}, sigma "
                          f"{tuple(sigma1.shape)} vs {tuple(sigma2.shape)}; compute both with the same "
                          "feature backend")
    for name, value in (("mu1", mu1), ("mu2", mu2), ("sigma1", sigma1), ("sigma2", sigma2)):
        if not np.isfinite(value).all():
            raise GankitError(f"{name} has NaN or infinite values; recompute the statistics")
    if np.array_equal(mu1, mu2) and np.array_equal(sigma1, sigma2):
        return 0.0                                       # one Gaussian: exactly 0, not 0 to rounding
    traces = float(np.trace(sigma1) + np.trace(sigma2))
    matrices = [sigma1, sigma2, *(None if factor is None else np.asarray(factor, dtype=np.float64)
                                  for factor in (factor1, factor2))]
    if device.type != "cpu":                             # numpy + LAPACK on the CPU, torch on a GPU
        matrices = [None if value is None else torch.as_tensor(value, device=device) for value in matrices]
    value = float(((mu1 - mu2) ** 2).sum()) + traces - 2 * trace_sqrt_product(*matrices)
    if value < 0:
        if value < -NEGATIVE_TOLERANCE * max(traces, 1e-12):
            raise GankitError(f"Fréchet distance came out {value:.3g} < 0 beyond rounding (tolerance "
                              f"{NEGATIVE_TOLERANCE:g} x trace {traces:.3g}); the covariances are not "
                              "positive semi-definite")
        value = 0.0
    return value


@dataclass
class FeatureStats:
    """Mean and covariance of a feature set (float64 numpy), with where they came from."""
    mu: np.ndarray
    sigma: np.ndarray
    n: int | None = None
    protocol: str | None = None
    # (n, d) centred features / √(n−1), kept when n ≤ d (Σ = factorᵀ factor); not written to files
    factor: np.ndarray | None = field(default=None, repr=False)

    @property
    def dim(self) -> int:
        return int(self.mu.shape[0])

    @classmethod
    def from_features(cls, features, protocol: str | None = None, warn: bool = True,
                      origin: str = "the source") -> "FeatureStats":
        """Mean and unbiased covariance (like ``np.cov``), in float64."""
        array = torch.as_tensor(features).double()
        n, dim = array.shape
        if n < 2:
            raise GankitError(f"statistics need at least 2 images, got {n} from {origin}; give more images")
        if warn and n - 1 < dim:
            warnings.warn(f"only {n} samples for {dim}-d features: the covariance has rank <= {n - 1} < {dim} "
                          f"(rank-deficient), so FID is biased and not comparable with papers; use at "
                          f"least {dim + 1} images (papers use 10k-50k)", RankDeficientCovarianceWarning,
                          stacklevel=2)
        mu = array.mean(dim=0)
        centred = array - mu
        sigma = centred.T @ centred / (n - 1)
        factor = (centred / (n - 1) ** 0.5).numpy() if n <= dim else None
        return cls(mu.numpy(), sigma.numpy(), n, protocol, factor)

    def arrays(self) -> dict[str, np.ndarray]:
        """pytorch-fid's npz layout (``mu``, ``sigma``) plus ``n`` (-1: unknown) and ``protocol``."""
        return {"mu": self.mu, "sigma": self.sigma, "n": np.int64(self.n if self.n is not None else -1),
                "protocol": np.str_(self.protocol or "")}

    def save(self, path: str | os.PathLike) -> Path:
        """Write :meth:`arrays` as an npz, atomically (a unique temporary file renamed into place)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(path, lambda temporary: savez(temporary, self.arrays()))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "FeatureStats":
        """Read an npz with ``mu`` (d,) and ``sigma`` (d, d); anything else -> GankitError."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if "mu" not in data or "sigma" not in data:
                    raise GankitError(f"{path} has keys {sorted(data.keys())}, not 'mu' and 'sigma'; "
                                      "write it with `gankit fid DIR --save-stats FILE.npz`")
                mu, sigma = data["mu"].astype(np.float64), data["sigma"].astype(np.float64)
                n = int(data["n"]) if "n" in data and int(data["n"]) >= 0 else None
                protocol = str(data["protocol"]) if "protocol" in data and str(data["protocol"]) else None
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            raise GankitError(f"cannot read statistics {path}: {reason_unreadable(error)}; give a .npz with "
                              "'mu' and 'sigma' (e.g. from `gankit fid DIR --save-stats FILE.npz`)") from None
        if mu.ndim != 1 or sigma.shape != (mu.shape[0], mu.shape[0]):
            raise GankitError(f"{path}: mu has shape {mu.shape} and sigma {sigma.shape}; expected (d,) and "
                              "(d, d)")
        if np.isfinite(sigma).all():               # (NaN is reported by frechet_distance)
            check_symmetric(sigma, f"sigma of {path}")
        return cls(mu, sigma, n, protocol)


def reason_unreadable(error: Exception) -> str:
    """Why numpy could not read an npz, in words (numpy blames pickling for any non-npz bytes)."""
    if isinstance(error, (zipfile.BadZipFile, EOFError)) or "pickled" in str(error):
        return f"not a complete .npz file ({type(error).__name__}), e.g. truncated or another format"
    return str(error)


def fid_from_stats(stats_a: FeatureStats, stats_b: FeatureStats, device=None) -> float:
    """FID of two statistics, refusing ones from different feature protocols when both are known."""
    if stats_a.protocol and stats_b.protocol and stats_a.protocol != stats_b.protocol:
        raise GankitError(f"statistics from different feature protocols ({stats_a.protocol} vs "
                          f"{stats_b.protocol}) are not comparable; compute both with the same --backend "
                          "and --protocol")
    if stats_a.dim != stats_b.dim:
        raise GankitError(f"statistics have {stats_a.dim}-d and {stats_b.dim}-d features; compute both "
                          "with the same feature backend")
    return frechet_distance(stats_a.mu, stats_a.sigma, stats_b.mu, stats_b.sigma, device,
                            factor1=stats_a.factor, factor2=stats_b.factor)
