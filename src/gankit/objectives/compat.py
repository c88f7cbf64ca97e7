"""Which objectives and regularizers a discriminator can be trained with, with one-line errors when not.

Contract: a discriminator module may declare a class or instance attribute
``output_kind = "logits" | "energy" | "probability"`` (missing means "logits"):

- ``"logits"``: one unbounded score per sample, (N,) or (N, 1), no final sigmoid;
- ``"energy"``: an autoencoder returning :class:`~gankit.objectives.autoencoder.EnergyOutput`;
- ``"probability"``: a score squashed by a final sigmoid. No gankit objective takes it: the
  cross-entropy losses apply the sigmoid themselves (numerically stable softplus form), and the
  Wasserstein/hinge/least-squares losses need unbounded scores.

An objective's ``output`` ('logits' | 'energy') is the kind it needs.
"""
from __future__ import annotations

from typing import Union

import torch

from ..errors import GankitError
from ..registry import OBJECTIVES

OUTPUT_KINDS = ("logits", "energy", "probability")
KIND_WORDS = {"logits": "a discriminator with raw scores (output_kind 'logits', no final sigmoid)",
              "energy": "an autoencoder discriminator (output_kind 'energy')"}


def discriminator_output_kind(discriminator: Union[str, torch.nn.Module]) -> str:
    """The declared output kind of a discriminator module (or a kind given as a string)."""
    kind = discriminator if isinstance(discriminator, str) else getattr(discriminator, "output_kind", "logits")
    if kind not in OUTPUT_KINDS:
        raise GankitError(f"unknown discriminator output_kind '{kind}'; valid: {', '.join(OUTPUT_KINDS)}")
    return kind


def objectives_for(kind: str) -> list[str]:
    """Names of the registered objectives that a discriminator of this output kind can be trained with."""
    return [name for name in OBJECTIVES.names() if OBJECTIVES.build(name).output == kind]


def check_compatible(objective, discriminator: Union[str, torch.nn.Module]) -> None:
    """Raise a one-line GankitError unless ``objective`` can train a discriminator of this kind.

    ``objective``: an Objective (or its registered name); ``discriminator``: a module or an output kind.
    """
    if isinstance(objective, str):
        objective = OBJECTIVES.build(objective)
    kind = discriminator_output_kind(discriminator)
    if kind == objective.output:
        return
    usable = objectives_for(kind)
    alternatives = (f"objectives for this discriminator: {', '.join(usable)}" if usable else
                    "no objective takes probabilities: build the discriminator without its final sigmoid")
    raise GankitError(f"objective '{objective.name}' needs {KIND_WORDS[objective.output]}, but this discriminator's "
                      f"output_kind is '{kind}'; {alternatives}")
