"""Inversion on Fashion-MNIST 32 px: PSNR of W+ vs W vs Z (Image2StyleGAN) and centre inpainting (Image2StyleGAN++).

    OMP_NUM_THREADS=1 python benchmarks/bench_inversion.py --stylegan2 runs/sg2 --dcgan runs/dc32 --num 20 --steps 300

Inverts the first --num images of the Fashion-MNIST test split (held out from training), resized to the run's
32 px, in every space each run offers: a stylegan2 run in W+, W, Z and W+ then noise maps (--noise, as many noise
steps as --steps), a dcgan run in Z (the Z-space baseline). Then inpainting: a centre square (--hole px) is masked
out (mask 0: filled in by the generator) and the rest inverted in the run's first space. Scores per image: PSNR on
uint8 [0, 255] over all pixels (reconstruction), over the known pixels and over the hole (inpainting, against the
true image); reported as mean ± std over the images. Prints the markdown tables and the command; writes a
picture (rows: targets, then each reconstruction; the masked targets, then each inpainting) and --json.
"""
from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from pathlib import Path

import torch
from PIL import Image, ImageDraw

import gankit
from gankit.data import images_to_float, load_dataset
from gankit.imaging import image_grid, save_png
from gankit.pipelines import invert, run_context
from gankit.pipelines.perceptual import perceptual_loss

SPACES_OF = {"stylegan2": ("w+", "w", "z", "w+noise"), "stylegan": ("w+", "w", "z", "w+noise")}
LABEL_WIDTH = 120


def test_images(num: int, shape: tuple) -> torch.Tensor:
    data = load_dataset("fashion-mnist", split="test", image_size=shape[-1], channels=shape[0])
    return images_to_float(data.fetch(torch.arange(num))["image"])


def centre_mask(size: int, hole: int) -> torch.Tensor:
    mask = torch.ones(1, 1, size, size)
    start = (size - hole) // 2
    mask[..., start:start + hole, start:start + hole] = 0
    return mask


def mean_std(values: list) -> str:
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values) if len(values) > 1 else 0:.2f}"


def run_inversion(gan, targets, space: str, args, perceptual, **options) -> dict:
    started = time.time()
    noise = space == "w+noise"
    result = invert(gan, targets, space="w+" if noise else space, steps=args.steps, lr=args.lr, noise=noise,
                    perceptual=perceptual, perceptual_weight=args.perceptual_weight, seed=args.seed,
                    context=run_context(gan, gan.config, gan.step), **options)
    scores = {key: [score[key] for score in result.scores] for key in result.scores[0]}
    return {"space": space, "seconds": round(time.time() - started, 1), "images": result.images,
            "scores": scores, "loss_first": float(result.curve[0]), "loss_last": float(result.curve[-1])}


