"""Sliding windows over the trailing (spatial) dims: the one im2col of convolution and pooling.

``windows(x, kernel, stride, dilation)`` is a read-only *view* of ``x`` (no copy), with the
window's position and its offset inside the window as separate axes::

    windows(x)[..., o1, o2, k1, k2] = x[..., o1 * s1 + k1 * d1, o2 * s2 + k2 * d2]

``add_windows`` is its transpose (col2im): every entry of a window array is added back to the
element it was read from, so overlapping windows sum. It loops over the kernel's offsets
(k1 * k2 iterations, 9 for a 3x3 kernel), each one vectorized over the batch and the pixels.
Both work on any memory layout: the view is built from ``x``'s own strides.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = ["window_counts", "windows", "add_windows"]

Ints = tuple[int, ...]


def window_counts(spatial: Ints, kernel: Ints, stride: Ints, dilation: Ints) -> Ints:
    """How many windows fit along each dim of an (already padded) input:
    floor((n - d (k - 1) - 1) / s) + 1, or 0 when not even one fits."""
    return tuple(max((n - d * (k - 1) - 1) // s + 1, 0)
                 for n, k, s, d in zip(spatial, kernel, stride, dilation, strict=True))


def windows(x: np.ndarray, kernel: Ints, stride: Ints, dilation: Ints) -> np.ndarray:
    """The view (..., *out, *kernel) of x (..., *spatial); see the module docstring."""
    nd = len(kernel)
    out = window_counts(x.shape[x.ndim - nd:], kernel, stride, dilation)
    lead, spatial_strides = x.strides[:x.ndim - nd], x.strides[x.ndim - nd:]
    strides = (lead + tuple(s * t for s, t in zip(stride, spatial_strides, strict=True))
               + tuple(d * t for d, t in zip(dilation, spatial_strides, strict=True)))
    return as_strided(x, x.shape[:x.ndim - nd] + out + tuple(kernel), strides, writeable=False)


def add_windows(cols: np.ndarray, shape: Ints, kernel: Ints, stride: Ints,
                dilation: Ints) -> np.ndarray:
    """The transpose of :func:`windows`: a new array of ``shape`` (..., *spatial) where each
    element is the sum of the entries of ``cols`` (..., *out, *kernel) that window it."""
    nd = len(kernel)
    out = cols.shape[cols.ndim - 2 * nd:cols.ndim - nd]
    result = np.zeros(shape, dtype=cols.dtype)
    if 0 in out:  # no window: nothing to add (and a stop of s (n - 1) + 1 < 0 would wrap)
        return result
    for offset in itertools.product(*(range(k) for k in kernel)):
        target = (Ellipsis,) + tuple(slice(o * d, o * d + s * (n - 1) + 1, s) for o, d, s, n
                                     in zip(offset, dilation, stride, out, strict=True))
        result[target] += cols[(Ellipsis,) + (slice(None),) * nd + offset]
    return result
