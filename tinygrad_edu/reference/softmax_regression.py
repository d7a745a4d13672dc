"""Softmax regression with hand-derived gradients (seeds 000 and 003), NumPy only.

Model, for a batch ``X`` of shape (N, D), weights ``W`` (D, C) and bias ``b`` (C,)::

    Z = X W + b                       logits, (N, C)
    P = softmax(Z)                    row-wise
    L = -(1/N) sum_n sum_c Y_nc log P_nc  (+ lam1 * sum|W| + lam2 * sum W^2)

Seed 003 derives the gradient column by column; in matrix form it is::

    dL/dZ = (P - Y) / N
    dL/dW = X^T (P - Y) / N   (+ lam1 * sign(W) + 2 * lam2 * W)
    dL/db = mean_n (P - Y)

The formulas assume each row of ``Y`` sums to 1 (one-hot or smoothed labels). For a general
``Y`` the exact gradient is ``(P * rowsum(Y) - Y) / N``, which is what the code
computes: it costs one (N, C) multiply and stays exact for any target.

The loss is computed with log-sum-exp, ``log P_nc = Z_nc - m_n - log sum_c exp(Z_nc - m_n)`` with
``m_n = max_c Z_nc``, instead of the seeds' ``log(clip(P, 1e-10))`` (seed 000) or
``log(P + 1e-7)`` (seed 001): it is exact, finite for any finite logits and does not bias the
loss of confident predictions.

All arrays keep the parameters' float dtype (float32 in, float32 out); scalars such as ``lr`` and
penalty weights are turned into Python floats so a NumPy ``float64`` scalar cannot upcast a
float32 model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ._types import FloatArray, Params, ParamsIn
from .penalties import l1_penalty_and_grad, l2_penalty_and_grad

__all__ = [
    "accuracy",
    "cross_entropy",
    "cross_entropy_and_grad",
    "forward",
    "init_params",
    "log_softmax",
    "loss_and_grads",
    "one_hot",
    "predict_proba",
    "sgd_step",
    "softmax",
]


# --------------------------------------------------------------------------- helpers


def _as_float(x: npt.ArrayLike, dtype: npt.DTypeLike | None = None) -> FloatArray:
    """``x`` as a float array without copying when it already is one.

    With ``dtype`` the array is converted to it (a no-op when it matches); without it, float
    arrays keep their dtype and anything else (ints, bools, lists of ints) becomes float64.
    """
    if dtype is not None:
        return np.asarray(x, dtype=dtype)
    arr = np.asarray(x)
    return arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(np.float64)


def one_hot(
    labels: npt.ArrayLike, num_classes: int, dtype: npt.DTypeLike = np.float32
) -> FloatArray:
    """One-hot rows for integer class ``labels`` of any shape: result shape ``labels.shape + (C,)``.

    Raises ``ValueError`` for labels outside ``[0, num_classes)`` (fancy indexing would silently
    wrap negative labels around).
    """
    idx = _check_labels(np.asarray(labels), num_classes)
    out = np.zeros(idx.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, idx[..., None], 1, axis=-1)
    return out


def _check_labels(labels: npt.NDArray[Any], num_classes: int) -> npt.NDArray[np.intp]:
    if labels.dtype.kind not in "iub":  # signed, unsigned or bool
        raise ValueError(
            f"class labels must be integers, got dtype {labels.dtype}; pass one-hot targets of "
            "shape (N, C) for float targets"
        )
    if labels.size:
        lo, hi = np.minimum.reduce(labels, axis=None), np.maximum.reduce(labels, axis=None)
        if lo < 0 or hi >= num_classes:
            raise ValueError(f"class labels must lie in [0, {num_classes}), got [{lo}, {hi}]")
    return labels.astype(np.intp, copy=False)


def _col_sums(g: FloatArray) -> FloatArray:
    """``g.sum(axis=0)`` of an (N, C) matrix as one BLAS product ``1^T g``.

    NumPy's reduction of a tall, narrow matrix (N = 1000, C = 10) is several times slower than
    the matrix-vector product; this sits in every training step, so it is worth the trick.
    """
    return np.ones(g.shape[0], dtype=g.dtype) @ g


def _row_sums(z: FloatArray) -> FloatArray:
    """``z.sum(axis=1, keepdims=True)`` of an (N, C) matrix as ``z 1`` (see :func:`_col_sums`)."""
    return z @ np.ones((z.shape[1], 1), dtype=z.dtype)


def _split_targets(
    targets: npt.ArrayLike, n: int, c: int, dtype: np.dtype[Any]
) -> tuple[npt.NDArray[np.intp] | None, FloatArray | None]:
    """``(flat_index, None)`` for integer labels (N,), ``(None, Y)`` for rows (N, C).

    ``flat_index[n] = n * C + label[n]`` addresses the true-class entries of a C-contiguous
    (N, C) array through its flat view: one gather and one scatter, no one-hot matrix.
    """
    t = np.asarray(targets)
    if t.shape == (n,):
        flat = np.arange(0, n * c, c, dtype=np.intp)
        flat += _check_labels(t, c)
        return flat, None
    if t.shape == (n, c):
        # Cast to the logits' dtype so float64 one-hots do not upcast a float32 model.
        return None, np.asarray(t, dtype=dtype)
    raise ValueError(
        f"targets must be integer labels of shape ({n},) or one-hot rows of shape ({n}, {c}); "
        f"got shape {t.shape} and dtype {t.dtype}"
    )


def _xent_inplace(z: FloatArray, targets: npt.ArrayLike, scale: float) -> tuple[float, FloatArray]:
    """Mean cross-entropy of logits ``z`` (N, C) and ``scale * dL/dz`` written over ``z``.

    ``z`` must be a C-contiguous buffer the caller owns: it is overwritten step by step with the
    shifted logits, ``exp``, ``P`` and finally ``scale * (P * rowsum(Y) - Y) / N``. One (N, C)
    buffer serves the whole forward and backward pass, as in a tight hand-written step.
    """
    if not z.flags.c_contiguous:  # the flat view below must alias z
        raise ValueError("internal: _xent_inplace needs a C-contiguous logits buffer")
    n, c = z.shape
    flat_idx, y = _split_targets(targets, n, c, z.dtype)
    z_flat = z.reshape(-1)  # a view (z is C-contiguous)
    z -= z.max(axis=1, keepdims=True)  # shift so the largest logit of each row is 0: no overflow
    # sum_c Y_nc * (z_nc - m_n), taken before z is overwritten by exp.
    if flat_idx is not None:
        picked = float(z_flat[flat_idx].sum())
    else:
        assert y is not None
        picked = float(np.vdot(y, z))
    np.exp(z, out=z)
    s = _row_sums(z)
    log_s = np.log(s)  # log-sum-exp minus the row max, (N, 1)
    z /= s  # z is now P
    if flat_idx is not None:
        loss = (float(log_s.sum()) - picked) / n
        z_flat[flat_idx] -= 1  # P - onehot, indices are distinct
    else:
        assert y is not None
        rowsum = _row_sums(y)
        loss = (float(np.vdot(rowsum, log_s)) - picked) / n
        z *= rowsum
        z -= y
    z *= scale / n  # Python float: keeps z's dtype
    return loss, z


def _promote_single(
    z: FloatArray, targets: npt.ArrayLike
) -> tuple[FloatArray, npt.ArrayLike, bool]:
    """Turn one sample (logits (C,), label () or one-hot (C,)) into a batch of one."""
    if z.ndim != 1:
        return z, targets, False
    t = np.asarray(targets)
    return z[None, :], (t[None] if t.ndim <= 1 else t), True


# --------------------------------------------------------------------------- softmax / losses


def softmax(z: npt.ArrayLike, axis: int = -1) -> FloatArray:
    """Numerically stable softmax ``exp(z - max) / sum exp(z - max)`` along ``axis``.

    Unlike seed 000, whose ``softmax`` does ``x -= x.max(...)`` and therefore silently shifts the
    caller's logits in place, this never modifies ``z``: the subtraction makes a new array that
    is then reused for ``exp`` and the division (one allocation for the whole function).
    """
    arr = _as_float(z)
    e = arr - arr.max(axis=axis, keepdims=True)
    np.exp(e, out=e)
    e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax(z: npt.ArrayLike, axis: int = -1) -> FloatArray:
    """``z - logsumexp(z)`` along ``axis``, computed as ``(z - m) - log sum exp(z - m)``."""
    arr = _as_float(z)
    shifted = arr - arr.max(axis=axis, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


def cross_entropy(logits: npt.ArrayLike, targets: npt.ArrayLike) -> float:
    """Mean cross-entropy ``-(1/N) sum_n sum_c Y_nc log softmax(z)_nc`` from logits.

    ``logits``: (N, C), or (C,) for one sample. ``targets``: integer labels (N,) (a scalar for
    one sample) or one-hot / probability rows of the logits' shape.
    """
    return cross_entropy_and_grad(logits, targets)[0]


def cross_entropy_and_grad(
    logits: npt.ArrayLike, targets: npt.ArrayLike
) -> tuple[float, FloatArray]:
    """``(L, dL/dlogits)`` with ``dL/dlogits = (softmax(z) - Y) / N`` (seeds 001 and 003).

    This is the fused softmax + cross-entropy the autograd engine's ``cross_entropy`` must match.
    A single sample (``logits`` of shape (C,)) is treated as a batch of one (N = 1), and its
    gradient is returned with shape (C,).
    """
    z = _as_float(logits)
    z, targets, single = _promote_single(z, targets)
    loss, grad = _xent_inplace(z.copy(), targets, 1.0)  # copy: never touch the caller's logits
    return loss, (grad[0] if single else grad)


# --------------------------------------------------------------------------- the model


def init_params(
    in_dim: int,
    out_dim: int,
    rng: np.random.Generator | int | None = None,
    dtype: npt.DTypeLike = np.float32,
) -> Params:
    """Seed 000's initialisation: ``W ~ U(-0.08, 0.08)`` of shape (D, C), ``b = 0`` of shape (C,).

    ``rng`` is a ``numpy.random.Generator`` or a seed for one. (Seed 003 starts from ``W = 0``
    with the bias folded into ``W`` as a column of ones in ``X``; zeros work here too.)
    """
    gen = np.random.default_rng(rng)
    w = gen.uniform(-0.08, 0.08, size=(in_dim, out_dim)).astype(dtype, copy=False)
    return {"W": w, "b": np.zeros(out_dim, dtype=dtype)}


def forward(params: ParamsIn, X: npt.ArrayLike) -> FloatArray:
    """Logits ``X W + b`` of shape (N, C), in the parameters' dtype."""
    w = params["W"]
    z = _as_float(X, w.dtype) @ w
    z += params["b"]
    return z


