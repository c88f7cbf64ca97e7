"""The registered objectives: each builder returns an :class:`Objective` with its paper's hyperparameters.

``OBJECTIVES.build(name, **overrides)``: any key of the objective's ``hparams`` may be overridden
(e.g. ``weight=5`` for WGAN-GP's λ, ``margin=2`` for EBGAN); an unknown key is a one-line GankitError.
Common hparams: ``optimizer`` ('adam' | 'rmsprop'), ``lr_g``, ``lr_d``, ``betas`` (Adam only),
``n_critic`` (discriminator steps per generator step), ``clip`` (weight-clipping bound or None).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from ..config import check_hparams
from ..errors import GankitError
from ..registry import register_objective
from .autoencoder import (began_discriminator_loss, began_generator_loss, ebgan_discriminator_loss,
                          ebgan_generator_loss)
from .base import Objective, nonsaturating_discriminator_loss, nonsaturating_generator_loss
from .losses import (drifting_wasserstein_discriminator_loss, hinge_discriminator_loss, hinge_generator_loss, lsgan_discriminator_loss,
                     lsgan_generator_loss, minimax_generator_loss, wasserstein_discriminator_loss,
                     wasserstein_generator_loss)
from .penalties import dragan_penalty, gradient_penalty

# Radford et al. 2016 (DCGAN), Sec. 4: Adam, lr 2e-4, β₁ = 0.5; the default of most logit-based GANs since.
DCGAN_ADAM = {"optimizer": "adam", "lr_g": 2e-4, "lr_d": 2e-4, "betas": (0.5, 0.999), "n_critic": 1, "clip": None}


@dataclass(frozen=True)
class WeightedPenalty:
    """An Objective penalty: ``weight · fn(discriminator, real_samples, fake_samples, rng, **options)``."""
    fn: Callable
    weight: float
    options: dict = field(default_factory=dict)

    def __call__(self, discriminator, real_samples, fake_samples, rng=None):
        return self.weight * self.fn(discriminator, real_samples, fake_samples, rng, **self.options)


def configure(name: str, defaults: dict, overrides: dict) -> dict:
    """The paper's hparams with the user's overrides applied; unknown keys are a user error."""
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise GankitError(f"objective '{name}' has no hyperparameter {', '.join(map(repr, unknown))}; "
                          f"valid: {', '.join(sorted(defaults))}")
    hparams = {**defaults, **overrides}
    try:
        check_hparams(hparams)
    except GankitError as error:
        raise GankitError(f"objective '{name}': {error}") from None
    return hparams


def _cross_entropy_objective(name: str, generator_loss, paper: str, overrides: dict) -> Objective:
    return Objective(name, nonsaturating_discriminator_loss, generator_loss,
                     hparams=configure(name, DCGAN_ADAM, overrides), paper=paper)


@register_objective("nonsaturating")
def nonsaturating(**overrides) -> Objective:
    """Goodfellow 2014 cross-entropy GAN with the non-saturating −log D(G(z)) generator loss."""
    return _cross_entropy_objective("nonsaturating", nonsaturating_generator_loss,
                                    "Goodfellow et al. 2014, Generative Adversarial Nets, Sec. 3 "
                                    "(Adam: Radford et al. 2016)", overrides)


@register_objective("minimax")
def minimax(**overrides) -> Objective:
    """Goodfellow 2014 cross-entropy GAN with the original saturating log(1 − D(G(z))) generator loss."""
    return _cross_entropy_objective("minimax", minimax_generator_loss,
                                    "Goodfellow et al. 2014, Generative Adversarial Nets, Eq. 1 "
                                    "(Adam: Radford et al. 2016)", overrides)


@register_objective("lsgan")
def lsgan(**overrides) -> Objective:
    """Least-squares GAN, a-b-c = 0-1-1 (Mao 2016)."""
    return Objective("lsgan", lsgan_discriminator_loss, lsgan_generator_loss,
                     hparams=configure("lsgan", DCGAN_ADAM, overrides),
                     paper="Mao et al. 2016, Least Squares Generative Adversarial Networks, Eq. 2 (a=0, b=1, c=1)")


@register_objective("wgan")
def wgan(**overrides) -> Objective:
    """Wasserstein GAN with weight clipping (Arjovsky 2017): RMSProp 5e-5, n_critic 5, clip 0.01."""
    defaults = {"optimizer": "rmsprop", "lr_g": 5e-5, "lr_d": 5e-5, "betas": None, "n_critic": 5, "clip": 0.01}
    return Objective("wgan", wasserstein_discriminator_loss, wasserstein_generator_loss,
                     hparams=configure("wgan", defaults, overrides),
                     paper="Arjovsky et al. 2017, Wasserstein GAN, Algorithm 1 (α=5e-5, c=0.01, n_critic=5)")


@register_objective("wgan-gp")
def wgan_gp(**overrides) -> Objective:
    """WGAN with gradient penalty (Gulrajani 2017): λ=10, Adam 1e-4 β=(0, 0.9), n_critic 5."""
    defaults = {"optimizer": "adam", "lr_g": 1e-4, "lr_d": 1e-4, "betas": (0.0, 0.9), "n_critic": 5, "clip": None,
                "weight": 10.0}
    hparams = configure("wgan-gp", defaults, overrides)
    return Objective("wgan-gp", wasserstein_discriminator_loss, wasserstein_generator_loss,
                     penalty=WeightedPenalty(gradient_penalty, float(hparams["weight"])), hparams=hparams,
                     paper="Gulrajani et al. 2017, Improved Training of Wasserstein GANs, Algorithm 1 "
                           "(λ=10, α=1e-4, β=(0, 0.9), n_critic=5)")


@register_objective("wgan-gp-drift")
def wgan_gp_drift(**overrides) -> Objective:
    """WGAN-GP plus the drift term ε·E[D(x)²] (Karras et al. 2018, App. A.1): λ=10, ε=0.001, Adam 1e-3
    β=(0, 0.99), n_critic 1 (PGGAN's settings)."""
    defaults = {"optimizer": "adam", "lr_g": 1e-3, "lr_d": 1e-3, "betas": (0.0, 0.99), "n_critic": 1, "clip": None,
                "weight": 10.0, "drift": 1e-3}
    hparams = configure("wgan-gp-drift", defaults, overrides)
    return Objective("wgan-gp-drift", partial(drifting_wasserstein_discriminator_loss, drift=float(hparams["drift"])),
                     wasserstein_generator_loss, penalty=WeightedPenalty(gradient_penalty, float(hparams["weight"])),
                     hparams=hparams,
                     paper="Karras et al. 2018, Progressive Growing of GANs, App. A.1 (WGAN-GP λ=10 with the drift "
                           "term ε=0.001; Adam α=1e-3, β=(0, 0.99), n_critic=1)")


@register_objective("dragan")
def dragan(**overrides) -> Objective:
    """Cross-entropy GAN + DRAGAN's penalty at perturbed real samples (Kodali 2017): λ=10."""
    # Adam settings and the 0.5·std perturbation are those of the authors' reference notebook.
    defaults = {"optimizer": "adam", "lr_g": 1e-4, "lr_d": 1e-4, "betas": (0.5, 0.9), "n_critic": 1, "clip": None,
                "weight": 10.0, "perturbation_scale": 0.5}
    hparams = configure("dragan", defaults, overrides)
    penalty = WeightedPenalty(dragan_penalty, float(hparams["weight"]),
                              {"scale": float(hparams["perturbation_scale"])})
    return Objective("dragan", nonsaturating_discriminator_loss, nonsaturating_generator_loss,
                     penalty=penalty, hparams=hparams,
                     paper="Kodali et al. 2017, On Convergence and Stability of GANs, Eq. 9 (λ=10; perturbation "
                           "and Adam settings from github.com/kodalinaveen3/DRAGAN)")


@register_objective("hinge")
def hinge(**overrides) -> Objective:
    """Hinge loss (Lim & Ye 2017; Miyato 2018): Adam 2e-4 β=(0, 0.9), n_critic 5."""
    defaults = {**DCGAN_ADAM, "betas": (0.0, 0.9), "n_critic": 5}
    return Objective("hinge", hinge_discriminator_loss, hinge_generator_loss,
                     hparams=configure("hinge", defaults, overrides),
                     paper="Lim & Ye 2017, Geometric GAN; Miyato et al. 2018, Spectral Normalization for GANs, "
                           "Eq. 16-17 (ResNet setting: α=2e-4, β=(0, 0.9), n_dis=5)")


@register_objective("ebgan")
def ebgan(**overrides) -> Objective:
    """Energy-based GAN (Zhao 2016): autoencoder D, margin m, pulling-away term λ_PT=0.1."""
    # energy_norm 'l2' = per-pixel mean squared error, so a margin of 1.0 fits data scaled to [-1, 1];
    # the paper's m was tuned per dataset for its (summed) energies.
    defaults = {**DCGAN_ADAM, "margin": 1.0, "pt_weight": 0.1, "energy_norm": "l2"}
    hparams = configure("ebgan", defaults, overrides)
    return Objective("ebgan", partial(ebgan_discriminator_loss, margin=float(hparams["margin"])),
                     partial(ebgan_generator_loss, pt_weight=float(hparams["pt_weight"])),
                     hparams=hparams, output="energy",
                     paper="Zhao et al. 2016, Energy-based Generative Adversarial Network, Eq. 1-2, 7 (λ_PT=0.1)")


@register_objective("began")
def began(**overrides) -> Objective:
    """Boundary equilibrium GAN (Berthelot 2017): autoencoder D, γ=0.5, λ_k=0.001, k_0=0, L1 energy."""
    defaults = {"optimizer": "adam", "lr_g": 1e-4, "lr_d": 1e-4, "betas": (0.5, 0.999), "n_critic": 1,
                "clip": None, "gamma": 0.5, "lambda_k": 1e-3, "k_init": 0.0, "energy_norm": "l1"}
    return Objective("began", began_discriminator_loss, began_generator_loss,
                     hparams=configure("began", defaults, overrides), output="energy",
                     paper="Berthelot et al. 2017, BEGAN: Boundary Equilibrium GANs, Eq. 4 and Sec. 3.4.1 "
                           "(λ_k=0.001, k_0=0, lr 1e-4)")
