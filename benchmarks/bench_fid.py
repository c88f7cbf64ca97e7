"""FID parity and speed against pytorch-fid, side by side in one run.

    python benchmarks/bench_fid.py frechet  [--pytorch-fid-python PY]
    python benchmarks/bench_fid.py end-to-end --n 200 [--pytorch-fid-python PY]
    python benchmarks/bench_fid.py frechet-parts [--rounds 7]
    python benchmarks/bench_fid.py allocator --n 200 [--batch-size 50]
    python benchmarks/bench_fid.py is-order

``frechet``: our Fréchet distance vs pytorch-fid's ``calculate_frechet_distance`` (scipy ``sqrtm``)
on real feature statistics -- MNIST-classifier fc128 features of Fashion-MNIST train vs test (10k vs
10k, full rank) and, if cached by ``gankit fid fashion-mnist fashion-mnist@test --num N``, the
TF-Inception pool3 features of that run -- with the time of the Fréchet step alone.

``frechet-parts``: the 2048-d full-rank Fréchet step on the CPU and its LAPACK parts (Cholesky ``potrf``,
``sygst`` forming Lᵀ Σ2 L, ``syevd`` eigenvalues), best of 5 per round, for several rounds: the spread
between rounds is the machine's noise.

``allocator``: the Inception forward (uint8 28x28 Fashion-MNIST images, TF1 resize, channels-last) in
two fresh processes, with glibc's default malloc and with :func:`gankit.runtime.keep_freed_memory` (which
the ``gankit`` command applies): images/s, CPU user and system time and minor page faults.

``end-to-end``: writes the first N Fashion-MNIST train and test images as PNG folders (or takes
``--folders A B``), then times ``gankit fid A B`` (both input protocols) and ``python -m pytorch_fid A B``
on them, same device and batch size, both on the same weights (``--weights FILE``, else gankit's); on
the CPU once more ``gankit fid`` with glibc's default malloc (``GANKIT_KEEP_FREED_MEMORY=0``); on a GPU
once more pytorch-fid with ``NVIDIA_TF32_OVERRIDE=0`` (torch's default TF32 convolutions off, so both
tools compute in IEEE float32).

pytorch-fid runs in its own venv (it needs torchvision, never a gankit dependency):
    python -m venv /work/venv-pytorch-fid
    /work/venv-pytorch-fid/bin/pip install torch==2.14.1 torchvision==0.29.1 pytorch-fid scipy
It loads ``pt_inception-2015-12-05-6726825d.pth`` from torch hub's cache; this script writes our
converted weights there (pytorch-fid's layout, zero classifier) so both tools run offline on the same
weights. Prints one JSON object per measurement.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gankit.data import load_dataset
from gankit.metrics.features import images_to_uint8, make_extractor
from gankit.metrics.fid import FeatureStats, fid_from_stats, frechet_distance
from gankit.metrics.inception_weights import (PYTORCH_FID_FILE, load_inception, pytorch_fid_state_dict,
                                              torch_hub_checkpoints)
from gankit.metrics.sources import dataset_features

PYTORCH_FID_PYTHON = "/work/venv-pytorch-fid/bin/python"
# pytorch-fid's formula in its own environment. scipy deprecated sqrtm's `disp` in 1.17 and removes it in
# 1.18, where pytorch-fid's call raises TypeError: then sqrtm is wrapped to accept and ignore it.
PYTORCH_FID_FRECHET = r"""
import inspect, json, sys, time
import numpy as np
from scipy import linalg
import pytorch_fid.fid_score as fid_score
if "disp" not in inspect.signature(linalg.sqrtm).parameters:
    plain_sqrtm = linalg.sqrtm
    fid_score.linalg.sqrtm = lambda matrix, disp=True, **kw: (plain_sqrtm(matrix, **kw), 0.0)
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
start = time.perf_counter()
value = fid_score.calculate_frechet_distance(a["mu"], a["sigma"], b["mu"], b["sigma"])
print(json.dumps({"fid": float(value), "seconds": time.perf_counter() - start}))
"""


def emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


def best_time(function, repeats: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def compare_frechet(label: str, stats_a: FeatureStats, stats_b: FeatureStats, python: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        paths = [stats.save(Path(folder) / f"{name}.npz") for name, stats in (("a", stats_a), ("b", stats_b))]
        output = subprocess.run([python, "-W", "ignore", "-c", PYTORCH_FID_FRECHET, *map(str, paths)],
                                check=True, capture_output=True, text=True).stdout
    reference = json.loads(output.strip().splitlines()[-1])
    # gankit's step as `gankit fid` runs it: with low-rank factors when n <= dim, else from mu/sigma
    seconds, ours = best_time(lambda: fid_from_stats(stats_a, stats_b, device="cpu"))
    sigma_only, _ = best_time(lambda: frechet_distance(stats_a.mu, stats_a.sigma, stats_b.mu, stats_b.sigma,
                                                       device="cpu"))
    emit({"bench": "frechet", "features": label, "dim": stats_a.dim, "n_a": stats_a.n, "n_b": stats_b.n,
          "gankit_fid": ours, "pytorch_fid_fid": reference["fid"],
          "relative_difference": abs(ours - reference["fid"]) / abs(reference["fid"]),
          "gankit_seconds": round(seconds, 4), "gankit_from_mu_sigma_only_seconds": round(sigma_only, 4),
          "low_rank_path": stats_a.factor is not None and stats_b.factor is not None,
          "pytorch_fid_sqrtm_seconds": round(reference["seconds"], 3),
          "threads": torch.get_num_threads()})


def run_frechet(args) -> None:
    classifier = make_extractor("mnist-classifier")
    train, test = load_dataset("fashion-mnist", split="train"), load_dataset("fashion-mnist", split="test")
    stats = [dataset_features("fashion-mnist", split, classifier, 10000, 500, data=data).stats(classifier.name)
             for split, data in (("train", train), ("test", test))]
    compare_frechet("mnist-classifier-fc128 fashion-mnist train vs test", *stats, args.pytorch_fid_python)
    if args.inception_n:      # cached by `gankit fid fashion-mnist fashion-mnist@test --num N` (else computed)
        inception = make_extractor("inception")
        cached = [dataset_features("fashion-mnist", split, inception, args.inception_n, data=data)
                  for split, data in (("train", train), ("test", test))]
        stats = [FeatureStats.from_features(f.features, inception.name, warn=False) for f in cached]
        compare_frechet("tf-inception-pool3-2048 fashion-mnist train vs test", *stats, args.pytorch_fid_python)
    # Time of the 2048-d step alone on full-rank statistics (the Cholesky path) and rank-deficient ones.
    generator = torch.Generator().manual_seed(0)
    full_rank = [FeatureStats.from_features(torch.randn(4096, 2048, generator=generator, dtype=torch.float64)
                                            * (1 + i * 0.1)) for i in range(2)]
    compare_frechet("synthetic gaussian 4096 x 2048 (full rank, timing)", *full_rank, args.pytorch_fid_python)


def write_pngs(split: str, n: int, folder: Path) -> Path:
    """The first n images of a Fashion-MNIST split as PNGs in ``folder`` (PNGs of an earlier, larger n removed)."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.png"):
        stale.unlink()
    pixels = images_to_uint8(load_dataset("fashion-mnist", split=split).samples[:n])
    for index, image in enumerate(pixels):
        Image.fromarray(image[0].numpy()).save(folder / f"{index:05d}.png")
    return folder


