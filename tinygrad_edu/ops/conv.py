"""Convolution as im2col + one matrix product; its transpose; unfold and fold.

Notation, for an input x (N, C, *spatial), a kernel W (OC, C/G, *k) with G groups, stride s,
dilation d, padding p, and the output positions o (L of them per sample)::

    unfold (im2col):  cols[(c, j), (n, o)] = xp[n, c, o * s + j * d]     (xp: x padded by 0)
    forward:          y[n, :, o] = W2 @ cols[:, (n, o)] + b,  W2 = W flattened to (OC, C k)
    backward:         grad_b = sum of grad_out over the batch and the pixels
                      grad_W = grad_out ⋆ x = G2 @ cols^T   (a correlation of the output
                               gradient with the input windows), G2[oc, (n, o)] = grad_out[n, oc, o]
                      grad_x = col2im(W2^T @ G2)            (the transposed convolution)

``col2im`` (``fold``) adds every column entry back to the element ``unfold`` read it from, so
it is unfold's transpose; ``Unfold`` and ``Fold`` are recorded ops that are each other's
backward. Convolution is bilinear in (x, W): its backward is matrix products of G2 with W
and with unfold(x), plus a fold, so under ``create_graph`` the same lines record a graph of
MatMul/Unfold/Fold nodes and every derivative order follows (the mixed x-W term included).
A transposed convolution is the same pieces in the other order: y = fold(W2^T @ x),
grad_x = W2 @ unfold(grad_out), grad_W = x ⋆ grad_out.

**Layout (speed).** im2col is a strided window view of the padded input (``windows``) and
ONE copy into the GEMM operand ``cols`` (C k, N L), row-major; the product W2 @ cols is one
BLAS call whose result (OC, N L) is channel-first. The output is returned as an (N, OC, ...)
*view* of it, no copy: batch norm after a convolution then reduces contiguous rows per
channel and the next im2col reads whole rows, as the hand-written step does
(``reference/cnn.py``). Gradients arriving in that layout are used without a copy, others
are copied once into it. col2im loops over the kernel's offsets only (``add_windows``). All
GEMM operands are C-contiguous copies or views, so the result's bits never depend on the
inputs' memory layout; float32 stays float32. Groups are one batched product (G, ., .).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .._sums import layout_sum, sum_rows
from ..autograd import Array, Function
from . import either
from .linalg import swap_last
from .windows import add_windows, windows

Ints = tuple[int, ...]
Pads = tuple[tuple[int, int], ...]


class Geometry(NamedTuple):
    """Where the windows of a convolution lie: the (unpadded) ``spatial`` size of its input,
    the zero ``pads`` (before, after) per dim, and ``blocks``, the window count per dim
    (a transposed convolution with output_padding >= stride uses fewer than fit)."""

    spatial: Ints
    kernel: Ints
    stride: Ints
    dilation: Ints
    pads: Pads
    blocks: Ints

    @property
    def taps(self) -> int:  # entries of one kernel window
        return math.prod(self.kernel)

    @property
    def positions(self) -> int:  # windows per sample (L)
        return math.prod(self.blocks)


def _padded_channel_first(x: Array, pads: Pads) -> Array:
    """x (N, C, *spatial) as (C, N, *padded): a view without padding, else one new array."""
    xc = np.swapaxes(x, 0, 1)
    if not any(a or b for a, b in pads):
        return xc
    shape = xc.shape[:2] + tuple(n + a + b for n, (a, b) in zip(xc.shape[2:], pads,
                                                                  strict=True))
    xp = np.zeros(shape, x.dtype)
    inside = tuple(slice(a, a + n) for n, (a, _) in zip(xc.shape[2:], pads, strict=True))
    xp[(slice(None), slice(None)) + inside] = xc
    return xp


def im2col(x: Array, geo: Geometry) -> Array:
    """(N, C, *spatial) -> the C-contiguous columns (C, *k, N, *blocks): entry
    [c, j, n, o] = xp[n, c, o * s + j * d]. A strided view and one copy."""
    nd = len(geo.kernel)
    xp = _padded_channel_first(x, geo.pads)
    view = windows(xp, geo.kernel, geo.stride, geo.dilation)  # (C, N, *out, *k), no copy
    if view.shape[2:2 + nd] != geo.blocks:
        view = view[(slice(None), slice(None)) + tuple(slice(0, b) for b in geo.blocks)]
    cols = np.empty(xp.shape[:1] + geo.kernel + xp.shape[1:2] + geo.blocks, x.dtype)
    cols[...] = view.transpose((0, *range(2 + nd, 2 + 2 * nd), 1, *range(2, 2 + nd)))
    return cols


def col2im(cols: Array, channels: int, geo: Geometry) -> Array:
    """The transpose of :func:`im2col`: cols (C k, N, L) of any layout -> (N, C, *spatial),
    each entry added to the element it was read from (a view of a new channel-first array)."""
    nd = len(geo.kernel)
    n = cols.shape[1]
    blocks = cols.reshape((channels,) + geo.kernel + (n,) + geo.blocks)  # splits: a view
    blocks = blocks.transpose((0, nd + 1, *range(nd + 2, 2 * nd + 2), *range(1, nd + 1)))
    padded = tuple(m + a + b for m, (a, b) in zip(geo.spatial, geo.pads, strict=True))
    xp = add_windows(blocks, (channels, n) + padded, geo.kernel, geo.stride, geo.dilation)
    inside = tuple(slice(a, a + m) for m, (a, _) in zip(geo.spatial, geo.pads, strict=True))
    return np.swapaxes(xp[(slice(None), slice(None)) + inside], 0, 1)


def _unfold_array(x: Array, geo: Geometry) -> Array:
    cols = im2col(x, geo).reshape(x.shape[1] * geo.taps, x.shape[0], geo.positions)
    return np.swapaxes(cols, 0, 1)


class Unfold(Function):
    """z = unfold(x): z[n, (c, j), o] = xp[n, c, o * s + j * d] (0 in the padding).
    dL/dx = fold(g): each entry of g added back to the element it was read from (``Fold``).

    The result is an (N, C k, L) view of the channel-first columns (C k, N, L)."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, geo: Geometry) -> Array:
        ctx.geo = geo
        return _unfold_array(x, geo)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return fold(grad, ctx.geo)


