"""One prepared check for a lent GPU (issue 15, item 6): dcgan and sgan at 64 px, images/s eager vs --compile vs bf16.

On a device machine (no network needed: the data is synthetic uint8 made here, nothing is downloaded or
carried), one call:

    run(command="python benchmarks/gpu_check_scale.py --steps 200", timeout_s=600)

It trains ``dcgan`` (default width 64) and ``sgan`` (the zoo's largest nets at 64 px: G 6.5M, D 13.0M
parameters), batch 64, on 4096 random uint8 RGB images of 64×64 with random labels of 10 classes, through
:class:`gankit.training.Trainer` (``hooks=[]``, ``Trainer.train_step``; the phases' per-step ``.item()``
calls are part of what is timed, as in ``gankit train``) for each setting in turn:

    fp32, bf16, fp16, fp32 --channels-last, bf16 --channels-last, --compile, --compile bf16

``--warmup`` untimed steps first (``--compile-warmup`` more for the compiled ones: compiling is not
timed, but its seconds are reported), then ``--steps`` timed steps between two ``torch.cuda.synchronize()``.
images/s = batch size × steps/s, the real images a step consumes (stylegan3's ``kimg`` counting; one
step also generates 2 × batch fakes). Then ``python -m pytest tests/test_distributed.py tests/test_cuda.py
-q`` (``-rs``: skip reasons shown). Each result is a JSON line on stdout and, when ``$OUT`` is set, in
``$OUT/gpu_check_scale.jsonl``, written as it comes: a call cut off at its time limit keeps what finished.

On a one-GPU machine ``tests/test_distributed.py`` starts 2 processes with ``--device auto``; each
process takes GPU ``LOCAL_RANK``, so rank 1 asks for a second GPU: expect those tests to fail there for
that reason (they pass on the CPU, where CI runs them), and read their tail.

The ResNet family's paper configurations (issue 16, item 8: width 64, 32 px, batch 64, fp32 vs bf16):
    run(command="python benchmarks/gpu_check_scale.py --size 32 --models sngan sngan-projection sagan biggan --settings fp32 bf16 --skip-tests --steps 100", timeout_s=600)
StyleGAN2 at 128 px, batch 32, config F's widths (issue 17, item 8: s/kimg, goal ≤ 4 on an H100):
    run(command="python benchmarks/gpu_check_scale.py --size 128 --batch-size 32 --models stylegan2 --model-args config=f --settings fp32 bf16 compile compile+bf16 --skip-tests --steps 50", timeout_s=600)
Here, on the CPU, to test the script (a few steps of width-8 nets at batch 8; pytest only collects):

    python benchmarks/gpu_check_scale.py --device cpu --dry-run

fp16 is refused on the CPU by design (``--precision fp16 needs a GPU``): the line says ``refused`` with
gankit's one-line message, and the other settings run.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import torch                                          # noqa: E402

from gankit.config import TrainConfig                 # noqa: E402
from gankit.data.base import MemoryData               # noqa: E402
from gankit.errors import GankitError, first_line     # noqa: E402
from gankit.training import Trainer                   # noqa: E402
from gpu_check import emit                            # noqa: E402  (one JSON-lines writer for both GPU scripts)

SETTINGS = {"fp32": {}, "bf16": {"precision": "bf16"}, "fp16": {"precision": "fp16"},
            "fp32+channels-last": {"channels_last": True},
            "bf16+channels-last": {"precision": "bf16", "channels_last": True},
            "compile": {"compile": True}, "compile+bf16": {"compile": True, "precision": "bf16"}}
TESTS = ["tests/test_distributed.py", "tests/test_cuda.py"]


def synthetic_images(num: int, size: int, channels: int = 3, seed: int = 0) -> MemoryData:
    """Random uint8 images with random labels of 10 classes (for the models that train on labels)."""
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (num, channels, size, size), dtype=torch.uint8, generator=generator)
    labels = torch.randint(10, (num,), generator=generator)
    return MemoryData("synthetic", {"image": images}, meta={"label": labels}, num_classes=10)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_setting(model: str, name: str, settings: dict, data: MemoryData, args, folder: Path) -> dict:
    model_args = {**({"width": args.width} if args.width else {}), **args.model_args}
    config = TrainConfig(model=model, data="synthetic", image_size=args.size, batch_size=args.batch_size,
                         steps=10**9, device=args.device, log_every=0, sample_every=0, checkpoint_every=0,
                         model_args=model_args, **settings)
    record = {"check": "images/s", "setting": name, "model": model, "size": args.size,
              "batch_size": args.batch_size, **({"model_args": model_args} if model_args else {})}
    try:
        with warnings.catch_warnings():                  # "checkpoint_every is 0: ..."
            warnings.simplefilter("ignore")
            trainer = Trainer(config, folder / f"{model}-{name}", hooks=[], progress=False, data=data)
    except GankitError as error:                          # fp16 on the CPU: refused by design
        return {**record, "status": "refused", "message": str(error)}
    device = trainer.device
    try:
        warmup = args.warmup + (args.compile_warmup if settings.get("compile") else 0)
        started = time.perf_counter()
        for _ in range(warmup):
            trainer.train_step()
        synchronize(device)
        warmup_s = time.perf_counter() - started
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        started = time.perf_counter()
        for _ in range(args.steps):
            trainer.train_step()
        synchronize(device)
        seconds = time.perf_counter() - started
    except Exception as error:                            # e.g. torch.compile failing on this machine
        return {**record, "status": "failed", "error": f"{type(error).__name__}: {first_line(error)}"}
    steps_per_s = args.steps / seconds
    result = {**record, "status": "ok", "device": str(device), "steps": args.steps, "warmup_steps": warmup,
              "warmup_s": round(warmup_s, 2), "steps_per_s": round(steps_per_s, 3),
              "images_per_s": round(steps_per_s * args.batch_size, 1),
              "s_per_kimg": round(1000 / (steps_per_s * args.batch_size), 2)}     # stylegan's unit: 1000 real images
    if device.type == "cuda":
        result["peak_memory_mb"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
    return result


def machine() -> dict:
    gpu = torch.cuda.is_available()
    return {"check": "machine", "torch": torch.__version__, "cuda": torch.version.cuda,
            "gpu": torch.cuda.get_device_name(0) if gpu else None, "gpus": torch.cuda.device_count() if gpu else 0,
            "bf16_supported": torch.cuda.is_bf16_supported() if gpu else None, "cpu_count": os.cpu_count(),
            "python": platform.python_version()}


def run_tests(args, log: Path | None) -> None:
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *TESTS]
    if args.dry_run:
        command.append("--collect-only")               # here: only that the files import and collect
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=ROOT,
                                timeout=args.test_timeout)
        code, output = result.returncode, result.stdout + result.stderr
    except subprocess.TimeoutExpired:
        code, output = 124, f"timed out after {args.test_timeout} s"
    emit({"check": "pytest " + " ".join(TESTS) + (" --collect-only" if args.dry_run else ""), "rc": code,
          "seconds": round(time.perf_counter() - started, 1), "tail": output[-3000:]}, log)


def model_arg(text: str) -> tuple[str, float | int | str]:
    """``KEY=VALUE``: a number when VALUE reads as one, else the string (e.g. ``config=f``)."""
    key, _, value = text.partition("=")
    if not key or not value:
        raise argparse.ArgumentTypeError(f"write KEY=VALUE, got {text!r}")
    try:
        number = float(value)
    except ValueError:
        return key, value
    return key, int(number) if number.is_integer() else number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="the device under test (cpu: test the script here)")
    parser.add_argument("--steps", type=int, default=200, help="timed steps per setting")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps per setting")
    parser.add_argument("--compile-warmup", type=int, default=10, help="more untimed steps for --compile")
    parser.add_argument("--size", type=int, default=64, choices=(32, 64, 128, 256))
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--models", nargs="+", default=["dcgan", "sgan"],
                        help="dcgan, and sgan: the zoo's largest nets at 64 px (G 6.5M, D 13.0M parameters)")
    parser.add_argument("--width", type=int, default=None, help="the nets' width (default: the model's)")
    parser.add_argument("--model-args", nargs="+", default=[], type=model_arg, metavar="KEY=VALUE",
                        help="builder options, e.g. --model-args config=f (stylegan2's paper widths)")
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--skip-tests", action="store_true")
    parser.add_argument("--test-timeout", type=int, default=300)
    parser.add_argument("--dry-run", action="store_true",
                        help="2 timed steps (1 warm-up) of width-8 nets at batch 8; pytest only collects")
    args = parser.parse_args()
    args.model_args = dict(args.model_args)
    if args.dry_run:
        args.steps, args.warmup, args.compile_warmup, args.batch_size = 2, 1, 1, 8
        if not args.model_args:                          # else the given options say how small
            args.width = args.width or 8
    log = Path(os.environ["OUT"]) / "gpu_check_scale.jsonl" if os.environ.get("OUT") else None
    emit(machine(), log)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        emit({"check": "images/s", "status": "failed", "error": "torch sees no GPU; use --device cpu --dry-run here"}, log)
        return
    data = synthetic_images(4096 if not args.dry_run else 64, args.size)
    with tempfile.TemporaryDirectory(prefix="gankit-gpu-scale-") as folder:
        for model in args.models:
            for name in args.settings:
                emit(time_setting(model, name, SETTINGS[name], data, args, Path(folder)), log)
    if not args.skip_tests:
        run_tests(args, log)


if __name__ == "__main__":
    main()
