"""Where metric inputs come from: image folders, statistics files, registered datasets, runs, tensors.

A *source* string (the CLI's arguments) is resolved in this order:

* ``FILE.npz``: FID statistics (``mu``, ``sigma``), pytorch-fid's layout;
* a gankit run folder (holds ``config.json``) or checkpoint file (``.pt``/``.ckpt``): ``num`` samples
  are generated on the fly (seeded) by ``sample_run`` (the api layer passes it in). Metrics do not load runs
  themselves (that needs recipes and checkpoints, layers above them): the caller passes the loader,
  ``gankit.load``, as ``gankit.fid`` and the CLI do;
* a folder: every image in it, recursively (PNG, JPEG, BMP, WEBP; sorted by path). Files with other
  extensions are skipped with one warning giving their count; an image that cannot be decoded is an
  error naming it. Grayscale, palette, 16-bit (scaled by 1/257) and RGBA images (alpha dropped, as
  PIL's ``convert("RGB")`` and pytorch-fid do) become 8-bit RGB. Their features are cached in
  ``$GANKIT_CACHE/metrics`` keyed by the files' names, sizes and mtimes, the number of images, the
  protocol and the weights (:func:`gankit.metrics.feature_cache.folder_key`): a second metric on the
  same folder runs no network;
* a registered dataset name, optionally ``NAME@SPLIT`` (default split ``train``): its first ``num``
  images. Their features and statistics are cached in ``$GANKIT_CACHE/metrics`` keyed by
  dataset, split, image shape, ``num``, feature protocol and the fingerprint of the weights loaded
  (:mod:`gankit.metrics.feature_cache`) -- except for datasets given by a path (``image-folder:PATH``),
  whose files can change under the same name. Note that ``image-folder:PATH``
  is the *training dataset* view of a folder (resized and centre-cropped to its image size, 64 by
  default, alpha composited on white), while ``PATH`` alone measures the files' own pixels: give the
  plain folder to compare with other tools.

Decoding runs on a thread pool up to two batches ahead of the network, so only the network is on
the critical path.
"""
from __future__ import annotations

import os
import warnings
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from ..config import check_seed, is_integer
from ..data.image_folder import _to_8bit, scan_folder
from ..data.batches import images_to_float
from .sharding import gather_rows, shard
from ..errors import GankitError
from ..registry import DATASETS
from .feature_cache import FeatureCacheWarning, cache_path, folder_cache_path, read_arrays, write_arrays
from .features import FeatureExtractor, images_to_uint8, to_host
from .fid import FeatureStats

CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt")

# gankit.load's signature: (run_dir, checkpoint=None, device=...) -> a GAN with generate(num, labels, rng=, batch_size=)
RunSampler = Callable[..., torch.Tensor]   # (path, num, seed=, batch_size=, device=) -> images


class SkippedFilesWarning(UserWarning):
    """Files in an image folder that are not images (by extension) were left out."""


@dataclass
class Features:
    """Features of a source (float32, (N, dim)), its logits if the backend has them, and a label."""
    features: torch.Tensor
    logits: torch.Tensor | None
    origin: str

    def stats(self, protocol: str | None) -> FeatureStats:
        return FeatureStats.from_features(self.features, protocol, origin=self.origin)


# --------------------------------------------------------------------------- image folders

def decode_rgb(path: Path) -> np.ndarray:
    """One image file -> (H, W, 3) uint8 RGB (see the module docstring for the mode conversions)."""
    try:
        with Image.open(path) as opened:
            opened.load()
            image = _to_8bit(opened)
            return np.asarray(image.convert("RGB"))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise GankitError(f"cannot decode image {path} ({error}); delete or replace it") from None


def folder_images(folder: Path) -> list[Path]:
    """The image files of ``folder`` (symlinks followed); warns once with the count of skipped files."""
    contents = scan_folder(folder)
    images = contents.images
    if contents.skipped:
        warnings.warn(f"{folder}: skipped {len(contents.skipped)} file(s) that are not PNG/JPEG/BMP/WEBP "
                      "images or are broken links", SkippedFilesWarning, stacklevel=2)
    if not images:
        raise GankitError(f"no images in {folder} (looked for .png, .jpg, .jpeg, .bmp, .webp); "
                          "give a folder of images")
    return images


