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

# PyTorch's names for the dtypes. They stay NumPy dtypes (``tg.float is tg.float32 is
# np.dtype('float32')``), so they compare equal to NumPy types and strings and NumPy takes them
# as they are; ``print(x.dtype)`` therefore shows ``float32``, not ``torch.float32``. NumPy has
# no bfloat16 and this library no complex dtypes: those names are absent (see TORCH_MISSING).
TORCH_DTYPES: dict[str, np.dtype] = {
    "float": float32, "double": float64, "half": float16, "float16": float16,
    "float32": float32, "float64": float64, "long": int64, "int": int32, "short": int16,
    "int8": int8, "int16": int16, "int32": int32, "int64": int64, "uint8": uint8,
    "uint16": np.dtype(np.uint16), "uint32": np.dtype(np.uint32), "bool": bool_,
}
TORCH_MISSING = {
    "bfloat16": "NumPy has no bfloat16 (use tg.float16 or tg.float32)",
    **{name: "tinygrad_edu has no complex dtypes" for name in (
        "cfloat", "cdouble", "chalf", "complex32", "complex64", "complex128")},
}
# PyTorch's scalar-type names, as its errors and legacy tensor types spell them
_SCALAR_NAMES: dict[np.dtype, str] = {
    float16: "Half", float32: "Float", float64: "Double", int8: "Char", int16: "Short",
    int32: "Int", int64: "Long", uint8: "Byte", bool_: "Bool", np.dtype(np.uint16): "UInt16",
    np.dtype(np.uint32): "UInt32"}
_LEGACY_TYPES: dict[str, np.dtype] = {
    f"torch.{name}Tensor": dtype for dtype, name in _SCALAR_NAMES.items()}


def scalar_name(dtype: np.dtype) -> str:
    """PyTorch's name for ``dtype`` in error messages: ``Float``, ``Byte``, ``Long``..."""
    return _SCALAR_NAMES.get(dtype, str(dtype))


def legacy_type_name(dtype: np.dtype) -> str:
    """``Tensor.type()``: ``'torch.FloatTensor'``, PyTorch's legacy name, so scripts comparing
    with it work unchanged."""
    return f"torch.{scalar_name(dtype)}Tensor"


def model_dtype_hint(input: np.dtype, weight: np.dtype) -> str:
    """What to do when a layer's input and weight differ in dtype (for Linear/Conv errors)."""
    if input.kind != "f":
        scale = " (and / 255 for uint8 images)" if input == uint8 else ""
        return f"layers compute in floating point: convert the input with x.float(){scale}"
    if weight.kind != "f":
        return "convert the weight (or the model) with .float()"
    return f"convert the input with x.to({weight}), or the model with model.to({input})"


def get_default_dtype() -> np.dtype:
    """The dtype Python floats and float factories (zeros, rand...) get: float32 unless
    ``set_default_dtype`` changed it."""
    return default_float


def set_default_dtype(dtype: DTypeLike) -> None:
    """As ``torch.set_default_dtype``: a floating point dtype for Python floats, lists and the
    float factories from now on (NumPy arrays keep their own dtype)."""
    global default_float
    result = _dtype(dtype)
    if result.kind != "f":
        raise TypeError(f"only floating-point types are supported as the default type, got "
                        f"{result}")
    default_float = result

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
    legacy = getattr(dtype, "legacy_dtype", None)  # tg.LongTensor & co. (legacy_types.py)
    if legacy is not None:
        return legacy
    if isinstance(dtype, str) and dtype.startswith("torch."):
        if dtype in _LEGACY_TYPES:  # 'torch.FloatTensor', as Tensor.type(...) takes
            return _LEGACY_TYPES[dtype]
        dtype = dtype[len("torch.") :]
        dtype = TORCH_DTYPES.get(dtype, dtype)
    try:
        result = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}; use e.g. float32, float64, int64") from None
    if result.kind not in "fiub" or result.kind == "f" and result.itemsize > 8:
        raise TypeError(f"dtype {dtype!r} ({result}) is not supported: use a float (float16, "
                        f"float32, float64), int (int8 ... int64, uint8 ... uint32) or bool")
    return result


def _to_array(data: Any, dtype: DTypeLike, python_floats: bool) -> Array:
    """Data -> NumPy array. NumPy arrays keep their dtype (and memory); with ``python_floats``
    (``Tensor``'s rule) Python data becomes the default float dtype unless ``dtype`` says
    otherwise, without it (``tensor``'s rule) ints stay int64 and floats get the default."""
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
        elif python_floats:  # Tensor([1, 2]) is float32, as torch.Tensor
            array = array.astype(default_float, copy=False)
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
