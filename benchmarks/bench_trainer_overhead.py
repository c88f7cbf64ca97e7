"""Trainer overhead and precision switches on the CPU (issue 15, item 5).

    python benchmarks/bench_trainer_overhead.py [overhead] [--sizes 28 64] [--steps N] [--repeats R] [--json]
    python benchmarks/bench_trainer_overhead.py precision [--sizes 28 64] [--steps N] [--repeats R] [--json]

Both train ``dcgan`` (default width 64, batch 64, Adam 2e-4 β = (0.5, 0.999), non-saturating loss) on
Fashion-MNIST held in memory as uint8: at 28 px as it comes, at 64 px resized once at load
(``image_size=64``, gankit's own loader; 246 MB of uint8). No hooks write anything.

``overhead`` runs the same training step three ways, side by side in one process:

* ``plain``: a hand-written PyTorch loop. G and D are built by ``gankit.create("dcgan", sample_shape=...)``
  under the same seed as the trainer's (``.generator`` / ``.discriminator``; checked equal at start), with
  their own Adam. Per step: draw 64 indices with ``torch.randint`` from a seeded generator, convert that
  uint8 batch to float in [−1, 1]; z ~ N(0, I) from the same generator; fakes under ``no_grad``; D on real
  and on fake, ``softplus(−D(x)).mean() + softplus(D(G(z))).mean()``, backward, step (G frozen); then G on
  fresh z, ``softplus(−D(G(z))).mean()``, backward, step (D frozen); then the EMA update of G's average
  (``lerp_`` of the parameters with gankit's ramp ``min(0.999, (1+t)/(10+t))``, buffers copied). It logs
  ``loss_d`` and ``loss_g`` as floats with ``.item()`` every step, as gankit does. It draws no real batch
  for the G update (a hand-written loop needs none).
* ``gankit``: :class:`gankit.training.Trainer` with ``hooks=[]``, timed through ``Trainer.train_step()``
  (the body of ``Trainer.run``'s loop without the hooks). Per step it asks the schedule for the step's
  context, sets the learning rates, and runs the D and G phases of the recipe: each draws a uint8 batch
  (images and labels) and converts it (``to_device``), computes the loss, checks ``loss.item()`` for
  finiteness, steps, and logs ``loss_d``, ``real_score``, ``fake_score`` and ``loss_g`` with ``.item()``;
  then the EMA update.
* ``gankit+hooks``: the same Trainer with the hooks of ``gankit train`` (``default_hooks``: metrics.jsonl
  and TensorBoard every 10 steps, gankit's default ``--log-every``; sample grids and checkpoints off,
  ``--sample-every 0 --checkpoint-every 0``; no progress bar), timed as ``Trainer.run`` drives them:
  ``train_step()`` then every hook's ``on_step``. Its run folder is a temporary folder.

``precision`` times the ``gankit`` side alone with ``--precision fp32`` and ``bf16``, ``--channels-last``,
both, and ``--compile`` (``torch.compile`` of G and D, inductor's C++ backend on the CPU). Compilation
happens during the warm-up steps, whose time is reported apart (``warmup_s``) and not counted; the number
of graphs dynamo compiled during the timed blocks is reported too (0: no recompiles per step). Each
variant's timed block is sized from its last warm-up step to take about as long as fp32's block of
``--steps`` steps (at least 1 step): bf16 on a CPU without bf16 instructions is many times slower.

Timing: every side (or variant) gets ``--warmup`` untimed steps, then ``--repeats`` rounds; in each round
every side trains ``--steps`` steps in turn, timed with ``time.perf_counter`` (the order alternates from
round to round so that no side always runs first). steps/s per side is the median over rounds; the
ratio ``gankit / plain`` is given both as the ratio of the medians and as the median of the per-round
ratios (``paired``). The goal is checked on the paired ratio: the sides of one round run back to back, so
load from other jobs that comes and goes between rounds cancels in it, not in the ratio of the medians. Threads: torch's default (``torch.get_num_threads()``, printed), unless ``--threads``.
The issue's goal is ``gankit / plain ≥ 0.95`` at 28 and 64 px.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import torch                                   # noqa: E402
import torch.nn.functional as F                # noqa: E402

import gankit                                  # noqa: E402
from gankit.config import TrainConfig          # noqa: E402
from gankit.training import Trainer            # noqa: E402
from gankit.training.data import load_training_data   # noqa: E402
from gankit.training.hooks import default_hooks       # noqa: E402

GOAL = 0.95
DEFAULT_STEPS = {28: 20, 64: 4}                # per timed block: ~3 s at 28 px, ~7 s at 64 px on this CPU
VARIANTS = {"fp32": {}, "bf16": {"precision": "bf16"}, "channels-last": {"channels_last": True},
            "bf16+channels-last": {"precision": "bf16", "channels_last": True}, "compile": {"compile": True}}


# ---------------------------------------------------------------------------------------------- the sides
class PlainLoop:
    """The hand-written loop (see the module doc): same nets, optimiser settings, losses, data and EMA."""
    name = "plain"

    def __init__(self, data, seed: int, batch_size: int):
        torch.manual_seed(seed)                        # as the Trainer does before building the nets
        gan = gankit.create("dcgan", sample_shape=data.sample_shape)
        self.G, self.D = gan.generator, gan.discriminator
        self.G_ema = copy.deepcopy(self.G).requires_grad_(False).eval()
        self.latent_dim = gan.latent_dim
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
        self.images = data.arrays["image"]             # uint8 (N, C, H, W)
        self.rng = torch.Generator().manual_seed(seed)
        self.batch_size, self.t, self.logs = batch_size, 0, []

    def step(self) -> None:
        B, G, D = self.batch_size, self.G, self.D
        G.train(), D.train()
        index = torch.randint(len(self.images), (B,), generator=self.rng)
        real = self.images[index].float().div_(127.5).sub_(1.0)
        # D update
        G.requires_grad_(False), D.requires_grad_(True)
        with torch.no_grad():
            fake = G(torch.randn(B, self.latent_dim, generator=self.rng))
        loss_d = F.softplus(-D(real)).mean() + F.softplus(D(fake)).mean()
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        # G update
        G.requires_grad_(True), D.requires_grad_(False)
        loss_g = F.softplus(-D(G(torch.randn(B, self.latent_dim, generator=self.rng)))).mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        G.requires_grad_(False)
        # EMA of G
        beta = min(0.999, (1 + self.t) / (10 + self.t))
        with torch.no_grad():
            for average, p in zip(self.G_ema.parameters(), G.parameters()):
                average.lerp_(p, 1.0 - beta)
            for average, b in zip(self.G_ema.buffers(), G.buffers()):
                average.copy_(b)
        self.logs = [loss_d.item(), loss_g.item()]
        self.t += 1


class GankitSide:
    """gankit's Trainer on the same data, with no hooks or with those of ``gankit train`` (see the module doc)."""

    def __init__(self, name: str, data, seed: int, batch_size: int, folder: Path, with_hooks: bool = False,
                 **settings):
        self.name = name
        config = TrainConfig(model="dcgan", data="fashion-mnist", image_size=data.sample_shape[-1],
                             batch_size=batch_size, seed=seed, steps=10**9, device="cpu", log_every=10,
                             sample_every=0, checkpoint_every=0, **settings)
        with warnings.catch_warnings():               # "checkpoint_every is 0: ..."
            warnings.simplefilter("ignore")
            hooks = default_hooks(config, progress=False) if with_hooks else []
            self.trainer = Trainer(config, folder / name, hooks=hooks, progress=False, data=data)
        if with_hooks:
            self.trainer.out_dir.mkdir(parents=True, exist_ok=True)
            for hook in hooks:
                hook.on_start(self.trainer)

    def step(self) -> None:
        trainer = self.trainer
        logs = trainer.train_step()
        for hook in trainer.hooks:
            hook.on_step(trainer, trainer.step, logs)

    def close(self) -> None:
        for hook in self.trainer.hooks:
            hook.on_end(self.trainer)


