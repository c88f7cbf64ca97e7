"""InfoGAN (Chen et al. 2016, arXiv:1606.03657): structured latent codes made recoverable from samples.

Latent = [z noise | one-hot categorical code c_cat (K values, uniform) | continuous codes c_j ~ U(−1, 1)].
A Q head on D's shared body predicts the codes of a fake sample; the variational lower bound of the
mutual information I(c; G(z, c)) (Eq. 4–5) is maximised by G and Q, i.e. both minimise λ·L_I with

    L_I = CE(Q_cat(G(z, c)), c_cat) + λ_cont · Σ_j ½ (μ_j(G(z, c)) − c_j)²

the categorical term with λ = 1 (the paper's value for discrete codes, Sec. 7) and the continuous codes
under a factored Gaussian with fixed unit variance (NLL up to a constant = ½ squared error; Chen et al.
treat continuous codes as a factored Gaussian, Sec. 6). Q joins D's optimiser (its head sits on D's
body); G's phase gets −λL_I as well, as in the paper's Eq. 6 objective min_{G,Q} max_D V − λL_I.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .. import draws
from ..errors import GankitError
from ..nets import DCGANGenerator
from ..nets.blocks import Reshape, dcgan_init
from ..nets.conditional import one_hot
from ..nets.heads import MultiHeadDiscriminator, q_head
from ..registry import register_model
from .multihead import MultiHeadGAN
from .builders import MNIST_SHAPE, image_shape, dcgan_backbone


class InfoGAN(MultiHeadGAN):
    capabilities = frozenset({"latent-codes"})     # N(0, I) noise + categorical + uniform codes
    def __init__(self, *args, noise_dim: int, categories: int, continuous: int, info_weight: float = 1.0,
                 continuous_weight: float = 1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.noise_dim, self.categories, self.continuous = noise_dim, categories, continuous
        self.info_weight, self.continuous_weight = float(info_weight), float(continuous_weight)

    # ------------------------------------------------------------------ latent codes
    def compose_latent(self, noise, categories, continuous) -> torch.Tensor:
        """[noise | onehot(categories) | continuous] as one (N, latent_dim) latent."""
        return torch.cat([noise, one_hot(categories, self.categories, noise), continuous.to(noise)], dim=1)

    def split_latent(self, latent) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(noise, categorical code ids, continuous codes) of latents made by :meth:`compose_latent`."""
        start = self.noise_dim + self.categories
        return latent[:, :self.noise_dim], latent[:, self.noise_dim:start].argmax(1), latent[:, start:]

    def sample_latent(self, n, rng=None, categories=None):
        """z ~ N(0, I), c_cat ~ uniform over K (or the given ids), c_cont ~ U(−1, 1)."""
        device = self.device()
        noise = draws.randn((n, self.noise_dim), rng, device)
        drawn = draws.randint(self.categories, (n,), rng, device)
        continuous = draws.rand((n, self.continuous), rng, device) * 2 - 1
        return self.compose_latent(noise, drawn if categories is None else categories.to(device), continuous)

    def draw_fakes(self, n, rng):
        latent = self.sample_latent(n, rng)
        return self.run_generator(self.generator, latent, None), latent

    # ------------------------------------------------------------------ mutual information term
    def information_loss(self, q_outputs, latent) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(λ·L_I, categorical CE, continuous ½-squared-error) for Q's outputs on G(latent)."""
        _, categories, continuous = self.split_latent(latent)
        categorical_loss = F.cross_entropy(q_outputs[:, :self.categories], categories)
        continuous_mean = q_outputs[:, self.categories:]
        continuous_loss = 0.5 * (continuous_mean - continuous).pow(2).sum(dim=1).mean()
        total = self.info_weight * (categorical_loss + self.continuous_weight * continuous_loss)
        return total, categorical_loss, continuous_loss

    def head_loss(self, role, real_outputs, real_labels, fake_outputs, latent, logs):
        total, categorical_loss, continuous_loss = self.information_loss(fake_outputs["q"], latent)
        suffix = "d" if role == "discriminator" else "g"
        logs.update({f"info_cat_{suffix}": categorical_loss.detach(), f"info_cont_{suffix}": continuous_loss.detach()})
        if role == "discriminator":
            logs["q_cat_accuracy"] = float((fake_outputs["q"][:, :self.categories].argmax(1)
                                            == self.split_latent(latent)[1]).double().mean())
        return total

    # ------------------------------------------------------------------ traversals
    def code_names(self) -> list[str]:
        return ["cat"] + [f"c{j + 1}" for j in range(self.continuous)]

    def traversal_latents(self, code: str, rows: int = 10, steps: int = 10, span: float = 2.0, *,
                          rng=None) -> tuple[torch.Tensor, int]:
        """(latents (rows·columns, D) row-major, columns) for gankit.pipelines.traverse: each row keeps one noise vector and varies
        ``code`` along the columns, the other codes fixed. 'cat': the K categories, continuous codes 0;
        'cJ': c_J from −span to span in ``steps`` values (the paper shows −2..2, Fig. 2), category = row % K."""
        if code not in self.code_names():
            raise GankitError(f"unknown InfoGAN code '{code}'; this model's codes: {', '.join(self.code_names())}")
        if rows < 1 or steps < 2:
            raise GankitError(f"a traversal needs at least 1 row and 2 steps, got rows={rows}, steps={steps}")
        noise = draws.randn((rows, self.noise_dim), rng, self.device())
        columns = self.categories if code == "cat" else steps
        noise = noise.repeat_interleave(columns, dim=0)
        column = torch.arange(rows * columns, device=noise.device) % columns
        row = torch.arange(rows * columns, device=noise.device) // columns
        continuous = noise.new_zeros(rows * columns, self.continuous)
        if code == "cat":
            categories = column
        else:
            categories = row % self.categories
            continuous[:, int(code[1:]) - 1] = torch.linspace(-span, span, steps, device=noise.device)[column]
        latent = self.compose_latent(noise, categories, continuous)
        return latent, columns


