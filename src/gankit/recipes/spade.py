"""Label-map GANs: G(label map [, z]) → image, D(one-hot map ⊕ image) (nets/spade.py), and ``spade``.

**The latent of a label-map model is its label map.** The GAN declares the capability ``"label-map"``;
its latent (what the sampling pipeline draws in fixed blocks, and what ``latent=`` passes) is one row per
sample: the S·S class ids of the map, row-major, as floats, then ``noise_dim`` N(0, 1) entries when the
generator takes noise. So the trainer, the sample grids, `gankit eval` and checkpoints need nothing
special: ``sample_latent(n, rng)`` draws n maps (uniformly, with ``rng``) from ``map_bank``, the first
``MAP_BANK`` label maps of the training data kept in a buffer by :meth:`attach_data` (the trainer calls
it before the first sample) and saved with the weights — so a bare ``SamplingPipeline(gan)(n)`` draws maps
from the run's own dataset. Before any data is attached it raises one line naming ``--maps``; maps of
one's own go through ``gankit.pipelines.label_maps.generate_from_maps`` (`gankit sample RUN --maps DIR`),
which checks them and builds the latent with :meth:`LabelMapGAN.map_latent`.

Training (Park et al. 2019, Sec. 4 and the official code's defaults): the maps of each real batch
(``batch["segmap"]``) drive the generator, and D judges (map, real image) against (map, G(map)). Losses:
the objective (hinge by default, Lim & Ye 2017) on every scale's patch logits, averaged over the scales;
for G also discriminator feature matching, λ · Σ_scales Σ_layers mean|D_l(real) − D_l(fake)| / scales
(Wang et al. 2018, pix2pixHD Eq. 4; λ = 10 as SPADE's ``lambda_feat``). TTUR: Adam lr_G 1e-4, lr_D 4e-4,
β = (0, 0.9) (Sec. 4). The perceptual VGG-19 term (λ = 10) is **off: no VGG weights offline**, and
gankit has no VGG trunk among its nets; the encoder/KL term of the multimodal model is not implemented.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .. import draws
from ..data.batches import samples_of
from ..data.shapes_seg import NUM_CLASSES as SHAPES_SEG_CLASSES
from ..errors import GankitError
from ..objectives.compat import objectives_for
from ..nets.spade import MultiscaleDiscriminator, SPADEGenerator, one_hot_maps
from ..registry import OBJECTIVES, register_model
from .base import GAN, model_name
from .builders import image_shape

MAP_BANK = 256                    # training label maps kept for sampling without given maps
SPADE_HPARAMS = dict(lr_g=1e-4, lr_d=4e-4, betas=(0.0, 0.9), n_critic=1)
NEEDS_MAPS = "a label-map model trains on data with maps (--data shapes-seg or paired-folder:IMAGES,MAPS)"
NO_MAPS = ("it has no label maps to draw from (none attached from training data); give maps: "
           "`gankit sample RUN --maps DIR`, or gankit.pipelines.label_maps.generate_from_maps")


class LabelMapGAN(GAN):
    """G(one-hot map, z) and D(one-hot map ⊕ image) → per-scale features, logits last; see the module doc."""
    capabilities = frozenset({"label-map"})

    def __init__(self, generator, discriminator, *, segmap_classes: int, sample_shape, noise_dim: int = 0,
                 feature_matching: float = 10.0, **recipe):
        size = sample_shape[-1]
        super().__init__(generator, discriminator, latent_dim=size * size + noise_dim, sample_shape=sample_shape,
                         **recipe)
        self.segmap_classes, self.map_size, self.noise_dim = segmap_classes, size, noise_dim
        self.feature_matching = float(feature_matching)
        self.register_buffer("map_bank", torch.zeros(MAP_BANK, size, size, dtype=torch.uint8))
        self.register_buffer("map_bank_count", torch.zeros((), dtype=torch.long))

    def check_compatible(self) -> None:
        super().check_compatible()
        if self.objective.penalty is not None:
            usable = [name for name in objectives_for("logits") if OBJECTIVES.build(name).penalty is None]
            raise GankitError(f"objective '{self.objective.name}' adds a gradient penalty on D(x), but this model's "
                              f"discriminator also reads the label map; objectives for this discriminator: "
                              f"{', '.join(usable)}")
        for regularizer in self.regularizers:
            if regularizer.applies("discriminator"):
                raise GankitError(f"regularizer '{regularizer.name}' acts on D(x), but this model's discriminator "
                                  "also reads the label map; drop it")

    # ----------------------------------------------------------------------------- maps and latents
    def condition(self, batch: dict) -> torch.Tensor:
        """The batch's label maps (N, S, S): what D reads beside the images."""
        if "segmap" not in batch:
            raise GankitError(f"this batch has no label maps; {NEEDS_MAPS}")
        return batch["segmap"]

    def attach_data(self, data) -> None:
        """Keep the first ``MAP_BANK`` label maps of the training data (at the model's size) for sampling."""
        if "segmap" not in data.keys:
            raise GankitError(f"dataset '{data.name}' has no label maps; {NEEDS_MAPS}")
        maps = data.fetch(torch.arange(min(MAP_BANK, len(data))))["segmap"]
        if maps.shape[-1] != self.map_size:
            maps = F.interpolate(maps[:, None].float(), size=(self.map_size, self.map_size), mode="nearest")[:, 0]
        self.map_bank[:len(maps)] = maps.to(self.map_bank)
        self.map_bank_count.fill_(len(maps))

    def map_latent(self, maps: torch.Tensor, rng=None) -> torch.Tensor:
        """Latents for label maps (N, S, S) of class ids (checked by the caller): the ids as floats, then
        ``noise_dim`` N(0, 1) entries drawn with ``rng``."""
        rows = maps.reshape(maps.shape[0], -1).float().to(self.device())
        if not self.noise_dim:
            return rows
        return torch.cat([rows, draws.randn((maps.shape[0], self.noise_dim), rng, self.device())], dim=1)

    def sample_latent(self, n: int, rng=None) -> torch.Tensor:
        count = int(self.map_bank_count)
        if count == 0:
            raise GankitError(f"cannot sample '{model_name(self)}' without label maps: {NO_MAPS}")
        return self.map_latent(self.map_bank[draws.randint(count, (n,), rng, self.device())], rng)

    def split_latent(self, latent: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(one-hot maps, noise or None) of latents; ids are rounded and clamped to the model's classes."""
        pixels = self.map_size ** 2
        ids = latent[:, :pixels].round().clamp(0, self.segmap_classes - 1).long()
        maps = ids.view(-1, self.map_size, self.map_size)
        return one_hot_maps(maps, self.segmap_classes), (latent[:, pixels:] if self.noise_dim else None)

    def run_generator(self, net, z, labels):
        return net(*self.split_latent(z))

    def fake_samples(self, n, labels, rng, context=None):
        return self.run_generator(self.generator, self.sample_latent(n, rng), labels)

    # ----------------------------------------------------------------------------- losses
    def discriminate(self, samples, maps):
        """D's features per scale for images with their label maps (N, S, S)."""
        if maps is None:
            raise GankitError("this discriminator judges an image with its label map; pass the maps")
        return self.discriminator(torch.cat([one_hot_maps(maps, self.segmap_classes), samples], dim=1))

    def fakes_for(self, maps: torch.Tensor, rng) -> torch.Tensor:
        """G's images for the batch's maps, with fresh noise when the generator takes it."""
        return self.run_generator(self.generator, self.map_latent(maps, rng), None)

    @staticmethod
    def over_scales(loss, *outputs) -> torch.Tensor:
        """``loss`` on each scale's patch logits (the last feature of every output), averaged over the scales."""
        return sum(loss(*(output[-1] for output in scale)) for scale in zip(*outputs)) / len(outputs[0])

    def discriminator_loss(self, batch, context):
        real, maps = samples_of(batch), self.condition(batch)
        with torch.no_grad():
            fake = self.fakes_for(maps, context.rng)
        real_outputs, fake_outputs = self.discriminate(real, maps), self.discriminate(fake, maps)
        loss = self.over_scales(self.objective.discriminator_loss, real_outputs, fake_outputs)
        return loss, {"loss_d": loss.detach(), "real_score": self.over_scales(torch.mean, real_outputs).detach(),
                      "fake_score": self.over_scales(torch.mean, fake_outputs).detach()}

    def generator_loss(self, batch, context):
        real, maps = samples_of(batch), self.condition(batch)
        fake = self.fakes_for(maps, context.rng)
        fake_outputs = self.discriminate(fake, maps)
        adversarial = self.over_scales(self.objective.generator_loss, fake_outputs)
        with torch.no_grad():
            real_outputs = self.discriminate(real, maps)
        matching = self.feature_matching_loss(fake_outputs, real_outputs)
        logs = {"loss_g": adversarial.detach(), "feature_matching": matching.detach()}
        loss = adversarial + self.feature_matching * matching
        return loss + self.regularization("generator", real, fake, context.rng, logs), logs

    @staticmethod
    def feature_matching_loss(fake_outputs, real_outputs) -> torch.Tensor:
        """pix2pixHD Eq. 4 (Wang et al. 2018): Σ over D's layers (logits excluded) of the mean L1 distance
        between the features of fake and real, averaged over the scales (unweighted: ×λ by the caller)."""
        total = sum(F.l1_loss(fake, real.detach()) for fakes, reals in zip(fake_outputs, real_outputs)
                    for fake, real in zip(fakes[:-1], reals[:-1]))
        return total / len(fake_outputs)


@register_model("spade", data="shapes-seg", tiny=dict(width=1, hidden=4, d_width=4), test_shape=(3, 32, 32),
                paper_shape=(3, 256, 256),
                help="SPADE (Park et al. 2019): label map → image with spatially-adaptive norm, the w/o-encoder G "
                     "(map input), 2-scale PatchGAN D with feature matching λ=10, hinge, TTUR 1e-4/4e-4 β=(0,0.9); "
                     "CPU widths 4/16/8 (paper 64/128/64); perceptual loss off: no VGG weights offline")
def spade(sample_shape=(3, 64, 64), num_classes=0, segmap_classes=SHAPES_SEG_CLASSES, width=4, hidden=16, d_width=8,
          d_layers=4, scales=2, noise_dim=0, norm="batch", feature_matching=10.0, **recipe):
    """Park et al. 2019 (arXiv:1903.07291), see this module's and nets/spade.py's docstrings. ``width`` is the
    generator's nf (64 in the paper; its channels are 16·width at S/32 … width at S), ``hidden`` the SPADE
    shared conv's channels (128 in the paper), ``d_width`` the PatchGAN's first channels (64 in the paper).
    The defaults 4/16/8 are for CPU runs (a 64-px step at batch 64: 1.3 s of one idle core); pass
    width=64, hidden=128, d_width=64 for the paper's nets. ``segmap_classes``: the label maps' classes
    (the trainer passes the data's; default shapes-seg's 6); ``noise_dim`` > 0: noise input instead of the downsampled map."""
    channels, size = image_shape(sample_shape, "spade")
    if not isinstance(segmap_classes, int) or segmap_classes < 1:
        raise GankitError(f"spade needs label maps with at least one class (segmap_classes={segmap_classes!r}); "
                          f"{NEEDS_MAPS}")
    generator = SPADEGenerator(size, segmap_classes, channels, width, hidden, noise_dim, norm)
    discriminator = MultiscaleDiscriminator(segmap_classes + channels, d_width, d_layers, scales)
    return LabelMapGAN(generator, discriminator, segmap_classes=segmap_classes, sample_shape=sample_shape,
                       noise_dim=noise_dim, feature_matching=feature_matching, defaults=SPADE_HPARAMS,
                       default_objective="hinge", **recipe)
