"""``tinygrad_edu.reference.mlp`` (a ReLU MLP of any depth, hand backprop) against float64
central differences, against ``two_layer_net`` for one hidden layer and ``softmax_regression``
for none. Like ``test_reference.py``, nothing of the autograd engine is imported here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

# pytest puts tests/ on sys.path (no __init__.py there): share the finite-difference helper
from test_reference import numerical_grad

from tinygrad_edu.reference import mlp
from tinygrad_edu.reference import softmax_regression as sr
from tinygrad_edu.reference import two_layer_net as tl

Params = dict[str, np.ndarray]


def farray(shape: tuple[int, ...], lo: float = -1.0, hi: float = 1.0) -> st.SearchStrategy[Any]:
    return arrays(np.float64, shape,
                  elements=st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64))


def pre_activations(params: Params, x: np.ndarray) -> list[np.ndarray]:
    """Z1 .. Z(L-1), written out again from the definition."""
    out, a = [], x
    for layer in range(1, len(params) // 2):
        z = a @ params[f"W{layer}"] + params[f"b{layer}"]
        out.append(z)
        a = np.maximum(z, 0)
    return out


@st.composite
def mlp_problems(draw: st.DrawFn, min_hidden: int = 0, max_hidden: int = 3,
                 ) -> tuple[Params, np.ndarray, np.ndarray]:
    """(params, X, labels) for an MLP with min_hidden..max_hidden hidden layers, sides <= 5,
    every hidden pre-activation kept away from relu's kink at 0 (finite differences across it
    mean nothing)."""
    hidden_layers = draw(st.integers(min_hidden, max_hidden))
    widths = [draw(st.integers(1, 5)) for _ in range(hidden_layers + 1)]
    widths.append(draw(st.integers(2, 5)))
    params: Params = {}
    for layer, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=True), start=1):
        params[f"W{layer}"] = draw(farray((n_in, n_out)))
        params[f"b{layer}"] = draw(farray((n_out,)))
    n = draw(st.integers(1, 5))
    x = draw(farray((n, widths[0]), -2, 2))
    assume(all(np.abs(z).min() > 1e-3 for z in pre_activations(params, x)))
    labels = draw(arrays(np.int64, (n,), elements=st.integers(0, widths[-1] - 1)))
    return params, x, labels


def naive_loss(params: Params, x: np.ndarray, labels: np.ndarray) -> float:
    """The mean cross-entropy straight from the definition (no fusing, no log-sum-exp)."""
    a = x
    n_layers = len(params) // 2
    for layer in range(1, n_layers + 1):
        a = a @ params[f"W{layer}"] + params[f"b{layer}"]
        if layer < n_layers:
            a = np.maximum(a, 0)
    p = np.exp(a) / np.exp(a).sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(x)), labels])))


# --------------------------------------------------------------------------- gradients


@given(problem=mlp_problems())
def test_grads_match_central_differences(problem: tuple[Params, np.ndarray, np.ndarray]) -> None:
    params, x, labels = problem
    loss, grads = mlp.loss_and_grads(params, x, labels)
    assert math.isclose(loss, naive_loss(params, x, labels), rel_tol=1e-10, abs_tol=1e-12)
    assert list(grads) == list(params)
    for name, p in params.items():
        assert grads[name].shape == p.shape and grads[name].dtype == np.float64
        fd = numerical_grad(lambda: mlp.loss_and_grads(params, x, labels)[0], p)
        np.testing.assert_allclose(grads[name], fd, rtol=1e-6, atol=1e-8, err_msg=name)


@given(problem=mlp_problems(1, 1), g0=st.sampled_from([0.0, 1.0, 0.5]))
def test_one_hidden_layer_equals_two_layer_net(
    problem: tuple[Params, np.ndarray, np.ndarray], g0: float
) -> None:
    """The loop over layers, run once, is seed 001's backprop of ``two_layer_net``: same loss,
    same gradients (class labels, one-hot rows, a single sample) and the same SGD step."""
    params, x, labels = problem
    one_hot = np.eye(params["W2"].shape[1])[labels]
    for xs, target in ((x, labels), (x, one_hot), (x[0], labels[0]), (x[0], one_hot[0])):
        loss_m, grads_m = mlp.loss_and_grads(params, xs, target, relu_grad_at_zero=g0)
        loss_t, grads_t = tl.loss_and_grads(params, xs, target, relu_grad_at_zero=g0)
        assert math.isclose(loss_m, loss_t, rel_tol=1e-14, abs_tol=1e-15)
        for k in params:
            np.testing.assert_allclose(grads_m[k], grads_t[k], rtol=1e-13, atol=1e-15, err_msg=k)
    p_m = {k: v.copy() for k, v in params.items()}
    p_t = {k: v.copy() for k, v in params.items()}
    loss_m = mlp.sgd_step(p_m, x, labels, 0.3, relu_grad_at_zero=g0)
    loss_t = tl.sgd_step(p_t, x, labels, 0.3, relu_grad_at_zero=g0)
    assert math.isclose(loss_m, loss_t, rel_tol=1e-14, abs_tol=1e-15)
    for k in params:
        np.testing.assert_allclose(p_m[k], p_t[k], rtol=1e-13, atol=1e-15, err_msg=k)
    np.testing.assert_array_equal(mlp.forward(params, x), tl.forward(params, x))


@given(problem=mlp_problems(0, 0))
def test_no_hidden_layer_is_softmax_regression(
    problem: tuple[Params, np.ndarray, np.ndarray],
) -> None:
    params, x, labels = problem
    loss_m, grads_m = mlp.loss_and_grads(params, x, labels)
    loss_s, grads_s = sr.loss_and_grads({"W": params["W1"], "b": params["b1"]}, x, labels)
    assert math.isclose(loss_m, loss_s, rel_tol=1e-14, abs_tol=1e-15)
    np.testing.assert_allclose(grads_m["W1"], grads_s["W"], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(grads_m["b1"], grads_s["b"], rtol=1e-13, atol=1e-15)


@given(problem=mlp_problems(2, 3))
def test_deep_backprop_written_out(problem: tuple[Params, np.ndarray, np.ndarray]) -> None:
    """The docstring's recursion, spelled out again with one-hot targets and a plain softmax."""
    params, x, labels = problem
    n_layers = len(params) // 2
    acts, zs = [x], []
    for layer in range(1, n_layers + 1):
        z = acts[-1] @ params[f"W{layer}"] + params[f"b{layer}"]
        zs.append(z)
        acts.append(np.maximum(z, 0) if layer < n_layers else z)
    p = np.exp(acts[-1]) / np.exp(acts[-1]).sum(axis=1, keepdims=True)
    dz = (p - np.eye(p.shape[1])[labels]) / len(x)
    expected: Params = {}
    for layer in range(n_layers, 0, -1):
        expected[f"W{layer}"] = acts[layer - 1].T @ dz
        expected[f"b{layer}"] = dz.sum(axis=0)
        if layer > 1:
            dz = (zs[layer - 2] > 0) * (dz @ params[f"W{layer}"].T)
    _, grads = mlp.loss_and_grads(params, x, labels)
    for k in params:
        np.testing.assert_allclose(grads[k], expected[k], rtol=1e-10, atol=1e-15, err_msg=k)


