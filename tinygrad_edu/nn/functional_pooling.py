"""Pooling functional forms (``max_pool2d``, ``avg_pool2d``, adaptive pooling, their 1-d
forms), as ``torch.nn.functional``; re-exported by ``nn.functional``.

Each form checks its arguments as PyTorch does (kinds of error and what the messages name),
brings the input to (N, C, H, W) with reshapes (an unbatched (C, H, W) input gets a batch of
one; a 1-d input (N, C, L) is (N, C, 1, L)), runs the op of ``ops/pool.py`` and reshapes back.
The math and the derivatives, side by side, are in ``ops/pool.py``.

Documented differences from PyTorch:

* a max-pool window that misses the input altogether (a dilation that jumps over it; its
  value is -inf, its index PyTorch's) passes no gradient on. PyTorch's index for such a
  window points past the row (into the next one, or past the plane), and its backward adds
  the gradient there, to an element outside the window.
* an adaptive pool to an output size 0 backpropagates zeros; PyTorch's backward refuses
  ("Expected grad_output to have non-zero size").
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..ops import pool as P
from ..ops import shape as S
from ..tensor import Tensor, _as_tensor

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d"]

Size = int | Sequence[int]
_TORCH_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
                "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
                "bool": "Bool"}


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _ints(fn: str, name: str, value: Any, n: int) -> tuple[int, ...]:
    """An int, or a tuple/list of one or ``n`` ints (PyTorch's int-list arguments)."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    for v in values:
        if not _is_int(v):
            raise TypeError(f"{fn}(): argument '{name}' must be tuple of ints, not "
                            f"{type(v).__name__}")
    if len(values) == 1:
        return tuple(operator.index(values[0]) for _ in range(n))
    if len(values) != n:
        raise RuntimeError(f"{fn}: {name} must either be a single int, or a tuple of {n} ints, "
                           f"got {value!r}")
    return tuple(operator.index(v) for v in values)


def _not_implemented(fn: str, x: Tensor) -> NotImplementedError:
    name = _TORCH_NAMES.get(str(x.dtype), str(x.dtype))
    return NotImplementedError(f'"{fn}" not implemented for \'{name}\' (input dtype {x.dtype})')


def _as_planes(fn: str, x: Any, spatial: int, batch_only_empty: bool = True) -> Tensor:
    """x as (N, C, H, W): a batch of one added to an unbatched input, a unit H to a 1-d one."""
    x = _as_tensor(x)
    lo = spatial + 1
    if x.ndim not in (lo, lo + 1):
        raise RuntimeError(f"{fn}: Expected {lo}D or {lo + 1}D (batch mode) tensor with optional "
                           f"0 dim batch size for input, but got: {list(x.shape)}")
    first = x.ndim - lo if batch_only_empty else x.ndim - spatial
    for d in range(first, x.ndim):
        if x.shape[d] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(x.shape)} with dimension "
                               f"{d} being empty")
    shape = x.shape if x.ndim == lo + 1 else (1, *x.shape)
    if spatial == 1:
        shape = (*shape[:2], 1, shape[2])
    return x if shape == x.shape else S.Reshape.apply(x, shape=shape)


def _restore(out: Tensor, like: Tensor, spatial: int) -> Tensor:
    """The (N, C, OH, OW) result in the input's form (unbatched, 1-d)."""
    shape = out.shape if spatial == 2 else (*out.shape[:2], out.shape[3])
    if like.ndim == spatial + 1:
        shape = shape[1:]
    return out if shape == out.shape else S.Reshape.apply(out, shape=shape)


def _index_like(index: np.ndarray, like: Tensor, spatial: int) -> Tensor:
    shape = index.shape if spatial == 2 else (*index.shape[:2], index.shape[3])
    return like._wrap(index.reshape(shape[1:] if like.ndim == spatial + 1 else shape), False)


