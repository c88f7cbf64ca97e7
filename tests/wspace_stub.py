"""A tiny generator implementing the W-space contract (docs/ARCHITECTURE.md), for the style pipelines' tests.

Everything is linear so tests can compute by hand what a pipeline must give: w = M z (``mapping``), and
``synthesis`` maps ws (N, num_ws, w_dim) through its own matrix per w (so mixing which w comes from which
latent changes the image) plus ``noise_gain`` × the noise maps upsampled to the image size."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gankit.recipes.base import GAN


class StubStyleGenerator(nn.Module):
    def __init__(self, latent_dim=4, w_dim=3, num_ws=6, channels=1, size=8, noise_gain=0.1):
        super().__init__()
        self.num_ws, self.w_dim, self.shape = num_ws, w_dim, (channels, size, size)
        self.map_matrix = nn.Linear(latent_dim, w_dim, bias=False)
        self.synthesis_matrix = nn.Linear(num_ws * w_dim, channels * size * size, bias=False)
        self.noise_gain = noise_gain
        self.noise_shapes = [(1, 1, 4, 4), (1, 1, size, size)]
        for index, shape in enumerate(self.noise_shapes):
            self.register_buffer(f"noise_const_{index}", torch.randn(shape))
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def mapping(self, z, labels=None):
        return self.map_matrix(z)

    def noise_maps(self, count, noise_mode, noises):
        if noises is not None:
            return noises
        if noise_mode == "const":
            return [getattr(self, f"noise_const_{i}") for i in range(len(self.noise_shapes))]
        draw = torch.randn if noise_mode == "random" else torch.zeros
        return [draw((count, *shape[1:])) for shape in self.noise_shapes]

    def synthesis(self, ws, noise_mode="random", noises=None):
        assert ws.shape[1:] == (self.num_ws, self.w_dim)
        images = self.synthesis_matrix(ws.flatten(1)).view(-1, *self.shape)
        for noise in self.noise_maps(len(ws), noise_mode, noises):
            images = images + self.noise_gain * F.interpolate(noise.expand(len(ws), -1, -1, -1), size=self.shape[1:])
        return images

    def forward(self, z, labels=None):
        return self.synthesis(self.mapping(z).unsqueeze(1).repeat(1, self.num_ws, 1))


class StubStyleGAN(GAN):
    capabilities = frozenset({"gaussian-latent", "w-space"})
    truncation_cutoff = None

    def synthesize(self, net, z, labels, context=None):
        return net(z).clamp(-1, 1)


def stub_style_gan(cutoff=None, **generator_options) -> StubStyleGAN:
    torch.manual_seed(0)
    generator = StubStyleGenerator(**generator_options)
    gan = StubStyleGAN(generator, nn.Linear(1, 1), latent_dim=generator.map_matrix.in_features,
                       sample_shape=generator.shape)
    gan.truncation_cutoff = cutoff
    gan.build_args = {"name": "stub-style"}
    with torch.no_grad():
        gan.generator_ema.w_avg.copy_(torch.tensor([0.5, -0.25, 1.0]))
        gan.generator_ema.synthesis_matrix.weight.mul_(0.2)   # keep images inside [−1, 1] (no clamping)
    return gan
