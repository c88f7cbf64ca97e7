"""What a new user meets first: --version, help for every train flag, the device line, --quiet, samples
written to a folder, a benchmark that warns about nothing the user asked for."""
from __future__ import annotations

import re

import pytest
import torch

from gankit.cli import build_parser, main
from gankit.cli.cmd_train import FLAGS


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_version_prints_the_package_version(capsys):
    import gankit
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"gankit {gankit.__version__}\n"


def test_every_train_flag_has_help_with_its_default():
    train = build_parser()._subparsers._group_actions[0].choices["train"]
    flags = [action for action in train._actions if action.option_strings and action.dest != "help"]
    assert {"--" + flag.replace("_", "-") for flag in FLAGS} <= {a.option_strings[0] for a in flags}
    for action in flags:
        assert action.help, action.option_strings
        if action.dest not in ("resume", "config", "set", "quiet"):     # no default to show
            assert "(default: " in action.help, action.option_strings
    help_text = train.format_help()
    assert re.search(r"--device DEVICE\s+auto \(cuda when torch sees a GPU, else cpu\)", help_text)
    assert "--quiet, --no-progress" in help_text


def test_train_says_its_device_on_stderr_unless_quiet(capsys, tmp_path):
    here = "cuda" if torch.cuda.is_available() else "cpu"
    small = ["--data", "ring8", "--steps", 1, "--sample-every", 0, "--set", "model_args.hidden=8"]
    code, out, err = run_cli(capsys, "train", "mlp-gan", *small, "--out", tmp_path / "a")
    assert code == 0 and f"gankit: training on {here} (device auto)\n" in err
    assert "training on" not in out
    code, out, err = run_cli(capsys, "train", "mlp-gan", *small, "--out", tmp_path / "b", "--quiet")
    assert code == 0 and err == "" and "trained mlp-gan" in out


def test_bench_warns_about_no_checkpoints_it_turned_off_itself(capsys):
    code, out, err = run_cli(capsys, "bench", "modes", "--seeds", 1, "--steps", 3, "--workers", 1, "--quiet",
                             "--batch-size", 16, "--json")
    assert code == 0 and out.startswith("{") and err == ""