def predict_proba(params: ParamsIn, X: npt.ArrayLike) -> FloatArray:
    """Class probabilities ``softmax(X W + b)``, (N, C)."""
    z = forward(params, X)
    z -= z.max(axis=1, keepdims=True)  # z is our own buffer: shift, exp and normalise in place
    np.exp(z, out=z)
    z /= _row_sums(z)
    return z


def loss_and_grads(
    params: ParamsIn,
    X: npt.ArrayLike,
    Y: npt.ArrayLike,
    l1: float = 0.0,
    l2: float = 0.0,
) -> tuple[float, Params]:
    """Mean cross-entropy (+ penalties on ``W``) and its gradients, by the closed form.

    ``params``: ``{"W": (D, C), "b": (C,)}``; ``X``: (N, D); ``Y``: one-hot (N, C) or integer
    labels (N,). Returns ``(loss, {"W": dW, "b": db})`` with::

        G  = (P - Y) / N
        dW = X^T G + l1 * sign(W) + 2 * l2 * W
        db = sum_n G            (= mean_n (P - Y))

    As in seed 003, only ``W`` is penalised; ``b`` is not.
    """
    w, b = params["W"], params["b"]
    x = _as_float(X, w.dtype)
    z = x @ w
    z += b
    loss, g = _xent_inplace(z, Y, 1.0)
    dw = x.T @ g
    loss += _add_penalty_grads(w, dw, float(l1), float(l2), 1.0)
    return loss, {"W": dw, "b": _col_sums(g).reshape(b.shape)}


