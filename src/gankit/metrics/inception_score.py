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

import numpy as np
import torch

from ..errors import GankitError


def check_splits(splits: int) -> None:
    if splits < 1:
        raise GankitError(f"the Inception Score needs at least 1 split, got {splits} (--splits; papers use 10)")


SHUFFLE_SEED = 2020          # torch-fidelity's default rng_seed for the Inception Score


def inception_score(logits, splits: int = 10, shuffle_seed: int | None = SHUFFLE_SEED) -> dict:
    """{"is": mean over splits, "is_std": std over splits (population std, as numpy's), "splits"}."""
    logits = torch.as_tensor(logits).double()
    n = logits.shape[0]
    check_splits(splits)
    if n < splits:
        raise GankitError(f"the Inception Score needs at least {splits} samples (one per split), got {n}")
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
