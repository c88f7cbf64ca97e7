"""Semi-supervised GAN: D is a K-class classifier that also tells real from fake.

Odena 2016 (arXiv:1606.01583) gives D K+1 outputs (the K classes + "fake"). We use the equivalent
K-logit form of Salimans et al. 2016 (arXiv:1606.03498, Sec. 5), which fixes the fake logit at 0:
p(fake | x) = 1 / (Z(x) + 1) with Z(x) = Σ_k exp l_k(x), so D's real/fake logit is log Z(x) and

    L_D = L_supervised + L_unsupervised
    L_supervised   = CE(l(x), y) on the labelled real samples of the batch (labels ≥ 0)
    L_unsupervised = −log D(x) − log(1 − D(G(z))) = softplus(−log Z(x)) + softplus(log Z(G(z)))

(the unsupervised part is the run's objective on log Z, non-saturating by default, which is exactly
Salimans' Eq.). G uses feature matching by default, ‖E f(x) − E f(G(z))‖² on D's last feature layer
(Salimans et al. 2016, Sec. 3.1, the loss they use for semi-supervised learning); ``feature_matching=False``
trains G with the objective's adversarial loss instead. D has no batch norm, so classifying a test image
does not depend on its batch. ``gan.classify(images)`` returns the (N, K) class logits.

Labelled samples reach D only through the training batches: with ``--labels-per-class 10`` on 9000 MNIST
images about 0.7 labelled images per batch of 64, so the supervised term is absent from most steps.
"""
from __future__ import annotations

import torch

from ..nets import DCGANGenerator
from ..nets.heads import ClassLogitDiscriminator, conv_head
from ..registry import register_model
from .classic import MNIST_SHAPE, image_shape
from .conditional import require_classes
from .multihead import MultiHeadGAN, dcgan_backbone, labelled_cross_entropy


def feature_matching_loss(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """Salimans et al. 2016, Sec. 3.1: ‖E_x f(x) − E_z f(G(z))‖²₂ / dim (the mean over feature dims)."""
    return (real_features.mean(dim=0) - fake_features.mean(dim=0)).pow(2).mean()


class SGAN(MultiHeadGAN):
    def __init__(self, *args, feature_matching: bool = True, supervised_weight: float = 1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.feature_matching, self.supervised_weight = bool(feature_matching), float(supervised_weight)

    def head_loss(self, role, real_outputs, real_labels, fake_outputs, codes, logs):
        if role == "generator":
            return fake_outputs["features"].new_zeros(())
        supervised, count = labelled_cross_entropy(real_outputs["classes"], real_labels)
        logs.update(labelled_in_batch=float(count), loss_supervised=supervised.item())   # 0 when none labelled
        return self.supervised_weight * supervised

    def adversarial_generator_loss(self, real_samples, fake_outputs):
        if not self.feature_matching:
            return super().adversarial_generator_loss(real_samples, fake_outputs)
        with torch.no_grad():
            real_features = self.discriminator.features(real_samples)
        return feature_matching_loss(real_features, fake_outputs["features"])

    @torch.no_grad()
    def classify(self, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """(N, K) class logits of D for [-1, 1] images, in eval mode and in batches, on CPU."""
        was_training = self.discriminator.training
        self.discriminator.eval()
        logits = [self.discriminator.classify(images[start:start + batch_size].to(self.device())).cpu()
                  for start in range(0, images.shape[0], batch_size)]
        self.discriminator.train(was_training)
        return torch.cat(logits) if logits else torch.empty(0, self.num_classes)


@register_model("sgan", data="mnist", tiny=dict(width=8),
                help="semi-supervised GAN (Odena 2016; Salimans 2016 K-logit form, feature matching); "
                     "use --labels-per-class")
def sgan(sample_shape=MNIST_SHAPE, num_classes=10, latent_dim=100, width=64, feature_matching=True,
         supervised_weight=1.0, spectral_norm=False, **recipe):
    """G: DCGAN generator; D: DCGAN conv body without batch norm and a K-logit class head."""
    classes = require_classes(num_classes, "sgan")
    channels, size = image_shape(sample_shape, "sgan")
    backbone, feature_channels, base = dcgan_backbone(sample_shape, width, "sgan", spectral_norm=spectral_norm,
                                                      batch_norm=False)
    discriminator = ClassLogitDiscriminator(backbone.body, {
        "classes": conv_head(feature_channels, base, classes, spectral_norm)})
    return SGAN(DCGANGenerator(size, channels, latent_dim, width), discriminator, latent_dim=latent_dim,
                sample_shape=sample_shape, num_classes=classes, feature_matching=feature_matching,
                supervised_weight=supervised_weight, defaults=dict(lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999)),
                **recipe)