def chen_mnist_nets(channels: int, latent_dim: int) -> tuple[nn.Module, nn.Module, int]:
    """Chen et al. 2016's MNIST nets (Appendix C.1, Table 1): G = FC 1024, BN, ReLU, FC 7·7·128, BN, ReLU,
    upconv 64 4×4/2, BN, ReLU, upconv 4×4/2 (tanh here, for [-1, 1] data); the shared D/Q body = conv 64 4×4/2,
    lReLU, conv 128 4×4/2, BN, lReLU, FC 1024, BN, lReLU. Returns (generator, body, body feature size)."""
    generator = nn.Sequential(
        nn.Linear(latent_dim, 1024), nn.BatchNorm1d(1024), nn.ReLU(True),
        nn.Linear(1024, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(True), Reshape(128, 7, 7),
        nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(True),
        nn.ConvTranspose2d(64, channels, 4, 2, 1), nn.Tanh())
    body = nn.Sequential(
        nn.Conv2d(channels, 64, 4, 2, 1), nn.LeakyReLU(0.1, True),
        nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.1, True), nn.Flatten(),
        nn.Linear(128 * 7 * 7, 1024), nn.BatchNorm1d(1024), nn.LeakyReLU(0.1, True))
    dcgan_init(generator)
    dcgan_init(body)
    return generator, body, 1024


@register_model("infogan", data="mnist", tiny=dict(width=8, noise_dim=4, nets="dcgan"),
                help="InfoGAN (Chen 2016): 10-way categorical + 2 continuous codes, Q head on D's body")
def infogan(sample_shape=MNIST_SHAPE, num_classes=0, noise_dim=62, categories=10, continuous=2, width=64,
            info_weight=1.0, continuous_weight=1.0, nets=None, **recipe):
    """Chen et al. 2016's MNIST setup (62 noise dims, one 10-way and two U(−1, 1) codes, Adam lr_G 1e-3,
    lr_D 2e-4, β1 0.5; Appendix C.1) on the paper's own 28×28 nets (``nets="chen"``, :func:`chen_mnist_nets`;
    the default for 28×28 data: purity 0.815 vs 0.481 with DCGAN nets, docs/benchmarks.md) or on DCGAN nets
    (``nets="dcgan"``, ``width`` channels; the default for other sizes); Q = FC 128, BN, LeakyReLU, FC on D's features."""
    channels, size = image_shape(sample_shape, "infogan")
    nets = nets or ("chen" if size == 28 else "dcgan")
    latent_dim = noise_dim + categories + continuous
    if nets == "chen":
        if size != 28:
            raise GankitError(f"infogan nets='chen' are Chen et al.'s 28×28 MNIST nets, but the data is "
                              f"{size}×{size}; use --image-size 28 or nets=dcgan")
        generator, body, feature_dim = chen_mnist_nets(channels, latent_dim)
        adversarial = nn.Linear(feature_dim, 1)
        dcgan_init(adversarial)
    elif nets == "dcgan":
        backbone, _, _ = dcgan_backbone(sample_shape, width, "infogan")
        generator, body, adversarial = DCGANGenerator(size, channels, latent_dim, width), backbone.body, backbone.head
        feature_dim = backbone.feature_dim
    else:
        raise GankitError(f"infogan nets must be 'dcgan' or 'chen' (Chen et al.'s MNIST nets), not '{nets}'")
    discriminator = MultiHeadDiscriminator(body, {"adversarial": adversarial,
                                                  "q": q_head(feature_dim, categories + continuous)})
    return InfoGAN(generator, discriminator, latent_dim=latent_dim,
                   sample_shape=sample_shape, num_classes=num_classes, noise_dim=noise_dim, categories=categories,
                   continuous=continuous, info_weight=info_weight, continuous_weight=continuous_weight,
                   defaults=dict(lr_g=1e-3, lr_d=2e-4, betas=(0.5, 0.999)), **recipe)
