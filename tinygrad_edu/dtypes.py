"""dtype names, PyTorch's type promotion (``result_type``), and data -> array conversion.

NumPy and PyTorch promote differently when a 0-d array meets a bigger one: NumPy 2 lets a 0-d
float64 array turn a float32 array into float64, PyTorch does not. PyTorch sorts the operands
of a binary op into three priority groups -- tensors with dims, 0-d tensors, Python numbers --
and a lower group can change the result only by bringing a higher *category*
(bool < integer < floating point). ``tensor(float32 (3,)) + tensor(float64 ())`` is float32,
``tensor(int64 (3,)) + tensor(float64 ())`` is float64, ``tensor(uint8 (3,)) + 300`` is uint8,
``tensor(int64 (3,)) + 2.5`` is the default float (float32).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._typing import DTypeLike

float16, float32, float64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
int8, int16, int32, int64 = (np.dtype(f"i{n}") for n in (1, 2, 4, 8))
uint8, bool_ = np.dtype(np.uint8), np.dtype(bool)
default_float = float32  # Python numbers and lists become float32 (DESIGN rule 7)

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def category(dtype: np.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floating point."""
    return _CATEGORY[dtype.kind]


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's ``promote_types``: NumPy's, except that an integer or bool meeting a floating
    point dtype gives that floating point dtype (int64 + float32 is float32; NumPy says
    float64 so as not to lose integer digits)."""
    if (a.kind == "f") != (b.kind == "f"):
        return a if a.kind == "f" else b
    return np.promote_types(a, b)


def _python_number_dtype(value: Any) -> np.dtype:
    """The dtype a Python number stands for when it meets tensors: bool, int64 or float32."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return int64
    if isinstance(value, (float, np.floating)):
        return default_float
    raise TypeError(f"result_type: expected a Tensor or a Python number, got "
                    f"{type(value).__name__}")


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """PyTorch's combine_categories: a higher-priority group's dtype wins unless the lower group
    brings a higher category (a float into integers, or anything into bools)."""
    if higher is None:
        return lower
    if lower is None or higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return promote_types(higher, lower)
    return higher


def result_type(*operands: Any) -> np.dtype:
    """The dtype of a binary (or n-ary) op's result, by PyTorch's rules (``torch.result_type``).

    Tensors with dims outrank 0-d tensors, which outrank Python numbers; within a group dtypes
    promote as usual.
    """
    groups: list[np.dtype | None] = [None, None, None]  # dims, 0-d, Python numbers
    for x in operands:
        array = getattr(x, "_data", None)
        if isinstance(array, np.ndarray):
            group, dtype = (0 if array.ndim else 1), array.dtype
        elif isinstance(x, np.ndarray):
            group, dtype = (0 if x.ndim else 1), x.dtype
        else:
            group, dtype = 2, _python_number_dtype(x)
        current = groups[group]
        groups[group] = dtype if current is None else promote_types(current, dtype)
    result = _combine(groups[0], _combine(groups[1], groups[2]))
    if result is None:
        raise TypeError("result_type needs at least one operand")
    return result


def scalar_dtype(tensor_dtype: np.dtype, value: Any) -> np.dtype:
    """The dtype of ``tensor (op) value`` for a Python number ``value``: the tensor's own dtype
    unless the number is of a higher category (then its default dtype, or int64 for bools)."""
    number = _python_number_dtype(value)
    return tensor_dtype if category(number) <= category(tensor_dtype) else number


# ---------------------------------------------------------------------- data -> arrays

Array = np.ndarray


def _dtype(dtype: DTypeLike) -> np.dtype:
    if isinstance(dtype, str) and dtype.startswith("torch."):
        dtype = dtype[len("torch.") :]
    try:
        result = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}; use e.g. float32, float64, int64") from None
    if result.kind not in "fiub" or result.kind == "f" and result.itemsize > 8:
        raise TypeError(f"dtype {dtype!r} ({result}) is not supported: use a float (float16, "
                        f"float32, float64), int (int8 ... int64, uint8 ... uint32) or bool")
    return result


def _to_array(data: Any, dtype: DTypeLike, python_default: np.dtype | None) -> Array:
    """Data -> NumPy array. NumPy arrays keep their dtype (and memory); Python data becomes
    ``python_default`` (float32 for ``Tensor``) unless ``dtype`` says otherwise."""
    if type(data).__name__ == "Tensor" or hasattr(data, "_requires_grad"):  # a Tensor
        data = data._data
    if isinstance(data, np.ndarray):
        array = data if dtype is None else data.astype(_dtype(dtype), copy=False)
    elif isinstance(data, np.generic):
        array = np.asarray(data, dtype=None if dtype is None else _dtype(dtype))
    else:
        # Convert without a dtype first: np.asarray(["1.5"], float32) would parse strings and
        # np.asarray([1, None], float32) would turn None into nan.
        try:
            array = np.asarray(data)
        except ValueError as e:  # ragged nesting
            raise ValueError(f"Tensor data must be a (nested) sequence of equal-length "
                             f"sequences of numbers: {e}") from None
        if array.dtype.kind not in "fiub":
            _refuse_data(data, array)
        if array.dtype == np.uint64:  # Python ints past int64: PyTorch has no uint64 to hold them
            raise OverflowError("Tensor data: a Python int is too large for int64")
        if dtype is not None:
            array = array.astype(_dtype(dtype), copy=False)
        elif python_default is not None:  # Tensor([1, 2]) is float32, as torch.Tensor
            array = array.astype(python_default, copy=False)
        elif array.dtype.kind == "f":  # tensor([1.5]): float32, as torch.tensor
            array = array.astype(default_float)
    if array.dtype.kind not in "fiub":
        _refuse_data(data, array)
    return array


def _refuse_data(data: Any, array: Array) -> None:
    """Say what in ``data`` is not a number: None, a string, a dict... (NumPy makes an object
    or string array of it)."""
    if array.dtype.kind == "c":
        raise TypeError("complex numbers are not supported (tinygrad_edu has no complex dtype)")
    if array.dtype.kind in "US":
        raise TypeError(f"Tensor data must be numbers, got a str ({array.flat[0]!r})")
    missing = object()
    stack, culprit = [data], missing
    while stack and culprit is missing:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, int) and not -2**63 <= item < 2**64:
            raise OverflowError(f"Tensor data: Python int {item} is too large for int64")
        elif not isinstance(item, (int, float, bool, np.number, np.bool_, np.ndarray)):
            culprit = item
    if culprit is missing:
        raise TypeError(f"Tensor data must be numbers or booleans, got NumPy dtype "
                        f"{array.dtype}")
    if isinstance(culprit, complex):
        raise TypeError("complex numbers are not supported (tinygrad_edu has no complex dtype)")
    raise TypeError(f"Tensor data must be numbers or booleans, got {culprit!r} of type "
                    f"{type(culprit).__name__}")