class Fold(Function):
    """z = fold(cols): z[n, c, p] = sum of cols[n, (c, j), o] over the (j, o) with
    o * s + j * d = p + pad (col2im).   dL/dcols = unfold(g) (``Unfold``)."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, cols: Array, geo: Geometry) -> Array:
        ctx.geo = geo
        return col2im(np.swapaxes(cols, 0, 1), cols.shape[1] // geo.taps, geo)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return unfold(grad, ctx.geo)


def unfold(x: Any, geo: Geometry) -> Any:
    """(N, C, *spatial) -> (N, C k, L), on arrays or (recorded) on Tensors."""
    return _unfold_array(x, geo) if either.is_array(x) else Unfold.apply(x, geo=geo)


def fold(cols: Any, geo: Geometry) -> Any:
    """(N, C k, L) -> (N, C, *spatial), on arrays or (recorded) on Tensors."""
    if either.is_array(cols):
        return col2im(np.swapaxes(cols, 0, 1), cols.shape[1] // geo.taps, geo)
    return Fold.apply(cols, geo=geo)


# ---------------------------------------------------------------------- shared pieces


def _columns(x: Any, geo: Geometry) -> Any:
    """unfold(x) as the GEMM operand (C k, N L)."""
    rows = x.shape[1] * geo.taps
    if either.is_array(x):
        return im2col(x, geo).reshape(rows, x.shape[0] * geo.positions)
    return Unfold.apply(x, geo=geo).transpose(0, 1).reshape(rows, x.shape[0] * geo.positions)


def _channel_rows(a: Any) -> Any:
    """(N, C, *spatial) -> (C, N * prod(spatial)): a view of channel-first memory, else one
    C-ordered copy (so the BLAS call, and its bits, do not depend on the layout)."""
    channels, count = a.shape[1], a.shape[0] * math.prod(a.shape[2:])
    if either.is_array(a):
        rows = np.swapaxes(a, 0, 1)
        if not rows.flags.c_contiguous:
            rows = np.ascontiguousarray(rows)
        return rows.reshape(channels, count)
    return a.transpose(0, 1).reshape(channels, count)


def _from_channel_rows(rows: Any, n: int, spatial: Ints) -> Any:
    """(C, N L) -> (N, C, *spatial), a view."""
    shaped = rows.reshape((rows.shape[0], n) + tuple(spatial))
    return np.swapaxes(shaped, 0, 1) if either.is_array(shaped) else shaped.transpose(0, 1)


def _by_group(a: Any, groups: int) -> Any:
    """(G m, k) -> (G, m, k) for a batched product per group (unchanged for one group)."""
    if groups == 1:
        return a
    return a.reshape((groups, a.shape[0] // groups, a.shape[1]))


def _flat(a: Any, groups: int) -> Any:
    """(G, m, k) -> (G m, k): undo :func:`_by_group`."""
    return a if groups == 1 else a.reshape((a.shape[0] * a.shape[1], a.shape[2]))


def _kernel_matrix(weight: Any, groups: int) -> Any:
    """W (A, B, *k) -> (G, A / G, B k) (or (A, B k)), C-ordered for BLAS."""
    if either.is_array(weight) and not weight.flags.c_contiguous:
        weight = np.ascontiguousarray(weight)
    return _by_group(weight.reshape((weight.shape[0], math.prod(weight.shape[1:]))), groups)


def _weight_grad(left: Any, right_t: Any, weight: Any, groups: int) -> Any:
    """left @ right_t (per group) in W's shape; on arrays written into a new C-ordered array
    of that shape, which the weight's .grad can keep without a copy."""
    if not either.is_array(left):
        return (left @ right_t).reshape(weight.shape)
    out = np.empty(weight.shape, left.dtype)
    np.matmul(left, right_t, out=out.reshape(left.shape[:-1] + right_t.shape[-1:]))
    return out


