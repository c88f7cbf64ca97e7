"""Regularizers composable with any objective, registered by name in ``REGULARIZERS``.

A :class:`Regularizer` is a named, weighted extra loss term. How a recipe (``GAN.regularization`` and
``GAN.lazy_regularizer_loss`` in :mod:`gankit.recipes.base`) uses one:

- ``regularizer.applies(role)``: whether it joins the loss of ``role`` ('discriminator' | 'generator');
- every-step regularizers (``interval`` 1): each step the recipe adds ::

      regularizer.weighted(role, discriminator, real_samples, fake_samples, rng, generator_net=gan.generator)

  to that player's loss. ``weighted`` is ``weight_for(role) · fn(...)``: weighted, never scheduled;
- lazy regularizers (``interval`` k > 1, e.g. ``r1:lazy_interval=16``; Karras et al. 2020, StyleGAN2
  Sec. 3.1) get their own discriminator phase that runs every k-th step and minimises
  ``k · weighted(...)``, so that on average the term keeps its weight.

``fn`` is the raw, UNWEIGHTED term with the signature
``fn(discriminator, real_samples, fake_samples, rng, *, role, generator_net=None) -> scalar``
where ``rng`` is the run's ``torch.Generator`` (randomness, or None), ``role`` is the player whose loss
the term joins and ``generator_net`` is the generator network (only orthogonal regularization on the
generator uses it). ``real_samples`` may be None on a generator step.
"""
from __future__ import annotations

import math

import inspect
from dataclasses import dataclass
from typing import Callable, Optional

from ..errors import GankitError
from ..registry import REGULARIZERS, register_regularizer
from .augment import consistency_penalty, rotation_loss
from .penalties import orthogonal_regularization, r1_penalty, r2_penalty

ROLES = ("discriminator", "generator")
APPLIES_TO = ("discriminator", "generator", "both")


@dataclass(frozen=True)
class Regularizer:
    """A named extra loss term. ``weight`` scales it in the discriminator's loss (or the generator's, when it
    applies only there); ``generator_weight``, when set, is its weight in the generator's loss.
    ``interval`` k > 1 is lazy regularization (Karras et al. 2020, StyleGAN2 Sec. 3.1): the recipe computes
    it every k-th step with its weight multiplied by k."""
    name: str
    applies_to: str
    fn: Callable
    weight: float
    interval: int = 1
    paper: str = ""
    generator_weight: Optional[float] = None

    def __post_init__(self):
        if self.applies_to not in APPLIES_TO:
            raise GankitError(f"regularizer '{self.name}': applies_to must be one of {', '.join(APPLIES_TO)}, "
                              f"got '{self.applies_to}'")
        if int(self.interval) < 1:
            raise GankitError(f"regularizer '{self.name}': lazy_interval must be >= 1, got {self.interval}")
        for label, value in (("weight (or gamma)", self.weight), ("generator weight", self.generator_weight)):
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise GankitError(f"regularizer '{self.name}': its {label} must be a finite number >= 0, got {value}")

    def applies(self, role: str) -> bool:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, got {role!r}")
        return self.applies_to in (role, "both")

    def weight_for(self, role: str) -> float:
        if role == "generator" and self.generator_weight is not None:
            return self.generator_weight
        return self.weight

    def weighted(self, role: str, discriminator, real_samples, fake_samples, rng=None, generator_net=None):
        """``weight_for(role) · fn(...)``: the term for one step. It neither checks :meth:`applies` nor
        multiplies by ``interval``: the recipe does both (see the module docstring)."""
        raw = self.fn(discriminator, real_samples, fake_samples, rng, role=role, generator_net=generator_net)
        return self.weight_for(role) * raw


def _r1(discriminator, real_samples, fake_samples, rng, *, role, generator_net=None):
    return r1_penalty(discriminator, real_samples)


def _r2(discriminator, real_samples, fake_samples, rng, *, role, generator_net=None):
    return r2_penalty(discriminator, fake_samples)


def _consistency(discriminator, real_samples, fake_samples, rng, *, role, generator_net=None):
    return consistency_penalty(discriminator, real_samples, rng)


def _orthogonal(discriminator, real_samples, fake_samples, rng, *, role, generator_net=None):
    network = discriminator if role == "discriminator" else generator_net
    if network is None:
        raise GankitError("regularizer 'ortho' on the generator needs the generator network: pass generator_net")
    # a net may name parameters to leave out (BigGAN's shared class embedding, Brock et al. 2019 Sec. 3.1)
    excluded = getattr(network, "unregularized_parameters", None)
    return orthogonal_regularization(network, excluded() if callable(excluded) else ())


def rotation_head(discriminator) -> Callable:
    """The discriminator's rotation classifier ``rotation_logits(images) -> (M, 4)``, or a one-line error."""
    head = getattr(discriminator, "rotation_logits", None)
    if not callable(head):
        raise GankitError("regularizer 'rotation' needs a discriminator with a rotation head (a "
                          "rotation_logits(images) -> (N, 4) method); pick a model that has one or drop --reg rotation")
    return head


