"""``shapes-seg``: procedural label maps of random shapes and their rendered images, to prove
semantic-image-synthesis models (SPADE) offline.

Each sample is a label map (uint8 class ids, ``segmap``) and an RGB image (uint8, ``image``) rendered from
it. The classes are the background and five shape kinds, each painted with its own colour and texture:

====  ==========  ================  ====================================================================
 id   class       base colour       texture (a brightness factor over the shape)
====  ==========  ================  ====================================================================
 0    background  (96, 96, 104)     none (jitter, lighting and noise only)
 1    circle      (215, 55, 45)     radial shading, bright centre → 0.8 at the rim
 2    rectangle   (50, 175, 65)     stripes along its own axis, ×(1 ± 0.2), period S/8
 3    triangle    (55, 85, 215)     checkerboard ×(1 ± 0.18), cells of S/10
 4    band        (230, 200, 40)    a straight band across the image, waves along it ×(1 ± 0.12)
 5    ellipse     (45, 195, 200)    speckle ×(1 + 0.12·N(0, 1)) per pixel
====  ==========  ================  ====================================================================

Random variation: 2–5 shapes per image of random kinds, positions, sizes and angles (a later shape covers
an earlier one); each shape's colour is jittered by up to ±18 per channel; the whole image gets a linear
lighting gradient (brightness ×(1 ± up to 0.15) across it, random direction) and pixel noise (σ = 5).
So the image → map relation is learnable (colours differ by 100+ levels) but not a lookup.

Samples come from a seed (train 0, test 1, or ``seed``): the same seed gives the same arrays on every
machine (numpy's PCG64). Default sizes: 10,000 train and 1,000 test samples (``num_samples``), 64 px
(``image_size`` 32–64). :data:`CLASS_COLOURS` are the rendering's base colours, from which
``gankit.metrics.layout`` recovers a map from an image (nearest colour per pixel).
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import GankitError
from ..registry import register_dataset
from .base import MemoryData
from .images import check_channels

CLASS_NAMES = ("background", "circle", "rectangle", "triangle", "band", "ellipse")
CLASS_COLOURS = np.array([(96, 96, 104), (215, 55, 45), (50, 175, 65), (55, 85, 215), (230, 200, 40),
                          (45, 195, 200)], dtype=np.float64)
NUM_CLASSES = len(CLASS_NAMES)
SIZES = (32, 64)                       # smallest and largest image_size
DEFAULT_SIZE = 64
DEFAULT_COUNTS = {"train": 10_000, "test": 1_000}
SPLIT_SEEDS = {"train": 0, "test": 1}
SHAPES_PER_IMAGE = (2, 5)
COLOUR_JITTER = 18.0
LIGHTING = 0.15
PIXEL_NOISE = 5.0


CHUNK = 250                           # samples drawn together; sample i depends on (seed, i) only


class Canvas:
    """A chunk of S×S label maps and images being painted: pixel-centre coordinates in [0, 1); per pixel
    the class, the shape that covers it (its slot: 0 the background, then one per shape) and its texture's
    brightness; per shape its jittered colour."""

    def __init__(self, num: int, size: int, rng: np.random.Generator):
        self.num, self.size, self.rng = num, size, rng
        centres = ((np.arange(size) + 0.5) / size).astype(np.float32)
        self.y, self.x = (grid[None] for grid in np.meshgrid(centres, centres, indexing="ij"))
        self.segmap = np.zeros((num, size, size), np.uint8)
        self.owner = np.zeros((num, size, size), np.uint8)
        self.brightness = np.ones((num, size, size), np.float32)
        self.colours = np.zeros((num, SHAPES_PER_IMAGE[1] + 1, 3), np.float32)
        self.colours[:, 0] = self.jittered(0, num)

    def jittered(self, class_id: int, count: int) -> np.ndarray:
        return CLASS_COLOURS[class_id] + self.rng.uniform(-COLOUR_JITTER, COLOUR_JITTER, (count, 3))

    def uniform(self, low, high, count):
        """``count`` draws (float32), shaped (count, 1, 1) to broadcast against the pixel grid."""
        return self.rng.uniform(low, high, count).astype(np.float32)[:, None, None]

    def rotated(self, count, cx, cy):
        """(u, v): coordinates relative to (cx, cy) along frames rotated by random angles, one per shape."""
        angle = self.uniform(0, math.pi, count)
        dx, dy = self.x - cx, self.y - cy
        return np.cos(angle) * dx + np.sin(angle) * dy, -np.sin(angle) * dx + np.cos(angle) * dy

    def paint(self, which: np.ndarray, slot: int, class_id: int, mask: np.ndarray, brightness) -> None:
        """Shape ``slot`` of class ``class_id`` on images ``which`` where ``mask``: a jittered colour times
        the texture's ``brightness``."""
        self.colours[which, slot] = self.jittered(class_id, len(which))
        self.segmap[which] = np.where(mask, np.uint8(class_id), self.segmap[which])
        self.owner[which] = np.where(mask, np.uint8(slot), self.owner[which])
        self.brightness[which] = np.where(mask, np.broadcast_to(brightness, mask.shape), self.brightness[which])

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        """(images uint8 (N, 3, S, S), label maps uint8 (N, S, S)) after lighting and noise."""
        angle = self.uniform(0, 2 * math.pi, self.num)
        ramp = (self.x - 0.5) * np.cos(angle) + (self.y - 0.5) * np.sin(angle)
        light = self.brightness * (1 + self.uniform(-LIGHTING, LIGHTING, self.num) * 2 * ramp)
        owners = (np.arange(self.num, dtype=np.int32) * self.colours.shape[1])[:, None, None] + self.owner
        image = np.take(self.colours.reshape(-1, 3), owners, axis=0) * light[..., None]
        image += self.rng.standard_normal(image.shape, dtype=np.float32) * np.float32(PIXEL_NOISE)
        np.clip(np.rint(image, out=image), 0, 255, out=image)
        return image.astype(np.uint8).transpose(0, 3, 1, 2), self.segmap


