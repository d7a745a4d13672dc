"""``Tensor``'s indexing (gather, scatter, index_select, masked_fill, nonzero...) methods,
as a mixin class that ``Tensor`` inherits.

Index tensors are checked as PyTorch checks them: an integer dtype (int64, or int32 where
PyTorch takes it), the number of dims, and every index in range (an error naming the first
bad one, instead of NumPy's wrap-around of negative indices). The ops keep the index
tensor's own memory, so an in-place change of it before backward is caught by the engine.

The in-place forms (``masked_fill_``, ``scatter_``, ``index_add_``...) go through the
in-place machinery of ``_tensor_inplace.py``: refused on a tensor that requires grad while
grad mode is on (a leaf, or part of a recorded graph), allowed under ``no_grad``; each
ticks the tensor's version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ._checks import dim_index
from ._typing import PyBool, PyInt, Scalar, TensorFields
from .autograd import bump_version, is_grad_enabled, no_grad
from .ops import elementwise as E
from .ops import indexing as I
from .ops import shape as S

if TYPE_CHECKING:
    from .tensor import Tensor

_INDEX_DTYPES = (np.dtype(np.int64), np.dtype(np.int32))
_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _index(index: Any, op: str, long_only: bool = False) -> np.ndarray:
    """The array of an index tensor, refused unless of an integer dtype PyTorch takes."""
    if not isinstance(index, TensorFields):
        raise TypeError(f"{op}(): argument 'index' must be a Tensor, not {type(index).__name__}")
    array = index._data
    if array.dtype not in (_INDEX_DTYPES[:1] if long_only else _INDEX_DTYPES):
        wanted = "int64" if long_only else "int64 or int32"
        raise RuntimeError(f"{op}(): expected dtype {wanted} for index, got {array.dtype}")
    return array


def _in_bounds(index: np.ndarray, size: int, dim: int, op: str, wrap: bool = False,
               error: type[Exception] = RuntimeError) -> np.ndarray:
    """``index`` checked against a dim of ``size``; ``wrap``: negative indices count from the
    end (a new array then, as the op must not see them)."""
    low = -size if wrap else 0
    bad = (index < low) | (index >= size)
    if bad.any():
        raise error(f"{op}(): index {int(index[bad].flat[0])} is out of bounds for dimension "
                    f"{dim} with size {size}")
    return np.where(index < 0, index + size, index) if wrap and (index < 0).any() else index


def _scatter_shapes(x: Tensor, index: np.ndarray, dim: int, src: Any, op: str) -> None:
    """PyTorch's gather/scatter shape rule: index has x's number of dims, is no larger than
    src in any dim and no larger than x in any dim but ``dim``."""
    if index.ndim != x.ndim:
        raise RuntimeError(f"{op}(): index tensor must have the same number of dimensions as "
                           f"the input tensor (index {index.shape}, input {x.shape})")
    for d, n in enumerate(index.shape):
        if d != dim and n > x.shape[d]:
            raise RuntimeError(f"{op}(): size does not match at dimension {d}: expected index "
                               f"{index.shape} to be no larger than self {x.shape} apart from "
                               f"dimension {dim}")
        if src is not None and n > src.shape[d]:
            raise RuntimeError(f"{op}(): size does not match at dimension {d}: expected index "
                               f"{index.shape} to be no larger than src {src.shape}")
    if src is not None:
        if src.ndim != x.ndim:
            raise RuntimeError(f"{op}(): src must have the same number of dimensions as the "
                               f"input (src {src.shape}, input {x.shape})")
        if src.dtype != x.dtype:
            raise RuntimeError(f"{op}(): expected self.dtype to be equal to src.dtype "
                               f"({x.dtype} and {src.dtype})")
    _in_bounds(index, x.shape[dim] if x.ndim else 1, dim, op)


def _bool_mask(mask: Any, op: str) -> Tensor:
    if not isinstance(mask, TensorFields) or mask._data.dtype != np.bool_:
        got = mask._data.dtype if isinstance(mask, TensorFields) else type(mask).__name__
        raise RuntimeError(f"{op}: only boolean masks are supported, but got mask with dtype "
                           f"{got}")
    return cast("Tensor", mask)


class Indexing(TensorFields):
    """Methods of ``Tensor`` (see the module docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        _requires_grad: bool

        def _before_inplace(self, op: str) -> None: ...
        def reshape(self, *shape: Any) -> Tensor: ...
        def broadcast_to(self, shape: Any) -> Tensor: ...
        def __getitem__(self, index: Any) -> Tensor: ...

    def _me(self) -> Tensor:
        return cast("Tensor", self)

    # ------------------------------------------------------------------ gather / scatter

    def gather(self, dim: PyInt, index: Tensor, *, sparse_grad: PyBool = False) -> Tensor:
        """out[i][j][k] = self[index[i][j][k]][j][k] (for dim 0); index may be smaller than
        self in every dim but ``dim``. The gradient adds up at repeated indices."""
        d = dim_index(dim, self.ndim, "gather")
        idx = _index(index, "gather")
        x, shape = self._me(), idx.shape
        if self.ndim == 0:  # a 0-d tensor gathers like a 1-element vector
            x, idx = x.reshape(1), idx.reshape(-1)
        _scatter_shapes(x, idx, d, None, "gather")
        out = I.Gather.apply(x, index=idx, dim=d)
        return out if out.shape == shape else out.reshape(shape)

    def _scatter_args(self, dim: PyInt, index: Tensor, src: Any, op: str) -> tuple[
            PyInt, np.ndarray]:
        d = dim_index(dim, self.ndim, op)
        idx = _index(index, op)
        _scatter_shapes(self._me(), idx, d, src, op)
        return d, idx

    def scatter(self, dim: PyInt, index: Tensor, src: Any = None, value: Any = None, *,
                reduce: str | None = None) -> Tensor:
        """self with src[i][j][k] written at [index[i][j][k]][j][k] (for dim 0); ``src`` may
        be a number (or ``value=``). ``reduce='add'``/``'multiply'`` combines instead of
        writing (PyTorch's deprecated form; no gradient, as in PyTorch)."""
        if src is None:
            src = value
        if src is None:
            raise TypeError("scatter(): expected a src tensor or a value")
        tensor_src = isinstance(src, TensorFields)
        d, idx = self._scatter_args(dim, index, src if tensor_src else None, "scatter")
        if reduce is not None:
            ufunc = {"add": "sum", "multiply": "prod"}.get(reduce)
            if ufunc is None:
                raise RuntimeError(f"scatter(): reduce argument must be either 'add' or "
                                   f"'multiply', got {reduce!r}")
            if is_grad_enabled() and (self._requires_grad or getattr(src, "_requires_grad",
                                                                     False)):
                raise RuntimeError("the derivative of scatter with reduce is not implemented "
                                   "(as in PyTorch): use scatter_reduce or scatter_add")
            if not tensor_src:
                src = self._wrap(np.full(idx.shape, src, self.dtype), False)
            return self.scatter_reduce(d, index, src, ufunc)
        if tensor_src:
            return I.Scatter.apply(self, src, index=idx, dim=d)
        number = np.asarray(getattr(src, "item", lambda: src)()).astype(self.dtype)
        return I.Scatter.apply(self, index=idx, dim=d, value=number)

    def scatter_add(self, dim: PyInt, index: Tensor, src: Tensor) -> Tensor:
        """self with src[i][j][k] added at [index[i][j][k]][j][k] (for dim 0; repeats add)."""
        d, idx = self._scatter_args(dim, index, src, "scatter_add")
        return I.ScatterAdd.apply(self, src, index=idx, dim=d)

    def scatter_reduce(self, dim: PyInt, index: Tensor, src: Tensor, reduce: str, *,
                       include_self: PyBool = True) -> Tensor:
        """Each src value combined into self's element at its index by ``reduce`` ('sum',
        'prod', 'mean', 'amax', 'amin'); ``include_self=False`` leaves self's value out of
        the elements reached. Gradients as PyTorch (ties of amax/amin share evenly)."""
        if reduce not in _REDUCES:
            raise RuntimeError(f"scatter_reduce(): reduce argument must be one of {_REDUCES}, "
                               f"got {reduce!r}")
        d, idx = self._scatter_args(dim, index, src, "scatter_reduce")
        return I.ScatterReduce.apply(self, src, index=idx, dim=d, reduce=reduce,
                                     include_self=bool(include_self))

    def take_along_dim(self, indices: Tensor, dim: PyInt | None = None) -> Tensor:
        """Values at ``indices`` along ``dim`` (self and indices broadcast in the other dims);
        with ``dim=None`` both are flattened first. Negative indices count from the end."""
        idx = _index(indices, "take_along_dim", long_only=True)
        x = self._me()
        if dim is None:
            x, idx, d = x.reshape(-1), idx.reshape(-1), 0
        else:
            d = dim_index(dim, self.ndim, "take_along_dim")
            if idx.ndim != self.ndim:
                raise RuntimeError(f"take_along_dim(): input and indices should have the same "
                                   f"number of dimensions, but got {self.ndim} and {idx.ndim}")
            if self.ndim == 0:
                x, idx = x.reshape(1), idx.reshape(1)
            try:
                both = list(np.broadcast_shapes(
                    tuple(1 if k == d else n for k, n in enumerate(x.shape)),
                    tuple(1 if k == d else n for k, n in enumerate(idx.shape))))
            except ValueError:
                raise RuntimeError(f"take_along_dim(): shapes {self.shape} and {idx.shape} do "
                                   f"not broadcast apart from dimension {d}") from None
            x = x.broadcast_to(tuple(both[:d] + [x.shape[d]] + both[d + 1:]))
            idx = np.broadcast_to(idx, tuple(both[:d] + [idx.shape[d]] + both[d + 1:]))
        # (as PyTorch: negative indices count from the end along a dim, not when flattened)
        idx = _in_bounds(idx, x.shape[d], d, "take_along_dim", wrap=dim is not None)
        out = I.Gather.apply(x, index=idx, dim=d)
        return out.reshape(()) if self.ndim == 0 and dim is not None else out

    # ------------------------------------------------------------------ index_*

    def _slices_args(self, dim: PyInt, index: Tensor, op: str, source: Any = None,
                     error: type[Exception] = RuntimeError) -> tuple[PyInt, np.ndarray]:
        """dim and index for the ops that take whole slices of ``dim`` (a 1-D or 0-d index;
        the source's slices shaped as self's)."""
        d = dim_index(dim, self.ndim, op)
        idx = _index(index, op)
        if idx.ndim > 1:
            raise IndexError(f"{op}(): index is supposed to be a vector, got shape {idx.shape}")
        idx = idx.reshape(-1)
        size = self.shape[d] if self.ndim else 1
        idx = _in_bounds(idx, size, d, op, error=error)
        if source is not None:
            want = tuple(len(idx) if k == d else n for k, n in enumerate(self.shape))
            got = tuple(source.shape) if source.ndim else (1,) * max(self.ndim, 1)
            if got != (want or (len(idx),)):
                raise RuntimeError(f"{op}(): source of shape {tuple(source.shape)} does not fit "
                                   f"{len(idx)} slices of dim {d} of a tensor of shape "
                                   f"{self.shape} (expected {want})")
            if source.dtype != self.dtype:
                raise RuntimeError(f"{op}(): self ({self.dtype}) and source ({source.dtype}) "
                                   "must have the same scalar type")
        return d, idx

    def index_select(self, dim: PyInt, index: Tensor) -> Tensor:
        """The slices ``index`` (a vector, or one index) of ``dim``."""
        d, idx = self._slices_args(dim, index, "index_select", error=IndexError)
        if self.ndim == 0:
            return S.GetItem.apply(self.reshape(1), self._wrap(idx, False),
                                   index=S.IndexSlot(0)).reshape(())
        template = (slice(None),) * d + (S.IndexSlot(0),)
        return S.GetItem.apply(self, self._wrap(idx, False), index=template)

    def index_add(self, dim: PyInt, index: Tensor, source: Tensor, *,
                  alpha: Scalar = 1) -> Tensor:
        """self with alpha * source's slice k added to slice index[k] of ``dim``."""
        d, idx = self._slices_args(dim, index, "index_add", source)
        x, src = self._me(), source
        if self.ndim == 0:
            x, src = x.reshape(1), source.reshape(1)
        out = I.IndexAdd.apply(x, src, index=idx, dim=d, alpha=alpha)
        return out.reshape(()) if self.ndim == 0 else out

    def index_copy(self, dim: PyInt, index: Tensor, source: Tensor) -> Tensor:
        """self with slice index[k] of ``dim`` replaced by source's slice k."""
        d, idx = self._slices_args(dim, index, "index_copy", source, error=IndexError)
        x, src = self._me(), source
        if self.ndim == 0:
            x, src = x.reshape(1), source.reshape(1)
        out = I.IndexCopy.apply(x, src, index=idx, dim=d)
        return out.reshape(()) if self.ndim == 0 else out

    def index_fill(self, dim: PyInt, index: Tensor, value: Any) -> Tensor:
        """self with the slices ``index`` of ``dim`` set to ``value`` (a number or a 0-d
        tensor, which then gets the gradient of every filled element). Negative indices
        count from the end."""
        d = dim_index(dim, self.ndim, "index_fill")
        idx = _index(index, "index_fill", long_only=True)
        if idx.ndim > 1:
            raise IndexError(f"index_fill(): index is supposed to be a vector, got shape "
                             f"{idx.shape}")
        idx = _in_bounds(idx.reshape(-1), self.shape[d] if self.ndim else 1, d, "index_fill",
                         wrap=True, error=IndexError)
        mask = np.zeros(self.shape, bool)
        mask[(slice(None),) * d + (idx,)] = True
        return self._filled(self._wrap(mask, False), value, "index_fill")

    # ------------------------------------------------------------------ masks

    def _filled(self, mask: Tensor, value: Any, op: str) -> Tensor:
        if isinstance(value, TensorFields):
            if value.ndim:
                raise RuntimeError(f"{op} only supports a 0-dimensional value tensor, but got "
                                   f"tensor with {value.ndim} dimension(s)")
            fill = cast("Tensor", value)
            if fill.dtype != self.dtype:
                fill = fill.to(self.dtype) if self.dtype.kind == "f" else self._wrap(
                    fill._data.astype(self.dtype), False)
        else:
            fill = self._wrap(np.asarray(value).astype(self.dtype), False)
        return E.Where.apply(mask, fill, self)

    def masked_fill(self, mask: Tensor, value: Any) -> Tensor:
        """self with ``value`` where ``mask`` (bool, broadcast) holds; a 0-d tensor value gets
        the gradient of every filled element."""
        mask = _bool_mask(mask, "masked_fill")
        try:
            np.broadcast_shapes(self.shape, mask.shape)
        except ValueError:
            raise RuntimeError(f"masked_fill: the mask's shape {mask.shape} does not broadcast "
                               f"with the tensor's shape {self.shape}") from None
        return self._filled(mask, value, "masked_fill")

    def masked_select(self, mask: Tensor) -> Tensor:
        """The elements where ``mask`` (bool, broadcast with self) holds, as a 1-D tensor."""
        mask = _bool_mask(mask, "masked_select")
        try:
            shape = np.broadcast_shapes(self.shape, mask.shape)
        except ValueError:
            raise RuntimeError(f"masked_select: the mask's shape {mask.shape} does not "
                               f"broadcast with the tensor's shape {self.shape}") from None
        x = self._me() if self.shape == shape else self.broadcast_to(shape)
        flags = mask._data if mask.shape == shape else np.broadcast_to(mask._data, shape)
        out = S.GetItem.apply(x, self._wrap(flags, False), index=S.IndexSlot(0))
        return out.reshape(-1) if out.ndim != 1 else out

    def masked_scatter(self, mask: Tensor, source: Tensor) -> Tensor:
        """self with the elements under ``mask`` replaced, in row-major order, by source's
        first elements."""
        mask = _bool_mask(mask, "masked_scatter")
        if source.dtype != self.dtype:
            raise RuntimeError(f"masked_scatter: expected self and source to have the same "
                               f"dtype, but got {self.dtype} and {source.dtype}")
        try:
            shape = np.broadcast_shapes(self.shape, mask.shape)
        except ValueError:
            raise RuntimeError(f"masked_scatter: the mask's shape {mask.shape} does not "
                               f"broadcast with the tensor's shape {self.shape}") from None
        flags = np.broadcast_to(mask._data, shape)
        count = int(flags.sum())
        if source._data.size < count:
            raise RuntimeError(f"masked_scatter: source has {source._data.size} elements for "
                               f"{count} ones in the mask")
        x = self._me() if self.shape == shape else self.broadcast_to(shape)
        return I.MaskedScatter.apply(x, source, mask=flags)

    def take(self, index: Tensor) -> Tensor:
        """self read as 1-D at ``index`` (any shape, negative counts from the end)."""
        idx = _index(index, "take", long_only=True)
        idx = _in_bounds(idx, self._data.size, 0, "take", wrap=True)
        flat = self.reshape(-1)
        return S.GetItem.apply(flat, self._wrap(idx, False), index=S.IndexSlot(0))

    def nonzero(self, *, as_tuple: PyBool = False) -> Any:
        """The indices of the nonzero elements: an (n, ndim) int64 tensor, or with
        ``as_tuple`` one 1-D tensor per dim (no gradient)."""
        data = self._data if self.ndim else self._data.reshape(1)
        found = np.argwhere(data).astype(np.int64)
        if as_tuple:
            return tuple(self._wrap(np.ascontiguousarray(found[:, k]), False)
                         for k in range(found.shape[1]))
        return self._wrap(found if self.ndim else found[:, :0], False)

    def argwhere(self) -> Tensor:
        return cast("Tensor", self.nonzero())

    # ------------------------------------------------------------------ in-place forms

    def _write(self, op: str, compute: Any) -> Tensor:
        """Run ``compute()`` (the out-of-place form) and write its result into self."""
        self._before_inplace(op)
        with no_grad():
            result = compute()
        if result.shape != self.shape:
            raise RuntimeError(f"{op}: the result of shape {result.shape} cannot be written "
                               f"into this tensor of shape {self.shape} (in place, a mask "
                               "must broadcast to the tensor's shape)")
        np.copyto(self._data, result._data, casting="unsafe")
        bump_version(self)
        return self._me()

    def masked_fill_(self, mask: Tensor, value: Any) -> Tensor:
        return self._write("masked_fill_", lambda: self.masked_fill(mask, value))

    def masked_scatter_(self, mask: Tensor, source: Tensor) -> Tensor:
        return self._write("masked_scatter_", lambda: self.masked_scatter(mask, source))

    def scatter_(self, dim: PyInt, index: Tensor, src: Any = None, value: Any = None, *,
                 reduce: str | None = None) -> Tensor:
        return self._write("scatter_", lambda: self.scatter(dim, index, src, value,
                                                            reduce=reduce))

    def scatter_add_(self, dim: PyInt, index: Tensor, src: Tensor) -> Tensor:
        return self._write("scatter_add_", lambda: self.scatter_add(dim, index, src))

    def scatter_reduce_(self, dim: PyInt, index: Tensor, src: Tensor, reduce: str, *,
                        include_self: PyBool = True) -> Tensor:
        return self._write("scatter_reduce_", lambda: self.scatter_reduce(
            dim, index, src, reduce, include_self=include_self))

    def index_fill_(self, dim: PyInt, index: Tensor, value: Any) -> Tensor:
        return self._write("index_fill_", lambda: self.index_fill(dim, index, value))

    def index_add_(self, dim: PyInt, index: Tensor, source: Tensor, *,
                   alpha: Scalar = 1) -> Tensor:
        return self._write("index_add_", lambda: self.index_add(dim, index, source,
                                                                alpha=alpha))

    def index_copy_(self, dim: PyInt, index: Tensor, source: Tensor) -> Tensor:
        return self._write("index_copy_", lambda: self.index_copy(dim, index, source))

    def put_(self, index: Tensor, source: Tensor, accumulate: PyBool = False) -> Tensor:
        """self read as 1-D gets source's elements at ``index`` (added with ``accumulate``)."""
        self._before_inplace("put_")
        idx = _in_bounds(_index(index, "put_", long_only=True), self._data.size, 0, "put_",
                         wrap=True)
        if source._data.size != idx.size:
            raise RuntimeError(f"put_(): expected source and index to have the same number of "
                               f"elements, but got {source._data.size} and {idx.size}")
        flat = self._data.reshape(-1) if self._data.flags.c_contiguous else None
        target = flat if flat is not None else self._data.copy().reshape(-1)
        values = source._data.reshape(-1).astype(self.dtype)
        if accumulate:
            np.add.at(target, idx.reshape(-1), values)
        else:
            target[idx.reshape(-1)] = values
        if flat is None:  # another layout: reshape made a copy, write it back
            np.copyto(self._data, target.reshape(self.shape))
        bump_version(self)
        return self._me()

