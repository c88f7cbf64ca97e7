"""The MNIST classifier's input: 28x28, or square grayscale images of another size brought to 28x28 (a model
trained with --image-size 32 on MNIST is scored by `gankit eval --metric conditional-accuracy`)."""
import pytest
import torch
import torch.nn.functional as F

from gankit.errors import GankitError
from gankit.metrics.mnist_classifier import MnistClassifier


def test_32px_images_are_area_averaged_to_28px_before_normalizing():
    images = torch.rand(3, 1, 32, 32) * 2 - 1
    expected = MnistClassifier.normalize(F.interpolate(images, size=(28, 28), mode="area"))
    assert torch.equal(MnistClassifier.normalize(images), expected)
    assert MnistClassifier().eval()(images).shape == (3, 10)


def test_28px_images_are_unchanged_and_colour_or_non_square_is_refused():
    images = torch.zeros(2, 1, 28, 28)
    assert torch.allclose(MnistClassifier.normalize(images), torch.full_like(images, (0.5 - 0.1307) / 0.3081))
    for shape in ((2, 3, 28, 28), (2, 1, 28, 32), (1, 28, 28)):
        with pytest.raises(GankitError, match="square grayscale"):
            MnistClassifier.normalize(torch.zeros(shape))
