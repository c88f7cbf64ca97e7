"""Recipes for autoencoder discriminators (EBGAN, BEGAN) and the builder helper that picks them.

:class:`EnergyGAN` scores samples by the autoencoder's reconstruction energy and logs it every step:
``real_energy``/``fake_energy`` (both objectives), ``pulling_away_term`` (EBGAN, Zhao et al. 2016, Eq. 7)
and, for BEGAN, ``k`` and the convergence measure ``M`` (Berthelot et al. 2017, Sec. 3.4.1).

BEGAN's equilibrium control (Berthelot et al. 2017, Eq. 4) — where this recipe updates k_t:
the paper's step t computes L_D = L(x) − k_t·L(G(z_D)) for D, L_G = L(G(z_G)) for G, then
k_{t+1} = k_t + λ_k(γ·L(x) − L(G(z_G))). Here a step is D phase then G phase, so k is advanced once per
step, in the G phase: with L(x) from this step's D phase and L(G(z_G)) on the G phase's own samples,
exactly Eq. 4's z_G. The D phase of step t uses k_t. k is recipe state, saved in checkpoints, so a
resumed run continues with the same k (bit-exact).
"""
from __future__ import annotations

from typing import Callable, Optional

from torch import nn

from ..objectives import EnergyOutput, began_update, pulling_away_term
from ..objectives.autoencoder import energies
from .base import GAN, resolve_objective


class EnergyGAN(GAN):
    """A GAN whose discriminator is an autoencoder returning :class:`EnergyOutput` (EBGAN, BEGAN)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.k = float(self.objective.hparams.get("k_init", 0.0))

    @property
    def balances_energies(self) -> bool:
        """BEGAN-style equilibrium control: the objective brings γ and λ_k, its D loss takes k."""
        return "lambda_k" in self.objective.hparams

    def adversarial_discriminator_loss(self, real_outputs, fake_outputs):
        extra = {"k": self.k} if self.balances_energies else {}
        loss = self.objective.discriminator_loss(real_outputs, fake_outputs, **extra)
        return loss, {"loss_d": loss.detach(), "real_energy": energies(real_outputs).mean().detach(),
                      "fake_energy": energies(fake_outputs).mean().detach()}

    def adversarial_generator_loss(self, fake_outputs, context):
        loss = self.objective.generator_loss(fake_outputs, None)
        logs = {"loss_g": loss.detach()}
        if "pt_weight" in self.objective.hparams and isinstance(fake_outputs, EnergyOutput) \
                and fake_outputs.embedding is not None:
            logs["pulling_away_term"] = pulling_away_term(fake_outputs.embedding.detach()).detach()
        if self.balances_energies:
            hparams = self.objective.hparams
            # BEGAN's k update uses the real energy of this step's D phase (Berthelot et al. 2017, Eq. 4)
            self.k, logs["M"] = began_update(self.k, context.logs.get("real_energy"), fake_outputs,
                                             float(hparams["gamma"]), float(hparams["lambda_k"]))
            logs["k"] = self.k
        return loss, logs

    def recipe_state(self) -> dict:
        return {"k": self.k}

    def load_recipe_state(self, state: dict) -> None:
        self.k = float(state.get("k", self.k))


def gan_for_objective(generator: nn.Module, discriminator: Callable[[], nn.Module],
                      autoencoder: Optional[Callable[[str], nn.Module]] = None, *, objective=None,
                      **recipe) -> GAN:
    """The recipe a model builder returns for the chosen objective.

    An objective scoring energies (``output == 'energy'``: EBGAN, BEGAN) gets an :class:`EnergyGAN` around
    ``autoencoder(energy_norm)`` when the model has one; otherwise a :class:`GAN` around ``discriminator()``
    (whose compatibility check names the objectives that fit, should the objective need an autoencoder).
    The discriminator is built after the generator, as before, so seeded weights do not change.
    """
    chosen = resolve_objective(objective) if objective else None
    if chosen is not None and chosen.output == "energy" and autoencoder is not None:
        return EnergyGAN(generator, autoencoder(chosen.hparams.get("energy_norm", "l2")), objective=chosen, **recipe)
    return GAN(generator, discriminator(), objective=chosen, **recipe)
