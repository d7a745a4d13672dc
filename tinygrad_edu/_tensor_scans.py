"""``Tensor``'s reductions and scans (prod, norm, all, any, cumsum, cumprod, median...) methods,
as a mixin class that ``Tensor`` inherits.

The differentiable ones are ops of ``ops/scan.py`` or compositions of existing ops (nansum is a
select and a sum; cummax, median and kthvalue pick values with ``TakeAlongDim``, so the gradient
goes to the index returned, as PyTorch's). ``all``, ``any`` and ``count_nonzero`` return
constants. Integer inputs follow PyTorch: prod and the cumulative sums give int64; norm,
nanmean and logcumsumexp need floating point.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from . import return_types
from ._checks import as_int, dim_index, dim_tuple
from ._typing import Dim, DTypeLike, PyBool, PyInt, TensorFields
from .dtypes import result_type
from .ops import elementwise as E
from .ops import reduce as R
from .ops import scan as C
from .ops import shape as S
from .return_types import ValuesIndices

if TYPE_CHECKING:
    from .tensor import Tensor


class MinMax(NamedTuple):
    """What ``aminmax`` returns, as in PyTorch."""

    min: Tensor
    max: Tensor


def _integer_to_int64(t: Any, dtype: DTypeLike) -> Any:
    """``t`` cast to ``dtype``, or integers and bools to int64 (PyTorch's sum/prod/cumsum)."""
    if dtype is not None:
        return t.to(dtype)
    return t.to(np.int64) if t._data.dtype.kind in "iub" else t


def _refuse_integers(t: Any, op: str) -> None:
    if t._data.dtype.kind != "f":
        raise RuntimeError(f"{op}(): expected a floating point tensor as input, got dtype "
                           f"{t.dtype} (convert with .float())")


class Scans(TensorFields):
    """Methods of ``Tensor`` (see the module docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        def sum(self, dim: Dim = None, keepdim: PyBool = False) -> Tensor: ...
        def abs(self) -> Tensor: ...
        def amax(self, dim: Dim = None, keepdim: PyBool = False) -> Tensor: ...
        def amin(self, dim: Dim = None, keepdim: PyBool = False) -> Tensor: ...
        def mean(self, dim: Dim = None, keepdim: PyBool = False) -> Tensor: ...
        def std(self, dim: Dim = None, unbiased: PyBool = True, keepdim: PyBool = False, *,
                correction: PyInt | None = None) -> Tensor: ...
        def var(self, dim: Dim = None, unbiased: PyBool = True, keepdim: PyBool = False, *,
                correction: PyInt | None = None) -> Tensor: ...
        def where(self, condition: Any, other: Any) -> Tensor: ...
        def isnan(self) -> Tensor: ...
        def __getitem__(self, index: Any) -> Tensor: ...

    # ------------------------------------------------------------------ products and tests

    def prod(self, dim: PyInt | None = None, keepdim: PyBool = False,
             dtype: DTypeLike = None) -> Tensor:
        """The product of all elements, or along one ``dim``. Its gradient is right with zeros
        (PyTorch's rule: one zero gets the product of the others)."""
        x = _integer_to_int64(self, dtype)
        if isinstance(dim, (tuple, list)):
            raise TypeError(f"prod(): argument 'dim' must be one int, got {dim!r}")
        axes = tuple(range(self.ndim)) if dim is None else dim_tuple(dim, self.ndim, "prod")
        return C.Prod.apply(x, axes=axes, keepdim=keepdim)

    def _test_all(self, ufunc: Any, dim: Dim, keepdim: PyBool, op: str) -> Tensor:
        axes = dim_tuple(dim, self.ndim, op, empty_is_all=False)  # dim=(): none, as PyTorch
        out = np.asarray(ufunc(self._data, axis=axes, keepdims=keepdim))
        # as PyTorch: uint8 stays uint8, everything else gives bool
        return self._wrap(out.astype(np.uint8) if self._data.dtype == np.uint8 else out, False)

    def all(self, dim: Dim = None, keepdim: PyBool = False) -> Tensor:
        """True where every element (along ``dim``: an int or a tuple) is nonzero."""
        return self._test_all(np.all, dim, keepdim, "all")

    def any(self, dim: Dim = None, keepdim: PyBool = False) -> Tensor:
        """True where some element (along ``dim``: an int or a tuple) is nonzero."""
        return self._test_all(np.any, dim, keepdim, "any")

    def count_nonzero(self, dim: Dim = None) -> Tensor:
        axes = dim_tuple(dim, self.ndim, "count_nonzero")
        count = np.count_nonzero(self._data, axis=axes) if self.ndim else int(self._data != 0)
        return self._wrap(np.asarray(count, np.int64), False)

    def norm(self, p: Any = "fro", dim: Dim = None, keepdim: PyBool = False,
             dtype: DTypeLike = None) -> Tensor:
        """The vector p-norm over ``dim`` (all elements by default): 'fro' and 2, 1, inf,
        -inf, 0 and any other number. Its gradient at a zero norm is 0, as PyTorch's."""
        _refuse_integers(self, "norm")
        x = self if dtype is None else self.to(dtype)
        if p == "fro":
            p = 2.0
        if isinstance(p, str):
            raise NotImplementedError(f"norm(): p={p!r} is not supported (vector norms only: "
                                      "'fro' or a number)")
        p = float(p)
        axes = dim_tuple(dim, self.ndim, "norm")
        if p == 1:
            return x.abs().sum(axes, keepdim)
        if math.isinf(p):
            magnitude = x.abs()
            return magnitude.amax(axes, keepdim) if p > 0 else magnitude.amin(axes, keepdim)
        return C.Norm.apply(x, p=p, axes=axes, keepdim=keepdim)

    def trace(self) -> Tensor:
        """The sum of the main diagonal of a matrix."""
        if self.ndim != 2:
            raise RuntimeError(f"trace(): expected a matrix, but got a tensor with {self.ndim} "
                               "dims")
        diagonal = np.arange(min(self.shape))
        return _integer_to_int64(self[diagonal, diagonal], None).sum()

    # ------------------------------------------------------------------ NaN-ignoring, pairs

    def nansum(self, dim: Dim = None, keepdim: PyBool = False,
               dtype: DTypeLike = None) -> Tensor:
        """The sum, NaNs counted as 0."""
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind == "f":
            x = C.NanToZero.apply(x)
        return _integer_to_int64(x, None).sum(dim, keepdim)

    def nanmean(self, dim: Dim = None, keepdim: PyBool = False,
                dtype: DTypeLike = None) -> Tensor:
        """The mean of the elements that are not NaN (NaN where all are)."""
        if self._data.dtype.kind != "f" and dtype is None:
            raise RuntimeError(f"nanmean(): expected input to have floating point dtype but "
                               f"got {self.dtype}")
        count = self._wrap(~np.isnan(self._data), False).sum(dim, keepdim)
        return self.nansum(dim, keepdim, dtype) / count

    def aminmax(self, *, dim: PyInt | None = None, keepdim: PyBool = False) -> MinMax:
        """``(min, max)`` over all elements or along ``dim`` (gradients as amin / amax)."""
        return MinMax(self.amin(dim, keepdim), self.amax(dim, keepdim))

    def std_mean(self, dim: Dim = None, unbiased: PyBool = True, keepdim: PyBool = False, *,
                 correction: PyInt | None = None) -> tuple[Tensor, Tensor]:
        """``(std, mean)``, as ``torch.std_mean`` (std takes ``correction``, as ``std``)."""
        std = self.std(dim, unbiased, keepdim, correction=correction)
        return std, self.mean(dim, keepdim)

    def var_mean(self, dim: Dim = None, unbiased: PyBool = True, keepdim: PyBool = False, *,
                 correction: PyInt | None = None) -> tuple[Tensor, Tensor]:
        """``(var, mean)``, as ``torch.var_mean``."""
        var = self.var(dim, unbiased, keepdim, correction=correction)
        return var, self.mean(dim, keepdim)

    # ------------------------------------------------------------------ scans

    def _scan_axis(self, dim: Any, op: str) -> PyInt:
        return dim_index(dim, self.ndim, op)

    def cumsum(self, dim: PyInt, dtype: DTypeLike = None) -> Tensor:
        """z_i = x_0 + ... + x_i along ``dim`` (integers and bools give int64)."""
        x = _integer_to_int64(self, dtype)
        axis = self._scan_axis(dim, "cumsum")
        if self.ndim == 0:
            return E.Clone.apply(x)
        return C.Cumsum.apply(x, dim=axis, reverse=False)

    def cumprod(self, dim: PyInt, dtype: DTypeLike = None) -> Tensor:
        """z_i = x_0 * ... * x_i along ``dim``; its gradient is right with zeros."""
        x = _integer_to_int64(self, dtype)
        axis = self._scan_axis(dim, "cumprod")
        if self.ndim == 0:
            return E.Clone.apply(x)
        return C.Cumprod.apply(x, dim=axis)

    def logcumsumexp(self, dim: PyInt) -> Tensor:
        """z_i = ln(e^x_0 + ... + e^x_i) along ``dim``, without overflow."""
        if self._data.dtype.kind != "f":
            raise NotImplementedError(f'logcumsumexp(): "logcumsumexp" is not implemented for '
                                      f"dtype {self.dtype}")
        axis = self._scan_axis(dim, "logcumsumexp")
        if self.ndim == 0:
            return E.Clone.apply(self)
        return C.LogCumSumExp.apply(self, dim=axis)

    def _running_extreme(self, dim: Any, smallest: PyBool) -> ValuesIndices:
        named = return_types.cummin if smallest else return_types.cummax
        name = "cummin" if smallest else "cummax"
        axis = self._scan_axis(dim, name)
        if self.ndim == 0:
            return named(S.View.apply(self, shape=()), self._wrap(
                np.zeros((), np.int64), False))
        data = self._data
        running = (np.minimum if smallest else np.maximum).accumulate(data, axis=axis)
        hit = data == running  # the latest of equal extremes is the one taken, as PyTorch
        if data.dtype.kind == "f":
            hit |= np.isnan(data)  # a NaN is the extreme from there on
        positions = np.arange(data.shape[axis]).reshape(
            [-1 if i == axis else 1 for i in range(self.ndim)])
        index = np.maximum.accumulate(np.where(hit, positions, 0), axis=axis)
        values = R.TakeAlongDim.apply(self, index=index, dim=axis, keepdim=True)
        return named(values, self._wrap(index.copy(), False))

    def cummax(self, dim: PyInt) -> ValuesIndices:
        """``(values, indices)``: the running maximum along ``dim`` and where it was taken."""
        return self._running_extreme(dim, smallest=False)

    def cummin(self, dim: PyInt) -> ValuesIndices:
        """``(values, indices)``: the running minimum along ``dim`` and where it was taken."""
        return self._running_extreme(dim, smallest=True)

    def diff(self, n: PyInt = 1, dim: PyInt = -1, prepend: Any = None,
             append: Any = None) -> Tensor:
        """The n-th forward difference along ``dim`` (``prepend``/``append`` joined first);
        for bool tensors, x[i+1] != x[i], as PyTorch. n = 0 gives a copy of the input."""
        n = as_int(n, "n", "diff")
        if self.ndim == 0:
            raise RuntimeError("diff(): expects input to be at least one-dimensional")
        if n < 0:
            raise RuntimeError(f"diff(): order must be non-negative but got {n}")
        axis = dim_index(dim, self.ndim, "diff")
        if n == 0:  # the input itself (a copy), prepend and append ignored, as PyTorch
            return E.Clone.apply(self)
        x: Any = self
        if prepend is not None or append is not None:
            parts = [p for p in (prepend, self, append) if p is not None]
            x = C.cat(_promoted(parts), axis)
        for _ in range(n):
            size = x.shape[axis]
            later = x[C.along(x.ndim, axis, slice(1, size))]
            earlier = x[C.along(x.ndim, axis, slice(0, max(size - 1, 0)))]
            x = later != earlier if x._data.dtype == np.bool_ else later - earlier
        return x

    # ------------------------------------------------------------------ order statistics

    def _select_kth(self, dim: Any, keepdim: PyBool, op: str, position: Any) -> ValuesIndices:
        named = getattr(return_types, op)  # median, nanmedian or kthvalue
        """The element at ``position(sorted slice, NaN count)`` of each slice along ``dim``
        (NaNs sort last), with its index; the gradient goes to that index."""
        axis = dim_index(dim, self.ndim, op)
        if self.ndim == 0:
            return named(S.View.apply(self, shape=()), self._wrap(
                np.zeros((), np.int64), False))
        n = self._data.shape[axis]
        if n == 0:
            raise IndexError(f"{op}(): expected reduction dim {axis} to have non-zero size "
                             f"(tensor of shape {self.shape})")
        order = np.argsort(self._data, axis=axis, kind="stable")
        numbers = (~np.isnan(self._data) if self._data.dtype.kind == "f" else
                   np.ones(self._data.shape, np.bool_)).sum(axis=axis, keepdims=True)
        at = np.asarray(position(n, numbers), np.int64)
        index = np.take_along_axis(order, np.broadcast_to(at, numbers.shape), axis=axis)
        values = R.TakeAlongDim.apply(self, index=index, dim=axis, keepdim=keepdim)
        index = index if keepdim else index.squeeze(axis)
        return named(values, self._wrap(index.copy(), False))

    def median(self, dim: PyInt | None = None, keepdim: PyBool = False) -> Any:
        """The lower median: of all elements (ties share the gradient), or ``(values,
        indices)`` along ``dim`` (the gradient goes to the index). NaN if a NaN is present,
        as PyTorch (``nanmedian`` ignores them); NaN for an empty tensor."""
        if dim is None:
            return C.MedianAll.apply(self)
        # with a NaN in the slice: the first NaN (sorted after the numbers), as PyTorch
        return self._select_kth(dim, keepdim, "median", lambda n, numbers: np.where(
            numbers < n, numbers, (n - 1) // 2))

    def nanmedian(self, dim: PyInt | None = None, keepdim: PyBool = False) -> Any:
        """As ``median``, ignoring NaNs (NaN only where a slice is all NaN)."""
        if dim is None:
            return C.NanMedianAll.apply(self)
        return self._select_kth(dim, keepdim, "nanmedian", lambda n, numbers: np.where(
            numbers > 0, (numbers - 1) // 2, 0))

    def kthvalue(self, k: PyInt, dim: PyInt = -1, keepdim: PyBool = False) -> ValuesIndices:
        """``(values, indices)`` of the k-th smallest element along ``dim`` (k from 1)."""
        k = as_int(k, "k", "kthvalue")
        size = self._data.shape[dim_index(dim, self.ndim, "kthvalue")] if self.ndim else 1
        if not 1 <= k <= size:
            raise RuntimeError(f"kthvalue(): selected number k={k} out of range for dimension "
                               f"{dim} of size {size}")
        return self._select_kth(dim, keepdim, "kthvalue", lambda n, numbers: k - 1)


def _promoted(parts: list[Any]) -> list[Any]:
    """The tensors of ``diff``'s join in their common dtype (PyTorch's result_type)."""
    dtype = result_type(*parts)
    return [p if p._data.dtype == dtype else p.to(dtype) for p in parts]
