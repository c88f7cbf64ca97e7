"""Latent interpolation, and the pairs of nearby images that perceptual path length measures.

Both walk between two latents drawn from the model's Gaussian latent: for style-based models (``"w-space"``)
linearly between their ws (lerp in W), otherwise spherically between the zs (:func:`latents.slerp`), as
Karras et al. 2019 (Sec. 4.2) interpolate in W and Z. InfoGAN's code traversals are ``traverse`` (traversal.py).
"""
from __future__ import annotations

from typing import Optional

import torch

from ..errors import GankitError
from ..recipes.base import GAN
from .latents import slerp
from .sampling import SamplingPipeline, check_truncation, model_name
from .wspace import has_w_space, map_to_ws, render_ws

SPACES = ("w", "z")
SAMPLINGS = ("end", "full")


def require_gaussian_latent(gan: GAN, what: str) -> None:
    if "gaussian-latent" not in gan.capabilities:
        raise GankitError(f"{what} needs a model with a Gaussian latent; '{model_name(gan)}' has other latent "
                          "codes (InfoGAN's: use --traverse)")


def interpolate(gan: GAN, rows: int = 6, steps: int = 8, *, truncation: float = 1.0, class_id: Optional[int] = None,
                rng: Optional[torch.Generator] = None, ema: bool = True,
                batch_size: int = 64) -> tuple[torch.Tensor, int]:
    """(images (rows·steps, C, H, W) row-major, steps): each row walks in ``steps`` equal steps from one latent
    to another (both ends included), in W by lerp for style-based models, else by slerp in Z; truncation ψ
    acts on the ends (in W for style-based models). Conditional models: one class per row (``class_id``: all)."""
    require_gaussian_latent(gan, "interpolation (--interpolate)")
    check_truncation(gan, truncation)
    if rows < 1 or steps < 2:
        raise GankitError(f"an interpolation needs at least 1 row of at least 2 steps, got {rows} rows of {steps}")
    pipeline = SamplingPipeline(gan, ema=ema)
    ends = pipeline.latents(2 * rows, rng)
    row_labels = None
    if gan.conditional:
        row_labels = torch.full((rows,), int(class_id)) if class_id is not None else torch.arange(rows) % gan.num_classes
    fractions = torch.linspace(0, 1, steps)
    if not has_w_space(gan):
        ends = pipeline.truncated(ends, truncation, rng)
        path = slerp(ends[:rows, None], ends[rows:, None], fractions.view(1, -1, 1)).flatten(0, 1)
        labels = None if row_labels is None else row_labels.repeat_interleave(steps)
        return pipeline(len(path), labels, latent=path, batch_size=batch_size), steps
    end_labels = None if row_labels is None else torch.cat([row_labels, row_labels])
    with pipeline.network() as net:
        ws = pipeline.batched(lambda z, y: map_to_ws(gan, net, z, y, truncation), 2 * rows, batch_size, ends, end_labels)
        path = torch.lerp(ws[:rows, None], ws[rows:, None], fractions.view(1, -1, 1, 1)).flatten(0, 1)
        return pipeline.batched(lambda w: render_ws(net, w), len(path), batch_size, path), steps


class PathPairs:
    """The image pairs of perceptual path length (Karras et al. 2019, Sec. 4.2, Eq. 2 and 3): for pair i,
    images at t_i and t_i + ε on the path between two latents, lerp in W (``space="w"``, style-based models)
    or slerp in Z (``"z"``); t = 0 (``sampling="end"``, the path's end point) or t ~ U(0, 1) (``"full"``).
    ``pairs(start, stop)`` → (images at t, images at t + ε) on the model's device, raw generator outputs
    (not clamped), as NVlabs/stylegan2 metrics/perceptual_path_length.py measures them.

    Every draw is made up front, per pair: latents (in :meth:`SamplingPipeline.latents`' fixed blocks), t, the
    class of conditional models, and for style-based models a seed per pair for its noise maps, shared by the
    two images of the pair (the reference uses one noise draw for both ends) — so the pairs do not depend on
    how they are batched. Style-based models are run mapping → synthesis; others through the recipe's
    ``synthesize`` (at ``context``)."""

    def __init__(self, gan: GAN, num: int, *, space: str, sampling: str, epsilon: float,
                 rng: Optional[torch.Generator] = None, context=None, ema: bool = True):
        if space not in SPACES or sampling not in SAMPLINGS:
            raise GankitError(f"path length space must be one of {', '.join(SPACES)} and sampling one of "
                              f"{', '.join(SAMPLINGS)}; got {space!r}, {sampling!r}")
        require_gaussian_latent(gan, "perceptual path length")
        if space == "w" and not has_w_space(gan):
            raise GankitError(f"path length in W needs a style-based model with a W space; '{model_name(gan)}' has "
                              "none: measure it in Z (space=z)")
        self.gan, self.space, self.epsilon, self.context = gan, space, float(epsilon), context
        self.pipeline = SamplingPipeline(gan, ema=ema)
        latents = self.pipeline.latents(2 * num, rng).cpu()
        self.starts, self.ends = latents[:num], latents[num:]
        self.t = torch.rand(num, generator=rng) * (1.0 if sampling == "full" else 0.0)
        self.labels = torch.randint(gan.num_classes, (num,), generator=rng) if gan.conditional else None
        self.noise_seeds = torch.randint(2 ** 62, (num,), generator=rng) if has_w_space(gan) else None

    def __len__(self) -> int:
        return len(self.t)

    def noises(self, net, start: int, stop: int, device) -> list[torch.Tensor]:
        """One draw of every noise map per pair, from the pair's seed, stacked for both ends: (2B, 1, H, W)."""
        per_pair = []
        for seed in self.noise_seeds[start:stop].tolist():
            generator = torch.Generator().manual_seed(seed)
            per_pair.append([torch.randn(shape[1:], generator=generator) for shape in net.noise_shapes])
        maps = [torch.stack(layer) for layer in zip(*per_pair)]
        return [torch.cat([layer, layer]).to(device) for layer in maps]

    def __call__(self, start: int, stop: int) -> tuple[torch.Tensor, torch.Tensor]:
        gan, device = self.gan, self.gan.device()
        t = self.t[start:stop].view(-1, 1).to(device)
        z0, z1 = self.starts[start:stop].to(device), self.ends[start:stop].to(device)
        labels = None if self.labels is None else self.labels[start:stop].to(device)
        both_labels = None if labels is None else torch.cat([labels, labels])
        with self.pipeline.network() as net, torch.no_grad():
            if self.space == "w":
                w0, w1 = map_to_ws(gan, net, z0, labels), map_to_ws(gan, net, z1, labels)
                t = t.unsqueeze(-1)
                ws = torch.cat([torch.lerp(w0, w1, t), torch.lerp(w0, w1, t + self.epsilon)])
            else:
                latent = torch.cat([slerp(z0, z1, t), slerp(z0, z1, t + self.epsilon)])
                if not has_w_space(gan):
                    images = gan.synthesize(net, latent, both_labels, self.context)
                    return images[:len(t)], images[len(t):]
                ws = map_to_ws(gan, net, latent, both_labels)
            images = render_ws(net, ws, noises=self.noises(net, start, stop, device), clamp=False)
        return images[:len(t)], images[len(t):]