def labelled_rows(rows: list, columns: int) -> Image.Image:
    """Each (label, images) row as a grid row with its label on the left, stacked."""
    grids = [image_grid(images, columns=columns).convert("RGB") for _, images in rows]
    canvas = Image.new("RGB", (LABEL_WIDTH + grids[0].width, sum(g.height for g in grids)), "white")
    draw, top = ImageDraw.Draw(canvas), 0
    for (label, _), grid in zip(rows, grids):
        canvas.paste(grid, (LABEL_WIDTH, top))
        draw.text((4, top + grid.height // 2 - 6), label, fill="black")
        top += grid.height
    return canvas


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stylegan2", default=None, help="a trained stylegan2 (or stylegan) run folder")
    parser.add_argument("--dcgan", default=None, help="a trained dcgan run folder (the Z-space baseline)")
    parser.add_argument("--num", type=int, default=20, help="test images (the first of the test split)")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--perceptual-weight", type=float, default=1.0)
    parser.add_argument("--vgg16", default=None, help="torchvision VGG-16 weights (else the TF-Inception substitute)")
    parser.add_argument("--hole", type=int, default=12, help="side of the masked centre square, px (default 12)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--picture", default="docs/images/inversion_fashion32.png")
    parser.add_argument("--json", default="benchmarks/results/inversion_fashion32.json", help="results file")
    args = parser.parse_args(argv)
    runs = [(path, gankit.load(path, device=args.device)) for path in (args.stylegan2, args.dcgan) if path]
    if not runs:
        parser.error("give --stylegan2 RUN and/or --dcgan RUN")
    shape = tuple(runs[0][1].sample_shape)
    targets = test_images(args.num, shape)
    mask = centre_mask(shape[-1], args.hole)
    perceptual = perceptual_loss(args.vgg16, runs[0][1].device()) if args.perceptual_weight else None
    reconstructions, inpaintings = [], []
    for path, gan in runs:
        name = gan.build_args["name"]
        if tuple(gan.sample_shape) != shape:
            sys.exit(f"{path} makes {gan.sample_shape} images, {runs[0][0]} {shape}: give runs of one image shape")
        spaces = SPACES_OF.get(name, ("z",))
        for space in spaces:
            found = run_inversion(gan, targets, space, args, perceptual)
            reconstructions.append({"model": name, "run": str(path), **found})
            print(f"{name} {space}: PSNR {mean_std(found['scores']['psnr_db'])} dB ({found['seconds']} s)", flush=True)
        found = run_inversion(gan, targets, spaces[0], args, perceptual, mask=mask)
        inpaintings.append({"model": name, "run": str(path), **found})
        print(f"{name} inpainting {spaces[0]}: known {mean_std(found['scores']['psnr_mask'])}, hole "
              f"{mean_std(found['scores']['psnr_outside'])} dB", flush=True)
    rows = [("targets", targets)] + [(f"{r['model']} {r['space']}", r["images"]) for r in reconstructions]
    rows += [("masked targets", targets * mask)] + [(f"{r['model']} inpaint {r['space']}", r["images"]) for r in inpaintings]
    picture = save_png(labelled_rows(rows, args.num), args.picture)
    net = perceptual.describe(shape[-1]) if perceptual is not None else None
    command = "OMP_NUM_THREADS=1 python benchmarks/bench_inversion.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    print(f"\nFashion-MNIST test images 0..{args.num - 1} at {shape[-1]} px, {args.steps} Adam steps (lr {args.lr}), "
          f"loss pixel MSE + {args.perceptual_weight} x perceptual ({net['net'] if net else 'off'}"
          f"{', at ' + str(net['size']) + ' px' if net else ''}); PSNR on uint8 [0, 255], mean ± std over the images.\n")
    print("| model | run | space | PSNR (dB) | MSE ([-1, 1]) | loss first → last | time (s) |")
    print("|---|---|---|---|---|---|---|")
    for r in reconstructions:
        print(f"| {r['model']} | {r['run']} | {r['space']} | {mean_std(r['scores']['psnr_db'])} | "
              f"{statistics.mean(r['scores']['mse']):.4f} | {r['loss_first']:.4f} → {r['loss_last']:.4f} | {r['seconds']} |")
    print(f"\nInpainting: the centre {args.hole}x{args.hole} px masked out (filled in by the generator).\n")
    print("| model | space | PSNR known pixels (dB) | PSNR hole (dB) | time (s) |")
    print("|---|---|---|---|---|")
    for r in inpaintings:
        print(f"| {r['model']} | {r['space']} | {mean_std(r['scores']['psnr_mask'])} | "
              f"{mean_std(r['scores']['psnr_outside'])} | {r['seconds']} |")
    print(f"\npicture: {picture} (rows: {', '.join(label for label, _ in rows)})\ncommand: {command}")
    results = {"command": command, "perceptual": net, "perceptual_weight": args.perceptual_weight, "steps": args.steps,
               "lr": args.lr, "num": args.num, "hole": args.hole,
               "reconstruction": [{k: v for k, v in r.items() if k != "images"} for r in reconstructions],
               "inpainting": [{k: v for k, v in r.items() if k != "images"} for r in inpaintings]}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
