"""The shared style blocks against hand-computed cases (Karras et al. 2018, Sec. 3, 4.1, 4.2; Karras et al.
2019 Eq. 1 (AdaIN); Karras et al. 2020 Eq. 1-3 (modulation), App. B (FIR resampling))."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from gankit.errors import GankitError
from gankit.nets.style_synthesis import (AdaIN, MappingNetwork, ModulatedConv2d, NoiseInjection, blur2d,
                                         downsample2d, fir_kernel, fir_taps, modulated_conv2d, upfirdn2d, upsample2d)
from gankit.nets.stylegan import AdaINSynthesis, SkipSynthesis, style_generator
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


# ----------------------------------------------------------------------------- the style-based blocks


def test_fir_kernel_is_the_normalised_outer_product():
    kernel = fir_kernel((1, 3, 3, 1))
    assert kernel.shape == (4, 4) and math.isclose(kernel.sum().item(), 1.0, rel_tol=1e-6)
    assert math.isclose(kernel[0, 0].item(), 1 / 64) and math.isclose(kernel[1, 2].item(), 9 / 64)


def direct_conv(x, kernel2d, pad, stride=1, gain=1.0):
    """The 2D filter as one plain convolution (flipped: a convolution, not a correlation)."""
    c = x.shape[1]
    weight = (kernel2d * gain).flip([0, 1])[None, None].repeat(c, 1, 1, 1)
    return F.conv2d(F.pad(x, pad), weight, stride=stride, groups=c)


def test_fir_resampling_matches_a_direct_convolution_with_the_2d_filter():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 8, 8)
    taps, kernel = fir_taps((1, 3, 3, 1)), fir_kernel((1, 3, 3, 1))
    # down: filter (pad 1, 1) then every 2nd pixel
    assert torch.allclose(downsample2d(x, taps), direct_conv(x, kernel, [1, 1, 1, 1], stride=2), atol=1e-6)
    # up: zero insertion (x at even pixels), pad (2, 1), filter × 4
    zeros = torch.zeros(2, 3, 16, 16)
    zeros[:, :, ::2, ::2] = x
    up = direct_conv(zeros, kernel, [2, 1, 2, 1], gain=4.0)
    assert upsample2d(x, taps).shape == (2, 3, 16, 16) and torch.allclose(upsample2d(x, taps), up, atol=1e-6)
    # the separable (1D) and the 2D forms of upfirdn2d agree, also for an asymmetric filter
    odd = torch.tensor([1.0, 2.0, 5.0])
    assert torch.allclose(upfirdn2d(x, odd, padding=(1, 1, 1, 1)), upfirdn2d(x, torch.outer(odd, odd), padding=(1, 1, 1, 1)))
    assert torch.allclose(upfirdn2d(x, odd, padding=(1, 1, 1, 1)), direct_conv(x, torch.outer(odd, odd), [1, 1, 1, 1]))
    # a constant image stays constant inside (unit DC gain): 2 × 2 → ×2 upsampled, centre pixels
    flat = torch.full((1, 1, 4, 4), 3.0)
    assert torch.allclose(upsample2d(flat, taps)[..., 2:-2, 2:-2], torch.full((1, 1, 4, 4), 3.0))
    assert torch.allclose(blur2d(flat, fir_taps((1, 2, 1)))[..., 1:-1, 1:-1], torch.full((1, 1, 2, 2), 3.0))


def test_modulation_scales_input_channels_and_demodulation_normalises_each_output_filter():
    weight = torch.tensor([[3.0, 4.0]]).view(1, 2, 1, 1)           # one output filter over two input channels
    x = torch.tensor([1.0, 1.0]).view(1, 2, 1, 1)
    styles = torch.tensor([[2.0, 1.0]])
    # Eq. 1: w' = (6, 4); no demodulation: 6 + 4 = 10; Eq. 3: w'' = (6, 4)/√52
    assert torch.allclose(modulated_conv2d(x, weight, styles, demodulate=False), torch.tensor(10.0).view(1, 1, 1, 1))
    assert torch.allclose(modulated_conv2d(x, weight, styles), torch.tensor(10 / math.sqrt(52)).view(1, 1, 1, 1))
    # the effective 3×3 filters: a unit impulse in input channel i reads out (flipped) w''_ji; Σ_i,k w''² = 1
    torch.manual_seed(0)
    weight, styles = torch.randn(5, 3, 3, 3), torch.randn(2, 3) * 3
    energy = torch.zeros(2, 5)
    for i in range(3):
        impulse = torch.zeros(2, 3, 5, 5)
        impulse[:, i, 2, 2] = 1.0
        energy += modulated_conv2d(impulse, weight, styles, padding=1).pow(2).sum(dim=(2, 3))
    assert torch.allclose(energy, torch.ones(2, 5), atol=1e-5)


def test_grouped_modulated_conv_equals_one_plain_conv_per_sample():
    torch.manual_seed(0)
    x, weight, styles = torch.randn(3, 4, 6, 6), torch.randn(5, 4, 3, 3), torch.randn(3, 4)
    for n in range(3):
        w = weight * styles[n].view(1, 4, 1, 1)
        w = w / w.pow(2).sum(dim=(1, 2, 3), keepdim=True).add(1e-8).sqrt()
        expected = F.conv2d(x[n:n + 1], w, padding=1)
        assert torch.allclose(modulated_conv2d(x, weight, styles, padding=1)[n:n + 1], expected, atol=1e-5)
    layer = ModulatedConv2d(4, 5, 3, w_dim=8, up=2)
    assert layer(x, torch.randn(3, 8)).shape == (3, 5, 12, 12)


def test_noise_injection_with_strength_zero_is_the_identity():
    layer = NoiseInjection(4, 8)
    x = torch.randn(2, 4, 8, 8)
    for mode in ("random", "const", "none"):
        assert torch.equal(layer(x, mode), x)
    with torch.no_grad():
        layer.strength.fill_(0.5)
    assert torch.equal(layer(x, "none"), x)
    assert torch.equal(layer(x, "const"), x + 0.5 * layer.noise_const)
    noise = torch.ones(2, 1, 8, 8)
    assert torch.equal(layer(x, "random", noise), x + 0.5)               # a given map overrides the mode
    assert not torch.equal(layer(x, "random"), layer(x, "random"))


def test_adain_normalises_each_channel_then_applies_the_style():
    layer = AdaIN(1, w_dim=2)
    with torch.no_grad():
        layer.affine.weight.zero_()
        layer.affine.bias.copy_(torch.tensor([1.0, 5.0]))               # y_s = 1 + 1, y_b = 5
    x = torch.tensor([1.0, 3.0]).view(1, 1, 1, 2)                        # mean 2, std 1 → (−1, 1)
    assert torch.allclose(layer(x, torch.zeros(1, 2)), torch.tensor([3.0, 7.0]).view(1, 1, 1, 2), atol=1e-6)


def test_mapping_network_normalises_z_and_trains_slowly():
    mapping = MappingNetwork(6, 8, num_layers=8, lr_multiplier=0.01)
    assert len(mapping.layers) == 8 and all(layer.lr_multiplier == 0.01 for layer in mapping.layers)
    z = torch.randn(3, 6)
    assert torch.allclose(mapping(z), mapping(5 * z), atol=1e-5)          # pixel norm of z first
    conditional = MappingNetwork(6, 8, num_layers=2, num_classes=3)
    assert conditional(z, torch.tensor([0, 1, 2])).shape == (3, 8)
    with pytest.raises(GankitError, match="class-conditional"):
        conditional(z)


@pytest.mark.parametrize("synthesis", [AdaINSynthesis, SkipSynthesis])
def test_style_generators_keep_the_w_space_contract(synthesis):
    generator = style_generator(synthesis(16, 1, 8, 256, 8), 8, 8, mapping_layers=2)
    assert generator.num_ws == 6 and generator.w_dim == 8 and generator.w_avg.shape == (8,)
    assert generator.noise_shapes[0] == (1, 1, 4, 4) and generator.noise_shapes[-1] == (1, 1, 16, 16)
    for layer in generator.synthesis.noise_layers:
        torch.nn.init.normal_(layer.strength)
    z = torch.randn(2, 8)
    ws = generator.broadcast(generator.mapping(z))
    const = generator.synthesis(ws, noise_mode="const")
    assert const.shape == (2, 1, 16, 16) and torch.equal(const, generator.synthesis(ws, noise_mode="const"))
    zeros = [torch.zeros(shape) for shape in generator.noise_shapes]
    assert torch.equal(generator.synthesis(ws, noises=zeros), generator.synthesis(ws, noise_mode="none"))
    assert not torch.equal(generator.synthesis(ws, noise_mode="none"), const)
    assert torch.equal(generator(z, noise_mode="const"), const)
    with pytest.raises(GankitError, match="noise_mode must be one of random, const, none"):
        generator.synthesis(ws, noise_mode="fixed")
    with pytest.raises(GankitError, match="one map per noise layer"):
        generator.synthesis(ws, noises=zeros[:1])
    generator.track_w_avg(torch.ones(4, 8))
    assert torch.allclose(generator.w_avg, torch.full((8,), 0.005))
