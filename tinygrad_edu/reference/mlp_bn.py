"""An MLP with batch norm and dropout, hand-written backprop, NumPy only (model G).

The network, for a batch ``X`` (N, 784)::

    fc1 (784 -> 512, no bias) -> bn1 -> relu -> dropout -> fc2 (512 -> 10) -> softmax-CE

Parameters are keyed and shaped like the PyTorch module's state dict (``fc1.weight`` is
(512, 784), out before in). fc1 has no bias: batch norm subtracts the mean right after.
Backward, with ``keep`` dropout's mask divided by 1 - p and ``P`` the softmax::

    dZ2 = (P - Y) / N          dW2 = dZ2^T H          db2 = sum_n dZ2
    dH  = dZ2 W2 * keep * [bn1 > 0]
    dZ1, dgamma, dbeta = batchnorm.backward(dH)         (the closed form of :mod:`.batchnorm`)
    dW1 = dZ1^T X
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping

import numpy as np
import numpy.typing as npt

from . import batchnorm
from ._types import FloatArray, Params, ParamsIn
from .softmax_regression import _xent_inplace

__all__ = ["SHAPES", "init_params", "init_running", "loss_and_grads"]

SHAPES: dict[str, tuple[int, ...]] = {
    "fc1.weight": (512, 784), "bn1.weight": (512,), "bn1.bias": (512,),
    "fc2.weight": (10, 512), "fc2.bias": (10,),
}
EPS, MOMENTUM = 1e-5, 0.1


def init_params(rng: np.random.Generator | int | None = None,
                dtype: npt.DTypeLike = np.float32) -> Params:
    """PyTorch's default initialisation (``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for the linear
    layers; batch norm weight 1, bias 0)."""
    gen = np.random.default_rng(rng)
    params: Params = {}
    for name, shape in SHAPES.items():
        if name.startswith("bn"):
            params[name] = np.full(shape, 1.0 if name.endswith("weight") else 0.0, dtype=dtype)
        else:
            bound = 1 / math.sqrt(SHAPES[name.split(".")[0] + ".weight"][1])
            params[name] = gen.uniform(-bound, bound, size=shape).astype(dtype)
    return params


def init_running(dtype: npt.DTypeLike = np.float32) -> dict[str, FloatArray]:
    return {"bn1.mean": np.zeros(512, dtype=dtype), "bn1.var": np.ones(512, dtype=dtype)}


def loss_and_grads(params: ParamsIn, X: npt.ArrayLike, labels: npt.ArrayLike,
                   running: MutableMapping[str, FloatArray] | None = None,
                   keep: FloatArray | None = None) -> tuple[float, Params]:
    """Mean cross-entropy of a training step and the gradients (keyed like ``params``);
    ``running`` is updated as a training-mode forward does."""
    x = np.asarray(X, dtype=params["fc1.weight"].dtype)
    running = init_running(x.dtype) if running is None else running
    z = x @ params["fc1.weight"].T
    stats = {"mean": running["bn1.mean"], "var": running["bn1.var"]}
    y, cache = batchnorm.forward(z, params["bn1.weight"], params["bn1.bias"], axis=0, eps=EPS,
                                 momentum=MOMENTUM, running=stats)
    active = y > 0
    h = np.maximum(y, 0, out=y)
    if keep is not None:
        h *= keep
    logits = h @ params["fc2.weight"].T
    logits += params["fc2.bias"]
    loss, dz = _xent_inplace(logits, labels, 1.0)
    grads: Params = {"fc2.weight": dz.T @ h, "fc2.bias": dz.sum(axis=0)}
    dh = dz @ params["fc2.weight"]
    if keep is not None:
        dh *= keep
    dh *= active
    dz1, grads["bn1.weight"], grads["bn1.bias"] = batchnorm.backward(dh, cache)
    grads["fc1.weight"] = dz1.T @ x
    return loss, {k: grads[k] for k in params}
