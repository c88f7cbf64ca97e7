"""Stopping a run without losing steps: SIGTERM (a scheduler's preemption) and SIGINT (Ctrl-C) are noted
by a handler and acted on at the next step boundary, where the trainer saves a checkpoint of the step it
has just finished and stops. The handler stays installed until the run ends, so a second signal -- while
the current step finishes or while the checkpoint is written -- is only reported: the file is always
whole (checkpoint.py writes it atomically too). Resuming from it continues exactly where the run stopped.

Handlers can be installed only from the main thread; elsewhere a run behaves as before (Ctrl-C raises
KeyboardInterrupt mid-step and the last periodic checkpoint is where a resume starts).
"""
from __future__ import annotations

import signal
import sys
import threading

from .checkpoint import checkpoint_path

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class TrainingInterrupted(KeyboardInterrupt):
    """The run stopped on ``signum`` after saving its current step; ``exit_code`` is the shell's
    convention for a process ended by that signal, 128 + its number (130 for SIGINT, 143 for SIGTERM)."""

    def __init__(self, signum: int):
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum, self.exit_code = signum, 128 + signum


class StopSignals:
    """``with StopSignals() as stop: ...`` -- SIGINT/SIGTERM set ``stop.signum`` instead of interrupting;
    the previous handlers are back on exit."""

    def __init__(self):
        self.signum: int | None = None
        self.previous: dict = {}

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():
            self.previous = {signum: signal.signal(signum, self.note) for signum in STOP_SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        self.previous = {}

    def note(self, signum: int, frame) -> None:
        name = signal.Signals(signum).name
        if self.signum is None:
            self.signum = signum
            print(f"\ngankit: {name} received: saving a checkpoint after the current step, then stopping",
                  file=sys.stderr, flush=True)
        else:
            print(f"\ngankit: {name} ignored: already stopping (the checkpoint is being completed)",
                  file=sys.stderr, flush=True)


def stop_at_step_boundary(trainer, stop: StopSignals) -> None:
    """Called between steps: when a stop signal came, save the step just finished (unless a checkpoint of
    it exists, or the run was told to save none) and raise :class:`TrainingInterrupted`."""
    signum = trainer.dist.first_signal(stop.signum)      # torchrun: every rank stops at the same step
    if signum is None or trainer.step >= trainer.config.steps:    # none, or the run is complete anyway
        return
    if trainer.config.checkpoint_every > 0 and trainer.step > 0:
        if trainer.last_checkpoint != checkpoint_path(trainer.out_dir, trainer.step):
            trainer.save_checkpoint(keep=trainer.config.keep_checkpoints)
    raise TrainingInterrupted(signum)
