"""TensorBoard logs through ``torch.utils.tensorboard.SummaryWriter``, which needs the ``tensorboard``
package (``pip install "gankit[tensorboard]"``; ``make install`` installs it). Without it a run logs to
metrics.jsonl only, and says so once.

A run's ``RUN/tensorboard/`` gets the logged averages as scalars, the fixed-noise sample grid as the image
``samples`` at every ``--sample-every`` step, and, when the run ends, its hyperparameters (the settings,
with what they resolved to: ``resolved.lr_g`` ...) for TensorBoard's HPARAMS tab, the final values of
the scalars as its metrics. A resumed run opens its writer with ``purge_step`` = the checkpoint's step + 1:
TensorBoard then drops what the earlier files logged from that step on, so each step is shown once.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

MISSING = "TensorBoard logging needs the tensorboard package (pip install \"gankit[tensorboard]\"); " \
          "logging to metrics.jsonl only"
_said_missing = False


def summary_writer(folder, purge_step: int | None):
    """A SummaryWriter into ``folder``, or None (with one warning per process) when tensorboard is missing."""
    global _said_missing
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        if not _said_missing:
            warnings.warn(MISSING)
            _said_missing = True
        return None
    return SummaryWriter(str(folder), purge_step=purge_step)


def flat_hparams(values: dict, prefix: str = "") -> dict:
    """Nested settings as TensorBoard hparams: ``model_args.width``; numbers, strings and bools as they are,
    anything else (None, lists) as its text."""
    flat = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(flat_hparams(value, f"{prefix}{key}."))
        else:
            flat[prefix + key] = value if isinstance(value, (bool, int, float, str)) else str(value)
    return flat


class TensorBoard:
    """The run's TensorBoard log, shared by the hooks that write to it (MetricsLogger opens and closes it)."""

    def __init__(self):
        self.writer, self.last = None, {}

    def open(self, trainer) -> None:
        resumed = trainer.step > 0      # rows logged after the checkpoint are trained (and logged) again
        self.writer = summary_writer(trainer.out_dir / "tensorboard", trainer.step + 1 if resumed else None)

    def scalars(self, values: dict, step: int) -> None:
        if self.writer is None:
            return
        for key, value in values.items():
            if isinstance(value, (int, float)) and math.isfinite(value):
                self.writer.add_scalar(key, value, step)
                self.last[key] = float(value)
        self.writer.flush()

    def image(self, tag: str, image, step: int) -> None:
        """A PIL image (a sample grid, a scatter plot) as 8-bit RGB."""
        if self.writer is not None:
            self.writer.add_image(tag, np.asarray(image.convert("RGB")), step, dataformats="HWC")
            self.writer.flush()

    def close(self, trainer) -> None:
        """Write the hyperparameters (with the last scalar values as metrics) into the run's own event file, then close."""
        if self.writer is None:
            return
        from torch.utils.tensorboard.summary import hparams
        from .record import run_record
        settings = flat_hparams({**trainer.config.to_dict(), "resolved": run_record(trainer)["resolved"]})
        for summary in hparams(settings, dict(self.last)):
            self.writer.file_writer.add_summary(summary, trainer.step)
        self.writer.close()
        self.writer = None
