"""Fused losses: one node each, with the closed-form gradient instead of a chain of small ops
(simpler, stabler and faster). ``reduction`` is 'mean', 'sum' or 'none', as in PyTorch.

Hot reductions call the ufunc's ``reduce`` directly (``np.add.reduce(a)`` is ``a.sum()``): the
method goes through a Python wrapper that costs more than summing a batch of losses.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._sums import layout_sum, sum_rows
from ..autograd import Array, Function
from . import either
from .activation import log_softmax_array, stable_sigmoid
from .either import sgn

REDUCTIONS = ("mean", "sum", "none")


def reduce_loss(per_sample: Array, reduction: str) -> Array:
    if reduction == "mean":  # sum / n: NumPy's mean() costs more Python than the sum itself
        if per_sample.flags.c_contiguous and per_sample.size:  # the hot path: one call
            return np.add.reduce(per_sample, axis=None) / per_sample.size
        if per_sample.size == 0:  # the mean of nothing is nan, as PyTorch
            return np.full((), np.nan, dtype=per_sample.dtype)
        return layout_sum(per_sample) / per_sample.size
    if reduction == "sum":
        return layout_sum(per_sample)
    return per_sample


def reduction_scale(grad: Array, shape: tuple[int, ...], reduction: str) -> Array:
    """The incoming gradient as a per-sample factor: g / n for 'mean', g for 'sum' and 'none'."""
    if reduction == "mean":
        return grad / max(math.prod(shape), 1)  # a Python int keeps grad's float dtype
    return grad


def per_row(scale: Any, reduction: str) -> Any:
    """A per-sample factor (N,) as a column (N, 1) for 'none'; 'mean'/'sum' give one number."""
    if reduction != "none":
        return scale
    return scale[:, None] if either.is_array(scale) else scale.reshape(scale.shape[0], 1)


class PickEntries(Function):
    """z = x.flat[positions] (C-order positions: one entry per row, e.g. the true class).
    dL/dx = g placed at those positions, 0 elsewhere (``PlaceEntries``; positions distinct)."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, positions: Array) -> Array:
        ctx.positions, ctx.shape = positions, x.shape
        return x.reshape(-1)[positions]  # reshape copies a non-C layout; positions are C-order

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return place_entries(grad, ctx.positions, ctx.shape)


