"""Pointwise math of two inputs: atan2, hypot, logaddexp, xlogy, lerp, fmod, remainder and
copysign. Both inputs arrive in one dtype (``Tensor._pair`` promotes them, as PyTorch's
``result_type``); broadcast inputs get their gradient summed back by the engine.

As in ops/pointwise.py, each backward is PyTorch's formula, grouped as PyTorch groups it, and
runs on arrays and (recorded, under ``create_graph``) on Tensors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Array, Function
from ..autograd.graph import OUT
from .either import is_array, value_of, where
from .pointwise import as_float, exp, zeros_like


class Atan2(Function):
    """z = atan2(a, b), the angle of the point (b, a).
    dz/da = b / (a^2 + b^2),  dz/db = -a / (a^2 + b^2)  (0 where a^2 + b^2 is 0, as
    PyTorch: at the origin, and where the squares underflow)."""

    saved_from = (0, 1)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        a, b = as_float(a), as_float(b)
        ctx.saved = (a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            squares = a * a + b * b
            recip = where(value_of(squares) == 0, np.zeros((), grad.dtype), 1 / squares)
            return (grad * b * recip if need_a else None), (grad * -a * recip if need_b else None)


class Hypot(Function):
    """z = sqrt(a^2 + b^2) without overflow.   dz/da = a / z,  dz/db = b / z."""

    saved_from = (0, 1, OUT)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        out = np.hypot(a, b)
        ctx.saved = (a, b, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        a, b, out = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            return (grad * a / out if need_a else None), (grad * b / out if need_b else None)


class LogAddExp(Function):
    """z = ln(e^a + e^b), computed without overflow.
    dz/da = 1 / (1 + e^(b - a)),  dz/db = 1 / (1 + e^(a - b))."""

    saved_from = (0, 1)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        ctx.saved = (a, b)
        return np.logaddexp(a, b)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        with np.errstate(over="ignore", invalid="ignore"):
            return (grad / (1 + exp(b - a)) if need_a else None,
                    grad / (1 + exp(a - b)) if need_b else None)


def _xlogy_values(a: Array, b: Array) -> Array:
    """a ln b, 0 where a = 0 (even at b = 0 or inf), NaN where b is NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(a == 0, a.dtype.type(0), a * np.log(b))
    return np.where(np.isnan(b), b, out)


def xlogy(a: Any, b: Any) -> Any:
    """``a ln b`` on arrays, or a recorded ``Xlogy`` when either is a Tensor."""
    if is_array(a) and is_array(b):
        return _xlogy_values(a, b)
    tensor = b if is_array(a) else a
    a, b = (tensor._wrap(np.asarray(v), False) if is_array(v) else v for v in (a, b))
    return Xlogy.apply(a, b)


class Xlogy(Function):
    """z = a ln b (0 where a = 0, NaN where b is NaN).
    dz/da = ln b (PyTorch's ``xlogy(g, b)``: 0 where g = 0), but 0 where a = 0 and b <= 0;
    dz/db = a / b."""

    saved_from = (0, 1)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        a, b = as_float(a), as_float(b)
        ctx.saved = (a, b)
        return _xlogy_values(a, b)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if need_a:
                off = (value_of(a) == 0) & (value_of(b) <= 0)  # a constant mask
                grad_a = where(off, np.zeros((), grad.dtype), xlogy(grad, b))
            if need_b:
                grad_b = grad * a / b
        return grad_a, grad_b


def _lerp(start: Array, end: Array, weight: Any) -> Array:
    """start + w (end - start), or end - (end - start)(1 - w) for |w| >= 0.5 (PyTorch's
    choice: exact at w = 0 and w = 1)."""
    small = np.abs(weight) < 0.5
    return np.where(small, start + weight * (end - start), end - (end - start) * (1 - weight))


class Lerp(Function):
    """z = start + w (end - start) for a number w.
    dz/dstart = 1 - w,  dz/dend = w."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, start: Array, end: Array, weight: float) -> Array:
        ctx.weight = weight
        return np.asarray(_lerp(start, end, start.dtype.type(weight)))

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        w = ctx.weight
        return grad * (1 - w), grad * w


class LerpTensor(Function):
    """z = start + w (end - start) for a tensor w.
    dz/dstart = 1 - w,  dz/dend = w,  dz/dw = end - start."""

    saved_from = (0, 1, 2)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, start: Array, end: Array, weight: Array) -> Array:
        ctx.saved = (start, end, weight)
        return _lerp(start, end, weight)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any, Any]:
        start, end, w = ctx.saved
        need_start, need_end, need_w = ctx.needs_input_grad
        return (grad * (1 - w) if need_start else None, grad * w if need_end else None,
                grad * (end - start) if need_w else None)


def _integer_division_check(b: Array, op: str) -> None:
    if b.dtype.kind in "iub" and (b == 0).any():
        raise RuntimeError(f"{op}(): ZeroDivisionError (an integer divided by zero)")


class Fmod(Function):
    """z = a - b trunc(a / b), the C remainder (the sign of a).
    dz/da = 1,  dz/db = -trunc(a / b)  (a step function of b: a constant)."""

    saved_from = (None,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        _integer_division_check(b, "fmod")
        with np.errstate(divide="ignore", invalid="ignore"):
            ctx.saved = (np.trunc(a / b),)
            return np.fmod(a, b)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        need_b = ctx.needs_input_grad[1]
        return grad, (-grad * ctx.saved[0] if need_b else None)


class Remainder(Function):
    """z = a - b floor(a / b), Python's % (the sign of b).
    dz/da = 1,  dz/db = -floor(a / b)  (a step function of b: a constant)."""

    saved_from = (None,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        _integer_division_check(b, "remainder")
        with np.errstate(divide="ignore", invalid="ignore"):
            ctx.saved = (np.floor_divide(a, b),)
            return np.remainder(a, b)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        need_b = ctx.needs_input_grad[1]
        return grad, (-grad * ctx.saved[0] if need_b else None)


class Copysign(Function):
    """z = |a| with the sign of b.   dz/da = z / a (+-1), 0 at a = 0;  dz/db = 0."""

    saved_from = (0, OUT)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        a, b = as_float(a), as_float(b)
        out = np.copysign(a, b)
        ctx.saved = (a, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        a, out = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        grad_a = None
        if need_a:
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = where(value_of(a) == 0, np.zeros((), grad.dtype), out / a)
            grad_a = grad * ratio
        return grad_a, (zeros_like(grad) if need_b else None)

