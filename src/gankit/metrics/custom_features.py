"""A user's own feature network: a TorchScript file (``gankit metrics ... --features FILE.pt``).

The module maps uint8 RGB images ``(N, 3, H, W)`` (the pixels a PNG holds, any size: resizing is the
module's business) to float features ``(N, D)``, or to a tuple ``(features (N, D), logits (N, C))``: the
logits make the Inception Score available. Every metric runs on it; the protocol is named
``custom-<first 12 hex digits of the file's sha256>``, so two files never share a name (nor cached
features), and the same file gives the same name wherever it lies.

When loaded, the module is run once on two black 64x64 images to learn D and whether it returns logits
(so that a cached entry is checked for the arrays it must hold before any image is decoded).
"""
from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

import torch

from ..errors import GankitError
from ..runtime import resolve_device
from .features import FeatureExtractor

PROBE_SHAPE = (2, 3, 64, 64)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class TorchScriptFeatures(FeatureExtractor):
    """Features (and logits, if the module returns them) of a TorchScript file."""

    def __init__(self, path: str | os.PathLike, device: str | torch.device = "cpu"):
        self.weights_path = Path(path).expanduser()
        if not self.weights_path.is_file():
            raise GankitError(f"--features {path}: no such file; give a TorchScript file (torch.jit.save) "
                              "mapping uint8 images (N, 3, H, W) to features (N, D)")
        self.device = resolve_device(device)
        try:
            with warnings.catch_warnings():     # torch >= 2.9 deprecates TorchScript: the format is the user's
                warnings.filterwarnings("ignore", message=".*torch.jit.load.*deprecated", category=DeprecationWarning)
                self.model = torch.jit.load(str(self.weights_path), map_location=self.device).eval()
        except Exception as error:          # not a TorchScript archive (a pickled model, a state dict...)
            raise GankitError(f"--features {path} is not a TorchScript file ({type(error).__name__}); save your "
                              "module with torch.jit.save(torch.jit.script(module), FILE.pt)") from None
        sha = file_sha256(self.weights_path)[:12]
        self.weights_id = sha
        self.name = f"custom-{sha}"
        self.logits_name = f"custom-{sha}-logits"
        features, logits = self.submit(torch.zeros(PROBE_SHAPE, dtype=torch.uint8))
        self.dim, self.has_logits = features.shape[1], logits is not None

    @torch.inference_mode()
    def submit(self, images):
        try:
            output = self.model(images.to(self.device))
        except Exception as error:
            message = str(error).strip().splitlines()
            raise GankitError(f"--features {self.weights_path} failed on uint8 images {tuple(images.shape)}: "
                              f"{type(error).__name__}: {message[-1] if message else ''}") from None
        features, logits = output if isinstance(output, (tuple, list)) else (output, None)
        for role, tensor in (("features", features), ("logits", logits)):
            if tensor is not None and (not isinstance(tensor, torch.Tensor) or tensor.dim() != 2
                                       or tensor.shape[0] != images.shape[0]):
                shape = tuple(tensor.shape) if isinstance(tensor, torch.Tensor) else type(tensor).__name__
                raise GankitError(f"--features {self.weights_path} returned {role} shaped {shape} for "
                                  f"{images.shape[0]} images; it must return (N, D) features, or a tuple "
                                  "(features (N, D), logits (N, C))")
        return features.float(), (logits.float() if logits is not None else None)
