"""What a run used, beyond the settings it was given: written next to them in RUN/config.json.

``resolved``: the optimiser settings the GAN actually trains with after the recipe's and objective's
defaults were applied (config.json's ``lr_g: null`` means "the paper's value"; here it is the number) and
the device chosen for ``device: auto``; ``versions``: gankit's, torch's and Python's. Loading the file as
a config (:func:`gankit.config.load_config`, ``--resume``) skips both keys (``config.RUN_RECORD_KEYS``).
"""
from __future__ import annotations

import platform

import torch


def versions() -> dict:
    from .. import __version__
    return {"gankit": __version__, "torch": torch.__version__, "python": platform.python_version()}


def run_record(trainer) -> dict:
    """``{"resolved": {...}, "versions": {...}}`` for ``trainer``'s run (JSON-ready)."""
    resolved = {key: list(value) if isinstance(value, tuple) else value for key, value in trainer.gan.hparams.items()}
    return {"resolved": {**resolved, "device": str(trainer.device)}, "versions": versions()}
