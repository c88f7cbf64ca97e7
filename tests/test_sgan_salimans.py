"""Salimans et al. 2016's MNIST nets for SGAN (nets/salimans_mnist.py) and the sgan nets= option."""
from __future__ import annotations

import pytest
import torch
from torch import nn

import gankit
from gankit.config import TrainConfig
from gankit.errors import GankitError
from gankit.nets.heads import GaussianNoise
from gankit.nets.salimans_mnist import SalimansMnistDiscriminator, SalimansMnistGenerator
from gankit.recipes.sgan import random_shift
from gankit.training import Trainer
from conftest import tiny_data, draw, loss_args


def weight_normed(module):
    return [m for m in module.modules() if isinstance(m, nn.Linear) and hasattr(m, "parametrizations")]


def test_discriminator_layout_shapes_and_weight_norm():
    d = SalimansMnistDiscriminator()
    linears = [m for m in d.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [
        (784, 1000), (1000, 500), (500, 250), (250, 250), (250, 250), (250, 10)]
    assert weight_normed(d) == linears
    assert [m.std for m in d.modules() if isinstance(m, GaussianNoise)] == [0.3] + [0.5] * 5
    x = torch.rand(6, 1, 28, 28) * 2 - 1
    out = d.outputs(x)
    assert out["features"].shape == (6, 250) and out["classes"].shape == (6, 10)
    assert (out["features"] >= 0).all()                     # after the last ReLU, before its noise
    assert d(x).shape == (6,) and d.classify(x).shape == (6, 10)
    layer = linears[0]                                      # w = g · v / ‖v‖ per output unit
    g, v = layer.parametrizations.weight.original0, layer.parametrizations.weight.original1
    assert torch.allclose(layer.weight, g * v / v.norm(dim=1, keepdim=True), atol=1e-6)


def test_noise_only_in_training_mode():
    d = SalimansMnistDiscriminator(width=8)
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    d.train()
    assert not torch.equal(d.classify(x), d.classify(x))
    d.eval()
    assert torch.equal(d.classify(x), d.classify(x))
    quiet = SalimansMnistDiscriminator(width=8, input_noise=0.0, hidden_noise=0.0)
    quiet.load_state_dict(d.state_dict())
    assert torch.allclose(quiet.train().classify(x), d.eval().classify(x))


def test_data_dependent_init_standardises_each_layer():
    d = SalimansMnistDiscriminator(width=16, input_noise=0.0, hidden_noise=0.0)
    x = torch.rand(200, 1, 28, 28) * 2 - 1
    assert not bool(d.initialized)
    d.initialize_from(x)
    assert bool(d.initialized) and "initialized" in d.state_dict()
    hidden = x
    with torch.no_grad():
        for layer in [*d.body, *d.heads["classes"]]:
            if isinstance(layer, nn.Linear):
                pre = layer(hidden)
                assert pre.mean(0).abs().max() < 1e-4
                assert torch.allclose(pre.std(0, unbiased=False), torch.ones(pre.shape[1]), atol=1e-3)
            hidden = layer(hidden)


def test_generator_shapes_range_and_output_weight_norm():
    g = SalimansMnistGenerator()
    assert [(m.in_features, m.out_features) for m in g.modules() if isinstance(m, nn.Linear)] == [
        (100, 500), (500, 500), (500, 784)]
    assert weight_normed(g) == [g.net[-1]]
    assert sum(isinstance(m, nn.BatchNorm1d) for m in g.modules()) == 2
    images = g(torch.randn(5, 100) * 10)
    assert images.shape == (5, 1, 28, 28) and images.min() >= -1 and images.max() <= 1


def test_sgan_salimans_option_defaults_and_first_step_initialises():
    gan = gankit.create("sgan", width=8)                     # salimans nets are the default
    assert isinstance(gan.discriminator, SalimansMnistDiscriminator)
    assert gan.labelled_shift == 2 and gankit.create("sgan", nets="dcgan", width=8).labelled_shift == 0
    assert gan.hparams["lr_d"] == gan.hparams["lr_g"] == 3e-3 and gan.supervised_weight == 2.0
    assert gankit.create("sgan", nets="salimans", width=8, supervised_weight=1.0).supervised_weight == 1.0
    data = tiny_data(num=32).with_labels_per_class(1)
    gan.attach_data(data)
    real, labels = draw(data, 8, torch.Generator().manual_seed(0))
    loss, logs = gan.discriminator_loss(*loss_args(real, labels, torch.Generator().manual_seed(1)))
    assert bool(gan.discriminator.initialized) and torch.isfinite(loss) and logs["labelled_per_step"] == 8
    g_loss, _ = gan.generator_loss(*loss_args(real, labels, torch.Generator().manual_seed(2)))
    assert torch.isfinite(g_loss) and g_loss.item() >= 0
    with pytest.raises(GankitError, match="unknown nets"):
        gankit.create("sgan", nets="mlp", width=8)
    with pytest.raises(GankitError, match="spectral_norm"):
        gankit.create("sgan", nets="salimans", spectral_norm=True)


def test_random_shift_translates_each_image_within_range_and_fills_background():
    image = torch.full((1, 1, 9, 9), -1.0)
    image[0, 0, 4, 4] = 1.0                                  # one bright pixel in the centre
    images = image.repeat(200, 1, 1, 1)
    shifted = random_shift(images, 2, torch.Generator().manual_seed(0))
    assert shifted.shape == images.shape
    positions = {tuple((img[0] == 1.0).nonzero()[0].tolist()) for img in shifted}
    assert all((shifted == 1.0).flatten(1).sum(1) == 1)     # the pixel is moved, never lost or doubled
    assert positions == {(4 + dy, 4 + dx) for dy in range(-2, 3) for dx in range(-2, 3)}
    assert torch.equal(random_shift(images, 0, torch.Generator()), images)
    corner = torch.ones(1, 1, 4, 4)
    moved = random_shift(corner.repeat(50, 1, 1, 1), 1, torch.Generator().manual_seed(1))
    assert (moved == -1).any() and set(moved.unique().tolist()) <= {-1.0, 1.0}


def test_labelled_shift_applies_to_the_labelled_batch_only():
    gan = gankit.create("sgan", nets="salimans", width=8, labelled_shift=2)
    data = tiny_data(num=32).with_labels_per_class(2)
    gan.attach_data(data)
    real = data.samples[:8]
    images, labels = gan.labelled_batch(real, None, torch.Generator().manual_seed(0))
    plain = gankit.create("sgan", nets="salimans", width=8, labelled_shift=0)
    plain.attach_data(data)
    unshifted, same_labels = plain.labelled_batch(real, None, torch.Generator().manual_seed(0))
    assert torch.equal(labels, same_labels) and not torch.equal(images, unshifted)
    with pytest.raises(GankitError, match="labelled_shift"):
        gankit.create("sgan", nets="salimans", width=8, labelled_shift=-1)


def test_average_classifier_follows_d_with_the_ema_decay_and_is_used_by_classify():
    gan = gankit.create("sgan", nets="salimans", width=8)
    assert gan.discriminator_ema is not None
    assert gankit.create("sgan", nets="dcgan", width=8).discriminator_ema is None   # D itself classifies
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    before = gan.classify(x)
    with torch.no_grad():
        for p in gan.discriminator.parameters():
            p.add_(1.0)
    assert torch.equal(gan.classify(x), before)              # the average has not moved yet
    old = [p.clone() for p in gan.discriminator_ema.parameters()]
    gan.update_ema(0.75)
    for average, start, live in zip(gan.discriminator_ema.parameters(), old, gan.discriminator.parameters()):
        assert torch.allclose(average, 0.75 * start + 0.25 * live)
    gan.update_ema(0.0)
    assert torch.allclose(gan.classify(x), gan.discriminator.eval().classify(x))
    assert any(key.startswith("discriminator_ema.") for key in gan.state_dict())


def salimans_trainer(steps, out, resume=False):
    config = TrainConfig(model="sgan", data="tiny", steps=steps, batch_size=8, log_every=1, sample_every=0,
                         checkpoint_every=2, model_args=dict(width=8))
    return Trainer(config, out, resume=resume, progress=False, data=tiny_data(num=64).with_labels_per_class(2))


def test_sgan_default_salimans_trains_and_resumes_bit_exact(tmp_path):
    straight = salimans_trainer(4, tmp_path / "a").run()
    gan = straight.gan
    assert isinstance(gan.discriminator, SalimansMnistDiscriminator) and bool(gan.discriminator.initialized)
    assert gan.classify(straight.data.samples[:5]).shape == (5, 10)
    salimans_trainer(2, tmp_path / "b").run()
    resumed = salimans_trainer(4, tmp_path / "b", resume=True).run()
    for key, value in gan.state_dict().items():
        assert torch.equal(value, resumed.gan.state_dict()[key]), key
    loaded = gankit.load(tmp_path / "a")
    assert torch.equal(loaded.classify(straight.data.samples[:5]), gan.classify(straight.data.samples[:5]))
