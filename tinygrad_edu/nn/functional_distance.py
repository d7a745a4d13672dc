"""Distances and the margin losses (``F.cosine_similarity``, ``F.pairwise_distance``,
``F.margin_ranking_loss``, ``F.triplet_margin_loss``, ``F.cosine_embedding_loss``,
``F.hinge_embedding_loss``); re-exported by ``functional_losses`` and so by ``nn.functional``.

Each is PyTorch's composite formula written with recorded Tensor ops (plus the p-norm of
``ops/loss_distance.py``), term by term: the values, the nan/inf cases and every derivative
(PyTorch differentiates these formulas with autograd too) are PyTorch's. Inputs broadcast as
in PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._checks import dim_index
from ..ops import loss_distance as D
from ..tensor import Tensor, _as_tensor
from ._reduction import check_reduction, legacy_reduction

__all__ = ["cosine_similarity", "pairwise_distance", "margin_ranking_loss",
           "triplet_margin_loss", "cosine_embedding_loss", "hinge_embedding_loss"]


def _reduced(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _reduction(size_average: Any, reduce: Any, reduction: str, fn: str) -> str:
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, fn)
    check_reduction(reduction, fn=fn)
    return reduction


def _floats(a: Any, b: Any, fn: str) -> tuple[Tensor, Tensor]:
    """Two inputs as tensors of one floating dtype (PyTorch's result_type; ints count)."""
    x, y = _as_tensor(a)._pair(b)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{fn}: expected common dtype to be floating point, got {x.dtype}")
    return x, y


def _broadcast_shape(fn: str, *tensors: Tensor) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*(t.shape for t in tensors)))
    except ValueError:
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise RuntimeError(f"{fn}: the shapes {shapes} do not broadcast") from None


