"""GAN inversion: find the latent whose image reconstructs a given image (Image2StyleGAN, Image2StyleGAN++).

Spaces (``space``):

* ``"w+"`` — one w per synthesis layer input, (N, num_ws, w_dim): Image2StyleGAN's extended space W+ (Abdal et
  al. 2019, Sec. 4–5), started at the mean w (the generator's ``w_avg``: the paper's initialisation w̄, which it
  found better than a random start for faces, Sec. 5); for models declaring the "w-space" capability (the W-space
  contract: ``mapping``, ``synthesis``, ``num_ws``, ``noise_shapes``, ``w_avg``);
* ``"w"`` — one w, broadcast to every layer, also started at ``w_avg``;
* ``"z"`` — the input latent, (N, latent_dim), for any model declaring "gaussian-latent" (a W-space model maps it,
  others run ``gan.synthesize``), started at z = 0, the mean of N(0, I). ``init="random"`` starts every space
  from a seeded draw instead (z ~ N(0, I); w = mapping(z)).

The optimiser is Adam with lr 0.01, β = (0.9, 0.999), ε = 1e−8 (Image2StyleGAN, Sec. 5, Algorithm 1), on the loss of
:mod:`gankit.pipelines.inversion_loss` (pixel MSE + λ·perceptual, optional masks and crossover). The generator's
noise inputs are its fixed ``noise_const`` maps (``noise_mode="const"``), so a saved latent regenerates exactly.

``noise=True`` (Image2StyleGAN++, Abdal et al. 2020, Sec. 3; their finding is that noise optimisation is stable
only when done sequentially with W+, not jointly): per-image noise maps start as a seeded N(0, 1) draw, held fixed
while the latent is optimised for ``steps`` steps, then the noise maps alone are optimised for ``noise_steps``
steps (same loss, same Adam settings) with the latent fixed — one block each, in that order.

Images are synthesised unclamped inside the loss (the clamp would zero the gradient of any pixel beyond ±1) and
clamped to [−1, 1] in the results. Per-image losses are summed, so inverting N images at once gives each image
its own optimisation (Adam is per-coordinate). The EMA generator is inverted unless ``ema=False``.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Optional

import torch

from .. import draws
from ..config import check_seed, is_integer, is_number
from ..errors import GankitError
from ..recipes.base import GAN, model_name as base_model_name
from .capable import models_with
from .inversion_loss import InversionLoss, scores
from .perceptual import PerceptualLoss, perceptual_loss

SPACES = ("w+", "w", "z")
INITS = ("mean", "random")
LATENT_FORMAT = "gankit-inversion-1"
ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8
PSNR_SCALE = "psnr on uint8 [0, 255] (peak 255); mse on the generator's [-1, 1]"


def model_name(gan: GAN) -> str:
    return base_model_name(gan, type(gan).__name__)


def resolve_space(gan: GAN, space: str) -> str:
    """``space`` checked against what the model declares; "auto": w+ for W-space models, else z."""
    if space == "auto":
        space = "w+" if "w-space" in gan.capabilities else "z"
    if space not in SPACES:
        raise GankitError(f"unknown latent space {space!r}; valid spaces: {', '.join(SPACES)} (or auto)")
    if space in ("w", "w+") and "w-space" not in gan.capabilities:
        raise GankitError(f"--space {space} needs a model with a W space ({', '.join(models_with('w-space')) or 'none registered'}); "
                          f"'{model_name(gan)}' has none: invert its Gaussian latent with --space z")
    if space == "z" and "gaussian-latent" not in gan.capabilities:
        raise GankitError(f"--space z needs a model with a Gaussian latent z ~ N(0, I); '{model_name(gan)}' has other "
                          "latent codes")
    if gan.conditional:
        raise GankitError(f"'{model_name(gan)}' is class-conditional; inversion supports unconditional models only")
    return space


class LatentSpace:
    """How a latent of ``space`` starts and becomes images, for the generator ``net`` of ``gan``."""

    def __init__(self, gan: GAN, net: torch.nn.Module, space: str, context=None):
        self.gan, self.net, self.space, self.context = gan, net, space, context
        self.w_space = "w-space" in gan.capabilities

    def initial(self, num: int, init: str, rng: torch.Generator) -> torch.Tensor:
        device = self.gan.device()
        z = (torch.zeros(num, self.gan.latent_dim, device=device) if init == "mean"
             else draws.randn((num, self.gan.latent_dim), rng, device))
        if self.space == "z":
            return z
        w = self.net.w_avg.expand(num, -1) if init == "mean" else self.net.mapping(z)
        return w if self.space == "w" else w.unsqueeze(1).repeat(1, self.net.num_ws, 1)

    def noise_maps(self, num: int, rng: torch.Generator) -> list[torch.Tensor]:
        return [draws.randn((num, 1, *shape[-2:]), rng, self.gan.device()) for shape in self.net.noise_shapes]

    def render(self, latent: torch.Tensor, noises: Optional[list] = None) -> torch.Tensor:
        """Unclamped images of ``latent``; const noise unless ``noises`` are given."""
        if self.space == "z" and not self.w_space:
            return self.gan.synthesize(self.net, latent, None, self.context)
        ws = self.net.mapping(latent) if self.space == "z" else latent
        if ws.dim() == 2:
            ws = ws.unsqueeze(1).expand(-1, self.net.num_ws, -1)
        return self.net.synthesis(ws, noise_mode="const", noises=noises)


@dataclass
class Inversion:
    """The result: clamped ``images`` (CPU), the ``latent`` and ``noises`` found, per-image ``scores``, the
    loss ``curve`` (mean over images, one value per step, before the step) and the settings."""
    images: torch.Tensor
    latent: torch.Tensor
    noises: Optional[list]
    scores: list
    curve: torch.Tensor
    settings: dict = field(default_factory=dict)

    def state(self) -> dict:
        """A plain dict of tensors and strings (``torch.load(weights_only=True)`` reads it) that
        :func:`regenerate` turns back into the images."""
        state = {"format": LATENT_FORMAT, "space": self.settings["space"], "model": self.settings["model"],
                 "latent": self.latent.detach().cpu(), "loss_curve": self.curve.cpu(),
                 "noise_mode": "const" if self.noises is None else "given", "settings": json.dumps(self.settings)}
        for index, noise in enumerate(self.noises or []):
            state[f"noise.{index}"] = noise.detach().cpu()
        return state

    def summary(self, index: int = 0) -> dict:
        """Image ``index``'s scores with the settings, JSON-ready (an exact reconstruction's PSNR is "inf")."""
        scored = {key: ("inf" if value == math.inf else value) for key, value in self.scores[index].items()}
        perceptual = self.settings["perceptual"]
        if perceptual is not None:
            perceptual = {**perceptual, "weight": self.settings["perceptual_weight"],
                          "distance": scored.pop("perceptual")}
        return {**{key: value for key, value in self.settings.items() if key not in ("perceptual", "perceptual_weight")},
                **scored, "psnr_scale": PSNR_SCALE, "perceptual": perceptual,
                "loss": {"first": float(self.curve[0]), "last": float(self.curve[-1])}}


def check_options(steps, lr, noise_steps, init, seed, perceptual_weight) -> None:
    for name, value in (("steps", steps), ("noise steps", noise_steps)):
        if not (is_integer(value) and value >= 1):
            raise GankitError(f"the number of {name} must be an integer >= 1, got {value!r}")
    if not (is_number(lr) and 0 < lr < math.inf):
        raise GankitError(f"the learning rate must be a positive number (Image2StyleGAN: 0.01), got {lr!r}")
    if not (is_number(perceptual_weight) and 0 <= perceptual_weight < math.inf):
        raise GankitError(f"the perceptual weight must be a number >= 0 (0: pixel MSE only), got {perceptual_weight!r}")
    if init not in INITS:
        raise GankitError(f"unknown initialisation {init!r}; valid: {', '.join(INITS)}")
    check_seed(seed)


def check_images(gan: GAN, image, mask, crossover) -> None:
    shape = tuple(gan.sample_shape)
    if len(shape) != 3:
        raise GankitError(f"'{model_name(gan)}' generates 2-D points, not images: nothing to invert")
    for what, tensor in (("target", image), ("crossover image", crossover)):
        if tensor is not None and (tensor.dim() != 4 or tuple(tensor.shape[1:]) != shape):
            raise GankitError(f"the {what} must be shaped (N, {', '.join(map(str, shape))}) like the model's "
                              f"images; got {tuple(tensor.shape)}")
    if crossover is not None and (mask is None or crossover.shape != image.shape):
        raise GankitError("a crossover needs a mask (which pixels come from the first image) and images of one shape")
    if mask is not None:
        if mask.dim() != 4 or mask.shape[1] != 1 or mask.shape[2:] != image.shape[2:] or mask.shape[0] not in (1, image.shape[0]):
            raise GankitError(f"the mask must be shaped (1 or N, 1, {shape[1]}, {shape[2]}); got {tuple(mask.shape)}")
        if not bool(((mask == 0) | (mask == 1)).all()):
            raise GankitError("the mask must be binary: 1 where the image is compared, 0 where the generator fills in")


def optimise(parameters: list, objective, steps: int, lr: float, curve: list) -> None:
    """Adam on ``parameters`` (only: ``autograd.grad`` leaves the generator's .grad untouched)."""
    optimizer = torch.optim.Adam(parameters, lr=lr, betas=ADAM_BETAS, eps=ADAM_EPS)
    for _ in range(steps):
        losses = objective()
        gradients = torch.autograd.grad(losses.sum(), parameters)
        for parameter, gradient in zip(parameters, gradients):
            parameter.grad = gradient
        optimizer.step()
        curve.append(losses.detach().mean())


def invert(gan: GAN, image: torch.Tensor, *, space: str = "auto", steps: int = 300, lr: float = 0.01,
           mask: Optional[torch.Tensor] = None, crossover: Optional[torch.Tensor] = None, noise: bool = False,
           noise_steps: Optional[int] = None, perceptual: Optional[PerceptualLoss] = None, vgg16=None,
           perceptual_weight: float = 1.0, init: str = "mean", seed: int = 0, ema: bool = True,
           context=None) -> Inversion:
    """Invert ``image`` ((N, C, H, W) in [−1, 1], the model's shape) into ``space`` (see the module docstring).

    ``mask`` (1 or N, 1, H, W) in {0, 1}: 1 where the loss compares, 0 where the generator fills in (inpainting);
    ``crossover``: a second image compared where the mask is 0. ``perceptual``: the network of the perceptual
    term (None: :func:`perceptual_loss`, VGG-16 when ``vgg16`` weights are given or found, else the TF-Inception
    substitute); ``perceptual_weight`` 0 turns the term off. ``context``: the schedule position for staged recipes."""
    if not isinstance(gan, GAN):
        raise GankitError(f"inversion takes a GAN (gankit.load or gankit.create), got {type(gan).__name__}")
    noise_steps = steps if noise_steps is None else noise_steps
    check_options(steps, lr, noise_steps, init, seed, perceptual_weight)
    check_images(gan, image, mask, crossover)
    space = resolve_space(gan, space)
    if noise and "w-space" not in gan.capabilities:
        raise GankitError(f"noise maps are the W-space models' inputs; '{model_name(gan)}' has none: "
                          "invert without --noise")
    device = gan.device()
    if perceptual is None and perceptual_weight:
        perceptual = perceptual_loss(vgg16, device)
    image, mask, crossover = (None if t is None else t.to(device, torch.float32) for t in (image, mask, crossover))
    loss = InversionLoss(image, mask, crossover, perceptual, perceptual_weight)
    net = gan.generator_ema if ema else gan.generator
    was_training = net.training
    net.eval()
    try:
        latent_space = LatentSpace(gan, net, space, context)
        rng = torch.Generator().manual_seed(int(seed))
        with torch.no_grad():
            latent = latent_space.initial(image.shape[0], init, rng).clone()
            noises = latent_space.noise_maps(image.shape[0], rng) if noise else None
        latent.requires_grad_(True)
        curve = []
        optimise([latent], lambda: loss(latent_space.render(latent, noises)), steps, lr, curve)
        latent.requires_grad_(False)
        if noise:
            for noise_map in noises:
                noise_map.requires_grad_(True)
            optimise(noises, lambda: loss(latent_space.render(latent, noises)), noise_steps, lr, curve)
            noises = [noise_map.detach() for noise_map in noises]
        with torch.no_grad():
            images = latent_space.render(latent, noises).clamp(-1, 1)
            found = scores(images, loss, mask)
    finally:
        net.train(was_training)
    settings = {"model": model_name(gan), "space": space, "steps": steps, "noise_steps": noise_steps if noise else 0,
                "lr": lr, "init": init, "seed": int(seed), "ema": ema, "perceptual_weight": perceptual_weight,
                "perceptual": None if loss.perceptual is None else perceptual.describe(image.shape[-1])}
    return Inversion(images.cpu(), latent.detach(), noises, found, torch.stack(curve).cpu(), settings)


def regenerate(gan: GAN, state: dict, *, ema: bool = True, context=None) -> torch.Tensor:
    """The clamped images of a saved inversion (:meth:`Inversion.state`), on the CPU."""
    if not isinstance(state, dict) or state.get("format") != LATENT_FORMAT:
        raise GankitError(f"not a gankit inversion latent (format {LATENT_FORMAT}); write one with gankit invert")
    space = resolve_space(gan, state["space"])
    net = gan.generator_ema if ema else gan.generator
    was_training = net.training
    net.eval()
    device = gan.device()
    noises = None if state["noise_mode"] == "const" else \
        [state[f"noise.{index}"].to(device) for index in range(len(net.noise_shapes))]
    try:
        with torch.no_grad():
            return LatentSpace(gan, net, space, context).render(state["latent"].to(device), noises).clamp(-1, 1).cpu()
    finally:
        net.train(was_training)
