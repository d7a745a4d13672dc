"""Autograd gradients equal the closed forms the documents derive by hand (tinygrad_edu.reference).

For drawn shapes and values (float64), the gradient that backward() computes through the graph
of small ops must equal the hand-derived formula, to rtol 1e-6:
  dL/dlogits = (softmax - t) / N                   (seeds 001, 003)
  dL/dW = X^T (P - Y) / N,  dL/db = mean(P - Y)    (seeds 000, 003), plus L1 sign(W), L2 2W
  the two-layer ReLU net's hand backprop           (seed 001)
  the 2-4-1 sigmoid-MSE net, sigma' = sigma(1 - sigma)   (seed 002)
  logistic regression: dL/dW = X^T (p - y) / N     (seed 004)
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu.reference import (
    logistic_regression,
    penalties,
    softmax_regression,
    two_layer_net,
    xor_mlp,
)

RTOL, ATOL = 1e-6, 1e-10
values = st.floats(-3, 3, allow_nan=False, width=64)
sizes = st.integers(1, 5)


def matrix(rows: int, cols: int) -> st.SearchStrategy[np.ndarray]:
    return arrays(np.float64, (rows, cols), elements=values)


def leaf(array: np.ndarray) -> tg.Tensor:
    return tg.tensor(array, requires_grad=True)


def assert_close(actual: tg.Tensor | None, expected: np.ndarray) -> None:
    assert actual is not None, "no gradient reached this leaf"
    assert actual.dtype == np.float64
    np.testing.assert_allclose(actual.data.numpy(), expected, rtol=RTOL, atol=ATOL)


@st.composite
def classification(draw, min_classes: int = 2):
    n, d, c = draw(sizes), draw(sizes), draw(st.integers(min_classes, 5))
    X = draw(matrix(n, d))
    W = draw(matrix(d, c))
    b = draw(arrays(np.float64, (c,), elements=values))
    labels = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    return X, W, b, labels


@given(classification(), st.booleans())
def test_cross_entropy_gradient_is_softmax_minus_target_over_n(data, one_hot_targets):
    X, W, _, labels = data
    logits = leaf(X @ W)
    c = W.shape[1]
    target = np.eye(c)[labels] if one_hot_targets else labels
    loss = F.cross_entropy(logits, target)
    loss.backward()
    expected_loss, expected_grad = softmax_regression.cross_entropy_and_grad(logits.data.numpy(),
                                                                             labels)
    probs = np.exp(logits.data.numpy() - logits.data.numpy().max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    assert_close(logits.grad, (probs - np.eye(c)[labels]) / len(labels))
    assert_close(logits.grad, expected_grad)
    np.testing.assert_allclose(loss.item(), expected_loss, rtol=RTOL)


@given(st.integers(2, 6).flatmap(lambda c: st.tuples(
    arrays(np.float64, (c,), elements=values), st.integers(0, c - 1))))
def test_single_sample_cross_entropy_seed_001(sample):
    logits_np, label = sample
    logits = leaf(logits_np)
    F.cross_entropy(logits, label).backward()
    p = np.exp(logits_np - logits_np.max())
    p /= p.sum()
    assert_close(logits.grad, p - np.eye(len(p))[label])


@given(classification(), st.sampled_from([0.0, 0.3]), st.sampled_from([0.0, 0.2]))
def test_softmax_regression_gradients_seed_000_003(data, l1, l2):
    X, W_np, b_np, labels = data
    assume(l1 == 0 or np.abs(W_np).min() > 1e-9)  # |w| is not differentiable at 0
    W, b = leaf(W_np), leaf(b_np)
    loss = F.cross_entropy(tg.tensor(X) @ W + b, labels)
    loss = loss + F.l1_penalty(W, l1) + F.l2_penalty(W, l2)
    loss.backward()

    c = W_np.shape[1]
    params = {"W": W_np.copy(), "b": b_np.copy()}
    expected_loss, grads = softmax_regression.loss_and_grads(params, X, np.eye(c)[labels],
                                                             l1=l1, l2=l2)
    # the formula itself, written out: dW = X^T (P - Y) / N + l1 sign(W) + 2 l2 W
    P = softmax_regression.softmax(X @ W_np + b_np)
    Y = np.eye(c)[labels]
    by_hand = X.T @ (P - Y) / len(X) + l1 * np.sign(W_np) + 2 * l2 * W_np
    assert_close(W.grad, by_hand)
    assert_close(W.grad, grads["W"])
    assert_close(b.grad, (P - Y).mean(axis=0))
    assert_close(b.grad, grads["b"])
    np.testing.assert_allclose(loss.item(), expected_loss, rtol=RTOL)


@given(arrays(np.float64, st.tuples(sizes, sizes), elements=values), st.floats(0.01, 3))
def test_penalty_gradients_seed_003(w_np, lam):
    assume(np.abs(w_np).min() > 1e-9)
    w1, w2 = leaf(w_np), leaf(w_np)
    F.l1_penalty(w1, lam).backward()
    F.l2_penalty(w2, lam).backward()
    assert_close(w1.grad, lam * np.sign(w_np))
    assert_close(w1.grad, penalties.l1_penalty_and_grad(w_np, lam)[1])
    assert_close(w2.grad, 2 * lam * w_np)
    assert_close(w2.grad, penalties.l2_penalty_and_grad(w_np, lam)[1])


@st.composite
def two_layer_problem(draw):
    n, d, h, c = draw(sizes), draw(sizes), draw(sizes), draw(st.integers(2, 5))
    params = {
        "W1": draw(matrix(d, h)), "b1": draw(arrays(np.float64, (h,), elements=values)),
        "W2": draw(matrix(h, c)), "b2": draw(arrays(np.float64, (c,), elements=values)),
    }
    X = draw(matrix(n, d))
    labels = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    return params, X, labels


@given(two_layer_problem())
def test_two_layer_relu_net_hand_backprop_seed_001(problem):
    params, X, labels = problem
    # Seed 001 takes relu'(0) = 1, PyTorch (and we) take 0: compare away from exact zeros.
    assume(np.abs(X @ params["W1"] + params["b1"]).min() > 1e-6)
    leaves = {k: leaf(v) for k, v in params.items()}
    hidden = (tg.tensor(X) @ leaves["W1"] + leaves["b1"]).relu()
    loss = F.cross_entropy(hidden @ leaves["W2"] + leaves["b2"], labels)
    loss.backward()
    c = params["W2"].shape[1]
    expected_loss, grads = two_layer_net.loss_and_grads(params, X, np.eye(c)[labels])
    for name, tensor in leaves.items():
        assert_close(tensor.grad, grads[name])
    np.testing.assert_allclose(loss.item(), expected_loss, rtol=RTOL)


@given(st.integers(1, 6).flatmap(lambda h: st.tuples(
    matrix(2, h), arrays(np.float64, (h,), elements=values), matrix(h, 1),
    arrays(np.float64, (1,), elements=values))))
def test_xor_sigmoid_mse_net_seed_002(weights):
    W1, b1, W2, b2 = weights
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    X, y = np.asarray(xor_mlp.XOR_X, np.float64), np.asarray(xor_mlp.XOR_Y, np.float64)
    leaves = {k: leaf(v) for k, v in params.items()}
    hidden = (tg.tensor(X) @ leaves["W1"] + leaves["b1"]).sigmoid()
    out = (hidden @ leaves["W2"] + leaves["b2"]).sigmoid()
    loss = F.mse_loss(out, y)
    loss.backward()
    expected_loss, grads = xor_mlp.loss_and_grads(params, X, y)
    for name, tensor in leaves.items():
        assert_close(tensor.grad, grads[name])
    np.testing.assert_allclose(loss.item(), expected_loss, rtol=RTOL)
    # sigma' written as sigma (1 - sigma), the seed's formula, matches the engine's Sigmoid
    z = tg.tensor(X @ W1 + b1, requires_grad=True)
    z.sigmoid().sum().backward()
    assert_close(z.grad, xor_mlp.sigmoid_grad(X @ W1 + b1))


@given(st.tuples(sizes, sizes).flatmap(lambda nd: st.tuples(
    matrix(nd[0], nd[1]), matrix(nd[1], 1), arrays(np.float64, (1,), elements=values),
    arrays(np.bool_, (nd[0], 1)))), st.booleans())
def test_logistic_regression_gradient_seed_004(problem, with_logits):
    X, W_np, b_np, y_bool = problem
    y = y_bool.astype(np.float64)
    W, b = leaf(W_np), leaf(b_np)
    z = tg.tensor(X) @ W + b
    if with_logits:
        loss = F.binary_cross_entropy_with_logits(z, y)
    else:
        loss = F.binary_cross_entropy(z.sigmoid(), y)  # clipped at 1e-10 as the seed
    loss.backward()
    p = logistic_regression.predict_proba({"W": W_np, "b": b_np}, X)
    assume(np.all((p > 1e-9) & (p < 1 - 1e-9)))  # the closed form holds where p is not clipped
    expected_loss, grads = logistic_regression.loss_and_grads({"W": W_np, "b": b_np}, X, y)
    assert_close(W.grad, X.T @ (p - y) / len(X))
    assert_close(W.grad, grads["W"])
    assert_close(b.grad, grads["b"])
    np.testing.assert_allclose(loss.item(), expected_loss, rtol=RTOL)