def _stack_runs(arrays: list[np.ndarray]) -> Iterator[torch.Tensor]:
    """Consecutive equally sized images as uint8 (n, 3, H, W) batches (folders may mix sizes)."""
    start = 0
    for end in range(1, len(arrays) + 1):
        if end == len(arrays) or arrays[end].shape != arrays[start].shape:
            yield torch.from_numpy(np.stack(arrays[start:end])).permute(0, 3, 1, 2).contiguous()
            start = end


def iter_folder_batches(files: list[Path], batch_size: int, workers: int | None = None) -> Iterator[torch.Tensor]:
    """Decode ``files`` in order on a thread pool (PIL releases the GIL), up to two batches ahead."""
    workers = workers or min(8, os.cpu_count() or 1)
    upcoming = iter(files)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque = deque()

        def refill() -> None:
            while len(pending) < 2 * batch_size:
                path = next(upcoming, None)
                if path is None:
                    return
                pending.append(pool.submit(decode_rgb, path))

        refill()
        while pending:
            batch = [pending.popleft().result() for _ in range(min(batch_size, len(pending)))]
            refill()
            yield from _stack_runs(batch)


def iter_tensor_batches(images: torch.Tensor, batch_size: int) -> Iterator[torch.Tensor]:
    """[-1, 1] float images -> uint8 RGB batches."""
    for start in range(0, images.shape[0], batch_size):
        yield images_to_uint8(images[start:start + batch_size])


def extract(batches: Iterable[torch.Tensor], extractor: FeatureExtractor, total: int, origin: str,
            progress: bool = False) -> Features:
    """Run ``extractor`` over uint8 batches and concatenate the results.

    Each batch is submitted before the previous one's results are fetched, so on a GPU the next
    forward is queued while the host waits for the copy back (no idle gap per batch)."""
    features, logits = [], []

    def fetch(submitted, size: int) -> None:
        batch_features, batch_logits = (to_host(result) for result in submitted)
        features.append(batch_features)
        if batch_logits is not None:
            logits.append(batch_logits)
        bar.update(size)

    with tqdm(total=total, desc=f"features {origin}"[:60], unit="img", disable=not progress,
              leave=False) as bar:
        in_flight = None
        for batch in batches:
            submitted = extractor.submit(batch), batch.shape[0]
            if in_flight is not None:
                fetch(*in_flight)
            in_flight = submitted
        if in_flight is not None:
            fetch(*in_flight)
    return Features(torch.cat(features), torch.cat(logits) if logits else None, origin)


def cached_features(path: Path | None, extractor: FeatureExtractor, origin: str,
                    compute: Callable[[], Features]) -> Features:
    """The features (and logits, if the backend has them) cached at ``path``, else ``compute()``d and
    written there; ``path`` None: not cached."""
    required = ("features", "logits") if extractor.has_logits else ("features",)
    cached = read_arrays(path, required) if path is not None else None
    if cached is not None:
        logits = torch.from_numpy(cached["logits"]) if extractor.has_logits else None
        return Features(torch.from_numpy(cached["features"]), logits, origin)
    result = compute()
    if path is not None:
        arrays = {"features": result.features.numpy()}
        if result.logits is not None:
            arrays["logits"] = result.logits.numpy()
        write_arrays(path, arrays)
    return result


def folder_features(folder: str | Path, extractor: FeatureExtractor, batch_size: int = 50,
                    progress: bool = False, limit: int | None = None) -> Features:
    """Features of a folder's first ``limit`` images, cached by the files' names, sizes and mtimes
    (:func:`gankit.metrics.feature_cache.folder_key`)."""
    folder = Path(folder)
    files = folder_images(folder)
    warn_if_fewer(len(files), limit, str(folder))
    files = files[:limit]
    return cached_features(folder_cache_path(folder, files, extractor), extractor, str(folder),
                           lambda: sharded_extract(files, lambda mine: iter_folder_batches(mine, batch_size),
                                                   extractor, str(folder), progress))


