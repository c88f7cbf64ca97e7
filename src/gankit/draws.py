"""Random draws that give the same numbers on every device.

Each draw comes from the generator on the generator's own device and is then moved to where it is used.
The generators of the trainer, `gankit eval`, `gankit sample` and the sample grids live on the CPU, so a
seed gives the same latents, and so the same FID samples, on a CPU and on a GPU. torch itself refuses a
CPU generator for a CUDA tensor, and a CUDA generator draws other numbers than a CPU one.
"""
from __future__ import annotations

from typing import Optional

import torch


def _source(generator: Optional[torch.Generator], device) -> torch.device:
    return generator.device if generator is not None else torch.device(device)


def randn(shape, generator: Optional[torch.Generator], device) -> torch.Tensor:
    return torch.randn(tuple(shape), generator=generator, device=_source(generator, device)).to(device)


def rand(shape, generator: Optional[torch.Generator], device) -> torch.Tensor:
    return torch.rand(tuple(shape), generator=generator, device=_source(generator, device)).to(device)


def randint(high: int, shape, generator: Optional[torch.Generator], device) -> torch.Tensor:
    return torch.randint(high, tuple(shape), generator=generator, device=_source(generator, device)).to(device)
