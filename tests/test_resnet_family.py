"""The ResNet family (sngan, sngan-projection, sagan, biggan), LOGAN's latent step, BigGAN's truncation and
ortho exclusion, parameter counts. Shapes, one training step and save/load come from tests/test_models.py."""
from __future__ import annotations

import pytest
import torch

import gankit
from gankit.errors import GankitError
from gankit.objectives.penalties import orthogonal_regularization
from gankit.pipelines import sample
from gankit.pipelines.sampling import resample_beyond
from gankit.recipes.latent_opt import LatentOptimizer, build_latent_optimizer
from conftest import tiny_model_setup


def test_parameter_counts_of_the_paper_configurations():
    """ch = 64, z = 128, 3×32×32, 10 classes; hand count for sngan (Miyato et al. 2018, App. B):
    G: linear 128→4·4·256 (528,384) + 3 up-blocks of 256 (each 2 BN 1,024 + 2 conv3 1,180,160 + 1×1 shortcut
    65,792 = 1,246,976) + BN 512 + conv3 256→3 6,915 = 4,276,739.
    D: optimized block 3→128 (3,584 + 147,584 + 512 = 151,680) + down-block 128→128 with a 1×1 shortcut
    (311,680) + 2 plain blocks (295,168 each) + linear 129 = 1,053,825.
    sagan = sngan + self-attention at 16 px (G, 256 ch: 2·256·32 + 2·256² + γ = 147,457; D, 128 ch: 36,865).
    biggan: G 256 ch, shared embedding 10×128, per-block CBN linears (160→256, no bias) with SN, attention at
    16 px; D 4 blocks of 256, projection embedding 10×256."""
    counts = gankit.api.parameter_counts()
    assert (counts["sngan"]["generator"], counts["sngan"]["discriminator"]) == (4_276_739, 1_053_825)
    assert (counts["sagan"]["generator"], counts["sagan"]["discriminator"]) == (4_424_196, 1_090_690)
    assert (counts["biggan"]["generator"], counts["biggan"]["discriminator"]) == (4_520_708, 4_354_818)
    assert counts["sngan"]["shape"] == [3, 32, 32]


def test_logan_natural_gradient_step_on_a_linear_discriminator():
    """f(z) = w·z, so g = w for every sample: Δz = α w/(β + ‖w‖²) (natural) or α w (plain)."""
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    z = torch.tensor([[0.5, -1.0], [0.0, 3.0]])
    step = LatentOptimizer(alpha=0.9, beta=0.1, weight=2.0, fraction=1.0)
    moved, cost = step.step(z, lambda latent: latent @ w, torch.Generator().manual_seed(0))
    delta = 0.9 * torch.tensor([1.0, 2.0]) / (0.1 + 5.0)
    torch.testing.assert_close(moved, z + delta)
    torch.testing.assert_close(cost, torch.tensor(2.0 * float(delta.pow(2).sum())))
    cost.backward()                 # the cost depends on w through Δz: d/dw [2·0.81‖w‖²/(0.1+‖w‖²)²]
    s = 5.0
    expected = 2.0 * 0.81 * (2 / (0.1 + s) ** 2 - 4 * s / (0.1 + s) ** 3) * torch.tensor([1.0, 2.0])
    torch.testing.assert_close(w.grad, expected)
    plain, _ = LatentOptimizer(alpha=0.9, natural=False, fraction=1.0).step(z, lambda latent: latent @ w, None)
    torch.testing.assert_close(plain, z + 0.9 * torch.tensor([1.0, 2.0]))


def test_logan_moves_only_a_fraction_of_the_entries():
    w = torch.ones(64)
    z = torch.zeros(32, 64)
    moved, _ = LatentOptimizer(fraction=0.8).step(z, lambda latent: latent @ w, torch.Generator().manual_seed(1))
    changed = (moved != 0).double().mean().item()
    assert 0.7 < changed < 0.9


def test_logan_defaults_are_the_papers_biggan_deep_settings():
    """Wu et al. 2019, Sec. 5 (BigGAN-deep): α = 0.9, damping β = 5.0, "only optimise 50% of z's elements",
    regulariser weight 300.0; natural gradient."""
    assert build_latent_optimizer("logan") == LatentOptimizer(alpha=0.9, beta=5.0, natural=True, weight=300.0,
                                                              fraction=0.5)
    z = torch.zeros(64, 128)
    moved, _ = build_latent_optimizer("logan").step(z, lambda latent: latent.sum(1), torch.Generator().manual_seed(2))
    assert 0.45 < (moved != 0).double().mean().item() < 0.55


