"""Gradients of gradients (create_graph=True) for the reductions and shape ops: amax/amin,
max()/min(), max(dim)/min(dim) (TakeAlongDim and its PutAlongDim), var, std, logsumexp,
permute/transpose/.T, expand/broadcast_to/expand_as, cat, stack, F.pad and indexing (GetItem
and its IndexAdd/Index pair: basic slices, negative steps, ints, None, Ellipsis, integer and
boolean arrays, repeated indices).

Each op runs in a scalar loss sum(c * op(x)^3), so its recorded backward is differentiated
again: second and third derivatives are compared with PyTorch's (float64, every memory
layout of x; float32) and second derivatives with central differences of the analytic
gradient (gradgradcheck, float64). Hypothesis draws indices, dims and values; the recorded
backward is checked against the plain (array) one on arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from layouts import LAYOUTS, in_layout

import tinygrad_edu as tg
from tinygrad_edu.ops import reduce as R

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(12)
X2 = RNG.standard_normal((3, 4))  # distinct values: finite differences hold
X3 = RNG.standard_normal((2, 3, 4))
TIES = np.array([[1.0, 3.0, 3.0, -2.0], [0.5, 0.5, 0.5, 0.5], [-1.0, 2.0, -1.0, 2.0]])
MASK = X2 > 0


def index(lib: Any, values: Any) -> Any:
    """An index tensor of either library."""
    return lib.tensor(np.array(values))


# name -> (x, op(lib, x)); the same lines run with lib = tg and lib = torch
OPS: dict[str, tuple[np.ndarray, Callable[[Any, Any], Any]]] = {
    "amax": (X2, lambda L, x: x.amax(dim=1)),
    "amin_keepdim_dims": (X3, lambda L, x: x.amin(dim=(0, 2), keepdim=True)),
    "max_all": (X2, lambda L, x: x.max()),
    "min_all": (X3, lambda L, x: x.min()),
    "max_dim": (X2, lambda L, x: x.max(1)[0]),
    "min_dim_keepdim": (X3, lambda L, x: x.min(dim=0, keepdim=True).values),
    "max_dim_0d": (np.array(0.7), lambda L, x: x.max(0)[0]),
    "var_dim": (X2, lambda L, x: x.var(1)),
    "var_all_correction0": (X3, lambda L, x: x.var(correction=0)),
    "var_dims_keepdim": (X3, lambda L, x: x.var((0, 2), keepdim=True, correction=2)),
    "std_dim": (X2, lambda L, x: x.std(0, keepdim=True)),
    "std_all": (X3, lambda L, x: x.std()),
    "logsumexp": (X2, lambda L, x: x.logsumexp(1)),
    "logsumexp_dims_keepdim": (X3, lambda L, x: x.logsumexp((0, 2), keepdim=True)),
    "logsumexp_function": (X2, lambda L, x: L.logsumexp(x * 3, 0)),
    "permute": (X3, lambda L, x: x.permute(2, 0, 1)),
    "transpose": (X3, lambda L, x: x.transpose(0, 2)),
    "T": (X2, lambda L, x: x.T),
    "expand": (X2[:1], lambda L, x: x.expand(2, 3, 4)),
    "expand_minus_one": (X2[:, :1], lambda L, x: x.expand(-1, 5)),
    "broadcast_to": (X2[0], lambda L, x: x.broadcast_to((3, 4))),
    "cat": (X2, lambda L, x: L.cat([x, x * x, x[:, :1]], 1)),
    "cat_dim0": (X3, lambda L, x: L.cat([x.exp(), x], dim=0)),
    "stack": (X2, lambda L, x: L.stack([x, x * x], 1)),
    "stack_last": (X2, lambda L, x: L.stack([x * 2, x, x], -1)),
    "pad": (X2, lambda L, x: L.nn.functional.pad(x, (1, 2, 0, 1), value=1.5)),
    "pad_3d": (X3, lambda L, x: L.nn.functional.pad(x, (0, 1, 2, 0, 1, 1))),
    "getitem_slices": (X3, lambda L, x: x[1:, ::2, None, ...]),
    "getitem_ints": (X3, lambda L, x: x[1, -2]),
    "getitem_scalar": (X3, lambda L, x: x[1, 2, 3]),
    "getitem_ellipsis": (X3, lambda L, x: x[..., 1:3]),
    "getitem_array_repeats": (X2, lambda L, x: x[index(L, [0, 0, 2, -1, 0])]),
    "getitem_int_beside_array": (X3, lambda L, x: x[0, :, index(L, [1, 1, 3])]),
    "getitem_array_beside_slice": (X3, lambda L, x: x[:, index(L, [[2, 0], [2, 2]]), 1:]),
    "getitem_two_arrays": (X2, lambda L, x: x[index(L, [0, 2, 0]), index(L, [1, 1, 1])]),
    "getitem_mask": (X2, lambda L, x: x[index(L, MASK)]),
    "getitem_mask_rows": (X3, lambda L, x: x[:, index(L, [True, False, True])]),
    "iterate": (X2, lambda L, x: L.stack(list(x)[::-1])),
}
TIED = {  # ties: the gradient is shared (amax, max()) or goes to the first extreme (max(dim))
    "amax_ties": (TIES, lambda L, x: x.amax(1)),
    "amin_ties_all": (TIES, lambda L, x: x.amin((0, 1))),
    "max_all_ties": (TIES[1], lambda L, x: x.max()),
    "max_dim_ties": (TIES, lambda L, x: x.max(1).values),
    "min_dim_ties": (TIES, lambda L, x: x.min(0).values),
    "std_constant_row": (TIES, lambda L, x: x.std(1)),  # std 0: gradient 0 there
}


def cotangent(shape: tuple[int, ...], salt: int) -> np.ndarray:
    return np.random.default_rng(100 + salt).standard_normal(shape)


def derivatives(lib: Any, x0: np.ndarray, op: Callable[[Any, Any], Any], dtype: str,
                order: int = 3) -> list[np.ndarray]:
    """op(x), then d/dx of L = sum(c op(x)^3), of sum(v (dL/dx)^2) and of sum(w d2^2)."""
    x0 = np.asarray(x0, dtype=dtype)  # (a no-op for arrays of that dtype: the layout stays)
    x = tg.Tensor(x0, requires_grad=True) if lib is tg else torch.tensor(x0, requires_grad=True)
    y = op(lib, x)
    out = (lib.tensor(cotangent(tuple(y.shape), 0).astype(dtype)) * y * y * y).sum()
    results = [y]
    for k in range(order):
        (out,) = lib.autograd.grad(out, x, create_graph=k < order - 1)
        results.append(out)
        if k < order - 1:
            assert out.requires_grad and out.grad_fn is not None  # the backward was recorded
            # the next loss squares the gradient, so that the backward of the recorded
            # backward (IndexAdd's Index, PutAlongDim's TakeAlongDim, ...) runs in turn
            out = (out * out * lib.tensor(cotangent(tuple(x.shape), k + 1).astype(dtype))).sum()
    return [r.detach().numpy(force=True) if lib is torch else r.detach().numpy()
            for r in results]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", sorted(OPS) + sorted(TIED))
def test_second_and_third_derivatives_match_pytorch(name: str, layout: str) -> None:
    x0, op = {**OPS, **TIED}[name]
    ours = derivatives(tg, in_layout(x0, layout), op, "float64")
    theirs = derivatives(torch, x0, op, "float64")
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a.dtype == np.float64 and a.shape == b.shape, (k, a.dtype, a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"order {k}")


@pytest.mark.parametrize("name", sorted(OPS) + sorted(TIED))
def test_derivatives_of_every_order_do_not_depend_on_the_memory_layout(name: str) -> None:
    """Bit-identical in every layout of x (the sums run in a fixed order whatever the
    strides, as the fuzzer's layout property checks for first derivatives)."""
    x0, op = {**OPS, **TIED}[name]
    reference = derivatives(tg, x0, op, "float64")
    for layout in LAYOUTS[1:]:
        for a, b in zip(derivatives(tg, in_layout(x0, layout), op, "float64"), reference,
                        strict=True):
            np.testing.assert_array_equal(a, b, err_msg=layout)


@pytest.mark.parametrize("name", sorted(OPS) + sorted(TIED))
def test_float32_stays_float32_and_matches_pytorch(name: str) -> None:
    x0, op = {**OPS, **TIED}[name]
    ours = derivatives(tg, in_layout(x0.astype(np.float32), "T"), op, "float32", order=2)
    theirs = derivatives(torch, x0, op, "float32", order=2)
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a.dtype == np.float32, (k, a.dtype)
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5, err_msg=f"order {k}")


