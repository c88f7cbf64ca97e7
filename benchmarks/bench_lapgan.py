"""LAPGAN per-level FID: the FID of each pyramid level's generated images (8, 16 and 32 px for a 32 px run)
against the test split at that level's size.

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_lapgan.py --run runs/lap --num 500
    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_lapgan.py --steps 2000 --out runs/lap2000 --num 500

With ``--run`` missing (or not a run yet) it first trains ``lapgan`` on ``--data`` at ``--image-size`` for ``--steps``.

Protocol: TF-Inception pool3 (gankit's ``tf-inception``, the images resized to 299 by the network's own
bilinear resize, as for every gankit FID), ``--num`` generated images per level (seeded; level k of sample i is
the chain's k-th output, `gankit sample RUN --levels`) against the first ``--num`` images of the test split.
The real side of a level is what that level was trained to imitate: the test split loaded at the run's image
size (as training loads it; Fashion-MNIST 28 → 32 px with PIL bilinear), then reduced by the model's own d(.)
(2×2 box average per halving, nets/laplacian.py) to 16 and 8 px. Its features are cached in
$GANKIT_CACHE/metrics (keyed by data, level size, n and weights). At n = 500 the FID is biased upward
against n = 10k values (fewer samples): compare levels and runs at the same n only.
``--baseline`` also measures each finer level's low-pass alone, u(Ĩ_{k+1}) (the coarser output upsampled,
no residual): what the level's G adds is the difference between the two FIDs.
Prints one JSON line per level and one summary line.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

import gankit
from gankit.data import images_to_float, load_dataset
from gankit.metrics.feature_cache import cache_path
from gankit.metrics.features import make_extractor
from gankit.metrics.sources import cached_features, tensor_features
from gankit.metrics.suite import fid_result
from gankit.nets.laplacian import gaussian_pyramid, upsample
from gankit.pipelines.pyramid import sample_levels


def train_if_needed(args) -> Path:
    run = Path(args.run or args.out)
    if (run / "config.json").is_file() and any((run / "checkpoints").glob("step-*.pt")):
        return run
    config = gankit.TrainConfig(model="lapgan", data=args.data, image_size=args.image_size, steps=args.steps,
                                batch_size=args.batch_size, seed=args.seed, sample_every=args.steps,
                                checkpoint_every=args.steps)
    started = time.perf_counter()
    gankit.train(config, run)
    print(json.dumps({"trained": str(run), "steps": args.steps, "wall_s": round(time.perf_counter() - started, 1)}))
    return run


def real_levels(data: str, image_size: int, num: int, levels: int) -> list[torch.Tensor]:
    """The test split at the run's size and its Gaussian pyramid by the model's d(.), coarse → fine."""
    test = load_dataset(data, split="test", image_size=image_size)
    return gaussian_pyramid(images_to_float(test.head(num)["image"]), levels)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default=None, help="a lapgan run folder (trained first when it holds no checkpoint)")
    parser.add_argument("--out", default="runs/bench-lapgan", help="where to train when --run is not given")
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--num", type=int, default=500, help="images per level, generated and real (default 500)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--baseline", action="store_true", help="also the FID of each finer level's upsampled input")
    args = parser.parse_args()
    run = train_if_needed(args)
    started = time.perf_counter()
    gan = gankit.load(run, device=args.device)
    if "pyramid" not in gan.capabilities:
        raise SystemExit(f"{run} is a {gan.build_args['name']} run; this benchmark measures lapgan's levels")
    config = gan.config
    fakes = sample_levels(gan, args.num, rng=torch.Generator().manual_seed(args.seed))
    image_size = fakes[-1].shape[-1]
    reals = real_levels(config.data, image_size, args.num, len(fakes))
    extractor = make_extractor("inception", protocol="tf-inception", device=args.device)
    results = []
    lows = [None] + [upsample(coarser) for coarser in fakes[:-1]] if args.baseline else [None] * len(fakes)
    for fake, real, low in zip(fakes, reals, lows):
        size = fake.shape[-1]
        origin = f"{config.data}@test {size}px"
        path = cache_path(f"{config.data}-from{image_size}-box-pyramid", "test", tuple(real.shape[1:]), real.shape[0],
                          extractor, ".npz")
        real_stats = cached_features(path, extractor, origin,
                                     lambda: tensor_features(real, extractor, origin=origin)).stats(extractor.name)
        fake_stats = tensor_features(fake, extractor, origin=f"level {size}px").stats(extractor.name)
        result = fid_result(fake_stats, real_stats, extractor.name)
        results.append({"level_px": size, "fid": round(result["fid"], 2), "n_fake": result["n_a"],
                        "n_real": result["n_b"], "protocol": result["protocol"]})
        if low is not None:
            low_stats = tensor_features(low, extractor, origin=f"u(level {size // 2}px)").stats(extractor.name)
            results[-1]["fid_upsampled_coarser"] = round(fid_result(low_stats, real_stats, extractor.name)["fid"], 2)
        print(json.dumps(results[-1]), flush=True)
    print(json.dumps({"run": str(run), "step": gan.step, "data": config.data, "image_size": image_size,
                      "num": args.num, "seed": args.seed, "threads": torch.get_num_threads(),
                      "fid_by_level": {r["level_px"]: r["fid"] for r in results},
                      "wall_s": round(time.perf_counter() - started, 1)}))


if __name__ == "__main__":
    main()