def install_weights_for_pytorch_fid(weights: str | None = None) -> dict[str, str]:
    """Put the Inception weights where pytorch-fid looks (torch hub's checkpoints), in its layout; returns
    the environment it needs. A given ``weights`` file goes into a private TORCH_HOME, leaving the hub
    cache alone."""
    environment, destination = {}, torch_hub_checkpoints() / PYTORCH_FID_FILE
    if weights is not None:
        home = Path(tempfile.mkdtemp(prefix="gankit-torch-home-"))
        environment, destination = {"TORCH_HOME": str(home)}, home / "hub" / "checkpoints" / PYTORCH_FID_FILE
    if not destination.is_file():
        destination.parent.mkdir(parents=True, exist_ok=True)
        torch.save(pytorch_fid_state_dict(load_inception(weights)), destination)
    return environment


def timed(command: list[str], **environment: str) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, check=True, capture_output=True, text=True, env={**os.environ, **environment})
    return time.perf_counter() - start, result.stdout


def run_end_to_end(args) -> None:
    pytorch_fid_environment = install_weights_for_pytorch_fid(args.weights)
    if args.folders:
        folder_a, folder_b = map(Path, args.folders)
    else:
        root = Path(args.folder)
        folder_a, folder_b = write_pngs("train", args.n, root / "train"), write_pngs("test", args.n, root / "test")
    common = [str(folder_a), str(folder_b), "--device", args.device, "--batch-size", str(args.batch_size)]
    gankit = [sys.executable, "-m", "gankit", "fid", *common, "--json", "--quiet",
              *(["--weights", args.weights] if args.weights else [])]
    pytorch_seconds, pytorch_out = timed([args.pytorch_fid_python, "-W", "ignore", "-m", "pytorch_fid", *common],
                                         **pytorch_fid_environment)
    pytorch_value = float(pytorch_out.strip().split()[-1])
    ours_seconds, ours_out = timed(gankit + ["--protocol", "pytorch-fid"])
    tf_seconds, tf_out = timed(gankit)
    ours, tf = json.loads(ours_out), json.loads(tf_out)
    record = {"bench": "end-to-end", "n_a": ours["n_a"], "n_b": ours["n_b"], "device": args.device,
              "batch_size": args.batch_size, "weights": args.weights or "TF-Inception (installed)",
              "pytorch_fid_seconds": round(pytorch_seconds, 1), "pytorch_fid_fid": pytorch_value,
              "gankit_pytorch_fid_protocol_seconds": round(ours_seconds, 1),
              "gankit_pytorch_fid_protocol_fid": ours["fid"],
              "relative_difference": abs(ours["fid"] - pytorch_value) / pytorch_value,
              "speedup": round(pytorch_seconds / ours_seconds, 2),
              "gankit_tf_inception_seconds": round(tf_seconds, 1), "gankit_tf_inception_fid": tf["fid"],
              "cpu_count": os.cpu_count()}
    if args.device.startswith("cuda"):
        # torch lets cuDNN convolve in TF32 by default, so pytorch-fid's GPU features are TF32 ones; gankit's
        # are IEEE float32. NVIDIA_TF32_OVERRIDE=0 turns TF32 off in cuDNN/cuBLAS: both in IEEE float32.
        ieee_seconds, ieee_out = timed([args.pytorch_fid_python, "-W", "ignore", "-m", "pytorch_fid", *common],
                                       **pytorch_fid_environment, NVIDIA_TF32_OVERRIDE="0")
        ieee_value = float(ieee_out.strip().split()[-1])
        record.update(pytorch_fid_tf32_off_seconds=round(ieee_seconds, 1), pytorch_fid_tf32_off_fid=ieee_value,
                      relative_difference_tf32_off=abs(ours["fid"] - ieee_value) / ieee_value,
                      speedup_tf32_off=round(ieee_seconds / ours_seconds, 2))
    if args.device == "cpu":                 # the glibc allocator setting matters for the CPU forward only
        default_malloc_seconds, default_out = timed(gankit + ["--protocol", "pytorch-fid"],
                                                    GANKIT_KEEP_FREED_MEMORY="0")
        assert json.loads(default_out)["fid"] == ours["fid"]
        record["gankit_pytorch_fid_protocol_glibc_default_malloc_seconds"] = round(default_malloc_seconds, 1)
    emit(record)


