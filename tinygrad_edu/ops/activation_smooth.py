"""The smooth activations: GELU, SiLU, ELU (and SELU, CELU), Softplus, Mish, LogSigmoid,
Softsign, Tanhshrink. All are stable at |x| = 1e4 in float32 (no overflow, no warning, no NaN
from a finite input), keep float32 float32, and give NaN where PyTorch does (also in the
gradient: at x = +-inf several derivatives are inf * 0 there, and here).

Each ``backward`` is written with operations arrays and Tensors share, so it also runs on
Tensors under create_graph. Where it needs a transcendental the forward already computed
(Phi(x) for GELU, sigma(x) for SiLU, ...), the forward saves it and ``array_backward`` (the
default path, arrays only) reuses it; ``backward`` recomputes it from x with recorded ops, so
its own derivative is right. tests/nn/test_activations.py proves the two equal.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import Array, Function
from .activation import select, stable_sigmoid
from .either import exp, is_array, value_of, where
from .erf import INV_SQRT_2PI, cdf, normal_cdf, normal_pdf

# ---------------------------------------------------------------------- shared pieces


def log1p_unit(e: Array) -> Array:
    """log(1 + e) for e in [0, 1] (``e`` may be overwritten).

    float32: log(u) - ((u - 1) - e) / u with u = 1 + e, exact to rounding (u - 1 - e is the
    rounding error of u, so this is log1p's first-order correction). NumPy's float32 log is
    vectorized and its log1p is not: measured 135 us against 380 us on 51,200 values.
    """
    if e.dtype != np.float32:
        return np.log1p(e, out=e)
    u = np.add(e, 1, out=np.empty_like(e))  # (out=: arrays also for 0-d inputs)
    out = np.log(u, out=np.empty_like(u))
    correction = u - 1
    correction -= e
    correction /= u
    out -= correction
    return out


def log1p_exp(x: Array) -> Array:
    """softplus(x) = log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): the exponent is never
    positive, so nothing overflows; +inf gives inf, -inf gives 0."""
    e = np.abs(x, out=np.empty_like(x))
    np.negative(e, out=e)
    out = log1p_unit(np.exp(e, out=e))
    out += np.maximum(x, 0)
    return out


def sigmoid(x: Any) -> Any:
    return stable_sigmoid(x) if is_array(x) else x.sigmoid()


def tanh(x: Any) -> Any:
    return np.tanh(x) if is_array(x) else x.tanh()


def softplus(x: Any) -> Any:
    """log(1 + e^x) on arrays or (recorded, threshold-free) Tensors."""
    return log1p_exp(x) if is_array(x) else Softplus.apply(x, beta=1.0, threshold=math.inf)


def _float(x: Array) -> Array:
    """Integer and bool inputs compute in float32, as PyTorch's composite ops do."""
    return x if x.dtype.kind == "f" else x.astype(np.float32)


# ---------------------------------------------------------------------- GELU

_TANH_K = math.sqrt(2 / math.pi)  # the tanh approximation's sqrt(2/pi) and 0.044715
_TANH_C = 0.044715


def _tanh_gate(x: Any) -> Any:
    """sigma(2u) = (1 + tanh u) / 2 with u = sqrt(2/pi) (x + 0.044715 x^3), arrays or Tensors.
    As a sigmoid it keeps its relative accuracy for x << 0, where 1 + tanh u cancels."""
    if is_array(x):
        with np.errstate(over="ignore"):  # x^2 of |x| > 1e19 in float32: inf, and s = 0 or 1
            inner = x * x
            inner *= _TANH_C
            inner += 1
            inner *= x
        inner *= 2 * _TANH_K
        return stable_sigmoid(inner)
    return ((x * x * _TANH_C + 1) * x * (2 * _TANH_K)).sigmoid()


