"""Layout consistency of a label-map model (capability ``"label-map"``, e.g. spade): does the generated image
follow its input map?

Protocol (``layout-consistency``): the first ``--num`` label maps of the run's **test** split are turned
into images (each map is the model's latent, ``gan.map_latent``; sampled through the caller's injected
``ctx.sample``), the images are rounded to 8-bit pixels, a label map is **recovered** from each, and the
recovered maps are compared with the input maps over all pixels of all images:

- pixel accuracy = share of pixels whose recovered class is the input class;
- mIoU = mean over classes of TP / (TP + FP + FN), counts summed over the whole set (dataset-level IoU,
  as Cityscapes' benchmark), over the classes present in the input or recovered maps;

plus FID (TF-Inception pool3) of the generated images against the same test maps' real images.

Recovery rule for ``shapes-seg``: each pixel takes the class whose rendering base colour
(``gankit.data.shapes_seg.CLASS_COLOURS``) is nearest in RGB. The same rule applied to the real test
images gives the **ceiling** (``ceiling_miou``, ``ceiling_pixel_accuracy``): ≈ 0.997 mIoU at 64 px — textures,
jitter, lighting and noise cost little. For ``paired-folder`` data a map would have to be recovered by a
segmentation network of the user's; that is out of scope, and the metric refuses such runs in one line.
"""
from __future__ import annotations

import torch

from ..data.images import images_to_float
from ..data.shapes_seg import CLASS_COLOURS
from ..errors import GankitError
from ..imaging import to_uint8
from ..registry import register_metric
from .context import EvalContext
from .fid import fid_from_stats
from .registered import cached_extractor
from .sources import dataset_stats, tensor_features

RECOVERY = "nearest shapes-seg class base colour per pixel (RGB)"


def recover_shapes_seg(images: torch.Tensor) -> torch.Tensor:
    """Label maps (N, H, W) int64 recovered from shapes-seg images, uint8 (N, 3, H, W): per pixel, the class
    of the nearest base colour (squared RGB distance)."""
    if images.dtype != torch.uint8 or images.dim() != 4 or images.shape[1] != 3:
        raise GankitError(f"the shapes-seg recovery rule reads uint8 RGB images (N, 3, H, W), got {tuple(images.shape)} "
                          f"of {images.dtype}")
    colours = torch.as_tensor(CLASS_COLOURS, dtype=torch.float32)
    pixels = images.permute(0, 2, 3, 1).float()
    return torch.cdist(pixels.reshape(-1, 3), colours).argmin(dim=1).view(pixels.shape[:-1])


def segmentation_scores(recovered: torch.Tensor, target: torch.Tensor, num_classes: int) -> dict:
    """Pixel accuracy, mIoU and per-class IoU (None: class in neither map) of ``recovered`` against ``target``
    (integer maps of one shape), from the confusion counts summed over all pixels."""
    recovered, target = recovered.long().flatten(), target.long().flatten()
    confusion = torch.bincount(target * num_classes + recovered, minlength=num_classes ** 2).view(num_classes, -1)
    true_positive = confusion.diag().double()
    union = confusion.sum(0).double() + confusion.sum(1).double() - true_positive
    present = union > 0
    per_class = [float(tp / u) if u > 0 else None for tp, u in zip(true_positive, union)]
    return {"miou": float((true_positive[present] / union[present]).mean()),
            "pixel_accuracy": float(true_positive.sum() / confusion.sum()), "per_class_iou": per_class}


def check_layout_run(ctx: EvalContext) -> None:
    gan = ctx.gan
    if gan is None or "label-map" not in gan.capabilities:
        raise GankitError("layout-consistency measures models that turn label maps into images (spade); this run's "
                          "model generates from noise")
    if ctx.data_name.split(":")[0] != "shapes-seg":
        raise GankitError(f"layout-consistency recovers maps with shapes-seg's colour rule; for '{ctx.data_name}' it "
                          "would need a segmenter of your own, which is out of scope (train on --data shapes-seg)")
    if ctx.num_samples < 2:
        raise GankitError(f"layout-consistency needs --num of at least 2 (FID); got {ctx.num_samples}")


@register_metric("layout-consistency", help="label-map models on shapes-seg: mIoU and pixel accuracy between the "
                 "test maps and the maps recovered (nearest class colour) from the images generated for them, "
                 "the same rule on the real images (ceiling), and FID vs those test images; TF-Inception")
def layout_consistency_metric(ctx: EvalContext) -> dict:
    check_layout_run(ctx)
    test = ctx.load_data("test")
    num = min(ctx.num_samples, len(test))
    batch = test.head(num)
    maps, real_images = batch["segmap"], batch["image"]
    latent = ctx.gan.map_latent(maps, torch.Generator().manual_seed(ctx.seed))
    with torch.no_grad():
        fake = ctx.sample(num, None, latent=latent).cpu()
    fake_pixels = torch.from_numpy(to_uint8(fake)).permute(0, 3, 1, 2)
    classes = ctx.gan.segmap_classes
    generated = segmentation_scores(recover_shapes_seg(fake_pixels), maps, classes)
    ceiling = segmentation_scores(recover_shapes_seg(real_images), maps, classes)
    extractor = cached_extractor("inception", str(torch.device(ctx.device)))
    fake_stats = tensor_features(images_to_float(fake_pixels), extractor, ctx.batch_size, ctx.progress).stats(extractor.name)
    real_stats = dataset_stats(ctx.data_name, "test", extractor, num, ctx.batch_size, ctx.progress, test)
    return {"metric": f"layout_consistency_miou_shapes-seg-colour_n{num}_vs_{ctx.data_name}-test",
            "value": generated["miou"], "protocol": "layout_miou_shapes-seg-colour", "n_fake": num, "n_real": num,
            "pixel_accuracy": generated["pixel_accuracy"], "per_class_iou": generated["per_class_iou"],
            "ceiling_miou": ceiling["miou"], "ceiling_pixel_accuracy": ceiling["pixel_accuracy"],
            "fid": fid_from_stats(fake_stats, real_stats), "fid_protocol": f"fid_{extractor.name}_n{num}_vs_"
                                                                          f"{ctx.data_name}-test",
            "recovery": RECOVERY}
