"""``nn.utils``: gradient clipping against PyTorch on identical gradients, and parameter
vectors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)


def _torch() -> Any:
    torch = pytest.importorskip("torch", reason="PyTorch is the optional oracle")
    torch.set_num_threads(1)  # tiny tensors: extra threads only contend on a 2-core machine
    return torch


small_arrays = hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                          elements=st.floats(-3, 3, width=32))
grad_lists = st.lists(small_arrays, min_size=1, max_size=4)


def _params_with_grads(grads: list[np.ndarray]) -> list[nn.Parameter]:
    params = []
    for g in grads:
        p = nn.Parameter(np.zeros_like(g))
        p.grad = tg.Tensor(g.copy())
        params.append(p)
    return params


def _torch_params(torch: Any, grads: list[np.ndarray]) -> list[Any]:
    params = []
    for g in grads:
        p = torch.nn.Parameter(torch.zeros(g.shape))
        p.grad = torch.from_numpy(g.copy())
        params.append(p)
    return params


@given(grads=grad_lists, max_norm=st.floats(0.05, 10),
       norm_type=st.sampled_from([1.0, 2.0, 3.0, math.inf]))
def test_clip_grad_norm_matches_torch(grads: list[np.ndarray], max_norm: float,
                                      norm_type: float) -> None:
    torch = _torch()
    ours, theirs = _params_with_grads(grads), _torch_params(torch, grads)
    total = clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert total.shape == () and total.dtype == np.float32
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-5, atol=1e-6)
    for p, q in zip(ours, theirs, strict=True):
        assert p.grad is not None
        np.testing.assert_allclose(p.grad.data.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-6)


@given(grads=grad_lists, max_norm=st.floats(0.05, 10))
def test_clip_grad_norm_formula(grads: list[np.ndarray], max_norm: float) -> None:
    """total = sqrt(sum of squares of every element); scale by max/(total + 1e-6) if < 1."""
    params = _params_with_grads(grads)
    flat = np.concatenate([g.ravel() for g in grads]).astype(np.float64)
    total = math.sqrt(float((flat**2).sum()))
    result = clip_grad_norm_(params, max_norm)
    np.testing.assert_allclose(result.item(), total, rtol=1e-6, atol=1e-7)
    coef = max_norm / (total + 1e-6)
    for p, g in zip(params, grads, strict=True):
        assert p.grad is not None
        if coef < 1:
            np.testing.assert_allclose(p.grad.data.numpy(), g * coef, rtol=1e-6, atol=1e-7)
        else:
            np.testing.assert_array_equal(p.grad.data.numpy(), g)  # not touched at all
    after = math.sqrt(sum(float((p.grad.data.numpy().astype(np.float64) ** 2).sum()) for p in params
                          if p.grad is not None))
    assert after <= max_norm * (1 + 1e-5)


def test_clip_grad_norm_skips_missing_grads_and_accepts_one_tensor() -> None:
    a = nn.Parameter(np.zeros(2, dtype=np.float32))
    b = nn.Parameter(np.zeros(2, dtype=np.float32))
    a.grad = tg.tensor([3.0, 4.0])
    total = clip_grad_norm_([a, b], 1.0)
    assert total.item() == pytest.approx(5.0) and b.grad is None
    np.testing.assert_allclose(a.grad.data.numpy(), [0.6, 0.8], rtol=1e-5)
    assert clip_grad_norm_(a, 10.0).item() == pytest.approx(1.0, rel=1e-5)
    assert clip_grad_norm_([b], 1.0).item() == 0.0  # no gradients: total norm 0
    a.grad = tg.tensor([math.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([a], 1.0, error_if_nonfinite=True)
    assert get_total_norm([tg.tensor([1.0, -2.0]), tg.tensor([2.0])], math.inf).item() == 2.0


def test_clipping_one_gradient_never_changes_another() -> None:
    """Add hands the SAME array to both inputs; the engine copies it into each leaf's .grad,
    so clipping p's gradient in place must leave q's alone."""
    p = nn.Parameter(np.ones(3, dtype=np.float32))
    q = nn.Parameter(np.ones(3, dtype=np.float32))
    (p + q).sum().backward()
    assert p.grad is not None and q.grad is not None
    clip_grad_value_([p], 0.25)
    clip_grad_norm_([p], 1e-3)
    np.testing.assert_array_equal(q.grad.data.numpy(), np.ones(3))
    assert np.all(p.grad.data.numpy() < 0.01)


@given(grads=grad_lists, clip=st.floats(0.01, 4))
def test_clip_grad_value_matches_torch(grads: list[np.ndarray], clip: float) -> None:
    torch = _torch()
    ours, theirs = _params_with_grads(grads), _torch_params(torch, grads)
    assert clip_grad_value_(ours, clip) is None
    torch.nn.utils.clip_grad_value_(theirs, clip)
    for p, q, g in zip(ours, theirs, grads, strict=True):
        assert p.grad is not None
        np.testing.assert_allclose(p.grad.data.numpy(), q.grad.numpy(), rtol=1e-6)
        np.testing.assert_array_equal(p.grad.data.numpy(), np.clip(g, np.float32(-clip),
                                                            np.float32(clip)))


# ---------------------------------------------------------------------- parameter vectors


@given(seed=st.integers(0, 2**16), hidden=st.integers(1, 5))
def test_parameters_to_vector_round_trip(seed: int, hidden: int) -> None:
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, hidden), nn.Tanh(), nn.Linear(hidden, 2))
    params = list(model.parameters())
    vec = parameters_to_vector(params)
    assert vec.shape == (sum(p.numel() for p in params),) and vec.dtype == np.float32
    np.testing.assert_array_equal(vec.data.numpy(),
                                  np.concatenate([p.data.numpy().ravel() for p in params]))
    other = nn.Sequential(nn.Linear(3, hidden), nn.Tanh(), nn.Linear(hidden, 2))
    vector_to_parameters(vec.detach(), other.parameters())
    for p, q in zip(model.parameters(), other.parameters(), strict=True):
        np.testing.assert_array_equal(p.data.numpy(), q.data.numpy())
        assert not np.shares_memory(p.data.numpy(), q.data.numpy())


def test_parameters_to_vector_matches_torch_order() -> None:
    torch = _torch()
    ours = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    np.testing.assert_array_equal(
        parameters_to_vector(ours.parameters()).detach().numpy(),
        torch.nn.utils.parameters_to_vector(theirs.parameters()).detach().numpy())


def test_parameters_to_vector_is_differentiable() -> None:
    model = nn.Linear(2, 2)
    (parameters_to_vector(model.parameters()) ** 2).sum().backward()
    assert model.weight.grad is not None and model.bias.grad is not None
    np.testing.assert_allclose(model.weight.grad.data.numpy(), 2 * model.weight.data.numpy(),
                               rtol=1e-6)


def test_vector_to_parameters_copies_checks_length_and_keeps_dtype() -> None:
    a = nn.Parameter(np.zeros((2, 2), dtype=np.float32))
    b = nn.Parameter(np.zeros(3, dtype=np.float64))
    vec = tg.Tensor(np.arange(7, dtype=np.float64))
    vector_to_parameters(vec, [a, b])
    assert a.dtype == np.float32 and b.dtype == np.float64
    np.testing.assert_array_equal(a.data.numpy(), [[0, 1], [2, 3]])
    np.testing.assert_array_equal(b.data.numpy(), [4, 5, 6])
    vec.data.numpy()[:] = -1  # a copy, not a view (PyTorch would alias here)
    assert a.data.numpy().min() == 0 and a.is_leaf and a.requires_grad
    for bad in (tg.zeros(6), tg.zeros(8), tg.zeros(7, 1)):
        with pytest.raises(ValueError, match="7 elements"):
            vector_to_parameters(bad, [a, b])
        assert b.data.numpy().tolist() == [4, 5, 6]  # nothing written
    with pytest.raises(TypeError, match="Tensor"):
        vector_to_parameters(np.zeros(7), [a, b])
    # a vector that is a view of the parameters' own memory is read before it is overwritten
    buffer = np.arange(6, dtype=np.float32)
    c, d = nn.Parameter(buffer[:3]), nn.Parameter(buffer[3:])
    vector_to_parameters(tg.Tensor(buffer[::-1]), [c, d])
    np.testing.assert_array_equal(np.concatenate([c.data.numpy(), d.data.numpy()]), [5, 4, 3, 2,
                                                                                     1, 0])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one"):
        parameters_to_vector([])