class GELU(Function):
    """approximate='none':  z = x Phi(x)          dz/dx = Phi(x) + x phi(x)
    approximate='tanh':  z = x s,  s = sigma(2u) = (1 + tanh u) / 2,  u = k (x + c x^3)
                         dz/dx = s + 2 x s (1 - s) k (1 + 3 c x^2)
    with k = sqrt(2/pi), c = 0.044715.

    Phi and phi are the standard normal CDF and density (ops/erf.py: NumPy has no erf).
    float32 'none' returns +0.0 where the product is -0.0, as PyTorch's float32 kernel.
    """

    saved_from = (0, None)  # x, and Phi(x) or s: recomputed on Tensors
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, approximate: str) -> Array:
        gate = _tanh_gate(x) if approximate == "tanh" else normal_cdf(x)
        ctx.saved = (x, gate)
        ctx.approximate = approximate
        out = np.multiply(x, gate, out=np.empty_like(x))
        if approximate == "none" and x.dtype == np.float32:
            out += 0.0  # -0.0 + 0.0 = +0.0; nothing else changes
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x = ctx.saved[0]
        if ctx.approximate == "tanh":
            s = _tanh_gate(x)
            return grad * (s + x * 2 * s * (1 - s) * ((x * x * (3 * _TANH_C) + 1) * _TANH_K))
        return grad * (cdf(x) + x * normal_pdf(x))

    @staticmethod
    def array_backward(ctx: Any, grad: Array) -> Array:
        x, gate = ctx.saved
        if ctx.approximate == "tanh":
            d = 1 - gate
            d *= gate
            d *= x * x * (6 * _TANH_C * _TANH_K) + 2 * _TANH_K
            d *= x
            d += gate
        else:
            d = np.multiply(x, x, out=np.empty_like(x))
            d *= -0.5
            np.exp(d, out=d)
            d *= INV_SQRT_2PI
            d *= x
            d += gate
        d *= grad
        return d


# ---------------------------------------------------------------------- SiLU


class SiLU(Function):
    """z = x sigma(x).   dz/dx = sigma(x) (1 + x (1 - sigma(x)))."""

    saved_from = (0, None)  # x, and sigma(x): recomputed on Tensors
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        s = stable_sigmoid(x)
        ctx.saved = (x, s)
        return np.multiply(x, s, out=np.empty_like(x))

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x = ctx.saved[0]
        s = sigmoid(x)
        return grad * (s * (1 + x * (1 - s)))

    @staticmethod
    def array_backward(ctx: Any, grad: Array) -> Array:
        x, s = ctx.saved
        d = 1 - s
        d *= x
        d += 1
        d *= s
        d *= grad
        return d


# ---------------------------------------------------------------------- ELU, SELU, CELU


class ELU(Function):
    """z = scale x                            (x > 0)      dz/dx = scale
    z = scale alpha (e^(c x) - 1)          (x <= 0)     dz/dx = scale alpha c e^(c x)

    with c = input_scale: ELU is scale = c = 1; SELU fixes alpha and scale; CELU is scale 1,
    c = 1 / alpha. e^(cx) - 1 is ``expm1`` (exact near 0). The derivative at 0 is the left
    one, and a NaN input gets a NaN gradient, as PyTorch's vectorized kernel (the one every
    tensor but its last few elements goes through: PyTorch's scalar loop for those passes
    the gradient on times scale instead).
    """

    saved_from = (0,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, alpha: float, scale: float, input_scale: float) -> Array:
        ctx.saved = (x,)
        ctx.coefficients = (alpha, scale, input_scale)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # inf for large
            out = _expm1_negative(x, input_scale)  # positive x (and inf * 0 at alpha = 0):
            out *= alpha * scale  # replaced by the positive branch below
        return select(x > 0, x * scale if scale != 1 else x, out)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved
        alpha, scale, c = ctx.coefficients
        negative = ~(value_of(x) > 0)  # x <= 0, and NaN
        if is_array(x):
            with np.errstate(over="ignore"):  # c < 0 (CELU with alpha < 0) can overflow
                slope = np.exp(np.minimum(x, 0) * c)  # e^(cx) where it is used
        else:  # e^(cx) with x taken where x < 0 (and NaN) only: no overflow in the branch not
            # taken, and the second derivative is 0 at x = 0, as PyTorch's (its mask is x < 0)
            xv = value_of(x)
            slope = exp(where((xv < 0) | np.isnan(xv), x, 0.0) * c)
        pick = select if is_array(grad) else where
        return pick(negative, grad * (slope * (alpha * scale * c)), grad * scale)


def _expm1_negative(x: Array, c: float) -> Array:
    """e^(cx) - 1, exact where cx <= 0 (the branch ELU uses; elsewhere finite or inf).

    float32 with c > 0: 2 tanh(y/2) / (1 - tanh(y/2)), y = cx, within 2 ulps of expm1 for
    y <= 0 (1 - tanh(y/2) is in [1, 2]: nothing cancels). NumPy's float32 tanh is vectorized
    and its expm1 is not: measured 150 us against 700 us on 51,200 values.
    """
    if x.dtype != np.float32 or c <= 0:
        out = np.multiply(x, c, out=np.empty_like(x))
        return np.expm1(out, out=out)
    t = np.multiply(x, 0.5 * c, out=np.empty_like(x))
    np.tanh(t, out=t)
    den = np.subtract(1, t, out=np.empty_like(t))
    t *= 2
    t /= den
    return t


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


