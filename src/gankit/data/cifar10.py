"""CIFAR-10 (Krizhevsky, 2009, "Learning Multiple Layers of Features from Tiny Images"), offline first.

The formats are those described on https://www.cs.toronto.edu/~kriz/cifar.html; either version is read:

- binary, ``cifar-10-batches-bin/data_batch_{1..5}.bin`` and ``test_batch.bin``: records of 3073 bytes,
  one label byte then 3072 pixel bytes (the red plane's 1024 bytes, then green, then blue; each plane
  32x32 row-major); class names one per line in ``batches.meta.txt``;
- python, ``cifar-10-batches-py/data_batch_{1..5}`` and ``test_batch``: pickled dicts (written by
  Python 2, so read with ``encoding="bytes"``) holding ``b"data"``, uint8 N x 3072 in the same order, and
  ``b"labels"``; class names under ``b"label_names"`` in ``batches.meta``. The pickles are read by
  :class:`ArrayUnpickler`, which rebuilds numpy arrays and nothing else: a pickle naming any other
  callable (``os.system``, ...) is refused before anything runs.

Folders searched: see :mod:`gankit.data.locate` (``root``, ``$GANKIT_DATA``, the cache, each with and
without a ``cifar10/`` subfolder); the binary version is preferred. When neither is found, the binary
tarball (``$GANKIT_CIFAR10_URL`` overrides the base URL) is downloaded into ``cache_dir()/cifar10/``,
checked (md5 and sha256, see :mod:`gankit.data.download`), unpacked and deleted; ``download=False`` or
``GANKIT_OFFLINE=1`` turns that off. Always held in memory: uint8 (N, 3, 32, 32), 50k train / 10k test;
``image_size`` resizes (PIL bilinear), ``channels=1`` converts to gray (PIL "L").
"""
from __future__ import annotations

import importlib
import pickle
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..errors import GankitError
from ..registry import register_dataset
from .base import MemoryData
from .download import REMOTE_DATASETS, DownloadFailed, download_dataset, extract_tarball
from .images import RESAMPLE, check_channels, check_image_size
from .locate import download_allowed, find_dataset_folder, looked_in

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
RECORD_BYTES = 1 + 3 * 32 * 32
LAYOUTS = {   # folder -> (file suffix, class-names file)
    "cifar-10-batches-bin": (".bin", "batches.meta.txt"),
    "cifar-10-batches-py": ("", "batches.meta"),
}
BATCHES = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}
HOW_TO_GET = ("download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and unpack "
              "it into $GANKIT_DATA/cifar10/ (or allow the download: unset GANKIT_OFFLINE)")


def read_binary_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One binary batch file -> uint8 (N, 3, 32, 32) images and int64 (N,) labels."""
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % RECORD_BYTES:
        raise GankitError(f"CIFAR-10 file {path} has {raw.size} bytes, not a multiple of the {RECORD_BYTES}-byte "
                          f"record (truncated?); delete it and unpack or download it again")
    records = raw.reshape(-1, RECORD_BYTES)
    return _checked(path, records[:, 1:].reshape(-1, 3, 32, 32), records[:, 0])


def _checked(path: Path, images: np.ndarray, labels) -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(labels, dtype=np.int64)
    if labels.shape != (len(images),) or labels.min(initial=0) < 0 or labels.max(initial=0) > 9:
        raise GankitError(f"CIFAR-10 file {path} has labels outside 0-9 or not one per image; "
                          f"delete it and unpack or download it again")
    return np.ascontiguousarray(images), labels


def _multiarray():
    try:                              # numpy >= 2 moved numpy.core to numpy._core
        return importlib.import_module("numpy._core.multiarray")
    except ImportError:               # pragma: no cover - numpy 1.x
        return importlib.import_module("numpy.core.multiarray")


class ArrayUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, bytes and numpy arrays only: ``find_class`` admits just what rebuilding an
    ndarray needs (and ``_codecs.encode``, which Python 3 protocol-2 pickles use for bytes); any other
    global raises a one-line GankitError naming the file, so no code from the file is run."""

    def __init__(self, stream, path: Path):
        super().__init__(stream, encoding="bytes")
        self.path = path

    def find_class(self, module: str, name: str):
        if name == "_reconstruct" and module in ("numpy.core.multiarray", "numpy._core.multiarray"):
            return _multiarray()._reconstruct
        if module in ("numpy", "numpy.core.multiarray", "numpy._core.multiarray") and name in ("ndarray", "dtype"):
            return getattr(np, name)
        if (module, name) == ("_codecs", "encode"):
            import _codecs
            return _codecs.encode
        raise GankitError(f"refusing to unpickle {self.path}: it calls {module}.{name}, which a CIFAR-10 batch "
                          f"never does; delete the file and get the dataset from its official page")


