"""Adversarial loss pairs on discriminator logits (unbounded scores, no final sigmoid).

Every function is pure: ``(real_logits, fake_logits) -> scalar`` for the discriminator and
``(fake_logits, real_logits=None) -> scalar`` for the generator, the signatures of
:mod:`gankit.objectives.base`. Logits of shape (N,) or (N, 1) are both fine: every loss is a mean.
The non-saturating pair lives in ``base.py``; the discriminator side of ``minimax`` is the same
cross-entropy, only the generator side differs.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def minimax_generator_loss(fake_logits, real_logits=None):
    """Goodfellow et al. 2014, Eq. 1 (saturating): minimise log(1 − D(G(z))) = −softplus(logits)."""
    return -F.softplus(fake_logits).mean()


def lsgan_discriminator_loss(real_logits, fake_logits):
    """Mao et al. 2016, Eq. 2 with a=0, b=1: ½·E[(D(x) − 1)²] + ½·E[D(G(z))²]."""
    return 0.5 * (real_logits - 1.0).pow(2).mean() + 0.5 * fake_logits.pow(2).mean()


def lsgan_generator_loss(fake_logits, real_logits=None):
    """Mao et al. 2016, Eq. 2 with c=1: ½·E[(D(G(z)) − 1)²]."""
    return 0.5 * (fake_logits - 1.0).pow(2).mean()


def wasserstein_discriminator_loss(real_logits, fake_logits):
    """Arjovsky et al. 2017, Alg. 1: the critic maximises E[f(x)] − E[f(G(z))], i.e. minimises its negative."""
    return fake_logits.mean() - real_logits.mean()


def drifting_wasserstein_discriminator_loss(real_logits, fake_logits, drift: float = 1e-3):
    """Karras et al. 2018, App. A.1: the critic's Wasserstein loss plus ε·E[D(x)²] on real samples (ε = 0.001),
    which keeps the critic's output from drifting far from zero."""
    return wasserstein_discriminator_loss(real_logits, fake_logits) + drift * real_logits.pow(2).mean()


def wasserstein_generator_loss(fake_logits, real_logits=None):
    """Arjovsky et al. 2017, Alg. 1: the generator minimises −E[f(G(z))]."""
    return -fake_logits.mean()


def hinge_discriminator_loss(real_logits, fake_logits):
    """Lim & Ye 2017 / Miyato et al. 2018, Eq. 16: E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))]."""
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def hinge_generator_loss(fake_logits, real_logits=None):
    """Lim & Ye 2017 / Miyato et al. 2018, Eq. 17: −E[D(G(z))]."""
    return -fake_logits.mean()


@torch.no_grad()
def clip_parameters_(discriminator: torch.nn.Module, bound: float) -> None:
    """Arjovsky et al. 2017, Alg. 1 line 7: clamp every critic parameter to [−c, c] after its update (in place)."""
    for parameter in discriminator.parameters():
        parameter.clamp_(-bound, bound)
