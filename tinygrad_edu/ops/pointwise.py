"""Pointwise math of one input: trigonometric and hyperbolic functions, the exp/log variants,
reciprocal, rsqrt, sinc, logit, nan_to_num, frac, and the rounding functions (zero gradient).

Each op's backward is PyTorch's formula from its ``derivatives.yaml``, grouped as PyTorch
groups it (so that second derivatives at the edges -- 0, +-1, inf -- agree too), and written
with the helpers below, which run on arrays (the default path) and on Tensors (recorded under
``create_graph``). Integer and bool inputs compute in float32, as PyTorch's do.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import Array, Function
from ..autograd.graph import OUT
from ..dtypes import get_default_dtype
from .either import is_array, sgn, value_of, where
from .elementwise import power

# ---------------------------------------------------------------------- shared pieces


def as_float(x: Array) -> Array:
    """Integer and bool inputs compute in the default float (float32), as PyTorch (NumPy would
    give float64)."""
    return x if x.dtype.kind == "f" else x.astype(get_default_dtype())


def _method(ufunc: Any, name: str) -> Any:
    """``ufunc(x)`` on an array, ``x.<name>()`` (a recorded op) on a Tensor."""

    def call(x: Any) -> Any:
        return ufunc(x) if is_array(x) else getattr(x, name)()

    call.__name__ = name
    return call


sin, cos = _method(np.sin, "sin"), _method(np.cos, "cos")
sinh, cosh = _method(np.sinh, "sinh"), _method(np.cosh, "cosh")
exp, log, log1p = _method(np.exp, "exp"), _method(np.log, "log"), _method(np.log1p, "log1p")


def rsqrt(x: Any) -> Any:
    """1 / sqrt(x): NaN below 0, also at -inf (a 0-d array's ** gives C's pow there: 0)."""
    return 1 / np.sqrt(x) if is_array(x) else power(x, -0.5)


def zeros_like(grad: Any) -> Any:
    """A zero gradient that stays zero (also for a NaN incoming gradient), as PyTorch's
    ``zeros_like(grad)``: a constant (its own derivative is 0)."""
    zeros = np.zeros(grad.shape, grad.dtype)
    return zeros if is_array(grad) else grad._wrap(zeros, False)


class _OfInput(Function):
    """A pointwise op whose derivative dz/dx is written with its input x (saved)."""

    saved_from: tuple[Any, ...] = (0,)
    differentiable_backward = True
    fn: Any = None  # the NumPy function of the forward

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        x = as_float(x)
        ctx.saved = (x,)
        with np.errstate(all="ignore"):  # NaN and inf outside the domain, without a warning
            return type(ctx).fn(x)


class _OfOutput(Function):
    """A pointwise op whose derivative dz/dx is written with its output z (saved)."""

    saved_from: tuple[Any, ...] = (OUT,)
    differentiable_backward = True
    fn: Any = None

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        with np.errstate(all="ignore"):
            out = np.asarray(type(ctx).fn(as_float(x)))
        ctx.saved = (out,)
        return out


# ---------------------------------------------------------------------- trigonometric


class Sin(_OfInput):
    """z = sin x.   dz/dx = cos x."""

    fn = staticmethod(np.sin)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad * cos(ctx.saved[0])


class Cos(_OfInput):
    """z = cos x.   dz/dx = -sin x."""

    fn = staticmethod(np.cos)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad * -sin(ctx.saved[0])


class Tan(_OfOutput):
    """z = tan x.   dz/dx = 1 + tan^2 x = 1 + z^2."""

    fn = staticmethod(np.tan)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        out = ctx.saved[0]
        return grad * (out * out + 1)


class Asin(_OfInput):
    """z = asin x.   dz/dx = 1 / sqrt(1 - x^2)."""

    fn = staticmethod(np.arcsin)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x = ctx.saved[0]
        return grad * rsqrt(1 - x * x)


class Acos(_OfInput):
    """z = acos x.   dz/dx = -1 / sqrt(1 - x^2)."""

    fn = staticmethod(np.arccos)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x = ctx.saved[0]
        return grad * -rsqrt(1 - x * x)


class Atan(_OfInput):
    """z = atan x.   dz/dx = 1 / (1 + x^2)."""

    fn = staticmethod(np.arctan)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x = ctx.saved[0]
        return grad / (x * x + 1)


# ---------------------------------------------------------------------- hyperbolic


class Sinh(_OfInput):
    """z = sinh x.   dz/dx = cosh x."""

    fn = staticmethod(np.sinh)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad * cosh(ctx.saved[0])


class Cosh(_OfInput):
    """z = cosh x.   dz/dx = sinh x."""

    fn = staticmethod(np.cosh)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad * sinh(ctx.saved[0])


class Asinh(_OfInput):
    """z = asinh x.   dz/dx = 1 / sqrt(x^2 + 1)."""

    fn = staticmethod(np.arcsinh)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x = ctx.saved[0]
        return grad * rsqrt(x * x + 1)


class Acosh(_OfInput):
    """z = acosh x.   dz/dx = 1 / sqrt(x^2 - 1)."""

    fn = staticmethod(np.arccosh)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x = ctx.saved[0]
        return grad * rsqrt(x * x - 1)


class Atanh(_OfInput):
    """z = atanh x.   dz/dx = 1 / (1 - x^2)."""

    fn = staticmethod(np.arctanh)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x = ctx.saved[0]
        return grad / (1 - x * x)


# ---------------------------------------------------------------------- exp and log variants


class Log1p(_OfInput):
    """z = ln(1 + x), accurate for small x.   dz/dx = 1 / (1 + x)."""

    fn = staticmethod(np.log1p)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad / (ctx.saved[0] + 1)


class Expm1(_OfOutput):
    """z = e^x - 1, accurate for small x.   dz/dx = e^x = z + 1."""

    fn = staticmethod(np.expm1)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad * (ctx.saved[0] + 1)


class Log2(_OfInput):
    """z = log2 x (its own op: exact at powers of 2, where ln x / ln 2 is not).
    dz/dx = 1 / (x ln 2)."""

    fn = staticmethod(np.log2)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad / (ctx.saved[0] * math.log(2))


class Log10(_OfInput):
    """z = log10 x (its own op: exact at powers of 10).   dz/dx = 1 / (x ln 10)."""

    fn = staticmethod(np.log10)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad / (ctx.saved[0] * math.log(10))


class Exp2(_OfOutput):
    """z = 2^x (its own op: exact at integers).   dz/dx = z ln 2."""

    fn = staticmethod(np.exp2)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad * ctx.saved[0] * math.log(2)


class Reciprocal(_OfOutput):
    """z = 1 / x.   dz/dx = -1 / x^2 = -z^2."""

    fn = staticmethod(np.reciprocal)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        out = ctx.saved[0]
        return -grad * (out * out)


class Rsqrt(_OfOutput):
    """z = 1 / sqrt(x).   dz/dx = -x^(-3/2) / 2 = -z^3 / 2."""

    fn = staticmethod(lambda x: 1 / np.sqrt(x))

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return -0.5 * grad * ctx.saved[0] ** 3


def _sinc(x: Array) -> Array:
    """sin(pi x) / (pi x), 1 at 0 (the product rounded in x's dtype, as PyTorch)."""
    product = x * x.dtype.type(math.pi)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(x == 0, x.dtype.type(1), np.sin(product) / product)


class Sinc(_OfInput):
    """z = sin(pi x) / (pi x), 1 at x = 0.
    dz/dx = (pi x cos(pi x) - sin(pi x)) / (pi x^2), 0 at x = 0."""

    fn = staticmethod(_sinc)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x = ctx.saved[0]
        x_pi, x_squared_pi = x * math.pi, x * x * math.pi
        with np.errstate(invalid="ignore", divide="ignore"):
            out = grad * ((x_pi * cos(x_pi)) - sin(x_pi)) / x_squared_pi
        return where(value_of(x_squared_pi) == 0, np.zeros((), out.dtype), out)


class Logit(Function):
    """z = ln(p / (1 - p)) with p = x clamped to [eps, 1 - eps] (no clamp if eps is None).
    dz/dx = 1 / (x (1 - x)) inside [eps, 1 - eps]; outside: 0 (clamped), NaN (eps None);
    NaN at x = NaN either way, as PyTorch."""

    saved_from = (0,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, eps: float | None) -> Array:
        x = as_float(x)
        ctx.saved = (x,)
        ctx.eps = eps
        p = x if eps is None else np.clip(x, eps, 1 - eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(p / (1 - p))

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x = ctx.saved[0]
        low = 0.0 if ctx.eps is None else ctx.eps
        values = value_of(x)  # the mask is a constant
        inside = ~((values < low) | (values > 1 - low))  # NaN is inside: its gradient is NaN
        outside = np.asarray(np.nan if ctx.eps is None else 0.0, grad.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            return where(inside, grad / (x * (1 - x)), outside)


class NanToNum(Function):
    """z = x with NaN, +inf and -inf replaced by numbers.   dz/dx = [x is finite]
    (a product, as PyTorch's: a NaN gradient stays NaN)."""

    saved_from = (None,)  # x enters only through isfinite: a constant
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, nan: float, posinf: float | None,
                neginf: float | None) -> Array:
        ctx.saved = (np.isfinite(x),)
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad * ctx.saved[0].astype(grad.dtype)


class Frac(Function):
    """z = x - trunc(x).   dz/dx = 1."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        return x - np.trunc(x)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad


# ---------------------------------------------------------------------- rounding (zero gradient)


class _Rounding(Function):
    """A step function: dz/dx = 0 almost everywhere, and PyTorch takes it as 0
    everywhere (``zeros_like(grad)``)."""

    differentiable_backward = True
    fn: Any = None

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        return type(ctx).fn(x)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return zeros_like(grad)


class Floor(_Rounding):
    """z = floor x (the largest integer <= x).   dz/dx = 0."""

    fn = staticmethod(np.floor)


class Ceil(_Rounding):
    """z = ceil x (the smallest integer >= x).   dz/dx = 0."""

    fn = staticmethod(np.ceil)


class Trunc(_Rounding):
    """z = trunc x (rounded towards 0).   dz/dx = 0."""

    fn = staticmethod(np.trunc)


class Sgn(_Rounding):
    """z = sign x (-1, 0 or 1; 0 at NaN, as PyTorch's sgn).   dz/dx = 0."""

    fn = staticmethod(sgn)


class Round(Function):
    """z = x rounded to ``decimals`` places, halves to even (NumPy's and PyTorch's rint).
    dz/dx = 0."""

    differentiable_backward = True
    backward = staticmethod(_Rounding.backward)

    @staticmethod
    def forward(ctx: Any, x: Array, decimals: int) -> Array:
        if decimals == 0:
            return np.rint(x)
        # as PyTorch: x * 10^d rounded, then / 10^d (for d < 0: x / 10^-d, then * 10^-d)
        scale = x.dtype.type(10.0 ** abs(decimals))
        with np.errstate(over="ignore", invalid="ignore"):
            if decimals > 0:
                return np.rint(x * scale) / scale
            return np.rint(x / scale) * scale
