"""The streamed path on real files: worker processes, resume, epochs and ranks; uint8 storage's bytes."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.data import load_dataset
from gankit.data.base import MemoryData
from gankit.data.batches import StreamedBatches
from gankit.data.stream import FileData

NUM = 12
SIZE = 8


@pytest.fixture(scope="module")
def streamed(tmp_path_factory) -> FileData:
    """12 tiny PNGs; image i is filled with the value 20·i, so a decoded pixel names its file."""
    folder = tmp_path_factory.mktemp("pngs")
    for i in range(NUM):
        Image.fromarray(np.full((SIZE, SIZE, 3), 20 * i, dtype=np.uint8)).save(folder / f"{i:02d}.png")
    data = load_dataset(f"image-folder:{folder}", image_size=SIZE, stream=True)
    assert isinstance(data, FileData) and data.streamed
    return data


def ids(batch: dict) -> list[int]:
    """The file index of each image of a batch (its constant value / 20)."""
    images = batch["image"]
    assert images.dtype == torch.uint8 and images.shape[1:] == (3, SIZE, SIZE)
    assert bool((images == images[:, :1, :1, :1]).all())       # decoded intact: each image one value
    return [int(v) // 20 for v in images[:, 0, 0, 0]]


def draw(sampler: StreamedBatches, count: int, batch_size: int) -> list[list[int]]:
    try:
        return [ids(sampler.next(batch_size)) for _ in range(count)]
    finally:
        sampler.close()


def test_workers_do_not_change_the_batches(streamed):
    # batch 5 does not divide 12: the batches cross epoch boundaries
    inline = draw(StreamedBatches(streamed, seed=3, workers=0), 6, 5)
    workers = draw(StreamedBatches(streamed, seed=3, workers=2), 6, 5)
    assert inline == workers
    other_seed = draw(StreamedBatches(streamed, seed=4, workers=0), 6, 5)
    assert other_seed != inline


def test_resume_continues_the_same_stream(streamed):
    uninterrupted = draw(StreamedBatches(streamed, seed=1, workers=0), 7, 4)
    first = StreamedBatches(streamed, seed=1, workers=2)
    before = draw(first, 3, 4)
    state = first.state_dict()
    assert state == {"position": 12}
    resumed = StreamedBatches(streamed, seed=1, workers=2)
    resumed.load_state_dict(state)
    after = draw(resumed, 4, 4)
    assert before + after == uninterrupted


def test_every_sample_once_per_epoch(streamed):
    batches = draw(StreamedBatches(streamed, seed=0, workers=0), 2 * NUM // 4, 4)
    for epoch in (batches[:NUM // 4], batches[NUM // 4:]):
        seen = sorted(i for batch in epoch for i in batch)
        assert seen == list(range(NUM))
    assert batches[:NUM // 4] != batches[NUM // 4:]          # a new permutation each epoch


def test_ranks_take_disjoint_halves(streamed):
    batch, positions = 3, 4                                   # 2 ranks × 3 = 6 samples a position: 2 epochs
    rank0 = draw(StreamedBatches(streamed, seed=2, rank=0, world=2, workers=0), positions, batch)
    rank1 = draw(StreamedBatches(streamed, seed=2, rank=1, world=2, workers=2), positions, batch)
    single = draw(StreamedBatches(streamed, seed=2, workers=0), positions, 2 * batch)
    for a, b, whole in zip(rank0, rank1, single):
        assert not set(a) & set(b)
        assert a + b == whole                                 # the halves of the one-process batch
    for epoch in range(2):
        seen = [i for p in range(2 * epoch, 2 * epoch + 2) for i in rank0[p] + rank1[p]]
        assert sorted(seen) == list(range(NUM))


def test_uint8_memory_is_a_quarter_of_float32():
    images = torch.rand(10, 3, 16, 16) * 2 - 1
    data = MemoryData.from_tensors("q", images)
    assert data.arrays["image"].dtype == torch.uint8
    assert data.nbytes() * 4 == images.numel() * images.element_size()
    assert data.samples.nbytes == 4 * data.nbytes()


def test_streamed_training_resumes_bit_exact(tmp_path):
    """A run decoding its images per batch (worker processes) resumes to the weights of an uninterrupted run:
    the sampler's position travels in the checkpoint."""
    import numpy as np
    from PIL import Image
    from gankit.config import TrainConfig
    from gankit.training import Trainer
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        Image.fromarray(rng.integers(0, 256, (30, 34), dtype=np.uint8)).save(folder / f"{i:02d}.png")
    config = TrainConfig(model="dcgan", data=f"image-folder:{folder}", image_size=28, channels=1, stream=True,
                         data_workers=1, batch_size=5, steps=4, checkpoint_every=2, sample_every=0, log_every=0,
                         model_args={"width": 4})
    whole = Trainer(config, tmp_path / "whole", progress=False).run()
    assert whole.data.streamed
    Trainer(config.replace(steps=2), tmp_path / "parts", progress=False).run()
    resumed = Trainer(config, tmp_path / "parts", resume=True, progress=False).run()
    assert resumed.batches.position == whole.batches.position == 4 * 2 * 5      # 2 phases draw per step
    for key, value in whole.gan.state_dict().items():
        assert torch.equal(value, resumed.gan.state_dict()[key]), key
