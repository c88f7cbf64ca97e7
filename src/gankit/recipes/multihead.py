"""Recipes for discriminators with heads on a shared body, and ACGAN.

:class:`MultiHeadGAN` runs D's body once per batch and adds each model's head terms (class loss,
mutual information, supervised loss) to the objective's adversarial loss on D's score; penalties and
regularizers see ``D(x)`` = that score, so they work unchanged. :class:`ACGAN` is Odena et al. 2016.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from ..nets import DCGANGenerator
from ..nets.conditional import LabelConcatGenerator
from ..nets.heads import MultiHeadDiscriminator, conv_head
from ..data.batches import samples_of
from ..objectives import discriminator_scores
from ..registry import register_model
from .base import GAN
from .builders import MNIST_SHAPE, image_shape, require_classes, labelled_cross_entropy, dcgan_backbone, class_accuracy


class MultiHeadGAN(GAN):
    """Subclasses say how fakes are drawn (:meth:`draw_fakes`) and what the heads add (:meth:`head_loss`)."""

    def draw_fakes(self, n: int, rng) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
        """(fake samples, the codes they were generated from: labels, latent codes or None)."""
        labels = self.sample_labels(n, rng)
        return self.fake_samples(n, labels, rng), labels

    def head_loss(self, role: str, real_outputs: Optional[dict], real_labels, fake_outputs: dict, codes,
                  logs: dict) -> torch.Tensor:
        return fake_outputs["features"].new_zeros(())

    def adversarial_generator_loss(self, real_samples, fake_outputs: dict) -> torch.Tensor:
        return self.objective.generator_loss(self.discriminator.score(fake_outputs), None)

    def discriminator_loss(self, batch, context):
        real_samples, real_labels, rng = samples_of(batch), batch.get("label"), context.rng
        with torch.no_grad():
            fake_samples, codes = self.draw_fakes(real_samples.shape[0], rng)
        real_outputs = self.discriminator.outputs(real_samples)
        fake_outputs = self.discriminator.outputs(fake_samples)
        real_scores = self.discriminator.score(real_outputs)
        fake_scores = self.discriminator.score(fake_outputs)
        loss = self.objective.discriminator_loss(real_scores, fake_scores)
        logs = {"loss_d": loss.detach(), "real_score": discriminator_scores(real_scores).mean().detach(),
                "fake_score": discriminator_scores(fake_scores).mean().detach()}
        if self.objective.penalty is not None:
            penalty = self.objective.penalty(self.discriminator, real_samples, fake_samples, rng)
            logs["penalty"] = penalty.detach()
            loss = loss + penalty
        loss = loss + self.regularization("discriminator", real_samples, fake_samples, rng, logs)
        return loss + self.head_loss("discriminator", real_outputs, real_labels, fake_outputs, codes, logs), logs

    def generator_loss(self, batch, context):
        real_samples, real_labels, rng = samples_of(batch), batch.get("label"), context.rng
        fake_samples, codes = self.draw_fakes(real_samples.shape[0], rng)
        fake_outputs = self.discriminator.outputs(fake_samples)
        loss = self.adversarial_generator_loss(real_samples, fake_outputs)
        logs = {"loss_g": loss.detach()}
        loss = loss + self.regularization("generator", real_samples, fake_samples, rng, logs)
        return loss + self.head_loss("generator", None, real_labels, fake_outputs, codes, logs), logs


class ACGAN(MultiHeadGAN):
    """Odena et al. 2016 (arXiv:1610.09585), Eq. 2–3: with L_S the log-likelihood of the right source and
    L_C that of the right class (on real and on fake images), D maximises L_S + L_C and G maximises
    L_C − L_S. As losses: D minimises adv_D + w·(CE(real) + CE(fake)), G minimises adv_G + w·CE(fake),
    where adv is the chosen objective (non-saturating by default) and w = ``class_weight`` (1 in the paper)."""
    capabilities = GAN.capabilities | {"class-conditional"}
    partial_labels = True                   # the class loss skips unlabelled samples

    def __init__(self, *args, class_weight: float = 1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.class_weight = float(class_weight)

    def run_generator(self, net, z, labels):
        return net(z, labels)

    def head_loss(self, role, real_outputs, real_labels, fake_outputs, fake_labels, logs):
        fake_class = F.cross_entropy(fake_outputs["classes"], fake_labels)
        if role == "generator":
            logs["class_fake_g"] = fake_class.detach()
            return self.class_weight * fake_class
        real_class, _ = labelled_cross_entropy(real_outputs["classes"], real_labels)
        logs.update(class_real=real_class.detach(), class_fake=fake_class.detach(),
                    class_accuracy_fake=class_accuracy(fake_outputs["classes"], fake_labels))
        if real_labels is not None and (real_labels >= 0).any():
            logs["class_accuracy_real"] = class_accuracy(real_outputs["classes"], real_labels)
        return self.class_weight * (real_class + fake_class)


@register_model("acgan", data="mnist", tiny=dict(width=8),
                help="auxiliary-classifier GAN (Odena 2016): DCGAN nets, class head on D, class loss on real+fake")
def acgan(sample_shape=MNIST_SHAPE, num_classes=10, latent_dim=100, width=64, class_weight=1.0,
          spectral_norm=False, batch_norm=True, **recipe):
    """G: DCGAN generator on [z, onehot(y)]; D: DCGAN body with the source head and a K-way class head."""
    classes = require_classes(num_classes, "acgan")
    channels, size = image_shape(sample_shape, "acgan")
    backbone, feature_channels, base = dcgan_backbone(sample_shape, width, "acgan", spectral_norm=spectral_norm,
                                                      batch_norm=batch_norm)
    discriminator = MultiHeadDiscriminator(backbone.body, {
        "adversarial": backbone.head, "classes": conv_head(feature_channels, base, classes, spectral_norm)})
    generator = LabelConcatGenerator(DCGANGenerator(size, channels, latent_dim + classes, width), classes)
    return ACGAN(generator, discriminator, latent_dim=latent_dim, sample_shape=sample_shape, num_classes=classes,
                 class_weight=class_weight, defaults=dict(lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999)), **recipe)