# ---------------------------------------------------------------------- Softplus


class Softplus(Function):
    """z = log(1 + e^(b x)) / b        (b x <= threshold)     dz/dx = sigma(b x)
    z = x                           (b x > threshold)      dz/dx = 1

    Computed as max(bx, 0) + log(1 + e^-|bx|) (no overflow for any x; PyTorch's
    log1p(exp(bx)) overflows to inf in float32 where threshold > 88 / b, and its derivative to
    NaN: a difference only with such thresholds).
    """

    saved_from = (0,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, beta: float, threshold: float) -> Array:
        ctx.saved = (x,)
        ctx.settings = (beta, threshold)
        bx = x * beta if beta != 1 else x
        out = log1p_exp(bx)
        if beta != 1:
            with np.errstate(divide="ignore", invalid="ignore"):  # beta = 0: inf, as PyTorch
                out /= beta
        if threshold != math.inf:
            return select(bx > threshold, x, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved
        beta, threshold = ctx.settings
        bx = x * beta if beta != 1 else x
        if threshold == math.inf:
            return grad * sigmoid(bx)
        values = value_of(bx)
        if not is_array(bx):  # recorded: from bx = threshold on, bx enters as a constant, so
            # the second derivative is 0 there, as PyTorch's (its mask is bx < threshold)
            bx = where((values < threshold) | np.isnan(values), bx, values)
        pick = select if is_array(grad) else where
        return pick(values > threshold, grad, grad * sigmoid(bx))


# ---------------------------------------------------------------------- Mish


class Mish(Function):
    """z = x tanh(softplus(x)).   dz/dx = t + x sigma(x) (1 - t^2),  t = tanh(softplus(x))."""

    saved_from = (0, None)  # x, and t: recomputed on Tensors
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        t = log1p_exp(x)
        np.tanh(t, out=t)
        ctx.saved = (x, t)
        return np.multiply(x, t, out=np.empty_like(x))

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x = ctx.saved[0]
        t = tanh(softplus(x))
        return grad * (t + x * sigmoid(x) * (1 - t * t))

    @staticmethod
    def array_backward(ctx: Any, grad: Array) -> Array:
        x, t = ctx.saved
        d = np.multiply(t, t, out=np.empty_like(t))
        np.subtract(1, d, out=d)
        d *= stable_sigmoid(x)
        d *= x
        d += t
        d *= grad
        return d


# ---------------------------------------------------------------------- LogSigmoid


class LogSigmoid(Function):
    """z = log sigma(x) = min(x, 0) - log(1 + e^-|x|).   dz/dx = sigma(-x) = 1 - sigma(x).

    The forward is PyTorch's formula term by term (no overflow; 0.0, not -0.0, for large x)."""

    saved_from = (0,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        ctx.saved = (x,)
        e = np.abs(x, out=np.empty_like(x))
        np.negative(e, out=e)
        log_term = log1p_unit(np.exp(e, out=e))
        out = np.minimum(x, 0, out=np.empty_like(x))
        out -= log_term
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved
        return grad * sigmoid(-x)


# ---------------------------------------------------------------------- Softsign, Tanhshrink


class Softsign(Function):
    """z = x / (1 + |x|).   dz/dx = 1 / (1 + |x|)^2, written 1/d - |x|/d^2 (d = 1 + |x|).

    That is the derivative PyTorch's composition x / (|x| + 1) takes, equal to 1/d^2 and
    NaN at x = +-inf (inf/inf), as there. Integer inputs give float32, as there."""

    saved_from = (0,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        x = _float(x)
        ctx.saved = (x,)
        d = np.abs(x, out=np.empty_like(x))
        d += 1
        return np.divide(x, d, out=d)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved
        size = abs(x)
        d = size + 1
        return grad * ((1 - size / d) / d)


class Tanhshrink(Function):
    """z = x - tanh(x).   dz/dx = tanh(x)^2.   Integer inputs give float32, as PyTorch."""

    saved_from = (0, None)  # x, and tanh(x): recomputed on Tensors
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        x = _float(x)
        t = np.tanh(x, out=np.empty_like(x))
        ctx.saved = (x, t)
        return np.subtract(x, t, out=np.empty_like(x))

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        t = tanh(ctx.saved[0])
        return grad * (t * t)

    @staticmethod
    def array_backward(ctx: Any, grad: Array) -> Array:
        t = ctx.saved[1]
        return grad * (t * t)
