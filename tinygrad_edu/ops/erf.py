"""The error function and the standard normal CDF on NumPy arrays (NumPy has neither), and
``NormalCdf``, the recorded op that GELU's second derivative runs through.

    erf(x)  = 2/sqrt(pi) * integral_0^x e^(-t^2) dt        erfc(x) = 1 - erf(x)
    Phi(x)  = (1 + erf(x / sqrt 2)) / 2 = erfc(-x / sqrt 2) / 2

Three regions of t = |x|, each a rational (or polynomial) approximation fitted for this file
(a Lawson-weighted least-squares fit against mpmath at 40 digits; relative error of each fit
below 1e-16, so what is left is float rounding):

* t < 0.5:       erf(x)  = x * P(x^2)                          (P: degree 8)
* 0.5 <= t < 4:  erfc(t) = e^(-t^2) * P(v) / Q(v),  v = (t - 0.5) / 3.5      (degree 7 / 7)
* t >= 4:        erfc(t) = e^(-t^2) / (t sqrt(pi)) * (1 + u P(v) / Q(v)),  u = 1 / t^2,
                 v maps u in [1/784, 1/16] to [0, 1]                (degree 5 / 5)

(P and Q in v have terms of one sign on [0, 1], so Horner's rule adds without cancelling.)

and erfc(-t) = 2 - erfc(t). erfc is computed directly in the tails, so it keeps its relative
accuracy where it is tiny (erfc(10) = 2e-45), which 1 - erf would lose; far out (t > 27 in
float64, t > 10 in float32) it underflows to 0. float32 inputs are computed in float32.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import Array, Function
from .either import exp, is_array

SQRT1_2 = math.sqrt(0.5)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_INV_SQRT_PI = 1 / math.sqrt(math.pi)

# highest power first (Horner's order)
_SMALL = (1.4725865480556744e-06, -1.484584925970787e-05, 0.0001205333512435374,
          -0.0008548297753674967, 0.00522397737302147, -0.02686617063288793,
          0.11283791670925353, -0.37612638903183474, 1.1283791670955126)
_MID_P = (-8.071115788324992e-07, 1.0236074989797947, 4.600083906022071, 9.318159680690858,
          10.855326867618473, 7.691561491359625, 3.171319193767393, 0.6156903441929259)
_MID_Q = (6.349982293482541, 29.444489325711164, 62.14080037072969, 76.73073037905039,
          59.50653460996696, 28.8489888510297, 8.06530445176264, 1.0)
_TAIL_P = (-1.1235165494171542e-05, -0.0033460577572263094, -0.06363883166575526,
           -0.3596919246034613, -0.7474652558129438, -0.49904640429309266)
_TAIL_Q = (0.00038037742627203134, 0.01578033580726141, 0.18629790836701932,
           0.8521624009771781, 1.5892163850021828, 1.0)
_TAIL_LO, _TAIL_HI = 1 / 784, 1 / 16  # the u interval of the tail fit


def _horner(coefficients: tuple[float, ...], s: Array) -> Array:
    """sum_k c_k s^(n-k), in place on one new array (Python floats keep s's dtype)."""
    out = s * coefficients[0]
    for c in coefficients[1:-1]:
        out += c
        out *= s
    out += coefficients[-1]
    return out


def _exp_minus_square(t: Array) -> Array:
    """e^(-t^2) without the rounding of t^2 (which alone costs t^2 ulps: 1e-13 at t = 26):
    t = hi + lo with hi holding half the mantissa bits (Veltkamp's split), so hi^2 is exact
    and e^(-t^2) = e^(-hi^2) e^(-lo (t + hi)). t is clipped at 30 first (e^-900 is 0 in
    both dtypes: the split cannot overflow)."""
    t = np.minimum(t, 30.0)
    split = t * (134217729.0 if t.dtype == np.float64 else 4097.0)  # 2^27 + 1, 2^12 + 1
    hi = split - (split - t)
    lo = t - hi
    lo *= t + hi
    np.negative(lo, out=lo)
    np.square(hi, out=hi)
    np.negative(hi, out=hi)
    out = np.exp(hi, out=hi)
    out *= np.exp(lo, out=lo)
    return out


def _erfc_big(t: Array) -> Array:
    """erfc(t) for t >= 0.5 (and NaN / inf): the middle and the tail fits."""
    out = np.empty_like(t)
    tail = t >= 4
    mid = ~tail  # NaN lands here and stays NaN
    if mid.any():
        tm = t[mid]
        v = tm * (2 / 7)  # (t - 0.5) / 3.5 in [0, 1): all terms of P and Q of one sign
        v -= 1 / 7
        r = _horner(_MID_P, v)
        r /= _horner(_MID_Q, v)
        r *= _exp_minus_square(tm)
        out[mid] = r
    if tail.any():
        tt = t[tail]
        with np.errstate(under="ignore"):  # 1 / t^2 of a huge t: 0, as it should be
            u = np.reciprocal(tt)
            u *= u
        v = u * (1 / (_TAIL_HI - _TAIL_LO))  # u's place in the fitted interval, [0, 1]
        v -= _TAIL_LO / (_TAIL_HI - _TAIL_LO)
        r = _horner(_TAIL_P, v)
        r /= _horner(_TAIL_Q, v)
        r *= u
        r += 1
        r *= _INV_SQRT_PI
        r /= tt
        r *= _exp_minus_square(tt)
        out[tail] = r
    return out


def erfc(x: Array) -> Array:
    """erfc(x) = 1 - erf(x), elementwise, accurate also where it is tiny (x > 1)."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    out = np.empty_like(x)
    t = np.abs(x)
    small = t < 0.5
    if small.any():
        xs = x[small]
        r = _horner(_SMALL, xs * xs)
        r *= xs
        np.subtract(1, r, out=r)
        out[small] = r
    big = ~small
    if big.any():
        xb = x[big]
        e = _erfc_big(np.abs(xb))
        negative = xb < 0
        e[negative] = 2 - e[negative]  # erfc(-t) = 2 - erfc(t)
        out[big] = e
    return out


def erf(x: Array) -> Array:
    """erf(x), elementwise: x P(x^2) near 0, 1 - erfc(|x|) (with x's sign) elsewhere."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    out = np.empty_like(x)
    t = np.abs(x)
    small = t < 0.5
    if small.any():
        xs = x[small]
        r = _horner(_SMALL, xs * xs)
        r *= xs
        out[small] = r
    big = ~small
    if big.any():
        xb = x[big]
        e = np.subtract(1, _erfc_big(np.abs(xb)))
        out[big] = np.copysign(e, xb, out=e)
    return out


def normal_cdf(x: Array) -> Array:
    """Phi(x) = erfc(-x / sqrt 2) / 2: the probability that a standard normal is <= x.
    Accurate in both tails (Phi(-30) = 5e-198 in float64, not 0)."""
    out = erfc(x * -SQRT1_2)
    out *= 0.5
    return out


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
