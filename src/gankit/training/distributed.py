"""Data-parallel training on PyTorch's engine: ``torchrun --nproc_per_node N -m gankit train ...``.

torchrun starts one process per device and sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and the rendezvous;
:func:`from_environment` joins the process group (gloo on CPU, NCCL on GPUs). The rest follows stylegan3's
training loop rather than DDP's hooks:

- parameters are broadcast from rank 0 once (they are equal anyway: every rank builds the nets from the
  same seed);
- after each phase's backward, :meth:`Distributed.average_gradients` all-reduces the phase module's
  gradients, flattened into one buffer, and divides by the number of processes. This stays correct for
  penalties computed with ``autograd.grad(create_graph=True)`` (R1, WGAN-GP), where DDP's reducer hooks are
  known to go wrong, and for phases that touch only one of the nets. The loss rides in the same buffer, so
  a non-finite loss on any rank stops every rank at the same step;
- ``--batch-size`` is the global batch: each rank draws its share from the seeded samplers
  (gankit.data.batches) and its share of the latents (gankit.draws.ShardedGenerator), so N processes see
  the data and latents one process would see.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

from ..errors import GankitError
from ..runtime import join_torchrun_group, torchrun_gpu

TIMEOUT = timedelta(minutes=10)      # a rank that stops answering fails the others' collectives after this


class PeerLost(GankitError):
    """Another training process stopped answering (it died, or its machine did)."""


def collective(operation, *args, **kwargs):
    """A torch.distributed call; a peer that died or hung becomes a one-line :class:`PeerLost`."""
    try:
        return operation(*args, **kwargs)
    except (RuntimeError, dist.DistError) as error:
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise PeerLost(f"another training process stopped answering ({reason})") from None


@dataclass(frozen=True)
class Distributed:
    """This process's place among the data-parallel processes (world 1: training alone)."""
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world > 1

    def device(self, requested: str) -> str:
        """The device of this rank: with CUDA, GPU ``local_rank`` (one process per GPU)."""
        if self.active and requested in ("cuda", "auto") and torch.cuda.is_available():
            return torchrun_gpu(self.local_rank)
        return requested

    def per_rank_batch(self, batch_size: int) -> int:
        if batch_size % self.world:
            raise GankitError(f"--batch-size {batch_size} is the global batch, split over {self.world} processes: "
                              f"give a multiple of {self.world} (e.g. {max(self.world, batch_size // self.world * self.world)})")
        return batch_size // self.world

    def broadcast_parameters(self, module: torch.nn.Module) -> None:
        if self.active:
            for tensor in (*module.parameters(), *module.buffers()):
                collective(dist.broadcast, tensor.data, src=0)

    def average_gradients(self, module: torch.nn.Module, loss: torch.Tensor) -> torch.Tensor:
        """All-reduce ``module``'s gradients (mean over processes) and the loss; returns the mean loss (a
        device tensor: no host sync)."""
        if not self.active:
            return loss.detach()
        params = [p for p in module.parameters() if p.requires_grad]
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
        flat = torch.cat([loss.detach().reshape(1).float(), *(g.reshape(-1).float() for g in grads)])
        collective(dist.all_reduce, flat)
        flat /= self.world
        offset = 1
        for p, g in zip(params, grads):
            count = g.numel()
            p.grad = flat[offset:offset + count].view_as(g).to(g.dtype)
            offset += count
        return flat[0]

    def first_signal(self, signum):
        """The stop signal any rank received (None: none): ranks stop at the same step boundary, since
        saving a checkpoint is collective. One small all-reduce per step, under torchrun only."""
        if not self.active:
            return signum
        flag = torch.tensor([signum or 0], dtype=torch.int64)
        collective(dist.all_reduce, flag, op=dist.ReduceOp.MAX)
        return int(flag) or None

    def gather(self, value) -> list:
        """``value`` of every rank (any picklable object), in rank order."""
        if not self.active:
            return [value]
        gathered = [None] * self.world
        collective(dist.all_gather_object, gathered, value)
        return gathered

    def barrier(self) -> None:
        if self.active:
            collective(dist.barrier)

    def close(self) -> None:
        if self.active and dist.is_initialized():
            dist.destroy_process_group()


def from_environment(device: str) -> Distributed:
    """The process group torchrun describes in the environment, joined (world 1 without torchrun)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Distributed()
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    place = Distributed(rank, world, local_rank)
    join_torchrun_group(place.device(device), TIMEOUT)
    return place


def check_sync_bn(sync_bn: bool, device: torch.device) -> None:
    if sync_bn and device.type != "cuda":
        raise GankitError("--sync-bn needs GPUs: torch's SyncBatchNorm runs on CUDA only; drop --sync-bn "
                          "(each process then normalises with its own batch statistics)")
