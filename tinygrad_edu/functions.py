"""The ``torch.*`` function forms: ``tg.cat``, ``tg.stack``, ``tg.exp(x)``, ``tg.maximum``...

Each is a thin call of a Tensor method or op; ``cat``/``stack`` check their inputs here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._checks import dim_index
from ._typing import Dim, PyBool, PyInt, Scalar
from .dtypes import result_type
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


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """``input`` where ``condition`` holds, else ``other``; gradients flow to both branches."""
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


def maximum(a: Tensor, b: Any) -> Tensor:
    return _as_tensor(a).maximum(b)


def minimum(a: Tensor, b: Any) -> Tensor:
    return _as_tensor(a).minimum(b)


def clamp(x: Tensor, min: Scalar | None = None, max: Scalar | None = None) -> Tensor:
    return x.clamp(min, max)


clip = clamp


def matmul(a: Tensor, b: Any) -> Tensor:
    return _as_tensor(a) @ b


def exp(x: Tensor) -> Tensor:
    return x.exp()


def log(x: Tensor) -> Tensor:
    return x.log()


def sqrt(x: Tensor) -> Tensor:
    return x.sqrt()


def abs(x: Tensor) -> Tensor:
    return x.abs()


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


def relu(x: Tensor) -> Tensor:
    return x.relu()


def softmax(x: Tensor, dim: PyInt = -1) -> Tensor:
    return x.softmax(dim)


def log_softmax(x: Tensor, dim: PyInt = -1) -> Tensor:
    return x.log_softmax(dim)


def logsumexp(x: Tensor, dim: Dim, keepdim: PyBool = False) -> Tensor:
    return x.logsumexp(dim, keepdim)


def argmax(x: Tensor, dim: PyInt | None = None, keepdim: PyBool = False) -> Tensor:
    return x.argmax(dim, keepdim)


def flatten(x: Tensor, start_dim: PyInt = 0, end_dim: PyInt = -1) -> Tensor:
    return x.flatten(start_dim, end_dim)
