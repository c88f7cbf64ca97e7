"""Registry-driven: every registered model gets shape, one-training-step and save/load tests."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import gankit
from gankit.pipelines.sampling import LATENT_DRAW_BLOCK
from gankit.config import TrainConfig
from gankit.errors import GankitError
from gankit.training import Trainer
from conftest import ALL_MODELS, tiny_model_setup, draw_batch
from gankit.data import samples_of
from gankit.pipelines import sample


def make_gan(name):
    """(tiny data, the tiny model attached to it, as the trainer attaches its data: a label-map model keeps maps)."""
    data, overrides = tiny_model_setup(name)
    gan = gankit.create(name, sample_shape=data.sample_shape, num_classes=data.num_classes, **overrides)
    gan.attach_data(data)
    return data, gan


@pytest.mark.parametrize("name", ALL_MODELS)
def test_generate_has_data_shape(name):
    data, gan = make_gan(name)
    samples = sample(gan, 5)
    assert samples.shape == (5, *data.sample_shape)
    assert torch.isfinite(samples).all()
    if data.is_image:
        assert samples.min() >= -1 and samples.max() <= 1


@pytest.mark.parametrize("name", ALL_MODELS)
def test_discriminator_scores_each_sample(name):
    data, gan = make_gan(name)
    batch = draw_batch(data, 6, torch.Generator().manual_seed(0))
    scores = gan.discriminate(samples_of(batch), gan.condition(batch))
    scores = scores[0] if isinstance(scores, tuple) else scores
    scores = scores[0][-1] if isinstance(scores, list) else scores     # multi-scale D: per scale, logits last
    assert scores.shape[0] == 6


def train_tiny(name, out_dir, steps=1, resume=False, **config):
    data, overrides = tiny_model_setup(name)
    config = TrainConfig(model=name, data="tiny", steps=steps, batch_size=8, seed=0, log_every=1,
                         sample_every=0, checkpoint_every=steps, model_args=overrides, **config)
    return Trainer(config, out_dir, resume=resume, progress=False, data=data).run()


@pytest.mark.parametrize("name", ALL_MODELS)
def test_one_training_step_changes_both_nets(name, tmp_path):
    data, gan = make_gan(name)
    before_g = [p.clone() for p in gan.generator.parameters()]
    before_d = [p.clone() for p in gan.discriminator.parameters()]
    trainer = train_tiny(name, tmp_path)
    assert trainer.step == 1
    after_g, after_d = list(trainer.gan.generator.parameters()), list(trainer.gan.discriminator.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before_g, after_g)), "generator did not change"
    assert any(not torch.equal(a, b) for a, b in zip(before_d, after_d)), "discriminator did not change"
    assert (tmp_path / "metrics.jsonl").read_text().count("\n") == 1


@pytest.mark.parametrize("name", ALL_MODELS)
def test_save_load_round_trip(name, tmp_path):
    trainer = train_tiny(name, tmp_path)
    loaded = gankit.load(tmp_path)
    latent = torch.randn(4, trainer.gan.latent_dim)
    labels = torch.arange(4) % max(1, trainer.gan.num_classes) if trainer.gan.conditional else None
    expected = sample(trainer.gan, 4, labels, latent=latent)
    assert torch.equal(sample(loaded, 4, labels, latent=latent), expected)
    assert loaded.step == 1 and loaded.config.model == name


def test_api_misuse_gets_one_line_errors():
    """Python callers get GankitError (what was wrong, what to do), as the CLI does."""
    with pytest.raises(GankitError, match=r"a model is given by name \(a string\), got 3; valid models: "):
        gankit.create(3)
    gan = gankit.create("mlp-gan", regularizers="r1")            # one string is one spec, as with --reg
    assert [type(r).__name__ for r in gan.regularizers] and len(gan.regularizers) == 1
    for bad in (0, -1, 2.5, "4"):
        with pytest.raises(GankitError, match="sampling needs a number of samples of at least 1"):
            sample(gan, bad)
    assert sample(gan, np.int64(3)).shape == (3, 2)
    for options, message in (({"hidden": 0}, "these layers have no units: generator.net.0.weight"),
                             ({"clip": -1}, "clip must be a positive number, got -1"),
                             ({"lr_d": 0.0}, "lr_d must be a positive number, got 0.0"),
                             ({"n_critic": 0}, "n_critic must be an integer >= 1, got 0"),
                             ({"weight_decay": -0.1}, "weight_decay must be a number >= 0, got -0.1")):
        with pytest.raises(GankitError, match=message):
            gankit.create("mlp-gan", **options)
    assert gankit.create("mlp-gan", clip=0.01).hparams["clip"] == 0.01
    with pytest.raises(GankitError, match="run must be a path .*got 5"):
        gankit.load(5)
    for options, message in (({"num": "20"}, "--num must be a positive number of images, got '20'"),
                             ({"num": 4, "batch_size": 2.5}, "--batch-size must be an integer of at least 1"),
                             ({"num": 4, "seed": -1}, r"seed must be an integer in \[0, 2\^63\), got -1")):
        with pytest.raises(GankitError, match=message):
            gankit.evaluate("no-such-run", "fid", **options)


def test_generate_checks_its_labels_and_train_its_config():
    cgan = gankit.create("cgan")
    assert sample(cgan, 3, [0, 9, 4]).shape[0] == 3                     # a list is fine
    for labels, message in (([0, 10, 1], r"classes 0\.\.9; got 0\.\.10"), ([0, 1], "must be 3 integer classes"),
                            (torch.tensor([0.5, 1.0, 2.0]), "must be 3 integer classes")):
        with pytest.raises(GankitError, match=message):
            sample(cgan, 3, labels)
    with pytest.raises(GankitError, match="'mlp-gan' is unconditional; sample without labels"):
        sample(gankit.create("mlp-gan"), 2, [0, 1])
    with pytest.raises(GankitError, match="train takes a TrainConfig .*got dict"):
        gankit.train({"model": "mlp-gan", "data": "ring8"})


@pytest.mark.parametrize("name", ALL_MODELS)
def test_generate_does_not_depend_on_batch_size(name):
    """Latents are drawn in fixed blocks, so `gankit fid` (batch 50) and `gankit eval` (batch 100) see the
    same samples for a seed; they are those of the old default batch size, 256 (chunks of 256 draws)."""
    _, gan = make_gan(name)
    n = LATENT_DRAW_BLOCK + 13
    by_batch_size = [sample(gan, n, rng=torch.Generator().manual_seed(3), batch_size=b) for b in (7, 100, 1000)]
    for samples in by_batch_size[:-1]:
        torch.testing.assert_close(samples, by_batch_size[-1], rtol=1e-5, atol=1e-6)
    labels = torch.arange(n) % gan.num_classes if gan.conditional else None
    rng = torch.Generator().manual_seed(3)
    latent = torch.cat([gan.sample_latent(LATENT_DRAW_BLOCK, rng), gan.sample_latent(13, rng)])
    old_default = torch.cat([gan.run_generator(gan.generator_ema.eval(), latent[:LATENT_DRAW_BLOCK],
                                               None if labels is None else labels[:LATENT_DRAW_BLOCK]),
                             gan.run_generator(gan.generator_ema.eval(), latent[LATENT_DRAW_BLOCK:],
                                               None if labels is None else labels[LATENT_DRAW_BLOCK:])])
    torch.testing.assert_close(sample(gan, n, rng=torch.Generator().manual_seed(3)), old_default, rtol=0, atol=0)


def test_wgan_with_adam_and_clipping_in_every_discriminator_phase():
    """wgan sets no betas (RMSprop): choosing Adam crashed on betas=None. The seed `gan` trains D in two
    half-batch phases, which ignored clip."""
    optimizers = gankit.create("mlp-gan", objective="wgan", optimizer="adam").make_optimizers()
    assert optimizers["discriminator"].defaults["betas"] == (0.5, 0.999)
    gan = gankit.create("gan", clip=0.01)
    d_phases = [phase for phase in gan.phases() if phase.module is gan.discriminator]
    assert len(d_phases) == 2 and all(phase.after_step is not None for phase in d_phases)
    for phase in d_phases:
        phase.after_step()
    assert max(float(p.abs().max()) for p in gan.discriminator.parameters()) <= 0.01



def test_a_regularizer_on_both_networks_logs_both_terms():
    """--reg rotation logged only G's term: both phases wrote reg_rotation, and G's came last."""
    import math
    gan = gankit.create("dcgan", width=4, regularizers=("rotation",), sample_shape=(1, 16, 16))
    real = torch.rand(4, 1, 16, 16) * 2 - 1
    fake = torch.rand(4, 1, 16, 16) * 2 - 1
    logs: dict = {}
    rng = torch.Generator().manual_seed(0)
    d_term = gan.regularization("discriminator", real, fake, rng, logs)
    g_term = gan.regularization("generator", real, fake, rng, logs)
    assert logs["reg_rotation"] == pytest.approx(d_term.item()) and logs["reg_rotation_g"] == pytest.approx(g_term.item())
    assert math.isfinite(logs["reg_rotation"]) and logs["reg_rotation"] != logs["reg_rotation_g"]



def test_generate_and_train_refuse_arguments_they_cannot_use():
    gan = gankit.create("mlp-gan")
    for options, message in (({"batch_size": 0}, "batch_size must be an integer >= 1, got 0"),   # range() error
                             ({"rng": 5}, "rng must be a torch.Generator"),                      # AttributeError
                             ({"latent": torch.zeros(5, 64)}, r"3 rows; got shape \(5, 64\)")):  # used 3 of 5
        with pytest.raises(GankitError, match=message):
            sample(gan, 3, **options)
    with pytest.raises(GankitError, match=r"betas must be two numbers in \[0, 1\)"):
        gankit.create("mlp-gan", betas=(2, 0.9))                                # torch refused it at the optimiser
    with pytest.raises(GankitError, match="unknown config key.*stepz"):
        gankit.train(stepz=1)
    with pytest.raises(GankitError, match="out_dir must be a path"):
        gankit.train(gankit.TrainConfig(model="mlp-gan", data="ring8"), None)
    with pytest.raises(GankitError, match=r"model 'mlp-gan' cannot be built with options \{'hidden': -1\}: .*negative"):
        gankit.create("mlp-gan", hidden=-1)                                    # torch's RuntimeError before
