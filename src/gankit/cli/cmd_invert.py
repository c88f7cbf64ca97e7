"""`gankit invert RUN IMAGE.png --steps 300 --out recon.png [--json]`: Image2StyleGAN / Image2StyleGAN++ inversion
(gankit.pipelines.inversion): the reconstruction PNG, the latent (.pt, weights_only) and PSNR/MSE/perceptual scores;
`--mask M.png` (inpainting) and `--crossover B.png --mask M.png`."""
from __future__ import annotations

import json
from pathlib import Path

from ..config import check_seed
from ..errors import GankitError
from ..pipelines import invert, run_context
from ..pipelines.inversion import INITS, SPACES
from ..pipelines.inversion_files import read_image, read_mask, save_latent, write_image
from ..runtime import check_output_file


def register(subparsers):
    parser = subparsers.add_parser(
        "invert", help="find the latent that reconstructs an image (W+, W or Z; masks, crossover, noise maps)",
        description="Optimise a latent of a trained run's generator so that it reconstructs IMAGE (Image2StyleGAN: "
                    "Adam, pixel MSE + perceptual loss). An image of another size or channel count is resized "
                    "(centre-cropped) or converted, with a warning. Writes the reconstruction (--out), the latent "
                    "(--latent, a .pt loadable with torch.load(weights_only=True)) and prints the scores.")
    parser.add_argument("run", help="run folder or checkpoint file")
    parser.add_argument("image", help="the image to reconstruct (PNG, JPEG, ...)")
    parser.add_argument("--out", default="recon.png", help="PNG of the reconstruction (default: recon.png)")
    parser.add_argument("--latent", default=None, help="where the latent goes (default: --out with .pt)")
    parser.add_argument("--space", default="auto", choices=("auto", *SPACES),
                        help="w+: one w per layer (Image2StyleGAN), w: one w for all layers (both need a W-space "
                             "model: stylegan, stylegan2), z: the Gaussian input latent (any model with one); "
                             "auto: w+ where the model has a W space, else z")
    parser.add_argument("--steps", type=int, default=300, help="Adam steps on the latent (default: 300)")
    parser.add_argument("--lr", type=float, default=0.01, help="Adam learning rate (default: 0.01, Image2StyleGAN)")
    parser.add_argument("--mask", default=None,
                        help="binary PNG of the model's size: white (255) = compared, black (0) = filled in by the "
                             "generator (inpainting); never resized")
    parser.add_argument("--crossover", default=None, metavar="B.png",
                        help="second image, compared where --mask is black (IMAGE where it is white); needs --mask")
    parser.add_argument("--noise", action="store_true",
                        help="then optimise the noise maps with the latent fixed (Image2StyleGAN++; W-space models)")
    parser.add_argument("--noise-steps", type=int, default=None, help="steps of the noise stage (default: --steps)")
    parser.add_argument("--vgg16", default=None, metavar="WEIGHTS",
                        help="torchvision's vgg16-397923af.pth for the paper's perceptual loss (also found in "
                             "$GANKIT_VGG16_WEIGHTS or the cache); without it an offline TF-Inception substitute")
    parser.add_argument("--perceptual-weight", type=float, default=1.0,
                        help="λ of the perceptual term (default: 1, the papers'; 0: pixel MSE only)")
    parser.add_argument("--init", default="mean", choices=INITS,
                        help="start at the mean (w_avg in W/W+, z = 0 in Z; default) or at a seeded random draw")
    parser.add_argument("--seed", type=int, default=0, help="seed of --init random and of --noise's first maps")
    parser.add_argument("--raw", action="store_true", help="invert the trained generator, not its EMA")
    parser.add_argument("--device", default="auto", help="auto (cuda when torch sees a GPU, else cpu), cpu, cuda, cuda:N")
    parser.add_argument("--json", action="store_true", help="print the scores and settings as JSON")
    parser.set_defaults(func=run)


def run(args):
    import gankit
    if args.crossover is not None and args.mask is None:
        raise GankitError("--crossover needs --mask: white pixels come from IMAGE, black ones from the crossover image")
    if args.noise_steps is not None and not args.noise:
        raise GankitError("--noise-steps applies only with --noise")
    check_seed(args.seed, "--seed")
    out = check_output_file(args.out, "--out")
    if out.suffix.lower() != ".png":
        raise GankitError(f"--out {args.out}: gankit invert writes PNG; name the file FILE.png")
    latent_path = check_output_file(args.latent or out.with_suffix(".pt"), "--latent")
    run_path = Path(args.run)
    gan = gankit.load(run_path if run_path.is_dir() else run_path.parent.parent,
                      checkpoint=None if run_path.is_dir() else run_path, device=args.device)
    shape = tuple(gan.sample_shape)
    if len(shape) != 3:
        raise GankitError(f"'{gan.build_args['name']}' generates 2-D points, not images: nothing to invert")
    image = read_image(args.image, shape)
    mask = read_mask(args.mask, shape[1:]) if args.mask else None
    crossover = read_image(args.crossover, shape, "crossover image") if args.crossover else None
    result = invert(gan, image, space=args.space, steps=args.steps, lr=args.lr, mask=mask, crossover=crossover,
                    noise=args.noise, noise_steps=args.noise_steps, vgg16=args.vgg16,
                    perceptual_weight=args.perceptual_weight, init=args.init, seed=args.seed, ema=not args.raw,
                    context=run_context(gan, gan.config, gan.step))
    write_image(result.images, out)
    save_latent(result.state(), latent_path)
    summary = {"run": str(args.run), "image": str(args.image), "mask": args.mask, "crossover": args.crossover,
               **result.summary(), "out": str(out), "latent": str(latent_path)}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        psnr = summary["psnr_db"]
        print(f"inverted {args.image} into {summary['space']} of {summary['model']} in {summary['steps']} steps: "
              f"PSNR {psnr if isinstance(psnr, str) else f'{psnr:.2f}'} dB; wrote {out} and {latent_path}")
