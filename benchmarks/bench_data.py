"""Data pipeline benchmark (Foundation II): uint8 storage, streaming from files, loader throughput.

    python benchmarks/bench_data.py memory [--folder /tmp/gankit-bench-jpegs] [--steps 50] [--json]
    python benchmarks/bench_data.py throughput [--folder /tmp/gankit-bench-jpegs] [--batches 20] [--json]

Both write (once; kept in ``--folder``) 20,000 synthetic but image-like 64×64 RGB JPEGs (smooth random
colour fields plus a little grain, PIL quality 90).

``memory`` trains ``dcgan`` on ``image-folder:FOLDER --image-size 64`` for ``--steps`` steps through the
``gankit`` CLI in a subprocess, once streamed (``--set stream=true``: workers decode the files per batch)
and once in memory (``--set stream=false``: decoded once into uint8), polling ``VmHWM`` (peak resident
memory) of the training process and, separately, of its DataLoader worker processes from /proc. It also
prints the in-memory dataset's bytes (``data.nbytes()``) next to what float32 samples would take.
Goal: the training process stays under 1.5 GB.

``throughput`` measures images/s delivered by (a) RandomBatches over the folder decoded into uint8
memory, including ``to_device(batch, "cpu")`` (the uint8 → float conversion), (b) StreamedBatches over
the same folder streamed from its files with 0, 1 and 2 workers, and (c) what one DCGAN training step at
64 px consumes (batch 64, dcgan's default width 64: the trainer's ``train_step`` on the in-memory data; images/s =
images drawn per step / seconds per step). Each figure: warm-up batches first, then the median of
timed batches (steps). Goal: the loader is not the bottleneck of a 64 px DCGAN step.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

NUM_IMAGES = 20_000
SIZE = 64
GOAL_BYTES = 1.5e9


# ---------------------------------------------------------------------------------------------- the folder
def write_jpegs(folder: Path, num: int = NUM_IMAGES, size: int = SIZE, seed: int = 0) -> float:
    """``num`` image-like JPEGs in ``folder`` (skipped if they are all there); returns seconds spent."""
    from PIL import Image
    folder.mkdir(parents=True, exist_ok=True)
    names = [folder / f"{i:05d}.jpg" for i in range(num)]
    if all(name.is_file() for name in names[-10:]) and sum(1 for _ in folder.glob("*.jpg")) >= num:
        return 0.0
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    chunk = 500
    for start in range(0, num, chunk):
        count = min(chunk, num - start)
        # smooth colour fields: a random coarse grid (4..8 px cells) upsampled bicubically, plus grain
        coarse = rng.integers(0, 256, size=(count, 8, 8, 3), dtype=np.uint8)
        grain = rng.normal(0, 6, size=(count, size, size, 3)).astype(np.float32)
        for k in range(count):
            cells = int(rng.integers(3, 9))
            field = Image.fromarray(coarse[k, :cells, :cells]).resize((size, size), Image.BICUBIC)
            pixels = np.clip(np.asarray(field, dtype=np.float32) + grain[k], 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(names[start + k], quality=90)
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------- memory
def read_status(pid: int) -> dict:
    """VmHWM / VmRSS (bytes) of ``pid`` from /proc, or {} once it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        if line.startswith(("VmHWM:", "VmRSS:")):
            key, value = line.split(":", 1)
            out[key] = int(value.split()[0]) * 1024
    return out


