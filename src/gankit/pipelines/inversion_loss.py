"""The inversion objective and the reconstruction scores (PSNR, MSE, perceptual distance).

Image2StyleGAN (Abdal et al. 2019, Eq. 1): w* = argmin_w L_percept(G(w), I) + λ_mse/N ‖G(w) − I‖²₂, N the number of
scalars of the image, λ_mse = 1 and λ_j = 1 in L_percept (Eq. 2, :mod:`gankit.pipelines.perceptual`).
Image2StyleGAN++ (Abdal et al. 2020, Sec. 3, Eq. 1) adds masks: the pixel term ‖M_m ⊙ (G(w) − x)‖²/N (still
divided by all N scalars), a second image y compared where the mask is 0, ‖(1 − M_m) ⊙ (G(w) − y)‖²/N, and the
perceptual term on masked images, L_percept(M_p ⊙ G(w), M_p ⊙ x). gankit uses one binary mask M for both
(M_m = M_p = M: 1 where the image is compared, 0 where the generator fills in) and, for a crossover, the same
two terms for y with 1 − M, so the loss is the sum of the masked losses of x (mask M) and y (mask 1 − M); its
pixel term equals the unmasked pixel term against the composite M ⊙ x + (1 − M) ⊙ y. The style loss of
Image2StyleGAN++ (scribble edits) is not implemented. Here λ_mse = 1 on images in [−1, 1]; λ_percept (1 in the
papers) is an option.
"""
from __future__ import annotations

import math
from typing import Optional

import torch

from ..imaging import to_uint8
from .perceptual import PerceptualLoss


class InversionLoss:
    """``loss(images)`` → (N,) per-image losses, for targets ``image`` (x), ``mask`` (M, (N or 1, 1, H, W) in
    {0, 1}, None: all ones) and ``crossover`` (y, compared where M = 0; needs a mask)."""

    def __init__(self, image: torch.Tensor, mask: Optional[torch.Tensor] = None,
                 crossover: Optional[torch.Tensor] = None, perceptual: Optional[PerceptualLoss] = None,
                 perceptual_weight: float = 1.0):
        self.parts = [(image, mask)]
        if crossover is not None:
            self.parts.append((crossover, 1 - mask))
        self.perceptual = perceptual if perceptual_weight else None
        self.weight = perceptual_weight
        if self.perceptual is not None:
            with torch.no_grad():
                self.target_features = self.perceptual.features(torch.cat([masked(x, m) for x, m in self.parts]))

    def pixel(self, images: torch.Tensor) -> torch.Tensor:
        """Σ over the parts of (1/N)‖M ⊙ (G − x)‖²: (num images,)."""
        return sum((masked(images - target, mask)).pow(2).flatten(1).mean(1) for target, mask in self.parts)

    def perceptual_term(self, images: torch.Tensor) -> torch.Tensor:
        """Σ over the parts of L_percept(M ⊙ G, M ⊙ x): (num images,); one network pass for all parts."""
        features = self.perceptual.features(torch.cat([masked(images, mask) for _, mask in self.parts]))
        per_part = self.perceptual.distance(features, self.target_features)
        return per_part.view(len(self.parts), images.shape[0]).sum(0)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        loss = self.pixel(images)
        if self.perceptual is not None:
            loss = loss + self.weight * self.perceptual_term(images)
        return loss

    def reference(self) -> torch.Tensor:
        """What the result is scored against: x, or for a crossover the composite M ⊙ x + (1 − M) ⊙ y."""
        (image, mask), *rest = self.parts
        return image if not rest else masked(image, mask) + masked(rest[0][0], rest[0][1])


def masked(images: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
    return images if mask is None else images * mask


def psnr(images: torch.Tensor, reference: torch.Tensor, region: Optional[torch.Tensor] = None) -> list:
    """Per-image PSNR in dB on the uint8 pixels a PNG holds ([0, 255], peak 255: both quantised as
    round((x + 1)·127.5)) over ``region`` (a {0, 1} mask, None: every pixel); None for an empty region,
    inf for identical pixels."""
    a = torch.from_numpy(to_uint8(images)).double()
    b = torch.from_numpy(to_uint8(reference)).double()
    weight = torch.ones_like(a[..., :1]) if region is None else \
        region.detach().double().cpu().permute(0, 2, 3, 1).expand_as(a[..., :1])
    squared = ((a - b) ** 2 * weight).flatten(1).sum(1)
    counted = (weight.flatten(1).sum(1) * a.shape[-1])
    values = []
    for error, count in zip(squared.tolist(), counted.tolist()):
        values.append(None if count == 0 else math.inf if error == 0 else 10 * math.log10(255 ** 2 * count / error))
    return values


def scores(images: torch.Tensor, loss: InversionLoss, mask: Optional[torch.Tensor]) -> list[dict]:
    """Per-image scores of the clamped reconstructions ``images`` against :meth:`InversionLoss.reference`:
    ``psnr_db`` (all pixels), ``mse`` (on [−1, 1], all pixels), ``perceptual`` (the unmasked Eq. 2 distance,
    when a perceptual network is in use) and, with a mask, ``psnr_mask`` (where M = 1) and ``psnr_outside``
    (M = 0: the filled-in or crossover part)."""
    reference = loss.reference()
    with torch.no_grad():
        mse = (images - reference).pow(2).flatten(1).mean(1).tolist()
        perceptual = None if loss.perceptual is None else loss.perceptual.distance(
            loss.perceptual.features(images), loss.perceptual.features(reference)).tolist()
    found = [{"psnr_db": value, "mse": error} for value, error in zip(psnr(images, reference), mse)]
    if mask is not None:
        mask = mask.expand(images.shape[0], -1, -1, -1)
        for scored, inside, outside in zip(found, psnr(images, reference, mask), psnr(images, reference, 1 - mask)):
            scored.update(psnr_mask=inside, psnr_outside=outside)
    for index, scored in enumerate(found):
        if perceptual is not None:
            scored["perceptual"] = perceptual[index]
    return found
