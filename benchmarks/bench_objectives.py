"""Objective ablation on the 2D mode benchmark: every registered objective on ring8 and grid25.

    python benchmarks/bench_objectives.py --data ring8 grid25 --seeds 3 --steps 5000 \
        --results benchmarks/results/objectives.json
    python benchmarks/bench_objectives.py --data grid25 --steps 20000 --label "nonsaturating, lr 1e-4" \
        --objective nonsaturating --set lr_g=1e-4 --set lr_d=1e-4 --results benchmarks/results/objectives.json
    python benchmarks/bench_objectives.py --markdown --results benchmarks/results/objectives.json

Each run trains mlp-gan with the objective's paper hyperparameters (``--set`` overrides TrainConfig
fields for a labelled extra row) in worker processes of one thread each, scores 2,500 samples of the
trained generator (and of the EMA generator, ``ema_*``) with ``gankit.bench``, and merges the summaries
into the results JSON under ``data → label`` after every finished run. ``--markdown`` prints the tables
of docs/benchmarks.md (objective ablation section).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from gankit import list_objectives
from gankit.bench import DEFAULT_MIN_SHARE, run_one, summarize
from gankit.config import parse_value

RUN_KEYS = ("seed", "modes_covered", "high_quality_share", "ema_modes_covered", "ema_high_quality_share",
            "num_modes", "seconds", "error")


def parse_settings(assignments: list[str]) -> dict:
    """``key=value`` → TrainConfig fields; ``model_args.hidden=256`` sets a builder option."""
    settings: dict = {}
    for assignment in assignments:
        key, _, text = assignment.partition("=")
        if key.startswith("model_args."):
            settings.setdefault("model_args", {})[key.split(".", 1)[1]] = parse_value(text)
        else:
            settings[key] = parse_value(text)
    return settings


def run(args) -> None:
    """Every (data, objective, seed) job in one worker pool; the results file is rewritten after each job,
    so a stopped sweep keeps what it finished. Each row keeps its per-seed ``runs``; a rerun skips the
    seeds a row already holds with the same steps/settings (a row's ``seeds`` says how many it has)."""
    path = Path(args.results)
    results = json.loads(path.read_text()) if path.exists() else {}
    objectives = args.objective or ["default"] + list_objectives()
    settings = parse_settings(args.set)

    def label_of(name: str) -> str:
        return f"{name} ({args.label})" if args.label else name

    def stored_runs(data: str, label: str) -> list:
        row = results.get(data, {}).get(label, {})
        same = (row.get("steps") == args.steps and row.get("settings", {}) == settings
                and row.get("regularizers", []) == list(args.reg))
        return list(row.get("runs", [])) if same else []

    jobs = [dict(model="mlp-gan", data=data, objective=None if name == "default" else name, seed=seed,
                 steps=args.steps, batch_size=args.batch_size, regularizers=list(args.reg),
                 min_share=DEFAULT_MIN_SHARE, settings=settings)
            for seed in range(args.seeds) for name in objectives for data in args.data
            if seed not in {r["seed"] for r in stored_runs(data, label_of(name))}]
    finished = {}
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        for future in as_completed([pool.submit(run_one, job) for job in jobs]):
            result = future.result()
            data, label = result["data"], label_of(result["objective"] or "default")
            group = finished.setdefault((data, label), stored_runs(data, label))
            group.append({key: result[key] for key in RUN_KEYS if key in result})
            group.sort(key=lambda r: r["seed"])
            results.setdefault(data, {})[label] = {
                **summarize(group), "steps": args.steps, "settings": settings,
                "regularizers": list(args.reg), "sweep_wall_s": round(time.perf_counter() - started, 1),
                "workers": args.workers, "runs": group}
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(results, indent=1) + "\n")
            print(f"  {data} {label} seed {result['seed']}: {result['modes_covered']} modes, "
                  f"{100 * result['high_quality_share']:.1f}% (EMA {result.get('ema_modes_covered')}) "
                  f"({result['seconds']:.0f} s)", file=sys.stderr, flush=True)
    print(f"{len(jobs)} runs in {time.perf_counter() - started:.0f} s wall", file=sys.stderr)


def markdown(results: dict) -> str:
    lines = []
    for data, rows in results.items():
        lines += [f"### {data}", "",
                  "| objective | steps | modes (trained G) | high-quality % | modes (EMA G) | per seed | s / seed |",
                  "|---|---|---|---|---|---|---|"]
        for label, s in rows.items():
            lines.append(f"| {label} | {s['steps']} | {s['modes_mean']:.1f} ± {s['modes_std']:.1f} / {s['num_modes']} "
                         f"| {s['high_quality_mean']:.1f} ± {s['high_quality_std']:.1f} "
                         f"| {s['ema_modes_mean']:.1f} ± {s['ema_modes_std']:.1f} | {s['modes_per_seed']} "
                         f"| {s['seconds_total'] / s['seeds']:.0f} |")
        lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["ring8", "grid25"])
    parser.add_argument("--objective", action="append", help="objective name or 'default' (repeatable; "
                        "default: the model's default and every registered objective)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--reg", action="append", default=[], help="regularizer spec, e.g. r1:gamma=0.1")
    parser.add_argument("--label", default="", help="row suffix for runs with --set, e.g. 'lr 1e-4'")
    parser.add_argument("--results", default="benchmarks/results/objectives.json")
    parser.add_argument("--markdown", action="store_true", help="print the tables of the results file and exit")
    args = parser.parse_args()
    if args.markdown:
        print(markdown(json.loads(Path(args.results).read_text())))
    else:
        run(args)


if __name__ == "__main__":
    main()
