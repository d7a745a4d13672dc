"""Pooling layers (``nn.MaxPool2d``, ``nn.AvgPool2d``, adaptive pooling and the 1-d forms):
thin ``Module``s around ``nn.functional``'s pooling (the math and the derivatives live in
``ops/pool.py``). Attributes and printed forms are PyTorch's; the arguments are checked
when the layer is made (their types and signs; what depends on the input's size, when it
runs)."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import functional_pooling as FP
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d"]


def _check(layer: str, n: int, minimum: int, **values: Any) -> None:
    """Each argument an int or a tuple of 1 or ``n`` ints, each >= ``minimum``."""
    for name, value in values.items():
        ints = FP._ints(layer, name, value, n)
        low = 0 if name == "padding" else minimum
        if min(ints) < low:
            raise ValueError(f"{layer}: {name} must be >= {low}, got {value!r}")


class _MaxPoolNd(Module):
    _n = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        name = type(self).__name__
        _check(name, self._n, 1, kernel_size=kernel_size, padding=padding, dilation=dilation)
        if stride is not None and stride not in ((), []):
            _check(name, self._n, 1, stride=stride)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
                f", dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """``F.max_pool2d`` with the layer's settings: the max of each window of (N, C, H, W) or
    (C, H, W); the gradient goes to each window's argmax (PyTorch's tie rule)."""

    def forward(self, input: Tensor) -> Any:
        return FP.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                             ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool1d(_MaxPoolNd):
    """``F.max_pool1d`` with the layer's settings, over the last dim of (N, C, L) or (C, L)."""

    _n = 1

    def forward(self, input: Tensor) -> Any:
        return FP.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                             ceil_mode=self.ceil_mode, return_indices=self.return_indices)


def _single(value: Any) -> tuple[Any, ...]:
    """PyTorch's ``_single``: a tuple of one (a sequence stays as it is, as a tuple)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


class AvgPool1d(Module):
    """``F.avg_pool1d`` with the layer's settings. As PyTorch, kernel_size, stride and
    padding are kept as 1-tuples (so the printed form shows ``(2,)``)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        _check("AvgPool1d", 1, 1, kernel_size=kernel_size, padding=padding)
        if stride is not None:
            _check("AvgPool1d", 1, 1, stride=stride)
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return FP.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                             self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """``F.avg_pool2d`` with the layer's settings: the mean of each window (divisor as
    PyTorch's: ``count_include_pad``, ``divisor_override``); the gradient is g / divisor
    spread over the window."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        _check("AvgPool2d", 2, 1, kernel_size=kernel_size, padding=padding)
        if stride is not None and stride not in ((), []):
            _check("AvgPool2d", 2, 1, stride=stride)
        if divisor_override is not None and not FP._is_int(divisor_override):
            raise TypeError(f"AvgPool2d: divisor_override must be an int or None, got "
                            f"{divisor_override!r}")
        if divisor_override == 0:
            raise RuntimeError("AvgPool2d: divisor must be not zero")
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return FP.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                             self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _check_output_size(layer: str, output_size: Any) -> None:
    values = output_size if isinstance(output_size, (tuple, list)) else (output_size,)
    for v in values:
        if v is not None and not FP._is_int(v):
            raise TypeError(f"{layer}: output_size must be an int or a tuple of ints and None, "
                            f"got {output_size!r}")
        if v is not None and v < 0:
            raise ValueError(f"{layer}: output_size must be >= 0, got {output_size!r}")


class _AdaptivePoolNd(Module):
    def __init__(self, output_size: Any) -> None:
        super().__init__()
        _check_output_size(type(self).__name__, output_size)
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """``F.adaptive_avg_pool2d`` to ``output_size`` (an int, or a pair whose None entries
    keep the input's size)."""

    def forward(self, input: Tensor) -> Tensor:
        return FP.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """``F.adaptive_avg_pool1d`` to ``output_size``."""

    def forward(self, input: Tensor) -> Tensor:
        return FP.adaptive_avg_pool1d(input, self.output_size)


class _AdaptiveMaxPoolNd(_AdaptivePoolNd):
    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """``F.adaptive_max_pool2d`` to ``output_size`` (``return_indices`` as there)."""

    def forward(self, input: Tensor) -> Any:
        return FP.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """``F.adaptive_max_pool1d`` to ``output_size`` (``return_indices`` as there)."""

    def forward(self, input: Tensor) -> Any:
        return FP.adaptive_max_pool1d(input, self.output_size, self.return_indices)
