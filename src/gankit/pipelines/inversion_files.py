"""Files of an inversion: the target image and mask read for a model, the reconstruction and latent written.

* An image of another size is resized (shorter side, PIL bilinear) and centre-cropped to the model's size, and
  one of another channel count converted (RGB → luminance, gray → RGB), each with a one-line warning; 16-bit
  and transparent images are read as the image-folder dataset reads them (:func:`gankit.data.image_folder.load_image`).
* A mask must already be the model's size and binary: white (255) where the loss compares the image, black (0)
  where the generator fills in; it is never resized (resampling would blur its edge into other values).
* The latent is a plain dict of tensors and strings (:meth:`Inversion.state`), written atomically; it loads with
  ``torch.load(weights_only=True)``.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..data.image_folder import load_image
from ..errors import GankitError
from ..imaging import save_png, to_uint8
from ..runtime import replace_atomically
from .inversion import LATENT_FORMAT

GRAY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F")


def image_header(path, what: str) -> tuple[tuple[int, int], int]:
    """((width, height), channels: 1 gray or 3 colour) of an image file, or a one-line error."""
    path = Path(path)
    if not path.is_file():
        raise GankitError(f"{what} {path} not found; give a PNG or JPEG file")
    try:
        with Image.open(path) as image:
            return image.size, 1 if image.mode in GRAY_MODES else 3
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise GankitError(f"cannot read {what} {path} ({error}); give a PNG or JPEG file") from None


def read_image(path, shape: tuple, what: str = "image") -> torch.Tensor:
    """``path`` as a (1, C, H, W) float tensor in [−1, 1] of the model's ``shape`` (C, H, W), converted with a
    one-line warning when its size or channel count differ."""
    channels, height, width = shape
    (file_width, file_height), file_channels = image_header(path, what)
    if (file_width, file_height) != (width, height):
        crop = "" if file_width == file_height else ", centre-cropped to a square"
        warnings.warn(f"{what} {path} is {file_width}x{file_height}; resized to the model's {width}x{height}{crop}")
    if file_channels != channels:
        warnings.warn(f"{what} {path} is {'RGB' if file_channels == 3 else 'grayscale'}; converted to the model's "
                      f"{'luminance (1 channel)' if channels == 1 else 'RGB (3 channels)'}")
    pixels = load_image(Path(path), height, channels)
    tensor = torch.from_numpy(np.array(pixels)).float()       # a copy: PIL's array is read-only
    tensor = tensor.unsqueeze(0) if tensor.dim() == 2 else tensor.permute(2, 0, 1)
    return (tensor / 127.5 - 1).unsqueeze(0)


def read_mask(path, size: tuple) -> torch.Tensor:
    """A binary mask file of exactly ``size`` (H, W) as a (1, 1, H, W) float tensor: 1 white, 0 black."""
    (file_width, file_height), _ = image_header(path, "mask")
    height, width = size
    if (file_height, file_width) != (height, width):
        raise GankitError(f"mask {path} is {file_width}x{file_height}, the model's images are {width}x{height}; "
                          f"draw the mask at {width}x{height}")
    with Image.open(path) as image:
        values = np.asarray(image.convert("L"))
    other = np.setdiff1d(np.unique(values), [0, 255])
    if other.size:
        raise GankitError(f"mask {path} is not binary: {other.size} gray level(s) other than black (0) and white "
                          f"(255), e.g. {int(other[0])}; white = compared, black = filled in by the generator")
    return torch.from_numpy(values == 255).float()[None, None]


def write_image(images: torch.Tensor, path) -> Path:
    """The first image at its own pixels (no grid, no padding), as a PNG."""
    pixels = to_uint8(images[:1])[0]
    return save_png(Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels), path)


def save_latent(state: dict, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(path, lambda temporary: torch.save(state, temporary))
    return path


def load_latent(path) -> dict:
    """A latent written by :func:`save_latent`, read with ``weights_only=True``; one line if it is not one."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise GankitError(f"latent file {path} not found") from None
    except Exception as error:
        raise GankitError(f"cannot read latent file {path} ({type(error).__name__}); write it with gankit invert") from None
    if not isinstance(state, dict) or state.get("format") != LATENT_FORMAT:
        raise GankitError(f"{path} is not a gankit inversion latent; write one with gankit invert")
    return state
