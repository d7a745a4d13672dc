"""``Tensor``'s in-place methods -- ``add_``, ``+=``, ``copy_``, ``fill_``, ``clamp_``,
``__setitem__``... -- as a mixin class that ``Tensor`` inherits (kept apart so that tensor.py
reads in one sitting). They record no graph: on a tensor that requires grad they are refused
unless grad mode is off (optimizers), and each one ticks the tensor's version, which is how
backward() finds a saved array that changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np

from . import autograd
from ._checks import fill_value
from ._typing import PyFloat, Scalar, TensorFields
from .autograd import bump_version
from .dtypes import category, get_default_dtype, result_type, scalar_dtype
from .ops.shape import index_steps
from .random import get_rng

if TYPE_CHECKING:
    from .tensor import Tensor



class InPlace(TensorFields):
    """The in-place methods of ``Tensor``."""

    __slots__ = ()
    _requires_grad: bool
    _ctx: Any

    if TYPE_CHECKING:
        def _operand(self, other: Any) -> Tensor: ...


    def _before_inplace(self, op: str) -> None:
        if autograd.graph._tracer is not None:
            autograd.graph._tracer.unsupported(f"the in-place {op}", self)
        if autograd.is_grad_enabled() and self._requires_grad:
            if self._ctx is None:
                raise RuntimeError(
                    f"{op}: a leaf tensor that requires grad is being used in an in-place "
                    "operation; do it inside `with no_grad():` (as optimizers do)"
                )
            raise RuntimeError(
                f"{op}: in-place operations on a tensor that is part of a recorded graph are "
                "not supported; use the out-of-place form (y = y + 1)"
            )
        if not self._data.flags.writeable:
            raise RuntimeError(f"{op}: this tensor is a read-only view (from expand?); clone() it")

    def _inplace(self, op: str, ufunc: np.ufunc, other: Any) -> Tensor:
        self._before_inplace(op)
        operand = self._operand(other)
        result = result_type(self, operand)
        if ufunc is np.divide and result.kind != "f":
            result = get_default_dtype()  # int / int is a float
        if category(result) > category(self._data.dtype):  # as PyTorch: no float into an int
            raise RuntimeError(f"{op}: result type {result} can't be cast to the desired output "
                               f"type {self.dtype} of this in-place operation")
        ufunc(self._data, operand._data, out=self._data, casting="unsafe")
        bump_version(self)
        return cast("Tensor", self)

    def _scaled(self, other: Any, alpha: Scalar, op: str) -> Any:
        if alpha == 1:
            return other
        if self._data.dtype.kind != "f" and isinstance(alpha, (PyFloat, np.floating)):
            raise RuntimeError(f"{op}: for integral input tensors, argument alpha must not be a "
                               f"floating point number (got {alpha})")
        # scale as an array: no graph node, and a Python alpha keeps the dtype
        return self._operand(other)._data * alpha

    def add_(self, other: Any, alpha: Scalar = 1) -> Tensor:
        """self += alpha * other."""
        return self._inplace("add_", np.add, self._scaled(other, alpha, "add_"))

    def sub_(self, other: Any, alpha: Scalar = 1) -> Tensor:
        """self -= alpha * other."""
        return self._inplace("sub_", np.subtract, self._scaled(other, alpha, "sub_"))

    def mul_(self, other: Any) -> Tensor:
        return self._inplace("mul_", np.multiply, other)

    def div_(self, other: Any) -> Tensor:
        return self._inplace("div_", np.divide, other)

    __iadd__, __isub__, __imul__, __itruediv__ = add_, sub_, mul_, div_

    def copy_(self, source: Any) -> Tensor:
        """Copy ``source`` (broadcast to this shape) into this tensor, converting its dtype as
        PyTorch does (floats copied into an int tensor are truncated)."""
        self._before_inplace("copy_")
        np.copyto(self._data, self._operand(source)._data, casting="unsafe")
        bump_version(self)
        return cast("Tensor", self)

    def fill_(self, value: Scalar) -> Tensor:
        self._before_inplace("fill_")
        self._data.fill(fill_value(value, "fill_"))
        bump_version(self)
        return cast("Tensor", self)

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def clamp_(self, min: Scalar | None = None, max: Scalar | None = None) -> Tensor:
        if min is None and max is None:
            raise RuntimeError("clamp_(): at least one of 'min' or 'max' must not be None")
        self._before_inplace("clamp_")
        for bound in (min, max):
            if bound is not None and category(scalar_dtype(self._data.dtype, bound)) > category(
                    self._data.dtype):
                raise RuntimeError(f"clamp_: result type {scalar_dtype(self._data.dtype, bound)} "
                                   f"can't be cast to the desired output type {self.dtype}")
        np.clip(self._data, min, max, out=self._data)
        bump_version(self)
        return cast("Tensor", self)

    def uniform_(self, low: PyFloat = 0.0, high: PyFloat = 1.0) -> Tensor:
        return self.copy_(get_rng().uniform(low, high, self.shape))

    def normal_(self, mean: PyFloat = 0.0, std: PyFloat = 1.0) -> Tensor:
        return self.copy_(get_rng().normal(mean, std, self.shape))

    def __setitem__(self, index: Any, value: Any) -> None:
        self._before_inplace("__setitem__")
        steps = index_steps(_index_arrays(index))  # PyTorch's order: integers first
        target = self._data if len(steps) == 1 else self._data[steps[0]]  # a view
        target[steps[-1]] = self._operand(value)._data
        bump_version(self)


def _index_arrays(index: Any) -> Any:
    """Tensors and lists inside an index become arrays (NumPy does the indexing)."""
    def array(part: Any) -> Any:
        if isinstance(part, InPlace):
            return part._data
        return np.array(part) if isinstance(part, list) else part
    if isinstance(index, tuple):
        return tuple(array(i) for i in index)
    return array(index)
