"""Shape ops: they move elements without changing them, so each backward moves the gradient
back to where the elements came from."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Array, Function


class Reshape(Function):
    """z = x with a new shape (same elements, same order).   dL/dx = g reshaped back."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, shape: tuple[int, ...]) -> Array:
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        return grad.reshape(tuple(ctx.shape))


class View(Reshape):
    """``view``: a reshape. It shares the input's memory wherever the strides allow, and copies
    where they do not (PyTorch raises there and asks for ``reshape``): results never depend on
    the memory layout, which the fuzzer's layout property checks."""


class Flatten(Reshape):
    """``flatten``: a reshape that merges a range of dims."""


class Squeeze(Reshape):
    """``squeeze``: a reshape that drops size-1 dims."""


class Unsqueeze(Reshape):
    """``unsqueeze``: a reshape that inserts a size-1 dim."""


class Permute(Function):
    """z = x with its axes reordered by ``dims``.   dL/dx = g with the inverse order."""

    @staticmethod
    def forward(ctx: Any, x: Array, dims: tuple[int, ...]) -> Array:
        ctx.inverse = tuple(np.argsort(dims))
        return x.transpose(dims)

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        return grad.transpose(ctx.inverse)


class Transpose(Permute):
    """``transpose(d0, d1)`` / ``.T``: a permutation swapping two dims."""


class Expand(Function):
    """z = x broadcast to a larger shape (a read-only view, as PyTorch's ``expand``).

    dL/dx = g summed over the copies -- exactly what the engine does for every broadcast, so
    this backward hands g over unchanged.
    """

    @staticmethod
    def forward(ctx: Any, x: Array, shape: tuple[int, ...]) -> Array:
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        return grad


class Cat(Function):
    """z = the inputs joined along ``dim``.   dL/dx_k = the slice of g where x_k landed.

    Inputs of shape (0,) are skipped when others are not (PyTorch's legacy rule); their
    gradient is empty.
    """

    @staticmethod
    def forward(ctx: Any, *arrays: Array, dim: int) -> Array:
        legacy_empty = [a.shape == (0,) for a in arrays]
        if all(legacy_empty):
            legacy_empty = [False] * len(arrays)
        kept = [a for a, skip in zip(arrays, legacy_empty, strict=True) if not skip]
        ctx.dim, ctx.legacy_empty = dim, legacy_empty
        ctx.splits = np.cumsum([a.shape[dim] for a in kept])[:-1]
        return np.concatenate(kept, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Array) -> tuple[Array, ...]:
        pieces = iter(np.split(grad, ctx.splits, axis=ctx.dim))
        return tuple(np.zeros((0,), grad.dtype) if skip else next(pieces)
                     for skip in ctx.legacy_empty)


class Stack(Function):
    """z = the inputs stacked along a new ``dim``.   dL/dx_k = g[..., k, ...] along that dim."""

    @staticmethod
    def forward(ctx: Any, *arrays: Array, dim: int) -> Array:
        ctx.dim = dim
        return np.stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Array) -> tuple[Array, ...]:
        return tuple(np.moveaxis(grad, ctx.dim, 0))


class Pad(Function):
    """z = x with constant borders (``widths`` as NumPy's pad).   dL/dx = g without the borders."""

    @staticmethod
    def forward(ctx: Any, x: Array, widths: tuple[tuple[int, int], ...], value: float) -> Array:
        starts = [before for before, _ in widths]
        ctx.inside = tuple(slice(b, b + n) for b, n in zip(starts, x.shape, strict=True))
        return np.pad(x, widths, constant_values=value)

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Array:
        return grad[ctx.inside]


def is_basic_index(index: Any) -> bool:
    """True for ints, slices, None and Ellipsis (NumPy basic indexing: a view, no repeats)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts
    )


class IndexSlot(int):
    """Stands in an index template for the k-th index tensor, which is an input of the node."""


def fill_index(template: Any, arrays: tuple[Array, ...]) -> Any:
    """The template with each ``IndexSlot`` replaced by its array."""
    if isinstance(template, IndexSlot):
        return arrays[template]
    if isinstance(template, tuple):
        return tuple(arrays[p] if isinstance(p, IndexSlot) else p for p in template)
    return template


def _is_int(p: Any) -> bool:
    return isinstance(p, (int, np.integer)) and not isinstance(p, (bool, np.bool_)) or (
        isinstance(p, np.ndarray) and p.ndim == 0 and p.dtype.kind in "iu")


def index_steps(index: Any) -> tuple[Any, ...]:
    """The index as PyTorch applies it: integers first (a view), then the advanced part.

    NumPy counts an integer beside an index array as one more advanced index, which moves the
    result's dims: for x of shape (2, 3, 4), ``x[0, :, [1, 2]]`` is (2, 3) in NumPy and (3, 2)
    in PyTorch. Split into ``x[ints and slices][arrays]`` it is (3, 2) in both.
    """
    parts = index if isinstance(index, tuple) else (index,)
    arrays = [p for p in parts if isinstance(p, np.ndarray) and not _is_int(p)]
    if not arrays or not any(_is_int(p) for p in parts):
        return (index,)
    if any(isinstance(p, (bool, np.bool_)) for p in parts):
        return (index,)  # x[True]: NumPy's rule (a new dim, an advanced index) is PyTorch's
    first: list[Any] = []
    second: list[Any] = []
    for p in parts:
        if _is_int(p):
            first.append(int(p))  # applied now (a Python int: a view, not a 0-d array copy)
        elif p is Ellipsis:
            first.append(p)
            second.append(p)
        elif isinstance(p, np.ndarray):  # an index array: spans 1 dim (a mask: its ndim)
            first.extend([slice(None)] * (p.ndim if p.dtype == bool else 1))
            second.append(p)
        else:  # a slice or None: applied now, its dim kept as is
            first.append(p)
            second.append(slice(None))
    return tuple(first), tuple(second)


class GetItem(Function):
    """z = x[index].   dL/dx = zeros with g added at the indexed places.

    With advanced (integer-array) indexing an element may be picked several times; its
    gradient is then the sum of those picks (``np.add.at``, not plain assignment). Index
    tensors are inputs of the node (after x, needing no gradient), so changing one in place
    before backward is caught by the engine's in-place check instead of silently moving the
    gradient; NumPy arrays in the index were copied by ``Tensor.__getitem__`` for the same
    reason.
    """

    @staticmethod
    def forward(ctx: Any, x: Array, *index_arrays: Array, index: Any) -> Array:
        steps = index_steps(fill_index(index, index_arrays))
        ctx.shape = x.shape
        ctx.saved = (steps, *index_arrays)
        for step in steps:
            x = x[step]
        return x

    @staticmethod
    def backward(ctx: Any, grad: Array) -> tuple[Array | None, ...]:
        steps, *index_arrays = ctx.saved
        full = np.zeros(ctx.shape, dtype=grad.dtype)
        target = full if len(steps) == 1 else full[steps[0]]  # basic (ints, slices): a view
        assert target is full or target.base is full, "the first index step must be a view"
        index = steps[-1]
        if is_basic_index(index):
            target[index] = grad
        else:
            np.add.at(target, index, grad)
        return (full, *(None for _ in index_arrays))
