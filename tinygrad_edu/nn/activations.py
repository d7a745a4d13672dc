"""Activation layers (``nn.ReLU``, ``nn.GELU``, ...): each a thin ``Module`` around a function
of ``nn.functional`` (the math and its derivative live there and in ``ops/``).

Constructor arguments are checked when the layer is made (PyTorch checks most of them only
when it runs); the printed form is PyTorch's. ``inplace=True`` is accepted and printed where
PyTorch has it, but every layer computes out of place: the same values and gradients, and the
input is not overwritten."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._typing import DTypeLike
from ..device import check_device
from ..dtypes import _dtype, get_default_dtype
from ..tensor import Tensor
from . import functional as F
from . import functional_activations as FA
from . import init
from ._args import _int_arg, _real_arg, _size
from .module import Module, Parameter

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "GELU", "SiLU",
           "ELU", "SELU", "CELU", "Softplus", "ReLU6", "Hardtanh", "Hardswish", "Hardsigmoid",
           "Mish", "LogSigmoid", "Softsign", "Tanhshrink", "Softmin", "PReLU"]


def _inplace(inplace: bool) -> str:
    return "inplace=True" if inplace else ""


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


class GELU(Module):
    """y = x Phi(x) (Phi: the standard normal CDF); approximate='tanh' uses
    x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = FA.gelu_approximation(approximate)

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """y = x sigma(x); derivative sigma(x) (1 + x (1 - sigma(x)))."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input)

    def extra_repr(self) -> str:
        return _inplace(self.inplace)


class ELU(Module):
    """y = x if x > 0 else alpha (e^x - 1)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = _real_arg("ELU", "alpha", alpha)
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class SELU(Module):
    """y = scale (x if x > 0 else alpha (e^x - 1)), alpha = 1.6732632..., scale = 1.0507009...
    (self-normalizing: zero mean and unit variance are kept under LeCun-normal weights)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.selu(input)

    def extra_repr(self) -> str:
        return _inplace(self.inplace)


class CELU(Module):
    """y = x if x > 0 else alpha (e^(x / alpha) - 1); alpha must not be 0."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        FA.celu_alpha(_real_arg("CELU", "alpha", alpha))
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softplus(Module):
    """y = log(1 + e^(beta x)) / beta, and x where beta x > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = _real_arg("Softplus", "beta", beta)
        self.threshold = _real_arg("Softplus", "threshold", threshold)

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """y = min(max(x, min_val), max_val); derivative 1 strictly between the bounds, else 0.
    max_val must be greater than min_val (ValueError; PyTorch asserts it)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
                 ) -> None:
        super().__init__()
        self.min_val = _real_arg(type(self).__name__, "min_val", min_val)
        self.max_val = _real_arg(type(self).__name__, "max_val", max_val)
        if not self.max_val > self.min_val:
            raise ValueError(f"{type(self).__name__}: max_val ({max_val}) must be greater "
                             f"than min_val ({min_val})")
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return (f"min_val={self.min_val}, max_val={self.max_val}"
                + (", inplace=True" if self.inplace else ""))


class ReLU6(Hardtanh):
    """y = min(max(x, 0), 6) (Hardtanh(0, 6), as PyTorch's subclass); derivative 0 at 0 and 6."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def forward(self, input: Tensor) -> Tensor:
        return F.relu6(input)

    def extra_repr(self) -> str:
        return _inplace(self.inplace)


class Hardswish(Module):
    """y = x relu6(x + 3) / 6. (PyTorch prints no ``inplace``; neither does this.)"""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardswish(input)


class Hardsigmoid(Module):
    """y = relu6(x + 3) / 6. (PyTorch prints no ``inplace``; neither does this.)"""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardsigmoid(input)


class Mish(Module):
    """y = x tanh(softplus(x))."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.mish(input)

    def extra_repr(self) -> str:
        return _inplace(self.inplace)


class LogSigmoid(Module):
    """y = log sigma(x), without overflow; derivative sigma(-x)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Softsign(Module):
    """y = x / (1 + |x|)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


class Tanhshrink(Module):
    """y = x - tanh(x); derivative tanh(x)^2."""

    def forward(self, input: Tensor) -> Tensor:
        return F.tanhshrink(input)


class Softmin(Module):
    """y = softmax(-x) along ``dim`` (``dim=None``: PyTorch's deprecated implicit choice, with
    its warning)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = None if dim is None else _int_arg("Softmin", "dim", dim)

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class PReLU(Module):
    """y = x if x > 0 else a x, with a learnable ``weight`` a: one value shared by all channels
    (``num_parameters=1``) or one per channel (dim 1 of the input), initialised to ``init``.
    Do not use weight decay on it (PyTorch's advice: it pushes a toward 0, i.e. toward ReLU)."""

    weight: Parameter

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: DTypeLike = None) -> None:
        super().__init__()
        self.num_parameters = _size("PReLU", "num_parameters", num_parameters)
        self.init = _real_arg("PReLU", "init", init)
        check_device(device)
        dt = get_default_dtype() if dtype is None else _dtype(dtype)
        self.weight = Parameter(np.empty((self.num_parameters,), dtype=dt))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
