"""Autoencoder helpers (EBGAN/BEGAN), CR and rotation losses, and the registered regularizers."""
import math
import re

import pytest
import torch
import torch.nn.functional as F

from gankit.errors import GankitError
from gankit.objectives import (began_update, build_regularizer, check_regularizer, consistency_penalty,
                               flip_and_translate, pulling_away_term, quarter_turns, reconstruction_energy,
                               rotation_loss)
from gankit.registry import REGULARIZERS


def test_pulling_away_term_by_hand():
    # two orthogonal codes: cos = 0 → 0; two equal codes: (1² + 1²)/(2·1) = 1
    assert pulling_away_term(torch.tensor([[1.0, 0.0], [0.0, 3.0]])).item() == pytest.approx(0.0)
    assert pulling_away_term(torch.tensor([[2.0, 1.0], [2.0, 1.0]])).item() == pytest.approx(1.0)
    # (1, 0), (0, 1), (1, 1): cos² = 0, ½, ½ per unordered pair → 2·(0 + ½ + ½)/(3·2) = 1/3
    assert pulling_away_term(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])).item() == pytest.approx(1 / 3)
    # codes of any shape are flattened per sample
    assert pulling_away_term(torch.ones(2, 2, 3)).item() == pytest.approx(1.0)
    with pytest.raises(GankitError, match="at least 2"):
        pulling_away_term(torch.ones(1, 4))


def test_reconstruction_energy_by_hand():
    samples = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    reconstructions = torch.tensor([[0.0, 0.0], [1.0, -1.0]])
    # l2: ((1 + 4)/2, (1 + 1)/2) = (2.5, 1.0); l1: ((1 + 2)/2, (1 + 1)/2) = (1.5, 1.0)
    assert reconstruction_energy(samples, reconstructions, "l2").tolist() == [2.5, 1.0]
    assert reconstruction_energy(samples, reconstructions, "l1").tolist() == [1.5, 1.0]
    with pytest.raises(GankitError, match="'l1' or 'l2'"):
        reconstruction_energy(samples, reconstructions, "l3")


def test_began_update_arithmetic():
    # L(x) = mean(0.5, 1.5) = 1.0, L(G(z)) = 1.6, γ = 0.5, λ_k = 0.1:
    # γL(x) − L(G(z)) = 0.5 − 1.6 = −1.1 → k = 0.25 − 0.11 = 0.14; M = 1.0 + |−1.1| = 2.1
    new_k, convergence = began_update(0.25, torch.tensor([0.5, 1.5]), torch.tensor(1.6), gamma=0.5, lambda_k=0.1)
    assert new_k == pytest.approx(0.14) and convergence == pytest.approx(2.1)
    # clipped below at 0: 0.05 − 0.11 < 0
    assert began_update(0.05, 1.0, 1.6, gamma=0.5, lambda_k=0.1)[0] == 0.0
    # clipped above at 1: 0.5 + 1·(0.5·4 − 0) = 2.5 → 1; M = 4 + 2 = 6
    assert began_update(0.5, 4.0, 0.0, gamma=0.5, lambda_k=1.0) == (1.0, pytest.approx(6.0))
    # balanced (γL(x) = L(G(z))): k unchanged and M = L(x)
    assert began_update(0.3, 2.0, 1.0, gamma=0.5, lambda_k=0.1) == (pytest.approx(0.3), pytest.approx(2.0))


def candidate_transforms(image, shift):
    """Every flip × (dy, dx) translation of one (C, H, W) image, built with explicit reflection padding."""
    results = []
    for flipped in (image, image.flip(2)):
        padded = F.pad(flipped[None], (shift, shift, shift, shift), mode="reflect")[0]
        height, width = image.shape[1:]
        for dy in range(-shift, shift + 1):
            for dx in range(-shift, shift + 1):
                window = padded[:, shift + dy:shift + dy + height, shift + dx:shift + dx + width]
                results.append(((flipped is not image), dy, dx, window))
    return results


def test_flip_and_translate_gives_a_flip_and_a_reflect_padded_shift_of_each_image():
    # 16×16 images with all-distinct pixel values: shift s = 16/8 = 2, so 2 × 5 × 5 = 50 candidates per image
    images = torch.arange(40 * 16 * 16, dtype=torch.float32).reshape(40, 1, 16, 16)
    augmented = flip_and_translate(images, torch.Generator().manual_seed(0))
    assert augmented.shape == images.shape
    seen = set()
    for image, result in zip(images, augmented):
        matches = [(flip, dy, dx) for flip, dy, dx, window in candidate_transforms(image, 2)
                   if torch.equal(window, result)]
        assert len(matches) == 1
        seen.add(matches[0])
    assert {flip for flip, _, _ in seen} == {False, True}
    assert {dy for _, dy, _ in seen} == {-2, -1, 0, 1, 2} and {dx for _, _, dx in seen} == {-2, -1, 0, 1, 2}
    again = flip_and_translate(images, torch.Generator().manual_seed(0))
    assert torch.equal(again, augmented)


