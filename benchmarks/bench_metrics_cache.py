"""`gankit metrics` twice on the same two folders: the first run's feature pass against the cached second.

    python benchmarks/bench_metrics_cache.py [--num 200] [--work /tmp/gankit-bench-metrics] [--json]

Writes two folders of ``--num`` PNGs (kept in ``--work``): A = the first images of ``fashion-mnist@test``,
B = the first of ``fashion-mnist`` (train), through gankit's dataset registry. Then, each in a subprocess
(the ``gankit`` entry point, ``gankit.cli:main``; the environment's OMP_NUM_THREADS and device as given):

1. ``gankit metrics A B --num N --fid --kid --pr --json`` with a fresh, empty ``$GANKIT_CACHE``: one
   TF-Inception pass per folder;
2. the same command again, same cache: no feature pass (the folders' features are read back);
3. for comparison, ``gankit fid A B``, ``gankit kid A B`` and ``gankit pr B A`` (REAL FAKE), each with its
   own fresh cache: what the three metrics cost as separate commands without the folder cache (before it,
   every command paid the full pass; see issue 19: ~19 s each on 20-image folders).

Prints each command's wall time (interpreter start, imports and weight loading included) and the ratio
first / second (goal: >= 10). The Inception weights are found once here and passed on in
``$GANKIT_INCEPTION_WEIGHTS``, since a fresh cache folder holds none.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def write_folder(dataset: str, split: str, num: int, folder: Path) -> Path:
    """The first ``num`` images of a registered dataset as numbered PNGs (written once)."""
    from PIL import Image
    from gankit.data.batches import images_to_float
    from gankit.metrics.features import images_to_uint8
    from gankit.registry import DATASETS
    if folder.is_dir() and len(list(folder.glob("*.png"))) == num:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    pixels = images_to_uint8(images_to_float(DATASETS.build(dataset, split=split).head(num)["image"]))
    for index, image in enumerate(pixels.permute(0, 2, 3, 1).numpy()):
        Image.fromarray(image).save(folder / f"{index:05d}.png")
    return folder


GANKIT = "import sys; from gankit.cli import main; sys.exit(main(sys.argv[1:]))"    # the `gankit` script


def run_timed(argv: list[str], cache: Path, environment: dict) -> tuple[float, list[dict]]:
    """Wall seconds of ``gankit ARGV`` in a subprocess with ``$GANKIT_CACHE=cache``, and its JSON lines."""
    env = {**environment, "GANKIT_CACHE": str(cache), "PYTHONPATH": str(ROOT / "src")}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", GANKIT, *argv], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"gankit {' '.join(argv)} failed:\n{done.stderr}")
    return seconds, [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num", type=int, default=200)
    parser.add_argument("--work", default="/tmp/gankit-bench-metrics")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args()
    from gankit.metrics.inception_weights import find_inception_weights
    work = Path(args.work)
    folder_a = write_folder("fashion-mnist", "test", args.num, work / "a_fashion-mnist-test")
    folder_b = write_folder("fashion-mnist", "train", args.num, work / "b_fashion-mnist-train")
    environment = {**os.environ, "GANKIT_INCEPTION_WEIGHTS": str(find_inception_weights())}
    common = ["--num", str(args.num), "--json", "--quiet"]
    caches = work / "caches"
    shutil.rmtree(caches, ignore_errors=True)
    a, b = str(folder_a), str(folder_b)
    metrics = ["metrics", a, b, "--fid", "--kid", "--pr", *common]
    first, first_results = run_timed(metrics, caches / "metrics", environment)
    second, second_results = run_timed(metrics, caches / "metrics", environment)
    if first_results != second_results:
        raise SystemExit("the cached run gave other values than the first")
    singles = {" ".join(argv[:1]): run_timed([*argv, *common], caches / argv[0], environment)[0]
               for argv in (["fid", a, b], ["kid", a, b], ["pr", b, a])}
    report = {"num": args.num, "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
              "metrics_first_s": round(first, 2), "metrics_second_s": round(second, 2),
              "ratio": round(first / second, 1), "single_commands_cold_s": {k: round(v, 2) for k, v in singles.items()},
              "single_commands_total_s": round(sum(singles.values()), 2),
              "values": {result["metric"]: result["value"] for result in first_results},
              "protocols": {result["metric"]: result["protocol"] for result in first_results}}
    if args.json:
        print(json.dumps(report))
        return
    command = f"gankit metrics A B --num {args.num} --fid --kid --pr --json"
    print(f"{command}  first (fresh cache): {first:.2f} s")
    print(f"{command}  second (cached):     {second:.2f} s   ratio {first / second:.1f}x (goal >= 10x)")
    for name, seconds in singles.items():
        print(f"gankit {name} (fresh cache): {seconds:.2f} s")
    print(f"three single-metric commands, total: {sum(singles.values()):.2f} s")
    print("values:", json.dumps(report["values"]), "protocols:", json.dumps(report["protocols"]))


if __name__ == "__main__":
    main()
