"""Objectives and regularizers inside real training: every compatible (model, objective) and (model,
regularizer) pair trains a step, BEGAN's k/M are logged and resumed, wrong combinations are one-line
errors, spectral norm constrains σ_max and TTUR's two learning rates reach the optimizers."""
from __future__ import annotations

import json

import pytest
import torch
from torch import nn

import gankit
from gankit.config import TrainConfig
from gankit.errors import GankitError
from gankit.nets import MLPGenerator
from gankit.recipes import GAN
from gankit.recipes.energy import EnergyGAN
from gankit.registry import OBJECTIVES, REGULARIZERS
from gankit.training import Trainer
from gankit.training.checkpoint import load_checkpoint
from conftest import ALL_MODELS, tiny_model_setup

ALL_OBJECTIVES = OBJECTIVES.names()
ALL_REGULARIZERS = REGULARIZERS.names()


def build(model, **recipe):
    data, overrides = tiny_model_setup(model)
    return gankit.create(model, sample_shape=data.sample_shape, num_classes=data.num_classes, **overrides, **recipe)


def unconditional(model) -> bool:
    """D judges the samples alone: not class-conditional, not a label-map model (its D reads the map too)."""
    gan = build(model)
    return not gan.conditional and "label-map" not in gan.capabilities


def compatibility(model, **recipe):
    """None when ``model`` builds with these recipe options, else the GankitError message."""
    try:
        build(model, **recipe)
    except GankitError as error:
        return str(error)
    return None


UNCONDITIONAL_MODELS = [m for m in ALL_MODELS if unconditional(m)]
OBJECTIVE_PAIRS = [(m, o) for m in UNCONDITIONAL_MODELS for o in ALL_OBJECTIVES]
REGULARIZER_PAIRS = [(m, r) for m in UNCONDITIONAL_MODELS for r in ALL_REGULARIZERS]


def train(model, out_dir, steps=1, resume=False, **config):
    data, overrides = tiny_model_setup(model)
    model_args = {**overrides, **config.pop("model_args", {})}
    config = {"checkpoint_every": steps, **config}
    config = TrainConfig(model=model, data="tiny", steps=steps, batch_size=8, seed=0, log_every=1,
                         sample_every=0, model_args=model_args, **config)
    return Trainer(config, out_dir, resume=resume, progress=False, data=data).run()


def logged(run_dir) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def snapshot(module):
    return [p.detach().clone() for p in module.parameters()]


def changed(before, module) -> bool:
    return any(not torch.equal(a, b) for a, b in zip(before, module.parameters()))


def test_image_and_2d_models_take_every_objective_and_the_seed_gan_refuses_energy():
    for model in ("mlp-gan", "dcgan"):
        assert [o for o in ALL_OBJECTIVES if compatibility(model, objective=o)] == [], model
        assert isinstance(build(model, objective="began"), EnergyGAN)
        assert build(model, objective="began").discriminator.output_kind == "energy"
        assert type(build(model, objective="hinge")) is GAN
    message = compatibility("gan", objective="ebgan")
    assert message is not None and "\n" not in message
    assert "autoencoder" in message and "objectives for this discriminator: dragan, hinge" in message


@pytest.mark.parametrize("model,objective", OBJECTIVE_PAIRS)
def test_one_training_step_for_every_compatible_model_and_objective(model, objective, tmp_path):
    message = compatibility(model, objective=objective)
    if message is not None:                       # incompatible: a one-line error naming what fits
        assert "\n" not in message and "objectives for this discriminator" in message
        return
    torch.manual_seed(0)
    gan = build(model, objective=objective)
    before_g, before_d = snapshot(gan.generator), snapshot(gan.discriminator)
    trainer = train(model, tmp_path, objective=objective, checkpoint_every=0)
    assert changed(before_g, trainer.gan.generator) and changed(before_d, trainer.gan.discriminator)
    record = logged(tmp_path)[0]
    assert all(torch.isfinite(torch.tensor(v)) for k, v in record.items() if k != "step")
    assert {"loss_d", "loss_g"} <= record.keys()
    energy_keys = {"real_energy", "fake_energy"}
    assert (energy_keys <= record.keys()) == (OBJECTIVES.build(objective).output == "energy")


@pytest.mark.parametrize("model,name", REGULARIZER_PAIRS)
def test_every_regularizer_trains_on_every_compatible_model(model, name, tmp_path):
    message = compatibility(model, regularizers=(name,))
    if message is not None:
        assert "\n" not in message and name in message
        assert name in ("cr", "rotation"), message    # images only; rotation also needs a rotation head
        return
    trainer = train(model, tmp_path, regularizers=(name,), checkpoint_every=0)
    record = logged(tmp_path)[0]
    assert record[f"reg_{name}"] > 0
    if name == "rotation":
        assert trainer.gan.discriminator.rotation_logits(torch.zeros(3, 1, 28, 28)).shape == (3, 4)


def test_every_regularizer_has_a_compatible_model():
    for name in ALL_REGULARIZERS:
        assert any(compatibility(m, regularizers=(name,)) is None for m in UNCONDITIONAL_MODELS), name


def test_lazy_regularizer_runs_as_its_own_phase_every_k_steps(tmp_path):
    train("mlp-gan", tmp_path, steps=4, regularizers=("r1:lazy_interval=2",))
    assert [("reg_r1" in r) for r in logged(tmp_path)] == [True, False, True, False]


