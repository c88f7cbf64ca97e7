"""The style-based GANs: StyleGAN (Karras et al. 2019, arXiv:1812.04948) and StyleGAN2 (Karras et al. 2020,
arXiv:1912.04958), on nets/stylegan.py, nets/style_synthesis.py and nets/style_discriminator.py.

Shared by both (:class:`StyleGAN`): z ~ N(0, I) → mapping → w; the generator keeps the W-space contract
(capability "w-space": mapping, synthesis(ws, noise_mode, noises), num_ws, w_dim, noise_shapes, w_avg);
style-mixing regularization in the training fakes (Karras et al. 2019, Sec. 3.1: with probability 0.9 two
latents are mapped and the layers from a random crossover point on take the second w; one crossover per
batch, as the reference code draws it); w_avg moved toward each G step's batch mean of w by 1 − 0.995;
non-saturating logistic loss with R1 on D. Training fakes use fresh noise ("random", drawn from torch's
global random state, which checkpoints keep); samples (`gankit sample`, grids, metrics) use each layer's fixed
``noise_const`` map, so a latent always gives the same image (the reference's generate.py default).
Truncation in W (w_avg + ψ(w − w_avg) on the first ``truncation_cutoff`` ws) is done by the sampling pipeline.

Channels at r px: min(cbase // r, cmax). The papers use cbase 16384 (v1) / 32768 (v2 config F) with cmax 512
(512 channels up to 32 px); the defaults here, cbase 512 and cmax 32 (32, 32, 32, 16 channels at 4, 8, 16,
32 px), w_dim 128 and 8 mapping layers, make 200 steps at 32 px a few minutes on one CPU thread.
"""
from __future__ import annotations

import torch

from ..errors import GankitError
from ..nets.style_discriminator import StyleDiscriminator
from ..nets.stylegan import AdaINSynthesis, SkipSynthesis, style_generator
from ..objectives.penalties import path_length_penalty
from ..registry import register_model
from ..data.batches import samples_of
from .base import GAN, Phase
from .builders import image_shape


class StyleGAN(GAN):
    """G = StyleGenerator (W-space contract), D scores images; fakes with style mixing, w_avg tracked."""
    capabilities = frozenset({"gaussian-latent", "w-space"})
    # the ws truncation acts on (None: all): Karras et al. 2019, Fig. 8 / App. B, 8 at 1024 px = the 4–32 px
    # layers; layer i is at 4·2^(i // 2) px at every image size, so 8 means those resolutions at any size
    truncation_cutoff = 8

    def __init__(self, generator, discriminator, *, mixing_prob: float = 0.9, **recipe):
        super().__init__(generator, discriminator, **recipe)
        if not 0 <= mixing_prob <= 1:
            raise GankitError(f"mixing_prob is a probability in [0, 1], got {mixing_prob!r}")
        self.mixing_prob = float(mixing_prob)

    def check_latent_optimizer(self) -> None:
        if self.latent_optimizer is not None:
            raise GankitError("--latent-opt is not supported by the style-based models (their latent is mapped to "
                              "per-layer ws); drop --latent-opt or use sngan, biggan or dcgan")

    def mixing_cutoff(self, rng) -> int:
        """The first layer that takes the second w: uniform in [1, num_ws) with probability ``mixing_prob``,
        else num_ws (no mixing). Drawn from the run's generator directly: the same on every process."""
        num_ws = self.generator.num_ws
        mix = float(torch.rand((), generator=rng)) < self.mixing_prob
        cutoff = int(torch.randint(1, num_ws, (), generator=rng))
        return cutoff if mix else num_ws

    def training_ws(self, n: int, labels, rng):
        """(ws (n, num_ws, w_dim) with style mixing, the first latents' w (n, w_dim))."""
        generator = self.generator
        w = generator.mapping(self.sample_latent(n, rng), labels)
        ws = generator.broadcast(w)
        if self.mixing_prob > 0:
            second = generator.broadcast(generator.mapping(self.sample_latent(n, rng), labels))
            cutoff = self.mixing_cutoff(rng)
            first_layers = torch.arange(generator.num_ws, device=ws.device).view(1, -1, 1) < cutoff
            ws = torch.where(first_layers, ws, second)
        return ws, w

    def fake_samples(self, n, labels, rng, context=None):
        """G's images from mixed ws and fresh noise, unclamped (what D and the penalties see)."""
        ws, _ = self.training_ws(n, labels, rng)
        return self.generator.synthesis(ws, noise_mode="random")

    def training_fakes(self, n, labels, rng, context, role):
        """As :meth:`GAN.training_fakes` (no graph for D's loss), tracking w_avg on G's step."""
        with torch.set_grad_enabled(role == "generator" and torch.is_grad_enabled()):
            ws, w = self.training_ws(n, labels, rng)
            if role == "generator":
                self.generator.track_w_avg(w)
            return self.generator.synthesis(ws, noise_mode="random"), None

    def run_generator(self, net, z, labels):
        """Samples: mapping → synthesis with each layer's fixed noise map, clamped to [−1, 1]."""
        return net(z, labels, noise_mode="const").clamp(-1.0, 1.0)


