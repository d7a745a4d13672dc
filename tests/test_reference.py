"""The closed-form models of ``tinygrad_edu.reference`` against float64 central differences.

These tests import nothing of the autograd engine: the reference models are the oracles the
engine is later checked against, so they are proven here on their own, by finite differences,
by the documents' formulas written out again, and by the documents' stated conventions.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tinygrad_edu.reference import logistic_regression as lr
from tinygrad_edu.reference import penalties
from tinygrad_edu.reference import softmax_regression as sr
from tinygrad_edu.reference import two_layer_net as tl
from tinygrad_edu.reference import xor_mlp as xm

RTOL, ATOL = 1e-6, 1e-8
H = 1e-5  # central-difference step: error ~ H^2 (truncation) + 1e-16 |L| / H (round-off)

Params = dict[str, np.ndarray]


# --------------------------------------------------------------------------- helpers


def numerical_grad(f: Callable[[], float], x: np.ndarray, h: float = H) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to every entry of ``x``.

    ``x`` is perturbed in place (and restored), so ``f`` must read it: pass the live array.
    """
    assert x.dtype == np.float64 and x.flags.c_contiguous
    flat = x.reshape(-1)  # a view, so writes reach x
    grad = np.empty_like(flat)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + h
        f_plus = f()
        flat[i] = orig - h
        f_minus = f()
        flat[i] = orig
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad.reshape(x.shape)


def assert_grads_match_fd(
    loss: Callable[[], float], params: Params, grads: Params, rtol: float = RTOL, atol: float = ATOL
) -> None:
    assert set(grads) == set(params)
    for name, p in params.items():
        assert grads[name].shape == p.shape, name
        np.testing.assert_allclose(
            grads[name], numerical_grad(loss, p), rtol=rtol, atol=atol, err_msg=name
        )


@contextmanager
def no_fp_trouble() -> Iterator[None]:
    """Fail on overflow, invalid operations (nan) or division by zero, and on any warning.

    Underflow is allowed: ``exp(-2e4)`` rounding to 0 is the correct IEEE result, not a fault.
    """
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            yield


def copy_params(params: Params) -> Params:
    return {k: v.copy() for k, v in params.items()}


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)


def farray(shape: tuple[int, ...], lo: float = -2.0, hi: float = 2.0) -> st.SearchStrategy[Any]:
    return arrays(np.float64, shape, elements=floats(lo, hi))


def away_from_zero(shape: tuple[int, ...], lo: float = 0.05, hi: float = 1.0) -> Any:
    """Values with lo <= |v| <= hi, so a finite-difference step never crosses a kink at 0."""
    return arrays(np.float64, shape, elements=floats(-hi, hi).filter(lambda v: abs(v) >= lo))


sizes = st.integers(1, 5)


