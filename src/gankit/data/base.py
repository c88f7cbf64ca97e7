"""The one in-memory dataset type every loader returns.

gankit's datasets are small enough (MNIST-class, toy 2D, a folder of resized images) to hold as one
tensor, which makes batching a single seeded ``torch.randint`` and training reproducible on CPU.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class TensorData:
    """Samples held in memory.

    ``samples``: float32, images as (N, C, H, W) scaled to [-1, 1], or 2D points as (N, 2).
    ``labels``: int64 (N,) class ids, or None for unlabelled data.
    ``modes``/``mode_std``: for toy mixtures, the (M, 2) mixture centres and their std (else None).
    ``source``: a human-readable note of where the samples came from (e.g. a folder of IDX files).
    """
    name: str
    samples: torch.Tensor
    labels: torch.Tensor | None = None
    num_classes: int = 0
    class_names: tuple[str, ...] = ()
    modes: torch.Tensor | None = None
    mode_std: float | None = None
    source: str = ""          # where the samples were read from (files, package), for logs

    def __len__(self) -> int:
        return self.samples.shape[0]

    @property
    def is_image(self) -> bool:
        return self.samples.dim() == 4

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.samples.shape[1:])

    def batch(self, batch_size: int, generator: torch.Generator):
        """A uniformly drawn batch (with replacement across steps): (samples, labels-or-None)."""
        index = torch.randint(len(self), (batch_size,), generator=generator)
        labels = self.labels[index] if self.labels is not None else None
        return self.samples[index], labels

    def with_labels_per_class(self, labels_per_class: int, seed: int = 0) -> "TensorData":
        """Semi-supervised view: keep ``labels_per_class`` labels of each class (a seeded choice), set the
        rest to −1 (unlabelled). Samples are unchanged."""
        if self.labels is None:
            from ..errors import GankitError
            raise GankitError(f"dataset '{self.name}' has no labels, so --labels-per-class cannot apply")
        rng = torch.Generator().manual_seed(seed)
        kept = torch.full_like(self.labels, -1)
        for cls in range(self.num_classes):
            index = (self.labels == cls).nonzero().flatten()
            chosen = index[torch.randperm(len(index), generator=rng)[:labels_per_class]]
            kept[chosen] = cls
        return TensorData(self.name, self.samples, kept, self.num_classes, self.class_names, self.modes,
                          self.mode_std)