def tensor_features(images: torch.Tensor, extractor: FeatureExtractor, batch_size: int = 50,
                    progress: bool = False, origin: str = "samples") -> Features:
    return sharded_extract(images, lambda mine: iter_tensor_batches(mine, batch_size), extractor, origin, progress)


def sharded_extract(items, batches_of, extractor: FeatureExtractor, origin: str, progress: bool) -> Features:
    """:func:`extract` over ``batches_of(items)``; under torchrun each process takes its share of the items
    and the features are gathered back in order (metrics/sharding.py)."""
    mine = shard(items)
    local = extract(batches_of(mine), extractor, len(mine), origin, progress)
    return Features(gather_rows(local.features, len(items)), gather_rows(local.logits, len(items)), origin)


# --------------------------------------------------------------------------- datasets (cached)

def split_dataset_name(source: str) -> tuple[str, str]:
    name, _, split = source.partition("@")
    return name, split or "train"


def dataset_features(name: str, split: str, extractor: FeatureExtractor, num: int | None = None,
                     batch_size: int = 50, progress: bool = False, data=None) -> Features:
    """Features of the first ``num`` images of a dataset, cached as ``.npz`` under the cache dir.

    ``data`` (a Dataset) may be given when the caller already holds the dataset (e.g. a run's
    training data at its image size); otherwise it is built from the registry.
    """
    if data is None:
        data = DATASETS.build(name, split=split)
    if not data.is_image:
        raise GankitError(f"dataset '{name}' holds 2D points; image metrics need image data")
    warn_if_fewer(len(data), num, f"{name}@{split}")
    n = len(data) if num is None else min(num, len(data))
    origin = f"{name}@{split}"
    return cached_features(cache_path(name, split, data.sample_shape, n, extractor, ".npz"), extractor, origin,
                           lambda: tensor_features(images_to_float(data.head(n)["image"]), extractor, batch_size,
                                                   progress, origin))


def dataset_stats(name: str, split: str, extractor: FeatureExtractor, num: int | None = None,
                  batch_size: int = 50, progress: bool = False, data=None) -> FeatureStats:
    """FID statistics of a dataset, cached next to its features."""
    if data is None:
        data = DATASETS.build(name, split=split)
    warn_if_fewer(len(data), num, f"{name}@{split}")
    n = len(data) if num is None else min(num, len(data))
    path = cache_path(name, split, data.sample_shape, n, extractor, "_stats.npz")
    cached, unreadable = None, False
    if path is not None and path.is_file():
        try:
            cached = FeatureStats.load(path)
        except GankitError as error:
            warnings.warn(f"{error} (a cache file: computing it again)", FeatureCacheWarning)
            unreadable = True
        if cached is not None and cached.n is not None and cached.n > cached.dim:   # full rank: mu/sigma
            return cached                                                           # are all FID needs
    # n <= dim: rebuilt from the cached features, which keeps the exact low-rank factor (see fid.py)
    stats = dataset_features(name, split, extractor, n, batch_size, progress, data).stats(extractor.name)
    if path is not None and (unreadable or not path.is_file()):
        write_arrays(path, stats.arrays())
    return stats


# --------------------------------------------------------------------------- any source string

def is_stats_file(source: str) -> bool:
    return source.lower().endswith(".npz")


def warn_if_fewer(available: int, num: int | None, origin: str) -> None:
    if num is not None and num > available:
        warnings.warn(f"--num {num} asked for more images than {origin} has; using its {available}")


def is_run_source(path: Path) -> bool:
    return (path.is_dir() and (path / "config.json").is_file()) or \
        (path.is_file() and path.suffix in CHECKPOINT_SUFFIXES)


def run_samples(path: Path, num: int, seed: int = 0, batch_size: int = 100, device: str = "cpu", *,
                sample_run: Optional[RunSampler]) -> torch.Tensor:
    """``num`` images generated by a run folder's (or checkpoint's) generator, seeded: ``sample_run`` is
    ``gankit.api.sample_run`` (metrics load no runs themselves; the api layer passes it in)."""
    if sample_run is None:
        raise GankitError(f"{path} is a gankit run; to measure its samples call gankit.fid or the CLI, or pass "
                          "sample_run=gankit.api.sample_run")
    return sample_run(path, num, seed=seed, batch_size=batch_size, device=device)


