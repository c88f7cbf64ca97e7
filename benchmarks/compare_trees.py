"""Do two gankit source trees train to the same weights? (Foundation II's check that the uint8 data
path, the schedule and the pipelines left every earlier result as it was.)

    git worktree add /tmp/gankit-old 1be47a2          # the last commit before Foundation II
    python benchmarks/compare_trees.py --old-src /tmp/gankit-old/src --new-src src

Trains each case below for 12 steps (batch 16, checkpoints at 6 and 12) with each tree, in a
subprocess whose PYTHONPATH is that tree, and prints whether every tensor of the final state dicts
(G, D, EMA G, batch-norm buffers) is bit-identical.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CASES = {
    "dcgan": dict(model="dcgan", data="fashion-mnist", model_args={"width": 16}),
    "gan": dict(model="gan", data="mnist"),
    "acgan": dict(model="acgan", data="mnist", model_args={"width": 8}),
    "sgan": dict(model="sgan", data="mnist", labels_per_class=10),
    "infogan": dict(model="infogan", data="mnist"),
    "began": dict(model="dcgan", data="fashion-mnist", objective="began", model_args={"width": 8}),
    "wgan-gp-ring": dict(model="mlp-gan", data="ring8", objective="wgan-gp"),
    "r1": dict(model="dcgan", data="mnist", regularizers=("r1",), model_args={"width": 8}),
}

TRAIN = """
import sys, warnings
warnings.simplefilter("ignore")
import torch, gankit
from gankit.config import TrainConfig
out, case = sys.argv[1], eval(sys.argv[2])
config = TrainConfig(steps=12, batch_size=16, checkpoint_every=6, sample_every=0, log_every=3, **case)
trainer = gankit.train(config, out + "/run", progress=False)
torch.save(trainer.gan.state_dict(), out + "/weights.pt")
"""


def train(src: Path, case: dict, out: Path) -> dict:
    import torch
    env = {**os.environ, "PYTHONPATH": str(src.resolve()), "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-c", TRAIN, str(out), repr(case)], env=env, check=True)
    return torch.load(out / "weights.pt", weights_only=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old-src", required=True, type=Path)
    parser.add_argument("--new-src", required=True, type=Path)
    parser.add_argument("--cases", nargs="*", default=list(CASES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for name in args.cases:
            old = train(args.old_src, CASES[name], Path(folder) / f"old-{name}")
            new = train(args.new_src, CASES[name], Path(folder) / f"new-{name}")
            differ = [key for key in old if key not in new or not old[key].equal(new[key])]
            print(f"{name:14s} {'bit-identical' if not differ else f'DIFFERENT in {len(differ)} of {len(old)}'} "
                  f"({len(old)} tensors)", flush=True)


if __name__ == "__main__":
    main()
