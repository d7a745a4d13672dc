"""A LeNet-style CNN with hand-written backprop, NumPy only (im2col convolution + BLAS).

The network (model F of the step benchmark, and ``examples/cnn_fashion_mnist.py``), for
images ``X`` (N, 1, 28, 28)::

    conv1 3x3 pad 1 (1 -> 32, no bias) -> bn1 -> relu -> maxpool 2x2      (N, 32, 14, 14)
    conv2 3x3 pad 1 (32 -> 64, no bias) -> bn2 -> relu -> maxpool 2x2     (N, 64, 7, 7)
    flatten -> fc1 (3136 -> 128) -> relu -> dropout -> fc2 (128 -> 10) -> softmax-CE

Parameters are keyed and shaped like the PyTorch module's state dict (``conv1.weight`` is
(32, 1, 3, 3), ``fc1.weight`` is (128, 3136): out before in), so a test or a benchmark copies
them into a module one to one. The convolutions have no bias: batch norm subtracts the mean
right after, which would cancel it.

**Convolution as a matrix product (im2col).** With the input padded to ``xp`` and the k x k
kernel's offsets (i, j), the columns ``cols[(c, i, j), (n, h, w)] = xp[c, n, h + i, w + j]``
turn the convolution into one GEMM with the weight ``W`` flattened to (OC, C k k)::

    out[o, (n, h, w)] = sum_{c, i, j} W[o, (c, i, j)] cols[(c, i, j), (n, h, w)]

Backward: ``dW = dout cols^T`` (the weight gradient is a correlation of the output gradient
with the input windows) and ``dcols = W^T dout``, which col2im adds back to the input
positions it was read from: ``dxp[c, n, h + i, w + j] += dcols[(c, i, j), (n, h, w)]``.

**Layout.** Activations are kept channel-first, (C, N, H, W): the GEMM writes that layout, batch
norm then reduces contiguous rows, and the next im2col reads whole rows. Only the flatten before
fc1 moves to the (N, C H W) order a PyTorch ``Flatten`` gives.

**Max pooling 2x2.** The gradient goes to the first maximum of each window in row-major order
(PyTorch's choice for ties); batch norm is :mod:`.batchnorm`. ``relu'(0) = 0``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, MutableMapping
from typing import Any

import numpy as np
import numpy.typing as npt

from . import batchnorm
from ._types import FloatArray, Params, ParamsIn
from .softmax_regression import _argmax_accuracy, _xent_inplace

__all__ = ["SHAPES", "accuracy", "forward", "init_params", "init_running", "loss_and_grads"]

#: parameter shapes of the default network, in the PyTorch module's order
SHAPES: dict[str, tuple[int, ...]] = {
    "conv1.weight": (32, 1, 3, 3), "bn1.weight": (32,), "bn1.bias": (32,),
    "conv2.weight": (64, 32, 3, 3), "bn2.weight": (64,), "bn2.bias": (64,),
    "fc1.weight": (128, 64 * 7 * 7), "fc1.bias": (128,),
    "fc2.weight": (10, 128), "fc2.bias": (10,),
}
EPS, MOMENTUM = 1e-5, 0.1  # batch norm's, as PyTorch's defaults


def init_params(rng: np.random.Generator | int | None = None,
                dtype: npt.DTypeLike = np.float32) -> Params:
    """PyTorch's default initialisation: conv and linear weights (and linear biases)
    ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``; batch norm weight 1, bias 0."""
    gen = np.random.default_rng(rng)
    params: Params = {}
    for name, shape in SHAPES.items():
        if name.startswith("bn"):
            params[name] = np.full(shape, 1.0 if name.endswith("weight") else 0.0, dtype=dtype)
            continue
        layer = name.split(".")[0]
        fan_in = math.prod(SHAPES[f"{layer}.weight"][1:])
        bound = 1 / math.sqrt(fan_in)
        params[name] = gen.uniform(-bound, bound, size=shape).astype(dtype)
    return params


def init_running(dtype: npt.DTypeLike = np.float32) -> dict[str, FloatArray]:
    """Batch norm's running statistics (``bn1.mean``, ``bn1.var``, ...): mean 0, variance 1."""
    out: dict[str, FloatArray] = {}
    for bn, c in (("bn1", 32), ("bn2", 64)):
        out[f"{bn}.mean"] = np.zeros(c, dtype=dtype)
        out[f"{bn}.var"] = np.ones(c, dtype=dtype)
    return out


