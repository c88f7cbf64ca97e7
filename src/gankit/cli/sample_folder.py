"""`gankit sample RUN --num 50000 --out DIR/`: one PNG per sample, for other tools and the 50k-sample metric
protocols. Sample i is the i-th of the grid with the same --seed (the latents are drawn for all samples at
once, in the pipeline's fixed blocks, so the batch size changes nothing). Files are 8-bit PNGs of
``imaging.to_uint8`` (grayscale as mode L, which gankit's FID reads as RGB like every other tool), named
``000000.png`` or, for a conditional model, ``000000_c3.png`` (class 3), in the order a folder is read."""
from __future__ import annotations

import os
from pathlib import Path

import torch
from PIL import Image

from ..errors import GankitError
from ..imaging import save_png, to_uint8
from ..runtime import check_output_dir


def is_folder(out: str) -> bool:
    """--out names a folder: it ends with a path separator or is an existing folder."""
    return str(out).endswith(("/", os.sep)) or Path(out).is_dir()


def check_folder_flags(args) -> None:
    if args.grid is not None:
        raise GankitError(f"{args.grid} writes one grid; give --out FILE.png, not the folder {args.out}")
    if args.batch_size < 1:
        raise GankitError(f"--batch-size must be at least 1, got {args.batch_size}")
    folder = check_output_dir(args.out, "--out folder")
    earlier = sum(1 for _ in folder.glob("*.png")) if folder.is_dir() else 0
    if earlier:
        raise GankitError(f"--out {folder} already holds {earlier} PNG file(s), which would mix with these "
                          "samples; give an empty or new folder")


def sample_labels(gan, num: int, class_id: int | None):
    """The class of each sample: --class for all, else classes in turn (as a grid has them), None if unconditional."""
    if not gan.conditional:
        return None
    return torch.full((num,), class_id, dtype=torch.long) if class_id is not None else torch.arange(num) % gan.num_classes


def write_folder(pipeline, args) -> None:
    from tqdm.auto import tqdm
    gan, folder = pipeline.gan, Path(args.out)
    if len(gan.sample_shape) != 3 or gan.sample_shape[0] not in (1, 3):
        raise GankitError(f"--out {args.out} writes one image per sample, but '{gan.build_args['name']}' generates "
                          f"samples of shape {tuple(gan.sample_shape)}; give --out FILE.png for a plot")
    latents = pipeline.latents(args.num, torch.Generator().manual_seed(args.seed))
    labels = sample_labels(gan, args.num, args.class_id)
    digits = max(6, len(str(args.num - 1)))
    with tqdm(total=args.num, unit="img", desc="sample", disable=args.quiet, dynamic_ncols=True) as bar:
        for start in range(0, args.num, args.batch_size):
            stop = min(args.num, start + args.batch_size)
            batch_labels = labels[start:stop] if labels is not None else None
            images = to_uint8(pipeline(stop - start, batch_labels, latent=latents[start:stop], truncation=args.truncation))
            for index, pixels in enumerate(images, start):
                name = f"{index:0{digits}d}" + (f"_c{int(labels[index])}" if labels is not None else "")
                save_png(Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels), folder / f"{name}.png")
            bar.update(stop - start)
    print(f"wrote {args.num} samples of {gan.build_args['name']} (step {gan.step}) to {folder}/ "
          f"({args.num} PNG files)")
