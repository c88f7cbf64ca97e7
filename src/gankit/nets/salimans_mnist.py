"""The MNIST nets of Salimans et al. 2016, "Improved Techniques for Training GANs" (arXiv:1606.03498),
semi-supervised experiments (Sec. 5 and their released code, ``train_mnist_feature_matching.py``).

Discriminator: MLP 784-1000-500-250-250-250-10, every linear layer weight-normalized (Salimans & Kingma
2016, w = g·v/‖v‖) with ReLU; Gaussian noise is added in training mode only, σ 0.3 on the input and
σ 0.5 after every hidden layer. Its K = 10 outputs are the class logits; the last hidden layer (after its
ReLU, before its noise) is the feature layer of feature matching. Their input is in [0, 1], so the net
maps our [-1, 1] images to [0, 1] first and the noise levels keep their meaning.

Generator: MLP z(100)-500-500-784, batch norm and softplus on the hidden layers, a weight-normalized
output layer with a sigmoid; (2·sigmoid − 1) gives our [-1, 1] range.

Deviations from their code: weight normalization via torch's parametrization, whose gain g is trainable in
every layer (theirs keeps it fixed after initialisation in the hidden layers); the generator's batch norm
has a learnt scale as well as a bias (theirs only a bias). The data-dependent initialisation of their
weight-normed layers is :meth:`SalimansMnistDiscriminator.initialize_from`: layer by layer, g and b are set
so that the layer's pre-activations on a data batch have mean 0 and standard deviation 1.

``width`` scales every hidden size by width / 64 (64 = the paper's sizes), so small test nets exist.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from .heads import ClassLogitDiscriminator, GaussianNoise

DISCRIMINATOR_HIDDEN = (1000, 500, 250, 250, 250)
GENERATOR_HIDDEN = (500, 500)


def scaled(sizes, width: int) -> list[int]:
    return [max(1, round(size * width / 64)) for size in sizes]


def weight_normed_linear(inputs: int, outputs: int) -> nn.Linear:
    """A linear layer with weight normalization, w = g·v/‖v‖ per output unit (Salimans & Kingma 2016)."""
    return weight_norm(nn.Linear(inputs, outputs), name="weight", dim=0)


class ToUnitRange(nn.Module):
    """Flattens [-1, 1] images to vectors in [0, 1] (the range Salimans et al.'s noise levels assume)."""

    def forward(self, x):
        return (x.flatten(1) + 1) / 2


class SalimansMnistDiscriminator(ClassLogitDiscriminator):
    """``features(x)``: last hidden layer; ``classify(x)``: K class logits; ``forward(x)``: log Σ exp."""

    def __init__(self, sample_shape=(1, 28, 28), num_classes: int = 10, width: int = 64,
                 input_noise: float = 0.3, hidden_noise: float = 0.5):
        inputs = math.prod(sample_shape)
        layers: list[nn.Module] = [ToUnitRange(), GaussianNoise(input_noise)]
        for index, size in enumerate(scaled(DISCRIMINATOR_HIDDEN, width)):
            layers += [weight_normed_linear(inputs, size), nn.ReLU()]
            if index < len(DISCRIMINATOR_HIDDEN) - 1:
                layers.append(GaussianNoise(hidden_noise))
            inputs = size
        head = nn.Sequential(GaussianNoise(hidden_noise), weight_normed_linear(inputs, num_classes))
        super().__init__(nn.Sequential(*layers), {"classes": head})
        self.register_buffer("initialized", torch.tensor(False))

    @torch.no_grad()
    def initialize_from(self, samples: torch.Tensor) -> None:
        """Salimans et al.'s data-dependent initialisation: run ``samples`` through the net; at each
        weight-normed layer set g = 1/σ and b = −μ/σ of its pre-activations v̂·x (v̂ = v/‖v‖), so that
        on this batch they have mean 0 and std 1. Marks the net initialized (a saved buffer)."""
        hidden = samples
        for layer in [*self.body, *self.heads["classes"]]:
            if isinstance(layer, nn.Linear) and hasattr(layer, "parametrizations"):
                direction = layer.parametrizations.weight.original1
                direction = direction / direction.norm(dim=1, keepdim=True)
                pre = F.linear(hidden, direction)
                mean, std = pre.mean(dim=0), pre.std(dim=0, unbiased=False).clamp_min(1e-8)
                layer.parametrizations.weight.original0.copy_((1 / std).unsqueeze(1))
                layer.bias.copy_(-mean / std)
            hidden = layer(hidden)
        self.initialized.fill_(True)


class SalimansMnistGenerator(nn.Module):
    def __init__(self, sample_shape=(1, 28, 28), latent_dim: int = 100, width: int = 64):
        super().__init__()
        self.latent_dim, self.sample_shape = latent_dim, tuple(sample_shape)
        layers: list[nn.Module] = []
        inputs = latent_dim
        for size in scaled(GENERATOR_HIDDEN, width):
            layers += [nn.Linear(inputs, size, bias=False), nn.BatchNorm1d(size), nn.Softplus()]
            inputs = size
        output = weight_normed_linear(inputs, math.prod(sample_shape))
        with torch.no_grad():                      # their output layer starts with ‖w‖ = 1 per unit
            output.parametrizations.weight.original0.fill_(1.0)
        self.net = nn.Sequential(*layers, output)

    def forward(self, z):
        return (2 * torch.sigmoid(self.net(z)) - 1).view(z.shape[0], *self.sample_shape)
