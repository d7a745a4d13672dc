"""The error function and the standard normal CDF on NumPy arrays (NumPy has neither), and
``NormalCdf``, the recorded op that GELU's second derivative runs through (and ``Erf``,
``Erfc``: the ops a ``Tensor.erf`` / ``erfc`` would apply).

    erf(x)  = 2/sqrt(pi) * integral_0^x e^(-t^2) dt        erfc(x) = 1 - erf(x)
    Phi(x)  = (1 + erf(x / sqrt 2)) / 2 = erfc(-x / sqrt 2) / 2

One formula for t = |x| >= 0, without regions (so no gathers, no selects):

    erfc(t) = e^(-t^2) erfcx(t),    erfcx(t) = P(v) / Q(v),   v = t / T

with P and Q fitted for this file (Lawson-weighted least squares against mpmath at 40
digits): degree 10 / 10 on [0, T = 27] for float64 (relative error of the fit 2e-17), degree
5 / 5 on [0, T = 10.5] for float32 inputs, which are computed in float32 (2e-9). Every term of
P and Q is positive on [0, 1], so Horner's rule adds without cancelling. Beyond T, erfc
underflows (erfc(27.3) is below float64's smallest number, erfc(10.1) below float32's); t is
clipped there so the polynomials cannot overflow. erfc(-t) = 2 - erfc(t). erfc keeps its
relative accuracy where it is tiny (erfc(10) = 2e-45), which 1 - erf would lose; erf near 0 is
x P(x^2) (degree 8), so it keeps its relative accuracy there too.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import Array, Function
from .either import exp, is_array

SQRT1_2 = math.sqrt(0.5)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)

# highest power first (Horner's order)
_ERFCX_P = (0.0028276111591498177, 421444512.1261648, 302807618.0585478, 106184878.72273861,
            23537696.915133316, 3609393.3755187513, 395870.5863539919, 31067.697646596618,
            1689.790616926549, 58.400239752415544, 1.0)
_ERFCX_Q = (20168755609.246326, 14491238273.065557, 5095443693.5913515, 1136365118.6005783,
            176198403.2080228, 19703830.513248187, 1600540.5425667046, 92847.42250208375,
            3668.217820068954, 88.8664772639942, 1.0)
_ERFCX32_P = (-0.006437092422560242, 344.2294543002931, 239.53284833294822,
              75.35430667819351, 12.500677339503584, 1.0000000023072315)
_ERFCX32_Q = (6405.865873473449, 4458.83002499356, 1430.4383533020543, 253.58632514269573,
              24.348661162688366, 1.0)
_SMALL = (1.4725865480556744e-06, -1.484584925970787e-05, 0.0001205333512435374,
          -0.0008548297753674967, 0.00522397737302147, -0.02686617063288793,
          0.11283791670925353, -0.37612638903183474, 1.1283791670955126)  # erf(x)/x in x^2


def _horner(coefficients: tuple[float, ...], v: Array) -> Array:
    """sum_k c_k v^(n-k), in place on one new array (Python floats keep v's dtype)."""
    out = np.multiply(v, coefficients[0], out=np.empty_like(v))
    for c in coefficients[1:-1]:
        out += c
        out *= v
    out += coefficients[-1]
    return out


def _exp_minus_square(t: Array) -> Array:
    """e^(-t^2) for t >= 0, without the rounding of t^2, which alone costs t^2 ulps (1e-13 at
    t = 26 in float64): t = hi + lo with hi holding half the mantissa bits (Veltkamp's split),
    so hi^2 is exact and e^(-t^2) = e^(-hi^2) e^(-lo (t + hi)). t is clipped at 30 first
    (e^-900 is 0 in both dtypes), so nothing overflows."""
    t = np.minimum(t, 30.0, out=np.empty_like(t))  # (out=: arrays also for 0-d inputs)
    split = np.multiply(t, 134217729.0 if t.dtype == np.float64 else 4097.0,  # 2^27 + 1,
                        out=np.empty_like(t))  # 2^12 + 1
    hi = np.subtract(split, t, out=np.empty_like(t))
    np.subtract(split, hi, out=hi)
    lo = np.subtract(t, hi, out=split)
    lo *= t + hi
    np.negative(lo, out=lo)
    np.square(hi, out=hi)
    np.negative(hi, out=hi)
    out = np.exp(hi, out=hi)
    out *= np.exp(lo, out=lo)
    return out


def _erfc_of_size(t: Array) -> Array:
    """erfc(t) for t = |x| >= 0 (NaN stays NaN, inf gives 0), in t's dtype."""
    single = t.dtype == np.float32
    top = 10.5 if single else 27.0
    v = np.minimum(t, top, out=np.empty_like(t))  # past the fit: e^(-t^2) is 0 there
    v *= 1 / top
    p, q = (_ERFCX32_P, _ERFCX32_Q) if single else (_ERFCX_P, _ERFCX_Q)
    out = _horner(p, v)
    out /= _horner(q, v)
    out *= _exp_minus_square(t)
    return out


def _as_float(x: Any) -> Array:
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def erfc(x: Any) -> Array:
    """erfc(x) = 1 - erf(x), elementwise, accurate also where it is tiny (x > 1)."""
    x = _as_float(x)
    out = _erfc_of_size(np.abs(x, out=np.empty_like(x)))
    reflected = 2 - 2 * out  # erfc(-t) = 2 - erfc(t): out + (2 - 2 out) where x < 0
    reflected *= x < 0  # (out is finite where x >= 0, so the mask multiplies no inf)
    out += reflected
    return out


def erf(x: Any) -> Array:
    """erf(x), elementwise: x P(x^2) for |x| < 0.5, sign(x) (1 - erfc(|x|)) elsewhere."""
    x = _as_float(x)
    t = np.abs(x, out=np.empty_like(x))
    out = _erfc_of_size(t)
    np.subtract(1, out, out=out)
    np.copysign(out, x, out=out)
    small = t < 0.5
    if small.any():
        xs = x[small]
        r = _horner(_SMALL, xs * xs)
        r *= xs
        out[small] = r
    return out


def normal_cdf(x: Array) -> Array:
    """Phi(x) = erfc(-x / sqrt 2) / 2: the probability that a standard normal is <= x.
    Accurate in both tails (Phi(-30) = 5e-198 in float64, not 0)."""
    half = np.abs(x, out=np.empty_like(x))
    half *= SQRT1_2
    half = _erfc_of_size(half)
    half *= 0.5  # Phi(-|x|)
    upper = 1 - 2 * half  # Phi(|x|) = 1 - Phi(-|x|): half + (1 - 2 half) where x > 0
    upper *= x > 0
    half += upper
    return half


class NormalCdf(Function):
    """z = Phi(x) = (1 + erf(x / sqrt 2)) / 2.   dz/dx = phi(x) = e^(-x^2/2) / sqrt(2 pi).

    The op GELU's backward records under create_graph (its derivative phi is made of ops
    that record themselves, so every order follows)."""

    saved_from = (0,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        ctx.saved = (x,)
        return normal_cdf(x)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved
        return grad * normal_pdf(x)


def normal_pdf(x: Any) -> Any:
    """phi(x) = e^(-x^2/2) / sqrt(2 pi), on arrays or Tensors."""
    return exp(x * x * -0.5) * INV_SQRT_2PI


def cdf(x: Any) -> Any:
    """Phi(x) on arrays or (recorded) Tensors."""
    return normal_cdf(x) if is_array(x) else NormalCdf.apply(x)


class Erf(Function):
    """z = erf(x).   dz/dx = 2/sqrt(pi) e^(-x^2).   (For a ``Tensor.erf``, as PyTorch's.)"""

    saved_from = (0,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        ctx.saved = (x,)
        return erf(x)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved
        return grad * (exp(x * x * -1.0) * _TWO_OVER_SQRT_PI)


class Erfc(Function):
    """z = erfc(x) = 1 - erf(x).   dz/dx = -2/sqrt(pi) e^(-x^2).   (For a ``Tensor.erfc``.)"""

    saved_from = (0,)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        ctx.saved = (x,)
        return erfc(x)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved
        return grad * (exp(x * x * -1.0) * -_TWO_OVER_SQRT_PI)
