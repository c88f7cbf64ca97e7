"""The TF-Inception network of FID (graph ``inception-2015-12-05``, Szegedy et al. 2016) as a plain nn.Module.

This is the exact variant every FID paper number comes from (TTUR, pytorch-fid, torch-fidelity,
StyleGAN's metrics), which differs from torchvision's Inception-v3 in three places:

* the average-pool branch of the A, C and first E blocks ignores padded zeros (TensorFlow's
  ``avg_pool`` with SAME padding): ``count_include_pad=False``;
* the last E block (``Mixed_7c``) pools its pool branch with a 3x3 *max* pool;
* batch norm has no scale (gamma = 1), eps = 1e-3, and the classifier has 1008 classes.

Submodule names follow torchvision (``Conv2d_1a_3x3``, ``Mixed_5b.branch1x1.conv``, ...), so the
pytorch-fid file ``pt_inception-2015-12-05-6726825d.pth`` loads into it as it is.

``forward`` takes images already resized to 299x299 and normalised to the network's range
(see :mod:`gankit.metrics.features` for the input protocols) and returns the 2048-d ``pool3``
features; :meth:`logits` maps them to the 1008 ImageNet-2012 (+ background/unused) classes.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

POOL3_DIM = 2048
NUM_LOGITS = 1008


class BasicConv2d(nn.Module):
    """conv (no bias) -> batch norm (eps 1e-3) -> ReLU."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                              bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def _avg_pool_3x3(x: torch.Tensor) -> torch.Tensor:
    # TensorFlow's SAME average pool divides by the number of real (unpadded) pixels.
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class InceptionA(nn.Module):
    """35x35 block (Mixed_5b/5c/5d): 1x1 | 5x5 | double 3x3 | avg-pool -> 1x1."""

    def __init__(self, in_channels: int, pool_features: int):
        super().__init__()
        self.branch1x1 = BasicConv2d(in_channels, 64, 1)
        self.branch5x5_1 = BasicConv2d(in_channels, 48, 1)
        self.branch5x5_2 = BasicConv2d(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, padding=1)
        self.branch_pool = BasicConv2d(in_channels, pool_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        five = self.branch5x5_2(self.branch5x5_1(x))
        double = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        pooled = self.branch_pool(_avg_pool_3x3(x))
        return torch.cat([self.branch1x1(x), five, double, pooled], 1)


class InceptionB(nn.Module):
    """35 -> 17 reduction (Mixed_6a): strided 3x3 | double 3x3 | max-pool."""

    def __init__(self, in_channels: int):
        super().__init__()
        self.branch3x3 = BasicConv2d(in_channels, 384, 3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        double = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), double, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionC(nn.Module):
    """17x17 block (Mixed_6b..6e): 1x1 | 1x7,7x1 | 7x1,1x7,7x1,1x7 | avg-pool -> 1x1."""

    def __init__(self, in_channels: int, channels_7x7: int):
        super().__init__()
        c7 = channels_7x7
        self.branch1x1 = BasicConv2d(in_channels, 192, 1)
        self.branch7x7_1 = BasicConv2d(in_channels, c7, 1)
        self.branch7x7_2 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(in_channels, c7, 1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(in_channels, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        seven = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        double = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            double = layer(double)
        pooled = self.branch_pool(_avg_pool_3x3(x))
        return torch.cat([self.branch1x1(x), seven, double, pooled], 1)


class InceptionD(nn.Module):
    """17 -> 8 reduction (Mixed_7a): 1x1, strided 3x3 | 1x1, 1x7, 7x1, strided 3x3 | max-pool."""

    def __init__(self, in_channels: int):
        super().__init__()
        self.branch3x3_1 = BasicConv2d(in_channels, 192, 1)
        self.branch3x3_2 = BasicConv2d(192, 320, 3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(in_channels, 192, 1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        three = self.branch3x3_2(self.branch3x3_1(x))
        seven = x
        for layer in (self.branch7x7x3_1, self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            seven = layer(seven)
        return torch.cat([three, seven, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionE(nn.Module):
    """8x8 block (Mixed_7b, 7c): 1x1 | 1x1 -> (1x3, 3x1) | 1x1, 3x3 -> (1x3, 3x1) | pool -> 1x1.

    ``max_pool=True`` is the FID graph's quirk in its last block (Mixed_7c).
    """

    def __init__(self, in_channels: int, max_pool: bool):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv2d(in_channels, 320, 1)
        self.branch3x3_1 = BasicConv2d(in_channels, 384, 1)
        self.branch3x3_2a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 448, 1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(in_channels, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        three = self.branch3x3_1(x)
        double = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        if self.max_pool:
            pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        else:
            pooled = _avg_pool_3x3(x)
        return torch.cat([self.branch1x1(x),
                          self.branch3x3_2a(three), self.branch3x3_2b(three),
                          self.branch3x3dbl_3a(double), self.branch3x3dbl_3b(double),
                          self.branch_pool(pooled)], 1)


class TFInceptionV3(nn.Module):
    """FID's Inception: (N, 3, 299, 299) normalised images -> (N, 2048) pool3 features."""

    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, channels_7x7=128)
        self.Mixed_6c = InceptionC(768, channels_7x7=160)
        self.Mixed_6d = InceptionC(768, channels_7x7=160)
        self.Mixed_6e = InceptionC(768, channels_7x7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280, max_pool=False)
        self.Mixed_7c = InceptionE(2048, max_pool=True)
        self.fc = nn.Linear(POOL3_DIM, NUM_LOGITS)
        self.has_logits = False        # set by the weight loader: True when the file carried the fc layer

    def layers(self) -> list[tuple[str, nn.Module]]:
        """(name, layer) in the order the forward pass runs them; the max-pools are ``MaxPool_3a`` and
        ``MaxPool_5a`` (the graph's names)."""
        pool = nn.MaxPool2d(kernel_size=3, stride=2)
        names = ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "MaxPool_3a", "Conv2d_3b_1x1", "Conv2d_4a_3x3",
                 "MaxPool_5a", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
                 "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c")
        return [(name, pool if name.startswith("MaxPool") else getattr(self, name)) for name in names]

    def activations(self, x: torch.Tensor, names: tuple[str, ...]) -> list[torch.Tensor]:
        """The outputs of the layers ``names`` (in forward order), running the network only as far as the last."""
        outputs = []
        for name, layer in self.layers():
            x = layer(x)
            if name in names:
                outputs.append(x)
                if len(outputs) == len(names):
                    break
        return outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, = self.activations(x, ("Mixed_7c",))
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)          # pool3: (N, 2048)

    def logits(self, pool3: torch.Tensor) -> torch.Tensor:
        """The 1008-way TF classifier on pool3 features *without its bias*, as the Inception Score's
        reference code computes them (Salimans et al. 2016, openai/improved-gan: ``pool3 @ W``;
        torch-fidelity's ``logits_unbiased``)."""
        return pool3 @ self.fc.weight.T
