"""LAPGAN (Denton et al. 2015, arXiv:1506.05751): a Laplacian pyramid of GANs (nets/laplacian.py).

Training, per step and for every level at once (one G module holding all level generators, one D module
holding all level discriminators; the losses are summed over levels). Each real batch is split into its
Gaussian pyramid I_K … I_0; the coarsest level is a plain GAN on I_K; every finer level k is a conditional
GAN on the real pyramid: G_k sees the REAL low-pass l_k = u(I_{k+1}) (not the coarser G's output, Sec. 3.3)
and D_k judges l_k + h against l_k + h̃_k = l_k + G_k(l_k, z_k), given l_k.

Joint = the paper's independent training. The paper trains each level on its own (Sec. 3.3: every level's
data is the real pyramid). Here every level's fakes and conditions come from real images only, so level k's
parameters appear only in level k's loss term: the gradient of the summed loss w.r.t. them is level k's own
gradient, and a per-parameter optimiser (Adam, RMSprop, SGD) moves them exactly as it would in a run of that
level alone on the same batches. The levels share only the draws (the batch, the noise), which changes no
expectation. Penalties and regularizers are per level too (each level's D, its own real/fake inputs).

Sampling chains the levels (Sec. 3.3, Fig. 1): Ĩ_K = G_K(z_K), Ĩ_k = u(Ĩ_{k+1}) + G_k(u(Ĩ_{k+1}), z_k);
``synthesize`` returns Ĩ_0 clamped to [−1, 1] and :meth:`LaplacianGAN.level_images` every Ĩ_k (the
"pyramid" capability, `gankit sample RUN --levels`). Latents: uniform in [−1, 1] (Sec. 4), one vector per
sample packing z_K and every finer level's noise plane.

Loss: the non-saturating GAN (Goodfellow et al. 2014, Sec. 3; the paper's Eq. 1–2 with G's usual
non-saturating gradient). Optimiser: Adam lr 2e-4, β = (0.5, 0.999) (DCGAN's, Radford et al. 2015, Sec. 4)
in place of the paper's SGD (lr 0.02 decayed by (1 + 4e-5) per epoch, momentum 0.5 → 0.8, Sec. 4), which
gankit's optimisers do not offer. Not done: the class-conditional variant (Sec. 4's CIFAR-10 "CC-LAPGAN").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from .. import draws
from ..data.batches import samples_of
from ..errors import GankitError
from ..nets.laplacian import (Conditioned, LaplacianDiscriminator, LaplacianGenerator, gaussian_pyramid,
                              pyramid_sizes, upsample)
from ..objectives import discriminator_scores
from ..registry import register_model
from .base import GAN
from .builders import image_shape

LAPGAN_HPARAMS = dict(lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999), n_critic=1)


@dataclass
class Level:
    """One pyramid level in a loss: its size, its D with the condition bound, the real and fake images."""
    size: int
    critic: Conditioned
    real: torch.Tensor
    fake: torch.Tensor


class LaplacianGAN(GAN):
    capabilities = frozenset({"uniform-latent", "pyramid"})

    def check_compatible(self) -> None:
        super().check_compatible()
        for regularizer in self.regularizers:
            if regularizer.name == "cr":
                raise GankitError("regularizer 'cr' flips and shifts D's input, but lapgan's finer D judges an image "
                                  "paired with its coarse condition; use r1, r2 or ortho, or drop --reg cr")

    def sample_latent(self, n: int, rng: Optional[torch.Generator] = None) -> torch.Tensor:
        """z ~ U(−1, 1): z_K and every noise plane (Sec. 4; the reference code's ``uniform(-1, 1)``)."""
        return draws.rand((n, self.latent_dim), rng, self.device()) * 2 - 1

    def run_generator(self, net, z, labels):
        return net(z).clamp(-1.0, 1.0)

    def level_images(self, net, z: torch.Tensor) -> list[torch.Tensor]:
        """Every level's output for the latents ``z``, coarse → fine (8, 16, 32 px), each in [−1, 1]; the
        last one is :meth:`synthesize`'s image."""
        return net.levels(z)

    # ----------------------------------------------------------------------------- losses
    def discriminate(self, samples, labels):
        """(N, levels) logits of every level's D on the real pyramid of ``samples``."""
        return self.discriminator(samples)

    def training_levels(self, real_images: torch.Tensor, rng, role: str) -> list[Level]:
        """The levels of a step: real pyramid, conditions l_k = u(I_{k+1}) from it, fakes conditioned on them
        (with a graph only for the generator's loss)."""
        pyramid = gaussian_pyramid(real_images, len(self.generator.sizes))
        conditions = [upsample(coarse) for coarse in pyramid[:-1]]
        z = self.sample_latent(real_images.shape[0], rng)
        with torch.set_grad_enabled(role == "generator" and torch.is_grad_enabled()):
            fakes = self.generator.conditioned(z, conditions)
        return [Level(size, Conditioned(net, condition), real, fake) for size, net, condition, real, fake
                in zip(self.generator.sizes, self.discriminator.level_nets(), [None] + conditions, pyramid, fakes)]

    def discriminator_loss(self, batch, context):
        levels = self.training_levels(samples_of(batch), context.rng, "discriminator")
        total, logs = 0.0, {}
        real_scores, fake_scores = [], []
        for level in levels:
            real_logits, fake_logits = level.critic(level.real), level.critic(level.fake)
            loss = self.objective.discriminator_loss(real_logits, fake_logits)
            logs[f"loss_d_{level.size}px"] = loss.detach()
            real_scores.append(discriminator_scores(real_logits).mean().detach())
            fake_scores.append(discriminator_scores(fake_logits).mean().detach())
            if self.objective.penalty is not None:
                loss = loss + self.objective.penalty(level.critic, level.real, level.fake.detach(), context.rng)
            total = total + loss
        logs.update(loss_d=sum(logs[f"loss_d_{level.size}px"] for level in levels),
                    real_score=torch.stack(real_scores).mean(), fake_score=torch.stack(fake_scores).mean())
        return total + self.level_regularization("discriminator", levels, context.rng, logs), logs

    def generator_loss(self, batch, context):
        levels = self.training_levels(samples_of(batch), context.rng, "generator")
        total, logs = 0.0, {}
        for level in levels:
            loss = self.objective.generator_loss(level.critic(level.fake), None)
            logs[f"loss_g_{level.size}px"] = loss.detach()
            total = total + loss
        logs["loss_g"] = total.detach()
        return total + self.level_regularization("generator", levels, context.rng, logs), logs

    def level_regularization(self, role: str, levels: list[Level], rng, logs: dict, interval: int = 1):
        """The regularizers due (every step: ``interval`` 1; a lazy phase: its interval) on ``role``: on D,
        summed over the levels (each level's D and images); on G (ortho), once on the generator's weights."""
        total = levels[0].real.new_zeros(())
        for regularizer in self.regularizers:
            if not (regularizer.applies(role) and regularizer.interval == interval):
                continue
            if role == "generator":
                value = regularizer.weighted(role, self.discriminator, None, None, rng, generator_net=self.generator)
            else:
                value = sum(regularizer.weighted(role, level.critic, level.real, level.fake.detach(), rng,
                                                 generator_net=self.generator) for level in levels)
            value = value * interval
            key = f"reg_{regularizer.name}" + ("_g" if regularizer.applies_to == "both" and role == "generator" else "")
            logs[key] = logs.get(key, 0.0) + value.detach()
            total = total + value
        return total

    def lazy_regularizer_loss(self, regularizer, role: str):
        """A lazy term (StyleGAN2 Sec. 3.1: ×interval every interval steps) on each level, in its own phase."""
        def loss(batch, context):
            levels = self.training_levels(samples_of(batch), context.rng, role)
            logs: dict = {}
            return self.level_regularization(role, levels, context.rng, logs, regularizer.interval), logs
        return loss


@register_model("lapgan", data="fashion-mnist", tiny=dict(width=4, hidden_g=16, hidden_d=16, noise_dim=8),
                test_shape=(1, 16, 16), paper_shape=(3, 32, 32),
                help="LAPGAN (Denton et al. 2015): Laplacian pyramid of GANs (8 → 16 → 32 px at 32), coarsest an "
                     "MLP GAN (z 100 uniform, G 1200, D 600), finer conv G_k(l_k, noise) → residual, D_k(l_k + h | l_k); "
                     "levels trained jointly on the real pyramid, width 16 (paper 128), no D dropout (paper 0.5), Adam 2e-4 β=(0.5,0.999)")
def lapgan(sample_shape=(3, 32, 32), num_classes=0, levels=None, noise_dim=100, hidden_g=1200, hidden_d=600,
           width=16, condition="concat", dropout=0.0, **recipe):
    """Denton et al. 2015, Sec. 4's CIFAR-10 model: ``levels`` None halves the image size down to 8 px
    (32 → 8, 16, 32; 28 → 14, 28; see nets/laplacian.py's ``pyramid_sizes``); ``hidden_g``/``hidden_d`` are the
    coarsest level's dense widths (1200/600 in the paper), ``width`` the finer convs' maps (128 in the paper
    and its code; 16 by default for CPU runs), ``condition`` how D_k sees l_k ("concat" or the reference
    code's "sum"), ``dropout`` the rate in every D (0.5 in the paper; 0 by default: measured on Fashion-MNIST,
    the 8 px level alone, Adam 2e-4, 1500 steps of batch 64, D with dropout 0.5 collapsed G to nearly one image,
    per-pixel std over 64 samples 0.21, against 0.37 without dropout and 0.45 for real images)."""
    channels, size = image_shape(sample_shape, "lapgan")
    sizes = pyramid_sizes(size, levels)
    generator = LaplacianGenerator(sizes, channels, noise_dim, hidden_g, width)
    discriminator = LaplacianDiscriminator(sizes, channels, hidden_d, width, condition, dropout)
    return LaplacianGAN(generator, discriminator, latent_dim=generator.latent_dim, sample_shape=sample_shape,
                        defaults=LAPGAN_HPARAMS, **recipe)
