"""Ready-made networks, written once for any library with PyTorch's ``nn`` API.

Each builder takes the ``nn`` module to build with (``tinygrad_edu.nn`` by default, or
``torch.nn``: the benchmark and ``benchmarks/bench_accuracy.py`` build the same network in
both), and names its layers as the closed-form models of :mod:`tinygrad_edu.reference` key
their parameters, so ``state_dict`` keys match one to one (``conv1.weight``, ``bn1.bias``...).

* :func:`lenet_bn`: the LeNet-style CNN of model F, ``examples/cnn_fashion_mnist.py`` and
  ``tinygrad-edu train --model cnn`` (:mod:`.reference.cnn` is its closed form).
* :func:`mlp_bn`: model G, an MLP with batch norm and dropout (:mod:`.reference.mlp_bn`).

The convolutions and the first linear layer of :func:`mlp_bn` have no bias: the batch norm right
after subtracts the mean, which would cancel it (and its gradient is exactly 0).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from . import nn as _ours

__all__ = ["lenet_bn", "mlp_bn"]


def _nn(nn: Any) -> Any:
    return _ours if nn is None else nn


def lenet_bn(nn: Any = None, dropout: float = 0.5, classes: int = 10) -> Any:
    """Two conv blocks and two linear layers, for 1x28x28 images::

        conv1 3x3 pad 1 (1 -> 32) - bn1 - relu - pool 2x2      -> 32 x 14 x 14
        conv2 3x3 pad 1 (32 -> 64) - bn2 - relu - pool 2x2     -> 64 x 7 x 7
        flatten - fc1 (3136 -> 128) - relu - dropout - fc2 (128 -> classes)
    """
    nn = _nn(nn)
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 32, 3, padding=1, bias=False)), ("bn1", nn.BatchNorm2d(32)),
        ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(32, 64, 3, padding=1, bias=False)), ("bn2", nn.BatchNorm2d(64)),
        ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()), ("fc1", nn.Linear(64 * 7 * 7, 128)), ("relu3", nn.ReLU()),
        ("dropout", nn.Dropout(dropout)), ("fc2", nn.Linear(128, classes)),
    ]))


def mlp_bn(nn: Any = None, dropout: float = 0.5, sizes: tuple[int, int, int] = (784, 512, 10),
           ) -> Any:
    """``fc1 (784 -> 512, no bias) - bn1 - relu - dropout - fc2 (512 -> 10)``."""
    nn = _nn(nn)
    d, h, c = sizes
    return nn.Sequential(OrderedDict([
        ("fc1", nn.Linear(d, h, bias=False)), ("bn1", nn.BatchNorm1d(h)), ("relu1", nn.ReLU()),
        ("dropout", nn.Dropout(dropout)), ("fc2", nn.Linear(h, c)),
    ]))
