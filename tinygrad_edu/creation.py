"""Factories: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``rand``... (torch's names).

Sizes and dims are checked as PyTorch checks them (``_checks``): ``zeros(2.5)`` is a TypeError,
``zeros(-1)`` a RuntimeError, ``arange(0, 10, 0)`` names the step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import dtypes
from ._checks import as_int, finite_number, size_args
from ._checks import fill_value as check_fill_value
from ._typing import DTypeLike, PyBool, PyFloat, PyInt, Scalar
from .autograd import Array
from .device import check_device
from .dtypes import _dtype, _to_array, bool_, int64, scalar_dtype
from .random import Generator, draw, rng_of
from .tensor import Tensor, _check_can_require_grad, _constant


def tensor(data: Any, dtype: DTypeLike = None, device: Any = None,
           requires_grad: PyBool = False, pin_memory: PyBool = False) -> Tensor:
    """A new tensor holding a copy of ``data``; like ``torch.tensor``, Python ints give int64
    and floats give the default dtype (float32)."""
    check_device(device)
    array = np.array(_to_array(data, dtype, False), copy=True)
    if requires_grad:
        _check_can_require_grad(array)
    return _constant(array).requires_grad_(True) if requires_grad else _constant(array)


def as_tensor(data: Any, dtype: DTypeLike = None, device: Any = None) -> Tensor:
    """Wrap ``data`` without copying when it already is an array of the right dtype."""
    check_device(device)
    if isinstance(data, Tensor) and (dtype is None or _dtype(dtype) == data.dtype):
        return data
    return _constant(_to_array(data, dtype, False))


def from_numpy(array: Array) -> Tensor:
    return _constant(np.asarray(array))


def _filled(shape: tuple[Any, ...], fill: Any, dtype: DTypeLike, requires_grad: PyBool,
            op: str, device: Any = None) -> Tensor:
    check_device(device)
    dtype = dtypes.default_float if dtype is None else _dtype(dtype)
    array = np.full(size_args(shape, op), check_fill_value(fill, op), dtype=dtype)
    return Tensor(array, requires_grad=requires_grad)


def zeros(*size: Any, dtype: DTypeLike = None, device: Any = None,
          requires_grad: PyBool = False) -> Tensor:
    return _filled(size, 0, dtype, requires_grad, "zeros", device)


def ones(*size: Any, dtype: DTypeLike = None, device: Any = None,
         requires_grad: PyBool = False) -> Tensor:
    return _filled(size, 1, dtype, requires_grad, "ones", device)


def empty(*size: Any, dtype: DTypeLike = None, device: Any = None,
          requires_grad: PyBool = False) -> Tensor:
    return _filled(size, 0, dtype, requires_grad, "empty", device)


def full(size: Sequence[PyInt], fill_value: Scalar, dtype: DTypeLike = None,
         requires_grad: PyBool = False, *, device: Any = None) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``; its dtype is the number's (float32 for
    a Python float, int64 for an int, bool for a bool), as in PyTorch."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' must be a tuple of ints, got {size!r} "
                        f"({type(size).__name__})")
    fill_value = check_fill_value(fill_value, "full")
    if dtype is None:
        dtype = scalar_dtype(bool_, fill_value)
    return _filled(tuple(size), fill_value, dtype, requires_grad, "full", device)


def zeros_like(t: Tensor, dtype: DTypeLike = None, requires_grad: PyBool = False, *,
               device: Any = None) -> Tensor:
    return zeros(t.shape, dtype=t.dtype if dtype is None else dtype, device=device,
                 requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: DTypeLike = None, requires_grad: PyBool = False, *,
              device: Any = None) -> Tensor:
    return ones(t.shape, dtype=t.dtype if dtype is None else dtype, device=device,
                requires_grad=requires_grad)


def empty_like(t: Tensor, dtype: DTypeLike = None, requires_grad: PyBool = False, *,
               device: Any = None) -> Tensor:
    return empty(t.shape, dtype=t.dtype if dtype is None else dtype, device=device,
                 requires_grad=requires_grad)


def full_like(t: Tensor, fill_value: Scalar, dtype: DTypeLike = None,
              requires_grad: PyBool = False, *, device: Any = None) -> Tensor:
    return full(t.shape, fill_value, t.dtype if dtype is None else dtype, requires_grad,
                device=device)


def arange(start: Scalar, end: Scalar | None = None, step: Scalar = 1, dtype: DTypeLike = None,
           requires_grad: PyBool = False, *, device: Any = None) -> Tensor:
    """Like ``torch.arange``: int64 for whole-number arguments, float32 otherwise; the step must
    be nonzero and point from start towards end (an empty range the other way is an error)."""
    check_device(device)
    if end is None:
        start, end = 0, start
    for name, value in (("start", start), ("end", end), ("step", step)):
        finite_number(value, name, "arange")
    if float(step) == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if (float(end) - float(start)) * float(step) < 0:
        raise RuntimeError(f"arange(): upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    if dtype is None:
        whole = all(isinstance(v, (PyInt, np.integer)) for v in (start, end, step))
        dtype = int64 if whole else dtypes.default_float
    dtype = _dtype(dtype)
    bounds: Any = (start, end, step)
    if dtype.kind == "f":  # steps added in float64, then rounded once (as PyTorch: 0.1 * 9 is
        array = np.arange(*bounds, dtype=np.float64).astype(dtype)  # 0.9, not 0.90000004)
    else:
        array = np.arange(*bounds, dtype=dtype)
    return Tensor(array, requires_grad=requires_grad)


def linspace(start: PyFloat, end: PyFloat, steps: PyInt, dtype: DTypeLike = None,
             requires_grad: PyBool = False, *, device: Any = None) -> Tensor:
    check_device(device)
    steps = as_int(steps, "steps", "linspace")
    if steps < 0:
        raise RuntimeError(f"linspace(): number of steps must be non-negative, got {steps}")
    array = np.linspace(start, end, steps,
                        dtype=dtypes.default_float if dtype is None else _dtype(dtype))
    return Tensor(array, requires_grad=requires_grad)


def eye(n: PyInt, m: PyInt | None = None, dtype: DTypeLike = None,
        requires_grad: PyBool = False, *, device: Any = None) -> Tensor:
    check_device(device)
    rows, cols = size_args((n, n if m is None else m), "eye")
    array = np.eye(rows, cols, dtype=dtypes.default_float if dtype is None else _dtype(dtype))
    return Tensor(array, requires_grad=requires_grad)


def _float_dtype(dtype: DTypeLike, op: str) -> np.dtype:
    dtype = dtypes.default_float if dtype is None else _dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{op}(): expected a floating point dtype, got {dtype}")
    return dtype


def rand(*size: Any, dtype: DTypeLike = None, device: Any = None, requires_grad: PyBool = False,
         generator: Generator | None = None) -> Tensor:
    """Uniform on [0, 1), from the module-level Generator (see ``manual_seed``) or
    ``generator``."""
    check_device(device)
    dtype = _float_dtype(dtype, "rand")
    shape = size_args(size, "rand")
    rng_of(generator)  # checks it
    return Tensor(draw(_uniform, generator, shape, dtype), requires_grad=requires_grad)


def _uniform(generator: Generator | None, shape: tuple[int, ...], dtype: np.dtype) -> Array:
    rng = rng_of(generator)
    return rng.random(shape, dtype=dtype) if dtype.itemsize >= 4 else (
        rng.random(shape).astype(dtype))  # NumPy draws float32 and float64 only


def _normal(generator: Generator | None, shape: tuple[int, ...], dtype: np.dtype) -> Array:
    rng = rng_of(generator)
    return rng.standard_normal(shape, dtype=dtype) if dtype.itemsize >= 4 else (
        rng.standard_normal(shape).astype(dtype))


def _integers(generator: Generator | None, low: int, high: int, shape: tuple[int, ...],
              dtype: DTypeLike) -> Array:
    array = rng_of(generator).integers(low, high, size=shape, dtype=np.int64)
    return array if dtype is None else array.astype(_dtype(dtype))


def _permutation(generator: Generator | None, n: int, dtype: DTypeLike) -> Array:
    return rng_of(generator).permutation(n).astype(int64 if dtype is None else _dtype(dtype))


def randn(*size: Any, dtype: DTypeLike = None, device: Any = None, requires_grad: PyBool = False,
          generator: Generator | None = None) -> Tensor:
    """Standard normal, from the module-level Generator (see ``manual_seed``) or
    ``generator``."""
    check_device(device)
    dtype = _float_dtype(dtype, "randn")
    shape = size_args(size, "randn")
    rng_of(generator)  # checks it
    return Tensor(draw(_normal, generator, shape, dtype), requires_grad=requires_grad)


def rand_like(t: Tensor, requires_grad: PyBool = False, *, dtype: DTypeLike = None,
              device: Any = None) -> Tensor:
    return rand(t.shape, dtype=t.dtype if dtype is None else dtype, device=device,
                requires_grad=requires_grad)


def randn_like(t: Tensor, requires_grad: PyBool = False, *, dtype: DTypeLike = None,
               device: Any = None) -> Tensor:
    return randn(t.shape, dtype=t.dtype if dtype is None else dtype, device=device,
                 requires_grad=requires_grad)


def randint(low: PyInt, high: PyInt | None = None, size: Sequence[PyInt] = (), *,
            generator: Generator | None = None, dtype: DTypeLike = None, device: Any = None,
            requires_grad: PyBool = False) -> Tensor:
    """Integers uniform on [low, high), int64 unless ``dtype`` says otherwise."""
    check_device(device)
    if high is not None and not isinstance(high, (int, np.integer)) and size == ():
        high, size = None, high  # randint(high, size), PyTorch's two-argument form
    if high is None:
        low, high = 0, low
    low, high = as_int(low, "low", "randint"), as_int(high, "high", "randint")
    if low >= high:
        raise RuntimeError(f"randint(): expected low < high, got low={low}, high={high}")
    shape = size_args((tuple(size),), "randint")
    rng_of(generator)  # checks it
    return Tensor(draw(_integers, generator, low, high, shape, dtype),
                  requires_grad=requires_grad)


def randperm(n: PyInt, *, generator: Generator | None = None, dtype: DTypeLike = None,
             device: Any = None, requires_grad: PyBool = False) -> Tensor:
    """A random permutation of 0 .. n-1, int64 unless ``dtype`` says otherwise."""
    check_device(device)
    n = as_int(n, "n", "randperm")
    if n < 0:
        raise RuntimeError(f"randperm(): n must be non-negative, got {n}")
    rng_of(generator)  # checks it
    return Tensor(draw(_permutation, generator, n, dtype), requires_grad=requires_grad)