class PlaceEntries(Function):
    """z = zeros(shape) with z.flat[positions] = x.   dL/dx = g.flat[positions] (``PickEntries``).

    The backward of picking, and picking is its backward: so a gradient that scatters (the
    -onehot of NLL and cross-entropy) is recorded under create_graph to any order.
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, positions: Array, shape: tuple[int, ...]) -> Array:
        ctx.positions = positions
        full = np.zeros(math.prod(shape), dtype=x.dtype)
        full[positions] = x  # a 0-d x (a 'mean' factor) goes to every position
        return full.reshape(shape)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return pick_entries(grad, ctx.positions)


def pick_entries(x: Any, positions: Array) -> Any:
    return x.reshape(-1)[positions] if either.is_array(x) else PickEntries.apply(
        x, positions=positions)


def place_entries(x: Any, positions: Array, shape: tuple[int, ...]) -> Any:
    if either.is_array(x):
        full = np.zeros(math.prod(shape), dtype=x.dtype)
        full[positions] = x
        return full.reshape(shape)
    return PlaceEntries.apply(x, positions=positions, shape=shape)


def row_picks(n: int, classes: int, target: Array) -> Array:
    """The C-order flat positions n C + y_n of the entries (n, y_n) of an (N, C) array."""
    picks = np.arange(0, n * classes, classes)
    picks += target
    return picks


def at_least(x: Any, floor: Any) -> Any:
    """max(x, floor) for a constant floor, with derivative [x > floor] (0 where clipped).

    On Tensors it is x * keep + floor * (1 - keep) with keep a constant 0/1 mask of x's dtype:
    exactly x or floor for finite x (the losses clip finite values), and recorded.
    """
    if either.is_array(x):
        return np.maximum(x, floor)
    value = either.value_of(x)
    keep = (value > floor).astype(value.dtype)
    return x * keep + floor * (1 - keep)


def _shifted(logits: Any) -> Any:
    """x - max(x) per row, the max a constant (softmax and log-softmax do not change with it)."""
    value = either.value_of(logits)
    return logits - np.maximum.reduce(value, axis=-1, keepdims=True)


class CrossEntropyWithProbs(Function):
    """Cross-entropy with class-probability (or one-hot) targets t of shape (N, C):
    L_n = logsumexp(x_n) - sum_c t_nc x_nc  (= -sum_c t_nc log softmax(x_n)_c).

    dL_n/dx_n = softmax(x_n) * sum_c t_nc - t_n, which is softmax(x_n) - t_n for rows that sum
    to 1 (the formula of seeds 001 and 003); with reduction='mean' it is divided by N.
    dL/dt_nc = -log softmax(x_n)_c (computed only when the targets require grad).

    ``backward`` recomputes log softmax from the logits with recorded ops (so under
    create_graph its second derivative, diag(p) - p p^T per row, is there); ``array_backward``
    uses the log softmax the forward saved.
    """

    saved_from = (None, 1, 0)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, logits: Array, target: Array, reduction: str) -> Array:
        log_p = log_softmax_array(logits, axis=-1)
        ctx.saved = (log_p, target, logits)
        ctx.reduction = reduction
        # negated after the reduction, as PyTorch: a sum of +0.0 terms gives its -0.0
        return -reduce_loss(layout_sum(target * log_p, -1), reduction)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        _, target, logits = ctx.saved
        shifted = _shifted(logits)
        log_p = shifted - either.log(either.sum_keepdims(either.exp(shifted), -1))
        scale = per_row(reduction_scale(grad, log_p.shape[:-1], ctx.reduction),
                        ctx.reduction)
        need_logits, need_target = ctx.needs_input_grad
        grad_logits = grad_target = None
        if need_logits:
            grad_logits = (either.exp(log_p) * either.sum_keepdims(target, -1) - target) * scale
        if need_target:
            grad_target = -log_p * scale
        return grad_logits, grad_target

    @staticmethod
    def array_backward(ctx: Any, grad: Array) -> tuple[Array | None, Array | None]:
        log_p, target, _ = ctx.saved  # the same lines on the saved log softmax
        scale = reduction_scale(grad, log_p.shape[:-1], ctx.reduction)
        if ctx.reduction == "none":
            scale = scale[..., None]
        need_logits, need_target = ctx.needs_input_grad
        grad_logits = grad_target = None
        if need_logits:
            grad_logits = (np.exp(log_p) * layout_sum(target, -1, keepdims=True) - target) * scale
        if need_target:
            grad_target = -log_p * scale
        return grad_logits, grad_target


class CrossEntropy(Function):
    """Cross-entropy with class indices y: L_n = logsumexp(x_n) - x_n[y_n].

    dL_n/dx_n = softmax(x_n) - onehot(y_n)  (divided by N for reduction='mean').
    The indices are an integer tensor input that gets no gradient; no one-hot matrix is built:
    the true-class entries are read and written through their positions n C + y_n in the
    flattened (N C,) array. Forward saves e^(x - max) and its row sums, from which
    ``array_backward`` gets softmax with one multiply, in place. ``backward`` (create_graph)
    recomputes softmax from the logits with recorded ops and places the onehot part with
    ``PlaceEntries``, so the second derivative, diag(p) - p p^T per row, is recorded too.
    """

    saved_from = (None, None, None, 0)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, logits: Array, target: Array, reduction: str) -> Array:
        n, classes = logits.shape
        picks = np.arange(0, n * classes, classes)  # row_picks inline (a call: 0.3 % here)
        picks += target  # flat positions of the true-class logits
        # exp can't overflow after the shift; order="C" so flat positions address e's memory
        # whatever the layout of the logits (Fortran order, .T, x[:, idx], ...)
        e = np.subtract(logits, np.maximum.reduce(logits, axis=-1, keepdims=True), order="C")
        true_shifted = e.reshape(-1)[picks]  # x_n[y_n] - max_n, read before exp overwrites e
        np.exp(e, out=e)
        sums = sum_rows(e)
        ctx.saved = (e, sums, picks, logits)
        ctx.reduction = reduction
        return reduce_loss(np.log(sums) - true_shifted, reduction)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        _, _, picks, logits = ctx.saved
        scale = reduction_scale(grad, logits.shape[:1], ctx.reduction)  # g or g / N
        e = either.exp(_shifted(logits))
        softmax_scaled = e * (per_row(scale, ctx.reduction) / either.sum_keepdims(e, -1))
        return softmax_scaled - place_entries(scale, picks, logits.shape)

    @staticmethod
    def array_backward(ctx: Any, grad: Array) -> Array:
        e, sums, picks, _ = ctx.saved
        scale = reduction_scale(grad, sums.shape, ctx.reduction)  # g or g / N, per row
        grad_logits = np.multiply(e, (scale / sums)[:, None], order="C")  # softmax * scale
        grad_logits.reshape(-1)[picks] -= scale  # minus onehot * scale (C order: a view)
        return grad_logits


class NLLLoss(Function):
    """L_n = -x_n[y_n] for log-probabilities x.   dL_n/dx_n = -onehot(y_n)  (/ N for 'mean').

    The gradient does not depend on x (its second derivative in x is 0) but is linear in the
    incoming gradient; ``PlaceEntries`` records that under create_graph.
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, log_p: Array, target: Array, reduction: str) -> Array:
        ctx.saved = (target,)
        ctx.shape, ctx.reduction = log_p.shape, reduction
        return reduce_loss(-log_p[np.arange(log_p.shape[0]), target], reduction)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (target,) = ctx.saved
        scale = reduction_scale(grad, target.shape, ctx.reduction)
        n, classes = ctx.shape
        return place_entries(-scale, row_picks(n, classes, target), ctx.shape)


