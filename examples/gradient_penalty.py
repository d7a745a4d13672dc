"""A critic trained with a gradient penalty: backprop through a gradient (WGAN-GP).

A critic D: R^2 -> R (a 2-32-32-1 tanh MLP) learns to tell samples of P = N((2, 2), I) from
samples of Q = N((0, 0), I). The Wasserstein-1 distance is

    W(P, Q) = max over 1-Lipschitz D of  E_P[D(x)] - E_Q[D(x)]

and for two Gaussians with the same covariance it is |m_P - m_Q| = 2 sqrt(2) = 2.83, reached by
the linear D(x) = x . (m_P - m_Q) / |m_P - m_Q|, whose gradient has norm 1 everywhere. WGAN-GP
(Gulrajani et al., 2017) keeps D near 1-Lipschitz with a penalty on the norm of dD/dx at points
x^ between the two samples:

    loss = E_Q[D] - E_P[D] + lambda * E[(|dD(x^)/dx^|_2 - 1)^2],   x^ = e x_P + (1 - e) x_Q

The penalty contains a gradient, so training needs its derivative with respect to D's weights:
``grad(D(x^).sum(), x^, create_graph=True)`` records the backward pass, and ``loss.backward()``
then differentiates through it (second derivatives of every layer).

The penalty is soft, so the optimum is a little steeper than 1: for D of slope s along
m_P - m_Q the loss is -s W + lambda (s - 1)^2, smallest at s* = 1 + W / (2 lambda) = 1.141, where
the estimate is s* W = W + W^2 / (2 lambda) = 3.228. The trained critic lands there: |dD/dx|
about 1.14 everywhere and E_P[D] - E_Q[D] about 3.2, so estimate / slope recovers W = 2.83.

    python examples/gradient_penalty.py
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn, optim

LAMBDA = 10.0  # the paper's weight of the penalty
DISTANCE = float(np.sqrt(8.0))  # |(2, 2) - (0, 0)|: the closed-form W1 distance
SLOPE = 1 + DISTANCE / (2 * LAMBDA)  # the optimal critic's |dD/dx| under the soft penalty


def make_critic(seed: int = 0, dtype: Any = tg.float32) -> nn.Sequential:
    tg.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 32, dtype=dtype), nn.Tanh(),
                         nn.Linear(32, 32, dtype=dtype), nn.Tanh(), nn.Linear(32, 1, dtype=dtype))


def gradient_penalty(critic: nn.Module, x_hat: tg.Tensor) -> tuple[tg.Tensor, tg.Tensor]:
    """(mean of (|dD/dx|_2 - 1)^2 over the rows of ``x_hat``, the norms), differentiable with
    respect to the critic's weights: the gradient dD/dx is recorded (create_graph=True)."""
    x_hat = x_hat.detach().requires_grad_()
    (grad_x,) = tg.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norms = ((grad_x * grad_x).sum(1) + 1e-12).sqrt()  # one norm per sample
    return ((norms - 1) ** 2).mean(), norms


def critic_loss(critic: nn.Module, real: tg.Tensor, fake: tg.Tensor, mix: tg.Tensor
                ) -> tuple[tg.Tensor, tg.Tensor, tg.Tensor]:
    """(loss, Wasserstein estimate E_P[D] - E_Q[D], mean gradient norm) for one batch;
    ``mix`` (N, 1) in [0, 1] places the penalty's points between ``real`` and ``fake``."""
    estimate = critic(real).mean() - critic(fake).mean()
    penalty, norms = gradient_penalty(critic, mix * real + (1 - mix) * fake)
    return -estimate + LAMBDA * penalty, estimate.detach(), norms.mean().detach()


def main(steps: int = 400, batch: int = 256, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    critic = make_critic(seed)
    optimizer = optim.Adam(critic.parameters(), lr=2e-3, betas=(0.5, 0.9))
    print(f"critic 2-32-32-1 tanh, P = N((2,2), I), Q = N(0, I), lambda = {LAMBDA:g}; "
          f"W1(P, Q) = 2 sqrt 2 = {DISTANCE:.4f}")
    print(f"{'step':>5}  {'loss':>9}  {'E_P[D] - E_Q[D]':>15}  {'mean |dD/dx|':>12}")
    history = []
    for step in range(steps + 1):
        real = tg.tensor(rng.normal(2.0, 1.0, (batch, 2)).astype(np.float32))
        fake = tg.tensor(rng.normal(0.0, 1.0, (batch, 2)).astype(np.float32))
        mix = tg.tensor(rng.uniform(0.0, 1.0, (batch, 1)).astype(np.float32))
        loss, estimate, norm = critic_loss(critic, real, fake, mix)
        if step < steps:
            optimizer.zero_grad()
            loss.backward()  # through the recorded gradient: second derivatives
            optimizer.step()
        history.append((loss.item(), estimate.item(), norm.item()))
        if step % 50 == 0:
            print(f"{step:>5}  {loss.item():>9.4f}  {estimate.item():>15.4f}  "
                  f"{norm.item():>12.4f}")
    # the estimate on a large fresh sample, and the gradient norms over it
    real = tg.tensor(rng.normal(2.0, 1.0, (4096, 2)).astype(np.float32))
    fake = tg.tensor(rng.normal(0.0, 1.0, (4096, 2)).astype(np.float32))
    with tg.no_grad():
        estimate = (critic(real).mean() - critic(fake).mean()).item()
    _, norms = gradient_penalty(critic, tg.cat([real, fake]))
    norms_np = norms.detach().numpy()
    print(f"after {steps} steps, on 2 x 4096 fresh samples: E_P[D] - E_Q[D] = {estimate:.4f} "
          f"(closed form {SLOPE * DISTANCE:.4f}), |dD/dx| = {norms_np.mean():.4f} +- "
          f"{norms_np.std():.4f} (closed form {SLOPE:.4f})")
    print(f"estimate / slope = {estimate / norms_np.mean():.4f} (W1 = 2 sqrt 2 = {DISTANCE:.4f})")
    return {"estimate": estimate, "grad_norm_mean": float(norms_np.mean()),
            "grad_norm_std": float(norms_np.std()), "history": history}


if __name__ == "__main__":
    main()
