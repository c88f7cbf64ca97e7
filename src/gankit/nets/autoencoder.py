"""Autoencoder discriminators for the energy objectives (EBGAN, BEGAN): ``output_kind = "energy"``.

The discriminator is an autoencoder D(x) = Dec(Enc(x)); its score is the per-sample reconstruction
energy (low = "looks real"), returned with the encoder's code as an :class:`EnergyOutput`
(Zhao et al. 2016, EBGAN, Sec. 2.3; Berthelot et al. 2017, BEGAN, Sec. 3.1). ``energy_norm`` is the
objective's: 'l2' (EBGAN's squared error) or 'l1' (BEGAN's |v − D(v)|, η = 1).

- :class:`MLPAutoencoderDiscriminator`: for 2D points; ReLU-family MLP encoder to a ``code_dim`` code and a
  mirrored decoder, the sizes of the MLP discriminator (Metz et al. 2017's 128-unit toy nets).
- :class:`ConvAutoencoderDiscriminator`: for DCGAN-sized images (28, 32, 64 px); BEGAN's design
  (Berthelot et al. 2017, Sec. 3.5 and Fig. 1: conv encoder, fully connected code h, decoder that
  upsamples by nearest neighbour followed by 3×3 convs, ELUs, no batch norm) scaled down to DCGAN's
  width and resolution plan: one strided 4×4 conv per halving instead of BEGAN's blocks of 3×3 convs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from torch import nn

from ..errors import GankitError
from .blocks import Reshape, maybe_spectral_norm
from .dcgan import resolution_plan


@dataclass(frozen=True)
class EnergyOutput:
    """What an autoencoder discriminator returns: per-sample energies (N,) and encoder codes (N, ...).
    The energy objectives (:mod:`gankit.objectives.autoencoder`) read it; defined here, with the networks,
    so that nets import nothing from the layers above them."""
    energy: torch.Tensor
    embedding: Optional[torch.Tensor] = None


def reconstruction_energy(samples: torch.Tensor, reconstructions: torch.Tensor, norm: str = "l2") -> torch.Tensor:
    """Per-sample reconstruction error, averaged over all non-batch dims: (N,).

    ``norm="l2"``: mean squared error (Zhao et al. 2016, Sec. 2.3, D(x) = ‖Dec(Enc(x)) − x‖);
    ``norm="l1"``: mean absolute error (Berthelot et al. 2017, Eq. 1, L(v) = |v − D(v)|^η with η = 1).
    """
    difference = (samples - reconstructions).flatten(1)
    if norm == "l2":
        return difference.pow(2).mean(dim=1)
    if norm == "l1":
        return difference.abs().mean(dim=1)
    raise GankitError(f"unknown reconstruction norm '{norm}'; use 'l1' or 'l2'")


def mlp(sizes: list[int], spectral_norm: bool) -> nn.Sequential:
    """Linear layers through ``sizes`` with ELU between them (none after the last)."""
    layers: list[nn.Module] = []
    for index, (width_in, width_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(maybe_spectral_norm(nn.Linear(width_in, width_out), spectral_norm))
        if index < len(sizes) - 2:
            layers.append(nn.ELU())
    return nn.Sequential(*layers)


class AutoencoderDiscriminator(nn.Module):
    """Energy = reconstruction error of ``decoder(encoder(x))``; subclasses build the two halves."""
    output_kind = "energy"
    energy_norm: str = "l2"
    encoder: nn.Module
    decoder: nn.Module

    def forward(self, samples):
        code = self.encoder(samples)
        return EnergyOutput(reconstruction_energy(samples, self.decoder(code), self.energy_norm), code)


class MLPAutoencoderDiscriminator(AutoencoderDiscriminator):
    def __init__(self, in_dim: int = 2, hidden: int = 128, depth: int = 2, code_dim: int = 16,
                 energy_norm: str = "l2", spectral_norm: bool = False):
        super().__init__()
        self.energy_norm = energy_norm
        self.encoder = mlp([in_dim] + [hidden] * depth + [code_dim], spectral_norm)
        self.decoder = mlp([code_dim] + [hidden] * depth + [in_dim], spectral_norm)


class ConvAutoencoderDiscriminator(AutoencoderDiscriminator):
    def __init__(self, image_size: int = 64, channels: int = 3, width: int = 64, code_dim: int = 64,
                 energy_norm: str = "l1", spectral_norm: bool = False):
        super().__init__()
        self.energy_norm = energy_norm
        base, steps = resolution_plan(image_size)
        channel_plan = [width * 2 ** i for i in range(steps)]                 # e.g. [w, 2w, 4w]
        encoder: list[nn.Module] = []
        for c_in, c_out in zip([channels] + channel_plan, channel_plan):
            encoder += [maybe_spectral_norm(nn.Conv2d(c_in, c_out, 4, 2, 1), spectral_norm), nn.ELU()]
        encoder += [nn.Flatten(), maybe_spectral_norm(nn.Linear(channel_plan[-1] * base * base, code_dim),
                                                      spectral_norm)]
        self.encoder = nn.Sequential(*encoder)
        decoder: list[nn.Module] = [nn.Linear(code_dim, width * base * base), Reshape(width, base, base)]
        for _ in range(steps):                        # undo the encoder's ``steps`` halvings
            decoder += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(width, width, 3, padding=1), nn.ELU()]
        decoder.append(nn.Conv2d(width, channels, 3, padding=1))
        self.decoder = nn.Sequential(*decoder)
