"""Fused losses: one node each, with the closed-form gradient instead of a chain of small ops
(simpler, stabler and faster). ``reduction`` is 'mean', 'sum' or 'none', as in PyTorch.

Per-class and per-element weights (``weight``, ``pos_weight``) and the mask of the counted
rows (``valid``: False where the target is ``ignore_index``) are settings: constants for the
derivative, as in PyTorch, which does not differentiate them either. Binary cross-entropy on
logits, smooth-L1/Huber, KL divergence and soft margin live in ``loss_pointwise.py``, the vector
norm of the distance losses in ``loss_distance.py``.

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
from .activation import log_softmax_array
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


def over_count(grad: Any, count: Any) -> Any:
    """grad / count for 'mean'; a count of 0 (every target ignored, or weights summing to 0)
    gives inf or nan as in PyTorch, without NumPy's warning."""
    if count != 0:
        return grad / count
    with np.errstate(divide="ignore", invalid="ignore"):
        return grad / count


def column(v: Any, rows: int) -> Any:
    """A per-row factor (M,) as a column (M, 1); a single number (0-d) stays as it is."""
    return v if v.ndim == 0 else v.reshape(rows, 1)


def counted_weights(n: int, dtype: np.dtype, safe: Array, weight: Array | None,
                    valid: Array | None) -> Array:
    """w[y_n] per row (1 without weights), 0 for the rows ``valid`` excludes."""
    coef = weight[safe] if weight is not None else np.ones(n, dtype)
    return coef if valid is None else np.where(valid, coef, dtype.type(0))


