"""The schedule contract: stages (resolution, batch size, fade-in), lr decay, EMA in images, lazy regularizers
on G with StyleGAN2's optimizer correction -- all functions of the step, so resume is bit-exact."""
from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gankit.config import TrainConfig
from gankit.data.base import MemoryData
from gankit.recipes.base import GAN
from gankit.registry import MODELS, register_model
from gankit.schedule import EMASchedule, Schedule, Stage, StepContext
from gankit.training import Trainer


# ----------------------------------------------------------------------------- a toy two-stage recipe
class ToyGenerator(nn.Module):
    def __init__(self, latent_dim=4):
        super().__init__()
        self.net = nn.Linear(latent_dim, 3 * 8 * 8)

    def forward(self, z):
        return torch.tanh(self.net(z)).view(-1, 3, 8, 8)


class ToyDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.head = nn.Linear(4, 1)

    def forward(self, x):
        return self.head(F.adaptive_avg_pool2d(F.leaky_relu(self.conv(x), 0.2), 1).flatten(1))


class TwoStageGAN(GAN):
    """Stage 0 at 4 px (batch 8); stage 1 at 8 px (batch 4) from step 3, fading the 8 px output in over 4
    steps (PGGAN's blend of the upsampled low-resolution image and the new one), with fresh optimizers."""

    def stages(self):
        return (Stage(0, resolution=4, batch_size=8), Stage(3, resolution=8, batch_size=4, fade_steps=4,
                                                              reset_optimizers=True))

    def synthesize(self, net, z, labels, context=None):
        image = net(z)
        low = F.avg_pool2d(image, 2)
        if context is None or context.resolution == 8:
            alpha = 1.0 if context is None else context.alpha
            return alpha * image + (1 - alpha) * F.interpolate(low, scale_factor=2, mode="nearest")
        return low


@pytest.fixture
def two_stage_model():
    @register_model("toy-two-stage", tiny={})
    def toy_two_stage(sample_shape=(3, 8, 8), num_classes=0, **recipe):
        return TwoStageGAN(ToyGenerator(), ToyDiscriminator(), latent_dim=4, sample_shape=sample_shape, **recipe)
    yield "toy-two-stage"
    MODELS._entries.pop("toy-two-stage")


def toy_images(num=32):
    g = torch.Generator().manual_seed(1)
    return MemoryData("toy", {"image": torch.randint(0, 256, (num, 3, 8, 8), generator=g, dtype=torch.uint8)})


def train(model, out, steps, resume=False, **config):
    config = TrainConfig(model=model, data="toy", steps=steps, checkpoint_every=1, sample_every=0, log_every=0,
                         **config)
    return Trainer(config, out, resume=resume, progress=False, data=toy_images()).run()


def weights(trainer):
    return {key: value.clone() for key, value in trainer.gan.state_dict().items()}


@pytest.mark.parametrize("split", [2, 3, 5])   # before the stage change, at it, and mid-fade (alpha 0.5)
def test_two_stage_resume_is_bit_exact(tmp_path, two_stage_model, split):
    whole = weights(train(two_stage_model, tmp_path / "whole", 9))
    train(two_stage_model, tmp_path / "parts", split)
    resumed = train(two_stage_model, tmp_path / "parts", 9, resume=True)
    for key, value in weights(resumed).items():
        assert torch.equal(value, whole[key]), key


def test_stage_context_and_batches(tmp_path, two_stage_model):
    trainer = train(two_stage_model, tmp_path / "run", 1)
    schedule = trainer.schedule
    contexts = [schedule.context(step) for step in range(9)]
    assert [c.resolution for c in contexts] == [4] * 3 + [8] * 6
    assert [c.batch_size for c in contexts] == [8] * 3 + [4] * 6
    assert [c.alpha for c in contexts] == [1, 1, 1, 0, 0.25, 0.5, 0.75, 1, 1]
    assert [c.images_seen for c in contexts] == [0, 8, 16, 24, 28, 32, 36, 40, 44]
    # what the losses receive: images at the stage's resolution and batch size, in [-1, 1]
    seen = []
    trainer.gan.discriminator_loss = lambda batch, context: seen.append((batch["image"].shape, context.alpha)) \
        or (batch["image"].sum() * 0 + trainer.gan.discriminator(batch["image"]).mean(), {})
    trainer.phases = trainer.gan.phases()
    trainer.config = trainer.config.replace(steps=5)
    trainer.step = 4
    trainer.train_step()
    assert seen == [((4, 3, 8, 8), 0.25)]


def test_stage_change_resets_optimizers(tmp_path, two_stage_model):
    trainer = train(two_stage_model, tmp_path / "run", 3)
    assert trainer.optimizers["generator"].state        # Adam moments after 3 steps
    trainer.config = trainer.config.replace(steps=4)
    before = trainer.optimizers["generator"]
    trainer.train_step()                                 # step 3 enters stage 1
    assert trainer.optimizers["generator"] is not before
    assert trainer.optimizers["generator"].state[next(iter(trainer.gan.generator.parameters()))]["step"] == 1


# ----------------------------------------------------------------------------- schedule functions
def test_schedule_images_seen_and_linear_lr_decay():
    schedule = Schedule((Stage(0), Stage(10, batch_size=16)), batch_size=32, total_steps=20, lr_decay="linear")
    assert schedule.images_before(10) == 320 and schedule.images_before(12) == 352
    assert schedule.lr_factor(0) == 1.0 and schedule.lr_factor(10) == 0.5 and schedule.lr_factor(20) == 0.0
    with pytest.raises(Exception, match="lr_decay"):
        Schedule((), batch_size=1, total_steps=1, lr_decay="cosine")


