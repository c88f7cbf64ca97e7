"""VGG-16 fc2 features: the feature space of improved precision and recall.

Kynkäänniemi et al. 2019 ("Improved Precision and Recall Metric for Assessing Generative Models",
NeurIPS) embed images with a pre-trained VGG-16 classifier (Simonyan & Zisserman 2015) and measure the
k-NN manifolds in its 4096-d feature space; their reference code (NVlabs/precision-recall) loads a
VGG-16 "returning features from the FC layer with shape (n, 4096)", the second fully connected layer.
Naeem et al. 2020 (density/coverage) use the same space, and so do StyleGAN2-ADA's ``pr50k3`` and
torch-fidelity's ``prc``.

gankit follows torch-fidelity's ``FeatureExtractorVGG16`` (``feature_extractor_vgg16.py``), which reads
the same torchvision weights:

* uint8 RGB images resized to 224x224 with TensorFlow 1's bilinear filter (``align_corners=False``,
  :func:`gankit.metrics.features.resize_tf1_bilinear`, as torch-fidelity's
  ``interpolate_bilinear_2d_like_tensorflow1x``);
* normalised per channel on the 0-255 scale with ImageNet's mean (0.485, 0.456, 0.406) and standard
  deviation (0.229, 0.224, 0.225), both times 255;
* the torchvision VGG-16 (configuration D) up to ``classifier.3`` (fc2), **after its ReLU**: torch-fidelity's
  ``fc2_relu``, its default layer for ``prc``.

The weights are torchvision's ImageNet file ``vgg16-397923af.pth`` (a plain state dict, read with
``weights_only=True``; torchvision is not needed). gankit does not download it: give ``--vgg16 FILE``,
set ``$GANKIT_VGG16_WEIGHTS``, or put it in the gankit cache (``$GANKIT_CACHE``, ``~/.cache/gankit``) or
torch hub's checkpoint folder, where torchvision saves it.

Parity with torch-fidelity's values has NOT been checked here (neither it nor the weights are installed
on the machines gankit is tested on): the preprocessing and layer follow its source, the network is
written out below, and a test checks the key names and shapes on random weights.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..data.download import cache_dir
from ..errors import GankitError
from ..runtime import resolve_device
from .features import FeatureExtractor, given_weights, ieee_float32, resize_tf1_bilinear

VGG16_FILE = "vgg16-397923af.pth"
VGG16_URL = "https://download.pytorch.org/models/" + VGG16_FILE
WEIGHTS_ENV = "GANKIT_VGG16_WEIGHTS"
VGG_SIZE = 224
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Configuration D of Simonyan & Zisserman 2015, Table 1: 3x3 convolutions (channels), "M" a 2x2 max-pool.
CONFIGURATION_D = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


def vgg16_features() -> nn.Sequential:
    """The 13 convolutions (with ReLUs) and 5 max-pools of configuration D, indexed as torchvision's
    ``vgg16().features`` (LPIPS taps its ReLUs: :mod:`gankit.metrics.lpips`)."""
    layers, channels = [], 3
    for width in CONFIGURATION_D:
        if width == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(channels, width, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            channels = width
    return nn.Sequential(*layers)


class VGG16(nn.Module):
    """VGG-16 laid out as torchvision's ``vgg16`` (``features.N`` and ``classifier.0/3/6`` keys), so that its
    state dict loads strictly; :meth:`fc2` is the feature layer."""

    def __init__(self):
        super().__init__()
        self.features = vgg16_features()
        self.classifier = nn.Sequential(nn.Linear(512 * 7 * 7, 4096), nn.ReLU(inplace=True), nn.Dropout(),
                                        nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(),
                                        nn.Linear(4096, 1000))

    def fc2(self, images: torch.Tensor) -> torch.Tensor:
        """Normalised (N, 3, 224, 224) -> fc2 after its ReLU, (N, 4096) (eval mode: dropout is identity)."""
        pooled = F.adaptive_avg_pool2d(self.features(images), (7, 7))     # torchvision's avgpool (7x7 at 224)
        hidden = F.relu(self.classifier[0](pooled.flatten(1)))
        return F.relu(self.classifier[3](hidden))


def missing_vgg16_message() -> str:
    return (f"VGG-16 weights not found: put torchvision's {VGG16_FILE} (from {VGG16_URL}) in {cache_dir()}, "
            f"or point ${WEIGHTS_ENV} at it, or give --vgg16 FILE")


def locate_vgg16_weights(path: str | os.PathLike | None = None) -> Path | None:
    """The given path, else ``$GANKIT_VGG16_WEIGHTS``, else the file in the gankit cache or torch hub's; None
    when none is named or found (a named file that does not exist is a one-line error)."""
    explicit = given_weights(path, WEIGHTS_ENV, "VGG-16", f"fix the path to torchvision's {VGG16_FILE} (from {VGG16_URL})")
    if explicit is not None:
        return explicit
    for candidate in (cache_dir() / VGG16_FILE, Path(torch.hub.get_dir()) / "checkpoints" / VGG16_FILE):
        if candidate.is_file():
            return candidate
    return None


def find_vgg16_weights(path: str | os.PathLike | None = None) -> Path:
    """:func:`locate_vgg16_weights`, or a one-line error saying where to put the file."""
    found = locate_vgg16_weights(path)
    if found is None:
        raise GankitError(missing_vgg16_message())
    return found


def load_vgg16(path: str | os.PathLike | None = None, device: torch.device | str = "cpu") -> VGG16:
    """torchvision's VGG-16 weights, loaded strictly into :class:`VGG16` (eval mode, on ``device``)."""
    found = find_vgg16_weights(path)
    try:
        state = torch.load(found, map_location="cpu", weights_only=True)
    except Exception as error:    # truncated, not a torch file, or pickled code refused by weights_only
        raise GankitError(f"cannot read VGG-16 weights {found} ({type(error).__name__}); replace it with "
                          f"torchvision's {VGG16_FILE} (from {VGG16_URL})") from None
    model = VGG16()
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as error:
        first = str(error).strip().splitlines()
        raise GankitError(f"{found} is not torchvision's VGG-16 state dict ({first[1].strip() if len(first) > 1 else first[0]}); "
                          f"use {VGG16_FILE} from {VGG16_URL}") from None
    model.weights_path = found
    return model.to(device).eval().requires_grad_(False)


class VGG16Features(FeatureExtractor):
    """fc2 features (4096-d, after ReLU) of torchvision's VGG-16, preprocessed as torch-fidelity does; no logits."""

    def __init__(self, device: str | torch.device = "cpu", weights=None, model: VGG16 | None = None):
        self.device = resolve_device(device)
        self.model = (model if model is not None else load_vgg16(weights, self.device)).to(self.device).eval()
        self.weights_path = getattr(self.model, "weights_path", None)
        self.name = "vgg16-fc2-4096"
        self.logits_name = "vgg16-no-logits"
        self.dim = 4096
        self.has_logits = False
        self.scale = (torch.tensor(IMAGENET_MEAN) * 255).view(1, 3, 1, 1), (torch.tensor(IMAGENET_STD) * 255).view(1, 3, 1, 1)

    @torch.inference_mode()
    def submit(self, images):
        mean, std = (value.to(self.device) for value in self.scale)
        prepared = (resize_tf1_bilinear(images.to(self.device).float(), VGG_SIZE) - mean) / std
        with ieee_float32():
            return self.model.fc2(prepared), None