def same_initial_weights(plain: PlainLoop, side: GankitSide) -> bool:
    gan = side.trainer.gan
    pairs = [(plain.G, gan.generator), (plain.D, gan.discriminator)]
    return all(torch.equal(a, b) for x, y in pairs for a, b in zip(x.state_dict().values(), y.state_dict().values()))


# ---------------------------------------------------------------------------------------------- timing
def compiled_graphs() -> int:
    try:
        from torch._dynamo.utils import counters
        return int(counters["stats"]["unique_graphs"])
    except Exception:                                  # no dynamo: nothing compiled
        return 0


def warm_up(side, steps: int) -> tuple[float, float]:
    """(seconds of all ``steps`` warm-up steps, seconds of the last one)."""
    started = last = time.perf_counter()
    for _ in range(steps):
        last = time.perf_counter()
        side.step()
    end = time.perf_counter()
    return end - started, end - last


def interleaved(sides: list, steps: dict, repeats: int) -> dict:
    """steps/s of each side per round, the sides taking turns (order reversed every other round);
    ``steps``: the steps of each side's timed block, by name."""
    rates = {side.name: [] for side in sides}
    for round_ in range(repeats):
        for side in (sides if round_ % 2 == 0 else sides[::-1]):
            started = time.perf_counter()
            for _ in range(steps[side.name]):
                side.step()
            rates[side.name].append(steps[side.name] / (time.perf_counter() - started))
    return rates


