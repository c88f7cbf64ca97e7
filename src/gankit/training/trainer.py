"""The one training loop (after stylegan3's): per step, ask the schedule where training is (stage,
resolution, batch size, fade-in, learning-rate factor), run each of the GAN's phases on batches converted
on the device, update the EMA generator, then call the hooks. It knows nothing about any particular GAN.
"""
from __future__ import annotations

import sys
import warnings
from pathlib import Path

import torch

from ..config import TrainConfig
from ..data.base import Dataset
from ..data.batches import make_batches, to_device
from ..draws import ShardedGenerator
from ..errors import GankitError, TrainingDiverged, first_line
from ..pipelines import run_schedule, sample
from ..recipes.base import GAN
from ..recipes.factory import ModelBuildError, create, data_options
from ..registry import METRICS
from ..runtime import check_output_dir, resolve_device
from . import checkpoint as ckpt
from . import distributed
from .precision import Precision
from .watch import FiniteWatch
from .data import load_training_data
from .hooks import Hook, default_hooks, kept_random_state
from .preemption import StopSignals, stop_at_step_boundary
from .record import run_record


# What a resume may change: how long to train, how often to log, sample, save and evaluate, and where to
# run. Every other setting is fixed by the checkpoint: its weights, optimizer state and random state.
RESUMABLE_SETTINGS = ("steps", "log_every", "sample_every", "checkpoint_every", "keep_checkpoints", "eval_every",
                      "eval_metric", "eval_num", "device", "data_workers", "precision", "channels_last", "compile",
                      "sync_bn")


def build_gan(config: TrainConfig, data: Dataset) -> GAN:
    """The GAN of ``config`` for ``data``, tried on two samples: a one-line error when torch cannot build or
    run its nets with these model_args (a negative width, a zero latent_dim), before any output is written."""
    with warnings.catch_warnings(record=True) as caught:    # shown once it builds; else the error says why
        try:
            gan = create(config.model, sample_shape=data.sample_shape, num_classes=data.num_classes,
                         **{**data_options(config.model, data), **config.recipe_overrides()})
            gan.attach_data(data)           # before the trial: a label-map model samples the data's maps
            try_forward(gan, data=data)
        except (ValueError, RuntimeError, TypeError, ModelBuildError) as error:
            reason = getattr(error, "reason", None) or first_line(error)
            raise GankitError(f"model '{config.model}' cannot be built with model_args {config.model_args} for "
                              f"samples of shape {tuple(data.sample_shape)}: {reason}; fix model_args "
                              "(--set model_args.KEY=VALUE)") from None
    for warning in caught:
        warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
    return gan


# samples for probe_eval_metric: the largest minimum of any metric (the Inception Score's 10 splits of 2)
PROBE_SAMPLES = 20


def try_forward(gan: GAN, num: int = 2, data: Dataset | None = None) -> None:
    """Generate ``num`` samples and discriminate them (no grad, eval mode, the global RNG state kept); an
    unconditional model's D reads what it reads beside the samples (``gan.condition``: e.g. label maps) from
    the first ``num`` samples of ``data``."""
    num = num if data is None else max(1, min(num, len(data)))
    labels = torch.arange(num) % gan.num_classes if gan.conditional else None
    was_training = gan.discriminator.training
    with kept_random_state(gan.device()), torch.no_grad():
        samples = sample(gan, num, labels, rng=torch.Generator().manual_seed(0))
        condition = labels
        if labels is None and data is not None:
            condition = gan.condition(to_device(data.head(num), gan.device()))
        gan.discriminator.eval()
        gan.discriminate(samples, condition)
    gan.discriminator.train(was_training)


def changed_settings(saved: dict, current: dict) -> str:
    """``"model_args {'width': 8} -> {'width': 32}"`` for each fixed setting that differs, or ''."""
    def normal(value):
        return tuple(value) if isinstance(value, list) else value
    return ", ".join(f"{key} {saved[key]!r} -> {value!r}" for key, value in current.items()
                     if key not in RESUMABLE_SETTINGS and key in saved and normal(saved[key]) != normal(value))