def check_counts(num: int | None, batch_size: int) -> None:
    """One-line errors for image counts that would otherwise slice oddly (a negative ``num``) or crash."""
    if num is not None and not (is_integer(num) and num >= 1):
        raise GankitError(f"--num must be a positive number of images, got {num!r}")
    if not (is_integer(batch_size) and batch_size >= 1):
        raise GankitError(f"--batch-size must be an integer of at least 1, got {batch_size!r}")


def check_source(source: str, *, num: int | None = None, images: bool = False) -> None:
    """One-line errors for a source string that cannot work, found without running any network (so that
    a typo in the second source does not cost the first one's feature pass). ``images``: the metric
    needs images, not only statistics."""
    path = Path(source).expanduser()
    if is_stats_file(source):
        if images:
            raise GankitError(f"{source} holds only FID statistics; KID, IS and precision/recall need images "
                              "(give a folder, a dataset name or a run)")
        if not path.is_file():
            raise GankitError(f"statistics file {source} does not exist")
        return
    if is_run_source(path):
        if not num:
            raise GankitError(f"{source} is a run: say how many samples to generate with --num N")
        return
    if path.is_dir():
        return
    name, split = split_dataset_name(source)
    if name not in DATASETS:
        raise GankitError(f"'{source}' is not a folder, a .npz statistics file, a run or a dataset name "
                          f"(datasets: {', '.join(DATASETS.describe_name(n) for n in DATASETS.names())}; "
                          "use NAME@test for the test split)")
    if DATASETS.entry(name).meta.get("kind") == "points":
        raise GankitError(f"dataset '{name}' holds 2D points; image metrics need image data")
    if split not in ("train", "test"):
        raise GankitError(f"dataset '{name}' has splits 'train' and 'test', not '{split}' (use {name}@test)")


def is_dataset_source(source: str) -> bool:
    """A registered dataset name (not a statistics file, folder or run)."""
    return not is_stats_file(source) and not Path(source).expanduser().exists()


def for_each_source(sources: tuple[str, ...], compute) -> list:
    """``[compute(source) for source in sources]``, dataset names first: a dataset that is missing (not
    downloaded, no network) then fails before minutes of another source's feature pass."""
    order = sorted(range(len(sources)), key=lambda index: not is_dataset_source(str(sources[index])))
    results = {index: compute(sources[index]) for index in order}
    return [results[index] for index in range(len(sources))]


def source_features(source: str, extractor: FeatureExtractor, *, num: int | None = None, batch_size: int = 50,
                    progress: bool = False, seed: int = 0, sample_run: Optional[RunSampler] = None) -> Features:
    """Features of a folder, run/checkpoint or dataset source (not of a ``.npz``: that holds only stats);
    ``sample_run`` (``gankit.api.sample_run``) samples a run source."""
    check_counts(num, batch_size)
    check_seed(seed, "--seed")
    check_source(source, num=num, images=True)
    path = Path(source).expanduser()
    if is_run_source(path):
        images = run_samples(path, num, seed, batch_size, str(extractor.device), sample_run=sample_run)
        return tensor_features(images, extractor, batch_size, progress, f"{source} ({num} samples)")
    if path.is_dir():
        return folder_features(path, extractor, batch_size, progress, limit=num)
    name, split = split_dataset_name(source)
    return dataset_features(name, split, extractor, num, batch_size, progress)


def source_stats(source: str, extractor_factory, *, num: int | None = None, batch_size: int = 50,
                 progress: bool = False, seed: int = 0, sample_run: Optional[RunSampler] = None) -> FeatureStats:
    """FID statistics of any source; ``extractor_factory()`` builds the network only when needed."""
    check_counts(num, batch_size)
    check_seed(seed, "--seed")
    check_source(source, num=num)
    path = Path(source).expanduser()
    if is_stats_file(source):
        return FeatureStats.load(path)
    extractor = extractor_factory()
    name, split = split_dataset_name(source)
    if not path.exists() and name in DATASETS:
        return dataset_stats(name, split, extractor, num, batch_size, progress)
    return source_features(source, extractor, num=num, batch_size=batch_size, progress=progress,
                           seed=seed, sample_run=sample_run).stats(extractor.name)
