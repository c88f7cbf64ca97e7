"""`gankit sample RUN_DIR --num 64 --out grid.png [--class K] [--seed S]`; one PNG per sample with
`--out DIR/` (see sample_folder.py); or a grid of another kind (pipelines/): an InfoGAN latent traversal
`--traverse cat|c1|c2 [--rows R]` (rows = samples, columns = code values), a StyleGAN style mixing grid
`--mix [--mix-layers coarse|middle|fine|K|A-B] [--rows R --columns C]` (pipelines/style.py), a latent
interpolation `--interpolate [--rows R --columns STEPS]` (pipelines/interpolation.py: lerp in W for style-based
models, slerp in Z for the others); or a label-map model's images for the label maps in a folder,
`--maps DIR` (pipelines/label_maps.py)."""
from __future__ import annotations

from pathlib import Path

import torch

from ..config import check_seed
from ..errors import GankitError
from ..imaging import render_samples, save_png
from ..pipelines import SamplingPipeline, run_context, traverse
from ..pipelines.interpolation import interpolate
from ..pipelines.style import DEFAULT_LAYERS, style_mixing_grid
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
                        help="truncation ψ in (0, 2]: latents pulled toward their mean, z̄ + ψ(z − z̄); for style-based "
                             "models in W, w̄ + ψ(w − w̄) on the model's cutoff layers; for BigGAN entries beyond ±ψ "
                             "drawn again (1: none)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latents (default: 0)")
    parser.add_argument("--raw", action="store_true", help="sample the trained generator, not its EMA")
    parser.add_argument("--device", default="auto", help="auto (cuda when torch sees a GPU, else cpu), cpu, cuda, cuda:N (default: auto)")
    parser.add_argument("--traverse", metavar="CODE", default=None,
                        help="InfoGAN: vary one latent code (cat, c1, c2) along the columns, the rest fixed per row")
    parser.add_argument("--mix", action="store_true",
                        help="style-based models: a style mixing grid (StyleGAN Fig. 3): top row and left column are "
                             "the sources, each cell takes the --mix-layers styles from its row's latent and the "
                             "other styles from its column's")
    parser.add_argument("--mix-layers", default=None, metavar="LAYERS",
                        help="the styles --mix takes from the rows: coarse (4²–8², default), middle (16²–32²), fine "
                             "(64² and up), K (ws 0..K-1) or A-B (ws A..B)")
    parser.add_argument("--interpolate", action="store_true",
                        help="models with a Gaussian latent: rows of images walking from one latent to another "
                             "(lerp in W for style-based models, slerp in Z for the others)")
    parser.add_argument("--rows", type=int, default=None,
                        help="rows of a --traverse (default 10), --mix (default 5) or --interpolate (default 6) grid")
    parser.add_argument("--columns", type=int, default=None,
                        help="columns of a --mix grid (default 6), steps of an --interpolate row (default 8)")
    parser.add_argument("--maps", metavar="DIR", default=None,
                        help="label-map models (spade): one image per label-map PNG in DIR (class ids, as paired-folder's "
                             "maps; other sizes resized), a grid of coloured map | generated pairs")
    parser.add_argument("--levels", action="store_true",
                        help="pyramid models (lapgan): each level's output side by side, a row per sample (--num, "
                             "default 8), a column per level, upsampled to full size (nearest)")
    parser.set_defaults(func=run)


# grid kind -> (what its grid is, default rows, default columns or None when --columns does not apply)
GRIDS = {"--traverse": ("--rows rows by the code's values", 10, None),
         "--mix": ("--rows row sources by --columns column sources", 5, 6),
         "--interpolate": ("--rows rows of --columns steps", 6, 8)}
CLASS_GRIDS = ("--interpolate",)             # grids that take --class (conditional models: all rows that class)


def grid_kind(args):
    """The one grid flag given (--traverse, --mix, --interpolate), None for a sample grid, or a one-line error
    for several."""
    chosen = [flag for flag, given in (("--traverse", args.traverse is not None), ("--mix", args.mix),
                                        ("--interpolate", args.interpolate)) if given]
    if len(chosen) > 1:
        raise GankitError(f"give one of {' and '.join(chosen)}, not both: each makes its own grid")
    return chosen[0] if chosen else None


