"""Plain nn.Modules only: generators, discriminators and their blocks. No losses, no training."""
from .dcgan import DCGANDiscriminator, DCGANGenerator
from .keras_mnist import KerasMnistDiscriminator, KerasMnistGenerator
from .mlp import MLPDiscriminator, MLPGenerator

__all__ = ["DCGANDiscriminator", "DCGANGenerator", "KerasMnistDiscriminator", "KerasMnistGenerator",
           "MLPDiscriminator", "MLPGenerator"]
