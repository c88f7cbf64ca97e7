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


@pytest.fixture(scope="module")
def conditional_run(tmp_path_factory):
    from gankit.config import TrainConfig
    from gankit.training import Trainer
    from conftest import tiny_model_setup
    data, overrides = tiny_model_setup("cgan")
    run = tmp_path_factory.mktemp("cgan")
    Trainer(TrainConfig(model="cgan", data="tiny", steps=2, batch_size=8, sample_every=0, log_every=0,
                        model_args=overrides), run, progress=False, data=data).run()
    return run


def test_samples_to_a_folder_are_the_grid_samples_as_fid_reads_them(capsys, tmp_path, conditional_run):
    """One PNG per sample, class in the name; the pixels are imaging.to_uint8 of the sampled tensor, and
    what gankit's FID reads from the folder; the batch size changes nothing."""
    import numpy as np
    from PIL import Image

    import gankit
    from gankit.imaging import to_uint8
    from gankit.metrics.sources import decode_rgb, folder_images
    from gankit.pipelines import SamplingPipeline, run_context
    code, out, err = run_cli(capsys, "sample", conditional_run, "--num", 7, "--out", f"{tmp_path / 'a'}/",
                             "--batch-size", 3, "--seed", 5, "--device", "cpu")
    assert code == 0 and "wrote 7 samples" in out and "7/7" in err          # the progress bar
    files = folder_images(tmp_path / "a")
    gan = gankit.load(conditional_run, device="cpu")
    assert [f.name for f in files] == [f"{i:06d}_c{i % gan.num_classes}.png" for i in range(7)]
    expected = to_uint8(SamplingPipeline(gan, context=run_context(gan, gan.config, gan.step))(
        7, rng=torch.Generator().manual_seed(5)))
    for path, pixels in zip(files, expected):
        assert np.array_equal(np.asarray(Image.open(path))[..., None], pixels)
        assert np.array_equal(decode_rgb(path), np.repeat(pixels, 3, axis=-1))
    (tmp_path / "b").mkdir()                                                # an existing folder, any batch size
    code, _, err = run_cli(capsys, "sample", conditional_run, "--num", 7, "--out", tmp_path / "b", "--quiet",
                           "--seed", 5, "--class", 3, "--device", "cpu")
    assert code == 0 and err == ""
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [f"{i:06d}_c3.png" for i in range(7)]
    code, _, err = run_cli(capsys, "sample", conditional_run, "--num", 2, "--out", tmp_path / "b", "--quiet")
    assert code == 2 and "already holds 7 PNG file(s)" in err and err.count("\n") == 1
