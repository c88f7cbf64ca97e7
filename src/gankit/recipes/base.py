"""A GAN is a recipe: nets + objective + regularizers + optimizers + a schedule of phases.

The trainer only ever sees :class:`GAN.phases` — (name, module, optimizer, loss, repeats, interval) in
the style of stylegan3's training loop — so adding a model never touches trainer code. Recipes that
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
from ..errors import GankitError
from ..config import are_adam_betas, is_integer, is_number, is_positive_number
from ..objectives import check_compatible, clip_parameters_, discriminator_scores
from ..objectives.base import Objective
from ..objectives.regularizers import Regularizer, build_regularizer, check_regularizer
from ..registry import OBJECTIVES

# Hyperparameters a user may override; the model gives defaults, a non-default objective its paper's.
HPARAM_KEYS = ("optimizer", "lr_g", "lr_d", "betas", "n_critic", "clip", "weight_decay", "eps")
LATENT_DRAW_BLOCK = 256        # latents per draw in generate(), whatever the batch size
DEFAULT_HPARAMS = dict(optimizer="adam", lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999), n_critic=1,
                       clip=None, weight_decay=0.0, eps=1e-8)



def parse_number(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


LossFn = Callable[[torch.Tensor, Optional[torch.Tensor], torch.Generator], "tuple[torch.Tensor, dict]"]


@dataclass
class Phase:
    """One optimisation phase of a training step.

    ``loss(real_samples, real_labels, rng) -> (scalar loss, {name: float})`` is minimised w.r.t. the
    parameters of ``module`` with ``optimizers[optimizer]``; it runs ``repeats`` times (each with a fresh
    batch) on every step where ``step % interval == 0``. ``after_step`` runs after each optimiser step.
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


