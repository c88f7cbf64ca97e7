"""Shared fixtures: tiny synthetic data so registry-driven tests run in seconds on CPU."""
from __future__ import annotations

import pytest
import torch

import gankit
from gankit.data.base import MemoryData
from gankit.recipes.factory import data_options
from gankit.registry import DATASETS, MODELS


def tiny_data(sample_shape=(1, 28, 28), num=64, num_classes=10, seed=0, segmap_classes=0) -> MemoryData:
    """Random samples in [-1, 1] with labels: stands in for a real dataset of that shape; with
    ``segmap_classes``, images get label maps too (random ids on a 4×4 grid of blocks)."""
    g = torch.Generator().manual_seed(seed)
    samples = torch.rand((num, *sample_shape), generator=g) * 2 - 1
    labels = torch.randint(num_classes, (num,), generator=g)
    data = MemoryData.from_tensors("tiny", samples, labels, num_classes=num_classes)
    if not segmap_classes:
        return data
    size = sample_shape[-1]
    blocks = torch.randint(segmap_classes, (num, 4, 4), generator=g, dtype=torch.uint8)
    segmaps = blocks.repeat_interleave(-(-size // 4), 1).repeat_interleave(-(-size // 4), 2)[:, :size, :size]
    return MemoryData("tiny", {**data.arrays, "segmap": segmaps.contiguous()}, meta=data.meta,
                      num_classes=num_classes, segmap_classes=segmap_classes)


def tiny_model_setup(name: str):
    """(data, create-overrides) for a registered model's tiny test configuration. A model whose default
    dataset has label maps (its registry meta ``segmap_classes``) gets tiny data with maps, and the builder
    options that data fills in (recipes.factory.data_options)."""
    entry = MODELS.entry(name)
    shape = tuple(entry.meta.get("test_shape", (2,) if entry.meta.get("data") in ("ring8", "grid25") else (1, 28, 28)))
    default_data = entry.meta.get("data")
    data_meta = DATASETS.entry(default_data).meta if default_data in DATASETS else {}
    data = tiny_data(shape, segmap_classes=data_meta.get("segmap_classes", 0))
    overrides = {**data_options(name, data), **entry.meta.get("tiny", {})}
    return data, overrides


@pytest.fixture(autouse=True)
def _deterministic():
    torch.manual_seed(0)
    yield


ALL_MODELS = gankit.list_models()


@pytest.fixture
def zeroed_fc_in_torch_hub(tmp_path, monkeypatch):
    """The walkthrough's setup: no Inception file in gankit's cache, and in torch hub's a pytorch-fid-named
    file written from weights without a classifier (all-zero fc, as benchmarks/bench_fid.py writes)."""
    import torch
    from gankit.metrics.inception_weights import PYTORCH_FID_FILE, pytorch_fid_state_dict, random_inception
    monkeypatch.delenv("GANKIT_INCEPTION_WEIGHTS", raising=False)
    monkeypatch.setenv("GANKIT_OFFLINE", "1")
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    hub_file = tmp_path / "torch" / "hub" / "checkpoints" / PYTORCH_FID_FILE
    hub_file.parent.mkdir(parents=True)
    torch.save(pytorch_fid_state_dict(random_inception()), hub_file)
    return hub_file


def draw_batch(data, n: int, rng: torch.Generator) -> dict:
    """A batch mapping of ``n`` samples drawn as the trainer draws them, converted on the CPU."""
    from gankit.data import to_device
    return to_device(data.fetch(torch.randint(len(data), (n,), generator=rng)), torch.device("cpu"))


def draw(data, n: int, rng: torch.Generator):
    """(samples as float on the CPU, labels or None): a batch of ``n`` drawn as the trainer draws them."""
    from gankit.data import samples_of
    batch = draw_batch(data, n, rng)
    return samples_of(batch), batch.get("label")


def loss_args(samples: torch.Tensor, labels, rng: torch.Generator):
    """(batch mapping, step context) for calling a recipe's loss directly on these samples."""
    from gankit.schedule import StepContext
    batch = {"image" if samples.dim() == 4 else "point": samples, **({"label": labels} if labels is not None else {})}
    return batch, StepContext(step=0, images_seen=0, stage=0, resolution=None, alpha=1.0,
                              batch_size=samples.shape[0], rng=rng)
