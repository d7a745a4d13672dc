"""Checks of layer constructor arguments, shared by the layer modules (PyTorch's errors)."""

from __future__ import annotations

import numbers
import operator
from typing import Any

__all__ = ["_int_arg", "_real_arg", "_size", "_ntuple"]


def _size(layer: str, name: str, value: Any) -> int:
    """A layer's size argument as an int: TypeError for 2.5 or "3" and RuntimeError for a
    negative size, as PyTorch (bool and NumPy integers are ints there too)."""
    try:
        size = operator.index(value)
    except TypeError:
        raise TypeError(f"{layer}: {name} must be an int, got {value!r} "
                        f"({type(value).__name__})") from None
    if size < 0:
        raise RuntimeError(f"{layer}: Trying to create tensor with negative dimension: "
                           f"{name}={size} must be >= 0")
    return size


def _int_arg(layer: str, name: str, value: Any) -> int:
    """A dim argument: any int (negative counts from the end); checked against the input's
    rank when the layer runs."""
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{layer}: {name} must be an int, got {value!r} "
                        f"({type(value).__name__})") from None


def _real_arg(layer: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{layer}: {name} must be a real number, got {value!r} "
                        f"({type(value).__name__})")
    return value  # type: ignore[return-value]


def _ntuple(layer: str, name: str, value: Any, n: int, minimum: int = 0) -> tuple[int, ...]:
    """An int or a sequence of ``n`` ints (kernel_size, stride, padding, dilation...), as a
    tuple of ``n`` ints each >= ``minimum``: ``_ntuple("Conv2d", "stride", 2, 2, 1) == (2, 2)``."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(values) != n:
        raise ValueError(f"{layer}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    out = tuple(_int_arg(layer, name, v) for v in values)
    if any(v < minimum for v in out):
        raise ValueError(f"{layer}: {name} must be >= {minimum}, got {value!r}")
    return out
