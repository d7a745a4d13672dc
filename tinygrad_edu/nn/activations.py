"""Activation layers (``nn.ReLU``, ``nn.GELU``, ...): each a thin ``Module`` around a function
of ``nn.functional`` (the math and its derivative live there and in ``ops/``)."""

from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from ._args import _int_arg, _real_arg
from .module import Module

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax"]


class ReLU(Module):
    """y = max(x, 0); derivative [x > 0] (0 at x = 0, as PyTorch; seed 001 uses 1 there).

    ``inplace`` is accepted for PyTorch compatibility (and shown in the repr) but the result is
    always a new tensor: the same values and gradients, the input is not overwritten.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """y = x if x > 0 else negative_slope * x; derivative 1 or negative_slope (the slope at 0).

    ``inplace`` as in ``ReLU``: accepted, but the computation is out of place.
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = _real_arg("LeakyReLU", "negative_slope", negative_slope)
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    """y = 1 / (1 + e^-x), computed without overflow; derivative y (1 - y)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Tanh(Module):
    """y = tanh(x); derivative 1 - y^2."""

    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class Softmax(Module):
    """y_i = e^{x_i} / sum_j e^{x_j} along ``dim`` (computed with the max subtracted).

    Differs from PyTorch: ``dim`` is required (PyTorch's implicit choice of dim when it is
    omitted is deprecated there).
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = _int_arg("Softmax", "dim", dim)

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """y = x - logsumexp(x) along ``dim`` (stable); ``dim`` is required, as in ``Softmax``."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = _int_arg("LogSoftmax", "dim", dim)

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
