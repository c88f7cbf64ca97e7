"""Helpers every recipe family shares: shape checks, class checks, DCGAN's discriminator body, class losses,
and :class:`ConditionalGAN` (G(z, y), D(x, y): cgan, cdcgan, the projection models, biggan).

One home for them, so that a family file imports ``base`` and ``builders`` only (not another family).
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from ..errors import GankitError
from ..nets import DCGANDiscriminator
from .base import GAN

MNIST_SHAPE = (1, 28, 28)


def image_shape(sample_shape, model: str) -> tuple[int, int]:
    if len(sample_shape) != 3 or sample_shape[1] != sample_shape[2]:
        raise GankitError(f"model '{model}' needs square images (C, H, W), got samples of shape "
                          f"{tuple(sample_shape)}; pick an image dataset or use mlp-gan for 2D data")
    return sample_shape[0], sample_shape[1]


def requests_regularizer(recipe: dict, name: str) -> bool:
    """Whether ``recipe['regularizers']`` (names, "name:key=value" specs or Regularizers) includes ``name``."""
    specs = recipe.get("regularizers") or ()
    return any((spec.partition(":")[0] if isinstance(spec, str) else spec.name) == name for spec in specs)


def require_classes(num_classes: int, model: str) -> int:
    if num_classes <= 0:
        raise GankitError(f"model '{model}' is class-conditional and needs a labelled dataset "
                          "(e.g. --data mnist or fashion-mnist); this data has no classes")
    return num_classes


def labelled_cross_entropy(logits: torch.Tensor, labels: Optional[torch.Tensor]) -> tuple[torch.Tensor, int]:
    """(mean cross-entropy over the samples with a label ≥ 0, their count); 0 when none is labelled
    (``--labels-per-class`` marks the rest −1)."""
    if labels is None:
        return logits.new_zeros(()), 0
    labelled = labels >= 0
    count = int(labelled.sum())
    if count == 0:
        return logits.new_zeros(()), 0
    return F.cross_entropy(logits[labelled], labels[labelled]), count


def dcgan_backbone(sample_shape, width: int, model: str, **options):
    """DCGAN's discriminator (Radford et al. 2015) for these images, the channels of its last feature
    map and that map's size (base): what a new head on its body needs."""
    channels, size = image_shape(sample_shape, model)
    backbone = DCGANDiscriminator(size, channels, width, **options)
    return backbone, backbone.head.in_channels, backbone.head.kernel_size[0]


def class_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    labelled = labels >= 0
    return float((logits[labelled].argmax(1) == labels[labelled]).double().mean()) if labelled.any() else float("nan")


class ConditionalGAN(GAN):
    """G(z, y) and D(x, y); fake samples get labels drawn uniformly from the K classes."""
    capabilities = GAN.capabilities | {"class-conditional"}

    def check_compatible(self) -> None:
        super().check_compatible()
        if self.objective.penalty is not None:
            raise GankitError(f"objective '{self.objective.name}' adds a gradient penalty on D(x), but this "
                              "model's discriminator also reads the label; use an objective without a "
                              "penalty (nonsaturating, hinge, lsgan, wgan)")
        for regularizer in self.regularizers:
            if regularizer.applies("discriminator"):
                raise GankitError(f"regularizer '{regularizer.name}' acts on D(x), but this model's "
                                  "discriminator also reads the label; drop it or use acgan")

    def run_generator(self, net, z, labels):
        return net(z, labels)

    def discriminate(self, samples, labels):
        return self.discriminator(samples, labels)
