"""Discriminators with several heads on one shared body (ACGAN, InfoGAN, SGAN).

``outputs(x)`` runs the body once and returns ``{"features": φ(x), head name: (N, out) tensor}``; ``forward(x)`` returns the
one real/fake score per sample that objectives, penalties and regularizers use, so these discriminators
work with any logits objective.

- :class:`MultiHeadDiscriminator`: the score is the ``adversarial`` head (ACGAN's source head, Odena
  et al. 2016; InfoGAN's D beside its Q head, Chen et al. 2016).
- :class:`ClassLogitDiscriminator`: K class logits l(x) and no separate real/fake output; the score is
  log Σ_k exp l_k(x), i.e. D(x) = Z(x) / (Z(x) + 1) with the "fake" logit fixed at 0 (Salimans et al.
  2016, arXiv:1606.03498, Sec. 5).
- :func:`conv_head`: a linear read-out of a base×base feature map (DCGAN's own head shape).
- :func:`with_gaussian_noise`: Salimans et al. 2016's D regulariser for semi-supervised learning (their
  MNIST D adds Gaussian noise, σ 0.3 on the input and 0.5 after each hidden layer, in training only).
- :class:`RotationHead`: SS-GAN's rotation classifier on D's shared features (any D with ``features``
  and ``feature_dim``: the DCGAN and ResNet discriminators).
- :func:`q_head`: InfoGAN's Q network on D's features: FC 128, BN, LeakyReLU(0.1), FC (Chen et al.
  2016, arXiv:1606.03657, Appendix C.1).
"""
from __future__ import annotations

import torch
from torch import nn

from .blocks import dcgan_init, maybe_spectral_norm


def conv_head(channels: int, base: int, outputs: int, spectral_norm: bool = False) -> nn.Module:
    head = maybe_spectral_norm(nn.Conv2d(channels, outputs, base), spectral_norm)
    dcgan_init(head)
    return head


def q_head(feature_dim: int, outputs: int, hidden: int = 128) -> nn.Module:
    head = nn.Sequential(nn.Flatten(), nn.Linear(feature_dim, hidden), nn.BatchNorm1d(hidden),
                         nn.LeakyReLU(0.1), nn.Linear(hidden, outputs))
    dcgan_init(head)
    return head


class RotationHead:
    """Mixin: SS-GAN's rotation classifier Q_D(R | x) (Chen et al. 2019, arXiv:1811.11212, Sec. 3), a linear
    layer from the discriminator's shared features to 4 logits (0°, 90°, 180°, 270°), which the 'rotation'
    regularizer trains. For discriminators with ``features(x)`` and ``feature_dim``."""

    def add_rotation_head(self, spectral_norm: bool) -> nn.Module:
        self.rotation_classifier = maybe_spectral_norm(nn.Linear(self.feature_dim, 4), spectral_norm)
        return self.rotation_classifier

    def rotation_logits(self, x):
        """(N, 4) logits of the rotation of each image."""
        return self.rotation_classifier(self.features(x).flatten(1))


class GaussianNoise(nn.Module):
    """x + N(0, std²) in training mode (torch's global RNG, saved in checkpoints), x in eval mode."""

    def __init__(self, std: float):
        super().__init__()
        self.std = float(std)

    def forward(self, x):
        return x + self.std * torch.randn_like(x) if self.training and self.std > 0 else x

    def extra_repr(self) -> str:
        return f"std={self.std}"


def with_gaussian_noise(body: nn.Sequential, input_std: float, hidden_std: float) -> nn.Sequential:
    """``body`` with GaussianNoise(input_std) before it and GaussianNoise(hidden_std) after each LeakyReLU."""
    layers = [GaussianNoise(input_std)]
    for layer in body:
        layers.append(layer)
        if isinstance(layer, nn.LeakyReLU):
            layers.append(GaussianNoise(hidden_std))
    return nn.Sequential(*layers)


class MultiHeadDiscriminator(nn.Module):
    """A shared ``body`` (x → feature map) and named heads (feature map → (N, out, ...))."""
    output_kind = "logits"

    def __init__(self, body: nn.Module, heads: dict):
        super().__init__()
        self.body = body
        self.heads = nn.ModuleDict(heads)

    def features(self, samples) -> torch.Tensor:
        """φ(x) flattened, (N, feature_dim): the layer Salimans et al.'s feature matching uses."""
        return self.body(samples).flatten(1)

    def outputs(self, samples) -> dict:
        """``{"features": φ(x) flattened, head name: (N, out)}`` from one pass of the body."""
        features = self.body(samples)
        heads = {name: head(features).flatten(1) for name, head in self.heads.items()}
        return {"features": features.flatten(1), **heads}

    def score(self, outputs: dict) -> torch.Tensor:
        return outputs["adversarial"].flatten()

    def forward(self, samples):
        return self.score(self.outputs(samples))


class ClassLogitDiscriminator(MultiHeadDiscriminator):
    """Heads: ``classes`` only, (N, K) logits; real/fake score = logsumexp of the K logits."""

    def score(self, outputs: dict) -> torch.Tensor:
        return torch.logsumexp(outputs["classes"], dim=1)

    def classify(self, samples) -> torch.Tensor:
        return self.outputs(samples)["classes"]