class Trainer:
    """Trains ``config.model`` on ``config.data`` into ``out_dir``; ``resume=True`` continues from the
    latest checkpoint there (to ``config.steps`` total steps)."""

    def __init__(self, config: TrainConfig, out_dir: str | Path, *, resume: bool = False,
                 hooks: list[Hook] | None = None, progress: bool = True, data: Dataset | None = None):
        self.config = config
        self.dist = distributed.from_environment(config.device)      # torchrun's processes, or this one alone
        self.device = resolve_device(self.dist.device(config.device))
        self.dist.per_rank_batch(config.batch_size)  # the global batch splits evenly, or a one-line error
        self.precision = Precision.of(config, self.device)
        distributed.check_sync_bn(config.sync_bn, self.device)
        METRICS.entry(config.eval_metric)           # a typo fails now, not at the first evaluation
        self.out_dir = check_output_dir(out_dir, "run folder")
        self.data = data if data is not None else load_training_data(config)
        torch.manual_seed(config.seed)                 # net initialisation and dropout
        self.gan = self.precision.prepare(build_gan(config, self.data).to(self.device), config.sync_bn and self.dist.active)
        if self.dist.active:                           # dropout and noise layers differ between processes
            torch.manual_seed(config.seed * 1_000_003 + self.dist.rank)
        if config.labels_per_class and not self.gan.partial_labels:
            raise GankitError(f"--labels-per-class keeps labels for only some samples, which '{config.model}' "
                              "cannot train on; use it with sgan or acgan")
        try:
            self.optimizers = self.gan.make_optimizers()
        except ValueError as error:                   # torch's own checks, e.g. a negative weight_decay
            raise GankitError(f"the optimizers of '{config.model}' refuse these settings: {error}; fix them "
                              "(--set model_args.KEY=VALUE, --lr-g/--lr-d)") from None
        self.schedule = run_schedule(self.gan, config)
        self.ema = self.gan.ema_schedule(config.ema_decay)
        # batches and latents: one process draws them all; N processes each keep their share (draws.py)
        self.rng = (ShardedGenerator(self.dist.rank, self.dist.world) if self.dist.active
                    else torch.Generator(device="cpu")).manual_seed(config.seed)
        self.watch = FiniteWatch(self.device)
        self.batches = make_batches(self.data, self.rng, config.seed, rank=self.dist.rank, world=self.dist.world,
                                    workers=config.data_workers)
        self.stage: int | None = None       # the stage whose phases are built (None: none yet)
        self.phases = []
        self.step = 0
        self.last_checkpoint: Path | None = None
        if resume:
            self.restore(ckpt.latest_checkpoint(self.out_dir))
        elif ckpt.list_checkpoints(self.out_dir):
            raise GankitError(f"{self.out_dir} already holds a trained run; continue it with --resume "
                              f"{self.out_dir} (in Python: resume=True) or choose another --out (out_dir)")
        elif (self.out_dir / "metrics.jsonl").is_file():
            raise GankitError(f"{self.out_dir} holds the logs of an earlier run that saved no checkpoint (so it "
                              f"cannot be resumed); choose another --out, or delete {self.out_dir} to start over")
        self.start_step = self.step
        # the stage of the last step done: entering a new stage at the next step resets what it declares,
        # on a fresh run and on a resume alike
        self.enter_stage(self.schedule.stage_index(max(self.step - 1, 0)), initial=True)
        if config.checkpoint_every == 0:
            warnings.warn("checkpoint_every is 0: no checkpoint will be saved, so this run cannot be resumed, "
                          "sampled or evaluated afterwards")
        if config.eval_every and self.step < config.steps and self.dist.is_main:
            self.probe_eval_metric()
        self.hooks = hooks if hooks is not None else default_hooks(config, progress, writes=self.dist.is_main)
        self.dist.broadcast_parameters(self.gan)       # also a barrier: every rank checked the run folder

    # ------------------------------------------------------------------------ state
    def state(self) -> dict:
        return {"config": self.config.to_dict(), "build_args": self.gan.build_args, "step": self.step,
                "model": self.gan.state_dict(),
                "optimizers": {name: opt.state_dict() for name, opt in self.optimizers.items()},
                "recipe_state": self.gan.recipe_state(), "batches": self.batches.state_dict(),
                "precision": self.precision.state_dict(),
                "rng": {"torch": self.rank_states(torch.get_rng_state()), "batches": self.rng.get_state(),
                        **({"cuda": self.rank_states(torch.cuda.get_rng_state(self.device))}
                           if self.device.type == "cuda" else {})}}

    def rank_states(self, state: torch.Tensor):
        """This process's random state alone, or, under torchrun, every rank's (a list in rank order)."""
        return self.dist.gather(state) if self.dist.active else state

    def save_checkpoint(self, keep: int = 0) -> Path:
        self.check_finite()                        # never a checkpoint after a divergence
        bad = [name for name, p in self.gan.state_dict().items() if p.is_floating_point() and not torch.isfinite(p).all()]
        if bad:
            raise TrainingDiverged(f"weights became non-finite ({bad[0]}) at step {self.step}; "
                                   f"not saved, last good checkpoint: {self.last_checkpoint or 'none'}")
        state, path = self.state(), ckpt.checkpoint_path(self.out_dir, self.step)   # every rank gathers
        if self.dist.is_main:
            ckpt.save_checkpoint(path, state, keep)
        self.dist.barrier()                        # the file is whole before any rank goes on
        self.last_checkpoint = path
        return path

    def probe_eval_metric(self) -> None:
        """Run the training-time metric once on a few samples (no more than the largest minimum of any
        metric), so that one that cannot work on this run (a conditional metric on an unconditional model,
        image metrics on 2D points) fails before training, not at the first evaluation K steps in. The
        global random state is kept, so training is the same with and without the probe."""
        from .evaluation import evaluate
        try:   # its warnings are about the probe's few samples, not the run's --eval-num: not shown
            with kept_random_state(self.device), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                evaluate(self.gan, self.config, self.config.eval_metric, min(self.config.eval_num, PROBE_SAMPLES))
        except GankitError as error:
            raise GankitError(f"--eval-metric {self.config.eval_metric} cannot run on this run: {error}") from None

    def restore(self, path: Path) -> None:
        payload = ckpt.load_checkpoint(path)
        if payload["build_args"].get("name") != self.config.model:
            raise GankitError(f"checkpoint {path} is of model '{payload['build_args'].get('name')}', "
                              f"not '{self.config.model}'; resume with the run's own model")
        changes = changed_settings(payload["config"], self.config.to_dict())
        if changes:            # else they would be written to config.json but not used, or crash the optimizer
            raise GankitError(f"checkpoint {path} was trained with other settings ({changes}); a resume may "
                              f"change only {', '.join(RESUMABLE_SETTINGS)}; train into a new --out instead")
        try:
            self.gan.load_state_dict(payload["model"])
            for name, opt in self.optimizers.items():
                opt.load_state_dict(payload["optimizers"][name])
        except (RuntimeError, ValueError, KeyError):      # weights or optimizer state of another shape
            raise GankitError(f"checkpoint {path} does not fit the '{self.config.model}' built from its "
                              "settings; train into a new --out") from None
        self.gan.load_recipe_state(payload["recipe_state"])
        self.batches.load_state_dict(payload.get("batches", {}))
        self.precision.load_state_dict(payload.get("precision", {}))
        self.restore_rank_state(payload["rng"]["torch"], torch.set_rng_state)
        self.rng.set_state(payload["rng"]["batches"])
        if "cuda" in payload["rng"] and self.device.type == "cuda":     # dropout etc. on the GPU
            self.restore_rank_state(payload["rng"]["cuda"], lambda state: torch.cuda.set_rng_state(state, self.device))
        self.step = int(payload["step"])
        self.last_checkpoint = Path(path)

    # ------------------------------------------------------------------------ loop
    def restore_rank_state(self, saved, restore) -> None:
        """Random state from a checkpoint: one process's, or one per rank (torchrun). Resuming with another
        number of processes keeps the data and latents (drawn from the shared generator) exactly; rank r
        takes rank r's dropout state where the checkpoint has one, else keeps its own seeded state."""
        saved = [saved] if isinstance(saved, torch.Tensor) else saved
        if self.dist.rank < len(saved):
            restore(saved[self.dist.rank])

    def enter_stage(self, index: int, initial: bool = False) -> None:
        """Build the phases of stage ``index``; a stage that declares it gets fresh optimizers (not at the
        start of a run or resume, where they are new or restored from the checkpoint)."""
        if index == self.stage:
            return
        if not initial and self.schedule.stages[index].reset_optimizers:
            self.optimizers = self.gan.make_optimizers()
        self.phases = self.gan.phases(index)
        self.stage = index

    def set_learning_rates(self, step: int) -> None:
        """Every optimizer group's lr = its base lr × the schedule's factor at ``step`` (a function of the step)."""
        factor = self.schedule.lr_factor(step)
        for optimizer in self.optimizers.values():
            for group in optimizer.param_groups:
                group.setdefault("base_lr", group["lr"])
                group["lr"] = group["base_lr"] * factor

    def run_phase(self, phase, context, index: int) -> None:
        self.gan.requires_grad_(False)
        phase.module.requires_grad_(True)
        optimizer = self.optimizers[phase.optimizer]
        batch_size = self.dist.per_rank_batch(context.batch_size)
        for _ in range(phase.repeats):
            batch = self.precision.batch(to_device(self.batches.next(batch_size), self.device, context.resolution))
            try:
                with self.precision.autocast():
                    loss, phase_logs = phase.loss(batch, context)
                optimizer.zero_grad(set_to_none=True)
                self.precision.backward(loss, optimizer)
            except RuntimeError as error:
                if self.config.compile and "double backward" in str(error):     # torch.compile's own limit
                    raise GankitError(f"--compile cannot train phase {phase.name}: its gradient penalty (R1, WGAN-GP, "
                                      "path length, ...) differentiates twice, which torch.compile does not support "
                                      f"(torch {torch.__version__}); drop --compile for this model") from None
                raise
            # torchrun: mean gradients, and the mean loss, so that every rank sees a divergence at once
            loss = self.dist.average_gradients(phase.module, loss)
            self.watch.note(loss, self.step + 1, index)   # checked once per window: no host sync here
            self.precision.step(optimizer)
            if phase.after_step is not None:
                phase.after_step()
            context.logs.update(phase_logs)

    def resume_hint(self) -> str:
        if self.last_checkpoint is None:
            return "no checkpoint was saved yet"
        return f"the last checkpoint is {self.last_checkpoint}; continue with `gankit train --resume {self.out_dir}`"

    def check_finite(self) -> None:
        """Stop if a loss became non-finite since the start (read from the device: once per window)."""
        bad = self.watch.first_bad()
        if bad is not None:
            step, phase, value = bad
            raise TrainingDiverged(
                f"{self.phases[phase].name} loss became {value} at step {step}; training stopped, "
                f"last good checkpoint: {self.last_checkpoint or 'none (lower the learning rate)'}")

    def train_step(self) -> dict:
        context = self.schedule.context(self.step, self.rng)
        self.enter_stage(context.stage)
        self.set_learning_rates(self.step)
        self.gan.train()
        for index, phase in enumerate(self.phases):
            if self.step % phase.interval == 0:
                self.run_phase(phase, context, index)
        self.gan.requires_grad_(False)
        self.gan.update_ema(self.ema.beta(context))
        self.step += 1
        if self.step % max(self.config.log_every, 1) == 0 or self.step == self.config.steps:
            self.check_finite()
        return context.logs

    def run(self) -> "Trainer":
        if self.step >= self.config.steps and self.step > 0:   # resumed at or past --steps: nothing to do, and
            return self                                      # the run folder (config.json, logs) stays as it is
        if self.dist.is_main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self.config.save(self.out_dir / "config.json", run_record(self))   # + what it resolved to (record.py)
        for hook in self.hooks:
            hook.on_start(self)
        try:
            with StopSignals() as stop:      # SIGINT/SIGTERM: save this step, then stop (preemption.py)
                while self.step < self.config.steps:
                    logs = self.train_step()
                    for hook in self.hooks:
                        hook.on_step(self, self.step, logs)
                    stop_at_step_boundary(self, stop)
        except KeyboardInterrupt:
            print(f"gankit: interrupted at step {self.step}: {self.resume_hint()}", file=sys.stderr)
            raise
        except distributed.PeerLost as error:
            raise distributed.PeerLost(f"{error} at step {self.step + 1}; stopped: {self.resume_hint()}") from None
        finally:
            self.batches.close()
            for hook in self.hooks:
                hook.on_end(self)
        self.dist.barrier()
        return self
