"""Drawing batches (seeded, rank-aware) and converting them on the training device.

Two samplers, one interface (``next(batch_size) -> batch mapping on the CPU``, ``state_dict``):

- :class:`RandomBatches` for in-memory data: each batch is ``torch.randint`` drawn from the run's random
  generator (the one its latents come from), as gankit always drew them, so every earlier run and
  documented number reproduces. Its state is that generator's, saved by the trainer.
- :class:`StreamedBatches` for data decoded from files: batches follow seeded per-epoch permutations
  (every sample once per epoch), so the indices of any batch are a function of (seed, position) and
  worker processes can decode ahead of the loop; its state is the position. Resume is exact either way.

Both are rank-aware: with ``world`` processes, a batch position covers ``world * batch_size`` samples
and rank r takes its r-th slice (the distributed issue's sampler, stylegan3's ``InfiniteSampler``).
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from .base import Dataset
from .images import images_to_float


def resize_images(images: torch.Tensor, resolution: int) -> torch.Tensor:
    """Float images to ``resolution``² on their device: area averaging to shrink (box filter, as
    PGGAN/StyleGAN build their lower-resolution datasets), bilinear to grow."""
    if images.shape[-1] == resolution and images.shape[-2] == resolution:
        return images
    mode = "area" if resolution < images.shape[-1] else "bilinear"
    options = {} if mode == "area" else {"align_corners": False}
    return F.interpolate(images, size=(resolution, resolution), mode=mode, **options)


def to_device(batch: dict, device: torch.device, resolution: Optional[int] = None) -> dict:
    """The batch on ``device``, ready for the nets: images float in [−1, 1] (resized to ``resolution`` when
    given), label maps int64 (nearest-neighbour resize), labels/attributes int64, points float32."""
    out = {}
    for key, value in batch.items():
        value = value.to(device, non_blocking=True)
        if key == "image":
            value = images_to_float(value)
            if resolution is not None:
                value = resize_images(value, resolution)
        elif key == "segmap":
            if resolution is not None and value.shape[-1] != resolution:
                value = F.interpolate(value[:, None].float(), size=(resolution, resolution), mode="nearest")[:, 0]
            value = value.long()
        out[key] = value
    return out


def samples_of(batch: dict) -> torch.Tensor:
    """The primary samples of a batch: its images, or its points."""
    return batch["image"] if "image" in batch else batch["point"]


class RandomBatches:
    """Uniform draws with replacement from an in-memory dataset, using the run's ``rng``."""

    def __init__(self, data: Dataset, rng: torch.Generator, rank: int = 0, world: int = 1):
        self.data, self.rng, self.rank, self.world = data, rng, rank, world

    def next(self, batch_size: int) -> dict:
        index = torch.randint(len(self.data), (self.world * batch_size,), generator=self.rng)
        return self.data.fetch(index[self.rank * batch_size:(self.rank + 1) * batch_size])

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass

    def close(self) -> None:
        pass


def epoch_permutation(size: int, seed: int, epoch: int) -> torch.Tensor:
    return torch.randperm(size, generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch))


class PositionSampler:
    """Index lists for batches from ``position`` on: sample p of the stream is ``perm_e[p mod N]`` with
    e = p // N and perm_e a permutation seeded by (seed, e). Infinite; a torch ``batch_sampler``."""

    def __init__(self, size: int, seed: int, batch_size: int, position: int, rank: int = 0, world: int = 1):
        self.size, self.seed, self.batch_size, self.position = size, seed, batch_size, position
        self.rank, self.world = rank, world
        self._epoch, self._perm = -1, None

    def indices(self, position: int) -> list[int]:
        start = position + self.rank * self.batch_size
        out = []
        for p in range(start, start + self.batch_size):
            epoch = p // self.size
            if epoch != self._epoch:
                self._epoch, self._perm = epoch, epoch_permutation(self.size, self.seed, epoch)
            out.append(int(self._perm[p % self.size]))
        return out

    def __iter__(self):
        position = self.position
        while True:
            yield self.indices(position)
            position += self.world * self.batch_size


class _Items(torch.utils.data.Dataset):
    """Map-style view for torch's DataLoader: one decoded sample (a mapping of arrays) per index."""

    def __init__(self, data: Dataset):
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i: int) -> dict:
        return {key: value[0] for key, value in self.data.fetch(torch.tensor([i])).items()}


class StreamedBatches:
    """Batches of a file-backed dataset decoded by ``workers`` processes ahead of the loop (torch's
    DataLoader, ``prefetch`` batches each). The loader is rebuilt when the batch size changes (a new stage)."""

    def __init__(self, data: Dataset, seed: int, rank: int = 0, world: int = 1, workers: int = 2,
                 prefetch: int = 2):
        self.data, self.seed, self.rank, self.world = data, seed, rank, world
        self.workers, self.prefetch = workers, prefetch
        self.position = 0                       # samples of the stream consumed (by all ranks)
        self._iterator, self._batch_size = None, None

    def _start(self, batch_size: int) -> None:
        self.close()
        sampler = PositionSampler(len(self.data), self.seed, batch_size, self.position, self.rank, self.world)
        options = dict(num_workers=self.workers, prefetch_factor=self.prefetch,
                       persistent_workers=False) if self.workers > 0 else {}
        loader = torch.utils.data.DataLoader(_Items(self.data), batch_sampler=sampler, **options)
        self._iterator, self._batch_size = iter(loader), batch_size

    def next(self, batch_size: int) -> dict:
        if self._iterator is None or batch_size != self._batch_size:
            self._start(batch_size)
        batch = next(self._iterator)
        self.position += self.world * batch_size
        return batch

    def state_dict(self) -> dict:
        return {"position": self.position}

    def load_state_dict(self, state: dict) -> None:
        self.close()
        self.position = int(state.get("position", 0))

    def close(self) -> None:
        """Drop the loader: torch's iterator stops its worker processes when it is released."""
        self._iterator, self._batch_size = None, None


def make_batches(data: Dataset, rng: torch.Generator, seed: int, *, rank: int = 0, world: int = 1,
                 workers: int = 2):
    """The sampler for ``data``: :class:`StreamedBatches` for file-backed data, else :class:`RandomBatches`."""
    if data.streamed:
        return StreamedBatches(data, seed, rank, world, workers)
    return RandomBatches(data, rng, rank, world)
