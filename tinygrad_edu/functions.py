"""The ``torch.*`` functions that are not just a Tensor method with the tensor first:
``tg.cat``, ``tg.stack``, ``tg.where``, ``tg.is_tensor``, ``tg.finfo``...

The method forms (``tg.sum``, ``tg.exp``, ``tg.mm``...) are made from the methods in
``torch_functions.py``; ``cat``/``stack`` check their inputs here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._checks import dim_index
from ._typing import DTypeLike, PyBool, PyInt
from .dtypes import _dtype, get_default_dtype, result_type
from .ops import shape as S
from .tensor import Tensor, _as_tensor

__all__ = ["where"]


def _joined(tensors: Any, op: str) -> list[Tensor]:
    """The tensors of a cat/stack, promoted to their common dtype (PyTorch's result_type)."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): argument 'tensors' must be a tuple or list of Tensors, got "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op}(): expected a non-empty list of Tensors")
    joined = [_as_tensor(t) for t in tensors]
    dtype = result_type(*[t if t.ndim else t.reshape(1) for t in joined])  # all count as dims
    return [t if t._data.dtype == dtype else t.to(dtype) for t in joined]


def where(condition: Any, input: Any = None, other: Any = None) -> Any:
    """``input`` where ``condition`` holds, else ``other``; gradients flow to both branches.
    ``where(condition)`` alone is ``condition.nonzero(as_tuple=True)``, as PyTorch."""
    if input is None and other is None:
        return _as_tensor(condition).nonzero(as_tuple=True)
    if input is None or other is None:
        raise TypeError("where(): give both input and other, or neither")
    return Tensor._select(condition, input, other)


def cat(tensors: Sequence[Tensor], dim: PyInt = 0) -> Tensor:
    """Join tensors along an existing dim. As in PyTorch, 1-D empty tensors (shape (0,)) are
    skipped whatever the others' shapes (a legacy rule that lets ``cat([torch.empty(0), x])``
    start an accumulation)."""
    joined = _joined(tensors, "cat")
    if any(t.ndim == 0 for t in joined):
        raise RuntimeError("cat(): zero-dimensional tensor cannot be concatenated (use stack, "
                           "or reshape(1) first)")
    kept = [t for t in joined if t.shape != (0,)]
    if not kept:
        kept = joined[:1]
    axis = dim_index(dim, kept[0].ndim, "cat")
    for t in kept[1:]:
        if t.ndim != kept[0].ndim or any(
                n != m for i, (n, m) in enumerate(zip(t.shape, kept[0].shape, strict=True))
                if i != axis):
            raise RuntimeError(f"cat(): sizes of tensors must match except in dimension {axis}: "
                               f"got shapes {kept[0].shape} and {t.shape}")
    return S.Cat.apply(*joined, dim=axis)


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: PyInt = 0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    joined = _joined(tensors, "stack")
    for t in joined[1:]:
        if t.shape != joined[0].shape:
            raise RuntimeError(f"stack(): expects each tensor to be equal size, but got "
                               f"{joined[0].shape} and {t.shape}")
    axis = dim_index(dim, joined[0].ndim + 1, "stack")
    return S.Stack.apply(*joined, dim=axis)


def is_tensor(obj: Any) -> PyBool:
    """True for a ``Tensor`` (or ``Parameter``), as ``torch.is_tensor``."""
    return isinstance(obj, Tensor)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 1 (dim 0 for 1-D tensors), as ``torch.hstack``."""
    joined = _joined(tensors, "hstack")
    return cat(joined, 0 if joined[0].ndim <= 1 else 1) if joined[0].ndim else cat(
        [t.reshape(1) for t in joined])


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 0 after making each tensor at least 2-D (a row), as ``torch.vstack``."""
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in _joined(tensors, "vstack")])


row_stack = vstack


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Join as columns: 0-D and 1-D tensors become (n, 1) columns, then ``hstack``."""
    return cat([t.reshape(-1, 1) if t.ndim < 2 else t for t in _joined(tensors, "column_stack")],
               1)


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 2 after making each tensor at least 3-D, as ``torch.dstack``."""
    def three_d(t: Tensor) -> Tensor:
        return t.reshape(1, -1, 1) if t.ndim < 2 else (t.unsqueeze(-1) if t.ndim == 2 else t)
    return cat([three_d(t) for t in _joined(tensors, "dstack")], 2)


def finfo(type: DTypeLike = None) -> np.finfo:
    """Facts about a float dtype (``eps``, ``max``, ``tiny``...): NumPy's ``finfo``, for the
    default dtype when none is given (as ``torch.finfo()``)."""
    dtype = get_default_dtype() if type is None else _dtype(type)
    if dtype.kind != "f":
        raise TypeError(f"finfo(): {dtype} is not a floating point dtype (use iinfo)")
    return np.finfo(dtype)


def iinfo(type: DTypeLike) -> np.iinfo:
    """Facts about an integer dtype (``min``, ``max``, ``bits``): NumPy's ``iinfo``."""
    dtype = _dtype(type)
    if dtype.kind not in "iu":
        raise TypeError(f"iinfo(): {dtype} is not an integer dtype (use finfo)")
    return np.iinfo(dtype)


class Size(tuple[int, ...]):
    """``torch.Size``: a tuple of ints. ``x.shape`` here is a plain tuple, and the two compare
    equal, so ``x.shape == tg.Size([2, 3])`` holds."""

    def __new__(cls, sizes: Sequence[PyInt] = ()) -> Size:
        values = tuple(sizes)
        for n in values:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
                raise TypeError(f"Size: expected a sequence of ints, got {type(n).__name__}")
        return super().__new__(cls, (int(n) for n in values))

    def numel(self) -> PyInt:
        return int(np.prod(self, dtype=np.int64))

    def __repr__(self) -> str:
        return f"tinygrad_edu.Size({list(self)})"
