"""Argument checks shared by the Tensor methods and the factories, with PyTorch's errors.

PyTorch refuses a float where a size or a dim belongs (``zeros(2.5)``, ``permute(0.5, 1)``)
and a dim outside ``[-ndim, ndim)``; NumPy truncates the one and wraps the other (``d % ndim``)
silently. Each check names the argument and what is allowed.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np


def as_int(value: Any, name: str, op: str) -> int:
    """``value`` as a Python int; TypeError for floats, strings, None (bools and NumPy
    integers are ints, as in PyTorch)."""
    if hasattr(value, "ndim") and getattr(value, "ndim", 1) == 0 and hasattr(value, "item"):
        value = value.item()  # a 0-d integer tensor or array
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{op}(): argument '{name}' must be an int, got {value!r} "
                        f"({type(value).__name__})") from None


def size_args(args: tuple[Any, ...], op: str, allow_minus_one: bool = False,
              one_minus_one: bool = True) -> tuple[int, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` both mean the shape (2, 3); every size an int >= 0, or -1
    where ``allow_minus_one`` (a size to infer: at most one when ``one_minus_one``)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    sizes = tuple(as_int(a, "size", op) for a in args)
    for n in sizes:
        if n == -1 and allow_minus_one:
            continue
        if n < 0:
            allowed = " (sizes are >= 0, or -1 for one inferred size)" if allow_minus_one else ""
            raise RuntimeError(f"{op}(): Trying to create tensor with negative dimension {n}: "
                               f"{sizes}{allowed}")
    if allow_minus_one and one_minus_one and sizes.count(-1) > 1:
        raise RuntimeError(f"{op}(): only one dimension can be inferred (-1), got {sizes}")
    return sizes


def dim_index(dim: Any, ndim: int, op: str) -> int:
    """A dim as a non-negative axis; a 0-d tensor accepts 0 and -1, as in PyTorch."""
    d = as_int(dim, "dim", op)
    bound = max(ndim, 1)
    if not -bound <= d < bound:
        raise IndexError(f"{op}(): Dimension out of range (expected to be in range of "
                         f"[{-bound}, {bound - 1}], but got {d})")
    return d % bound


def dim_tuple(dim: Any, ndim: int, op: str, empty_is_all: bool = True) -> tuple[int, ...]:
    """``None`` (every axis), an int or a sequence of ints -> sorted non-negative axes; a dim
    named twice is an error, as in PyTorch. An empty sequence is every axis for reductions
    (PyTorch's sum(dim=())) and none for ``squeeze``."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if not isinstance(dim, (tuple, list)) else tuple(dim)
    if not dims:
        return tuple(range(ndim)) if empty_is_all else ()
    axes = [dim_index(d, ndim, op) for d in dims]
    if len(set(axes)) != len(axes):
        repeated = next(a for a in axes if axes.count(a) > 1)
        raise RuntimeError(f"{op}(): dim {repeated} appears multiple times in the list of dims "
                           f"{dims}")
    return () if ndim == 0 else tuple(sorted(axes))


def finite_number(value: Any, name: str, op: str) -> float:
    """A real number for an argument such as an arange bound."""
    if not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise TypeError(f"{op}(): argument '{name}' must be a number, got {value!r} "
                        f"({type(value).__name__})")
    number = float(value)
    if not math.isfinite(number):
        raise RuntimeError(f"{op}(): unsupported range: {name} = {number} (bounds and step must "
                           "be finite)")
    return number


def fill_value(value: Any, op: str) -> Any:
    """A fill value: a number (or a one-element tensor), not a string or None."""
    if hasattr(value, "item") and hasattr(value, "data"):  # a one-element tensor
        value = value.item()
    if not isinstance(value, (int, float, np.number, np.bool_)):
        raise TypeError(f"{op}(): argument 'fill_value' must be a number, got {value!r} "
                        f"({type(value).__name__})")
    return value
