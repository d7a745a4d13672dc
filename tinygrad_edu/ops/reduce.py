"""Reductions. ``dim`` is None (all axes), an int or a tuple of ints, as in PyTorch.

Their backward puts the reduced axes back (as size 1) and lets broadcasting spread the
gradient over them: ``restore_axes`` is the one helper they share.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Array, Function

Axes = tuple[int, ...]


def normalize_dims(dim: int | tuple[int, ...] | list[int] | None, ndim: int) -> Axes:
    """PyTorch ``dim`` -> sorted non-negative NumPy axes; ``None`` means every axis."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    axes = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"Dimension out of range (expected to be in range of "
                f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {d})"
            )
        axes.append(int(d) % max(ndim, 1))
    if ndim == 0:
        return ()
    return tuple(sorted(set(axes)))


def restore_axes(grad: Array, axes: Axes, keepdim: bool) -> Array:
    """Give the output gradient its reduced axes back as size-1 axes (undo keepdim=False)."""
    return grad if keepdim else np.expand_dims(grad, axes)


class Sum(Function):
    """z = sum over axes of x.   dz/dx = 1 for every element summed."""

    @staticmethod
    def forward(ctx: Any, x: Array, axes: Axes, keepdim: bool) -> Array:
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return x.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        return np.broadcast_to(restore_axes(grad, ctx.axes, ctx.keepdim), ctx.shape)


class Mean(Function):
    """z = sum over axes of x / n.   dz/dx = 1 / n."""

    @staticmethod
    def forward(ctx: Any, x: Array, axes: Axes, keepdim: bool) -> Array:
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        ctx.count = int(np.prod([x.shape[a] for a in axes]))
        return x.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        grad = restore_axes(grad, ctx.axes, ctx.keepdim) / np.asarray(ctx.count, grad.dtype)
        return np.broadcast_to(grad, ctx.shape)


class _Extreme(Function):
    """z = max (or min) over axes of x.   dz/dx = [x == z] / (number of extremes): ties share
    the gradient evenly, as PyTorch's ``max()`` without ``dim`` and ``amax`` do."""

    pick = staticmethod(np.max)

    @staticmethod
    def forward(ctx: Any, x: Array, axes: Axes, keepdim: bool) -> Array:
        out = type(ctx).pick(x, axis=axes, keepdims=True)
        ctx.saved = (x, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        return out if keepdim else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        x, out = ctx.saved
        hit = x == out
        share = hit / hit.sum(axis=ctx.axes, keepdims=True)
        return (restore_axes(grad, ctx.axes, ctx.keepdim) * share).astype(grad.dtype)


class Amax(_Extreme):
    """z = max over axes of x (``amax``, ``max()`` without dim)."""

    pick = staticmethod(np.max)


class Amin(_Extreme):
    """z = min over axes of x (``amin``, ``min()`` without dim)."""

    pick = staticmethod(np.min)


class TakeAlongDim(Function):
    """z = x[..., i, ...]: one element per slice along ``dim``, at ``index`` (this is how
    ``x.max(dim)`` / ``x.min(dim)`` pick their values).   dz/dx = 1 at the index, 0 elsewhere.

    So on ties the whole gradient goes to the index returned (the first maximum), as PyTorch's
    ``max(dim)`` does.
    """

    @staticmethod
    def forward(ctx: Any, x: Array, index: Array, dim: int, keepdim: bool) -> Array:
        # index has x's shape with size 1 along dim
        ctx.saved = (index,)
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        out = np.take_along_axis(x, index, axis=dim)
        return out if keepdim else np.squeeze(out, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        (index,) = ctx.saved
        full = np.zeros(ctx.shape, dtype=grad.dtype)
        np.put_along_axis(full, index, restore_axes(grad, (ctx.dim,), ctx.keepdim), axis=ctx.dim)
        return full


class Var(Function):
    """z = sum((x - mean)^2) / (n - correction).   dz/dx = 2 (x - mean) / (n - correction)."""

    @staticmethod
    def forward(ctx: Any, x: Array, axes: Axes, correction: int, keepdim: bool) -> Array:
        centered = x - x.mean(axis=axes, keepdims=True)
        n = int(np.prod([x.shape[a] for a in axes]))
        ctx.saved = (centered,)
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.divisor = max(n - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):  # n <= correction gives nan/inf
            return (centered * centered).sum(axis=axes, keepdims=keepdim) / ctx.divisor

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        (centered,) = ctx.saved
        scale = np.asarray(2 / ctx.divisor if ctx.divisor else np.nan, dtype=grad.dtype)
        return restore_axes(grad, ctx.axes, ctx.keepdim) * centered * scale


class LogSumExp(Function):
    """z = log(sum(e^x)), computed as m + log(sum(e^(x - m))) with m = max(x).
    dz/dx = e^(x - z) = softmax(x)."""

    @staticmethod
    def forward(ctx: Any, x: Array, axes: Axes, keepdim: bool) -> Array:
        m = x.max(axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)  # all -inf along an axis: keep -inf, not nan
        out = m + np.log(np.exp(x - m).sum(axis=axes, keepdims=True))
        ctx.saved = (x, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        return out if keepdim else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        x, out = ctx.saved
        return restore_axes(grad, ctx.axes, ctx.keepdim) * np.exp(x - out)
