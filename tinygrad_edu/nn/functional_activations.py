"""Activation functions (``F.relu``, ``F.gelu``, ...); re-exported by ``nn.functional``.

Names, signatures and defaults are PyTorch's. ``inplace=True`` is accepted everywhere PyTorch
has it, but the result is always a new tensor (the same values and gradients; the input is
not overwritten). Each function is one op of ``ops/activation.py``, ``ops/activation_smooth.py``
(forward and derivative side by side) or a short composition of ops (``softmin``).
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

from .._typing import DTypeLike
from ..ops import activation as A
from ..ops import activation_smooth as S
from ..tensor import Tensor, _as_tensor
from . import _unfused_state

__all__ = ["relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu", "silu",
           "elu", "selu", "celu", "softplus", "relu6", "hardtanh", "hardswish", "hardsigmoid",
           "mish", "logsigmoid", "softsign", "tanhshrink", "softmin", "prelu"]


def _number(fn: str, name: str, value: Any) -> float:
    """A real-number argument (alpha, beta, ...) as a float: TypeError otherwise, as PyTorch."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}(): argument '{name}' must be a number, got {value!r} "
                        f"({type(value).__name__})")
    return float(value)


def _floating(fn: str, x: Any) -> Tensor:
    """The input as a Tensor; PyTorch's kernels for these ops exist for floats only."""
    x = x if type(x) is Tensor else _as_tensor(x)
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f'"{fn}" is not implemented for {x.dtype} tensors (as in '
                                  f"PyTorch): convert with .float()")
    return x


def relu(x: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); derivative 0 at 0 (as PyTorch; seed 001 uses 1 there)."""
    return A.ReLU.apply(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x; derivative negative_slope at 0, as PyTorch."""
    slope = _number("leaky_relu", "negative_slope", negative_slope)
    return A.LeakyReLU.apply(_floating("leaky_relu", x), negative_slope=slope)


def sigmoid(x: Tensor) -> Tensor:
    return A.Sigmoid.apply(x if type(x) is Tensor else _as_tensor(x))


def tanh(x: Tensor) -> Tensor:
    return A.Tanh.apply(x if type(x) is Tensor else _as_tensor(x))


def softmax(x: Tensor, dim: int = -1, _stacklevel: int = 3, dtype: DTypeLike = None) -> Tensor:
    """exp(x) / sum exp(x) along ``dim`` (``dtype`` casts the input first, as PyTorch)."""
    if _unfused_state.forms is not None:  # tg.unfused(): exp, sum, div (nn/unfused.py)
        return _unfused_state.forms.softmax(x, dim, dtype)
    return _as_tensor(x).softmax(dim, dtype=dtype)


