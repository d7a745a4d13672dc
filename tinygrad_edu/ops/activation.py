"""Activations, all numerically stable at |x| = 1e4 in float32 (no overflow, finite grads):
ReLU, LeakyReLU, Sigmoid, Tanh, Softmax, LogSoftmax and the piecewise linear Hardtanh (and
ReLU6), Hardswish, Hardsigmoid, PReLU. The smooth ones (GELU, SiLU, ELU, ...) are in
activation_smooth.py."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._sums import layout_sum
from ..autograd import Array, Function
from ..autograd.graph import OUT
from .either import exp, sum_keepdims, value_of, where
from .reduce import max_keepdims

_UNSIGNED = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def zero_where(mask: Array, grad: Array) -> Array:
    """``np.where(mask, 0, grad)``: exact zeros where ``mask`` holds (even where grad is NaN or
    inf, which a multiply by a 0/1 mask would keep), ``grad`` elsewhere.

    Speed trick, measured: ``np.where`` takes 189 us on a 100 x 512 float32 ReLU gradient here,
    ``grad * mask`` 22 us; this takes 31 us. It ANDs grad's bits with a mask that is all ones
    where grad is kept and all zeros (the bits of +0.0) where it is dropped.
    """
    unsigned = _UNSIGNED.get(grad.dtype.itemsize) if grad.dtype.kind == "f" else None
    if unsigned is None or grad.shape != mask.shape or not grad.ndim:  # 0-d: NumPy scalars
        return np.where(mask, np.zeros((), dtype=grad.dtype), grad)
    keep = mask.view(np.uint8).astype(unsigned)  # 1 where dropped, 0 where kept
    keep -= 1  # 0 where dropped, all ones where kept (unsigned wrap-around)
    keep &= grad.view(unsigned)  # same itemsize: a view of any layout
    return keep.view(grad.dtype)


def select(mask: Array, a: Array, b: Array) -> Array:
    """``np.where(mask, a, b)`` for two float arrays of the mask's shape and one dtype: the
    bits of a where mask holds, of b elsewhere (an AND/OR blend, exact for NaN and inf).
    Measured on 100 x 512 float32: 42 us, against 179 us for np.where. Anything else goes
    to np.where."""
    unsigned = _UNSIGNED.get(a.dtype.itemsize) if a.dtype.kind == "f" else None
    if (unsigned is None or type(b) is not np.ndarray or not a.ndim or a.dtype != b.dtype
            or not a.shape == b.shape == mask.shape):
        return np.where(mask, a, b)
    m = mask.view(np.uint8).astype(unsigned)  # 1 where a is taken
    np.negative(m, out=m)  # all ones where a is taken, 0 elsewhere (unsigned wrap-around)
    out = np.bitwise_and(a.view(unsigned), m)
    np.invert(m, out=m)
    m &= b.view(unsigned)
    out |= m
    return out.view(a.dtype)


class ReLU(Function):
    """z = max(x, 0).   dz/dx = [x > 0].

    The derivative at exactly 0 is taken as 0, as PyTorch does. Seed 001 writes it as 1 at 0
    (``x >= 0``); the two agree everywhere else. The gradient is selected where z <= 0, not
    multiplied by a mask, so a NaN gradient does not leak into inactive units (as PyTorch's
    ``threshold_backward``; a NaN input passes its gradient on, as there).
    """

    saved_from = (OUT,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        out = np.maximum(x, x.dtype.type(0))  # a zero of x's dtype: no type promotion step
        ctx.saved = (out,)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:  # Tensors (create_graph): select, as below
        return grad.where(~(np.asarray(ctx.saved[0]) <= 0), 0.0)  # the mask is a constant

    @staticmethod
    def array_backward(ctx: Any, grad: Array) -> Array:
        return zero_where(ctx.saved[0] <= 0, grad)


class LeakyReLU(Function):
    """z = x if x > 0 else s * x.   dz/dx = 1 if x > 0 else s  (s at 0, as PyTorch)."""

    saved_from = (None,)  # the mask [x > 0]: a constant
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, negative_slope: float) -> Array:
        positive = x > 0
        ctx.saved = (positive,)
        ctx.negative_slope = negative_slope
        out = np.multiply(x, np.asarray(negative_slope, dtype=x.dtype), out=np.empty_like(x))
        if 0 < negative_slope <= 1:  # max(x, s x) is the select (NaN, inf and -0.0 kept):
            return np.maximum(x, out, out=out)  # a select costs 10x as much (measured)
        if negative_slope > 1:
            return np.minimum(x, out, out=out)
        return np.where(positive, x, out)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (positive,) = ctx.saved
        pick = select if type(grad) is np.ndarray else where  # one type test per call
        return pick(positive, grad, grad * np.asarray(ctx.negative_slope, dtype=grad.dtype))


def stable_sigmoid(x: Array) -> Array:
    """1 / (1 + e^-x) = e^min(x, 0) / (1 + e^-|x|): both exponents are <= 0, so nothing
    overflows, and for very negative x it is e^x / (1 + e^x), exact to rounding where
    1 - sigma(-x) would cancel to 0. Two exps and no select: measured 186 us on 51,200
    float32 values, where exp(-logaddexp(0, -x)) took 1,127 us (and warned at NaN). Seven
    NumPy calls, each result reused in place (4.1 us on 16 values; preallocating with
    empty_like cost 0.7 us more, which model E's step pays twice)."""
    if x.ndim == 0:  # a ufunc of a 0-d array returns a scalar, which out= cannot take
        return stable_sigmoid(x.reshape(1)).reshape(())
    d = np.abs(x)
    np.negative(d, out=d)
    np.exp(d, out=d)
    d += 1
    out = np.minimum(x, 0)
    np.exp(out, out=out)
    out /= d
    return out


class Sigmoid(Function):
    """z = 1 / (1 + e^-x).   dz/dx = z (1 - z)."""

    saved_from = (OUT,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        if x.dtype.kind != "f":  # int and bool inputs: float32, as PyTorch (NumPy: float64)
            x = x.astype(np.float32)
        out = stable_sigmoid(x)
        ctx.saved = (out,)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        out = ctx.saved[0]
        return grad * out * (1 - out)


class Tanh(Function):
    """z = tanh(x).   dz/dx = 1 - z^2."""

    saved_from = (OUT,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        if x.dtype.kind != "f":  # int and bool inputs: float32, as PyTorch (NumPy: float64)
            x = x.astype(np.float32)
        out = np.tanh(x)
        ctx.saved = (out,)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        out = ctx.saved[0]
        return grad * (1 - out * out)


def log_softmax_array(x: Array, axis: int) -> Array:
    """x - logsumexp(x): the max is subtracted first so exp never overflows."""
    shifted = x - max_keepdims(x, axis)
    return shifted - np.log(layout_sum(np.exp(shifted), axis, keepdims=True))


class Softmax(Function):
    """z_i = e^x_i / sum_j e^x_j.   dL/dx = z * (g - sum(g * z))  (the Jacobian diag(z) - z z^T
    applied to the incoming gradient g without building it)."""

    saved_from = (OUT,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, dim: int) -> Array:
        e = np.exp(x - max_keepdims(x, dim))
        out = e / layout_sum(e, dim, keepdims=True)
        ctx.saved = (out,)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        out = ctx.saved[0]
        return out * (grad - sum_keepdims(grad * out, ctx.dim))

    @staticmethod
    def array_backward(ctx: Any, grad: Array) -> Array:
        # the same line on arrays, without the helper's type test (measured: 0.2 us of 3.5 on
        # 10 elements); tests/test_higher_order_elementwise.py proves the two equal
        out = ctx.saved[0]
        return out * (grad - layout_sum(grad * out, ctx.dim, keepdims=True))


class LogSoftmax(Function):
    """z = x - logsumexp(x).   dL/dx = g - softmax(x) * sum(g) = g - e^z * sum(g)."""

    saved_from = (OUT,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, dim: int) -> Array:
        out = log_softmax_array(x, dim)
        ctx.saved = (out,)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        out = ctx.saved[0]  # e^z is recorded (an Exp of the output): its derivative follows
        return grad - exp(out) * sum_keepdims(grad, ctx.dim)

    @staticmethod
    def array_backward(ctx: Any, grad: Array) -> Array:
        # on arrays only, as Softmax's (measured: 0.3 us of 3.5 on 10 elements)
        out = ctx.saved[0]
        return grad - np.exp(out) * layout_sum(grad, ctx.dim, keepdims=True)


# ---------------------------------------------------------------------- piecewise linear


class Hardtanh(Function):
    """z = min(max(x, lo), hi).   dz/dx = 1 if lo < x < hi else 0.

    0 on the bounds themselves (so ReLU6 = Hardtanh(0, 6) has derivative 0 at 0 and at 6) and
    at a NaN input, as PyTorch's vectorized ``hardtanh_backward`` (its scalar loop, which
    takes a tensor's last few elements, passes the gradient on at NaN instead). Selected, not
    multiplied: outside the bounds the gradient is 0 even where the incoming one is NaN.
    """

    saved_from = (None,)  # x enters only through the comparisons: a constant
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, min_val: Any, max_val: Any) -> Array:
        ctx.saved = (x,)
        ctx.bounds = (min_val, max_val)
        return np.clip(x, min_val, max_val)  # keeps -0.0 and NaN, as PyTorch's clamp

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved
        low, high = ctx.bounds
        outside = ~((x > low) & (x < high))
        if type(grad) is np.ndarray:
            return zero_where(outside, grad)
        return where(outside, 0.0, grad)


class Hardswish(Function):
    """z = x relu6(x + 3) / 6:   0 (x <= -3),   x (x + 3) / 6 (-3 < x < 3),   x (x >= 3).
    dz/dx = 0 (x <= -3),   x / 3 + 1/2 (-3 < x < 3),   1 (x >= 3);   NaN at NaN.

    The derivative at the kinks is PyTorch's: 0 at -3 and 1 at 3; NaN at a NaN input as its
    vectorized kernel (its scalar loop for a tensor's last elements gives the gradient);
    x = -inf gives z = NaN (-inf * 0) there as here.
    """

    saved_from = (0,)  # x / 3 + 1/2 is differentiated again (1/3 inside the bounds)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        ctx.saved = (x,)
        out = np.add(x, 3, out=np.empty_like(x))
        np.clip(out, 0, 6, out=out)
        out *= x
        out /= 6
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved
        values = value_of(x)
        inside = where(values >= 3, grad, grad * (x / 3 + 0.5))  # NaN: the middle, NaN
        return where(values <= -3, 0.0, inside)

    @staticmethod
    def array_backward(ctx: Any, grad: Array) -> Array:
        (x,) = ctx.saved
        out = np.divide(x, 3, out=np.empty_like(x))
        out += 0.5
        out *= grad
        return zero_where(x <= -3, select(x >= 3, grad, out))


class Hardsigmoid(Function):
    """z = relu6(x + 3) / 6.   dz/dx = 1/6 if -3 < x < 3 else 0 (0 at +-3 and at NaN, as
    PyTorch)."""

    saved_from = (None,)  # x enters only through the comparisons: a constant
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        ctx.saved = (x,)
        out = np.add(x, 3, out=np.empty_like(x))
        np.clip(out, 0, 6, out=out)
        out /= 6
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved
        outside = ~((x > -3) & (x < 3))
        if type(grad) is np.ndarray:
            return zero_where(outside, grad * (1 / 6))
        return where(outside, 0.0, grad * (1 / 6))


class PReLU(Function):
    """z = x if x > 0 else w x   (w broadcast against x: one weight, or one per channel).
    dz/dx = 1 if x > 0 else w;   dz/dw = 0 if x > 0 else x   (the w side at x = 0 and at NaN,
    as PyTorch). The engine sums dz/dw over the broadcast dims.
    """

    saved_from = (None, 0, 1)  # the mask [x > 0] is a constant; x and w are differentiated
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, w: Array) -> Array:
        positive = x > 0
        ctx.saved = (positive, x, w)
        return select(positive, x, x * w)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        positive, x, w = ctx.saved
        need_x, need_w = ctx.needs_input_grad
        if type(grad) is np.ndarray:
            return (select(positive, grad, grad * w) if need_x else None,
                    zero_where(positive, grad * x) if need_w else None)
        grad_x = where(positive, grad, grad * w) if need_x else None
        grad_w = where(positive, 0.0, grad * x) if need_w else None
        return grad_x, grad_w
