"""The seed Keras MNIST GAN has exactly the published layer sizes."""
import gankit


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
        assert gan.generate(2).shape == (2, *shape)
