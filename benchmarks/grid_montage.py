"""Put the last sample grid of several runs side by side, each labelled, in one PNG for docs/benchmarks.md.

    python benchmarks/grid_montage.py runs/zoo/dcgan-seed0 runs/zoo/sngan-seed0 --out docs/images/zoo.png

Each run's grid is its ``samples/step-*.png`` with the highest step (what the trainer wrote at its last step), or
the PNG given directly; the label under it is the run folder's name unless ``--labels`` gives one per input.
Grids are scaled (nearest neighbour, whole factors) to the tallest one's height so that pixels stay visible,
and all by ``--scale K``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image, ImageDraw

GAP, LABEL = 8, 16          # pixels between grids; height of the label strip


def last_grid(source: Path) -> Path:
    """The PNG itself, or the run's sample grid with the highest step number."""
    if source.suffix.lower() == ".png":
        return source
    grids = sorted((source / "samples").glob("step-*.png"), key=lambda p: int(p.stem.split("-")[1]))
    if not grids:
        raise SystemExit(f"{source}: no samples/step-*.png; give a run folder that wrote sample grids, or a PNG")
    return grids[-1]


def montage(paths: list[Path], labels: list[str], scale: int = 1) -> Image.Image:
    images = [Image.open(path).convert("RGB") for path in paths]
    images = [image.resize((image.width * scale, image.height * scale), Image.NEAREST) for image in images]
    height = max(image.height for image in images)
    scaled = []
    for image in images:
        factor = max(1, height // image.height)
        scaled.append(image.resize((image.width * factor, image.height * factor), Image.NEAREST))
    width = sum(image.width for image in scaled) + GAP * (len(scaled) - 1)
    canvas = Image.new("RGB", (width, max(image.height for image in scaled) + LABEL), "white")
    draw, left = ImageDraw.Draw(canvas), 0
    for image, label in zip(scaled, labels):
        canvas.paste(image, (left, 0))
        draw.text((left + 2, image.height + 2), label, fill="black")
        left += image.width + GAP
    return canvas


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", type=Path, help="run folders (their last grid) or PNG files")
    parser.add_argument("--labels", nargs="+", default=None, help="one label per source (default: folder names)")
    parser.add_argument("--out", type=Path, required=True, help="the PNG to write")
    parser.add_argument("--scale", type=int, default=1, help="enlarge every grid by this whole factor (nearest)")
    args = parser.parse_args(argv)
    if args.labels is not None and len(args.labels) != len(args.sources):
        parser.error(f"--labels gives {len(args.labels)} labels for {len(args.sources)} sources; give one per source")
    paths = [last_grid(source) for source in args.sources]
    labels = args.labels or [source.stem if source.suffix else source.name for source in args.sources]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.scale < 1:
        parser.error(f"--scale must be a whole number >= 1, got {args.scale}")
    montage(paths, labels, args.scale).save(args.out)
    print(f"wrote {args.out} from {', '.join(str(p) for p in paths)}", file=sys.stderr)


if __name__ == "__main__":
    main()
