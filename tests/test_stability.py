"""Numerical stability (DESIGN rule 3): activations and fused losses at |x| = 1e4 in float32 give
finite values and finite gradients without any NumPy warning, and agree with the naive formulas
wherever those are finite."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import Tensor


@contextlib.contextmanager
def strict_numpy():
    """Overflow, division by zero and invalid operations raise; any warning is an error.

    Underflow is left at NumPy's default ('ignore', it never warns): exp(-2e4) == 0 is the exact
    float result that every stable formula (log-sum-exp, e^-|x| in sigmoid) relies on."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            yield


BIG = 1e4
EXTREME = np.array([[BIG, -BIG, 0.0], [-BIG, -BIG, -BIG], [BIG, BIG, -BIG], [3.0, -BIG, BIG]],
                   dtype=np.float32)
TARGET = np.array([1, 0, 2, 1])


def _value_and_grads(fn, *arrays):
    inputs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    with strict_numpy():
        out = fn(*inputs)
        seed = np.linspace(-1, 1, out.data.numpy().size, dtype=out.dtype).reshape(out.shape)
        out.backward(seed if out.data.numpy().size > 1 else None)
    return out, [t.grad for t in inputs]


CASES = {
    "softmax": lambda x: F.softmax(x, dim=1),
    "softmax_dim0": lambda x: x.softmax(0),
    "log_softmax": lambda x: F.log_softmax(x, dim=1),
    "log_softmax_dim0": lambda x: tg.log_softmax(x, dim=0),
    "sigmoid": lambda x: x.sigmoid(),
    "F.sigmoid": F.sigmoid,
    "tanh": lambda x: x.tanh(),
    "logsumexp": lambda x: x.logsumexp(1),
    "logsumexp_all": lambda x: x.logsumexp((0, 1)),
    "cross_entropy": lambda x: F.cross_entropy(x, tg.tensor(TARGET)),
    "cross_entropy_sum": lambda x: F.cross_entropy(x, tg.tensor(TARGET), reduction="sum"),
    "cross_entropy_none": lambda x: F.cross_entropy(x, tg.tensor(TARGET), reduction="none"),
    "cross_entropy_probs": lambda x: F.cross_entropy(x, F.softmax(Tensor(EXTREME[::-1].copy()))),
    "bce_with_logits_1": lambda x: F.binary_cross_entropy_with_logits(x, tg.ones(*x.shape)),
    "bce_with_logits_0": lambda x: F.binary_cross_entropy_with_logits(x, tg.zeros(*x.shape)),
    "bce_with_logits_none": lambda x: F.binary_cross_entropy_with_logits(
        x, tg.full(x.shape, 0.3), reduction="none"),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_extreme_inputs_give_finite_values_and_gradients(name, sign):
    out, (grad,) = _value_and_grads(CASES[name], sign * EXTREME)
    assert out.dtype == np.float32 and grad.dtype == np.float32
    assert np.isfinite(out.data.numpy()).all(), f"{name}: {out.data.numpy()}"
    assert np.isfinite(grad.data.numpy()).all(), f"{name}: {grad.data.numpy()}"


def test_extreme_values_are_right():
    x = np.array([[BIG, -BIG, 0.0]], dtype=np.float32)
    with strict_numpy():
        np.testing.assert_array_equal(F.softmax(Tensor(x), dim=1).data.numpy(), [[1, 0, 0]])
        np.testing.assert_array_equal(F.log_softmax(Tensor(x), dim=1).data.numpy(),
                                      [[0, -2 * BIG, -BIG]])
        np.testing.assert_array_equal(Tensor(x).sigmoid().data.numpy(), [[1, 0, 0.5]])
        np.testing.assert_array_equal(Tensor(x).tanh().data.numpy(), [[1, -1, 0]])
        assert Tensor(x).logsumexp(1).item() == BIG
        assert F.cross_entropy(Tensor(x), tg.tensor([1])).item() == 2 * BIG
        assert F.cross_entropy(Tensor(x), tg.tensor([0])).item() == 0
        bce = F.binary_cross_entropy_with_logits(Tensor(x), Tensor([[0.0, 1.0, 1.0]]),
                                                 reduction="none")
        np.testing.assert_allclose(bce.data.numpy(), [[BIG, BIG, np.log(2)]], rtol=1e-6)


def test_extreme_gradients_are_right():
    x = np.array([[BIG, -BIG, 0.0], [0.0, BIG, -BIG]], dtype=np.float32)
    _, (g,) = _value_and_grads(lambda t: F.cross_entropy(t, tg.tensor([1, 1])), x)
    np.testing.assert_allclose(g.data.numpy(), [[0.5, -0.5, 0], [0, 0, 0]], atol=1e-7)
    _, (g,) = _value_and_grads(lambda t: t.logsumexp(1).sum(), x)
    np.testing.assert_allclose(g.data.numpy(), [[1, 0, 0], [0, 1, 0]], atol=1e-7)
    _, (g,) = _value_and_grads(lambda t: t.sigmoid().sum(), x)
    np.testing.assert_allclose(g.data.numpy(), [[0, 0, 0.25], [0.25, 0, 0]], atol=1e-7)
    _, (g,) = _value_and_grads(
        lambda t: F.binary_cross_entropy_with_logits(t, tg.zeros(2, 3), reduction="sum"), x)
    np.testing.assert_allclose(g.data.numpy(), [[1, 0, 0.5], [0.5, 1, 0]], atol=1e-7)


def test_softmax_with_minus_inf_mask():
    x = Tensor([[0.0, -np.inf, 1.0]], requires_grad=True)
    with strict_numpy():
        p = F.softmax(x, dim=1)
        (p * Tensor([[1.0, 2.0, 3.0]])).sum().backward()
    assert p.data.numpy()[0, 1] == 0 and np.isfinite(x.grad.data.numpy()).all()
    assert x.grad.data.numpy()[0, 1] == 0


def test_binary_cross_entropy_on_saturated_probabilities_is_finite():
    p = Tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    y = Tensor([0.0, 1.0, 1.0, 0.0])
    with strict_numpy():
        loss = F.binary_cross_entropy(p, y)
        loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(p.grad.data.numpy()).all()
    assert loss.item() > 10  # the two wrong-side predictions cost -log(eps) each


# --------------------------------------------------------------------------- drawn inputs

extreme_or_moderate = st.one_of(
    st.sampled_from([BIG, -BIG, 1e3, -1e3, 88.0, -88.0, 0.0]),
    st.floats(-50, 50, allow_nan=False, width=32),
)


@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5),
                  elements=extreme_or_moderate),
       st.sampled_from(sorted(CASES)))
