"""Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import (
    Array,
    Optimizer,
    ParamGroup,
    Params,
    check_betas,
    nonnegative,
    require,
)

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
    maximize=False, decoupled_weight_decay=False)``: adaptive moment estimation.

    Update rule (Kingma & Ba's Algorithm 1, as PyTorch writes it; lr = gamma,
    weight_decay = lambda), with m_0 = v_0 = v_0^max = 0, for t = 1, 2, ...::

        g_t = -grad if maximize else grad
        if lambda != 0:  g_t = g_t + lambda * theta_{t-1}     (AdamW: see below)
        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
        m_hat = m_t / (1 - beta1^t)
        if amsgrad:
            v_t^max = max(v_{t-1}^max, v_t)
            v_hat = v_t^max / (1 - beta2^t)
        else:
            v_hat = v_t / (1 - beta2^t)
        theta_t = theta_{t-1} - gamma * m_hat / (sqrt(v_hat) + eps)

    The bias corrections divide by 1 - beta^t, with t the number of steps this parameter has
    taken: m and v start at 0, so early averages are too small by exactly that factor. (Seed 002
    divides by 1 - beta, which agrees at t = 1 only; seed 000 multiplies by sqrt(v_hat) + eps
    instead of dividing. tests/optim/test_seed_adam_bugs.py shows both differ.)

    ``eps`` is added to sqrt(v_hat), outside the square root. With
    ``decoupled_weight_decay=True`` (what ``AdamW`` is) the decay shrinks the parameter directly,
    theta_{t-1} <- theta_{t-1} * (1 - gamma * lambda), and stays out of m and v.
    """

    def __init__(self, params: Params, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        defaults = {"lr": lr, "betas": tuple(betas) if isinstance(betas, list) else betas,
                    "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _validate(self, hp: Any) -> None:
        require(hp, "lr", nonnegative, "the learning rate must be >= 0")
        check_betas(hp)
        require(hp, "eps", nonnegative, "must be >= 0")
        require(hp, "weight_decay", nonnegative, "must be >= 0")

    def _update(self, p: Tensor, grad: Array, state: dict[str, Any], group: ParamGroup) -> None:
        param = p._data
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)  # m
            state["exp_avg_sq"] = np.zeros_like(param)  # v
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)  # v^max
        state["step"] += 1
        t = state["step"]

        coupled_decay = 0 if decoupled else weight_decay
        work = self._scratch(p, 2 if (coupled_decay != 0 or maximize) else 1)
        tmp = work[0]
        if decoupled and weight_decay != 0:  # AdamW: theta <- theta (1 - gamma lambda)
            param *= 1 - lr * weight_decay
        g = self._gradient(param, grad, coupled_decay, maximize, out=work[-1])

        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1  # m_t = beta1 m_{t-1} + (1 - beta1) g_t
        np.multiply(g, 1 - beta1, out=tmp)
        m += tmp
        v *= beta2  # v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - beta2
        v += tmp
        if group["amsgrad"]:
            v_max = state["max_exp_avg_sq"]
            np.maximum(v_max, v, out=v_max)
            v = v_max

        # theta_t = theta_{t-1} - gamma m_hat / (sqrt(v_hat) + eps), with the two bias
        # corrections kept as scalars so no array is divided twice:
        #   sqrt(v_hat) = sqrt(v) / sqrt(1 - beta2^t)     m_hat = m / (1 - beta1^t)
        denom = tmp
        np.sqrt(v, out=denom)
        denom /= math.sqrt(1 - beta2**t)
        denom += eps
        np.divide(m, denom, out=denom)
        denom *= lr / (1 - beta1**t)
        param -= denom


class AdamW(Adam):
    """``AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
    amsgrad=False, maximize=False)``: Adam with decoupled weight decay.

    Update rule (as PyTorch writes it), for t = 1, 2, ...::

        g_t = -grad if maximize else grad
        theta_{t-1} = theta_{t-1} - gamma * lambda * theta_{t-1}     (decay, not in g_t)
        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
        m_hat = m_t / (1 - beta1^t)
        v_hat = max(v_{t-1}^max, v_t) / (1 - beta2^t)  if amsgrad  else  v_t / (1 - beta2^t)
        theta_t = theta_{t-1} - gamma * m_hat / (sqrt(v_hat) + eps)

    With Adam's L2 weight decay the penalty's gradient goes through m and v and is rescaled by
    the adaptive denominator; here every weight shrinks by the same factor 1 - gamma * lambda.
    """

    def __init__(self, params: Params, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
