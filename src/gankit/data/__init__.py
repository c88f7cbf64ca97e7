"""gankit's datasets: MNIST, Fashion-MNIST, CIFAR-10, CelebA, UTKFace, folders of images (and of
image/label-map pairs) and 2-D Gaussian mixtures.

Importing this package registers every dataset in ``gankit.registry.DATASETS``;
``load_dataset("fashion-mnist", split="train", image_size=32)`` is the one door in. Every dataset
follows the contract of :mod:`gankit.data.base` (uint8 samples, batches as mappings).
"""
from __future__ import annotations

from ..errors import GankitError
from ..registry import DATASETS
from . import celeba, cifar10, image_folder, mnist, paired_folder, shapes_seg, toy2d, utkface  # noqa: F401  (registration happens on import)
from .base import Dataset, MemoryData
from .batches import images_to_float, make_batches, samples_of, to_device
from .stream import FileData
from .toy2d import mode_statistics

LOAD_OPTIONS = ("split", "image_size", "channels", "root", "download", "stream", "label", "num_samples", "seed", "crop",
                "segmap_classes")


def load_dataset(name: str, **kwargs) -> Dataset:
    """Build a registered dataset by name (``"image-folder:PATH"`` passes PATH); options: ``LOAD_OPTIONS``."""
    unknown = sorted(set(kwargs) - set(LOAD_OPTIONS))
    if unknown:
        raise GankitError(f"load_dataset has no option {', '.join(map(repr, unknown))}; "
                          f"its options: {', '.join(LOAD_OPTIONS)}")
    return DATASETS.build(name, **kwargs)


__all__ = ["Dataset", "FileData", "MemoryData", "images_to_float", "load_dataset", "make_batches",
           "mode_statistics", "samples_of", "to_device"]
