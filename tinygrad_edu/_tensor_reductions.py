"""``Tensor``'s reductions -- sum, mean, max/min, amax/amin, argmax/argmin, var/std,
logsumexp -- as a mixin class that ``Tensor`` inherits (kept apart so that tensor.py reads in
one sitting). ``dim`` is None (all dims), an int or a tuple, checked as PyTorch checks it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import return_types
from ._checks import dim_index, dim_tuple
from ._typing import Dim, PyBool, PyInt, TensorFields
from .ops import reduce as R
from .ops import shape as S
from .return_types import ValuesIndices  # noqa: F401 (re-exported: its old place)

if TYPE_CHECKING:
    from .tensor import Tensor



def _numpy_names(dim: Any, keepdim: PyBool, numpy_names: dict[str, Any]) -> tuple[Any, PyBool]:
    """Accept NumPy's ``axis`` / ``keepdims`` beside PyTorch's ``dim`` / ``keepdim``."""
    unknown = set(numpy_names) - {"axis", "keepdims"}
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {sorted(unknown)}")
    return numpy_names.get("axis", dim), numpy_names.get("keepdims", keepdim)


def _whole(dim: Any, ndim: int) -> bool:
    """A reduction over every element by PyTorch's reading (its var/std derivative rule)."""
    return dim is None or ndim == 0 or (isinstance(dim, (tuple, list)) and not dim)


