"""Adam (Kingma & Ba, 2015, Algorithm 1) as plain NumPy on a dict of arrays, no autograd.

The published rule, for every parameter ``p`` with gradient ``g`` at step ``t = 1, 2, ...``::

    m = beta1 m + (1 - beta1) g              m, v start at 0
    v = beta2 v + (1 - beta2) g^2
    p = p - lr * m_hat / (sqrt(v_hat) + eps)
    m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)

Seed 000 multiplies by ``sqrt(v_hat) + eps`` instead of dividing; seed 002 bias-corrects with
``1 - beta`` instead of ``1 - beta^t``. This is the closed-form partner of ``optim.Adam`` that
benchmarks and examples pair with the ``loss_and_grads`` of the other reference modules: state
and one work buffer per array are allocated once and every update is in place.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ._types import FloatArray

__all__ = ["Adam"]


class Adam:
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)``; ``step(grads)`` updates the
    arrays of ``params`` in place from a dict of gradients with the same keys."""

    def __init__(self, params: Mapping[str, FloatArray], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.params = params
        self.lr, self.eps = float(lr), float(eps)
        self.beta1, self.beta2 = float(betas[0]), float(betas[1])
        self.t = 0
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self._tmp = {k: np.empty_like(p) for k, p in params.items()}

    def step(self, grads: Mapping[str, FloatArray]) -> None:
        self.t += 1
        beta1, beta2 = self.beta1, self.beta2
        # lr * m_hat / (sqrt(v_hat) + eps) = step_size * m / (sqrt(v) / sqrt(bc2) + eps)
        step_size = self.lr / (1 - beta1**self.t)
        sqrt_bc2 = math.sqrt(1 - beta2**self.t)
        for k, p in self.params.items():
            g, m, v, tmp = grads[k], self.m[k], self.v[k], self._tmp[k]
            m *= beta1
            np.multiply(g, 1 - beta1, out=tmp)
            m += tmp
            v *= beta2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - beta2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp /= sqrt_bc2
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            p -= tmp
