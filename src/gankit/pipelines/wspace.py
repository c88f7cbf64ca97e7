"""The W space of style-based generators (StyleGAN, Karras et al. 2019; StyleGAN2, Karras et al. 2020).

A GAN declaring the capability ``"w-space"`` has a generator with ``mapping(z, labels) -> w`` (N, w_dim),
``synthesis(ws, noise_mode=..., noises=...)`` on ws (N, num_ws, w_dim) (one w per synthesis layer input, W+),
ints ``num_ws`` and ``w_dim``, ``noise_shapes`` (one (1, 1, H, W) per noise layer) and the buffer ``w_avg``
(the running mean of w); the GAN class names ``truncation_cutoff`` (ψ acts on the first that many ws; None:
all). The pipelines here only use those names (docs/ARCHITECTURE.md, "W space").

Images made from ws use the generator's fixed noise maps (``noise_mode="const"``) unless noise is given, as
the official figure scripts do (NVlabs/stylegan2 run_generator.py ``randomize_noise = False``; stylegan2-ada
generate.py ``--noise-mode const``): a grid then shows what the latents change, not fresh noise per cell.
"""
from __future__ import annotations

from typing import Optional

import torch

from ..errors import GankitError
from ..recipes.base import GAN, model_name
from .latents import truncate

W_SPACE = "w-space"
FIGURE_NOISE = "const"


def has_w_space(gan: GAN) -> bool:
    return W_SPACE in gan.capabilities


def require_w_space(gan: GAN, what: str) -> None:
    """A one-line error unless ``gan`` declares a W space; it names the registered models that have one."""
    if not has_w_space(gan):
        from .capable import models_with       # builds the registered models' tiny configs: only on this error
        raise GankitError(f"{what} needs a style-based model with a W space ({', '.join(models_with(W_SPACE)) or 'none registered'}); "
                          f"'{model_name(gan)}' has none")


def truncate_ws(ws: torch.Tensor, w_avg: torch.Tensor, psi: float, cutoff: Optional[int]) -> torch.Tensor:
    """The truncation trick in W (Karras et al. 2019, Sec. 3.1 and App. B): w' = w̄ + ψ(w − w̄) with w̄ the
    running mean of w, applied to the first ``cutoff`` ws of (N, num_ws, w_dim) (None: all of them; the
    paper's FFHQ figures truncate only the coarse layers, cutoff 8)."""
    if psi == 1:
        return ws
    ws = ws.clone()
    ws[:, :cutoff] = truncate(ws[:, :cutoff], psi, w_avg)
    return ws


def broadcast_ws(w: torch.Tensor, num_ws: int) -> torch.Tensor:
    """One w (N, w_dim) for every synthesis layer input: (N, num_ws, w_dim)."""
    return w.unsqueeze(1).repeat(1, num_ws, 1)


def map_to_ws(gan: GAN, net, z: torch.Tensor, labels: Optional[torch.Tensor], psi: float = 1.0) -> torch.Tensor:
    """z (N, latent_dim) → ws (N, num_ws, w_dim) through ``net``'s mapping, truncated by ψ in W."""
    ws = broadcast_ws(net.mapping(z, labels), net.num_ws)
    return truncate_ws(ws, net.w_avg, psi, gan.truncation_cutoff)


def render_ws(net, ws: torch.Tensor, noises=None, clamp: bool = True) -> torch.Tensor:
    """Images of ws (N, num_ws, w_dim): the given noise maps, else the fixed ones; clamped to [−1, 1] as the
    recipes' ``synthesize`` does (``clamp=False``: the raw synthesis output, as the PPL reference measures)."""
    images = net.synthesis(ws, noise_mode=FIGURE_NOISE, noises=noises)
    return images.clamp(-1, 1) if clamp else images


def ws_resolution(index: int) -> int:
    """The resolution of the synthesis layer fed by w number ``index``: two per resolution from 4 px (StyleGAN:
    Sec. 3's "two [styles] for each resolution 4²–1024²", num_ws = 2·log2(size) − 2; StyleGAN2's ws layout is the
    same, its toRGB sharing the next block's first w)."""
    return 4 * 2 ** (index // 2)
