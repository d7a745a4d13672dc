"""Shape ops: they move elements without changing them, so each backward moves the gradient
back to where the elements came from."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._sums import layout_sum
from ..autograd import Array, Function
from . import either

# what the default path passes: arrays, or NumPy scalars (a sum of two 0-d gradients); a
# module global, since ``np.ndarray`` is an attribute lookup per call
_ARRAYS = (np.ndarray, np.generic)


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

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, dims: tuple[int, ...]) -> Array:
        ctx.inverse = tuple(np.argsort(dims))
        return x.transpose(dims)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        if isinstance(grad, _ARRAYS):
            return grad.transpose(ctx.inverse)
        return Permute.apply(grad, dims=ctx.inverse)  # (Tensor.transpose swaps two dims)


class Transpose(Permute):
    """``transpose(d0, d1)`` / ``.T``: a permutation swapping two dims."""


class Expand(Function):
    """z = x broadcast to a larger shape (a read-only view, as PyTorch's ``expand``).

    dL/dx = g summed over the copies -- exactly what the engine does for every broadcast, so
    this backward hands g over unchanged (recorded, that sum is a ``Sum``, whose backward is
    this expand again).
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, shape: tuple[int, ...]) -> Array:
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad


def _along(dim: int, part: int | slice) -> tuple[Any, ...]:
    """The index that takes ``part`` of ``dim`` (basic indexing: a view of an array, a
    recorded ``GetItem`` of a Tensor)."""
    return (slice(None),) * dim + (part,)


def _empty_like(grad: Any) -> Any:
    """The gradient of a skipped (0,)-shaped input: empty, a constant."""
    empty = np.zeros((0,), grad.dtype)
    return empty if either.is_array(grad) else grad._wrap(empty, False)


class Cat(Function):
    """z = the inputs joined along ``dim``.   dL/dx_k = the slice of g where x_k landed.

    Inputs of shape (0,) are skipped when others are not (PyTorch's legacy rule); their
    gradient is empty.
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, *arrays: Array, dim: int) -> Array:
        legacy_empty = [a.shape == (0,) for a in arrays]
        if all(legacy_empty):
            legacy_empty = [False] * len(arrays)
        kept = [a for a, skip in zip(arrays, legacy_empty, strict=True) if not skip]
        ctx.dim, ctx.legacy_empty = dim, legacy_empty
        ctx.ends = np.cumsum([a.shape[dim] for a in kept]).tolist()
        return np.concatenate(kept, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, ...]:
        ends = iter(ctx.ends)
        pieces, start = [], 0
        for skip in ctx.legacy_empty:
            if skip:
                pieces.append(_empty_like(grad))
                continue
            end = next(ends)
            pieces.append(grad[_along(ctx.dim, slice(start, end))])
            start = end
        return tuple(pieces)


class Stack(Function):
    """z = the inputs stacked along a new ``dim``.   dL/dx_k = g[..., k, ...] along that dim."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, *arrays: Array, dim: int) -> Array:
        ctx.dim = dim
        return np.stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, ...]:
        return tuple(grad[_along(ctx.dim, k)] for k in range(len(ctx.next_nodes)))


class Pad(Function):
    """z = x with constant borders (``widths`` as NumPy's pad).   dL/dx = g without the borders."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, widths: tuple[tuple[int, int], ...], value: float) -> Array:
        starts = [before for before, _ in widths]
        ctx.inside = tuple(slice(b, b + n) for b, n in zip(starts, x.shape, strict=True))
        return np.pad(x, widths, constant_values=value)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
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


def _index_arrays(steps: tuple[Any, ...]) -> list[Array]:
    """The index arrays in ``steps``: saved with them, so the engine's in-place check sees a
    change made to one before the backward that uses it."""
    parts = [p for step in steps for p in (step if isinstance(step, tuple) else (step,))]
    return [p for p in parts if isinstance(p, np.ndarray)]


def _take(x: Array, steps: tuple[Any, ...]) -> Array:
    for step in steps:
        x = x[step]
    return x


def _index_add(x: Any, steps: tuple[Any, ...], shape: tuple[int, ...]) -> Array:
    """zeros(shape) with x added at ``steps`` (repeated picks add up: ``np.add.at``)."""
    full = np.zeros(shape, dtype=x.dtype)
    target = full if len(steps) == 1 else full[steps[0]]  # basic (ints, slices): a view
    assert target is full or target.base is full, "the first index step must be a view"
    index = steps[-1]
    if is_basic_index(index):
        target[index] = x
    else:
        np.add.at(target, index, x)
    return full


def index_add(x: Any, steps: tuple[Any, ...], shape: tuple[int, ...]) -> Any:
    """``_index_add`` on arrays, a recorded ``IndexAdd`` on Tensors."""
    if isinstance(x, _ARRAYS):
        return _index_add(x, steps, shape)
    return IndexAdd.apply(x, steps=steps, shape=shape)


class GetItem(Function):
    """z = x[index].   dL/dx = zeros with g added at the indexed places (``IndexAdd``).

    With advanced (integer-array) indexing an element may be picked several times; its
    gradient is then the sum of those picks (``np.add.at``, not plain assignment). Index
    tensors are inputs of the node (after x, needing no gradient), so changing one in place
    before backward is caught by the engine's in-place check instead of silently moving the
    gradient; NumPy arrays in the index were copied by ``Tensor.__getitem__`` for the same
    reason.
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, *index_arrays: Array, index: Any) -> Array:
        steps = index_steps(fill_index(index, index_arrays))
        ctx.shape = x.shape
        ctx.saved = (steps, *index_arrays)
        return _take(x, steps)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, ...]:
        steps, *index_arrays = ctx.saved
        full = (_index_add(grad, steps, ctx.shape) if isinstance(grad, _ARRAYS)  # (0.1 us less)
                else IndexAdd.apply(grad, steps=steps, shape=ctx.shape))
        return (full, *(None for _ in index_arrays))


