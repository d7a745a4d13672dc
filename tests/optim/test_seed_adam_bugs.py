"""The source documents' optimizers, written out as they are, next to ours.

* Seed 000's momentum, ``v = mu v - alpha g; W += v``, IS our ``SGD(momentum=mu)`` while the
  learning rate is constant (the derivation is in the first test).
* Seed 000's Adam multiplies by ``sqrt(v_hat) + eps`` where Kingma & Ba divide, and seed 002's
  Adam bias-corrects with ``1 - beta`` where Kingma & Ba use ``1 - beta^t``. Both differ from our
  ``Adam``, which equals the published Algorithm 1 (also written out below, independently).

Every variant runs on the same problem with gradients from our autograd at its own current
weights, so only the update rule differs: seed 000's softmax regression for seed 000's rules,
seed 002's 2-4-1 sigmoid XOR net (mean squared error) for seed 002's.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
import tinygrad_edu.optim as optim

# An update rule: change the parameter arrays in place, given their gradients and the step t.
Update = Callable[[list[np.ndarray], list[np.ndarray], int], None]
Problem = tuple[Callable[[list[tg.Tensor]], tg.Tensor], list[np.ndarray]]


def softmax_regression() -> Problem:
    """Seed 000's model: softmax(X W + b), cross-entropy; W ~ U(-0.08, 0.08), b = 0 (1, C)."""
    rng = np.random.default_rng(0)
    X = tg.Tensor(rng.random((20, 6)))
    y = tg.tensor(rng.integers(0, 3, 20))
    init = [rng.uniform(-0.08, 0.08, (6, 3)), np.zeros((1, 3))]
    return (lambda ps: F.cross_entropy(X @ ps[0] + ps[1], y)), init


def xor_net() -> Problem:
    """Seed 002's model: sigmoid(sigmoid(X W1 + b1) W2 + b2) against XOR, mean squared error."""
    rng = np.random.default_rng(1)
    X = tg.Tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64))
    y = tg.Tensor(np.array([[0], [1], [1], [0]], dtype=np.float64))
    init = [rng.standard_normal(s) for s in [(2, 4), (1, 4), (4, 1), (1, 1)]]

    def loss(ps: list[tg.Tensor]) -> tg.Tensor:
        W1, b1, W2, b2 = ps
        out = ((X @ W1 + b1).sigmoid() @ W2 + b2).sigmoid()
        return ((out - y) * (out - y)).mean()

    return loss, init


def run_rule(problem: Problem, update: Update, steps: int) -> list[list[np.ndarray]]:
    """Parameters after each step of a hand-written rule."""
    loss_fn, init = problem
    params = [tg.Tensor(a.copy(), requires_grad=True) for a in init]
    out = []
    for t in range(1, steps + 1):
        for p in params:
            p.grad = None
        loss_fn(params).backward()
        update([p.data.numpy() for p in params], [p.grad.data.numpy() for p in params], t)
        out.append([p.data.numpy().copy() for p in params])
    return out


def run_ours(problem: Problem, make: Callable[[list[tg.Tensor]], optim.Optimizer], steps: int,
             lrs: list[float] | None = None) -> list[list[np.ndarray]]:
    """Parameters after each step of our optimizer (optionally with the lr set per step)."""
    loss_fn, init = problem
    params = [tg.Tensor(a.copy(), requires_grad=True) for a in init]
    opt = make(params)
    out = []
    for t in range(steps):
        if lrs is not None:
            opt.param_groups[0]["lr"] = lrs[t]
        opt.zero_grad()
        loss_fn(params).backward()
        opt.step()
        out.append([p.data.numpy().copy() for p in params])
    return out


def same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return all(np.allclose(x, y, rtol=1e-10, atol=1e-13) for x, y in zip(a, b, strict=True))


def max_difference(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b, strict=True))


# ------------------------------------------------------------------------ the rules as written


def seed000_momentum(alphas: Callable[[int], float], mu: float) -> Update:
    """Seed 000: ``v = mu * v - alpha * dW;  W += v`` (v starts at 0)."""
    velocity: list[np.ndarray] = []

    def update(params: list[np.ndarray], grads: list[np.ndarray], t: int) -> None:
        if not velocity:
            velocity.extend(np.zeros_like(p) for p in params)
        for p, g, v in zip(params, grads, velocity, strict=True):
            v[...] = mu * v - alphas(t) * g
            p += v

    return update


