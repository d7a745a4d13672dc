"""Convolution functional forms (``F.conv1d``, ``F.conv2d``, ``F.conv_transpose1d``,
``F.conv_transpose2d``, ``F.unfold``, ``F.fold``); re-exported by ``nn.functional``.

Signatures, defaults, output shapes and argument errors are PyTorch's. The math and its
derivative (im2col + one matrix product forward; col2im and two products backward) live in
``ops/conv.py``. Unbatched inputs ((C, L), (C, H, W)) get a batch dim of 1 and lose it again.

Documented difference: integer inputs raise (the products run on BLAS, float32/float64);
PyTorch has a slow integer convolution on the CPU.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .._checks import as_int
from ..dtypes import model_dtype_hint, scalar_name
from ..ops import conv as C
from ..ops.windows import window_counts
from ..tensor import Tensor, _as_tensor

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]

IntOrInts = int | Sequence[int]
Ints = tuple[int, ...]


def _ints(op: str, name: str, value: Any, nd: int) -> Ints:
    """An int or a sequence of 1 or ``nd`` ints, as ``nd`` ints (PyTorch's expansion)."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(values) == 1:
        values = values * nd
    if len(values) != nd:
        raise RuntimeError(f"{op}: expected {name} to be a single integer value or a list of "
                           f"{nd} values to match the convolution dimensions, but got "
                           f"{name}={list(values)}")
    return tuple(as_int(v, name, op) for v in values)


def _sizes(values: Ints) -> str:
    return " x ".join(map(str, values))


def _check_dtypes(op: str, x: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    """One floating point dtype for input, weight and bias, as PyTorch requires (it names
    the dtypes as here); the products run on BLAS."""
    xd, wd = x._data.dtype, weight._data.dtype
    if xd.kind != "f" or wd.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input and weight, but got "
                           f"{scalar_name(xd)} and {scalar_name(wd)}: {model_dtype_hint(xd, wd)}")
    if xd != wd:
        raise RuntimeError(f"{op}: Input type ({scalar_name(xd)}) and weight type "
                           f"({scalar_name(wd)}) should be the same dtype, got input {xd}, "
                           f"weight {wd}: {model_dtype_hint(xd, wd)}")
    if bias is not None and bias._data.dtype != xd:
        raise RuntimeError(f"{op}: Input type ({scalar_name(xd)}) and bias type "
                           f"({scalar_name(bias._data.dtype)}) should be the same")


def _check_common(op: str, nd: int, x: Tensor, weight: Any, bias: Any, groups: Any,
                  layout: str) -> tuple[bool, int]:
    """Ranks, dtypes and groups of a convolution; returns (batched, groups)."""
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{op}, but got input of size: {list(x.shape)}")
    if not isinstance(weight, Tensor):
        raise TypeError(f"{op}(): argument 'weight' must be a Tensor, got "
                        f"{type(weight).__name__}")
    if weight.ndim != nd + 2:
        raise RuntimeError(f"{op}: expected a {nd + 2}-D weight ({layout}), got a weight of "
                           f"size {list(weight.shape)}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"{op}(): argument 'bias' must be a Tensor or None, got "
                        f"{type(bias).__name__}")
    _check_dtypes(op, x, weight, bias)
    g = as_int(groups, "groups", op)
    if g <= 0:
        raise RuntimeError(f"{op}: non-positive groups is not supported (groups={g})")
    if weight.shape[0] == 0 or weight.shape[0] % g:
        what = "at least 1" if weight.shape[0] == 0 else f"divisible by {g}"
        raise RuntimeError(f"Given groups={g}, expected weight to be {what} at dimension 0, but "
                           f"got weight of size {list(weight.shape)} instead")
    return x.ndim == nd + 2, g


def _check_bias(bias: Tensor | None, channels: int, weight: Tensor) -> None:
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != channels):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {channels} elements, but got bias of size "
                           f"{list(bias.shape)} instead")


def _positive(op: str, name: str, values: Ints) -> None:
    if any(v <= 0 for v in values):
        raise RuntimeError(f"{op}: non-positive {name} is not supported ({name}={values})")


