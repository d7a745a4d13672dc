"""Type aliases shared by Tensor and its mixins. ``PyInt``/``PyFloat``/``PyBool`` name Python's
own types, because Tensor's methods ``int()``, ``float()`` and ``bool()`` shadow them there."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor

PyFloat: TypeAlias = float
PyInt: TypeAlias = int
PyBool: TypeAlias = bool
DTypeLike = Any
Dim: TypeAlias = int | tuple[int, ...] | list[int] | None
Scalar: TypeAlias = int | float | bool | np.number


class TensorFields:
    """The part of ``Tensor`` its mixins (shape, reduction, in-place methods) use: declared
    once here for type checkers; no behaviour."""

    __slots__ = ()
    _data: np.ndarray

    if TYPE_CHECKING:
        @property
        def ndim(self) -> int: ...
        @property
        def shape(self) -> tuple[int, ...]: ...
        @property
        def dtype(self) -> np.dtype: ...

        def _wrap(self, data: np.ndarray, requires_grad: bool) -> Tensor: ...
        def _pair(self, other: Any) -> tuple[Tensor, Tensor]: ...
        def to(self, *args: Any, **kwargs: Any) -> Tensor: ...
