"""One registry for everything gankit builds by name: models, datasets, objectives, regularizers, metrics.

In the style of timm: a builder function is filed under its name by a decorator,
and ``Registry.build(name, **kwargs)`` is the one door in. Names of the form ``"kind:argument"``
(e.g. ``"image-folder:/data/faces"``) pass the part after the first colon to the builder as its
first positional argument.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import GankitError


@dataclass(frozen=True)
class Entry:
    name: str
    builder: Callable[..., Any]
    help: str = ""
    takes_argument: bool = False          # "name:ARG" form (e.g. image-folder:PATH)
    meta: dict = field(default_factory=dict)   # free-form facts used by tests/CLI (e.g. tiny overrides)


class Registry:
    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def register(self, name: str | None = None, *, help: str = "", takes_argument: bool = False,
                 **meta) -> Callable:
        def decorator(builder):
            key = name or builder.__name__.replace("_", "-")
            if key in self._entries:
                raise ValueError(f"{self.kind} '{key}' is registered twice")
            doc = help or (builder.__doc__ or "").strip().splitlines()[0:1]
            text = doc if isinstance(doc, str) else (doc[0] if doc else "")
            self._entries[key] = Entry(key, builder, text, takes_argument, dict(meta))
            return builder
        return decorator

    def names(self, pattern: str = "*") -> list[str]:
        return sorted(n for n in self._entries if fnmatch.fnmatch(n, pattern))

    def __contains__(self, name: str) -> bool:
        try:
            self.entry(name)
        except GankitError:
            return False
        return True

    def _split(self, name: str) -> tuple[str, str | None]:
        if not isinstance(name, str):
            raise GankitError(f"a {self.kind} is given by name (a string), got {name!r}; valid {self.kind}s: "
                              f"{', '.join(self.describe_name(n) for n in self.names())}")
        if name in self._entries:
            return name, None
        head, sep, arg = name.partition(":")
        if sep and head in self._entries and self._entries[head].takes_argument:
            return head, arg
        return name, None

    def entry(self, name: str) -> Entry:
        key, _ = self._split(name)
        if key not in self._entries:
            shown = ", ".join(self.describe_name(n) for n in self.names())
            raise GankitError(f"unknown {self.kind} '{name}'; valid {self.kind}s: {shown}")
        return self._entries[key]

    def describe_name(self, name: str) -> str:
        """``name``, or ``name:ARG`` for one that takes an argument (ARG: its ``argument`` meta, else PATH),
        ``name[:ARG]`` when the argument may be left out (``optional_argument`` meta: the builder gets None)."""
        entry = self._entries[name]
        if not entry.takes_argument:
            return name
        argument = entry.meta.get("argument", "PATH")
        return f"{name}[:{argument}]" if entry.meta.get("optional_argument") else f"{name}:{argument}"

    def build(self, name: str, *args, **kwargs):
        entry = self.entry(name)
        _, arg = self._split(name)
        if entry.takes_argument:
            if not arg and not entry.meta.get("optional_argument"):
                raise GankitError(f"{self.kind} '{entry.name}' needs an argument: "
                                  f"use '{self.describe_name(entry.name)}'")
            return entry.builder(arg, *args, **kwargs)
        return entry.builder(*args, **kwargs)


MODELS = Registry("model")
DATASETS = Registry("dataset")
OBJECTIVES = Registry("objective")
REGULARIZERS = Registry("regularizer")
METRICS = Registry("metric")

register_model = MODELS.register
register_dataset = DATASETS.register
register_objective = OBJECTIVES.register
register_regularizer = REGULARIZERS.register
register_metric = METRICS.register
