"""Elementwise losses, one fused node each: binary cross-entropy on logits (with ``weight`` and
``pos_weight``), smooth L1 and Huber, KL divergence and soft margin. Each forward follows
PyTorch's kernel or composite formula term by term, so values, nan/inf and the derivatives
PyTorch's autograd takes through that formula (also the second ones) are the same here.
``reduction`` is 'mean', 'sum' or 'none' (see ``loss.reduce_loss``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Array, Function
from . import either
from .activation import stable_sigmoid
from .activation_smooth import LogSigmoid
from .loss import reduce_loss, reduction_scale


def log_sigmoid_array(x: Array) -> Array:
    """log sigma(x) = min(x, 0) - log(1 + e^-|x|): no overflow for any x."""
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def log_sigmoid(x: Any) -> Any:
    """log sigma(x) of an array, or recorded (activation_smooth.LogSigmoid) for a Tensor: the
    target gradient of BinaryCrossEntropyWithLogits needs it under create_graph."""
    return log_sigmoid_array(x) if either.is_array(x) else LogSigmoid.apply(x)


class BinaryCrossEntropyWithLogits(Function):
    """L = -w (r y log sigma(x) + (1 - y) log(1 - sigma(x))) with the optional ``weight`` w and
    ``pos_weight`` r (each broadcast to x's shape; 1 without), written as PyTorch does:
    L = w ((1 - y) x + l softplus(-x)),  l = (r - 1) y + 1,  softplus(-x) = max(-x, 0) +
    log(1 + e^-|x|) = -log sigma(x): a form that never overflows (and gives inf, not inf - inf,
    at x = inf, as PyTorch's).

    dL/dx = w ((r y + 1 - y) sigma(x) - r y)  (= w (sigma(x) - y) without pos_weight),
    dL/dy = w (log sigma(-x) - r log sigma(x))  (= -w x without pos_weight).
    """

    saved_from = (0, 1, None, None)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, y: Array, reduction: str, weight: Array | None = None,
                pos_weight: Array | None = None) -> Array:
        ctx.saved = (x, y, weight, pos_weight)
        ctx.reduction = reduction
        if pos_weight is None:
            per_element = (1 - y) * x + np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
        else:
            softplus = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
            per_element = (1 - y) * x + ((pos_weight - 1) * y + 1) * softplus
        if weight is not None:
            per_element = per_element * weight
        return reduce_loss(per_element, reduction)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        x, y, weight, pos_weight = ctx.saved
        scale = reduction_scale(grad, x.shape, ctx.reduction)
        if weight is not None:
            scale = scale * weight
        need_x, need_y = ctx.needs_input_grad
        grad_x = grad_y = None
        if need_x:  # Sigmoid's op on Tensors computes stable_sigmoid too
            sigma = stable_sigmoid(x) if type(x) is np.ndarray else x.sigmoid()
            if pos_weight is None:
                grad_x = (sigma - y) * scale
            else:  # grouped as PyTorch's binary_cross_entropy_with_logits_backward
                ry = pos_weight * y
                grad_x = ((ry + 1 - y) * sigma - ry) * scale
        if need_y:
            if pos_weight is None:
                grad_y = -x * scale
            else:
                grad_y = (log_sigmoid(-x) - log_sigmoid(x) * pos_weight) * scale
        return grad_x, grad_y


class SmoothL1(Function):
    """Smooth L1 (threshold ``beta``) or, with ``huber=True``, Huber (threshold ``delta``) of
    d = a - b, z = |d|, with t the threshold (> 0), as PyTorch's kernels:

        smooth L1:  L = 0.5 z^2 / t  if z < t  else  z - 0.5 t
        Huber:      L = 0.5 z^2      if z < t  else  t (z - 0.5 t)      (= t * smooth L1)

    dL/da = -dL/db = d / t (Huber: d) where |d| < t, else sign(d) (Huber: t sign(d)). As in
    PyTorch's backward, |d| >= t picks the constant branch and everything else (also a nan d)
    the linear one. Second derivative: 1 / t (Huber: 1) inside, 0 outside; ``backward``
    recomputes d from a and b with recorded ops, so create_graph gets it.
    """

    saved_from = (0, 1)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array, reduction: str, threshold: float,
                huber: bool) -> Array:
        ctx.saved = (a, b)
        ctx.reduction, ctx.huber = reduction, huber
        ctx.threshold = t = np.asarray(threshold, dtype=a.dtype)
        z = np.abs(a - b)
        half = np.asarray(0.5, dtype=a.dtype)
        if huber:
            per_element = np.where(z < t, half * z * z, t * (z - half * t))
        else:
            per_element = np.where(z < t, half * z * z / t, z - half * t)
        return reduce_loss(per_element, reduction)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        a, b = ctx.saved
        t = ctx.threshold
        diff = a - b
        d = either.value_of(diff)
        scale = reduction_scale(grad, d.shape, ctx.reduction)
        outside = np.abs(d) >= t  # a constant mask (false at nan)
        sign = np.where(d > 0, np.ones((), d.dtype), -np.ones((), d.dtype))
        slope = either.where(outside, sign * t, diff) if ctx.huber else either.where(
            outside, sign, diff / t)
        grad_a = slope * scale
        return grad_a, (-grad_a if ctx.needs_input_grad[1] else None)


def _xlogy(x: Array, y: Array) -> Array:
    """x log y, 0 where x = 0 (nan where y is nan), as torch.xlogy."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log(y)
    return np.where((x == 0) & ~np.isnan(y), np.zeros((), out.dtype), out)


class KLDiv(Function):
    """Pointwise KL divergence, PyTorch's formula, for input x (log-probabilities) and target t
    (probabilities; log-probabilities with ``log_target``), broadcast together:

        L = xlogy(t, t) - t x   (xlogy(t, t) = t log t, 0 at t = 0);   log_target: L = e^t (t - x)

    dL/dx = -t (log_target: -e^t).
    dL/dt = xlogy(1, t) [0 at t = 0] + t / t - x  (log_target: e^t (t - x) + e^t): the terms
    PyTorch's autograd takes through its composite formula, xlogy's two partial derivatives
    among them, so the target gradient is nan at t = 0 there and here. ``backward`` writes them
    with recorded ops (t / t included), so second derivatives follow PyTorch's too.
    """

    saved_from = (0, 1)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, t: Array, reduction: str, log_target: bool) -> Array:
        ctx.saved = (x, t)
        ctx.reduction, ctx.log_target = reduction, log_target
        if log_target:
            per_element = np.exp(t) * (t - x)
        else:
            per_element = _xlogy(t, t) - t * x
        ctx.shape = per_element.shape
        return reduce_loss(per_element, reduction)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        x, t = ctx.saved
        scale = reduction_scale(grad, ctx.shape, ctx.reduction)
        if tuple(scale.shape) != ctx.shape:  # x and t broadcast: give each gradient that shape
            scale = scale * np.ones(ctx.shape, either.value_of(x).dtype)
        need_x, need_t = ctx.needs_input_grad
        grad_x = grad_t = None
        if ctx.log_target:
            e = either.exp(t)
            grad_x = -(scale * e) if need_x else None
            grad_t = scale * (t - x) * e + scale * e if need_t else None
            return grad_x, grad_t
        if need_x:
            grad_x = -scale * t
        if need_t:
            tv, gv = either.value_of(t), either.value_of(scale)
            with np.errstate(divide="ignore", invalid="ignore"):
                by_log = scale * either.log(t)
            # xlogy(g, t) masked at t = 0, as PyTorch's derivative of xlogy's first argument
            zero = (tv == 0) | ((gv == 0) & ~np.isnan(tv))
            grad_t = either.where(zero, np.zeros((), tv.dtype), by_log) + scale * t / t - scale * x
        return grad_x, grad_t


class SoftMargin(Function):
    """L = log(1 + e^(-x y)) for labels y (+1 / -1), computed as PyTorch's kernel (so where
    e^(-x y) overflows, the loss is inf and the gradient nan, as there).

    dL/dx = -y z / (1 + z),  z = e^(-x y).  y is a constant (PyTorch does not differentiate the
    target); ``backward`` recomputes z with recorded ops, so the second derivative
    y^2 z / (1 + z)^2 is there under create_graph.
    """

    saved_from = (0, None)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, y: Array, reduction: str) -> Array:
        ctx.saved = (x, y)
        ctx.reduction = reduction
        with np.errstate(over="ignore"):
            return reduce_loss(np.log1p(np.exp(-x * y)), reduction)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, None]:
        x, y = ctx.saved
        scale = reduction_scale(grad, tuple(x.shape), ctx.reduction)
        with np.errstate(over="ignore", invalid="ignore"):
            z = either.exp(-x * y)
            return -(y * z) / (z + 1) * scale, None