@st.composite
def softmax_problems(draw: st.DrawFn, nonzero_w: bool = False) -> tuple[Params, Any, Any]:
    """(params, X, integer labels) for softmax regression, every side <= 5."""
    n, d, c = draw(sizes), draw(sizes), draw(st.integers(2, 5))
    w = draw(away_from_zero((d, c)) if nonzero_w else farray((d, c), -1, 1))
    params = {"W": w, "b": draw(farray((c,), -1, 1))}
    labels = draw(arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    return params, draw(farray((n, d))), labels


@st.composite
def mlp_problems(draw: st.DrawFn) -> tuple[Params, Any, Any]:
    """(params, X, labels) for the two-layer ReLU net, pre-activations kept away from 0."""
    n, d, h, c = draw(sizes), draw(sizes), draw(sizes), draw(st.integers(2, 5))
    params = {
        "W1": draw(farray((d, h), -1, 1)),
        "b1": draw(farray((h,), -1, 1)),
        "W2": draw(farray((h, c), -1, 1)),
        "b2": draw(farray((c,), -1, 1)),
    }
    x = draw(farray((n, d)))
    # relu is not differentiable at 0: finite differences straddling a kink are meaningless.
    assume(np.abs(x @ params["W1"] + params["b1"]).min() > 1e-3)
    labels = draw(arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    return params, x, labels


@st.composite
def xor_problems(draw: st.DrawFn) -> tuple[Params, Any, Any]:
    """(params with seed-style row biases, X, y) for the sigmoid MLP."""
    n, d, h, k = draw(sizes), draw(sizes), draw(sizes), draw(st.integers(1, 2))
    params = {
        "W1": draw(farray((d, h))),
        "b1": draw(farray((1, h))),
        "W2": draw(farray((h, k))),
        "b2": draw(farray((1, k))),
    }
    return params, draw(farray((n, d))), draw(farray((n, k), 0, 1))


def naive_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


# --------------------------------------------------------------------------- softmax & loss


@given(
    z=arrays(np.float64, st.tuples(sizes, sizes), elements=floats(-30, 30)),
    axis=st.sampled_from([0, 1, -1]),
)
def test_softmax_matches_definition_and_leaves_input_untouched(z: np.ndarray, axis: int) -> None:
    before = z.copy()
    p = sr.softmax(z, axis=axis)
    np.testing.assert_array_equal(z, before)  # seed 000's softmax would fail this
    np.testing.assert_allclose(p, naive_softmax(z, axis), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(p.sum(axis=axis), 1.0, rtol=1e-12)
    np.testing.assert_allclose(sr.softmax(z + 1000.0, axis=axis), p, rtol=1e-9, atol=1e-300)


def test_the_untouched_input_check_catches_seed_000_style_softmax() -> None:
    """Negative control: a softmax that shifts its argument in place (seed 000) is caught."""

    def shifting_softmax(x: np.ndarray) -> np.ndarray:
        x -= x.max(axis=1, keepdims=True)
        e = np.exp(x)
        return e / e.sum(axis=1, keepdims=True)

    z = np.array([[1.0, 2.0, 3.0]])
    before = z.copy()
    np.testing.assert_allclose(shifting_softmax(z), sr.softmax(before))
    assert not np.array_equal(z, before)
    z2 = before.copy()
    sr.softmax(z2)
    np.testing.assert_array_equal(z2, before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_family_is_finite_at_1e4(dtype: type) -> None:
    z: np.ndarray = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype)
    with no_fp_trouble():
        p = sr.softmax(z)
        logp = sr.log_softmax(z)
        loss, grad = sr.cross_entropy_and_grad(z, np.array([1, 2]))
    assert p.dtype == logp.dtype == grad.dtype == dtype
    np.testing.assert_array_equal(p, np.array([[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], dtype=dtype))
    np.testing.assert_allclose(logp[0], [0.0, -2e4, -1e4])
    # row 0: -log softmax = 2e4 for class 1; row 1: log 3
    assert math.isclose(loss, (2e4 + math.log(3)) / 2, rel_tol=1e-6)
    np.testing.assert_allclose(grad, (p - np.array([[0, 1, 0], [0, 0, 1]])) / 2, atol=1e-7)


@given(z=arrays(np.float64, st.tuples(sizes, sizes), elements=floats(-30, 30)))
def test_log_softmax_is_log_of_softmax(z: np.ndarray) -> None:
    np.testing.assert_allclose(sr.log_softmax(z), np.log(naive_softmax(z)), rtol=1e-9, atol=1e-12)


@given(st.data())
def test_cross_entropy_grad_is_softmax_minus_onehot_over_n(data: st.DataObject) -> None:
    n, c = data.draw(sizes), data.draw(st.integers(2, 5))
    z = data.draw(farray((n, c), -5, 5))
    labels = data.draw(arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    y = np.eye(c)[labels]
    loss, grad = sr.cross_entropy_and_grad(z, labels)
    # value: -(1/N) sum log softmax at the true class
    expected = -np.log(naive_softmax(z)[np.arange(n), labels]).mean()
    assert math.isclose(loss, expected, rel_tol=1e-12, abs_tol=1e-14)
    assert math.isclose(sr.cross_entropy(z, y), loss, rel_tol=1e-12, abs_tol=1e-14)
    # gradient: the closed form of seeds 001/003, and finite differences
    np.testing.assert_allclose(grad, (naive_softmax(z) - y) / n, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        grad, numerical_grad(lambda: sr.cross_entropy(z, labels), z), rtol=RTOL, atol=ATOL
    )


@given(st.data())
def test_cross_entropy_grad_is_exact_for_targets_not_summing_to_one(data: st.DataObject) -> None:
    n, c = data.draw(sizes), data.draw(st.integers(2, 5))
    z = data.draw(farray((n, c), -5, 5))
    y = data.draw(farray((n, c), 0, 1))
    loss, grad = sr.cross_entropy_and_grad(z, y)
    expected = -(y * np.log(naive_softmax(z))).sum() / n
    assert math.isclose(loss, expected, rel_tol=1e-9, abs_tol=1e-12)
    np.testing.assert_allclose(
        grad, numerical_grad(lambda: sr.cross_entropy(z, y), z), rtol=RTOL, atol=ATOL
    )


def test_cross_entropy_single_sample_is_a_batch_of_one() -> None:
    z = np.array([0.3, -1.2, 2.0])
    for target in (np.int64(2), 2, np.array([0.0, 0.0, 1.0])):
        loss, grad = sr.cross_entropy_and_grad(z, target)
        loss_b, grad_b = sr.cross_entropy_and_grad(z[None], np.array([[0.0, 0.0, 1.0]]))
        assert grad.shape == (3,)
        assert loss == loss_b
        np.testing.assert_array_equal(grad, grad_b[0])


def test_bad_targets_are_rejected_with_their_shape() -> None:
    z = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        sr.cross_entropy(z, np.array([0, 3]))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        sr.cross_entropy(z, np.array([-1, 0]))  # would silently wrap around if not checked
    with pytest.raises(ValueError, match="integers"):
        sr.cross_entropy(z, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        sr.cross_entropy(z, np.zeros((2, 2)))


def test_one_hot() -> None:
    out = sr.one_hot(np.array([2, 0, 1]), 3, dtype=np.float64)
    np.testing.assert_array_equal(out, np.eye(3)[[2, 0, 1]])
    assert sr.one_hot([1], 4).dtype == np.float32


# --------------------------------------------------------------------------- softmax regression


@given(
    problem=softmax_problems(nonzero_w=True),
    l1=st.sampled_from([0.0, 0.3]),
    l2=st.sampled_from([0.0, 0.7]),
)
def test_softmax_regression_grads_match_fd(
    problem: tuple[Params, np.ndarray, np.ndarray], l1: float, l2: float
) -> None:
    params, x, labels = problem
    y = np.eye(params["W"].shape[1])[labels]
    loss, grads = sr.loss_and_grads(params, x, y, l1=l1, l2=l2)

    def f() -> float:
        return sr.loss_and_grads(params, x, y, l1=l1, l2=l2)[0]

    assert_grads_match_fd(f, params, grads)
    # the documents' formulas, written out
    w = params["W"]
    g = (naive_softmax(x @ w + params["b"]) - y) / len(x)
    np.testing.assert_allclose(grads["W"], x.T @ g + l1 * np.sign(w) + 2 * l2 * w, rtol=1e-10)
    np.testing.assert_allclose(grads["b"], g.sum(axis=0), rtol=1e-10, atol=1e-15)
    ce = -np.log(naive_softmax(x @ w + params["b"])[np.arange(len(x)), labels]).mean()
    assert math.isclose(loss, ce + l1 * np.abs(w).sum() + l2 * (w**2).sum(), rel_tol=1e-10)


@given(problem=softmax_problems())
def test_softmax_regression_integer_labels_equal_one_hot(
    problem: tuple[Params, np.ndarray, np.ndarray],
) -> None:
    params, x, labels = problem
    loss_i, grads_i = sr.loss_and_grads(params, x, labels)
    loss_h, grads_h = sr.loss_and_grads(params, x, np.eye(params["W"].shape[1])[labels])
    assert math.isclose(loss_i, loss_h, rel_tol=1e-12, abs_tol=1e-15)
    for k in params:
        np.testing.assert_allclose(grads_i[k], grads_h[k], rtol=1e-12, atol=1e-15)


@given(problem=softmax_problems(), l1=st.sampled_from([0.0, 0.1]), l2=st.sampled_from([0.0, 0.2]))
def test_softmax_regression_sgd_step_is_w_minus_lr_grad_in_place(
    problem: tuple[Params, np.ndarray, np.ndarray], l1: float, l2: float
) -> None:
    params, x, labels = problem
    lr_ = 0.37
    loss, grads = sr.loss_and_grads(params, x, labels, l1=l1, l2=l2)
    expected = {k: params[k] - lr_ * grads[k] for k in params}
    arrays_before = {k: id(v) for k, v in params.items()}
    step_loss = sr.sgd_step(params, x, labels, lr_, l1=l1, l2=l2)
    assert math.isclose(step_loss, loss, rel_tol=1e-12, abs_tol=1e-15)  # the pre-step loss
    for k in params:
        assert id(params[k]) == arrays_before[k]  # updated in place
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-12, atol=1e-14)


def test_softmax_regression_descends() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 5))
    labels = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)
    params = sr.init_params(5, 3, rng=1, dtype=np.float64)
    first = sr.sgd_step(params, x, labels, 0.5)
    for _ in range(50):
        last = sr.sgd_step(params, x, labels, 0.5)
    assert last < 0.6 * first
    assert sr.accuracy(params, x, labels) > 0.85


def test_softmax_regression_init_and_accuracy() -> None:
    p = sr.init_params(784, 10, rng=0)
    assert p["W"].shape == (784, 10) and p["b"].shape == (10,)
    assert p["W"].dtype == p["b"].dtype == np.float32
    assert np.abs(p["W"]).max() <= 0.08 and np.abs(p["W"]).max() > 0.07
    assert not p["b"].any()
    np.testing.assert_array_equal(p["W"], sr.init_params(784, 10, rng=0)["W"])
    params = {"W": np.eye(3), "b": np.zeros(3)}
    x = np.eye(3)
    assert sr.accuracy(params, x, np.array([0, 1, 2])) == 1.0
    assert sr.accuracy(params, x, np.array([0, 2, 2])) == pytest.approx(2 / 3)
    assert sr.accuracy(params, x, np.eye(3)[[1, 1, 2]]) == pytest.approx(2 / 3)


# --------------------------------------------------------------------------- two-layer ReLU net


@given(problem=mlp_problems())
def test_two_layer_grads_match_fd(problem: tuple[Params, np.ndarray, np.ndarray]) -> None:
    params, x, labels = problem
    loss, grads = tl.loss_and_grads(params, x, labels)
    assert_grads_match_fd(lambda: tl.loss_and_grads(params, x, labels)[0], params, grads)
    # away from a1 == 0 the two relu'(0) conventions agree exactly
    _, grads0 = tl.loss_and_grads(params, x, labels, relu_grad_at_zero=0.0)
    for k in params:
        np.testing.assert_array_equal(grads0[k], grads[k])


@given(problem=mlp_problems())
def test_two_layer_matches_seed_001_backprop(
    problem: tuple[Params, np.ndarray, np.ndarray],
) -> None:
    params, x, labels = problem
    t = np.eye(params["W2"].shape[1])[labels]
    a1 = x @ params["W1"] + params["b1"]
    z1 = np.maximum(a1, 0)
    y = naive_softmax(z1 @ params["W2"] + params["b2"])
    dy = (y - t) / len(x)
    da1 = (a1 >= 0) * (dy @ params["W2"].T)
    expected = {"W1": x.T @ da1, "b1": da1.sum(0), "W2": z1.T @ dy, "b2": dy.sum(0)}
    loss, grads = tl.loss_and_grads(params, x, t)
    assert math.isclose(loss, -np.mean(np.log(y[np.arange(len(x)), labels])), rel_tol=1e-10)
    for k in params:
        np.testing.assert_allclose(grads[k], expected[k], rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("g0", [1.0, 0.0, 0.5])
def test_two_layer_relu_grad_at_zero(g0: float) -> None:
    """Hidden unit 1 has a1 == 0 exactly for every sample; its gradient is g0 times dz1."""
    rng = np.random.default_rng(3)
    params = {
        "W1": rng.standard_normal((4, 3)),
        "b1": rng.standard_normal(3),
        "W2": rng.standard_normal((3, 5)),
        "b2": rng.standard_normal(5),
    }
    params["W1"][:, 1] = 0.0
    params["b1"][1] = 0.0
    x = rng.standard_normal((6, 4))
    labels = rng.integers(0, 5, 6)
    dz1 = (naive_softmax(tl.forward(params, x)) - np.eye(5)[labels]) / 6 @ params["W2"].T
    _, grads = tl.loss_and_grads(params, x, labels, relu_grad_at_zero=g0)
    assert abs(dz1[:, 1].sum()) > 1e-3  # the check below is not vacuous
    np.testing.assert_allclose(grads["b1"][1], g0 * dz1[:, 1].sum(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads["W1"][:, 1], g0 * x.T @ dz1[:, 1], rtol=1e-12, atol=1e-15)


@given(problem=mlp_problems())
def test_two_layer_single_sample_equals_batch_of_one(
    problem: tuple[Params, np.ndarray, np.ndarray],
) -> None:
    params, x, labels = problem
    c = params["W2"].shape[1]
    x0, label = x[0], int(labels[0])
    loss_b, grads_b = tl.loss_and_grads(params, x0[None], np.eye(c)[[label]])
    for target in (label, np.int64(label), np.eye(c)[label]):
        loss_s, grads_s = tl.loss_and_grads(params, x0, target)
        assert loss_s == loss_b
        for k in params:
            assert grads_s[k].shape == params[k].shape
            np.testing.assert_array_equal(grads_s[k], grads_b[k])
    # seed 001's single-sample formulas (outer products, no division by N)
    a1 = x0 @ params["W1"] + params["b1"]
    z1 = np.maximum(a1, 0)
    dy = naive_softmax(z1 @ params["W2"] + params["b2"]) - np.eye(c)[label]
    da1 = (a1 >= 0) * (dy @ params["W2"].T)
    np.testing.assert_allclose(grads_b["W2"], np.outer(z1, dy), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(grads_b["W1"], np.outer(x0, da1), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(grads_b["b1"], da1, rtol=1e-10, atol=1e-15)


@given(problem=mlp_problems())
def test_two_layer_integer_labels_equal_one_hot_and_sgd_step(
    problem: tuple[Params, np.ndarray, np.ndarray],
) -> None:
    params, x, labels = problem
    loss_i, grads_i = tl.loss_and_grads(params, x, labels)
    loss_h, grads_h = tl.loss_and_grads(params, x, np.eye(params["W2"].shape[1])[labels])
    assert math.isclose(loss_i, loss_h, rel_tol=1e-12, abs_tol=1e-15)
    for k in params:
        np.testing.assert_allclose(grads_i[k], grads_h[k], rtol=1e-12, atol=1e-15)
    expected = {k: params[k] - 0.1 * grads_i[k] for k in params}
    assert math.isclose(tl.sgd_step(params, x, labels, 0.1), loss_i, rel_tol=1e-12)
    for k in params:
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-12, atol=1e-14)


def test_two_layer_init_and_accuracy() -> None:
    p = tl.init_params(rng=0)
    assert {k: v.shape for k, v in p.items()} == {
        "W1": (784, 64),
        "b1": (64,),
        "W2": (64, 10),
        "b2": (10,),
    }
    assert all(v.dtype == np.float32 for v in p.values())
    assert 0.005 < p["W1"].std() < 0.02
    x = np.random.default_rng(0).random((7, 784), dtype=np.float32)
    pred = tl.forward(p, x).argmax(1)
    assert tl.accuracy(p, x, pred) == 1.0
    assert tl.accuracy(p, x, (pred + 1) % 10) == 0.0
    np.testing.assert_allclose(tl.predict_proba(p, x).sum(1), 1.0, rtol=1e-6)


# --------------------------------------------------------------------------- XOR sigmoid MLP


def test_xor_constants() -> None:
    assert xm.XOR_X.shape == (4, 2) and xm.XOR_Y.shape == (4, 1)
    assert xm.XOR_X.dtype.kind == "f" and xm.XOR_Y.dtype.kind == "f"
    np.testing.assert_array_equal(xm.XOR_Y[:, 0], np.logical_xor(*xm.XOR_X.T.astype(bool)))
    with pytest.raises(ValueError):
        xm.XOR_X[0, 0] = 5.0


@given(x=arrays(np.float64, st.tuples(sizes, sizes), elements=floats(-30, 30)))
def test_sigmoid_and_its_grad(x: np.ndarray) -> None:
    s = xm.sigmoid(x)
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(
        xm.sigmoid_grad(x),
        numerical_grad(lambda: float(xm.sigmoid(x).sum()), x),
        rtol=RTOL,
        atol=ATOL,
    )
    np.testing.assert_allclose(xm.sigmoid_grad(x), s * (1 - s), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_finite_and_precise_at_extremes(dtype: type) -> None:
    x: np.ndarray = np.array([1e4, -1e4, 0.0, 30.0, -30.0, -80.0], dtype=dtype)
    with no_fp_trouble():
        s = xm.sigmoid(x)
        g = xm.sigmoid_grad(x)
    assert s.dtype == g.dtype == dtype
    assert s[0] == 1.0 and s[1] == 0.0 and s[2] == 0.5
    assert np.isfinite(g).all() and g[0] == 0.0 and g[1] == 0.0
    # very negative x keeps full relative precision (no 1 - sigmoid(-x) cancellation)
    for i, v in ((4, -30.0), (5, -80.0)):
        assert math.isclose(float(s[i]), math.exp(v) / (1 + math.exp(v)), rel_tol=1e-6)


@given(problem=xor_problems())
def test_xor_grads_are_those_of_the_mean_loss(
    problem: tuple[Params, np.ndarray, np.ndarray],
) -> None:
    params, x, y = problem
    loss, grads = xm.loss_and_grads(params, x, y)
    assert math.isclose(loss, float(np.mean((xm.forward(params, x) - y) ** 2)), rel_tol=1e-12)
    assert_grads_match_fd(lambda: xm.loss_and_grads(params, x, y)[0], params, grads)


@given(problem=xor_problems())
def test_xor_seed_scaling_reproduces_seed_002_deltas(
    problem: tuple[Params, np.ndarray, np.ndarray],
) -> None:
    params, x, y = problem
    w1, b1, w2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]

    def sig(v: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-v))

    # seed 002's backprop: sigma'(Z) recomputed from Z, no 1/N, no factor 2
    z1 = x @ w1 + b1
    a1 = sig(z1)
    z2 = a1 @ w2 + b2
    a2 = sig(z2)
    delta2 = (a2 - y) * sig(z2) * (1 - sig(z2))
    delta1 = (delta2 @ w2.T) * sig(z1) * (1 - sig(z1))
    seed = {
        "W1": x.T @ delta1,
        "b1": delta1.sum(axis=0, keepdims=True),
        "W2": a1.T @ delta2,
        "b2": delta2.sum(axis=0, keepdims=True),
    }
    loss_s, grads_s = xm.loss_and_grads(params, x, y, seed_scaling=True)
    loss_t, grads_t = xm.loss_and_grads(params, x, y)
    assert loss_s == loss_t  # the reported loss is the mean either way
    factor = 2 / y.size  # d mean / d(0.5 sum) = 2 / (N K)
    for k in params:
        np.testing.assert_allclose(grads_s[k], seed[k], rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(grads_t[k], factor * grads_s[k], rtol=1e-12, atol=1e-15)

    # and the seed's deltas are exactly the gradient of 0.5 * sum((A2 - y)^2)
    def half_sse() -> float:
        return 0.5 * float(((xm.forward(params, x) - y) ** 2).sum())

    assert_grads_match_fd(half_sse, params, grads_s)


def test_xor_bias_shapes_and_target_shapes() -> None:
    params = xm.init_params(rng=0)
    assert params["b1"].shape == (4,) and params["b2"].shape == (1,)
    loss_2d, grads_2d = xm.loss_and_grads(params, xm.XOR_X, xm.XOR_Y)
    loss_1d, grads_1d = xm.loss_and_grads(params, xm.XOR_X, xm.XOR_Y[:, 0])
    assert loss_1d == loss_2d  # (N,) is not broadcast against (N, 1) into (N, N)
    rows = {**params, "b1": params["b1"][None, :], "b2": params["b2"][None, :]}  # seed shapes
    _, grads_rows = xm.loss_and_grads(rows, xm.XOR_X, xm.XOR_Y)
    for k in params:
        np.testing.assert_array_equal(grads_1d[k], grads_2d[k])
        assert grads_rows[k].shape == rows[k].shape
        np.testing.assert_array_equal(grads_rows[k].reshape(-1), grads_2d[k].reshape(-1))
    with pytest.raises(ValueError, match="shape"):
        xm.loss_and_grads(params, xm.XOR_X, np.zeros(3))


def test_xor_net_learns_xor_with_true_gradients() -> None:
    params = xm.init_params(rng=1)
    for _ in range(3000):
        loss, grads = xm.loss_and_grads(params, xm.XOR_X, xm.XOR_Y)
        for k in params:
            params[k] -= 2.0 * grads[k]
    assert loss < 0.05
    np.testing.assert_array_equal(np.round(xm.forward(params, xm.XOR_X)), xm.XOR_Y)


# --------------------------------------------------------------------------- logistic regression


@st.composite
def logistic_problems(draw: st.DrawFn) -> tuple[Params, Any, Any]:
    n, d = draw(sizes), draw(sizes)
    params = {"W": draw(farray((d, 1), -1, 1)), "b": draw(farray((1,), -1, 1))}
    y = draw(arrays(np.float64, (n, 1), elements=st.sampled_from([0.0, 1.0])))
    return params, draw(farray((n, d))), y  # |z| <= 11: the 1e-10 clip is never active


@given(problem=logistic_problems())
def test_logistic_loss_and_grads(problem: tuple[Params, np.ndarray, np.ndarray]) -> None:
    params, x, y = problem
    loss, grads = lr.loss_and_grads(params, x, y)
    p = 1 / (1 + np.exp(-(x @ params["W"] + params["b"])))
    nll = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert math.isclose(loss, nll, rel_tol=1e-9, abs_tol=1e-12)
    np.testing.assert_allclose(grads["W"], x.T @ (p - y) / len(x), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(grads["b"], (p - y).mean(axis=0), rtol=1e-10, atol=1e-15)
    assert_grads_match_fd(lambda: lr.loss_and_grads(params, x, y)[0], params, grads)
    loss_1d, grads_1d = lr.loss_and_grads(params, x, y[:, 0])
    assert loss_1d == loss
    np.testing.assert_array_equal(grads_1d["W"], grads["W"])


@given(z=arrays(np.float64, st.tuples(sizes, st.just(1)), elements=floats(-40, 40)), data=st.data())
def test_logistic_loss_equals_the_seeds_clip_of_p(z: np.ndarray, data: st.DataObject) -> None:
    y = data.draw(arrays(np.float64, z.shape, elements=st.sampled_from([0.0, 1.0])))
    eps = lr.EPS
    p = np.clip(1 / (1 + np.exp(-z)), eps, 1 - eps)  # the seed's clip, in float64
    seed_loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    # 1 - (1 - eps) carries a 1e-7 relative rounding error in float64; hence rel_tol 1e-6
    assert math.isclose(lr.negative_log_likelihood(z, y), seed_loss, rel_tol=1e-6, abs_tol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logistic_loss_is_finite_where_the_seeds_float32_clip_gives_nan(dtype: type) -> None:
    z: np.ndarray = np.array([[1e4], [-1e4], [1e4], [-1e4], [40.0]], dtype=dtype)
    y: np.ndarray = np.array([[1.0], [0.0], [0.0], [1.0], [1.0]], dtype=dtype)
    with no_fp_trouble():
        loss = lr.negative_log_likelihood(z, y)
    cap = -math.log(lr.EPS)  # confident and wrong: -log(eps) = 23.03 each
    assert math.isclose(loss, 2 * cap / 5, rel_tol=1e-6)
    if dtype == np.float32:
        # the seed: p = sigmoid(z) clipped to [eps, 1 - eps] in float32, where 1 - eps == 1
        with np.errstate(all="ignore"):
            p = np.clip(1 / (1 + np.exp(-z)), np.float32(lr.EPS), np.float32(1 - lr.EPS))
            seed = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        assert np.float32(1 - lr.EPS) == 1.0 and np.isnan(seed)


def test_logistic_accuracy_uses_the_seeds_sign_rule() -> None:
    params = {"W": np.array([[1.0]]), "b": np.zeros(1)}
    x = np.array([[2.0], [-3.0], [0.5], [0.0]])
    assert lr.accuracy(params, x, np.array([[1.0], [0.0], [0.0], [1.0]])) == 0.5
    # p == 0.5 exactly has sign 0: wrong for both classes, as in seed 004
    assert lr.accuracy(params, x[3:], np.array([[0.0]])) == 0.0
    assert lr.accuracy(params, x[:2], np.array([1.0, 0.0])) == 1.0


def test_one_vs_rest_labels_and_glorot_init() -> None:
    t = lr.one_vs_rest_labels(np.array([1, 0, 7, 1]))
    assert t.shape == (4, 1) and t.dtype == np.float32
    np.testing.assert_array_equal(t[:, 0], [1, 0, 0, 1])
    np.testing.assert_array_equal(lr.one_vs_rest_labels([3, 7], positive=7)[:, 0], [0, 1])
    p = lr.init_params(784, rng=0)
    limit = math.sqrt(6 / (784 + 1))
    assert p["W"].shape == (784, 1) and p["b"].shape == (1,)
    assert p["W"].dtype == p["b"].dtype == np.float32 and not p["b"].any()
    assert np.abs(p["W"]).max() <= limit and np.abs(p["W"]).max() > 0.9 * limit
    assert abs(float(p["W"].std()) - limit / math.sqrt(3)) < 0.1 * limit  # uniform's std


@given(problem=logistic_problems())
def test_logistic_sgd_step(problem: tuple[Params, np.ndarray, np.ndarray]) -> None:
    params, x, y = problem
    loss, grads = lr.loss_and_grads(params, x, y)
    expected = {k: params[k] - 0.1 * grads[k] for k in params}
    assert lr.sgd_step(params, x, y, 0.1) == loss
    for k in params:
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- penalties


@given(w=st.tuples(sizes, sizes).flatmap(away_from_zero), lam=floats(0.01, 3))
def test_penalties_match_fd(w: np.ndarray, lam: float) -> None:
    v1, g1 = penalties.l1_penalty_and_grad(w, lam)
    v2, g2 = penalties.l2_penalty_and_grad(w, lam)
    assert math.isclose(v1, lam * np.abs(w).sum(), rel_tol=1e-12)
    assert math.isclose(v2, lam * (w**2).sum(), rel_tol=1e-12)
    assert v1 == penalties.l1_penalty(w, lam) and v2 == penalties.l2_penalty(w, lam)
    np.testing.assert_array_equal(g1, lam * np.sign(w))  # seed 003: the matrix of signs
    np.testing.assert_allclose(g2, 2 * lam * w, rtol=1e-15)  # and twice the matrix
    fd1 = numerical_grad(lambda: penalties.l1_penalty(w, lam), w)
    fd2 = numerical_grad(lambda: penalties.l2_penalty(w, lam), w)
    np.testing.assert_allclose(g1, fd1, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(g2, fd2, rtol=RTOL, atol=ATOL)


def test_l1_subgradient_at_zero_is_zero() -> None:
    _, g = penalties.l1_penalty_and_grad(np.array([0.0, -2.0, 3.0]), 0.5)
    np.testing.assert_array_equal(g, [0.0, -0.5, 0.5])


# --------------------------------------------------------------------------- dtypes


def _all_models(dtype: type) -> list[tuple[str, Callable[..., Any], Params, Any, Any]]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4))  # float64 data: the parameters' dtype must win
    labels = rng.integers(0, 3, 6)
    return [
        ("softmax", sr.loss_and_grads, sr.init_params(4, 3, 0, dtype), x, np.eye(3)[labels]),
        ("mlp", tl.loss_and_grads, tl.init_params(4, 5, 3, 0, dtype, 0.5), x, labels),
        ("xor", xm.loss_and_grads, xm.init_params(0, 4, dtype, 4, 1), x, rng.random((6, 1))),
        ("logistic", lr.loss_and_grads, lr.init_params(4, 0, dtype), x, labels[:, None] % 2),
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grads_keep_the_parameters_dtype(dtype: type) -> None:
    for name, fn, params, x, y in _all_models(dtype):
        assert all(p.dtype == dtype for p in params.values()), name
        loss, grads = fn(params, x, y)
        assert type(loss) is float and math.isfinite(loss), name
        for k, g in grads.items():
            assert g.dtype == dtype and g.shape == params[k].shape, (name, k)


def test_float32_results_agree_with_float64() -> None:
    ref = {name: fn(params, x, y) for name, fn, params, x, y in _all_models(np.float64)}
    for name, fn, params, x, y in _all_models(np.float32):
        loss, grads = fn(params, x, y)
        assert math.isclose(loss, ref[name][0], rel_tol=1e-5), name
        for k in grads:
            np.testing.assert_allclose(grads[k], ref[name][1][k], rtol=1e-4, atol=1e-6)


def test_numpy_float64_scalars_do_not_upcast_float32() -> None:
    w = np.ones((3, 2), dtype=np.float32)
    z = np.ones((2, 3), dtype=np.float32)
    assert penalties.l1_penalty_and_grad(w, np.float64(0.5))[1].dtype == np.float32
    assert penalties.l2_penalty_and_grad(w, np.float64(0.5))[1].dtype == np.float32
    for fn in (sr.softmax, sr.log_softmax, xm.sigmoid, xm.sigmoid_grad):
        assert fn(z).dtype == np.float32, fn.__name__
    assert sr.cross_entropy_and_grad(z, np.eye(3)[[0, 1]])[1].dtype == np.float32
    forwards = {
        "softmax": sr.forward,
        "mlp": tl.forward,
        "xor": xm.forward,
        "logistic": lr.predict_proba,
    }
    for name, _, params, x, _ in _all_models(np.float32):
        assert forwards[name](params, x).dtype == np.float32, name  # x is float64


# --------------------------------------------------------------------------- Adam


@given(
    steps=st.integers(1, 6),
    lr=st.floats(1e-4, 0.5),
    beta1=st.floats(0.0, 0.99),
    beta2=st.floats(0.5, 0.9999),
    seed=st.integers(0, 2**16),
)
def test_reference_adam_is_the_published_rule(
    steps: int, lr: float, beta1: float, beta2: float, seed: int
) -> None:
    """reference.adam.Adam against Algorithm 1 of Kingma & Ba written out term by term."""
    from tinygrad_edu.reference.adam import Adam

    rng = np.random.default_rng(seed)
    params = {"w": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    expected = {k: v.copy() for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v2 = {k: np.zeros_like(v) for k, v in params.items()}
    opt = Adam(params, lr=lr, betas=(beta1, beta2), eps=1e-8)
    for t in range(1, steps + 1):
        grads = {k: rng.standard_normal(p.shape) for k, p in params.items()}
        opt.step(grads)
        for k, g in grads.items():
            m[k] = beta1 * m[k] + (1 - beta1) * g
            v2[k] = beta2 * v2[k] + (1 - beta2) * g * g
            m_hat, v_hat = m[k] / (1 - beta1**t), v2[k] / (1 - beta2**t)
            expected[k] = expected[k] - lr * m_hat / (np.sqrt(v_hat) + 1e-8)
    for k in params:
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-10, atol=1e-12)
