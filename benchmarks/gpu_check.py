"""One prepared check for a lent GPU: the CUDA tests, then `gankit fid` vs pytorch-fid end to end.

Here, once (offline Fashion-MNIST and gankit's Inception weights installed, PyPI reachable):

    python benchmarks/gpu_check.py prepare [--n 10000]

writes ``.gpu-check/`` (git-ignored, ~12 MB at n=10000): the first N Fashion-MNIST train and test images
as PNGs in a zip and pytorch-fid's wheel (pure Python); and the Inception weights (87 MB) in two halves,
``.gpu-weights-1/`` and ``.gpu-weights-2/``, because one device call carries at most 64 MiB. The device
machine has torch, torchvision and scipy but no network.

There, two device calls back to back (a warm machine keeps what the first one carried):

    run(command="python3 benchmarks/gpu_check.py run --only-tests", carry=[".gpu-check", ".gpu-weights-1"],
        timeout_s=300)
    run(command="python3 benchmarks/gpu_check.py run --skip-tests", carry=[".gpu-check", ".gpu-weights-2"],
        timeout_s=600)

The second call joins the halves and checks their sha256. If the first half is not there (the machine
went back in between: a fresh one starts bare), the timed runs use seeded random weights of the same
architecture (:func:`gankit.metrics.inception_weights.random_inception`) in both tools: the speed depends
on the architecture only, and on the same weights the two tools' values must agree. One call with
``run`` alone (carrying ``.gpu-check``) does all of it on random weights.

Printed as JSON lines (also written to ``$OUT/gpu_check.jsonl``): the machine; the result of
``pytest tests/test_cuda.py``; `gankit fid` on the GPU vs on the CPU of the same machine for 1000 vs
1000 images; and twice the end-to-end timing of ``bench_fid.py end-to-end`` on the GPU (batch size 50
for both tools, pytorch-fid's default; pytorch-fid with and without TF32). Lines are written as they
come, so a call cut off at its time limit still returns what it finished.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".gpu-check"
WEIGHT_HALVES = (ROOT / ".gpu-weights-1" / "half", ROOT / ".gpu-weights-2" / "half")
PYTORCH_FID_WHEEL = "pytorch-fid==0.3.0"


def emit(record: dict, log: Path | None) -> None:
    line = json.dumps(record)
    print(line, flush=True)
    if log is not None:
        with open(log, "a") as handle:
            handle.write(line + "\n")


def prepare(args) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_fid import write_pngs
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir()
    with tempfile.TemporaryDirectory() as folder, zipfile.ZipFile(WORK / "images.zip", "w") as archive:
        for split in ("train", "test"):      # one file: 20k small PNGs would take 80 MB of 4 kB blocks
            for path in sorted(write_pngs(split, args.n, Path(folder) / split).iterdir()):
                archive.write(path, f"{split}/{path.name}")
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                    "-d", str(WORK / "wheels"), PYTORCH_FID_WHEEL], check=True)
    size = sum(path.stat().st_size for path in WORK.rglob("*") if path.is_file())
    print(f"wrote {WORK} ({size / 2**20:.1f} MiB): carry it with the device calls")
    from gankit.data.download import cache_dir
    from gankit.metrics.inception_weights import CONVERTED_FILE, find_inception_weights
    converted = cache_dir() / CONVERTED_FILE        # our layout, without the 1008-way classifier: the smallest
    weights = (converted if converted.is_file() else find_inception_weights(download=False)).read_bytes()
    middle = len(weights) // 2
    for half, part in zip(WEIGHT_HALVES, (weights[:middle], weights[middle:])):
        half.parent.mkdir(exist_ok=True)
        half.write_bytes(part)
    (WORK / "weights.sha256").write_text(hashlib.sha256(weights).hexdigest())
    print(f"wrote the Inception weights ({len(weights) / 2**20:.1f} MiB) in two halves: "
          f"{', '.join(str(half.parent) for half in WEIGHT_HALVES)}")


def joined_weights(scratch: Path) -> Path | None:
    """The real Inception weights from the two carried halves, or None when one is missing or they do not
    match the sha256 written by ``prepare``."""
    if not all(half.is_file() for half in WEIGHT_HALVES) or not (WORK / "weights.sha256").is_file():
        return None
    weights = b"".join(half.read_bytes() for half in WEIGHT_HALVES)
    if hashlib.sha256(weights).hexdigest() != (WORK / "weights.sha256").read_text().strip():
        return None
    destination = scratch / "tf-inception.pth"
    destination.write_bytes(weights)
    return destination


def run_step(command: list[str], environment: dict, timeout: float) -> tuple[int, float, str, str]:
    """(exit code, seconds, stdout, stdout + stderr) of one command; a timeout is exit code 124."""
    start = time.perf_counter()
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=timeout, cwd=ROOT)
        code, output, both = result.returncode, result.stdout, result.stdout + result.stderr
    except subprocess.TimeoutExpired:
        code, output, both = 124, "", f"timed out after {timeout} s"
    return code, round(time.perf_counter() - start, 1), output, both


def run(args) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="gankit-gpu-check-"))      # nothing is written into what is carried
    try:
        checks(args, scratch, Path(os.environ["OUT"]) / "gpu_check.jsonl" if os.environ.get("OUT") else None)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def checks(args, scratch: Path, log: Path | None) -> None:
    site = scratch / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--upgrade", "--no-index", "--no-deps",
                    "--target", str(site), *map(str, (WORK / "wheels").glob("*.whl"))], check=True)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(site)]),
                   "PYTHONUNBUFFERED": "1"}
    probe = ("import json, os, torch; gpu = torch.cuda.is_available(); print(json.dumps({'torch': torch.__version__, "
             "'cuda': torch.version.cuda, 'gpu': torch.cuda.get_device_name(0) if gpu else None, "
             "'cpu_count': os.cpu_count()}))")
    code, _, output, both = run_step([sys.executable, "-c", probe], environment, 120)
    emit({"check": "machine", "rc": code, **(json.loads(output) if code == 0 else {"tail": both[-3000:]})}, log)

    if not args.skip_tests:
        code, seconds, _, output = run_step([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                                             "tests/test_cuda.py"], environment, 300)
        emit({"check": "pytest tests/test_cuda.py", "rc": code, "seconds": seconds, "tail": output[-3000:]}, log)
    if args.only_tests:
        return

    weights = joined_weights(scratch)
    if weights is None:
        weights = scratch / "random-inception.pth"
        make_weights = ("import sys, torch; from gankit.metrics.inception_weights import random_inception, "
                        "pytorch_fid_state_dict; torch.save(pytorch_fid_state_dict(random_inception(0)), sys.argv[1])")
        subprocess.run([sys.executable, "-c", make_weights, str(weights)], check=True, env=environment)
    emit({"check": "weights", "file": weights.name,
          "kind": "TF-Inception (real)" if weights.name == "tf-inception.pth" else "random stand-in (seed 0)"}, log)
    with zipfile.ZipFile(WORK / "images.zip") as archive:
        archive.extractall(scratch)
    folders = [str(scratch / "train"), str(scratch / "test")]
    values = {}
    for device in dict.fromkeys((args.device, "cpu")):
        command = [sys.executable, "-m", "gankit", "fid", *folders, "--num", str(args.num), "--device", device,
                   "--weights", str(weights), "--json", "--quiet"]
        code, seconds, output, both = run_step(command, environment, 240)
        values[device] = json.loads(output)["fid"] if code == 0 else None
        emit({"check": f"gankit fid --num {args.num} --device {device}", "rc": code, "seconds": seconds,
              **({"fid": values[device]} if code == 0 else {"tail": both[-3000:]})}, log)
    if len(values) == 2 and None not in values.values():
        emit({"check": f"fid {args.device} vs cpu",
              "relative_difference": abs(values[args.device] - values["cpu"]) / values["cpu"]}, log)

    end_to_end = [sys.executable, "benchmarks/bench_fid.py", "end-to-end", "--device", args.device,
                  "--folders", *folders, "--weights", str(weights), "--batch-size", "50",
                  "--pytorch-fid-python", args.pytorch_fid_python]
    for attempt in range(1, args.attempts + 1):      # later runs find the PNGs in the page cache, for both tools
        code, seconds, output, both = run_step(end_to_end, environment, 400)
        lines = [line for line in output.splitlines() if line.startswith('{"bench"')]
        emit({"check": "end-to-end", "attempt": attempt, "rc": code,
              **(json.loads(lines[-1]) if lines else {"tail": both[-3000:]})}, log)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("prepare", "run"))
    parser.add_argument("--n", type=int, default=10000, help="images per PNG folder (prepare)")
    parser.add_argument("--device", default="cuda", help="run: the device under test (cpu: a dry run here)")
    parser.add_argument("--pytorch-fid-python", default=sys.executable,
                        help="run: a Python with torchvision (the device's python3 has it)")
    parser.add_argument("--attempts", type=int, default=2, help="run: end-to-end timings")
    parser.add_argument("--only-tests", action="store_true", help="run: the machine and the CUDA tests only")
    parser.add_argument("--skip-tests", action="store_true", help="run: all but the CUDA tests")
    parser.add_argument("--num", type=int, default=1000, help="run: images per side for the device-vs-CPU FID")
    args = parser.parse_args()
    {"prepare": prepare, "run": run}[args.what](args)


if __name__ == "__main__":
    main()
