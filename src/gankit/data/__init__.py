"""gankit's datasets: MNIST, Fashion-MNIST, folders of images and 2-D Gaussian mixtures.

Importing this package registers every dataset in ``gankit.registry.DATASETS``;
``load_dataset("fashion-mnist", split="train", image_size=32)`` is the one door in.
"""
from __future__ import annotations

from ..registry import DATASETS
from . import image_folder, mnist, toy2d  # noqa: F401  (registration happens on import)
from .base import TensorData
from .toy2d import mode_statistics


def load_dataset(name: str, **kwargs) -> TensorData:
    """Build a registered dataset by name (``"image-folder:PATH"`` passes PATH)."""
    return DATASETS.build(name, **kwargs)


__all__ = ["TensorData", "load_dataset", "mode_statistics"]
