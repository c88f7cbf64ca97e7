"""Measurements of class control, made with the pretrained MNIST classifier (``mnist_classifier``).

Pure functions (tensors in, numbers out) come first; the registered metrics below them draw samples
through an :class:`EvalContext` and return ``{"metric": <protocol name>, "value": <float>, ...}``.

- conditional accuracy: share of images generated for class ``y`` that the classifier labels ``y``
  (the ACGAN paper's measure of class control, Odena et al. 2016, arXiv:1610.09585, Sec. 4.1).
- class coverage: KL(predicted class histogram || uniform), 0 when every class is equally common,
  log K when all samples fall in one class (a mode-dropping measure in the spirit of Che et al. 2017).
- classifier FID: the Frechet distance (Heusel et al. 2017, arXiv:1706.08500) between Gaussians
  fitted to the classifier's 128-d features of the float generated images (not rounded to 8 bits) and
  of a random subset of as many training images, drawn with --seed. ``fid-mnist`` (registered.py) uses
  the same features on 8-bit pixels and the *first* --num training images, so the two give different
  values. Like every FID it is biased upward at small n (real-vs-real MNIST: ~725 at n=200, ~109 at
  1000, ~32 at 4000), so compare values only of one metric at equal --num.
- categorical code purity: how well each InfoGAN categorical code value (Chen et al. 2016,
  arXiv:1606.03657) picks out one digit.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import GankitError
from ..data.batches import images_to_float
from ..registry import register_metric
from .context import EvalContext
from .fid import frechet_distance
from .mnist_classifier import classify, load_mnist_classifier

CLASSIFIER_NAME = "mnist-classifier"
MNIST_CLASSES = 10



# --------------------------------------------------------------------------- pure functions

def class_histogram(predicted: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Counts (num_classes,) int64 of each predicted class id."""
    return torch.bincount(predicted.long().flatten(), minlength=num_classes)[:num_classes]


def kl_to_uniform(histogram: torch.Tensor) -> float:
    """KL(p || U) in nats for the class frequencies ``p = histogram / sum``: sum_k p_k log(K p_k), 0 log 0 = 0."""
    counts = histogram.double()
    if counts.sum() <= 0:
        raise GankitError("class coverage needs at least one sample")
    share = counts / counts.sum()
    present = share > 0
    return float((share[present] * torch.log(share[present] * len(share))).sum())


def conditional_accuracy(predicted: torch.Tensor, requested: torch.Tensor, num_classes: int) -> tuple[float, list]:
    """(overall share with predicted == requested, per-class shares; None for a class never requested)."""
    correct = predicted.long() == requested.long()
    per_class = []
    for label in range(num_classes):
        mask = requested == label
        per_class.append(float(correct[mask].double().mean()) if mask.any() else None)
    return float(correct.double().mean()), per_class


def categorical_code_purity(predicted_classes: torch.Tensor, codes: torch.Tensor, num_codes: int) -> dict:
    """How cleanly each categorical code value maps to one classifier label.

    For code value c with n_c samples, purity_c = (count of its most common predicted class) / n_c.
    Overall purity is the n_c-weighted mean of purity_c, i.e. sum_c majority_count_c / N.
    ``distinct_majority_classes`` shows whether codes map to different digits (purity alone is 1.0
    when every code draws the same digit).
    """
    if predicted_classes.shape != codes.shape or codes.numel() == 0:
        raise GankitError("code purity needs one predicted class per sample and at least one sample")
    per_code, majority_classes, majority_total = [], [], 0
    for code in range(num_codes):
        labels = predicted_classes[codes == code].long()
        if labels.numel() == 0:
            per_code.append(None)
            majority_classes.append(None)
            continue
        counts = torch.bincount(labels)
        majority_total += int(counts.max())
        per_code.append(float(counts.max()) / labels.numel())
        majority_classes.append(int(counts.argmax()))
    return {"purity": majority_total / codes.numel(), "per_code": per_code,
            "majority_class": majority_classes,
            "distinct_majority_classes": len({c for c in majority_classes if c is not None})}