def _gradient(x0: np.ndarray, op: Callable[[Any, Any], Any]) -> np.ndarray:
    """The plain (array) gradient of sum(c op(x)^3)."""
    x = tg.tensor(x0, requires_grad=True)
    y = op(tg, x)
    (g,) = tg.autograd.grad((tg.tensor(cotangent(tuple(y.shape), 0)) * y * y * y).sum(), x)
    return g.numpy()


def _hessian_vector(x0: np.ndarray, op: Callable[[Any, Any], Any], v: np.ndarray) -> Any:
    x = tg.Tensor(x0, requires_grad=True)
    y = op(tg, x)
    (g,) = tg.autograd.grad((tg.tensor(cotangent(tuple(y.shape), 0)) * y * y * y).sum(), x,
                            create_graph=True)
    (h,) = tg.autograd.grad((g * tg.tensor(v)).sum(), x)
    return h.numpy()


NEGATIVE_STEPS = {  # PyTorch has no negative slice steps: checked by finite differences only
    "getitem_negative_steps": (X3, lambda L, x: x[::-1, 2:0:-2, ::-3]),
    "getitem_negative_step_and_array": (X3, lambda L, x: x[::-1, index(L, [0, 0, 2]), 1]),
}


@pytest.mark.parametrize("layout", ("C", "reversed"))
@pytest.mark.parametrize("name", sorted(OPS) + sorted(NEGATIVE_STEPS))
def test_second_derivative_matches_finite_differences_of_the_gradient(name: str,
                                                                      layout: str) -> None:
    """gradgradcheck: d/dx of sum(v * grad) by central differences of the analytic gradient."""
    x0, op = {**OPS, **NEGATIVE_STEPS}[name]
    v = cotangent(x0.shape, 1)
    h = _hessian_vector(in_layout(x0, layout), op, v)  # (tg.tensor copies: tg.Tensor keeps)
    eps = 1e-6
    numeric = np.empty_like(x0)
    for i in np.ndindex(x0.shape):
        up, down = x0.copy(), x0.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = ((_gradient(up, op) - _gradient(down, op)) * v).sum() / (2 * eps)
    np.testing.assert_allclose(h, numeric, rtol=1e-5, atol=1e-7)


