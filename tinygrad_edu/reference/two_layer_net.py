"""Two-layer ReLU network with hand-derived backprop (seed 001), NumPy only.

The 784-64-10 net of seed 001, for a batch ``X`` (N, D)::

    a1 = X W1 + b1        (N, H)
    z1 = relu(a1)
    a2 = z1 W2 + b2       (N, C)  logits
    y  = softmax(a2)
    L  = -(1/N) sum_n sum_c T_nc log y_nc

Backward, written out as the seed does (``T`` one-hot)::

    dy  = (y - T) / N                 dL/da2
    dW2 = z1^T dy          db2 = sum_n dy
    dz1 = dy W2^T
    da1 = relu'(a1) * dz1
    dW1 = X^T da1          db1 = sum_n da1

**relu'(0).** Seed 001 defines ``relu'(x) = 1 for x >= 0`` (so ``relu'(0) = 1``); PyTorch and the
tinygrad_edu engine use ``relu'(0) = 0``. The two only differ where a pre-activation is exactly 0.
This module keeps the seed's convention by default and takes ``relu_grad_at_zero=0.0`` to match
the engine (any other value is allowed too).

**One sample.** Like the seed, a single sample may be passed as ``x`` of shape (D,) with ``T`` a
one-hot vector (C,) or a scalar class label; it is computed as a batch of one (N = 1), which gives
exactly the seed's single-sample formulas (``dW2 = outer(z1, y - t)``, ...). Batches take one-hot
rows (N, C) or integer labels (N,).

The loss uses log-sum-exp (exact), not the seed's ``log(y + 1e-7)``. Arrays keep the parameters'
dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ._types import FloatArray, Params, ParamsIn
from .softmax_regression import (
    _apply_steps,
    _argmax_accuracy,
    _as_float,
    _col_sums,
    _xent_inplace,
    softmax,
)

__all__ = ["accuracy", "forward", "init_params", "loss_and_grads", "predict_proba", "sgd_step"]


def init_params(
    in_dim: int = 784,
    hidden: int = 64,
    out_dim: int = 10,
    rng: np.random.Generator | int | None = None,
    dtype: npt.DTypeLike = np.float32,
    weight_scale: float = 0.01,
) -> Params:
    """Weights ``weight_scale * N(0, 1)``, biases 0.

    Seed 001 builds the net in an earlier article that is not among the documents; small
    Gaussian weights with zero biases are the usual choice for this 784-64-10 net.
    """
    gen = np.random.default_rng(rng)
    scale = float(weight_scale)
    return {
        "W1": (scale * gen.standard_normal((in_dim, hidden))).astype(dtype, copy=False),
        "b1": np.zeros(hidden, dtype=dtype),
        "W2": (scale * gen.standard_normal((hidden, out_dim))).astype(dtype, copy=False),
        "b2": np.zeros(out_dim, dtype=dtype),
    }


def forward(params: ParamsIn, X: npt.ArrayLike) -> FloatArray:
    """Logits ``relu(X W1 + b1) W2 + b2``: (N, C), or (C,) for one sample ``x`` of shape (D,)."""
    w1 = params["W1"]
    h = _as_float(X, w1.dtype) @ w1
    h += params["b1"]
    np.maximum(h, 0, out=h)
    out = h @ params["W2"]
    out += params["b2"]
    return out


def predict_proba(params: ParamsIn, X: npt.ArrayLike) -> FloatArray:
    """``softmax`` of the logits, row-wise."""
    return softmax(forward(params, X), axis=-1)


def _backprop(
    params: ParamsIn, X: npt.ArrayLike, T: npt.ArrayLike, relu_grad_at_zero: float, scale: float
) -> tuple[float, Params]:
    """Loss and ``scale`` times the gradients (``scale = lr`` saves sgd_step four multiplies)."""
    w1, b1, w2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    x = _as_float(X, w1.dtype)
    targets: npt.ArrayLike = T
    if x.ndim == 1:  # one sample: a batch of one
        x = x[None, :]
        t = np.asarray(T)
        targets = t[None] if t.ndim <= 1 else t

    a1 = x @ w1
    a1 += b1
    # relu'(a1), taken before a1 is overwritten by relu(a1) in place.
    g0 = float(relu_grad_at_zero)
    deriv: npt.NDArray[Any]
    if g0 == 1.0:
        deriv = a1 >= 0  # seed 001's convention
    elif g0 == 0.0:
        deriv = a1 > 0  # PyTorch's convention
    else:
        deriv = (a1 > 0).astype(a1.dtype)
        deriv[a1 == 0] = g0
    z1 = np.maximum(a1, 0, out=a1)
    a2 = z1 @ w2
    a2 += b2
    loss, dy = _xent_inplace(a2, targets, scale)  # dy = scale * (y - T) / N, in a2's buffer

    dz1 = dy @ w2.T
    da1 = np.multiply(dz1, deriv, out=dz1)
    grads = {
        "W1": x.T @ da1,
        "b1": _col_sums(da1).reshape(b1.shape),
        "W2": z1.T @ dy,
        "b2": _col_sums(dy).reshape(b2.shape),
    }
    return loss, grads


def loss_and_grads(
    params: ParamsIn, X: npt.ArrayLike, T: npt.ArrayLike, relu_grad_at_zero: float = 1.0
) -> tuple[float, Params]:
    """Mean cross-entropy and its gradients by seed 001's hand backprop.

    ``params``: ``{"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}``; ``X``: (N, D) or (D,);
    ``T``: one-hot (N, C) / (C,) or integer labels (N,) / scalar. Gradients::

        dy = (softmax(a2) - T) / N
        dW2 = z1^T dy,  db2 = sum_n dy
        da1 = relu'(a1) * (dy W2^T),  relu'(a) = 1 if a > 0, relu_grad_at_zero if a == 0, else 0
        dW1 = X^T da1,  db1 = sum_n da1
    """
    return _backprop(params, X, T, relu_grad_at_zero, 1.0)


def sgd_step(
    params: ParamsIn,
    X: npt.ArrayLike,
    T: npt.ArrayLike,
    lr: float,
    relu_grad_at_zero: float = 1.0,
) -> float:
    """One in-place step ``p -= lr * dL/dp`` for every parameter; returns the pre-step loss.

    ``lr`` is folded into ``dy`` (an (N, C) matrix), so the backward pass directly yields the
    scaled updates.
    """
    loss, steps = _backprop(params, X, T, relu_grad_at_zero, float(lr))
    _apply_steps(params, steps)
    return loss


def accuracy(params: ParamsIn, X: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Fraction of samples whose arg-max logit equals the label (labels (N,) or one-hot (N, C))."""
    return _argmax_accuracy(forward(params, X), labels)
