"""``paired-folder:IMAGES,MAPS``: images with per-pixel label maps, for semantic-image-synthesis GANs
(pix2pixHD, SPADE/GauGAN, OASIS).

``IMAGES`` and ``MAPS`` are two folders separated by one comma. The maps are single-channel PNGs (mode L
or P) whose pixel values are class ids, as Cityscapes' ``*_labelIds.png``, ADE20K's and CMP Facades'
label images are. An image and a map are partners when their paths relative to their folders are equal
without the suffix (``a/b.jpg`` and ``a/b.png``); rename Cityscapes' ``_leftImg8bit``/``_gtFine_labelIds``
suffixes to match. Files without a partner are left out with one warning naming the first few; a map of
another size than its image is a one-line error (:func:`gankit.data.stream.decode_segmap`) when decoded.

``segmap_classes`` (the number of label classes a model needs) is the largest id over all maps + 1: the
maps are read once, at full resolution, to find it. For a large set pass ``segmap_classes=`` (e.g. 35 for
Cityscapes, 151 for ADE20K with its 0 = "other") to skip that scan; ids are then checked only when maps
are decoded into memory. Images are resized and centre-cropped like ``image-folder`` (default 64); maps
follow with nearest-neighbour resampling.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import GankitError
from ..registry import register_dataset
from .image_folder import DEFAULT_IMAGE_SIZE, find_images
from .images import check_channels, check_image_size
from .stream import FileData, ImageDecoder, image_collection

SHOWN_UNPAIRED = 3


def _by_key(folder: Path, files: list[Path]) -> dict[str, Path]:
    keyed = {}
    for path in files:
        key = path.relative_to(folder).with_suffix("").as_posix()
        if key in keyed:
            raise GankitError(f"{keyed[key]} and {path} have the same name but for the suffix, so which one pairs "
                              f"with its partner is unclear; keep one of them")
        keyed[key] = path
    return keyed


def pair_files(images_dir: Path, maps_dir: Path) -> tuple[list[Path], list[Path]]:
    """(images, maps) matched by relative path without suffix, sorted; unpaired files -> one warning."""
    images = _by_key(images_dir, find_images(images_dir))
    maps = _by_key(maps_dir, [path for path in find_images(maps_dir) if path.suffix.lower() == ".png"])
    keys = sorted(images.keys() & maps.keys())
    if not keys:
        raise GankitError(f"no image in {images_dir} has a label map of the same name in {maps_dir} (maps: "
                          f"single-channel .png files); pair each image a.jpg with a map a.png")
    lonely = [("images without a label map", sorted(images[k] for k in images.keys() - maps.keys())),
              ("label maps without an image", sorted(maps[k] for k in maps.keys() - images.keys()))]
    parts = [f"{len(files)} {what} ({', '.join(map(str, files[:SHOWN_UNPAIRED]))}"
             f"{', ...' if len(files) > SHOWN_UNPAIRED else ''})" for what, files in lonely if files]
    if parts:
        warnings.warn(f"left out {' and '.join(parts)}; {len(keys)} pairs are used", stacklevel=3)
    return [images[k] for k in keys], [maps[k] for k in keys]


def largest_id(path: Path) -> int:
    """The largest class id in one label map, at full resolution."""
    try:
        with Image.open(path) as segmap:
            if segmap.mode not in ("L", "P", "I", "I;16"):
                raise GankitError(f"label map {path} has mode {segmap.mode}; label maps are single-channel PNGs "
                                  "of class ids (mode L or P)")
            return int(np.asarray(segmap).max(initial=0))
    except (OSError, SyntaxError, ValueError) as error:
        raise GankitError(f"cannot read label map {path} ({error}); delete or replace it") from error


def _split_argument(argument: str) -> tuple[Path, Path]:
    parts = argument.split(",")
    if len(parts) != 2 or not all(part.strip() for part in parts):
        raise GankitError(f"paired-folder takes two folders separated by one comma, "
                          f"'paired-folder:IMAGES,MAPS', not 'paired-folder:{argument}'")
    folders = tuple(Path(part.strip()).expanduser() for part in parts)
    for folder in folders:
        if not folder.is_dir():
            raise GankitError(f"paired-folder: {folder} is not a folder; give the images' and the maps' folders")
    return folders


@register_dataset("paired-folder", takes_argument=True, argument="IMAGES,MAPS", kind="image",
                  help="images and same-named single-channel PNG label maps (class ids), as image + segmap")
def paired_folder(argument, *, split="train", image_size=None, channels=None, root=None, stream=None,
                  segmap_classes=None, **ignored):
    """Images with label maps as uint8 ``image`` (N, C, S, S) and ``segmap`` (N, S, S); see the module doc."""
    check_image_size(image_size, "paired-folder")
    check_channels(channels, "paired-folder")
    images_dir, maps_dir = _split_argument(argument)
    images, maps = pair_files(images_dir, maps_dir)
    scanned = segmap_classes is None
    if scanned:
        segmap_classes = max(largest_id(path) for path in maps) + 1
    data = FileData(f"paired-folder:{images_dir},{maps_dir}", images,
                    ImageDecoder(image_size or DEFAULT_IMAGE_SIZE, channels or 3), segmap_files=maps,
                    segmap_classes=segmap_classes,
                    source=f"{len(images)} images in {images_dir} with label maps in {maps_dir}")
    data = image_collection(data, stream)
    if not scanned and not data.streamed:
        top = int(data.arrays["segmap"].max())
        if top >= segmap_classes:
            raise GankitError(f"a label map in {maps_dir} has class id {top}, but segmap_classes={segmap_classes}; "
                              f"give segmap_classes={top + 1} or more, or leave it out to count the classes")
    return data