def kingma_ba_adam(alpha: float, beta1: float = 0.9, beta2: float = 0.999,
                   eps: float = 1e-8) -> Update:
    """Kingma & Ba (2015), Algorithm 1:
    m_t = b1 m + (1 - b1) g;  v_t = b2 v + (1 - b2) g^2;
    m^_t = m_t / (1 - b1^t);  v^_t = v_t / (1 - b2^t);  theta -= alpha m^_t / (sqrt(v^_t) + eps)
    """
    moments: list[list[np.ndarray]] = []

    def update(params: list[np.ndarray], grads: list[np.ndarray], t: int) -> None:
        if not moments:
            moments.extend([np.zeros_like(p), np.zeros_like(p)] for p in params)
        for p, g, mv in zip(params, grads, moments, strict=True):
            mv[0] = beta1 * mv[0] + (1 - beta1) * g
            mv[1] = beta2 * mv[1] + (1 - beta2) * g**2
            m_hat = mv[0] / (1 - beta1**t)
            v_hat = mv[1] / (1 - beta2**t)
            p -= alpha * m_hat / (np.sqrt(v_hat) + eps)

    return update


def seed000_adam(alpha: float, m_1: float = 0.9, m_2: float = 0.999,
                 eps: float = 10e-8) -> Update:
    """Seed 000's Adam: the bias corrections are right (1 - beta^(t+1) with t counted from 0),
    but the step MULTIPLIES: ``W -= alpha * p_hat * (sqrt(q_hat) + eps)``. (Its eps is
    10e-8 = 1e-7, and its t counts epochs, not minibatches; here one step is one epoch.)"""
    moments: list[list[np.ndarray]] = []

    def update(params: list[np.ndarray], grads: list[np.ndarray], t: int) -> None:
        if not moments:
            moments.extend([np.zeros_like(p), np.zeros_like(p)] for p in params)
        for p, g, pq in zip(params, grads, moments, strict=True):
            pq[0] = m_1 * pq[0] + (1 - m_1) * g
            pq[1] = m_2 * pq[1] + (1 - m_2) * g**2
            p_hat = pq[0] / (1 - m_1**t)
            q_hat = pq[1] / (1 - m_2**t)
            p -= alpha * p_hat * (np.sqrt(q_hat) + eps)

    return update


def seed002_adam(learning_rate: float, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8) -> Update:
    """Seed 002's Adam: divides correctly, but bias-corrects with ``1 - beta``, not
    ``1 - beta^t``: ``mHat = m / (1 - beta1)``, ``vHat = v / (1 - beta2)``."""
    moments: list[list[np.ndarray]] = []

    def update(params: list[np.ndarray], grads: list[np.ndarray], t: int) -> None:
        if not moments:
            moments.extend([np.zeros_like(p), np.zeros_like(p)] for p in params)
        for p, g, mv in zip(params, grads, moments, strict=True):
            mv[0] = beta1 * mv[0] + (1 - beta1) * g
            mv[1] = beta2 * mv[1] + (1 - beta2) * g**2
            m_hat = mv[0] / (1 - beta1)
            v_hat = mv[1] / (1 - beta2)
            p -= learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)

    return update


# ------------------------------------------------------------------------ momentum


