"""Self-describing checkpoints: config + how to rebuild the GAN + every piece of training state.

Written atomically (temp file in the same folder, then ``os.replace``) and read with
``torch.load(weights_only=True)``: a checkpoint holds tensors, numbers, strings, lists and dicts only,
never pickled code.
"""
from __future__ import annotations

import re
from pathlib import Path

import torch

from ..errors import GankitError
from ..runtime import replace_atomically

FORMAT = "gankit-checkpoint/1"
NAME = re.compile(r"step-(\d+)\.pt$")


def checkpoint_path(run_dir: Path, step: int) -> Path:
    return Path(run_dir) / "checkpoints" / f"step-{step:07d}.pt"


def list_checkpoints(run_dir: Path) -> list[Path]:
    folder = Path(run_dir) / "checkpoints"
    found = [p for p in folder.glob("step-*.pt") if NAME.search(p.name)] if folder.is_dir() else []
    return sorted(found, key=lambda p: int(NAME.search(p.name).group(1)))


def latest_checkpoint(run_dir: Path) -> Path:
    found = list_checkpoints(run_dir)
    if not found:
        raise GankitError(f"no checkpoint in {Path(run_dir) / 'checkpoints'}; "
                          "train first with `gankit train MODEL --out RUN_DIR`")
    return found[-1]


def save_checkpoint(path: Path, payload: dict, keep: int = 0) -> Path:
    """Save ``payload`` (+ format tag) atomically; with ``keep`` > 0 delete all but the newest ``keep``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(path, lambda temporary: torch.save({"format": FORMAT, **payload}, temporary))
    if keep > 0:
        for old in list_checkpoints(path.parent.parent)[:-keep]:
            old.unlink(missing_ok=True)
    return path


def load_checkpoint(path: Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise GankitError(f"no run folder or checkpoint at {path}; train one with "
                          f"`gankit train MODEL --out {path}`")
    if path.is_dir():
        path = latest_checkpoint(path)
    elif path.suffix not in (".pt", ".pth", ".ckpt"):
        raise GankitError(f"{path} is not a checkpoint (gankit writes RUN/checkpoints/step-*.pt); give a run "
                          "folder or one of its .pt files")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise GankitError(f"checkpoint {path} not found") from None
    except Exception as error:  # torch raises many types for truncated/corrupt zip files
        raise GankitError(f"checkpoint {path} is corrupt or not a gankit checkpoint "
                          f"({type(error).__name__}); delete it to resume from an earlier one") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise GankitError(f"{path} is not a gankit checkpoint (format {payload.get('format') if isinstance(payload, dict) else '?'})")
    return payload
