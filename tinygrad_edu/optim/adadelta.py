"""Adadelta (Zeiler, 2012)."""

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

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """``Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False)``:
    steps whose size comes from running averages of past squared gradients and updates.

    Update rule (PyTorch's algorithm; lr = gamma, weight_decay = lambda), with v_0 = 0 (square
    avg) and u_0 = 0 (accumulated updates), for t = 1, 2, ...::

        g_t = -grad if maximize else grad
        if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
        v_t = rho * v_{t-1} + (1 - rho) * g_t^2
        Delta x_t = sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g_t
        u_t = rho * u_{t-1} + (1 - rho) * (Delta x_t)^2
        theta_t = theta_{t-1} - gamma * Delta x_t

    The ratio of RMS(updates) to RMS(gradients) gives steps in the units of the parameter, so
    Zeiler's method needs no learning rate (gamma = 1); here ``eps`` is inside both roots.
    """

    def __init__(self, params: Params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, hp: Any) -> None:
        require(hp, "lr", nonnegative, "the learning rate must be >= 0")
        require(hp, "rho", in_unit_interval, "the decay rate must be in [0, 1]")
        require(hp, "eps", nonnegative, "must be >= 0")
        require(hp, "weight_decay", nonnegative, "must be >= 0")

    def _update(self, p: Tensor, grad: Array, state: dict[str, Any], group: ParamGroup) -> None:
        param = p._data
        rho, eps = group["rho"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)  # v
            state["acc_delta"] = np.zeros_like(param)  # u
        state["step"] += 1

        work = self._scratch(p, 3 if (weight_decay != 0 or maximize) else 2)
        tmp, delta = work[0], work[1]
        g = self._gradient(param, grad, weight_decay, maximize, out=work[-1])

        v, u = state["square_avg"], state["acc_delta"]
        v *= rho  # v_t = rho v_{t-1} + (1 - rho) g_t^2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - rho
        v += tmp
        np.add(v, eps, out=tmp)  # Delta x_t = sqrt(u_{t-1} + eps) / sqrt(v_t + eps) * g_t
        np.sqrt(tmp, out=tmp)
        np.add(u, eps, out=delta)
        np.sqrt(delta, out=delta)
        delta /= tmp
        delta *= g
        u *= rho  # u_t = rho u_{t-1} + (1 - rho) Delta x_t^2
        np.multiply(delta, delta, out=tmp)
        tmp *= 1 - rho
        u += tmp
        delta *= group["lr"]  # theta_t = theta_{t-1} - gamma Delta x_t
        param -= delta
