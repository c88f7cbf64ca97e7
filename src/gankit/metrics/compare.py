"""FID between two sources from Python: the computation behind `gankit fid A B`.

    >>> gankit.fid("samples/", "fashion-mnist@test", num=10000)
    {'metric': 'fid', 'value': ..., 'fid': ..., 'protocol': 'tf-inception-pool3-2048', 'n_a': 10000, 'n_b': 10000}

A source is a folder of images, a ``.npz`` of statistics, a dataset name (``NAME`` or ``NAME@test``;
its first ``num`` images) or a run folder/checkpoint (``num`` generated samples; ``sample_run``, which
``gankit.fid`` sets to ``gankit.load``, loads it).
"""
from __future__ import annotations

from pathlib import Path

from ..errors import GankitError
from ..runtime import resolve_device
from .features import FeatureExtractor, make_extractor
from .sources import RunSampler, check_source, for_each_source, source_stats
from .suite import fid_result


def same_file(first, second) -> bool:
    """Whether two paths name the same file (a relative and an absolute spelling, a symlink)."""
    try:
        return Path(first).expanduser().resolve() == Path(second).expanduser().resolve()
    except (OSError, RuntimeError):
        return False


class LazyExtractor:
    """Builds the feature network on first use (two ``.npz`` files need none); ``built`` is it, or None."""

    def __init__(self, backend: str = "inception", protocol: str = "tf-inception", device=None, weights=None):
        self.backend, self.protocol, self.weights = backend, protocol, weights
        self.device = resolve_device(device)
        self.built: FeatureExtractor | None = None

    def __call__(self) -> FeatureExtractor:
        if self.built is None:
            self.built = make_extractor(self.backend, protocol=self.protocol, device=self.device,
                                        weights=self.weights)
        return self.built


def fid(source_a: str, source_b: str, *, num: int | None = None, backend: str = "inception",
        protocol: str = "tf-inception", device=None, batch_size: int = 50, weights=None, seed: int = 0,
        progress: bool = False, save_stats_a: str | Path | None = None, sample_run: RunSampler | None = None) -> dict:
    """``{"metric": "fid", "value", "fid", "protocol", "n_a", "n_b"}`` as `gankit fid --json` prints it; ``save_stats_a`` also
    writes the first source's statistics (pytorch-fid's npz layout); ``sample_run`` samples a run source."""
    extractor = LazyExtractor(backend, protocol, device, weights)
    options = dict(num=num, batch_size=batch_size, progress=progress, seed=seed, sample_run=sample_run)
    for source in (source_a, source_b):                  # both, before either one's feature pass
        check_source(str(source), num=num)
    if save_stats_a and any(same_file(save_stats_a, source) for source in (source_a, source_b)):
        raise GankitError(f"--save-stats {save_stats_a} is one of the sources; it would be overwritten with "
                          "the first source's statistics: write them to another file")
    stats_a, stats_b = for_each_source((source_a, source_b),
                                       lambda source: source_stats(str(source), extractor, **options))
    if save_stats_a:                                     # only once both sources were read
        stats_a.save(save_stats_a)
    name = (extractor.built.name if extractor.built else None) or stats_a.protocol or stats_b.protocol
    return fid_result(stats_a, stats_b, name or "unknown", extractor.device)
