"""benchmarks/gpu_check_scale.py runs here as a dry run: JSON lines on stdout and in $OUT, fp16 refused on
the CPU in gankit's one line, the other settings timed (tiny dcgan, 2 steps; --compile is left to the GPU run)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_gpu_check_scale_dry_run_on_the_cpu(tmp_path):
    command = [sys.executable, "benchmarks/gpu_check_scale.py", "--device", "cpu", "--dry-run", "--skip-tests",
               "--settings", "fp32", "fp16", "fp32+channels-last"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "OUT": str(tmp_path), "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == [json.loads(line) for line in (tmp_path / "gpu_check_scale.jsonl").read_text().splitlines()]
    assert lines[0]["check"] == "machine"
    timed = {line["setting"]: line for line in lines[1:]}
    assert timed["fp16"]["status"] == "refused" and "needs a GPU" in timed["fp16"]["message"]
    for name in ("fp32", "fp32+channels-last"):
        assert timed[name]["status"] == "ok" and timed[name]["images_per_s"] > 0 and timed[name]["steps"] == 2