ALLOCATOR_PROBE = """
import json, resource, sys, time, torch
from gankit.data import load_dataset
from gankit.metrics.features import images_to_uint8, make_extractor
from gankit.runtime import keep_freed_memory
n, batch_size = int(sys.argv[1]), int(sys.argv[2])
kept = keep_freed_memory()
extractor = make_extractor("inception")
images = images_to_uint8(load_dataset("fashion-mnist", split="test").samples[:n])
extractor(images[:batch_size])                                      # warm-up batch, not timed
before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
for i in range(0, n, batch_size):
    extractor(images[i:i + batch_size])
seconds, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"keep_freed_memory": kept, "images_per_second": round(n / seconds, 2),
                  "user_seconds": round(after.ru_utime - before.ru_utime, 1),
                  "system_seconds": round(after.ru_stime - before.ru_stime, 1),
                  "minor_page_faults": after.ru_minflt - before.ru_minflt}))
"""


def run_allocator(args) -> None:
    for keep in ("0", "1"):
        environment = {**os.environ, "GANKIT_KEEP_FREED_MEMORY": keep}
        output = subprocess.run([sys.executable, "-W", "ignore", "-c", ALLOCATOR_PROBE, str(args.n),
                                 str(args.batch_size)], check=True, capture_output=True, text=True, env=environment)
        emit({"bench": "allocator", "n": args.n, "batch_size": args.batch_size, "threads": torch.get_num_threads(),
              **json.loads(output.stdout)})


