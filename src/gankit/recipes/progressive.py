"""PGGAN (Karras et al. 2018, arXiv:1710.10196): progressive growing from 4 px to the image size.

The schedule (gankit.schedule): one :class:`Stage` per resolution. 4 px trains for ``images_per_stage``
images; every later resolution first fades its new layers in over ``fade_images`` images (α from 0 to 1,
Sec. 2), then stabilizes for ``images_per_stage`` images; the last resolution trains until the run ends.
The paper uses 600k + 600k images (App. A.1); the defaults here are 800 + 800, scaled down 750× so that
``--steps 400`` reaches 32 px on a CPU (4 px: steps 0–49, 8 px from 50, 16 px from 150, 32 px from 250).

Batch sizes are the recipe's, per resolution (App. A.1: 16 up to 128 px, then 14, 6, 3 at 256, 512 and
1024 px; ``batch_size`` sets one for every resolution), so that images per stage convert to a whole number of
steps without knowing the run's ``--batch-size`` (which pggan's stages override). Stage lengths are
ceil(images / batch) steps.

Optimizer state: fresh Adam moments at every resolution change (``reset_optimizers``), as the reference
code does (``reset_opt_for_new_lod``). Training settings (App. A.1): WGAN-GP with the drift term ε = 0.001
(objective ``wgan-gp-drift``), Adam lr 1e-3, β = (0, 0.99), one D step per G step, and the generator average
(gankit's EMA, decay ``--ema-decay``, 0.999 as the paper's).
"""
from __future__ import annotations

import math

import torch.nn.functional as F

from ..nets.progressive import ProgressiveDiscriminator, ProgressiveGenerator, progressive_levels
from ..errors import GankitError
from ..registry import register_model
from ..schedule import Stage
from .base import GAN
from .builders import image_shape

PGGAN_HPARAMS = dict(lr_g=1e-3, lr_d=1e-3, betas=(0.0, 0.99), n_critic=1)


def paper_batch_size(resolution: int) -> int:
    """Karras et al. 2018, App. A.1: minibatch 16 for 4²–128², then 14, 6 and 3 at 256², 512² and 1024²."""
    return {256: 14, 512: 6}.get(resolution, 3 if resolution > 512 else 16)


class ProgressiveGAN(GAN):
    """G(z, resolution, α) and D(x, α); both read the step's stage from its :class:`StepContext`."""

    def __init__(self, generator, discriminator, *, images_per_stage: int, fade_images: int,
                 stage_batch_size: int | None, **recipe):
        super().__init__(generator, discriminator, **recipe)
        self.images_per_stage, self.fade_images, self.stage_batch_size = images_per_stage, fade_images, stage_batch_size

    def stages(self):
        stages, start = [], 0
        for level in range(self.generator.levels):
            resolution = 4 * 2 ** level
            batch = self.stage_batch_size or paper_batch_size(resolution)
            fade = 0 if level == 0 else math.ceil(self.fade_images / batch)
            stages.append(Stage(start, resolution=resolution, batch_size=batch, fade_steps=fade,
                                reset_optimizers=level > 0))
            start += fade + math.ceil(self.images_per_stage / batch)
        return tuple(stages)

    def run_generator(self, net, z, labels):
        """Full-size samples, clamped to [−1, 1] (the nets' output is linear, App. A.1)."""
        return net(z).clamp(-1.0, 1.0)

    def synthesize(self, net, z, labels, context=None):
        """Samples at full size, clamped to [−1, 1]: at a lower stage (``context``) the stage's image is
        upscaled (nearest), as the reference code's G always outputs the full size. Training's losses see
        the stage's own size instead (:meth:`fake_samples`)."""
        if context is None:
            return self.run_generator(net, z, labels)
        image = net(z, context.resolution, context.alpha)
        size = self.generator.image_size
        if image.shape[-1] != size:
            image = F.interpolate(image, size=(size, size), mode="nearest")
        return image.clamp(-1.0, 1.0)

    def fake_samples(self, n, labels, rng, context=None):
        """G's images at the step's resolution and fade-in, unclamped (what D and the penalty see)."""
        z = self.sample_latent(n, rng)
        return self.generator(z) if context is None else self.generator(z, context.resolution, context.alpha)

    def check_latent_optimizer(self) -> None:
        if self.latent_optimizer is not None:
            raise GankitError("--latent-opt is not supported by pggan (its fakes change size with the stage); "
                              "drop --latent-opt or use sngan, biggan or dcgan")

    def stage_plan(self) -> list:
        return [[s.start, s.resolution, s.batch_size, s.fade_steps] for s in self.stages()]

    def recipe_state(self) -> dict:
        """The stage plan, so that a resume (or load) under another schedule is refused, not silently mixed."""
        return {"stages": self.stage_plan()}

    def load_recipe_state(self, state: dict) -> None:
        saved = state.get("stages")
        if saved is not None and [list(stage) for stage in saved] != self.stage_plan():
            raise GankitError(f"this checkpoint was trained with pggan stages (start, px, batch, fade) {saved}, but "
                              f"these settings give {self.stage_plan()}; resume with the run's own schedule")

    def discriminator_loss(self, batch, context):
        self.discriminator.fade = context.alpha        # a function of the step: nothing to save
        return super().discriminator_loss(batch, context)

    def generator_loss(self, batch, context):
        self.discriminator.fade = context.alpha
        return super().generator_loss(batch, context)


def check_stage_option(name: str, value) -> int:
    if value is None or int(value) != value or value < 1:
        raise GankitError(f"pggan's {name} must be a whole number ≥ 1 (images), got {value!r}")
    return int(value)


@register_model("pggan", data="fashion-mnist", tiny=dict(width=8, latent_dim=16, images_per_stage=8, batch_size=16),
                paper_shape=(3, 32, 32), test_shape=(1, 8, 8), stage_batch_sizes="batch_size",
                help="PGGAN (Karras et al. 2018): grows 4 px → image size (power of two), fade-in + stabilize "
                     "per resolution (800 + 800 images by default, the paper's 600k + 600k scaled down), width 32 (paper 512), "
                     "pixel norm, equalized lr, minibatch stddev, WGAN-GP + drift, Adam 1e-3 β=(0,0.99), EMA")
def pggan(sample_shape=(3, 32, 32), num_classes=0, latent_dim=512, width=32, images_per_stage=800,
          fade_images=None, batch_size=None, group_size=4, **recipe):
    """Karras et al. 2018 (arXiv:1710.10196): Table 2's nets (latent 512; channels min(width, 32·width/r) at
    r px), minibatch-stddev group 4 (App. A.1), the schedule described in this module's docstring.
    ``width`` defaults to 32, scaled down from the paper's 512 for CPU runs (one step at 32 px, batch 16, on
    one CPU thread: 0.3 s at width 32, 3.6 s at 128, 64 s at 512); pass width=512 for Table 2's nets."""
    channels, size = image_shape(sample_shape, "pggan")
    progressive_levels(size)
    batch = None if batch_size is None else check_stage_option("batch_size", batch_size)
    per_stage = check_stage_option("images_per_stage", images_per_stage)
    fade = per_stage if fade_images is None else check_stage_option("fade_images", fade_images)
    generator = ProgressiveGenerator(size, channels, latent_dim, width)
    discriminator = ProgressiveDiscriminator(size, channels, width, group_size)
    return ProgressiveGAN(generator, discriminator, latent_dim=latent_dim, sample_shape=sample_shape,
                          images_per_stage=per_stage, fade_images=fade, stage_batch_size=batch,
                          defaults=PGGAN_HPARAMS, default_objective="wgan-gp-drift", **recipe)
