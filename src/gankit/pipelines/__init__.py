"""Inference pipelines (in the spirit of diffusers'): what is done with a trained GAN lives here, not in
the models. A pipeline holds a GAN and composes its parts: :class:`SamplingPipeline` (classes, truncation ψ),
:func:`traverse` (InfoGAN's latent codes). Style mixing, pyramid sampling and inversion join later.
What a model can do is declared in ``GAN.capabilities`` and checked here, never probed.
"""
from .sampling import SamplingPipeline, run_context, run_schedule, sample, truncate
from .traversal import traverse

__all__ = ["SamplingPipeline", "run_context", "run_schedule", "sample", "traverse", "truncate"]
