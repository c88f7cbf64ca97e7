"""gankit.runtime: devices by name (one-line errors); glibc keeps freed blocks for reuse (no page faults)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import resource, torch
from gankit.runtime import keep_freed_memory
kept = keep_freed_memory()
def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(8):
        torch.ones(25_000_000).sum()          # a 100 MB block, freed again each time
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
faults()                                      # the heap grows to its peak (may take a round or two)
faults()
print(kept, faults())
"""


def probe(keep: str) -> tuple[bool, int]:
    environment = {**os.environ, "GANKIT_KEEP_FREED_MEMORY": keep}
    output = subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True, text=True,
                            env=environment).stdout.split()
    return output[0] == "True", int(output[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc tuning")
def test_freed_blocks_are_reused_without_page_faults():
    kept, faults_kept = probe("1")
    if not kept:
        pytest.skip("not glibc: mallopt is not honoured here")
    default, faults_default = probe("0")
    assert not default                                            # the opt-out is honoured
    block = 100_000_000 // 4096                                   # pages in one 100 MB block
    assert faults_default > 7 * block                             # faulted in again every time
    assert faults_kept < 2 * block                                # reused (a late heap growth at most)


def test_devices_by_name_and_one_line_errors(tmp_path, capsys):
    import torch

    from gankit.cli import main
    from gankit.errors import GankitError
    from gankit.metrics.fid import FeatureStats
    from gankit.runtime import resolve_device

    assert resolve_device("cpu") == torch.device("cpu")
    here = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device(None).type == resolve_device("auto").type == resolve_device().type == here
    with pytest.raises(GankitError, match="unknown device 'gpu'; use auto, cpu, cuda or cuda:N"):
        resolve_device("gpu")
    if torch.cuda.is_available():
        with pytest.raises(GankitError, match="CUDA device"):
            resolve_device(f"cuda:{torch.cuda.device_count()}")
        return
    with pytest.raises(GankitError, match="CUDA is not available here .*use --device cpu"):
        resolve_device("cuda:0")
    for name in ("a", "b"):        # two statistics files: the device is the only thing that can fail
        FeatureStats.from_features(torch.randn(8, 3, dtype=torch.float64), "test").save(tmp_path / f"{name}.npz")
    assert main(["fid", str(tmp_path / "a.npz"), str(tmp_path / "b.npz"), "--device", "cuda", "--json"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("gankit: error: device 'cuda' requested") and len(error.splitlines()) == 1


def test_draws_come_from_the_generator_device_then_move():
    """A CPU generator drives draws for any target device, with the CPU's numbers (the meta device stands in
    for CUDA here: torch draws nothing on it, so only a draw made on the CPU advances the generator)."""
    import torch

    import gankit
    from gankit import draws

    for draw, args in ((draws.randn, ((3, 4),)), (draws.rand, ((3, 4),)), (draws.randint, (7, (5,)))):
        on_cpu, moved = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
        expected = draw(*args, on_cpu, "cpu")
        result = draw(*args, moved, "meta")
        assert result.device.type == "meta" and result.shape == expected.shape
        assert torch.equal(moved.get_state(), on_cpu.get_state())
    gan = gankit.create("mlp-gan")
    latent = gan.sample_latent(4, torch.Generator().manual_seed(2))
    assert torch.equal(latent, torch.randn(4, gan.latent_dim, generator=torch.Generator().manual_seed(2)))
