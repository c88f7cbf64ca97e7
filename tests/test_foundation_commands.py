"""The Foundation II issue's commands, on a GANKIT_DATA folder that holds a few files of each real format
(CIFAR-10 binary batches, CelebA JPEGs + attribute/partition lists, UTKFace chips, a JPEG folder).
Steps and widths are cut down; the commands are otherwise as the issue writes them."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from gankit.cli import main
from test_dataset_formats import write_celeba, write_cifar_bin


def write_utkface(folder, num=12):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(3)
    for i in range(num):
        age, gender, race = int(rng.integers(1, 90)), i % 2, int(rng.integers(0, 5))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        Image.new("RGB", (200, 200), colour).save(folder / f"{age}_{gender}_{race}_2017011{i:04d}.jpg.chip.jpg")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("gankit-data")
    write_cifar_bin(root / "cifar10" / "cifar-10-batches-bin", per_batch=8)
    write_celeba(root / "celeba", num=12, partition=(0,) * 10 + (1, 2))
    write_utkface(root / "utkface" / "UTKFace")
    rng = np.random.default_rng(0)
    (root / "faces").mkdir()
    for i in range(12):
        Image.fromarray(rng.integers(0, 256, (80, 70, 3), dtype=np.uint8)).save(root / "faces" / f"{i}.jpg")
    return root


@pytest.fixture
def environment(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_DATA", str(data_dir))
    monkeypatch.setenv("GANKIT_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    return data_dir


SMALL = ["--steps", "2", "--batch-size", "8", "--set", "model_args.width=8", "--no-progress"]


def train(*args):
    return main(["train", *map(str, args), *SMALL])


def test_list_datasets_names_the_new_ones(capsys):
    assert main(["list", "datasets"]) == 0
    out = capsys.readouterr().out
    for name in ("cifar10", "celeba", "utkface", "paired-folder:IMAGES,MAPS", "image-folder:PATH"):
        assert name in out


def test_the_issue_commands_train_and_sample(environment, tmp_path, capsys):
    assert train("dcgan", "--data", "cifar10", "--out", "runs/c10") == 0
    assert train("dcgan", "--data", "celeba", "--image-size", "64", "--out", "runs/celeba") == 0
    assert train("cdcgan", "--data", "celeba", "--label", "Smiling", "--image-size", "32", "--out",
                 "runs/celeba-smile") == 0
    assert train("cdcgan", "--data", "utkface", "--label", "gender", "--image-size", "32", "--out", "runs/utk") == 0
    assert train("dcgan", "--data", f"image-folder:{environment / 'faces'}", "--image-size", "64",
                 "--out", "runs/folder") == 0
    for run, size in (("c10", 32), ("celeba", 64), ("celeba-smile", 32), ("utk", 32), ("folder", 64)):
        assert (tmp_path / "runs" / run / "checkpoints" / "step-0000002.pt").is_file()
        assert json.loads((tmp_path / "runs" / run / "config.json").read_text())["steps"] == 2
    smile = json.loads((tmp_path / "runs" / "celeba-smile" / "config.json").read_text())
    assert smile["label"] == "Smiling"
    assert main(["sample", "runs/celeba-smile", "--class", "1", "--truncation", "0.7", "--num", "16",
                 "--out", "smile.png"]) == 0
    assert Image.open(tmp_path / "smile.png").size[0] > 32


def test_label_errors_are_one_line(environment, capsys):
    assert train("cdcgan", "--data", "celeba", "--label", "Smiles", "--out", "runs/x") == 2
    err = capsys.readouterr().err
    assert "Smiles" in err and "Smiling" in err and len(err.strip().splitlines()) == 1
    assert train("cdcgan", "--data", "cifar10", "--label", "gender", "--out", "runs/y") == 2
    assert "has no --label choices" in capsys.readouterr().err
    assert train("cdcgan", "--data", "utkface", "--label", "height", "--out", "runs/z") == 2
    assert "age-decade" in capsys.readouterr().err


def test_truncation_is_refused_where_the_latent_is_not_gaussian(tmp_path, capsys):
    import gankit
    from gankit.errors import GankitError
    from gankit.pipelines import sample
    from conftest import tiny_model_setup
    info = gankit.create("infogan", **tiny_model_setup("infogan")[1])
    with pytest.raises(GankitError, match="Gaussian latent"):
        sample(info, 2, truncation=0.5)
    dc = gankit.create("dcgan", width=8)
    latent = dc.sample_latent(4)
    import torch
    half = sample(dc, 4, latent=latent * 0.5)
    assert torch.equal(sample(dc, 4, latent=latent, truncation=0.5), half)
    for bad in (0, -0.5, 2.5):
        with pytest.raises(GankitError, match=r"truncation ψ must be a number in \(0, 2\]"):
            sample(dc, 2, truncation=bad)
