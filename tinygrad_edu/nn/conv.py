"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d``,
``Unfold``, ``Fold`` -- PyTorch's names, signatures, defaults, attributes, printed form and
state-dict keys (``weight``, ``bias``). The math is in ``nn.functional`` (``F.conv2d``, ...)
and ``ops/conv.py`` (im2col + one matrix product; the backward as formulas).

Initialisation is PyTorch's: ``init.kaiming_uniform_(weight, a=sqrt(5))``, i.e.
U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = weight.shape[1] * prod(kernel_size), and the
bias from the same range, drawn from ``tinygrad_edu.random.get_rng()`` (weight first).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._typing import DTypeLike
from ..device import check_device
from ..dtypes import _dtype, get_default_dtype
from ..tensor import Tensor
from . import functional as F
from . import init
from ._args import _int_arg, _ntuple, _size
from .module import Module, Parameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "Unfold", "Fold"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
IntOrInts = int | Sequence[int]


class _ConvNd(Module):
    """What the convolutions share: argument checks, ``weight``/``bias``, init and repr."""

    _nd = 2
    _transposed = False

    weight: Parameter
    bias: Parameter | None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrInts,
                 stride: IntOrInts = 1, padding: IntOrInts | str = 0, dilation: IntOrInts = 1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: DTypeLike = None, *,
                 output_padding: IntOrInts = 0) -> None:
        super().__init__()
        name, nd = type(self).__name__, self._nd
        self.in_channels = _size(name, "in_channels", in_channels)
        self.out_channels = _size(name, "out_channels", out_channels)
        self.kernel_size = _ntuple(name, "kernel_size", kernel_size, nd, minimum=1)
        self.stride = _ntuple(name, "stride", stride, nd, minimum=1)
        self.dilation = _ntuple(name, "dilation", dilation, nd, minimum=1)
        self.output_padding = _ntuple(name, "output_padding", output_padding, nd)
        self.groups = _int_arg(name, "groups", groups)
        if self.groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups}")
        if self.in_channels % self.groups:
            raise ValueError(f"{name}: in_channels must be divisible by groups "
                             f"(in_channels={in_channels}, groups={groups})")
        if self.out_channels % self.groups:
            raise ValueError(f"{name}: out_channels must be divisible by groups "
                             f"(out_channels={out_channels}, groups={groups})")
        self.padding: tuple[int, ...] | str
        if isinstance(padding, str):
            if self._transposed or padding not in ("same", "valid"):
                allowed = "an int or a tuple of ints" if self._transposed else (
                    "one of {'valid', 'same'}")
                raise ValueError(f"{name}: Invalid padding string {padding!r}, should be "
                                 f"{allowed}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride={self.stride})")
            self.padding = padding
        else:
            self.padding = _ntuple(name, "padding", padding, nd)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {set(_PADDING_MODES)}, but "
                             f"got padding_mode={padding_mode!r}")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {name}')
        self.padding_mode = padding_mode
        self.transposed = self._transposed
        self._reversed_padding_repeated_twice = self._padding_for_pad()
        check_device(device)
        dt = get_default_dtype() if dtype is None else _dtype(dtype)
        if dt.kind != "f":
            raise TypeError(f"{name}: dtype must be a floating point dtype, got {dt}")
        per_group = (self.out_channels if self._transposed else self.in_channels) // self.groups
        first = self.in_channels if self._transposed else self.out_channels
        # C order: W reshapes to the GEMM's (OC, C k) matrix without a copy
        self.weight = Parameter(np.zeros((first, per_group) + self.kernel_size, dtype=dt))
        if bias:
            self.bias = Parameter(np.zeros((self.out_channels,), dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _padding_for_pad(self) -> list[int] | tuple[int, ...]:
        """The widths ``F.pad`` takes for the same padding (last dim first, (left, right)),
        as PyTorch's ``_reversed_padding_repeated_twice`` (a list for 'same'/'valid', a tuple
        otherwise, as there); 'same' splits as F.conv2d does."""
        widths: list[int] = []
        for i in reversed(range(self._nd)):
            if isinstance(self.padding, tuple):
                widths += [self.padding[i]] * 2
            elif self.padding == "same":
                total = self.dilation[i] * (self.kernel_size[i] - 1)
                widths += [total // 2, total - total // 2]
            else:  # valid
                widths += [0, 0]
        return tuple(widths) if isinstance(self.padding, tuple) else widths

    def reset_parameters(self) -> None:
        """PyTorch's default init (see the module docstring)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    """A convolution layer: ``forward(input)`` is ``F.conv{1,2}d`` with the layer's settings;
    a ``padding_mode`` other than 'zeros' pads with ``F.pad`` first, as PyTorch does."""

    _function: Callable[..., Tensor]

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrInts,
                 stride: IntOrInts = 1, padding: IntOrInts | str = 0, dilation: IntOrInts = 1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: DTypeLike = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        fn = type(self)._function
        if self.padding_mode != "zeros":
            padded = F.pad(input, tuple(self._reversed_padding_repeated_twice),
                           mode=self.padding_mode)
            return fn(padded, self.weight, self.bias, self.stride, 0, self.dilation,
                      self.groups)
        return fn(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                  self.groups)


class Conv1d(_Conv):
    """1-D convolution: (N, C_in, L) -> (N, C_out, L_out); weight (C_out, C_in / groups, k).
    See ``F.conv1d``."""

    _nd = 1
    _function = staticmethod(F.conv1d)


class Conv2d(_Conv):
    """2-D convolution: (N, C_in, H, W) -> (N, C_out, H_out, W_out); weight
    (C_out, C_in / groups, kH, kW), bias (C_out,). See ``F.conv2d`` for the formulas (forward
    as im2col + matmul, backward as col2im and the weight correlation)."""

    _nd = 2
    _function = staticmethod(F.conv2d)


class _ConvTranspose(_ConvNd):
    """A transposed convolution layer (weight (C_in, C_out / groups, *k));
    ``forward(input, output_size=None)`` as PyTorch: ``output_size`` picks the
    output_padding that gives that size."""

    _transposed = True
    _function: Callable[..., Tensor]

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrInts,
                 stride: IntOrInts = 1, padding: IntOrInts = 0, output_padding: IntOrInts = 0,
                 groups: int = 1, bias: bool = True, dilation: IntOrInts = 1,
                 padding_mode: str = "zeros", device: Any = None,
                 dtype: DTypeLike = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype, output_padding=output_padding)

    def _output_padding(self, input: Tensor, output_size: Sequence[int] | None
                        ) -> tuple[int, ...]:
        """PyTorch's rule: output_size (with or without the batch and channel dims) must lie
        in [min, min + stride - 1] per dim; the output padding is its excess over min."""
        if output_size is None:
            return self.output_padding
        nd = self._nd
        lead = 2 if input.ndim == nd + 2 else 1
        sizes = [int(s) for s in output_size]
        if len(sizes) == lead + nd:
            sizes = sizes[lead:]
        if len(sizes) != nd:
            raise ValueError(f"ConvTranspose{nd}D: for {input.ndim}D input, output_size must "
                             f"have {nd} or {lead + nd} elements (got {len(sizes)})")
        padding = self.padding
        assert isinstance(padding, tuple)
        low = [(input.shape[lead + d] - 1) * self.stride[d] - 2 * padding[d]
               + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(nd)]
        high = [m + s - 1 for m, s in zip(low, self.stride, strict=True)]
        if any(not a <= s <= b for s, a, b in zip(sizes, low, high, strict=True)):
            raise ValueError(f"requested an output size of {sizes}, but valid sizes range from "
                             f"{low} to {high} (for an input of {list(input.shape[lead:])})")
        return tuple(s - m for s, m in zip(sizes, low, strict=True))

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        extra = self._output_padding(input, output_size)
        return type(self)._function(input, self.weight, self.bias, self.stride, self.padding,
                                    extra, self.groups, self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution; see ``F.conv_transpose1d``."""

    _nd = 1
    _function = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution (the gradient of ``Conv2d`` in its input):
    (N, C_in, H, W) -> (N, C_out, H_out, W_out), H_out = (H - 1) s - 2 p + d (k - 1) +
    output_padding + 1; see ``F.conv_transpose2d``."""

    _nd = 2
    _function = staticmethod(F.conv_transpose2d)


class Unfold(Module):
    """``F.unfold`` as a layer: (N, C, H, W) -> (N, C kH kW, L), the sliding blocks as
    columns (im2col). Arguments are kept as given (an int or a pair), as PyTorch."""

    def __init__(self, kernel_size: IntOrInts, dilation: IntOrInts = 1, padding: IntOrInts = 0,
                 stride: IntOrInts = 1) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """``F.fold`` as a layer: (N, C kH kW, L) -> (N, C, *output_size), overlapping blocks
    summed (col2im)."""

    def __init__(self, output_size: IntOrInts, kernel_size: IntOrInts, dilation: IntOrInts = 1,
                 padding: IntOrInts = 0, stride: IntOrInts = 1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
