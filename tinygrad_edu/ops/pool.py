"""Pooling over the last two dims of (N, C, H, W): max, average, adaptive average and max.

Every op here is linear in what flows backward, so each comes with its transpose, and the
two are each other's backward (as ``TakeAlongDim`` / ``PutAlongDim``): gradients are recorded
to any order under ``create_graph=True``.

* **max** = an argmax (NumPy, no gradient: ``max_pool_index``, ``adaptive_max_index``) and a
  gather at it (``PlaneGather``); the gather's backward puts the gradient back at the argmax
  (``PlaneScatter``), whose backward is the gather again. Indices are PyTorch's: flat
  positions ``h * W + w`` in each (H, W) plane, and the argmax follows PyTorch's scan of a
  window in row-major order with ``val > max or isnan(val)``: the *first* of tied maxima,
  the *last* NaN.
* **max, non-overlapping tiles** (stride = kernel, no padding or dilation: the CNN case) has
  its own op, ``MaxPoolTiled``: k*k ``np.maximum`` calls on strided views forward, and a
  backward that hands each window's gradient to the first slot equal to the max.
* **average** = a window sum divided by PyTorch's divisor (``AvgPool``); its backward spreads
  g / divisor over each window (col2im, ``AvgPoolBackward``), whose backward is the window
  average again.
* **adaptive average**: bins start = floor(i n / o), end = ceil((i + 1) n / o) per dim,
  summed as a band of gathers (``AdaptiveAvgPool``); the transpose is the same kind of band.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ..autograd import Array, Function
from . import either
from .windows import add_windows, windows

Ints = tuple[int, ...]
Pair = tuple[int, ...]  # (H, W): two ints

__all__ = ["pooled_size", "lowest", "max_pool_index", "adaptive_max_index", "PlaneGather",
           "PlaneScatter", "MaxPoolTiled", "tiled_index", "AvgPool", "AvgPoolBackward",
           "AdaptiveAvgPool", "AdaptiveAvgPoolBackward"]


def pooled_size(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's ``pooling_output_shape``: floor (or ceil) of (n + 2p - d (k - 1) - 1) / s,
    plus 1; in ceil mode the last window must start inside the input or the left padding."""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def lowest(dtype: np.dtype) -> Any:
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _padded(x: Array, out: Pair, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
            fill: Any) -> Array:
    """x with ``padding`` on both sides of each spatial dim, and on the right as much more as
    the last (ceil-mode) window needs; x itself when nothing is needed."""
    need = [(o - 1) * s + d * (k - 1) + 1 for o, s, d, k in
            zip(out, stride, dilation, kernel, strict=True)]
    size = [max(n + 2 * p, m) for n, p, m in zip(x.shape[2:], padding, need, strict=True)]
    if tuple(size) == x.shape[2:]:
        return x
    xp = np.full(x.shape[:2] + tuple(size), fill, dtype=x.dtype)
    xp[..., padding[0]:padding[0] + x.shape[2], padding[1]:padding[1] + x.shape[3]] = x
    return xp


# ---------------------------------------------------------------------- max: argmax + gather