def _window_args(fn: str, x: Tensor, spatial: int, kernel_size: Size, stride: Size | None,
                 padding: Size, dilation: Size, ceil_mode: bool
                 ) -> tuple[tuple[int, int], ...]:
    """kernel, stride, padding, dilation as pairs for (H, W), checked as PyTorch checks them
    (a 1-d form's pairs have a unit H)."""
    kernel = _ints(fn, "kernel_size", kernel_size, spatial)
    strides = kernel if stride is None or stride in ((), []) else _ints(fn, "stride", stride,
                                                                          spatial)
    pads = _ints(fn, "padding", padding, spatial)
    dils = _ints(fn, "dilation", dilation, spatial)
    if spatial == 1:
        kernel, strides, pads, dils = (1, *kernel), (1, *strides), (0, *pads), (1, *dils)
    if min(kernel) <= 0:
        raise RuntimeError(f"{fn}: kernel size should be greater than zero, but got "
                           f"kernel_size={kernel[2 - spatial:]}")
    if 0 in strides:
        raise RuntimeError(f"{fn}: stride should not be zero (stride={strides[2 - spatial:]})")
    if min(strides) < 0:
        raise RuntimeError(f"{fn}: stride should be greater than zero, but got "
                           f"stride={strides[2 - spatial:]}")
    if min(dils) <= 0:
        raise RuntimeError(f"{fn}: dilation should be greater than zero, but got "
                           f"dilation={dils[2 - spatial:]}")
    if min(pads) < 0:
        raise RuntimeError(f"{fn}: pad must be non-negative, but got padding="
                           f"{pads[2 - spatial:]}")
    if any(p > k // 2 for p, k in zip(pads, kernel, strict=True)):
        raise RuntimeError(f"{fn}: pad should be smaller than or equal to half of kernel size, "
                           f"but got padding={pads[2 - spatial:]}, "
                           f"kernel_size={kernel[2 - spatial:]}")
    out = tuple(P.pooled_size(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip(
        x.shape[2:], kernel, strides, pads, dils, strict=True))
    if min(out) < 1:
        given = "x".join(map(str, (x.shape[1], *x.shape[4 - spatial:])))
        got = "x".join(map(str, (x.shape[1], *out[2 - spatial:])))
        raise RuntimeError(f"{fn}: Given input size: ({given}). Calculated output size: "
                           f"({got}). Output size is too small")
    return kernel, strides, pads, dils  # type: ignore[return-value]


# ---------------------------------------------------------------------- max


def _max_pool(fn: str, input: Any, spatial: int, kernel_size: Size, stride: Size | None,
              padding: Size, dilation: Size, ceil_mode: bool, return_indices: bool) -> Any:
    x = _as_planes(fn, input, spatial)
    if x.dtype.kind not in "fiu" or (spatial == 1 and x.dtype.kind != "f"
                                     and not return_indices):
        raise _not_implemented("max_pool1d_impl" if spatial == 1 else fn, x)
    kernel, strides, pads, dils = _window_args(fn, x, spatial, kernel_size, stride, padding,
                                               dilation, ceil_mode)
    data = x._data
    tiled = strides == kernel and pads == (0, 0) and dils == (1, 1) and (
        not ceil_mode or (data.shape[2] % kernel[0] == 0 and data.shape[3] % kernel[1] == 0))
    if tiled:
        out = P.MaxPoolTiled.apply(x, kernel=kernel)
        index = P.tiled_index(data, out._data, kernel) if return_indices else None
    else:
        index, empty = P.max_pool_index(data, kernel, strides, pads, dils, ceil_mode)
        out = P.PlaneGather.apply(x, index=index, empty=empty, fill=P.lowest(data.dtype),
                                  unique=not P.windows_overlap(kernel, strides, dils))
    result = _restore(out, _as_tensor(input), spatial)
    if return_indices and index is not None:
        return result, _index_like(index, _as_tensor(input), spatial)
    return result


def max_pool2d(input: Tensor, kernel_size: Size, stride: Size | None = None,
               padding: Size = 0, dilation: Size = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """The max of each (dilated) window of (N, C, H, W) or (C, H, W), padded with -inf.

    Forward z = max over the window; backward dL/dx = g at each window's argmax (PyTorch's:
    the first of tied maxima in row-major order, the last NaN), summed where windows overlap.
    ``return_indices``: also the argmax as flat indices into each H x W plane (int64).
    Non-overlapping tiles (stride = kernel, no padding or dilation) take a faster op.
    """
    return _max_pool("max_pool2d", input, 2, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_pool1d(input: Tensor, kernel_size: Size, stride: Size | None = None,
               padding: Size = 0, dilation: Size = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """``max_pool2d`` along the last dim of (N, C, L) or (C, L); indices into L."""
    return _max_pool("max_pool1d", input, 1, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


# ---------------------------------------------------------------------- average


def _avg_pool(fn: str, input: Any, spatial: int, kernel_size: Size, stride: Size | None,
              padding: Size, ceil_mode: bool, count_include_pad: bool,
              divisor_override: int | None) -> Tensor:
    x = _as_planes(fn, input, spatial)
    if x.dtype.kind != "f" and x.dtype != np.int64:
        raise _not_implemented("avg_pool2d", x)
    if divisor_override is not None:
        if not _is_int(divisor_override):
            raise TypeError(f"{fn}(): argument 'divisor_override' must be int, not "
                            f"{type(divisor_override).__name__}")
        if divisor_override == 0:
            raise RuntimeError(f"{fn}: divisor must be not zero")
    kernel, strides, pads, _ = _window_args(fn, x, spatial, kernel_size, stride, padding, 1,
                                            ceil_mode)
    out = P.AvgPool.apply(x, kernel=kernel, stride=strides, padding=pads,
                          ceil_mode=bool(ceil_mode), count_include_pad=bool(count_include_pad),
                          divisor_override=None if divisor_override is None
                          else int(divisor_override))
    return _restore(out, _as_tensor(input), spatial)


def avg_pool2d(input: Tensor, kernel_size: Size, stride: Size | None = None,
               padding: Size = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The mean of each window of (N, C, H, W) or (C, H, W), zero-padded.

    Forward z = (sum of the window) / divisor; backward dL/dx = g / divisor spread over
    each window (col2im), summed where windows overlap. The divisor is the window clipped to
    the padded input (``count_include_pad``), or to the input, or ``divisor_override``.
    """
    return _avg_pool("avg_pool2d", input, 2, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool1d(input: Tensor, kernel_size: Size, stride: Size | None = None,
               padding: Size = 0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """``avg_pool2d`` along the last dim of (N, C, L) or (C, L)."""
    return _avg_pool("avg_pool1d", input, 1, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


# ---------------------------------------------------------------------- adaptive


def _output_size(fn: str, output_size: Any, x: Tensor, spatial: int) -> tuple[int, int]:
    """``output_size`` as (OH, OW): an int, or a tuple/list whose None entries keep the
    input's size."""
    if _is_int(output_size):
        values: tuple[Any, ...] = (output_size,) * spatial
    elif isinstance(output_size, (tuple, list)) and all(
            v is None or _is_int(v) for v in output_size):
        values = tuple(output_size)
    else:
        bad = output_size if not isinstance(output_size, (tuple, list)) else next(
            v for v in output_size if not (v is None or _is_int(v)))
        raise TypeError(f"{fn}(): argument 'output_size' must be an int or a tuple of ints "
                        f"(None keeps the input's size), not {type(bad).__name__}")
    if len(values) != spatial:
        raise RuntimeError(f"{fn}: output_size must have {spatial} element(s), got "
                           f"{output_size!r}")
    sizes = tuple(n if v is None else int(v)
                  for n, v in zip(x.shape[4 - spatial:], values, strict=True))
    if min(sizes) < 0:
        raise RuntimeError(f"{fn}: elements of output_size must be greater than or equal to 0 "
                           f"but received {output_size!r}")
    return (1, *sizes) if spatial == 1 else sizes  # type: ignore[return-value]


def _adaptive_avg(fn: str, input: Any, output_size: Any, spatial: int) -> Tensor:
    x = _as_planes(fn, input, spatial, batch_only_empty=False)
    if x.dtype.kind != "f":
        raise RuntimeError(f"{fn}: mean(): could not infer output dtype. Input dtype must be "
                           f"either a floating point or complex dtype. Got: "
                           f"{_TORCH_NAMES.get(str(x.dtype), x.dtype)}")
    out = P.AdaptiveAvgPool.apply(x, output_size=_output_size(fn, output_size, x, spatial))
    return _restore(out, _as_tensor(input), spatial)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """The mean over PyTorch's adaptive bins of (N, C, H, W) or (C, H, W): output cell i
    along a dim of size n covers [floor(i n / o), ceil((i + 1) n / o)).

    Forward z = (bin sum) / |bin_h| / |bin_w|; backward dL/dx = g / (|bin_h| |bin_w|) spread
    over each bin (bins overlap where o does not divide n: those elements sum).
    """
    return _adaptive_avg("adaptive_avg_pool2d", input, output_size, 2)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """``adaptive_avg_pool2d`` along the last dim of (N, C, L) or (C, L)."""
    return _adaptive_avg("adaptive_avg_pool1d", input, output_size, 1)


def _adaptive_max(fn: str, input: Any, output_size: Any, return_indices: bool,
                  spatial: int) -> Any:
    x = _as_planes(fn, input, spatial)
    if x.dtype.kind != "f":
        raise _not_implemented(fn, x)
    out_size = _output_size(fn, output_size, x, spatial)
    index = P.adaptive_max_index(x._data, out_size)
    out = P.PlaneGather.apply(x, index=index, empty=None, fill=-np.inf,
                              unique=not P.adaptive_overlap(x.shape[2:], out_size))
    result = _restore(out, _as_tensor(input), spatial)
    if return_indices:
        return result, _index_like(index, _as_tensor(input), spatial)
    return result


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """The max over PyTorch's adaptive bins (as ``adaptive_avg_pool2d``'s).

    Forward z = max over the bin; backward dL/dx = g at the bin's argmax (the first of tied
    maxima in row-major order, the last NaN), summed where bins overlap. ``return_indices``:
    the argmax as flat indices into each H x W plane (int64).
    """
    return _adaptive_max("adaptive_max_pool2d", input, output_size, return_indices, 2)


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """``adaptive_max_pool2d`` along the last dim of (N, C, L) or (C, L)."""
    return _adaptive_max("adaptive_max_pool1d", input, output_size, return_indices, 1)
