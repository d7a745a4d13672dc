"""Elementwise ops. Each backward returns the incoming gradient times the local derivative;
broadcast inputs get their gradient summed back to shape by the engine, not here.

The selecting backwards (maximum, clamp, where) pick ``np.where`` or the recorded ``where``
once, by the gradient's type (``_where_for``): the default path then pays one type test per
backward instead of ``either.where``'s per call (measured: +0.5 us per call on 10 elements).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Array, Function
from ..autograd.graph import OUT
from ..dtypes import get_default_dtype
from .either import log, sgn, value_of, where

_ndarray = np.ndarray


def _where_for(grad: Any) -> Any:
    """``np.where`` for an array gradient (the default path), else the recorded ``where``."""
    return np.where if type(grad) is _ndarray else where


class Add(Function):
    """z = a + b.   dz/da = 1,  dz/db = 1."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        return a + b

    @staticmethod
    def backward(ctx: Any, grad: Array) -> tuple[Array, Array]:
        return grad, grad


class Sub(Function):
    """z = a - b.   dz/da = 1,  dz/db = -1."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        return a - b

    @staticmethod
    def backward(ctx: Any, grad: Array) -> tuple[Array, Array | None]:
        return grad, (-grad if ctx.next_nodes[1] is not None else None)


class Mul(Function):
    """z = a * b.   dz/da = b,  dz/db = a."""

    saved_from = (0, 1)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        ctx.saved = (a, b)
        return a * b

    @staticmethod
    def backward(ctx: Any, grad: Array) -> tuple[Array | None, Array | None]:
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)


class Div(Function):
    """z = a / b.   dz/da = 1 / b,  dz/db = -a / b^2 = -z / b."""

    saved_from = (1, OUT)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        out = a / b
        if a.dtype.kind != "f" and b.dtype.kind != "f":  # int / int: the default float, as PyTorch
            out = out.astype(get_default_dtype())
        ctx.saved = (b, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Array) -> tuple[Array | None, Array | None]:
        b, out = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        # -g * (z / b) grouped as PyTorch's div_tensor_other_backward, so that second
        # derivatives at b = 0 give its inf and nan where (g / b) * z would give others
        return (grad / b if need_a else None), (-grad * (out / b) if need_b else None)


class Neg(Function):
    """z = -a.   dz/da = -1."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        return -a

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        return -grad


def power(a: Array, p: float) -> Array:
    """a^p, with PyTorch's choices for p = 0.5 and -0.5 (sqrt and 1 / sqrt: nan at -inf, where
    C's pow gives inf and 0); NumPy's array and scalar paths also differ there."""
    if not isinstance(a, np.ndarray):  # a Tensor (create_graph): its own pow does the same
        return a**p
    if p == 0.5:
        return np.sqrt(a)
    if p == -0.5:
        return 1 / np.sqrt(a)
    return a**p


class PowScalar(Function):
    """z = a^p for a number p.   dz/da = p * a^(p-1)  (0 for p = 0, also at a = 0, as PyTorch)."""

    saved_from = (0,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, exponent: float) -> Array:
        ctx.saved = (a,)
        ctx.exponent = exponent
        return power(a, exponent)

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        (a,) = ctx.saved
        p = ctx.exponent
        if p == 0:  # a^0 = 1 is constant: zeros, also for a NaN gradient, as PyTorch
            zeros = np.zeros(grad.shape, grad.dtype)
            return zeros if isinstance(grad, np.ndarray | np.generic) else grad._wrap(zeros, False)
        if p == 2:  # the common square: skip the power
            return grad * (2 * a)
        return grad * (p * power(a, p - 1))