def load_pickle(path: Path):
    try:
        with open(path, "rb") as stream:
            return ArrayUnpickler(stream, path).load()
    except GankitError:
        raise
    except Exception as error:       # a damaged pickle can fail in many ways: all are "unreadable"
        raise GankitError(f"cannot read CIFAR-10 pickle {path} ({type(error).__name__}: {error}); delete it "
                          f"and unpack or download it again") from error


def _field(batch, key: str):
    return batch.get(key.encode(), batch.get(key)) if isinstance(batch, dict) else None


def read_python_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One python-version batch file (a pickled dict) -> uint8 (N, 3, 32, 32) images, int64 labels."""
    batch = load_pickle(path)
    data, labels = _field(batch, "data"), _field(batch, "labels")
    if (not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2
            or data.shape[1] != RECORD_BYTES - 1 or labels is None):
        raise GankitError(f"CIFAR-10 pickle {path} is not a batch (a dict with b'data', uint8 N x 3072, and "
                          f"b'labels'); delete it and unpack or download it again")
    return _checked(path, data.reshape(-1, 3, 32, 32), labels)


def _class_names(folder: Path) -> tuple:
    path = folder / LAYOUTS[folder.name][1]
    if not path.is_file():
        return CLASS_NAMES
    if path.suffix == ".txt":
        names = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    else:
        names = [n.decode(errors="replace") if isinstance(n, bytes) else str(n)
                 for n in (_field(load_pickle(path), "label_names") or [])]
    return tuple(names) if len(names) == 10 else CLASS_NAMES


def find_cifar10(split: str, root=None) -> Path | None:
    """The batches folder (``cifar-10-batches-bin`` or ``-py``) holding the split's files, or None."""
    for layout, (suffix, _) in LAYOUTS.items():
        base = find_dataset_folder("cifar10", root, f"{layout}/{BATCHES[split][0]}{suffix}")
        if base is not None:
            return base / layout
    return None


def read_split(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    suffix = LAYOUTS[folder.name][0]
    reader = read_binary_batch if suffix == ".bin" else read_python_batch
    parts = []
    for stem in BATCHES[split]:
        path = folder / f"{stem}{suffix}"
        if not path.is_file():
            raise GankitError(f"CIFAR-10 file {path} is missing (the other batches are in {folder}); "
                              f"unpack the whole archive again")
        parts.append(reader(path))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def download_cifar10() -> Path:
    """Fetch and unpack the binary tarball into ``cache_dir()/cifar10``; return the batches folder."""
    folder = download_dataset("cifar10")
    archive = folder / REMOTE_DATASETS["cifar10"].files[0].name
    extract_tarball(archive, folder)
    archive.unlink()
    if not (folder / "cifar-10-batches-bin").is_dir():
        raise GankitError(f"the CIFAR-10 archive unpacked into {folder} holds no cifar-10-batches-bin folder; "
                          f"{HOW_TO_GET}")
    return folder / "cifar-10-batches-bin"


def convert_images(images: np.ndarray, size: int, channels: int) -> np.ndarray:
    """uint8 (N, 3, H, W) -> (N, channels, size, size): PIL gray conversion and bilinear resizing."""
    if size == images.shape[-1] and channels == 3:
        return images
    out = np.empty((len(images), channels, size, size), dtype=np.uint8)
    for i, image in enumerate(images):
        picture = Image.fromarray(image.transpose(1, 2, 0))
        picture = picture.convert("L") if channels == 1 else picture
        if picture.size != (size, size):
            picture = picture.resize((size, size), RESAMPLE)
        pixels = np.asarray(picture)
        out[i] = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    return out


@register_dataset("cifar10", help="CIFAR-10 32x32 colour images, 10 classes, 50k train / 10k test",
                  kind="image", num_classes=10, sample_shape=(3, 32, 32))
def cifar10(*, split="train", image_size=None, channels=None, root=None, download=None, **ignored):
    """CIFAR-10 as uint8 (N, 3, 32, 32) in memory (``image_size`` default 32); see the module docstring."""
    if split not in BATCHES:
        raise GankitError(f"dataset 'cifar10' has splits 'train' and 'test', not '{split}'")
    check_image_size(image_size, "cifar10")
    check_channels(channels, "cifar10")
    folder = find_cifar10(split, root)
    if folder is None:
        looked = looked_in("cifar10", root, "cifar-10-batches-{bin,py}")
        if not download_allowed(download):
            raise GankitError(f"cifar10 not found (looked in {looked}) and downloading is off; {HOW_TO_GET}")
        try:
            folder = download_cifar10()
        except DownloadFailed as error:
            raise GankitError(f"cifar10 not found (looked in {looked}) and the download failed ({error}); "
                              f"{HOW_TO_GET}") from error
    images, labels = read_split(folder, split)
    images = convert_images(images, image_size or 32, channels or 3)
    return MemoryData("cifar10", {"image": torch.from_numpy(images)}, meta={"label": torch.from_numpy(labels)},
                      num_classes=10, class_names=_class_names(folder),
                      source=f"{len(images)} images from {folder} ({split})")
