"""Objectives for autoencoder discriminators (EBGAN, BEGAN): the discriminator's score is an energy.

Contract for an autoencoder discriminator (``output_kind = "energy"``): its forward pass returns an
:class:`EnergyOutput` with

- ``energy``: (N,) per-sample reconstruction energy, built with :func:`reconstruction_energy`
  (EBGAN: squared error, ``norm="l2"``; BEGAN: absolute error, ``norm="l1"``, the paper's η = 1);
- ``embedding``: (N, ...) the encoder's code for each sample (EBGAN's pulling-away term needs it;
  may be None for BEGAN).

The losses accept an :class:`EnergyOutput` or a bare (N,) energy tensor wherever no embedding is needed.
Low energy means "looks real". BEGAN's equilibrium variable k_t is state kept by the training recipe;
:func:`began_update` is the pure step that advances it and returns the convergence measure M.
"""
from __future__ import annotations

from typing import Union

import torch
import torch.nn.functional as F

from ..errors import GankitError
from ..nets.autoencoder import EnergyOutput, reconstruction_energy   # the networks' output contract

__all__ = ["EnergyOutput", "EnergyLike", "energies", "reconstruction_energy", "pulling_away_term",
           "ebgan_discriminator_loss", "ebgan_generator_loss", "began_discriminator_loss", "began_generator_loss",
           "began_update"]


EnergyLike = Union[EnergyOutput, torch.Tensor]


def energies(output: EnergyLike) -> torch.Tensor:
    """The (N,) energies of a discriminator output (an EnergyOutput or a bare tensor)."""
    return output.energy if isinstance(output, EnergyOutput) else output


def pulling_away_term(embeddings: torch.Tensor) -> torch.Tensor:
    """Zhao et al. 2016, Eq. 7: mean squared cosine similarity over ordered pairs i ≠ j of a batch's codes.

    f_PT(S) = 1/(N(N−1)) · Σ_i Σ_{j≠i} (S_iᵀ S_j / (‖S_i‖ ‖S_j‖))². Needs N ≥ 2.
    """
    codes = embeddings.flatten(1)
    count = codes.shape[0]
    if count < 2:
        raise GankitError(f"the pulling-away term needs a batch of at least 2 samples, got {count}")
    unit = F.normalize(codes, dim=1)
    cosine = unit @ unit.t()
    off_diagonal = cosine.pow(2).sum() - cosine.diagonal().pow(2).sum()
    return off_diagonal / (count * (count - 1))


def ebgan_discriminator_loss(real_output: EnergyLike, fake_output: EnergyLike, *, margin: float):
    """Zhao et al. 2016, Eq. 1: L_D = E[D(x)] + E[max(0, m − D(G(z)))]."""
    return energies(real_output).mean() + F.relu(margin - energies(fake_output)).mean()


def ebgan_generator_loss(fake_output: EnergyLike, real_output: EnergyLike = None, *, pt_weight: float = 0.0):
    """Zhao et al. 2016, Eq. 2 + Sec. 2.4: L_G = E[D(G(z))] + λ_PT · f_PT(encoder codes of G(z))."""
    loss = energies(fake_output).mean()
    if pt_weight:
        embedding = fake_output.embedding if isinstance(fake_output, EnergyOutput) else None
        if embedding is None:
            raise GankitError("ebgan's pulling-away term needs the discriminator's encoder codes: return "
                              "EnergyOutput(energy, embedding), or set pt_weight=0")
        loss = loss + pt_weight * pulling_away_term(embedding)
    return loss


def began_discriminator_loss(real_output: EnergyLike, fake_output: EnergyLike, *, k: float):
    """Berthelot et al. 2017, Eq. 4: L_D = L(x) − k_t · L(G(z)); k is the recipe's current k_t."""
    return energies(real_output).mean() - k * energies(fake_output).mean()


def began_generator_loss(fake_output: EnergyLike, real_output: EnergyLike = None):
    """Berthelot et al. 2017, Eq. 4: L_G = L(G(z))."""
    return energies(fake_output).mean()


def _mean_value(energy) -> float:
    if isinstance(energy, EnergyOutput):
        energy = energy.energy
    if isinstance(energy, torch.Tensor):
        return float(energy.detach().float().mean())
    return float(energy)


def began_update(k: float, real_energy, fake_energy, gamma: float, lambda_k: float) -> tuple[float, float]:
    """Berthelot et al. 2017, Eq. 4 and Sec. 3.4.1: one step of the equilibrium control.

    ``real_energy``/``fake_energy``: L(x) and L(G(z)) as floats or tensors (averaged if per-sample).
    Returns ``(new_k, M)`` with k_{t+1} = clip(k_t + λ_k (γ L(x) − L(G(z))), 0, 1)
    and the convergence measure M = L(x) + |γ L(x) − L(G(z))|.
    """
    real_mean, fake_mean = _mean_value(real_energy), _mean_value(fake_energy)
    balance = gamma * real_mean - fake_mean
    new_k = min(max(k + lambda_k * balance, 0.0), 1.0)
    return new_k, real_mean + abs(balance)