def check_grid_flags(args) -> None:
    """--num/--class shape a sample grid, --rows/--columns the other grids; a flag the chosen grid ignores is
    refused."""
    kind = grid_kind(args)
    args.grid = kind
    if args.mix_layers is not None and kind != "--mix":
        raise GankitError("--mix-layers applies only to a --mix grid; add --mix")
    if kind is not None:
        what, rows, columns = GRIDS[kind]
        ignored = [flag for flag, value in (("--num", args.num), ("--class", args.class_id)) if value is not None
                   and not (flag == "--class" and kind in CLASS_GRIDS)]
        if columns is None and args.columns is not None:
            ignored.append("--columns")
        if ignored:
            uses = "--rows" if columns is None else "--rows and --columns"
            raise GankitError(f"{' and '.join(ignored)} {'does' if len(ignored) == 1 else 'do'} not apply to {kind} (its grid is "
                              f"{what}); use {uses}, or drop {kind}")
        args.rows = rows if args.rows is None else args.rows
        args.columns = columns if args.columns is None else args.columns
        for flag, value in (("--rows", args.rows), ("--columns", args.columns)):
            if value is not None and value < 1:
                raise GankitError(f"{flag} must be at least 1, got {value}")
    else:
        for flag, value in (("--rows", args.rows), ("--columns", args.columns)):
            if value is not None:
                raise GankitError(f"{flag} applies only to a --traverse, --mix or --interpolate grid; use --num "
                                  "for a sample grid")
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
    if args.maps is not None:
        return write_from_maps(gan, args, to_folder)
    if args.levels:
        return write_levels(gan, args)
    if args.class_id is not None:
        if not gan.conditional:
            raise GankitError(f"--class needs a class-conditional model; '{gan.build_args['name']}' is unconditional")
        if not 0 <= args.class_id < gan.num_classes:
            raise GankitError(f"--class must be in 0..{gan.num_classes - 1}, got {args.class_id}")
    if args.grid is not None:
        return GRID_WRITERS[args.grid](gan, args)
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


def write_mixing(gan, args):
    rng = torch.Generator().manual_seed(args.seed)
    layers = args.mix_layers or DEFAULT_LAYERS
    images, columns = style_mixing_grid(gan, args.rows, args.columns, layers, truncation=args.truncation, rng=rng,
                                        ema=not args.raw, batch_size=max(args.batch_size, 1))
    save_png(render_samples(images, columns=columns), args.out)
    print(f"wrote a style mixing grid of {gan.build_args['name']} (step {gan.step}) to {args.out}: {args.rows} row "
          f"sources (left) give the {layers} styles, {args.columns} column sources (top) the others")


def write_interpolation(gan, args):
    rng = torch.Generator().manual_seed(args.seed)
    images, steps = interpolate(gan, args.rows, args.columns, truncation=args.truncation, class_id=args.class_id,
                                rng=rng, ema=not args.raw, batch_size=max(args.batch_size, 1))
    space = "lerp in W" if "w-space" in gan.capabilities else "slerp in Z"
    save_png(render_samples(images, columns=steps), args.out)
    print(f"wrote {args.rows} interpolations of {steps} steps ({space}) of {gan.build_args['name']} "
          f"(step {gan.step}) to {args.out}")


GRID_WRITERS = {"--traverse": write_traversal, "--mix": write_mixing, "--interpolate": write_interpolation}

def write_from_maps(gan, args, to_folder: bool):
    from ..pipelines.label_maps import generate_from_maps, maps_grid, read_label_maps
    if to_folder or args.grid is not None:
        raise GankitError(f"--maps writes one grid of map | generated pairs; give --out FILE.png and no {args.grid or 'folder'}")
    maps, files = read_label_maps(args.maps, gan)
    images = generate_from_maps(gan, maps, rng=torch.Generator().manual_seed(args.seed), ema=not args.raw,
                                context=run_context(gan, gan.config, gan.step), batch_size=max(args.batch_size, 1))
    save_png(maps_grid(gan, maps, images), args.out)
    print(f"wrote {len(files)} label maps and their images from {gan.build_args['name']} (step {gan.step}) to {args.out}")


def write_levels(gan, args):
    ignored = [flag for flag, unused in ((args.grid, args.grid is not None), ("--class", args.class_id is not None),
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