class MSELoss(Function):
    """L = (a - b)^2 per element.   dL/da = 2 (a - b),  dL/db = -2 (a - b)  (/ n for 'mean').

    Saves a - b for the array backward and a, b for the recorded one (create_graph), which
    must see the inputs to differentiate through them.
    """

    saved_from = (None, 0, 1)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array, reduction: str) -> Array:
        diff = a - b
        ctx.saved = (diff, a, b)
        ctx.reduction = reduction
        return reduce_loss(diff * diff, reduction)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        _, a, b = ctx.saved
        grad_a = (a - b) * (2 * reduction_scale(grad, tuple(a.shape), ctx.reduction))
        return grad_a, (-grad_a if ctx.next_nodes[1] is not None else None)

    @staticmethod
    def array_backward(ctx: Any, grad: Array) -> tuple[Array, Array | None]:
        diff = ctx.saved[0]
        grad_a = diff * (2 * reduction_scale(grad, diff.shape, ctx.reduction))
        return grad_a, (-grad_a if ctx.next_nodes[1] is not None else None)


class L1Loss(Function):
    """L = |a - b| per element.   dL/da = sign(a - b),  dL/db = -sign(a - b)  (/ n for 'mean').

    sign(a - b) is a constant for the derivative (the second derivative is 0 almost
    everywhere, as PyTorch's), so the saved difference serves both paths.
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array, reduction: str) -> Array:
        diff = a - b
        ctx.saved = (diff,)
        ctx.reduction = reduction
        return reduce_loss(np.abs(diff), reduction)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        (diff,) = ctx.saved
        grad_a = sgn(diff) * reduction_scale(grad, diff.shape, ctx.reduction)
        return grad_a, (-grad_a if ctx.next_nodes[1] is not None else None)


class BinaryCrossEntropy(Function):
    """L = -(y log p + (1 - y) log(1 - p)), with p and 1 - p clipped below at ``eps`` as seed 004
    does (so log never sees 0, also in float32 where 1 - 1e-10 rounds to 1).

    dL/dp = (p - y) / (p (1 - p)), with the denominator clipped at eps too;
    dL/dy = log(1 - p) - log(p).
    A clipped value is a constant (``at_least``): its derivative is 0. ``backward`` recomputes
    the logs from p (recorded under create_graph, so d2L/dy dp = -1 / (p (1 - p)) is there);
    ``array_backward`` uses the logs the forward saved.
    """

    saved_from = (0, 1, None, None)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, p: Array, y: Array, reduction: str, eps: float) -> Array:
        eps_ = np.asarray(eps, dtype=p.dtype)
        log_p = np.log(np.maximum(p, eps_))
        log_q = np.log(np.maximum(1 - p, eps_))
        ctx.saved = (p, y, log_p, log_q)
        ctx.reduction, ctx.eps = reduction, eps_
        return reduce_loss(-(y * log_p + (1 - y) * log_q), reduction)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        p, y, _, _ = ctx.saved
        scale = reduction_scale(grad, p.shape, ctx.reduction)
        need_p, need_y = ctx.needs_input_grad
        grad_p = (p - y) / at_least(p * (1 - p), ctx.eps) * scale if need_p else None
        grad_y = None
        if need_y:
            log_p, log_q = either.log(at_least(p, ctx.eps)), either.log(at_least(1 - p, ctx.eps))
            grad_y = (log_q - log_p) * scale
        return grad_p, grad_y

    @staticmethod
    def array_backward(ctx: Any, grad: Array) -> tuple[Array | None, Array | None]:
        p, y, log_p, log_q = ctx.saved  # the same lines on the saved logs
        scale = reduction_scale(grad, p.shape, ctx.reduction)
        need_p, need_y = ctx.needs_input_grad
        grad_p = (p - y) / np.maximum(p * (1 - p), ctx.eps) * scale if need_p else None
        grad_y = (log_q - log_p) * scale if need_y else None
        return grad_p, grad_y


class BinaryCrossEntropyWithLogits(Function):
    """L = -(y log sigma(x) + (1 - y) log(1 - sigma(x))) = (1 - y) x + max(-x, 0) + log(1 + e^-|x|),
    a form that never overflows (and gives inf, not inf - inf, at x = inf, as PyTorch's).
    dL/dx = sigma(x) - y,  dL/dy = -x."""

    saved_from = (0, 1)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, y: Array, reduction: str) -> Array:
        ctx.saved = (x, y)
        ctx.reduction = reduction
        per_element = (1 - y) * x + np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
        return reduce_loss(per_element, reduction)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        x, y = ctx.saved
        scale = reduction_scale(grad, x.shape, ctx.reduction)
        need_x, need_y = ctx.needs_input_grad
        grad_x = None
        if need_x:  # Sigmoid's op on Tensors computes stable_sigmoid too
            sigma = stable_sigmoid(x) if type(x) is np.ndarray else x.sigmoid()
            grad_x = (sigma - y) * scale
        grad_y = -x * scale if need_y else None
        return grad_x, grad_y