class GAN(nn.Module):
    """Generator + discriminator + objective, with an EMA copy of the generator for sampling."""
    # trains when only some real samples carry labels (−1 = unlabelled, ``--labels-per-class``)
    partial_labels = False

    def __init__(self, generator: nn.Module, discriminator: nn.Module, *, latent_dim: int,
                 sample_shape: tuple, objective: str | Objective | None = None,
                 regularizers: tuple = (), num_classes: int = 0, defaults: Optional[dict] = None,
                 **hparam_overrides):
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
        self.objective = resolve_objective(objective or "nonsaturating")
        self.regularizers = tuple(self.build_regularizer(r) for r in regularizers)
        self.check_compatible()
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
        """One-line errors for training options no optimiser can use (torch accepts some and trains nothing:
        a zero learning rate, a negative clip that maps every weight to the same value)."""
        hparams = self.hparams
        positive = [key for key in ("lr_g", "lr_d", "eps") if not is_positive_number(hparams[key])]
        if hparams["clip"] is not None and not is_positive_number(hparams["clip"]):
            positive.append("clip")
        if positive:
            raise GankitError(" and ".join(f"{key} must be a positive number, got {hparams[key]!r}"
                                           for key in positive))
        if not (is_number(hparams["weight_decay"]) and 0 <= hparams["weight_decay"] < float("inf")):
            raise GankitError(f"weight_decay must be a number >= 0, got {hparams['weight_decay']!r}")
        betas = hparams["betas"]
        if betas is not None and not are_adam_betas(betas):
            raise GankitError(f"betas must be two numbers in [0, 1), e.g. (0.5, 0.999), got {betas!r}")
        n_critic = hparams["n_critic"]
        if not (is_integer(n_critic) and n_critic >= 1):
            raise GankitError(f"n_critic must be an integer >= 1, got {n_critic!r}")

    def check_nonempty(self) -> None:
        """A layer with no units (``hidden=0``, ``width=0``) builds and runs in torch but cannot learn."""
        empty = [name for name, p in self.named_parameters() if p.numel() == 0]
        if empty:
            raise GankitError(f"these layers have no units: {', '.join(empty[:3])}; the model's size options "
                              "(hidden, width, latent_dim, ...) must be at least 1")

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
        return self.num_classes > 0 and getattr(self, "uses_labels", False)

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

    def fake_samples(self, n: int, labels: Optional[torch.Tensor], rng: torch.Generator):
        return self.run_generator(self.generator, self.sample_latent(n, rng), labels)

    def check_labels(self, labels, n: int) -> Optional[torch.Tensor]:
        """``labels`` for ``generate`` as a long tensor of ``n`` classes in range, or a one-line error."""
        if labels is None:
            return None
        if not self.conditional:
            raise GankitError(f"labels were given, but '{self.build_args.get('name', 'this model')}' is "
                              "unconditional; call generate without labels")
        labels = torch.as_tensor(labels)
        if labels.shape != (n,) or labels.is_floating_point() or labels.is_complex():
            raise GankitError(f"labels must be {n} integer classes, one per sample; got shape "
                              f"{tuple(labels.shape)} of {labels.dtype}")
        if n and (int(labels.min()) < 0 or int(labels.max()) >= self.num_classes):
            raise GankitError(f"labels must be classes 0..{self.num_classes - 1}; got {int(labels.min())}.."
                              f"{int(labels.max())}")
        return labels.long()

    @torch.no_grad()
    def generate(self, n: int, labels: Optional[torch.Tensor] = None, *, rng=None, ema: bool = True,
                 latent: Optional[torch.Tensor] = None, batch_size: int = 256) -> torch.Tensor:
        """``n`` samples from the (EMA) generator in eval mode, on CPU; labels cycle 0..K-1 if omitted.

        The latents are drawn in fixed blocks of ``LATENT_DRAW_BLOCK`` before the generator runs in chunks
        of ``batch_size``: torch draws other numbers for other tensor sizes, so drawing per chunk made the
        samples (and every metric on them) depend on the batch size. (256 is the old default batch size,
        so samples drawn with it are unchanged.)"""
        if not (is_integer(n) and n >= 1):
            raise GankitError(f"generate needs a number of samples of at least 1, got {n!r}")
        n = int(n)
        labels = self.check_labels(labels, n)
        if not (is_integer(batch_size) and batch_size >= 1):
            raise GankitError(f"generate's batch_size must be an integer >= 1, got {batch_size!r}")
        if rng is not None and not isinstance(rng, torch.Generator):
            raise GankitError(f"rng must be a torch.Generator (e.g. torch.Generator().manual_seed(0)), got {rng!r}")
        if latent is not None and (latent.dim() != 2 or latent.shape[0] != n):
            raise GankitError(f"latent must hold one vector per sample, {n} rows; got shape {tuple(latent.shape)}")
        net = self.generator_ema if ema else self.generator
        was_training = net.training
        net.eval()
        if labels is None and self.conditional:
            labels = torch.arange(n) % self.num_classes
        if latent is None:          # fixed blocks: the same samples for every batch_size (see the docstring)
            latent = torch.cat([self.sample_latent(min(LATENT_DRAW_BLOCK, n - start), rng)
                                for start in range(0, n, LATENT_DRAW_BLOCK)])
        outputs = []
        for start in range(0, n, batch_size):
            stop = min(n, start + batch_size)
            z = latent[start:stop].to(self.device())
            batch_labels = labels[start:stop].to(self.device()) if labels is not None else None
            outputs.append(self.run_generator(net, z, batch_labels).cpu())
        net.train(was_training)
        return torch.cat(outputs)

    # ----------------------------------------------------------------------------- losses
    def discriminate(self, samples: torch.Tensor, labels: Optional[torch.Tensor]):
        return self.discriminator(samples)

    def discriminator_loss(self, real_samples, real_labels, rng):
        fake_labels = self.sample_labels(real_samples.shape[0], rng)
        with torch.no_grad():
            fake_samples = self.fake_samples(real_samples.shape[0], fake_labels, rng)
        real_logits = self.discriminate(real_samples, real_labels)
        fake_logits = self.discriminate(fake_samples, fake_labels)
        loss, logs = self.adversarial_discriminator_loss(real_logits, fake_logits)
        if self.objective.penalty is not None:
            penalty = self.objective.penalty(self.discriminator, real_samples, fake_samples, rng)
            logs["penalty"] = penalty.item()
            loss = loss + penalty
        return loss + self.regularization("discriminator", real_samples, fake_samples, rng, logs), logs

    def generator_loss(self, real_samples, real_labels, rng):
        fake_labels = self.sample_labels(real_samples.shape[0], rng)
        fake_samples = self.fake_samples(real_samples.shape[0], fake_labels, rng)
        fake_logits = self.discriminate(fake_samples, fake_labels)
        loss, logs = self.adversarial_generator_loss(fake_logits)
        return loss + self.regularization("generator", real_samples, fake_samples, rng, logs), logs

    def adversarial_discriminator_loss(self, real_outputs, fake_outputs):
        """The objective's D loss on the discriminator's outputs, and its logs (recipes may override)."""
        loss = self.objective.discriminator_loss(real_outputs, fake_outputs)
        return loss, {"loss_d": loss.item(), "real_score": discriminator_scores(real_outputs).mean().item(),
                      "fake_score": discriminator_scores(fake_outputs).mean().item()}

    def adversarial_generator_loss(self, fake_outputs):
        """The objective's G loss on the discriminator's outputs for fakes, and its logs (recipes may override)."""
        loss = self.objective.generator_loss(fake_outputs, None)
        return loss, {"loss_g": loss.item()}

    def regularization(self, role, real_samples, fake_samples, rng, logs):
        """Sum of the every-step regularizers that join ``role``'s loss (lazy ones have their own phase)."""
        total = real_samples.new_zeros(())
        for regularizer in self.regularizers:
            if regularizer.applies(role) and regularizer.interval == 1:
                value = regularizer.weighted(role, self.discriminator, real_samples, fake_samples, rng,
                                             generator_net=self.generator)
                key = f"reg_{regularizer.name}" + ("_g" if regularizer.applies_to == "both" and role == "generator" else "")
                logs[key] = logs.get(key, 0.0) + value.item()       # the same one twice (r1, r1:gamma=1): summed
                total = total + value
        return total

    def lazy_regularizer_loss(self, regularizer):
        """Lazy regularization (Karras et al. 2020): the term ×interval, every ``interval`` steps."""
        def loss(real_samples, real_labels, rng):
            with torch.no_grad():
                fake_samples = self.fake_samples(real_samples.shape[0], self.sample_labels(real_samples.shape[0], rng), rng)
            value = regularizer.weighted("discriminator", self.discriminator, real_samples, fake_samples, rng,
                                         generator_net=self.generator) * regularizer.interval
            return value, {f"reg_{regularizer.name}": value.item()}
        return loss

    # ----------------------------------------------------------------------------- schedule
    def make_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        h = self.hparams

        def make(params, lr):
            if h["optimizer"] == "adam":      # an RMSprop objective (WGAN) sets no betas: the usual ones then
                betas = DEFAULT_HPARAMS["betas"] if h["betas"] is None else tuple(h["betas"])
                return torch.optim.Adam(params, lr=lr, betas=betas, eps=h["eps"], weight_decay=h["weight_decay"])
            if h["optimizer"] == "rmsprop":
                return torch.optim.RMSprop(params, lr=lr, eps=h["eps"], weight_decay=h["weight_decay"])
            raise GankitError(f"unknown optimizer '{h['optimizer']}'; use 'adam' or 'rmsprop'")
        return {"generator": make(self.generator.parameters(), h["lr_g"]),
                "discriminator": make(self.discriminator.parameters(), h["lr_d"])}

    def clip_discriminator_weights(self) -> None:
        """WGAN weight clipping (Arjovsky et al. 2017, Alg. 1): every D parameter into [−c, c]."""
        clip_parameters_(self.discriminator, self.hparams["clip"])

    def discriminator_after_step(self) -> Optional[Callable[[], None]]:
        """What every discriminator phase runs after its optimiser step: weight clipping when ``clip`` is set."""
        return self.clip_discriminator_weights if self.hparams.get("clip") else None

    def phases(self) -> list[Phase]:
        phases = [Phase("D", self.discriminator, "discriminator", self.discriminator_loss,
                        repeats=int(self.hparams["n_critic"]), after_step=self.discriminator_after_step())]
        phases += [Phase(f"D-{r.name}", self.discriminator, "discriminator", self.lazy_regularizer_loss(r),
                         interval=r.interval) for r in self.regularizers if r.interval > 1 and r.applies("discriminator")]
        phases.append(Phase("G", self.generator, "generator", self.generator_loss))
        return phases

    def attach_data(self, data) -> None:
        """Called once by the trainer with the training TensorData before the first step. Recipes that
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
