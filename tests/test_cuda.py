"""The GPU paths, checked on a CUDA device: skipped where torch sees none (as on the CI machine).

On a lent GPU, ``python benchmarks/gpu_check.py run`` runs this file first. What it checks:
training on the GPU resumes to identical weights (the checkpoint's CUDA RNG state drives dropout),
a seed gives the same latents and labels on CPU and GPU, Inception features on the GPU equal the
CPU's to float32 rounding (TF32 off), and the float64 Fréchet step on the GPU equals the CPU's LAPACK one.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import gankit
from gankit.config import TrainConfig
from gankit.metrics.features import InceptionFeatures
from gankit.metrics.fid import FeatureStats, fid_from_stats
from gankit.metrics.inception_weights import random_inception
from gankit.training import Trainer
from conftest import tiny_data
from gankit.pipelines import sample

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.fixture
def deterministic_cudnn():
    """cuDNN may pick nondeterministic backward algorithms; resume-equality needs the deterministic ones."""
    saved = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    yield
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved


def train(steps: int, out, model: str, resume: bool = False):
    config = TrainConfig(model=model, data="tiny", steps=steps, batch_size=8, seed=3, log_every=2, sample_every=2,
                         checkpoint_every=2, device="cuda", model_args={"width": 4} if model == "dcgan" else {})
    return Trainer(config, out, resume=resume, progress=False, data=tiny_data()).run()


@pytest.mark.parametrize("model", ["gan", "dcgan"])       # gan: dropout in D draws from the CUDA RNG
def test_training_on_cuda_resumes_to_identical_weights(model, tmp_path, deterministic_cudnn):
    straight = train(4, tmp_path / "a", model)
    train(2, tmp_path / "b", model)
    resumed = train(4, tmp_path / "b", model, resume=True)
    assert resumed.step == 4
    for key, value in straight.gan.state_dict().items():
        assert value.is_cuda and torch.equal(value, resumed.gan.state_dict()[key]), key
    on_cpu = gankit.load(tmp_path / "b", device="cpu")           # a GPU run evaluates on a CPU
    assert sample(on_cpu, 4, rng=torch.Generator().manual_seed(0)).shape == (4, 1, 28, 28)


def test_a_seed_draws_the_same_latents_and_labels_on_cpu_and_cuda():
    gan = gankit.create("cgan")

    def draw():
        return (gan.sample_latent(16, torch.Generator().manual_seed(5)),
                gan.sample_labels(16, torch.Generator().manual_seed(6)))
    on_cpu = draw()
    gan.to("cuda")
    on_gpu = draw()
    for cpu_draw, gpu_draw in zip(on_cpu, on_gpu):
        assert gpu_draw.is_cuda and torch.equal(cpu_draw, gpu_draw.cpu())


def test_inception_features_on_cuda_equal_the_cpu_features_in_ieee_float32():
    images = torch.randint(0, 256, (4, 3, 28, 28), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    on_cpu, _ = InceptionFeatures("tf-inception", "cpu", model=random_inception())(images)
    saved = torch.backends.cudnn.conv.fp32_precision, torch.backends.cuda.matmul.fp32_precision
    try:
        torch.backends.cudnn.conv.fp32_precision = torch.backends.cuda.matmul.fp32_precision = "tf32"
        on_gpu, _ = InceptionFeatures("tf-inception", "cuda", model=random_inception())(images)
        assert torch.backends.cudnn.conv.fp32_precision == "tf32"            # the user's setting is back
    finally:
        torch.backends.cudnn.conv.fp32_precision, torch.backends.cuda.matmul.fp32_precision = saved
    # IEEE float32 on both: differences are summation order (~1e-6); TF32 would give ~1e-3
    relative = ((on_gpu - on_cpu).abs().max() / on_cpu.abs().max()).item()
    assert relative < 1e-4, relative


@pytest.mark.parametrize("n", [1024, 200])                # full rank, and rank-deficient (eigen-factor path)
def test_frechet_step_on_cuda_equals_the_cpu_lapack_path(n):
    generator = torch.Generator().manual_seed(n)
    stats = [FeatureStats.from_features(torch.randn(n, 512, generator=generator, dtype=torch.float64) * scale,
                                        warn=False) for scale in (1.0, 1.2)]
    on_cpu, on_gpu = fid_from_stats(*stats, device="cpu"), fid_from_stats(*stats, device="cuda")
    assert np.isfinite(on_gpu) and abs(on_gpu - on_cpu) <= 1e-9 * on_cpu
