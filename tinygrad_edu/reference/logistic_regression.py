"""Binary logistic regression (seed 004: MNIST "1 vs rest"), closed form, NumPy only.

Model and loss (the negative mean log-likelihood), for ``X`` (N, D), ``W`` (D, 1), ``b`` (1,)::

    z = X W + b,   p = sigmoid(z)                                    (N, 1)
    L = -(1/N) sum_n [ y_n log p_n + (1 - y_n) log(1 - p_n) ],   p clipped to [eps, 1 - eps]

Gradient (using ``dp/dz = p (1 - p)``, the ``p (1 - p)`` cancels)::

    dL/dz = (p - y) / N
    dL/dW = X^T (p - y) / N
    dL/db = mean_n (p - y)

These are the gradients of the *unclipped* loss. They equal the gradients of the clipped loss
wherever ``eps < p < 1 - eps`` (for eps = 1e-10 that is |z| < about 23); where the clip is active
the clipped loss is flat in ``p`` and its autograd gradient would differ.

**The clip.** Seed 004 clips with ``tf.clip_by_value(y, EPS, 1.0 + EPS)`` in its code (the text
says ``1.0 - EPS``; ``1 + EPS`` is a typo that would never clip from above). Both bounds are
useless in float32, the dtype the seed runs in: ``1 - 1e-10`` rounds to exactly 1.0, so once
``sigmoid(z)`` rounds to 1 (z > about 17) the term ``(1 - y) log(1 - p)`` is
``0 * log(0) = nan`` for a positive sample. Since ``sigmoid`` is increasing, clipping ``p`` to
[eps, 1 - eps] is the same as clipping ``z`` to [-L, L] with ``L = log((1 - eps) / eps)``
(about 23.03); this module does that and then takes ``-log p = softplus(-z)`` and
``-log(1 - p) = softplus(z)``. It is the seed's clipped loss exactly, stays finite in float32 for
any finite ``z`` (each term is at most ``-log eps``) and never computes ``1 - p``.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from ._types import FloatArray, Params, ParamsIn
from .softmax_regression import _as_float, _col_sums

# sigmoid lives with the XOR net of seed 002, the first document that defines it.
from .xor_mlp import sigmoid

EPS = 1e-10

__all__ = [
    "EPS",
    "accuracy",
    "forward",
    "glorot_uniform",
    "init_params",
    "loss_and_grads",
    "negative_log_likelihood",
    "one_vs_rest_labels",
    "predict_proba",
    "sgd_step",
    "sigmoid",
]


def glorot_uniform(
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator | int | None = None,
    dtype: npt.DTypeLike = np.float32,
) -> FloatArray:
    """``U(-a, a)`` of shape (fan_in, fan_out) with ``a = sqrt(6 / (fan_in + fan_out))``."""
    gen = np.random.default_rng(rng)
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return gen.uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype, copy=False)


def init_params(
    in_dim: int = 784,
    rng: np.random.Generator | int | None = None,
    dtype: npt.DTypeLike = np.float32,
) -> Params:
    """Seed 004's initialisation: Glorot-uniform ``W`` (D, 1), zero ``b`` (1,)."""
    return {"W": glorot_uniform(in_dim, 1, rng, dtype), "b": np.zeros(1, dtype=dtype)}


def forward(params: ParamsIn, X: npt.ArrayLike) -> FloatArray:
    """Logits ``z = X W + b``, (N, 1), in the parameters' dtype."""
    w = params["W"]
    z = _as_float(X, w.dtype) @ w
    z += params["b"]
    return z


def predict_proba(params: ParamsIn, X: npt.ArrayLike) -> FloatArray:
    """``p = sigmoid(X W + b)``, (N, 1), unclipped."""
    return sigmoid(forward(params, X))