def circle(canvas: Canvas, which: np.ndarray, slot: int) -> None:
    n = len(which)
    cx, cy, radius = canvas.uniform(0.15, 0.85, n), canvas.uniform(0.15, 0.85, n), canvas.uniform(0.08, 0.22, n)
    distance = np.hypot(canvas.x - cx, canvas.y - cy) / radius
    canvas.paint(which, slot, 1, distance <= 1, 1.1 - 0.3 * distance)


def rectangle(canvas: Canvas, which: np.ndarray, slot: int) -> None:
    n = len(which)
    u, v = canvas.rotated(n, canvas.uniform(0.15, 0.85, n), canvas.uniform(0.15, 0.85, n))
    half_u, half_v = canvas.uniform(0.08, 0.25, n), canvas.uniform(0.08, 0.25, n)
    stripes = np.sign(np.sin(2 * math.pi * 8 * v + canvas.uniform(0, 2 * math.pi, n)))
    canvas.paint(which, slot, 2, (np.abs(u) <= half_u) & (np.abs(v) <= half_v), 1 + 0.2 * stripes)


def triangle(canvas: Canvas, which: np.ndarray, slot: int) -> None:
    n = len(which)
    cx, cy, radius = canvas.uniform(0.2, 0.8, n), canvas.uniform(0.2, 0.8, n), canvas.uniform(0.12, 0.28, n)
    angles = canvas.uniform(0, 2 * math.pi, n) + np.arange(3) * 2 * math.pi / 3 + canvas.uniform(-0.3, 0.3, n)
    corner_x, corner_y = cx + radius * np.cos(angles), cy + radius * np.sin(angles)      # (n, 1, 3)
    sides = []
    for a, b in ((0, 1), (1, 2), (2, 0)):
        ax, ay, bx, by = corner_x[..., a:a + 1], corner_y[..., a:a + 1], corner_x[..., b:b + 1], corner_y[..., b:b + 1]
        sides.append((bx - ax) * (canvas.y - ay) - (by - ay) * (canvas.x - ax))
    inside = np.all([side >= 0 for side in sides], axis=0) | np.all([side <= 0 for side in sides], axis=0)
    cells = np.floor(canvas.x * 10) + np.floor(canvas.y * 10)
    canvas.paint(which, slot, 3, inside, 1 + 0.18 * (2 * (cells % 2) - 1))


