"""Inference pipelines (in the spirit of diffusers'): what is done with a trained GAN lives here, not in
the models. A pipeline holds a GAN and composes its parts: :class:`SamplingPipeline` (classes, truncation ψ,
in W for style-based models), :func:`traverse` (InfoGAN's latent codes), :func:`invert` (Image2StyleGAN/
Image2StyleGAN++ inversion into W+, W or Z, with masks, crossover and noise maps). The W space of style-based
models (wspace.py) is used by truncation, style mixing, interpolation and inversion. What a model can do is
declared in ``GAN.capabilities`` and checked here, never probed.
"""
from .inversion import Inversion, invert, regenerate
from .latents import slerp, truncate
from .sampling import SamplingPipeline, run_context, run_schedule, sample
from .traversal import traverse

__all__ = ["Inversion", "SamplingPipeline", "invert", "regenerate", "run_context", "run_schedule", "sample", "slerp",
           "traverse", "truncate"]
