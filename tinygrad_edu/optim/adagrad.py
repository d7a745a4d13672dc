"""Adagrad (Duchi, Hazan & Singer, 2011)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Array, Optimizer, ParamGroup, Params, nonnegative, require

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """``Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
    eps=1e-10, maximize=False)``: per-coordinate step sizes from the sum of squared gradients.

    Update rule (PyTorch's algorithm; lr = gamma, lr_decay = eta, weight_decay = lambda,
    initial_accumulator_value = tau), with state_sum_0 = tau, for t = 1, 2, ...::

        g_t = -grad if maximize else grad
        if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
        gamma~ = gamma / (1 + (t - 1) * eta)
        state_sum_t = state_sum_{t-1} + g_t^2
        theta_t = theta_{t-1} - gamma~ * g_t / (sqrt(state_sum_t) + eps)

    Coordinates that have seen large gradients take small steps; the sum only grows, so every
    step size shrinks over time (Adadelta and RMSprop replace the sum by a running average).
    """

    def __init__(self, params: Params, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "eps": eps,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, hp: Any) -> None:
        require(hp, "lr", nonnegative, "the learning rate must be >= 0")
        require(hp, "lr_decay", nonnegative, "must be >= 0")
        require(hp, "weight_decay", nonnegative, "must be >= 0")
        require(hp, "initial_accumulator_value", nonnegative, "must be >= 0")
        require(hp, "eps", nonnegative, "must be >= 0")

    def _update(self, p: Tensor, grad: Array, state: dict[str, Any], group: ParamGroup) -> None:
        param = p._data
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(param, group["initial_accumulator_value"])
        state["step"] += 1
        t = state["step"]

        work = self._scratch(p, 2 if (weight_decay != 0 or maximize) else 1)
        std = work[0]
        g = self._gradient(param, grad, weight_decay, maximize, out=work[-1])

        clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])  # gamma~
        state_sum = state["sum"]  # state_sum_t = state_sum_{t-1} + g_t^2
        np.multiply(g, g, out=std)
        state_sum += std
        np.sqrt(state_sum, out=std)  # theta_t = theta_{t-1} - gamma~ g_t / (sqrt(sum) + eps)
        std += group["eps"]
        np.divide(g, std, out=std)
        std *= clr
        param -= std
