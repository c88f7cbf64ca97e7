"""The seed `gan` (Keras MNIST nets) on this CPU: does G train, or saturate its tanh at −1 (black samples)?

    python benchmarks/bench_seed_gan.py --data fashion-mnist --steps 2000
    python benchmarks/bench_seed_gan.py --data mnist --steps 300
    python benchmarks/bench_seed_gan.py --data fashion-mnist --steps 300 --keras-loop false   # joint D step
    python benchmarks/bench_seed_gan.py --data mnist --steps 1000 --lr-g 5e-5                 # slower G

Trains with `gankit.train`, then draws 1000 samples from the trained generator and prints one JSON line:
wall time, the share of pixels below −0.99 and the per-pixel std across samples (real data alongside:
a collapsed G has std ≈ 0 and ≈ 100 % dark pixels), and the classifier FID (MNIST-classifier fc128
features, 1000 samples vs the training images). Copies the final grid to docs/images/.
"""
from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import torch

import gankit
from gankit.data import load_dataset
from gankit.pipelines import sample


def pixel_stats(images: torch.Tensor) -> dict:
    return {"dark_share": round((images < -0.99).float().mean().item(), 3),
            "mean": round(images.mean().item(), 3), "std_across_samples": round(images.std(0).mean().item(), 3)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--keras-loop", choices=("auto", "true", "false"), default="auto")
    parser.add_argument("--out", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr-g", type=float, default=None, help="G's Adam lr (default: the recipe's 2e-4)")
    parser.add_argument("--images", default="docs/images")
    parser.add_argument("--real-only", action="store_true",
                        help="print the pixel statistics of the data only (first 1000 and all images), no training")
    args = parser.parse_args()
    if args.real_only:
        samples = load_dataset(args.data).samples
        print(json.dumps({"data": args.data, "real_first_1000": pixel_stats(samples[:1000]),
                          f"real_all_{len(samples)}": pixel_stats(samples)}))
        return
    loop = {"auto": None, "true": True, "false": False}[args.keras_loop]
    suffix = "" if loop is None else f"-keras-loop-{args.keras_loop}"
    suffix += "" if args.lr_g is None else f"-lr-g-{args.lr_g:g}"
    out = args.out or f"runs/bench-gan-{args.data}{suffix}"
    shutil.rmtree(out, ignore_errors=True)
    config = gankit.TrainConfig(model="gan", data=args.data, steps=args.steps, batch_size=args.batch_size,
                                seed=args.seed, lr_g=args.lr_g, sample_every=max(1, args.steps // 4),
                                checkpoint_every=args.steps,
                                model_args={} if loop is None else {"keras_loop": loop})
    started = time.perf_counter()
    trainer = gankit.train(config, out)
    seconds = time.perf_counter() - started
    gan = gankit.load(out)
    fake = sample(gan, 1000, rng=torch.Generator().manual_seed(1), ema=False)
    real = load_dataset(args.data).samples[:1000]
    fid = gankit.evaluate(out, "classifier-fid", num=1000)
    target = Path(args.images) / f"gan_{args.data}{suffix}_step{args.steps}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(out) / "samples" / f"step-{args.steps:07d}.png", target)
    last = json.loads((Path(out) / "metrics.jsonl").read_text().splitlines()[-1])
    print(json.dumps({"model": "gan", "data": args.data, "steps": trainer.step, "keras_loop": args.keras_loop,
                      "lr_g": gan.hparams["lr_g"], "seed": args.seed,
                      "phases": [phase.name for phase in gan.phases()], "batch_size": args.batch_size,
                      "wall_s": round(seconds, 1), "threads": torch.get_num_threads(),
                      "fake": pixel_stats(fake), "real": pixel_stats(real), "classifier_fid": fid,
                      "loss_d": round(last["loss_d"], 4), "loss_g": round(last["loss_g"], 4), "grid": str(target)}))


if __name__ == "__main__":
    main()
