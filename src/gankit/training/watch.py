"""Non-finite losses found without a host sync per step.

Each phase's loss is compared with itself on the device (``isfinite``) and the first bad one is remembered
there (its step, phase and value); the trainer reads it once per logging window and before every
checkpoint, so a GPU is never stalled by a per-phase ``loss.item()``. A divergence is still reported with
the step and phase where it began, and no checkpoint is written after it (the last good one is kept).
"""
from __future__ import annotations

import torch


class FiniteWatch:
    def __init__(self, device: torch.device):
        self.first = torch.tensor([-1.0, -1.0, 0.0], dtype=torch.float64, device=device)  # step, phase, value

    def note(self, loss: torch.Tensor, step: int, phase: int) -> None:
        """Remember ``loss`` if it is the first non-finite one (all on the device)."""
        value = loss.detach().double().reshape(())
        new = (self.first[0] < 0) & ~torch.isfinite(value)
        candidate = torch.stack([torch.tensor(float(step), dtype=torch.float64, device=value.device),
                                 torch.tensor(float(phase), dtype=torch.float64, device=value.device), value])
        self.first = torch.where(new, candidate, self.first)

    def first_bad(self) -> tuple[int, int, float] | None:
        """(step, phase index, value) of the first non-finite loss, or None (one host sync)."""
        step, phase, value = self.first.tolist()
        return None if step < 0 else (int(step), int(phase), value)
