"""`gankit fid|is|kid|pr`: image-quality metrics between folders, statistics files, datasets and runs.

    gankit fid DIR_A DIR_B --json          {"fid": ..., "protocol": ..., "n_a": ..., "n_b": ...}
    gankit fid DIR_A --save-stats a.npz    pytorch-fid-compatible statistics
    gankit fid a.npz DIR_B --json
    gankit is DIR_A --json
    gankit kid DIR_A DIR_B --json
    gankit pr REAL FAKE --json             precision/recall (k=3) + density/coverage (k=5)

A source is a folder of images, a ``.npz`` of statistics (fid only), a dataset name (``NAME`` or
``NAME@test``; its first ``--num`` images) or a run folder/checkpoint (``--num`` generated samples).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..data.image_folder import find_images
from ..errors import GankitError
from ..metrics.compare import LazyExtractor, fid
from ..metrics.features import BACKENDS, PROTOCOLS
from ..metrics.inception_score import (check_split_sizes, check_splits, classifier_remedy, inception_score,
                                       missing_classifier_message)
from ..metrics.kid import check_kid_options, kernel_inception_distance
from ..metrics.precision_recall import manifold_metrics
from ..metrics.sources import (check_counts, check_source, for_each_source, is_run_source, is_stats_file,
                               source_features, source_stats)
from ..runtime import check_output_file

# neighbours for improved precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem et al. 2020)
PR_K, DC_K = 3, 5


def _add_common(parser, backends=BACKENDS) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--batch-size", type=int, default=50, help="images per network batch (default 50); "
                        "results do not depend on it")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if available)")
    parser.add_argument("--backend", choices=backends, default=backends[0],
                        help=f"feature network (default {backends[0]})")
    parser.add_argument("--protocol", choices=PROTOCOLS, default="tf-inception",
                        help="Inception input protocol: tf-inception (TF1 bilinear resize, (x-128)/128; "
                        "default) or pytorch-fid (torch bilinear, 2x/255-1, what `python -m pytorch_fid` does)")
    parser.add_argument("--num", type=int, default=None,
                        help="images to use from a dataset name (first N) or to generate from a run")
    parser.add_argument("--weights", default=None, help="Inception/classifier weight file (default: lookup)")
    parser.add_argument("--seed", type=int, default=0, help="seed for generated samples and KID subsets")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def register(subparsers) -> None:
    fid_parser = subparsers.add_parser("fid", help="Fréchet Inception Distance between two sources")
    fid_parser.add_argument("source_a", help="folder, .npz statistics, dataset name (NAME[@SPLIT]) or run")
    fid_parser.add_argument("source_b", nargs="?", help="the second source (omit with --save-stats)")
    fid_parser.add_argument("--save-stats", metavar="FILE.npz", help="write the first source's mu/sigma (pytorch-fid npz)")
    _add_common(fid_parser)
    fid_parser.set_defaults(func=run_fid)

    inception_score_parser = subparsers.add_parser("is", help="Inception Score of a source")
    inception_score_parser.add_argument("source_a", help="folder, dataset name (NAME[@SPLIT]) or run")
    inception_score_parser.add_argument("--splits", type=int, default=10, help="splits (default 10)")
    _add_common(inception_score_parser, ("auto",) + BACKENDS)
    inception_score_parser.set_defaults(func=run_is)

    kid = subparsers.add_parser("kid", help="Kernel Inception Distance between two sources")
    kid.add_argument("source_a")
    kid.add_argument("source_b")
    kid.add_argument("--subsets", type=int, default=100, help="random subsets (default 100)")
    kid.add_argument("--subset-size", type=int, default=1000, help="samples per subset (default 1000)")
    _add_common(kid)
    kid.set_defaults(func=run_kid)

    pr = subparsers.add_parser("pr", help="precision/recall (k=3) and density/coverage (k=5)")
    pr.add_argument("source_a", metavar="REAL")
    pr.add_argument("source_b", metavar="FAKE")
    _add_common(pr)
    pr.set_defaults(func=run_pr)


def _report(args, result: dict, headline: str) -> int:
    if args.json:
        print(json.dumps(result))
    else:
        extras = ", ".join(f"{key}={value}" for key, value in result.items() if key != headline)
        print(f"{headline.upper()}: {result[headline]:.6g}  ({extras})")
    return 0


def _extractor(args, backend: str | None = None) -> LazyExtractor:
    return LazyExtractor(backend or args.backend, args.protocol, args.device, args.weights)


def _check_sources(args, *sources: str) -> None:
    """Every source of an image metric, checked before the first feature pass."""
    check_counts(args.num, args.batch_size)
    for source in sources:
        check_source(source, num=args.num, images=True)


def _known_count(args, source: str) -> int | None:
    """How many images ``source`` will give, found without running a network: --num for a run, a
    folder's image count (at most --num), --num for a dataset; None when unknown, or for an empty
    folder (the feature pass refuses it with its own message)."""
    path = Path(source).expanduser()
    if path.is_dir() and not is_run_source(path):
        count = len(find_images(path))
        if count == 0:
            return None
        return count if args.num is None else min(count, args.num)
    return args.num


def _source_options(args) -> dict:
    """The options every source takes; a run folder or checkpoint is sampled by gankit.api.sample_run."""
    from ..api import sample_run
    return dict(num=args.num, batch_size=args.batch_size, progress=not args.quiet, seed=args.seed,
                sample_run=sample_run)


def _features(args, source: str, extractors: LazyExtractor):
    return source_features(source, extractors(), **_source_options(args))


def run_fid(args) -> int:
    options = _source_options(args)
    if args.save_stats:                        # before any feature pass
        if not is_stats_file(args.save_stats):
            raise GankitError(f"--save-stats {args.save_stats}: name the file FILE.npz (pytorch-fid's format), "
                              "so that gankit and pytorch-fid read it back as statistics")
        check_output_file(args.save_stats, "--save-stats")
    if args.source_b is None:
        if not args.save_stats:
            raise GankitError("give two sources to compare, or one source with --save-stats FILE.npz")
        stats_a = source_stats(args.source_a, _extractor(args), **options)
        stats_a.save(args.save_stats)
        if args.json:
            print(json.dumps({"saved": args.save_stats, "protocol": stats_a.protocol, "n_a": stats_a.n}))
        else:
            print(f"wrote {args.save_stats} (n={stats_a.n}, {stats_a.protocol})", file=sys.stderr)
        return 0
    result = fid(args.source_a, args.source_b, backend=args.backend, protocol=args.protocol, device=args.device,
                 weights=args.weights, save_stats_a=args.save_stats, **options)
    if args.save_stats and not args.json:
        print(f"wrote {args.save_stats} (n={result['n_a']}, {result['protocol']})", file=sys.stderr)
    return _report(args, result, "fid")


def _inception_score_extractors(args) -> LazyExtractor:
    """The backend for `gankit is`: ``auto`` is the Inception when its weights carry the classifier, else
    the MNIST classifier (with a warning naming the weight file that lacks it)."""
    if args.backend != "auto":
        extractors = _extractor(args)
    else:
        extractors = _extractor(args, "inception")
        if not extractors().has_logits:
            loaded = extractors().weights_path
            print(f"gankit: warning: the Inception weights loaded from {loaded} have no 1008-class classifier; "
                  f"using the MNIST classifier -- for the paper protocol, {classifier_remedy(loaded, args.weights)}",
                  file=sys.stderr)
            extractors = _extractor(args, "mnist-classifier")
    if not extractors().has_logits:
        raise GankitError(missing_classifier_message(extractors().weights_path, args.weights,
                                                     "use --backend mnist-classifier"))
    return extractors


def run_is(args) -> int:
    check_splits(args.splits)                  # bad options fail before any network runs
    _check_sources(args, args.source_a)
    count = _known_count(args, args.source_a)
    if count is not None:
        check_split_sizes(count, args.splits, samples="images", splits_option="--splits")
    extractors = _inception_score_extractors(args)
    extractor = extractors()
    features = _features(args, args.source_a, extractors)
    result = inception_score(features.logits, splits=args.splits)
    return _report(args, {"is": result["is"], "is_std": result["is_std"], "protocol": extractor.logits_name,
                          "n": len(features.logits), "splits": args.splits}, "is")


def run_kid(args) -> int:
    check_kid_options(args.subsets, args.subset_size)
    _check_sources(args, args.source_a, args.source_b)
    extractors = _extractor(args)
    features_a, features_b = for_each_source((args.source_a, args.source_b),
                                             lambda source: _features(args, source, extractors))
    result = kernel_inception_distance(features_a.features, features_b.features, args.subsets,
                                       args.subset_size, args.seed)
    return _report(args, {"kid": result["kid"], "kid_std": result["kid_std"], "protocol": extractors().name,
                          "n_a": len(features_a.features), "n_b": len(features_b.features),
                          "subset_size": result["subset_size"], "subsets": result["num_subsets"]}, "kid")


def _check_manifold_counts(args) -> None:
    """Before any feature pass: each point's k-th nearest *other* point of its own set needs more than k
    points, so REAL needs k+1 for both k (precision/recall and density/coverage) and FAKE k+1 for recall."""
    minimums = {"REAL": max(PR_K, DC_K) + 1, "FAKE": PR_K + 1}
    for role, source in (("REAL", args.source_a), ("FAKE", args.source_b)):
        count = _known_count(args, source)
        if count is not None and count < minimums[role]:
            raise GankitError(f"precision/recall (k={PR_K}) and density/coverage (k={DC_K}) need at least "
                              f"{minimums['REAL']} REAL and {minimums['FAKE']} FAKE images, but {role} {source} "
                              f"gives {count}; give more (raise --num, or add images to a folder; papers use "
                              "10k-50k)")


def run_pr(args) -> int:
    _check_sources(args, args.source_a, args.source_b)
    _check_manifold_counts(args)
    extractors = _extractor(args)
    real, fake = for_each_source((args.source_a, args.source_b), lambda source: _features(args, source, extractors))
    result = manifold_metrics(real.features, fake.features, k_pr=PR_K, k_dc=DC_K)
    return _report(args, {**result, "protocol": extractors().name, "n_real": len(real.features),
                          "n_fake": len(fake.features)}, "precision")
