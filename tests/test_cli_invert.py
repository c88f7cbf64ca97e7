"""`gankit invert` on a one-step dcgan run (Z space): files, JSON, warnings and one-line errors."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

import gankit
from gankit.cli import main
from gankit.pipelines import regenerate


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def write_png(path, array) -> str:
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(path)
    return str(path)


@pytest.fixture(scope="module")
def dcgan_run(tmp_path_factory):
    """A one-step dcgan run (28x28 gray, width 4) on a folder of random images."""
    from gankit.config import TrainConfig
    from gankit.training import Trainer
    folder = tmp_path_factory.mktemp("invert-run")
    (folder / "images").mkdir()
    rng = np.random.default_rng(0)
    for index in range(4):
        write_png(folder / "images" / f"{index}.png", rng.integers(0, 256, (28, 28)))
    config = TrainConfig(model="dcgan", data=f"image-folder:{folder / 'images'}", steps=1, batch_size=4,
                         image_size=28, channels=1, log_every=0, sample_every=0, checkpoint_every=1,
                         model_args={"width": 4})
    Trainer(config, folder / "run", progress=False).run()
    return folder / "run"


@pytest.fixture
def random_substitute(monkeypatch):
    """The perceptual substitute's layers on random weights (no weight file needed)."""
    from gankit.metrics.inception_weights import random_inception
    from gankit.pipelines import perceptual
    monkeypatch.delenv("GANKIT_VGG16_WEIGHTS", raising=False)
    monkeypatch.setattr(perceptual, "load_inception", lambda device: random_inception())


def test_invert_writes_the_reconstruction_the_latent_and_json(capsys, tmp_path, dcgan_run, random_substitute):
    image = write_png(tmp_path / "target.png", np.tile(np.arange(28) * 9, (28, 1)))
    code, out, err = run_cli(capsys, "invert", dcgan_run, image, "--steps", 3, "--out", tmp_path / "recon.png", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["space"] == "z" and summary["steps"] == 3 and summary["model"] == "dcgan"
    assert summary["perceptual"]["net"].startswith("substitute: tf-inception") and summary["perceptual"]["size"] == 64
    assert summary["psnr_db"] > 0 and summary["mse"] > 0 and summary["latent"] == str(tmp_path / "recon.pt")
    state = torch.load(tmp_path / "recon.pt", weights_only=True)
    pixels = np.asarray(Image.open(tmp_path / "recon.png"))
    regenerated = regenerate(gankit.load(dcgan_run, device="cpu"), state)
    assert np.array_equal(pixels, ((regenerated[0, 0] + 1) * 127.5).round().byte().numpy())


def test_mask_and_crossover_are_scored_inside_and_outside(capsys, tmp_path, dcgan_run):
    a = write_png(tmp_path / "a.png", np.zeros((28, 28)))
    b = write_png(tmp_path / "b.png", np.full((28, 28), 255))
    mask = np.full((28, 28), 255)
    mask[:, 14:] = 0
    mask = write_png(tmp_path / "mask.png", mask)
    code, out, err = run_cli(capsys, "invert", dcgan_run, a, "--crossover", b, "--mask", mask, "--steps", 2,
                             "--perceptual-weight", 0, "--out", tmp_path / "x.png", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert {"psnr_mask", "psnr_outside"} <= summary.keys() and summary["perceptual"] is None
    assert summary["crossover"] == b and summary["mask"] == mask


def test_an_image_of_another_size_and_mode_is_converted_with_one_line_warnings(capsys, tmp_path, dcgan_run):
    image = write_png(tmp_path / "rgb.png", np.full((32, 40, 3), 128))
    code, out, err = run_cli(capsys, "invert", dcgan_run, image, "--steps", 1, "--perceptual-weight", 0,
                             "--out", tmp_path / "r.png")
    assert code == 0 and "PSNR" in out
    assert err.splitlines() == [
        f"gankit: warning: image {image} is 40x32; resized to the model's 28x28, centre-cropped to a square",
        f"gankit: warning: image {image} is RGB; converted to the model's luminance (1 channel)"]


@pytest.mark.parametrize("extra, message", [
    (["--crossover", "{b}"], "--crossover needs --mask: white pixels come from IMAGE, black ones from the crossover image"),
    (["--mask", "{gray}"], "mask {gray} is not binary: 1 gray level(s) other than black (0) and white (255), e.g. 128"),
    (["--mask", "{small}"], "mask {small} is 14x14, the model's images are 28x28; draw the mask at 28x28"),
    (["--space", "w+"], "--space w+ needs a model with a W space"),
    (["--noise"], "noise maps are the W-space models' inputs; 'dcgan' has none: invert without --noise"),
    (["--out", "{tmp}/r.jpg"], "--out {tmp}/r.jpg: gankit invert writes PNG; name the file FILE.png"),
])
def test_bad_inputs_are_one_line(capsys, tmp_path, dcgan_run, extra, message):
    files = {"b": write_png(tmp_path / "b.png", np.zeros((28, 28))),
             "gray": write_png(tmp_path / "gray.png", np.full((28, 28), 128)),
             "small": write_png(tmp_path / "small.png", np.zeros((14, 14))), "tmp": str(tmp_path)}
    image = write_png(tmp_path / "a.png", np.zeros((28, 28)))
    argv = ["invert", dcgan_run, image, "--steps", 1, "--perceptual-weight", 0, "--out", tmp_path / "r.png"]
    code, out, err = run_cli(capsys, *argv, *[a.format(**files) for a in extra])
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith("gankit: error: " + message.format(**files))
    assert not (tmp_path / "r.png").exists() and not (tmp_path / "r.pt").exists()


def test_a_missing_image_is_one_line(capsys, tmp_path, dcgan_run):
    code, _, err = run_cli(capsys, "invert", dcgan_run, tmp_path / "none.png", "--out", tmp_path / "r.png")
    assert code == 2 and err == f"gankit: error: image {tmp_path / 'none.png'} not found; give a PNG or JPEG file\n"


def test_a_stylegan2_run_is_inverted_in_w_plus_with_noise_maps(capsys, tmp_path_factory, tmp_path):
    from gankit.config import TrainConfig
    from gankit.registry import MODELS
    from gankit.training import Trainer
    folder = tmp_path_factory.mktemp("invert-sg2")
    (folder / "images").mkdir()
    for index in range(4):
        write_png(folder / "images" / f"{index}.png", np.random.default_rng(index).integers(0, 256, (8, 8)))
    config = TrainConfig(model="stylegan2", data=f"image-folder:{folder / 'images'}", steps=1, batch_size=4,
                         image_size=8, channels=1, log_every=0, sample_every=0, checkpoint_every=1,
                         model_args=dict(MODELS.entry("stylegan2").meta["tiny"]))
    Trainer(config, folder / "run", progress=False).run()
    image = write_png(tmp_path / "t.png", np.tile(np.arange(8) * 30, (8, 1)))
    code, out, err = run_cli(capsys, "invert", folder / "run", image, "--noise", "--steps", 3, "--noise-steps", 2,
                             "--perceptual-weight", 0, "--out", tmp_path / "r.png", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["space"] == "w+" and summary["noise_steps"] == 2 and summary["model"] == "stylegan2"
    state = torch.load(tmp_path / "r.pt", weights_only=True)
    assert state["noise_mode"] == "given" and state["latent"].dim() == 3
    regenerated = regenerate(gankit.load(folder / "run", device="cpu"), state)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "r.png")), ((regenerated[0, 0] + 1) * 127.5).round().byte().numpy())
