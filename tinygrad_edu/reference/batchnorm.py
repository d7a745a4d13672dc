"""Batch normalization in training mode, forward and hand-derived backward, NumPy only.

For one channel with ``M`` values ``x_i`` (over the batch, and the pixels of an image)::

    mu = (1/M) sum_i x_i        var = (1/M) sum_i (x_i - mu)^2      s = 1 / sqrt(var + eps)
    xhat_i = (x_i - mu) s       y_i = gamma xhat_i + beta

Backward. ``dgamma = sum_i dy_i xhat_i``, ``dbeta = sum_i dy_i``. Each x_i reaches the loss
directly and through mu and var; with ``g_i = gamma dy_i`` (the gradient at xhat_i)::

    dL/dx_i = s g_i + dL/dvar * 2 (x_i - mu) / M + dL/dmu / M
    dL/dvar = sum_j g_j (x_j - mu) * (-1/2) s^3 = -(s^2 / 2) * s * sum_j g_j xhat_j
    dL/dmu  = -s sum_j g_j            (the var term's sum_j (x_j - mu) is 0)

which collapses to the one line the functions below compute::

    dL/dx = (gamma s / M) (M dy - sum(dy) - xhat sum(dy xhat))
          = gamma s (dy - dbeta / M - xhat dgamma / M)

The running statistics move as PyTorch's: ``r_mean = (1 - m) r_mean + m mu`` and ``r_var =
(1 - m) r_var + m var M / (M - 1)`` (the unbiased variance), ``m`` the momentum.
The channel axis is a parameter: ``axis=0`` reduces an (N, C) batch of features (BatchNorm1d);
a (C, M) array of channels, each row one channel's values, reduces along ``axis=1``.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import NamedTuple

import numpy as np

from ._types import FloatArray

__all__ = ["Cache", "backward", "forward"]


class Cache(NamedTuple):
    xhat: FloatArray
    scale: FloatArray  # gamma * s, broadcastable against x
    axis: int


def _column(v: FloatArray, axis: int) -> FloatArray:
    """A per-channel vector shaped to broadcast along ``axis`` of a 2-D array."""
    return v.reshape((1, -1) if axis == 0 else (-1, 1))


def forward(x: FloatArray, gamma: FloatArray, beta: FloatArray, axis: int, eps: float = 1e-5,
            momentum: float = 0.1, running: MutableMapping[str, FloatArray] | None = None,
            ) -> tuple[FloatArray, Cache]:
    """``y`` and what backward needs; updates ``running['mean']``, ``running['var']`` in place."""
    m = x.shape[axis]
    mu = x.mean(axis=axis, keepdims=True)
    centered = x - mu
    var = np.einsum("ij,ij->j" if axis == 0 else "ij,ij->i", centered, centered) / x.dtype.type(m)
    s = 1.0 / np.sqrt(var + x.dtype.type(eps))
    xhat = centered
    xhat *= _column(s, axis)
    y = xhat * _column(gamma, axis)
    y += _column(beta, axis)
    if running is not None:
        running["mean"] *= 1 - momentum
        running["mean"] += momentum * mu.reshape(-1)
        running["var"] *= 1 - momentum
        running["var"] += (momentum * m / (m - 1)) * var
    return y, Cache(xhat, _column(gamma * s, axis), axis)


def backward(dy: FloatArray, cache: Cache) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(dx, dgamma, dbeta)`` by the closed form of the module docstring."""
    xhat, scale, axis = cache
    m = dy.shape[axis]
    dbeta = dy.sum(axis=axis)
    dgamma = np.einsum("ij,ij->j" if axis == 0 else "ij,ij->i", dy, xhat)
    dx = xhat * _column(dgamma / m, axis)
    np.subtract(dy, dx, out=dx)
    dx -= _column(dbeta / m, axis)
    dx *= scale
    return dx, dgamma, dbeta
