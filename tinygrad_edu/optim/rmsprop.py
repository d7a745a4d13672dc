"""RMSprop (Hinton's lecture 6e), optionally centered (Graves, 2013) and with momentum."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import (
    Array,
    Optimizer,
    ParamGroup,
    Params,
    in_unit_interval,
    nonnegative,
    require,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
    centered=False, maximize=False)``: divide the gradient by a running RMS of its magnitude.

    Update rule (PyTorch's algorithm; lr = gamma, weight_decay = lambda, momentum = mu), with
    v_0 = 0, g^ave_0 = 0, b_0 = 0, for t = 1, 2, ...::

        g_t = -grad if maximize else grad
        if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
        v_t = alpha * v_{t-1} + (1 - alpha) * g_t^2
        v~_t = v_t
        if centered:
            g^ave_t = alpha * g^ave_{t-1} + (1 - alpha) * g_t
            v~_t = v_t - (g^ave_t)^2            (a running variance instead of a mean square)
        if mu > 0:
            b_t = mu * b_{t-1} + g_t / (sqrt(v~_t) + eps)
            theta_t = theta_{t-1} - gamma * b_t
        else:
            theta_t = theta_{t-1} - gamma * g_t / (sqrt(v~_t) + eps)

    ``eps`` is added outside the square root (TensorFlow's RMSprop adds it inside).
    """

    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                    "momentum": momentum, "centered": centered, "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, hp: Any) -> None:
        require(hp, "lr", nonnegative, "the learning rate must be >= 0")
        require(hp, "alpha", in_unit_interval, "the smoothing constant must be in [0, 1]")
        require(hp, "eps", nonnegative, "must be >= 0")
        require(hp, "weight_decay", nonnegative, "must be >= 0")
        require(hp, "momentum", nonnegative, "must be >= 0")

    def _update(self, p: Tensor, grad: Array, state: dict[str, Any], group: ParamGroup) -> None:
        param = p._data
        lr, alpha, eps, mu = group["lr"], group["alpha"], group["eps"], group["momentum"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)  # v
            if mu > 0:
                state["momentum_buffer"] = np.zeros_like(param)  # b
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)  # g^ave
        state["step"] += 1

        work = self._scratch(p, 2 if (weight_decay != 0 or maximize) else 1)
        avg = work[0]
        g = self._gradient(param, grad, weight_decay, maximize, out=work[-1])

        v = state["square_avg"]  # v_t = alpha v_{t-1} + (1 - alpha) g_t^2
        v *= alpha
        np.multiply(g, g, out=avg)
        avg *= 1 - alpha
        v += avg
        if group["centered"]:
            g_ave = state["grad_avg"]  # g^ave_t = alpha g^ave_{t-1} + (1 - alpha) g_t
            g_ave *= alpha
            np.multiply(g, 1 - alpha, out=avg)
            g_ave += avg
            np.multiply(g_ave, g_ave, out=avg)  # sqrt(v_t - (g^ave_t)^2)
            np.subtract(v, avg, out=avg)
            np.sqrt(avg, out=avg)
        else:
            np.sqrt(v, out=avg)
        avg += eps

        np.divide(g, avg, out=avg)  # g_t / (sqrt(v~_t) + eps)
        if mu > 0:
            buf = state["momentum_buffer"]  # b_t = mu b_{t-1} + g_t / (sqrt(v~_t) + eps)
            buf *= mu
            buf += avg
            np.multiply(buf, lr, out=avg)
        else:
            avg *= lr
        param -= avg
