"""Perceptual path length (Karras et al. 2019, "A Style-Based Generator Architecture for GANs", Sec. 4.2,
Eq. 2 (Z) and 3 (W); protocol facts from NVlabs/stylegan2 metrics/perceptual_path_length.py):

    l = E[ d(G(lerp(w0, w1; t)), G(lerp(w0, w1; t + ε))) / ε² ]      (W: lerp between mapped ws)
    l = E[ d(G(slerp(z0, z1; t)), G(slerp(z0, z1; t + ε))) / ε² ]    (Z: slerp between latents)

with ε = 1e-4, t = 0 ("end" sampling: the path's end points) or t ~ U(0, 1) ("full"), and d the LPIPS distance
on VGG-16 (:mod:`gankit.metrics.lpips`). The mean is taken over the values between the 1st ("lower") and
99th ("higher") percentiles, as the reference rejects outliers. Images larger than 256 px are box-downsampled
by an integer factor to at most 256 px, as the reference does; ``crop=on`` keeps the central face region
(rows 3/8..7/8, columns 2/8..6/8), which the paper uses for FFHQ — **off by default here** (gankit has no
FFHQ loader; the region fits FFHQ's alignment, not CelebA's or other data).

The image pairs come from the caller (``ctx.path_pairs``, :class:`gankit.pipelines.interpolation.PathPairs`,
injected by ``gankit eval``): metrics do not run generators themselves.

The distance: the paper's LPIPS when both weight files are found (torchvision's VGG-16 and the lpips
package's linear weights), else a **substitute** that works offline: the TF-Inception of FID at 5 depths
(Conv2d_2b_3x3, Conv2d_4a_3x3, Mixed_5d, Mixed_6e, Mixed_7c on the 299 px input), unit-normalised over
channels like LPIPS and weighted uniformly (LPIPS's uncalibrated form). Its values are on another scale:
the result's ``metric``/``protocol`` then start with ``ppl-substitute-tf-inception-5stage-unitnorm`` and its
``note`` says so; compare them only with each other, never with published PPL.

Options (``--metric ppl:key=value,...``): ``space`` w|z (default w for style-based models, else z: any model
with a Gaussian latent), ``sampling`` end|full (default end), ``crop`` on|off (default off), ``distance``
auto|lpips|substitute (default auto: LPIPS when its weights are found), ``vgg16=PATH``, ``lpips=PATH``.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from ..errors import GankitError
from ..registry import register_metric
from .context import EvalContext
from .features import ieee_float32, prepare_for_inception
from .lpips import layer_distance, load_lpips, locate_lpips_weights
from .vgg16 import locate_vgg16_weights

EPSILON = 1e-4                        # Karras et al. 2019, Sec. 4.2
MAX_SIZE = 256                        # the reference downsamples larger images to 256 px
PAIRS_PER_BATCH = 16                  # pairs per generator/distance pass (values do not depend on it)
CHOICES = {"space": ("w", "z"), "sampling": ("end", "full"), "crop": ("off", "on"),
           "distance": ("auto", "lpips", "substitute")}
PATH_KEYS = ("vgg16", "lpips")
SUBSTITUTE_STAGES = ("Conv2d_2b_3x3", "Conv2d_4a_3x3", "Mixed_5d", "Mixed_6e", "Mixed_7c")


def parse_options(text: str | None, default_space: str) -> dict:
    """``key=value,...`` → the settings, with defaults; a one-line error for an unknown key or value."""
    settings = {"space": default_space, "sampling": "end", "crop": "off", "distance": "auto",
                "vgg16": None, "lpips": None}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in settings:
            raise GankitError(f"ppl options are key=value pairs with keys {', '.join(settings)} (e.g. "
                              f"ppl:space=z,sampling=full); got {item!r}")
        if key in CHOICES and value not in CHOICES[key]:
            raise GankitError(f"ppl option {key} must be one of {', '.join(CHOICES[key])}, got {value!r}")
        settings[key] = value
    return settings


def percentile_filtered_mean(values: torch.Tensor) -> tuple[float, float, float, int]:
    """(mean, low, high, kept) of the values within [1st percentile ("lower"), 99th percentile ("higher")],
    the reference's outlier rejection (numpy ``percentile(..., interpolation='lower'/'higher')``)."""
    array = values.double().cpu().numpy()
    if array.size == 0:
        raise GankitError("path length needs at least one sample; raise --num")
    low = float(np.percentile(array, 1, method="lower"))
    high = float(np.percentile(array, 99, method="higher"))
    kept = array[(array >= low) & (array <= high)]
    return float(kept.mean()), low, high, int(kept.size)


