"""`gankit metrics|fid|is|kid|pr`: image-quality metrics between folders, statistics files, datasets and runs.

    gankit metrics A B --fid --kid --pr --is --json   every metric from one feature pass per source
    gankit fid DIR_A DIR_B --json          {"metric": "fid", "value": ..., "fid": ..., "protocol": ..., "n_a", "n_b"}
    gankit fid DIR_A --save-stats a.npz    pytorch-fid-compatible statistics (also of NAME@SPLIT)
    gankit fid a.npz DIR_B --json
    gankit is DIR_A --json
    gankit kid DIR_A DIR_B --json
    gankit pr REAL FAKE --json             precision/recall (k=3) + density/coverage (k=5)

A source is a folder of images, a ``.npz`` of statistics (FID only), a dataset name (``NAME`` or
``NAME@test``; its first ``--num`` images) or a run folder/checkpoint (``--num`` generated samples).
Features of folders and datasets are cached (:mod:`gankit.metrics.feature_cache`): a second command on the
same sources runs no network. ``gankit metrics A B``: A is measured (generated), B the reference (real),
as torch-fidelity's input1/input2; the single-metric commands run the same code
(:mod:`gankit.metrics.suite`), ``gankit pr`` with its sources in the order REAL FAKE.
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from pathlib import Path

from ..data.image_folder import find_images
from ..errors import GankitError
from ..metrics.compare import LazyExtractor, fid
from ..metrics.features import BACKENDS, PROTOCOLS
from ..metrics.inception_score import classifier_remedy, missing_classifier_message
from ..metrics.sharding import join_from_environment, place
from ..metrics.sources import (check_counts, check_source, for_each_source, is_run_source, is_stats_file,
                               source_features, source_stats)
from ..metrics.suite import METRICS, MetricOptions, check_counts_for, check_requested, measure
from ..runtime import check_output_file


def _add_common(parser, backends=BACKENDS) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object per metric")
    parser.add_argument("--batch-size", type=int, default=50, help="images per network batch (default 50); "
                        "results do not depend on it")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if available)")
    parser.add_argument("--backend", choices=backends, default=backends[0],
                        help=f"feature network (default {backends[0]}); vgg16: VGG-16 fc2, the precision/recall "
                        "papers' features (needs its weights, see --vgg16)")
    parser.add_argument("--protocol", choices=PROTOCOLS, default="tf-inception",
                        help="Inception input protocol: tf-inception (TF1 bilinear resize, (x-128)/128; "
                        "default) or pytorch-fid (torch bilinear, 2x/255-1, what `python -m pytorch_fid` does)")
    parser.add_argument("--num", "--num-images", dest="num", type=int, default=None,
                        help="images to use from a dataset name (first N) or to generate from a run")
    parser.add_argument("--weights", default=None, help="Inception/classifier weight file (default: lookup)")
    parser.add_argument("--vgg16", metavar="FILE", default=None,
                        help="torchvision's vgg16-397923af.pth: use VGG-16 fc2 features (implies --backend vgg16; "
                        "default lookup: $GANKIT_VGG16_WEIGHTS, then the gankit cache)")
    parser.add_argument("--features", metavar="FILE.pt", default=None,
                        help="your own TorchScript feature extractor: uint8 (N, 3, H, W) -> features (N, D), or "
                        "(features, logits) for IS; the protocol is named custom-<its sha256>")
    parser.add_argument("--seed", type=int, default=0, help="seed for generated samples and KID subsets")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_kid_options(parser) -> None:
    parser.add_argument("--subsets", type=int, default=100, help="KID's random subsets (default 100)")
    parser.add_argument("--subset-size", type=int, default=1000, help="KID's samples per subset (default 1000)")


def _add_is_options(parser) -> None:
    parser.add_argument("--splits", type=int, default=10, help="Inception Score splits (default 10)")


def register(subparsers) -> None:
    metrics = subparsers.add_parser("metrics", help="several metrics from one feature pass per source (cached)")
    metrics.add_argument("source_a", metavar="A", help="the images measured (generated): folder, dataset name "
                         "(NAME[@SPLIT]) or run")
    metrics.add_argument("source_b", metavar="B", nargs="?", help="the reference (real) images (not for --is alone)")
    for metric, what in (("fid", "Fréchet Inception Distance"), ("kid", "Kernel Inception Distance"),
                         ("pr", "precision/recall (k=3) and density/coverage (k=5)"), ("is", "Inception Score of A")):
        metrics.add_argument(f"--{metric}", dest=f"metric_{metric}", action="store_true", help=what)
    _add_kid_options(metrics)
    _add_is_options(metrics)
    _add_common(metrics)
    metrics.set_defaults(func=run_metrics, save_stats=None)

    fid_parser = subparsers.add_parser("fid", help="Fréchet Inception Distance between two sources")
    fid_parser.add_argument("source_a", help="folder, .npz statistics, dataset name (NAME[@SPLIT]) or run")
    fid_parser.add_argument("source_b", nargs="?", help="the second source (omit with --save-stats)")
    fid_parser.add_argument("--save-stats", metavar="FILE.npz", help="write the first source's mu/sigma (pytorch-fid npz)")
    _add_common(fid_parser)
    fid_parser.set_defaults(func=run_fid)

    inception_score_parser = subparsers.add_parser("is", help="Inception Score of a source")
    inception_score_parser.add_argument("source_a", help="folder, dataset name (NAME[@SPLIT]) or run")
    _add_is_options(inception_score_parser)
    _add_common(inception_score_parser, ("auto",) + BACKENDS)
    inception_score_parser.set_defaults(func=run_is)

    kid = subparsers.add_parser("kid", help="Kernel Inception Distance between two sources")
    kid.add_argument("source_a")
    kid.add_argument("source_b")
    _add_kid_options(kid)
    _add_common(kid)
    kid.set_defaults(func=run_kid)

    pr = subparsers.add_parser("pr", help="precision/recall (k=3) and density/coverage (k=5)")
    pr.add_argument("source_a", metavar="REAL")
    pr.add_argument("source_b", metavar="FAKE")
    _add_common(pr)
    pr.set_defaults(func=run_pr)


def torchrun_aware(command):
    """Under torchrun, join the process group (each process extracts its share of the features:
    metrics/sharding.py) and let rank 0 alone print; without torchrun, the command as it is."""
    @functools.wraps(command)
    def run(args) -> int:
        args.device = join_from_environment(args.device)
        rank, _ = place()
        if rank == 0:
            return command(args)
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
            return command(args)
    return run


def _report(args, results: list[dict]) -> int:
    """One JSON object per line (--json), or one line per metric: its value, then the other fields."""
    for result in results:
        if args.json:
            print(json.dumps(result))
        else:
            name = result["metric"]
            extras = ", ".join(f"{key}={value}" for key, value in result.items() if key not in ("metric", "value", name))
            print(f"{name.upper()}: {result['value']:.6g}  ({extras})")
    return 0


def _extractor(args, backend: str | None = None) -> LazyExtractor:
    """The feature network the options name: --features FILE.pt, else --vgg16 FILE, else --backend."""
    if args.features and args.vgg16:
        raise GankitError("give --features FILE.pt or --vgg16 FILE, not both: one feature network per command")
    if args.features:
        return LazyExtractor("torchscript", args.protocol, args.device, args.features)
    if args.vgg16:
        return LazyExtractor("vgg16", args.protocol, args.device, args.vgg16)
    return LazyExtractor(backend or args.backend, args.protocol, args.device, args.weights)


def _check_sources(args, *sources: str) -> None:
    """Every source of an image metric, checked before the first feature pass."""
    check_counts(args.num, args.batch_size)
    for source in sources:
        check_source(source, num=args.num, images=True)


def _known_count(args, source: str | None) -> int | None:
    """How many images ``source`` will give, found without running a network: --num for a run, a
    folder's image count (at most --num), --num for a dataset; None when unknown, or for an empty
    folder (the feature pass refuses it with its own message)."""
    if source is None:
        return None
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


def _measure(args, requested: list[str], source_a: str, source_b: str | None, extractors=None) -> list[dict]:
    """Every source and option checked, then one feature pass per source (none for cached folders and
    datasets), then each ``requested`` metric from those features. ``extractors()`` gives the network
    (built only once the checks pass)."""
    options = MetricOptions(getattr(args, "subsets", 100), getattr(args, "subset_size", 1000),
                            getattr(args, "splits", 10), args.seed)
    check_requested(requested, source_b is not None)
    options.check(requested)
    sources = (source_a,) if source_b is None else (source_a, source_b)
    _check_sources(args, *sources)
    check_counts_for(requested, (source_a, _known_count(args, source_a)), (source_b, _known_count(args, source_b)),
                     options.is_splits)
    network = extractors() if extractors is not None else _extractor(args)
    features = for_each_source(sources, lambda source: source_features(source, network(), **_source_options(args)))
    return measure(requested, features[0], features[1] if source_b is not None else None, network(), options)


@torchrun_aware
def run_metrics(args) -> int:
    requested = [metric for metric in METRICS if getattr(args, f"metric_{metric}")]
    check_requested(requested, args.source_b is not None)
    if requested == ["fid"]:                   # statistics suffice: .npz sources, cached dataset statistics
        return run_fid(args)
    extractors = (lambda: _inception_score_extractors(args)) if "is" in requested else None
    return _report(args, _measure(args, requested, args.source_a, args.source_b, extractors))


@torchrun_aware
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
    extractor = _extractor(args)
    result = fid(args.source_a, args.source_b, backend=extractor.backend, protocol=args.protocol,
                 device=args.device, weights=extractor.weights, save_stats_a=args.save_stats, **options)
    if args.save_stats and not args.json:
        print(f"wrote {args.save_stats} (n={result['n_a']}, {result['protocol']})", file=sys.stderr)
    return _report(args, [result])


def _inception_score_extractors(args) -> LazyExtractor:
    """The backend for the Inception Score: ``auto`` is the Inception when its weights carry the classifier,
    else the MNIST classifier (with a warning naming the weight file that lacks it)."""
    if args.backend != "auto" or args.features or args.vgg16:
        extractors = _extractor(args)
    else:
        extractors = _extractor(args, "inception")
        if not extractors().has_logits:
            loaded = extractors().weights_path
            print(f"gankit: warning: the Inception weights loaded from {loaded} have no 1008-class classifier; "
                  f"using the MNIST classifier -- for the paper protocol, {classifier_remedy(loaded, args.weights)}",
                  file=sys.stderr)
            extractors = _extractor(args, "mnist-classifier")
    if not extractors().has_logits and extractors.backend in ("inception", "mnist-classifier"):
        raise GankitError(missing_classifier_message(extractors().weights_path, args.weights,
                                                     "use --backend mnist-classifier"))
    return extractors


@torchrun_aware
def run_is(args) -> int:
    return _report(args, _measure(args, ["is"], args.source_a, None, lambda: _inception_score_extractors(args)))


@torchrun_aware
def run_kid(args) -> int:
    return _report(args, _measure(args, ["kid"], args.source_a, args.source_b))


@torchrun_aware
def run_pr(args) -> int:
    """`gankit pr REAL FAKE`: the reference first (n_a is REAL's count here)."""
    result, = _measure(args, ["pr"], args.source_b, args.source_a)
    result["n_a"], result["n_b"] = result["n_real"], result["n_fake"]
    return _report(args, [result])