def test_flip_and_translate_needs_images():
    with pytest.raises(GankitError, match=r"\(N, C, H, W\)"):
        flip_and_translate(torch.randn(4, 2))


def test_consistency_penalty_by_hand():
    # D reads the top-left pixel; T = horizontal flip. Image [[1, 2], [3, 4]] → D(x) = 1, D(T(x)) = 2;
    # image [[5, 5], [0, 0]] → 5 and 5. Mean squared difference: ((1 − 2)² + 0)/2 = 0.5
    images = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]], [[[5.0, 5.0], [0.0, 0.0]]]])

    def top_left(samples):
        return samples[:, 0, 0, 0]

    penalty = consistency_penalty(top_left, images, augment=lambda samples, generator: samples.flip(3))
    assert penalty.item() == pytest.approx(0.5)
    # a critic invariant to the default augmentation (it sees the global mean of a constant image) gives 0
    constant = torch.full((3, 1, 16, 16), 0.7)
    assert consistency_penalty(lambda s: s.mean(dim=(1, 2, 3)), constant, torch.Generator()).item() == 0.0


def test_quarter_turns_rotate_counter_clockwise_with_labels():
    image = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    rotated, labels = quarter_turns(image.repeat(2, 1, 1, 1))
    assert labels.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    # 90° counter-clockwise: [[1, 2], [3, 4]] → [[2, 4], [1, 3]]; 180° → [[4, 3], [2, 1]]
    assert rotated[2, 0].tolist() == [[2.0, 4.0], [1.0, 3.0]]
    assert rotated[4, 0].tolist() == [[4.0, 3.0], [2.0, 1.0]]
    with pytest.raises(GankitError, match="square"):
        quarter_turns(torch.zeros(1, 1, 2, 3))


def hot_corner_images(count):
    images = torch.zeros(count, 1, 3, 3)
    images[:, 0, 0, 0] = 1.0
    return images


def perfect_rotation_head(images):
    """Reads where the top-left hot pixel went: 0° (0, 0), 90° CCW (2, 0), 180° (2, 2), 270° (0, 2)."""
    corners = torch.stack([images[:, 0, 0, 0], images[:, 0, 2, 0], images[:, 0, 2, 2], images[:, 0, 0, 2]], dim=1)
    return 50.0 * corners


def test_rotation_loss_by_hand():
    images = hot_corner_images(3)
    # uniform logits over 4 rotations: cross-entropy = log 4
    assert rotation_loss(lambda x: torch.zeros(x.shape[0], 4), images).item() == pytest.approx(math.log(4))
    # a head that reads the rotation: cross-entropy = log(1 + 3e^−50) ≈ 0
    assert rotation_loss(perfect_rotation_head, images).item() == pytest.approx(0.0, abs=1e-12)


class Critic(torch.nn.Module):
    def __init__(self, with_rotation_head=True):
        super().__init__()
        self.score = torch.nn.Linear(9, 1, bias=False)
        with torch.no_grad():
            self.score.weight.fill_(1.0)             # D(x) = Σ pixels → ‖∇D‖² = 9 everywhere
        if with_rotation_head:
            self.rotation_logits = lambda images: torch.zeros(images.shape[0], 4)

    def forward(self, images):
        return self.score(images.flatten(1))


def test_registered_regularizers_and_their_weighted_terms():
    assert REGULARIZERS.names() == ["cr", "ortho", "r1", "r2", "rotation"]
    critic, images = Critic(), torch.randn(4, 1, 3, 3)
    r1 = REGULARIZERS.build("r1")                                 # γ = 10 → weight γ/2 = 5
    assert r1.applies_to == "discriminator" and r1.weight == 5.0 and r1.paper
    assert r1.weighted("discriminator", critic, images, images).item() == pytest.approx(5 * 9)
    assert r1.applies("discriminator") and not r1.applies("generator") and r1.interval == 1
    # lazy: the recipe runs it every 4th step and multiplies weighted() by interval (StyleGAN2 Sec. 3.1);
    # weighted() itself is weight 1 · ‖∇D‖² = 9, without the ×4
    lazy = build_regularizer("r1", gamma=2.0, lazy_interval=4)
    assert lazy.interval == 4 and lazy.weight == 1.0
    assert lazy.weighted("discriminator", critic, images, None).item() == pytest.approx(1.0 * 9)
    r2 = build_regularizer("r2", gamma=4.0)
    assert r2.weighted("discriminator", critic, None, images).item() == pytest.approx(2 * 9)
    with pytest.raises(ValueError, match="role must be one of"):
        r2.applies("critic")


