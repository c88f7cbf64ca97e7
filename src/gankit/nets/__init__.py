"""Plain nn.Modules only: generators, discriminators and their blocks. No losses, no training."""
from .autoencoder import ConvAutoencoderDiscriminator, MLPAutoencoderDiscriminator
from .dcgan import DCGANDiscriminator, DCGANGenerator, RotationDCGANDiscriminator
from .keras_mnist import KerasMnistDiscriminator, KerasMnistGenerator
from .mlp import MLPDiscriminator, MLPGenerator
from .salimans_mnist import SalimansMnistDiscriminator, SalimansMnistGenerator

__all__ = ["ConvAutoencoderDiscriminator", "MLPAutoencoderDiscriminator", "RotationDCGANDiscriminator",
           "DCGANDiscriminator", "DCGANGenerator", "KerasMnistDiscriminator", "KerasMnistGenerator",
           "MLPDiscriminator", "MLPGenerator",
           "SalimansMnistDiscriminator", "SalimansMnistGenerator"]
