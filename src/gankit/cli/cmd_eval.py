"""`gankit eval RUN_DIR --metric NAME --num N [--json]`: any registered metric on a trained run.

Each result is printed (with ``--json`` one object per metric: ``metric``, ``value``, ``protocol``, ``n_*``
and the metric's fields, the shape of `gankit fid --json`) and appended as one JSON line to
``RUN_DIR/eval.jsonl`` with the time (UTC), the gankit version and the options used.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

def register(subparsers):
    parser = subparsers.add_parser("eval", help="measure a trained run with a registered metric")
    parser.add_argument("run", help="run folder")
    parser.add_argument("--metric", action="append", required=True,
                        help="metric name (repeatable), see `gankit list metrics`")
    parser.add_argument("--num", "--num-images", dest="num", type=int, default=1000, help="number of generated samples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if available)")
    parser.add_argument("--classifier", default=None, help="MNIST classifier weights (default: ccexam's file)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per metric")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def record(args, result: dict) -> dict:
    """The line `gankit eval` appends to RUN_DIR/eval.jsonl: when, which gankit, with which options, the result."""
    from .. import __version__
    from ..runtime import resolve_device
    options = {"num": args.num, "seed": args.seed, "batch_size": args.batch_size,
               "device": str(resolve_device(args.device)), "classifier": args.classifier}
    return {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "gankit": __version__,
            "options": options, **result}


def append_line(path: Path, line: str) -> None:
    """One write of a whole line in append mode: concurrent `gankit eval`s on a run interleave whole lines."""
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(line + "\n")


def run(args):
    import gankit
    for metric in args.metric:
        result = gankit.evaluate(args.run, metric, args.num, seed=args.seed, batch_size=args.batch_size,
                                 device=args.device, classifier_path=args.classifier, progress=not args.quiet)
        result.setdefault("protocol", result["metric"])   # the classifier metrics' names are their protocol
        append_line(Path(args.run) / "eval.jsonl", json.dumps(record(args, result)))
        if args.json:
            print(json.dumps(result))
        else:
            extras = ", ".join(f"{k}={v}" for k, v in result.items() if k not in ("metric", "value")
                               and not isinstance(v, (list, dict)))
            print(f"{result['metric']}: {result['value']:.6g}" + (f"  ({extras})" if extras else ""))
