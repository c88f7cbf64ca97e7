"""Adversarial losses against hand-computed values, the objective registry and compatibility checks."""
import math

import pytest
import torch

from gankit.errors import GankitError
from gankit.objectives import (EnergyOutput, began_discriminator_loss, began_generator_loss, check_compatible,
                               clip_parameters_, discriminator_output_kind, ebgan_discriminator_loss,
                               ebgan_generator_loss, hinge_discriminator_loss, hinge_generator_loss,
                               lsgan_discriminator_loss, lsgan_generator_loss, minimax_generator_loss,
                               nonsaturating_discriminator_loss, nonsaturating_generator_loss, objectives_for,
                               reconstruction_energy,
                               wasserstein_discriminator_loss, wasserstein_generator_loss)
from gankit.registry import OBJECTIVES

REAL_LOGITS = torch.tensor([2.0, -1.0])
FAKE_LOGITS = torch.tensor([0.0, 3.0])
ALL_OBJECTIVES = ["began", "dragan", "ebgan", "hinge", "lsgan", "minimax", "nonsaturating", "wgan", "wgan-gp", "wgan-gp-drift"]


def softplus(value):
    return math.log1p(math.exp(value))


def sigmoid(value):
    return 1.0 / (1.0 + math.exp(-value))


def test_nonsaturating_pair_matches_cross_entropy_by_hand():
    # D: −mean(log σ(real)) − mean(log(1 − σ(fake)))
    #  = (softplus(−2) + softplus(1))/2 + (softplus(0) + softplus(3))/2 = 0.720095 + 1.870867
    expected_d = -(math.log(sigmoid(2)) + math.log(sigmoid(-1))) / 2 \
        - (math.log(1 - sigmoid(0)) + math.log(1 - sigmoid(3))) / 2
    assert expected_d == pytest.approx(2.590962, abs=1e-6)
    assert nonsaturating_discriminator_loss(REAL_LOGITS, FAKE_LOGITS).item() == pytest.approx(expected_d, abs=1e-6)
    # G: −mean(log σ(fake)) = (softplus(0) + softplus(−3))/2 = (0.693147 + 0.048587)/2 = 0.370867
    assert nonsaturating_generator_loss(FAKE_LOGITS).item() == pytest.approx(0.370867, abs=1e-6)


def test_minimax_generator_loss_is_the_saturating_log_one_minus_d():
    # mean(log(1 − σ(fake))) = (log 0.5 + log(1 − σ(3)))/2 = (−0.693147 − 3.048587)/2 = −1.870867
    expected = (math.log(1 - sigmoid(0)) + math.log(1 - sigmoid(3))) / 2
    assert expected == pytest.approx(-1.870867, abs=1e-6)
    assert minimax_generator_loss(FAKE_LOGITS).item() == pytest.approx(expected, abs=1e-6)
    # saturation: the gradient vanishes as D confidently rejects fakes (logit → −∞), unlike −log D(G(z))
    confident_fake = torch.tensor([-8.0], requires_grad=True)
    minimax_generator_loss(confident_fake).backward()
    assert abs(confident_fake.grad.item()) < 1e-3
    confident_fake.grad = None
    nonsaturating_generator_loss(confident_fake).backward()
    assert abs(confident_fake.grad.item()) > 0.99


def test_lsgan_losses_by_hand():
    # D: ½·mean((real − 1)²) + ½·mean(fake²) = ½·(1 + 4)/2 + ½·(0 + 9)/2 = 1.25 + 2.25 = 3.5
    assert lsgan_discriminator_loss(REAL_LOGITS, FAKE_LOGITS).item() == pytest.approx(3.5)
    # G: ½·mean((fake − 1)²) = ½·(1 + 4)/2 = 1.25
    assert lsgan_generator_loss(FAKE_LOGITS).item() == pytest.approx(1.25)


