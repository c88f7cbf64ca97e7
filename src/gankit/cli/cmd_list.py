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
    parser.add_argument("--params", action="store_true",
                        help="models: parameter counts of G and D in each model's paper configuration")
    parser.set_defaults(func=run)


def run(args):
    import gankit  # noqa: F401  (registers everything)
    kinds = [args.kind] if args.kind else list(KINDS)
    if args.params:
        return print_parameter_counts(args.json)
    if args.json:
        print(json.dumps({kind: KINDS[kind].names() for kind in kinds}))
        return
    for kind in kinds:
        registry = KINDS[kind]
        print(f"{kind}:")
        for name in registry.names():
            print(f"  {registry.describe_name(name):<26} {registry.entry(name).help}")


def print_parameter_counts(as_json: bool) -> None:
    """G and D parameter counts of every model built with its defaults (the paper configuration) for its
    ``paper_shape`` meta (default: its dataset's 28×28 grey images, or 2-D points)."""
    from ..api import parameter_counts
    counts = parameter_counts()
    if as_json:
        print(json.dumps(counts))
        return
    print(f"  {'model':<18} {'shape':<12} {'G params':>12} {'D params':>12}")
    for name, row in counts.items():
        shape = "x".join(map(str, row["shape"]))
        print(f"  {name:<18} {shape:<12} {row['generator']:>12,} {row['discriminator']:>12,}")
