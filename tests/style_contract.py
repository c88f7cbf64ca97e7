"""A tiny generator that implements the W-space contract (docs: the style models' ``mapping``, ``synthesis``,
``num_ws``, ``w_dim``, ``noise_shapes``, ``w_avg``), for testing W-space pipelines without a trained StyleGAN.

Not a StyleGAN: a learned 4x4 constant, then per layer a 3x3 conv, per-channel scale and bias from that layer's w,
added noise with a learned strength, leaky ReLU; 2x nearest upsampling between resolutions; a 1x1 to-image conv
modulated by the last w.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gankit.recipes.base import GAN


class StyledLayer(nn.Module):
    def __init__(self, channels: int, w_dim: int, size: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.style = nn.Linear(w_dim, 2 * channels)
        self.noise_strength = nn.Parameter(torch.tensor(0.1))
        self.register_buffer("noise_const", torch.randn(1, 1, size, size))

    def forward(self, x, w, noise):
        scale, bias = self.style(w).unsqueeze(-1).unsqueeze(-1).chunk(2, dim=1)
        x = self.conv(x) * (1 + scale) + bias + self.noise_strength * noise
        return F.leaky_relu(x, 0.2)


class TinyStyleGenerator(nn.Module):
    def __init__(self, z_dim=8, w_dim=8, channels=8, image_channels=1, size=8):
        super().__init__()
        self.z_dim, self.w_dim = z_dim, w_dim
        self.mapping_net = nn.Sequential(nn.Linear(z_dim, w_dim), nn.LeakyReLU(0.2), nn.Linear(w_dim, w_dim))
        self.const = nn.Parameter(torch.randn(1, channels, 4, 4))
        sizes = [4] + [4 * 2 ** level for level in range(1, (size // 4).bit_length()) for _ in range(2)]
        self.layers = nn.ModuleList(StyledLayer(channels, w_dim, s) for s in sizes)
        self.to_image = nn.Conv2d(channels, image_channels, 1)
        self.to_image_style = nn.Linear(w_dim, channels)
        self.num_ws = len(sizes) + 1
        self.noise_shapes = [(1, 1, s, s) for s in sizes]
        with torch.no_grad():               # larger styles and outputs than PyTorch's init: images that vary
            for layer in [*self.mapping_net, *(layer.style for layer in self.layers), self.to_image]:
                if isinstance(layer, (nn.Linear, nn.Conv2d)):
                    layer.weight.mul_(1.5)
            self.register_buffer("w_avg", self.mapping(torch.randn(1000, z_dim)).mean(0))

    def mapping(self, z, labels=None):
        return self.mapping_net(z)

    def synthesis(self, ws, noise_mode="random", noises=None):
        x = self.const.expand(ws.shape[0], -1, -1, -1)
        for index, layer in enumerate(self.layers):
            if x.shape[-1] < layer.noise_const.shape[-1]:
                x = F.interpolate(x, scale_factor=2, mode="nearest")
            if noises is not None:
                noise = noises[index]
            elif noise_mode == "const":
                noise = layer.noise_const
            elif noise_mode == "none":
                noise = torch.zeros_like(layer.noise_const)
            else:
                noise = torch.randn(x.shape[0], 1, *x.shape[-2:], device=x.device)
            x = layer(x, ws[:, index], noise)
        return self.to_image(x * (1 + self.to_image_style(ws[:, -1])).unsqueeze(-1).unsqueeze(-1))

    def forward(self, z, labels=None):
        return self.synthesis(self.mapping(z).unsqueeze(1).expand(-1, self.num_ws, -1))


class TinyStyleGAN(GAN):
    capabilities = frozenset({"gaussian-latent", "w-space"})

    def synthesize(self, net, z, labels, context=None):
        return net(z).clamp(-1, 1)


def tiny_style_gan(seed=0, **options) -> TinyStyleGAN:
    torch.manual_seed(seed)
    generator = TinyStyleGenerator(**options)
    shape = (options.get("image_channels", 1), options.get("size", 8), options.get("size", 8))
    gan = TinyStyleGAN(generator, nn.Linear(1, 1), latent_dim=generator.z_dim, sample_shape=shape)
    gan.build_args = {"name": "tiny-style"}
    return gan.eval()
