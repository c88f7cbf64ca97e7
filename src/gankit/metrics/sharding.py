"""Feature passes shared by torchrun's processes: ``torchrun --nproc_per_node N -m gankit fid A B``.

Each process extracts the features of items ``i`` with ``i % N == rank`` (no padding, so nothing is
counted twice), then the features are gathered and put back in the items' order on every process, so
every metric sees exactly the single-process features (up to the float rounding of other batch sizes).
Outside torchrun nothing changes, and neither does it inside a torchrun *training* run: sharding is on
only after a metric command called :func:`join_from_environment` (the trainer's evaluation hook runs on
rank 0 alone and must not wait for the other ranks).
"""
from __future__ import annotations

import os
from typing import Sequence

import torch
import torch.distributed as dist

from ..runtime import join_torchrun_group, torchrun_gpu


_SHARING = {"on": False}       # set by join_from_environment: metric commands only


def place() -> tuple[int, int]:
    """(rank, world size) among the processes sharing feature passes; (0, 1) when not sharing."""
    if _SHARING["on"] and dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def join_from_environment(device: str | None) -> str | None:
    """Join the process group torchrun describes (gloo on CPU, NCCL on GPUs) and return this process's
    device (GPU ``LOCAL_RANK`` under torchrun with CUDA); without torchrun, ``device`` unchanged."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or not dist.is_available():
        return device
    use_cuda = torch.cuda.is_available() and (device is None or str(device).startswith(("cuda", "auto")))
    mine = torchrun_gpu(int(os.environ.get("LOCAL_RANK", "0"))) if use_cuda else \
        (device if device not in (None, "auto") else "cpu")
    join_torchrun_group(mine)
    _SHARING["on"] = True
    return mine


def shard(items: Sequence):
    """This process's items: every world-th one, from its rank on."""
    rank, world = place()
    return items[rank::world] if world > 1 else items


def gather_rows(local: torch.Tensor | None, total: int) -> torch.Tensor | None:
    """Rows computed by each process for its :func:`shard` of ``total`` items, back in the items' order."""
    rank, world = place()
    if world == 1 or local is None:
        return local
    pieces = [None] * world
    dist.all_gather_object(pieces, local.cpu())
    out = torch.empty((total, *local.shape[1:]), dtype=local.dtype)
    for owner, piece in enumerate(pieces):
        out[owner::world] = piece
    return out
