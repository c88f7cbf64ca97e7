"""The seed GAN: the Keras MNIST conv nets, layer for layer.

Discriminator: conv 3×3/2 128 → LeakyReLU(0.2) → conv 3×3/2 128 → LeakyReLU(0.2) → flatten → dropout
→ dense 1 (155,137 parameters). Generator: dense 100→7·7·128 → LeakyReLU(0.2) → reshape 7×7×128 →
convT 4×4/2 128 → LeakyReLU → convT 4×4/2 128 → LeakyReLU → conv 7×7 → 1 channel (1,164,289 parameters).
Keras' final sigmoid is replaced by tanh (G, images in [-1, 1]) and by returning logits (D, the loss
applies the sigmoid); neither has parameters, so the counts are unchanged. Weights start as Keras'
layers do: Glorot-uniform kernels (Glorot & Bengio 2010) and zero biases, not torch's defaults.
"""
from __future__ import annotations

from torch import nn

from .blocks import Reshape


def keras_default_init_(module: nn.Module) -> nn.Module:
    """Keras' default initialisation, in place: Glorot-uniform weights, zero biases, for every conv/dense."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return module


class KerasMnistGenerator(nn.Module):
    def __init__(self, latent_dim: int = 100, channels: int = 1, width: int = 128):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = nn.Sequential(
            nn.Linear(latent_dim, width * 7 * 7), nn.LeakyReLU(0.2), Reshape(width, 7, 7),
            nn.ConvTranspose2d(width, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),   # 14×14
            nn.ConvTranspose2d(width, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),   # 28×28
            nn.Conv2d(width, channels, 7, padding=3), nn.Tanh(),
        )
        keras_default_init_(self)

    def forward(self, z):
        return self.net(z)


class KerasMnistDiscriminator(nn.Module):
    output_kind = "logits"

    def __init__(self, channels: int = 1, width: int = 128, dropout: float = 0.4):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 3, stride=2, padding=1), nn.LeakyReLU(0.2),        # 14×14
            nn.Conv2d(width, width, 3, stride=2, padding=1), nn.LeakyReLU(0.2),           # 7×7
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(width * 7 * 7, 1),
        )
        keras_default_init_(self)

    def forward(self, x):
        return self.net(x).squeeze(1)
