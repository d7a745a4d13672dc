"""``Tensor``'s rearranging, sorting and product methods (flip, roll, split, sort, topk, mm...),
as a mixin class that ``Tensor`` inherits.

Most are built from the differentiable shape ops (slices are ``GetItem`` views, as PyTorch's
``split``/``narrow`` are views; ``repeat`` is an expand and a reshape; ``tril`` a select with
a constant mask), so their gradients -- of any order -- come with those ops. ``flip`` and
``roll`` are ops of their own (``ops/arrange.py``); ``sort``/``topk`` pick their values with
``ops/indexing.Gather``; ``mm``/``bmm``/``mv``/``dot`` are the ``@`` node itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from . import return_types
from ._checks import as_int, dim_index, dim_tuple
from ._typing import PyBool, PyInt, Scalar, TensorFields
from .ops import arrange as A
from .ops import elementwise as E
from .ops import indexing as I
from .ops import linalg as L
from .ops import shape as S
from .return_types import ValuesIndices

if TYPE_CHECKING:
    from .tensor import Tensor


def _ints(args: tuple[Any, ...], name: str, op: str) -> tuple[int, ...]:
    """``f(0, 1)``, ``f((0, 1))`` and ``f([0, 1])`` all mean (0, 1)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return tuple(as_int(a, name, op) for a in args)


