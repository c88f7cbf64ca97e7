"""SIGTERM / Ctrl-C mid-run: the step just finished is saved, and a resume ends with the weights of a run
never interrupted."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from gankit.cli import main
from gankit.training.checkpoint import list_checkpoints, load_checkpoint
from gankit.training.preemption import StopSignals, TrainingInterrupted

SRC = Path(__file__).resolve().parent.parent / "src"
# checkpoints only when stopped (or at the end); one metrics row per step shows the run is under way
RUN = ["mlp-gan", "--data", "ring8", "--log-every", "1", "--sample-every", "0", "--checkpoint-every", "1000000",
       "--quiet", "--set", "model_args.hidden=8", "--batch-size", "16"]


def start_training(out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "gankit", "train", *RUN, "--steps", "1000000", "--out", str(out)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_steps(process: subprocess.Popen, metrics: Path, steps: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not (metrics.is_file() and len(metrics.read_text().splitlines()) >= steps):
        if process.poll() is not None:
            pytest.fail(f"training exited early ({process.returncode}): {process.stderr.read()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"training logged fewer than {steps} steps in {timeout} s")
        time.sleep(0.05)


@pytest.mark.parametrize("signum,exit_code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stopped_run_saves_its_step_and_resumes_to_the_uninterrupted_weights(tmp_path, capsys, signum, exit_code):
    stopped = tmp_path / "stopped"
    process = start_training(stopped)
    wait_for_steps(process, stopped / "metrics.jsonl", 3)
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == exit_code, err
    saved = list_checkpoints(stopped)
    assert len(saved) == 1, saved
    step = int(load_checkpoint(saved[0])["step"])
    assert 3 <= step < 1000000 and saved[0].name == f"step-{step:07d}.pt"
    assert f"{signal.Signals(signum).name} received" in err and f"interrupted at step {step}" in err
    target = step + 5
    assert main(["train", "--resume", str(stopped), "--steps", str(target), "--quiet"]) == 0
    assert main(["train", *RUN, "--steps", str(target), "--out", str(tmp_path / "straight")]) == 0
    capsys.readouterr()
    resumed, straight = (load_checkpoint(folder)["model"] for folder in (stopped, tmp_path / "straight"))
    assert resumed.keys() == straight.keys()
    assert all(torch.equal(resumed[key], straight[key]) for key in straight)


def test_a_second_signal_while_stopping_is_only_reported(capsys):
    previous = signal.getsignal(signal.SIGINT)      # default_int_handler, or SIG_IGN in a background job (nohup ... &)
    with StopSignals() as stop:
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)         # e.g. during the save: no KeyboardInterrupt
    assert stop.signum == signal.SIGINT
    err = capsys.readouterr().err
    assert "SIGINT received" in err and "SIGINT ignored: already stopping" in err
    assert signal.getsignal(signal.SIGINT) is previous                        # the previous handler is back
    assert TrainingInterrupted(signal.SIGTERM).exit_code == 143