def test_wasserstein_losses_by_hand():
    # critic: mean(fake) − mean(real) = 1.5 − 0.5 = 1.0; generator: −mean(fake) = −1.5
    assert wasserstein_discriminator_loss(REAL_LOGITS, FAKE_LOGITS).item() == pytest.approx(1.0)
    assert wasserstein_generator_loss(FAKE_LOGITS).item() == pytest.approx(-1.5)


def test_hinge_losses_by_hand():
    # D: mean(relu(1 − real)) + mean(relu(1 + fake)) = (0 + 2)/2 + (1 + 4)/2 = 1.0 + 2.5 = 3.5
    assert hinge_discriminator_loss(REAL_LOGITS, FAKE_LOGITS).item() == pytest.approx(3.5)
    assert hinge_generator_loss(FAKE_LOGITS).item() == pytest.approx(-1.5)


def test_losses_accept_column_logits():
    column_real, column_fake = REAL_LOGITS[:, None], FAKE_LOGITS[:, None]
    assert hinge_discriminator_loss(column_real, column_fake).item() == pytest.approx(3.5)
    assert lsgan_generator_loss(column_fake).item() == pytest.approx(1.25)


REAL_ENERGY = torch.tensor([0.5, 1.5])
FAKE_ENERGY = torch.tensor([0.2, 3.0])


def test_ebgan_losses_by_hand():
    # D: mean(real) + mean(max(0, m − fake)) with m = 1: 1.0 + (0.8 + 0)/2 = 1.4
    assert ebgan_discriminator_loss(REAL_ENERGY, FAKE_ENERGY, margin=1.0).item() == pytest.approx(1.4)
    # G without PT: mean(fake) = 1.6
    assert ebgan_generator_loss(FAKE_ENERGY).item() == pytest.approx(1.6)
    # G with λ_PT = 0.1: orthogonal codes give PT = 0 → 1.6; parallel codes give PT = 1 → 1.7
    orthogonal = EnergyOutput(FAKE_ENERGY, torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    parallel = EnergyOutput(FAKE_ENERGY, torch.tensor([[1.0, 2.0], [2.0, 4.0]]))
    assert ebgan_generator_loss(orthogonal, pt_weight=0.1).item() == pytest.approx(1.6)
    assert ebgan_generator_loss(parallel, pt_weight=0.1).item() == pytest.approx(1.7)
    with pytest.raises(GankitError, match="encoder codes"):
        ebgan_generator_loss(FAKE_ENERGY, pt_weight=0.1)


def test_began_losses_by_hand():
    # D: L(x) − k·L(G(z)) = 1.0 − 0.25·1.6 = 0.6; G: L(G(z)) = 1.6
    real, fake = EnergyOutput(REAL_ENERGY), EnergyOutput(FAKE_ENERGY)
    assert began_discriminator_loss(real, fake, k=0.25).item() == pytest.approx(0.6)
    assert began_generator_loss(fake).item() == pytest.approx(1.6)


def test_clip_parameters_clamps_every_critic_parameter():
    critic = torch.nn.Linear(2, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[0.5, -0.002]]))
        critic.bias.fill_(-3.0)
    clip_parameters_(critic, 0.01)
    assert critic.weight.tolist() == [[pytest.approx(0.01), pytest.approx(-0.002)]]
    assert critic.bias.item() == pytest.approx(-0.01)


def test_registry_lists_every_objective_and_unknown_name_lists_them():
    assert OBJECTIVES.names() == ALL_OBJECTIVES
    with pytest.raises(GankitError) as error:
        OBJECTIVES.build("wgan-pg")
    message = str(error.value)
    assert "unknown objective 'wgan-pg'" in message and "\n" not in message
    for name in ALL_OBJECTIVES:
        assert name in message


class TinyCritic(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))

    def forward(self, samples):
        return self.net(samples)


