"""The memory layouts the higher-order tests run every op on (shared by their files)."""

from __future__ import annotations

import numpy as np

LAYOUTS = ("C", "F", "T", "strided", "reversed")


def in_layout(a: np.ndarray, kind: str) -> np.ndarray:
    """The values of ``a`` in another memory layout (views of bigger arrays hold NaN around)."""
    if a.ndim == 0 or kind == "C":
        return np.array(a, order="C")
    if kind == "F":
        return np.asfortranarray(a)
    if kind == "T":
        return np.ascontiguousarray(a.T).T
    if kind == "strided":
        big = np.full(tuple(2 * n + 1 for n in a.shape), np.nan, a.dtype)
        view = big[tuple(slice(1, 1 + 2 * n, 2) for n in a.shape)]
    else:  # reversed: negative strides on every axis
        big = np.full(tuple(n + 1 for n in a.shape), np.nan, a.dtype)
        view = big[tuple(slice(n, 0, -1) for n in a.shape)]
    view[...] = a
    return view
