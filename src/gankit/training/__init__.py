"""One training loop with phases and hooks, self-describing checkpoints, evaluation glue."""
from .trainer import Trainer

__all__ = ["Trainer"]