def test_ema_half_life_in_images():
    ema = EMASchedule(half_life_kimg=10.0)
    context = StepContext(step=100, images_seen=100 * 64, stage=0, resolution=None, alpha=1.0, batch_size=64)
    assert ema.beta(context) == pytest.approx(0.5 ** (64 / 10_000))
    # the same half-life in images whatever the batch: 2 steps of 32 decay as much as 1 of 64
    half = StepContext(step=200, images_seen=6400, stage=0, resolution=None, alpha=1.0, batch_size=32)
    assert ema.beta(half) ** 2 == pytest.approx(ema.beta(context))
    # StyleGAN2's ramp-up: early on the half-life is at most rampup × images seen
    ramped = EMASchedule(half_life_kimg=10.0, rampup=0.05)
    early = StepContext(step=0, images_seen=0, stage=0, resolution=None, alpha=1.0, batch_size=64)
    assert ramped.beta(early) == pytest.approx(0.5 ** (64 / (0.05 * 64)))
    # BigGAN's start: a copy (beta 0) before the start step, gankit's ramp after
    started = EMASchedule(decay=0.999, start=5)
    assert started.beta(StepContext(4, 0, 0, None, 1.0, 8)) == 0.0
    assert started.beta(StepContext(5, 0, 0, None, 1.0, 8)) == pytest.approx(1 / 10)


def test_ema_start_copies_the_generator(tmp_path):
    trainer = Trainer(TrainConfig(model="mlp-gan", data="ring8", steps=3, sample_every=0, checkpoint_every=0,
                                  log_every=0, model_args={"hidden": 8, "ema_start": 5}), tmp_path / "r",
                      progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # no checkpoints: warned
        trainer.run()
    for average, live in zip(trainer.gan.generator_ema.parameters(), trainer.gan.generator.parameters()):
        assert torch.equal(average, live)


def test_linear_lr_decay_reaches_the_optimizers(tmp_path):
    trainer = Trainer(TrainConfig(model="mlp-gan", data="ring8", steps=4, sample_every=0, checkpoint_every=2,
                                  log_every=0, model_args={"hidden": 8, "lr_decay": "linear"}), tmp_path / "r",
                      progress=False).run()
    group = trainer.optimizers["generator"].param_groups[0]
    assert group["base_lr"] == 1e-3 and group["lr"] == pytest.approx(1e-3 * (1 - 3 / 4))


# ----------------------------------------------------------------------------- lazy regularizers
def test_every_step_regularizers_have_no_phase_lazy_ones_do():
    from gankit import create
    every_step = create("dcgan", sample_shape=(1, 28, 28), width=8, regularizers=("ortho:applies_to=both",))
    assert [phase.name for phase in every_step.phases()] == ["D", "G"]
    lazy = create("dcgan", sample_shape=(1, 28, 28), width=8, regularizers=("r1:lazy_interval=4",))
    assert {phase.name: phase.interval for phase in lazy.phases()} == {"D": 1, "D-r1": 4, "G": 1}
    d = lazy.make_optimizers()["discriminator"].param_groups[0]
    assert d["lr"] == pytest.approx(lazy.hparams["lr_d"] * 0.8)


def test_lazy_generator_phase_runs_every_k_steps(tmp_path):
    from gankit.objectives.regularizers import build_regularizer
    from gankit import create
    regularizer = build_regularizer("ortho")
    lazy = regularizer.__class__(**{**regularizer.__dict__, "interval": 4})
    gan = create("mlp-gan", hidden=8, regularizers=(lazy,))
    phases = {phase.name: phase for phase in gan.phases()}
    assert phases["G-ortho"].interval == 4 and phases["G-ortho"].optimizer == "generator"
    assert phases["G-ortho"].module is gan.generator
    # StyleGAN2's correction on G's optimizer only: lr·k/(k+1), betas**(k/(k+1))
    optimizers = gan.make_optimizers()
    g, d = optimizers["generator"].param_groups[0], optimizers["discriminator"].param_groups[0]
    ratio = 4 / 5
    assert g["lr"] == pytest.approx(gan.hparams["lr_g"] * ratio) and d["lr"] == pytest.approx(gan.hparams["lr_d"])
    assert g["betas"] == pytest.approx(tuple(b ** ratio for b in gan.hparams["betas"]))
    # the phase's loss is the term x4 and reaches G's weights
    batch = {"point": torch.randn(8, 2)}
    loss, logs = phases["G-ortho"].loss(batch, StepContext(0, 0, 0, None, 1.0, 8, torch.Generator().manual_seed(0)))
    loss.backward()
    assert logs["reg_ortho"] == pytest.approx(loss.item())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in gan.generator.parameters())


def test_trainer_runs_the_lazy_generator_phase_on_its_steps(tmp_path):
    from gankit.objectives.regularizers import build_regularizer
    config = TrainConfig(model="mlp-gan", data="ring8", steps=9, sample_every=0, checkpoint_every=0, log_every=0,
                         model_args={"hidden": 8})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer = Trainer(config, tmp_path / "r", progress=False)
    regularizer = build_regularizer("ortho")
    lazy = regularizer.__class__(**{**regularizer.__dict__, "interval": 4})
    trainer.gan.regularizers = (lazy,)
    trainer.phases = trainer.gan.phases()
    logged = [("reg_ortho" in trainer.train_step()) for _ in range(9)]
    assert logged == [True, False, False, False, True, False, False, False, True]
