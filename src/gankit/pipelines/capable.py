"""Which registered models declare a capability: for error messages that name the models that can do it.

Capabilities are declared on a recipe's GAN class and a builder picks the class, so each registered model is
built once in its small test configuration (``tiny`` meta, on its ``test_shape``; well under a second for the
whole registry) and the answer is cached for the process."""
from __future__ import annotations

from functools import lru_cache

from ..recipes.factory import create
from ..registry import MODELS


@lru_cache(maxsize=None)
def models_with(capability: str) -> tuple[str, ...]:
    names = []
    for name in MODELS.names():
        meta = MODELS.entry(name).meta
        shape = tuple(meta.get("test_shape", (2,) if meta.get("data") in ("ring8", "grid25") else (1, 28, 28)))
        try:
            gan = create(name, sample_shape=shape, **meta.get("tiny", {}))
        except Exception:            # a model that cannot be built this way is not named; the error stays one line
            continue
        if capability in gan.capabilities:
            names.append(name)
    return tuple(names)