def test_regularizers_compose_with_energy_objectives(tmp_path):
    train("dcgan", tmp_path, objective="ebgan", regularizers=("r1", "cr"))
    record = logged(tmp_path)[0]
    assert record["reg_r1"] > 0 and record["reg_cr"] >= 0 and "pulling_away_term" in record


def test_began_logs_k_and_m_as_equation_4_prescribes(tmp_path):
    trainer = train("mlp-gan", tmp_path, steps=4, objective="began")
    gamma, lambda_k = trainer.gan.objective.hparams["gamma"], trainer.gan.objective.hparams["lambda_k"]
    k = trainer.gan.objective.hparams["k_init"]
    for record in logged(tmp_path):
        # loss_g is L(G(z_G)); real_energy is L(x) of this step's D phase (Berthelot 2017, Eq. 4)
        balance = gamma * record["real_energy"] - record["loss_g"]
        k = min(max(k + lambda_k * balance, 0.0), 1.0)
        assert record["k"] == pytest.approx(k, abs=1e-9)
        assert record["M"] == pytest.approx(record["real_energy"] + abs(balance), rel=1e-6)
    assert trainer.gan.k == pytest.approx(k, abs=1e-9) and k > 0
    assert load_checkpoint(tmp_path / "checkpoints" / "step-0000004.pt")["recipe_state"] == {"k": trainer.gan.k}
    assert gankit.load(tmp_path).k == trainer.gan.k


def test_ebgan_logs_energies_and_pulling_away_term(tmp_path):
    train("mlp-gan", tmp_path, steps=2, objective="ebgan")
    margin = OBJECTIVES.build("ebgan").hparams["margin"]
    for record in logged(tmp_path):
        assert {"real_energy", "fake_energy", "pulling_away_term"} <= record.keys()
        assert 0 <= record["pulling_away_term"] <= 1
        # Zhao 2016, Eq. 1 (every fake energy of the fresh autoencoder is below the margin m = 1)
        assert record["fake_energy"] < margin
        assert record["loss_d"] == pytest.approx(record["real_energy"] + margin - record["fake_energy"], rel=1e-5)


@pytest.mark.parametrize("objective", ["began", "wgan"])
def test_n_plus_resume_n_equals_2n(objective, tmp_path):
    straight = train("mlp-gan", tmp_path / "a", steps=4, objective=objective)
    train("mlp-gan", tmp_path / "b", steps=2, objective=objective)
    resumed = train("mlp-gan", tmp_path / "b", steps=4, resume=True, objective=objective)
    for key, value in straight.gan.state_dict().items():
        assert torch.equal(value, resumed.gan.state_dict()[key]), key
    assert straight.gan.recipe_state() == resumed.gan.recipe_state()


class SigmoidCritic(nn.Module):
    """A discriminator that squashes its score with a sigmoid, and says so."""
    output_kind = "probability"

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())

    def forward(self, x):
        return self.net(x).squeeze(1)


def test_wrong_combinations_are_one_line_errors():
    with pytest.raises(GankitError) as error:
        GAN(MLPGenerator(4, 8, 1, 2), SigmoidCritic(), latent_dim=4, sample_shape=(2,), objective="wgan")
    assert "sigmoid" in str(error.value) and "\n" not in str(error.value)
    cases = [("mlp-gan", dict(regularizers=("rotation",)), "image"),
             ("dcgan", dict(regularizers=("rotation",), rotation_head=False), "rotation head"),
             ("dcgan", dict(regularizers=("r1:gama=1",)), "valid: gamma"),
             ("mlp-gan", dict(objective="hinj"), "valid objectives")]
    for model, recipe, words in cases:
        message = compatibility(model, **recipe)
        assert message is not None and words in message and "\n" not in message, (model, recipe, message)


def top_singular_values(discriminator):
    discriminator.eval()                # read the normalised weights without another power iteration
    with torch.no_grad():
        return [torch.linalg.matrix_norm(layer.weight.flatten(1), ord=2).item()
                for layer in discriminator.modules() if isinstance(layer, (nn.Linear, nn.Conv2d))]


def test_spectral_norm_keeps_the_top_singular_value_near_one(tmp_path):
    normalised = train("mlp-gan", tmp_path / "sn", steps=5, model_args={"hidden": 16, "spectral_norm": True})
    plain = train("mlp-gan", tmp_path / "plain", steps=5)
    assert all(abs(sigma - 1.0) < 0.05 for sigma in top_singular_values(normalised.gan.discriminator))
    assert not all(abs(sigma - 1.0) < 0.05 for sigma in top_singular_values(plain.gan.discriminator))


def test_ttur_learning_rates_reach_the_optimizers(tmp_path):
    from gankit.cli import main
    run_dir = tmp_path / "run"
    code = main(["train", "mlp-gan", "--data", "ring8", "--objective", "wgan-gp", "--lr-g", "1e-4", "--lr-d",
                 "4e-4", "--steps", "1", "--out", str(run_dir), "--no-progress", "--sample-every", "0",
                 "--set", "model_args.hidden=8"])
    assert code == 0
    optimizers = load_checkpoint(run_dir / "checkpoints" / "step-0000001.pt")["optimizers"]
    assert optimizers["generator"]["param_groups"][0]["lr"] == 1e-4
    assert optimizers["discriminator"]["param_groups"][0]["lr"] == 4e-4
    assert optimizers["discriminator"]["param_groups"][0]["betas"] == (0.0, 0.9)     # WGAN-GP's Adam
