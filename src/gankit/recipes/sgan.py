"""Semi-supervised GAN: D is a K-class classifier that also tells real from fake.

Odena 2016 (arXiv:1606.01583) gives D K+1 outputs (the K classes + "fake"). We use the equivalent
K-logit form of Salimans et al. 2016 (arXiv:1606.03498, Sec. 5), which fixes the fake logit at 0:
p(fake | x) = 1 / (Z(x) + 1) with Z(x) = Σ_k exp l_k(x), so D's real/fake logit is log Z(x) and

    L_D = L_supervised + L_unsupervised
    L_supervised   = CE(l(x_l), y_l) on a labelled batch (x_l, y_l) drawn every step from the labelled images
    L_unsupervised = −log D(x) − log(1 − D(G(z))) = softplus(−log Z(x)) + softplus(log Z(G(z)))

(the unsupervised part is the run's objective on log Z of the ordinary batch, non-saturating by default,
which is exactly Salimans' Eq.). As in Salimans et al.'s code, the labelled batch is separate and as large
as the ordinary one (``labelled_batch_size`` to change it): with ``--labels-per-class 10`` only 100 of
9000 MNIST images carry a label, so a uniform batch of 64 holds 0.7 of them and the supervised term would
be absent from most steps. :meth:`SGAN.attach_data` keeps the labelled subset (plain tensors, not module
state: checkpoints keep their shape; the trainer re-attaches the same seeded subset on resume) and the
labelled batch is drawn with the loss's ``rng``, so runs and resumes stay reproducible. Without attached
data, the labelled samples of the ordinary batch are used.

G uses feature matching by default, ‖E f(x) − E f(G(z))‖² on D's last feature layer
(Salimans et al. 2016, Sec. 3.1, the loss they use for semi-supervised learning); ``feature_matching=False``
trains G with the objective's adversarial loss instead. D has no batch norm, so classifying a test image
does not depend on its batch. ``gan.classify(images)`` returns the (N, K) class logits.

Two net sets (``nets``): ``"salimans"`` (default), the weight-normalized MNIST MLPs of Salimans et al.
2016 with their optimiser settings and, as their code tests with a running average of D's parameters,
classification by D's EMA (``average_classifier``; same decay as G's EMA), plus ±2 px random translation
of the labelled batch (``labelled_shift``, our addition); and ``"dcgan"``, DCGAN conv nets.
"""
from __future__ import annotations

import copy
from typing import Optional

import torch

from ..errors import GankitError
from ..nets import DCGANGenerator
from ..nets.heads import ClassLogitDiscriminator, conv_head, with_gaussian_noise
from ..nets.salimans_mnist import SalimansMnistDiscriminator, SalimansMnistGenerator
from ..data.batches import images_to_float, samples_of
from ..registry import register_model
from .base import update_average
from .multihead import MultiHeadGAN
from .builders import MNIST_SHAPE, image_shape, require_classes, class_accuracy, dcgan_backbone, labelled_cross_entropy


def random_shift(images: torch.Tensor, max_shift: int, rng: torch.Generator) -> torch.Tensor:
    """Each image translated by its own (dy, dx), uniform in [−max_shift, max_shift]² (drawn with ``rng``),
    the uncovered border filled with the background value −1."""
    if max_shift <= 0 or images.shape[0] == 0:
        return images
    n, _, height, width = images.shape
    padded = torch.nn.functional.pad(images, (max_shift,) * 4, value=-1.0)
    offsets = torch.randint(2 * max_shift + 1, (n, 2), generator=rng).tolist()
    return torch.stack([padded[i, :, dy:dy + height, dx:dx + width] for i, (dy, dx) in enumerate(offsets)])


