"""``create(name, **overrides)``: the one door to every registered GAN (timm's create_model)."""
from __future__ import annotations

import inspect

import numpy as np

from ..config import regularizer_specs
from ..errors import GankitError, first_line
from ..registry import MODELS
from .base import GAN, HPARAM_KEYS

RECIPE_KEYS = ("objective", "regularizers", "latent_opt") + HPARAM_KEYS


def model_options(name: str) -> list[str]:
    """The keyword options a model builder accepts (its own + the recipe's)."""
    parameters = inspect.signature(MODELS.entry(name).builder).parameters
    own = [p for p, spec in parameters.items() if spec.kind is spec.KEYWORD_ONLY or spec.default is not spec.empty]
    return own + list(RECIPE_KEYS)


def data_options(name: str, data) -> dict:
    """Builder options a training dataset fills in beside ``sample_shape`` and ``num_classes``: the number of
    label-map classes (``segmap_classes``) for a builder that takes it (label-map models, recipes/spade.py)."""
    return {"segmap_classes": data.segmap_classes} if "segmap_classes" in model_options(name) else {}


class ModelBuildError(GankitError):
    """torch could not build a model's nets with the given options; ``reason`` is torch's message."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def create(name: str, **overrides) -> GAN:
    """Build the registered model ``name``; ``overrides`` are builder options (sample_shape, width, ...)
    and recipe options (objective, regularizers, lr_g, lr_d, betas, n_critic, optimizer, clip)."""
    entry = MODELS.entry(name)
    valid = model_options(name)
    unknown = [key for key in overrides if key not in valid]
    if unknown:
        raise GankitError(f"model '{name}' has no option {', '.join(repr(k) for k in unknown)}; "
                          f"its options: {', '.join(valid)}")
    overrides = {key: value.item() if isinstance(value, np.generic) else value     # checkpoints hold plain
                 for key, value in overrides.items()}                                # numbers (weights_only)
    if "sample_shape" in overrides:
        overrides["sample_shape"] = tuple(overrides["sample_shape"])
    if "regularizers" in overrides:
        overrides["regularizers"] = regularizer_specs(overrides["regularizers"])
    try:
        gan = entry.builder(**overrides)
    except (ValueError, RuntimeError) as error:      # torch refused a size (width=-1, ...)
        reason = first_line(error)
        options = {k: v for k, v in overrides.items() if k not in ("sample_shape", "num_classes")}
        raise ModelBuildError(f"model '{name}' cannot be built with options {options}: {reason}; fix them",
                              reason) from None
    gan.build_args = {"name": entry.name, **overrides}
    return gan