def _real(value: Any, name: str, fn: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{fn}: {name} must be a real number, got {value!r}")
    return float(value)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum_dim (x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps)): each norm is floored at eps
    separately, as PyTorch 2.x computes it (not x1.x2 / max(||x1|| ||x2||, eps)); x1 and x2
    are broadcast first. The floor is invisible to the derivative, as in PyTorch (an in-place
    clamp under no_grad there): at x1 = 0 the gradient for x1 is x2 / (eps ||x2||), and the
    norm's own derivative is 0 there."""
    fn = "cosine_similarity"
    a, b = _as_tensor(x1), _as_tensor(x2)
    if a._data.dtype.kind == "f" and b._data.dtype.kind == "f":
        # PyTorch expands both before it mixes them: a 0-d float64 x2 makes the result float64
        dtype = np.promote_types(a._data.dtype, b._data.dtype)
        a, b = (t if t._data.dtype == dtype else t.to(dtype) for t in (a, b))
    else:
        a, b = _floats(a, b, fn)
    shape = _broadcast_shape(fn, a, b)
    if a.shape != shape:
        a = a.broadcast_to(shape)
    if b.shape != shape:
        b = b.broadcast_to(shape)
    axis = dim_index(dim, len(shape), fn)
    eps = _real(eps, "eps", fn)
    if not shape:  # a 0-d pair: a vector of one element
        a, b = a.reshape(1), b.reshape(1)
    norm_a = D.FloorValue.apply(D.VectorNorm.apply(a, axis=axis, keepdim=True, p=2.0), floor=eps)
    norm_b = D.FloorValue.apply(D.VectorNorm.apply(b, axis=axis, keepdim=True, p=2.0), floor=eps)
    out = ((a / norm_a) * (b / norm_b)).sum(axis)
    return out.reshape(()) if not shape else out


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim of the broadcast shape, as PyTorch (eps is added to
    the difference). p = 2 by default; 1, inf, 0 and other p as ``torch.norm``, with its
    derivative (``ops.loss_distance.VectorNorm``)."""
    fn = "pairwise_distance"
    a, b = _floats(x1, x2, fn)
    _broadcast_shape(fn, a, b)
    diff = a - b + _real(eps, "eps", fn)
    p = _real(p, "p", fn)
    if diff.ndim == 0:
        return D.VectorNorm.apply(diff.reshape(1), axis=0, keepdim=False, p=p)
    if diff.shape[-1] == 0 and (math.isinf(p) or p < 0):
        raise RuntimeError(f"{fn}: the {p} norm of an empty last dim (shape {diff.shape}) "
                           "is undefined (the reduction has no identity)")
    return D.VectorNorm.apply(diff, axis=diff.ndim - 1, keepdim=bool(keepdim), p=p)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Any, margin: float = 0.0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin) for labels y = +1 (x1 should rank higher) or -1, all
    three broadcast (they must have one number of dims, as PyTorch). Gradient -y for x1 and
    y for x2 where the hinge is active (also at 0, PyTorch's clamp_min rule)."""
    fn = "margin_ranking_loss"
    reduction = _reduction(size_average, reduce, reduction, fn)
    x1, x2, y = _as_tensor(input1), _as_tensor(input2), _as_tensor(target)
    if not x1.ndim == x2.ndim == y.ndim:
        raise RuntimeError(f"{fn}: All input tensors should have same dimension but got sizes: "
                           f"input1: {x1.shape}, input2: {x2.shape}, target: {y.shape}")
    _broadcast_shape(fn, x1, x2, y)
    return _reduced((-y * (x1 - x2) + _real(margin, "margin", fn)).clamp(min=0), reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                        swap: bool = False, size_average: bool | None = None,
                        reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with d = ``pairwise_distance`` (p-norm, eps); with
    ``swap``, d(a, n) is replaced by min(d(a, n), d(p, n)) (Balntas et al.). The three inputs
    must have one number of dims; margin must be > 0, as PyTorch."""
    fn = "triplet_margin_loss"
    reduction = _reduction(size_average, reduce, reduction, fn)
    margin = _real(margin, "margin", fn)
    if margin <= 0:
        raise ValueError(f"{fn}: margin must be greater than 0, got {margin}")
    a, pos, neg = _as_tensor(anchor), _as_tensor(positive), _as_tensor(negative)
    if not a.ndim == pos.ndim == neg.ndim:
        raise RuntimeError(f"{fn}: The anchor, positive, and negative tensors are expected to "
                           f"have the same number of dimensions, but got: anchor {a.ndim}D, "
                           f"positive {pos.ndim}D, and negative {neg.ndim}D inputs")
    d_pos = pairwise_distance(a, pos, p, eps)
    d_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(pos, neg, p, eps))
    return _reduced((margin + d_pos - d_neg).clamp(min=0), reduction)


_COSINE_EPS = 1e-12  # PyTorch's EPSILON in cosine_embedding_loss


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Any, margin: float = 0.0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1 (0 for other
    labels), with cos = x1.x2 / sqrt((||x1||^2 + 1e-12)(||x2||^2 + 1e-12)) as PyTorch. Inputs
    (N, D) with labels (N,), or (D,) with a 0-d label; the labels get no gradient."""
    fn = "cosine_embedding_loss"
    reduction = _reduction(size_average, reduce, reduction, fn)
    a, b = _floats(input1, input2, fn)
    labels = np.asarray(getattr(target, "_data", target))
    if labels.ndim not in (0, 1):
        raise RuntimeError(f"{fn}: 0D or 1D target tensor expected, multi-target not "
                           f"supported (target shape {labels.shape})")
    if not a.ndim == b.ndim == labels.ndim + 1:
        raise RuntimeError(f"{fn}: {labels.ndim}D target tensor expects {labels.ndim + 1}D "
                           f"input tensors, but found inputs with sizes {a.shape} and "
                           f"{b.shape}")
    axis = labels.ndim
    dot = (a * b).sum(axis)
    sq_a = (a * a).sum(axis) + _COSINE_EPS
    sq_b = (b * b).sum(axis) + _COSINE_EPS
    cos = dot / (sq_a * sq_b).sqrt()
    loss = (1 - cos).where(labels == 1, 0.0) + (cos - _real(margin, "margin", fn)).clamp(
        min=0).where(labels == -1, 0.0)
    return _reduced(loss, reduction)


def hinge_embedding_loss(input: Tensor, target: Any, margin: float = 1.0,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1, as PyTorch's formula (labels other than
    +-1 get both terms); x and y broadcast; the labels get no gradient."""
    fn = "hinge_embedding_loss"
    reduction = _reduction(size_average, reduce, reduction, fn)
    x = _as_tensor(input)
    labels = np.asarray(getattr(target, "_data", target))
    _broadcast_shape(fn, x, _as_tensor(labels))
    hinge = (_real(margin, "margin", fn) - x).clamp(min=0)
    loss = hinge.where(labels != 1, 0.0) + x.where(labels != -1, 0.0)
    return _reduced(loss, reduction)
