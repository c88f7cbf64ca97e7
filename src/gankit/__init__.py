"""gankit: the GAN zoo in one readable PyTorch library, with protocol-exact metrics.

    >>> import gankit
    >>> gan = gankit.create("dcgan", sample_shape=(1, 28, 28))
    >>> gankit.list_models()
    >>> gankit.fid("samples/", "fashion-mnist@test", num=10000)    # as `gankit fid A B --json` prints it
"""
from . import data, objectives, recipes, metrics  # noqa: F401  (importing registers models, data, ...)
from .api import (create, evaluate, fid, list_datasets, list_metrics, list_models, list_objectives,
                  list_regularizers, load, train)
from .config import TrainConfig
from .errors import GankitError

__version__ = "0.1.0"
__all__ = ["create", "train", "load", "evaluate", "list_models", "list_datasets", "list_objectives",
           "list_regularizers", "list_metrics", "fid", "TrainConfig", "GankitError"]
