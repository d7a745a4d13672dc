"""Gradients of gradients (create_graph=True) for pow with a tensor exponent, abs,
maximum/minimum, clamp, where, casts, leaky_relu, softmax and log_softmax.

Each op is checked on its second derivatives -- the derivative of sum(w * dL/dx) with
dL/dx = vjp(f, v), with respect to every input *and* to the incoming gradient v -- against
PyTorch (float64, and float32 where the op is used in float32) and against central differences
of our own first derivative (gradgradcheck); the inputs come in C order, Fortran order,
transposed, strided and negatively strided views, and the results must be bit-identical to the
C-ordered ones. A few ops also get a third derivative. Hypothesis draws shapes and values (away
from the kinks of the piecewise ops, where finite differences are meaningless); the kinks
themselves (ties, bounds, 0) are compared with PyTorch. The ops that keep a faster array form
(Pow, Softmax, LogSoftmax) are proven equal to their recorded form on arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from layouts import LAYOUTS, in_layout

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as tgF
from tinygrad_edu.ops import activation as A
from tinygrad_edu.ops import elementwise as E

torch = pytest.importorskip("torch")
tF = torch.nn.functional

# ---------------------------------------------------------------------- the two libraries


class Lib:
    """What a test function needs of a library: its module, its F and how leaves are made."""

    def __init__(self, mod: Any, F: Any) -> None:
        self.mod, self.F = mod, F
        self.is_torch = mod is torch

    def leaf(self, array: np.ndarray) -> Any:
        if self.is_torch:
            return torch.tensor(np.ascontiguousarray(array), requires_grad=True)
        return tg.Tensor(array, requires_grad=True)  # wraps the array: its layout is kept

    def const(self, array: np.ndarray) -> Any:
        return torch.tensor(array) if self.is_torch else tg.tensor(array)

    def numpy(self, t: Any) -> np.ndarray:
        if self.is_torch:  # PyTorch hands back ZeroTensors for some zero second derivatives
            return t.detach().numpy(force=True)
        return np.array(t.detach().numpy())


TG, TORCH = Lib(tg, tgF), Lib(torch, tF)

# name -> (f(lib, *inputs) -> tensor, how many inputs, kinks(*arrays) -> distance to a kink).
# Every f composes its op with products so that the second derivatives are not all zero.
Fn = Callable[..., Any]


def _far(*distances: np.ndarray) -> float:
    return float(min((np.min(np.abs(d)) if d.size else np.inf) for d in distances))


OPS: dict[str, tuple[Fn, int, Fn]] = {
    # at b = 0, d(a^b)/da is set to 0 (PyTorch's mask), whose derivative in b is then 0
    "pow": (lambda L, a, b: (a * a + 0.5) ** b * a, 2, lambda a, b: _far(b)),
    "pow_scalar_base": (lambda L, a, b: 1.7 ** (a * b) * a, 2, lambda a, b: np.inf),
    "pow_constant_exponent_tensor": (lambda L, a, b: (a * a + 0.5) ** L.const(
        np.full(a.shape, -1.5)) * b, 2, lambda a, b: np.inf),
    "abs": (lambda L, a, b: (a * b).abs() * a * a, 2, lambda a, b: _far(a * b)),
    "abs_function": (lambda L, a, b: L.mod.abs(a) * a * b, 2, lambda a, b: _far(a)),
    "maximum": (lambda L, a, b: L.mod.maximum(a * a, b * a) * b, 2,
                lambda a, b: _far(a * a - b * a)),
    "minimum": (lambda L, a, b: (a * a).minimum(b * a) * b, 2,
                lambda a, b: _far(a * a - b * a)),
    "clamp_both": (lambda L, a, b: (a * b).clamp(-0.5, 0.8) * a * b, 2,
                   lambda a, b: _far(a * b + 0.5, a * b - 0.8)),
    "clamp_min": (lambda L, a, b: L.mod.clamp(a * b, min=-0.3) * a, 2,
                  lambda a, b: _far(a * b + 0.3)),
    "clip_max": (lambda L, a, b: (a * a).clip(max=1.0) * b * a, 2, lambda a, b: _far(a * a - 1)),
    "where": (lambda L, a, b: L.mod.where(a * b > 0, a * a * b, b * b * a), 2,
              lambda a, b: _far(a * b)),
    "where_scalar": (lambda L, a, b: L.mod.where(a > 0.1, a * b * b, 0.0) * a, 2,
                     lambda a, b: _far(a - 0.1)),
    "where_method": (lambda L, a, b: (a * b).where(b < 0, a * a) * a, 2, lambda a, b: _far(b)),
    "leaky_relu": (lambda L, a, b: L.F.leaky_relu(a * b) * a, 2, lambda a, b: _far(a * b)),
    "leaky_relu_slopes": (lambda L, a, b: L.F.leaky_relu(a * b, 0.2) * L.F.leaky_relu(a, -0.5)
                          * L.F.leaky_relu(b * b * a, 1.5), 2, lambda a, b: _far(a * b, a)),
    "softmax_last": (lambda L, a, b: (a * b).softmax(-1) * a, 2, lambda a, b: np.inf),
    "softmax_first": (lambda L, a, b: L.F.softmax(a * a, dim=0) * b, 2, lambda a, b: np.inf),
    "softmax_function": (lambda L, a, b: L.mod.softmax(a * b, 0) * b, 2, lambda a, b: np.inf),
    "log_softmax_last": (lambda L, a, b: (a * b).log_softmax(-1) * a, 2, lambda a, b: np.inf),
    "log_softmax_first": (lambda L, a, b: L.F.log_softmax(a * a, dim=0) ** 2 * b, 2,
                          lambda a, b: np.inf),
}
# ops used in float32 models: also compared in float32
FLOAT32_OPS = ("pow", "abs", "maximum", "clamp_both", "where", "leaky_relu", "softmax_last",
               "log_softmax_last")


def second_derivatives(L: Lib, name: str, arrays: list[np.ndarray], v: np.ndarray,
                       w: list[np.ndarray], layout: str = "C") -> tuple[list[np.ndarray],
                                                                       list[np.ndarray]]:
    """(first derivatives vjp(f, v), d sum_k(w_k * first_k) / d(inputs..., v))."""
    f = OPS[name][0]
    leaves = [L.leaf(in_layout(a, layout)) for a in arrays]
    v_leaf = L.leaf(in_layout(v, layout))
    out = f(L, *leaves)
    firsts = L.mod.autograd.grad(out, leaves, grad_outputs=v_leaf, create_graph=True)
    if not L.is_torch:
        assert all(g.requires_grad and g.grad_fn is not None for g in firsts)  # recorded
    total = sum((g * L.const(wk)).sum() for g, wk in zip(firsts, w, strict=True))
    seconds = L.mod.autograd.grad(total, [*leaves, v_leaf], allow_unused=True)
    return ([L.numpy(g) for g in firsts],
            [np.zeros_like(x) if s is None else L.numpy(s)
             for x, s in zip([*arrays, v], seconds, strict=True)])


def first_derivatives(name: str, arrays: list[np.ndarray], v: np.ndarray) -> list[np.ndarray]:
    """Our first derivative alone (the default path, arrays): what gradgradcheck differences."""
    leaves = [TG.leaf(a.copy()) for a in arrays]
    out = OPS[name][0](TG, *leaves)
    return [np.array(g.numpy()) for g in tg.autograd.grad(out, leaves, grad_outputs=tg.tensor(v))]


def finite_differences(name: str, arrays: list[np.ndarray], v: np.ndarray,
                       w: list[np.ndarray], eps: float = 1e-6) -> list[np.ndarray]:
    """d sum_k(w_k * first_k) / d(inputs..., v) by central differences of the first derivative."""
    def s(values: list[np.ndarray]) -> float:
        firsts = first_derivatives(name, values[:-1], values[-1])
        return float(sum((g * wk).sum() for g, wk in zip(firsts, w, strict=True)))

    values = [*arrays, v]
    numeric = []
    for k, x in enumerate(values):
        d = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            up = [y.copy() for y in values]
            down = [y.copy() for y in values]
            up[k][i] += eps
            down[k][i] -= eps
            d[i] = (s(up) - s(down)) / (2 * eps)
        numeric.append(d)
    return numeric


def draw_case(draw: Any, name: str, dtype: Any = np.float64, max_dims: int = 3,
              max_side: int = 4) -> tuple[list[np.ndarray], np.ndarray, list[np.ndarray]]:
    """Inputs, incoming gradient v and weights w of one shape, away from the op's kinks."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=max_dims, min_side=1, max_side=max_side))
    if name.startswith("softmax_first") or name.startswith("log_softmax_first"):
        shape = (max(shape[0], 2), *shape[1:])
    values = st.floats(-2, 2, allow_nan=False, width=64)
    arrays = [draw(hnp.arrays(np.float64, shape, elements=values)).astype(dtype)
              for _ in range(OPS[name][1])]
    assume(OPS[name][2](*arrays) > 1e-3)  # finite differences need a smooth neighbourhood
    v = draw(hnp.arrays(np.float64, shape, elements=values)).astype(dtype)
    w = [draw(hnp.arrays(np.float64, shape, elements=values)).astype(dtype) for _ in arrays]
    return arrays, v, w