def summary(rates: list[float]) -> dict:
    return {"steps_per_s": round(statistics.median(rates), 3), "min": round(min(rates), 3),
            "max": round(max(rates), 3), "rounds": [round(rate, 3) for rate in rates]}


def load_data(size: int):
    config = TrainConfig(model="dcgan", data="fashion-mnist", image_size=None if size == 28 else size)
    started = time.perf_counter()
    data = load_training_data(config)
    return data, time.perf_counter() - started


# ---------------------------------------------------------------------------------------------- modes
def overhead(args, size: int, data, folder: Path) -> dict:
    steps = args.steps or DEFAULT_STEPS.get(size, 4)
    plain = PlainLoop(data, args.seed, args.batch_size)
    sides = [plain, GankitSide("gankit", data, args.seed, args.batch_size, folder)]
    if not args.no_hooks:
        sides.append(GankitSide("gankit+hooks", data, args.seed, args.batch_size, folder, with_hooks=True))
    equal = all(same_initial_weights(plain, side) for side in sides[1:])
    for side in sides:
        warm_up(side, args.warmup)
    rates = interleaved(sides, {side.name: steps for side in sides}, args.repeats)
    for side in sides[1:]:
        side.close()
    result = {"mode": "overhead", "size": size, "batch_size": args.batch_size, "steps_per_round": steps,
              "repeats": args.repeats, "warmup_steps": args.warmup, "torch_threads": torch.get_num_threads(),
              "same_initial_weights": equal, "sides": {name: summary(r) for name, r in rates.items()}}
    base = result["sides"]["plain"]["steps_per_s"]
    for name in rates:
        if name == "plain":
            continue
        paired = statistics.median(g / p for g, p in zip(rates[name], rates["plain"]))
        result[f"ratio_{name}_over_plain"] = round(result["sides"][name]["steps_per_s"] / base, 3)
        result[f"paired_ratio_{name}_over_plain"] = round(paired, 3)
    result["goal"] = GOAL            # checked on the paired ratio: load that changes between rounds cancels
    result["goal_met"] = result["paired_ratio_gankit_over_plain"] >= GOAL
    return result


