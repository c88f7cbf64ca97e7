"""Trainer hooks: each does one thing at start, after a step, or at the end of a run.

A hook never draws from the trainer's random generators, so adding or removing hooks cannot change
the trained weights (resume and reproducibility rely on it).
"""
from __future__ import annotations

import json
import sys
import time
from collections import defaultdict

import torch

from ..imaging import render_samples, save_png
from ..pipelines import SamplingPipeline
from ..runtime import replace_atomically
from .tensorboard import TensorBoard


class Hook:
    def on_start(self, trainer) -> None:
        pass

    def on_step(self, trainer, step: int, logs: dict) -> None:
        """``step`` counts completed steps (1-based)."""

    def on_end(self, trainer) -> None:
        pass


def due(step: int, every: int, trainer) -> bool:
    return every > 0 and (step % every == 0 or step == trainer.config.steps)


class MetricsLogger(Hook):
    """Averages of every logged number over ``every`` steps → metrics.jsonl and TensorBoard scalars.

    Each number is averaged over the steps that logged it: a metric evaluated once in the window, or a
    lazy regularizer applied every k steps, is not diluted by the steps without it."""

    def __init__(self, every: int, board: TensorBoard | None = None):
        self.every, self.board = every, board or TensorBoard()
        self.sums, self.counts, self.started = defaultdict(float), defaultdict(int), 0.0

    def on_start(self, trainer):
        self.path = trainer.out_dir / "metrics.jsonl"
        self.started = time.perf_counter()
        if trainer.step > 0:        # resumed: rows logged after the checkpoint are trained (and logged) again
            self.drop_rows_after(trainer.step)

    def drop_rows_after(self, step: int) -> None:
        if not self.path.is_file():
            return
        lines = self.path.read_text().splitlines(keepends=True)
        kept = [line for line in lines if json.loads(line).get("step", 0) <= step]
        if len(kept) < len(lines):
            replace_atomically(self.path, lambda temporary: temporary.write_text("".join(kept)))

    def on_step(self, trainer, step, logs):
        for key, value in logs.items():     # tensors stay on the device until the window is written: no
            if isinstance(value, torch.Tensor):     # host sync per step (float64, as Python's float sum)
                value = value.detach().double()
            self.sums[key] = self.sums[key] + value
            self.counts[key] += 1
        if due(step, self.every, trainer) or logs.get("_force_log"):
            self.flush(trainer, step)

    def flush(self, trainer, step: int) -> None:
        """Write the window's averages at ``step`` and start a new window."""
        self.write(trainer, step, {k: float(v) / self.counts[k] for k, v in self.sums.items() if not k.startswith("_")})
        self.sums.clear()
        self.counts.clear()

    def write(self, trainer, step, values: dict):
        record = {"step": step, **values, "time_s": round(time.perf_counter() - self.started, 3)}
        with open(self.path, "a") as handle:
            handle.write(json.dumps(record) + "\n")
        self.board.scalars(values, step)

    def on_end(self, trainer):
        if self.counts and self.started:      # stopped mid-window (a divergence, an interrupt): still logged
            self.flush(trainer, trainer.step)


class TensorBoardLog(Hook):
    """Opens the run's TensorBoard log, which MetricsLogger (scalars) and SampleGrid (images) write to, and
    at the end writes the run's hyperparameters into it and closes it (after MetricsLogger's last row)."""

    def __init__(self, board: TensorBoard):
        self.board = board

    def on_start(self, trainer):
        self.board.open(trainer)

    def on_end(self, trainer):
        self.board.close(trainer)


class SampleGrid(Hook):
    """A PNG of the EMA generator on fixed noise every ``every`` steps: samples/step-0000100.png."""

    def __init__(self, every: int, num: int = 64, board: TensorBoard | None = None):
        self.every, self.num, self.board = every, num, board or TensorBoard()

    def on_start(self, trainer):
        gan = trainer.gan
        num = self.num if gan.sample_shape and len(gan.sample_shape) == 3 else 2000
        fixed_rng = torch.Generator().manual_seed(trainer.config.seed + 1)
        self.latent = gan.sample_latent(num, fixed_rng)
        self.real_points = None if trainer.data.is_image else trainer.data.head(2000)["point"]

    def on_step(self, trainer, step, logs):
        if due(step, self.every, trainer):
            pipeline = SamplingPipeline(trainer.gan, context=trainer.schedule.context(step - 1))
            samples = pipeline(self.latent.shape[0], latent=self.latent)
            grid = render_samples(samples, self.real_points)
            save_png(grid, trainer.out_dir / "samples" / f"step-{step:07d}.png")
            self.board.image("samples", grid, step)


class Checkpointer(Hook):
    def __init__(self, every: int, keep: int):
        self.every, self.keep = every, keep

    def on_step(self, trainer, step, logs):
        if due(step, self.every, trainer):
            trainer.save_checkpoint(keep=self.keep)


def kept_random_state(device: torch.device):
    """torch's global random state (and the device's, on a GPU) restored afterwards: what runs inside
    leaves training -- dropout, noise layers -- exactly as without it."""
    return torch.random.fork_rng(devices=[device] if device.type == "cuda" else [])


class Evaluator(Hook):
    """Logs a registered metric (e.g. FID) every ``every`` steps into metrics.jsonl."""

    def __init__(self, every: int, metric: str, num: int):
        self.every, self.metric, self.num = every, metric, num

    def on_step(self, trainer, step, logs):
        if due(step, self.every, trainer):
            from .evaluation import evaluate
            with kept_random_state(trainer.device):     # a metric may draw (e.g. build a classifier): training
                result = evaluate(trainer.gan, trainer.config, self.metric, self.num, run_dir=trainer.out_dir,
                                  context=trainer.schedule.context(step - 1))
            logs[f"eval_{self.metric}"] = result["value"]
            logs["_force_log"] = True


class ProgressBar(Hook):
    """The device chosen, then a tqdm bar with the latest losses (tqdm shows it/s itself); both on stderr."""

    def on_start(self, trainer):
        from tqdm.auto import tqdm
        print(f"gankit: training on {trainer.device} (device {trainer.config.device})", file=sys.stderr, flush=True)
        self.bar = tqdm(total=trainer.config.steps, initial=trainer.step, desc=trainer.config.model,
                        unit="step", dynamic_ncols=True)

    def on_step(self, trainer, step, logs):
        self.bar.update(1)
        if step % 10 == 0 or step == trainer.config.steps:
            shown = {k: f"{float(v):.3g}" for k, v in logs.items() if k.startswith("loss") or k in ("penalty", "M")}
            self.bar.set_postfix(shown, refresh=False)

    def on_end(self, trainer):
        self.bar.close()


def default_hooks(config, progress: bool = True, writes: bool = True) -> list[Hook]:
    """The hooks of a run; ``writes`` False (torchrun ranks other than 0): the Checkpointer only, which every
    rank runs because saving gathers each rank's random state."""
    checkpointer = Checkpointer(config.checkpoint_every, config.keep_checkpoints)
    if not writes:
        return [checkpointer]
    board = TensorBoard()            # the sample grids and the logged averages go to the same event file
    hooks = [SampleGrid(config.sample_every, board=board), checkpointer]
    if config.eval_every:
        hooks.append(Evaluator(config.eval_every, config.eval_metric, config.eval_num))
    hooks.append(MetricsLogger(config.log_every, board))     # after Evaluator, so eval values are logged
    if config.log_every > 0:
        hooks.append(TensorBoardLog(board))                   # after MetricsLogger: closed after its last row
    if progress:
        hooks.append(ProgressBar())
    return hooks
