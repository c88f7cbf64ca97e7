"""StyleGAN and StyleGAN2 through the trainer: style mixing, w_avg, path-length regularization (its running
mean in the checkpoint), lazy phases with the optimizer correction, bit-exact resume between lazy steps."""
from __future__ import annotations

import math

import pytest
import torch

import gankit
from gankit.config import TrainConfig
from gankit.errors import GankitError
from gankit.objectives.penalties import path_length_penalty
from gankit.registry import MODELS
from gankit.training import Trainer
from conftest import tiny_data

TINY = MODELS.entry("stylegan2").meta["tiny"]         # r1 every 2 steps, path length every 3


def train(out, steps, resume=False, model="stylegan2", **model_args):
    config = TrainConfig(model=model, data="tiny", steps=steps, seed=0, batch_size=4, checkpoint_every=1,
                         sample_every=0, log_every=0, model_args={**MODELS.entry(model).meta["tiny"], **model_args})
    return Trainer(config, out, resume=resume, progress=False, data=tiny_data((1, 8, 8), num=32)).run()


def test_lazy_phases_and_their_optimizer_correction():
    gan = gankit.create("stylegan2", sample_shape=(1, 8, 8), **TINY)
    assert {phase.name: phase.interval for phase in gan.phases()} == {"D": 1, "D-r1": 2, "G": 1, "G-pl": 3}
    optimizers = gan.make_optimizers()
    assert optimizers["generator"].param_groups[0]["lr"] == pytest.approx(0.0025 * 3 / 4)
    assert optimizers["generator"].param_groups[0]["betas"] == pytest.approx((0.0, 0.99 ** 0.75))
    assert optimizers["discriminator"].param_groups[0]["lr"] == pytest.approx(0.0025 * 2 / 3)
    paper = gankit.create("stylegan2", sample_shape=(1, 8, 8), cbase=64, cmax=4, w_dim=4)
    assert {phase.name: phase.interval for phase in paper.phases()} == {"D": 1, "D-r1": 16, "G": 1, "G-pl": 4}
    assert paper.regularizers[0].weight == 5.0                        # γ/2, γ = 10
    assert "G-pl" not in {p.name for p in gankit.create("stylegan2", sample_shape=(1, 8, 8), pl_weight=0, **TINY).phases()}
    v1 = gankit.create("stylegan", sample_shape=(1, 8, 8), **MODELS.entry("stylegan").meta["tiny"])
    assert {phase.name: phase.interval for phase in v1.phases()} == {"D": 1, "G": 1}        # R1 every step
    assert v1.regularizers[0].interval == 1 and v1.truncation_cutoff == 8 and paper.truncation_cutoff is None
    assert {"gaussian-latent", "w-space"} <= v1.capabilities and {"gaussian-latent", "w-space"} <= paper.capabilities


def test_resume_between_lazy_regularization_steps_is_bit_exact(tmp_path):
    whole = train(tmp_path / "whole", 5)
    train(tmp_path / "parts", 2)                 # stopped after step 1: r1 ran at 0, path length at 0; next at 3
    resumed = train(tmp_path / "parts", 5, resume=True)
    expected = whole.gan.state_dict()
    for key, value in resumed.gan.state_dict().items():
        assert torch.equal(value, expected[key]), key
    assert float(resumed.gan.pl_mean) > 0 and float(resumed.gan.generator.w_avg.abs().sum()) > 0


def test_path_length_mean_is_saved_and_restored(tmp_path):
    trainer = train(tmp_path / "run", 1)
    saved = trainer.gan.pl_mean.clone()
    assert float(saved) > 0                                            # the path-length phase ran at step 0
    checkpoint = torch.load(trainer.last_checkpoint, weights_only=True)
    assert torch.equal(checkpoint["model"]["pl_mean"], saved)
    assert torch.equal(gankit.load(tmp_path / "run").pl_mean, saved)
    # w_avg moved toward the G step's mean w, and the EMA generator carries it
    assert torch.equal(trainer.gan.generator_ema.w_avg, trainer.gan.generator.w_avg)
    assert float(trainer.gan.generator.w_avg.abs().sum()) > 0