def _channel_sum(rows: Any) -> Any:
    """The bias gradient: each channel row of (C, N L) summed."""
    return sum_rows(rows) if either.is_array(rows) else rows.sum(1)


def _check_dtypes(op: str, x: Array, weight: Array, bias: Array | None) -> None:
    if x.dtype != weight.dtype or (bias is not None and bias.dtype != x.dtype):
        raise RuntimeError(f"{op}: expected input, weight and bias of one dtype, got "
                           f"{x.dtype}, {weight.dtype}"
                           + ("" if bias is None else f" and {bias.dtype}"))


# ---------------------------------------------------------------------- the ops


class Convolution(Function):
    """y = W ∗ x + b (``conv1d``/``conv2d``, any number of spatial dims): im2col + matmul.

    Forward:  cols = unfold(x) (C k, N L);  Y2 = W2 @ cols + b;  y = Y2 as (N, OC, *out);
    Backward: dL/dx = fold(W2^T @ G2)  (col2im: the transposed convolution),
              dL/dW = G2 @ cols^T      (grad_out ⋆ x: output gradient correlated with the
                                        input windows),
              dL/db = sum of G2 over the batch and the pixels,
    with G2 = grad_out as (OC, N L) and, for G groups, one product per group (block-diagonal
    W2). cols is kept from the forward for the array backward; under create_graph it is
    unfold(x) again, recorded, so the derivative in x of grad_W is part of the graph.
    """

    saved_from = (0, 1, None)  # x, W, and cols (= unfold(x), recomputed when recorded)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, weight: Array, bias: Array | None = None, *,
                geo: Geometry, groups: int) -> Array:
        _check_dtypes("conv", x, weight, bias)
        cols = _columns(x, geo)
        out = _flat(_kernel_matrix(weight, groups) @ _by_group(cols, groups), groups)
        if bias is not None:
            out += bias.reshape(-1, 1)  # out is new: add in place
        ctx.saved = (x, weight, cols)
        ctx.geo, ctx.groups = geo, groups
        return _from_channel_rows(out, x.shape[0], geo.blocks)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, ...]:
        x, weight, cols = ctx.saved
        geo, groups = ctx.geo, ctx.groups
        need = ctx.needs_input_grad
        g2 = _channel_rows(grad)  # (OC, N L)
        grad_x = grad_w = grad_b = None
        if len(need) > 2 and need[2]:
            grad_b = _channel_sum(g2)
        if need[1]:
            if not either.is_array(grad):  # recorded: cols as a function of x
                cols = _columns(x, geo)
            grad_w = _weight_grad(_by_group(g2, groups), swap_last(_by_group(cols, groups)),
                                  weight, groups)
        if need[0]:
            back = _flat(swap_last(_kernel_matrix(weight, groups)) @ _by_group(g2, groups),
                         groups)  # (C k, N L)
            back = back.reshape((back.shape[0], x.shape[0], geo.positions))
            grad_x = fold(back.transpose(0, 1) if not either.is_array(back)
                          else np.swapaxes(back, 0, 1), geo)
        return grad_x, grad_w, grad_b


