"""Gradient penalties (WGAN-GP, DRAGAN, R1, R2) and orthogonal regularization against closed-form values."""
import pytest
import torch

from gankit.objectives import (EnergyOutput, dragan_penalty, dragan_perturb, gradient_penalty, interpolate,
                               orthogonal_regularization, r1_penalty, r2_penalty)


class LinearCritic(torch.nn.Module):
    """D(x) = Σ w·x over all non-batch dims: ∇D = w for every sample, so ‖∇D‖ = ‖w‖."""

    def __init__(self, weight):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.as_tensor(weight, dtype=torch.float32))

    def forward(self, samples):
        return (samples * self.weight).flatten(1).sum(dim=1, keepdim=True)


class QuadraticCritic(torch.nn.Module):
    """D(x) = ½·Σ x² over all non-batch dims: ∇D(x) = x, so ‖∇D(x)‖ = ‖x‖ differs per sample."""

    def forward(self, samples):
        return 0.5 * samples.pow(2).flatten(1).sum(dim=1)


def test_gradient_penalty_on_a_linear_critic_is_constant():
    # ‖w‖ = ‖(3, 4)‖ = 5 at every interpolate → (5 − 1)² = 16
    rng = torch.Generator().manual_seed(1)
    real, fake = torch.randn(5, 2, generator=rng), torch.randn(5, 2, generator=rng)
    penalty = gradient_penalty(LinearCritic([3.0, 4.0]), real, fake, rng)
    assert penalty.item() == pytest.approx(16.0, rel=1e-6)


def test_gradient_penalty_norm_is_per_sample():
    # real = fake, so every interpolate is the sample itself: norms ‖(3, 4)‖ = 5 and ‖(0, 0.5)‖ = 0.5
    # → mean((5 − 1)², (0.5 − 1)²) = (16 + 0.25)/2 = 8.125 (a batch-wide norm would give (√25.25 − 1)² ≈ 16.2)
    samples = torch.tensor([[3.0, 4.0], [0.0, 0.5]])
    assert gradient_penalty(QuadraticCritic(), samples, samples.clone()).item() == pytest.approx(8.125)


def test_gradient_penalty_norm_spans_all_non_batch_dims_of_images():
    # (N, C, H, W) = (2, 1, 2, 2): sample 0 all ones → ‖x‖ = √4 = 2; sample 1 = [[3, 0], [0, 4]] → ‖x‖ = 5
    # → mean((2 − 1)², (5 − 1)²) = (1 + 16)/2 = 8.5
    images = torch.tensor([[[[1.0, 1.0], [1.0, 1.0]]], [[[3.0, 0.0], [0.0, 4.0]]]])
    assert gradient_penalty(QuadraticCritic(), images, images.clone()).item() == pytest.approx(8.5)
    # three channels, linear critic with w of norm √(12·2²) = √48 at every pixel/channel: (√48 − 1)²
    critic = LinearCritic(torch.full((3, 2, 2), 2.0))
    real, fake = torch.randn(4, 3, 2, 2), torch.randn(4, 3, 2, 2)
    assert gradient_penalty(critic, real, fake).item() == pytest.approx((48 ** 0.5 - 1) ** 2, rel=1e-5)


def test_interpolates_use_one_uniform_weight_per_sample():
    real = torch.tensor([[2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
    fake = torch.zeros(3, 2)
    mixed = interpolate(real, fake, torch.Generator().manual_seed(7))
    epsilon = torch.rand(3, 1, generator=torch.Generator().manual_seed(7))   # the draw the function makes
    assert torch.allclose(mixed, epsilon * real)
    assert ((epsilon > 0) & (epsilon < 1)).all()
    # with the quadratic critic ‖∇D(x̂_i)‖ = ε_i·‖real_i‖
    expected = ((epsilon.squeeze(1) * real.norm(dim=1) - 1) ** 2).mean()
    penalty = gradient_penalty(QuadraticCritic(), real, fake, torch.Generator().manual_seed(7))
    assert penalty.item() == pytest.approx(expected.item(), rel=1e-6)


def test_gradient_penalty_is_reproducible_and_trains_the_critic():
    critic = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[3.0, 4.0]]))
    real, fake = torch.randn(4, 2), torch.randn(4, 2)
    penalty = gradient_penalty(critic, real, fake, torch.Generator().manual_seed(0))
    penalty.backward()
    # d/dw (‖w‖ − 1)² = 2(‖w‖ − 1)·w/‖w‖ = 2·4·(3, 4)/5 = (4.8, 6.4)
    assert critic.weight.grad.tolist()[0] == [pytest.approx(4.8, rel=1e-5), pytest.approx(6.4, rel=1e-5)]
    nonlinear = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    first = gradient_penalty(nonlinear, real, fake, torch.Generator().manual_seed(3))
    second = gradient_penalty(nonlinear, real, fake, torch.Generator().manual_seed(3))
    assert first.item() == second.item()


