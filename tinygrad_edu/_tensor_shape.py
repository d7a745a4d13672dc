"""``Tensor``'s shape methods -- reshape/view, flatten, permute/transpose, squeeze/unsqueeze,
expand, indexing -- as a mixin class that ``Tensor`` inherits (kept apart so that tensor.py
reads in one sitting). Sizes and dims are checked as PyTorch checks them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ._checks import dim_index, dim_tuple, size_args
from ._typing import Dim, PyInt, TensorFields
from .ops import shape as S

if TYPE_CHECKING:
    from .tensor import Tensor



class ShapeOps(TensorFields):
    """The shape methods of ``Tensor``."""

    __slots__ = ()

    if TYPE_CHECKING:
        @property
        def T(self) -> Tensor: ...  # noqa: N802

    def _new_shape(self, shape: tuple[Any, ...], op: str) -> tuple[PyInt, ...]:
        """A reshape target: ints >= 0 and at most one -1, holding as many elements."""
        sizes = size_args(shape, op, allow_minus_one=True)
        known = math.prod(n for n in sizes if n != -1)
        if -1 in sizes:
            if known == 0 or self._data.size % known:
                raise RuntimeError(f"{op}(): shape {sizes} is invalid for input of size "
                                   f"{self._data.size}")
            sizes = tuple(self._data.size // known if n == -1 else n for n in sizes)
        elif known != self._data.size:
            raise RuntimeError(f"{op}(): input of size {self._data.size} (shape {self.shape}) "
                               f"cannot take the shape {sizes}")
        return sizes

    def reshape(self, *shape: Any, **keyword: Any) -> Tensor:
        """``reshape(2, 3)``, ``reshape((2, 3))`` or ``reshape(shape=(2, 3))``; -1 is inferred."""
        return S.Reshape.apply(self, shape=self._new_shape(
            _keyword_shape(shape, keyword, "reshape", "shape"), "reshape"))

    def view(self, *shape: Any, **keyword: Any) -> Tensor:
        """``view(2, 3)``, ``view((2, 3))`` or ``view(size=(2, 3))``: as reshape, sharing memory
        (a transposed tensor needs ``contiguous()`` first, as in PyTorch)."""
        return S.View.apply(self, shape=self._new_shape(
            _keyword_shape(shape, keyword, "view", "size"), "view"))

    def view_as(self, other: Tensor) -> Tensor:
        return S.View.apply(self, shape=self._new_shape(other.shape, "view_as"))

    def reshape_as(self, other: Tensor) -> Tensor:
        return S.Reshape.apply(self, shape=self._new_shape(other.shape, "reshape_as"))

    def flatten(self, start_dim: PyInt = 0, end_dim: PyInt = -1) -> Tensor:
        start = dim_index(start_dim, self.ndim, "flatten")
        end = dim_index(end_dim, self.ndim, "flatten")
        if self.ndim == 0:
            return S.Flatten.apply(self, shape=(1,))
        if start > end:
            raise RuntimeError(f"flatten(): start_dim ({start_dim}) cannot come after end_dim "
                               f"({end_dim})")
        # the merged size spelled out: -1 is ambiguous when another dim is 0
        merged = math.prod(self.shape[start : end + 1])
        shape = self.shape[:start] + (merged,) + self.shape[end + 1 :]
        return S.Flatten.apply(self, shape=shape)

    def permute(self, *dims: Any) -> Tensor:
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        if len(dims) != self.ndim:
            raise RuntimeError(f"permute(): number of dims don't match: {len(dims)} dims "
                               f"{tuple(dims)} for a tensor of shape {self.shape}")
        axes = tuple(dim_index(d, self.ndim, "permute") for d in dims)
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"permute(): repeated dim in the permutation {tuple(dims)}")
        return S.Permute.apply(self, dims=axes)

    def transpose(self, dim0: PyInt, dim1: PyInt) -> Tensor:
        d0 = dim_index(dim0, self.ndim, "transpose")
        d1 = dim_index(dim1, self.ndim, "transpose")
        if self.ndim == 0:  # a 0-d tensor is its own transpose (dims 0 and -1 are allowed)
            return S.View.apply(self, shape=())
        dims = list(range(self.ndim))
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return S.Transpose.apply(self, dims=tuple(dims))

    swapaxes = swapdims = transpose

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dims, got shape {self.shape}")
        return self.T

    def squeeze(self, dim: Dim = None) -> Tensor:
        axes = dim_tuple(dim, self.ndim, "squeeze", empty_is_all=False)
        shape = tuple(n for i, n in enumerate(self.shape) if not (i in axes and n == 1))
        return S.Squeeze.apply(self, shape=shape)

    def unsqueeze(self, dim: PyInt) -> Tensor:
        axis = dim_index(dim, self.ndim + 1, "unsqueeze")
        return S.Unsqueeze.apply(self, shape=self.shape[:axis] + (1,) + self.shape[axis:])

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to ``sizes`` without copying; -1 keeps an existing dim (not allowed for a
        new leading dim, as in PyTorch)."""
        sizes = size_args(sizes, "expand", allow_minus_one=True, one_minus_one=False)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand(): the number of sizes provided ({len(sizes)}) must be "
                               f"greater or equal to the number of dimensions in the tensor "
                               f"({self.ndim}, shape {self.shape})")
        if -1 in sizes[:lead]:
            raise RuntimeError(f"expand(): -1 is not allowed for a new leading dim: sizes "
                               f"{sizes} for a tensor of shape {self.shape}")
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
        return self.broadcast_to(shape)

    def broadcast_to(self, shape: Sequence[PyInt]) -> Tensor:
        shape = size_args((tuple(shape),), "broadcast_to")
        try:
            np.broadcast_shapes(self.shape, shape)
            fits = len(shape) >= self.ndim and all(
                n == m or n == 1 for n, m in zip(self.shape[::-1], shape[::-1], strict=False))
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(f"expand(): the shape {self.shape} cannot be expanded to "
                               f"{shape}: each dim must match or be 1")
        return S.Expand.apply(self, shape=shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.broadcast_to(other.shape)

    def __getitem__(self, index: Any) -> Tensor:
        template, index_tensors = _index_template(index, self._wrap)
        return S.GetItem.apply(self, *index_tensors, index=template)


def _keyword_shape(shape: tuple[Any, ...], keyword: dict[str, Any], op: str,
                   name: str) -> tuple[Any, ...]:
    """The shape of ``reshape``/``view`` given positionally or as PyTorch's keyword."""
    if not keyword:
        return shape
    if shape or set(keyword) != {name}:
        raise TypeError(f"{op}() takes the shape as ints, a tuple, or the keyword {name}=, "
                        f"got {shape!r} and keywords {sorted(keyword)}")
    return (keyword[name],)


def _index_template(index: Any, wrap: Any) -> tuple[Any, list[Tensor]]:
    """Split an index into a template and the tensors it holds (inputs of the GetItem node).

    Arrays and lists of ints or bools become tensors too: their own copies, since a later
    change of the caller's array must not change where the gradient goes.
    """
    parts = index if isinstance(index, tuple) else (index,)
    template: list[Any] = []
    tensors: list[Tensor] = []
    for part in parts:
        if isinstance(part, ShapeOps):
            tensor = part
        elif isinstance(part, (np.ndarray, list)):
            array = np.array(part)
            if array.size == 0 and array.dtype.kind == "f":  # x[[]]: an empty long index
                array = array.astype(np.int64)
            if array.dtype.kind not in "iub":
                raise IndexError(f"tensors used as indices must be long, int or bool, got "
                                 f"{array.dtype}")
            tensor = wrap(array, False)
        else:
            template.append(part)
            continue
        if tensor._data.dtype.kind not in "iub":
            raise IndexError(f"tensors used as indices must be long, int or bool, got "
                             f"{tensor.dtype}")
        template.append(S.IndexSlot(len(tensors)))
        tensors.append(cast("Tensor", tensor))
    if isinstance(index, tuple):
        return tuple(template), tensors
    return template[0], tensors
