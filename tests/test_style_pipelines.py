"""The style pipelines (truncation in W, style mixing, interpolation) on a tiny generator implementing the
W-space contract (tests/wspace_stub.py), checked against what the formulas give by hand."""
from __future__ import annotations

import pytest
import torch

import gankit
from gankit.errors import GankitError
from gankit.pipelines import SamplingPipeline
from gankit.pipelines.wspace import truncate_ws
from wspace_stub import stub_style_gan


def test_truncate_ws_pulls_the_first_cutoff_ws_toward_w_avg():
    ws = torch.arange(12.0).view(1, 4, 3)
    w_avg = torch.tensor([1.0, 2.0, 3.0])
    out = truncate_ws(ws, w_avg, 0.5, cutoff=2)
    assert torch.equal(out[0, :2], w_avg + 0.5 * (ws[0, :2] - w_avg))      # w̄ + ψ(w − w̄)
    assert torch.equal(out[0, 2:], ws[0, 2:])                              # beyond the cutoff: unchanged
    assert torch.equal(truncate_ws(ws, w_avg, 0.5, cutoff=None), w_avg + 0.5 * (ws - w_avg))


@pytest.mark.parametrize("cutoff", [None, 2])
def test_sampling_truncates_in_w_for_w_space_models(cutoff):
    gan = stub_style_gan(cutoff=cutoff)
    net = gan.generator_ema
    z = torch.randn(5, 4)
    images = SamplingPipeline(gan)(5, latent=z, truncation=0.7)
    ws = net.mapping(z).unsqueeze(1).repeat(1, net.num_ws, 1)
    layers = slice(None, cutoff)
    ws[:, layers] = net.w_avg + 0.7 * (ws[:, layers] - net.w_avg)
    expected = net.synthesis(ws, noise_mode="const")
    assert torch.allclose(images, expected, atol=1e-6)
    # not the Z-space trick: truncating z would give another image
    z_truncated = net.synthesis(net.mapping(0.7 * z).unsqueeze(1).repeat(1, net.num_ws, 1), noise_mode="const")
    assert not torch.allclose(images, z_truncated, atol=1e-4)


def test_z_space_truncation_stays_for_other_models():
    gan = gankit.create("dcgan", sample_shape=(1, 16, 16), width=4, latent_dim=6)
    z = torch.randn(3, 6)
    pipeline = SamplingPipeline(gan)
    assert torch.allclose(pipeline(3, latent=z, truncation=0.5), pipeline(3, latent=0.5 * z), atol=1e-6)


def test_mixing_layers_by_band_index_and_range():
    from gankit.pipelines.style import mixing_layers
    assert mixing_layers("coarse", 8) == slice(0, 4)          # 4², 8²
    assert mixing_layers("middle", 8) == slice(4, 8)          # 16², 32²
    assert mixing_layers("fine", 18) == slice(8, 18)          # 64²..1024² (Fig. 3 at 1024 px)
    assert mixing_layers("3", 8) == slice(0, 3)
    assert mixing_layers("2-5", 8) == slice(2, 6)
    for bad in ("fine", "0", "0-7", "9", "top", "3-1"):      # empty, all of them, or not a choice
        with pytest.raises(GankitError, match="mixing layers") as error:
            mixing_layers(bad, 8)
        assert "\n" not in str(error.value)


def test_style_mixing_grid_rows_give_the_chosen_styles_columns_the_rest():
    from gankit.pipelines.style import style_mixing_grid
    gan = stub_style_gan()
    net = gan.generator_ema
    images, columns = style_mixing_grid(gan, rows=2, columns=3, layers="0-1", rng=torch.Generator().manual_seed(1))
    assert columns == 4 and images.shape == (3 * 4, 1, 8, 8)
    z = gan.sample_latent(5, torch.Generator().manual_seed(1))
    ws = net.mapping(z).unsqueeze(1).repeat(1, net.num_ws, 1)
    render = lambda w: net.synthesis(w, noise_mode="const")
    grid = images.view(3, 4, 1, 8, 8)
    assert torch.equal(grid[0, 0], torch.ones(1, 8, 8))                               # blank corner
    assert torch.allclose(grid[0, 1:], render(ws[:3]), atol=1e-6)                     # sources A: top row
    assert torch.allclose(grid[1:, 0], render(ws[3:]), atol=1e-6)                     # sources B: left column
    mixed = ws[1:2].clone()                                                           # column 1 ...
    mixed[:, :2] = ws[4, :2]                                                          # ... ws 0-1 from row 1
    assert torch.allclose(grid[2, 2], render(mixed)[0], atol=1e-6)


def test_mix_on_a_model_without_w_space_is_one_line_naming_none_here():
    from gankit.pipelines.style import style_mixing_grid
    gan = gankit.create("dcgan", sample_shape=(1, 16, 16), width=4, latent_dim=6)
    with pytest.raises(GankitError, match="W space .*'dcgan' has none") as error:
        style_mixing_grid(gan)
    assert "\n" not in str(error.value)


def test_slerp_keeps_the_great_circle_and_interpolates_the_length():
    from gankit.pipelines import slerp
    a, b = torch.tensor([[2.0, 0.0]]), torch.tensor([[0.0, 4.0]])
    middle = slerp(a, b, 0.5)
    assert torch.allclose(middle, 3.0 * torch.tensor([[0.5 ** 0.5, 0.5 ** 0.5]]))  # 45°, length (2 + 4) / 2
    assert torch.allclose(slerp(a, b, 0.0), a) and torch.allclose(slerp(a, b, 1.0), b, atol=1e-6)
    assert torch.allclose(slerp(a, a, 0.3), a)                                      # parallel ends: no NaN


def test_interpolation_lerps_in_w_for_style_models():
    from gankit.pipelines.interpolation import interpolate
    gan = stub_style_gan()
    net = gan.generator_ema
    images, steps = interpolate(gan, rows=2, steps=3, rng=torch.Generator().manual_seed(2))
    assert steps == 3 and images.shape == (6, 1, 8, 8)
    z = gan.sample_latent(4, torch.Generator().manual_seed(2))
    w = net.mapping(z)
    middle = ((w[1] + w[3]) / 2).view(1, 1, -1).repeat(1, net.num_ws, 1)     # row 1: from z[1] to z[3]
    assert torch.allclose(images[4], net.synthesis(middle, noise_mode="const")[0], atol=1e-6)


def test_interpolation_slerps_in_z_for_other_models():
    from gankit.pipelines import slerp
    from gankit.pipelines.interpolation import interpolate
    gan = gankit.create("dcgan", sample_shape=(1, 16, 16), width=4, latent_dim=6)
    images, _ = interpolate(gan, rows=1, steps=3, rng=torch.Generator().manual_seed(3))
    z = gan.sample_latent(2, torch.Generator().manual_seed(3))
    expected = SamplingPipeline(gan)(1, latent=slerp(z[:1], z[1:], 0.5))
    assert torch.allclose(images[1:2], expected, atol=1e-6)
    with pytest.raises(GankitError, match="at least 2 steps"):
        interpolate(gan, rows=1, steps=1)