def _sort_order(a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """A stable sorting order along ``axis``; NaN counts as the largest value, as PyTorch's."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    if a.dtype.kind == "f":  # NaN first, then the values from the largest
        return np.lexsort((-a, ~np.isnan(a)), axis=axis)
    return np.argsort(~a, axis=axis, kind="stable")  # ~ reverses integer order, no overflow


class Arrange(TensorFields):
    """Methods of ``Tensor`` (see the module docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        def reshape(self, *shape: Any) -> Tensor: ...
        def permute(self, *dims: Any) -> Tensor: ...
        def transpose(self, dim0: PyInt, dim1: PyInt) -> Tensor: ...
        def unsqueeze(self, dim: PyInt) -> Tensor: ...
        def expand(self, *sizes: Any) -> Tensor: ...
        def broadcast_to(self, shape: Any) -> Tensor: ...
        def index_select(self, dim: PyInt, index: Tensor) -> Tensor: ...
        def __getitem__(self, index: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __add__(self, other: Any) -> Tensor: ...

    def _me(self) -> Tensor:
        return cast("Tensor", self)

    # ------------------------------------------------------------------ flips and rolls

    def flip(self, *dims: Any, **keyword: Any) -> Tensor:
        """A copy with the order of elements along ``dims`` reversed."""
        if keyword:
            if set(keyword) != {"dims"} or dims:
                raise TypeError(f"flip(): unexpected arguments {sorted(keyword)}; give dims")
            dims = (keyword["dims"],)
        axes = dim_tuple(_ints(dims, "dims", "flip"), self.ndim, "flip", empty_is_all=False)
        return A.Flip.apply(self, dims=axes)

    def fliplr(self) -> Tensor:
        if self.ndim < 2:
            raise RuntimeError(f"fliplr: input must be >= 2-d, got shape {self.shape}")
        return self.flip(1)

    def flipud(self) -> Tensor:
        if self.ndim < 1:
            raise RuntimeError("flipud: input must be >= 1-d, got a 0-d tensor")
        return self.flip(0)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        """Elements shifted by ``shifts`` along ``dims`` (wrapping around); without dims, along
        the flattened tensor (the shape is kept)."""
        steps = _ints((shifts,), "shifts", "roll")
        if dims is None:
            if len(steps) != 1:
                raise RuntimeError(f"roll(): shifts {steps} need dims of the same length")
            return A.Roll.apply(self, shifts=steps, dims=())
        axes = tuple(dim_index(d, self.ndim, "roll") for d in _ints((dims,), "dims", "roll"))
        if len(axes) != len(steps):
            raise RuntimeError(f"roll(): shifts and dimensions must align: shifts {steps}, "
                               f"dims {axes}")
        if self.ndim == 0:
            return A.Roll.apply(self, shifts=steps[:1], dims=())
        return A.Roll.apply(self, shifts=steps, dims=axes)

    def rot90(self, k: PyInt = 1, dims: Sequence[PyInt] = (0, 1)) -> Tensor:
        """Rotated by 90 degrees k times, from the first dim of ``dims`` towards the second."""
        if len(dims) != 2:
            raise RuntimeError(f"rot90(): expected total rotation dims == 2, got {len(dims)}")
        if self.ndim < 2:
            raise RuntimeError(f"rot90(): expected total dims >= 2, got shape {self.shape}")
        d0, d1 = (dim_index(d, self.ndim, "rot90") for d in dims)
        if d0 == d1:
            raise RuntimeError(f"rot90(): rotation dims must be different, got {tuple(dims)}")
        turns = as_int(k, "k", "rot90") % 4
        if turns == 1:
            return self.flip(d1).transpose(d0, d1)
        if turns == 2:
            return self.flip(d0, d1)
        if turns == 3:
            return self.flip(d0).transpose(d0, d1)
        return A.Flip.apply(self, dims=())  # a copy, as PyTorch's

    # ------------------------------------------------------------------ repeats

    def repeat(self, *sizes: Any) -> Tensor:
        """The tensor tiled ``sizes[k]`` times along dim k (more sizes than dims add leading
        dims): an expand and a reshape, so the gradient sums the copies."""
        reps = _ints(sizes, "repeats", "repeat")
        if len(reps) < self.ndim:
            raise RuntimeError(f"repeat(): number of dimensions of repeat dims ({len(reps)}) "
                               f"can not be smaller than number of dimensions of tensor "
                               f"({self.ndim}, shape {self.shape})")
        if any(r < 0 for r in reps):
            raise RuntimeError(f"repeat(): repeats must be >= 0, got {reps}")
        shape = (1,) * (len(reps) - self.ndim) + self.shape
        spread = tuple(n for pair in ((1, s) for s in shape) for n in pair)
        grown = tuple(n for pair in zip(reps, shape, strict=True) for n in pair)
        out = self.reshape(spread).expand(*grown)
        return out.reshape(tuple(r * s for r, s in zip(reps, shape, strict=True)))

    def tile(self, *dims: Any) -> Tensor:
        reps = _ints(dims, "dims", "tile")
        return self.repeat((1,) * (self.ndim - len(reps)) + reps)

    def repeat_interleave(self, repeats: Any, dim: PyInt | None = None, *,
                          output_size: PyInt | None = None) -> Tensor:
        """Each element (or slice of ``dim``) repeated ``repeats`` times in place; repeats is a
        number or one count per element. Without dim the tensor is flattened first."""
        x = self.reshape(-1) if dim is None else self._me()
        d = 0 if dim is None else dim_index(dim, self.ndim, "repeat_interleave")
        n = x.shape[d] if x.ndim else 1
        counts = getattr(repeats, "_data", repeats)
        counts = np.asarray(counts)
        if counts.dtype.kind not in "iu" or counts.ndim > 1 or counts.ndim == 1 and len(
                counts) not in (1, n):
            raise RuntimeError(f"repeat_interleave(): repeats must be an int or a 1-D integer "
                               f"tensor of {n} counts, got {repeats!r}")
        if (counts < 0).any():
            raise RuntimeError("repeat_interleave(): repeats can not be negative")
        index = np.repeat(np.arange(n), counts.reshape(-1) if counts.ndim else int(counts))
        if output_size is not None and len(index) != output_size:
            raise RuntimeError(f"repeat_interleave(): output_size {output_size} does not match "
                               f"the {len(index)} elements repeated")
        if x.ndim == 0:
            x = x.reshape(1)
        return x.index_select(d, self._wrap(index.astype(np.int64), False))

    # ------------------------------------------------------------------ pieces (views)

    def _slice(self, d: PyInt, start: PyInt, stop: PyInt) -> Tensor:
        return self[(slice(None),) * d + (slice(start, stop),)]

    def narrow(self, dim: PyInt, start: Any, length: PyInt) -> Tensor:
        """``length`` elements of ``dim`` from ``start`` (negative counts from the end)."""
        if self.ndim == 0:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor")
        d = dim_index(dim, self.ndim, "narrow")
        n = self.shape[d]
        begin, length = as_int(start, "start", "narrow"), as_int(length, "length", "narrow")
        if not -n <= begin <= n:
            raise IndexError(f"narrow(): start ({begin}) out of range for dimension {d} of "
                             f"size {n}")
        if begin < 0:
            begin += n
        if length < 0 or begin + length > n:
            raise RuntimeError(f"narrow(): start ({begin}) + length ({length}) exceeds "
                               f"dimension size ({n})")
        return self._slice(d, begin, begin + length)

    def split(self, split_size_or_sections: Any = None, dim: PyInt = 0, *,
              split_size: Any = None) -> tuple[Tensor, ...]:
        """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given
        sizes (which must add up to the dim's size)."""
        if split_size is not None:  # the method's keyword name in PyTorch
            split_size_or_sections = split_size
        if split_size_or_sections is None:
            raise TypeError("split() missing its split_size_or_sections argument")
        d = dim_index(dim, self.ndim, "split")
        n = self.shape[d] if self.ndim else 0
        if isinstance(split_size_or_sections, (list, tuple)):
            sizes = _ints((split_size_or_sections,), "split_sizes", "split")
            if sum(sizes) != n or any(s < 0 for s in sizes):
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to "
                                   f"{n} (input tensor's size at dimension {d}), but got "
                                   f"split_sizes={list(sizes)}")
        else:
            size = as_int(split_size_or_sections, "split_size", "split")
            if size < 0 or size == 0 and n:
                raise RuntimeError(f"split(): split_size can only be 0 if dimension size is 0, "
                                   f"but got split_size {size} for size {n}")
            sizes = tuple(min(size, n - s) for s in range(0, n, size)) if n else (0,)
        ends = np.cumsum((0,) + sizes).tolist()
        return tuple(self._slice(d, a, b) for a, b in zip(ends[:-1], ends[1:], strict=True))

    def chunk(self, chunks: PyInt, dim: PyInt = 0) -> tuple[Tensor, ...]:
        """Up to ``chunks`` pieces of ceil(size / chunks) along ``dim`` (maybe fewer)."""
        count = as_int(chunks, "chunks", "chunk")
        if count <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {count}")
        d = dim_index(dim, self.ndim, "chunk")
        n = self.shape[d] if self.ndim else 0
        return self.split(max(-(-n // count), 1) if n else 0, d) if n else tuple(
            self._slice(d, 0, 0) for _ in range(count))

    def tensor_split(self, indices_or_sections: Any, dim: PyInt = 0) -> tuple[Tensor, ...]:
        """``sections`` pieces whose sizes differ by at most one, or pieces cut at
        ``indices``."""
        d = dim_index(dim, self.ndim, "tensor_split")
        n = self.shape[d] if self.ndim else 0
        if isinstance(indices_or_sections, (list, tuple)):
            cuts = list(_ints((indices_or_sections,), "indices", "tensor_split"))
        else:
            sections = as_int(indices_or_sections, "sections", "tensor_split")
            if sections <= 0:
                raise RuntimeError(f"tensor_split(): number of sections must be larger than 0, "
                                   f"got {sections}")
            small, extra = divmod(n, sections)
            cuts = np.cumsum([small + 1] * extra + [small] * (sections - extra))[:-1].tolist()
        bounds = [0, *cuts, n]
        return tuple(self._slice(d, min(max(a, 0), n) if a >= 0 else a,
                                 max(min(b, n), 0) if b >= 0 else b)
                     for a, b in zip(bounds[:-1], bounds[1:], strict=True))

    def unbind(self, dim: PyInt = 0) -> tuple[Tensor, ...]:
        """The slices of ``dim``, each without it."""
        if self.ndim == 0:
            raise IndexError("unbind(): dimension specified as 0 but tensor has no dimensions")
        d = dim_index(dim, self.ndim, "unbind")
        return tuple(self[(slice(None),) * d + (k,)] for k in range(self.shape[d]))

    # ------------------------------------------------------------------ dims

    def movedim(self, source: Any, destination: Any) -> Tensor:
        """Dims ``source`` moved to ``destination`` (the others keep their order)."""
        src = [dim_index(d, self.ndim, "movedim") for d in _ints((source,), "source",
                                                                "movedim")]
        dst = [dim_index(d, self.ndim, "movedim") for d in _ints((destination,),
                                                                "destination", "movedim")]
        if len(src) != len(dst):
            raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} "
                               f"dims) should contain the same number of dims as destination "
                               f"({dst} dims)")
        if len(set(src)) != len(src) or len(set(dst)) != len(dst):
            raise RuntimeError(f"movedim: repeated dim in source {src} or destination {dst}")
        order: list[int | None] = [None] * self.ndim
        for s, t in zip(src, dst, strict=True):
            order[t] = s
        rest = iter(d for d in range(self.ndim) if d not in src)
        dims = tuple(next(rest) if o is None else o for o in order)
        return self.permute(dims) if self.ndim else self._me()

    moveaxis = movedim

    def unflatten(self, dim: PyInt, sizes: Sequence[PyInt]) -> Tensor:
        """Dim ``dim`` split into ``sizes`` (one of which may be -1)."""
        d = dim_index(dim, self.ndim, "unflatten")
        sizes = _ints((sizes,), "sizes", "unflatten")
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        known = math.prod(s for s in sizes if s != -1)
        n = self.shape[d]
        if -1 in sizes and known:
            sizes = tuple(n // known if s == -1 else s for s in sizes)
        if math.prod(sizes) != n:
            raise RuntimeError(f"unflatten: provided sizes {list(sizes)} don't multiply up to "
                               f"the size of dim {d} ({n}) in the input tensor")
        return self.reshape(self.shape[:d] + sizes + self.shape[d + 1:])

    # ------------------------------------------------------------------ triangles, diagonals

    def _triangle(self, diagonal: PyInt, lower: PyBool) -> Tensor:
        op = "tril" if lower else "triu"
        if self.ndim < 2:
            raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got shape "
                               f"{self.shape}")
        n, m = self.shape[-2:]
        k = as_int(diagonal, "diagonal", op)
        keep = np.tri(n, m, k, dtype=bool) if lower else ~np.tri(n, m, k - 1, dtype=bool)
        zero = self._wrap(np.zeros((), self.dtype), False)
        return E.Where.apply(self._wrap(keep, False), self, zero)

    def tril(self, diagonal: PyInt = 0) -> Tensor:
        """The lower triangle (j <= i + diagonal) of the last two dims; zeros above."""
        return self._triangle(diagonal, lower=True)

    def triu(self, diagonal: PyInt = 0) -> Tensor:
        """The upper triangle (j >= i + diagonal) of the last two dims; zeros below."""
        return self._triangle(diagonal, lower=False)

    def diagonal(self, offset: PyInt = 0, dim1: PyInt = 0, dim2: PyInt = 1) -> Tensor:
        """The diagonal of dims dim1, dim2 (shifted by ``offset``) as a new last dim."""
        d1, d2 = dim_index(dim1, self.ndim, "diagonal"), dim_index(dim2, self.ndim, "diagonal")
        if self.ndim < 2:
            raise RuntimeError(f"diagonal(): expected a tensor of at least 2 dims, got shape "
                               f"{self.shape}")
        if d1 == d2:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        k = as_int(offset, "offset", "diagonal")
        rest = [d for d in range(self.ndim) if d not in (d1, d2)]
        x = self.permute(*rest, d1, d2)
        n, m = self.shape[d1], self.shape[d2]
        length = max(min(n - max(-k, 0), m - max(k, 0)), 0)
        rows = np.arange(length) + max(-k, 0)
        cols = np.arange(length) + max(k, 0)
        return S.GetItem.apply(x, self._wrap(rows, False), self._wrap(cols, False),
                               index=(Ellipsis, S.IndexSlot(0), S.IndexSlot(1)))

    def diag_embed(self, offset: PyInt = 0, dim1: PyInt = -2, dim2: PyInt = -1) -> Tensor:
        """Zeros with the last dim put on the diagonal of two new dims (dims of the result)."""
        ndim = self.ndim + 1
        d1, d2 = dim_index(dim1, ndim, "diag_embed"), dim_index(dim2, ndim, "diag_embed")
        if d1 == d2:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        k = as_int(offset, "offset", "diag_embed")
        x = self.reshape(1) if self.ndim == 0 else self._me()
        n = x.shape[-1]
        size = n + abs(k)
        rows, cols = np.arange(n) + max(-k, 0), np.arange(n) + max(k, 0)
        full = S.IndexAdd.apply(x, steps=((Ellipsis, rows, cols),),
                                shape=x.shape[:-1] + (size, size))
        return full.movedim((-2, -1), (d1, d2))

    def diag(self, diagonal: PyInt = 0) -> Tensor:
        """1-D: a square matrix with the vector on its ``diagonal``; 2-D: that diagonal."""
        if self.ndim == 1:
            return self.diag_embed(diagonal)
        if self.ndim == 2:
            return self.diagonal(diagonal)
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")

    # ------------------------------------------------------------------ sorting

    def sort(self, dim: PyInt = -1, descending: PyBool = False, *,
             stable: PyBool = False) -> ValuesIndices:
        """(values, indices) sorted along ``dim``; always stable here (PyTorch's
        ``stable=False`` allows any order of ties); NaN sorts as the largest value. The
        gradient of values goes back to where each came from."""
        d = dim_index(dim, self.ndim, "sort")
        if self.ndim == 0:
            return return_types.sort(A.Flip.apply(self, dims=()),
                                 self._wrap(np.zeros((), np.int64), False))
        order = _sort_order(self._data, d, bool(descending)).astype(np.int64)
        return return_types.sort(I.Gather.apply(self, index=order, dim=d),
                             self._wrap(order.copy(), False))  # the caller's own copy

    def argsort(self, dim: PyInt = -1, descending: PyBool = False, *,
                stable: PyBool = False) -> Tensor:
        d = dim_index(dim, self.ndim, "argsort")
        if self.ndim == 0:
            return self._wrap(np.zeros((), np.int64), False)
        return self._wrap(_sort_order(self._data, d, bool(descending)).astype(np.int64), False)

    def msort(self) -> Tensor:
        return self.sort(0).values

    def topk(self, k: PyInt, dim: PyInt = -1, largest: PyBool = True,
             sorted: PyBool = True) -> ValuesIndices:
        """The k largest (or smallest) values along ``dim`` and their indices, in sorted
        order (also when ``sorted=False``, which PyTorch leaves unspecified)."""
        d = dim_index(dim, self.ndim, "topk")
        count = as_int(k, "k", "topk")
        n = self.shape[d] if self.ndim else 1
        if not 0 <= count <= n:
            raise RuntimeError(f"topk(): selected index k ({count}) out of range for dimension "
                               f"{d} of size {n}")
        if self.ndim == 0:
            return self.sort()
        order = _sort_order(self._data, d, bool(largest)).astype(np.int64)
        order = np.ascontiguousarray(order[(slice(None),) * d + (slice(0, count),)])
        return return_types.topk(I.Gather.apply(self, index=order, dim=d),
                             self._wrap(order.copy(), False))

    def unique(self, sorted: PyBool = True, return_inverse: PyBool = False,
               return_counts: PyBool = False, dim: PyInt | None = None) -> Any:
        """The distinct values (or slices of ``dim``), sorted; with the inverse (where each
        element went) and the counts. No gradient. NaNs are all distinct, as in PyTorch."""
        axis = None if dim is None else dim_index(dim, self.ndim, "unique")
        data = self._data if self.ndim else self._data.reshape(1)
        values, inverse, counts = np.unique(data, return_inverse=True, return_counts=True,
                                            axis=axis, equal_nan=False)
        out = [self._wrap(values, False)]
        if return_inverse:
            inverse = inverse.reshape(self.shape) if axis is None else inverse.reshape(-1)
            out.append(self._wrap(inverse.astype(np.int64), False))
        if return_counts:
            out.append(self._wrap(counts.astype(np.int64), False))
        return out[0] if len(out) == 1 else tuple(out)

    def unique_consecutive(self, return_inverse: PyBool = False, return_counts: PyBool = False,
                           dim: PyInt | None = None) -> Any:
        """The tensor with each run of equal consecutive values (or slices) kept once."""
        axis = 0 if dim is None else dim_index(dim, self.ndim, "unique_consecutive")
        data = self._data.reshape(-1) if dim is None else self._data
        moved = np.moveaxis(data, axis, 0).reshape(data.shape[axis] if data.ndim else 1, -1)
        starts = np.ones(len(moved), bool)
        starts[1:] = (moved[1:] != moved[:-1]).any(axis=1)
        kept = np.take(data, np.flatnonzero(starts), axis=axis)
        out = [self._wrap(kept, False)]
        inverse = np.cumsum(starts) - 1
        if return_inverse:
            out.append(self._wrap((inverse.reshape(self.shape) if dim is None else inverse
                                   ).astype(np.int64), False))
        if return_counts:
            out.append(self._wrap(np.bincount(inverse, minlength=len(kept)).astype(np.int64)
                                  if len(inverse) else np.zeros(0, np.int64), False))
        return out[0] if len(out) == 1 else tuple(out)

    def bincount(self, weights: Tensor | None = None, minlength: PyInt = 0) -> Tensor:
        """How often each value 0..max occurs in this 1-D non-negative integer tensor (or the
        sum of their ``weights``). No gradient."""
        if self.ndim != 1 or self.dtype.kind not in "iub":
            raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs, got "
                               f"shape {self.shape} dtype {self.dtype}")
        if (self._data < 0).any():
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs "
                               "(found a negative value)")
        w = None if weights is None else weights._data
        counts = np.bincount(self._data, weights=w, minlength=minlength)
        dtype = np.int64 if w is None else (w.dtype if w.dtype.kind == "f" else np.float64)
        return self._wrap(counts.astype(dtype), False)

    def histc(self, bins: PyInt = 100, min: Scalar = 0, max: Scalar = 0) -> Tensor:
        """A histogram of ``bins`` equal bins over [min, max] (the data's range if both are
        0); elements outside are ignored. No gradient."""
        if self.dtype.kind != "f":
            raise RuntimeError(f"histc(): expected a floating point tensor, got {self.dtype}")
        low, high = float(min), float(max)
        if low == high and self._data.size:
            low, high = float(self._data.min()), float(self._data.max())
        if low == high:
            low, high = low - 1, high + 1
        counts, _ = np.histogram(self._data, bins=bins, range=(low, high))
        return self._wrap(counts.astype(self.dtype), False)

    # ------------------------------------------------------------------ products

    def _product_operand(self, other: Any, op: str, ndim: int, name: str) -> Tensor:
        if self.ndim != ndim:
            raise RuntimeError(f"{op}: self must be a {ndim}-D tensor, got shape {self.shape}")
        if not isinstance(other, TensorFields) or other.ndim != ndim:
            shape = getattr(other, "shape", type(other).__name__)
            raise RuntimeError(f"{op}: {name} must be a {ndim}-D tensor, got {shape}")
        return cast("Tensor", other)

    def mm(self, mat2: Tensor) -> Tensor:
        """Matrix product of two 2-D tensors (the ``@`` node itself)."""
        other = self._product_operand(mat2, "mm", 2, "mat2")
        if self.shape[1] != other.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({self.shape[0]}x"
                               f"{self.shape[1]} and {other.shape[0]}x{other.shape[1]})")
        return L.MatMul.apply(self, other)

    def bmm(self, mat2: Tensor) -> Tensor:
        """Batched matrix product of two 3-D tensors with the same batch size (no
        broadcasting, as PyTorch)."""
        other = self._product_operand(mat2, "bmm", 3, "mat2")
        if self.shape[0] != other.shape[0] or self.shape[2] != other.shape[1]:
            raise RuntimeError(f"bmm: expected batch1 and batch2 of shapes (b, n, m) and "
                               f"(b, m, p), got {self.shape} and {other.shape}")
        return L.MatMul.apply(self, other)

    def mv(self, vec: Tensor) -> Tensor:
        if self.ndim != 2 or not isinstance(vec, TensorFields) or vec.ndim != 1:
            raise RuntimeError(f"mv: expected a matrix and a vector, got shapes {self.shape} "
                               f"and {getattr(vec, 'shape', None)}")
        if self.shape[1] != vec.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({self.shape[0]}), mat "
                               f"({self.shape[0]}x{self.shape[1]}), vec ({vec.shape[0]})")
        return L.MatMul.apply(self, vec)

    def dot(self, other: Tensor) -> Tensor:
        """The dot product of two 1-D tensors of one size and dtype."""
        if self.ndim != 1 or not isinstance(other, TensorFields) or other.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {self.ndim}D and "
                               f"{getattr(other, 'ndim', '?')}D tensors")
        if self.shape != other.shape:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{self.shape[0]}] "
                               f"and src [{other.shape[0]}] to have the same number of elements")
        if self.dtype != other.dtype:
            raise RuntimeError(f"dot: expected both vectors to have same dtype, but found "
                               f"{self.dtype} and {other.dtype}")
        return L.MatMul.apply(self, other)

    vdot = dot  # for real tensors the conjugate changes nothing

    def inner(self, other: Tensor) -> Tensor:
        """Sum over the last dims: shape self.shape[:-1] + other.shape[:-1]."""
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        if self.shape[-1] != other.shape[-1]:
            raise RuntimeError(f"inner() the last dimension must match on both input tensors "
                               f"but got shapes {self.shape} and {other.shape}")
        k = self.shape[-1]
        rows = self.reshape(math.prod(self.shape[:-1]), k)
        cols = other.reshape(math.prod(other.shape[:-1]), k)
        return L.MatMul.apply(rows, L.SwapLast.apply(cols)).reshape(
            self.shape[:-1] + other.shape[:-1])

    def outer(self, vec2: Tensor) -> Tensor:
        """The outer product of two 1-D tensors: out[i, j] = self[i] * vec2[j]."""
        if self.ndim != 1 or vec2.ndim != 1:
            raise RuntimeError(f"outer: expected two 1-D tensors, got shapes {self.shape} and "
                               f"{vec2.shape}")
        return self.reshape(-1, 1) * vec2.reshape(1, -1)

    ger = outer

    def _scaled_sum(self, product: Tensor, beta: Scalar, alpha: Scalar, op: str) -> Tensor:
        """beta * self + alpha * product; with beta = 0 self is ignored (its NaN too)."""
        try:
            np.broadcast_shapes(self.shape, product.shape)
        except ValueError:
            raise RuntimeError(f"{op}: self of shape {self.shape} does not broadcast to the "
                               f"product's shape {product.shape}") from None
        scaled = product if alpha == 1 else product * alpha
        if beta == 0:  # self's values left out, selected (not times 0): its gradient is 0
            nothing = self._wrap(np.zeros(self.shape, bool), False)
            zero = self._wrap(np.zeros((), self.dtype), False)
            return scaled + E.Where.apply(nothing, self, zero)
        return scaled + (self._me() if beta == 1 else self * beta)

    def addmm(self, mat1: Tensor, mat2: Tensor, *, beta: Scalar = 1,
              alpha: Scalar = 1) -> Tensor:
        """beta * self + alpha * (mat1 @ mat2)."""
        return self._scaled_sum(mat1.mm(mat2), beta, alpha, "addmm")

    def addmv(self, mat: Tensor, vec: Tensor, *, beta: Scalar = 1, alpha: Scalar = 1) -> Tensor:
        """beta * self + alpha * (mat @ vec)."""
        return self._scaled_sum(mat.mv(vec), beta, alpha, "addmv")

    def baddbmm(self, batch1: Tensor, batch2: Tensor, *, beta: Scalar = 1,
                alpha: Scalar = 1) -> Tensor:
        """beta * self + alpha * (batch1 @ batch2), batched."""
        return self._scaled_sum(batch1.bmm(batch2), beta, alpha, "baddbmm")

    def cross(self, other: Tensor, dim: PyInt | None = None) -> Tensor:
        """The cross product of 3-vectors along ``dim`` (the first dim of size 3 when None,
        PyTorch's deprecated default), broadcasting the two."""
        shape = np.broadcast_shapes(self.shape, other.shape)
        a, b = self.broadcast_to(shape), other.broadcast_to(shape)
        if dim is None:
            d = next((k for k, n in enumerate(shape) if n == 3), None)
            if d is None:
                raise RuntimeError(f"cross: no dimension of size 3 in input (shape {shape})")
        else:
            d = dim_index(dim, len(shape), "cross")
        if shape[d] != 3:
            raise RuntimeError(f"linalg.cross: inputs dimension {d} must have length 3. Got "
                               f"{shape[d]}")
        a0, a1, a2 = (a[(slice(None),) * d + (k,)] for k in range(3))
        b0, b1, b2 = (b[(slice(None),) * d + (k,)] for k in range(3))
        parts = (a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0)
        return S.Stack.apply(*parts, dim=d)

    def kron(self, other: Tensor) -> Tensor:
        """The Kronecker product: blocks self[i, j] * other."""
        ndim = max(self.ndim, other.ndim)
        sa = (1,) * (ndim - self.ndim) + self.shape
        sb = (1,) * (ndim - other.ndim) + other.shape
        a = self.reshape(tuple(n for s in sa for n in (s, 1)))
        b = other.reshape(tuple(n for s in sb for n in (1, s)))
        return (a * b).reshape(tuple(x * y for x, y in zip(sa, sb, strict=True)))
