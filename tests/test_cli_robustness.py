"""Bad output paths, config files and resumes fail in one line before any work, and leave no files behind."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from gankit.cli import main
from gankit.config import TrainConfig, apply_overrides, check_hparams
from gankit.errors import GankitError
from gankit.runtime import check_output_dir, check_output_file, resolve_device

TRAIN = ["train", "mlp-gan", "--data", "ring8", "--steps", "2", "--no-progress", "--set", "model_args.hidden=8"]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A 2-step mlp-gan run (hidden=8) with one checkpoint."""
    run_dir = tmp_path_factory.mktemp("trained") / "run"
    assert main(TRAIN + ["--out", str(run_dir)]) == 0
    return run_dir


def one_line_error(capsys, argv) -> str:
    """The error line of a command that must fail with status 2 and nothing else on stderr."""
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("gankit: error: "), err
    return err.strip()


def files_under(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_sample_into_a_folder_or_an_unwritable_place(capsys, tmp_path, trained_run):
    (tmp_path / "grids").mkdir()
    # an existing folder is where one PNG per sample goes; 2-D points have no images
    assert f"--out {tmp_path / 'grids'} writes one image per sample, but 'mlp-gan' generates samples of shape (2,)" \
        in one_line_error(capsys, ["sample", trained_run, "--out", tmp_path / "grids"])
    (tmp_path / "afile").write_text("")
    error = one_line_error(capsys, ["sample", trained_run, "--out", tmp_path / "afile" / "x.png"])
    assert f"{tmp_path / 'afile'} is a file, not a folder" in error
    assert files_under(tmp_path) == ["afile", "grids"]


@linux_only
def test_sample_and_train_into_proc_fail_before_the_work(capsys, trained_run):
    assert "cannot write --out /proc/x.png: /proc is not writable" in one_line_error(
        capsys, ["sample", trained_run, "--out", "/proc/x.png"])
    assert "cannot write run folder /proc/run: /proc is not writable" in one_line_error(
        capsys, TRAIN + ["--out", "/proc/run"])


def test_train_into_an_existing_file(capsys, tmp_path):
    (tmp_path / "afile").write_text("kept")
    error = one_line_error(capsys, TRAIN + ["--out", tmp_path / "afile"])
    assert f"run folder {tmp_path / 'afile'} is an existing file, not a folder" in error
    assert files_under(tmp_path) == ["afile"] and (tmp_path / "afile").read_text() == "kept"


def test_sample_on_a_device_torch_knows_but_gankit_cannot_use(capsys, tmp_path, trained_run):
    for device in ("meta", "xla"):
        assert f"device '{device}' cannot run gankit" in one_line_error(
            capsys, ["sample", trained_run, "--device", device, "--out", tmp_path / "x.png"])
    assert not files_under(tmp_path)


def test_resume_with_other_model_settings(capsys, trained_run):
    before = files_under(trained_run)
    error = one_line_error(capsys, ["train", "--resume", trained_run, "--steps", "3", "--no-progress",
                                    "--set", "model_args.hidden=16"])
    assert "was trained with other settings (model_args {'hidden': 8} -> {'hidden': 16}); a resume " \
           "may change only steps, " in error and error.endswith("train into a new --out instead")
    assert files_under(trained_run) == before
    # settings that were written to config.json but not used (lr), or crashed every later resume (optimizer)
    for change, shown in ((["--lr-g", "0.1"], "lr_g None -> 0.1"), (["--optimizer", "rmsprop"], "optimizer "),
                          (["--seed", "5"], "seed 0 -> 5")):
        error = one_line_error(capsys, ["train", "--resume", trained_run, "--steps", "3", "--no-progress", *change])
        assert f"was trained with other settings ({shown}" in error, error
        assert files_under(trained_run) == before
    error = one_line_error(capsys, ["train", "--resume", trained_run, "--out", str(trained_run) + "-copy"])
    assert "--resume continues" in error and "drop --out" in error
    error = one_line_error(capsys, ["train", "--resume", trained_run, "--config", str(trained_run / "config.json")])
    assert "drop --config" in error and files_under(trained_run) == before


@pytest.mark.parametrize("name,content,message", [
    ("binary.npz", None, "config file {path} is not a text file (not UTF-8)"),
    ("broken.json", '{"model": "mlp-gan",', "config file {path} is not valid JSON: "),
    ("broken.toml", "model = ", "config file {path} is not valid TOML: "),
    ("list.json", "[1, 2]", "config file {path} must hold key/value pairs (a JSON object), not list"),
    ("nomodel.json", '{"data": "ring8"}', "config lacks model; set it in the config file or on the command line"),
])
def test_config_files_that_are_not_configs(capsys, tmp_path, name, content, message):
    path = tmp_path / name
    if content is None:
        np.savez(path, weights=np.arange(300))
    else:
        path.write_text(content)
    error = one_line_error(capsys, ["train", "--config", path, "--out", tmp_path / "run"])
    assert message.format(path=path) in error
    assert files_under(tmp_path) == [name]


def test_config_file_takes_the_model_from_the_command_line(capsys, tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"data": "ring8", "steps": 1, "model_args": {"hidden": 8}}')
    assert main(["train", "mlp-gan", "--config", str(path), "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    assert "trained mlp-gan on ring8 to step 1" in capsys.readouterr().out


def test_late_os_errors_are_one_line(capsys, tmp_path, trained_run, monkeypatch):
    """The safety net for a file that fails only when written (here: a disk that fills up)."""
    def disk_full(image, path):
        raise OSError(28, "No space left on device", str(path))
    monkeypatch.setattr("gankit.cli.cmd_sample.save_png", disk_full)
    error = one_line_error(capsys, ["sample", trained_run, "--out", tmp_path / "x.png"])
    assert error == f"gankit: error: cannot access {tmp_path / 'x.png'}: No space left on device"


def test_a_regularizer_string_is_one_spec_as_with_reg():
    base = TrainConfig(model="dcgan", data="mnist")
    assert apply_overrides(base, ["regularizers=r1"]).regularizers == ("r1",)
    assert apply_overrides(base, ["regularizers=r1:gamma=1,lazy_interval=4"]).regularizers == \
        ("r1:gamma=1,lazy_interval=4",)
    assert apply_overrides(base, ['regularizers=["r1","cr"]']).regularizers == ("r1", "cr")
    assert TrainConfig(model="dcgan", data="mnist", regularizers="cr").regularizers == ("cr",)


def test_output_checks_and_devices_for_library_callers(tmp_path):
    """check_output_file / check_output_dir are what commands call before their work (fid --save-stats too)."""
    assert check_output_file(tmp_path / "new" / "stats.npz", "--save-stats") == tmp_path / "new" / "stats.npz"
    assert check_output_dir(tmp_path / "runs" / "a") == tmp_path / "runs" / "a"
    with pytest.raises(GankitError, match="--save-stats .* is a folder, not a file"):
        check_output_file(tmp_path, "--save-stats")
    assert not files_under(tmp_path)                      # checking creates nothing
    assert resolve_device("cpu:0").type == "cpu"
    with pytest.raises(GankitError, match="device 'meta' cannot run gankit .*devices here: auto, cpu"):
        resolve_device("meta")


@pytest.mark.parametrize("values,message", [
    ({"lr_g": -1.0}, "lr_g must be a positive number, got -1.0"),
    ({"lr_g": 0, "lr_d": float("inf")}, "lr_g must be a positive number, got 0 and lr_d must be a positive number, got inf"),
    ({"eps": 0.0}, "eps must be a positive number, got 0.0"),
    ({"clip": -1}, "clip must be a positive number, got -1"),
    ({"weight_decay": -0.1}, "weight_decay must be a number >= 0, got -0.1"),
    ({"betas": (0.5,)}, "betas must be two numbers in [0, 1), e.g. [0.5, 0.999], got (0.5,)"),
    ({"betas": 0.5}, "betas must be two numbers in [0, 1)"),                     # crashed in tuple(0.5)
    ({"n_critic": 0}, "n_critic must be an integer >= 1, got 0"),
    ({"n_critic": 2.0}, "n_critic must be an integer >= 1, got 2.0"),
    ({"optimizer": "sgd"}, "unknown optimizer 'sgd'; use 'adam' or 'rmsprop'"),
])
def test_one_check_for_every_training_hyperparameter(values, message):
    """config.check_hparams is the one check of TrainConfig, the objectives' catalog (and GAN.check_hparams)."""
    import re
    from gankit.registry import OBJECTIVES
    with pytest.raises(GankitError, match=re.escape(message)):
        check_hparams(values)
    if set(values) <= {"lr_g", "lr_d", "betas", "n_critic", "optimizer"}:          # TrainConfig fields
        with pytest.raises(GankitError, match=re.escape(message)):
            TrainConfig(model="mlp-gan", data="ring8", **values)
    with pytest.raises(GankitError, match=re.escape(message)):                     # builder options too
        TrainConfig(model="mlp-gan", data="ring8", model_args=values)
    if not set(values) & {"eps", "weight_decay"}:                                  # no objective hparams
        with pytest.raises(GankitError, match=re.escape(f"objective 'hinge': {message}")):
            OBJECTIVES.build("hinge", **values)


def test_unset_hyperparameters_and_other_keys_pass():
    check_hparams({"lr_g": None, "betas": None, "clip": None, "optimizer": None, "width": -3, "steps": 0})
    check_hparams({"lr_g": 1e-4, "lr_d": np.float32(4e-4), "eps": 1e-8, "clip": 0.01, "weight_decay": 0,
                   "betas": [0.0, 0.9], "n_critic": np.int64(5), "optimizer": "rmsprop"})
