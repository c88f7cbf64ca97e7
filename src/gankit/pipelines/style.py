"""Style mixing grids (Karras et al. 2019, "A Style-Based Generator Architecture for GANs", Sec. 3.1, Fig. 3).

Layout, as Fig. 3: the top row holds the images of the *column* sources (source A), the left column those of
the *row* sources (source B); the top-left cell is blank (white). Cell (row i, column j) is synthesised from
the ws of column source A_j with the ws of the chosen layers replaced by row source B_i's: **each row takes the
chosen styles (by default the coarse ones, 4²–8²) from its latent, each column the rest (middle and fine
styles) from its latent**. Fig. 3's three blocks are ``layers="coarse"``, ``"middle"`` and ``"fine"``.

``layers`` (``--mix-layers``) names the ws the rows give: a band of Fig. 3 by resolution — ``coarse`` 4²–8²,
``middle`` 16²–32², ``fine`` 64² and up — or ``A-B`` (ws A to B inclusive, the official ``--col-styles`` form
of NVlabs/stylegan2 run_generator.py, e.g. ``0-3``), or ``K`` (a crossover index: ws 0..K−1 from the rows, as in
style-mixing regularisation). ws are two per resolution from 4 px (:func:`wspace.ws_resolution`), so a 32 px
model has 8 ws and no fine band. Latents: columns + rows draws from ``rng``, columns first; truncation ψ in W.
"""
from __future__ import annotations

from typing import Optional

import torch

from ..errors import GankitError
from ..recipes.base import GAN
from .sampling import SamplingPipeline, check_truncation
from .wspace import map_to_ws, render_ws, require_w_space, ws_resolution

BANDS = {"coarse": (4, 8), "middle": (16, 32), "fine": (64, None)}     # resolutions of Fig. 3's styles
DEFAULT_LAYERS = "coarse"


def mixing_layers(spec, num_ws: int) -> slice:
    """The ws the rows give, as a slice of range(num_ws), from a band name, ``A-B`` or ``K``; a one-line
    error when it is not one of those, or when it leaves no ws to one side."""
    text = str(spec).strip()
    size = ws_resolution(num_ws - 1)
    if text in BANDS:
        low, high = BANDS[text]
        chosen = [i for i in range(num_ws) if ws_resolution(i) >= low and (high is None or ws_resolution(i) <= high)]
        start, stop = (chosen[0], chosen[-1] + 1) if chosen else (0, 0)
    elif text.isdigit():
        start, stop = 0, int(text)
    elif text.count("-") == 1 and all(part.strip().isdigit() for part in text.split("-")):
        first, last = (int(part) for part in text.split("-"))
        start, stop = first, last + 1
    else:
        raise GankitError(f"mixing layers must be coarse, middle, fine, a crossover index K or a range A-B of ws "
                          f"(0..{num_ws - 1}); got {spec!r}")
    if not (0 <= start < stop <= num_ws) or stop - start == num_ws:
        given = "no ws" if stop <= start else f"ws {start}..{stop - 1}"
        raise GankitError(f"mixing layers '{text}' give {given} of this model's 0..{num_ws - 1} (4 to {size} px): "
                          f"choose a non-empty part that leaves some ws to the columns, e.g. 0-{max(num_ws // 2 - 1, 0)}")
    return slice(start, stop)


def style_mixing_grid(gan: GAN, rows: int = 5, columns: int = 6, layers=DEFAULT_LAYERS, *, truncation: float = 1.0,
                      rng: Optional[torch.Generator] = None, ema: bool = True,
                      batch_size: int = 64) -> tuple[torch.Tensor, int]:
    """(images ((rows + 1)·(columns + 1), C, H, W) row-major, columns + 1): the grid described above."""
    require_w_space(gan, "style mixing (--mix)")
    check_truncation(gan, truncation)
    if min(rows, columns) < 1:
        raise GankitError(f"a style mixing grid needs at least 1 row and 1 column, got {rows}x{columns}")
    band = mixing_layers(layers, gan.generator.num_ws)
    pipeline = SamplingPipeline(gan, ema=ema)
    count = columns + rows
    latent = pipeline.latents(count, rng)
    labels = torch.arange(count) % gan.num_classes if gan.conditional else None
    with pipeline.network() as net:
        ws = pipeline.batched(lambda z, y: map_to_ws(gan, net, z, y, truncation), count, batch_size, latent, labels)
        sources_a, sources_b = ws[:columns], ws[columns:]
        mixed = sources_a.unsqueeze(0).repeat(rows, 1, 1, 1)           # (rows, columns, num_ws, w_dim)
        mixed[:, :, band] = sources_b[:, None, band]
        every = torch.cat([sources_a, sources_b, mixed.flatten(0, 1)])
        images = pipeline.batched(lambda w: render_ws(net, w), len(every), batch_size, every)
    images_a, images_b = images[:columns], images[columns:count]
    cells = images[count:].view(rows, columns, *images.shape[1:])
    blank = torch.ones_like(images[:1])
    grid = [torch.cat([blank, images_a])]
    grid += [torch.cat([images_b[i:i + 1], cells[i]]) for i in range(rows)]
    return torch.cat(grid), columns + 1
