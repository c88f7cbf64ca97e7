"""Random draws that give the same numbers on every device.

Each draw comes from the generator on the generator's own device and is then moved to where it is used.
The generators of the trainer, `gankit eval`, `gankit sample` and the sample grids live on the CPU, so a
seed gives the same latents, and so the same FID samples, on a CPU and on a GPU. torch itself refuses a
CPU generator for a CUDA tensor, and a CUDA generator draws other numbers than a CPU one.
Under data-parallel training the trainer's generator is a :class:`ShardedGenerator`: each process keeps
its slice of what one process would have drawn for the whole batch.
"""
from __future__ import annotations

from typing import Optional

import torch


def _source(generator: Optional[torch.Generator], device) -> torch.device:
    return generator.device if generator is not None else torch.device(device)


def randn(shape, generator: Optional[torch.Generator], device) -> torch.Tensor:
    source = _source(generator, device)
    return _sharded(lambda s: torch.randn(s, generator=generator, device=source), tuple(shape), generator,
                    device).to(device)


def rand(shape, generator: Optional[torch.Generator], device) -> torch.Tensor:
    source = _source(generator, device)
    return _sharded(lambda s: torch.rand(s, generator=generator, device=source), tuple(shape), generator,
                    device).to(device)


def randint(high: int, shape, generator: Optional[torch.Generator], device) -> torch.Tensor:
    source = _source(generator, device)
    return _sharded(lambda s: torch.randint(high, s, generator=generator, device=source), tuple(shape), generator,
                    device).to(device)


class ShardedGenerator(torch.Generator):
    """A generator that ``world`` data-parallel processes hold in the same state, rank ``rank`` each.

    Every per-sample draw through this module (latents, labels, interpolation weights) draws the rows of all
    ``world`` processes and keeps this rank's slice, so N processes together see exactly the numbers one
    process would draw for the whole batch, and the generators stay in step. Draws made with torch directly
    (``torch.randint(..., generator=g)``) are not sliced: the same numbers on every rank."""

    def __new__(cls, rank: int = 0, world: int = 1, device="cpu"):
        generator = super().__new__(cls, device)
        generator.rank, generator.world = rank, world
        return generator

    def __init__(self, rank: int = 0, world: int = 1, device="cpu"):
        pass


def _sharded(draw, shape, generator, device) -> torch.Tensor:
    """``draw(shape)`` for this rank: the first dimension drawn for every rank, this rank's rows kept."""
    if isinstance(generator, ShardedGenerator) and generator.world > 1 and len(shape):
        rows = shape[0]
        full = draw((generator.world * rows, *shape[1:]))
        return full[generator.rank * rows:(generator.rank + 1) * rows]
    return draw(tuple(shape))
