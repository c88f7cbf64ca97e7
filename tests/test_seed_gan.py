"""The seed Keras MNIST GAN has exactly the published layer sizes."""
import gankit
from gankit.pipelines import sample
from conftest import loss_args


def count(module):
    return sum(p.numel() for p in module.parameters())


def test_keras_mnist_parameter_counts():
    gan = gankit.create("gan")
    assert count(gan.generator) == 1_164_289
    assert count(gan.discriminator) == 155_137
    assert count(gan.generator) + count(gan.discriminator) == 1_319_426


def test_dcgan_sizes_for_28_32_64():
    for shape in [(1, 28, 28), (3, 32, 32), (3, 64, 64)]:
        gan = gankit.create("dcgan", sample_shape=shape, width=8)
        assert sample(gan, 2).shape == (2, *shape)


def test_seed_gan_trains_with_the_keras_loop_and_keras_init():
    import pytest
    import torch
    import torch.nn.functional as F
    from torch import nn
    from gankit.errors import GankitError
    from gankit.recipes.classic import KerasLoopGAN

    gan = gankit.create("gan")
    assert isinstance(gan, KerasLoopGAN) and [p.name for p in gan.phases()] == ["D-real", "D-fake", "G"]
    assert gan.hparams["eps"] == 1e-7
    for layer in list(gan.generator.modules()) + list(gan.discriminator.modules()):
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):    # Glorot-uniform, zero bias
            fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(layer.weight)
            assert layer.weight.abs().max() <= (6 / (fan_in + fan_out)) ** 0.5
            assert layer.weight.std() > 0.5 * (2 / (fan_in + fan_out)) ** 0.5 and not layer.bias.any()
    # D's real phase: binary cross-entropy with target 1 on the first half of the batch only
    gan.discriminator.eval()
    real = torch.rand(6, 1, 28, 28) * 2 - 1
    loss, logs = gan.phases()[0].loss(*loss_args(real, None, torch.Generator().manual_seed(0)))
    assert loss.item() == pytest.approx(F.softplus(-gan.discriminator(real[:3])).mean().item(), rel=1e-6)
    assert logs["loss_d_real"] == pytest.approx(loss.item())
    # other objectives or regularizers get the joint D step; forcing the Keras loop on them is refused
    assert [p.name for p in gankit.create("gan", objective="lsgan").phases()] == ["D", "G"]
    with pytest.raises(GankitError, match="keras_loop"):
        gankit.create("gan", objective="hinge", keras_loop=True)
