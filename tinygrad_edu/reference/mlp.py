"""ReLU multilayer perceptron of any depth with hand-written backprop, NumPy only.

The two-layer net of seed 001 (:mod:`.two_layer_net`) generalised to ``L`` linear layers with a
ReLU after each but the last, e.g. the 784-256-128-10 Fashion-MNIST MLP or seed 003's
784-512-10 and deeper nets. Parameters ``W1, b1, ..., WL, bL`` with ``Wl`` (n_{l-1}, n_l) and
``bl`` (n_l,), stored as the documents store them, (in, out), so a layer is ``A W + b``.

Forward, for a batch ``X`` (N, D), ``A0 = X``::

    Zl = A(l-1) Wl + bl           l = 1..L
    Al = relu(Zl)                 l = 1..L-1
    P  = softmax(ZL)              ZL are the logits (N, C)
    L  = -(1/N) sum_n sum_c T_nc log P_nc

Backward, one loop from the top layer down (``T`` one-hot; the fused softmax-cross-entropy
gives the first ``dZ``)::

    dZL = (P - T) / N
    for l = L, ..., 1:
        dWl = A(l-1)^T dZl          dbl = sum_n dZl
        if l > 1:
            dA(l-1) = dZl Wl^T
            dZ(l-1) = relu'(Z(l-1)) * dA(l-1)

**relu'(0).** PyTorch and the tinygrad_edu engine use ``relu'(0) = 0``, which is this module's
default; seed 001 uses 1 (``relu_grad_at_zero=1.0`` reproduces it, any other value is allowed).
With one hidden layer and the same ``relu_grad_at_zero`` the results equal
:mod:`.two_layer_net`'s.

**One sample.** As in :mod:`.two_layer_net`, ``x`` of shape (D,) with a scalar label or a
one-hot (C,) is computed as a batch of one. Batches take integer labels (N,) or one-hot rows
(N, C). The loss uses log-sum-exp (exact); arrays keep the parameters' dtype.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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

__all__ = [
    "accuracy",
    "depth",
    "forward",
    "init_params",
    "loss_and_grads",
    "predict_proba",
    "sgd_step",
]


def init_params(
    sizes: Sequence[int] = (784, 256, 128, 10),
    rng: np.random.Generator | int | None = None,
    dtype: npt.DTypeLike = np.float32,
    weight_scale: float | None = None,
) -> Params:
    """Parameters of the MLP with layer widths ``sizes`` (input, hidden..., output).

    Weights Glorot-uniform, ``U(-a, a)`` with ``a = sqrt(6 / (n_in + n_out))`` (Keras's
    default, which seed 003's models had), biases 0. With ``weight_scale`` the weights are
    ``weight_scale * N(0, 1)`` instead, drawn in the order of :func:`.two_layer_net.init_params`
    (so ``init_params((D, H, C), seed, weight_scale=0.01)`` equals its ``init_params(D, H, C,
    seed)``).
    """
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output width, got {sizes!r}")
    gen = np.random.default_rng(rng)
    params: Params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        if weight_scale is None:
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            w = gen.uniform(-limit, limit, size=(fan_in, fan_out))
        else:
            w = float(weight_scale) * gen.standard_normal((fan_in, fan_out))
        params[f"W{layer}"] = w.astype(dtype, copy=False)
        params[f"b{layer}"] = np.zeros(fan_out, dtype=dtype)
    return params


def depth(params: ParamsIn) -> int:
    """The number of linear layers ``L`` (keys ``W1, b1, ..., WL, bL``, nothing else)."""
    n_layers = len(params) // 2
    expected = {f"{k}{layer}" for layer in range(1, n_layers + 1) for k in "Wb"}
    if n_layers < 1 or set(params) != expected:
        raise ValueError(f"MLP parameters must be W1, b1, ..., WL, bL; got {sorted(params)}")
    return n_layers


def _relu_deriv(z: FloatArray, g0: float) -> npt.NDArray[Any]:
    """``relu'(z)``: 1 where z > 0, ``g0`` where z == 0, else 0 (a bool mask for g0 in {0, 1})."""
    if g0 == 0.0:
        return z > 0  # PyTorch's convention
    if g0 == 1.0:
        return z >= 0  # seed 001's convention
    deriv = (z > 0).astype(z.dtype)
    deriv[z == 0] = g0
    return deriv


def forward(params: ParamsIn, X: npt.ArrayLike) -> FloatArray:
    """Logits ``ZL``: (N, C), or (C,) for one sample ``x`` of shape (D,)."""
    n_layers = depth(params)
    a = _as_float(X, params["W1"].dtype)
    for layer in range(1, n_layers + 1):
        z = a @ params[f"W{layer}"]
        z += params[f"b{layer}"]
        a = np.maximum(z, 0, out=z) if layer < n_layers else z
    return a


def predict_proba(params: ParamsIn, X: npt.ArrayLike) -> FloatArray:
    """``softmax`` of the logits, row-wise."""
    return softmax(forward(params, X), axis=-1)


def _backprop(
    params: ParamsIn, X: npt.ArrayLike, T: npt.ArrayLike, relu_grad_at_zero: float, scale: float
) -> tuple[float, Params]:
    """Loss and ``scale`` times the gradients (``scale = lr`` folds the learning rate into
    ``dZL``, an (N, C) matrix, so sgd_step multiplies no (n_in, n_out) gradient)."""
    n_layers = depth(params)
    x = _as_float(X, params["W1"].dtype)
    targets: npt.ArrayLike = T
    if x.ndim == 1:  # one sample: a batch of one
        x = x[None, :]
        t = np.asarray(T)
        targets = t[None] if t.ndim <= 1 else t

    g0 = float(relu_grad_at_zero)
    acts = [x]  # A0 .. A(L-1)
    derivs = []  # relu'(Z1) .. relu'(Z(L-1)), taken before Zl is overwritten by relu(Zl)
    a = x
    for layer in range(1, n_layers):
        z = a @ params[f"W{layer}"]
        z += params[f"b{layer}"]
        derivs.append(_relu_deriv(z, g0))
        a = np.maximum(z, 0, out=z)
        acts.append(a)
    logits = a @ params[f"W{n_layers}"]
    logits += params[f"b{n_layers}"]
    loss, dz = _xent_inplace(logits, targets, scale)  # dZL = scale (P - T) / N, in place

    grads: Params = {}
    for layer in range(n_layers, 0, -1):
        grads[f"W{layer}"] = acts[layer - 1].T @ dz
        grads[f"b{layer}"] = _col_sums(dz).reshape(params[f"b{layer}"].shape)
        if layer > 1:
            da = dz @ params[f"W{layer}"].T
            dz = np.multiply(da, derivs[layer - 2], out=da)
    return loss, {k: grads[k] for k in params}  # in the parameters' order


def loss_and_grads(
    params: ParamsIn, X: npt.ArrayLike, labels: npt.ArrayLike, relu_grad_at_zero: float = 0.0
) -> tuple[float, Params]:
    """Mean cross-entropy and its gradients by the hand backprop of the module docstring.

    ``params``: ``{"W1": (D, H1), "b1": (H1,), ..., "WL": (H(L-1), C), "bL": (C,)}``; ``X``:
    (N, D) or (D,); ``labels``: integer (N,) / scalar or one-hot (N, C) / (C,). Returns
    ``(loss, grads)`` with ``grads`` keyed like ``params``.
    """
    return _backprop(params, X, labels, relu_grad_at_zero, 1.0)


def sgd_step(
    params: ParamsIn,
    X: npt.ArrayLike,
    labels: npt.ArrayLike,
    lr: float,
    relu_grad_at_zero: float = 0.0,
) -> float:
    """One in-place step ``p -= lr * dL/dp`` for every parameter; returns the pre-step loss."""
    loss, steps = _backprop(params, X, labels, relu_grad_at_zero, float(lr))
    _apply_steps(params, steps)
    return loss


def accuracy(params: ParamsIn, X: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Fraction of samples whose arg-max logit equals the label (labels (N,) or one-hot (N, C))."""
    return _argmax_accuracy(forward(params, X), labels)
