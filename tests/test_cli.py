"""The command line, run in-process: outputs, files written and one-line user errors."""
from __future__ import annotations

import json

import pytest

from gankit.cli import main


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_models_and_datasets(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    for name in ("gan", "dcgan", "mlp-gan", "mnist", "fashion-mnist", "ring8", "grid25", "image-folder:PATH"):
        assert name in out
    code, out, _ = run_cli(capsys, "list", "models", "--json")
    assert {"gan", "dcgan", "mlp-gan"} <= set(json.loads(out)["models"])


TRAIN_RING8 = ["train", "mlp-gan", "--data", "ring8", "--out", "{tmp}/x"]


@pytest.mark.parametrize("argv,message", [
    (["train", "dcgann", "--data", "ring8"], "unknown model 'dcgann'; valid models: "),
    (["train", "mlp-gan", "--data", "ring9"], "unknown dataset 'ring9'; valid datasets: "),
    (["train", "dcgan", "--data", "ring8", "--out", "{tmp}/x"], "model 'dcgan' needs square images"),
    (["train", "mlp-gan", "--data", "ring8", "--set", "nonsense"], "--set expects key=value"),
    (["sample", "{tmp}/missing"], "no run folder or checkpoint at {tmp}/missing"),
    (["train", "dcgan", "--data", "image-folder:{tmp}", "--out", "{tmp}/x"], "{tmp}"),
    (["fid", "{tmp}", "{tmp}", "--num", "-3"], "--num must be a positive number of images, got -3"),
    (["fid", "{tmp}", "{tmp}", "--batch-size", "0"], "--batch-size must be an integer of at least 1, got 0"),
    (["kid", "{tmp}", "{tmp}", "--subsets", "0"], "KID needs at least 1 subset of at least 2 samples"),
    (["is", "{tmp}", "--splits", "0"], "the Inception Score needs at least 1 split, got 0"),
    (["fid", "{tmp}", "{tmp}", "--device", "gpu"], "unknown device 'gpu'"),
    (TRAIN_RING8 + ["--steps", "0"], "steps must be an integer >= 1, got 0"),
    (TRAIN_RING8 + ["--batch-size", "-4"], "batch_size must be an integer >= 1, got -4"),
    (TRAIN_RING8 + ["--lr-g", "-1"], "lr_g must be a positive learning rate, got -1.0"),
    (TRAIN_RING8 + ["--set", "n_critic=0"], "n_critic must be an integer >= 1, got 0"),
    (TRAIN_RING8 + ["--labels-per-class", "0"], "labels_per_class must be an integer >= 1, got 0"),
    (TRAIN_RING8 + ["--set", "ema_decay=1"], "ema_decay must be in [0, 1), got 1"),
    (TRAIN_RING8 + ["--set", "betas=[0.5]"], "betas must be two numbers in [0, 1)"),
    (TRAIN_RING8 + ["--set", 'betas=["a","b"]'], "betas must be two numbers in [0, 1)"),
    (TRAIN_RING8 + ["--set", "model_args=5"], "model_args must be a mapping of builder options"),
    (TRAIN_RING8 + ["--set", "model_args=5", "--set", "model_args.hidden=8"], "model_args must be a mapping"),
    (TRAIN_RING8 + ["--set", "regularizers=5"], "regularizers must be names or specs like r1:gamma=1"),
    (TRAIN_RING8 + ["--set", "model_args.hidden=-4"],
     "model 'mlp-gan' cannot be built with model_args {'hidden': -4} for samples of shape (2,): "),
    (TRAIN_RING8 + ["--device", "meta"], "device 'meta' cannot run gankit (it runs on cpu, cuda and mps)"),
    (["fid", "{tmp}", "{tmp}", "--device", "xla"], "device 'xla' cannot run gankit"),
    (["eval", "{tmp}/missing", "--metric", "fid", "--device", "meta"], "device 'meta' cannot run gankit"),
    (["train", "--config", "{tmp}"], "cannot read config file {tmp}: Is a directory"),
    (TRAIN_RING8 + ["--eval-metric", "fdi"], "unknown metric 'fdi'; valid metrics: "),
    (TRAIN_RING8 + ["--eval-every", "2", "--eval-metric", "fid-mnist"],
     "--eval-metric fid-mnist cannot run on this run: metrics need images shaped"),
    (TRAIN_RING8 + ["--seed", "99999999999999999999"],
     "seed must be an integer in [0, 2^63), got 99999999999999999999"),
    (["sample", "{tmp}/missing", "--seed", "-1"], "--seed must be an integer in [0, 2^63), got -1"),
    (TRAIN_RING8 + ["--set", "model_args.weight_decay=-1"], "weight_decay must be a number >= 0, got -1"),
    (TRAIN_RING8 + ["--set", "model_args.clip=-1"], "clip must be a positive number, got -1"),
    (TRAIN_RING8 + ["--set", "model_args.hidden=0"], "these layers have no units: generator.net.0.weight"),
    (["train", "cgan", "--data", "mnist", "--labels-per-class", "10", "--out", "{tmp}/x"],
     "--labels-per-class keeps labels for only some samples, which 'cgan' cannot train on"),
    (["sample", "{tmp}/missing", "--out", "{tmp}/grid.jpg"], "gankit sample writes PNG; name the file FILE.png"),
    (["sample", "{tmp}/missing", "--traverse", "c1", "--num", "8"], "--num do not apply to --traverse"),
    (["sample", "{tmp}/missing", "--traverse", "cat", "--class", "1"], "--class do not apply to --traverse"),
    (["bench", "modes", "--workers", "0"], "--workers must be at least 1, got 0"),
    (["bench", "modes", "--batch-size", "-2"], "--batch-size must be at least 1, got -2"),
    (["bench", "modes", "--min-share", "1.5"], "--min-share is a share of the samples, in [0, 1]; got 1.5"),
    (["sample", "{tmp}/missing", "--rows", "3"], "--rows applies only to a --traverse grid"),
    (["sample", "{tmp}/missing", "--traverse", "c1", "--rows", "0"], "--rows must be at least 1, got 0"),
])
def test_user_errors_are_one_line(capsys, tmp_path, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("gankit: error: "), err
    assert message.replace("{tmp}", str(tmp_path)) in err
    assert "Traceback" not in err
    assert not list(tmp_path.iterdir())           # nothing written, not even a temporary file


def test_train_resume_sample_and_bench(capsys, tmp_path):
    run_dir = tmp_path / "run"
    code, out, _ = run_cli(capsys, "train", "mlp-gan", "--data", "ring8", "--steps", 20, "--out", run_dir,
                           "--no-progress", "--sample-every", 10, "--set", "model_args.hidden=16")
    assert code == 0 and "step 20" in out
    assert json.loads((run_dir / "config.json").read_text())["model_args"] == {"hidden": 16}
    assert sorted(p.name for p in (run_dir / "samples").iterdir()) == ["step-0000010.png", "step-0000020.png"]
    code, out, _ = run_cli(capsys, "train", "--resume", run_dir, "--steps", 30, "--no-progress")
    assert code == 0 and "step 30" in out
    steps = [json.loads(line)["step"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert steps == [10, 20, 30]
    code, out, err = run_cli(capsys, "train", "--resume", run_dir, "--steps", 25, "--no-progress")
    assert code == 0 and "step 30" in out and "already at step 30, past --steps 25: nothing was trained" in err
    code, out, _ = run_cli(capsys, "sample", run_dir, "--num", 16, "--out", tmp_path / "grid.png")
    assert code == 0 and (tmp_path / "grid.png").stat().st_size > 0
    code, out, _ = run_cli(capsys, "bench", "modes", "--model", "mlp-gan", "--data", "ring8", "--seeds", 2,
                           "--steps", 30, "--workers", 1, "--json")
    result = json.loads(out)
    assert code == 0 and {"modes_mean", "modes_std", "high_quality_mean"} <= result.keys()
    assert len(result["modes_per_seed"]) == 2 and 0 <= result["modes_mean"] <= 8