def test_dragan_perturbs_real_samples_as_the_reference_code():
    real = torch.tensor([[0.0, 2.0], [4.0, 6.0]])        # population std: mean 3, var (9+1+1+9)/4 = 5 → √5
    perturbed = dragan_perturb(real, torch.Generator().manual_seed(5))
    draws = torch.Generator().manual_seed(5)
    noise, alpha = torch.rand(2, 2, generator=draws), torch.rand(2, 1, generator=draws)
    expected = real + alpha * (0.5 * 5 ** 0.5 * noise)
    assert torch.allclose(perturbed, expected)
    # the step x̂ − x is non-negative and below 0.5·std elementwise
    step = perturbed - real
    assert (step >= 0).all() and (step < 0.5 * 5 ** 0.5).all()


def test_dragan_penalty_closed_forms():
    real = torch.randn(6, 2)
    assert dragan_penalty(LinearCritic([3.0, 4.0]), real).item() == pytest.approx(16.0, rel=1e-6)
    # quadratic critic: ‖∇D(x̂)‖ = ‖x̂‖ with x̂ from the same seeded draws
    samples = torch.tensor([[3.0, 4.0], [0.0, 0.5]])
    points = dragan_perturb(samples, torch.Generator().manual_seed(2))
    expected = ((points.norm(dim=1) - 1) ** 2).mean()
    penalty = dragan_penalty(QuadraticCritic(), samples, None, torch.Generator().manual_seed(2))
    assert penalty.item() == pytest.approx(expected.item(), rel=1e-6)


def test_r1_and_r2_are_mean_squared_gradient_norms():
    # quadratic critic on (3, 4) and (0, 0.5): E‖∇D‖² = (25 + 0.25)/2 = 12.625
    samples = torch.tensor([[3.0, 4.0], [0.0, 0.5]])
    assert r1_penalty(QuadraticCritic(), samples).item() == pytest.approx(12.625)
    assert r2_penalty(QuadraticCritic(), samples).item() == pytest.approx(12.625)
    # linear critic: ‖w‖² = 25 on any sample; images: w = 2 everywhere on (1, 2, 2) → 4·4 = 16
    assert r1_penalty(LinearCritic([3.0, 4.0]), torch.randn(3, 2)).item() == pytest.approx(25.0)
    assert r1_penalty(LinearCritic(torch.full((1, 2, 2), 2.0)), torch.randn(3, 1, 2, 2)).item() == pytest.approx(16.0)


def test_penalties_accept_energy_discriminators():
    class QuadraticEnergy(torch.nn.Module):
        output_kind = "energy"

        def forward(self, samples):
            return EnergyOutput(0.5 * samples.pow(2).flatten(1).sum(dim=1), samples)

    samples = torch.tensor([[3.0, 4.0], [0.0, 0.5]])
    assert r1_penalty(QuadraticEnergy(), samples).item() == pytest.approx(12.625)


def test_orthogonal_regularization_sums_off_diagonal_filter_correlations():
    network = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Conv2d(1, 2, kernel_size=(1, 2)))
    with torch.no_grad():
        # linear W = [[1, 0], [1, 1]]: W Wᵀ = [[1, 1], [1, 2]] → off-diagonal ‖·‖² = 1 + 1 = 2
        network[0].weight.copy_(torch.tensor([[1.0, 0.0], [1.0, 1.0]]))
        network[0].bias.fill_(100.0)                      # 1-D: not regularized
        # conv filters (1, 2) and (3, 4): Gram = [[5, 11], [11, 25]] → 11² + 11² = 242
        network[1].weight.copy_(torch.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(2, 1, 1, 2))
    assert orthogonal_regularization(network).item() == pytest.approx(244.0)
    assert orthogonal_regularization(network, exclude=[network[1].weight]).item() == pytest.approx(2.0)
    orthogonal = torch.nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        orthogonal.weight.copy_(torch.tensor([[1.0, 1.0], [1.0, -1.0]]))   # rows orthogonal, norms √2
    assert orthogonal_regularization(orthogonal).item() == pytest.approx(0.0)
