"""Inversion (Image2StyleGAN / Image2StyleGAN++) on tiny generators: the W-space contract's test generator
(tests/style_contract.py) for W+ and W, it and a tiny dcgan for Z."""
from __future__ import annotations

import pytest
import torch

import gankit
from gankit.errors import GankitError
from gankit.pipelines import invert, regenerate
from gankit.pipelines.inversion_files import load_latent, save_latent
from gankit.pipelines.inversion_loss import InversionLoss, psnr
from gankit.pipelines.perceptual import VGG16_TAPS, PerceptualLoss, inception_stem_loss
from style_contract import tiny_style_gan

FAST = dict(steps=150, lr=0.1, perceptual_weight=0)


@pytest.fixture(scope="module")
def style_gan():
    return tiny_style_gan()


@pytest.fixture(scope="module")
def stem():
    """The TF-Inception substitute's layers on seeded random weights, at 32 px: a real perceptual pass, fast."""
    from gankit.metrics.inception_weights import random_inception
    return inception_stem_loss(model=random_inception(), size=32)


def generated(gan, space: str, num: int = 2, seed: int = 1) -> torch.Tensor:
    """Images the generator itself makes from random latents (W: mapped z broadcast; W+: a different w per layer)."""
    net, rng = gan.generator_ema, torch.Generator().manual_seed(seed)
    with torch.no_grad():
        z = torch.randn(num * net.num_ws, net.z_dim, generator=rng)
        ws = net.mapping(z).view(num, net.num_ws, -1) if space == "w+" else \
            net.mapping(z[:num]).unsqueeze(1).expand(-1, net.num_ws, -1)
        return net.synthesis(ws, noise_mode="const").clamp(-1, 1)


