"""config.json records what a run used (resolved hyperparameters, device, versions) and still loads as a config."""
from __future__ import annotations

import json
import platform

import torch

import gankit
from gankit.cli import main
from gankit.config import TrainConfig, load_config

SMALL = ["--data", "ring8", "--sample-every", "0", "--quiet", "--set", "model_args.hidden=8"]


def test_config_json_records_resolved_hparams_device_and_versions(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "mlp-gan", *SMALL, "--steps", "2", "--out", str(run)]) == 0
    saved = json.loads((run / "config.json").read_text())
    assert saved["lr_g"] is None and saved["device"] == "auto"        # the settings as given
    gan = gankit.load(run, device="cpu")
    expected = {key: list(value) if isinstance(value, tuple) else value for key, value in gan.hparams.items()}
    assert saved["resolved"] == {**expected, "device": "cuda" if torch.cuda.is_available() else "cpu"}
    assert saved["resolved"]["lr_g"] > 0 and saved["resolved"]["n_critic"] >= 1
    assert saved["versions"] == {"gankit": gankit.__version__, "torch": torch.__version__,
                                 "python": platform.python_version()}
    config = load_config(run / "config.json")                     # the record is skipped, not refused
    assert config == TrainConfig.from_dict({k: v for k, v in saved.items() if k not in ("resolved", "versions")})
    assert main(["train", "--resume", str(run), "--steps", "3", "--quiet"]) == 0     # no "settings changed"
    assert main(["train", "--config", str(run / "config.json"), "--steps", "1", "--quiet",
                 "--out", str(tmp_path / "again")]) == 0
    capsys.readouterr()
