"""`gankit list [models|datasets|objectives|regularizers|metrics]`."""
from __future__ import annotations

import json

from ..registry import DATASETS, METRICS, MODELS, OBJECTIVES, REGULARIZERS

KINDS = {"models": MODELS, "datasets": DATASETS, "objectives": OBJECTIVES,
         "regularizers": REGULARIZERS, "metrics": METRICS}


def register(subparsers):
    parser = subparsers.add_parser("list", help="list registered models, datasets, objectives, regularizers, metrics")
    parser.add_argument("kind", nargs="?", choices=sorted(KINDS), help="only this kind")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args):
    import gankit  # noqa: F401  (registers everything)
    kinds = [args.kind] if args.kind else list(KINDS)
    if args.json:
        print(json.dumps({kind: KINDS[kind].names() for kind in kinds}))
        return
    for kind in kinds:
        registry = KINDS[kind]
        print(f"{kind}:")
        for name in registry.names():
            print(f"  {registry.describe_name(name):<26} {registry.entry(name).help}")
