"""CelebA (Liu et al., 2015, "Deep Learning Face Attributes in the Wild"), the aligned-and-cropped images.

Files, as distributed on https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html (Google Drive, which cannot
be downloaded from reliably, so gankit never downloads CelebA), in a ``celeba/`` folder found under
``root``, ``$GANKIT_DATA`` or the cache (:mod:`gankit.data.locate`):

- ``img_align_celeba/*.jpg``: 202,599 JPEGs of 178x218 (width x height);
- ``list_attr_celeba.txt``: line 1 the image count, line 2 the 40 attribute names, then one row per
  image, ``filename v1 ... v40`` with 1 (present) / -1 (absent); stored as ``attrs`` (N, 40) in {0, 1};
- ``list_eval_partition.txt``: ``filename 0|1|2``, the official train / valid / test split.

Crop (``crop=``), a square box of the 178x218 image cut before resizing to ``image_size`` (default 64):
``"center178"`` (default) the 178x178 centre square, box (0, 20, 178, 198); ``"center140"`` the 140x140
centre, box (19, 39, 159, 179), as tensorpack's DCGAN-CelebA example (``--crop-size 140``);
``"center108"`` the 108x108 centre, box (35, 55, 143, 163), as carpedm20/DCGAN-tensorflow
(``--input_height=108 --crop``), tight on the face. The default is the crop that PyTorch's DCGAN
tutorial and most torchvision-based GAN code apply (``Resize(64)`` then ``CenterCrop(64)`` of the
178x218 image keeps exactly the centre 178x178 square), so that FIDs against gankit's CelebA compare with
theirs, and ``image-folder:.../img_align_celeba`` gives the same pixels.

``label="Smiling"`` (any attribute name) makes that attribute the class label (0/1). The 200k images
are decoded per batch unless they fit in memory (``stream``, see :func:`gankit.data.stream.image_collection`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..errors import GankitError
from ..registry import register_dataset
from .images import check_channels, check_image_size
from .locate import required_folder
from .stream import FileData, ImageDecoder, image_collection

IMAGES, ATTRIBUTES, PARTITION = "img_align_celeba", "list_attr_celeba.txt", "list_eval_partition.txt"
CROPS = {"center178": (0, 20, 178, 198), "center140": (19, 39, 159, 179), "center108": (35, 55, 143, 163)}
SPLITS = {"train": 0, "valid": 1, "test": 2}
DEFAULT_IMAGE_SIZE = 64
HOW_TO_GET = (f"CelebA is not downloaded by gankit (it is on Google Drive): from "
              f"https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html get img_align_celeba.zip, {ATTRIBUTES} and "
              f"{PARTITION} and put them as $GANKIT_DATA/celeba/{IMAGES}/*.jpg, $GANKIT_DATA/celeba/{ATTRIBUTES} "
              f"and $GANKIT_DATA/celeba/{PARTITION}")


def _rows(path: Path) -> list[list[str]]:
    try:
        return [line.split() for line in path.read_text(errors="replace").splitlines()]
    except OSError as error:
        raise GankitError(f"cannot read CelebA file {path} ({error}); {HOW_TO_GET}") from error


def read_attributes(path: Path) -> tuple[tuple, list[str], np.ndarray]:
    """(attribute names, file names, int64 (N, A) values in {0, 1}) from ``list_attr_celeba.txt``."""
    rows = _rows(path)
    if len(rows) < 2 or len(rows[0]) != 1 or not rows[0][0].isdigit():
        raise GankitError(f"CelebA attribute file {path} does not start with the image count and the attribute "
                          f"names; replace it with the official {ATTRIBUTES}")
    names, body = tuple(rows[1]), [row for row in rows[2:] if row]
    for number, row in enumerate(body, start=3):
        if len(row) != len(names) + 1 or any(value not in ("1", "-1") for value in row[1:]):
            raise GankitError(f"CelebA attribute file {path} line {number} ({row[0] if row else ''}) has "
                              f"{len(row) - 1} values, expected {len(names)} values of 1 or -1; replace the file")
    if len(body) != int(rows[0][0]):
        raise GankitError(f"CelebA attribute file {path} announces {rows[0][0]} images but lists {len(body)}; "
                          f"replace it with the official {ATTRIBUTES}")
    values = np.array([[value == "1" for value in row[1:]] for row in body], dtype=np.int64)
    return names, [row[0] for row in body], values.reshape(len(body), len(names))


def _check_rows_match_images(path: Path, files: list[str], folder: Path) -> None:
    on_disk = {entry.name for entry in folder.iterdir() if entry.suffix.lower() == ".jpg"}
    listed = set(files)
    missing = next((name for name in files if name not in on_disk), None)
    if missing is not None:
        raise GankitError(f"CelebA attribute file {path} lists {missing}, which is not in {folder} "
                          f"({len(listed - on_disk)} listed images missing); put back the images or the matching "
                          f"attribute file")
    extra = sorted(on_disk - listed)
    if extra:
        raise GankitError(f"CelebA image {folder / extra[0]} has no row in {path} ({len(extra)} images without "
                          f"a row); remove the extra images or use the matching attribute file")


def read_partition(path: Path, files: list[str]) -> np.ndarray:
    """The split id (0 train, 1 valid, 2 test) of each of ``files``, from ``list_eval_partition.txt``."""
    split_of = {}
    for number, row in enumerate(_rows(path), start=1):
        if row:
            if len(row) != 2 or row[1] not in ("0", "1", "2"):
                raise GankitError(f"CelebA partition file {path} line {number} is not 'filename 0|1|2'; "
                                  f"replace it with the official {PARTITION}")
            split_of[row[0]] = int(row[1])
    missing = next((name for name in files if name not in split_of), None)
    if missing is not None:
        raise GankitError(f"CelebA partition file {path} has no row for {missing}; use the {PARTITION} that "
                          f"matches {ATTRIBUTES}")
    return np.array([split_of[name] for name in files], dtype=np.int64)


def label_from_attribute(attrs: np.ndarray, names: tuple, label: str, dataset: str) -> dict:
    """Keywords for a dataset whose class label is one binary attribute column (0 absent, 1 present)."""
    if label not in names:
        raise GankitError(f"dataset '{dataset}' has no attribute '{label}' to use as label; its attributes: "
                          f"{', '.join(names)}")
    column = torch.from_numpy(np.ascontiguousarray(attrs[:, names.index(label)]))
    return {"label": column, "num_classes": 2, "class_names": (f"not {label}", label), "label_name": label}


@register_dataset("celeba", help="CelebA aligned faces, 40 binary attributes (--label ATTRIBUTE), default 64x64",
                  kind="image", labels="attributes")
def celeba(*, split="train", image_size=None, channels=None, root=None, download=None, stream=None,
           label=None, crop="center178", **ignored):
    """CelebA as uint8 (N, C, S, S) with ``attrs`` (N, 40); ``split`` train/valid/test; see the module doc."""
    if split not in SPLITS:
        raise GankitError(f"dataset 'celeba' has splits {', '.join(map(repr, SPLITS))}, not '{split}'")
    if crop not in CROPS:
        raise GankitError(f"CelebA crop '{crop}' is unknown; use one of {', '.join(CROPS)}")
    check_image_size(image_size, "celeba")
    check_channels(channels, "celeba")
    base = required_folder("CelebA", "celeba", root, IMAGES, HOW_TO_GET)
    for needed in (ATTRIBUTES, PARTITION):
        if not (base / needed).is_file():
            raise GankitError(f"CelebA file {base / needed} is missing (the images are in {base / IMAGES}); "
                              f"{HOW_TO_GET}")
    names, files, attrs = read_attributes(base / ATTRIBUTES)
    _check_rows_match_images(base / ATTRIBUTES, files, base / IMAGES)
    chosen = read_partition(base / PARTITION, files) == SPLITS[split]
    files, attrs = [name for name, keep in zip(files, chosen) if keep], attrs[chosen]
    if not files:
        raise GankitError(f"CelebA split '{split}' is empty in {base / PARTITION}; use another split")
    labelled = label_from_attribute(attrs, names, label, "celeba") if label is not None else {}
    decoder = ImageDecoder(image_size or DEFAULT_IMAGE_SIZE, channels or 3, crop=CROPS[crop])
    data = FileData("celeba", [base / IMAGES / name for name in files], decoder,
                    meta={"attrs": torch.from_numpy(attrs), "label": labelled.pop("label", None)},
                    attr_names=names, source=f"{len(files)} {split} images in {base / IMAGES} ({crop} crop)",
                    **labelled)
    return image_collection(data, stream)
