"""Activation functions (``F.relu``, ``F.gelu``, ...); re-exported by ``nn.functional``."""

from __future__ import annotations

from ..ops import activation as A
from ..tensor import Tensor, _as_tensor

__all__ = ["relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax"]


def relu(x: Tensor) -> Tensor:
    """max(x, 0); derivative 0 at 0 (as PyTorch; seed 001 uses 1 there)."""
    return A.ReLU.apply(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)):
        raise TypeError(f"leaky_relu(): argument 'negative_slope' must be a number, got "
                        f"{negative_slope!r} ({type(negative_slope).__name__})")
    return A.LeakyReLU.apply(x, negative_slope=float(negative_slope))


def sigmoid(x: Tensor) -> Tensor:
    return A.Sigmoid.apply(x if type(x) is Tensor else _as_tensor(x))


def tanh(x: Tensor) -> Tensor:
    return A.Tanh.apply(x if type(x) is Tensor else _as_tensor(x))


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    return _as_tensor(x).softmax(dim)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    return _as_tensor(x).log_softmax(dim)
