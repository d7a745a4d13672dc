"""``Tensor``'s math methods -- ``exp``, ``log``, ``clamp``, ``sign``, the activations -- as a
mixin class that ``Tensor`` inherits (kept apart so that tensor.py reads in one sitting). Each
is one op of ``ops/``; the operators (``+ - * / @``) stay in tensor.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._checks import dim_index
from ._typing import PyFloat, PyInt, Scalar, TensorFields
from .dtypes import scalar_dtype
from .ops import activation as A
from .ops import elementwise as E
from .ops import erf as Erf
from .ops.either import sgn

if TYPE_CHECKING:
    from .tensor import Tensor


class Math(TensorFields):
    """The math methods of ``Tensor``."""

    __slots__ = ()

    def exp(self) -> Tensor:
        return E.Exp.apply(self)

    def log(self) -> Tensor:
        return E.Log.apply(self)

    def sqrt(self) -> Tensor:
        return E.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return E.Abs.apply(self)

    def square(self) -> Tensor:
        return E.PowScalar.apply(self, exponent=2)

    def maximum(self, other: Any) -> Tensor:
        return E.Maximum.apply(*self._pair(other))

    def minimum(self, other: Any) -> Tensor:
        return E.Minimum.apply(*self._pair(other))

    def clamp(self, min: Scalar | None = None, max: Scalar | None = None) -> Tensor:
        if min is None and max is None:
            raise RuntimeError("clamp(): at least one of 'min' or 'max' must not be None")
        if isinstance(min, TensorFields) or isinstance(max, TensorFields):  # tensor bounds
            x = self if min is None else self.clamp_min(min)
            return x if max is None else x.clamp_max(max)
        dtype = self._data.dtype
        for bound in (min, max):
            if bound is not None:
                dtype = scalar_dtype(dtype, bound)  # int tensor, float bound: float32
        x = self if dtype == self._data.dtype else self.to(dtype)
        # Python numbers: NumPy then keeps x's dtype (no float32 -> float64, no int -> float)
        number = PyFloat if dtype.kind == "f" else PyInt
        low = None if min is None else number(min)
        high = None if max is None else number(max)
        return E.Clamp.apply(x, low=low, high=high)

    clip = clamp

    def erf(self) -> Tensor:
        """erf(x); derivative 2/sqrt(pi) e^(-x^2) (integers become float32, as PyTorch)."""
        return Erf.Erf.apply(self if self._data.dtype.kind == "f" else self.to(np.float32))

    def erfc(self) -> Tensor:
        """1 - erf(x), accurate in the tail; derivative -2/sqrt(pi) e^(-x^2)."""
        return Erf.Erfc.apply(self if self._data.dtype.kind == "f" else self.to(np.float32))

    def sign(self) -> Tensor:
        """-1, 0 or 1 per element (0 at NaN, as PyTorch); a constant (its derivative is 0
        almost everywhere)."""
        return self._wrap(sgn(np.asarray(self._data)), False)

    # ------------------------------------------------------------------ activations

    def relu(self) -> Tensor:
        return A.ReLU.apply(self)

    def sigmoid(self) -> Tensor:
        return A.Sigmoid.apply(self)

    def tanh(self) -> Tensor:
        return A.Tanh.apply(self)

    def _softmax_dim(self, dim: Any, op: str) -> PyInt:
        if self._data.dtype.kind != "f":
            raise RuntimeError(f"{op}(): expected a floating point tensor, got dtype "
                               f"{self.dtype} (convert with .float())")
        axis = dim_index(dim, self.ndim, op)
        return axis if self.ndim else -1

    def softmax(self, dim: PyInt = -1, dtype: Any = None) -> Tensor:
        x = self if dtype is None else self.to(dtype)  # PyTorch casts first
        return A.Softmax.apply(x, dim=x._softmax_dim(dim, "softmax"))

    def log_softmax(self, dim: PyInt = -1, dtype: Any = None) -> Tensor:
        x = self if dtype is None else self.to(dtype)
        return A.LogSoftmax.apply(x, dim=x._softmax_dim(dim, "log_softmax"))
