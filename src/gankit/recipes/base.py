"""A GAN is a recipe: nets + objective + regularizers + optimizers + a schedule of phases.

The trainer only ever sees :class:`GAN.phases` — (name, module, optimizer, loss, repeats, interval) in
the style of stylegan3's training loop — and :meth:`GAN.stages` (the schedule's stages), so adding a model
never touches trainer code. A phase's loss takes the batch mapping (``image``/``point``, ``label``, ...,
already on the device and in [−1, 1]) and the step's :class:`~gankit.schedule.StepContext`. Recipes that
need more than "D scores real and fake" (conditional, auxiliary heads, autoencoder discriminators)
subclass :class:`GAN` and override ``discriminator_loss``/``generator_loss``.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, Optional

import torch
from torch import nn

from .. import draws
from ..data.batches import samples_of
from ..schedule import EMASchedule, Stage, StepContext
from ..errors import GankitError
from ..config import check_hparams as check_training_hparams, parse_number
from ..objectives import check_compatible, clip_parameters_, discriminator_scores
from ..objectives.base import Objective
from ..objectives.regularizers import Regularizer, build_regularizer, check_regularizer
from .latent_opt import build_latent_optimizer
from ..registry import OBJECTIVES

# Hyperparameters a user may override; the model gives defaults, a non-default objective its paper's.
HPARAM_KEYS = ("optimizer", "lr_g", "lr_d", "betas", "n_critic", "clip", "weight_decay", "eps", "lr_decay",
               "ema_kimg", "ema_rampup", "ema_start")
DEFAULT_HPARAMS = dict(optimizer="adam", lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999), n_critic=1,
                       clip=None, weight_decay=0.0, eps=1e-8, lr_decay="constant", ema_kimg=None, ema_rampup=None,
                       ema_start=0)



LossFn = Callable[[dict, StepContext], "tuple[torch.Tensor, dict]"]


@dataclass
class Phase:
    """One optimisation phase of a training step.

    ``loss(batch, context) -> (scalar loss, {name: float})`` is minimised w.r.t. the parameters of ``module``
    with ``optimizers[optimizer]``; it runs ``repeats`` times (each with a fresh batch) on every step where
    ``step % interval == 0``. ``after_step`` runs after each optimiser step.
    """
    name: str
    module: nn.Module
    optimizer: str
    loss: LossFn
    repeats: int = 1
    interval: int = 1
    after_step: Optional[Callable[[], None]] = None


@torch.no_grad()
def update_average(average: nn.Module, module: nn.Module, decay: float) -> None:
    """Exponential moving average of ``module``'s parameters into ``average`` (decay per call); buffers
    (e.g. batch-norm statistics) are copied as they are."""
    for average_p, p in zip(average.parameters(), module.parameters()):
        average_p.lerp_(p, 1.0 - decay)
    for average_b, b in zip(average.buffers(), module.buffers()):
        average_b.copy_(b)


def resolve_objective(objective: str | Objective) -> Objective:
    return objective if isinstance(objective, Objective) else OBJECTIVES.build(objective)


def model_name(gan: "GAN", fallback: str = "this model") -> str:
    """The registered name a GAN was created under (``gankit.create``), for messages; ``fallback`` without one."""
    return gan.build_args.get("name", fallback)


class GAN(nn.Module):
    """Generator + discriminator + objective, with an EMA copy of the generator for sampling."""
    # trains when only some real samples carry labels (−1 = unlabelled, ``--labels-per-class``)
    partial_labels = False
    # what the model can do, declared (pipelines and metrics check these, never probe): 'gaussian-latent'
    # (z ~ N(0, I): truncation applies), 'uniform-latent' (z ~ U(−1, 1)), 'class-conditional', 'classifier' (D classifies: ``classify``),
    # 'latent-codes' (structured codes: ``traversal_latents``), 'label-map' (the latent is a label map: recipes/spade.py)
    capabilities = frozenset({"gaussian-latent"})
    # how `--truncation ψ` acts on a Gaussian latent (pipelines/sampling.py): "scale" z̄ + ψ(z − z̄), or
    # "resample" the entries beyond ±ψ (BigGAN)
    truncation = "scale"

    def __init__(self, generator: nn.Module, discriminator: nn.Module, *, latent_dim: int,
                 sample_shape: tuple, objective: str | Objective | None = None,
                 regularizers: tuple = (), num_classes: int = 0, defaults: Optional[dict] = None,
                 latent_opt=None, default_objective: str = "nonsaturating", **hparam_overrides):
        super().__init__()
        unknown = set(hparam_overrides) - set(HPARAM_KEYS)
        if unknown:
            raise GankitError(f"unknown option(s) {', '.join(sorted(unknown))}; "
                              f"training options are: {', '.join(HPARAM_KEYS)}")
        self.generator = generator
        self.discriminator = discriminator
        self.generator_ema = copy.deepcopy(generator).requires_grad_(False).eval()
        self.latent_dim = latent_dim
        self.sample_shape = tuple(sample_shape)
        self.num_classes = num_classes
        self.objective = resolve_objective(objective or default_objective)
        self.regularizers = tuple(self.build_regularizer(r) for r in regularizers)
        self.check_compatible()
        self.latent_optimizer = build_latent_optimizer(latent_opt)
        self.check_latent_optimizer()
        # the model's own settings go with its default objective; a chosen objective brings its paper's
        ordered = ((self.objective.hparams, defaults or {}) if objective is None
                   else (defaults or {}, self.objective.hparams))
        self.hparams = {**DEFAULT_HPARAMS, **ordered[0], **ordered[1],
                        **{k: v for k, v in hparam_overrides.items() if v is not None}}
        self.check_hparams()
        self.check_nonempty()
        self.build_args: dict = {}      # filled by gankit.create: how to rebuild this GAN from a checkpoint

    # ----------------------------------------------------------------------------- construction
    def check_hparams(self) -> None:
        """One-line errors for training options no optimiser can use (gankit.config.check_hparams, the one
        place hyperparameters are checked), and for the schedule's (EMA, lr decay)."""
        check_training_hparams(self.hparams)

    def check_nonempty(self) -> None:
        """A layer with no units (``hidden=0``, ``width=0``) builds and runs in torch but cannot learn."""
        empty = [name for name, p in self.named_parameters() if p.numel() == 0]
        if empty:
            raise GankitError(f"these layers have no units: {', '.join(empty[:3])}; the model's size options "
                              "(hidden, width, latent_dim, ...) must be at least 1")

    def check_latent_optimizer(self) -> None:
        """LOGAN steps a Gaussian or uniform latent inside the base GAN's losses; refuse it elsewhere."""
        if self.latent_optimizer is None:
            return
        own_losses = (type(self).discriminator_loss is GAN.discriminator_loss
                      and type(self).generator_loss is GAN.generator_loss)
        if not ({"gaussian-latent", "uniform-latent"} & self.capabilities) or not own_losses:
            raise GankitError(f"--latent-opt needs a model whose latent is Gaussian or uniform noise and whose losses "
                              f"are the plain GAN's; '{type(self).__name__}' is not one (try sngan, biggan or dcgan)")

    def check_compatible(self) -> None:
        """Refuse an objective or regularizer this discriminator/data cannot use (one-line error)."""
        check_compatible(self.objective, self.discriminator)
        for regularizer in self.regularizers:
            check_regularizer(regularizer, self.discriminator, self.sample_shape)

    @staticmethod
    def build_regularizer(spec):
        """A Regularizer, from itself or from ``"name"`` / ``"name:key=value,key=value"`` (e.g. r1:gamma=1)."""
        if isinstance(spec, Regularizer):
            return spec
        if not isinstance(spec, str):
            raise GankitError(f"a regularizer is a name or a spec like 'r1:gamma=1' (or a Regularizer), got {spec!r}; "
                              "see `gankit list regularizers`")
        name, _, options = spec.partition(":")
        items = [item for item in options.split(",") if item.strip()]
        loose = [item for item in items if "=" not in item]
        if loose:
            raise GankitError(f"regularizer spec '{spec}': {loose[0]!r} is not KEY=VALUE; write options as "
                              f"{name}:gamma=1,lazy_interval=16")
        values = dict(item.split("=", 1) for item in items)
        return build_regularizer(name, **{k: parse_number(v) for k, v in values.items()})

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0 and "class-conditional" in self.capabilities

    # ----------------------------------------------------------------------------- sampling
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def sample_latent(self, n: int, rng: Optional[torch.Generator] = None) -> torch.Tensor:
        return draws.randn((n, self.latent_dim), rng, self.device())

    def sample_labels(self, n: int, rng: Optional[torch.Generator] = None) -> Optional[torch.Tensor]:
        if not self.conditional:
            return None
        return draws.randint(self.num_classes, (n,), rng, self.device())

    def run_generator(self, net: nn.Module, z: torch.Tensor, labels: Optional[torch.Tensor]):
        return net(z)

    def synthesize(self, net: nn.Module, z: torch.Tensor, labels: Optional[torch.Tensor],
                   context: Optional[StepContext] = None) -> torch.Tensor:
        """Samples of ``net`` (G or its average) at the schedule position ``context`` (None: training done).
        Recipes whose nets change with the stage (resolution, fade-in α) read it here."""
        return self.run_generator(net, z, labels)

    def fake_samples(self, n: int, labels: Optional[torch.Tensor], rng: torch.Generator,
                     context: Optional[StepContext] = None):
        return self.synthesize(self.generator, self.sample_latent(n, rng), labels, context)

    def training_fakes(self, n: int, labels, rng, context, role: str):
        """(fakes for ``role``'s loss, LOGAN's ‖Δz‖² cost or None). Without ``--latent-opt``: G(z), with no
        graph for the discriminator's loss. With it: G(z + Δz) (recipes/latent_opt.py), the graph through Δz
        kept for both players."""
        if self.latent_optimizer is None:
            with torch.set_grad_enabled(role == "generator" and torch.is_grad_enabled()):
                return self.fake_samples(n, labels, rng, context), None

        def score(latent):
            return discriminator_scores(self.discriminate(self.synthesize(self.generator, latent, labels, context),
                                                          labels))
        latent, cost = self.latent_optimizer.step(self.sample_latent(n, rng), score, rng,
                                                  uniform="uniform-latent" in self.capabilities)
        return self.synthesize(self.generator, latent, labels, context), cost

    @staticmethod
    def add_latent_cost(loss, latent_cost, logs):
        if latent_cost is None:
            return loss
        logs["latent_step"] = latent_cost.detach()
        return loss + latent_cost

    # ----------------------------------------------------------------------------- losses
    def condition(self, batch: dict) -> Optional[torch.Tensor]:
        """What the discriminator reads beside the samples of a batch mapping (``discriminate``'s second
        argument): the class labels, None without; a label-map recipe reads the maps."""
        return batch.get("label")

    def discriminate(self, samples: torch.Tensor, labels: Optional[torch.Tensor]):
        return self.discriminator(samples)

    def discriminator_loss(self, batch: dict, context: StepContext):
        real_samples, real_labels, rng = samples_of(batch), self.condition(batch), context.rng
        fake_labels = self.sample_labels(real_samples.shape[0], rng)
        fake_samples, latent_cost = self.training_fakes(real_samples.shape[0], fake_labels, rng, context, "discriminator")
        real_logits = self.discriminate(real_samples, real_labels)
        fake_logits = self.discriminate(fake_samples, fake_labels)
        loss, logs = self.adversarial_discriminator_loss(real_logits, fake_logits)
        loss = self.add_latent_cost(loss, latent_cost, logs)
        fake_samples = fake_samples.detach()
        if self.objective.penalty is not None:
            penalty = self.objective.penalty(self.discriminator, real_samples, fake_samples, rng)
            logs["penalty"] = penalty.detach()
            loss = loss + penalty
        return loss + self.regularization("discriminator", real_samples, fake_samples, rng, logs), logs

    def generator_loss(self, batch: dict, context: StepContext):
        real_samples, rng = samples_of(batch), context.rng
        fake_labels = self.sample_labels(real_samples.shape[0], rng)
        fake_samples, latent_cost = self.training_fakes(real_samples.shape[0], fake_labels, rng, context, "generator")
        fake_logits = self.discriminate(fake_samples, fake_labels)
        loss, logs = self.adversarial_generator_loss(fake_logits, context)
        loss = self.add_latent_cost(loss, latent_cost, logs)
        return loss + self.regularization("generator", real_samples, fake_samples, rng, logs), logs

    def adversarial_discriminator_loss(self, real_outputs, fake_outputs):
        """The objective's D loss on the discriminator's outputs, and its logs (recipes may override)."""
        loss = self.objective.discriminator_loss(real_outputs, fake_outputs)
        return loss, {"loss_d": loss.detach(), "real_score": discriminator_scores(real_outputs).mean().detach(),
                      "fake_score": discriminator_scores(fake_outputs).mean().detach()}

    def adversarial_generator_loss(self, fake_outputs, context: StepContext):
        """The objective's G loss on the discriminator's outputs for fakes, and its logs (recipes may override;
        ``context.logs`` holds what this step's earlier phases logged)."""
        loss = self.objective.generator_loss(fake_outputs, None)
        return loss, {"loss_g": loss.detach()}

    def regularization(self, role, real_samples, fake_samples, rng, logs):
        """Sum of the every-step regularizers that join ``role``'s loss (lazy ones have their own phase)."""
        total = real_samples.new_zeros(())
        for regularizer in self.regularizers:
            if regularizer.applies(role) and regularizer.interval == 1:
                value = regularizer.weighted(role, self.discriminator, real_samples, fake_samples, rng,
                                             generator_net=self.generator)
                key = f"reg_{regularizer.name}" + ("_g" if regularizer.applies_to == "both" and role == "generator" else "")
                logs[key] = logs.get(key, 0.0) + value.detach().double()   # the same one twice (r1, r1:gamma=1): summed
                total = total + value
        return total

    def lazy_regularizer_loss(self, regularizer, role: str):
        """Lazy regularization (Karras et al. 2020, StyleGAN2 Sec. 3.1): ``role``'s term ×interval, every
        ``interval`` steps, in a phase of its own. On G the fakes keep their graph (the term's gradient
        reaches G, e.g. orthogonal regularization, the rotation loss on generated images)."""
        suffix = "_g" if role == "generator" and regularizer.applies_to == "both" else ""

        def loss(batch, context):
            real_samples, rng = samples_of(batch), context.rng
            with torch.set_grad_enabled(role == "generator"):
                labels = self.sample_labels(real_samples.shape[0], rng)
                fake_samples = self.fake_samples(real_samples.shape[0], labels, rng, context)
            value = regularizer.weighted(role, self.discriminator, real_samples, fake_samples, rng,
                                         generator_net=self.generator) * regularizer.interval
            return value, {f"reg_{regularizer.name}{suffix}": value.detach()}
        return loss

    def lazy_intervals(self, role: str) -> set:
        """The intervals of ``role``'s lazy phases (its lazy regularizers', and any a recipe adds in
        :meth:`lazy_phases`, e.g. StyleGAN2's path-length term)."""
        return {phase.interval for phase in self.lazy_phases(role)}

    def optimizer_correction(self, role: str) -> float:
        """StyleGAN2's correction for lazy regularization (Karras et al. 2020, App. B; stylegan2-ada's
        ``mb_ratio``): with a lazy term every k steps, ``role``'s optimizer takes lr·c and betas**c, c = k/(k+1)."""
        intervals = self.lazy_intervals(role)
        if len(intervals) > 1:
            raise GankitError(f"lazy regularizers on the {role} use different intervals {sorted(intervals)}; give "
                              "them one lazy_interval (the optimizer correction assumes one)")
        if not intervals:
            return 1.0
        interval = next(iter(intervals))
        return interval / (interval + 1)

    # ----------------------------------------------------------------------------- schedule
    def make_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        h = self.hparams

        def make(params, lr, role):
            ratio = self.optimizer_correction(role)
            if h["optimizer"] == "adam":      # an RMSprop objective (WGAN) sets no betas: the usual ones then
                betas = DEFAULT_HPARAMS["betas"] if h["betas"] is None else tuple(h["betas"])
                return torch.optim.Adam(params, lr=lr * ratio, betas=tuple(beta ** ratio for beta in betas),
                                        eps=h["eps"], weight_decay=h["weight_decay"])
            if h["optimizer"] == "rmsprop":
                return torch.optim.RMSprop(params, lr=lr * ratio, eps=h["eps"], weight_decay=h["weight_decay"])
            raise GankitError(f"unknown optimizer '{h['optimizer']}'; use 'adam' or 'rmsprop'")
        return {"generator": make(self.generator.parameters(), h["lr_g"], "generator"),
                "discriminator": make(self.discriminator.parameters(), h["lr_d"], "discriminator")}

    def clip_discriminator_weights(self) -> None:
        """WGAN weight clipping (Arjovsky et al. 2017, Alg. 1): every D parameter into [−c, c]."""
        clip_parameters_(self.discriminator, self.hparams["clip"])

    def discriminator_after_step(self) -> Optional[Callable[[], None]]:
        """What every discriminator phase runs after its optimiser step: weight clipping when ``clip`` is set."""
        return self.clip_discriminator_weights if self.hparams.get("clip") else None

    def lazy_phases(self, role: str) -> list[Phase]:
        """One phase per lazy regularizer (interval > 1) that joins ``role``'s loss. A recipe with a lazy term of
        its own appends its phase here; the optimizer correction then counts it too."""
        module, prefix = (self.discriminator, "D") if role == "discriminator" else (self.generator, "G")
        return [Phase(f"{prefix}-{r.name}", module, role, self.lazy_regularizer_loss(r, role), interval=r.interval)
                for r in self.regularizers if r.interval > 1 and r.applies(role)]

    def phases(self, stage: int = 0) -> list[Phase]:
        """The phases of a step in ``stage`` (see :meth:`stages`): D (n_critic times), D's lazy terms, G, G's."""
        return [Phase("D", self.discriminator, "discriminator", self.discriminator_loss,
                      repeats=int(self.hparams["n_critic"]), after_step=self.discriminator_after_step()),
                *self.lazy_phases("discriminator"),
                Phase("G", self.generator, "generator", self.generator_loss),
                *self.lazy_phases("generator")]

    def stages(self) -> tuple[Stage, ...]:
        """The recipe's training stages (resolution, batch size, fade-in; see gankit.schedule). One by default."""
        return (Stage(0),)

    def ema_schedule(self, decay: float) -> EMASchedule:
        """How the generator average decays (gankit.schedule.EMASchedule), from ``ema_kimg``, ``ema_rampup``
        and ``ema_start``; ``decay`` is the run's ``ema_decay`` (used when no half-life is set)."""
        h = self.hparams
        return EMASchedule(decay, h["ema_kimg"], h["ema_rampup"], int(h["ema_start"]))

    def attach_data(self, data) -> None:
        """Called once by the trainer with the training Dataset before the first step. Recipes that
        need more than uniform batches (e.g. a labelled subset for semi-supervised losses) keep what
        they need here and draw from it with the ``rng`` their losses receive."""

    # ----------------------------------------------------------------------------- state
    def recipe_state(self) -> dict:
        """Extra training state a recipe keeps outside its modules (e.g. BEGAN's k); saved in checkpoints."""
        return {}

    def load_recipe_state(self, state: dict) -> None:
        pass

    def update_ema(self, decay: float) -> None:
        update_average(self.generator_ema, self.generator, decay)