@pytest.mark.parametrize("name", ALL_OBJECTIVES)
def test_every_objective_builds_with_paper_hparams_and_gives_finite_scalars(name):
    objective = OBJECTIVES.build(name)
    assert objective.name == name and objective.paper
    for key in ("optimizer", "lr_g", "lr_d", "betas", "n_critic", "clip"):
        assert key in objective.hparams
    rng = torch.Generator().manual_seed(0)
    real_samples, fake_samples = torch.randn(6, 2, generator=rng), torch.randn(6, 2, generator=rng)
    if objective.output == "energy":
        real = EnergyOutput(torch.rand(6, generator=rng), torch.randn(6, 3, generator=rng))
        fake = EnergyOutput(torch.rand(6, generator=rng), torch.randn(6, 3, generator=rng))
    else:
        real, fake = TinyCritic()(real_samples), TinyCritic()(fake_samples)
    extra = {"k": objective.hparams["k_init"]} if name == "began" else {}
    losses = [objective.discriminator_loss(real, fake, **extra), objective.generator_loss(fake, real)]
    if objective.penalty is not None:
        losses.append(objective.penalty(TinyCritic(), real_samples, fake_samples, rng))
    for loss in losses:
        assert loss.dim() == 0 and torch.isfinite(loss)


def test_paper_hyperparameters():
    wgan = OBJECTIVES.build("wgan").hparams
    assert (wgan["optimizer"], wgan["lr_d"], wgan["n_critic"], wgan["clip"]) == ("rmsprop", 5e-5, 5, 0.01)
    gp = OBJECTIVES.build("wgan-gp").hparams
    assert (gp["optimizer"], gp["lr_g"], gp["betas"], gp["n_critic"], gp["weight"]) == ("adam", 1e-4, (0.0, 0.9), 5, 10)
    began = OBJECTIVES.build("began").hparams
    assert (began["gamma"], began["lambda_k"], began["k_init"]) == (0.5, 1e-3, 0.0)
    assert OBJECTIVES.build("dragan").hparams["weight"] == 10
    assert OBJECTIVES.build("ebgan").hparams["pt_weight"] == 0.1


def test_overrides_change_hparams_and_the_weighted_penalty():
    linear_critic = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        linear_critic.weight.copy_(torch.tensor([[3.0, 4.0]]))   # ‖∇D‖ = 5 everywhere → GP = (5 − 1)² = 16
    real, fake = torch.randn(4, 2), torch.randn(4, 2)
    default = OBJECTIVES.build("wgan-gp")
    halved = OBJECTIVES.build("wgan-gp", weight=5.0, lr_d=4e-4)        # TTUR: lr_d ≠ lr_g
    assert default.penalty(linear_critic, real, fake).item() == pytest.approx(10 * 16, rel=1e-5)
    assert halved.penalty(linear_critic, real, fake).item() == pytest.approx(5 * 16, rel=1e-5)
    assert (halved.hparams["lr_g"], halved.hparams["lr_d"]) == (1e-4, 4e-4)
    ebgan = OBJECTIVES.build("ebgan", margin=2.0)
    # mean(real) + mean(max(0, 2 − fake)) = 1.0 + (1.8 + 0)/2 = 1.9
    assert ebgan.discriminator_loss(REAL_ENERGY, FAKE_ENERGY).item() == pytest.approx(1.9)
    with pytest.raises(GankitError, match="no hyperparameter 'lambda'.*valid:.*weight"):
        OBJECTIVES.build("wgan-gp", **{"lambda": 3})
    with pytest.raises(GankitError, match="n_critic"):
        OBJECTIVES.build("hinge", n_critic=0)


def test_check_compatible_names_what_fits():
    for name in ALL_OBJECTIVES:
        objective = OBJECTIVES.build(name)
        check_compatible(objective, objective.output)
    assert objectives_for("energy") == ["began", "ebgan"]
    with pytest.raises(GankitError) as error:
        check_compatible("ebgan", "logits")
    message = str(error.value)
    assert "autoencoder" in message and "hinge" in message and "wgan-gp" in message and "\n" not in message
    with pytest.raises(GankitError, match="'wgan' needs .*no final sigmoid.*'probability'"):
        check_compatible("wgan", "probability")
    with pytest.raises(GankitError, match="objectives for this discriminator: began, ebgan"):
        check_compatible("hinge", "energy")


