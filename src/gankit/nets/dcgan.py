"""DCGAN nets (Radford et al. 2015) for square images of 28 = 7·2², 32 = 4·2³ or 64 = 4·2⁴ pixels.

Generator: z → convT to a base×base map (base 7 or 4) → [convT 4×4/2, BN, ReLU] … → convT → tanh.
Discriminator: [conv 4×4/2, (BN except on the input layer), LeakyReLU(0.2)] … → conv base×base → logit.
Channels double at each lower resolution, ``width`` at the highest. :class:`RotationDCGANDiscriminator`
adds SS-GAN's rotation classifier (Chen et al. 2019, Sec. 3: a linear 4-way head on the discriminator's
last features, sharing the body with the real/fake head): ``rotation_logits(x)``.
"""
from __future__ import annotations

from torch import nn

from ..errors import GankitError
from .blocks import dcgan_init, maybe_spectral_norm
from .heads import RotationHead


def resolution_plan(image_size: int) -> tuple[int, int]:
    """(base resolution, number of ×2 steps) with base·2^steps == image_size, base in (4, 7)."""
    for base in (4, 7):
        steps, size = 0, base
        while size < image_size:
            size, steps = size * 2, steps + 1
        if size == image_size and steps >= 2:
            return base, steps
    raise GankitError(f"DCGAN needs an image size of 4·2^k or 7·2^k pixels (e.g. 28, 32, 64), not {image_size}; "
                      "pass --image-size 32 or 64")


class DCGANGenerator(nn.Module):
    def __init__(self, image_size: int = 64, channels: int = 3, latent_dim: int = 100, width: int = 64):
        super().__init__()
        base, steps = resolution_plan(image_size)
        self.latent_dim = latent_dim
        channel_plan = [width * 2 ** i for i in reversed(range(steps))]        # e.g. [4w, 2w, w]
        layers = [nn.ConvTranspose2d(latent_dim, channel_plan[0], base, bias=False),
                  nn.BatchNorm2d(channel_plan[0]), nn.ReLU(True)]
        for c_in, c_out in zip(channel_plan, channel_plan[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(channel_plan[-1], channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        dcgan_init(self)

    def forward(self, z):
        return self.net(z.view(z.shape[0], -1, 1, 1))


class DCGANDiscriminator(nn.Module):
    output_kind = "logits"

    def __init__(self, image_size: int = 64, channels: int = 3, width: int = 64,
                 spectral_norm: bool = False, batch_norm: bool = True):
        super().__init__()
        base, steps = resolution_plan(image_size)
        channel_plan = [width * 2 ** i for i in range(steps)]                 # e.g. [w, 2w, 4w]
        layers = [maybe_spectral_norm(nn.Conv2d(channels, channel_plan[0], 4, 2, 1), spectral_norm),
                  nn.LeakyReLU(0.2, True)]
        for c_in, c_out in zip(channel_plan, channel_plan[1:]):
            layers.append(maybe_spectral_norm(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=not batch_norm), spectral_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(0.2, True))
        self.body = nn.Sequential(*layers)
        self.head = maybe_spectral_norm(nn.Conv2d(channel_plan[-1], 1, base), spectral_norm)
        self.feature_dim = channel_plan[-1] * base * base
        dcgan_init(self)

    def features(self, x):
        return self.body(x)

    def forward(self, x):
        return self.head(self.body(x)).flatten()


class RotationDCGANDiscriminator(RotationHead, DCGANDiscriminator):
    """A DCGAN discriminator with SS-GAN's rotation head, for the 'rotation' regularizer."""

    def __init__(self, image_size: int = 64, channels: int = 3, width: int = 64,
                 spectral_norm: bool = False, batch_norm: bool = True):
        super().__init__(image_size, channels, width, spectral_norm, batch_norm)
        dcgan_init(self.add_rotation_head(spectral_norm))
