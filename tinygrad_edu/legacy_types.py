"""``torch.FloatTensor`` and the other legacy tensor types that older tutorials use:
``FloatTensor([1, 2])`` makes a tensor of that dtype from data, ``FloatTensor(2, 3)`` one of
that shape (zeros: PyTorch's is uninitialized), ``isinstance(x, FloatTensor)`` checks the dtype,
and ``x.type(LongTensor)`` casts."""

from __future__ import annotations

from typing import Any

import numpy as np

from .creation import tensor, zeros
from .dtypes import bool_, float16, float32, float64, int8, int16, int32, int64, uint8
from .tensor import Tensor

__all__ = ["BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor",
           "HalfTensor", "IntTensor", "LongTensor", "ShortTensor"]


class _LegacyType(type):
    """The metaclass: calling the type makes a Tensor, ``isinstance`` compares dtypes."""

    legacy_dtype: np.dtype  # read by dtypes._dtype, so x.type(LongTensor) casts

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.legacy_dtype

    def __call__(cls, *args: Any) -> Tensor:
        if not args:
            return zeros(0, dtype=cls.legacy_dtype)
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            return tensor(args[0], dtype=cls.legacy_dtype)  # data (a list, an array)
        return zeros(*args, dtype=cls.legacy_dtype)  # sizes

    def __repr__(cls) -> str:
        return f"<class 'tinygrad_edu.{cls.__name__}'>"


def _legacy(name: str, dtype: np.dtype) -> Any:
    return _LegacyType(name, (), {"legacy_dtype": dtype, "__doc__": f"Tensors of {dtype}."})


FloatTensor = _legacy("FloatTensor", float32)
DoubleTensor = _legacy("DoubleTensor", float64)
HalfTensor = _legacy("HalfTensor", float16)
LongTensor = _legacy("LongTensor", int64)
IntTensor = _legacy("IntTensor", int32)
ShortTensor = _legacy("ShortTensor", int16)
CharTensor = _legacy("CharTensor", int8)
ByteTensor = _legacy("ByteTensor", uint8)
BoolTensor = _legacy("BoolTensor", bool_)