def test_drawn_extreme_inputs_are_finite_and_match_torch(x_np, name):
    if name.startswith("cross_entropy") and x_np.shape != EXTREME.shape:
        x_np = np.resize(x_np, EXTREME.shape)
    out, (grad,) = _value_and_grads(CASES[name], x_np)
    assert np.isfinite(out.data.numpy()).all() and np.isfinite(grad.data.numpy()).all()
    if name.startswith("softmax"):
        np.testing.assert_allclose(out.data.numpy().sum(axis=0 if "dim0" in name else 1), 1,
                                   rtol=1e-5)
    if name.startswith("log_softmax"):
        assert (out.data.numpy() <= 0).all()

    torch = pytest.importorskip("torch")
    tF = torch.nn.functional
    t_target = torch.tensor(TARGET)
    t_cases = {
        "softmax": lambda x: tF.softmax(x, dim=1), "softmax_dim0": lambda x: x.softmax(0),
        "log_softmax": lambda x: tF.log_softmax(x, dim=1),
        "log_softmax_dim0": lambda x: tF.log_softmax(x, dim=0),
        "sigmoid": torch.sigmoid, "F.sigmoid": torch.sigmoid, "tanh": torch.tanh,
        "logsumexp": lambda x: x.logsumexp(1), "logsumexp_all": lambda x: x.logsumexp((0, 1)),
        "cross_entropy": lambda x: tF.cross_entropy(x, t_target),
        "cross_entropy_sum": lambda x: tF.cross_entropy(x, t_target, reduction="sum"),
        "cross_entropy_none": lambda x: tF.cross_entropy(x, t_target, reduction="none"),
        "cross_entropy_probs": lambda x: tF.cross_entropy(
            x, tF.softmax(torch.tensor(EXTREME[::-1].copy()), dim=1)),
        "bce_with_logits_1": lambda x: tF.binary_cross_entropy_with_logits(x, torch.ones_like(x)),
        "bce_with_logits_0": lambda x: tF.binary_cross_entropy_with_logits(x, torch.zeros_like(x)),
        "bce_with_logits_none": lambda x: tF.binary_cross_entropy_with_logits(
            x, torch.full_like(x, 0.3), reduction="none"),
    }
    tx = torch.tensor(x_np, requires_grad=True)
    tout = t_cases[name](tx)
    seed = np.linspace(-1, 1, tout.numel(), dtype=np.float32).reshape(tuple(tout.shape))
    tout.backward(torch.tensor(seed) if tout.numel() > 1 else None)
    scale = max(1.0, float(np.abs(x_np).max()))
    np.testing.assert_allclose(out.data.numpy(), tout.detach().numpy(), rtol=1e-5,
                               atol=1e-6 * scale)
    np.testing.assert_allclose(grad.data.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)


