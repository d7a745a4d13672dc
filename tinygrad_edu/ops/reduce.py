"""Reductions. ``dim`` is None (all axes), an int or a tuple of ints, as in PyTorch.

Their backward puts the reduced axes back (as size 1) and lets broadcasting spread the
gradient over them: ``restore_axes`` is the one helper they share.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._sums import layout_sum
from ..autograd import Array, Function
from ..autograd.graph import OUT
from . import either

Axes = tuple[int, ...]


def max_keepdims(x: Array, axes: int | Axes) -> Array:
    """``x.max(axes, keepdims=True)``, also over size-0 axes (-inf there, NumPy refuses)."""
    if x.size == 0:
        return np.max(x, axis=axes, keepdims=True, initial=-np.inf)
    return x.max(axis=axes, keepdims=True)


def restore_axes(grad: Any, axes: Axes, keepdim: bool) -> Any:
    """Give the output gradient its reduced axes back as size-1 axes (undo keepdim=False)."""
    if keepdim:
        return grad
    if isinstance(grad, (np.ndarray, np.generic)):
        return np.expand_dims(grad, axes)
    shape = list(grad.shape)  # a Tensor (create_graph): a recorded reshape
    for axis in sorted(a % (grad.ndim + len(axes)) for a in axes):
        shape.insert(axis, 1)
    return grad.reshape(tuple(shape))


def kept(value: Any, ctx: Any) -> Any:
    """``restore_axes`` for an op whose forward noted the shape with the reduced axes kept
    (``ctx.kept_shape``): one reshape, for arrays and Tensors alike (np.expand_dims costs
    3.4 us here, a reshape 0.2 us)."""
    return value if ctx.keepdim else value.reshape(ctx.kept_shape)


def spread(grad: Any, shape: tuple[int, ...]) -> Any:
    """``grad`` broadcast to ``shape`` (a read-only view for arrays, ``expand`` for Tensors)."""
    if isinstance(grad, (np.ndarray, np.generic)):
        return np.broadcast_to(grad, shape)
    return grad.expand(*shape)


class Sum(Function):
    """z = sum over axes of x.   dz/dx = 1 for every element summed."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, axes: Axes, keepdim: bool) -> Array:
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return layout_sum(x, axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        return spread(restore_axes(grad, ctx.axes, ctx.keepdim), ctx.shape)


class Mean(Function):
    """z = sum over axes of x / n.   dz/dx = 1 / n."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, axes: Axes, keepdim: bool) -> Array:
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        ctx.count = int(np.prod([x.shape[a] for a in axes]))
        if ctx.count == 0:  # the mean of nothing is nan (0 / 0), as PyTorch
            shape = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
            out = np.full(shape, np.nan, dtype=x.dtype)
            return out if keepdim else np.squeeze(out, axis=axes)
        return layout_sum(x, axes, keepdims=keepdim) / x.dtype.type(ctx.count)

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        count = np.asarray(ctx.count, grad.dtype)
        if ctx.count == 0:  # spread onto nothing first, as PyTorch: no 1/0 for a 2nd derivative
            return spread(restore_axes(grad, ctx.axes, ctx.keepdim), ctx.shape) / count
        return spread(restore_axes(grad, ctx.axes, ctx.keepdim) / count, ctx.shape)


class _Extreme(Function):
    """z = max (or min) over axes of x.   dz/dx = [x == z] / (number of extremes): ties share
    the gradient evenly, as PyTorch's ``amax``/``amin`` do (and, as there, the share is a
    product ``g / count * [x == z]``: a NaN gradient reaches every element).

    x and z are saved as constants (``saved_from`` None): the mask and the count do not change
    with x almost everywhere, so the recorded backward is linear in g.
    """

    pick = staticmethod(np.max)
    saved_from = (None, None)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, axes: Axes, keepdim: bool) -> Array:
        out = type(ctx).pick(x, axis=axes, keepdims=True)
        ctx.saved = (x, out)
        ctx.axes, ctx.keepdim, ctx.kept_shape = axes, keepdim, out.shape
        return out if keepdim else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, out = ctx.saved
        hit = x == out
        count = hit.sum(axis=ctx.axes, keepdims=True).astype(grad.dtype)
        return kept(grad, ctx) / count * hit


class Amax(_Extreme):
    """z = max over axes of x (``amax``)."""

    pick = staticmethod(np.max)


class Amin(_Extreme):
    """z = min over axes of x (``amin``)."""

    pick = staticmethod(np.min)


class _ExtremeOfAll(Function):
    """z = the largest (or smallest) element of x: ``max()`` / ``min()`` without a dim.

    dz/dx = [x == z] / (number of extremes), placed by selection (PyTorch's
    ``evenly_distribute_backward``): elements that are not extremes get exactly 0. If z is NaN
    (x holds a NaN), the NaN elements are the extremes. x and z are constants of the
    derivative (``saved_from`` None), as for ``amax``.
    """

    pick = staticmethod(np.max)
    saved_from = (None, None)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:  # (Tensor.max refuses an empty x first)
        out = type(ctx).pick(x)
        ctx.saved = (x, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, out = ctx.saved
        hit = np.isnan(x) if np.isnan(out) else x == out
        share = grad / hit.sum().astype(grad.dtype)
        # np.where itself on arrays: either.where's Tensor test costs 0.7 us (4%) here
        select = np.where if isinstance(grad, (np.ndarray, np.generic)) else either.where
        return select(hit, share, np.zeros((), grad.dtype))


class Max(_ExtremeOfAll):
    """``max()``: the largest element."""

    pick = staticmethod(np.max)


class Min(_ExtremeOfAll):
    """``min()``: the smallest element."""

    pick = staticmethod(np.min)


def _put_along(x: Array, index: Array, dim: int, shape: tuple[int, ...]) -> Array:
    """zeros(shape) with x added at ``index`` along ``dim`` (a scatter-add: repeats add up)."""
    full = np.zeros(shape, dtype=x.dtype)
    if index.shape[dim] == 1:  # one pick per slice (max/min(dim)): no repeats, a plain put
        np.put_along_axis(full, index, x, axis=dim)
    else:
        grids = list(np.ix_(*(np.arange(n) for n in index.shape)))
        grids[dim] = index
        np.add.at(full, tuple(grids), np.broadcast_to(x, index.shape))
    return full


def put_along_dim(x: Any, index: Array, dim: int, shape: tuple[int, ...]) -> Any:
    """``_put_along`` on arrays, a recorded ``PutAlongDim`` on Tensors."""
    if either.is_array(x):
        return _put_along(x, index, dim, shape)
    return PutAlongDim.apply(x, index=index, dim=dim, shape=shape)


class TakeAlongDim(Function):
    """z = x[..., i, ...]: one element per slice along ``dim``, at ``index`` (this is how
    ``x.max(dim)`` / ``x.min(dim)`` pick their values).   dz/dx = 1 at the index, 0 elsewhere
    (``PutAlongDim``: g added at the index into zeros).

    So on ties the whole gradient goes to the index returned (the first maximum), as PyTorch's
    ``max(dim)`` does. The index is a constant of the derivative.
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, index: Array, dim: int, keepdim: bool) -> Array:
        # index has x's ndim (size 1 along dim for max/min)
        ctx.saved = (index,)
        ctx.shape, ctx.dim, ctx.keepdim, ctx.kept_shape = x.shape, dim, keepdim, index.shape
        out = np.take_along_axis(x, index, axis=dim)
        return out if keepdim else np.squeeze(out, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (index,) = ctx.saved
        return put_along_dim(kept(grad, ctx), index, ctx.dim, ctx.shape)


class PutAlongDim(Function):
    """z = zeros(shape) with x added at ``index`` along ``dim`` (TakeAlongDim's backward).
    dL/dx = g[..., i, ...] at the same index (``TakeAlongDim``): each is the other's backward,
    so gradients of max(dim) are recorded to any order."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, index: Array, dim: int, shape: tuple[int, ...]) -> Array:
        ctx.saved = (index,)
        ctx.dim = dim
        return _put_along(x, index, dim, shape)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (index,) = ctx.saved
        if either.is_array(grad):
            return np.take_along_axis(grad, index, axis=ctx.dim)
        return TakeAlongDim.apply(grad, index=index, dim=ctx.dim, keepdim=True)


def _variance(ctx: Any, x: Array, axes: Axes, correction: int, whole: bool) -> Array:
    """sum((x - mean)^2) / (n - correction) with the reduced axes kept; saves x - mean (for
    the array backward) and x (from which the recorded backward takes x - mean again)."""
    n = int(np.prod([x.shape[a] for a in axes]))
    mean = layout_sum(x, axes, keepdims=True) / x.dtype.type(n) if x.size else x
    if x.size:  # equal values: their mean exactly (sum / n can be 1 ulp off, as Welford is not)
        first = x[tuple(slice(0, 1) if i in axes else slice(None) for i in range(x.ndim))]
        mean = np.where((x == first).all(axis=axes, keepdims=True), first, mean)
    centered = x - mean if x.size else x
    ctx.saved = (centered, x)
    ctx.axes = axes
    # As PyTorch: the forward divides by max(n - correction, 0) (n <= correction gives nan or
    # inf), the derivative by n - correction itself (so it is finite unless they are equal).
    ctx.dof = n - correction
    ctx.all_elements = whole  # dim=None or a 0-d input (PyTorch's rule for the derivative)
    if ctx.dof <= 0 and ctx.all_elements:  # for the backward's x == mean test (inf - inf)
        ctx.at_mean = x == mean
    with np.errstate(divide="ignore", invalid="ignore"):
        return layout_sum(centered * centered, axes, keepdims=True) / x.dtype.type(
            max(ctx.dof, 0))


def _variance_backward(ctx: Any, grad: Any) -> Any:
    """dvar/dx = 2 (x - mean) / (n - correction), times ``grad`` (reduced axes kept).

    As PyTorch, a reduction over every element with n <= correction gives grad * nan where
    x equals the mean and grad * inf elsewhere (2 / (n - correction) is no longer a number).
    Recorded (Tensors), x - mean is computed again from x, as PyTorch's ``var_backward``
    does: its derivative, 1 - 1/n, is part of the second derivative.
    """
    if ctx.dof <= 0 and ctx.all_elements:
        return grad * np.where(ctx.at_mean, np.asarray(np.nan, grad.dtype),
                               np.asarray(np.inf, grad.dtype))
    with np.errstate(divide="ignore"):
        scale = np.asarray(2 / ctx.dof if ctx.dof else np.inf, dtype=grad.dtype)
    centered, x = ctx.saved[0], ctx.saved[1]
    if not either.is_array(x):
        centered = x - x.mean(ctx.axes, keepdim=True)
    return scale * grad * centered


class Var(Function):
    """z = sum((x - mean)^2) / (n - correction).   dz/dx = 2 (x - mean) / (n - correction)."""

    saved_from = (None, 0)  # x - mean (the array backward's), x
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, axes: Axes, correction: int, keepdim: bool,
                whole: bool) -> Array:
        ctx.keepdim = keepdim
        out = _variance(ctx, x, axes, correction, whole)
        ctx.kept_shape = out.shape
        return out if keepdim else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return _variance_backward(ctx, kept(grad, ctx))


class Std(Function):
    """z = sqrt(var(x)).   dz/dx = dvar/dx / (2 z)  -- and 0 where z = 0.

    One node rather than var().sqrt(): where every value along the axes is equal, z = 0 and
    the chain rule would give 0 * (1 / 0) = nan; the derivative is taken as 0 there, as
    PyTorch does (selected, so the recorded backward is PyTorch's ``std_backward``).
    """

    saved_from = (None, 0, OUT)  # x - mean, x, z (kept with the reduced axes)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, axes: Axes, correction: int, keepdim: bool,
                whole: bool) -> Array:
        ctx.keepdim = keepdim
        out = np.sqrt(_variance(ctx, x, axes, correction, whole))
        ctx.kept_shape = out.shape
        if not keepdim:
            out = np.squeeze(out, axis=axes)
        ctx.saved = (*ctx.saved, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        out, grad = kept(ctx.saved[2], ctx), kept(grad, ctx)
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_var = either.where(out == 0, np.zeros((), grad.dtype),  # (a constant mask)
                                    grad / (2 * out))
        return _variance_backward(ctx, grad_var)


class LogSumExp(Function):
    """z = log(sum(e^x)), computed as m + log(sum(e^(x - m))) with m = max(x).
    dz/dx = e^(x - z) = softmax(x)."""

    saved_from = (0, OUT)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, axes: Axes, keepdim: bool) -> Array:
        if x.dtype.kind != "f":  # int and bool inputs: float32, as PyTorch (NumPy: float64)
            x = x.astype(np.float32)
        m = max_keepdims(x, axes)
        m = np.where(np.isfinite(m), m, 0)  # all -inf along an axis: keep -inf, not nan
        with np.errstate(divide="ignore"):  # an empty sum: log(0) = -inf, as PyTorch
            out = m + np.log(layout_sum(np.exp(x - m), axes, keepdims=True))
        ctx.axes, ctx.keepdim, ctx.kept_shape = axes, keepdim, out.shape
        if not keepdim:
            out = np.squeeze(out, axis=axes)
        ctx.saved = (x, out)  # the output itself (saved_from OUT)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, out = ctx.saved
        return kept(grad, ctx) * either.exp(x - kept(out, ctx))