def test_negative_steps_agree_with_the_same_picks_as_an_index_array() -> None:
    """x[::-1, 2:0:-2] picks what x[[1, 0]][:, [2]] picks: same derivatives of every order."""
    def flipped(L: Any, x: Any) -> Any:
        return x[::-1, 2:0:-2]

    def picked(L: Any, x: Any) -> Any:
        return x[index(L, [1, 0])][:, index(L, [2])]

    ours = derivatives(tg, in_layout(X3, "F"), flipped, "float64")
    for a, b in zip(ours, derivatives(torch, X3, picked, "float64"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_repeated_indices_accumulate_in_every_order() -> None:
    """y = x[[0, 0, 0, 1]], L = sum(y^3): dL/dx0 = 9 x0^2, d2 = 18 x0, d3 = 18."""
    x = tg.tensor([0.5, -2.0, 4.0], dtype=tg.float64, requires_grad=True)
    y = x[[0, 0, 0, 1]]
    (g,) = tg.autograd.grad((y * y * y).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [9 * 0.25, 3 * 4.0, 0.0])
    (h,) = tg.autograd.grad(g.sum(), x, create_graph=True)
    np.testing.assert_allclose(h.detach().numpy(), [18 * 0.5, 6 * -2.0, 0.0])
    (t,) = tg.autograd.grad(h.sum(), x)
    np.testing.assert_allclose(t.numpy(), [18.0, 6.0, 0.0])


def _names(tensor: Any) -> set[str]:
    """The names of every node behind ``tensor``."""
    names, stack, seen = set(), [tensor.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.add(node.name())
        stack.extend(getattr(node, "next_nodes", ()))
    return names


@pytest.mark.parametrize(("op", "first", "second"), [
    (lambda x: x[[0, 0, 2]], "IndexAddBackward0", "IndexBackward0"),
    (lambda x: x[1:, ::-1], "IndexAddBackward0", "IndexBackward0"),
    (lambda x: x.max(1).values, "PutAlongDimBackward0", "TakeAlongDimBackward0"),
    (lambda x: x.permute(1, 0), "PermuteBackward0", "PermuteBackward0"),
    (lambda x: tg.cat([x, x], 1), "GetItemBackward0", "IndexAddBackward0"),
])
def test_the_recorded_backward_uses_the_scatter_and_gather_ops(op: Any, first: str,
                                                               second: str) -> None:
    """The gradient of indexing is a recorded IndexAdd, whose gradient is a recorded Index;
    max(dim)'s is a PutAlongDim, whose gradient is a TakeAlongDim; and so on."""
    x = tg.tensor(X2, requires_grad=True)
    y = op(x)
    (g,) = tg.autograd.grad((y * y * y).sum(), x, create_graph=True)
    assert first in _names(g)
    (h,) = tg.autograd.grad((g * g).sum(), x, create_graph=True)
    assert second in _names(h)


def test_an_index_changed_in_place_between_the_passes_is_caught() -> None:
    """The recorded IndexAdd keeps the index arrays it scatters to: changing the index tensor
    after the first backward raises at the second, instead of moving the gradient."""
    x = tg.tensor(X2, requires_grad=True)
    where = tg.tensor([0, 2])
    y = x[where]
    (g,) = tg.autograd.grad((y * y * y).sum(), x, create_graph=True)
    where.add_(-1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        tg.autograd.grad(g.sum(), x)


def test_cat_of_a_legacy_empty_tensor_gets_an_empty_gradient_of_every_order() -> None:
    e = tg.zeros(0, dtype=tg.float64, requires_grad=True)
    x = tg.tensor(X2, requires_grad=True)
    y = tg.cat([e, x * x, e], 0)
    ge, gx = tg.autograd.grad((y * y).sum(), (e, x), create_graph=True)
    assert ge.shape == (0,) and not ge.requires_grad
    np.testing.assert_allclose(gx.detach().numpy(), 4 * X2**3)
    (h,) = tg.autograd.grad(gx.sum(), x)
    np.testing.assert_allclose(h.numpy(), 12 * X2**2)


def test_take_along_dim_and_put_along_dim_with_repeated_picks_match_pytorch_gather() -> None:
    """The general form (several picks per slice, repeats add up), which max(dim) does not
    reach: against torch.take_along_dim to the third derivative."""
    picks = np.array([[0, 0, 3], [1, 2, 1], [3, 3, 3]])

    def ours_op(L: Any, x: Any) -> Any:
        return R.TakeAlongDim.apply(x, index=picks, dim=1, keepdim=True)

    def torch_op(L: Any, x: Any) -> Any:
        return torch.take_along_dim(x, torch.tensor(picks), dim=1)

    for a, b in zip(derivatives(tg, in_layout(X2, "strided"), ours_op, "float64"),
                    derivatives(torch, X2, torch_op, "float64"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------- hypothesis


@st.composite
def index_parts(draw: Any, shape: tuple[int, ...]) -> tuple[Any, ...]:
    """An index PyTorch takes: slices with positive steps, ints, None, an Ellipsis and at most
    one integer array (repeats and negatives) or a mask."""
    parts: list[Any] = []
    dim, arrays, ellipsis = 0, 0, False
    while dim < len(shape) and draw(st.integers(0, 3)):
        n = shape[dim]
        kind = draw(st.sampled_from(["slice", "int", "none", "array", "mask", "ellipsis"]))
        if kind == "ellipsis" and not ellipsis:
            ellipsis = True
            parts.append(Ellipsis)
            dim = len(shape) - draw(st.integers(0, len(shape) - dim))
        elif kind == "int":
            parts.append(draw(st.integers(-n, n - 1)))
            dim += 1
        elif kind == "none":
            parts.append(None)
        elif kind == "array" and not arrays:
            size = draw(st.sampled_from([(1,), (3,), (2, 2)]))
            parts.append(np.array(draw(st.lists(st.integers(-n, n - 1), min_size=int(
                np.prod(size)), max_size=int(np.prod(size))))).reshape(size))
            arrays, dim = 1, dim + 1
        elif kind == "mask" and not arrays:
            parts.append(np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))))
            arrays, dim = 1, dim + 1
        else:
            start = draw(st.sampled_from([None, 0, 1, -1, -n]))
            parts.append(slice(start, draw(st.sampled_from([None, n, 2, -1])),
                               draw(st.sampled_from([None, 1, 2, 3]))))
            dim += 1
    return tuple(parts)


def _as_index(lib: Any, parts: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(lib.tensor(p) if isinstance(p, np.ndarray) else p for p in parts)


values = st.lists(st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 1)),
                  min_size=24, max_size=24).map(lambda v: np.array(v).reshape(2, 3, 4))


@given(x0=values, parts=index_parts((2, 3, 4)), layout=st.sampled_from(LAYOUTS))
def test_any_index_has_pytorchs_second_and_third_derivatives(x0: np.ndarray, parts: Any,
                                                             layout: str) -> None:
    def op(L: Any, x: Any) -> Any:
        return x[_as_index(L, parts)]

    for a, b in zip(derivatives(tg, in_layout(x0, layout), op, "float64"),
                    derivatives(torch, x0, op, "float64"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def _tail(x: Any, dim: int) -> Any:
    """x without its first entry along ``dim``."""
    return x[(slice(None),) * (dim % x.ndim) + (slice(1, None),)]


REDUCE_FORMS = {
    "amax": lambda L, x, d, k: x.amax(d, keepdim=k),
    "amin": lambda L, x, d, k: x.amin(d, keepdim=k),
    "max_dim": lambda L, x, d, k: x.max(d[0], keepdim=k)[0],
    "min_dim": lambda L, x, d, k: x.min(d[-1], keepdim=k)[0],
    "var": lambda L, x, d, k: x.var(d, keepdim=k, correction=len(d) % 3),
    "std": lambda L, x, d, k: x.std(d, keepdim=k),
    "logsumexp": lambda L, x, d, k: x.logsumexp(d, keepdim=k),
    "cat": lambda L, x, d, k: L.cat([x, _tail(x, d[0]) ** 2] if k else [x * x, x], d[0]),
    "stack": lambda L, x, d, k: L.stack([x, x * 2], d[0]),
    "permute": lambda L, x, d, k: x.permute(*(d + tuple(i for i in range(3) if i not in d))),
}


@given(x0=values, name=st.sampled_from(sorted(REDUCE_FORMS)), keepdim=st.booleans(),
       dims=st.lists(st.integers(-3, 2), min_size=1, max_size=3, unique_by=lambda d: d % 3),
       layout=st.sampled_from(LAYOUTS))
def test_reductions_and_joins_over_any_dims_have_pytorchs_derivatives(
        x0: np.ndarray, name: str, keepdim: bool, dims: list[int], layout: str) -> None:
    form = REDUCE_FORMS[name]
    d = tuple(i % 3 for i in dims) if name == "permute" else tuple(dims)

    def op(L: Any, x: Any) -> Any:
        return form(L, x, d, keepdim)

    for a, b in zip(derivatives(tg, in_layout(x0, layout), op, "float64"),
                    derivatives(torch, x0, op, "float64"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


@given(x0=values, name=st.sampled_from(sorted(OPS) + sorted(TIED)),
       layout=st.sampled_from(LAYOUTS), dtype=st.sampled_from(["float32", "float64"]))
def test_recorded_and_array_backwards_agree_on_the_first_derivative(
        x0: np.ndarray, name: str, layout: str, dtype: str) -> None:
    """The same backward run on arrays (default path) and on Tensors (create_graph): equal
    first gradients. Bit for bit, except var/std, whose recorded form takes x - mean again
    from x (the array form keeps the forward's, with equal values' mean made exact), and
    expand/broadcast_to, whose gradient the engine sums down in another order when recorded
    (one sum over the stretched and new dims on arrays, two recorded sums on Tensors)."""
    base, op = {**OPS, **TIED}[name]
    x0 = x0.reshape(-1)[: base.size].reshape(base.shape).astype(dtype)

    def first(create_graph: bool) -> np.ndarray:
        x = tg.Tensor(in_layout(x0, layout), requires_grad=True)
        y = op(tg, x)
        c = tg.tensor(cotangent(tuple(y.shape), 0).astype(dtype))
        (g,) = tg.autograd.grad((c * y).sum(), x, create_graph=create_graph)
        return g.detach().numpy()

    plain, recorded = first(False), first(True)
    assert plain.dtype == recorded.dtype == np.dtype(dtype)
    if name.startswith(("var", "std", "expand", "broadcast")):
        tol = 1e-5 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(recorded, plain, rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(recorded, plain)
