"""Image collections read from files: decoded per batch (streamed) or once into uint8 memory.

:class:`FileData` keeps only the file list and per-sample metadata in memory; ``fetch`` decodes the
files of a batch, which :class:`gankit.data.batches.StreamedBatches` runs in worker processes ahead of
the loop. :func:`image_collection` picks streaming when the decoded uint8 samples would take more than
``MEMORY_LIMIT`` bytes (a 200k-image CelebA at 64 px: 2.4 GB) unless ``stream`` says otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
from PIL import Image

from ..errors import GankitError
from .base import Dataset, MemoryData

MEMORY_LIMIT = 1 << 30       # decoded bytes above which an image collection is streamed by default


@dataclass(frozen=True)
class ImageDecoder:
    """One file → uint8 (C, size, size): optional ``crop`` box (left, top, right, bottom) first, then the
    shorter side scaled to ``size`` (PIL bilinear, antialiased) and the centre square cut."""
    size: int
    channels: int = 3
    crop: Optional[tuple] = None

    def __call__(self, path: Path) -> np.ndarray:
        from .image_folder import load_image
        pixels = load_image(path, self.size, self.channels, crop=self.crop)
        return pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)


def open_segmap(path: Path) -> Image.Image:
    """A label map: a single-channel PNG of class ids (mode L, P, I or I;16), or a one-line error."""
    try:
        with Image.open(path) as opened:
            opened.load()
            segmap = opened
    except (OSError, SyntaxError, ValueError) as error:
        raise GankitError(f"cannot read label map {path} ({error}); delete or replace it") from error
    if segmap.mode not in ("L", "P", "I", "I;16"):
        raise GankitError(f"label map {path} has mode {segmap.mode}; label maps are single-channel PNGs of "
                          "class ids (mode L or P)")
    return segmap


def fit_segmap(segmap: Image.Image, size: int, path: Path) -> np.ndarray:
    """Class ids uint8 (size, size): the shorter side scaled to ``size`` nearest-neighbour (ids are not
    blended), the centre cut out, as images are by ``resize_and_center_crop``."""
    width, height = segmap.size
    scale = size / min(width, height)
    new_size = (max(size, round(width * scale)), max(size, round(height * scale)))
    segmap = segmap.resize(new_size, Image.NEAREST)
    left, top = (new_size[0] - size) // 2, (new_size[1] - size) // 2
    ids = np.asarray(segmap.crop((left, top, left + size, top + size)))
    if ids.max(initial=0) > 255:
        raise GankitError(f"label map {path} has class id {ids.max()} > 255")
    return ids.astype(np.uint8)


def decode_segmap(path: Path, size: int, image_path: Path) -> np.ndarray:
    """A single-channel PNG of class ids → uint8 (size, size), nearest-neighbour (ids are not blended)."""
    segmap = open_segmap(path)
    with Image.open(image_path) as image:
        if image.size != segmap.size:
            raise GankitError(f"label map {path} is {segmap.size[0]}x{segmap.size[1]} but its image {image_path} "
                              f"is {image.size[0]}x{image.size[1]}; pair each image with a map of its size")
    return fit_segmap(segmap, size, path)


class FileData(Dataset):
    """Images (and optional label maps) decoded from ``files`` as batches are drawn."""
    streamed = True

    def __init__(self, name: str, files: Sequence[Path], decoder: ImageDecoder,
                 segmap_files: Optional[Sequence[Path]] = None, **metadata):
        super().__init__(name, **metadata)
        self.files = [Path(f) for f in files]
        self.decoder = decoder
        self.segmap_files = [Path(f) for f in segmap_files] if segmap_files is not None else None
        lengths = {len(self.files), *(len(v) for v in self.meta.values())}
        if len(lengths) != 1:
            raise ValueError(f"files and metadata of unequal lengths {sorted(lengths)}")

    def __len__(self) -> int:
        return len(self.files)

    @property
    def sample_shape(self) -> tuple:
        return (self.decoder.channels, self.decoder.size, self.decoder.size)

    @property
    def keys(self) -> tuple:
        return ("image", *(("segmap",) if self.segmap_files is not None else ()), *self.meta)

    def fetch_samples(self, index: torch.Tensor) -> dict:
        rows = [int(i) for i in index]
        out = {"image": torch.from_numpy(np.stack([self.decoder(self.files[i]) for i in rows]))}
        if self.segmap_files is not None:
            out["segmap"] = torch.from_numpy(np.stack(
                [decode_segmap(self.segmap_files[i], self.decoder.size, self.files[i]) for i in rows]))
        return out

    def load(self, progress: bool = False) -> MemoryData:
        """Every file decoded once into a :class:`MemoryData` (uint8)."""
        images = np.empty((len(self), *self.sample_shape), dtype=np.uint8)
        segmaps = (np.empty((len(self), self.decoder.size, self.decoder.size), dtype=np.uint8)
                   if self.segmap_files is not None else None)
        rows = range(len(self))
        if progress and len(self) > 2000:
            from tqdm.auto import tqdm
            rows = tqdm(rows, desc=f"decoding {self.name}", unit="img", leave=False)
        for i in rows:
            batch = self.fetch_samples(torch.tensor([i]))
            images[i] = batch["image"][0].numpy()
            if segmaps is not None:
                segmaps[i] = batch["segmap"][0].numpy()
        arrays = {"image": torch.from_numpy(images),
                  "segmap": torch.from_numpy(segmaps) if segmaps is not None else None}
        return MemoryData(self.name, arrays, meta=dict(self.meta), num_classes=self.num_classes,
                          class_names=self.class_names, attr_names=self.attr_names,
                          segmap_classes=self.segmap_classes, source=self.source, label_name=self.label_name)


def image_collection(data: FileData, stream: Optional[bool] = None) -> Dataset:
    """``data`` streamed from its files, or decoded into memory: ``stream`` None decides by size."""
    if stream is None:
        stream = len(data) * int(np.prod(data.sample_shape)) > MEMORY_LIMIT
    return data if stream else data.load(progress=True)