def _pads(op: str, padding: Any, kernel: Ints, stride: Ints, dilation: Ints
          ) -> tuple[tuple[int, int], ...]:
    """'valid', 'same' (PyTorch's split: the odd one extra on the right/bottom) or ints."""
    nd = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding != "same":
            raise RuntimeError(f"{op}: Invalid padding string: {padding!r} (expected 'same' or "
                               "'valid')")
        if any(s != 1 for s in stride):
            raise RuntimeError(f"{op}: padding='same' is not supported for strided "
                               f"convolutions (stride={stride})")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        return tuple((t // 2, t - t // 2) for t in totals)
    widths = _ints(op, "padding", padding, nd)
    if any(p < 0 for p in widths):
        raise RuntimeError(f"{op}: negative padding is not supported (padding={widths})")
    return tuple((p, p) for p in widths)


def _conv(op: str, nd: int, input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
          padding: Any, dilation: Any, groups: Any) -> Tensor:
    x = _as_tensor(input)
    batched, g = _check_common(op, nd, x, weight, bias, groups,
                               "out_channels, in_channels / groups, *kernel_size")
    stride_ = _ints(op, "stride", stride, nd)
    dilation_ = _ints(op, "dilation", dilation, nd)
    _positive(op, "stride", stride_)
    _positive(op, "dilation", dilation_)
    kernel = tuple(weight.shape[2:])
    pads = _pads(op, padding, kernel, stride_, dilation_)
    if not batched:
        x = x.unsqueeze(0)
    if x.shape[1] != weight.shape[1] * g:
        raise RuntimeError(f"Given groups={g}, weight of size {list(weight.shape)}, expected "
                           f"input{list(x.shape)} to have {weight.shape[1] * g} channels, but "
                           f"got {x.shape[1]} channels instead")
    _check_bias(bias, weight.shape[0], weight)
    spatial = tuple(x.shape[2:])
    padded = tuple(n + a + b for n, (a, b) in zip(spatial, pads, strict=True))
    reach = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation_, strict=True))
    if any(r > n for r, n in zip(reach, padded, strict=True)):
        raise RuntimeError(f"Calculated padded input size per channel: ({_sizes(padded)}). "
                           f"Kernel size: ({_sizes(reach)}). Kernel size can't be greater "
                           "than actual input size")
    blocks = window_counts(padded, kernel, stride_, dilation_)
    geo = C.Geometry(spatial, kernel, stride_, dilation_, pads, blocks)
    out = (C.Convolution.apply(x, weight, geo=geo, groups=g) if bias is None
           else C.Convolution.apply(x, weight, bias, geo=geo, groups=g))
    return out if batched else out.squeeze(0)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntOrInts = 1,
           padding: IntOrInts | str = 0, dilation: IntOrInts = 1, groups: int = 1) -> Tensor:
    """1-D convolution (cross-correlation, as PyTorch): input (N, C_in, L) or (C_in, L),
    weight (C_out, C_in / groups, k) -> (N, C_out, L_out),
    L_out = floor((L + 2 p - d (k - 1) - 1) / s) + 1. See :func:`conv2d`."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntOrInts = 1,
           padding: IntOrInts | str = 0, dilation: IntOrInts = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as PyTorch): input (N, C_in, H, W) or
    (C_in, H, W), weight (C_out, C_in / groups, kH, kW), bias (C_out,) or None ->
    (N, C_out, H_out, W_out) with H_out = floor((H + 2 p - d (kH - 1) - 1) / s) + 1.

    ``padding`` is an int, a pair, 'valid' (none) or 'same' (output size = input size;
    stride 1 only; an odd total puts the extra zero on the right/bottom, as PyTorch).
    ``groups`` splits the channels into independent convolutions (groups == C_in:
    depthwise).

    Forward as im2col + matmul: Y2 = W2 @ unfold(x) + b (one BLAS call). Backward:
    grad_x = col2im(W2^T @ G2) (the transposed convolution), grad_W = G2 @ unfold(x)^T
    (the output gradient correlated with the input windows), grad_b = sum of the output
    gradient over the batch and the pixels. The result is an (N, C_out, ...) view of
    channel-first memory (see ``ops/conv.py``).
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(op: str, nd: int, input: Tensor, weight: Tensor, bias: Tensor | None,
                    stride: Any, padding: Any, output_padding: Any, groups: Any,
                    dilation: Any) -> Tensor:
    x = _as_tensor(input)
    batched, g = _check_common(op, nd, x, weight, bias, groups,
                               "in_channels, out_channels / groups, *kernel_size")
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    stride_ = _ints(op, "stride", stride, nd)
    dilation_ = _ints(op, "dilation", dilation, nd)
    pad = _ints(op, "padding", padding, nd)
    extra = _ints(op, "output_padding", output_padding, nd)
    _positive(op, "stride", stride_)
    _positive(op, "dilation", dilation_)
    if any(p < 0 for p in pad):
        raise RuntimeError(f"{op}: negative padding is not supported (padding={pad})")
    if any(e < 0 for e in extra):
        raise RuntimeError(f"{op}: negative output_padding is not supported "
                           f"(output_padding={extra})")
    if any(e >= s and e >= d for e, s, d in zip(extra, stride_, dilation_, strict=True)):
        raise RuntimeError(f"{op}: output padding must be smaller than either stride or "
                           f"dilation, but got output_padding={extra}, stride={stride_}, "
                           f"dilation={dilation_}")
    if not batched:
        x = x.unsqueeze(0)
    if x.shape[1] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, "
                           f"expected input{list(x.shape)} to have {weight.shape[0]} channels, "
                           f"but got {x.shape[1]} channels instead")
    _check_bias(bias, weight.shape[1] * g, weight)
    kernel, blocks = tuple(weight.shape[2:]), tuple(x.shape[2:])
    spatial = tuple((i - 1) * s - 2 * p + d * (k - 1) + e + 1 for i, s, p, d, k, e
                    in zip(blocks, stride_, pad, dilation_, kernel, extra, strict=True))
    if any(n < 0 for n in spatial):  # an empty output (size 0) is PyTorch's result too
        raise RuntimeError(f"{op}: Given input size per channel: ({_sizes(blocks)}). "
                           f"Calculated output size per channel: ({_sizes(spatial)}). Output "
                           "size is too small")
    geo = C.Geometry(spatial, kernel, stride_, dilation_, tuple((p, p) for p in pad), blocks)
    out = (C.ConvTranspose.apply(x, weight, geo=geo, groups=g) if bias is None
           else C.ConvTranspose.apply(x, weight, bias, geo=geo, groups=g))
    return out if batched else out.squeeze(0)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: IntOrInts = 1, padding: IntOrInts = 0,
                     output_padding: IntOrInts = 0, groups: int = 1,
                     dilation: IntOrInts = 1) -> Tensor:
    """1-D transposed convolution; see :func:`conv_transpose2d`."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: IntOrInts = 1, padding: IntOrInts = 0,
                     output_padding: IntOrInts = 0, groups: int = 1,
                     dilation: IntOrInts = 1) -> Tensor:
    """2-D transposed convolution (the gradient of ``conv2d`` in its input): input
    (N, C_in, H, W) or (C_in, H, W), weight (C_in, C_out / groups, kH, kW) ->
    (N, C_out, H_out, W_out), H_out = (H - 1) s - 2 p + d (kH - 1) + output_padding + 1;
    output_padding (< stride or < dilation) adds rows on the bottom/right only.

    Forward: Y = col2im(W2^T @ X2) + b. Backward: grad_x = W2 @ unfold(grad_out) (a
    convolution), grad_W = X2 @ unfold(grad_out)^T, grad_b = sum of grad_out over the batch
    and the pixels.
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


# ---------------------------------------------------------------------- unfold / fold


def _window_args(op: str, kernel_size: Any, dilation: Any, padding: Any, stride: Any
                 ) -> tuple[Ints, Ints, Ints, Ints]:
    """kernel, dilation, padding, stride as pairs, checked as PyTorch's im2col/col2im."""
    parts = []
    for name, value in (("kernel_size", kernel_size), ("dilation", dilation),
                        ("padding", padding), ("stride", stride)):
        values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
        if len(values) != 2:
            raise RuntimeError(f"{op}: It is expected {name} equals to 2, but got size "
                               f"{len(values)}")
        parts.append(tuple(as_int(v, name, op) for v in values))
    kernel, dil, pad, step = parts
    for name, values, low in (("kernel size", kernel, 1), ("dilation", dil, 1),
                              ("stride", step, 1), ("padding", pad, 0)):
        if any(v < low for v in values):
            rule = "be non-negative" if low == 0 else "be greater than zero"
            raise RuntimeError(f"{op}: {name} should {rule}, but got {name}={values}")
    return kernel, dil, pad, step


