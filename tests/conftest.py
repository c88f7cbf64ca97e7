"""Shared fixtures: tiny synthetic data so registry-driven tests run in seconds on CPU."""
from __future__ import annotations

import pytest
import torch

import gankit
from gankit.data.base import TensorData
from gankit.registry import MODELS


def tiny_data(sample_shape=(1, 28, 28), num=64, num_classes=10, seed=0) -> TensorData:
    """Random samples in [-1, 1] with labels: stands in for a real dataset of that shape."""
    g = torch.Generator().manual_seed(seed)
    samples = torch.rand((num, *sample_shape), generator=g) * 2 - 1
    labels = torch.randint(num_classes, (num,), generator=g)
    return TensorData("tiny", samples, labels, num_classes=num_classes)


def tiny_model_setup(name: str):
    """(data, create-overrides) for a registered model's tiny test configuration."""
    entry = MODELS.entry(name)
    shape = tuple(entry.meta.get("test_shape", (2,) if entry.meta.get("data") in ("ring8", "grid25") else (1, 28, 28)))
    data = tiny_data(shape)
    overrides = dict(entry.meta.get("tiny", {}))
    return data, overrides


@pytest.fixture(autouse=True)
def _deterministic():
    torch.manual_seed(0)
    yield


ALL_MODELS = gankit.list_models()
