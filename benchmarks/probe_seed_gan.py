"""Diagnostic loop for the seed `gan`'s collapse: which part of the Keras recipe keeps G's tanh off −1?

    python benchmarks/probe_seed_gan.py --data fashion-mnist --steps 800                      # Keras recipe
    python benchmarks/probe_seed_gan.py --data fashion-mnist --steps 100 --loop joint         # one change off
    python benchmarks/probe_seed_gan.py --data fashion-mnist --steps 100 --init torch
    python benchmarks/probe_seed_gan.py --data mnist --steps 200 --lr-g 5e-5                  # MNIST variants

A plain loop on the `gan` nets (not the trainer), so each ingredient can be switched on its own: init
(Keras' Glorot/zero bias vs torch's defaults), D step (`split`: the Keras tutorial's separate half-batch
real and fake steps; `joint`: one step on both), Adam ε, G's output (tanh; `sigmoid01`: Brownlee's MNIST
sigmoid with D seeing [0, 1] pixels), Gaussian instance noise on D's inputs, learning rates. Every 50
steps it prints, for 256 fixed-noise samples: mean pixel, share of pixels ≤ −0.99 ("dark"; the data has
about 52 % on Fashion-MNIST and 77 % on MNIST, a collapsed G 100 %) and the per-pixel std across samples.
"""
from __future__ import annotations

import argparse

import torch
from torch import nn

import gankit
from gankit.data import load_dataset
from gankit.objectives.base import fake_cross_entropy, nonsaturating_generator_loss, real_cross_entropy


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--init", choices=("keras", "torch"), default="keras")
    parser.add_argument("--loop", choices=("split", "joint"), default="split")
    parser.add_argument("--eps", type=float, default=1e-7)
    parser.add_argument("--output", choices=("tanh", "sigmoid01"), default="tanh")
    parser.add_argument("--noise", type=float, default=0.0, help="std of Gaussian noise on D's inputs")
    parser.add_argument("--lr-g", type=float, default=2e-4)
    parser.add_argument("--lr-d", type=float, default=2e-4)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    gan = gankit.create("gan")                     # Keras init (Glorot-uniform, zero bias) by default
    generator, discriminator = gan.generator, gan.discriminator
    if args.init == "torch":
        for layer in list(generator.modules()) + list(discriminator.modules()):
            if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                layer.reset_parameters()
    sigmoid = args.output == "sigmoid01"
    if sigmoid:
        generator.net[-1] = nn.Sigmoid()
    data = load_dataset(args.data)
    adam = dict(betas=(0.5, 0.999), eps=args.eps)
    optimizer_g = torch.optim.Adam(generator.parameters(), args.lr_g, **adam)
    optimizer_d = torch.optim.Adam(discriminator.parameters(), args.lr_d, **adam)
    rng = torch.Generator().manual_seed(0)

    def discriminate(images):
        return discriminator(images + args.noise * torch.randn(images.shape, generator=rng) if args.noise else images)

    def d_step(loss):
        optimizer_d.zero_grad()
        loss.backward()
        optimizer_d.step()
        return loss.item()

    fixed = torch.randn(256, gan.latent_dim, generator=torch.Generator().manual_seed(1))
    for step in range(args.steps):
        real, _ = data.batch(args.batch_size, rng)
        real = (real + 1) / 2 if sigmoid else real
        with torch.no_grad():
            fake = generator(torch.randn(args.batch_size, gan.latent_dim, generator=rng))
        if args.loop == "split":
            half = args.batch_size // 2
            loss_d = d_step(real_cross_entropy(discriminate(real[:half])))
            loss_d += d_step(fake_cross_entropy(discriminate(fake[:half])))
        else:
            loss_d = d_step(real_cross_entropy(discriminate(real)) + fake_cross_entropy(discriminate(fake)))
        loss_g = nonsaturating_generator_loss(discriminate(generator(torch.randn(args.batch_size, gan.latent_dim,
                                                                                  generator=rng))))
        optimizer_g.zero_grad()
        loss_g.backward()
        optimizer_g.step()
        if step % 50 == 0 or step == args.steps - 1:
            with torch.no_grad():
                images = generator(fixed)
            images = images * 2 - 1 if sigmoid else images
            print(f"step {step}: loss_d {loss_d:.3f} loss_g {loss_g.item():.3f} mean {images.mean():.3f} "
                  f"dark {(images < -0.99).float().mean():.3f} std-across {images.std(0).mean():.3f}", flush=True)


if __name__ == "__main__":
    main()