def _blocks(op: str, spatial: Ints, kernel: Ints, dil: Ints, pad: Ints, step: Ints) -> Ints:
    padded = tuple(n + 2 * p for n, p in zip(spatial, pad, strict=True))
    blocks = window_counts(padded, kernel, step, dil)
    if any(b < 1 for b in blocks):
        raise RuntimeError(f"{op}: Given {'input' if op == 'unfold' else 'output'} with spatial "
                           f"size {spatial}, kernel_size={kernel}, dilation={dil}, "
                           f"padding={pad}, calculated shape of the array of sliding blocks as "
                           f"{blocks}, but its components must be at least one.")
    return blocks


def unfold(input: Tensor, kernel_size: IntOrInts, dilation: IntOrInts = 1,
           padding: IntOrInts = 0, stride: IntOrInts = 1) -> Tensor:
    """im2col: the sliding kH x kW blocks of input (N, C, H, W) (or (C, H, W)) as columns,
    (N, C kH kW, L) (or (C kH kW, L)), L = number of block positions; row (c, i, j) of
    column (oh, ow) is xp[n, c, oh s + i d, ow s + j d] (xp: zero-padded input).

    Derivative: the gradient goes back by ``fold`` (col2im: each entry added to the element
    it was read from). The result is a view of (C kH kW, N, L) memory.
    """
    x = _as_tensor(input)
    if x.ndim not in (3, 4):
        raise RuntimeError(f"unfold: expected a 3-D (unbatched) or 4-D (batched) input, got "
                           f"size {list(x.shape)}")
    kernel, dil, pad, step = _window_args("unfold", kernel_size, dilation, padding, stride)
    batched = x.ndim == 4
    if not batched:
        x = x.unsqueeze(0)
    spatial = tuple(x.shape[2:])
    blocks = _blocks("unfold", spatial, kernel, dil, pad, step)
    geo = C.Geometry(spatial, kernel, step, dil, tuple((p, p) for p in pad), blocks)
    out = C.Unfold.apply(x, geo=geo)
    return out if batched else out.squeeze(0)