def feature_frechet_distance(features_a: torch.Tensor, features_b: torch.Tensor) -> float:
    """Frechet distance between Gaussians fitted (mean, unbiased covariance, float64) to two feature sets."""
    if min(features_a.shape[0], features_b.shape[0]) < 2:
        raise GankitError("the classifier FID needs at least 2 samples on each side; raise --num")
    stats = []
    for features in (features_a, features_b):
        array = features.double().numpy()
        stats += [array.mean(axis=0), np.cov(array, rowvar=False)]
    return frechet_distance(*stats, device="cpu")


# --------------------------------------------------------------------------- registered metrics

def _classifier_for(ctx: EvalContext, purpose: str, digits_only: bool = True):
    """The classifier on ctx.device, after checking the run's data is something it can judge."""
    if digits_only and not ctx.data_name.split(":")[0].startswith("mnist"):
        raise GankitError(f"{purpose} uses an MNIST digit classifier, but this run trained on "
                          f"'{ctx.data_name}'; use it on runs trained with --data mnist")
    return load_mnist_classifier(getattr(ctx, "classifier_path", None), device=ctx.device)


def _predict(ctx: EvalContext, classifier, images: torch.Tensor) -> torch.Tensor:
    logits, _ = classify(classifier, images, batch_size=max(ctx.batch_size, 1))
    return logits.argmax(dim=1)


def _check_num_samples(ctx: EvalContext, purpose: str, minimum: int = 1) -> int:
    if ctx.num_samples < minimum:
        raise GankitError(f"{purpose} needs --num of at least {minimum}; got {ctx.num_samples}")
    return ctx.num_samples


@register_metric("conditional-accuracy", help="share of class-conditional samples the MNIST classifier "
                 "labels as the requested class")
def conditional_accuracy_metric(ctx: EvalContext) -> dict:
    if ctx.num_classes <= 0:
        raise GankitError("conditional-accuracy needs a class-conditional model (cgan, cdcgan, acgan, ...); "
                          "this run's model takes no class labels")
    if ctx.num_classes > MNIST_CLASSES:
        raise GankitError(f"conditional-accuracy: the MNIST classifier knows 10 classes, the model has {ctx.num_classes}")
    n = _check_num_samples(ctx, "conditional-accuracy")
    classifier = _classifier_for(ctx, "conditional-accuracy")
    requested = torch.arange(n) % ctx.num_classes
    predicted = _predict(ctx, classifier, ctx.sample(n, requested))
    overall, per_class = conditional_accuracy(predicted, requested, ctx.num_classes)
    return {"metric": f"conditional_accuracy_{CLASSIFIER_NAME}_n{n}", "value": overall,
            "per_class": per_class, "num_samples": n, "data": ctx.data_name}


@register_metric("class-coverage", help="KL(predicted class histogram || uniform) of unconditional "
                 "samples, in nats (0 = all 10 digits equally often)")
def class_coverage_metric(ctx: EvalContext) -> dict:
    n = _check_num_samples(ctx, "class-coverage")
    classifier = _classifier_for(ctx, "class-coverage")
    histogram = class_histogram(_predict(ctx, classifier, ctx.sample(n, None)), MNIST_CLASSES)
    return {"metric": f"class_coverage_kl_{CLASSIFIER_NAME}_n{n}", "value": kl_to_uniform(histogram),
            "histogram": histogram.tolist(), "classes_present": int((histogram > 0).sum()),
            "max_value": math.log(MNIST_CLASSES), "num_samples": n, "data": ctx.data_name}


@register_metric("classifier-fid", help="Fréchet distance (Heusel 2017), --num float samples (not rounded to "
                 "8 bits) vs --num training images drawn at random with --seed, 1x28x28 data only; "
                 "MNIST-classifier fc128 features (fid-mnist differs: 8-bit pixels, first --num images)")
