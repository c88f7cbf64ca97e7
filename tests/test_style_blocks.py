"""The shared style blocks against hand-computed cases (Karras et al. 2018, Sec. 3, 4.1, 4.2)."""
from __future__ import annotations

import math

import torch

from gankit.nets.style_blocks import (EqualizedConv2d, EqualizedLinear, FromRGB, MinibatchStdDev, PixelNorm,
                                      ToRGB, group_size_for)


def test_equalized_linear_scales_by_gain_over_root_fan_in_at_runtime():
    layer = EqualizedLinear(4, 2, gain=1.0)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 1.0]]))
        layer.bias.copy_(torch.tensor([1.0, -1.0]))
    x = torch.ones(1, 4)
    # (1+2+3+4)/√4 + 1 = 6 ; 1/2 − 1 = −0.5: the stored weight is the N(0,1) one, the scale applied on the fly
    assert torch.allclose(layer(x), torch.tensor([[6.0, -0.5]]))
    assert layer.weight_scale == 0.5


def test_equalized_lr_multiplier_keeps_the_function_and_scales_the_stored_values():
    torch.manual_seed(0)
    plain = EqualizedLinear(8, 3, bias_init=0.5)
    torch.manual_seed(0)
    slow = EqualizedLinear(8, 3, bias_init=0.5, lr_multiplier=0.01)
    x = torch.randn(5, 8)
    assert torch.allclose(plain(x), slow(x), atol=1e-5)
    assert torch.allclose(slow.weight * 0.01, plain.weight) and torch.allclose(slow.bias, torch.full((3,), 50.0))


def test_equalized_conv_scale_and_weights_standard_normal():
    conv = EqualizedConv2d(3, 2, 3)
    assert math.isclose(conv.weight_scale, math.sqrt(2) / math.sqrt(27))
    with torch.no_grad():
        conv.weight.fill_(1.0)
    out = conv(torch.ones(1, 3, 3, 3))
    assert out.shape == (1, 2, 3, 3)
    assert torch.allclose(out[0, :, 1, 1], torch.full((2,), 27 * math.sqrt(2) / math.sqrt(27)))
    big = EqualizedConv2d(64, 64, 3)
    assert abs(big.weight.std().item() - 1.0) < 0.05


def test_pixel_norm_unit_mean_square_per_pixel():
    x = torch.tensor([3.0, 4.0]).view(1, 2, 1, 1)
    expected = x / math.sqrt((9 + 16) / 2)
    assert torch.allclose(PixelNorm()(x), expected)
    y = PixelNorm()(torch.randn(2, 5, 3, 3) * 7)
    assert torch.allclose(y.pow(2).mean(dim=1), torch.ones(2, 3, 3), atol=1e-5)


def test_minibatch_stddev_appends_the_group_statistic():
    # batch of 4, groups of 2: samples 0 and 2 form group 0, samples 1 and 3 group 1 (n mod M)
    x = torch.zeros(4, 1, 1, 2)
    x[0, 0, 0] = torch.tensor([1.0, 0.0])
    x[2, 0, 0] = torch.tensor([3.0, 4.0])     # group 0: stds |1−3|/2 = 1, |0−4|/2 = 2 → mean 1.5
    x[1, 0, 0] = torch.tensor([5.0, 5.0])
    x[3, 0, 0] = torch.tensor([5.0, 5.0])     # group 1: std 0 (+1e-8 under the root)
    out = MinibatchStdDev(group_size=2)(x)
    assert out.shape == (4, 2, 1, 2)
    assert torch.equal(out[:, :1], x)
    assert torch.allclose(out[0, 1], torch.full((1, 2), 1.5)) and torch.allclose(out[2, 1], torch.full((1, 2), 1.5))
    assert torch.allclose(out[1, 1], torch.full((1, 2), 1e-4)) and torch.allclose(out[3, 1], torch.full((1, 2), 1e-4))


def test_minibatch_stddev_group_divides_any_batch():
    assert [group_size_for(n, 4) for n in (1, 2, 3, 4, 6, 8, 9)] == [1, 2, 3, 4, 3, 4, 3]
    assert MinibatchStdDev(4)(torch.randn(6, 3, 2, 2)).shape == (6, 4, 2, 2)


def test_rgb_layers_are_one_by_one_convs():
    assert ToRGB(8, 3)(torch.randn(2, 8, 4, 4)).shape == (2, 3, 4, 4)
    assert FromRGB(1, 8)(torch.randn(2, 1, 4, 4)).shape == (2, 8, 4, 4)
    assert ToRGB(8, 3).conv.weight_scale == 1 / math.sqrt(8)
