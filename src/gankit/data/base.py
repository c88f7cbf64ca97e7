"""The dataset contract: samples stored as they come (uint8 images), batches as small mappings.

A :class:`Dataset` answers ``len(data)`` and ``data.fetch(index)``: a mapping of CPU tensors for the
samples at ``index`` holding only what the dataset has, in its stored types:

- ``image``: uint8 (B, C, H, W), 0..255;  ``point``: float32 (B, 2) (the 2-D toy mixtures);
- ``label``: int64 (B,) class ids (−1: unlabelled, semi-supervised);  ``attrs``: int64 (B, A) per-sample
  attributes, binary (CelebA: 1 = present, 0 = absent) or integer attributes (UTKFace: age in years,
  gender 0/1, race 0-4), named by ``attr_names``;  ``segmap``: uint8 (B, H, W) class ids per pixel.

Float conversion (0 → −1, 255 → 1) and resizing to the resolution of the current training stage happen
per batch on the training device (:mod:`gankit.data.batches`), as in stylegan3's training loop: a
uint8 dataset takes a quarter of the float32 bytes. Small datasets are held in memory
(:class:`MemoryData`); large image collections are decoded from disk as batches are drawn
(:class:`gankit.data.stream.FileData`). Per-sample metadata (labels, attributes) always lives in memory.
"""
from __future__ import annotations

import copy
from typing import Optional

import torch

from ..errors import GankitError
from ..imaging import to_uint8
from .images import images_to_float

SAMPLE_KEYS = ("image", "point")          # the primary sample of a batch: one of these
META_KEYS = ("label", "attrs")            # small per-sample metadata, always in memory


class Dataset:
    """Common metadata and the batch contract; subclasses store the samples (memory or files).

    ``num_classes``/``class_names``: what ``label`` means (``label_name``: the attribute it was made from,
    e.g. ``Smiling``); ``attr_names``: the columns of ``attrs``; ``segmap_classes``: the number of
    label-map classes (0: none); ``modes``/``mode_std``: for toy mixtures, their centres and std.
    """
    streamed = False                      # True: samples are decoded from files as batches are drawn

    def __init__(self, name: str, *, meta: Optional[dict] = None, num_classes: int = 0,
                 class_names: tuple = (), attr_names: tuple = (), segmap_classes: int = 0,
                 modes: Optional[torch.Tensor] = None, mode_std: Optional[float] = None, source: str = "",
                 label_name: Optional[str] = None):
        self.name = name
        self.meta = {key: value for key, value in (meta or {}).items() if value is not None}
        unknown = set(self.meta) - set(META_KEYS)
        if unknown:
            raise ValueError(f"unknown metadata {sorted(unknown)}; metadata keys are {META_KEYS}")
        self.num_classes = num_classes
        self.class_names = tuple(class_names)
        self.attr_names = tuple(attr_names)
        self.segmap_classes = segmap_classes
        self.modes = modes
        self.mode_std = mode_std
        self.source = source
        self.label_name = label_name

    # ------------------------------------------------------------------ what subclasses provide
    def __len__(self) -> int:
        raise NotImplementedError

    @property
    def sample_shape(self) -> tuple:
        """One sample's shape: (C, H, W) for images, (2,) for points."""
        raise NotImplementedError

    @property
    def keys(self) -> tuple:
        """The keys of this dataset's batches, e.g. ('image', 'label')."""
        raise NotImplementedError

    def fetch_samples(self, index: torch.Tensor) -> dict:
        """The sample tensors (image/point/segmap) at ``index``, on the CPU in their stored types."""
        raise NotImplementedError

    # ------------------------------------------------------------------ the contract
    def fetch(self, index: torch.Tensor) -> dict:
        """The batch at ``index`` (a 1-D int64 tensor): samples and metadata, CPU tensors."""
        index = torch.as_tensor(index, dtype=torch.int64)
        return {**self.fetch_samples(index), **{key: value[index] for key, value in self.meta.items()}}

    def head(self, num: int) -> dict:
        """The first ``num`` samples (metric reference sets take a dataset's first n)."""
        return self.fetch(torch.arange(min(num, len(self))))

    @property
    def is_image(self) -> bool:
        return "image" in self.keys

    @property
    def labels(self) -> Optional[torch.Tensor]:
        return self.meta.get("label")

    def nbytes(self) -> int:
        """Bytes held in memory by the samples and metadata."""
        return sum(value.numel() * value.element_size() for value in self.meta.values())

    # ------------------------------------------------------------------ derived datasets
    def with_meta(self, **meta) -> "Dataset":
        """A shallow copy with some metadata replaced (the samples are shared)."""
        derived = copy.copy(self)
        derived.meta = {**self.meta, **meta}
        return derived

    def with_labels_per_class(self, labels_per_class: int, seed: int = 0) -> "Dataset":
        """Semi-supervised view: keep ``labels_per_class`` labels of each class (a seeded choice), set the
        rest to −1 (unlabelled). Samples are unchanged."""
        if self.labels is None:
            raise GankitError(f"dataset '{self.name}' has no labels, so --labels-per-class cannot apply")
        rng = torch.Generator().manual_seed(seed)
        kept = torch.full_like(self.labels, -1)
        for cls in range(self.num_classes):
            index = (self.labels == cls).nonzero().flatten()
            chosen = index[torch.randperm(len(index), generator=rng)[:labels_per_class]]
            kept[chosen] = cls
        return self.with_meta(label=kept)