def run_frechet_parts(args) -> None:
    from scipy.linalg import lapack
    generator = torch.Generator().manual_seed(0)
    stats_a, stats_b = [FeatureStats.from_features(torch.randn(4096, 2048, generator=generator, dtype=torch.float64)
                                                   * (1 + i * 0.1)) for i in range(2)]
    sigma1, sigma2 = stats_a.sigma, stats_b.sigma
    cholesky, _ = lapack.dpotrf(sigma1.T, lower=1, clean=0)
    inner, _ = lapack.dsygst(sigma2.T, cholesky, itype=2, lower=1)
    work, iwork, _ = lapack.dsyevd_lwork(2048, compute_v=0, lower=1)
    steps = {"frechet_distance": lambda: fid_from_stats(stats_a, stats_b, device="cpu"),
             "potrf": lambda: lapack.dpotrf(sigma1.T, lower=1, clean=0),
             "sygst": lambda: lapack.dsygst(sigma2.T, cholesky, itype=2, lower=1),
             "syevd": lambda: lapack.dsyevd(inner, compute_v=0, lower=1, lwork=int(work), liwork=int(iwork))}
    rounds = {name: [best_time(step)[0] for _ in range(args.rounds)] for name, step in steps.items()}
    emit({"bench": "frechet-parts", "dim": 2048, "n_a": 4096, "n_b": 4096, "rounds": args.rounds,
          **{f"{name}_seconds": {"min": round(min(times), 4), "median": round(float(np.median(times)), 4),
                                 "max": round(max(times), 4)} for name, times in rounds.items()},
          "fid": fid_from_stats(stats_a, stats_b, device="cpu"), "cpu_count": os.cpu_count()})


def run_is_order(args) -> None:
    """The Inception Score's split order on inputs sorted by class: the MNIST classifier's logits of the
    MNIST test digits (100 per class) sorted by label, cut in input order and after the permutation."""
    from gankit.metrics.inception_score import inception_score
    data = load_dataset("mnist", split="test")
    order = torch.argsort(data.labels, stable=True)
    _, logits = make_extractor("mnist-classifier")(images_to_uint8(data.samples[order]))
    in_order, shuffled = inception_score(logits, shuffle_seed=None), inception_score(logits)
    emit({"bench": "is-order", "n": len(logits), "sorted_by_class": True,
          "is_input_order": round(in_order["is"], 4), "is_std_input_order": round(in_order["is_std"], 4),
          "is_shuffled": round(shuffled["is"], 4), "is_std_shuffled": round(shuffled["is_std"], 4)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("frechet", "frechet-parts", "end-to-end", "allocator", "is-order"))
    parser.add_argument("--pytorch-fid-python", default=PYTORCH_FID_PYTHON)
    parser.add_argument("--inception-n", type=int, default=1000,
                        help="n of cached Inception features of the train-vs-test run (0: skip)")
    parser.add_argument("--n", type=int, default=200, help="images per folder for end-to-end")
    parser.add_argument("--folder", default=str(Path(tempfile.gettempdir()) / "gankit-bench-fid"))
    parser.add_argument("--folders", nargs=2, metavar=("A", "B"),
                        help="end-to-end on these two image folders instead of writing Fashion-MNIST PNGs")
    parser.add_argument("--weights", default=None,
                        help="Inception weights file for both tools (default: gankit's installed weights)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=7, help="rounds of best-of-5 for frechet-parts")
    args = parser.parse_args()
    {"frechet": run_frechet, "frechet-parts": run_frechet_parts, "end-to-end": run_end_to_end,
     "allocator": run_allocator, "is-order": run_is_order}[args.what](args)


if __name__ == "__main__":
    main()
