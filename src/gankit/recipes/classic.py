"""The unconditional classics: the seed Keras MNIST GAN, DCGAN and the 2D toy MLP GAN.

Each builder takes the data's ``sample_shape`` (and ``num_classes``, unused here) plus its own options,
and returns a :class:`GAN` — an :class:`EnergyGAN` with an autoencoder discriminator when the objective
scores energies (ebgan, began; mlp-gan and dcgan have one, the seed ``gan`` does not). Any hyperparameter
in ``HPARAM_KEYS`` and ``objective``/``regularizers`` pass through to the recipe.
"""
from __future__ import annotations

import torch

from ..errors import GankitError
from ..nets import (ConvAutoencoderDiscriminator, DCGANDiscriminator, DCGANGenerator, KerasMnistDiscriminator,
                    KerasMnistGenerator, MLPAutoencoderDiscriminator, MLPDiscriminator, MLPGenerator,
                    RotationDCGANDiscriminator)
from ..objectives.base import fake_cross_entropy, real_cross_entropy
from ..registry import register_model
from ..data.batches import samples_of
from .base import GAN, Phase
from .energy import gan_for_objective
from .builders import MNIST_SHAPE, image_shape, requests_regularizer


class KerasLoopGAN(GAN):
    """The Keras tutorial's training loop: per step, D takes two separate optimiser steps, on half a batch of
    real images (target 1) and then half a batch of fakes (target 0), each with binary cross-entropy
    (Goodfellow et al. 2014); then G takes one step on a full batch.

    Measured (docs/benchmarks.md): on Fashion-MNIST the seed nets keep training with this loop plus Keras'
    Glorot init, while the joint D step on full batches, or either change alone, saturate G's tanh at −1
    (all-black samples) within 100 steps.
    """
    def half_batch_loss(self, target_real: bool):
        def loss(batch, context):
            real_samples, rng = samples_of(batch), context.rng
            half = max(1, real_samples.shape[0] // 2)
            if target_real:
                samples = real_samples[:half]
            else:
                with torch.no_grad():
                    samples = self.fake_samples(half, None, rng)
            logits = self.discriminate(samples, None)
            value = (real_cross_entropy if target_real else fake_cross_entropy)(logits)
            kind = "real" if target_real else "fake"
            logs = {f"loss_d_{kind}": value.detach(), f"{kind}_score": logits.mean().detach()}
            if not target_real:     # the joint BCE loss of this step (D-real ran first), like other models' loss_d
                logs["loss_d"] = context.logs.get("loss_d_real", 0.0) + value.detach().double()
            return value, logs
        return loss

    def phases(self, stage: int = 0) -> list[Phase]:
        repeats, clip = int(self.hparams["n_critic"]), self.discriminator_after_step()
        return [Phase("D-real", self.discriminator, "discriminator", self.half_batch_loss(True), repeats=repeats,
                      after_step=clip),
                Phase("D-fake", self.discriminator, "discriminator", self.half_batch_loss(False), repeats=repeats,
                      after_step=clip),
                Phase("G", self.generator, "generator", self.generator_loss)]


@register_model("gan", data="mnist", tiny={}, help="seed Keras MNIST conv GAN (Goodfellow 2014 loss), 28×28")
def keras_mnist_gan(sample_shape=MNIST_SHAPE, num_classes=0, latent_dim=100, dropout=0.4, keras_loop=None,
                    **recipe):
    """``keras_loop`` (None: whenever the objective is binary cross-entropy and no regularizer is asked for)
    trains with the Keras tutorial's loop, :class:`KerasLoopGAN`; False gives the joint D step."""
    channels, size = image_shape(sample_shape, "gan")
    if size != 28:
        raise GankitError(f"model 'gan' is the 28×28 Keras MNIST net, but the data is {size}×{size}; "
                          "use --image-size 28 or the dcgan model")
    # the loop trains D with binary cross-entropy alone: the default objective or minimax, no regularizers
    fits = recipe.get("objective") in (None, "nonsaturating", "minimax") and not recipe.get("regularizers")
    if keras_loop and not fits:
        raise GankitError("keras_loop=true trains D with binary cross-entropy only; drop --objective/--reg, "
                          "or set model_args.keras_loop=false")
    generator = KerasMnistGenerator(latent_dim, channels)
    discriminator = KerasMnistDiscriminator(channels, dropout=dropout)
    # Keras' defaults: Adam(learning_rate=2e-4, beta_1=0.5) as the tutorial sets it, epsilon 1e-7
    recipe = dict(latent_dim=latent_dim, sample_shape=sample_shape,
                  defaults=dict(lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999), eps=1e-7), **recipe)
    if fits if keras_loop is None else keras_loop:
        return KerasLoopGAN(generator, discriminator, **recipe)
    return gan_for_objective(generator, lambda: discriminator, **recipe)


@register_model("dcgan", data="fashion-mnist", tiny=dict(width=8),
                help="DCGAN (Radford 2015): strided convs, BN, N(0,0.02) init; 28, 32 or 64 px")
def dcgan(sample_shape=MNIST_SHAPE, num_classes=0, latent_dim=100, width=64, spectral_norm=False,
          batch_norm=True, rotation_head=None, code_dim=64, **recipe):
    """``rotation_head`` (None: when the 'rotation' regularizer is requested) adds SS-GAN's rotation
    classifier; ``code_dim`` is the autoencoder discriminator's code size (ebgan, began)."""
    channels, size = image_shape(sample_shape, "dcgan")
    if rotation_head is None:
        rotation_head = requests_regularizer(recipe, "rotation")
    discriminator = RotationDCGANDiscriminator if rotation_head else DCGANDiscriminator
    return gan_for_objective(
        DCGANGenerator(size, channels, latent_dim, width),
        lambda: discriminator(size, channels, width, spectral_norm=spectral_norm, batch_norm=batch_norm),
        lambda norm: ConvAutoencoderDiscriminator(size, channels, width, code_dim, norm, spectral_norm),
        latent_dim=latent_dim, sample_shape=sample_shape,
        defaults=dict(lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999)), **recipe)


@register_model("mlp-gan", data="ring8", tiny=dict(hidden=16),
                help="MLP pair for 2D toy mixtures (ring8, grid25)")
def mlp_gan(sample_shape=(2,), num_classes=0, latent_dim=64, hidden=128, depth=2, spectral_norm=False,
            code_dim=16, **recipe):
    """``code_dim``: the autoencoder discriminator's code size (ebgan, began)."""
    if len(sample_shape) != 1:
        raise GankitError(f"model 'mlp-gan' is for 2D points, got samples of shape {tuple(sample_shape)}; "
                          "use --data ring8 or grid25, or an image model such as dcgan")
    dim = sample_shape[0]
    return gan_for_objective(
        MLPGenerator(latent_dim, hidden, depth, dim),
        lambda: MLPDiscriminator(dim, hidden, depth, spectral_norm=spectral_norm),
        lambda norm: MLPAutoencoderDiscriminator(dim, hidden, depth, code_dim, norm, spectral_norm),
        latent_dim=latent_dim, sample_shape=sample_shape,
        defaults=dict(lr_g=1e-3, lr_d=1e-3, betas=(0.5, 0.999)), **recipe)
