"""The run's data: its dataset built from the config (training split or another)."""
from __future__ import annotations

from ..config import TrainConfig
from ..data.base import Dataset
from ..errors import GankitError
from ..registry import DATASETS


def load_training_data(config: TrainConfig, split: str = "train") -> Dataset:
    options = {key: value for key, value in (("stream", config.stream), ("label", config.label)) if value is not None}
    if config.label is not None and not DATASETS.entry(config.data).meta.get("labels"):
        raise GankitError(f"dataset '{config.data}' has no --label choices; --label is for datasets with several "
                          "labels per image (celeba: an attribute, utkface: gender, race or age-decade)")
    data = DATASETS.build(config.data, split=split, image_size=config.image_size, channels=config.channels, **options)
    if config.labels_per_class and split == "train":
        data = data.with_labels_per_class(config.labels_per_class, seed=config.seed)
    return data
