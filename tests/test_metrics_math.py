"""The metric formulas on small fixed inputs with hand-computed answers (no networks, no weights)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from gankit.errors import GankitError
from gankit.metrics.features import images_to_uint8, resize_tf1_bilinear, tf1_bilinear_matrix
from gankit.metrics.fid import (FeatureStats, RankDeficientCovarianceWarning, fid_from_stats, frechet_distance,
                                trace_sqrt_product)
from gankit.metrics.inception_score import inception_score
from gankit.metrics.kid import kernel_inception_distance, mmd2_unbiased
from gankit.metrics.precision_recall import (density_coverage, knn_radii, manifold_metrics, pairwise_distances,
                                             precision_recall)


# --------------------------------------------------------------------------- Fréchet distance

def test_frechet_distance_diagonal_case_by_hand():
    # |mu1-mu2|^2 = 1 + 4 = 5; Tr = 1 + 4 + 4 + 9 = 18; 2 Tr sqrt(diag(4, 36)) = 2 (2 + 6) = 16 -> 7
    value = frechet_distance([0, 0], np.diag([1.0, 4.0]), [1, 2], np.diag([4.0, 9.0]), device="cpu")
    assert value == pytest.approx(7.0, rel=1e-14)


def test_frechet_distance_singular_covariance_by_hand():
    # Sigma1 = diag(1, 0) is singular (the eigh path): Tr sqrt(diag(4, 0)) = 2 -> 0 + 1 + 13 - 4 = 10
    value = frechet_distance([0, 0], np.diag([1.0, 0.0]), [0, 0], np.diag([4.0, 9.0]), device="cpu")
    assert value == pytest.approx(10.0, rel=1e-14)


def scipy_reference(mu1, sigma1, mu2, sigma2):
    """pytorch-fid's formula; sqrtm is called without `disp` (deprecated in scipy 1.17, gone in 1.18),
    which returns the matrix alone in every scipy version."""
    linalg = pytest.importorskip("scipy.linalg")
    root = linalg.sqrtm(sigma1 @ sigma2)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(root.real))


@pytest.mark.parametrize("n, dim", [(400, 32), (200, 64)])
def test_frechet_distance_matches_scipy_sqrtm_on_random_spd(n, dim):
    rng = np.random.default_rng(dim)
    a = rng.standard_normal((n, dim)) @ rng.standard_normal((dim, dim))
    b = rng.standard_normal((n, dim)) * 1.3 + 0.2
    stats_a, stats_b = FeatureStats.from_features(a), FeatureStats.from_features(b)
    ours = frechet_distance(stats_a.mu, stats_a.sigma, stats_b.mu, stats_b.sigma, device="cpu")
    reference = scipy_reference(stats_a.mu, stats_a.sigma, stats_b.mu, stats_b.sigma)
    assert abs(ours - reference) / reference < 1e-9


def test_identical_statistics_give_zero_to_rounding_even_when_rank_deficient():
    features = np.random.default_rng(1).standard_normal((20, 50))
    with pytest.warns(RankDeficientCovarianceWarning):
        stats = FeatureStats.from_features(features)
    assert frechet_distance(stats.mu, stats.sigma, stats.mu, stats.sigma, device="cpu") == 0.0    # bitwise equal
    with pytest.warns(RankDeficientCovarianceWarning):     # the same set in another order: equal to rounding
        reordered = FeatureStats.from_features(features[::-1].copy())
    assert not np.array_equal(reordered.sigma, stats.sigma)
    assert 0.0 <= frechet_distance(stats.mu, stats.sigma, reordered.mu, reordered.sigma, device="cpu") < 1e-10


def test_dead_features_do_not_add_rounding_noise():
    # 20 of 64 ReLU features are always 0 (dead units, scattered): their zero rows must not change the
    # distance, which the 44 live features give exactly. Without zeroing eigenvalues below the solver's
    # accuracy, the null space adds ~1.5e-8 relative here (1e-5 on real classifier features).
    rng = np.random.default_rng(2)
    a = np.maximum(rng.standard_normal((1000, 64)) @ rng.standard_normal((64, 64)) * 3, 0)
    b = np.maximum((rng.standard_normal((1000, 64)) @ rng.standard_normal((64, 64)) * 1.1 + 0.05) * 3, 0)
    dead = rng.choice(64, 20, replace=False)
    a[:, dead] = b[:, dead] = 0
    live = np.setdiff1d(np.arange(64), dead)
    full = [FeatureStats.from_features(x) for x in (a, b)]
    alive = [FeatureStats.from_features(x[:, live]) for x in (a, b)]
    with_dead = frechet_distance(full[0].mu, full[0].sigma, full[1].mu, full[1].sigma, device="cpu")
    without = frechet_distance(alive[0].mu, alive[0].sigma, alive[1].mu, alive[1].sigma, device="cpu")
    assert abs(with_dead - without) / without < 1e-11


def test_low_rank_factors_give_the_same_distance_exactly_and_faster_paths_agree():
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((30, 50)), rng.standard_normal((40, 50)) * 1.2 + 0.1
    with pytest.warns(RankDeficientCovarianceWarning):
        stats_a, stats_b = FeatureStats.from_features(a), FeatureStats.from_features(b)
    assert stats_a.factor.shape == (30, 50)
    np.testing.assert_allclose(stats_a.factor.T @ stats_a.factor, stats_a.sigma, atol=1e-12)
    # exact reference: Tr((Σa Σb)^½) = nuclear norm of Aa Abᵀ
    nuclear = np.linalg.svd(stats_a.factor @ stats_b.factor.T, compute_uv=False).sum()
    diff = stats_a.mu - stats_b.mu
    exact = diff @ diff + np.trace(stats_a.sigma) + np.trace(stats_b.sigma) - 2 * nuclear
    both = fid_from_stats(stats_a, stats_b, device="cpu")
    one = frechet_distance(stats_a.mu, stats_a.sigma, stats_b.mu, stats_b.sigma, device="cpu",
                           factor1=stats_a.factor)
    none = frechet_distance(stats_a.mu, stats_a.sigma, stats_b.mu, stats_b.sigma, device="cpu")
    assert both == pytest.approx(exact, rel=1e-13)
    assert one == pytest.approx(exact, rel=1e-11) and none == pytest.approx(exact, rel=1e-8)


@pytest.mark.parametrize("case", ["full rank", "singular sigma1", "factor1", "factor2", "both factors"])
def test_torch_path_used_on_gpus_agrees_with_the_cpu_lapack_path(case):
    # the GPU path runs in torch; run it on CPU tensors here so both code paths are tested everywhere
    rng = np.random.default_rng(11)
    n = 24 if "factor" in case else 80
    stats = [FeatureStats.from_features(rng.standard_normal((n, 40)) @ rng.standard_normal((40, 40)) * scale,
                                        warn=False) for scale in (1.0, 0.7)]
    sigma1 = np.diag(np.r_[np.ones(20), np.zeros(20)]) if case == "singular sigma1" else stats[0].sigma
    factors = {"factor1": (stats[0].factor, None), "factor2": (None, stats[1].factor),
               "both factors": (stats[0].factor, stats[1].factor)}.get(case, (None, None))
    matrices = [sigma1, stats[1].sigma, *factors]
    on_lapack = trace_sqrt_product(*matrices)
    on_torch = trace_sqrt_product(*[None if m is None else torch.as_tensor(m) for m in matrices])
    assert on_torch == pytest.approx(on_lapack, rel=1e-11) and on_lapack > 0


def test_negative_beyond_tolerance_raises_instead_of_clamping(monkeypatch):
    # valid covariances cannot give a negative distance but by rounding; stand in for the trace term
    from gankit.metrics import fid
    one, two = np.eye(2), 2 * np.eye(2)                     # Tr Σ1 + Tr Σ2 = 6, so the distance is 6 - 2 t
    monkeypatch.setattr(fid, "trace_sqrt_product", lambda *matrices: 3 + 1e-7)      # -2e-7: rounding
    assert frechet_distance([0, 0], one, [0, 0], two, device="cpu") == 0.0
    monkeypatch.setattr(fid, "trace_sqrt_product", lambda *matrices: 3.5)           # -1: not rounding
    with pytest.raises(GankitError, match="< 0 beyond rounding"):
        frechet_distance([0, 0], one, [0, 0], two, device="cpu")


def test_bad_statistics_are_user_errors(tmp_path):
    with pytest.raises(GankitError, match="NaN"):
        frechet_distance([0, np.nan], np.eye(2), [0, 0], np.eye(2), device="cpu")
    with pytest.raises(GankitError, match="do not match"):
        frechet_distance([0, 0], np.eye(2), [0, 0, 0], np.eye(3), device="cpu")
    # not covariances: these gave 0.0 (and an asymmetric FID) before they were checked
    for device in ("cpu", "torch"):
        def distance(sigma_a, sigma_b):
            if device == "cpu":
                return frechet_distance([0, 0, 0], sigma_a, [1, 0, 0], sigma_b, device="cpu")
            tensors = [torch.as_tensor(np.asarray(sigma, dtype=np.float64)) for sigma in (sigma_a, sigma_b)]
            return trace_sqrt_product(*tensors)
        with pytest.raises(GankitError, match="sigma1 is not a covariance matrix: it has a negative eigenvalue"):
            distance(-np.eye(3), np.eye(3))
        with pytest.raises(GankitError, match="sigma2 is not a covariance matrix: it has a negative eigenvalue"):
            distance(np.eye(3), np.diag([1.0, -2.0, 1.0]))
    np.savez(tmp_path / "asymmetric.npz", mu=np.zeros(3), sigma=np.triu(np.ones((3, 3))))
    with pytest.raises(GankitError, match="asymmetric.npz is not a covariance matrix: it is not symmetric"):
        FeatureStats.load(tmp_path / "asymmetric.npz")
    singular = np.diag([1.0, 0.0, 2.0])                    # PSD but singular: still accepted
    assert frechet_distance([0, 0, 0], singular, [0, 0, 0], singular, device="cpu") == pytest.approx(0, abs=1e-12)


# --------------------------------------------------------------------------- statistics files

def test_stats_match_numpy_cov_and_round_trip_in_pytorch_fid_layout(tmp_path):
    features = np.random.default_rng(2).standard_normal((30, 5)).astype(np.float32)
    stats = FeatureStats.from_features(features, protocol="tf-inception-pool3-2048")
    np.testing.assert_allclose(stats.mu, features.astype(np.float64).mean(0), rtol=1e-12)
    np.testing.assert_allclose(stats.sigma, np.cov(features.astype(np.float64), rowvar=False), rtol=1e-10)
    path = stats.save(tmp_path / "a.npz")
    with np.load(path) as data:                # exactly how pytorch-fid reads it
        assert data["mu"].shape == (5,) and data["sigma"].shape == (5, 5)
    loaded = FeatureStats.load(path)
    np.testing.assert_array_equal(loaded.sigma, stats.sigma)
    assert (loaded.n, loaded.protocol) == (30, "tf-inception-pool3-2048")


def test_foreign_npz_without_extras_loads_and_bad_npz_is_rejected(tmp_path):
    np.savez(tmp_path / "pytorch_fid.npz", mu=np.zeros(4), sigma=np.eye(4))
    plain = FeatureStats.load(tmp_path / "pytorch_fid.npz")
    assert plain.n is None and plain.protocol is None
    np.savez(tmp_path / "other.npz", mu=np.zeros(3), sigma=np.eye(3))
    with pytest.raises(GankitError, match="4-d and 3-d"):
        fid_from_stats(plain, FeatureStats.load(tmp_path / "other.npz"))
    np.savez(tmp_path / "keys.npz", mean=np.zeros(3))
    with pytest.raises(GankitError, match="not 'mu' and 'sigma'"):
        FeatureStats.load(tmp_path / "keys.npz")
    np.savez(tmp_path / "shape.npz", mu=np.zeros(3), sigma=np.eye(4))
    with pytest.raises(GankitError, match="expected"):
        FeatureStats.load(tmp_path / "shape.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(GankitError, match="cannot read statistics .*junk.npz: not a complete .npz file"):
        FeatureStats.load(tmp_path / "junk.npz")
    whole = (tmp_path / "pytorch_fid.npz").read_bytes()
    (tmp_path / "truncated.npz").write_bytes(whole[:len(whole) // 2])      # a zip without its directory
    with pytest.raises(GankitError, match=r"truncated.npz: not a complete .npz file \(BadZipFile\)"):
        FeatureStats.load(tmp_path / "truncated.npz")


def test_statistics_of_different_protocols_are_refused():
    a = FeatureStats(np.zeros(2), np.eye(2), 10, "tf-inception-pool3-2048")
    b = FeatureStats(np.zeros(2), np.eye(2), 10, "pytorch-fid-pool3-2048")
    with pytest.raises(GankitError, match="different feature protocols"):
        fid_from_stats(a, b)


def test_no_rank_warning_with_enough_samples():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        FeatureStats.from_features(np.random.default_rng(3).standard_normal((10, 9)))


# --------------------------------------------------------------------------- Inception Score

def test_inception_score_by_hand():
    confident = torch.log(torch.tensor([[1.0, 1e-30], [1e-30, 1.0]]))
    assert inception_score(confident, splits=1)["is"] == pytest.approx(2.0, rel=1e-9)
    # p1 = (1/2, 1/2), p2 = (1, 0): p(y) = (3/4, 1/4); KL1 = 1/2 log(4/3), KL2 = log(4/3) -> (4/3)^(3/4)
    mixed = torch.log(torch.tensor([[0.5, 0.5], [1.0, 1e-300]], dtype=torch.float64))
    assert inception_score(mixed, splits=1)["is"] == pytest.approx((4 / 3) ** 0.75, rel=1e-9)
    assert inception_score(torch.zeros(20, 5))["is"] == pytest.approx(1.0)


def test_inception_score_splits_are_consecutive_parts_of_the_shuffled_samples():
    # 10 samples of class 0 then 10 of class 1. In input order (the reference's literal cut) each of 2 parts
    # is one class: IS 1 each. Shuffled first (the default, as torch-fidelity), the parts mix both classes.
    labels = torch.tensor([0] * 10 + [1] * 10)
    blocks = torch.log(torch.eye(2)[labels].clamp(min=1e-30))
    in_order = inception_score(blocks, splits=2, shuffle_seed=None)
    assert in_order["is"] == pytest.approx(1.0) and in_order["is_std"] == pytest.approx(0.0)
    interleaved = torch.log(torch.eye(2)[torch.arange(20) % 2].clamp(min=1e-30))
    assert inception_score(interleaved, splits=2, shuffle_seed=None)["is"] == pytest.approx(2.0)
    # the default permutation is numpy's RandomState(2020) one: by hand, the parts' class counts
    order = np.random.RandomState(2020).permutation(20)
    expected = []
    for part in (order[:10], order[10:]):
        share = float(labels[part].double().mean())
        expected.append(np.exp(-(share * np.log(share) + (1 - share) * np.log(1 - share))))
    shuffled = inception_score(blocks, splits=2)
    assert shuffled["is"] == pytest.approx(np.mean(expected), rel=1e-9) and shuffled["is"] > 1.5
    with pytest.raises(GankitError, match="at least 20 samples"):
        inception_score(torch.zeros(5, 3))


def test_inception_score_refuses_splits_of_one_sample():
    """A 1-sample split has p(y) = p(y|x), KL 0: confident, diverse samples scored 1.0 (exactly) before."""
    diverse = torch.log(torch.eye(10).clamp(min=1e-30))               # 10 confident samples of 10 classes
    assert inception_score(diverse, splits=1)["is"] == pytest.approx(10.0, rel=1e-6)
    with pytest.raises(GankitError) as error:
        inception_score(diverse, splits=10)
    assert str(error.value) == ("the Inception Score of 10 sample(s) in 10 splits would put fewer than 2 in a "
                                "split, which always scores exactly 1.0; use at most 5 splits or at least 20 samples")
    with pytest.raises(GankitError, match="of 19 sample"):
        inception_score(torch.zeros(19, 3), splits=10)                   # one split of 1 among splits of 2
    with pytest.raises(GankitError, match="use at least 2 samples$"):
        inception_score(torch.zeros(1, 3), splits=1)
    assert inception_score(torch.log(torch.eye(10).repeat(2, 1).clamp(min=1e-30)), splits=10)["splits"] == 10


# --------------------------------------------------------------------------- KID

def test_mmd_unbiased_by_hand():
    # d = 1, k(x, y) = (xy + 1)^3; X = {0, 1}, Y = {1, 2}
    # K_xx off-diagonal: 1, 1 -> 2 / 2 = 1;  K_yy off-diagonal: 27, 27 -> 27;  K_xy: 1 + 1 + 8 + 27 = 37 -> 2 * 37 / 4
    x = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    y = torch.tensor([[1.0], [2.0]], dtype=torch.float64)
    assert mmd2_unbiased(x, y) == pytest.approx(1 + 27 - 18.5)
    with pytest.warns(UserWarning, match="every subset is the whole sets"):
        result = kernel_inception_distance(x, y, num_subsets=3, subset_size=1000)
    assert result == {"kid": pytest.approx(9.5), "kid_std": None, "subset_size": 2, "num_subsets": 1}
    # one set larger than a subset: subsets differ, so the spread is measured
    spread = kernel_inception_distance(torch.cat([x, x + 0.5]), y, num_subsets=20, subset_size=2)
    assert spread["num_subsets"] == 20 and spread["kid_std"] > 0


def test_kid_near_zero_for_one_distribution_and_positive_for_two():
    rng = np.random.default_rng(4)
    same = kernel_inception_distance(rng.standard_normal((300, 8)), rng.standard_normal((300, 8)),
                                     num_subsets=20, subset_size=100)
    shifted = kernel_inception_distance(rng.standard_normal((300, 8)), rng.standard_normal((300, 8)) + 1,
                                        num_subsets=20, subset_size=100)
    assert abs(same["kid"]) < 3 * same["kid_std"] + 1e-3
    assert shifted["kid"] > 10 * shifted["kid_std"] > 0


def test_kid_and_is_refuse_empty_options_instead_of_nan():
    features = torch.randn(10, 4)
    with pytest.raises(GankitError, match="got 0 subsets of 5"):
        kernel_inception_distance(features, features, num_subsets=0, subset_size=5)
    with pytest.raises(GankitError, match="got 3 subsets of 1"):
        kernel_inception_distance(features, features, num_subsets=3, subset_size=1)
    with pytest.raises(GankitError, match="at least 1 split, got 0"):
        inception_score(torch.randn(10, 5), splits=0)


# --------------------------------------------------------------------------- precision / recall / density / coverage

REAL = torch.tensor([[0.0], [1.0], [3.0], [10.0]])
FAKE = torch.tensor([[0.5], [20.0], [2.5]])


def test_knn_radii_exclude_the_point_itself():
    assert knn_radii(REAL, 1).tolist() == [1.0, 1.0, 2.0, 7.0]
    assert knn_radii(REAL, 3).tolist() == [10.0, 9.0, 7.0, 10.0]


def test_precision_recall_density_coverage_by_hand():
    # real radii (k=1): 1, 1, 2, 7. Fake 0.5 and 2.5 fall in real balls, 20 does not -> precision 2/3.
    # fake radii: 2, 17.5, 2 -> every real point is in a fake ball -> recall 1.
    pr = precision_recall(REAL, FAKE, k=1)
    assert pr["precision"] == pytest.approx(2 / 3) and pr["recall"] == 1.0
    # density: 0.5 lies in the balls of 0 and 1, 2.5 in the ball of 3, 20 in none -> 3 / (1 * 3)
    # coverage: 0, 1 and 3 have a fake closer than their radius; 10's nearest fake (2.5) is 7.5 > 7
    dc = density_coverage(REAL, FAKE, k=1)
    assert dc["density"] == pytest.approx(1.0) and dc["coverage"] == pytest.approx(0.75)


def test_manifold_metrics_use_paper_k_and_are_perfect_on_identical_sets():
    points = torch.randn(40, 6, generator=torch.Generator().manual_seed(5))
    result = manifold_metrics(points, points.clone())
    assert (result["k_pr"], result["k_dc"]) == (3, 5)
    assert result["precision"] == result["recall"] == result["coverage"] == 1.0
    with pytest.raises(GankitError, match="more than 3"):
        precision_recall(points[:3], points)


def test_duplicates_are_at_distance_exactly_zero():
    """10 copies of one feature vector: the ball radii are 0, so the rules decide exactly, not rounding
    noise (which gave density 0.08 / coverage 0.2 on one backend and 0.4 / 1.0 on another)."""
    vector = torch.randn(1, 2048, generator=torch.Generator().manual_seed(1)).float().double() * 3 + 1
    copies = vector.expand(10, -1).clone()
    assert pairwise_distances(copies, copies).abs().max() == 0.0
    near = vector.clone()
    near[0, 0] += 1e-3
    assert pairwise_distances(vector, near)[0, 0] == pytest.approx(1e-3, rel=1e-3)   # real gaps are kept
    result = manifold_metrics(copies, copies.clone())
    assert result["precision"] == result["recall"] == 1.0              # closed balls of radius 0
    assert result["density"] == result["coverage"] == 0.0              # open balls of radius 0 hold nothing


# --------------------------------------------------------------------------- pixels

def test_tf1_resize_positions_are_float32_as_in_tensorflow():
    # TF1: scale = float(in) / out, source = dest * scale, both float32; the fractions differ from exact
    # float64 positions by up to ~1e-6 at 28 -> 299 (Fashion-MNIST into the Inception)
    source = np.arange(299, dtype=np.float32) * (np.float32(28) / np.float32(299))
    fraction = source - np.floor(source)
    weights = tf1_bilinear_matrix(28, 299).double().numpy()
    low = np.floor(source).astype(int)
    inside = low < 27                                          # the last source pixel is clamped: weight 1
    assert np.array_equal(weights[np.arange(299), low][inside],
                          (1 - fraction.astype(np.float64)).astype(np.float32)[inside])
    exact = np.arange(299) * (28 / 299)
    assert np.abs((exact - np.floor(exact)) - fraction).max() > 1e-7


def test_tf1_bilinear_resize_by_hand():
    row = torch.tensor([[[[10.0, 20.0]]]])                 # 1x2 -> 1x4: source x = 0, 0.5, 1, 1.5
    up = resize_tf1_bilinear(row.expand(1, 1, 1, 2).contiguous(), 4)
    assert up[0, 0, 0].tolist() == [10.0, 15.0, 20.0, 20.0]
    three = torch.tensor([[[[0.0, 30.0, 60.0]] * 3]])       # 3 -> 2: source x = 0, 1.5
    assert resize_tf1_bilinear(three, 2)[0, 0, 0].tolist() == [0.0, 45.0]


def test_images_to_uint8_rounds_and_repeats_gray():
    gray = torch.tensor([-1.0, 0.0, 1.0, 0.5]).reshape(1, 1, 2, 2)
    pixels = images_to_uint8(gray)
    assert pixels.dtype == torch.uint8 and pixels.shape == (1, 3, 2, 2)
    assert pixels[0, 2].flatten().tolist() == [0, 128, 255, 191]       # round(127.5) = 128 (half to even)
    with pytest.raises(GankitError, match="2D-point"):
        images_to_uint8(torch.zeros(4, 2))
    assert math.isclose(float(images_to_uint8(torch.zeros(1, 3, 1, 1))[0, 0, 0, 0]), 128)
