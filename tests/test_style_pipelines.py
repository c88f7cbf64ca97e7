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