class StyleGAN2(StyleGAN):
    """+ path-length regularization (Karras et al. 2020, Sec. 3.2), lazily on G, its running mean ``pl_mean``
    a buffer (so it is in every checkpoint)."""
    truncation_cutoff = None        # the reference code truncates every layer

    def __init__(self, generator, discriminator, *, pl_weight: float = 2.0, pl_interval: int = 4,
                 pl_decay: float = 0.01, pl_batch_shrink: int = 2, **recipe):
        super().__init__(generator, discriminator, **recipe)
        for name, value in (("pl_interval", pl_interval), ("pl_batch_shrink", pl_batch_shrink)):
            if isinstance(value, bool) or int(value) != value or value < 1:
                raise GankitError(f"{name} must be a whole number ≥ 1, got {value!r}")
        if not (pl_weight >= 0 and 0 <= pl_decay <= 1):
            raise GankitError(f"pl_weight must be ≥ 0 (0: no path-length regularization) and pl_decay in [0, 1]; "
                              f"got {pl_weight!r}, {pl_decay!r}")
        self.pl_weight, self.pl_interval, self.pl_decay = float(pl_weight), int(pl_interval), float(pl_decay)
        self.pl_batch_shrink = int(pl_batch_shrink)
        self.register_buffer("pl_mean", torch.zeros(()))

    def path_length_loss(self, batch, context):
        """Lazy path-length regularization: every ``pl_interval`` G steps, on batch / ``pl_batch_shrink``
        mixed fakes, weight × interval × E(‖J_wᵀ y‖ − a)² (objectives.penalties.path_length_penalty)."""
        n = max(1, samples_of(batch).shape[0] // self.pl_batch_shrink)
        ws, _ = self.training_ws(n, None, context.rng)
        images = self.generator.synthesis(ws, noise_mode="random")
        penalty, mean = path_length_penalty(images, ws, self.pl_mean, self.pl_decay, context.rng)
        self.pl_mean.copy_(mean)
        value = penalty * self.pl_weight * self.pl_interval
        return value, {"reg_pl": value.detach(), "pl_mean": mean}

    def lazy_phases(self, role: str) -> list[Phase]:
        phases = super().lazy_phases(role)
        if role == "generator" and self.pl_weight > 0:
            phases.append(Phase("G-pl", self.generator, "generator", self.path_length_loss, interval=self.pl_interval))
        return phases


def style_recipe(recipe: dict, r1_gamma: float, r1_interval: int, defaults: dict) -> dict:
    """The recipe options with the model's R1 (unless --reg names regularizers) and training defaults."""
    if not recipe.get("regularizers"):
        recipe["regularizers"] = (f"r1:gamma={r1_gamma},lazy_interval={r1_interval}",)
    return dict(recipe, defaults=defaults, default_objective="nonsaturating")


# StyleGAN2 config F (Karras et al. 2020, App. B; stylegan2-ada): Adam 0.0025, β = (0, 0.99), ε = 1e-8; EMA
# half-life 10 kimg with ramp-up 0.05 (ada's small configs; config F uses 10 kimg too)
STYLEGAN2_HPARAMS = dict(lr_g=0.0025, lr_d=0.0025, betas=(0.0, 0.99), eps=1e-8, ema_kimg=10.0, ema_rampup=0.05)
# StyleGAN (Karras et al. 2019, App. C; the reference's defaults below 128 px): Adam 0.001, β = (0, 0.99);
# G average with a half-life of 10 kimg (``G_smoothing_kimg``). The ramp-up 0.05 is gankit's addition (the v1
# reference has none): over its 25M images it changes nothing after the first 200k, but without it a short
# CPU run's average would still be mostly the initial weights (β^200 = 0.41 at batch 64)
STYLEGAN_HPARAMS = dict(lr_g=0.001, lr_d=0.001, betas=(0.0, 0.99), eps=1e-8, ema_kimg=10.0, ema_rampup=0.05)
TINY = dict(cbase=128, cmax=8, z_dim=8, w_dim=8, mapping_layers=2)


@register_model("stylegan2", data="fashion-mnist", paper_shape=(3, 32, 32), test_shape=(1, 8, 8),
                tiny=dict(TINY, r1_interval=2, pl_interval=3),
                help="StyleGAN2 (Karras et al. 2020) config F scaled to the image size (power of two): modulated/"
                     "demodulated convs, skip G, residual D, lazy R1 γ=10 /16 + path length /4, style mixing, "
                     "EMA in images; CPU widths cbase 512, cmax 32 (32/32/32/16 ch at 4-32 px), w 128 "
                     "(paper: cbase 32768, cmax 512, w 512)")
def stylegan2(sample_shape=(3, 32, 32), num_classes=0, cbase=512, cmax=32, z_dim=None, w_dim=128,
              mapping_layers=8, r1_gamma=10.0, r1_interval=16, pl_weight=2.0, pl_interval=4, pl_decay=0.01,
              pl_batch_shrink=2, mixing_prob=0.9, group_size=4, **recipe):
    """Karras et al. 2020 config F: mapping 8 × w_dim (lr multiplier 0.01), skip generator, residual
    discriminator with minibatch stddev (group 4, 1 feature), non-saturating loss, lazy R1 every 16 steps
    (γ = 10, config F's; stylegan2-ada's heuristic 0.0002·res²/batch is an alternative, set r1_gamma),
    path-length regularization every 4 G steps (weight 2, decay 0.01, batch / 2), style mixing 0.9.
    Paper widths: cbase=32768, cmax=512, w_dim=512 (z_dim follows w_dim)."""
    channels, size = image_shape(sample_shape, "stylegan2")
    synthesis = SkipSynthesis(size, channels, w_dim, cbase, cmax)
    generator = style_generator(synthesis, z_dim or w_dim, w_dim, mapping_layers)
    discriminator = StyleDiscriminator(size, channels, cbase, cmax, "resnet", group_size)
    return StyleGAN2(generator, discriminator, latent_dim=z_dim or w_dim, sample_shape=sample_shape,
                     mixing_prob=mixing_prob, pl_weight=pl_weight, pl_interval=pl_interval, pl_decay=pl_decay,
                     pl_batch_shrink=pl_batch_shrink, **style_recipe(recipe, r1_gamma, r1_interval, STYLEGAN2_HPARAMS))


@register_model("stylegan", data="fashion-mnist", paper_shape=(3, 32, 32), test_shape=(1, 8, 8), tiny=TINY,
                help="StyleGAN (Karras et al. 2019) at the image size (power of two), no progressive growing: "
                     "mapping 8 layers, constant input, AdaIN, noise, blur, style mixing, truncation in W (first 8 "
                     "ws), R1 γ=10; CPU widths cbase 512, cmax 32 (32/32/32/16 ch at 4-32 px), w 128 (paper: "
                     "cbase 16384, cmax 512, w 512)")
def stylegan(sample_shape=(3, 32, 32), num_classes=0, cbase=512, cmax=32, z_dim=None, w_dim=128,
             mapping_layers=8, r1_gamma=10.0, mixing_prob=0.9, group_size=4, **recipe):
    """Karras et al. 2019: mapping 8 × w_dim (lr multiplier 0.01), learned 4×4 constant, per layer noise
    (per-channel strength), leaky ReLU and AdaIN, blur [1, 2, 1] after each upsampling, one toRGB at the
    image size: trained at the full size from the start (no progressive growing). D: StyleGAN v1's, plain
    (see nets/style_discriminator.py). Non-saturating loss, R1 γ = 10 every step, style mixing 0.9.
    Paper widths: cbase=16384, cmax=512, w_dim=512."""
    channels, size = image_shape(sample_shape, "stylegan")
    synthesis = AdaINSynthesis(size, channels, w_dim, cbase, cmax)
    generator = style_generator(synthesis, z_dim or w_dim, w_dim, mapping_layers)
    discriminator = StyleDiscriminator(size, channels, cbase, cmax, "plain", group_size)
    return StyleGAN(generator, discriminator, latent_dim=z_dim or w_dim, sample_shape=sample_shape,
                    mixing_prob=mixing_prob, **style_recipe(recipe, r1_gamma, 1, STYLEGAN_HPARAMS))