def test_latent_opt_trains_and_refuses_what_it_cannot_use(tmp_path):
    from test_models import train_tiny
    trainer = train_tiny("sngan", tmp_path, latent_opt="logan:alpha=0.9,beta=0.1")
    assert trainer.gan.latent_optimizer == LatentOptimizer(alpha=0.9, beta=0.1)
    assert "latent_step" in (tmp_path / "metrics.jsonl").read_text()
    assert build_latent_optimizer("logan:natural=false").natural is False
    for spec, message in (("logan:gamma=1", "latent-opt logan has no option 'gamma'; valid: alpha"),
                          ("adam", "unknown latent optimiser 'adam'"), ("logan:alpha", "is not KEY=VALUE")):
        with pytest.raises(GankitError, match=message):
            gankit.create("sngan", **tiny_model_setup("sngan")[1], latent_opt=spec)
    with pytest.raises(GankitError, match="--latent-opt needs a model whose latent is Gaussian or uniform"):
        gankit.create("infogan", **tiny_model_setup("infogan")[1], latent_opt="logan")


def test_biggan_truncation_resamples_beyond_psi():
    latent = torch.tensor([[0.1, -2.0, 0.4], [3.0, -0.2, 0.0]])
    truncated = resample_beyond(latent, 0.5, lambda n: torch.randn(n, generator=torch.Generator().manual_seed(n)))
    inside = latent.abs() <= 0.5
    assert torch.equal(truncated[inside], latent[inside]) and truncated.abs().max() <= 0.5
    data, overrides = tiny_model_setup("biggan")
    gan = gankit.create("biggan", sample_shape=data.sample_shape, num_classes=10, **overrides)
    assert gan.truncation == "resample"
    images = sample(gan, 4, class_id=3, truncation=0.5, rng=torch.Generator().manual_seed(0))
    assert images.shape == (4, *data.sample_shape)
    for bad in (0, -1, 2.01):
        with pytest.raises(GankitError, match=r"truncation ψ must be a number in \(0, 2\]"):
            sample(gan, 2, truncation=bad)


def test_biggan_ortho_leaves_out_the_shared_embedding():
    data, overrides = tiny_model_setup("biggan")
    gan = gankit.create("biggan", sample_shape=data.sample_shape, num_classes=10, **overrides)
    (ortho,) = gan.regularizers
    shared = list(gan.generator.shared.parameters())
    value = ortho.weighted("generator", gan.discriminator, None, None, generator_net=gan.generator)
    torch.testing.assert_close(value, 1e-4 * orthogonal_regularization(gan.generator, exclude=shared))
    assert not torch.allclose(value, 1e-4 * orthogonal_regularization(gan.generator))


def test_hparams_follow_the_papers():
    data, overrides = tiny_model_setup("sagan")
    hp = {name: gankit.create(name, sample_shape=data.sample_shape, num_classes=10, **overrides).hparams
          for name in ("sngan", "sagan")}
    assert (hp["sngan"]["n_critic"], hp["sngan"]["betas"], hp["sngan"]["lr_decay"]) == (5, (0.0, 0.9), "linear")
    assert (hp["sagan"]["lr_g"], hp["sagan"]["lr_d"], hp["sagan"]["n_critic"]) == (1e-4, 4e-4, 1)


def test_self_attention_starts_as_the_identity_and_works_at_32_px():
    from gankit.nets.attention import SelfAttention
    attention = SelfAttention(16)
    x = torch.randn(2, 16, 8, 8)
    assert torch.equal(attention(x), x)
    gan = gankit.create("sagan", width=2, sample_shape=(1, 32, 32))
    assert sample(gan, 2).shape == (2, 1, 32, 32)
    with pytest.raises(GankitError, match="self-attention at 5 px"):
        gankit.create("sagan", width=2, sample_shape=(1, 32, 32), attention=5)


@pytest.mark.parametrize("model", ["sngan", "sagan"])
def test_rotation_regularizer_on_the_resnet_discriminators(model):
    """--reg rotation (SS-GAN, the issue's ablation on sngan) needs a rotation head; the ResNet D grows one on
    its pooled features when the regularizer is asked for, and only then (checkpoints of plain runs keep
    their keys). The head's gradients reach the shared body."""
    plain = gankit.create(model, width=4, sample_shape=(1, 16, 16))
    assert not any("rotation" in key for key in plain.discriminator.state_dict())
    gan = gankit.create(model, width=4, sample_shape=(1, 16, 16), regularizers=("rotation",))
    images = torch.rand(6, 1, 16, 16) * 2 - 1
    logits = gan.discriminator.rotation_logits(images)
    assert logits.shape == (6, 4)
    logs: dict = {}
    term = gan.regularization("discriminator", images, images, torch.Generator().manual_seed(0), logs)
    term.backward()
    assert torch.isfinite(term) and logs["reg_rotation"] > 0
    first_conv = next(p for name, p in gan.discriminator.named_parameters() if name.startswith("body.0"))
    assert first_conv.grad is not None and first_conv.grad.abs().sum() > 0
    with pytest.raises(GankitError, match="rotation head"):
        gankit.create("sngan-projection", width=4, sample_shape=(1, 16, 16), num_classes=10,
                      regularizers=("rotation",)).regularization(
            "discriminator", images, images, torch.Generator().manual_seed(0), {})
