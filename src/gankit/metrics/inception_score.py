"""Inception Score (Salimans et al. 2016, "Improved Techniques for Training GANs").

    IS = exp( E_x KL( p(y|x) || p(y) ) ),  p(y) = E_x p(y|x)

computed as the reference code does (openai/improved-gan): the N samples are cut in ``splits`` (10)
consecutive parts ``[i*N//splits, (i+1)*N//splits)``, p(y) is the mean prediction *within each part*,
and the score is reported as the mean and standard deviation of the per-part scores. Class
probabilities are the softmax of the classifier's logits (the 1008 TF-Inception logits for the
paper's protocol), float64.

The reference cut i.i.d. generator samples. Inputs given in an order (a folder of class subfolders, a
dataset sorted by label) would put one class in each part and score near 1, so the samples are first
permuted as torch-fidelity does (``numpy.random.RandomState(2020).permutation(N)``, the same values as
torch-fidelity's ``isc``). For i.i.d. samples the permutation does not change the estimator's
distribution; ``shuffle_seed=None`` keeps the input order.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ..errors import GankitError


def check_splits(splits: int) -> None:
    if splits < 1:
        raise GankitError(f"the Inception Score needs at least 1 split, got {splits} (--splits; papers use 10)")


# A split of one sample has p(y) = p(y|x): its KL term is 0 and its score exactly 1.0, whatever the image.
MIN_SAMPLES_PER_SPLIT = 2


def check_split_sizes(n: int, splits: int, *, samples: str = "samples",
                      splits_option: str | None = "splits") -> None:
    """One-line error unless each of the ``splits`` parts of ``n`` samples holds at least 2 samples.

    ``samples`` and ``splits_option`` name what the caller's user can raise or lower (e.g. "images",
    "--splits"); ``splits_option=None`` when the number of splits is fixed."""
    check_splits(splits)
    needed = MIN_SAMPLES_PER_SPLIT * splits
    if n >= needed:
        return
    remedies = [f"at least {needed} {samples}"]
    if splits_option is not None and n >= MIN_SAMPLES_PER_SPLIT:
        remedies.insert(0, f"at most {n // MIN_SAMPLES_PER_SPLIT} {splits_option}")
    raise GankitError(f"the Inception Score of {n} sample(s) in {splits} splits would put fewer than "
                      f"{MIN_SAMPLES_PER_SPLIT} in a split, which always scores exactly 1.0; use "
                      + " or ".join(remedies))


SHUFFLE_SEED = 2020          # torch-fidelity's default rng_seed for the Inception Score


def inception_score(logits, splits: int = 10, shuffle_seed: int | None = SHUFFLE_SEED) -> dict:
    """{"is": mean over splits, "is_std": std over splits (population std, as numpy's), "splits"}."""
    logits = torch.as_tensor(logits).double()
    n = logits.shape[0]
    check_split_sizes(n, splits)
    if shuffle_seed is not None:
        logits = logits[torch.from_numpy(np.random.RandomState(shuffle_seed).permutation(n))]
    log_probs = torch.log_softmax(logits, dim=1)
    scores = []
    for part in range(splits):
        chunk = log_probs[part * n // splits:(part + 1) * n // splits]
        log_marginal = torch.logsumexp(chunk, dim=0) - torch.log(torch.tensor(float(chunk.shape[0]),
                                                                              dtype=torch.float64))
        kl = (chunk.exp() * (chunk - log_marginal)).sum(dim=1).mean()
        scores.append(kl.exp())
    scores = torch.stack(scores)
    return {"is": float(scores.mean()), "is_std": float(scores.std(unbiased=False)), "splits": splits}


def classifier_remedy(loaded: Path, weights: str | os.PathLike | None = None) -> str:
    """How to get the 1008-class classifier where the Inception weights ``loaded`` have none (fid-helper's
    network, or a pytorch-fid-layout file with an all-zero fc such as ``benchmarks/bench_fid.py`` writes),
    following the weight lookup order: ``weights`` given, the environment variable, the cache."""
    from .inception_weights import PYTORCH_FID_FILE, PYTORCH_FID_SHA256, WEIGHTS_ENV, cache_dir
    good_file = f"pytorch-fid's downloaded {PYTORCH_FID_FILE} (sha256 {PYTORCH_FID_SHA256[:8]}...)"
    if weights:
        return f"give --weights {good_file}"
    if os.environ.get(WEIGHTS_ENV):
        return f"point ${WEIGHTS_ENV} at {good_file}"
    if Path(loaded) == cache_dir() / PYTORCH_FID_FILE:
        return f"replace it with {good_file}"
    return f"put {good_file} in {cache_dir()}"


def missing_classifier_message(loaded: Path, weights: str | os.PathLike | None, alternative: str) -> str:
    """One line: the Inception Score cannot run on the loaded weights; names the file and what to do."""
    return (f"the Inception Score needs the 1008-class classifier, which the Inception weights loaded from "
            f"{loaded} lack (no fc layer, or an all-zero one); {classifier_remedy(loaded, weights)}, or "
            f"{alternative}")
