"""Latent-space arithmetic shared by the pipelines: truncation, BigGAN's resampling, spherical interpolation."""
from __future__ import annotations

from typing import Optional

import torch


def truncate(latent: torch.Tensor, psi: float, mean: Optional[torch.Tensor] = None) -> torch.Tensor:
    """The truncation trick in the form of Karras et al. 2019 (StyleGAN, Eq. in Sec. 3.1 / App. B):
    z̄ + ψ(z − z̄), pulling each latent toward the mean z̄ (0 for a standard Gaussian latent). ψ = 1 leaves
    the latent as it is; ψ → 0 trades variety for typical samples, ψ > 1 the reverse. (BigGAN's variant,
    :func:`resample_beyond`, is for models declaring ``truncation = "resample"``.)"""
    mean = torch.zeros_like(latent[:1]) if mean is None else mean.to(latent)
    return mean + psi * (latent - mean)


def resample_beyond(latent: torch.Tensor, psi: float, redraw) -> torch.Tensor:
    """BigGAN's truncation trick (Brock et al. 2019, Sec. 3.1): every entry with |z| > ψ is drawn again
    (``redraw(n)`` → n fresh N(0, 1) values, from the sampling generator) until all lie in [−ψ, ψ]."""
    latent = latent.clone()
    outside = latent.abs() > psi
    while outside.any():
        latent[outside] = redraw(int(outside.sum())).to(latent)
        outside = latent.abs() > psi
    return latent


def slerp(start: torch.Tensor, end: torch.Tensor, t) -> torch.Tensor:
    """Spherical interpolation between latents (Shoemake 1985; for GAN latents White 2016, "Sampling
    Generative Networks"): the *directions* of ``start`` and ``end`` move along their great circle by the
    fraction ``t`` of the angle between them, as StyleGAN's path-length code does for Z (Karras et al. 2019,
    Sec. 4.2; NVlabs/stylegan2 metrics/perceptual_path_length.py ``slerp``), and the *length* moves linearly
    from |start| to |end|. For a generator that normalises z first (StyleGAN's mapping network) this is the
    reference's slerp; other generators get latents of a typical length rather than unit vectors.
    ``t``: a number or a tensor broadcasting against (N, 1)."""
    start_norm = start.norm(dim=-1, keepdim=True)
    end_norm = end.norm(dim=-1, keepdim=True)
    a, b = start / start_norm, end / end_norm
    cosine = (a * b).sum(dim=-1, keepdim=True).clamp(-1, 1)
    angle = torch.as_tensor(t, dtype=start.dtype, device=start.device) * torch.acos(cosine)
    orthogonal = b - cosine * a                            # the part of b perpendicular to a
    orthogonal = orthogonal / orthogonal.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    direction = a * torch.cos(angle) + orthogonal * torch.sin(angle)
    return direction * torch.lerp(start_norm, end_norm, torch.as_tensor(t, dtype=start.dtype, device=start.device))