moderate_logits = hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5),
    elements=st.floats(-30, 30, allow_nan=False),
)


@given(moderate_logits, st.data())
def test_cross_entropy_equals_naive_formula(x_np, data):
    n, c = x_np.shape
    target = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    with np.errstate(all="ignore"):
        naive_p = np.exp(x_np) / np.exp(x_np).sum(axis=1, keepdims=True)
        naive = -np.log(naive_p)[np.arange(n), target]
    if not np.isfinite(naive).all():
        return
    x = Tensor(x_np, requires_grad=True)
    for reduction, expected in (("mean", naive.mean()), ("sum", naive.sum()), ("none", naive)):
        x.grad = None
        loss = F.cross_entropy(x, tg.tensor(target), reduction=reduction)
        assert loss.dtype == np.float64
        np.testing.assert_allclose(loss.data.numpy(), expected, rtol=1e-10, atol=1e-12)
        loss.sum().backward()
        onehot = np.eye(c)[target]
        grad = naive_p - onehot
        if reduction == "mean":
            grad = grad / n
        np.testing.assert_allclose(x.grad.data.numpy(), grad, rtol=1e-9, atol=1e-12)
    # one-hot probability targets give the same loss and gradient
    x.grad = None
    F.cross_entropy(x, Tensor(np.eye(c)[target])).backward()
    np.testing.assert_allclose(x.grad.data.numpy(), (naive_p - np.eye(c)[target]) / n, atol=1e-12)


@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=5),
                  elements=st.floats(-700, 700, allow_nan=False)))
def test_sigmoid_matches_naive_formula_in_float64(x_np):
    with np.errstate(over="ignore"):
        naive = 1 / (1 + np.exp(-x_np))
    x = Tensor(x_np, requires_grad=True)
    with strict_numpy():
        s = x.sigmoid()
        s.sum().backward()
    assert s.dtype == np.float64
    np.testing.assert_allclose(s.data.numpy(), naive, rtol=1e-13, atol=0)
    # sigma' = s (1 - s), as PyTorch computes it: where s rounds near 1, 1 - s keeps only an
    # absolute precision of one ulp of 1 (2.2e-16), whatever formula gave s. So the gradient is
    # compared with the exact e^-|x| / (1 + e^-|x|)^2 to that absolute floor.
    e = np.exp(-np.abs(x_np))
    exact = e / (1 + e) ** 2
    np.testing.assert_allclose(x.grad.data.numpy(), exact, rtol=1e-9, atol=2.3e-16)


@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=5),
                  elements=st.floats(-20, 20, allow_nan=False)),
       hnp.arrays(np.float64, 1, elements=st.floats(0, 1)))
def test_bce_with_logits_matches_naive_formula(x_np, y_np):
    y_np = np.broadcast_to(y_np, x_np.shape).copy()
    s = 1 / (1 + np.exp(-x_np))
    naive = -(y_np * np.log(s) + (1 - y_np) * np.log1p(-s))
    if not np.isfinite(naive).all():
        return
    x = Tensor(x_np, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, Tensor(y_np), reduction="sum")
    # the naive form loses digits in log1p(-s) as s -> 1: ~1e-16 / (1 - s) <= 1e-7 here
    np.testing.assert_allclose(loss.item(), naive.sum(), rtol=1e-8, atol=1e-6)
    loss.backward()
    np.testing.assert_allclose(x.grad.data.numpy(), s - y_np, rtol=1e-9, atol=1e-12)


@given(moderate_logits)
def test_logsumexp_and_log_softmax_match_naive_formula(x_np):
    lse = np.log(np.exp(x_np).sum(axis=1))
    x = Tensor(x_np, requires_grad=True)
    np.testing.assert_allclose(x.logsumexp(1).data.numpy(), lse, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(F.log_softmax(x, 1).data.numpy(), x_np - lse[:, None], rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(F.softmax(x, 1).data.numpy(), np.exp(x_np - lse[:, None]),
                               rtol=1e-10,
                               atol=1e-300)