@pytest.mark.parametrize("mu", [0.5, 0.9])
def test_seed000_momentum_is_our_sgd_momentum_at_constant_lr(mu: float) -> None:
    """Why they agree. PyTorch's SGD (ours) keeps b_1 = g_1, b_t = mu b_{t-1} + g_t and steps
    p -= lr b_t. Seed 000 keeps v_0 = 0, v_t = mu v_{t-1} - alpha g_t and steps W += v_t.
    Claim: v_t = -alpha b_t. At t = 1: v_1 = mu 0 - alpha g_1 = -alpha b_1. If it holds at
    t - 1: v_t = mu (-alpha b_{t-1}) - alpha g_t = -alpha (mu b_{t-1} + g_t) = -alpha b_t.
    So W += v_t is p -= alpha b_t, step for step. The induction needs dampening = 0 (PyTorch's
    b_t would carry (1 - tau) g_t) and the same alpha at every step (the seed's v remembers the
    alpha each gradient was scaled by; b is rescaled by the current lr) -- see the next test."""
    alpha = 0.1
    seed = run_rule(softmax_regression(), seed000_momentum(lambda t: alpha, mu), steps=8)
    ours = run_ours(softmax_regression(), lambda ps: optim.SGD(ps, lr=alpha, momentum=mu,
                                                               dampening=0), steps=8)
    for t, (a, b) in enumerate(zip(seed, ours, strict=True), start=1):
        assert same(a, b), f"step {t}"
    assert max_difference(seed[-1], softmax_regression()[1]) > 1e-3  # it moved


def test_seed000_momentum_differs_from_ours_when_the_lr_changes() -> None:
    lrs = [0.1, 0.05, 0.025, 0.0125, 0.00625]
    seed = run_rule(softmax_regression(), seed000_momentum(lambda t: lrs[t - 1], 0.9), steps=5)
    ours = run_ours(softmax_regression(), lambda ps: optim.SGD(ps, lr=lrs[0], momentum=0.9),
                    steps=5, lrs=lrs)
    assert same(seed[0], ours[0])  # v_0 = 0: the first step cannot tell them apart
    assert not same(seed[2], ours[2])


# ------------------------------------------------------------------------ Adam


@pytest.mark.parametrize("problem", [softmax_regression, xor_net])
def test_our_adam_is_kingma_and_bas(problem: Callable[[], Problem]) -> None:
    published = run_rule(problem(), kingma_ba_adam(alpha=0.01), steps=10)
    ours = run_ours(problem(), lambda ps: optim.Adam(ps, lr=0.01), steps=10)
    for t, (a, b) in enumerate(zip(published, ours, strict=True), start=1):
        assert same(a, b), f"step {t}"


def test_seed000_adam_differs_from_ours() -> None:
    """Multiplying by sqrt(v_hat) + eps instead of dividing: at t = 1, m_hat = g and
    sqrt(v_hat) = |g|, so the seed steps alpha g (|g| + eps) ~ alpha g |g| -- tiny for small
    gradients -- where Adam steps alpha g / (|g| + eps) ~ alpha sign(g), the same size for every
    weight. The trajectories part from the first step."""
    alpha = 0.1  # seed 000's setting
    seed = run_rule(softmax_regression(), seed000_adam(alpha), steps=3)
    ours = run_ours(softmax_regression(), lambda ps: optim.Adam(ps, lr=alpha, eps=10e-8),
                    steps=3)
    published = run_rule(softmax_regression(), kingma_ba_adam(alpha, eps=10e-8), steps=3)
    assert all(same(a, b) for a, b in zip(ours, published, strict=True))
    for t in range(3):
        assert not same(seed[t], ours[t])
    # Adam's first step moves every weight with a nonzero gradient by ~alpha; the seed's by
    # alpha |g|^2-ish, far less.
    start = softmax_regression()[1]
    assert max_difference(ours[0], start) == pytest.approx(alpha, rel=1e-3)
    assert max_difference(seed[0], start) < alpha / 10


def test_seed002_adam_agrees_at_the_first_step_then_differs() -> None:
    """1 - beta^t equals 1 - beta at t = 1 only. From t = 2 on, seed 002's m_hat is too large by
    (1 - beta1^t) / (1 - beta1) (1.9 at t = 2) and v_hat by (1 - beta2^t) / (1 - beta2)."""
    lr = 0.1
    seed = run_rule(xor_net(), seed002_adam(lr), steps=4)
    ours = run_ours(xor_net(), lambda ps: optim.Adam(ps, lr=lr), steps=4)
    published = run_rule(xor_net(), kingma_ba_adam(lr), steps=4)
    assert all(same(a, b) for a, b in zip(ours, published, strict=True))
    assert same(seed[0], ours[0])
    for t in range(1, 4):
        assert not same(seed[t], ours[t]), f"step {t + 1}"
    assert max_difference(seed[-1], ours[-1]) > 1e-3