def fold(input: Tensor, output_size: IntOrInts, kernel_size: IntOrInts,
         dilation: IntOrInts = 1, padding: IntOrInts = 0, stride: IntOrInts = 1) -> Tensor:
    """col2im, the transpose of :func:`unfold`: columns (N, C kH kW, L) (or (C kH kW, L)) ->
    (N, C, *output_size), each entry added to the position ``unfold`` reads it from
    (overlapping blocks sum). Derivative: ``unfold`` of the gradient."""
    cols = _as_tensor(input)
    if cols.ndim not in (2, 3) or 0 in cols.shape[1:] and cols.ndim == 3:
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           f"batch size and non-zero dimensions for input, but got: "
                           f"{list(cols.shape)}")
    size = _ints("fold", "output_size", output_size, 2)
    kernel, dil, pad, step = _window_args("fold", kernel_size, dilation, padding, stride)
    batched = cols.ndim == 3
    if not batched:
        cols = cols.unsqueeze(0)
    taps = math.prod(kernel)
    if cols.shape[1] % taps:
        raise RuntimeError(f"fold: Expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size, but got input.size(1)={cols.shape[1]} and "
                           f"kernel_size={kernel}.")
    blocks = _blocks("fold", size, kernel, dil, pad, step)
    if cols.shape[2] != math.prod(blocks):
        raise RuntimeError(f"fold: Given output_size={size}, kernel_size={kernel}, "
                           f"dilation={dil}, padding={pad}, stride={step}, expected size of "
                           f"input's dimension 2 to match the calculated number of sliding "
                           f"blocks {' * '.join(map(str, blocks))} = {math.prod(blocks)}, but "
                           f"got input.size(2)={cols.shape[2]}.")
    geo = C.Geometry(size, kernel, step, dil, tuple((p, p) for p in pad), blocks)
    out = C.Fold.apply(cols, geo=geo)
    return out if batched else out.squeeze(0)