def band(canvas: Canvas, which: np.ndarray, slot: int) -> None:
    n = len(which)
    along, across = canvas.rotated(n, canvas.uniform(0.2, 0.8, n), canvas.uniform(0.2, 0.8, n))
    waves = np.sin(2 * math.pi * 6 * along + canvas.uniform(0, 2 * math.pi, n))
    canvas.paint(which, slot, 4, np.abs(across) <= canvas.uniform(0.04, 0.08, n), 1 + 0.12 * waves)


def ellipse(canvas: Canvas, which: np.ndarray, slot: int) -> None:
    n = len(which)
    u, v = canvas.rotated(n, canvas.uniform(0.15, 0.85, n), canvas.uniform(0.15, 0.85, n))
    axis_u, axis_v = canvas.uniform(0.06, 0.2, n), canvas.uniform(0.06, 0.2, n)
    speckle = 1 + 0.12 * canvas.rng.standard_normal(u.shape)
    canvas.paint(which, slot, 5, (u / axis_u) ** 2 + (v / axis_v) ** 2 <= 1, speckle)


SHAPES = (circle, rectangle, triangle, band, ellipse)      # class ids 1..5


def render(num: int, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``num`` samples drawn from ``rng``: (images uint8 (N, 3, S, S), label maps uint8 (N, S, S)). Shape
    slot k of every image is painted before slot k + 1, so a later shape covers an earlier one."""
    canvas = Canvas(num, size, rng)
    counts = rng.integers(SHAPES_PER_IMAGE[0], SHAPES_PER_IMAGE[1] + 1, num)
    kinds = rng.integers(len(SHAPES), size=(SHAPES_PER_IMAGE[1], num))
    for slot, slot_kinds in enumerate(kinds):
        for kind, shape in enumerate(SHAPES):
            which = np.flatnonzero((slot_kinds == kind) & (slot < counts))
            if len(which):
                shape(canvas, which, slot + 1)
    return canvas.finish()


def generate(num: int, size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``num`` samples from ``seed``: images uint8 (N, 3, S, S) and label maps uint8 (N, S, S). Chunk c of
    ``CHUNK`` samples has its own generator, seeded by (seed, c), so the first n samples do not depend on
    ``num``."""
    images, segmaps = [], []
    for chunk in range(math.ceil(num / CHUNK)):
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, chunk])))
        chunk_images, chunk_maps = render(CHUNK, size, rng)
        images.append(chunk_images)
        segmaps.append(chunk_maps)
    return torch.from_numpy(np.concatenate(images)[:num]), torch.from_numpy(np.concatenate(segmaps)[:num])


def check_options(split, image_size, num_samples) -> tuple[int, int]:
    if split not in SPLIT_SEEDS:
        raise GankitError(f"dataset 'shapes-seg' has splits 'train' and 'test', not '{split}'")
    size = DEFAULT_SIZE if image_size is None else image_size
    if not isinstance(size, int) or not SIZES[0] <= size <= SIZES[1]:
        raise GankitError(f"shapes-seg renders images of {SIZES[0]} to {SIZES[1]} px; image_size {image_size!r} "
                          f"is not one of them (default {DEFAULT_SIZE})")
    count = DEFAULT_COUNTS[split] if num_samples is None else num_samples
    if not isinstance(count, int) or count < 1:
        raise GankitError(f"num_samples for 'shapes-seg' must be a positive integer, got {num_samples!r}")
    return size, count


@register_dataset("shapes-seg", kind="image", segmap_classes=NUM_CLASSES, sample_shape=(3, DEFAULT_SIZE, DEFAULT_SIZE),
                  help="procedural label maps of random shapes (6 classes) and their textured renderings, "
                       "image + segmap, 10k train / 1k test, 32-64 px (default 64), seeded")
def shapes_seg(*, split="train", image_size=None, channels=None, num_samples=None, seed=None, **ignored):
    """Images uint8 (N, 3, S, S) with label maps uint8 (N, S, S); see the module docstring."""
    check_channels(channels, "shapes-seg", allowed=(3,))
    size, count = check_options(split, image_size, num_samples)
    images, segmaps = generate(count, size, SPLIT_SEEDS[split] if seed is None else int(seed))
    return MemoryData("shapes-seg", {"image": images, "segmap": segmaps}, segmap_classes=NUM_CLASSES,
                      source=f"procedural shapes, {split} split, seed {SPLIT_SEEDS[split] if seed is None else seed}")
