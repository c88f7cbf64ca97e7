"""Sampling a GAN: latents drawn in fixed blocks, classes, truncation ψ, batched generation on the model's
device, images returned on the CPU in [−1, 1]."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Optional

import torch

from ..config import is_integer, is_number
from ..errors import GankitError
from ..recipes.base import GAN, model_name
from ..schedule import Schedule, StepContext
from .latents import resample_beyond, truncate
from .wspace import has_w_space, map_to_ws, render_ws

LATENT_DRAW_BLOCK = 256        # latents per draw, whatever the batch size (see SamplingPipeline.latents)


def run_schedule(gan: GAN, config) -> Schedule:
    """The schedule a run of ``gan`` with this TrainConfig follows (the trainer's, and sampling's)."""
    return Schedule(gan.stages(), batch_size=config.batch_size, total_steps=config.steps,
                    lr_decay=gan.hparams["lr_decay"])


def run_context(gan: GAN, config, step: int) -> StepContext:
    """Where a run stood after ``step`` steps: the context of its last step (stage, resolution, fade-in α),
    so that a checkpoint of a staged recipe is sampled as it was being trained."""
    return run_schedule(gan, config).context(max(step - 1, 0))


def check_truncation(gan: GAN, truncation) -> None:
    """ψ in (0, 2] on a model with a Gaussian latent, or a one-line error."""
    if not (is_number(truncation) and 0 < truncation <= 2):
        raise GankitError(f"truncation ψ must be a number in (0, 2] (1: none), got {truncation!r}")
    if truncation != 1 and "gaussian-latent" not in gan.capabilities:
        raise GankitError(f"truncation needs a model with a Gaussian latent; '{model_name(gan)}'"
                          " has other latent codes; sample without --truncation")


class SamplingPipeline:
    """``SamplingPipeline(gan)(num, labels=..., truncation=0.7, rng=...)`` → (num, C, H, W) images.

    ``ema``: sample the generator average (the default) or the raw generator; ``context``: the schedule
    position for recipes whose nets change with the stage (None: training finished)."""

    def __init__(self, gan: GAN, *, ema: bool = True, context=None):
        if not isinstance(gan, GAN):
            raise GankitError(f"a sampling pipeline takes a GAN (gankit.load or gankit.create), got {type(gan).__name__}")
        self.gan, self.ema, self.context = gan, ema, context

    def check_labels(self, labels, n: int) -> Optional[torch.Tensor]:
        """``labels`` as a long tensor of ``n`` classes in range, or a one-line error."""
        gan = self.gan
        if labels is None:
            return None
        if not gan.conditional:
            raise GankitError(f"labels were given, but '{model_name(gan)}' is "
                              "unconditional; sample without labels")
        labels = torch.as_tensor(labels)
        if labels.shape != (n,) or labels.is_floating_point() or labels.is_complex():
            raise GankitError(f"labels must be {n} integer classes, one per sample; got shape "
                              f"{tuple(labels.shape)} of {labels.dtype}")
        if n and (int(labels.min()) < 0 or int(labels.max()) >= gan.num_classes):
            raise GankitError(f"labels must be classes 0..{gan.num_classes - 1}; got {int(labels.min())}.."
                              f"{int(labels.max())}")
        return labels.long()

    def latents(self, n: int, rng: Optional[torch.Generator]) -> torch.Tensor:
        """``n`` latents drawn in fixed blocks of ``LATENT_DRAW_BLOCK``: torch draws other numbers for other
        tensor sizes, so drawing per batch would make samples (and every metric) depend on the batch size."""
        return torch.cat([self.gan.sample_latent(min(LATENT_DRAW_BLOCK, n - start), rng)
                          for start in range(0, n, LATENT_DRAW_BLOCK)])

    @torch.no_grad()
    def __call__(self, num: int, labels=None, *, class_id: Optional[int] = None, truncation: float = 1.0,
                 rng: Optional[torch.Generator] = None, latent: Optional[torch.Tensor] = None,
                 batch_size: int = 256) -> torch.Tensor:
        gan = self.gan
        if not (is_integer(num) and num >= 1):
            raise GankitError(f"sampling needs a number of samples of at least 1, got {num!r}")
        num = int(num)
        if class_id is not None:
            if labels is not None:
                raise GankitError("give labels or class_id, not both")
            labels = torch.full((num,), int(class_id), dtype=torch.long)
        labels = self.check_labels(labels, num)
        if not (is_integer(batch_size) and batch_size >= 1):
            raise GankitError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        if rng is not None and not isinstance(rng, torch.Generator):
            raise GankitError(f"rng must be a torch.Generator (e.g. torch.Generator().manual_seed(0)), got {rng!r}")
        if latent is not None and (latent.dim() != 2 or latent.shape[0] != num):
            raise GankitError(f"latent must hold one vector per sample, {num} rows; got shape {tuple(latent.shape)}")
        check_truncation(gan, truncation)
        if labels is None and gan.conditional:
            labels = torch.arange(num) % gan.num_classes
        if latent is None:
            latent = self.latents(num, rng)
        if truncation != 1 and has_w_space(gan):           # ψ acts in W for style-based generators
            with self.network() as net:
                return self.batched(lambda z, y: render_ws(net, map_to_ws(gan, net, z, y, float(truncation))),
                                    num, batch_size, latent, labels)
        latent = self.truncated(latent, truncation, rng)
        with self.network() as net:
            return self.batched(lambda z, y: gan.synthesize(net, z, y, self.context), num, batch_size, latent, labels)

    def truncated(self, latent: torch.Tensor, truncation: float, rng: Optional[torch.Generator]) -> torch.Tensor:
        """Z-space truncation of ``latent``: BigGAN's redraw beyond ±ψ for models declaring ``truncation =
        "resample"``, else z̄ + ψ(z − z̄)."""
        if truncation == 1:
            return latent
        if self.gan.truncation == "resample":
            def redraw(n):
                return self.gan.sample_latent(-(-n // self.gan.latent_dim), rng).flatten()[:n]
            return resample_beyond(latent, float(truncation), redraw)
        return truncate(latent, float(truncation))

    @contextmanager
    def network(self):
        """The generator sampled (the EMA or the raw one), in eval mode for the block, restored after."""
        net = self.gan.generator_ema if self.ema else self.gan.generator
        was_training = net.training
        net.eval()
        try:
            yield net
        finally:
            net.train(was_training)

    def batched(self, render: Callable[..., torch.Tensor], num: int, batch_size: int,
                *inputs: Optional[torch.Tensor]) -> torch.Tensor:
        """``render(*batch_inputs)`` over ``num`` rows in batches of ``batch_size``, each input's slice moved to
        the model's device (None stays None); the outputs concatenated on the CPU."""
        device = self.gan.device()
        outputs = []
        with torch.no_grad():
            for start in range(0, num, batch_size):
                stop = min(num, start + batch_size)
                sliced = [None if value is None else value[start:stop].to(device) for value in inputs]
                outputs.append(render(*sliced).cpu())
        return torch.cat(outputs)


def sample(gan: GAN, num: int, labels=None, *, ema: bool = True, **options) -> torch.Tensor:
    """``SamplingPipeline(gan, ema=ema)(num, labels, **options)``: the one-call form."""
    return SamplingPipeline(gan, ema=ema)(num, labels, **options)