@pytest.mark.parametrize("g0", [0.0, 1.0, 0.5])
def test_relu_grad_at_zero(g0: float) -> None:
    """Unit 1 of the second hidden layer has Z2 == 0 exactly for every sample: its gradient is
    g0 times dA2, and nothing flows below it through that unit when g0 == 0."""
    rng = np.random.default_rng(7)
    params = mlp.init_params((4, 3, 3, 5), rng, np.float64)
    params = {k: v + rng.standard_normal(v.shape) * 0.1 for k, v in params.items()}
    params["W2"][:, 1] = 0.0
    params["b2"][1] = 0.0
    x = rng.standard_normal((6, 4))
    labels = rng.integers(0, 5, 6)
    z1 = x @ params["W1"] + params["b1"]
    a2 = np.maximum(np.maximum(z1, 0) @ params["W2"] + params["b2"], 0)
    logits = a2 @ params["W3"] + params["b3"]
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    da2 = (p - np.eye(5)[labels]) / 6 @ params["W3"].T
    assert abs(da2[:, 1].sum()) > 1e-3  # the check below is not vacuous
    _, grads = mlp.loss_and_grads(params, x, labels, relu_grad_at_zero=g0)
    np.testing.assert_allclose(grads["b2"][1], g0 * da2[:, 1].sum(), rtol=1e-12, atol=1e-15)
    if g0 == 0.0:  # the default is PyTorch's convention
        np.testing.assert_array_equal(mlp.loss_and_grads(params, x, labels)[1]["b2"],
                                      grads["b2"])


