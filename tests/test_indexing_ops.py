"""The indexing methods (gather, scatter, index_*, masked_*, take, nonzero and the in-place
forms) against PyTorch: values and gradients on every memory layout, float32 and float64
(and int64 inputs), second derivatives, the index checks and the in-place rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from layouts import LAYOUTS, in_layout

import tinygrad_edu as tg

torch = pytest.importorskip("torch", reason="compared with PyTorch")

RNG = np.random.default_rng(7)
X = RNG.normal(size=(3, 4))
IDX = np.array([[0, 2, 1, 0], [2, 2, 0, 1]])
DISTINCT = np.array([[0, 1], [2, 3], [3, 0]])
SLICES = np.array([2, 0, 2])

# name -> f(lib, x, index tensor maker); every op written once for both libraries
CASES: dict[str, Callable[..., Any]] = {
    "gather": lambda m, x, i: x.gather(0, i(IDX)),
    "gather_small": lambda m, x, i: x.gather(1, i(IDX[:1, :2])),
    "scatter": lambda m, x, i: x.scatter(1, i(DISTINCT), x[:, :2] * 2),
    "scatter_value": lambda m, x, i: x.scatter(1, i(DISTINCT), 1.5),
    "scatter_add": lambda m, x, i: x.scatter_add(0, i(IDX), x[:2] * 3),
    "index_select": lambda m, x, i: x.index_select(1, i(np.array([3, 0, 3]))),
    "index_add": lambda m, x, i: x.index_add(0, i(SLICES), x * 2, alpha=2),
    "index_copy": lambda m, x, i: x.index_copy(1, i(np.array([3, 0])), x[:, :2] * 2),
    "index_fill": lambda m, x, i: x.index_fill(1, i(np.array([3, -1])), 2.0),
    "masked_fill": lambda m, x, i: x.masked_fill(x > 0, -1.0),
    "masked_fill_bcast": lambda m, x, i: x.masked_fill(m.tensor([True, False, True, False]),
                                                       0.5),
    "masked_select": lambda m, x, i: x.masked_select(x > 0),
    "masked_scatter": lambda m, x, i: x.masked_scatter(x > 0, x * 3),
    "take": lambda m, x, i: x.take(i(np.array([[1, -1], [5, 5]]))),
    "take_along_dim": lambda m, x, i: x.take_along_dim(i(IDX), 0),
    "take_along_flat": lambda m, x, i: x.take_along_dim(i(np.array([1, 2, 11]))),
    **{f"scatter_reduce_{r}_{s}": (lambda m, x, i, r=r, s=s: x.scatter_reduce(
        0, i(IDX), x[:2] * 2, r, include_self=s))
       for r in ("sum", "mean", "amax", "amin", "prod") for s in (True, False)},
}
ONLY_FIRST = {k for k in CASES if "prod" in k}  # first derivatives only (documented)


def _run(lib: Any, name: str, array: np.ndarray, grad: bool) -> tuple[Any, Any]:
    if lib is tg:
        x = tg.Tensor(array, requires_grad=grad)
    else:
        x = torch.tensor(np.array(array), requires_grad=grad)
    return x, CASES[name](lib, x, lambda a: lib.tensor(np.asarray(a, np.int64)))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name: str, dtype: Any, layout: str) -> None:
    values = in_layout(X.astype(dtype), layout)
    x, y = _run(tg, name, values, True)
    t, z = _run(torch, name, X.astype(dtype), True)
    assert y.dtype == z.detach().numpy().dtype and y.shape == tuple(z.shape)
    np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), rtol=1e-6)
    weight = RNG.normal(size=y.shape).astype(dtype)
    (y * tg.tensor(weight)).sum().backward()
    (z * torch.tensor(weight)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(set(CASES) - ONLY_FIRST))
def test_second_derivatives_match_torch(name: str) -> None:
    values = X * (1 + np.arange(X.size).reshape(X.shape) / 10)  # distinct: no ties
    x, y = _run(tg, name, values, True)
    t, z = _run(torch, name, values, True)
    weight = RNG.normal(size=y.shape)
    (g,) = tg.autograd.grad((y * y * tg.tensor(weight)).sum(), [x], create_graph=True)
    (h,) = torch.autograd.grad((z * z * torch.tensor(weight)).sum(), [t], create_graph=True)
    (gg,) = tg.autograd.grad((g * g).sum(), [x])
    (hh,) = torch.autograd.grad((h * h).sum(), [t])
    np.testing.assert_allclose(gg.numpy(), hh.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["gather", "scatter", "scatter_add", "index_select",
                                  "index_add", "take", "take_along_dim", "masked_fill"])
def test_integer_inputs_match_torch(name: str) -> None:
    ints = (X * 10).astype(np.int64)
    _, y = _run(tg, name, ints, False)
    _, z = _run(torch, name, ints, False)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y.numpy(), z.numpy())


def test_value_tensor_gets_the_gradient_of_every_filled_element() -> None:
    for lib in (tg, torch):
        x = lib.tensor(X, requires_grad=True)
        v = lib.tensor(2.0, dtype=lib.float64, requires_grad=True)
        x.masked_fill(x > 0, v).sum().backward()
        assert float(v.grad) == float((X > 0).sum())
        w = lib.tensor(1.0, dtype=lib.float64, requires_grad=True)
        x.index_fill(1, lib.tensor([0, 0, 2]), w).sum().backward()
        assert float(w.grad) == 6.0


def test_index_dtype_shape_and_bound_errors_name_the_problem() -> None:
    x = tg.tensor(X)
    with pytest.raises(RuntimeError, match="int64 or int32 for index, got float32"):
        x.gather(0, tg.tensor([[0.0]]))
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 0 with size 3"):
        x.gather(0, tg.tensor([[5]]))
    with pytest.raises(RuntimeError, match="index -1 is out of bounds"):
        x.scatter(0, tg.tensor([[-1]]), 1.0)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.gather(0, tg.tensor([0]))
    with pytest.raises(RuntimeError, match="no larger than self"):
        x.gather(0, tg.zeros(2, 5, dtype=tg.int64))
    with pytest.raises(RuntimeError, match="self.dtype to be equal to src.dtype"):
        x.scatter(0, tg.tensor([[0]]), tg.ones(1, 1, dtype=tg.float32))
    with pytest.raises(IndexError, match="index 7 is out of bounds"):
        x.index_select(0, tg.tensor([7]))
    with pytest.raises(IndexError, match="supposed to be a vector"):
        x.index_select(0, tg.zeros(1, 1, dtype=tg.int64))
    with pytest.raises(RuntimeError, match="same scalar type"):
        x.index_add(0, tg.tensor([0]), tg.ones(1, 4, dtype=tg.float32))
    with pytest.raises(RuntimeError, match="only boolean masks"):
        x.masked_fill(tg.ones(3, 4), 1.0)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        x.masked_fill(x > 0, tg.tensor([1.0]))
    with pytest.raises(RuntimeError, match="source has 2 elements for 12 ones"):
        x.masked_scatter(tg.ones(3, 4, dtype=tg.bool), tg.ones(2, dtype=tg.float64))
    with pytest.raises(RuntimeError, match="reduce argument must be one of"):
        x.scatter_reduce(0, tg.tensor([[0]]), x, "max")
    with pytest.raises(RuntimeError, match="derivative of scatter with reduce"):
        tg.tensor(X, requires_grad=True).scatter(0, tg.tensor([[0]]), 1.0, reduce="add")


def test_saved_index_changed_in_place_is_caught() -> None:
    x = tg.tensor(X, requires_grad=True)
    index = tg.tensor(IDX)
    y = x.gather(0, index)
    index.add_(0)  # any in-place change before backward
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


@pytest.mark.parametrize("name, call", [
    ("masked_fill_", lambda x, m: x.masked_fill_(m.tensor(X > 0), -1.0)),
    ("scatter_", lambda x, m: x.scatter_(1, m.tensor(DISTINCT), 2.5)),
    ("scatter_add_", lambda x, m: x.scatter_add_(0, m.tensor(IDX), m.tensor(X[:2]))),
    ("index_fill_", lambda x, m: x.index_fill_(1, m.tensor([0, 3]), 9.0)),
    ("index_add_", lambda x, m: x.index_add_(0, m.tensor(SLICES), m.tensor(X), alpha=2)),
    ("index_copy_", lambda x, m: x.index_copy_(1, m.tensor([3, 0]), m.tensor(X[:, :2]))),
    ("masked_scatter_", lambda x, m: x.masked_scatter_(m.tensor(X > 0), m.tensor(X * 3))),
    ("put_", lambda x, m: x.put_(m.tensor([0, 5, 5]), m.tensor([1.0, 2.0, 3.0],
                                                              dtype=m.float64),
                                 accumulate=True)),
])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_in_place_forms_match_torch(name: str, call: Any, layout: str) -> None:
    ours, theirs = tg.Tensor(in_layout(X, layout)), torch.tensor(X)
    memory = ours._data
    before = ours._data.copy()
    assert call(ours, tg) is ours
    call(theirs, torch)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    assert ours._data is memory and not np.array_equal(before, memory)  # written in place
    leaf = tg.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        call(leaf, tg)
    with tg.no_grad():
        call(leaf, tg)  # allowed, as an optimizer step


def test_in_place_cannot_grow_the_tensor() -> None:
    with pytest.raises(RuntimeError, match="cannot be written into"):
        tg.zeros(3).masked_fill_(tg.ones(2, 3, dtype=tg.bool), 1.0)


def test_nonzero_and_argwhere_match_torch() -> None:
    for values in (X > 0, np.array(5.0), np.zeros((2, 0)), np.array([0, 3, 0, 1])):
        ours, theirs = tg.tensor(values), torch.tensor(values)
        np.testing.assert_array_equal(ours.nonzero().numpy(), theirs.nonzero().numpy())
        assert ours.nonzero().shape == tuple(theirs.nonzero().shape)
        np.testing.assert_array_equal(ours.argwhere().numpy(), theirs.argwhere().numpy())
        for a, b in zip(ours.nonzero(as_tuple=True), theirs.nonzero(as_tuple=True),
                        strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_src_larger_than_index_gets_zero_gradient_beyond_it() -> None:
    x = tg.tensor(X, requires_grad=True)
    src = tg.tensor(np.ones((3, 4)), requires_grad=True)
    x.scatter_add(0, tg.tensor(IDX[:1, :2]), src).sum().backward()
    expected = np.zeros((3, 4))
    expected[0, :2] = 1
    np.testing.assert_array_equal(src.grad.numpy(), expected)


@pytest.mark.parametrize("reduce", ["amax", "amin"])
@pytest.mark.parametrize("include_self", [False, True])
def test_scatter_reduce_ties_share_the_gradient_as_torch(reduce: str, include_self: bool) -> None:
    """Small integers, so that values tie often, and NaN: x's own value counts among the
    ties where it equals the result even when include_self=False leaves it out, and a NaN
    result gives NaN gradients, as in PyTorch."""
    rng = np.random.default_rng(1)
    values = np.array([-2.0, -1.0, 0.0, 1.0, 2.0, np.nan])
    for _ in range(150):
        n, m = int(rng.integers(1, 5)), int(rng.integers(1, 6))
        x, src = rng.choice(values, n), rng.choice(values, m)
        index, weight = rng.integers(0, n, m), rng.standard_normal(n)
        grads = []
        for lib in (tg, torch):
            a, b = lib.tensor(x, requires_grad=True), lib.tensor(src, requires_grad=True)
            z = a.scatter_reduce(0, lib.tensor(index), b, reduce, include_self=include_self)
            (z * lib.tensor(weight)).sum().backward()
            grads.append((a.grad.numpy(), b.grad.numpy()))
        (ours_x, ours_src), (torch_x, torch_src) = grads
        np.testing.assert_array_equal(ours_x, torch_x)  # (NaN where NaN)
        np.testing.assert_array_equal(ours_src, torch_src)