class Reductions(TensorFields):
    """The reduction methods of ``Tensor``."""

    __slots__ = ()

    if TYPE_CHECKING:
        def minimum(self, other: Any) -> Tensor: ...
        def maximum(self, other: Any) -> Tensor: ...

    def sum(self, dim: Dim = None, keepdim: PyBool = False, *, dtype: Any = None,
            **numpy_names: Any) -> Tensor:
        """Bools and integers sum as int64 (as PyTorch: NumPy would give uint64 for uint8,
        which wraps around on the next subtraction); ``dtype`` casts first."""
        if numpy_names:  # axis=, keepdims=
            dim, keepdim = _numpy_names(dim, keepdim, numpy_names)
        x = self if dtype is None and self._data.dtype.kind == "f" else self._accumulating(dtype)
        axes = tuple(range(x._data.ndim)) if dim is None else dim_tuple(dim, x.ndim, "sum")
        return R.Sum.apply(x, axes=axes, keepdim=keepdim)

    def _accumulating(self, dtype: Any) -> Tensor:
        """self cast to ``dtype``, or bools and integers to int64 (PyTorch's sum dtype)."""
        if dtype is not None:
            return self.to(dtype)
        if self._data.dtype.kind in "biu" and self._data.dtype != np.int64:
            return self.to(np.int64)
        return self  # type: ignore[return-value]

    def mean(self, dim: Dim = None, keepdim: PyBool = False, *, dtype: Any = None,
             **numpy_names: Any) -> Tensor:
        if numpy_names:  # axis=, keepdims=
            dim, keepdim = _numpy_names(dim, keepdim, numpy_names)
        if dtype is not None:
            self = self.to(dtype)  # noqa: PLW0642 (PyTorch casts the input first)
        if self._data.dtype.kind != "f":
            raise RuntimeError(f"mean() needs a floating point tensor, got dtype {self.dtype} "
                               f"(pass dtype=tg.float32 or call .float() first)")
        axes = tuple(range(self._data.ndim)) if dim is None else dim_tuple(dim, self.ndim, "mean")
        return R.Mean.apply(self, axes=axes, keepdim=keepdim)

    def _reduced_axes(self, dim: Dim, op: str) -> tuple[PyInt, ...]:
        """The axes of ``dim`` for a reduction that has no value over nothing (max, argmax)."""
        axes = dim_tuple(dim, self.ndim, op)
        for axis in axes if self.ndim else ():
            if self._data.shape[axis] == 0:
                raise IndexError(f"{op}(): expected reduction dim {axis} to have non-zero size "
                                 f"(tensor of shape {self.shape})")
        if dim is None and self._data.size == 0:
            raise RuntimeError(f"{op}(): expected a non-empty tensor, got shape {self.shape}; "
                               "specify a dim to reduce along one dim")
        return axes

    def _extreme(self, dim: Any, keepdim: PyBool, smallest: PyBool) -> Any:
        if isinstance(dim, Reductions):  # torch.max(a, b) is the elementwise maximum
            return self.minimum(dim) if smallest else self.maximum(dim)
        name = "min" if smallest else "max"
        if dim is None:
            self._reduced_axes(None, name)
            return (R.Min if smallest else R.Max).apply(self)
        if isinstance(dim, (tuple, list)):
            raise TypeError(f"{name}(): dim must be one int, got {dim!r} (amax/amin take several)")
        axes = self._reduced_axes(dim, name)
        named = return_types.min if smallest else return_types.max
        if self.ndim == 0:  # a 0-d tensor is its own max along dim 0 or -1, at index 0
            zero = self._wrap(np.zeros((), np.int64), False)
            return named(S.View.apply(self, shape=()), zero)
        (axis,) = axes
        index = (self._data.argmin if smallest else self._data.argmax)(axis=axis, keepdims=True)
        values = R.TakeAlongDim.apply(self, index=index, dim=axis, keepdim=keepdim)
        # the caller gets a copy: changing it in place must not move the saved gradient index
        index = index.copy() if keepdim else index.squeeze(axis).copy()
        return named(values, self._wrap(index, False))

    def max(self, dim: Any = None, keepdim: PyBool = False, *, other: Any = None) -> Any:
        """No dim: the largest element (ties share the gradient evenly). With ``dim``:
        ``(values, indices)`` along it (the gradient goes to the index returned). With a
        tensor (``max(other)``): ``maximum``."""
        if other is not None:
            return self.maximum(other)
        return self._extreme(dim, keepdim, smallest=False)

    def min(self, dim: Any = None, keepdim: PyBool = False, *, other: Any = None) -> Any:
        """As ``max``, for the smallest elements."""
        if other is not None:
            return self.minimum(other)
        return self._extreme(dim, keepdim, smallest=True)

    def amax(self, dim: Dim = None, keepdim: PyBool = False) -> Tensor:
        axes = self._reduced_axes(dim, "amax")
        return R.Amax.apply(self, axes=axes, keepdim=keepdim)

    def amin(self, dim: Dim = None, keepdim: PyBool = False) -> Tensor:
        axes = self._reduced_axes(dim, "amin")
        return R.Amin.apply(self, axes=axes, keepdim=keepdim)

    def _arg_extreme(self, dim: PyInt | None, keepdim: PyBool, smallest: PyBool) -> Tensor:
        name = "argmin" if smallest else "argmax"
        self._reduced_axes(dim, name)
        pick = self._data.argmin if smallest else self._data.argmax
        if dim is None:
            index = np.asarray(pick())
            return self._wrap(index.reshape((1,) * self.ndim) if keepdim else index, False)
        if self.ndim == 0:
            return self._wrap(np.zeros((), np.int64), False)
        axis = dim_index(dim, self.ndim, name)
        return self._wrap(pick(axis=axis, keepdims=keepdim), False)

    def argmax(self, dim: PyInt | None = None, keepdim: PyBool = False) -> Tensor:
        """Index of the first largest element (flat if ``dim`` is None); no gradient."""
        return self._arg_extreme(dim, keepdim, smallest=False)

    def argmin(self, dim: PyInt | None = None, keepdim: PyBool = False) -> Tensor:
        """Index of the first smallest element (flat if ``dim`` is None); no gradient."""
        return self._arg_extreme(dim, keepdim, smallest=True)

    def _moment_args(self, dim: Dim, unbiased: PyBool, correction: Any, op: str) -> tuple[
            tuple[PyInt, ...], PyInt]:
        if self._data.dtype.kind != "f":
            raise RuntimeError(f"{op}(): only floating point tensors are supported, got dtype "
                               f"{self.dtype}")
        if correction is None:
            correction = 1 if unbiased else 0
        return dim_tuple(dim, self.ndim, op), correction

    def var(self, dim: Dim = None, unbiased: PyBool = True, keepdim: PyBool = False, *,
            correction: PyInt | None = None) -> Tensor:
        """Variance with ``correction`` (default 1: the unbiased n - 1 divisor, as PyTorch)."""
        axes, correction = self._moment_args(dim, unbiased, correction, "var")
        return R.Var.apply(self, axes=axes, correction=correction, keepdim=keepdim,
                           whole=_whole(dim, self.ndim))

    def std(self, dim: Dim = None, unbiased: PyBool = True, keepdim: PyBool = False, *,
            correction: PyInt | None = None) -> Tensor:
        """Standard deviation; its gradient is 0 where it is 0 (constant values), as PyTorch."""
        axes, correction = self._moment_args(dim, unbiased, correction, "std")
        return R.Std.apply(self, axes=axes, correction=correction, keepdim=keepdim,
                           whole=_whole(dim, self.ndim))

    def logsumexp(self, dim: Dim, keepdim: PyBool = False) -> Tensor:
        return R.LogSumExp.apply(self, axes=dim_tuple(dim, self.ndim, "logsumexp"), keepdim=keepdim)