# ---------------------------------------------------------------------- convolution


def _im2col(x: FloatArray, k: int) -> FloatArray:
    """(C, N, H, W) -> (C k k, N H W) columns of the zero-padded ('same') input."""
    c, n, h, w = x.shape
    p = k // 2
    xp = np.zeros((c, n, h + 2 * p, w + 2 * p), dtype=x.dtype)
    xp[:, :, p:p + h, p:p + w] = x
    cols = np.empty((c, k, k, n, h, w), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            cols[:, i, j] = xp[:, :, i:i + h, j:j + w]
    return cols.reshape(c * k * k, n * h * w)


def _col2im(dcols: FloatArray, shape: tuple[int, int, int, int], k: int) -> FloatArray:
    """The transpose of :func:`_im2col`: (C k k, N H W) -> (C, N, H, W)."""
    c, n, h, w = shape
    p = k // 2
    dxp = np.zeros((c, n, h + 2 * p, w + 2 * p), dtype=dcols.dtype)
    d = dcols.reshape(c, k, k, n, h, w)
    for i in range(k):
        for j in range(k):
            dxp[:, :, i:i + h, j:j + w] += d[:, i, j]
    return dxp[:, :, p:p + h, p:p + w]


# ---------------------------------------------------------------------- pooling


def _quarters(a: FloatArray) -> list[FloatArray]:
    """The four entries of every 2x2 window as strided views, in row-major window order."""
    return [a[:, :, i::2, j::2] for i in range(2) for j in range(2)]


def _pool(a: FloatArray) -> FloatArray:
    """The max of each 2x2 window: three elementwise maxima of the window's four views (a
    NumPy max-reduction over the small window axes is several times slower)."""
    q = _quarters(a)
    pooled = np.maximum(q[0], q[1])
    np.maximum(pooled, q[2], out=pooled)
    return np.maximum(pooled, q[3], out=pooled)


def _unpool(dp: FloatArray, a: FloatArray, pooled: FloatArray) -> FloatArray:
    """The max-pool gradient: ``dp`` to the first maximum of each 2x2 window of ``a``."""
    da = np.zeros_like(a)
    taken = np.zeros(pooled.shape, dtype=bool)
    for entry, grad_entry in zip(_quarters(a), _quarters(da), strict=True):
        hit = entry == pooled
        hit &= ~taken
        taken |= hit
        np.copyto(grad_entry, dp, where=hit)
    return da


# ---------------------------------------------------------------------- the network


def _block_forward(x: FloatArray, weight: FloatArray, gamma: FloatArray, beta: FloatArray,
                   training: bool, running: MutableMapping[str, FloatArray], prefix: str,
                   ) -> tuple[FloatArray, dict[str, Any]]:
    """conv -> bn -> relu -> pool on (C, N, H, W); returns the pooled map and a cache."""
    oc, k = weight.shape[0], weight.shape[-1]
    _, n, h, w = x.shape
    cols = _im2col(x, k)
    z = weight.reshape(oc, -1) @ cols  # (OC, N H W): each row one channel's values
    if training:
        stats = {"mean": running[f"{prefix}.mean"], "var": running[f"{prefix}.var"]}
        y, bn_cache = batchnorm.forward(z, gamma, beta, axis=1, eps=EPS, momentum=MOMENTUM,
                                        running=stats)
    else:
        s = gamma / np.sqrt(running[f"{prefix}.var"] + z.dtype.type(EPS))
        y = z * s[:, None] + (beta - running[f"{prefix}.mean"] * s)[:, None]
        bn_cache = None
    a = np.maximum(y, 0, out=y).reshape(oc, n, h, w)
    pooled = _pool(a)
    return pooled, {"x_shape": x.shape, "cols": cols, "bn": bn_cache, "a": a, "pooled": pooled}


def _block_backward(dp: FloatArray, weight: FloatArray, cache: dict[str, Any], need_dx: bool,
                    ) -> tuple[FloatArray | None, FloatArray, FloatArray, FloatArray]:
    """``(dx, dW, dgamma, dbeta)`` of one block from the gradient of its pooled output."""
    oc, k = weight.shape[0], weight.shape[-1]
    a = cache["a"]
    da = _unpool(dp, a, cache["pooled"])
    dy = np.where(a > 0, da, 0).reshape(oc, -1)  # relu'(0) = 0
    dz, dgamma, dbeta = batchnorm.backward(dy, cache["bn"])
    dW = (dz @ cache["cols"].T).reshape(weight.shape)
    dx = _col2im(weight.reshape(oc, -1).T @ dz, cache["x_shape"], k) if need_dx else None
    return dx, dW, dgamma, dbeta


def _features(params: ParamsIn, X: npt.ArrayLike, training: bool,
              running: MutableMapping[str, FloatArray]) -> tuple[FloatArray, list[Any]]:
    x = np.asarray(X, dtype=params["conv1.weight"].dtype)
    x = np.ascontiguousarray(x.transpose(1, 0, 2, 3))  # (N, C, H, W) -> (C, N, H, W)
    caches = []
    for b in (1, 2):
        x, cache = _block_forward(x, params[f"conv{b}.weight"], params[f"bn{b}.weight"],
                                  params[f"bn{b}.bias"], training, running, f"bn{b}")
        caches.append(cache)
    n = x.shape[1]
    return x.transpose(1, 0, 2, 3).reshape(n, -1), caches  # PyTorch's flatten order


def forward(params: ParamsIn, X: npt.ArrayLike, running: Mapping[str, FloatArray]) -> FloatArray:
    """Logits (N, 10) in eval mode: batch norm with the running statistics, no dropout."""
    flat, _ = _features(params, X, False, dict(running))
    h = np.maximum(flat @ params["fc1.weight"].T + params["fc1.bias"], 0)
    return h @ params["fc2.weight"].T + params["fc2.bias"]


def loss_and_grads(params: ParamsIn, X: npt.ArrayLike, labels: npt.ArrayLike,
                   running: MutableMapping[str, FloatArray] | None = None,
                   keep: FloatArray | None = None) -> tuple[float, Params]:
    """Mean cross-entropy of a training step and the gradients of every parameter.

    ``running`` (from :func:`init_running`) is updated as a training-mode forward does;
    ``keep`` is dropout's mask already divided by 1 - p, shape (N, 128), or None for no
    dropout. Returns ``(loss, grads)`` with ``grads`` keyed like ``params``.
    """
    running = init_running(params["fc1.weight"].dtype) if running is None else running
    flat, caches = _features(params, X, True, running)
    W3, W4 = params["fc1.weight"], params["fc2.weight"]
    hidden = flat @ W3.T
    hidden += params["fc1.bias"]
    active = hidden > 0
    h = np.maximum(hidden, 0, out=hidden)
    if keep is not None:
        h *= keep
    logits = h @ W4.T
    logits += params["fc2.bias"]
    loss, dz = _xent_inplace(logits, labels, 1.0)  # (P - Y) / N

    grads: Params = {"fc2.weight": dz.T @ h, "fc2.bias": dz.sum(axis=0)}
    dh = dz @ W4
    if keep is not None:
        dh *= keep
    dh *= active
    grads["fc1.weight"], grads["fc1.bias"] = dh.T @ flat, dh.sum(axis=0)
    c, n, hh, ww = caches[1]["pooled"].shape
    dp: FloatArray | None = np.ascontiguousarray(
        (dh @ W3).reshape(n, c, hh, ww).transpose(1, 0, 2, 3))
    for b in (2, 1):
        assert dp is not None  # block 2 hands its input gradient to block 1
        dp, grads[f"conv{b}.weight"], grads[f"bn{b}.weight"], grads[f"bn{b}.bias"] = (
            _block_backward(dp, params[f"conv{b}.weight"], caches[b - 1], need_dx=b > 1))
    return loss, {k: grads[k] for k in params}


def accuracy(params: ParamsIn, X: npt.ArrayLike, labels: npt.ArrayLike,
             running: Mapping[str, FloatArray]) -> float:
    """Fraction of images whose arg-max logit (eval mode) equals the label."""
    return _argmax_accuracy(forward(params, X, running), labels)
