"""``image-folder:PATH``: every PNG/JPEG/BMP/WEBP under a folder, as one in-memory dataset.

Images of any size and mode are made RGB (or grayscale with ``channels=1``): 16-bit images are
scaled to 8 bits (value / 257), transparent images (RGBA, LA, palette with transparency) are
composited onto white, EXIF rotations are applied. Each image is resized so its shorter side is
``image_size`` (default 64; PIL bilinear) and centre-cropped to a square, then scaled to [-1, 1].
Folders too large to decode into memory (see ``stream.MEMORY_LIMIT``) are decoded per batch.
Labels: if the images all sit inside two or more top-level subfolders, the sorted subfolder names are
the classes (like torchvision's ImageFolder); otherwise the data is unlabelled. ``split`` is ignored.
Symlinked images and folders are followed (:func:`scan_folder`); hidden files and folders are skipped.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from PIL import Image, ImageOps

from ..errors import GankitError
from ..registry import register_dataset
from .images import check_channels, check_image_size, resize_and_center_crop
from .stream import FileData, ImageDecoder, image_collection

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
DEFAULT_IMAGE_SIZE = 64
_SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I")


class FolderContents(NamedTuple):
    images: list[Path]       # image files, sorted
    skipped: list[Path]      # other files and broken links, sorted


def scan_folder(folder: Path) -> FolderContents:
    """The files under ``folder``, recursively, hidden files and folders skipped. Symlinked files and
    folders are followed (a folder linking back to one of its ancestors is not entered again, so a loop
    ends); a link to nothing is a skipped file."""
    images, skipped = [], []
    _scan_into(Path(folder), frozenset({os.path.realpath(folder)}), images, skipped)
    return FolderContents(sorted(images), sorted(skipped))


def _scan_into(directory: Path, ancestors: frozenset, images: list, skipped: list) -> None:
    """``ancestors``: the real paths of the folders being scanned above (and including) ``directory``."""
    with os.scandir(directory) as entries:
        entries = list(entries)
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if entry.is_dir():                          # follows a symlinked folder
            real = os.path.realpath(path)
            if real not in ancestors:               # a link back up would loop for ever
                _scan_into(path, ancestors | {real}, images, skipped)
        elif entry.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
            images.append(path)
        else:                                       # another file, a broken link, a socket, ...
            skipped.append(path)


def find_images(folder: Path) -> list[Path]:
    """Image files under ``folder`` (see :func:`scan_folder`), sorted."""
    return scan_folder(folder).images


def _to_8bit(image: Image.Image) -> Image.Image:
    if image.mode in _SIXTEEN_BIT_MODES:
        values = np.asarray(image, dtype=np.float64)
        return Image.fromarray(np.clip(np.rint(values / 257.0), 0, 255).astype(np.uint8), "L")
    if image.mode == "F":
        return Image.fromarray(np.clip(np.rint(np.asarray(image)), 0, 255).astype(np.uint8), "L")
    return image


def _flatten_alpha(image: Image.Image) -> Image.Image:
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image


def load_image(path: Path, image_size: int, channels: int, crop: tuple | None = None) -> np.ndarray:
    """One image file as a (size, size) or (size, size, 3) uint8 array; unreadable -> GankitError.
    ``crop`` (left, top, right, bottom), in the file's pixels, is cut before resizing (CelebA's face box)."""
    try:
        with Image.open(path) as opened:
            if opened.format == "JPEG" and crop is None:   # decode big JPEGs at a reduced scale still >= size
                opened.draft(opened.mode, (image_size, image_size))
            opened.load()
            image = ImageOps.exif_transpose(opened)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise GankitError(f"cannot read image {path} ({error}); delete or replace it") from error
    if crop is not None:
        if crop[2] > image.size[0] or crop[3] > image.size[1]:
            raise GankitError(f"image {path} is {image.size[0]}x{image.size[1]}, smaller than the crop box {crop}; "
                              "delete or replace it")
        image = image.crop(crop)
    image = _flatten_alpha(_to_8bit(image))
    image = image.convert("L" if channels == 1 else "RGB")
    return np.asarray(resize_and_center_crop(image, image_size))


def _class_of(files: list[Path], folder: Path) -> tuple[list[str], list[int]] | None:
    tops = [path.relative_to(folder).parts for path in files]
    if any(len(parts) < 2 for parts in tops):
        return None
    class_names = sorted({parts[0] for parts in tops})
    if len(class_names) < 2:
        return None
    index = {name: position for position, name in enumerate(class_names)}
    return class_names, [index[parts[0]] for parts in tops]


@register_dataset("image-folder", takes_argument=True, kind="image",
                  help="every PNG/JPEG/BMP/WEBP under PATH, resized and centre-cropped (default 64)")
def image_folder(path, *, split="train", image_size=None, channels=None, root=None, stream=None, **ignored):
    """A folder of images as uint8 (N, C, S, S); subfolders become classes (see module doc). ``stream``:
    decode per batch from the files (None: when the decoded images would exceed 1 GiB)."""
    check_image_size(image_size, "image-folder")
    check_channels(channels, "image-folder")
    folder = Path(path).expanduser()
    if not folder.exists():
        raise GankitError(f"image folder {folder} does not exist; give an existing folder of images")
    if not folder.is_dir():
        raise GankitError(f"{folder} is not a folder; give a folder that holds the images")
    files = find_images(folder)
    if not files:
        raise GankitError(f"no images in {folder} (looked for {', '.join(IMAGE_SUFFIXES)}, "
                          f"recursively); add images or point to another folder")
    size = image_size or DEFAULT_IMAGE_SIZE
    channels = channels or 3
    classes = _class_of(files, folder)
    labels, class_names = None, ()
    if classes is not None:
        class_names = tuple(classes[0])
        labels = torch.tensor(classes[1], dtype=torch.int64)
    data = FileData(f"image-folder:{folder}", files, ImageDecoder(size, channels), meta={"label": labels},
                    num_classes=len(class_names), class_names=class_names,
                    source=f"{len(files)} images under {folder}")
    return image_collection(data, stream)