def assert_close(ours: list[np.ndarray], theirs: list[np.ndarray], rtol: float,
                 atol: float) -> None:
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a.shape == b.shape and a.dtype == b.dtype, (k, a.shape, a.dtype, b.shape, b.dtype)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"derivative {k}")


# ---------------------------------------------------------------------- second derivatives


@pytest.mark.parametrize("name", sorted(OPS))
@given(data=st.data())
def test_second_derivatives_match_pytorch_in_every_layout(name: str, data: Any) -> None:
    arrays, v, w = draw_case(data.draw, name)
    torch_first, torch_second = second_derivatives(TORCH, name, arrays, v, w)
    first, second = second_derivatives(TG, name, arrays, v, w)
    assert_close(first, torch_first, rtol=1e-10, atol=1e-12)
    assert_close(second, torch_second, rtol=1e-9, atol=1e-11)
    for layout in LAYOUTS[1:]:  # the same bits whatever the inputs' memory layout
        other_first, other_second = second_derivatives(TG, name, arrays, v, w, layout)
        for a, b in zip(first + second, other_first + other_second, strict=True):
            np.testing.assert_array_equal(b, a, err_msg=layout)


@pytest.mark.parametrize("name", sorted(OPS))
@given(data=st.data())
def test_second_derivatives_match_finite_differences_of_the_gradient(name: str,
                                                                     data: Any) -> None:
    arrays, v, w = draw_case(data.draw, name, max_dims=2, max_side=3)  # 2 gradients per element
    _, second = second_derivatives(TG, name, arrays, v, w)
    numeric = finite_differences(name, arrays, v, w)
    assert_close(second, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", FLOAT32_OPS)
@given(data=st.data())
def test_second_derivatives_match_pytorch_in_float32(name: str, data: Any) -> None:
    arrays, v, w = draw_case(data.draw, name, np.float32)
    torch_first, torch_second = second_derivatives(TORCH, name, arrays, v, w)
    first, second = second_derivatives(TG, name, arrays, v, w, data.draw(st.sampled_from(
        LAYOUTS)))
    assert all(s.dtype == np.float32 for s in first + second)  # a float32 model stays float32
    scale = max(1.0, *(float(np.abs(t).max(initial=0)) for t in torch_second))
    assert_close(first, torch_first, rtol=2e-4, atol=2e-5 * scale)
    assert_close(second, torch_second, rtol=2e-4, atol=2e-5 * scale)


def test_the_backward_of_every_op_here_is_recorded() -> None:
    """Every op of this file leaves a gradient with a grad_fn under create_graph (none is cut
    off as a constant), and the gradient graph holds the op's own backward nodes."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3)) + 3, rng.standard_normal((2, 3))
    for name, (f, _, _) in OPS.items():
        x, y = TG.leaf(a), TG.leaf(b)
        g = tg.autograd.grad(f(TG, x, y).sum(), [x, y], create_graph=True)
        assert all(t.grad_fn is not None for t in g), name


# ---------------------------------------------------------------------- third derivatives

THIRD = {
    "pow": (lambda L, x: (x * x + 0.5) ** (x * 0.7 - 0.2)),
    "softmax": (lambda L, x: x.softmax(-1) * x),
    "log_softmax": (lambda L, x: L.F.log_softmax(x * x, dim=0)),
    "abs_maximum": (lambda L, x: L.mod.maximum(x * x * x, x.abs() * x)),
    "cast": (lambda L, x: (x.float() * x.float()).double() * x),
}


def third_derivative(L: Lib, name: str, x0: np.ndarray, layout: str = "C") -> list[np.ndarray]:
    """d3: the derivative of <u, d<w, d<v, f>/dx>/dx> (each step recorded but the last)."""
    rng = np.random.default_rng(7)
    v, w, u = (L.const(rng.standard_normal(x0.shape)) for _ in range(3))
    x = L.leaf(in_layout(x0, layout))
    out = THIRD[name](L, x)
    (g1,) = L.mod.autograd.grad(out, x, grad_outputs=v, create_graph=True)
    (g2,) = L.mod.autograd.grad((g1 * w).sum(), x, create_graph=True)
    (g3,) = L.mod.autograd.grad((g2 * u).sum(), x)
    return [L.numpy(g1), L.numpy(g2), L.numpy(g3)]


@pytest.mark.parametrize("name", sorted(THIRD))
@pytest.mark.parametrize("layout", LAYOUTS)
def test_third_derivatives_match_pytorch(name: str, layout: str) -> None:
    x0 = np.array([[0.3, -1.2, 0.7, 1.9], [-0.4, 1.1, -0.8, 0.25], [1.4, -0.6, 0.9, -1.7]])
    ours, theirs = third_derivative(TG, name, x0, layout), third_derivative(TORCH, name, x0)
    rtol = 1e-5 if name == "cast" else 1e-9  # float32 inside: the two round alike, not exactly
    assert_close(ours, theirs, rtol=rtol, atol=rtol * 1e-2)
    assert np.abs(ours[2]).max() > 0  # the third derivative is not trivially zero


def test_third_derivative_of_pow_matches_finite_differences_of_the_second() -> None:
    x0 = np.array([0.3, -1.2, 0.7, 1.9, -0.4])
    eps = 1e-6
    numeric = np.empty_like(x0)
    for i in range(x0.size):
        up, down = x0.copy(), x0.copy()
        up[i] += eps
        down[i] -= eps
        rng = np.random.default_rng(7)  # the same v, w, u as third_derivative draws
        u = [rng.standard_normal(x0.shape) for _ in range(3)][2]
        numeric[i] = ((third_derivative(TG, "pow", up)[1] * u).sum()
                      - (third_derivative(TG, "pow", down)[1] * u).sum()) / (2 * eps)
    np.testing.assert_allclose(third_derivative(TG, "pow", x0)[2], numeric, rtol=1e-5,
                               atol=1e-7)


# ---------------------------------------------------------------------- kinks and specials

# (name, f, inputs): points where the piecewise ops switch, and pow's 0^b; compared with
# PyTorch only (NaN and inf positions must agree too)
SPECIAL: list[tuple[str, Fn, list[list[float]]]] = [
    ("maximum ties", lambda L, a, b: L.mod.maximum(a, b) * a * b,
     [[1.0, 2.0, -0.5, 0.0], [1.0, 1.5, -0.5, 0.0]]),
    ("minimum ties", lambda L, a, b: L.mod.minimum(a * a, b) * b,
     [[1.0, 2.0, -0.5, 0.0], [1.0, 1.5, 0.25, 0.0]]),
    ("clamp on the bounds", lambda L, a, b: (a * b).clamp(-0.5, 1.0) * a,
     [[0.5, 1.0, -1.0, 2.0], [-1.0, 1.0, 0.5, 0.1]]),
    ("abs at 0", lambda L, a, b: a.abs() * a * b, [[0.0, 0.0, 1.0, -1.0], [1.0, -2.0, 0.0, 3.0]]),
    ("leaky_relu at 0", lambda L, a, b: L.F.leaky_relu(a, 0.3) * a * b,
     [[0.0, -0.0, 1.0, -1.0], [1.0, 2.0, 0.5, 3.0]]),
    ("pow at 0", lambda L, a, b: a**b * b, [[0.0, 0.0, 0.0, 2.0], [0.0, 2.0, 1.0, 0.0]]),
    ("pow of negatives", lambda L, a, b: a**b, [[-1.5, -2.0, -0.5, 1.0], [2.0, 3.0, 0.5, -1.0]]),
    ("softmax of a size-1 dim",
     lambda L, a, b: ((a * b).reshape(4, 1).softmax(1) * a.reshape(4, 1)).reshape(4),
     [[0.5, 1.0, -1.0, 2.0], [-1.0, 1.0, 0.5, 0.1]]),
    ("log_softmax of a 0-d tensor", lambda L, a, b: (a * b).sum().log_softmax(0) * a,
     [[0.5, 1.0, -1.0, 2.0], [-1.0, 1.0, 0.5, 0.1]]),
    ("where beside a branch with an infinite derivative",
     lambda L, a, b: L.mod.where(a > 0.1, a * b, (a * a) ** 0.5 * b),
     [[0.0, 0.5, 2.0, -1.0], [1.0, 2.0, 0.5, 3.0]]),
    ("clamp and maximum of values with an infinite derivative",
     lambda L, a, b: (a.abs() ** 0.5).clamp(min=0.2) * L.mod.maximum(a.abs() ** 0.5, b),
     [[0.0, 0.5, 2.0, -1.0], [1.0, 2.0, 0.5, 3.0]]),
    ("softmax of large values", lambda L, a, b: (a * b * 300).softmax(0) * a,
     [[0.5, 1.0, -1.0, 2.0], [-1.0, 1.0, 0.5, 0.1]]),
]


@pytest.mark.parametrize("case", SPECIAL, ids=[c[0] for c in SPECIAL])
def test_second_derivatives_at_kinks_and_special_values_match_pytorch(case: Any) -> None:
    name, f, inputs = case
    arrays = [np.array(x) for x in inputs]
    rng = np.random.default_rng(3)
    v = rng.standard_normal(4)
    w = [rng.standard_normal(4) for _ in arrays]
    OPS["_special"] = (f, len(arrays), lambda *a: np.inf)
    try:
        with np.errstate(all="ignore"):
            ours = second_derivatives(TG, "_special", arrays, v, w)
            theirs = second_derivatives(TORCH, "_special", arrays, v, w)
    finally:
        del OPS["_special"]
    for a, b in zip(ours[0] + ours[1], theirs[0] + theirs[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, equal_nan=True, err_msg=name)


def test_cast_records_its_backward_and_returns_each_gradient_in_its_dtype() -> None:
    x = tg.tensor([0.5, -1.5, 2.0], dtype=tg.float32, requires_grad=True)
    y = (x.double() ** 3).sum()
    (g,) = tg.autograd.grad(y, x, create_graph=True)
    assert g.dtype == tg.float32 and g.grad_fn is not None
    (h,) = tg.autograd.grad(g.sum(), x)
    assert h.dtype == tg.float32
    np.testing.assert_allclose(h.numpy(), 6 * np.array([0.5, -1.5, 2.0]), rtol=1e-6)


# ---------------------------------------------------------------------- the two forms agree

SPECIALS = [0.0, -0.0, 1.0, -1.0, 0.5, -1.5, 2.0, np.inf, -np.inf, np.nan]
special_floats = st.one_of(st.floats(-3, 3, width=64), st.sampled_from(SPECIALS))


class _Ctx:
    """A stand-in node: what the backwards read (saved values, settings, needs_input_grad)."""

    def __init__(self, node: Any, needs: tuple[bool, ...]) -> None:
        self.__dict__.update(node.__dict__)
        self.saved, self.needs_input_grad = node.saved, needs


@given(data=st.data())
def test_pow_array_backward_equals_its_recorded_backward_on_arrays(data: Any) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=4))
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    a, b, g = (data.draw(hnp.arrays(np.float64, shape, elements=special_floats)).astype(dtype)
               for _ in range(3))
    with np.errstate(all="ignore"):
        node = E.Pow.apply(tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
                           ).grad_fn
        needs = data.draw(st.sampled_from([(True, True), (True, False), (False, True)]))
        ctx = _Ctx(node, needs)
        fast, shared = E.Pow.array_backward(ctx, g), E.Pow.backward(ctx, g)
    for x, y in zip(fast, shared, strict=True):
        assert (x is None) == (y is None)
        if x is not None:
            assert x.dtype == y.dtype == dtype
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pow_array_backward_equals_its_recorded_backward_on_every_pair_of_specials(dtype: Any
                                                                                   ) -> None:
    """Every (base, exponent, incoming gradient) of SPECIALS: the masks at 0 and the NaN/inf
    cases, which random draws reach rarely."""
    grid = np.array(np.meshgrid(SPECIALS, SPECIALS, SPECIALS, indexing="ij"), dtype=dtype)
    a, b, g = grid.reshape(3, -1)
    with np.errstate(all="ignore"):
        node = E.Pow.apply(tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
                           ).grad_fn
        fast, shared = E.Pow.array_backward(node, g), E.Pow.backward(node, g)
    for x, y in zip(fast, shared, strict=True):
        assert x.dtype == y.dtype == dtype
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("op", [A.Softmax, A.LogSoftmax], ids=["softmax", "log_softmax"])
@given(data=st.data())
def test_softmax_array_backwards_equal_their_recorded_backwards_on_arrays(op: Any,
                                                                         data: Any) -> None:
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x, g = (data.draw(hnp.arrays(np.float64, shape, elements=special_floats)).astype(dtype)
            for _ in range(2))
    layout = data.draw(st.sampled_from(LAYOUTS))
    with np.errstate(all="ignore"):
        node = op.apply(tg.Tensor(in_layout(x, layout), requires_grad=True), dim=dim).grad_fn
        fast, shared = op.array_backward(node, in_layout(g, layout)), op.backward(node, g)
    assert fast.dtype == shared.dtype == dtype
    np.testing.assert_array_equal(fast, shared)


# ---------------------------------------------------------------------- in a model


def test_a_gradient_penalty_through_layers_built_from_these_ops_matches_pytorch() -> None:
    """||d D(x) / dx||^2 (WGAN-GP style) for a critic of nn.LeakyReLU, clamp, maximum, abs
    (F.l1_penalty) and nn.LogSoftmax / nn.Softmax layers, differentiated again with respect to
    the weights: the use create_graph exists for."""
    rng = np.random.default_rng(5)
    x0, w1, w2 = rng.standard_normal((6, 3)), rng.standard_normal((5, 3)), rng.standard_normal(
        (4, 5))
    results = []
    for L, nn in ((TG, tg.nn), (TORCH, torch.nn)):
        x, a, b = L.leaf(x0), L.leaf(w1), L.leaf(w2)
        h = nn.LeakyReLU(0.1)(L.F.linear(x, a)).clamp(-1.5, 2.0)
        h = L.mod.maximum(h, h * h - 1)
        logp = nn.LogSoftmax(dim=1)(L.F.linear(h, b))
        critic = (logp * nn.Softmax(dim=0)(logp)).sum() + 0.1 * a.abs().sum()
        (gx,) = L.mod.autograd.grad(critic, x, create_graph=True)
        penalty = (gx * gx).sum()
        results.append([L.numpy(g) for g in L.mod.autograd.grad(penalty, [a, b])])
    assert_close(results[0], results[1], rtol=1e-9, atol=1e-11)