def _rotation(discriminator, real_samples, fake_samples, rng, *, role, generator_net=None):
    samples = real_samples if role == "discriminator" else fake_samples
    return rotation_loss(rotation_head(discriminator), samples)


def _gamma_weight(gamma: float, weight: Optional[float]) -> float:
    return float(weight) if weight is not None else float(gamma) / 2.0


@register_regularizer("r1")
def r1(gamma: float = 10.0, lazy_interval: int = 1, weight: Optional[float] = None) -> Regularizer:
    """R1: γ/2·E_data‖∇D(x)‖² on real samples (Mescheder 2018); lazy_interval=k applies it every k steps ×k."""
    return Regularizer("r1", "discriminator", _r1, _gamma_weight(gamma, weight), int(lazy_interval),
                       paper="Mescheder et al. 2018, Which Training Methods for GANs do actually Converge?, Eq. 9 "
                             "(γ=10); lazy: Karras et al. 2020, StyleGAN2, Sec. 3.1")


@register_regularizer("r2")
def r2(gamma: float = 10.0, lazy_interval: int = 1, weight: Optional[float] = None) -> Regularizer:
    """R2: γ/2·E_G‖∇D(x)‖² on generated samples (Mescheder 2018); lazy_interval as for r1."""
    return Regularizer("r2", "discriminator", _r2, _gamma_weight(gamma, weight), int(lazy_interval),
                       paper="Mescheder et al. 2018, Which Training Methods for GANs do actually Converge?, Eq. 10 "
                             "(γ=10); lazy: Karras et al. 2020, StyleGAN2, Sec. 3.1")


@register_regularizer("cr")
def cr(weight: float = 10.0) -> Regularizer:
    """Consistency regularization λ·‖D(x) − D(T(x))‖², T = random flip + shift ≤ 1/8 (Zhang 2019), λ=10."""
    return Regularizer("cr", "discriminator", _consistency, float(weight),
                       paper="Zhang et al. 2019 (ICLR 2020), Consistency Regularization for GANs, Alg. 1 (λ=10; "
                             "T: horizontal flip + translation up to 1/8 of the size, reflection padding)")


@register_regularizer("ortho")
def ortho(weight: float = 1e-4, applies_to: str = "generator") -> Regularizer:
    """Orthogonal regularization β‖WWᵀ ⊙ (1 − I)‖_F² over weights ≥ 2-D (Brock 2018), β=1e-4, on G."""
    return Regularizer("ortho", applies_to, _orthogonal, float(weight),
                       paper="Brock et al. 2019, Large Scale GAN Training (BigGAN), Eq. 3 (β=1e-4, on G)")


@register_regularizer("rotation")
def rotation(weight: float = 1.0, generator_weight: float = 0.2) -> Regularizer:
    """SS-GAN rotation-prediction loss (Chen 2019): β=1 on D (real images), α=0.2 on G (generated images)."""
    return Regularizer("rotation", "both", _rotation, float(weight), generator_weight=float(generator_weight),
                       paper="Chen et al. 2019, Self-Supervised GANs via Auxiliary Rotation Loss, Eq. 2 "
                             "(β=1, α=0.2)")


def build_regularizer(name: str, **options) -> Regularizer:
    """``REGULARIZERS.build`` with unknown options reported as a one-line GankitError."""
    builder = REGULARIZERS.entry(name).builder
    valid = list(inspect.signature(builder).parameters)
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise GankitError(f"regularizer '{name}' has no option {', '.join(map(repr, unknown))}; "
                          f"valid: {', '.join(valid)}")
    interval = options.get("lazy_interval", 1)
    if not (isinstance(interval, int) and not isinstance(interval, bool)):
        raise GankitError(f"regularizer '{name}': lazy_interval is a number of steps, an integer; got {interval!r}")
    try:
        return REGULARIZERS.build(name, **options)
    except (TypeError, ValueError) as error:                # e.g. gamma=abc reaches float()
        raise GankitError(f"regularizer '{name}' cannot use options {options}: {error}; give numbers, e.g. "
                          f"{name}:gamma=1") from None


def check_regularizer(regularizer: Regularizer, discriminator, sample_shape: tuple) -> None:
    """Raise a one-line GankitError when ``regularizer`` cannot run with this discriminator and data.

    ``sample_shape``: one sample's shape, (C, H, W) for images or (2,) for points.
    """
    is_image = len(sample_shape) == 3
    if regularizer.name in ("cr", "rotation") and not is_image:
        raise GankitError(f"regularizer '{regularizer.name}' transforms images but the samples have shape "
                          f"{tuple(sample_shape)}; use it with an image dataset, or r1, r2, ortho")
    if regularizer.name == "rotation":
        rotation_head(discriminator)
        if sample_shape[1] != sample_shape[2]:
            raise GankitError(f"regularizer 'rotation' needs square images, got {sample_shape[1]}x{sample_shape[2]}")