class Pow(Function):
    """z = a^b for tensors.   dz/da = b * a^(b-1),  dz/db = z * ln(a).

    As PyTorch: dz/da = 0 where b = 0, and dz/db = 0 where a = 0 and b >= 0 (there 0^b does
    not change with b), instead of the nan that 0 * inf would give. The terms are grouped as
    PyTorch's pow_backward groups them, so its second derivatives (which follow the grouping
    at a = 0, where 0 * inf terms give nan) are ours too.
    """

    saved_from = (0, 1, OUT)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        out = a**b
        ctx.saved = (a, b, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        a, b, out = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        zero = np.zeros((), dtype=out.dtype)
        a_value, b_value = value_of(a), value_of(b)  # the masks are constants
        with np.errstate(divide="ignore", invalid="ignore"):
            if need_a:  # a^(b-1) is recorded as a Pow again: grad of grad of grad works
                grad_a = where(b_value == 0, zero, grad * (b * a ** (b - 1)))
            if need_b:
                # the factor is selected, then multiplied (PyTorch's pow_backward_exponent):
                # an inf incoming gradient there gives nan, as in PyTorch
                grad_b = grad * where((a_value == 0) & (b_value >= 0), zero, out * log(a))
        return grad_a, grad_b

    @staticmethod
    def array_backward(ctx: Any, grad: Array) -> tuple[Array | None, Array | None]:
        # the same lines on arrays only, without the helpers' type tests (measured: 0.5 us of
        # 13 us on 10 elements); tests/test_higher_order_elementwise.py proves them equal
        a, b, out = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        zero = np.zeros((), dtype=out.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            if need_a:
                grad_a = np.where(b == 0, zero, grad * (b * a ** (b - 1)))
            if need_b:
                grad_b = grad * np.where((a == 0) & (b >= 0), zero, out * np.log(a))
        return grad_a, grad_b


class Exp(Function):
    """z = e^a.   dz/da = e^a = z."""

    saved_from = (OUT,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        if a.dtype.kind != "f":  # ints, bools: the default float, as PyTorch
            a = a.astype(get_default_dtype())
        out = np.exp(a)
        ctx.saved = (out,)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        return grad * ctx.saved[0]


class Log(Function):
    """z = ln(a).   dz/da = 1 / a."""

    saved_from = (0,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        if a.dtype.kind != "f":  # ints, bools: the default float, as PyTorch
            a = a.astype(get_default_dtype())
        ctx.saved = (a,)
        return np.log(a)

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        return grad / ctx.saved[0]


class Sqrt(Function):
    """z = sqrt(a).   dz/da = 1 / (2 sqrt(a)) = 1 / (2 z)."""

    saved_from = (OUT,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        if a.dtype.kind != "f":  # ints, bools: the default float, as PyTorch
            a = a.astype(get_default_dtype())
        out = np.sqrt(a)
        ctx.saved = (out,)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        return grad / (2 * ctx.saved[0])


class Abs(Function):
    """z = |a|.   dz/da = sign(a)  (0 at a = 0 and at NaN, as PyTorch)."""

    saved_from = (None,)  # a enters only through sign(a): a constant (d sign / da = 0)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        ctx.saved = (a,)
        return np.abs(a)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad * sgn(ctx.saved[0])


class _Pick(Function):
    """Shared backward of maximum/minimum: dz/da = 1 where a's value was picked, else 0 (and
    so for b); at ties each input gets half (as PyTorch).

    The gradient is *selected* (``np.where``), not multiplied by a 0/1 mask: a NaN or inf in
    the incoming gradient must not reach the input that was not picked (``nan * 0`` is nan).
    PyTorch's rule, kept exactly: g/2 where a == b, else g, and 0 where the other input won
    (comparisons with NaN are false, so a NaN input keeps g on both sides). The result is
    linear in g with 0/1/half factors: its own derivative is that selection again.
    """

    saved_from = (None, None)  # a and b enter only through comparisons: constants
    differentiable_backward = True
    larger = True  # Maximum; Minimum picks the smaller (read through ctx: a GraphContext too)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        select = _where_for(grad)
        zero = np.zeros((), dtype=grad.dtype)
        shared = select(a == b, grad / 2, grad)
        a_lost, b_lost = (a < b, a > b) if ctx.larger else (a > b, a < b)
        return (select(a_lost, zero, shared) if need_a else None,
                select(b_lost, zero, shared) if need_b else None)


class Maximum(_Pick):
    """z = max(a, b) elementwise.   dz/da = [a > b],  dz/db = [b > a];  ties split 1/2 each."""

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        ctx.saved = (a, b)
        return np.maximum(a, b)


class Minimum(_Pick):
    """z = min(a, b) elementwise.   dz/da = [a < b],  dz/db = [b < a];  ties split 1/2 each."""

    larger = False

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        ctx.saved = (a, b)
        return np.minimum(a, b)


class Clamp(Function):
    """z = min(max(a, low), high).   dz/da = [low <= a <= high]  (1 on the bounds, as PyTorch).

    Selected, not multiplied: outside the bounds (and at NaN inputs) the gradient is 0 even
    when the incoming one is NaN or inf.
    """

    saved_from = (None,)  # a enters only through the comparisons: a constant
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, low: float | None, high: float | None) -> Array:
        ctx.saved = (a,)
        ctx.bounds = (low, high)
        return np.clip(a, low, high)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (a,) = ctx.saved
        low, high = ctx.bounds
        if low is not None and high is not None:
            inside = (a >= low) & (a <= high)
        else:
            inside = a >= low if low is not None else a <= high
        return _where_for(grad)(inside, grad, np.zeros((), dtype=grad.dtype))


class Where(Function):
    """z = a where cond else b.   dz/da = [cond],  dz/db = [not cond]  (cond gets no gradient).

    ``cond`` is the first input (a bool tensor that needs no gradient) rather than a setting,
    so the engine's in-place check covers it: changing it after the forward would silently
    send the gradient to the wrong branch.
    """

    saved_from = (None,)  # the condition: a constant
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, condition: Array, a: Array, b: Array) -> Array:
        ctx.saved = (condition,)
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[None, Any, Any]:
        (condition,) = ctx.saved
        select = _where_for(grad)
        zero = np.zeros((), dtype=grad.dtype)
        return None, select(condition, grad, zero), select(condition, zero, grad)


class Clone(Function):
    """z = a copy of a.   dz/da = 1."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        return a.copy()

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        return grad


class Cast(Function):
    """z = a converted to another float dtype.   dz/da = 1 (the gradient is cast back)."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, dtype: np.dtype) -> Array:
        ctx.source_dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        if type(grad) is _ndarray or isinstance(grad, np.generic):  # (a sum of 0-d arrays)
            return grad.astype(ctx.source_dtype)  # either.cast's call: +0.1 us of 0.4
        return grad.to(ctx.source_dtype)  # a Tensor: the cast back is a recorded Cast
