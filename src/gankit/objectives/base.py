"""The Objective type: an adversarial loss pair (+ optional penalty) and its paper's hyperparameters.

Objectives are registered by name in ``gankit.registry.OBJECTIVES``; each registered builder returns an
:class:`Objective`. The loss functions are pure (tensors in, scalar tensor out): no state, no optimizers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import torch
import torch.nn.functional as F

# (real_logits, fake_logits) -> scalar loss for D
DiscriminatorLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
# (fake_logits, real_logits) -> scalar loss for G (real_logits used by relativistic losses; may be None)
GeneratorLoss = Callable[[torch.Tensor, Optional[torch.Tensor]], torch.Tensor]


@dataclass(frozen=True)
class Objective:
    """An adversarial objective.

    ``penalty``: optional callable ``(discriminator, real_samples, fake_samples, rng) -> scalar``
    already multiplied by its weight (e.g. WGAN-GP's λ·GP); ``rng`` is a torch.Generator (or None) for
    the random interpolation/perturbation so runs stay reproducible.
    ``hparams``: the paper's training settings, applied by the recipe unless the user overrides them:
    optimizer ('adam'|'rmsprop'), lr_g, lr_d, betas, n_critic, clip (weight clipping bound) ...
    ``output``: what the discriminator must produce: 'logits' (unbounded score; no sigmoid in the net)
    or 'energy' (autoencoder reconstruction error, for EBGAN/BEGAN).
    """
    name: str
    discriminator_loss: DiscriminatorLoss
    generator_loss: GeneratorLoss
    penalty: Optional[Callable] = None
    hparams: dict = field(default_factory=dict)
    output: str = "logits"
    paper: str = ""


def real_cross_entropy(real_logits):
    """Binary cross-entropy with target 1 (real): −log D(x), D = sigmoid(logits), mean over the batch."""
    return F.softplus(-real_logits).mean()


def fake_cross_entropy(fake_logits):
    """Binary cross-entropy with target 0 (fake): −log(1 − D(G(z))), mean over the batch."""
    return F.softplus(fake_logits).mean()


def nonsaturating_discriminator_loss(real_logits, fake_logits):
    """Goodfellow et al. 2014, Eq. 1: −log D(x) − log(1 − D(G(z))), with D = sigmoid(logits)."""
    return real_cross_entropy(real_logits) + fake_cross_entropy(fake_logits)


def nonsaturating_generator_loss(fake_logits, real_logits=None):
    """Goodfellow et al. 2014, Sec. 3: the non-saturating G loss −log D(G(z))."""
    return F.softplus(-fake_logits).mean()
