"""DCGAN on Fashion-MNIST on this CPU: train N steps, report wall time per step, save the sample grid.

    python benchmarks/bench_dcgan_fashion.py --steps 2000 --out runs/bench-dcgan-fashion
Writes the final fixed-noise grid to docs/images/dcgan_fashion_step<N>.png and prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import torch

import gankit


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", default="runs/bench-dcgan-fashion")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--images", default="docs/images")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    config = gankit.TrainConfig(model="dcgan", data="fashion-mnist", steps=args.steps, batch_size=args.batch_size,
                                seed=args.seed, sample_every=args.steps // 4, checkpoint_every=args.steps)
    started = time.perf_counter()
    trainer = gankit.train(config, args.out)
    seconds = time.perf_counter() - started
    grid = Path(args.out) / "samples" / f"step-{args.steps:07d}.png"
    Path(args.images).mkdir(parents=True, exist_ok=True)
    target = Path(args.images) / f"dcgan_fashion_step{args.steps}.png"
    shutil.copy(grid, target)
    last = json.loads((Path(args.out) / "metrics.jsonl").read_text().splitlines()[-1])
    print(json.dumps({"model": "dcgan", "data": "fashion-mnist", "steps": trainer.step,
                      "batch_size": args.batch_size, "wall_s": round(seconds, 1),
                      "s_per_step": round(seconds / args.steps, 4), "threads": torch.get_num_threads(),
                      "loss_d": round(last["loss_d"], 4), "loss_g": round(last["loss_g"], 4),
                      "grid": str(target)}))


if __name__ == "__main__":
    main()
