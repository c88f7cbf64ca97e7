"""UTKFace (Zhang, Song and Qi, 2017, "Age Progression/Regression by Conditional Adversarial
Autoencoder"), the aligned and cropped faces, 200x200 JPEGs.

The dataset page (https://susanqq.github.io/UTKFace/) distributes ``UTKFace.tar.gz`` through Google
Drive, so gankit never downloads it: unpack it so the images are ``utkface/UTKFace/*.jpg`` under
``root``, ``$GANKIT_DATA`` or the cache (:mod:`gankit.data.locate`). Each file is named
``[age]_[gender]_[race]_[date&time].jpg.chip.jpg`` (plain ``.jpg`` names with the same fields are read
too): age an integer (0-116), gender 0 male / 1 female, race 0-4 for White, Black, Asian, Indian,
Others. A handful of the published names lack a field; such files are skipped, with one warning that
gives their count and the first name.

``attrs`` holds integer columns ``("age", "gender", "race")`` (not binary, unlike CelebA's).
``label=``: ``"gender"`` (2 classes), ``"race"`` (5) or ``"age-decade"``: ``min(age // 10, 9)``, ten classes
``"0-9", "10-19", ..., "80-89", "90+"`` (the last gathers the few faces of 90 and over, so no class is
nearly empty). UTKFace has no official split: ``split="train"`` is every image; other splits are refused.
Images are resized to ``image_size`` (default 64) without a crop (the faces are already cropped).
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import torch

from ..errors import GankitError
from ..registry import register_dataset
from .images import check_channels, check_image_size
from .locate import required_folder
from .stream import FileData, ImageDecoder, image_collection

IMAGES = "UTKFace"
ATTR_NAMES = ("age", "gender", "race")
RACES = ("White", "Black", "Asian", "Indian", "Others")
AGE_DECADES = tuple(f"{10 * d}-{10 * d + 9}" for d in range(9)) + ("90+",)
LABELS = {"gender": ("male", "female"), "race": RACES, "age-decade": AGE_DECADES}
DEFAULT_IMAGE_SIZE = 64
NAME = re.compile(r"^(\d{1,3})_([01])_([0-4])_(\d+)\.jpg(\.chip\.jpg)?$", re.IGNORECASE)
HOW_TO_GET = ("UTKFace is not downloaded by gankit (it is on Google Drive): get UTKFace.tar.gz from "
              "https://susanqq.github.io/UTKFace/ and unpack it so the images are "
              "$GANKIT_DATA/utkface/UTKFace/*.jpg.chip.jpg")


def parse_names(names: list[str]) -> tuple[list[str], np.ndarray, list[str]]:
    """(the well-formed names, int64 (N, 3) age/gender/race, the malformed names), in sorted order."""
    kept, values, malformed = [], [], []
    for name in sorted(names):
        match = NAME.match(name)
        if match is None:
            malformed.append(name)
            continue
        kept.append(name)
        values.append([int(match.group(1)), int(match.group(2)), int(match.group(3))])
    return kept, np.array(values, dtype=np.int64).reshape(len(kept), 3), malformed


def label_column(attrs: np.ndarray, label: str) -> np.ndarray:
    """The class ids of ``label`` ("gender", "race" or "age-decade") for rows of (age, gender, race)."""
    if label == "age-decade":
        return np.minimum(attrs[:, 0] // 10, 9)
    return attrs[:, ATTR_NAMES.index(label)]


@register_dataset("utkface", help="UTKFace 200x200 faces with age/gender/race (--label gender|race|age-decade)",
                  kind="image", labels=tuple(LABELS))
def utkface(*, split="train", image_size=None, channels=None, root=None, download=None, stream=None,
            label=None, **ignored):
    """UTKFace as uint8 (N, C, S, S) with integer ``attrs`` (age, gender, race); see the module docstring."""
    if split != "train":
        raise GankitError(f"dataset 'utkface' has no official split, so only split 'train' (every image) exists, "
                          f"not '{split}'; hold out images yourself if you need a test set")
    if label is not None and label not in LABELS:
        raise GankitError(f"dataset 'utkface' has no label '{label}'; its labels: {', '.join(LABELS)}")
    check_image_size(image_size, "utkface")
    check_channels(channels, "utkface")
    base = required_folder("UTKFace", "utkface", root, IMAGES, HOW_TO_GET)
    folder = base / IMAGES
    candidates = [entry.name for entry in folder.iterdir()
                  if entry.is_file() and not entry.name.startswith(".") and entry.name.lower().endswith(".jpg")]
    names, attrs, malformed = parse_names(candidates)
    if malformed:
        warnings.warn(f"skipped {len(malformed)} UTKFace files in {folder} whose names are not "
                      f"age_gender_race_datetime.jpg[.chip.jpg], the first {malformed[0]}", stacklevel=2)
    if not names:
        raise GankitError(f"no UTKFace images named age_gender_race_datetime.jpg.chip.jpg in {folder}; {HOW_TO_GET}")
    classes = LABELS.get(label, ())
    data = FileData("utkface", [folder / name for name in names],
                    ImageDecoder(image_size or DEFAULT_IMAGE_SIZE, channels or 3),
                    meta={"attrs": torch.from_numpy(attrs),
                          "label": torch.from_numpy(label_column(attrs, label)) if label else None},
                    attr_names=ATTR_NAMES, num_classes=len(classes), class_names=classes, label_name=label,
                    source=f"{len(names)} images in {folder}")
    return image_collection(data, stream)