def test_path_length_penalty_by_hand():
    """images = 2·w (one layer, 4 = 2×2 pixels): J_wᵀy = 2y, y ~ N(0, I)/√4; the mean moves by decay 0.5."""
    ws = torch.randn(3, 1, 4, requires_grad=True)
    images = (2 * ws).view(3, 1, 2, 2)
    penalty, mean = path_length_penalty(images, ws, torch.tensor(1.0), decay=0.5, rng=torch.Generator().manual_seed(7))
    y = torch.randn((3, 1, 2, 2), generator=torch.Generator().manual_seed(7)) / 2
    lengths = (2 * y).flatten(1).pow(2).sum(1).sqrt()
    expected_mean = 1.0 + 0.5 * (lengths.mean() - 1.0)
    assert mean.item() == pytest.approx(expected_mean.item(), rel=1e-6)
    assert penalty.item() == pytest.approx((lengths - expected_mean).pow(2).mean().item(), rel=1e-5)
    assert not mean.requires_grad                                       # stored in the buffer as it is


def test_style_mixing_draws_two_latents_and_crosses_over_once():
    gan = gankit.create("stylegan2", sample_shape=(1, 16, 16), mixing_prob=1.0, **TINY)
    generator = gan.generator
    ws, w = gan.training_ws(4, None, torch.Generator().manual_seed(3))
    rng = torch.Generator().manual_seed(3)
    first = generator.mapping(gan.sample_latent(4, rng))
    second = generator.mapping(gan.sample_latent(4, rng))
    cutoff = gan.mixing_cutoff(rng)
    assert 1 <= cutoff < generator.num_ws and torch.equal(w, first)
    assert torch.equal(ws[:, :cutoff], first[:, None].expand(-1, cutoff, -1))
    assert torch.equal(ws[:, cutoff:], second[:, None].expand(-1, generator.num_ws - cutoff, -1))
    # p = 0: one latent, the same w at every layer
    plain = gankit.create("stylegan2", sample_shape=(1, 16, 16), mixing_prob=0.0, **TINY)
    ws, w = plain.training_ws(4, None, torch.Generator().manual_seed(3))
    assert torch.equal(ws, w[:, None].expand_as(ws))
    # p = 0.9: about one batch in ten unmixed
    cutoffs = [gan.mixing_cutoff(rng) for gan.mixing_prob in [0.9] * 2000]
    assert 0.07 < sum(c == generator.num_ws for c in cutoffs) / 2000 < 0.13


def test_samples_use_the_fixed_noise_and_the_generator_contract():
    gan = gankit.create("stylegan", sample_shape=(1, 16, 16), **MODELS.entry("stylegan").meta["tiny"])
    z = torch.randn(3, gan.latent_dim)
    images = gan.synthesize(gan.generator_ema, z, None)
    assert torch.equal(images, gan.synthesize(gan.generator_ema, z, None)) and images.abs().max() <= 1
    ws = gan.generator_ema.broadcast(gan.generator_ema.mapping(z))
    assert torch.equal(images, gan.generator_ema.synthesis(ws, noise_mode="const").clamp(-1, 1))


@pytest.mark.parametrize("model", ["stylegan", "stylegan2"])
def test_bad_inputs_are_one_line(model):
    tiny = MODELS.entry(model).meta["tiny"]
    for options, message in (({"sample_shape": (1, 28, 28)}, f"{model} builds its images from 4 px by doubling: "
                               "--image-size must be a power of two"),
                              ({"mixing_prob": 1.5}, r"mixing_prob is a probability in \[0, 1\]"),
                              ({"latent_opt": "logan"}, "--latent-opt is not supported by the style-based models")):
        with pytest.raises(GankitError, match=message) as error:
            gankit.create(model, **{"sample_shape": (1, 8, 8), **tiny, **options})
        assert "\n" not in str(error.value)
    if model == "stylegan2":
        with pytest.raises(GankitError, match="pl_interval must be a whole number"):
            gankit.create(model, sample_shape=(1, 8, 8), **{**tiny, "pl_interval": 0})


def test_pggan_warns_that_its_stages_set_the_batch_size(capsys, monkeypatch, tmp_path):
    from gankit.cli import main

    def stop(*args, **kwargs):
        raise GankitError("stopped before training")
    monkeypatch.setattr(gankit, "train", stop)
    assert main(["train", "pggan", "--batch-size", "32", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert ("gankit: warning: pggan's stages set their own batch size per resolution, so --batch-size 32 is not "
            "used; set theirs with --set model_args.batch_size=32\n") in err
    assert main(["train", "stylegan2", "--batch-size", "32", "--out", str(tmp_path / "run")]) == 2
    assert "warning" not in capsys.readouterr().err
