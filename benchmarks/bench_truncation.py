"""A truncation curve: FID, precision and recall of one run's samples at several truncations ψ.

    OMP_NUM_THREADS=1 python benchmarks/bench_truncation.py RUN --psi 0.25 0.5 0.75 1.0 --num 500

For each ψ, through the CLI a user would use (nothing internal):

    gankit sample RUN --truncation ψ --num N --seed 0 --out WORK/psi-ψ/
    gankit metrics WORK/psi-ψ DATA@test --fid --pr --num N --json

(DATA: the run's training data; the first N test images as the reference; the same latents, seed 0, at every
ψ). What ψ does depends on the model's declared truncation (BigGAN: entries beyond ±ψ drawn again; others
z̄ + ψ(z − z̄); style models in W). Brock et al. 2019 (Sec. 3.1, Fig. 2) and Kynkäänniemi et al. 2019 (Fig. 7)
report precision rising and recall falling as ψ shrinks; this script prints what it measures, a markdown
table, and writes the numbers to ``WORK/truncation.json``. Precision/recall use the features `gankit
metrics --pr` uses without VGG-16 weights (its protocol name says which; the paper's are VGG-16 fc2).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path


def gankit(*args: str) -> str:
    command = [sys.executable, "-m", "gankit", *args, "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{shlex.join(command)} failed:\n{done.stderr.strip()}")
    return done.stdout


def run_data(run: Path) -> str:
    return json.loads((run / "config.json").read_text())["data"]


def measure(run: Path, psi: float, num: int, versus: str, work: Path) -> dict:
    folder = work / f"psi-{psi:g}"
    gankit("sample", str(run), "--truncation", f"{psi:g}", "--num", str(num), "--seed", "0", "--out", f"{folder}/")
    lines = [json.loads(line) for line in gankit("metrics", str(folder), versus, "--fid", "--pr", "--num", str(num),
                                                 "--json").splitlines() if line.startswith("{")]
    result = {"psi": psi}
    for line in lines:
        result.update({key: value for key, value in line.items() if key in ("fid", "precision", "recall")})
        result.setdefault("protocols", []).append(line.get("protocol"))
    return result


def table(results: list[dict]) -> str:
    lines = ["| ψ | FID | precision | recall |", "|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['psi']:g} | {r.get('fid', float('nan')):.1f} | {r.get('precision', float('nan')):.3f} | "
                     f"{r.get('recall', float('nan')):.3f} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--psi", type=float, nargs="+", default=[0.25, 0.5, 0.75, 1.0])
    parser.add_argument("--num", type=int, default=500, help="samples per ψ and test images")
    parser.add_argument("--data", default=None, help="reference dataset (default: the run's, test split)")
    parser.add_argument("--work", type=Path, default=None, help="where samples go (default RUN/truncation)")
    args = parser.parse_args(argv)
    versus = f"{args.data or run_data(args.run)}@test"
    work = args.work or args.run / "truncation"
    results = [measure(args.run, psi, args.num, versus, work) for psi in sorted(args.psi)]
    for result in results:
        print(json.dumps(result), flush=True)
    given = sys.argv[1:] if argv is None else list(argv)
    threads = os.environ.get("OMP_NUM_THREADS")
    command = (f"OMP_NUM_THREADS={threads} " if threads else "") + "python benchmarks/bench_truncation.py " + \
        shlex.join(given)
    payload = {"command": command, "versus": versus, "num": args.num, "results": results}
    (work / "truncation.json").write_text(json.dumps(payload, indent=1))
    print(f"\n{command}\n\n{table(results)}\n\nprotocols: {sorted({p for r in results for p in r['protocols'] if p})}")


if __name__ == "__main__":
    main()
