"""Small building blocks shared by the nets: initialisation and the spectral-norm switch."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def maybe_spectral_norm(layer: nn.Module, enabled: bool) -> nn.Module:
    """Spectral normalization (Miyato et al. 2018) of a conv/linear weight, when ``enabled``."""
    return spectral_norm(layer) if enabled else layer


def dcgan_init(module: nn.Module) -> None:
    """Radford et al. 2015, Sec. 4: weights from N(0, 0.02); BN scale from N(1, 0.02), bias 0."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            weight = getattr(layer, "parametrizations", None)
            target = weight.weight.original if weight is not None else layer.weight
            nn.init.normal_(target, 0.0, 0.02)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)


class Reshape(nn.Module):
    def __init__(self, *shape: int):
        super().__init__()
        self.shape = shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(x.shape[0], *self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"
