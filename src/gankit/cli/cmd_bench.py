"""`gankit bench modes --model mlp-gan --data ring8 --seeds 3 --steps 5000 [--objective NAME|all] [--json]`."""
from __future__ import annotations

import json
import sys


def register(subparsers):
    parser = subparsers.add_parser("bench", help="benchmarks: `gankit bench modes ...`")
    benches = parser.add_subparsers(dest="bench", required=True, metavar="BENCH")
    modes = benches.add_parser("modes", help="2D mode coverage over seeds (ring8, grid25)")
    modes.add_argument("--model", default="mlp-gan")
    modes.add_argument("--data", default="ring8", help="ring8 or grid25")
    modes.add_argument("--objective", default=None, help="objective name, or 'all' for every registered one")
    modes.add_argument("--reg", action="append", default=[], dest="regularizers")
    modes.add_argument("--seeds", type=int, default=3)
    modes.add_argument("--steps", type=int, default=5000)
    modes.add_argument("--batch-size", type=int, default=256)
    modes.add_argument("--min-share", type=float, default=None,
                       help="share of samples within 3σ a mode needs to count (default 0.01)")
    modes.add_argument("--workers", type=int, default=None, help="parallel processes (default: CPU count)")
    modes.add_argument("--json", action="store_true", help="print one JSON object")
    modes.add_argument("--quiet", action="store_true", help="no per-seed progress lines on stderr")
    modes.set_defaults(func=run_modes)


def model_takes(model: str, data: str, objective: str) -> bool:
    """Whether ``model`` can be built for ``objective`` on ``data``; says on stderr when not."""
    import gankit
    from ..errors import GankitError
    from ..registry import DATASETS
    try:
        gankit.create(model, sample_shape=DATASETS.build(data, num_samples=16).sample_shape, objective=objective)
    except GankitError as error:
        print(f"  skipping {objective}: {error}", file=sys.stderr)
        return False
    return True


def run_modes(args):
    import gankit
    from ..bench import DEFAULT_MIN_SHARE, format_table, mode_benchmark
    from ..errors import GankitError
    from ..registry import DATASETS, MODELS, OBJECTIVES
    MODELS.entry(args.model)
    if DATASETS.build(args.data, num_samples=16).modes is None:
        raise GankitError(f"dataset '{args.data}' is not a 2D Gaussian mixture; use ring8 or grid25")
    if args.objective == "all":
        objectives = [name for name in gankit.list_objectives() if model_takes(args.model, args.data, name)]
    else:
        objectives = [args.objective]
        if args.objective:
            OBJECTIVES.entry(args.objective)
    for flag in ("seeds", "steps", "batch_size", "workers"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise GankitError(f"--{flag.replace('_', '-')} must be at least 1, got {value}")
    if args.min_share is not None and not 0 <= args.min_share <= 1:
        raise GankitError(f"--min-share is a share of the samples, in [0, 1]; got {args.min_share}")

    def progress(result):
        print(f"  {result['objective'] or 'default'} seed {result['seed']}: {result['modes_covered']} modes, "
              f"{100 * result['high_quality_share']:.1f}% high quality ({result['seconds']:.0f} s)",
              file=sys.stderr, flush=True)
    min_share = args.min_share if args.min_share is not None else DEFAULT_MIN_SHARE
    summaries = mode_benchmark(args.model, args.data, objectives, args.seeds, args.steps,
                               batch_size=args.batch_size, regularizers=args.regularizers,
                               min_share=min_share, workers=args.workers, progress=None if args.quiet else progress)
    meta = {"model": args.model, "data": args.data, "seeds": args.seeds, "steps": args.steps,
            "eval_samples": 2500, "generator": "as trained (ema_* keys: the EMA generator)",
            "min_share": min_share}
    if args.json:
        if len(summaries) == 1 and args.objective != "all":
            print(json.dumps({**meta, "objective": next(iter(summaries)), **next(iter(summaries.values()))}))
        else:
            print(json.dumps({name: {**s, **meta} for name, s in summaries.items()}))
    else:
        print(format_table(summaries, args.data))