def children_of(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            found.extend(int(c) for c in text.split())
    except OSError:
        pass
    return found


def train_and_watch(folder: Path, steps: int, stream: bool, workers: int, threads: int) -> dict:
    """Run ``gankit train dcgan`` on the folder in a subprocess; poll peak memory of it and its workers."""
    out = Path(tempfile.mkdtemp(prefix="gankit-bench-data-"))
    command = [sys.executable, "-m", "gankit", "train", "dcgan", "--data", f"image-folder:{folder}",
               "--image-size", str(SIZE), "--steps", str(steps), "--out", str(out / "run"), "--no-progress",
               "--sample-every", "0", "--checkpoint-every", str(steps), "--log-every", str(max(1, steps // 5)),
               "--data-workers", str(workers), "--set", f"stream={'true' if stream else 'false'}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "OMP_NUM_THREADS": str(threads)}
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout), daemon=True)
    reader.start()
    main_peak, worker_peaks = 0, {}
    while process.poll() is None:
        main_peak = max(main_peak, read_status(process.pid).get("VmHWM", 0))
        for child in children_of(process.pid):
            peak = read_status(child).get("VmHWM", 0)
            worker_peaks[child] = max(worker_peaks.get(child, 0), peak)
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    reader.join(timeout=5)
    if process.returncode != 0:
        raise SystemExit(f"training failed ({process.returncode}): {' '.join(command)}\n{''.join(output)[-3000:]}")
    logs = [json.loads(line) for line in (out / "run" / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return {"stream": stream, "data_workers": workers if stream else 0, "steps": steps,
            "wall_s": round(seconds, 1), "main_peak_rss_mb": round(main_peak / 1e6, 1),
            "workers_seen": len(worker_peaks),
            "worker_peak_rss_mb_max": round(max(worker_peaks.values(), default=0) / 1e6, 1),
            "worker_peak_rss_mb_sum": round(sum(worker_peaks.values()) / 1e6, 1),
            "main_under_goal": main_peak < GOAL_BYTES,
            "last_log": {k: logs[-1][k] for k in logs[-1] if k in ("step", "loss_d", "loss_g")} if logs else {},
            "out": str(out / "run")}


def dataset_bytes(folder: Path) -> dict:
    """The in-memory dataset's bytes (uint8) next to float32's, without decoding 20k files: the shapes
    are known, and the test suite checks ``nbytes`` on a real MemoryData."""
    import torch
    from gankit.data import MemoryData
    probe = MemoryData("probe", {"image": torch.zeros(2, 3, SIZE, SIZE, dtype=torch.uint8)})
    per_image = probe.nbytes() // 2
    uint8 = per_image * NUM_IMAGES
    return {"images": NUM_IMAGES, "uint8_bytes": uint8, "float32_bytes": uint8 * 4,
            "uint8_mb": round(uint8 / 1e6, 1), "float32_mb": round(uint8 * 4 / 1e6, 1)}


def cmd_memory(args) -> dict:
    folder = Path(args.folder)
    written = write_jpegs(folder)
    runs = [train_and_watch(folder, args.steps, True, args.workers, args.threads),
            train_and_watch(folder, args.steps, False, args.workers, args.threads)]
    result = {"benchmark": "memory", "folder": str(folder), "jpeg_write_s": round(written, 1),
              "threads": args.threads, "goal_bytes": GOAL_BYTES, "runs": runs, "dataset": dataset_bytes(folder)}
    if not args.json:
        print(f"folder {folder}: {NUM_IMAGES} JPEGs ({'written in %.0f s' % written if written else 'cached'})")
        for run in runs:
            print(f"stream={str(run['stream']).lower():5s} workers={run['data_workers']}: training process peak "
                  f"{run['main_peak_rss_mb']:.0f} MB ({'under' if run['main_under_goal'] else 'OVER'} 1.5 GB); "
                  f"{run['workers_seen']} worker processes, peak {run['worker_peak_rss_mb_max']:.0f} MB each at most, "
                  f"{run['worker_peak_rss_mb_sum']:.0f} MB summed; {run['steps']} steps in {run['wall_s']} s")
        d = result["dataset"]
        print(f"in-memory dataset: {d['uint8_mb']} MB as uint8 vs {d['float32_mb']} MB as float32 (1/4)")
    return result


# ---------------------------------------------------------------------------------------------- throughput
def median_rate(draw, batch_size: int, warmup: int, timed: int) -> dict:
    for _ in range(warmup):
        draw()
    times = []
    for _ in range(timed):
        started = time.perf_counter()
        draw()
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    return {"median_s_per_batch": round(median, 5), "images_per_s": round(batch_size / median, 1),
            "mean_images_per_s": round(batch_size * len(times) / sum(times), 1), "batches": timed}


def cmd_throughput(args) -> dict:
    import torch
    from gankit import TrainConfig
    from gankit.data import load_dataset
    from gankit.data.batches import RandomBatches, StreamedBatches, to_device
    from gankit.training.trainer import Trainer
    torch.set_num_threads(args.threads)
    folder = Path(args.folder)
    write_jpegs(folder)
    name, batch = f"image-folder:{folder}", args.batch_size
    started = time.perf_counter()
    memory = load_dataset(name, image_size=SIZE, stream=False)
    decode_s = time.perf_counter() - started
    streamed = load_dataset(name, image_size=SIZE, stream=True)
    rates = {}

    sampler = RandomBatches(memory, torch.Generator().manual_seed(0))
    rates["memory_random_batches"] = median_rate(lambda: to_device(sampler.next(batch), torch.device("cpu")),
                                                 batch, args.warmup, args.batches * 5)
    for workers in args.workers:
        sampler = StreamedBatches(streamed, seed=0, workers=workers)
        rates[f"streamed_workers_{workers}"] = median_rate(
            lambda: to_device(sampler.next(batch), torch.device("cpu")), batch, args.warmup, args.batches)
        sampler.close()

    config = TrainConfig(model="dcgan", data=name, image_size=SIZE, batch_size=batch, steps=10**6,
                         log_every=0, sample_every=0, checkpoint_every=0, stream=False)
    with tempfile.TemporaryDirectory() as out:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trainer = Trainer(config, Path(out) / "run", data=memory, hooks=[], progress=False)
        drawn = []
        inner = trainer.batches.next
        trainer.batches.next = lambda size: (drawn.append(size), inner(size))[1]
        trainer.train_step()
        per_step = sum(drawn)
        step = median_rate(trainer.train_step, per_step, args.warmup, args.steps)
    step["images_drawn_per_step"] = per_step
    step["params_g_d"] = [sum(p.numel() for p in net.parameters())
                          for net in (trainer.gan.generator, trainer.gan.discriminator)]
    rates["dcgan_step_64px"] = step
    slowest_needed = step["images_per_s"]
    result = {"benchmark": "throughput", "folder": str(folder), "batch_size": batch, "torch_threads": args.threads,
              "in_memory_decode_s": round(decode_s, 1), "rates": rates,
              "loader_faster_than_step": {k: v["images_per_s"] > slowest_needed
                                          for k, v in rates.items() if k != "dcgan_step_64px"}}
    if not args.json:
        print(f"torch threads {args.threads}, batch {batch}; decoding {NUM_IMAGES} JPEGs into memory took {decode_s:.1f} s")
        for key, value in rates.items():
            extra = f" ({value['images_drawn_per_step']} images drawn per step)" if key == "dcgan_step_64px" else ""
            print(f"{key:24s} {value['images_per_s']:9.1f} images/s  (median {value['median_s_per_batch'] * 1e3:.1f} "
                  f"ms per {'step (batch ' + str(batch) + ')' if extra else 'batch of ' + str(batch)}, {value['batches']} timed){extra}")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("memory", "throughput"):
        p = sub.add_parser(name)
        p.add_argument("--folder", default="/tmp/gankit-bench-jpegs")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")),
                       help="torch/OpenMP threads (default: $OMP_NUM_THREADS or 2)")
    mem = sub.choices["memory"]
    mem.add_argument("--steps", type=int, default=50)
    mem.add_argument("--workers", type=int, default=2, help="data_workers of the streamed run")
    thr = sub.choices["throughput"]
    thr.add_argument("--batch-size", type=int, default=64)
    thr.add_argument("--batches", type=int, default=20, help="timed batches per streamed loader")
    thr.add_argument("--steps", type=int, default=10, help="timed DCGAN steps")
    thr.add_argument("--warmup", type=int, default=3)
    thr.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    result = cmd_memory(args) if args.command == "memory" else cmd_throughput(args)
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