# --------------------------------------------------------------------------- the rest of the API


@given(problem=mlp_problems())
def test_sgd_step_is_p_minus_lr_grad_in_place(problem: tuple[Params, np.ndarray, np.ndarray],
                                              ) -> None:
    params, x, labels = problem
    x_before = x.copy()
    loss, grads = mlp.loss_and_grads(params, x, labels)
    expected = {k: params[k] - 0.1 * grads[k] for k in params}
    arrays_before = {k: id(v) for k, v in params.items()}
    assert math.isclose(mlp.sgd_step(params, x, labels, 0.1), loss, rel_tol=1e-12)
    assert {k: id(v) for k, v in params.items()} == arrays_before  # updated in place
    for k in params:
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(x, x_before)


def test_init_params() -> None:
    p = mlp.init_params(rng=0)
    assert {k: v.shape for k, v in p.items()} == {
        "W1": (784, 256), "b1": (256,), "W2": (256, 128), "b2": (128,),
        "W3": (128, 10), "b3": (10,),
    }
    assert all(v.dtype == np.float32 for v in p.values())
    assert mlp.depth(p) == 3
    for layer, (n_in, n_out) in enumerate([(784, 256), (256, 128), (128, 10)], start=1):
        limit = math.sqrt(6 / (n_in + n_out))
        w = p[f"W{layer}"]
        assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit
        assert not p[f"b{layer}"].any()
    # the weight_scale draw is two_layer_net's, number for number
    q, r = mlp.init_params((20, 7, 3), 5, weight_scale=0.01), tl.init_params(20, 7, 3, 5)
    for k in r:
        np.testing.assert_array_equal(q[k], r[k])
    with pytest.raises(ValueError, match="sizes"):
        mlp.init_params((784,))


def test_depth_rejects_other_keys() -> None:
    with pytest.raises(ValueError, match="W1, b1"):
        mlp.depth({"W": np.zeros((2, 2)), "b": np.zeros(2)})
    with pytest.raises(ValueError, match="W1, b1"):
        mlp.depth({"W1": np.zeros((2, 2)), "b1": np.zeros(2), "W3": np.zeros((2, 2)),
                   "b3": np.zeros(2)})


def test_accuracy_and_predict_proba() -> None:
    p = mlp.init_params((12, 6, 5, 4), 0)
    x = np.random.default_rng(0).random((9, 12), dtype=np.float32)
    pred = mlp.forward(p, x).argmax(1)
    assert mlp.accuracy(p, x, pred) == 1.0
    assert mlp.accuracy(p, x, (pred + 1) % 4) == 0.0
    assert mlp.accuracy(p, x, np.eye(4)[pred]) == 1.0
    np.testing.assert_allclose(mlp.predict_proba(p, x).sum(1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_and_float32_agrees_with_float64(dtype: type) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 8))  # float64 data: the parameters' dtype must win
    labels = rng.integers(0, 3, 6)
    params = mlp.init_params((8, 5, 4, 3), 0, dtype)
    loss, grads = mlp.loss_and_grads(params, x, labels)
    assert type(loss) is float
    assert mlp.forward(params, x).dtype == dtype
    for k, g in grads.items():
        assert g.dtype == dtype and g.shape == params[k].shape
    ref_loss, ref = mlp.loss_and_grads({k: v.astype(np.float64) for k, v in params.items()},
                                       x, labels)
    assert math.isclose(loss, ref_loss, rel_tol=1e-5)
    for k in grads:
        np.testing.assert_allclose(grads[k], ref[k], rtol=1e-4, atol=1e-6)