def half_mask(size: int = 8) -> torch.Tensor:
    mask = torch.ones(1, 1, size, size)
    mask[..., :, size // 2:] = 0
    return mask


def test_the_loss_decreases_with_the_perceptual_term(style_gan, stem):
    result = invert(style_gan, generated(style_gan, "w+"), space="w+", steps=30, perceptual=stem)
    assert result.curve.shape == (30,)
    assert result.curve[-1] < 0.5 * result.curve[0]
    summary = result.summary()
    assert summary["perceptual"]["net"].startswith("substitute: tf-inception Conv2d_1a_3x3")
    assert summary["perceptual"]["layers"] == ["Conv2d_1a_3x3", "Conv2d_2b_3x3", "Conv2d_3b_1x1", "Conv2d_4a_3x3"]
    assert summary["perceptual"]["distance"] >= 0 and summary["space"] == "w+" and summary["steps"] == 30


@pytest.mark.parametrize("space", ["w+", "w", "z"])
def test_an_image_of_the_generator_is_recovered(style_gan, space):
    target = generated(style_gan, "w+" if space == "w+" else "w")
    start = invert(style_gan, target, space=space, steps=1, lr=1e-9, perceptual_weight=0)
    result = invert(style_gan, target, space=space, **FAST)
    assert all(score["psnr_db"] > 30 for score in result.scores), (space, result.scores, start.scores)
    for before, after in zip(start.scores, result.scores):         # the mean latent's image was far off
        assert after["psnr_db"] > before["psnr_db"] + 10


def test_z_inversion_of_a_model_without_w_space():
    gan = gankit.create("dcgan", sample_shape=(1, 28, 28), width=8).eval()
    with torch.no_grad():
        target = gan.synthesize(gan.generator_ema, torch.randn(2, gan.latent_dim, generator=torch.Generator().manual_seed(1)), None)
    result = invert(gan, target, **FAST)
    assert result.settings["space"] == "z" and result.latent.shape == (2, gan.latent_dim)
    assert all(score["psnr_db"] > 30 for score in result.scores)
    with pytest.raises(GankitError, match=r"^--space w\+ needs a model with a W space .*'dcgan' has none: invert its "
                                          r"Gaussian latent with --space z$"):
        invert(gan, target, space="w+")


def test_pixels_outside_the_mask_do_not_matter(style_gan, stem):
    target = generated(style_gan, "w+")
    changed = target.clone()
    changed[..., :, 4:] = torch.rand_like(changed[..., :, 4:]) * 2 - 1
    runs = [invert(style_gan, image, mask=half_mask(), space="w+", steps=10, perceptual=stem) for image in (target, changed)]
    assert torch.equal(runs[0].latent, runs[1].latent) and torch.equal(runs[0].images, runs[1].images)
    assert runs[0].scores[0]["psnr_mask"] != runs[0].scores[0]["psnr_outside"]
    unmasked = invert(style_gan, changed, space="w+", steps=10, perceptual=stem)
    assert not torch.equal(unmasked.latent, runs[1].latent)


def test_crossover_is_the_masked_combination(style_gan, stem):
    a, b = generated(style_gan, "w+", seed=1), generated(style_gan, "w+", seed=2)
    mask = half_mask()
    composite = a * mask + b * (1 - mask)
    crossover = invert(style_gan, a, crossover=b, mask=mask, space="w+", **FAST)
    direct = invert(style_gan, composite, space="w+", **FAST)
    assert torch.allclose(crossover.images, direct.images, atol=1e-3)
    images = generated(style_gan, "w", seed=3)
    both = InversionLoss(a, mask, b, stem)(images)
    parts = InversionLoss(a, mask, None, stem)(images) + InversionLoss(b, 1 - mask, None, stem)(images)
    assert torch.allclose(both, parts, rtol=1e-5)


def test_the_saved_latent_loads_with_weights_only_and_regenerates_the_reconstruction(style_gan, tmp_path):
    target = generated(style_gan, "w+", num=1)
    for space, noise in (("w+", True), ("w", False), ("z", False)):
        result = invert(style_gan, target, space=space, steps=5, noise=noise, noise_steps=4, perceptual_weight=0)
        path = save_latent(result.state(), tmp_path / f"{space}.pt")
        state = torch.load(path, weights_only=True)
        assert state["space"] == space and state["model"] == "tiny-style"
        assert torch.equal(regenerate(style_gan, load_latent(path)), result.images)
        assert result.curve.shape == ((9,) if noise else (5,))


def test_the_noise_stage_moves_only_the_noise_maps(style_gan):
    target = generated(style_gan, "w+", num=1)
    latent_only = invert(style_gan, target, space="w+", steps=20, noise=True, noise_steps=1, lr=0.05, perceptual_weight=0)
    with_noise = invert(style_gan, target, space="w+", steps=20, noise=True, noise_steps=30, lr=0.05, perceptual_weight=0)
    assert torch.equal(latent_only.latent, with_noise.latent)          # the W+ stage is the same; then W+ is fixed
    assert with_noise.curve[-1] < with_noise.curve[20]
    assert with_noise.scores[0]["psnr_db"] > latent_only.scores[0]["psnr_db"]


def test_vgg16_taps_are_the_papers_layers():
    from gankit.metrics.vgg16 import VGG16
    with torch.device("meta"):
        trunk = VGG16().features
        shapes = [f.shape for f in PerceptualLoss(trunk, VGG16_TAPS, lambda x: x, "vgg16", 64).features(torch.zeros(1, 3, 32, 32))]
    assert [type(trunk[i - 1]).__name__ for i in VGG16_TAPS] == ["Conv2d"] * 4      # each tap right after a conv's ReLU
    assert shapes == [(1, 64, 64, 64), (1, 64, 64, 64), (1, 256, 16, 16), (1, 512, 8, 8)]


def test_without_vgg16_weights_the_substitute_is_used_and_named(monkeypatch, tmp_path):
    from gankit.metrics.inception_weights import random_inception
    from gankit.pipelines import perceptual
    monkeypatch.delenv("GANKIT_VGG16_WEIGHTS", raising=False)
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(perceptual, "load_inception", lambda device: random_inception())
    assert perceptual.perceptual_loss().net.startswith("substitute: tf-inception")
    with pytest.raises(GankitError, match="VGG-16 weights not found at .*missing.pth"):
        perceptual.perceptual_loss(vgg16=tmp_path / "missing.pth")


def test_psnr_is_on_uint8_pixels_over_the_region():
    reference = torch.zeros(1, 1, 2, 2)
    images = reference.clone()
    images[..., 0, 0] = 1.0                                   # 127.5 → 128 vs 255: one pixel off by 127
    assert psnr(images, reference)[0] == pytest.approx(10 * torch.log10(torch.tensor(255.0 ** 2 * 4 / 127 ** 2)).item())
    region = torch.tensor([[[[0.0, 1.0], [1.0, 1.0]]]])
    assert psnr(images, reference, region)[0] == float("inf") and psnr(images, reference, region * 0)[0] is None


@pytest.mark.parametrize("options, message", [
    (dict(space="x"), r"unknown latent space 'x'; valid spaces: w\+, w, z"),
    (dict(steps=0), "the number of steps must be an integer >= 1, got 0"),
    (dict(lr=-1), "the learning rate must be a positive number"),
    (dict(mask=torch.full((1, 1, 8, 8), 0.5)), "the mask must be binary"),
    (dict(mask=torch.ones(1, 1, 4, 4)), r"the mask must be shaped \(1 or N, 1, 8, 8\)"),
    (dict(crossover=torch.zeros(1, 1, 8, 8)), "a crossover needs a mask"),
    (dict(image=torch.zeros(1, 3, 8, 8)), r"the target must be shaped \(N, 1, 8, 8\)"),
])
def test_bad_inputs_are_one_line(style_gan, options, message):
    image = options.pop("image", torch.zeros(1, 1, 8, 8))
    with pytest.raises(GankitError, match=message) as error:
        invert(style_gan, image, **options)
    assert "\n" not in str(error.value)


def test_a_stylegan2_image_is_recovered_in_w_plus():
    from gankit.registry import MODELS
    gan = gankit.create("stylegan2", sample_shape=(1, 8, 8), **MODELS.entry("stylegan2").meta["tiny"]).eval()
    net = gan.generator_ema
    with torch.no_grad():
        net.w_avg.copy_(net.mapping(torch.randn(1000, gan.latent_dim)).mean(0))     # as training tracks it
        target = gan.synthesize(net, torch.randn(2, gan.latent_dim, generator=torch.Generator().manual_seed(1)), None)
    start = invert(gan, target, steps=1, lr=1e-9, perceptual_weight=0)
    result = invert(gan, target, **FAST)
    assert result.settings["space"] == "w+" and result.latent.shape == (2, net.num_ws, net.w_dim)
    for before, after in zip(start.scores, result.scores):
        assert after["psnr_db"] > max(25, before["psnr_db"] + 10)


def test_a_random_start_follows_the_seed(style_gan):
    target = generated(style_gan, "w+", num=1)
    runs = [invert(style_gan, target, space=space, steps=2, init="random", seed=seed, perceptual_weight=0)
            for space, seed in (("w", 1), ("w", 1), ("w", 2), ("z", 1))]
    assert torch.equal(runs[0].latent, runs[1].latent) and not torch.equal(runs[0].latent, runs[2].latent)
    mean_start = invert(style_gan, target, space="w", steps=2, perceptual_weight=0)
    assert runs[0].curve[0] != mean_start.curve[0] and runs[3].latent.shape == (1, style_gan.latent_dim)