def log_softmax(x: Tensor, dim: int = -1, _stacklevel: int = 3,
                dtype: DTypeLike = None) -> Tensor:
    """x - logsumexp(x) along ``dim`` (``dtype`` casts the input first)."""
    if _unfused_state.forms is not None:  # tg.unfused(): its steps (nn/unfused.py)
        return _unfused_state.forms.log_softmax(x, dim, dtype)
    return _as_tensor(x).log_softmax(dim, dtype=dtype)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x) (Phi: the standard normal CDF), or with approximate='tanh' its tanh form
    x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2."""
    return S.GELU.apply(_floating("gelu", input), approximate=gelu_approximation(approximate))


def gelu_approximation(approximate: Any) -> str:
    """'none' or 'tanh'; TypeError for a non-string, RuntimeError for another string."""
    if not isinstance(approximate, str):
        raise TypeError(f"gelu(): argument 'approximate' must be str, not "
                        f"{type(approximate).__name__}")
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"gelu(): approximate argument must be either 'none' or 'tanh', "
                           f"got {approximate!r}")
    return approximate


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x sigma(x) (also called swish)."""
    return S.SiLU.apply(_floating("silu", input))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha (e^x - 1)."""
    alpha = _number("elu", "alpha", alpha)
    return S.ELU.apply(_floating("elu", input), alpha=alpha, scale=1.0, input_scale=1.0)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with PyTorch's constants alpha = 1.6732632..., scale = 1.0507009..."""
    return S.ELU.apply(_floating("selu", input), alpha=S.SELU_ALPHA, scale=S.SELU_SCALE,
                       input_scale=1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha (e^(x / alpha) - 1); alpha = 0 is an error, as PyTorch."""
    alpha = celu_alpha(alpha)
    return S.ELU.apply(_floating("celu", input), alpha=alpha, scale=1.0, input_scale=1 / alpha)


def celu_alpha(alpha: Any) -> float:
    alpha = _number("celu", "alpha", alpha)
    if alpha == 0:
        raise RuntimeError("celu(): ZeroDivisionError: alpha cannot be 0 for CELU")
    return alpha


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (as PyTorch)."""
    beta = _number("softplus", "beta", beta)
    threshold = _number("softplus", "threshold", threshold)
    return S.Softplus.apply(_floating("softplus", input), beta=beta, threshold=threshold)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """min(max(x, min_val), max_val); derivative 1 strictly inside, 0 on and outside the
    bounds. Integer tensors stay integer (the bounds are cast, as PyTorch)."""
    low = _number("hardtanh", "min_val", min_val)
    high = _number("hardtanh", "max_val", max_val)
    if low > high:
        raise ValueError(f"hardtanh(): min_val cannot be greater than max_val, got min_val="
                         f"{min_val} and max_val={max_val}")
    return _hardtanh(input, low, high)


def _hardtanh(input: Any, low: float, high: float) -> Tensor:
    x = input if type(input) is Tensor else _as_tensor(input)
    kind = x._data.dtype.kind
    if kind == "b":
        raise NotImplementedError('"hardtanh" is not implemented for bool tensors (as in '
                                  'PyTorch)')
    if kind != "f":  # PyTorch casts the bounds to the integer type (truncation)
        return A.Hardtanh.apply(x, min_val=x._data.dtype.type(int(low)),
                                max_val=x._data.dtype.type(int(high)))
    return A.Hardtanh.apply(x, min_val=low, max_val=high)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) = hardtanh(x, 0, 6): derivative 0 at 0 and at 6, as PyTorch."""
    return _hardtanh(input, 0.0, 6.0)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x relu6(x + 3) / 6."""
    return A.Hardswish.apply(_floating("hardswish", input))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return A.Hardsigmoid.apply(_floating("hardsigmoid", input))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x))."""
    return S.Mish.apply(_floating("mish", input))


def logsigmoid(input: Tensor) -> Tensor:
    """log sigma(x) = -softplus(-x), without overflow for any x."""
    return S.LogSigmoid.apply(_floating("log_sigmoid", input))


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return S.Softsign.apply(input if type(input) is Tensor else _as_tensor(input))


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return S.Tanhshrink.apply(input if type(input) is Tensor else _as_tensor(input))


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: DTypeLike = None) -> Tensor:
    """softmax(-x) along ``dim`` (PyTorch's composition; ``dtype`` casts the input first).

    ``dim=None`` picks PyTorch's deprecated implicit dim (0 for 0-, 1- and 3-d inputs, else 1)
    with PyTorch's warning."""
    x = _as_tensor(input)
    if dim is None:
        warnings.warn("Implicit dimension choice for softmin has been deprecated. Change the "
                      "call to include dim=X as an argument.", UserWarning,
                      stacklevel=_stacklevel)
        dim = 0 if x.ndim in (0, 1, 3) else 1
    if dtype is not None:
        x = x.to(dtype)
    return (-x).softmax(dim)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x if x > 0 else weight * x, with ``weight`` a single value or one per channel (dim 1
    of the input; a 1-d input has one channel), learnable (``nn.PReLU``)."""
    x = _floating("prelu", input)
    w = weight if isinstance(weight, Tensor) else _as_tensor(weight)
    if w.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {w.ndim}")
    if w._data.dtype != x._data.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {x.dtype} input and "
                           f"{w.dtype} weight")
    n = w.numel()
    if n != 1:
        channels = x.shape[1] if x.ndim >= 2 else 1
        if n != channels:
            raise RuntimeError(f"prelu: Mismatch of parameter numbers and input channel size. "
                               f"Found parameter numbers = {n} and channel size = {channels} "
                               f"(input of shape {tuple(x.shape)})")
        w = w.reshape((n,) + (1,) * (x.ndim - 2))  # broadcast along dim 1
    elif w.ndim and x.ndim < 1:
        w = w.reshape(())  # a 0-d input keeps its shape
    return A.PReLU.apply(x, w)
