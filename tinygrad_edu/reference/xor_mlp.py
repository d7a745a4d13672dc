"""The 2-4-1 sigmoid network of seed 002 learning XOR with a mean-squared error, NumPy only.

Forward, for ``X`` (N, 2)::

    Z1 = X W1 + b1,  A1 = sigmoid(Z1)      (N, H)
    Z2 = A1 W2 + b2, A2 = sigmoid(Z2)      (N, K), K = 1
    L  = mean((A2 - y)^2) = (1 / (N K)) sum (A2 - y)^2

Backward, with ``sigmoid'(z) = sigmoid(z) (1 - sigmoid(z))``::

    delta2 = c (A2 - y) * A2 (1 - A2)        c = 2 / (N K)
    delta1 = (delta2 W2^T) * A1 (1 - A1)
    dW2 = A1^T delta2,  db2 = sum_n delta2
    dW1 = X^T delta1,   db1 = sum_n delta1

**Seed 002's scaling.** The seed reports ``np.mean((A2 - y)**2)`` but back-propagates
``delta2 = (A2 - y) * sigmoid'(Z2)``, i.e. ``c = 1``: that is the gradient of
``0.5 * sum((A2 - y)^2)``, which is ``N K / 2`` times (here 2 times) the gradient of the loss it
reports. Adam is invariant to a constant gradient scale (up to ``eps``), so the seed's training
still works; plain SGD would not be. :func:`loss_and_grads` returns the true gradient of the loss
it returns; ``seed_scaling=True`` reproduces the seed's deltas exactly (``c = 1``), while the
returned loss stays the mean.

Biases may be 1-D (``b1`` (H,), ``b2`` (K,), as :func:`init_params` makes them) or rows as in the
seed (``b1`` (1, H), ``b2`` (1, K)); each gradient has its parameter's shape.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._types import FloatArray, Params, ParamsIn
from .softmax_regression import _as_float

__all__ = [
    "XOR_X",
    "XOR_Y",
    "forward",
    "init_params",
    "loss_and_grads",
    "sigmoid",
    "sigmoid_grad",
]

# The XOR truth table as float data; read-only so no caller can corrupt the module constants.
XOR_X: FloatArray = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y: FloatArray = np.array([[0.0], [1.0], [1.0], [0.0]])
XOR_X.setflags(write=False)
XOR_Y.setflags(write=False)


def sigmoid(x: npt.ArrayLike) -> FloatArray:
    """``1 / (1 + exp(-x))`` without overflow for any finite ``x`` (|x| = 1e4 in float32 is fine).

    The seed's ``1 / (1 + np.exp(-x))`` overflows in ``exp`` for ``x`` below about -89 (float32)
    or -710 (float64). Here ``sigmoid(x) = exp(-log(1 + exp(-x)))`` with
    ``log(1 + exp(-x)) = logaddexp(0, -x)``, which NumPy computes without overflow; for very
    negative ``x`` it is ``-x`` plus a tiny term, so ``sigmoid(x) ~ exp(x)`` keeps full relative
    precision (where ``1 - sigmoid(-x)`` would cancel to 0).
    """
    arr = _as_float(x)
    out = np.logaddexp(arr.dtype.type(0), -arr)
    return np.exp(-out)


def sigmoid_grad(x: npt.ArrayLike) -> FloatArray:
    """``sigmoid'(x) = sigmoid(x) (1 - sigmoid(x))``."""
    s = sigmoid(x)
    return s * (1 - s)


def init_params(
    rng: np.random.Generator | int | None = None,
    hidden: int = 4,
    dtype: npt.DTypeLike = np.float64,
    in_dim: int = 2,
    out_dim: int = 1,
) -> Params:
    """Seed 002's initialisation: every weight and bias drawn from ``N(0, 1)``."""
    gen = np.random.default_rng(rng)
    return {
        "W1": gen.standard_normal((in_dim, hidden)).astype(dtype, copy=False),
        "b1": gen.standard_normal(hidden).astype(dtype, copy=False),
        "W2": gen.standard_normal((hidden, out_dim)).astype(dtype, copy=False),
        "b2": gen.standard_normal(out_dim).astype(dtype, copy=False),
    }


def _forward(params: ParamsIn, x: FloatArray) -> tuple[FloatArray, FloatArray]:
    z1 = x @ params["W1"]
    z1 += params["b1"]
    a1 = sigmoid(z1)
    z2 = a1 @ params["W2"]
    z2 += params["b2"]
    return a1, sigmoid(z2)


def forward(params: ParamsIn, X: npt.ArrayLike) -> FloatArray:
    """Network output ``A2 = sigmoid(sigmoid(X W1 + b1) W2 + b2)``, (N, K)."""
    w1 = params["W1"]
    return _forward(params, _as_float(X, w1.dtype))[1]


def loss_and_grads(
    params: ParamsIn, X: npt.ArrayLike, y: npt.ArrayLike, seed_scaling: bool = False
) -> tuple[float, Params]:
    """``(mean((A2 - y)^2), grads)`` by hand backprop with ``sigmoid' = sigmoid (1 - sigmoid)``.

    ``y`` is (N, K) or, for K = 1, (N,). With ``seed_scaling=False`` (default) the gradients are
    those of the returned mean loss (``delta2 = 2 / (N K) * (A2 - y) * A2 (1 - A2)``); with
    ``seed_scaling=True`` they are seed 002's (``delta2 = (A2 - y) * A2 (1 - A2)``), i.e. the
    gradients of ``0.5 * sum((A2 - y)^2)``. See the module docstring.
    """
    w1, b1, w2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    x = _as_float(X, w1.dtype)
    a1, a2 = _forward(params, x)
    target = _as_float(y, a2.dtype)
    if target.shape != a2.shape:
        # (N,) against (N, 1) would broadcast to (N, N): reshape explicitly, or refuse.
        if target.size != a2.size:
            raise ValueError(f"y has shape {target.shape}; the network outputs {a2.shape}")
        target = target.reshape(a2.shape)

    err = a2 - target
    loss = float(np.vdot(err, err)) / err.size
    c = 1.0 if seed_scaling else 2.0 / err.size
    # sigma'(Z) = A (1 - A) reuses the activations instead of recomputing sigmoid(Z).
    delta2 = err
    delta2 *= a2 * (1 - a2)
    if c != 1.0:
        delta2 *= c
    delta1 = delta2 @ w2.T
    delta1 *= a1 * (1 - a1)
    grads = {
        "W1": x.T @ delta1,
        "b1": delta1.sum(axis=0).reshape(b1.shape),
        "W2": a1.T @ delta2,
        "b2": delta2.sum(axis=0).reshape(b2.shape),
    }
    return loss, grads
