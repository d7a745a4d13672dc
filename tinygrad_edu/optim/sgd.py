"""Stochastic gradient descent, optionally with (Nesterov) momentum and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Array, Optimizer, ParamGroup, Params, finite, nonnegative, require

__all__ = ["SGD"]


class SGD(Optimizer):
    """``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
    maximize=False)``: gradient descent, optionally with momentum.

    Update rule (PyTorch's algorithm; lr = gamma, weight_decay = lambda, momentum = mu,
    dampening = tau), for t = 1, 2, ...::

        g_t = -grad if maximize else grad
        if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
        if mu != 0:
            b_t = g_t                                 if t == 1
                  mu * b_{t-1} + (1 - tau) * g_t      otherwise
            g_t = g_t + mu * b_t   if nesterov   else   b_t
        theta_t = theta_{t-1} - gamma * g_t

    This is the "b = mu b + g; p -= lr b" form. The textbook form "v = mu v - lr g; p += v"
    (seed 000) is the same trajectory with v = -lr b while lr stays constant; when lr changes
    (a scheduler), this form rescales the whole accumulated velocity by the new lr.
    Nesterov momentum needs momentum > 0 and dampening = 0.
    """

    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, hp: Any) -> None:
        require(hp, "lr", nonnegative, "the learning rate must be >= 0")
        require(hp, "momentum", nonnegative, "must be >= 0")
        require(hp, "dampening", finite, "must be a finite number")
        require(hp, "weight_decay", nonnegative, "must be >= 0")
        if hp["nesterov"] and (hp["momentum"] <= 0 or hp["dampening"] != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum and zero dampening (got nesterov=True "
                f"with momentum={hp['momentum']!r}, dampening={hp['dampening']!r})"
            )

    def _update(self, p: Tensor, grad: Array, state: dict[str, Any], group: ParamGroup) -> None:
        lr, mu = group["lr"], group["momentum"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        if mu == 0 and weight_decay == 0 and not maximize:  # plain SGD: theta -= gamma grad
            step = np.multiply(grad, lr, out=self._scratch(p, 1)[0])
            p._data -= step
            return
        needs_gradient_buffer = weight_decay != 0 or maximize
        work = self._scratch(p, 2 if needs_gradient_buffer else 1)
        tmp = work[0]
        g = self._gradient(p._data, grad, weight_decay, maximize, out=work[-1])

        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:  # b_1 = g_1: the first step is not dampened
                buf = state["momentum_buffer"] = g.astype(p._data.dtype, copy=True)
            else:  # b_t = mu b_{t-1} + (1 - tau) g_t
                buf *= mu
                if group["dampening"] != 0:
                    np.multiply(g, 1 - group["dampening"], out=tmp)
                    buf += tmp
                else:
                    buf += g
            if group["nesterov"]:  # g_t = g_t + mu b_t
                np.multiply(buf, mu, out=tmp)
                tmp += g
                g = tmp
            else:
                g = buf

        param = p._data  # theta_t = theta_{t-1} - gamma g_t
        np.multiply(g, lr, out=tmp)
        param -= tmp