def prepare(images: torch.Tensor, crop: bool) -> torch.Tensor:
    """The reference's preprocessing: the central face crop (optional), then box-downsampling to ≤ 256 px."""
    if crop:
        if images.shape[2] != images.shape[3]:
            raise GankitError(f"crop=on needs square images, got {images.shape[2]}x{images.shape[3]}")
        c = images.shape[2] // 8
        images = images[:, :, c * 3:c * 7, c * 2:c * 6]
    factor = images.shape[2] // MAX_SIZE
    if factor > 1:
        n, channels, height, width = images.shape
        images = images.reshape(n, channels, height // factor, factor, width // factor, factor).mean(dim=(3, 5))
    return images


class InceptionStageDistance:
    """The substitute distance (see the module text): LPIPS's form on the TF-Inception's activations."""
    name = "tf-inception-5stage-unitnorm"

    def __init__(self, model):
        self.model = model

    def activations(self, images: torch.Tensor) -> list[torch.Tensor]:
        pixels = (images.expand(-1, 3, -1, -1) + 1) * 127.5          # [−1, 1] → [0, 255], not rounded
        return self.model.activations(prepare_for_inception(pixels, "tf-inception"), SUBSTITUTE_STAGES)

    def __call__(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        with torch.no_grad(), ieee_float32():
            return layer_distance(self.activations(a), self.activations(b))


@lru_cache(maxsize=2)
def substitute_distance(device: str) -> InceptionStageDistance:
    from .inception_weights import load_inception
    return InceptionStageDistance(load_inception(None, device))


def choose_distance(settings: dict, device) -> tuple[object, str | None]:
    """(distance, None) for LPIPS, (substitute, why) otherwise; ``distance=lpips`` without its files is an error."""
    choice = settings["distance"]
    if choice != "substitute":
        vgg16 = locate_vgg16_weights(settings["vgg16"])
        lpips = locate_lpips_weights(settings["lpips"])
        if (vgg16 and lpips) or choice == "lpips":
            return load_lpips(vgg16, lpips, device), None
        missing = " and ".join(name for name, found in (("VGG-16", vgg16), ("LPIPS linear", lpips)) if not found)
        why = (f"{missing} weights not found, so the distance is a substitute (TF-Inception, 5 stages, "
               "unit-normalised, uniform weights), not the paper's LPIPS: not comparable with published PPL")
    else:
        why = "distance=substitute: TF-Inception, 5 stages, unit-normalised, uniform weights; not the paper's LPIPS"
    return substitute_distance(str(torch.device(device))), why


def path_lengths(pairs, num: int, distance, epsilon: float = EPSILON, crop: bool = False,
                 batch_size: int = PAIRS_PER_BATCH) -> torch.Tensor:
    """(num,) d(image at t, image at t + ε) / ε² (float64) for ``pairs(start, stop)`` → the two image batches."""
    lengths = []
    for start in range(0, num, batch_size):
        at_t, at_t_epsilon = pairs(start, min(num, start + batch_size))
        distances = distance(prepare(at_t.float(), crop), prepare(at_t_epsilon.float(), crop))
        lengths.append(distances.double().cpu() / epsilon ** 2)
    return torch.cat(lengths)


@register_metric("ppl", takes_argument=True, optional_argument=True, argument="OPTIONS",
                 help="perceptual path length (Karras 2019): ε=1e-4, 1st..99th percentile mean; W (style models) "
                      "or Z, end or full sampling; LPIPS-VGG16 when its weights are found, else a named substitute "
                      "(options: ppl:space=w|z,sampling=end|full,crop=on|off,distance=auto|lpips|substitute)")
def ppl_metric(options: str | None, ctx: EvalContext) -> dict:
    gan = ctx.gan
    if gan is None or ctx.path_pairs is None:
        raise GankitError("ppl measures a trained generator: run it with `gankit eval RUN_DIR --metric ppl`")
    settings = parse_options(options, "w" if "w-space" in gan.capabilities else "z")
    if ctx.num_samples < 1:
        raise GankitError("ppl needs --num of at least 1 (pairs of images)")
    distance, note = choose_distance(settings, ctx.device)
    pairs = ctx.path_pairs(ctx.num_samples, space=settings["space"], sampling=settings["sampling"], epsilon=EPSILON)
    crop = settings["crop"] == "on"
    lengths = path_lengths(pairs, ctx.num_samples, distance, EPSILON, crop, max(1, min(ctx.batch_size, PAIRS_PER_BATCH)))
    value, low, high, kept = percentile_filtered_mean(lengths)
    family = "ppl" if note is None else f"ppl-substitute-{distance.name}"
    protocol = f"{family}_{settings['space']}{settings['sampling']}" + ("_crop" if crop else "") + \
        ("_lpips-vgg16" if note is None else "")
    result = {"metric": f"{protocol}_eps1e-4_n{ctx.num_samples}", "value": value, "protocol": protocol,
              "distance": distance.name if note is None else f"substitute: {distance.name}",
              "space": settings["space"], "sampling": settings["sampling"], "epsilon": EPSILON, "crop": crop,
              "n": ctx.num_samples, "kept": kept, "percentile_1": low, "percentile_99": high}
    return result if note is None else {**result, "note": note}
