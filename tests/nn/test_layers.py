"""Layers and loss modules: against PyTorch (same state dict in both), Dropout's statistics
and gradient, Linear's default initialisation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

RTOL, ATOL = 1e-5, 1e-6


def _torch() -> Any:
    torch = pytest.importorskip("torch", reason="PyTorch is the optional oracle")
    torch.set_num_threads(1)  # tiny tensors: extra threads only contend on a 2-core machine
    return torch


def _to_torch(torch: Any, model: nn.Module, theirs: Any) -> None:
    """Load OUR state dict into the torch model (the direction the brief asks for)."""
    state = {k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()}
    theirs.load_state_dict(state)


def _normal(shape: tuple[int, ...], seed: int, dtype: Any = np.float32) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def _assert_close(ours: tg.Tensor | None, theirs: Any) -> None:
    assert ours is not None
    np.testing.assert_allclose(ours.data.numpy(), theirs.detach().numpy(), rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------------- Linear / Sequential


@given(n=st.integers(1, 5), d_in=st.integers(1, 5), d_out=st.integers(1, 5), bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_linear_matches_torch(n: int, d_in: int, d_out: int, bias: bool, seed: int) -> None:
    torch = _torch()
    tg.manual_seed(seed)
    ours = nn.Linear(d_in, d_out, bias=bias)
    theirs = torch.nn.Linear(d_in, d_out, bias=bias)
    _to_torch(torch, ours, theirs)
    x = _normal((n, d_in), seed)
    g = _normal((n, d_out), seed + 1)
    x_ours, x_theirs = tg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y_ours, y_theirs = ours(x_ours), theirs(x_theirs)
    assert y_ours.shape == tuple(y_theirs.shape) and y_ours.dtype == np.float32
    _assert_close(y_ours, y_theirs)
    y_ours.backward(g)
    y_theirs.backward(torch.from_numpy(g))
    _assert_close(x_ours.grad, x_theirs.grad)
    _assert_close(ours.weight.grad, theirs.weight.grad)
    if bias:
        _assert_close(ours.bias.grad, theirs.bias.grad)
    else:
        assert ours.bias is None and list(ours.state_dict()) == ["weight"]


@pytest.mark.parametrize("order", ["F", "C"])
def test_linear_weight_gradient_has_the_weights_memory_order(order: str) -> None:
    """nn.Linear stores W column-major; dL/dW = G^T x comes out in W's order, owning its
    memory (the leaf keeps it without a copy), and an SGD step keeps the order. A row-major W
    (as a user might assign) gets a row-major gradient."""
    layer = nn.Linear(4, 3)
    flags = layer.weight.data.numpy().flags
    assert flags.f_contiguous and not flags.c_contiguous
    layer.weight.data = np.asarray(layer.weight.data.numpy(), order=order)
    x, g = _normal((5, 4), 1), _normal((5, 3), 2)
    layer(tg.Tensor(x)).backward(g)
    grad = layer.weight.grad.data.numpy()
    assert grad.flags[f"{order}_CONTIGUOUS"] and grad.base is None
    np.testing.assert_allclose(grad, g.T @ x, rtol=1e-5, atol=1e-6)
    tg.optim.SGD(layer.parameters(), lr=0.1).step()
    assert layer.weight.data.numpy().flags[f"{order}_CONTIGUOUS"]


def test_linear_on_batched_and_single_inputs() -> None:
    torch = _torch()
    ours = nn.Linear(3, 2)
    theirs = torch.nn.Linear(3, 2)
    _to_torch(torch, ours, theirs)
    for shape in [(3,), (2, 4, 3)]:
        x = _normal(shape, 7)
        _assert_close(ours(tg.Tensor(x)), theirs(torch.from_numpy(x)))


@given(n=st.integers(1, 4), hidden=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_sequential_mlp_matches_torch(n: int, hidden: int, seed: int) -> None:
    """Forward and every gradient through a small net with each activation, after loading
    the same state dict into both."""
    torch = _torch()

    def build(lib: Any) -> Any:
        return lib.Sequential(
            lib.Flatten(), lib.Linear(6, hidden), lib.ReLU(), lib.Linear(hidden, 4),
            lib.LeakyReLU(0.2), lib.Linear(4, 4), lib.Tanh(), lib.Identity(),
            lib.Linear(4, 3), lib.Sigmoid(), lib.Linear(3, 3), lib.Softmax(dim=1),
            lib.Linear(3, 3), lib.LogSoftmax(dim=-1),
        )

    tg.manual_seed(seed)
    ours, theirs = build(nn), build(torch.nn)
    _to_torch(torch, ours, theirs)
    x = _normal((n, 2, 3), seed)  # Flatten: (n, 2, 3) -> (n, 6)
    g = _normal((n, 3), seed + 1)
    y_ours, y_theirs = ours(tg.Tensor(x)), theirs(torch.from_numpy(x))
    _assert_close(y_ours, y_theirs)
    y_ours.backward(g)
    y_theirs.backward(torch.from_numpy(g))
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        _assert_close(p.grad, theirs_params[name].grad)


def test_linear_default_init_is_pytorchs_bounds() -> None:
    """U(-1/sqrt(in), 1/sqrt(in)) for weight and bias; variance 1/(3 in)."""
    tg.manual_seed(0)
    d_in, d_out = 300, 400
    layer = nn.Linear(d_in, d_out)
    bound = 1 / math.sqrt(d_in)
    w, b = layer.weight.data.numpy(), layer.bias.data.numpy()
    assert w.shape == (d_out, d_in) and b.shape == (d_out,)
    assert w.dtype == np.float32 and b.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.99 * bound and np.abs(b).max() > 0.9 * bound
    # E[w^2] = bound^2 / 3; relative sd of the mean of n squares is sqrt(0.8 / n); allow 5 sd
    n = w.size
    assert abs(np.mean(w.astype(np.float64) ** 2) / (bound**2 / 3) - 1) < 5 * math.sqrt(0.8 / n)
    assert abs(w.mean()) < 5 * bound / math.sqrt(3 * n)
    # reproducible, weight drawn first then bias
    tg.manual_seed(0)
    again = nn.Linear(d_in, d_out)
    np.testing.assert_array_equal(again.weight.data.numpy(), w)
    np.testing.assert_array_equal(again.bias.data.numpy(), b)
    assert nn.Linear(2, 3, dtype=np.float64).weight.dtype == np.float64
    assert nn.Linear(2, 3, dtype="torch.float64").bias.dtype == np.float64
    with pytest.warns(UserWarning, match="zero-element"):  # as PyTorch; the bias bound is 0
        empty = nn.Linear(0, 3)
    assert empty.weight.shape == (3, 0) and not empty.bias.data.numpy().any()


def test_layer_arguments() -> None:
    with pytest.raises(TypeError):
        nn.Softmax()  # type: ignore[call-arg]
    with pytest.raises(RuntimeError, match="negative dimension.*>= 0"):  # as PyTorch
        nn.Linear(-1, 2)
    with pytest.raises(ValueError, match=r"Linear.*shape \(4, 5\).*in_features = 3"):
        nn.Linear(3, 2)(tg.ones(4, 5))
    x = tg.Tensor(_normal((2, 3, 4, 5), 0))
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Flatten(-3, -2)(x).shape == (2, 12, 5)
    assert nn.Identity(3, foo=4)(x) is x
    np.testing.assert_array_equal(nn.LeakyReLU(0.5)(tg.tensor([-2.0, 3.0])).data.numpy(), [-1.0,
                                                                                           3.0])


# ---------------------------------------------------------------------- Dropout


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_keeps_the_right_fraction_and_scales(p: float) -> None:
    tg.manual_seed(1)
    n = 100_000
    y = nn.Dropout(p)(tg.ones(n)).data.numpy()
    kept = int((y != 0).sum())
    sigma = math.sqrt(n * p * (1 - p))  # binomial standard deviation
    assert abs(kept - n * (1 - p)) < 5 * sigma
    np.testing.assert_allclose(y[y != 0], np.float32(1 / (1 - p)), rtol=1e-6)
    assert y.dtype == np.float32


@given(p=st.floats(0.05, 0.95), seed=st.integers(0, 2**16), dtype=st.sampled_from(
    [np.float32, np.float64]))
def test_dropout_gradient_is_mask_times_scale(p: float, seed: int, dtype: Any) -> None:
    x = tg.Tensor(_normal((4, 5), seed, dtype) + 3.0, requires_grad=True)  # no exact zeros
    g = _normal((4, 5), seed + 1, dtype)
    tg.manual_seed(seed)
    y = F.dropout(x, p, training=True)
    tg.manual_seed(seed)  # the same draws on a tensor of ones give mask / (1 - p) itself
    scaled_mask = F.dropout(tg.Tensor(np.ones((4, 5), dtype=dtype)), p, training=True).data.numpy()
    assert set(np.unique(scaled_mask)) <= {0, dtype(1 / (1 - p))}
    np.testing.assert_allclose(y.data.numpy(), x.data.numpy() * scaled_mask, rtol=1e-6)
    y.backward(g)
    assert x.grad is not None and x.grad.dtype == dtype
    np.testing.assert_allclose(x.grad.data.numpy(), g * scaled_mask, rtol=1e-6)


def test_dropout_eval_edge_cases_and_errors() -> None:
    x = tg.Tensor(_normal((3, 4), 0), requires_grad=True)
    layer = nn.Dropout(0.5).eval()
    assert layer(x) is x  # identity in eval mode
    assert F.dropout(x, 0.5, training=False) is x
    assert nn.Dropout(0.0)(x) is x  # p = 0: nothing dropped
    zeroed = nn.Dropout(1.0)(x)  # p = 1: everything dropped, no gradient
    assert not zeroed.data.numpy().any()
    zeroed.sum().backward()
    assert x.grad is not None and not x.grad.data.numpy().any()
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(bad)
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(x, bad)
    with pytest.raises(TypeError, match="floating"):
        F.dropout(tg.tensor([1, 2, 3]), 0.5)


def test_dropout_is_reproducible_with_manual_seed() -> None:
    x = tg.ones(20, 20)
    tg.manual_seed(3)
    a = nn.Dropout(0.3)(x).data.numpy()
    b = nn.Dropout(0.3)(x).data.numpy()
    tg.manual_seed(3)
    assert np.array_equal(nn.Dropout(0.3)(x).data.numpy(), a)
    assert not np.array_equal(a, b)


# ---------------------------------------------------------------------- loss modules


def _loss_pairs(torch: Any) -> list[tuple[str, Any, Any]]:
    tnn = torch.nn
    return [("CrossEntropyLoss", nn.CrossEntropyLoss, tnn.CrossEntropyLoss),
            ("NLLLoss", nn.NLLLoss, tnn.NLLLoss), ("MSELoss", nn.MSELoss, tnn.MSELoss),
            ("L1Loss", nn.L1Loss, tnn.L1Loss), ("BCELoss", nn.BCELoss, tnn.BCELoss),
            ("BCEWithLogitsLoss", nn.BCEWithLogitsLoss, tnn.BCEWithLogitsLoss)]


def _loss_inputs(name: str, n: int, c: int, seed: int, soft: bool) -> tuple[np.ndarray, Any]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c))
    if name == "CrossEntropyLoss":
        if soft:
            t = rng.random((n, c)) + 0.1
            return x, t / t.sum(axis=1, keepdims=True)
        return x, rng.integers(0, c, n)
    if name == "NLLLoss":
        return x - np.log(np.exp(x).sum(axis=1, keepdims=True)), rng.integers(0, c, n)
    if name == "BCELoss":
        return rng.uniform(0.02, 0.98, (n, c)), rng.integers(0, 2, (n, c)).astype(np.float64)
    if name == "BCEWithLogitsLoss":
        return x, rng.random((n, c))
    return x, rng.normal(size=(n, c))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(n=st.integers(1, 5), c=st.integers(2, 5), seed=st.integers(0, 2**16),
       soft=st.booleans(), dtype=st.sampled_from([np.float32, np.float64]))
def test_loss_modules_match_torch(reduction: str, n: int, c: int, seed: int, soft: bool,
                                  dtype: Any) -> None:
    torch = _torch()
    for name, ours_cls, theirs_cls in _loss_pairs(torch):
        x, t = _loss_inputs(name, n, c, seed, soft)
        x = x.astype(dtype)
        if t.dtype.kind == "f":
            t = t.astype(dtype)
        x_ours, x_theirs = tg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        l_ours = ours_cls(reduction=reduction)(x_ours, tg.Tensor(t) if t.dtype.kind == "f"
                                               else tg.tensor(t))
        l_theirs = theirs_cls(reduction=reduction)(x_theirs, torch.from_numpy(t))
        assert l_ours.shape == tuple(l_theirs.shape), name
        assert l_ours.dtype == dtype, name
        np.testing.assert_allclose(l_ours.data.numpy(), l_theirs.detach().numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=name)
        g = _normal(l_ours.shape, seed + 1, dtype)
        l_ours.backward(g)
        l_theirs.backward(torch.from_numpy(g))
        np.testing.assert_allclose(x_ours.grad.data.numpy(), x_theirs.grad.numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=name)


def test_loss_reduction_is_validated_at_construction() -> None:
    for cls in (nn.CrossEntropyLoss, nn.NLLLoss, nn.MSELoss, nn.L1Loss, nn.BCELoss,
                nn.BCEWithLogitsLoss):
        assert cls().reduction == "mean"
        with pytest.raises(ValueError, match=f"{cls.__name__}: reduction must be one of"):
            cls(reduction="average")
        with pytest.raises(TypeError):
            cls("sum")  # reduction is keyword-only


def test_bce_loss_clamps_the_log_at_minus_100_or_clips_at_eps_like_seed_004() -> None:
    p, y = tg.tensor([0.0, 1.0]), tg.tensor([1.0, 0.0])
    np.testing.assert_allclose(nn.BCELoss()(p, y).item(), 100.0, rtol=1e-6)  # as PyTorch
    np.testing.assert_allclose(nn.BCELoss(eps=1e-10)(p, y).item(), -math.log(1e-10), rtol=1e-6)
    np.testing.assert_allclose(nn.BCELoss(eps=1e-3)(p, y).item(), -math.log(1e-3), rtol=1e-5)


def test_cross_entropy_loss_in_a_training_step() -> None:
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    criterion = nn.CrossEntropyLoss()
    x = tg.Tensor(_normal((30, 4), 0))
    y = tg.tensor(np.argmax(x.data.numpy()[:, :3], axis=1))
    first = criterion(model(x), y).item()
    for _ in range(30):
        model.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        with tg.no_grad():
            for p in model.parameters():
                p -= 0.5 * p.grad
    assert criterion(model(x), y).item() < 0.5 * first
