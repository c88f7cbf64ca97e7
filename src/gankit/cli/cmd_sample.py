"""`gankit sample RUN_DIR --num 64 --out grid.png [--class K] [--seed S]`; one PNG per sample with
`--out DIR/` (see sample_folder.py); or an InfoGAN latent traversal
`gankit sample RUN_DIR --traverse cat|c1|c2 [--rows R] --out t.png` (rows = samples, columns = code values)."""
from __future__ import annotations

from pathlib import Path

import torch

from ..config import check_seed
from ..errors import GankitError
from ..imaging import render_samples, save_png
from ..pipelines import SamplingPipeline, run_context, traverse
from ..pipelines.pyramid import level_grid, sample_levels
from ..runtime import check_output_file
from .sample_folder import check_folder_flags, is_folder, write_folder


def register(subparsers):
    parser = subparsers.add_parser("sample", help="write a PNG grid of samples, or one PNG per sample, from a run")
    parser.add_argument("run", help="run folder or checkpoint file")
    parser.add_argument("--num", type=int, default=None, help="samples in the grid or folder (default 64)")
    parser.add_argument("--out", default="samples.png",
                        help="PNG file for a grid, or a folder (ending in / or existing) for one PNG per sample: "
                             "000000.png ..., 000000_c3.png for class 3 (default: samples.png)")
    parser.add_argument("--batch-size", type=int, default=100, help="samples generated at once (default: 100)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--class", dest="class_id", type=int, default=None, help="class to generate (conditional models)")
    parser.add_argument("--truncation", type=float, default=1.0, metavar="PSI",
                        help="truncation ψ in (0, 2]: latents pulled toward their mean, z̄ + ψ(z − z̄), or for BigGAN "
                             "entries beyond ±ψ drawn again (1: none)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latents (default: 0)")
    parser.add_argument("--raw", action="store_true", help="sample the trained generator, not its EMA")
    parser.add_argument("--device", default="auto", help="auto (cuda when torch sees a GPU, else cpu), cpu, cuda, cuda:N (default: auto)")
    parser.add_argument("--traverse", metavar="CODE", default=None,
                        help="InfoGAN: vary one latent code (cat, c1, c2) along the columns, the rest fixed per row")
    parser.add_argument("--rows", type=int, default=None, help="rows of a --traverse grid (default 10)")
    parser.add_argument("--levels", action="store_true",
                        help="pyramid models (lapgan): each level's output side by side, a row per sample (--num, "
                             "default 8), a column per level, upsampled to full size (nearest)")
    parser.set_defaults(func=run)


def check_grid_flags(args) -> None:
    """--num/--class shape a sample grid and --rows a traversal; a flag the chosen grid ignores is refused."""
    if args.traverse is not None:
        ignored = [flag for flag, value in (("--num", args.num), ("--class", args.class_id)) if value is not None]
        if ignored:
            raise GankitError(f"{' and '.join(ignored)} {'does' if len(ignored) == 1 else 'do'} not apply to --traverse (its grid is --rows rows by the "
                              "code's values); use --rows, or drop --traverse")
        args.rows = 10 if args.rows is None else args.rows
        if args.rows < 1:
            raise GankitError(f"--rows must be at least 1, got {args.rows}")
    else:
        if args.rows is not None:
            raise GankitError("--rows applies only to a --traverse grid; use --num for a sample grid")
        args.num = 64 if args.num is None else args.num
        if args.num < 1:
            raise GankitError(f"--num must be at least 1, got {args.num}")


def run(args):
    import gankit
    if args.levels and args.num is None and args.traverse is None:
        args.num = 8
    check_grid_flags(args)
    check_seed(args.seed, "--seed")
    to_folder = is_folder(args.out)
    if to_folder:
        check_folder_flags(args)
    else:
        check_output_file(args.out, "--out")
    if not to_folder and Path(args.out).suffix.lower() != ".png":
        raise GankitError(f"--out {args.out}: gankit sample writes PNG; name the file FILE.png")
    run_path = Path(args.run)
    gan = gankit.load(run_path if run_path.is_dir() else run_path.parent.parent,
                      checkpoint=None if run_path.is_dir() else run_path, device=args.device)
    if args.levels:
        return write_levels(gan, args)
    if args.traverse is not None:
        return write_traversal(gan, args)
    if args.class_id is not None:
        if not gan.conditional:
            raise GankitError(f"--class needs a class-conditional model; '{gan.build_args['name']}' is unconditional")
        if not 0 <= args.class_id < gan.num_classes:
            raise GankitError(f"--class must be in 0..{gan.num_classes - 1}, got {args.class_id}")
    rng = torch.Generator().manual_seed(args.seed)
    pipeline = SamplingPipeline(gan, ema=not args.raw, context=run_context(gan, gan.config, gan.step))
    if to_folder:
        return write_folder(pipeline, args)
    samples = pipeline(args.num, class_id=args.class_id, truncation=args.truncation, rng=rng,
                       batch_size=max(args.batch_size, 1))
    save_png(render_samples(samples), args.out)
    print(f"wrote {args.num} samples of {gan.build_args['name']} (step {gan.step}) to {args.out}")


def write_traversal(gan, args):
    rng = torch.Generator().manual_seed(args.seed)
    images, columns = traverse(gan, args.traverse, rows=args.rows, rng=rng, ema=not args.raw)
    save_png(render_samples(images, columns=columns), args.out)
    print(f"wrote a {args.rows}x{columns} traversal of code {args.traverse} of {gan.build_args['name']} "
          f"(step {gan.step}) to {args.out}")


def write_levels(gan, args):
    ignored = [flag for flag, unused in (("--traverse", args.traverse is not None), ("--class", args.class_id is not None),
                                         ("--truncation", args.truncation != 1.0), ("a folder --out", is_folder(args.out)))
               if unused]
    if ignored:
        raise GankitError(f"{', '.join(ignored)} cannot be combined with --levels (one PNG grid of every level); drop it")
    levels = sample_levels(gan, args.num, rng=torch.Generator().manual_seed(args.seed), ema=not args.raw,
                           batch_size=max(args.batch_size, 1))
    images, columns = level_grid(levels)
    save_png(render_samples(images, columns=columns), args.out)
    print(f"wrote {args.num} samples x {columns} levels ({', '.join(str(level.shape[-1]) for level in levels)} px) of "
          f"{gan.build_args['name']} (step {gan.step}) to {args.out}")