class IndexAdd(Function):
    """z = zeros(shape) with x added at the index steps of a ``GetItem`` (its backward).
    dL/dx = g[index] (``Index``): picking and placing are each the other's backward, so the
    gradient of indexing is recorded to any order."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, steps: tuple[Any, ...], shape: tuple[int, ...]) -> Array:
        ctx.saved = (steps, *_index_arrays(steps))
        return _index_add(x, steps, shape)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        steps = ctx.saved[0]
        return _take(grad, steps) if either.is_array(grad) else Index.apply(grad, steps=steps)


class Index(Function):
    """z = x[index], given as ``GetItem``'s steps (IndexAdd's backward).
    dL/dx = zeros with g added at the index (``IndexAdd``)."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, steps: tuple[Any, ...]) -> Array:
        ctx.shape = x.shape
        ctx.saved = (steps, *_index_arrays(steps))
        return _take(x, steps)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return index_add(grad, ctx.saved[0], ctx.shape)


# ---------------------------------------------------------------------- reflect/replicate/circular

# One padded axis: (axis, index, runs). ``index[j]`` is the input position that output position
# j copies; ``runs`` cut it into pieces (j0, j1, i0, step) where index[j0:j1] = i0 + step * k,
# step 1, -1 (a mirror) or 0 (an edge copied): the backward adds each piece back as one slice.
PadAxis = tuple[int, Array, tuple[tuple[int, int, int, int], ...]]


def _gather(x: Array, axes: tuple[PadAxis, ...]) -> Array:
    for axis, index, _ in axes:
        x = np.take(x, index, axis=axis)
    return x


def _fold(g: Array, axes: tuple[PadAxis, ...], shape: tuple[int, ...]) -> Array:
    """The transpose of ``_gather``: each output element's gradient added back onto the input
    element it copied (mirrored, edge or wrapped copies add up), one axis at a time."""
    for axis, _, runs in reversed(axes):
        folded_shape = list(g.shape)
        folded_shape[axis] = shape[axis]
        out = np.zeros(folded_shape, g.dtype)
        for j0, j1, i0, step in runs:
            piece = g[_along(axis, slice(j0, j1))]
            n = j1 - j0
            if step == 0:  # an edge copied n times: its gradient is their sum
                out[_along(axis, slice(i0, i0 + 1))] += layout_sum(piece, axis, keepdims=True)
            elif step == 1:
                out[_along(axis, slice(i0, i0 + n))] += piece
            else:  # a mirror image: reversed back onto i0 - n + 1 .. i0
                out[_along(axis, slice(i0 - n + 1, i0 + 1))] += piece[
                    _along(axis, slice(None, None, -1))]
        g = out
    return g


class PadIndexed(Function):
    """z = x padded by copies of its own elements (``F.pad``'s reflect, replicate and circular
    modes): along each padded axis, z[..., j, ...] = x[..., index[j], ...].

    dL/dx[i] = sum of g[j] over the j with index[j] = i: the border's gradient folds back onto
    the elements it mirrors, repeats or wraps (``PadFold``, whose backward is this op again,
    so the derivative is recorded to any order).
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, axes: tuple[PadAxis, ...]) -> Array:
        ctx.axes, ctx.shape = axes, x.shape
        return _gather(x, axes)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        if either.is_array(grad):
            return _fold(grad, ctx.axes, ctx.shape)
        return PadFold.apply(grad, axes=ctx.axes, shape=ctx.shape)


class PadFold(Function):
    """z = x folded back onto the unpadded shape (``PadIndexed``'s backward): z[i] = sum of
    x[j] over the j with index[j] = i.   dL/dx[j] = g[index[j]] (``PadIndexed``)."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, axes: tuple[PadAxis, ...], shape: tuple[int, ...]) -> Array:
        ctx.axes = axes
        return _fold(x, axes, shape)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        if either.is_array(grad):
            return _gather(grad, ctx.axes)
        return PadIndexed.apply(grad, axes=ctx.axes)


def pad_axis(axis: int, n: int, before: int, after: int, mode: str) -> PadAxis:
    """The copy index of one axis of size ``n`` padded by (before, after) -- negative widths
    crop -- with PyTorch's formulas (the caller has checked the widths): t = j - before is
    the position relative to x[0];

    * reflect: -t left of 0, t inside, 2(n - 1) - t right of n - 1 (mirrored, edge not repeated)
    * replicate: t clipped to [0, n - 1]
    * circular: the kept part x[c0:c1] repeated (c0, c1 after the crops)
    """
    t = np.arange(-before, n + after)
    if mode == "reflect":
        index = np.where(t < 0, -t, np.where(t > n - 1, 2 * (n - 1) - t, t))
        cuts = [before, before + n]  # where t crosses 0 and n - 1
    elif mode == "replicate":
        index = np.clip(t, 0, n - 1)
        cuts = [before, before + n]
    else:
        c0, c1 = max(-before, 0), n - max(-after, 0)
        index = c0 + (t - c0) % max(c1 - c0, 1)
        cuts = [max(before, 0), max(before, 0) + c1 - c0]
    m = len(index)
    bounds = sorted({0, m, *(min(max(c, 0), m) for c in cuts)})
    runs = []
    for j0, j1 in zip(bounds[:-1], bounds[1:], strict=True):
        step = int(index[j0 + 1] - index[j0]) if j1 - j0 > 1 else 1
        runs.append((j0, j1, int(index[j0]), step))
    return axis, index, tuple(runs)
