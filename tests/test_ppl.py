"""Perceptual path length (metrics/ppl.py), LPIPS (metrics/lpips.py) and the image pairs they measure
(pipelines/interpolation.py PathPairs), against hand computations on tiny inputs."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gankit.errors import GankitError
from gankit.metrics import ppl
from gankit.metrics.context import EvalContext
from gankit.metrics.lpips import LPIPS, LINEAR_KEYS, VGG_CHANNELS, layer_distance, load_linear_weights, load_lpips
from gankit.metrics.vgg16 import vgg16_features
from gankit.pipelines.interpolation import PathPairs
from wspace_stub import stub_style_gan


def test_percentile_filter_keeps_the_1st_to_99th_percentile():
    values = torch.tensor([float(v) for v in range(101)])[torch.randperm(101)]     # 0..100
    mean, low, high, kept = ppl.percentile_filtered_mean(values)
    assert (low, high, kept) == (1.0, 99.0, 99) and mean == 50.0                    # 0 and 100 rejected
    outliers = torch.cat([torch.ones(198), torch.tensor([-1000.0, 1000.0])])
    assert ppl.percentile_filtered_mean(outliers)[0] == 1.0
    ten = torch.arange(10.0)                      # numpy 'lower' 1st / 'higher' 99th of 10 values: min and max
    assert ppl.percentile_filtered_mean(ten)[1:] == (0.0, 9.0, 10)


def test_layer_distance_by_hand():
    a = [torch.tensor([3.0, 4.0]).view(1, 2, 1, 1)]                 # unit-normalised: (0.6, 0.8)
    b = [torch.tensor([0.0, 2.0]).view(1, 2, 1, 1)]                 # (0, 1)
    # Σ_c w_c (â_c − b̂_c)²: 2·0.36 + 0.5·0.04
    assert layer_distance(a, b, [torch.tensor([2.0, 0.5])]).item() == pytest.approx(0.74, rel=1e-6)
    assert layer_distance(a, b).item() == pytest.approx(0.40, rel=1e-6)       # uniform weights
    two_pixels = [torch.stack([a[0][0, :, 0], b[0][0, :, 0]], dim=-1).unsqueeze(0)]   # (1, 2, 1, 2)
    assert layer_distance(two_pixels, [torch.zeros(1, 2, 1, 2) + 1]).item() == pytest.approx(
        ((0.6 - 0.5 ** 0.5) ** 2 + (0.8 - 0.5 ** 0.5) ** 2 + (0 - 0.5 ** 0.5) ** 2 + (1 - 0.5 ** 0.5) ** 2) / 2, rel=1e-5)


def small_lpips(seed=0) -> LPIPS:
    torch.manual_seed(seed)
    holder = nn.Module()
    holder.features = vgg16_features()
    weights = [torch.rand(channels) for channels in VGG_CHANNELS]
    return LPIPS(holder, weights)


def test_lpips_is_zero_for_identical_images_and_matches_the_package_formula():
    lpips = small_lpips()
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    y = (x + 0.3 * torch.randn_like(x)).clamp(-1, 1)
    assert torch.equal(lpips(x, x), torch.zeros(2))
    # the lpips package's forward, written out: ScalingLayer, VGG slices 0-4/4-9/9-16/16-23/23-30,
    # normalize_tensor, 1x1 "lin" convolution of the squared difference, spatial mean, sum over layers
    shift = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
    scale = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)
    total = torch.zeros(2)
    a, b = (x - shift) / scale, (y - shift) / scale
    for (start, stop), weight in zip(((0, 4), (4, 9), (9, 16), (16, 23), (23, 30)), lpips.weights):
        a, b = lpips.vgg.features[start:stop](a), lpips.vgg.features[start:stop](b)
        na = a / (a.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
        nb = b / (b.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
        total += F.conv2d((na - nb) ** 2, weight.view(1, -1, 1, 1)).mean(dim=(1, 2, 3))
    assert torch.allclose(lpips(x, y), total, rtol=1e-5)
    assert (lpips(x, y) > 0).all()


def test_lpips_weight_files_missing_or_corrupt_are_one_line_naming_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_LPIPS_WEIGHTS", str(tmp_path / "absent.pth"))
    with pytest.raises(GankitError, match="absent.pth") as error:
        load_lpips()
    assert "\n" not in str(error.value)
    corrupt = tmp_path / "vgg.pth"
    corrupt.write_bytes(b"not a torch file")
    with pytest.raises(GankitError, match=f"cannot read LPIPS weights {corrupt}"):
        load_linear_weights(corrupt)
    torch.save({key: torch.ones(1, 3, 1, 1) for key in LINEAR_KEYS}, corrupt)
    with pytest.raises(GankitError, match=r"vgg.pth is not the lpips package.s VGG linear weights \(lin0.model.1.weight is shaped"):
        load_linear_weights(corrupt)
    torch.save({key: torch.full((1, c, 1, 1), 2.0) for key, c in zip(LINEAR_KEYS, VGG_CHANNELS)}, corrupt)
    assert [w.shape[0] for w in load_linear_weights(corrupt)] == list(VGG_CHANNELS)
    monkeypatch.setenv("GANKIT_VGG16_WEIGHTS", str(tmp_path / "no-vgg.pth"))
    monkeypatch.setenv("GANKIT_LPIPS_WEIGHTS", str(corrupt))
    with pytest.raises(GankitError, match="no-vgg.pth"):
        load_lpips()


def squared_l2(a, b):
    return (a - b).flatten(1).square().sum(1)


@pytest.mark.parametrize("sampling", ["end", "full"])
def test_path_length_in_w_of_a_linear_generator_is_its_squared_jacobian_norm(sampling):
    """G(ws) = S·vec(ws) + noise (shared by a pair): d(G(w(t)), G(w(t + ε)))/ε² = |S·vec(ws1 − ws0)|² for any t."""
    gan = stub_style_gan()
    net = gan.generator_ema
    num = 40
    pairs = PathPairs(gan, num, space="w", sampling=sampling, epsilon=ppl.EPSILON, rng=torch.Generator().manual_seed(5))
    lengths = ppl.path_lengths(pairs, num, squared_l2, batch_size=16)
    z = gan.sample_latent(2 * num, torch.Generator().manual_seed(5))
    w = net.mapping(z).detach()
    delta = (w[num:] - w[:num]).unsqueeze(1).repeat(1, net.num_ws, 1).flatten(1)
    expected = (delta @ net.synthesis_matrix.weight.detach().T).square().sum(1).double()
    assert torch.allclose(lengths, expected, rtol=2e-2)
    got = ppl.percentile_filtered_mean(lengths)[0]
    assert got == pytest.approx(ppl.percentile_filtered_mean(expected)[0], rel=1e-2)


def test_pairs_do_not_depend_on_the_batch_and_share_noise():
    gan = stub_style_gan()
    pairs = PathPairs(gan, 6, space="z", sampling="full", epsilon=1e-4, rng=torch.Generator().manual_seed(1))
    whole = pairs(0, 6)
    parts = [pairs(0, 2), pairs(2, 6)]
    assert torch.allclose(whole[0], torch.cat([p[0] for p in parts]), atol=1e-6)
    assert (whole[0] - whole[1]).abs().max() < 1e-2                 # same noise maps at t and t + ε


def stub_context(gan, num=4, **fields):
    return EvalContext(sample=None, num_samples=num, data_name="tiny", load_data=None, gan=gan, batch_size=4,
                       path_pairs=lambda n, **options: PathPairs(gan, n, rng=torch.Generator().manual_seed(0), **options),
                       **fields)


def test_metric_names_the_substitute_when_lpips_weights_are_missing(tmp_path, monkeypatch):
    from gankit.metrics.inception_weights import random_inception
    from gankit.registry import METRICS
    monkeypatch.delenv("GANKIT_VGG16_WEIGHTS", raising=False)
    monkeypatch.delenv("GANKIT_LPIPS_WEIGHTS", raising=False)
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    substitute = ppl.InceptionStageDistance(random_inception())          # random weights: names, not values
    monkeypatch.setattr(ppl, "substitute_distance", lambda device: substitute)
    result = METRICS.build("ppl", stub_context(stub_style_gan(), num=1))
    assert result["metric"] == "ppl-substitute-tf-inception-5stage-unitnorm_wend_eps1e-4_n1"
    assert not result["metric"].startswith(("ppl_", "ppl-w")) and "substitute" in result["protocol"]
    assert "not the paper's LPIPS" in result["note"] and result["value"] > 0
    result = METRICS.build("ppl:space=z,sampling=full,crop=on", stub_context(stub_style_gan(), num=1))
    assert result["protocol"] == "ppl-substitute-tf-inception-5stage-unitnorm_zfull_crop"
    with pytest.raises(GankitError, match="ppl option sampling must be one of end, full"):
        METRICS.build("ppl:sampling=middle", stub_context(stub_style_gan()))


def test_metric_uses_lpips_when_both_files_are_found(monkeypatch):
    monkeypatch.setattr(ppl, "locate_vgg16_weights", lambda path: "vgg16.pth")
    monkeypatch.setattr(ppl, "locate_lpips_weights", lambda path: "vgg.pth")
    monkeypatch.setattr(ppl, "load_lpips", lambda vgg16, lpips, device: small_lpips())
    result = ppl.ppl_metric(None, stub_context(stub_style_gan(size=16), num=3))
    assert result["metric"] == "ppl_wend_lpips-vgg16_eps1e-4_n3" and "note" not in result
    assert result["distance"] == "lpips-vgg16" and np.isfinite(result["value"])


def test_path_length_in_w_needs_a_w_space_model():
    import gankit
    gan = gankit.create("dcgan", sample_shape=(1, 16, 16), width=4, latent_dim=6)
    with pytest.raises(GankitError, match=r"path length in W needs a style-based model .* in Z \(space=z\)"):
        PathPairs(gan, 2, space="w", sampling="end", epsilon=1e-4)
    images_t, images_eps = PathPairs(gan, 2, space="z", sampling="end", epsilon=1e-4)(0, 2)
    assert images_t.shape == (2, 1, 16, 16) and (images_t - images_eps).abs().max() < 1e-2
