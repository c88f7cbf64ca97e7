"""The schedule: everything about training that changes with the step, as functions of the step.

A recipe declares :class:`Stage` s (PGGAN's growing resolutions, say); the loop asks
:meth:`Schedule.context` for a :class:`StepContext` at every step and hands it to the losses. Because
the stage, resolution, batch size, fade-in α, images seen, learning-rate factor and EMA decay are all
derived from the step number (never kept only in memory), training N steps and resuming for N more
gives the same weights as 2N steps, also in the middle of a fade-in.

Images are counted as in stylegan3 (``cur_nimg``): each step consumes one batch of ``batch_size``
real images, whatever the number of phases.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import torch

from .config import LR_DECAYS
from .errors import GankitError


@dataclass(frozen=True)
class Stage:
    """From step ``start`` on (until the next stage): train at ``resolution`` (None: the data's) with
    ``batch_size`` (None: the run's), fading the new layers in over ``fade_steps`` steps (α from 0 to 1;
    0: no fade). ``reset_optimizers``: fresh optimizer state when the stage begins (PGGAN does)."""
    start: int
    resolution: Optional[int] = None
    batch_size: Optional[int] = None
    fade_steps: int = 0
    reset_optimizers: bool = False


@dataclass
class StepContext:
    """What a loss may know about where training is. ``step`` is the 0-based index of the step being run;
    ``images_seen`` the real images consumed before it; ``alpha`` the fade-in of the current stage (1: done);
    ``logs``: what earlier phases of this step logged (e.g. D's real energy, which BEGAN's G update reads)."""
    step: int
    images_seen: int
    stage: int
    resolution: Optional[int]
    alpha: float
    batch_size: int
    rng: Optional[torch.Generator] = None
    logs: dict = field(default_factory=dict)


class Schedule:
    """The stages of a run (sorted, the first at step 0) and its learning-rate decay over ``total_steps``."""

    def __init__(self, stages: tuple = (), *, batch_size: int, total_steps: int, lr_decay: str = "constant"):
        stages = tuple(sorted(stages or (Stage(0),), key=lambda stage: stage.start))
        if stages[0].start != 0:
            stages = (Stage(0),) + stages
        if len({stage.start for stage in stages}) != len(stages):
            raise GankitError(f"two stages start at the same step: {[stage.start for stage in stages]}")
        if lr_decay not in LR_DECAYS:
            raise GankitError(f"lr_decay must be one of {', '.join(LR_DECAYS)}, got {lr_decay!r}")
        self.stages, self.batch_size, self.total_steps, self.lr_decay = stages, batch_size, total_steps, lr_decay

    def stage_index(self, step: int) -> int:
        index = 0
        for position, stage in enumerate(self.stages):
            if stage.start <= step:
                index = position
        return index

    def stage_batch_size(self, index: int) -> int:
        return self.stages[index].batch_size or self.batch_size

    def images_before(self, step: int) -> int:
        """Real images consumed by steps 0..step−1."""
        total = 0
        for index, stage in enumerate(self.stages):
            end = self.stages[index + 1].start if index + 1 < len(self.stages) else step
            total += max(0, min(step, end) - stage.start) * self.stage_batch_size(index)
        return total

    def context(self, step: int, rng: Optional[torch.Generator] = None, logs: Optional[dict] = None) -> StepContext:
        index = self.stage_index(step)
        stage = self.stages[index]
        into = step - stage.start
        alpha = 1.0 if stage.fade_steps <= 0 else min(1.0, into / stage.fade_steps)
        return StepContext(step, self.images_before(step), index, stage.resolution, alpha,
                           self.stage_batch_size(index), rng, {} if logs is None else logs)

    def lr_factor(self, step: int) -> float:
        """The factor on every base learning rate at ``step``: 1, or 1 − step/total (linear decay to 0 at the
        last step, as mimicry's SNGAN runs; Miyato et al. 2018 decay linearly too)."""
        if self.lr_decay == "linear":
            return max(0.0, 1.0 - step / self.total_steps)
        return 1.0


@dataclass(frozen=True)
class EMASchedule:
    """The generator average's decay per step.

    - default (``half_life_kimg`` None): ``min(decay, (1+t)/(10+t))``, gankit's ramp (unchanged runs);
    - ``half_life_kimg`` h: β = 0.5 ** (batch / (1000·h)), the average's half-life counted in images
      (Karras et al. 2019/2020; stylegan3 ``ema_kimg``), so it does not change with the batch size;
      ``rampup`` r: the half-life is at most r·images_seen (StyleGAN2's ramp-up, r = 0.05);
    - ``start`` s: before step s the average is a copy of G (BigGAN's EMA starts at 20k iterations).
    """
    decay: float = 0.999
    half_life_kimg: Optional[float] = None
    rampup: Optional[float] = None
    start: int = 0

    def beta(self, context: StepContext) -> float:
        if context.step < self.start:
            return 0.0
        if self.half_life_kimg is None:
            t = context.step - self.start
            return min(self.decay, (1 + t) / (10 + t))
        half_life = self.half_life_kimg * 1000.0
        if self.rampup is not None:
            half_life = min(half_life, (context.images_seen + context.batch_size) * self.rampup)
        return 0.5 ** (context.batch_size / max(half_life, 1e-8))