def test_discriminator_modules_declare_their_output_kind():
    class SigmoidCritic(TinyCritic):
        output_kind = "probability"

    assert discriminator_output_kind(TinyCritic()) == "logits"
    assert discriminator_output_kind(SigmoidCritic()) == "probability"
    check_compatible("wgan-gp", TinyCritic())
    with pytest.raises(GankitError, match="sigmoid"):
        check_compatible("wgan-gp", SigmoidCritic())
    with pytest.raises(GankitError, match="unknown discriminator output_kind 'scores'"):
        discriminator_output_kind("scores")


class TinyAutoencoder(torch.nn.Module):
    """An autoencoder discriminator: energy = reconstruction error, embedding = the encoder's code."""
    output_kind = "energy"

    def __init__(self, norm):
        super().__init__()
        self.norm = norm
        self.encoder = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 4))
        self.decoder = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))

    def forward(self, samples):
        code = self.encoder(samples)
        return EnergyOutput(reconstruction_energy(samples, self.decoder(code), self.norm), code)


@pytest.mark.parametrize("name", ALL_OBJECTIVES)
def test_discriminator_training_on_each_objective_separates_real_from_fake(name):
    # behaviour, not arithmetic: 200 Adam steps on the discriminator loss (+ penalty) alone must rank
    # real samples (around (+1, +1)) above fixed fakes (around (−1, −1)): higher logit / lower energy.
    # (The gradient penalties first push the small initial ‖∇D‖ towards 1 in whatever direction, so the
    # ranking of wgan-gp/dragan only settles after ~100 steps.)
    torch.manual_seed(0)
    objective = OBJECTIVES.build(name)
    energy = objective.output == "energy"
    critic = TinyAutoencoder(objective.hparams["energy_norm"]) if energy else TinyCritic()
    check_compatible(objective, critic)
    rng = torch.Generator().manual_seed(1)
    real = 1.0 + 0.1 * torch.randn(32, 2, generator=rng)
    fake = -1.0 + 0.1 * torch.randn(32, 2, generator=rng)
    optimizer = torch.optim.Adam(critic.parameters(), lr=1e-2)
    extra = {"k": 0.5} if name == "began" else {}
    for _ in range(200):
        loss = objective.discriminator_loss(critic(real), critic(fake), **extra)
        if objective.penalty is not None:
            loss = loss + objective.penalty(critic, real, fake, rng)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        real_score, fake_score = critic(real), critic(fake)
    if energy:
        assert real_score.energy.mean() < fake_score.energy.mean()
    else:
        assert real_score.mean() > fake_score.mean() + 0.5


def test_wgan_gp_drift_adds_epsilon_mean_square_of_real_scores():
    """Karras et al. 2018, App. A.1: L_D = E[D(fake)] − E[D(real)] + 0.001·E[D(real)²] (+ λ·GP)."""
    objective = OBJECTIVES.build("wgan-gp-drift")
    # (0 + 3)/2 − (2 − 1)/2 + 0.001·(4 + 1)/2 = 1.5 − 0.5 + 0.0025
    assert objective.discriminator_loss(REAL_LOGITS, FAKE_LOGITS).item() == pytest.approx(1.0025)
    assert objective.generator_loss(FAKE_LOGITS).item() == pytest.approx(-1.5)
    assert objective.hparams["betas"] == (0.0, 0.99) and objective.hparams["lr_d"] == 1e-3
    assert OBJECTIVES.build("wgan-gp-drift", drift=0.0).discriminator_loss(REAL_LOGITS, FAKE_LOGITS).item() == 1.0