def test_rotation_regularizer_weights_each_player():
    rotation, critic = REGULARIZERS.build("rotation"), Critic()
    images = hot_corner_images(2)
    # zero head → log 4 per role; β = 1 on D (real images), α = 0.2 on G (fake images)
    assert rotation.applies("discriminator") and rotation.applies("generator")
    assert rotation.weighted("discriminator", critic, images, None).item() == pytest.approx(math.log(4))
    assert rotation.weighted("generator", critic, None, images).item() == pytest.approx(0.2 * math.log(4))
    with pytest.raises(GankitError, match="rotation head"):
        rotation.weighted("discriminator", Critic(with_rotation_head=False), images, None)


def test_cr_and_ortho_regularizers():
    cr = REGULARIZERS.build("cr")
    constant = torch.full((2, 1, 3, 3), 0.5)                      # any flip/shift of a constant image is itself
    assert cr.weight == 10.0 and cr.weighted("discriminator", Critic(), constant, None).item() == 0.0
    generator_net = torch.nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        generator_net.weight.copy_(torch.tensor([[1.0, 0.0], [1.0, 1.0]]))  # off-diagonal Gram ‖·‖² = 2
    ortho = REGULARIZERS.build("ortho")
    assert ortho.applies_to == "generator" and ortho.applies("generator") and not ortho.applies("discriminator")
    term = ortho.weighted("generator", Critic(), None, None, None, generator_net=generator_net)
    assert term.item() == pytest.approx(1e-4 * 2)
    with pytest.raises(GankitError, match="generator_net"):
        ortho.weighted("generator", Critic(), None, None)
    both = build_regularizer("ortho", applies_to="both", weight=1.0)
    # Critic's only ≥2-D weight is a 1×9 row: a single filter has no off-diagonal Gram entries → 0
    assert both.applies("discriminator") and both.weighted("discriminator", Critic(), None, None).item() == 0.0


def test_regularizer_user_errors_are_one_line():
    with pytest.raises(GankitError, match="no option 'lazy'; valid: gamma, lazy_interval, weight"):
        build_regularizer("r1", lazy=4)
    with pytest.raises(GankitError, match="unknown regularizer 'r3'; valid regularizers: cr, ortho, r1, r2"):
        build_regularizer("r3")
    with pytest.raises(GankitError, match="lazy_interval must be >= 1"):
        build_regularizer("r2", lazy_interval=0)
    with pytest.raises(GankitError, match="applies_to"):
        build_regularizer("ortho", applies_to="critic")
    check_regularizer(REGULARIZERS.build("r1"), Critic(), (2,))
    check_regularizer(REGULARIZERS.build("rotation"), Critic(), (1, 3, 3))
    with pytest.raises(GankitError, match="'cr' transforms images.*r1, r2, ortho"):
        check_regularizer(REGULARIZERS.build("cr"), Critic(), (2,))
    with pytest.raises(GankitError, match="rotation head"):
        check_regularizer(REGULARIZERS.build("rotation"), Critic(with_rotation_head=False), (1, 3, 3))


def test_weighted_takes_the_recipes_positional_arguments():
    """Recipes call ``weighted(role, discriminator, real_samples, fake_samples, rng, generator_net=...)``
    positionally; ``rng`` (a torch.Generator) reaches the term's random draws."""
    critic, images = Critic(), torch.randn(3, 1, 3, 3)
    generator_net = torch.nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        generator_net.weight.copy_(torch.tensor([[1.0, 0.0], [1.0, 1.0]]))   # off-diagonal Gram ‖·‖² = 2
    lazy_r1 = build_regularizer("r1", lazy_interval=8)
    # weight γ/2 = 5 times ‖∇D‖² = 9, with no ×8: the recipe owns the lazy schedule and factor
    rng = torch.Generator().manual_seed(0)
    assert lazy_r1.weighted("discriminator", critic, images, None, rng, generator_net=generator_net).item() == \
        pytest.approx(45.0)
    ortho = REGULARIZERS.build("ortho")
    assert ortho.weighted("generator", critic, None, images, rng, generator_net=generator_net).item() == \
        pytest.approx(2e-4)
    cr = REGULARIZERS.build("cr")
    first, second = (cr.weighted("discriminator", critic, images, None, torch.Generator().manual_seed(seed))
                     for seed in (1, 1))
    assert torch.equal(first, second)


@pytest.mark.parametrize("spec,message", [
    ("r1:gamma", "regularizer spec 'r1:gamma': 'gamma' is not KEY=VALUE"),          # was dropped: default γ
    ("r1:10", "'10' is not KEY=VALUE"),
    ("r1:lazy_interval=2.5", "lazy_interval is a number of steps, an integer; got 2.5"),   # was truncated to 2
    ("r1:gamma=abc", "regularizer 'r1' cannot use options {'gamma': 'abc'}"),       # blamed model_args
    ("r1:gamma=nan", "must be a finite number >= 0, got nan"),
    ("r1:gamma=-5", "must be a finite number >= 0"),
])
def test_regularizer_specs_that_cannot_mean_anything_are_refused(spec, message):
    import gankit
    with pytest.raises(GankitError, match=re.escape(message)):
        gankit.create("mlp-gan", regularizers=spec)