def precision(args, size: int, data, folder: Path) -> dict:
    steps = args.steps or DEFAULT_STEPS.get(size, 4)
    sides, warmup_s, last_step_s, failed = [], {}, {}, {}
    for name in args.variants:
        before = compiled_graphs()
        try:
            side = GankitSide(name, data, args.seed, args.batch_size, folder, **VARIANTS[name])
            seconds, last_step_s[name] = warm_up(side, args.warmup + (args.compile_warmup if "compile" in name else 0))
            warmup_s[name] = round(seconds, 1)
        except Exception as error:                     # e.g. torch.compile without a working C++ compiler
            failed[name] = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
            continue
        warmup_s[name + ":graphs"] = compiled_graphs() - before
        sides.append(side)
    # each variant's block takes about as long as fp32's: a variant 20x slower times max(1, steps / 20) steps
    reference = last_step_s.get("fp32", min(last_step_s.values(), default=1.0))
    block = {side.name: max(1, round(steps * reference / last_step_s[side.name])) for side in sides}
    before = compiled_graphs()
    rates = interleaved(sides, block, args.repeats) if sides else {}
    result = {"mode": "precision", "size": size, "batch_size": args.batch_size, "steps_per_round": steps,
              "repeats": args.repeats, "warmup_steps": args.warmup, "compile_warmup_steps": args.compile_warmup,
              "torch_threads": torch.get_num_threads(), "cpu_capability": torch.backends.cpu.get_cpu_capability(),
              "variants": {name: {**summary(r), "steps_per_round": block[name], "warmup_s": warmup_s[name],
                                  "graphs_compiled_in_warmup": warmup_s[name + ":graphs"]}
                           for name, r in rates.items()},
              "graphs_compiled_while_timed": compiled_graphs() - before, "failed": failed}
    if "fp32" in rates:
        base = result["variants"]["fp32"]["steps_per_s"]
        for name, values in result["variants"].items():
            values["speed_vs_fp32"] = round(values["steps_per_s"] / base, 3)
    return result


def show(result: dict) -> None:
    size, threads = result["size"], result["torch_threads"]
    print(f"dcgan {size} px, batch {result['batch_size']}, {threads} threads: median of {result['repeats']} rounds "
          f"of {result['steps_per_round']} steps (warm-up {result['warmup_steps']} steps)")
    table = result["sides"] if result["mode"] == "overhead" else result["variants"]
    for name, values in table.items():
        extra = ""
        if result["mode"] == "overhead" and name != "plain":
            extra = (f"  ratio {result[f'ratio_{name}_over_plain']:.3f} (paired {result[f'paired_ratio_{name}_over_plain']:.3f})")
        elif result["mode"] == "precision":
            extra = (f"  ×{values.get('speed_vs_fp32', float('nan')):.2f} fp32  ({values['steps_per_round']} steps/round; "
                     f"warm-up {values['warmup_s']} s, "
                     f"{values['graphs_compiled_in_warmup']} graphs compiled)")
        print(f"  {name:20s} {values['steps_per_s']:8.3f} steps/s  [{values['min']:.3f} .. {values['max']:.3f}]{extra}")
    if result["mode"] == "overhead":
        print(f"  same initial weights: {result['same_initial_weights']}; goal gankit/plain >= {GOAL} (paired): "
              f"{'met' if result['goal_met'] else 'NOT met'}")
    else:
        print(f"  graphs compiled during the timed rounds: {result['graphs_compiled_while_timed']}")
        for name, error in result["failed"].items():
            print(f"  {name}: failed: {error}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", choices=("overhead", "precision"), default="overhead")
    parser.add_argument("--sizes", type=int, nargs="+", default=[28, 64], choices=(28, 64))
    parser.add_argument("--steps", type=int, default=None,
                        help=f"steps per timed block (default {DEFAULT_STEPS[28]} at 28 px, {DEFAULT_STEPS[64]} at 64 px)")
    parser.add_argument("--repeats", type=int, default=5, help="rounds; steps/s is the median over them")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per side first")
    parser.add_argument("--compile-warmup", type=int, default=3, help="extra untimed steps for --compile")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS),
                        help="precision mode: which settings to time")
    parser.add_argument("--no-hooks", action="store_true", help="overhead mode: leave out the gankit+hooks side")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    parser.add_argument("--json", action="store_true", help="one JSON line per size instead of the table")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    run = overhead if args.mode == "overhead" else precision
    with tempfile.TemporaryDirectory(prefix="gankit-overhead-") as folder:
        for size in args.sizes:
            data, load_s = load_data(size)
            result = {**run(args, size, data, Path(folder) / str(size)), "data": f"fashion-mnist (train, {len(data)} "
                      f"images{', resized to 64 px at load' if size == 64 else ''}, uint8 in memory)",
                      "data_load_s": round(load_s, 1), "torch": torch.__version__, "cpu_count": os.cpu_count()}
            if args.json:
                print(json.dumps(result), flush=True)
            else:
                show(result)
            del data


if __name__ == "__main__":
    main()
