"""`gankit sample --truncation/--mix/--interpolate` and `gankit eval --metric ppl` on a tiny stylegan2 run."""
from __future__ import annotations

import json

from PIL import Image

from conftest import tiny_model_setup
from gankit.cli import main
from gankit.config import TrainConfig
from gankit.metrics import ppl
from gankit.metrics.inception_weights import random_inception
from gankit.training import Trainer


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_style_sampling_and_ppl_commands(capsys, tmp_path, monkeypatch):
    data, overrides = tiny_model_setup("stylegan2")                 # 1x8x8: 4 ws (4 and 8 px)
    config = TrainConfig(model="stylegan2", data="tiny", steps=1, batch_size=4, seed=0, sample_every=0,
                         checkpoint_every=1, model_args=overrides)
    Trainer(config, tmp_path / "run", progress=False, data=data).run()
    run = tmp_path / "run"
    code, out, _ = run_cli(capsys, "sample", run, "--truncation", 0.7, "--num", 4, "--out", tmp_path / "trunc.png")
    assert code == 0 and Image.open(tmp_path / "trunc.png").size == (2 * 8 + 3 * 2, 2 * 8 + 3 * 2)
    code, _, err = run_cli(capsys, "sample", run, "--mix", "--out", tmp_path / "mix.png")   # coarse = all 4 ws
    assert code == 2 and "mixing layers 'coarse' give ws 0..3 of this model's 0..3 (4 to 8 px)" in err
    code, out, _ = run_cli(capsys, "sample", run, "--mix", "--mix-layers", "0-1", "--rows", 2, "--columns", 3,
                           "--out", tmp_path / "mix.png")
    assert code == 0 and "2 row sources (left) give the 0-1 styles" in out
    assert Image.open(tmp_path / "mix.png").size == (4 * 8 + 5 * 2, 3 * 8 + 4 * 2)
    code, out, _ = run_cli(capsys, "sample", run, "--interpolate", "--rows", 2, "--columns", 3,
                           "--out", tmp_path / "interp.png")
    assert code == 0 and "(lerp in W)" in out
    substitute = ppl.InceptionStageDistance(random_inception())          # random weights: the names, not values
    monkeypatch.setattr(ppl, "substitute_distance", lambda device: substitute)
    code, out, _ = run_cli(capsys, "eval", run, "--metric", "ppl:distance=substitute", "--num", 2, "--json", "--quiet")
    result = json.loads(out)
    assert code == 0 and result["metric"] == "ppl-substitute-tf-inception-5stage-unitnorm_wend_eps1e-4_n2"
    assert result["value"] > 0 and result["space"] == "w" and "not the paper's LPIPS" in result["note"]