def classifier_fid_metric(ctx: EvalContext) -> dict:
    n = _check_num_samples(ctx, "classifier-fid", minimum=2)
    classifier = _classifier_for(ctx, "classifier-fid", digits_only=False)
    train = ctx.load_data("train")
    if not train.is_image:
        raise GankitError(f"classifier-fid needs image data; '{ctx.data_name}' is 2D points")
    count = min(n, len(train))
    chosen = torch.randperm(len(train), generator=torch.Generator().manual_seed(ctx.seed))[:count]
    batch = max(ctx.batch_size, 1)
    _, real_features = classify(classifier, images_to_float(train.fetch(chosen)["image"]), batch_size=batch)
    _, fake_features = classify(classifier, ctx.sample(n, None), batch_size=batch)
    return {"metric": f"classifier_fid_{CLASSIFIER_NAME}_fc128_float_n{n}_vs_{ctx.data_name}-train-random"
                      f"{count}-seed{ctx.seed}", "value":
            feature_frechet_distance(fake_features, real_features),
            "num_samples": n, "reference_samples": count, "data": ctx.data_name}


def one_to_one_accuracy(predicted_classes: torch.Tensor, codes: torch.Tensor, num_codes: int,
                        num_classes: int = MNIST_CLASSES) -> float:
    """Share of samples whose predicted class is the one matched to their code, under the best one-to-one
    code→class matching (Hungarian algorithm): the unsupervised-classification error of Chen et al.
    2016, Sec. 7.2, read as accuracy. Unlike purity it cannot reach 1 with two codes on one digit."""
    from scipy.optimize import linear_sum_assignment
    counts = torch.zeros(num_codes, num_classes, dtype=torch.long)
    counts.index_put_((codes.long(), predicted_classes.long()), torch.ones_like(codes, dtype=torch.long),
                      accumulate=True)
    rows, columns = linear_sum_assignment(counts.numpy(), maximize=True)
    return float(counts[rows, columns].sum()) / max(codes.numel(), 1)


@register_metric("infogan-purity", help="InfoGAN: samples drawn with each categorical code value, labelled by "
                 "the MNIST classifier; share of the majority digit per code")
def infogan_purity_metric(ctx: EvalContext) -> dict:
    gan = ctx.gan
    if gan is None or "latent-codes" not in gan.capabilities:
        raise GankitError("infogan-purity needs an InfoGAN run (a model with a categorical latent code); "
                          "train one with `gankit train infogan --data mnist`")
    n = _check_num_samples(ctx, "infogan-purity")
    classifier = _classifier_for(ctx, "infogan-purity")
    codes = torch.arange(n) % gan.categories
    latent = gan.sample_latent(n, torch.Generator().manual_seed(ctx.seed), categories=codes)
    images = ctx.sample(n, None, latent=latent)
    predicted = _predict(ctx, classifier, images)
    purity = categorical_code_purity(predicted, codes, gan.categories)
    return {"metric": f"infogan_categorical_purity_{CLASSIFIER_NAME}_n{n}", "value": purity["purity"],
            "one_to_one_accuracy": one_to_one_accuracy(predicted, codes, gan.categories), **purity,
            "num_samples": n, "data": ctx.data_name}


@register_metric("test-accuracy", help="accuracy of a classifier-discriminator (sgan) on the run's test split")
def held_out_accuracy_metric(ctx: EvalContext) -> dict:
    if ctx.gan is None or "classifier" not in ctx.gan.capabilities:
        raise GankitError("test-accuracy needs a model whose discriminator classifies (sgan); "
                          "this run's model has no classifier")
    test = ctx.load_data("test")
    if test.labels is None:
        raise GankitError(f"test-accuracy needs labelled test data; '{ctx.data_name}' has no labels")
    logits = ctx.gan.classify(images_to_float(test.head(len(test))["image"]))
    accuracy = float((logits.argmax(dim=1) == test.labels).double().mean())
    return {"metric": f"test_accuracy_{ctx.data_name}_test", "value": accuracy, "num": len(test),
            "data": ctx.data_name}
