"""The pieces of the distance functions (``F.pairwise_distance``, ``F.cosine_similarity`` and the
losses built on them): a p-norm along one axis with PyTorch's derivative, and a clamp of a value
that the derivative does not see (how PyTorch floors cosine_similarity's norms)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._sums import layout_sum
from ..autograd import Array, Function
from ..autograd.graph import OUT
from . import either


def _norm_array(x: Array, axis: int, p: float) -> Array:
    """||x||_p along ``axis`` (kept as size 1)."""
    if p == 2:
        return np.sqrt(layout_sum(x * x, axis, keepdims=True))
    size = np.abs(x)
    if p == 1:
        return layout_sum(size, axis, keepdims=True)
    if math.isinf(p):
        pick = np.max if p > 0 else np.min
        return pick(size, axis=axis, keepdims=True)
    if p == 0:
        return layout_sum((x != 0).astype(x.dtype), axis, keepdims=True)
    with np.errstate(divide="ignore"):  # |0|^p for p < 0 is inf, as PyTorch's
        return layout_sum(size ** x.dtype.type(p), axis, keepdims=True) ** x.dtype.type(1 / p)


class VectorNorm(Function):
    """n = ||x||_p = (sum_i |x_i|^p)^(1/p) along ``axis`` (p = 2 by default; 1, inf, 0 and any
    other p as ``torch.norm``). dn/dx as PyTorch's norm_backward writes it (g the incoming
    gradient):

        p = 1:      sign(x) g                  p = 2:      g x / n   (0 where n = 0)
        p = inf:    sign(x) g / k at the k entries with |x_i| = n (or nan), 0 elsewhere
        p < 1:      sign(x) |x|^(p-1) g n^(1-p)   (0 where x = 0)
        1 < p < 2:  sign(x) |x|^(p-1) g / n^(p-1)   (0 where n = 0)
        p > 2:      x |x|^(p-2) g / n^(p-1)   (0 where n = 0)
        p = 0:      no gradient (the count of nonzeros is flat)

    The same expressions run on Tensors under create_graph (the masks selected, as PyTorch's
    masked_fill), so second derivatives are PyTorch's too, nan where its are (at x = 0).
    """

    saved_from = (0, OUT)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, axis: int, keepdim: bool, p: float) -> Array:
        kept = _norm_array(x, axis, p)
        out = kept if keepdim else np.squeeze(kept, axis)
        ctx.saved = (x, out)
        ctx.axis, ctx.keepdim, ctx.p = axis, keepdim, p
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, n = ctx.saved
        p = ctx.p
        if p == 0:
            return None
        if not ctx.keepdim:
            kept = tuple(1 if i == ctx.axis else s for i, s in enumerate(x.shape))
            grad, n = grad.reshape(kept), n.reshape(kept)
        xv, nv = either.value_of(x), either.value_of(n)
        zero = np.zeros((), xv.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 1:
                return either.sgn(xv) * grad
            if p == 2:
                return grad * either.where(nv == 0, zero, x / n)
            size = abs(x)
            if math.isinf(p):
                sizes = np.abs(xv)
                mask = ((sizes == nv) | np.isnan(sizes)).astype(xv.dtype)
                return either.sgn(xv) * ((grad / layout_sum(mask, ctx.axis, keepdims=True))
                                         * mask)
            if p < 1:
                scaled = either.sgn(xv) * either.where(xv == 0, zero, size ** (p - 1))
                return scaled * grad * n ** (1 - p)
            scaled = either.sgn(xv) * size ** (p - 1) if p < 2 else x * size ** (p - 2)
            return scaled * either.where(nv == 0, zero, grad / n ** (p - 1))


class FloorValue(Function):
    """z = max(x, floor) in value, dz/dx = 1: PyTorch floors cosine_similarity's norms with an
    in-place clamp under no_grad, which autograd does not see (the norm's own derivative is
    kept, also where the floor took over). A nan stays nan."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, floor: float) -> Array:
        return np.maximum(x, np.asarray(floor, dtype=x.dtype))

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad
