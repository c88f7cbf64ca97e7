"""Numeric precision and memory layout of a run: ``--precision fp32|bf16|fp16``, ``--channels-last``,
``--compile``, ``--sync-bn``.

bf16 and fp16 run each phase's forward pass under ``torch.autocast`` (weights, optimizer state and the
gradient all-reduce stay float32); fp16 adds a gradient scaler (loss scaling against underflow, skipping
steps whose gradients overflow). ``--compile`` compiles G and D in place (``nn.Module.compile``, so their
state dicts and checkpoints are unchanged); ``--channels-last`` stores weights and image batches NHWC.
"""
from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass
from typing import Optional

import torch

from ..errors import GankitError

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass
class Precision:
    device: torch.device
    dtype: Optional[torch.dtype] = None
    channels_last: bool = False
    compile: bool = False
    scaler: Optional[torch.amp.GradScaler] = None

    @classmethod
    def of(cls, config, device: torch.device) -> "Precision":
        if config.precision not in PRECISIONS:
            raise GankitError(f"--precision must be one of {', '.join(PRECISIONS)}, got {config.precision!r}")
        dtype = PRECISIONS[config.precision]
        if dtype is torch.float16:
            if device.type != "cuda":
                raise GankitError("--precision fp16 needs a GPU (its loss scaling is for CUDA); on the CPU use "
                                  "--precision bf16 or fp32")
            import os
            if int(os.environ.get("WORLD_SIZE", "1")) > 1:
                raise GankitError("--precision fp16 is not supported with torchrun yet (each process would skip "
                                  "overflowing steps on its own); use --precision bf16")
        scaler = torch.amp.GradScaler("cuda") if dtype is torch.float16 else None
        return cls(device, dtype, bool(config.channels_last), bool(config.compile), scaler)

    def prepare(self, gan: torch.nn.Module, sync_bn: bool = False) -> torch.nn.Module:
        """The GAN's nets in the run's layout (and compiled, and with synchronised batch norm)."""
        if sync_bn:
            gan.generator = torch.nn.SyncBatchNorm.convert_sync_batchnorm(gan.generator)
            gan.discriminator = torch.nn.SyncBatchNorm.convert_sync_batchnorm(gan.discriminator)
        if self.channels_last:
            gan.to(memory_format=torch.channels_last)
        if self.compile:     # torch's compiler imports modules that warn about their own deprecated APIs
            warnings.filterwarnings("ignore", message=r".*torch\.jit\.script_method.*is deprecated")
            gan.generator.compile()
            gan.discriminator.compile()
        return gan

    def batch(self, batch: dict) -> dict:
        if self.channels_last and "image" in batch:
            batch["image"] = batch["image"].contiguous(memory_format=torch.channels_last)
        return batch

    def autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def backward(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        if self.scaler is None:
            loss.backward()
        else:
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(optimizer)

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        if self.scaler is None:
            optimizer.step()
        else:
            self.scaler.step(optimizer)
            self.scaler.update()

    def state_dict(self) -> dict:
        return {"scaler": self.scaler.state_dict()} if self.scaler is not None else {}

    def load_state_dict(self, state: dict) -> None:
        if self.scaler is not None and "scaler" in state:
            self.scaler.load_state_dict(state["scaler"])