def _add_penalty_grads(w: FloatArray, dw: FloatArray, l1: float, l2: float, scale: float) -> float:
    """Add ``scale * (l1 sign(W) + 2 l2 W)`` to ``dw`` in place; return the penalty value."""
    value = 0.0
    if l1:
        v, g = l1_penalty_and_grad(w, l1)
        value += v
        dw += g if scale == 1.0 else scale * g
    if l2:
        v, g = l2_penalty_and_grad(w, l2)
        value += v
        dw += g if scale == 1.0 else scale * g
    return value


def sgd_step(
    params: ParamsIn,
    X: npt.ArrayLike,
    Y: npt.ArrayLike,
    lr: float,
    l1: float = 0.0,
    l2: float = 0.0,
) -> float:
    """One plain gradient-descent step ``W -= lr dW``, ``b -= lr db``, in place.

    This is the hand-written NumPy step benchmarks compare autograd against, so it does the
    least work NumPy allows: one (N, C) buffer holds the logits, then ``P``, then
    ``lr (P - Y) / N`` (the learning rate is folded into that small matrix rather than into the
    (D, C) gradient), and the updates are in place. Returns the loss *before* the update (as an
    autograd loop reports it); seed 000's ``update`` returns the cost after it, which costs a
    second forward pass.
    """
    w, b = params["W"], params["b"]
    x = _as_float(X, w.dtype)
    z = x @ w
    z += b
    lr = float(lr)
    loss, g = _xent_inplace(z, Y, lr)  # g = lr * (P - Y) / N
    step = x.T @ g
    # Penalties use W before the update, so they are added before W changes.
    loss += _add_penalty_grads(w, step, float(l1), float(l2), lr)
    w -= step
    b -= _col_sums(g).reshape(b.shape)
    return loss


def accuracy(params: ParamsIn, X: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Fraction of rows whose arg-max logit equals the label (labels (N,) or one-hot (N, C))."""
    return _argmax_accuracy(forward(params, X), labels)  # softmax is monotone


def _argmax_accuracy(logits: FloatArray, labels: npt.ArrayLike) -> float:
    """Fraction of samples whose arg-max logit equals the label: labels are class indices
    (one dim fewer than ``logits``) or one-hot rows (``logits``' shape)."""
    pred = logits.argmax(axis=-1)
    t = np.asarray(labels)
    if t.ndim == pred.ndim + 1:
        t = t.argmax(axis=-1)
    return float(np.mean(pred == t))


def _apply_steps(params: ParamsIn, steps: Params) -> None:
    """``params[name] -= steps[name]`` in place: the caller's arrays change, not the mapping."""
    for name, step in steps.items():
        p = params[name]
        p -= step
