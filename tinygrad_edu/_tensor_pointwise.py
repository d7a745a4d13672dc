"""``Tensor``'s pointwise math (trig, rounding, logical, isnan...) methods,
as a mixin class that ``Tensor`` inherits.

Each differentiable method is one op of ``ops/pointwise.py`` or ``ops/pointwise_binary.py``, or
a short composition of existing ops where PyTorch's own is one (deg2rad, float_power). The
comparisons and logical/bitwise methods return constants (bool or integer tensors). dtype rules
follow PyTorch: integer inputs of the transcendental functions compute in float32; rounding
an integer tensor returns its values; ``bitwise_*`` refuse floats.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ._typing import PyBool, PyFloat, PyInt, Scalar, TensorFields
from .dtypes import get_default_dtype
from .ops import pointwise as P
from .ops import pointwise_binary as B

if TYPE_CHECKING:
    from .tensor import Tensor


def _refuse_integers(t: Any, op: str) -> None:
    if t._data.dtype.kind != "f":
        raise NotImplementedError(f'{op}(): "{op}" is not implemented for dtype {t.dtype} '
                                  "(a floating point tensor is needed; convert with .float())")


class Pointwise(TensorFields):
    """Methods of ``Tensor`` (see the module docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        def clamp(self, min: Scalar | None = None, max: Scalar | None = None) -> Tensor: ...
        def abs(self) -> Tensor: ...
        def log(self) -> Tensor: ...
        def double(self) -> Tensor: ...
        def where(self, condition: Any, other: Any) -> Tensor: ...
        def _operand(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __pow__(self, other: Any) -> Tensor: ...
        def __neg__(self) -> Tensor: ...

    # ------------------------------------------------------------------ trigonometric

    def sin(self) -> Tensor:
        return P.Sin.apply(self)

    def cos(self) -> Tensor:
        return P.Cos.apply(self)

    def tan(self) -> Tensor:
        return P.Tan.apply(self)

    def asin(self) -> Tensor:
        return P.Asin.apply(self)

    def acos(self) -> Tensor:
        return P.Acos.apply(self)

    def atan(self) -> Tensor:
        return P.Atan.apply(self)

    arcsin, arccos, arctan = asin, acos, atan

    def atan2(self, other: Any) -> Tensor:
        """The angle of the point (other, self), in (-pi, pi]."""
        return B.Atan2.apply(*self._pair(other))

    arctan2 = atan2

    def sinh(self) -> Tensor:
        return P.Sinh.apply(self)

    def cosh(self) -> Tensor:
        return P.Cosh.apply(self)

    def asinh(self) -> Tensor:
        return P.Asinh.apply(self)

    def acosh(self) -> Tensor:
        return P.Acosh.apply(self)

    def atanh(self) -> Tensor:
        return P.Atanh.apply(self)

    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def sinc(self) -> Tensor:
        """sin(pi x) / (pi x), 1 at 0 (the normalized sinc)."""
        return P.Sinc.apply(self)

    def deg2rad(self) -> Tensor:
        return self._as_float() * (math.pi / 180)

    def rad2deg(self) -> Tensor:
        return self._as_float() * (180 / math.pi)

    def _as_float(self) -> Tensor:
        return self.to(get_default_dtype() if self._data.dtype.kind != "f" else self.dtype)

    # ------------------------------------------------------------------ exp and log variants

    def log1p(self) -> Tensor:
        return P.Log1p.apply(self)

    def expm1(self) -> Tensor:
        return P.Expm1.apply(self)

    def log2(self) -> Tensor:
        return P.Log2.apply(self)

    def log10(self) -> Tensor:
        return P.Log10.apply(self)

    def exp2(self) -> Tensor:
        return P.Exp2.apply(self)

    def reciprocal(self) -> Tensor:
        return P.Reciprocal.apply(self)

    def rsqrt(self) -> Tensor:
        return P.Rsqrt.apply(self)

    def logit(self, eps: PyFloat | None = None) -> Tensor:
        """ln(p / (1 - p)), with p clamped to [eps, 1 - eps] when ``eps`` is given."""
        return P.Logit.apply(self, eps=None if eps is None else PyFloat(eps))

    def xlogy(self, other: Any) -> Tensor:
        """self * ln(other), 0 where self is 0 (NaN where other is NaN)."""
        return B.Xlogy.apply(*self._pair(other))

    def logaddexp(self, other: Any) -> Tensor:
        """ln(e^self + e^other) without overflow."""
        a, b = self._pair(other)
        _refuse_integers(a, "logaddexp")
        return B.LogAddExp.apply(a, b)

    def hypot(self, other: Any) -> Tensor:
        """sqrt(self^2 + other^2) without overflow."""
        a, b = self._pair(other)
        _refuse_integers(a, "hypot")
        return B.Hypot.apply(a, b)

    def float_power(self, exponent: Any) -> Tensor:
        """self ** exponent computed in float64, as PyTorch's (the result is float64)."""
        base = self.double()
        if isinstance(exponent, Pointwise):
            return base ** exponent.double()
        return base ** PyFloat(exponent)

    def lerp(self, end: Any, weight: Any) -> Tensor:
        """self + weight * (end - self); ``weight`` a number or a tensor."""
        _refuse_integers(self, "lerp")
        end = self._operand(end)
        if end.dtype != self.dtype:
            raise RuntimeError(f"lerp(): expected dtype {self.dtype} for `end` but got dtype "
                               f"{end.dtype}")
        if isinstance(weight, Pointwise):
            if weight.dtype != self.dtype:
                raise RuntimeError(f"lerp(): expected dtype {self.dtype} for `weight` but got "
                                   f"dtype {weight.dtype}")
            return B.LerpTensor.apply(self, end, weight)
        return B.Lerp.apply(self, end, weight=PyFloat(weight))

    # ------------------------------------------------------------------ division and signs

    def true_divide(self, other: Any) -> Tensor:
        return self.__truediv__(other)

    def fmod(self, other: Any) -> Tensor:
        """The C remainder: self - other * trunc(self / other), with the sign of self."""
        return B.Fmod.apply(*self._pair(other))

    def remainder(self, other: Any) -> Tensor:
        """Python's %: self - other * floor(self / other), with the sign of other."""
        return B.Remainder.apply(*self._pair(other))

    def __mod__(self, other: Any) -> Tensor:
        return self.remainder(other)

    def __rmod__(self, other: Any) -> Tensor:
        a, b = self._pair(other)
        return B.Remainder.apply(b, a)

    def floor_divide(self, other: Any) -> Tensor:
        """floor(self / other) (Python's //). A constant: PyTorch has no derivative for it."""
        a, b = self._pair(other)
        return _floor_divide(a, b)

    def __floordiv__(self, other: Any) -> Tensor:
        return self.floor_divide(other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        a, b = self._pair(other)
        return _floor_divide(b, a)

    def negative(self) -> Tensor:
        if self._data.dtype == np.bool_:
            raise RuntimeError("negative(): negation of a bool tensor is not supported; to "
                               "invert a mask use ~ or logical_not()")
        return self.__neg__()

    def positive(self) -> Tensor:
        if self._data.dtype == np.bool_:
            raise RuntimeError("positive(): not supported on a bool tensor")
        return self.to(self.dtype)  # itself, as PyTorch

    def absolute(self) -> Tensor:
        if self._data.dtype == np.bool_:
            raise NotImplementedError('absolute(): "abs" is not implemented for bool tensors')
        return self.abs()

    def sgn(self) -> Tensor:
        """-1, 0 or 1 (0 at NaN); differentiable with a zero gradient, as PyTorch's
        (``sign()`` here returns a constant). A bool tensor is its own sgn."""
        if self._data.dtype.kind != "f":
            return self._wrap(self._data.copy() if self._data.dtype == np.bool_ else
                              np.sign(self._data), False)
        return P.Sgn.apply(self)

    def signbit(self) -> Tensor:
        """True where the sign bit is set (also -0.0 and NaNs with the bit)."""
        return self._wrap(np.asarray(np.signbit(self._data)), False)

    def copysign(self, other: Any) -> Tensor:
        """|self| with the sign of other (float32 for integer inputs, as PyTorch)."""
        return B.Copysign.apply(*self._pair(other))

    def clamp_min(self, min: Any) -> Tensor:
        if isinstance(min, Pointwise):
            return _clamp_tensor(self, min, larger=True)
        return self.clamp(min=min)

    def clamp_max(self, max: Any) -> Tensor:
        if isinstance(max, Pointwise):
            return _clamp_tensor(self, max, larger=False)
        return self.clamp(max=max)

    def heaviside(self, values: Any) -> Tensor:
        """0 where self < 0, 1 where self > 0, ``values`` where self == 0 (a constant: PyTorch
        has no derivative for it)."""
        other = self._operand(values)
        if other.dtype != self.dtype:
            raise RuntimeError(f"heaviside(): not implemented for tensors of different dtypes "
                               f"({self.dtype} and {other.dtype})")
        out = np.where(self._data == 0, other._data, (self._data > 0).astype(self.dtype))
        return self._wrap(np.asarray(out), False)  # (NaN gives 0, as PyTorch)

    # ------------------------------------------------------------------ rounding

    def _rounded(self, op: Any, name: str) -> Tensor:
        if self._data.dtype == np.bool_:
            raise NotImplementedError(f'{name}(): "{name}" is not implemented for bool tensors')
        if self._data.dtype.kind != "f":  # an integer is its own rounding
            return self._wrap(self._data.copy(), False)
        return op.apply(self)

    def floor(self) -> Tensor:
        return self._rounded(P.Floor, "floor")

    def ceil(self) -> Tensor:
        return self._rounded(P.Ceil, "ceil")

    def trunc(self) -> Tensor:
        return self._rounded(P.Trunc, "trunc")

    fix = trunc

    def round(self, decimals: PyInt = 0) -> Tensor:
        """Rounded to ``decimals`` places, halves to even; a zero gradient, as PyTorch."""
        if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
            raise TypeError(f"round(): argument 'decimals' must be an int, got {decimals!r}")
        if self._data.dtype.kind != "f":
            if decimals != 0:
                raise NotImplementedError(f"round(): decimals={decimals} is not implemented "
                                          f"for dtype {self.dtype}")
            return self._rounded(P.Round, "round")  # bool: an error; integers: themselves
        return P.Round.apply(self, decimals=PyInt(decimals))

    def frac(self) -> Tensor:
        """self - trunc(self), with the sign of self."""
        _refuse_integers(self, "frac")
        return P.Frac.apply(self)

    def nan_to_num(self, nan: PyFloat = 0.0, posinf: PyFloat | None = None,
                   neginf: PyFloat | None = None) -> Tensor:
        """NaN, +inf and -inf replaced by ``nan`` and by ``posinf`` / ``neginf`` (default: the
        dtype's largest and smallest finite values)."""
        if self._data.dtype.kind != "f":
            return self._wrap(self._data.copy(), False)
        return P.NanToNum.apply(self, nan=nan, posinf=posinf, neginf=neginf)

    # ------------------------------------------------------------------ tests (bool results)

    def _test(self, fn: Any) -> Tensor:
        return self._wrap(np.asarray(fn(self._data)), False)

    def isnan(self) -> Tensor:
        return self._test(np.isnan)

    def isinf(self) -> Tensor:
        return self._test(np.isinf)

    def isfinite(self) -> Tensor:
        return self._test(np.isfinite)

    def isposinf(self) -> Tensor:
        return self._test(np.isposinf)

    def isneginf(self) -> Tensor:
        return self._test(np.isneginf)

    def isreal(self) -> Tensor:
        """True everywhere: tinygrad_edu has no complex tensors."""
        return self._test(lambda a: np.ones(a.shape, np.bool_))

    def is_floating_point(self) -> PyBool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> PyBool:
        return self._data.dtype.kind == "c"

    def is_nonzero(self) -> PyBool:
        """The truth of a one-element tensor (an error for any other size, as PyTorch)."""
        if self._data.size != 1:
            raise RuntimeError(f"is_nonzero(): Boolean value of Tensor with "
                               f"{'no values' if self._data.size == 0 else 'more than one value'}"
                               " is ambiguous")
        return bool(self._data.reshape(()))

    # ------------------------------------------------------------------ logical and bitwise

    def _logical(self, ufunc: np.ufunc, other: Any) -> Tensor:
        return self._wrap(np.asarray(ufunc(self._data, self._operand(other)._data)), False)

    def logical_and(self, other: Any) -> Tensor:
        return self._logical(np.logical_and, other)

    def logical_or(self, other: Any) -> Tensor:
        return self._logical(np.logical_or, other)

    def logical_xor(self, other: Any) -> Tensor:
        return self._logical(np.logical_xor, other)

    def logical_not(self) -> Tensor:
        return self._test(np.logical_not)

    def _bitwise(self, ufunc: np.ufunc, other: Any, name: str, swap: bool = False) -> Tensor:
        a, b = self._pair(other)
        if a._data.dtype.kind not in "iub":
            raise NotImplementedError(f'{name}(): "{name}" is not implemented for dtype '
                                      f"{a.dtype} (integer and bool tensors only)")
        if swap:
            a, b = b, a
        return self._wrap(np.asarray(ufunc(a._data, b._data)), False)

    def bitwise_and(self, other: Any) -> Tensor:
        return self._bitwise(np.bitwise_and, other, "bitwise_and")

    def bitwise_or(self, other: Any) -> Tensor:
        return self._bitwise(np.bitwise_or, other, "bitwise_or")

    def bitwise_xor(self, other: Any) -> Tensor:
        return self._bitwise(np.bitwise_xor, other, "bitwise_xor")

    def bitwise_not(self) -> Tensor:
        if self._data.dtype.kind not in "iub":
            raise NotImplementedError(f'bitwise_not(): "bitwise_not" is not implemented for '
                                      f"dtype {self.dtype} (integer and bool tensors only)")
        return self._test(np.invert)

    __and__, __or__, __xor__, __invert__ = bitwise_and, bitwise_or, bitwise_xor, bitwise_not

    def __rand__(self, other: Any) -> Tensor:
        return self._bitwise(np.bitwise_and, other, "bitwise_and", swap=True)

    def __ror__(self, other: Any) -> Tensor:
        return self._bitwise(np.bitwise_or, other, "bitwise_or", swap=True)

    def __rxor__(self, other: Any) -> Tensor:
        return self._bitwise(np.bitwise_xor, other, "bitwise_xor", swap=True)


def _floor_divide(a: Any, b: Any) -> Tensor:
    if b._data.dtype.kind in "iub" and (b._data == 0).any():
        raise RuntimeError("floor_divide(): ZeroDivisionError (an integer divided by zero)")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.floor_divide(a._data, b._data)
    return a._wrap(np.asarray(out), False)


def _clamp_tensor(x: Any, bound: Any, larger: bool) -> Tensor:
    """clamp_min / clamp_max with a tensor bound: x where x is on the right side of the bound
    (or NaN), else the bound; each gets the gradient where its value was taken."""
    a, b = x._pair(bound)
    keep = (a._data >= b._data) if larger else (a._data <= b._data)
    if a._data.dtype.kind == "f":
        keep = keep | np.isnan(a._data)
    return a._select(a._wrap(np.asarray(keep), False), a, b)