def _first_valid(n: int, o: int, k: int, s: int, p: int, d: int) -> tuple[Array, Array]:
    """Per output position along one dim: the first kernel offset that lands inside the
    input (PyTorch's starting index) and whether any does (a window can miss the input when
    the dilation jumps over it)."""
    start = np.arange(o) * s - p
    first = np.where(start < 0, (-start + d - 1) // d, 0)
    return first, (first < k) & (start + first * d < n)


def _first_max(views: list[Array], best: Array, start: Any = None, low: Any = None) -> Array:
    """Which of ``views`` PyTorch's scan (``v > max or isnan(v)``, in order) picks at each
    element, given ``best``, their max with NaN propagated: the first view equal to it, the
    last NaN where it is NaN, and ``start`` where it is ``low`` (the padding's value: there
    padding ties with the input, and PyTorch keeps its starting index). int32 view numbers.

    One compare and one copy per view, backwards so the first equal view wins (measured on a
    (64, 32, 28, 28) float32 pool: 10.5 ms for 2x2 and 20 ms for 3x3 stride 2 windows, against
    19 and 46 ms for a literal scan with two masked copies per offset).
    """
    arg = np.full(best.shape, len(views) - 1, np.int32)
    hit = np.empty(best.shape, bool)
    for k in range(len(views) - 2, -1, -1):
        np.equal(views[k], best, out=hit)
        np.copyto(arg, k, where=hit)
    if best.dtype.kind == "f":
        nan = np.isnan(best)
        if nan.any():  # NaN equals nothing
            for k, v in enumerate(views):
                np.copyto(arg, k, where=nan & np.isnan(v))
    if start is not None:
        bottom = best == low
        if bottom.any():
            np.copyto(arg, start, where=bottom)
    return arg


def _max_of(views: list[Array]) -> Array:
    """The elementwise max of ``views`` (NaN propagates, as PyTorch's max pooling)."""
    best = views[0].copy() if len(views) == 1 else np.maximum(views[0], views[1])
    for v in views[2:]:
        np.maximum(best, v, out=best)
    return best


def max_pool_index(x: Array, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
                   ceil_mode: bool) -> tuple[Array, Array | None]:
    """The argmax of every window as PyTorch's flat index into its (H, W) plane, shape
    (N, C, OH, OW) int64, and the mask of empty windows (or None if there are none).

    PyTorch scans a window in row-major order and takes an element when ``v > max or
    isnan(v)``: the first of tied maxima, the last NaN (``_first_max``, a loop over the
    k_h k_w kernel offsets, each vectorized over all windows). Padding holds the dtype's
    lowest value; where the max is that value the index is the window's first element
    inside the input (PyTorch's starting index, also for windows that miss the input).
    """
    h, w = x.shape[2:]
    out = tuple(pooled_size(n, k, s, p, d, ceil_mode) for n, k, s, p, d in
                zip((h, w), kernel, stride, padding, dilation, strict=True))
    low = lowest(x.dtype)
    xp = _padded(x, out, kernel, stride, padding, dilation, low)
    cols = windows(xp, kernel, stride, dilation)[:, :, :out[0], :out[1]]
    (fh, okh), (fw, okw) = (_first_valid(n, o, k, s, p, d) for n, o, k, s, p, d in zip(
        (h, w), out, kernel, stride, padding, dilation, strict=True))
    views = [cols[..., i, j] for i, j in itertools.product(range(kernel[0]), range(kernel[1]))]
    arg = _first_max(views, _max_of(views), fh[:, None] * kernel[1] + fw[None, :], low)
    rows = np.arange(out[0]) * stride[0] - padding[0]
    base = rows[:, None] * w + (np.arange(out[1]) * stride[1] - padding[1])[None, :]
    offset = np.array([i * dilation[0] * w + j * dilation[1] for i, j in
                       itertools.product(range(kernel[0]), range(kernel[1]))], np.int64)
    index = base + offset[arg]
    empty = ~(okh[:, None] & okw[None, :])
    return index, (empty if empty.any() else None)


def _bins(n: int, o: int) -> tuple[Array, Array]:
    """Adaptive pooling's bins along one dim: starts floor(i n / o), lengths up to
    ceil((i + 1) n / o)."""
    i = np.arange(o)
    start = i * n // o
    return start, -(-(i + 1) * n // o) - start


def _bins_overlap(n: int, o: int) -> bool:
    start, length = _bins(n, o)
    return bool(np.any(start[1:] < (start + length)[:-1]))


def adaptive_max_index(x: Array, out: Pair) -> Array:
    """The argmax of every adaptive bin (PyTorch's flat plane index, int64), by PyTorch's
    rule: first of tied maxima, last NaN, in row-major order. Separable: each row's bin is
    scanned along W first (its max and where), then the row maxima along H; taking the first
    strictly larger row (or the last NaN row) keeps the row-major order of the full scan."""
    h, w = x.shape[2:]
    (sh, lh), (sw, lw) = _bins(h, out[0]), _bins(w, out[1])
    lead = x.shape[:2]

    def scan(values: Array, axis: int, start: Array, length: Array,
             shape: Ints) -> tuple[Array, Array]:
        best = np.full(shape, -np.inf, dtype=values.dtype)
        at = np.empty(shape, np.int64)
        at[...] = start if axis == -1 else start[:, None]
        n = values.shape[axis]
        for t in range(int(length.max(initial=0))):
            v = np.take(values, np.minimum(start + t, n - 1), axis=axis)
            take = (v > best) | np.isnan(v)
            take &= (length > t) if axis == -1 else (length > t)[:, None]
            np.copyto(best, v, where=take)
            np.copyto(at, start + t if axis == -1 else (start + t)[:, None], where=take)
        return best, at

    row_best, col = scan(x, -1, sw, lw, lead + (h, out[1]))
    _, row = scan(row_best, -2, sh, lh, lead + out)
    return row * w + np.take_along_axis(col, row, axis=-2)


def _flat(x: Any, planes: Ints) -> Any:
    return x.reshape(planes + (-1,))


def _gather(x: Array, index: Array, empty: Array | None, fill: Any) -> Array:
    n, c = x.shape[:2]
    hw = x.shape[2] * x.shape[3]
    flat_index = index.reshape(n, c, index.shape[2] * index.shape[3])
    if empty is not None:
        flat_index = np.minimum(flat_index, hw - 1)  # an empty window's index may point out
    out = np.take_along_axis(x.reshape(n, c, hw), flat_index, axis=2).reshape(index.shape)
    if empty is not None:
        out = np.where(empty, np.asarray(fill, out.dtype), out)
    return out


def _scatter(g: Array, index: Array, shape: Ints, empty: Array | None,
             unique: bool) -> Array:
    """zeros(shape) with each g added at its plane index: a plain assignment where no two
    windows share an element, else a bincount (float64 sums, rounded once)."""
    n, c, h, w = shape
    planes, hw = n * c, h * w
    windows_per_plane = index.shape[2] * index.shape[3]
    where = ((np.arange(planes, dtype=np.int64) * hw)[:, None]
             + index.reshape(planes, windows_per_plane))
    values = g.reshape(planes, windows_per_plane)
    if empty is not None:  # an empty window's -inf depends on no element: its g goes nowhere
        keep = np.broadcast_to(~empty.reshape(-1), where.shape)
        where, values = where[keep], values[keep]
    if unique:
        full = np.zeros(planes * hw, dtype=g.dtype)
        full[where.reshape(-1)] = values.reshape(-1)
    else:
        full = np.bincount(where.reshape(-1), weights=values.reshape(-1),
                           minlength=planes * hw).astype(g.dtype)
    return full.reshape(shape)


class PlaneGather(Function):
    """z[n, c, i, j] = x[n, c, index[n, c, i, j]] in the flattened (H, W) plane: the values
    of max pooling at its argmax (``fill`` where a window is ``empty``).
    dL/dx = g added at the index (``PlaneScatter``): the gradient goes to each window's
    argmax, and overlapping windows add up. The index is a constant of the derivative."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, index: Array, empty: Array | None, fill: float,
                unique: bool) -> Array:
        ctx.saved = (index,)
        ctx.shape, ctx.empty, ctx.unique = x.shape, empty, unique
        return _gather(x, index, empty, fill)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (index,) = ctx.saved
        if either.is_array(grad):
            return _scatter(grad, index, ctx.shape, ctx.empty, ctx.unique)
        return PlaneScatter.apply(grad, index=index, shape=ctx.shape, empty=ctx.empty,
                                  unique=ctx.unique)


class PlaneScatter(Function):
    """z = zeros(shape) with x[n, c, i, j] added at index[n, c, i, j] of each flattened
    plane (max pooling's backward).   dL/dx = g gathered at the index (``PlaneGather``)."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, index: Array, shape: Ints, empty: Array | None,
                unique: bool) -> Array:
        ctx.saved = (index,)
        ctx.empty, ctx.unique = empty, unique
        return _scatter(x, index, shape, empty, unique)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (index,) = ctx.saved
        if either.is_array(grad):
            return _gather(grad, index, ctx.empty, 0.0)
        return PlaneGather.apply(grad, index=index, empty=ctx.empty, fill=0.0,
                                 unique=ctx.unique)


# ---------------------------------------------------------------------- max: the tiled case


def _slots(x: Array, kernel: Pair, out: Pair) -> list[Array]:
    """The k_h k_w strided views x[..., i::k_h, j::k_w] of the tiled part, row-major."""
    return [x[..., i:out[0] * kernel[0]:kernel[0], j:out[1] * kernel[1]:kernel[1]]
            for i, j in itertools.product(range(kernel[0]), range(kernel[1]))]


def _winner(x: Array, out: Array, kernel: Pair) -> Array:
    """Which slot of each tile PyTorch's scan picks (row-major slot number, int32)."""
    return _first_max(_slots(x, kernel, out.shape[2:]), out)


def tiled_index(x: Array, out: Array, kernel: Pair) -> Array:
    """PyTorch's flat plane indices of the tiled max pool's argmax."""
    slot = _winner(x, out, kernel)
    oh, ow = out.shape[2:]
    i, j = slot // kernel[1], slot % kernel[1]
    rows = (np.arange(oh) * kernel[0])[:, None] + i
    return (rows * x.shape[3] + (np.arange(ow) * kernel[1])[None, :] + j).astype(np.int64)


class MaxPoolTiled(Function):
    """z = max of each k_h x k_w tile (stride = kernel, no padding, floor mode).
    dz/dx = 1 at the tile's argmax (the first slot equal to z; the last NaN if z is NaN),
    0 elsewhere.

    Forward: one ``np.maximum`` per slot on strided views (no window copy; NaN propagates).
    Array backward: the gradient still unclaimed ("rest") goes to the first slot equal to z,
    slot by slot, and whatever is left to the last slot -- the max is somewhere, so where no
    earlier slot equals it the last one does (up to NaN tiles, fixed after). Recorded
    backward: the index of each winner and ``PlaneScatter``. x and z are constants of it.
    """

    saved_from = (None, None)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, kernel: Pair) -> Array:
        out_hw = (x.shape[2] // kernel[0], x.shape[3] // kernel[1])
        out = _max_of(_slots(x, kernel, out_hw))
        ctx.saved = (x, out)
        ctx.kernel = kernel
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, out = (either.value_of(v) for v in ctx.saved)
        return PlaneScatter.apply(grad, index=tiled_index(x, out, ctx.kernel), shape=x.shape,
                                  empty=None, unique=True)

    @staticmethod
    def array_backward(ctx: Any, grad: Array) -> Array:
        x, out = ctx.saved
        kernel, out_hw = ctx.kernel, out.shape[2:]
        exact = out_hw[0] * kernel[0] == x.shape[2] and out_hw[1] * kernel[1] == x.shape[3]
        dx = (np.empty if exact else np.zeros)(x.shape, dtype=grad.dtype)
        # On the bits of the floats (an unsigned view of any layout): the slot's share is
        # rest * [slot == z] (x 1 or x 0 of integers: NaN and inf move as bits), and xor
        # takes it out of rest. Measured on a (64, 32, 28, 28) float32 2x2 pool: 5.1 ms,
        # against 10.9 ms for np.where pairs and 15.8 ms for the reference's masks.
        bits = np.dtype(f"u{grad.dtype.itemsize}")
        slots, dslots = _slots(x, kernel, out_hw), _slots(dx.view(bits), kernel, out_hw)
        hit = np.empty(out.shape, bool)
        rest = grad.view(bits)
        for k, (s, d) in enumerate(zip(slots[:-1], dslots[:-1], strict=True)):
            np.equal(s, out, out=hit)
            np.multiply(rest, hit, out=d)
            rest = np.bitwise_xor(rest, d, out=None if k == 0 else rest)
        dslots[-1][...] = rest
        nan = np.isnan(out)
        if nan.any():  # NaN equals nothing: its gradient went to the last slot
            slot = _winner(x, out, kernel)
            zero = np.zeros((), grad.dtype)
            for k, d in enumerate(_slots(dx, kernel, out_hw)):
                d[...] = np.where(nan, np.where(slot == k, grad, zero), d)
        return dx


# ---------------------------------------------------------------------- average


def _avg_divisor(in_hw: Pair, out: Pair, kernel: Pair, stride: Pair, padding: Pair,
                 count_include_pad: bool, divisor_override: int | None,
                 dtype: np.dtype) -> Array:
    """PyTorch's divisor per window, (OH, OW): the window clipped to the padded input (with
    count_include_pad), or to the input itself (without), or ``divisor_override``."""
    if divisor_override is not None:
        return np.asarray(divisor_override, dtype)
    sizes = []
    for n, o, k, s, p in zip(in_hw, out, kernel, stride, padding, strict=True):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        sizes.append(np.maximum(end - start, 1))
    return (sizes[0][:, None] * sizes[1][None, :]).astype(dtype)


def _window_sum(x: Array, out: Pair, kernel: Pair, stride: Pair, padding: Pair) -> Array:
    """The sum of each window of the zero-padded x, offset by offset (the row-major order
    in which PyTorch adds a window up)."""
    xp = _padded(x, out, kernel, stride, padding, (1, 1), 0)
    cols = windows(xp, kernel, stride, (1, 1))[:, :, :out[0], :out[1]]
    total = cols[..., 0, 0].copy()
    with np.errstate(invalid="ignore"):  # inf + -inf is NaN, as in PyTorch, without a warning
        for i, j in itertools.islice(itertools.product(range(kernel[0]), range(kernel[1])), 1,
                                     None):
            total += cols[..., i, j]
    return total


def _spread(g: Array, shape: Ints, kernel: Pair, stride: Pair, padding: Pair) -> Array:
    """The transpose of ``_window_sum``: each g added to every element of its window."""
    out = g.shape[2:]
    need = [(o - 1) * s + k for o, s, k in zip(out, stride, kernel, strict=True)]
    size = tuple(max(n + 2 * p, m) for n, p, m in zip(shape[2:], padding, need, strict=True))
    cols = np.broadcast_to(g[..., None, None], g.shape + kernel)
    full = add_windows(cols, shape[:2] + size, kernel, stride, (1, 1))
    return full[..., padding[0]:padding[0] + shape[2], padding[1]:padding[1] + shape[3]]


class AvgPool(Function):
    """z = (sum of the window's elements, zero padding included) / divisor.
    dz/dx = 1 / divisor for every element of the window (``AvgPoolBackward``: g / divisor
    spread over each window, col2im; overlapping windows add up).

    The divisor is PyTorch's: the window clipped to the padded input (count_include_pad),
    or to the input (not), or ``divisor_override``. int64 input: the sum is divided with
    truncation, as PyTorch's integer division.
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, kernel: Pair, stride: Pair, padding: Pair,
                ceil_mode: bool, count_include_pad: bool,
                divisor_override: int | None) -> Array:
        out = tuple(pooled_size(n, k, s, p, 1, ceil_mode) for n, k, s, p in
                    zip(x.shape[2:], kernel, stride, padding, strict=True))
        settings = (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
        ctx.settings, ctx.shape = settings, x.shape
        divisor = _avg_divisor(x.shape[2:], out, kernel, stride, padding, count_include_pad,
                               divisor_override, x.dtype)
        total = _window_sum(x, out, kernel, stride, padding)
        if x.dtype.kind != "f":  # C's integer division truncates towards 0
            quotient = np.abs(total) // np.abs(divisor)
            return np.where((total < 0) != (divisor < 0), -quotient, quotient)
        total /= divisor
        return total

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        if either.is_array(grad):
            return _avg_transpose(grad, ctx.shape, *ctx.settings)
        return AvgPoolBackward.apply(grad, shape=ctx.shape, settings=ctx.settings)


def _avg_transpose(g: Array, shape: Ints, kernel: Pair, stride: Pair, padding: Pair,
                   ceil_mode: bool, count_include_pad: bool,
                   divisor_override: int | None) -> Array:
    divisor = _avg_divisor(shape[2:], g.shape[2:], kernel, stride, padding, count_include_pad,
                           divisor_override, g.dtype)
    return _spread(g / divisor, shape, kernel, stride, padding)


class AvgPoolBackward(Function):
    """z = g / divisor spread over each window of an input of ``shape`` (avg pooling's
    backward).   dL/dg = the window average of the incoming gradient (``AvgPool``)."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, g: Array, shape: Ints, settings: tuple[Any, ...]) -> Array:
        ctx.settings = settings
        return _avg_transpose(g, shape, *settings)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        if either.is_array(grad):
            return AvgPool.forward(_Scratch(), grad, *ctx.settings)
        return AvgPool.apply(grad, **dict(zip(_AVG_NAMES, ctx.settings, strict=True)))


_AVG_NAMES = ("kernel", "stride", "padding", "ceil_mode", "count_include_pad",
              "divisor_override")


class _Scratch:
    """A throwaway ctx, for running a forward as plain math."""


# ---------------------------------------------------------------------- adaptive average


def _band_sum(x: Array, axis: int, start: Array, length: Array) -> Array:
    """y[..., i, ...] = sum of x[..., start[i] + t, ...] for t < length[i] along ``axis``
    (-1 or -2): one gather per t, the ragged ends selected away (not multiplied)."""
    n = x.shape[axis]
    total: Array | None = None
    for t in range(int(length.max(initial=0))):
        part = np.take(x, np.minimum(start + t, n - 1), axis=axis)
        short = length <= t
        if short.any():
            part = np.where(short if axis == -1 else short[:, None], np.zeros((), x.dtype),
                            part)
        total = part if total is None else np.add(total, part, out=total)
    if total is None:  # no output positions
        shape = list(x.shape)
        shape[axis] = len(start)
        return np.zeros(shape, x.dtype)
    return total


def _transpose_bins(n: int, o: int) -> tuple[Array, Array]:
    """For each input position h: the first bin containing it and how many bins do (the
    bins of ``_bins`` overlap where n / o is not an integer)."""
    start, length = _bins(n, o)
    h = np.arange(n)
    first = np.searchsorted(start + length, h, side="right")
    last = np.searchsorted(start, h, side="right") - 1
    return first, last - first + 1


def _adaptive_avg(x: Array, out: Pair) -> Array:
    h, w = x.shape[2:]
    (sh, lh), (sw, lw) = _bins(h, out[0]), _bins(w, out[1])
    total = _band_sum(_band_sum(x, -1, sw, lw), -2, sh, lh)
    return total / lh.astype(x.dtype)[:, None] / lw.astype(x.dtype)  # PyTorch: sum / kh / kw


def _adaptive_avg_transpose(g: Array, shape: Ints) -> Array:
    h, w = shape[2:]
    oh, ow = g.shape[2:]
    _, lh = _bins(h, oh)
    _, lw = _bins(w, ow)
    scaled = g / lh.astype(g.dtype)[:, None] / lw.astype(g.dtype)
    (fh, ch), (fw, cw) = _transpose_bins(h, oh), _transpose_bins(w, ow)
    return _band_sum(_band_sum(scaled, -2, fh, ch), -1, fw, cw)


class AdaptiveAvgPool(Function):
    """z[i, j] = sum of x over bin_h(i) x bin_w(j) / |bin_h(i)| / |bin_w(j)|, with
    bin(i) = [floor(i n / o), ceil((i + 1) n / o)).
    dz/dx = 1 / (|bin_h| |bin_w|) on the bin (``AdaptiveAvgPoolBackward``)."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, output_size: Pair) -> Array:
        ctx.shape = x.shape
        return _adaptive_avg(x, output_size)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        if either.is_array(grad):
            return _adaptive_avg_transpose(grad, ctx.shape)
        return AdaptiveAvgPoolBackward.apply(grad, shape=ctx.shape)


class AdaptiveAvgPoolBackward(Function):
    """z = g / (|bin_h| |bin_w|) spread over each bin of an input of ``shape``.
    dL/dg = the adaptive average of the incoming gradient (``AdaptiveAvgPool``)."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, g: Array, shape: Ints) -> Array:
        ctx.output_size = g.shape[2:]
        return _adaptive_avg_transpose(g, shape)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        if either.is_array(grad):
            return _adaptive_avg(grad, ctx.output_size)
        return AdaptiveAvgPool.apply(grad, output_size=ctx.output_size)


def windows_overlap(kernel: Pair, stride: Pair, dilation: Pair) -> bool:
    """True if two windows can share an element (then gradients add up at it)."""
    return any(s < d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation, strict=True))


def adaptive_overlap(in_hw: Pair, out: Pair) -> bool:
    return any(_bins_overlap(n, o) for n, o in zip(in_hw, out, strict=True))

