"""Run configuration: one frozen dataclass, saved as JSON, loadable from JSON or TOML, with
``--set key=value`` overrides (values parsed as JSON when they parse, else kept as strings).
"""
from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .errors import GankitError


@dataclass(frozen=True)
class TrainConfig:
    model: str
    data: str
    steps: int = 1000
    batch_size: int = 64
    seed: int = 0
    objective: Optional[str] = None          # None: the model's default (non-saturating)
    regularizers: tuple = ()
    lr_g: Optional[float] = None             # None: the recipe's / objective's paper value
    lr_d: Optional[float] = None
    betas: Optional[tuple] = None
    n_critic: Optional[int] = None
    optimizer: Optional[str] = None
    image_size: Optional[int] = None         # None: the dataset's native size
    channels: Optional[int] = None
    labels_per_class: Optional[int] = None   # semi-supervised: keep this many labels per class (rest −1)
    ema_decay: float = 0.999                 # with ramp-up min(decay, (1+t)/(10+t))
    log_every: int = 10                      # these four: 0 turns the hook off (0 checkpoints: no
    sample_every: int = 100                  # resume, sample or eval of the run later)
    checkpoint_every: int = 500
    keep_checkpoints: int = 2
    eval_every: int = 0                      # 0: no metric during training
    eval_metric: str = "fid"
    eval_num: int = 1000
    device: str = "cpu"
    model_args: dict = field(default_factory=dict)   # extra builder options (width, latent_dim, ...)

    def __post_init__(self):
        """One-line errors for values no run can use (they used to crash deep in torch, or train nothing)."""
        at_least = {"steps": 1, "batch_size": 1, "keep_checkpoints": 1, "eval_num": 2, "log_every": 0,
                    "sample_every": 0, "checkpoint_every": 0, "eval_every": 0, "n_critic": 1, "image_size": 1,
                    "channels": 1, "labels_per_class": 0}
        for key, minimum in at_least.items():
            value = getattr(self, key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < minimum):
                raise GankitError(f"{key} must be an integer >= {minimum}, got {value!r}")
        for key in ("lr_g", "lr_d"):
            value = getattr(self, key)
            if value is not None and not (isinstance(value, (int, float)) and 0 < value < float("inf")):
                raise GankitError(f"{key} must be a positive learning rate, got {value!r}")
        if not (isinstance(self.ema_decay, (int, float)) and 0 <= self.ema_decay < 1):
            raise GankitError(f"ema_decay must be in [0, 1), got {self.ema_decay!r}")

    def recipe_overrides(self) -> dict:
        """Options for gankit.create: model_args + the training hparams the user set."""
        chosen = {k: getattr(self, k) for k in ("lr_g", "lr_d", "betas", "n_critic", "optimizer")
                  if getattr(self, k) is not None}
        if self.objective:
            chosen["objective"] = self.objective
        if self.regularizers:
            chosen["regularizers"] = tuple(self.regularizers)
        return {**self.model_args, **chosen}

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - names
        if unknown:
            raise GankitError(f"unknown config key(s) {', '.join(sorted(unknown))}; valid keys: {', '.join(sorted(names))}")
        values = dict(values)
        for key in ("regularizers", "betas"):
            if isinstance(values.get(key), list):
                values[key] = tuple(values[key])
        return cls(**values)

    def replace(self, **changes) -> "TrainConfig":
        return self.from_dict({**self.to_dict(), **changes})

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")


def load_config(path: str | Path) -> TrainConfig:
    path = Path(path)
    try:
        text = path.read_text()
        values = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except FileNotFoundError:
        raise GankitError(f"config file {path} not found") from None
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise GankitError(f"config file {path} is not valid {path.suffix[1:].upper() or 'JSON'}: {error}") from None
    return TrainConfig.from_dict(values)


def parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def apply_overrides(config: TrainConfig, assignments: list[str]) -> TrainConfig:
    """Apply ``key=value`` strings; ``model_args.width=32`` sets a builder option."""
    values = config.to_dict()
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        if not sep:
            raise GankitError(f"--set expects key=value, got '{assignment}'")
        if key.startswith("model_args."):
            values["model_args"] = {**values["model_args"], key.split(".", 1)[1]: parse_value(text)}
        else:
            values[key] = parse_value(text)
    return TrainConfig.from_dict(values)
