"""`gankit metrics`: every metric from one feature pass per source, image folders' feature cache, and the
feature backends beyond the Inception (VGG16 fc2 for precision/recall, a user's TorchScript file).

A toy extractor (per-channel mean pixel, counting its forwards) stands in for the networks."""
from __future__ import annotations

import os

import pytest
import torch

from gankit.metrics.sources import folder_features
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
