"""GAN objectives and regularizers: pure functions, each citing its paper, registered by name.

Objectives (``gankit.registry.OBJECTIVES``; ``OBJECTIVES.build(name, **hparam_overrides) -> Objective``):
nonsaturating, minimax, lsgan, wgan, wgan-gp, dragan, hinge (logit discriminators) and ebgan, began
(autoencoder discriminators, ``output='energy'``). How a recipe uses an :class:`Objective`:

- ``objective.discriminator_loss(real_out, fake_out)`` and ``objective.generator_loss(fake_out, real_out)``,
  where ``*_out`` is what the discriminator returned: logits for 'logits' objectives, an
  :class:`EnergyOutput` for 'energy' ones. BEGAN's discriminator loss also takes the keyword ``k=k_t``.
- ``objective.penalty`` (wgan-gp, dragan; else None): ``penalty(discriminator, real_samples, fake_samples,
  rng) -> scalar``, already weighted; add it to the discriminator loss. ``rng`` is the run's
  ``torch.Generator`` (randomness, not the G network).
- ``objective.hparams``: optimizer, lr_g, lr_d, betas, n_critic, clip (clip the critic's parameters with
  :func:`clip_parameters_` after each of its steps when not None), and objective-specific values
  (BEGAN: gamma, lambda_k, k_init; EBGAN/BEGAN: energy_norm for :func:`reconstruction_energy`).
- BEGAN: the recipe keeps k (start at ``hparams['k_init']``) and after each step calls
  ``k, convergence = began_update(k, real_energy, fake_energy, gamma, lambda_k)``; log the convergence M.
- :func:`check_compatible(objective, discriminator)` before training: a discriminator declares
  ``output_kind = "logits" | "energy" | "probability"`` (see :mod:`.compat`).

Regularizers (``REGULARIZERS``; :func:`build_regularizer`): r1, r2 (with ``lazy_interval``), cr, ortho,
rotation; each is a :class:`Regularizer`: ``applies(role)`` says whose loss it joins and
``weighted(role, discriminator, real_samples, fake_samples, rng, generator_net=...)`` gives the weighted
term (lazy ones, ``interval`` k > 1, are scheduled by the recipe: see :mod:`.regularizers`).

Two more techniques of the issue need no code here:

- Spectral normalization (Miyato et al. 2018) is a network option: the nets wrap their discriminator
  layers in ``torch.nn.utils.parametrizations.spectral_norm``.
- TTUR (Heusel et al. 2017, two time-scale update rule) is just ``lr_d != lr_g``: override the objective's
  hparams, e.g. ``OBJECTIVES.build("hinge", lr_g=1e-4, lr_d=4e-4)``.
"""
from .autoencoder import (EnergyOutput, began_discriminator_loss, began_generator_loss, began_update,
                          ebgan_discriminator_loss, ebgan_generator_loss, pulling_away_term, reconstruction_energy)
from .augment import consistency_penalty, flip_and_translate, quarter_turns, rotation_loss
from .base import Objective, nonsaturating_discriminator_loss, nonsaturating_generator_loss
from .catalog import WeightedPenalty
from .compat import OUTPUT_KINDS, check_compatible, discriminator_output_kind, objectives_for
from .losses import (clip_parameters_, hinge_discriminator_loss, hinge_generator_loss, lsgan_discriminator_loss,
                     lsgan_generator_loss, minimax_generator_loss, wasserstein_discriminator_loss,
                     wasserstein_generator_loss)
from .penalties import (discriminator_scores, dragan_penalty, dragan_perturb, gradient_penalty, input_gradients,
                        interpolate, orthogonal_regularization, r1_penalty, r2_penalty)
from .regularizers import Regularizer, build_regularizer, check_regularizer

__all__ = [
    "EnergyOutput", "Objective", "Regularizer", "WeightedPenalty", "OUTPUT_KINDS",
    "began_discriminator_loss", "began_generator_loss", "began_update", "build_regularizer", "check_compatible",
    "check_regularizer", "clip_parameters_", "consistency_penalty", "discriminator_output_kind",
    "discriminator_scores", "dragan_penalty", "dragan_perturb", "ebgan_discriminator_loss", "ebgan_generator_loss",
    "flip_and_translate", "gradient_penalty", "hinge_discriminator_loss", "hinge_generator_loss", "input_gradients",
    "interpolate", "lsgan_discriminator_loss", "lsgan_generator_loss", "minimax_generator_loss",
    "nonsaturating_discriminator_loss", "nonsaturating_generator_loss", "objectives_for",
    "orthogonal_regularization", "pulling_away_term", "quarter_turns", "r1_penalty", "r2_penalty",
    "reconstruction_energy", "rotation_loss", "wasserstein_discriminator_loss", "wasserstein_generator_loss",
]