def _targets(y: npt.ArrayLike, z: FloatArray) -> FloatArray:
    t = _as_float(y, z.dtype)
    if t.shape != z.shape:
        # (N,) against (N, 1) would broadcast to (N, N): reshape explicitly, or refuse.
        if t.size != z.size:
            raise ValueError(f"y has shape {t.shape}; the logits have shape {z.shape}")
        t = t.reshape(z.shape)
    return t


def _nll(z: FloatArray, y: FloatArray, eps: float) -> float:
    if not 0.0 < eps < 0.5:
        raise ValueError(f"eps must lie in (0, 0.5), got {eps}")
    # p in [eps, 1 - eps]  <=>  z in [-L, L]: clip the logit, which float32 can represent.
    limit = math.log1p(-eps) - math.log(eps)
    zc = np.clip(z, -limit, limit)
    neg_log_p = np.logaddexp(0, -zc)  # softplus(-z) = -log sigmoid(z), stable for any z
    neg_log_q = np.logaddexp(0, zc)  # softplus(z)  = -log(1 - sigmoid(z))
    # y * (-log p) + (1 - y) * (-log q), written to need no further temporary.
    neg_log_p -= neg_log_q
    neg_log_p *= y
    neg_log_p += neg_log_q
    return float(neg_log_p.mean())


def negative_log_likelihood(logits: npt.ArrayLike, y: npt.ArrayLike, eps: float = EPS) -> float:
    """``-mean(y log p + (1 - y) log(1 - p))`` with ``p = sigmoid(logits)`` clipped to
    ``[eps, 1 - eps]`` (by clipping the logit; see the module docstring)."""
    z = _as_float(logits)
    return _nll(z, _targets(y, z), float(eps))


def _loss_and_dz(
    params: ParamsIn, x: FloatArray, y: npt.ArrayLike, eps: float, scale: float
) -> tuple[float, FloatArray]:
    z = forward(params, x)
    t = _targets(y, z)
    loss = _nll(z, t, eps)
    g = sigmoid(z)
    g -= t
    g *= scale / g.shape[0]  # scale * (p - y) / N
    return loss, g


def loss_and_grads(
    params: ParamsIn, X: npt.ArrayLike, y: npt.ArrayLike, eps: float = EPS
) -> tuple[float, Params]:
    """Negative mean log-likelihood and ``{"W": X^T (p - y) / N, "b": mean(p - y)}``.

    ``y``: 0/1 targets (N, 1) (or (N,)). The gradients are exact where ``eps < p < 1 - eps``.
    """
    w, b = params["W"], params["b"]
    x = _as_float(X, w.dtype)
    loss, g = _loss_and_dz(params, x, y, float(eps), 1.0)
    return loss, {"W": x.T @ g, "b": _col_sums(g).reshape(b.shape)}


def sgd_step(
    params: ParamsIn, X: npt.ArrayLike, y: npt.ArrayLike, lr: float, eps: float = EPS
) -> float:
    """In-place ``W -= lr X^T (p - y) / N``, ``b -= lr mean(p - y)``; returns the pre-step loss."""
    w, b = params["W"], params["b"]
    x = _as_float(X, w.dtype)
    loss, g = _loss_and_dz(params, x, y, float(eps), float(lr))  # g = lr (p - y) / N
    w -= x.T @ g
    b -= _col_sums(g).reshape(b.shape)
    return loss


def accuracy(params: ParamsIn, X: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Seed 004's accuracy: the mean of ``sign(p - 0.5) == sign(y - 0.5)``.

    Note the seed's rule counts ``p == 0.5`` exactly (sign 0) as wrong for either class.
    """
    p = predict_proba(params, X)
    t = _targets(y, p)
    return float(np.mean(np.sign(p - 0.5) == np.sign(t - 0.5)))


def one_vs_rest_labels(
    labels: npt.ArrayLike, positive: int = 1, dtype: npt.DTypeLike = np.float32
) -> FloatArray:
    """Targets (N, 1): 1 where ``labels == positive``, else 0 (seed 004's MNIST "1 vs rest")."""
    return (np.asarray(labels).reshape(-1, 1) == positive).astype(dtype)
