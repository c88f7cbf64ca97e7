"""Gradient penalties and weight regularizers: pure functions (networks and tensors in, scalar out).

All return the UNWEIGHTED term; the caller multiplies by λ/γ/β (an Objective's ``penalty`` and a
Regularizer do that for you). Gradients are taken per sample, so the discriminator must score each
sample independently (no BatchNorm across the batch: Gulrajani et al. 2017, Sec. 4, use LayerNorm).
The discriminator may return logits (N,)/(N, 1) or an :class:`EnergyOutput` (its energies are used).
Random draws (interpolation weights, perturbations) come from the given ``rng`` (a ``torch.Generator``,
or None for torch's global one) only.
"""
from __future__ import annotations

import math
from typing import Iterable, Optional

import torch

from .. import draws
from .autoencoder import energies


def discriminator_scores(outputs) -> torch.Tensor:
    """One score per sample, (N,), from logits (N,)/(N, 1) or an EnergyOutput."""
    scores = energies(outputs)
    return scores.reshape(scores.shape[0], -1).sum(dim=1)


def uniform_like(reference: torch.Tensor, shape, rng: Optional[torch.Generator]) -> torch.Tensor:
    """U[0, 1) of ``shape`` drawn from ``rng`` (on its device), moved to ``reference``'s device/dtype."""
    return draws.rand(shape, rng, reference.device).to(dtype=reference.dtype)


def input_gradients(discriminator, samples: torch.Tensor) -> torch.Tensor:
    """∇_x D(x) for each sample, flattened over all non-batch dims: (N, prod(sample_shape)).

    The graph is kept (create_graph=True) so a penalty on these gradients trains the discriminator.
    """
    inputs = samples.detach().requires_grad_(True)
    scores = discriminator_scores(discriminator(inputs))
    (gradients,) = torch.autograd.grad(scores.sum(), inputs, create_graph=True)
    return gradients.flatten(1)


def interpolate(real_samples, fake_samples, rng: Optional[torch.Generator] = None):
    """Gulrajani et al. 2017, Alg. 1 line 6: x̂ = ε·x + (1 − ε)·x̃ with one ε ~ U[0, 1] per sample."""
    real, fake = real_samples.detach(), fake_samples.detach()
    epsilon = uniform_like(real, (real.shape[0],) + (1,) * (real.dim() - 1), rng)
    return epsilon * real + (1.0 - epsilon) * fake


def unit_gradient_norm_penalty(discriminator, samples: torch.Tensor) -> torch.Tensor:
    """E[(‖∇_x D(x)‖₂ − 1)²], the norm taken per sample over all non-batch dims."""
    norms = input_gradients(discriminator, samples).norm(2, dim=1)
    return (norms - 1.0).pow(2).mean()


def gradient_penalty(discriminator, real_samples, fake_samples, rng: Optional[torch.Generator] = None):
    """Gulrajani et al. 2017, Eq. 3 (WGAN-GP): E_x̂[(‖∇D(x̂)‖₂ − 1)²] on random real/fake interpolates."""
    return unit_gradient_norm_penalty(discriminator, interpolate(real_samples, fake_samples, rng))


def dragan_perturb(real_samples, rng: Optional[torch.Generator] = None, scale: float = 0.5):
    """Kodali et al. 2017's reference code (github.com/kodalinaveen3/DRAGAN, ``get_perturbed_batch``, and the
    penalty cell): x_p = x + scale·std(x)·U[0, 1) elementwise, std over the whole batch (numpy's ddof=0);
    then x̂ = x + α·(x_p − x) with one α ~ U[0, 1] per sample."""
    real = real_samples.detach()
    noise = uniform_like(real, real.shape, rng)
    perturbed = real + scale * real.std(correction=0) * noise
    alpha = uniform_like(real, (real.shape[0],) + (1,) * (real.dim() - 1), rng)
    return real + alpha * (perturbed - real)


def dragan_penalty(discriminator, real_samples, fake_samples=None, rng: Optional[torch.Generator] = None,
                   scale: float = 0.5):
    """Kodali et al. 2017, Eq. 9 (DRAGAN): E[(‖∇D(x̂)‖₂ − 1)²] at perturbed real samples x̂ (fakes unused)."""
    return unit_gradient_norm_penalty(discriminator, dragan_perturb(real_samples, rng, scale))


def r1_penalty(discriminator, real_samples, fake_samples=None, rng=None):
    """Mescheder et al. 2018, Eq. 9 without its γ/2: E_x~data[‖∇D(x)‖₂²]."""
    return input_gradients(discriminator, real_samples).pow(2).sum(dim=1).mean()


def r2_penalty(discriminator, fake_samples, rng=None):
    """Mescheder et al. 2018, Eq. 10 without its γ/2: E_x~G[‖∇D(x)‖₂²] on generated samples."""
    return input_gradients(discriminator, fake_samples).pow(2).sum(dim=1).mean()


def regularized_weights(network: torch.nn.Module, exclude: Iterable[torch.Tensor] = ()):
    """The parameters orthogonal regularization acts on: every parameter with ≥ 2 dims (linear/conv weights,
    embeddings) except those in ``exclude``; 1-D parameters (biases, norm gains) are skipped, as in BigGAN's
    reference code (ajbrock/BigGAN-PyTorch, ``utils.ortho``)."""
    excluded = {id(parameter) for parameter in exclude}
    return [p for p in network.parameters() if p.dim() >= 2 and id(p) not in excluded]


def orthogonal_regularization(network: torch.nn.Module, exclude: Iterable[torch.Tensor] = ()):
    """Brock et al. 2019 (BigGAN), Eq. 3 without its β: Σ_W ‖W Wᵀ ⊙ (1 − I)‖_F².

    Each weight is reshaped to (out_channels, −1) so the Gram matrix is between output filters, as in the
    reference code; only the off-diagonal (filter-to-filter) correlations are penalised, not the norms.
    """
    total = None
    for weight in regularized_weights(network, exclude):
        rows = weight.reshape(weight.shape[0], -1)
        gram = rows @ rows.t()
        off_diagonal = gram - torch.diag_embed(gram.diagonal())
        term = off_diagonal.pow(2).sum()
        total = term if total is None else total + term
    if total is None:
        return torch.zeros(())
    return total


def path_length_penalty(images: torch.Tensor, ws: torch.Tensor, mean: torch.Tensor, decay: float = 0.01,
                        rng: Optional[torch.Generator] = None):
    """Karras et al. 2020 (StyleGAN2), Sec. 3.2, Eq. 4: E_{w,y}(‖J_wᵀ y‖₂ − a)², the Jacobian of the images
    w.r.t. the (per-layer) ws, y ~ N(0, I)/√(H·W) (the reference code's normalisation by the image area), the
    length taken as √(mean over layers of Σ_w-dims (J_wᵀ y)²) (stylegan2-ada's ``pl_lengths``), and a the
    running mean of the lengths, updated a ← a + decay·(batch mean − a) (decay 0.01). ``ws`` must be the
    tensor ``images`` were made from, with its graph. Returns (penalty, the updated a, detached, to store)."""
    height, width = images.shape[-2:]
    noise = draws.randn(images.shape, rng, images.device).to(images.dtype) / math.sqrt(height * width)
    (gradients,) = torch.autograd.grad((images * noise).sum(), ws, create_graph=True)
    lengths = gradients.float().pow(2).sum(dim=2).mean(dim=1).sqrt()
    updated = mean.lerp(lengths.mean(), decay)            # not detached in the penalty, as in the reference
    return (lengths - updated).pow(2).mean(), updated.detach()
