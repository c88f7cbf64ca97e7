"""Regularizers built on image transformations: consistency regularization (CR) and SS-GAN rotations.

Both need image batches (N, C, H, W); rotation also needs square images. All randomness comes from
the given ``rng`` (a ``torch.Generator``) so a seeded run is reproducible.
"""
from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn.functional as F

from .. import draws
from ..errors import GankitError
from .penalties import discriminator_scores, uniform_like


def _require_images(samples: torch.Tensor, what: str) -> None:
    if samples.dim() != 4:
        raise GankitError(f"{what} needs image samples shaped (N, C, H, W), got shape {tuple(samples.shape)}; "
                          f"use it with an image dataset")


def _random_integers(low: int, high: int, count: int, rng: Optional[torch.Generator], device):
    return draws.randint(high + 1 - low, (count,), rng, device) + low


def flip_and_translate(images: torch.Tensor, rng: Optional[torch.Generator] = None,
                       max_shift_fraction: float = 0.125) -> torch.Tensor:
    """CR's stated augmentation T (Zhang et al. 2020, Sec. 3: "flipping horizontally and shifting by a few pixels").

    Per image, independently: a horizontal flip with probability ½, then a translation by integer
    (dy, dx) each uniform in [−s, s] with s = ⌊size·max_shift_fraction⌋ (4 px at 32×32, 3 px at 28×28),
    the uncovered border filled by reflection padding. Output shape = input shape.
    """
    _require_images(images, "the flip-and-translate augmentation")
    count, _, height, width = images.shape
    flip = uniform_like(images, (count, 1, 1, 1), rng) < 0.5
    flipped = torch.where(flip, images.flip(3), images)
    shift_y = min(int(height * max_shift_fraction), height - 1)
    shift_x = min(int(width * max_shift_fraction), width - 1)
    if shift_y == 0 and shift_x == 0:
        return flipped
    padded = F.pad(flipped, (shift_x, shift_x, shift_y, shift_y), mode="reflect")
    offset_y = _random_integers(-shift_y, shift_y, count, rng, images.device)
    offset_x = _random_integers(-shift_x, shift_x, count, rng, images.device)
    rows = torch.arange(height, device=images.device)[None, :] + shift_y + offset_y[:, None]   # (N, H)
    cols = torch.arange(width, device=images.device)[None, :] + shift_x + offset_x[:, None]    # (N, W)
    batch = torch.arange(count, device=images.device)[:, None, None]
    shifted = padded[batch, :, rows[:, :, None], cols[:, None, :]]                             # (N, H, W, C)
    return shifted.permute(0, 3, 1, 2).contiguous()


def consistency_penalty(discriminator, real_samples: torch.Tensor, rng: Optional[torch.Generator] = None,
                        augment: Callable = flip_and_translate):
    """Zhang et al. 2020 (CR-GAN), Alg. 1: E_x[‖D(x) − D(T(x))‖²] on real samples, without its λ."""
    real = real_samples.detach()
    scores = discriminator_scores(discriminator(real))
    augmented_scores = discriminator_scores(discriminator(augment(real, rng)))
    return (scores - augmented_scores).pow(2).mean()


def quarter_turns(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """All four rotations of every image, by 0°, 90°, 180°, 270°: (4N, C, H, W) and labels (4N,) in 0..3."""
    _require_images(images, "the rotation loss")
    if images.shape[2] != images.shape[3]:
        raise GankitError(f"the rotation loss needs square images, got {images.shape[2]}x{images.shape[3]}")
    rotated = torch.cat([torch.rot90(images, turns, dims=(2, 3)) for turns in range(4)])
    labels = torch.arange(4, device=images.device).repeat_interleave(images.shape[0])
    return rotated, labels


def rotation_loss(rotation_logits: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor):
    """Chen et al. 2019 (SS-GAN), Eq. 2: −E_x E_r[log Q_D(R = r | x^r)] over r ∈ {0°, 90°, 180°, 270°}.

    ``rotation_logits``: maps (M, C, H, W) images to (M, 4) logits (the discriminator's rotation head).
    """
    rotated, labels = quarter_turns(images)
    return F.cross_entropy(rotation_logits(rotated), labels)