class MemoryData(Dataset):
    """A dataset whose samples are tensors in memory: ``arrays`` maps ``image`` (uint8 NCHW) or ``point``
    (float32 N×2), and optionally ``segmap`` (uint8 NHW), to tensors of equal length."""

    def __init__(self, name: str, arrays: dict, **metadata):
        super().__init__(name, **metadata)
        self.arrays = {key: value for key, value in arrays.items() if value is not None}
        primary = [key for key in SAMPLE_KEYS if key in self.arrays]
        if len(primary) != 1:
            raise ValueError(f"a dataset holds exactly one of {SAMPLE_KEYS}, got {sorted(self.arrays)}")
        if "image" in self.arrays and (self.arrays["image"].dtype != torch.uint8 or self.arrays["image"].dim() != 4):
            raise ValueError("images are stored as uint8 (N, C, H, W)")
        lengths = {len(value) for value in (*self.arrays.values(), *self.meta.values())}
        if len(lengths) != 1:
            raise ValueError(f"arrays and metadata of unequal lengths {sorted(lengths)}")
        self._primary = primary[0]

    @classmethod
    def from_tensors(cls, name: str, samples: torch.Tensor, labels: Optional[torch.Tensor] = None,
                     **metadata) -> "MemoryData":
        """From float images in [−1, 1] (N, C, H, W), stored as uint8 (rounded to the nearest of the 256
        levels), or from 2-D points (N, 2), stored as they are; ``labels`` int64 (N,) or None."""
        if samples.dim() == 4:
            arrays = {"image": torch.from_numpy(to_uint8(samples)).permute(0, 3, 1, 2).contiguous()}
        else:
            arrays = {"point": samples.float()}
        return cls(name, arrays, meta={"label": labels, **metadata.pop("meta", {})}, **metadata)

    def __len__(self) -> int:
        return self.arrays[self._primary].shape[0]

    @property
    def sample_shape(self) -> tuple:
        return tuple(self.arrays[self._primary].shape[1:])

    @property
    def keys(self) -> tuple:
        return (*self.arrays, *self.meta)

    def fetch_samples(self, index: torch.Tensor) -> dict:
        return {key: value[index] for key, value in self.arrays.items()}

    @property
    def samples(self) -> torch.Tensor:
        """Every sample as float: images in [−1, 1] (a new float32 tensor, 4× the stored bytes: for small
        datasets and tests), or the points."""
        if self._primary == "point":
            return self.arrays["point"]
        return images_to_float(self.arrays["image"])

    def nbytes(self) -> int:
        return super().nbytes() + sum(value.numel() * value.element_size() for value in self.arrays.values())
