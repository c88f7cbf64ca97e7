#!/usr/bin/env bash
# The 2D mode benchmark of the foundation issue: mlp-gan (default objective) on ring8 and grid25,
# 3 seeds × 5000 steps each. Prints one JSON object per dataset; docs/benchmarks.md quotes them.
set -euo pipefail
gankit=$(dirname "$0")/../.venv/bin/gankit          # the Makefile's venv; else gankit on PATH
[ -x "$gankit" ] || gankit=gankit
for data in ring8 grid25; do
  /usr/bin/time -f "$data wall %e s" "$gankit" bench modes --model mlp-gan --data "$data" --seeds 3 --steps 5000 --json
done
