"""PGGAN through the trainer: resolution and fade-in per step, fades in the nets, bit-exact resume mid-fade."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import gankit
from gankit.config import TrainConfig
from gankit.errors import GankitError
from gankit.training import Trainer
from conftest import tiny_data

# 16 px: 4 px for steps 0-1; 8 px fades in over steps 2-3, stabilizes 4-5; 16 px fades in over 6-7, then 8 on
TINY = dict(width=8, latent_dim=16, images_per_stage=8, batch_size=4)


def train(out, steps, resume=False):
    config = TrainConfig(model="pggan", data="tiny", steps=steps, seed=0, checkpoint_every=1, sample_every=0,
                         log_every=0, model_args=TINY)
    return Trainer(config, out, resume=resume, progress=False, data=tiny_data((1, 16, 16), num=32)).run()


def test_stages_resolution_and_alpha_per_step(tmp_path):
    trainer = train(tmp_path / "run", 1)
    contexts = [trainer.schedule.context(step) for step in range(10)]
    assert [c.resolution for c in contexts] == [4, 4, 8, 8, 8, 8, 16, 16, 16, 16]
    assert [c.alpha for c in contexts] == [1, 1, 0, 0.5, 1, 1, 0, 0.5, 1, 1]
    assert [c.batch_size for c in contexts] == [4] * 10
    assert [s.reset_optimizers for s in trainer.schedule.stages] == [False, True, True]
    # the paper's schedule: 600k + 600k images at batch 16 = 37500 + 37500 steps per resolution
    paper = gankit.create("pggan", sample_shape=(3, 16, 16), width=8, images_per_stage=600_000)
    assert [(s.start, s.fade_steps, s.batch_size) for s in paper.stages()] == \
        [(0, 0, 16), (37_500, 37_500, 16), (112_500, 37_500, 16)]


def test_fade_in_blends_the_lower_resolution_path():
    gan = gankit.create("pggan", sample_shape=(1, 8, 8), **TINY)
    generator, discriminator = gan.generator, gan.discriminator
    z = torch.randn(4, 16)
    low = generator(z, 4)
    assert low.shape == (4, 1, 4, 4)
    upsampled = F.interpolate(low, scale_factor=2, mode="nearest")
    assert torch.allclose(generator(z, 8, 0.0), upsampled, atol=1e-6)
    half = generator(z, 8, 0.5)
    assert torch.allclose(half, 0.5 * upsampled + 0.5 * generator(z, 8, 1.0), atol=1e-5)
    x = torch.randn(4, 1, 8, 8)
    assert torch.allclose(discriminator(x, 0.0), discriminator(F.avg_pool2d(x, 2)), atol=1e-5)
    discriminator.fade = 0.0                      # what the recipe sets from the step's context
    assert torch.equal(discriminator(x), discriminator(x, 0.0))


@pytest.mark.parametrize("split", [7])         # mid-fade of the 16 px stage (alpha 0.5)
def test_resume_mid_fade_is_bit_exact(tmp_path, split):
    whole = train(tmp_path / "whole", 9)
    train(tmp_path / "parts", split)
    resumed = train(tmp_path / "parts", 9, resume=True)
    expected = whole.gan.state_dict()
    for key, value in resumed.gan.state_dict().items():
        assert torch.equal(value, expected[key]), key


def test_image_size_not_a_power_of_two_is_one_line():
    with pytest.raises(GankitError, match="power of two") as error:
        gankit.create("pggan", sample_shape=(1, 28, 28), width=8)
    assert "\n" not in str(error.value)
    with pytest.raises(GankitError, match="images_per_stage"):
        gankit.create("pggan", sample_shape=(1, 8, 8), width=8, images_per_stage=0)


def test_a_changed_stage_schedule_is_refused_in_one_line():
    gan = gankit.create("pggan", sample_shape=(1, 16, 16), **TINY)
    state = gan.recipe_state()
    gan.load_recipe_state(state)                                   # the same plan: fine
    other = gankit.create("pggan", sample_shape=(1, 16, 16), **{**TINY, "images_per_stage": 16})
    with pytest.raises(GankitError, match="stages") as error:
        other.load_recipe_state(state)
    assert "\n" not in str(error.value)


def test_samples_are_full_size_at_every_stage_losses_see_the_stage_size(tmp_path):
    trainer = train(tmp_path / "run", 1)
    gan, schedule = trainer.gan, trainer.schedule
    z = torch.randn(3, 16)
    for step, size in ((0, 4), (3, 8), (7, 16)):
        context = schedule.context(step)
        images = gan.synthesize(gan.generator_ema, z, None, context)        # sample grids, metrics
        assert images.shape == (3, 1, 16, 16) and images.abs().max() <= 1
        assert gan.fake_samples(3, None, torch.Generator().manual_seed(0), context).shape == (3, 1, size, size)