class NLLLoss(Function):
    """L_n = -w[y_n] x_n[y_n] for log-probabilities x (N, C) and class indices y (N,), with
    per-class weights w (1 without); L_n = 0 for the rows ``valid`` excludes (target equal to
    ``ignore_index``). 'sum' is 0 - sum_n w[y_n] x_n[y_n] (PyTorch's accumulation, so a zero
    loss is +0.0); 'mean' divides it by the total weight W = sum_n w[y_n] of the counted rows
    (N in the plain case; W = 0, e.g. every target ignored, gives nan as PyTorch).

    dL_n/dx_n = -w[y_n] onehot(y_n)  (/ W for 'mean'; exactly 0 for excluded rows, selected).
    The gradient does not depend on x (its second derivative in x is 0) but is linear in the
    incoming gradient; ``PlaceEntries`` records that under create_graph.
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, log_p: Array, target: Array, reduction: str,
                weight: Array | None = None, valid: Array | None = None) -> Array:
        n, classes = log_p.shape
        zero = log_p.dtype.type(0)
        safe = target if valid is None else np.where(valid, target, 0)
        picked = log_p[np.arange(n), safe]
        coef = None
        if weight is not None or valid is not None:
            coef = counted_weights(n, log_p.dtype, safe, weight, valid)
        # the target is kept so that changing it in place before backward is caught
        ctx.saved = (target, row_picks(n, classes, safe), coef, valid)
        ctx.shape, ctx.reduction = log_p.shape, reduction
        if reduction == "none":
            per = -picked if coef is None else -picked * coef
            return per if valid is None else np.where(valid, per, zero)
        terms = picked if coef is None else picked * coef
        if valid is not None:
            terms = np.where(valid, terms, zero)  # selected: a nan in an ignored row stays out
        total = zero - layout_sum(terms)
        if reduction == "sum":
            return total
        ctx.count = n if coef is None else layout_sum(coef)
        return over_count(total, ctx.count)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        _, picks, coef, valid = ctx.saved
        scale = over_count(grad, ctx.count) if ctx.reduction == "mean" else grad
        if coef is not None:
            # a count of 0 makes scale inf, and inf x an ignored row's 0 weight is NaN (the
            # selection below drops it): no NumPy warning for that
            if ctx.reduction == "mean" and ctx.count == 0:
                with np.errstate(invalid="ignore"):
                    scale = scale * coef
            else:
                scale = scale * coef
        if valid is not None:  # selected: 'none' with a nan gradient in an ignored row gives 0
            scale = either.where(valid, scale, 0)
        return place_entries(-scale, picks, ctx.shape)


class CrossEntropyIndexed(Function):
    """Cross-entropy with class indices y and PyTorch's options: per-class weights w (1
    without), rows excluded by ``valid`` (target = ignore_index) and label smoothing e. With
    log p_n = log softmax(x_n):

        nll_n = -w[y_n] log p_n[y_n],   smooth_n = -sum_c w_c log p_nc,
        L = (1 - e) R(nll) + (e / C) R(smooth)     (PyTorch's formula; smooth only for e > 0)

    both 0 for excluded rows; R is the reduction, and 'mean' divides both sums by the total
    weight W = sum_n w[y_n] of the counted rows (their count without weights).

    dL/dx_n = a_n (p_n [(1 - e) w[y_n] + (e / C) sum_c w_c] - (1 - e) w[y_n] onehot(y_n)
    - (e / C) w),  with a_n = g / W ('mean'), g ('sum') or g_n ('none'), selected to 0 for
    excluded rows. ``backward`` recomputes softmax from the logits with recorded ops (so under
    create_graph the second derivative, a_n-weighted diag(p) - p p^T, is there);
    ``array_backward`` uses the log softmax the forward saved. The plain case (no weights, no
    ignored rows, no smoothing) is ``CrossEntropy``, which is faster.
    """

    saved_from = (0, None, None, None, None, None, None)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, logits: Array, target: Array, reduction: str, smoothing: float,
                weight: Array | None = None, valid: Array | None = None) -> Array:
        m, classes = logits.shape
        zero = logits.dtype.type(0)
        log_p = log_softmax_array(logits, -1)
        safe = target if valid is None else np.where(valid, target, 0)
        coef = counted_weights(m, logits.dtype, safe, weight, valid)
        terms = log_p[np.arange(m), safe] * coef  # w[y_n] log p_n[y_n]
        smooth = None
        if smoothing:
            smooth = -layout_sum(log_p if weight is None else log_p * weight, -1)
        if valid is not None:  # selected: nan or inf in an ignored row stays out
            terms = np.where(valid, terms, zero)
            smooth = None if smooth is None else np.where(valid, smooth, zero)
        ctx.saved = (logits, log_p, row_picks(m, classes, safe), coef, valid, weight, target)
        ctx.reduction, ctx.smoothing = reduction, smoothing
        if reduction == "none":
            nll = -terms
        else:
            nll = zero - layout_sum(terms)  # PyTorch's 0 - sum: a zero loss is +0.0
            smooth = None if smooth is None else layout_sum(smooth)
            if reduction == "mean":
                ctx.count = layout_sum(coef)
                nll = over_count(nll, ctx.count)
                smooth = None if smooth is None else over_count(smooth, ctx.count)
        if smooth is None:
            return nll
        return (1 - smoothing) * nll + smooth * (smoothing / classes)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        logits = ctx.saved[0]
        e = either.exp(_shifted(logits))
        return _indexed_grad(ctx, e / either.sum_keepdims(e, -1), grad)

    @staticmethod
    def array_backward(ctx: Any, grad: Array) -> Any:
        return _indexed_grad(ctx, np.exp(ctx.saved[1]), grad)


def _indexed_grad(ctx: Any, p: Any, grad: Any) -> Any:
    """CrossEntropyIndexed's gradient from softmax p (arrays, or Tensors under create_graph)."""
    _, _, picks, coef, valid, weight, _ = ctx.saved
    m, classes = p.shape
    scale = over_count(grad, ctx.count) if ctx.reduction == "mean" else grad
    if valid is not None:
        scale = either.where(valid, scale, 0)  # (M,): 0 for ignored rows, also 0 * inf
    e = ctx.smoothing
    picked = scale * coef if not e else scale * coef * (1 - e)  # (M,)
    row = picked
    if e:
        spread = scale * (e / classes)
        row = picked + spread * (classes if weight is None else layout_sum(weight))
    grad_logits = p * column(row, m) - place_entries(picked, picks, (m, classes))
    if e:
        spread = column(spread, m)
        grad_logits = grad_logits - (spread if weight is None else spread * weight)
    return grad_logits


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
    """L = -w (y log p + (1 - y) log(1 - p)), w the optional ``weight`` (broadcast to p's
    shape, 1 without). As PyTorch, each log is clamped below at -100 (so p = 0 or 1 gives a
    finite loss); with ``eps`` (seed 004's way) p and 1 - p are clipped below at eps instead.

    dL/dp = w (p - y) / (p (1 - p)), the denominator clamped below at 1e-12 as PyTorch (at eps
    with ``eps``: a clipped value is a constant, ``at_least``);
    dL/dy = w (log(1 - p) - log(p)) (PyTorch's: not clamped, so inf at p = 0 or 1).
    ``backward`` recomputes the logs from p (recorded under create_graph, so
    d2L/dy dp = -w / (p (1 - p)) is there); ``array_backward`` uses the logs the forward saved.
    """

    saved_from = (0, 1, None, None, None)
    differentiable_backward = True
    TORCH_FLOOR = 1e-12  # PyTorch's EPSILON in binary_cross_entropy_backward

    @staticmethod
    def forward(ctx: Any, p: Array, y: Array, reduction: str, eps: float | None,
                weight: Array | None = None) -> Array:
        if eps is None:  # PyTorch's: the logs, clamped at -100 in the loss only
            with np.errstate(divide="ignore"):
                log_p, log_q = np.log(p), np.log1p(-p)
            floor = np.asarray(-100, dtype=p.dtype)
            per_element = -(y * np.maximum(log_p, floor) + (1 - y) * np.maximum(log_q, floor))
            ctx.floor = np.asarray(BinaryCrossEntropy.TORCH_FLOOR, dtype=p.dtype)
        else:
            eps_ = np.asarray(eps, dtype=p.dtype)
            log_p = np.log(np.maximum(p, eps_))
            log_q = np.log(np.maximum(1 - p, eps_))
            per_element = -(y * log_p + (1 - y) * log_q)
            ctx.floor = eps_
        ctx.saved = (p, y, log_p, log_q, weight)
        ctx.reduction, ctx.eps = reduction, eps
        return reduce_loss(per_element if weight is None else per_element * weight, reduction)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        p, y, _, _, weight = ctx.saved
        scale = reduction_scale(grad, p.shape, ctx.reduction)
        if weight is not None:
            scale = scale * weight
        need_p, need_y = ctx.needs_input_grad
        grad_p = (p - y) / at_least(p * (1 - p), ctx.floor) * scale if need_p else None
        grad_y = None
        if need_y:
            if ctx.eps is None:
                with np.errstate(divide="ignore"):
                    grad_y = (either.log(1 - p) - either.log(p)) * scale
            else:
                log_p = either.log(at_least(p, ctx.floor))
                grad_y = (either.log(at_least(1 - p, ctx.floor)) - log_p) * scale
        return grad_p, grad_y

    @staticmethod
    def array_backward(ctx: Any, grad: Array) -> tuple[Array | None, Array | None]:
        p, y, log_p, log_q, weight = ctx.saved  # the same lines on the saved logs
        scale = reduction_scale(grad, p.shape, ctx.reduction)
        if weight is not None:
            scale = scale * weight
        need_p, need_y = ctx.needs_input_grad
        grad_p = (p - y) / np.maximum(p * (1 - p), ctx.floor) * scale if need_p else None
        if need_y:
            with np.errstate(invalid="ignore"):  # inf - inf cannot happen: p is in [0, 1]
                grad_y = (log_q - log_p) * scale
        else:
            grad_y = None
        return grad_p, grad_y
