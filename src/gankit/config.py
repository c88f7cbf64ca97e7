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

import numpy as np

from .errors import GankitError

LR_DECAYS = ("constant", "linear")
# keys of a run's config.json that record what the run used (gankit.training.record), not settings: skipped
# when the file is loaded as a config, so that --resume and --config RUN/config.json work as before
RUN_RECORD_KEYS = ("resolved", "versions")     # learning-rate schedules (gankit.schedule.Schedule.lr_factor)


@dataclass(frozen=True)
class TrainConfig:
    model: str
    data: str
    steps: int = 1000
    batch_size: int = 64
    seed: int = 0
    # None: the model's default objective with the model's own optimiser settings; a named objective, even
    # the default one, brings its paper's settings (lr, betas, n_critic; `gankit list objectives`)
    objective: Optional[str] = None
    regularizers: tuple = ()
    latent_opt: Optional[str] = None         # LOGAN's latent step, e.g. "logan:alpha=0.9" (recipes/latent_opt.py)
    lr_g: Optional[float] = None             # None: the recipe's / objective's paper value
    lr_d: Optional[float] = None
    betas: Optional[tuple] = None
    n_critic: Optional[int] = None
    optimizer: Optional[str] = None
    image_size: Optional[int] = None         # None: the dataset's native size
    channels: Optional[int] = None
    label: Optional[str] = None              # which of the data's labels is the class (celeba: an attribute)
    stream: Optional[bool] = None            # decode images per batch from files (None: when too big for memory)
    data_workers: int = 2                    # processes decoding streamed batches ahead of the loop
    precision: str = "fp32"                  # fp32, bf16 or fp16 (autocast; fp16 with loss scaling, GPU only)
    channels_last: bool = False              # NHWC weights and image batches
    compile: bool = False                    # torch.compile G and D (in place: checkpoints unchanged)
    sync_bn: bool = False                    # batch statistics over all torchrun processes (GPUs only)
    labels_per_class: Optional[int] = None   # semi-supervised: keep this many labels per class (rest −1)
    ema_decay: float = 0.999                 # with ramp-up min(decay, (1+t)/(10+t))
    log_every: int = 10                      # these four: 0 turns the hook off (0 checkpoints: no
    sample_every: int = 100                  # resume, sample or eval of the run later)
    checkpoint_every: int = 500
    keep_checkpoints: int = 2
    eval_every: int = 0                      # 0: no metric during training
    eval_metric: str = "fid"
    eval_num: int = 1000
    device: str = "auto"                     # auto: cuda when torch sees a GPU, else cpu (runtime.resolve_device)
    model_args: dict = field(default_factory=dict)   # extra builder options (width, latent_dim, ...)

    def __post_init__(self):
        """One-line errors for values no run can use (they used to crash deep in torch, or train nothing)."""
        self.normalize_collections()
        self.check_numbers()
        self.check_collections()
        check_hparams(vars(self))
        check_hparams(self.model_args)          # builder options may set clip, eps, weight_decay, ... too

    def normalize_collections(self) -> None:
        """JSON/TOML lists become tuples; a regularizer given as one string is one spec, as with ``--reg``
        (not split at commas: a spec's options are comma-separated, ``r1:gamma=1,lazy_interval=16``)."""
        for item in dataclasses.fields(self):           # numpy scalars (np.float32(1e-3)) as Python numbers,
            value = getattr(self, item.name)             # so that config.json and checkpoints can hold them
            if isinstance(value, np.generic):
                object.__setattr__(self, item.name, value.item())
        if isinstance(self.regularizers, str):
            object.__setattr__(self, "regularizers", regularizer_specs(self.regularizers))
        for key in ("regularizers", "betas"):
            if isinstance(getattr(self, key), list):
                object.__setattr__(self, key, tuple(getattr(self, key)))

    def check_numbers(self) -> None:
        at_least = {"steps": 1, "batch_size": 1, "keep_checkpoints": 1, "eval_num": 2, "log_every": 0,
                    "sample_every": 0, "checkpoint_every": 0, "eval_every": 0, "image_size": 1,
                    "channels": 1, "labels_per_class": 1, "data_workers": 0}
        for key, minimum in at_least.items():
            value = getattr(self, key)
            if value is not None and (not is_integer(value) or value < minimum):
                raise GankitError(f"{key} must be an integer >= {minimum}, got {value!r}")
        check_seed(self.seed)
        if not (is_number(self.ema_decay) and 0 <= self.ema_decay < 1):
            raise GankitError(f"ema_decay must be in [0, 1), got {self.ema_decay!r}")

    def check_collections(self) -> None:
        """Names are strings, regularizers a list of spec strings, model_args a mapping of builder options."""
        for key in ("model", "data", "objective", "optimizer", "eval_metric", "device", "label", "latent_opt"):
            value = getattr(self, key)
            if value is not None and not isinstance(value, str):
                raise GankitError(f"{key} must be a name (a string), got {value!r}")
        if not (isinstance(self.regularizers, tuple) and all(isinstance(spec, str) for spec in self.regularizers)):
            raise GankitError(f"regularizers must be names or specs like r1:gamma=1, e.g. --set regularizers=r1 "
                              f"or --set 'regularizers=[\"r1\",\"cr\"]', got {self.regularizers!r}")
        if not isinstance(self.model_args, dict):
            raise GankitError(f"model_args must be a mapping of builder options, e.g. --set 'model_args="
                              f"{{\"width\": 32}}' or --set model_args.width=32, got {self.model_args!r}")

    def recipe_overrides(self) -> dict:
        """Options for gankit.create: model_args + the training hparams the user set."""
        chosen = {k: getattr(self, k) for k in ("lr_g", "lr_d", "betas", "n_critic", "optimizer")
                  if getattr(self, k) is not None}
        if self.objective:
            chosen["objective"] = self.objective
        if self.regularizers:
            chosen["regularizers"] = tuple(self.regularizers)
        if self.latent_opt:
            chosen["latent_opt"] = self.latent_opt
        return {**self.model_args, **chosen}

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - names
        if unknown:
            raise GankitError(f"unknown config key(s) {', '.join(sorted(unknown))}; valid keys: {', '.join(sorted(names))}"
                              f" (a model's own options go under model_args, e.g. --set model_args."
                              f"{sorted(unknown)[0]}=VALUE)")
        required = [f.name for f in dataclasses.fields(cls)
                    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        missing = [name for name in required if name not in values]
        if missing:
            raise GankitError(f"config lacks {' and '.join(missing)}; set it in the config file or on the command "
                              "line, `gankit train MODEL --data DATASET`")
        return cls(**values)

    def replace(self, **changes) -> "TrainConfig":
        return self.from_dict({**self.to_dict(), **changes})

    def save(self, path: Path, record: dict | None = None) -> None:
        """The settings as JSON, with ``record`` (keys of RUN_RECORD_KEYS: what the run resolved them to)."""
        Path(path).write_text(json.dumps({**self.to_dict(), **(record or {})}, indent=2) + "\n")


def is_number(value: Any) -> bool:
    """A real number, Python's or numpy's (np.float32 too), not a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def is_positive_number(value: Any) -> bool:
    """A finite number > 0 (a learning rate, eps, a clipping bound)."""
    return is_number(value) and 0 < value < float("inf")


def are_adam_betas(betas: Any) -> bool:
    """Two numbers in [0, 1): Adam's (β1, β2)."""
    return len(tuple(betas)) == 2 and all(is_number(beta) and 0 <= beta < 1 for beta in betas)


OPTIMIZERS = ("adam", "rmsprop")        # what GAN.make_optimizers builds


def check_hparams(values: dict) -> None:
    """One-line errors for training hyperparameters no optimiser can use (torch accepts some and trains
    nothing: a zero learning rate, a negative clip that maps every weight to the same value).

    Checks those of ``lr_g``, ``lr_d``, ``eps``, ``clip``, ``weight_decay``, ``betas``, ``n_critic``,
    ``optimizer`` and the schedule's ``ema_kimg``, ``ema_rampup``, ``ema_start``, ``lr_decay`` that ``values`` holds and that are not None (None: unset, the recipe's or objective's
    value applies; ``betas=None`` is Adam's default, ``clip=None`` no clipping); other keys are ignored.
    TrainConfig, GAN (its merged ``hparams``) and the objectives' catalog all call it.
    """
    given = {key: value for key, value in values.items() if value is not None}
    positive = [key for key in ("lr_g", "lr_d", "eps", "clip") if key in given and not is_positive_number(given[key])]
    if positive:
        raise GankitError(" and ".join(f"{key} must be a positive number, got {given[key]!r}" for key in positive))
    if "weight_decay" in given and not (is_number(given["weight_decay"]) and 0 <= given["weight_decay"] < float("inf")):
        raise GankitError(f"weight_decay must be a number >= 0, got {given['weight_decay']!r}")
    if "betas" in given and not (isinstance(given["betas"], (tuple, list)) and are_adam_betas(given["betas"])):
        raise GankitError(f"betas must be two numbers in [0, 1), e.g. [0.5, 0.999], got {given['betas']!r}")
    if "n_critic" in given and not (is_integer(given["n_critic"]) and given["n_critic"] >= 1):
        raise GankitError(f"n_critic must be an integer >= 1, got {given['n_critic']!r}")
    if "optimizer" in given and given["optimizer"] not in OPTIMIZERS:
        raise GankitError(f"unknown optimizer '{given['optimizer']}'; use 'adam' or 'rmsprop'")
    for key in ("ema_kimg", "ema_rampup"):
        if key in given and not is_positive_number(given[key]):
            raise GankitError(f"{key} must be a positive number (or unset), got {given[key]!r}")
    if "ema_start" in given and not (is_integer(given["ema_start"]) and given["ema_start"] >= 0):
        raise GankitError(f"ema_start must be a step number >= 0, got {given['ema_start']!r}")
    if "lr_decay" in given and given["lr_decay"] not in LR_DECAYS:
        raise GankitError(f"lr_decay must be one of {', '.join(LR_DECAYS)}, got {given['lr_decay']!r}")


def regularizer_specs(specs) -> tuple:
    """Regularizer specs as a tuple: one string is one spec, as with ``--reg`` (not split at commas: a
    spec's options are comma-separated, ``r1:gamma=1,lazy_interval=16``); an empty string is none."""
    if isinstance(specs, str):
        return (specs,) if specs else ()
    return tuple(specs) if isinstance(specs, (list, tuple)) else (specs,)


def is_integer(value: Any) -> bool:
    """A Python or numpy integer, not a bool (True would count as 1)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_seed(seed: Any, name: str = "seed") -> None:
    """A seed torch.Generator.manual_seed takes without overflow: an integer in [0, 2^63)."""
    if not (is_integer(seed) and 0 <= seed < 2 ** 63):
        raise GankitError(f"{name} must be an integer in [0, 2^63), got {seed!r}")


def load_config(path: str | Path, **overrides) -> TrainConfig:
    """A TrainConfig from a ``.toml`` file, or else a JSON file, with the ``overrides`` that are not None (e.g. the
    command line's model and data); a one-line error naming the file if it holds no config."""
    path = Path(path)
    kind = "TOML" if path.suffix == ".toml" else "JSON"
    try:
        text = path.read_text(encoding="utf-8")
        values = tomllib.loads(text) if kind == "TOML" else json.loads(text)
    except FileNotFoundError:
        raise GankitError(f"config file {path} not found") from None
    except OSError as error:
        raise GankitError(f"cannot read config file {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise GankitError(f"config file {path} is not a text file (not UTF-8); give a JSON or .toml config") from None
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise GankitError(f"config file {path} is not valid {kind}: {error}") from None
    if not isinstance(values, dict):
        raise GankitError(f"config file {path} must hold key/value pairs (a JSON object), not {type(values).__name__}")
    settings = {key: value for key, value in values.items() if key not in RUN_RECORD_KEYS}
    return TrainConfig.from_dict({**settings, **{key: value for key, value in overrides.items() if value is not None}})


def parse_number(text: str):
    """``text`` as an int, else a float, else the text itself (spec options: ``r1:gamma=1``)."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def apply_overrides(config: TrainConfig, assignments: list[str]) -> TrainConfig:
    """Apply ``key=value`` strings; ``model_args.width=32`` sets a builder option."""
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        if not sep:
            raise GankitError(f"--set expects key=value, got '{assignment}'")
        values = config.to_dict()
        if key.startswith("model_args."):
            values["model_args"] = {**values["model_args"], key.split(".", 1)[1]: parse_value(text)}
        else:
            values[key] = parse_value(text)
        config = TrainConfig.from_dict(values)          # checked per assignment: each error names its own
    return config