def feature_matching_loss(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """Salimans et al. 2016, Sec. 3.1: ‖E_x f(x) − E_z f(G(z))‖²₂ / dim (the mean over feature dims)."""
    return (real_features.mean(dim=0) - fake_features.mean(dim=0)).pow(2).mean()


class SGAN(MultiHeadGAN):
    capabilities = MultiHeadGAN.capabilities | {"classifier"}
    partial_labels = True                   # semi-supervised: the point of --labels-per-class

    def __init__(self, *args, feature_matching: bool = True, supervised_weight: float = 1.0,
                 labelled_batch_size: Optional[int] = None, labelled_shift: int = 0,
                 average_classifier: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # Salimans et al.'s code tests with a running average of D's parameters; ours shares G's EMA decay
        self.discriminator_ema = (copy.deepcopy(self.discriminator).requires_grad_(False).eval()
                                  if average_classifier else None)
        if int(labelled_shift) < 0 or (labelled_shift and len(self.sample_shape) != 3):
            raise GankitError(f"labelled_shift must be ≥ 0 and needs image data, not {labelled_shift} "
                              f"on samples of shape {self.sample_shape}")
        self.labelled_shift = int(labelled_shift)
        self.feature_matching, self.supervised_weight = bool(feature_matching), float(supervised_weight)
        if labelled_batch_size is not None and int(labelled_batch_size) < 1:
            raise GankitError(f"labelled_batch_size must be ≥ 1 (or unset: the batch size), "
                              f"not {labelled_batch_size}")
        self.labelled_batch_size = None if labelled_batch_size is None else int(labelled_batch_size)
        self.labelled_samples: Optional[torch.Tensor] = None      # set by attach_data; not in state_dict
        self.labelled_labels: Optional[torch.Tensor] = None

    def attach_data(self, data) -> None:
        """Keep the training images whose label is ≥ 0 (``--labels-per-class`` marks the rest −1)."""
        if data.labels is None:
            self.labelled_samples = self.labelled_labels = None
            return
        labelled = (data.labels >= 0).nonzero().flatten()
        self.labelled_samples = images_to_float(data.fetch(labelled)["image"])
        self.labelled_labels = data.labels[labelled]

    def labelled_batch(self, real_samples, real_labels, rng) -> tuple[torch.Tensor, torch.Tensor]:
        """(images, labels) for the supervised term: drawn uniformly (with ``rng``) from the attached
        labelled images, or, with none attached, the labelled images of the ordinary batch; with
        ``labelled_shift`` > 0 each drawn image is randomly translated by up to that many pixels."""
        if self.labelled_labels is not None and len(self.labelled_labels) > 0:
            size = self.labelled_batch_size or real_samples.shape[0]
            index = torch.randint(len(self.labelled_labels), (size,), generator=rng)
            images = random_shift(self.labelled_samples[index], self.labelled_shift, rng)
            return images.to(real_samples.device), self.labelled_labels[index].to(real_samples.device)
        if real_labels is None:
            return real_samples[:0], torch.zeros(0, dtype=torch.long, device=real_samples.device)
        labelled = real_labels >= 0
        return random_shift(real_samples[labelled], self.labelled_shift, rng), real_labels[labelled]

    def discriminator_loss(self, batch, context):
        real_samples, real_labels, rng = samples_of(batch), batch.get("label"), context.rng
        initialize = getattr(self.discriminator, "initialize_from", None)
        if initialize is not None and not bool(self.discriminator.initialized):
            initialize(real_samples)            # Salimans et al.'s data-dependent init, on the first batch
        loss, logs = super().discriminator_loss(batch, context)
        samples, labels = self.labelled_batch(real_samples, real_labels, rng)
        if len(labels) == 0:
            logs.update(labelled_per_step=0.0, loss_supervised=0.0)
            return loss, logs
        class_logits = self.discriminator.classify(samples)
        supervised, count = labelled_cross_entropy(class_logits, labels)
        logs.update(labelled_per_step=float(count), loss_supervised=supervised.detach(),
                    supervised_accuracy=class_accuracy(class_logits.detach(), labels))
        return loss + self.supervised_weight * supervised, logs

    def adversarial_generator_loss(self, real_samples, fake_outputs):
        if not self.feature_matching:
            return super().adversarial_generator_loss(real_samples, fake_outputs)
        with torch.no_grad():
            real_features = self.discriminator.features(real_samples)
        return feature_matching_loss(real_features, fake_outputs["features"])

    def update_ema(self, decay: float) -> None:
        super().update_ema(decay)
        if self.discriminator_ema is not None:
            update_average(self.discriminator_ema, self.discriminator, decay)

    @torch.no_grad()
    def classify(self, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """(N, K) class logits for [-1, 1] images, in eval mode and in batches, on CPU: of D's running
        average with ``average_classifier``, else of D itself."""
        net = self.discriminator_ema if self.discriminator_ema is not None else self.discriminator
        was_training = net.training
        net.eval()
        logits = [net.classify(images[start:start + batch_size].to(self.device())).cpu()
                  for start in range(0, images.shape[0], batch_size)]
        net.train(was_training)
        return torch.cat(logits) if logits else torch.empty(0, self.num_classes)


NETS = ("dcgan", "salimans")


# the tiny test config keeps the deterministic dcgan nets (the recipe tests recompute D's losses by hand);
# tests/test_sgan_salimans.py trains and resumes the salimans default
@register_model("sgan", data="mnist", tiny=dict(width=8, nets="dcgan"),
                help="semi-supervised GAN (Odena 2016; Salimans 2016 K-logit form, feature matching); "
                     "use --labels-per-class")
def sgan(sample_shape=MNIST_SHAPE, num_classes=10, latent_dim=100, width=64, nets="salimans", feature_matching=True,
         supervised_weight=None, labelled_batch_size=None, labelled_shift=None, average_classifier=None,
         spectral_norm=False, input_noise=None, hidden_noise=None, **recipe):
    """``nets="dcgan"``: G the DCGAN generator, D the DCGAN conv body without batch norm and a K-logit class
    head; ``input_noise``/``hidden_noise`` > 0 add Salimans et al.'s Gaussian noise layers to D (their MNIST
    values: 0.3 / 0.5). ``nets="salimans"``: Salimans et al. 2016's MNIST MLPs (nets/salimans_mnist.py; noise
    0.3 / 0.5 unless set, hidden sizes × width/64) with their Adam lr 0.003, β1 0.5, and their weighting
    L_lab + ½ L_unl, i.e. ``supervised_weight`` 2 on our L_unl (Adam only sees the ratio), and, as their
    code tests, classification by D's running average (``average_classifier``). ``labelled_shift`` > 0
    randomly translates the labelled images by up to that many pixels (augmentation, not in the paper; 2 by
    default with the salimans nets, 0 with dcgan). The default, salimans, is what reaches 0.85 test accuracy
    with 10 labels per class here (docs/benchmarks.md)."""
    classes = require_classes(num_classes, "sgan")
    channels, size = image_shape(sample_shape, "sgan")
    if nets == "salimans":
        if spectral_norm:
            raise GankitError("sgan: spectral_norm applies to nets=dcgan only (the salimans D is weight-normalized)")
        discriminator = SalimansMnistDiscriminator(sample_shape, classes, width,
                                                   0.3 if input_noise is None else input_noise,
                                                   0.5 if hidden_noise is None else hidden_noise)
        generator = SalimansMnistGenerator(sample_shape, latent_dim, width)
        defaults, weight, average, shift = dict(lr_g=3e-3, lr_d=3e-3, betas=(0.5, 0.999)), 2.0, True, 2
    elif nets == "dcgan":
        backbone, feature_channels, base = dcgan_backbone(sample_shape, width, "sgan", spectral_norm=spectral_norm,
                                                          batch_norm=False)
        body = (with_gaussian_noise(backbone.body, input_noise or 0.0, hidden_noise or 0.0)
                if input_noise or hidden_noise else backbone.body)
        discriminator = ClassLogitDiscriminator(body, {
            "classes": conv_head(feature_channels, base, classes, spectral_norm)})
        generator = DCGANGenerator(size, channels, latent_dim, width)
        defaults, weight, average, shift = dict(lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999)), 1.0, False, 0
    else:
        raise GankitError(f"sgan: unknown nets '{nets}'; choose one of {', '.join(NETS)}")
    return SGAN(generator, discriminator, latent_dim=latent_dim, sample_shape=sample_shape, num_classes=classes,
                feature_matching=feature_matching,
                supervised_weight=weight if supervised_weight is None else supervised_weight,
                labelled_batch_size=labelled_batch_size, labelled_shift=shift if labelled_shift is None else labelled_shift,
                average_classifier=average if average_classifier is None else average_classifier,
                defaults=defaults, **recipe)
