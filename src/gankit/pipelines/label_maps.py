"""Generating from label maps: a label-map model (capability ``"label-map"``, recipes/spade.py) turns each
given map into an image.

- :func:`read_label_maps`: the single-channel PNGs of class ids in a folder (the format of
  ``paired-folder:IMAGES,MAPS``'s maps, data/paired_folder.py), sorted by path. A map of another size than
  the model's is **resized** like training maps are (shorter side to the model's size, nearest-neighbour,
  centre crop; data/stream.py ``fit_segmap``) with one warning; a map with a class id the model does not
  know is refused in one line.
- :func:`generate_from_maps`: images for maps (N, S, S) through the sampling pipeline (the map is the
  model's latent; noise, for a generator that takes it, is drawn from ``rng``).
- :func:`colour_maps`, :func:`maps_grid`: the maps in the PASCAL VOC colour map (class 0 black; the bits of
  the id spread over R, G, B from the most significant bit down) and a grid of map | generated pairs.

Without given maps, ``SamplingPipeline(gan)(n)`` draws maps from the run's own training data (the first
256, kept with the weights); a model with none attached refuses in one line naming ``--maps``.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from ..data.image_folder import find_images
from ..data.stream import fit_segmap, open_segmap
from ..errors import GankitError
from ..imaging import image_grid
from ..recipes.base import GAN, model_name
from .sampling import SamplingPipeline

PAIRS_PER_ROW = 4
SHOWN_FILES = 3


def check_label_map_model(gan: GAN) -> None:
    if "label-map" not in gan.capabilities:
        raise GankitError(f"--maps needs a model that turns label maps into images (spade); "
                          f"'{model_name(gan, type(gan).__name__)}' generates from noise")


def read_label_maps(folder, gan: GAN) -> tuple[torch.Tensor, list[Path]]:
    """(maps uint8 (N, S, S) at the model's size, their files) from the PNGs under ``folder``."""
    check_label_map_model(gan)
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise GankitError(f"--maps {folder} is not a folder; give a folder of label-map PNGs (class ids)")
    files = [path for path in find_images(folder) if path.suffix.lower() == ".png"]
    if not files:
        raise GankitError(f"--maps {folder} holds no .png label maps; write each map as a single-channel PNG of "
                          "class ids (as paired-folder's maps)")
    size, maps, resized = gan.map_size, [], []
    for path in files:
        segmap = open_segmap(path)
        if segmap.size != (size, size):
            resized.append(f"{path.name} {segmap.size[0]}x{segmap.size[1]}")
        maps.append(fit_segmap(segmap, size, path))
    if resized:
        warnings.warn(f"{len(resized)} of {len(files)} label maps are not {size}x{size} ({', '.join(resized[:SHOWN_FILES])}"
                      f"{', ...' if len(resized) > SHOWN_FILES else ''}); resized as training maps are (shorter side "
                      f"to {size}, nearest, centre crop)", stacklevel=2)
    maps = torch.from_numpy(np.stack(maps))
    check_map_classes(gan, maps, files)
    return maps, files


def check_map_classes(gan: GAN, maps: torch.Tensor, files: Optional[list] = None) -> None:
    """A one-line error for a class id the model does not know (naming the first such map)."""
    classes = gan.segmap_classes
    top = maps.reshape(maps.shape[0], -1).max(dim=1).values
    bad = (top >= classes).nonzero().flatten()
    if len(bad):
        first = int(bad[0])
        where = f"label map {files[first]}" if files is not None else f"label map {first}"
        raise GankitError(f"{where} has class id {int(top[first])}, but the model knows {classes} classes "
                          f"(0..{classes - 1}); give maps of the model's classes")


def generate_from_maps(gan: GAN, maps, *, rng: Optional[torch.Generator] = None, ema: bool = True, context=None,
                       batch_size: int = 256) -> torch.Tensor:
    """One image per label map (N, S, S) of class ids: (N, C, S, S) in [−1, 1] on the CPU."""
    check_label_map_model(gan)
    maps = torch.as_tensor(maps)
    size = gan.map_size
    if maps.dim() != 3 or tuple(maps.shape[1:]) != (size, size) or maps.is_floating_point() or maps.is_complex():
        raise GankitError(f"label maps must be integer class ids of shape (N, {size}, {size}); got {tuple(maps.shape)} "
                          f"of {maps.dtype} (read_label_maps resizes maps from files)")
    if maps.numel() and int(maps.min()) < 0:
        raise GankitError(f"label maps hold class ids 0..{gan.segmap_classes - 1}; got {int(maps.min())}")
    check_map_classes(gan, maps)
    pipeline = SamplingPipeline(gan, ema=ema, context=context)
    return pipeline(maps.shape[0], latent=gan.map_latent(maps, rng), rng=rng, batch_size=batch_size)


def voc_palette(num_classes: int) -> torch.Tensor:
    """(num_classes, 3) uint8: the PASCAL VOC colour map (bit j of the id, read in threes, sets bit 7 − j/3)."""
    palette = np.zeros((num_classes, 3), np.uint8)
    for class_id in range(num_classes):
        value, colour = class_id, [0, 0, 0]
        for shift in range(7, -1, -1):
            for channel in range(3):
                colour[channel] |= ((value >> channel) & 1) << shift
            value >>= 3
        palette[class_id] = colour
    return torch.from_numpy(palette)


def colour_maps(maps: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Label maps (N, S, S) as RGB images in [−1, 1] (N, 3, S, S) in the VOC colour map."""
    colours = voc_palette(max(num_classes, int(maps.max()) + 1 if maps.numel() else 1))
    return colours[maps.long()].permute(0, 3, 1, 2).float() / 127.5 - 1


def maps_grid(gan: GAN, maps: torch.Tensor, images: torch.Tensor):
    """A PIL grid of (coloured map | generated image) pairs, ``PAIRS_PER_ROW`` pairs a row."""
    coloured = colour_maps(maps, gan.segmap_classes)
    if images.shape[1] == 1:
        images = images.repeat(1, 3, 1, 1)
    pairs = torch.stack([coloured, images.float()], dim=1).flatten(0, 1)
    return image_grid(pairs, columns=2 * min(PAIRS_PER_ROW, len(maps)))
