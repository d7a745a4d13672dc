"""The few functions a backward needs that NumPy spells as functions and Tensor as methods.

An op's ``backward`` is written once and runs two ways: on NumPy arrays (the default path) and,
under ``create_graph=True``, on Tensors, so that the gradient it computes is recorded and can
be differentiated again. Operators (``+ - * / @``, ``.sum()``, ``.reshape()``, indexing) are
shared already; these fill the gaps. Each checks for an array first, so the default path pays
one ``type`` test and no more.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._sums import layout_sum

_ARRAYS = (np.ndarray, np.generic)
_PLAIN = (np.ndarray, np.generic, int, float, bool)


def is_array(x: Any) -> bool:
    """True on the default path (NumPy values), False for a Tensor being recorded."""
    return isinstance(x, _ARRAYS)


def any_tensor(*values: Any) -> Any:
    """The first Tensor among ``values`` (None if all are arrays or numbers)."""
    for v in values:
        if v is not None and not isinstance(v, _PLAIN):
            return v
    return None


def where(condition: Any, x: Any, y: Any) -> Any:
    """``x`` where ``condition`` holds, else ``y``: selected, so a NaN in the branch not taken
    stays out. ``condition`` is a constant (a mask: its own derivative is 0)."""
    tensor = any_tensor(x, y)
    if tensor is None:
        return np.where(condition, x, y)
    return type(tensor)._select(condition, x, y)


def exp(x: Any) -> Any:
    return np.exp(x) if is_array(x) else x.exp()


def log(x: Any) -> Any:
    return np.log(x) if is_array(x) else x.log()


def sgn(a: np.ndarray) -> np.ndarray:
    """sign(a) as PyTorch's derivatives use it: -1, 0 or 1, and 0 at NaN (NumPy gives NaN)."""
    s = np.asarray(np.sign(a))  # a 0-d input gives a NumPy scalar
    if s.dtype.kind == "f":
        s[np.isnan(s)] = 0
    return s




def sum_keepdims(x: Any, axes: int | tuple[int, ...]) -> Any:
    """The sum over ``axes``, keeping them as size 1."""
    if is_array(x):
        return layout_sum(x, axes, keepdims=True)
    return x.sum(axes, keepdim=True)








def value_of(x: Any) -> Any:
    """The NumPy values of ``x`` (for masks and comparisons, which are constants)."""
    return x if is_array(x) else np.asarray(x)
