"""Padding layers, as ``torch.nn``'s: ``ZeroPad*``, ``ConstantPad*``, ``ReflectionPad*``,
``ReplicationPad*`` and ``CircularPad*`` in 1-D, 2-D and 3-D forms, each a ``Module`` around
``F.pad`` (re-exported by ``layers.py``).

``padding`` is an int (the same width on every side) or a tuple of 2, 4 or 6 ints in
``F.pad``'s order: (left, right), then (top, bottom), then (front, back). Negative widths
crop. The modes and their gradients are described in ``F.pad``.
"""

from __future__ import annotations

import operator
from typing import Any

from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = [
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
    "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
]


def _widths(layer: str, padding: Any, n: int) -> tuple[int, ...]:
    """An int or a sequence of ``n`` ints, as a tuple of ``n`` ints (negative ones crop)."""
    values = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * n
    if len(values) != n:
        raise ValueError(f"{layer}: padding must be an int or a tuple of {n} ints, got "
                         f"{padding!r}")
    try:
        return tuple(operator.index(v) for v in values)
    except TypeError:
        raise TypeError(f"{layer}: padding must be an int or a tuple of {n} ints, got "
                        f"{padding!r}") from None


class _PadNd(Module):
    """``F.pad(input, self.padding, mode)``; subclasses set the mode and the padded dims."""

    mode = "constant"
    dims = 1

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = _widths(type(self).__name__, padding, 2 * self.dims)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    """Borders of ``value``."""

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dim with ``value``: (C, W) or (N, C, W)."""


class ConstantPad2d(_ConstantPadNd):
    """Pads the last 2 dims with ``value``: (C, H, W) or (N, C, H, W)."""

    dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last 3 dims with ``value``: (C, D, H, W) or (N, C, D, H, W)."""

    dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pads the last dim with zeros."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pads the last 2 dims with zeros."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pads the last 3 dims with zeros."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ReflectionPadNd(_PadNd):
    mode = "reflect"


class ReflectionPad1d(_ReflectionPadNd):
    """Pads the last dim with its mirror image (the edge not repeated)."""


class ReflectionPad2d(_ReflectionPadNd):
    """Pads the last 2 dims with their mirror images."""

    dims = 2


class ReflectionPad3d(_ReflectionPadNd):
    """Pads the last 3 dims with their mirror images."""

    dims = 3


class _ReplicationPadNd(_PadNd):
    mode = "replicate"


class ReplicationPad1d(_ReplicationPadNd):
    """Pads the last dim by repeating its edge elements."""


class ReplicationPad2d(_ReplicationPadNd):
    """Pads the last 2 dims by repeating their edges."""

    dims = 2


class ReplicationPad3d(_ReplicationPadNd):
    """Pads the last 3 dims by repeating their edges."""

    dims = 3


class _CircularPadNd(_PadNd):
    """Wraps around; the input must have the padded dims plus one or two (PyTorch checks)."""

    mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (self.dims + 1, self.dims + 2):
            raise ValueError(f"expected {self.dims + 1}D or {self.dims + 2}D input (got "
                             f"{input.ndim}D input)")
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """Pads the last dim by wrapping around (the other end); input (C, W) or (N, C, W)."""


class CircularPad2d(_CircularPadNd):
    """Pads the last 2 dims by wrapping around."""

    dims = 2


class CircularPad3d(_CircularPadNd):
    """Pads the last 3 dims by wrapping around."""

    dims = 3
