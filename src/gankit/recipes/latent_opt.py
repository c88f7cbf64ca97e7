"""LOGAN's latent optimisation (Wu et al. 2019, arXiv:1912.00953), for any recipe with a Gaussian or
uniform latent: ``--latent-opt logan:alpha=0.9,beta=5,...``.

Before the losses, each latent takes one step up the discriminator's score f(z) = D(G(z)):
g = ∂f/∂z; natural gradient (Sec. 3.2, the empirical Fisher g gᵀ with Tikhonov damping β, inverted by
Sherman–Morrison): Δz = α g / (β + ‖g‖²), per sample; plain gradient (Sec. 3.1, ``natural=false``):
Δz = α g. z' = z + Δz (clipped to [−1, 1] for a uniform latent, Algorithm 1). The step is built with
``create_graph``, so both players' gradients flow through Δz (the second-order terms the paper analyses),
and both losses get ``weight``·‖Δz‖² (the paper's Euclidean-norm regulariser of the step). The step
changes a random ``fraction`` of the latent's entries (each entry kept with that probability, from the
run's generator); the others stay as drawn.
Defaults: the paper's BigGAN-deep settings (its ImageNet experiment, Sec. 5): "the same large step size
of α = 0.9 as in SN-GAN ... the damping factor β = 5.0, and only optimise 50% of z's elements ... a much
larger weight of 300.0 for the regulariser". (StudioGAN's CIFAR-10 LOGAN config differs: β 0.1, weight
0.1, and its 80% picks whole *samples*, not entries; ``logan:beta=0.1,weight=0.1,fraction=0.8`` comes
closest here; measured on dcgan at 32 px, the weight-300 term collapses G to one image in 300 steps and
the light values do not — docs/benchmarks.md, "LOGAN on vs off".) The paper also draws z from U(−1, 1) so
that the step can be clipped; gankit keeps each model's own latent and clips only a uniform one.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable, Optional

import torch

from .. import draws
from ..config import is_number, parse_number
from ..errors import GankitError

LATENT_OPTIMIZERS = ("logan",)


@dataclass(frozen=True)
class LatentOptimizer:
    alpha: float = 0.9
    beta: float = 5.0
    natural: bool = True
    weight: float = 300.0
    fraction: float = 0.5

    def __post_init__(self):
        for name in ("alpha", "beta", "weight"):
            value = getattr(self, name)
            if not (is_number(value) and 0 <= value < float("inf")):
                raise GankitError(f"latent-opt logan: {name} must be a finite number >= 0, got {value!r}")
        if not (is_number(self.fraction) and 0 < self.fraction <= 1):
            raise GankitError(f"latent-opt logan: fraction must be in (0, 1], got {self.fraction!r}")
        if not isinstance(self.natural, bool):
            raise GankitError(f"latent-opt logan: natural must be true or false, got {self.natural!r}")

    def delta(self, gradient: torch.Tensor) -> torch.Tensor:
        """Δz from g = ∂f/∂z, (N, dim): α g/(β + ‖g‖²) per row (natural), or α g."""
        if not self.natural:
            return self.alpha * gradient
        return self.alpha * gradient / (self.beta + gradient.pow(2).sum(dim=1, keepdim=True))

    def step(self, latent: torch.Tensor, score: Callable[[torch.Tensor], torch.Tensor],
             rng: Optional[torch.Generator], uniform: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """(z', weight·mean‖Δz‖²) for latents ``latent`` (N, dim); ``score(z)`` is D(G(z)) per sample."""
        latent = latent.detach().requires_grad_(True)
        with torch.enable_grad():
            gradient, = torch.autograd.grad(score(latent).sum(), latent, create_graph=True)
            kept = draws.rand(latent.shape, rng, latent.device) < self.fraction
            delta = self.delta(gradient) * kept.to(gradient.dtype)
            optimized = latent + delta
            if uniform:
                optimized = optimized.clamp(-1.0, 1.0)
            cost = self.weight * delta.pow(2).sum(dim=1).mean()
        return optimized, cost


def parse_bool(text: str):
    lowered = text.strip().lower()
    return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(lowered, text)


def build_latent_optimizer(spec) -> Optional[LatentOptimizer]:
    """A LatentOptimizer from ``"logan"`` / ``"logan:alpha=0.9,natural=false"`` (the ``--reg`` syntax), or None."""
    if spec is None or spec == "" or isinstance(spec, LatentOptimizer):
        return spec or None
    if not isinstance(spec, str):
        raise GankitError(f"latent_opt is a spec like 'logan:alpha=0.9', got {spec!r}")
    name, _, options = spec.partition(":")
    if name not in LATENT_OPTIMIZERS:
        raise GankitError(f"unknown latent optimiser '{name}'; valid: {', '.join(LATENT_OPTIMIZERS)} "
                          "(e.g. --latent-opt logan:alpha=0.9,beta=5)")
    valid = [item.name for item in fields(LatentOptimizer)]
    values = {}
    for item in (part for part in options.split(",") if part.strip()):
        key, sep, text = item.partition("=")
        if not sep:
            raise GankitError(f"latent-opt spec '{spec}': {item!r} is not KEY=VALUE; write logan:alpha=0.9,natural=false")
        if key.strip() not in valid:
            raise GankitError(f"latent-opt logan has no option '{key.strip()}'; valid: {', '.join(valid)}")
        values[key.strip()] = parse_bool(text) if key.strip() == "natural" else parse_number(text)
    return LatentOptimizer(**values)