class ConvTranspose(Function):
    """y = W^T ∗ x + b (``conv_transpose1d``/``conv_transpose2d``): the adjoint of ``Convolution``
    in x, with W (C_in, C_out / G, *k).

    Forward:  Y = fold(W2^T @ X2) + b,  X2 = x as (C_in, N L), W2 = W as (C_in, C_out k);
    Backward: dL/dx = W2 @ unfold(grad_out)      (a convolution of grad_out with W),
              dL/dW = X2 @ unfold(grad_out)^T    (x ⋆ grad_out),
              dL/db = sum of grad_out over the batch and the pixels.
    ``geo`` describes the convolution whose input is this op's output (spatial = output size,
    blocks = the input's size).
    """

    saved_from = (0, 1)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, weight: Array, bias: Array | None = None, *,
                geo: Geometry, groups: int) -> Array:
        _check_dtypes("conv_transpose", x, weight, bias)
        n = x.shape[0]
        x2 = _by_group(_channel_rows(x), groups)
        back = _flat(swap_last(_kernel_matrix(weight, groups)) @ x2, groups)  # (C_out k, N L)
        out_channels = back.shape[0] // geo.taps
        y = col2im(back.reshape((back.shape[0], n, geo.positions)), out_channels, geo)
        if bias is not None:
            y += bias.reshape((-1,) + (1,) * len(geo.kernel))  # y is a view of a new array
        ctx.saved = (x, weight)
        ctx.geo, ctx.groups = geo, groups
        return y

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, ...]:
        x, weight = ctx.saved
        geo, groups = ctx.geo, ctx.groups
        need = ctx.needs_input_grad
        gcols = _by_group(_columns(grad, geo), groups) if need[0] or need[1] else None
        grad_x = grad_w = grad_b = None  # gcols: unfold(grad_out), (C_out k, N L)
        if len(need) > 2 and need[2]:
            axes = (0, *range(2, grad.ndim))
            grad_b = layout_sum(grad, axes) if either.is_array(grad) else grad.sum(axes)
        if need[1]:
            grad_w = _weight_grad(_by_group(_channel_rows(x), groups), swap_last(gcols),
                                  weight, groups)
        if need[0]:
            rows = _flat(_kernel_matrix(weight, groups) @ gcols, groups)  # (C_in, N L)
            grad_x = _from_channel_rows(rows, x.shape[0], x.shape[2:])
        return grad_x, grad_w, grad_b
