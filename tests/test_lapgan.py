"""LAPGAN: the pyramid's arithmetic, the level nets, training on the real pyramid, resume, `sample --levels`."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gankit
from gankit.cli import main
from gankit.config import TrainConfig
from gankit.errors import GankitError
from gankit.nets.laplacian import (downsample, gaussian_pyramid, laplacian_pyramid, pyramid_sizes, reconstruct,
                                   upsample)
from gankit.pipelines import sample
from gankit.pipelines.pyramid import level_grid, sample_levels
from gankit.training import Trainer
from conftest import tiny_data

TINY = dict(width=4, hidden_g=16, hidden_d=16, noise_dim=8)


def images(n=4, channels=3, size=32, seed=0):
    return torch.rand(n, channels, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_a_perfect_residual_reconstructs_the_image_exactly():
    x = images()
    low_pass = upsample(downsample(x))
    residual = x - low_pass                                  # h_0 = I_0 − u(d(I_0)), Eq. 3
    torch.testing.assert_close(low_pass + residual, x, rtol=0, atol=1e-6)
    coefficients = laplacian_pyramid(x, 3)
    assert [c.shape[-1] for c in coefficients] == [8, 16, 32]
    torch.testing.assert_close(reconstruct(coefficients), x, rtol=0, atol=1e-6)
    # the residual carries what the low-pass lacks: not zero for a random image, zero for a constant one
    assert residual.abs().max() > 0.1
    constant = torch.full((1, 1, 16, 16), 0.3)
    torch.testing.assert_close(upsample(downsample(constant)), constant)


def test_down_and_up_sampling_are_the_stated_filters():
    x = images(size=8)
    # d: 2×2 box average, i.e. the area resize the rest of gankit uses
    torch.testing.assert_close(downsample(x), F.interpolate(x, size=(4, 4), mode="area"))
    torch.testing.assert_close(downsample(x)[0, 0, 0, 0], x[0, 0, :2, :2].mean())
    # u: bilinear with half-pixel centres; inside, pixel 2i+1 = 3/4·x_i + 1/4·x_{i+1} along one axis
    row = torch.tensor([[[[0.0, 4.0, 8.0]]]]).expand(1, 1, 3, 3)
    up = upsample(row)
    assert up.shape == (1, 1, 6, 6)
    torch.testing.assert_close(up[0, 0, 0], torch.tensor([0.0, 1.0, 3.0, 5.0, 7.0, 8.0]))


def test_level_sizes_and_bad_sizes_are_one_line():
    assert pyramid_sizes(32) == [8, 16, 32]
    assert pyramid_sizes(64) == [8, 16, 32, 64]
    assert pyramid_sizes(16) == [8, 16]
    assert pyramid_sizes(28) == [14, 28]
    assert pyramid_sizes(28, 3) == [7, 14, 28]
    for size, levels, message in ((30, 3, "cannot split 30 px into 3 levels"), (32, 5, "coarsest ≥ 4 px"),
                                  (8, None, "at least 2 pyramid levels"), (32, 1, "at least 2 pyramid levels")):
        with pytest.raises(GankitError, match=message) as error:
            pyramid_sizes(size, levels)
        assert "\n" not in str(error.value)
    with pytest.raises(GankitError, match="cannot split 30 px"):
        gankit.create("lapgan", sample_shape=(1, 30, 30), levels=3, **TINY)


def test_level_shapes_latent_layout_and_channels():
    gan = gankit.create("lapgan", sample_shape=(3, 32, 32), **TINY)
    generator, discriminator = gan.generator, gan.discriminator
    assert gan.latent_dim == 8 + 16 * 16 + 32 * 32            # z_K, then one noise plane per finer level
    z = gan.sample_latent(5, torch.Generator().manual_seed(0))
    assert z.min() >= -1 and z.max() <= 1                      # uniform in [−1, 1] (Sec. 4)
    levels = gan.level_images(generator.eval(), z)
    assert [tuple(level.shape) for level in levels] == [(5, 3, 8, 8), (5, 3, 16, 16), (5, 3, 32, 32)]
    torch.testing.assert_close(levels[-1], gan.synthesize(generator, z, None))
    # G_k sees C + 1 planes (low-pass + noise plane); the finer D sees 2C (image + condition), the coarse D the image
    assert [r.net[0].in_channels for r in generator.refiners] == [4, 4]
    assert [r.net[0].in_channels for r in discriminator.refiners] == [6, 6]
    assert discriminator.coarse.net[1].in_features == 3 * 8 * 8
    summed = gankit.create("lapgan", sample_shape=(3, 32, 32), condition="sum", **TINY).discriminator
    assert [r.net[0].in_channels for r in summed.refiners] == [3, 3]
    assert discriminator(images(2)).shape == (2, 3)            # one logit per level
    with pytest.raises(GankitError, match="condition must be one of concat, sum"):
        gankit.create("lapgan", sample_shape=(3, 32, 32), condition="add", **TINY)


class Constant(nn.Module):
    """Ignores its inputs and returns a fixed tensor: stands in for a perfect level generator."""

    def __init__(self, value):
        super().__init__()
        self.value = value

    def forward(self, *inputs):
        return self.value


def test_chaining_the_levels_with_the_real_residuals_gives_back_the_image():
    x = images(2, channels=1, size=32) * 0.9
    gan = gankit.create("lapgan", sample_shape=(1, 32, 32), **TINY)
    generator = gan.generator
    coefficients = laplacian_pyramid(x, 3)
    generator.coarse = Constant(coefficients[0])
    generator.refiners = nn.ModuleList(Constant(h) for h in coefficients[1:])
    levels = generator.levels(gan.sample_latent(2))
    for produced, real in zip(levels, gaussian_pyramid(x, 3)):
        torch.testing.assert_close(produced, real, rtol=0, atol=1e-6)


def test_finer_levels_train_on_the_real_low_pass_not_on_the_coarser_generator():
    gan = gankit.create("lapgan", sample_shape=(1, 16, 16), **TINY)
    x = images(4, channels=1, size=16)
    levels = gan.training_levels(x, torch.Generator().manual_seed(0), "generator")
    assert [level.size for level in levels] == [8, 16]
    real_low_pass = upsample(downsample(x))
    torch.testing.assert_close(levels[1].critic.condition, real_low_pass)
    torch.testing.assert_close(levels[1].real, x)
    # the finest level's loss reaches its own G and nothing coarser: levels train independently
    gan.objective.generator_loss(levels[1].critic(levels[1].fake), None).backward()
    assert all(p.grad is None for p in gan.generator.coarse.parameters())
    assert all(p.grad is not None for p in gan.generator.refiners[0].parameters())


def test_objectives_and_regularizers_per_level_and_refusals():
    gan = gankit.create("lapgan", sample_shape=(1, 16, 16), objective="wgan-gp", regularizers=("r1",), **TINY)
    from conftest import loss_args
    batch, context = loss_args(images(4, channels=1, size=16), None, torch.Generator().manual_seed(0))
    loss, logs = gan.discriminator_loss(batch, context)
    assert torch.isfinite(loss) and logs["reg_r1"] > 0
    assert {"loss_d_8px", "loss_d_16px", "loss_d"} <= logs.keys()
    assert float(logs["loss_d"]) == pytest.approx(float(logs["loss_d_8px"] + logs["loss_d_16px"]))
    for options, message in (({"regularizers": ("cr",)}, "regularizer 'cr'"), ({"objective": "ebgan"}, "objectives for"),
                             ({"latent_opt": "logan"}, "--latent-opt")):
        with pytest.raises(GankitError, match=message) as error:
            gankit.create("lapgan", sample_shape=(1, 16, 16), **options, **TINY)
        assert "\n" not in str(error.value)


def train(out, steps, resume=False):
    config = TrainConfig(model="lapgan", data="tiny", steps=steps, batch_size=4, seed=0, checkpoint_every=1,
                         sample_every=0, log_every=0, model_args=TINY)
    return Trainer(config, out, resume=resume, progress=False, data=tiny_data((1, 16, 16), num=16)).run()


def test_resume_is_bit_exact(tmp_path):
    whole = train(tmp_path / "whole", 3)
    train(tmp_path / "parts", 2)
    resumed = train(tmp_path / "parts", 3, resume=True)
    expected = whole.gan.state_dict()
    for key, value in resumed.gan.state_dict().items():
        assert torch.equal(value, expected[key]), key


def test_sample_levels_pipeline_and_cli(tmp_path, capsys):
    trainer = train(tmp_path / "run", 1)
    gan = trainer.gan
    levels = sample_levels(gan, 3, rng=torch.Generator().manual_seed(5), batch_size=2)
    assert [tuple(level.shape) for level in levels] == [(3, 1, 8, 8), (3, 1, 16, 16)]
    # the last level is what `gankit sample` draws for the same seed
    torch.testing.assert_close(levels[-1], sample(gan, 3, rng=torch.Generator().manual_seed(5)))
    grid, columns = level_grid(levels)
    assert columns == 2 and grid.shape == (6, 1, 16, 16)
    torch.testing.assert_close(grid[2], F.interpolate(levels[0][1:2], scale_factor=2, mode="nearest")[0])
    torch.testing.assert_close(grid[3], levels[1][1])
    out = tmp_path / "pyramid.png"
    assert main(["sample", str(tmp_path / "run"), "--levels", "--num", "3", "--out", str(out)]) == 0
    assert out.is_file() and "3 samples x 2 levels (8, 16 px)" in capsys.readouterr().out
    assert main(["sample", str(tmp_path / "run"), "--levels", "--class", "1", "--out", str(out)]) == 2
    assert "cannot be combined with --levels" in capsys.readouterr().err


def test_levels_on_a_model_without_a_pyramid_is_one_line():
    with pytest.raises(GankitError, match="--levels needs a model that generates through a pyramid") as error:
        sample_levels(gankit.create("mlp-gan"), 2)
    assert "\n" not in str(error.value)
