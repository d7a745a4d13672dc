"""The activation functions and layers against PyTorch, finite differences and their own
recorded backward.

* Values and gradients equal PyTorch's on Hypothesis-drawn arrays (float32 and float64, every
  memory layout of tests/layouts.py, 0-d and size-0 shapes, drawn options) whose values
  include the kinks and points next to them, large |x|, NaN, +-inf and -0.0; NaN and inf land
  in the same places, dtypes stay, and the results are bit-identical in every layout.
* gradcheck (float64, central differences) away from the kinks; second derivatives against
  PyTorch (float64 and float32) and against finite differences of our own gradient; a third
  derivative for the smooth ones; the recorded backward (create_graph) equals the fast array
  backward, NaN for NaN.
* Printed forms equal PyTorch's; nn.PReLU's state dict moves to torch.nn.PReLU and back with
  the same outputs; bad arguments raise PyTorch's kinds of errors with clear messages.
* erf / erfc / Phi (ops/erf.py: NumPy has none) against the standard library.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from layouts import LAYOUTS, in_layout

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as tgF
from tinygrad_edu import nn
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.ops import activation as A
from tinygrad_edu.ops import activation_smooth as S
from tinygrad_edu.ops.erf import erf, erfc, normal_cdf

torch = pytest.importorskip("torch", reason="PyTorch is the oracle of these tests")
tF = torch.nn.functional


class Lib:
    def __init__(self, mod: Any, F: Any, nn_mod: Any) -> None:
        self.mod, self.F, self.nn = mod, F, nn_mod
        self.is_torch = mod is torch

    def leaf(self, array: np.ndarray) -> Any:
        if self.is_torch:
            return torch.tensor(np.array(array, order="C"), requires_grad=True)
        return tg.Tensor(array, requires_grad=True)  # wraps the array: its layout is kept

    def const(self, array: np.ndarray) -> Any:
        return torch.tensor(np.array(array, order="C")) if self.is_torch else tg.tensor(array)

    def numpy(self, t: Any) -> np.ndarray:
        if self.is_torch:  # ZeroTensors for some zero second derivatives
            return t.detach().numpy(force=True)
        return np.array(t.detach().numpy())


TG, TORCH = Lib(tg, tgF, nn), Lib(torch, tF, torch.nn)


@dataclass(frozen=True)
class Act:
    """One activation: ``fn(L, x, *extras, **option)``, its options, its kinks (where the
    derivative jumps) and extra inputs (PReLU's weight) made from the input's shape."""

    fn: Callable[..., Any]
    options: tuple[dict[str, Any], ...] = ({},)
    kinks: Callable[[dict[str, Any]], tuple[float, ...]] = lambda o: ()
    extras: Callable[[tuple[int, ...], Any], list[np.ndarray]] = lambda shape, draw: []
    min_ndim: int = 0
    second_kinks: tuple[float, ...] = ()  # where only the second derivative jumps
    smooth: bool = field(default=False)  # C-infinity: the third derivative is tested
    torch_second: Callable[..., Any] | None = None  # PyTorch's form for second derivatives


def _prelu_weight(shape: tuple[int, ...], draw: Any) -> list[np.ndarray]:
    channels = shape[1] if len(shape) >= 2 and draw(st.booleans()) else 1
    return [np.asarray(draw(st.lists(st.floats(-1.5, 1.5), min_size=channels,
                                     max_size=channels)), dtype=np.float64)]


ACTS: dict[str, Act] = {
    "relu": Act(lambda L, x: L.F.relu(x), kinks=lambda o: (0.0,)),
    "leaky_relu": Act(lambda L, x, **o: L.F.leaky_relu(x, **o), (
        {}, {"negative_slope": 0.2}, {"negative_slope": -0.5}, {"negative_slope": 1.5}),
        kinks=lambda o: (0.0,)),
    "gelu": Act(lambda L, x, **o: L.F.gelu(x, **o), ({}, {"approximate": "tanh"}),
                smooth=True),
    "silu": Act(lambda L, x: L.F.silu(x), smooth=True),
    "elu": Act(lambda L, x, **o: L.F.elu(x, **o), ({}, {"alpha": 0.5}, {"alpha": 2.0},
                                                  {"alpha": -0.7}), kinks=lambda o: (0.0,)),
    "selu": Act(lambda L, x: L.F.selu(x), kinks=lambda o: (0.0,)),
    "celu": Act(lambda L, x, **o: L.F.celu(x, **o), ({}, {"alpha": 0.5}, {"alpha": 2.5},
                                                    {"alpha": -1.5}), kinks=lambda o: (0.0,)),
    "softplus": Act(lambda L, x, **o: L.F.softplus(x, **o), (
        {}, {"beta": 2.0, "threshold": 5.0}, {"beta": 0.5, "threshold": 1.0},
        {"beta": -1.0}, {"beta": 3, "threshold": 0.5}),
        kinks=lambda o: (o.get("threshold", 20.0) / o.get("beta", 1.0),), smooth=True),
    "relu6": Act(lambda L, x: L.F.relu6(x), kinks=lambda o: (0.0, 6.0)),
    "hardtanh": Act(lambda L, x, **o: L.F.hardtanh(x, **o), (
        {}, {"min_val": -0.5, "max_val": 2.0}, {"min_val": -2.0, "max_val": -1.0},
        {"min_val": 0.5, "max_val": 0.5}), kinks=lambda o: (o.get("min_val", -1.0),
                                                            o.get("max_val", 1.0))),
    "hardswish": Act(lambda L, x: L.F.hardswish(x), kinks=lambda o: (-3.0, 3.0)),
    # PyTorch has no second derivative of hardsigmoid: its relu6(x + 3) / 6 stands in there
    "hardsigmoid": Act(lambda L, x: L.F.hardsigmoid(x), kinks=lambda o: (-3.0, 3.0),
                       torch_second=lambda L, x: L.F.relu6(x + 3) / 6),
    "mish": Act(lambda L, x: L.F.mish(x), smooth=True),
    "logsigmoid": Act(lambda L, x: L.F.logsigmoid(x), smooth=True),
    "softsign": Act(lambda L, x: L.F.softsign(x), second_kinks=(0.0,)),
    "tanhshrink": Act(lambda L, x: L.F.tanhshrink(x), smooth=True),
    "softmin": Act(lambda L, x, **o: L.F.softmin(x, **o), ({"dim": 0}, {"dim": -1}),
                   min_ndim=1, smooth=True),
    "prelu": Act(lambda L, x, w: L.F.prelu(x, w), extras=_prelu_weight,
                 kinks=lambda o: (0.0,)),
}
NAMES = sorted(ACTS)

# ---------------------------------------------------------------------- drawing


def _neighbours(points: tuple[float, ...], dtype: Any) -> list[float]:
    """Each kink and the floats of ``dtype`` just below and above it."""
    out: list[float] = []
    for p in points:
        p = dtype(p)
        out += [float(p), float(np.nextafter(p, dtype(-np.inf))), float(np.nextafter(
            p, dtype(np.inf)))]
    return out


SPECIAL = [0.0, -0.0, 1e4, -1e4, 40.0, -40.0, 3.0, -3.0, 6.0, math.inf, -math.inf, math.nan]


def draw_case(draw: Any, name: str, special: bool = True, dtype: Any = None,
              max_side: int = 4) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, dict]:
    """x, the extra inputs, the incoming gradient and the option of one call."""
    act = ACTS[name]
    dtype = dtype or draw(st.sampled_from([np.float32, np.float64]))
    option = draw(st.sampled_from(act.options))
    shape = draw(hnp.array_shapes(min_dims=act.min_ndim, max_dims=3, min_side=0,
                                  max_side=max_side))
    width = 32 if dtype == np.float32 else 64
    plain = st.floats(-7, 7, width=width)
    pool = _neighbours(act.kinks(option), dtype) + (SPECIAL if special else [])
    elements = st.one_of(plain, st.sampled_from(pool)) if pool else plain
    x = draw(hnp.arrays(dtype, shape, elements=elements))
    extras = [e.astype(dtype) for e in act.extras(shape, draw)]
    grad = draw(hnp.arrays(dtype, shape, elements=st.floats(-2, 2, width=width)))
    if special and grad.size and draw(st.booleans()):  # a NaN incoming gradient: the zeros
        # of selected branches must stay zeros (select, not multiply), as PyTorch
        grad.flat[draw(st.integers(0, grad.size - 1))] = np.nan
    return x, extras, grad, option


def run(L: Lib, name: str, x: np.ndarray, extras: list[np.ndarray], grad: np.ndarray,
        option: dict, layout: str = "C") -> list[np.ndarray]:
    """[value, dL/dx, dL/d(extras)...] with L = sum(grad * f(x))."""
    if L.is_torch and name not in CHANNELWISE:
        return run_torch_vectorized(name, x, grad, option)
    leaves = [L.leaf(in_layout(a, layout)) for a in (x, *extras)]
    out = ACTS[name].fn(L, *leaves, **option)
    out.backward(L.const(in_layout(grad, layout)))
    return [L.numpy(out)] + [L.numpy(leaf.grad) for leaf in leaves]


CHANNELWISE = ("prelu", "softmin")


def run_torch_vectorized(name: str, x: np.ndarray, grad: np.ndarray, option: dict
                         ) -> list[np.ndarray]:
    """PyTorch's elementwise op with every element in its vectorized loop: the input is padded
    to a multiple of 64 elements. (The scalar loop PyTorch runs on a tensor's last few
    elements disagrees with the vectorized one at NaN inputs for hardtanh, relu6, hardswish
    and the ELUs; we follow the vectorized one, which is what large tensors get.)"""
    n = x.size
    pad = np.zeros(64 - n % 64, x.dtype)
    leaf = torch.tensor(np.concatenate([x.reshape(-1), pad]), requires_grad=True)
    out = ACTS[name].fn(TORCH, leaf, **option)[:n].reshape(x.shape)
    out.backward(torch.tensor(np.array(grad, order="C")))
    theirs = [TORCH.numpy(out), TORCH.numpy(leaf.grad[:n].reshape(x.shape))]
    if name == "hardsigmoid" and x.dtype == np.float64:  # documented: PyTorch's 1/6 there is
        theirs[1] = theirs[1] * ((1 / 6) / float(np.float32(1 / 6)))  # float32's 1/6
    return theirs


def assert_matches(ours: np.ndarray, theirs: np.ndarray, what: str) -> None:
    """Same dtype and shape, NaN and inf in the same places, the rest close."""
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, (what, ours.dtype,
                                                                       theirs.dtype)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg=f"{what}: NaN")
    infinite = np.isinf(theirs)
    np.testing.assert_array_equal(ours[np.isinf(ours) | infinite], theirs[np.isinf(ours)
                                  | infinite], err_msg=f"{what}: inf")
    tol = 2e-5 if ours.dtype == np.float32 else 1e-11
    finite = np.isfinite(theirs)
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=tol, atol=tol, err_msg=what)


# ---------------------------------------------------------------------- first derivatives


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_values_and_gradients_match_pytorch(name: str, data: Any) -> None:
    x, extras, grad, option = draw_case(data.draw, name)
    theirs = run(TORCH, name, x, extras, grad, option)
    layout = data.draw(st.sampled_from(LAYOUTS))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # inf * 0 = NaN in NumPy's words
        ours = run(TG, name, x, extras, grad, option, layout)
        c_ordered = run(TG, name, x, extras, grad, option) if layout != "C" else ours
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert_matches(a, b, f"{name}{option} output {k} ({layout})")
    for a, b in zip(ours, c_ordered, strict=True):  # the same bits in every layout
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_every_layout_gives_the_same_bits(name: str) -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(-8, 8, (3, 4))
    x.flat[:8] = [0.0, -3.0, 3.0, 6.0, -0.0, np.nan, np.inf, -np.inf]
    grad = rng.standard_normal((3, 4))
    extras = [np.array([0.3, -0.2, 0.7, 1.1])] if name == "prelu" else []
    for option in ACTS[name].options:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            base = run(TG, name, x, extras, grad, option)
            for layout in LAYOUTS[1:]:
                for a, b in zip(run(TG, name, x, extras, grad, option, layout), base,
                                strict=True):
                    np.testing.assert_array_equal(a, b, err_msg=f"{name} {option} {layout}")


def _far_from_kinks(name: str, x: np.ndarray, option: dict, also_second: bool = False,
                    gap: float = 1e-3) -> bool:
    points = ACTS[name].kinks(option) + (ACTS[name].second_kinks if also_second else ())
    return all(np.all(np.abs(x - p) > gap) for p in points)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_gradcheck_away_from_the_kinks(name: str, data: Any) -> None:
    x, extras, _, option = draw_case(data.draw, name, special=False, dtype=np.float64,
                                     max_side=3)
    assume(_far_from_kinks(name, x, option))
    leaves = [tg.tensor(a, requires_grad=True) for a in (x, *extras)]
    assert gradcheck(lambda *t: ACTS[name].fn(TG, *t, **option), *leaves, atol=1e-7)


def test_gradcheck_catches_a_wrong_derivative(monkeypatch: Any) -> None:
    """The negative control: SiLU's derivative with a flipped sign inside fails gradcheck."""
    def wrong(ctx: Any, grad: np.ndarray) -> np.ndarray:
        x, s = ctx.saved
        return grad * s * (1 - x * (1 - s))

    monkeypatch.setattr(S.SiLU, "array_backward", staticmethod(wrong))
    x = tg.tensor(np.linspace(-2, 2, 7), requires_grad=True)
    assert not gradcheck(tgF.silu, x, raise_exception=False)


# ---------------------------------------------------------------------- higher derivatives


def second_derivatives(L: Lib, name: str, arrays: list[np.ndarray], v: np.ndarray,
                       w: list[np.ndarray], option: dict, layout: str = "C"
                       ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(vjp(f, v), d sum_k <w_k, vjp_k> / d(inputs..., v)); f(x) * x keeps the second
    derivatives of the piecewise linear ones from being all zero."""
    leaves = [L.leaf(in_layout(a, layout)) for a in arrays]
    v_leaf = L.leaf(in_layout(v, layout))
    act = ACTS[name]
    fn = act.torch_second if L.is_torch and act.torch_second is not None else act.fn
    out = fn(L, *leaves, **option) * leaves[0]
    firsts = L.mod.autograd.grad(out, leaves, grad_outputs=v_leaf, create_graph=True)
    total = sum((g * L.const(wk)).sum() for g, wk in zip(firsts, w, strict=True))
    seconds = L.mod.autograd.grad(total, [*leaves, v_leaf], allow_unused=True)
    return ([L.numpy(g) for g in firsts],
            [np.zeros_like(a) if s is None else L.numpy(s)
             for a, s in zip([*arrays, v], seconds, strict=True)])


def draw_smooth_case(draw: Any, name: str, dtype: Any = np.float64, max_side: int = 4
                     ) -> tuple[list[np.ndarray], np.ndarray, list[np.ndarray], dict]:
    x, extras, v, option = draw_case(draw, name, special=False, dtype=dtype,
                                     max_side=max_side)
    assume(_far_from_kinks(name, x, option, also_second=True, gap=1e-2))
    arrays = [x, *extras]
    w = [draw(hnp.arrays(dtype, a.shape, elements=st.floats(-2, 2, width=32))) for a in arrays]
    return arrays, v, w, option


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_second_derivatives_match_pytorch_in_every_layout(name: str, data: Any) -> None:
    arrays, v, w, option = draw_smooth_case(data.draw, name)
    theirs = second_derivatives(TORCH, name, arrays, v, w, option)
    ours = second_derivatives(TG, name, arrays, v, w, option)
    for a, b in zip(ours[0] + ours[1], theirs[0] + theirs[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)
    layout = data.draw(st.sampled_from(LAYOUTS[1:]))
    other = second_derivatives(TG, name, arrays, v, w, option, layout)
    for a, b in zip(ours[0] + ours[1], other[0] + other[1], strict=True):
        np.testing.assert_array_equal(b, a, err_msg=layout)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_second_derivatives_match_pytorch_in_float32(name: str, data: Any) -> None:
    arrays, v, w, option = draw_smooth_case(data.draw, name, np.float32)
    theirs = second_derivatives(TORCH, name, arrays, v, w, option)
    ours = second_derivatives(TG, name, arrays, v, w, option)
    for a, b in zip(ours[0] + ours[1], theirs[0] + theirs[1], strict=True):
        assert a.dtype == np.float32  # a float32 model stays float32, also here
        scale = max(1.0, float(np.abs(b).max(initial=0)))
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5 * scale)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_second_derivatives_match_finite_differences_of_the_gradient(name: str,
                                                                     data: Any) -> None:
    arrays, v, w, option = draw_smooth_case(data.draw, name, max_side=2)
    _, second = second_derivatives(TG, name, arrays, v, w, option)
    eps = 1e-6

    def s(values: list[np.ndarray]) -> float:
        firsts, _ = first_only(name, values[:-1], values[-1], option)
        return float(sum((g * wk).sum() for g, wk in zip(firsts, w, strict=True)))

    values = [*arrays, v]
    for k, a in enumerate(values):
        numeric = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            up, down = [b.copy() for b in values], [b.copy() for b in values]
            up[k][i] += eps
            down[k][i] -= eps
            numeric[i] = (s(up) - s(down)) / (2 * eps)
        np.testing.assert_allclose(second[k], numeric, rtol=1e-5, atol=1e-6)


def first_only(name: str, arrays: list[np.ndarray], v: np.ndarray, option: dict,
               create_graph: bool = False) -> tuple[list[np.ndarray], Any]:
    leaves = [TG.leaf(a.copy()) for a in arrays]
    out = ACTS[name].fn(TG, *leaves, **option) * leaves[0]
    grads = tg.autograd.grad(out, leaves, grad_outputs=tg.tensor(v), create_graph=create_graph)
    return [np.array(g.detach().numpy()) for g in grads], grads


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_recorded_backward_equals_the_array_backward(name: str, data: Any) -> None:
    """create_graph runs ``backward`` on Tensors; the default path runs ``array_backward``
    (a faster form where the op has one): the same gradients, NaN for NaN, inf for inf."""
    x, extras, v, option = draw_case(data.draw, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fast, _ = first_only(name, [x, *extras], v, option)
        recorded, grads = first_only(name, [x, *extras], v, option, create_graph=True)
    assert all(g.grad_fn is not None for g in grads)
    for a, b in zip(recorded, fast, strict=True):
        assert_matches(a, b, f"{name}{option}")


# (CELU's alpha is exact in float32 here: PyTorch's CELU derivative rounds 1/alpha through
# float32, also in float64, a relative error of up to 3e-8 otherwise)
KINKS = {  # op -> (function of L and x, points): second derivatives AT the kinks
    "elu": (lambda L, x: L.F.elu(x), [0.0, -0.0]), "selu": (lambda L, x: L.F.selu(x), [0.0]),
    "celu": (lambda L, x: L.F.celu(x, 0.5), [0.0]),
    "softplus": (lambda L, x: L.F.softplus(x, 2.0, 1.0), [0.5, -0.25]),
    "hardswish": (lambda L, x: L.F.hardswish(x), [-3.0, 3.0]),
    "hardtanh": (lambda L, x: L.F.hardtanh(x), [-1.0, 1.0]),
    "relu6": (lambda L, x: L.F.relu6(x), [0.0, 6.0]),
    "leaky_relu": (lambda L, x: L.F.leaky_relu(x, 0.2), [0.0]),
    "relu": (lambda L, x: L.F.relu(x), [0.0]), "softsign": (lambda L, x: L.F.softsign(x), [0.0]),
    "hardsigmoid": (lambda L, x: L.F.hardsigmoid(x) if not L.is_torch else
                    L.F.relu6(x + 3) / 6, [-3.0, 3.0]),
}


def kink_second_derivatives(L: Lib, f: Callable[..., Any], points: list[float],
                            weight: Any = None) -> list[np.ndarray]:
    x = L.leaf(np.array(points))
    v = L.leaf(np.linspace(0.7, 1.3, len(points)))
    out = (f(L, x) if weight is None else L.F.prelu(x, weight)) * x
    (g,) = L.mod.autograd.grad(out, x, grad_outputs=v, create_graph=True)
    seconds = L.mod.autograd.grad((g * L.const(np.full(len(points), 1.1))).sum(), [x, v])
    return [L.numpy(g)] + [L.numpy(t) for t in seconds]


@pytest.mark.parametrize("name", sorted(KINKS))
def test_second_derivatives_at_the_kinks_are_pytorchs(name: str) -> None:
    """At a kink PyTorch's second derivative sometimes takes the other side than its first
    (ELU: the first at 0 is the left one, the second is masked by x < 0; softplus at
    beta x = threshold likewise): ours follows it."""
    f, points = KINKS[name]
    for a, b in zip(kink_second_derivatives(TG, f, points),
                    kink_second_derivatives(TORCH, f, points), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_prelu_second_derivative_at_zero_is_the_derivative_of_its_gradient() -> None:
    """A documented difference: at x = 0 PyTorch's prelu gradient is w * grad, but its
    derivative in grad is 1 there (its double backward masks with x >= 0). Ours is w."""
    ours = kink_second_derivatives(TG, None, [0.0, -1.0], tg.tensor(np.array([0.3])))
    theirs = kink_second_derivatives(TORCH, None, [0.0, -1.0], torch.tensor([0.3],
                                                                            dtype=torch.float64))
    np.testing.assert_allclose(ours[0], theirs[0])  # the gradients agree
    np.testing.assert_allclose(ours[2], theirs[2])  # and their derivatives in v
    # d/dx of 1.1 v (p'(x) x + p(x)) = 1.1 v 2 p'(x) with p'(0) = w, the gradient's slope
    assert ours[1][0] == pytest.approx(1.1 * 0.7 * 2 * 0.3)
    assert theirs[1][0] == pytest.approx(1.1 * 0.7 * (1 + 0.3))
    assert ours[1][1] == pytest.approx(theirs[1][1])  # away from 0 they agree


THIRD = {"gelu": lambda L, x: L.F.gelu(x),
         "gelu_tanh": lambda L, x: L.F.gelu(x, approximate="tanh"),
         "silu": lambda L, x: L.F.silu(x), "mish": lambda L, x: L.F.mish(x),
         "softplus": lambda L, x: L.F.softplus(x, 2.0), "logsigmoid": lambda L, x:
         L.F.logsigmoid(x), "tanhshrink": lambda L, x: L.F.tanhshrink(x),
         "celu": lambda L, x: L.F.celu(x, 0.75)}


@pytest.mark.parametrize("name", sorted(THIRD))
def test_third_derivatives_match_pytorch(name: str) -> None:
    x0 = np.array([[0.3, -1.2, 0.7, 1.9], [-0.4, 1.1, -0.8, 0.25], [1.4, -0.6, 0.9, -1.7]])
    results = []
    for L in (TG, TORCH):
        rng = np.random.default_rng(7)
        v, w, u = (L.const(rng.standard_normal(x0.shape)) for _ in range(3))
        x = L.leaf(x0)
        (g1,) = L.mod.autograd.grad(THIRD[name](L, x), x, grad_outputs=v, create_graph=True)
        (g2,) = L.mod.autograd.grad((g1 * w).sum(), x, create_graph=True)
        (g3,) = L.mod.autograd.grad((g2 * u).sum(), x)
        results.append([L.numpy(g) for g in (g1, g2, g3)])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)
    assert np.abs(results[0][2]).max() > 0


# ---------------------------------------------------------------------- edges and stability


@pytest.mark.parametrize("name", NAMES)
def test_large_inputs_in_float32_give_no_warning_and_no_nan(name: str) -> None:
    x = np.array([-1e4, -100.0, -30.0, 30.0, 100.0, 1e4], np.float32).reshape(2, 3)
    extras = [np.array([0.25], np.float32)] if name == "prelu" else []
    for option in ACTS[name].options:
        if option.get("alpha", 1) < 0 and name == "celu":
            continue  # e^(x / alpha) of x = -1e4, alpha < 0: inf, in PyTorch too
        with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
            warnings.simplefilter("error")
            leaves = [tg.tensor(a, requires_grad=True) for a in (x, *extras)]
            out = ACTS[name].fn(TG, *leaves, **option)
            out.backward(tg.ones_like(out))
        for t in (out, *(leaf.grad for leaf in leaves)):
            assert t.dtype == tg.float32, (name, option)
            assert np.isfinite(t.detach().numpy()).all(), (name, option)


def test_kink_derivatives_are_pytorchs() -> None:
    """The derivative at each kink, spelled out (the drawn tests hit them too)."""
    def grads(f: Callable[[Any], Any], values: list[float]) -> list[float]:
        x = tg.tensor(np.array(values), requires_grad=True)
        f(x).sum().backward()
        return x.grad.numpy().tolist()

    assert grads(tgF.relu6, [0.0, 6.0, 3.0]) == [0.0, 0.0, 1.0]
    assert grads(tgF.hardtanh, [-1.0, 1.0, 0.0]) == [0.0, 0.0, 1.0]
    assert grads(tgF.hardswish, [-3.0, 3.0, 0.0]) == [0.0, 1.0, 0.5]
    assert grads(tgF.hardsigmoid, [-3.0, 3.0, 0.0]) == [0.0, 0.0, 1 / 6]
    assert grads(tgF.elu, [0.0]) == [1.0]
    assert grads(lambda x: tgF.elu(x, 2.0), [0.0]) == [2.0]
    assert grads(tgF.leaky_relu, [0.0]) == [0.01]
    assert grads(lambda x: tgF.prelu(x, tg.tensor([0.3], dtype=tg.float64)), [0.0]) == [0.3]
    # at a NaN input: PyTorch's vectorized kernels (see run_torch_vectorized)
    assert grads(tgF.hardtanh, [math.nan]) == grads(tgF.hardsigmoid, [math.nan]) == [0.0]
    assert all(math.isnan(g) for f in (tgF.hardswish, tgF.elu, tgF.selu, tgF.celu)
               for g in grads(f, [math.nan]))
    assert grads(tgF.relu, [math.nan]) == [1.0] and grads(tgF.leaky_relu, [math.nan]) == [0.01]


def test_hardsigmoid_derivative_is_exactly_one_sixth_in_float64() -> None:
    """A documented difference: PyTorch's float64 hardsigmoid derivative is 1/6 rounded to
    float32 (its kernel spells the constant 1.0f / 6.0f); ours is 1/6."""
    x = tg.tensor(np.array([0.5]), requires_grad=True)
    tgF.hardsigmoid(x).backward()
    assert x.grad.numpy()[0] == 1 / 6
    t = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
    tF.hardsigmoid(t).backward()
    assert t.grad.item() == float(np.float32(1 / 6)) != 1 / 6


def test_gelu_is_accurate_where_pytorchs_formula_cancels() -> None:
    """x Phi(x) with Phi from erfc keeps its relative accuracy for x << 0, where PyTorch's
    x (1 + erf(x / sqrt 2)) / 2 cancels (to 0 in float32 below x = -5.5)."""
    x = np.array([-6.0, -10.0, -20.0])
    exact = x * np.array([9.865876450376981e-10, 7.619853024160527e-24, 2.7536241186062e-89])
    for dtype in (np.float64, np.float32):
        ours = tgF.gelu(tg.tensor(x.astype(dtype))).numpy()
        keep = exact.astype(dtype) != 0
        np.testing.assert_allclose(ours[keep], exact[keep], rtol=1e-5 if dtype == np.float32
                                   else 1e-13)


def test_integer_inputs_follow_pytorch() -> None:
    ints = tg.tensor(np.array([1, -7, 8]))
    for name in ("gelu", "silu", "elu", "selu", "celu", "softplus", "hardswish",
                 "hardsigmoid", "mish", "logsigmoid", "leaky_relu"):
        with pytest.raises(NotImplementedError, match="not implemented for int64"):
            getattr(tgF, name)(ints)
    assert tgF.relu6(ints).numpy().tolist() == [1, 0, 6] and tgF.relu6(ints).dtype == tg.int64
    assert tgF.hardtanh(ints).numpy().tolist() == [1, -1, 1]
    for name in ("softsign", "tanhshrink"):
        out = getattr(tgF, name)(ints)
        expected = getattr(tF, name)(torch.tensor([1, -7, 8]))
        assert out.dtype == tg.float32
        np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)


def test_inplace_is_accepted_and_computes_out_of_place() -> None:
    x = tg.tensor(np.array([-1.0, 2.0]))
    for f in (tgF.relu, tgF.silu, tgF.elu, tgF.selu, tgF.celu, tgF.relu6, tgF.hardtanh,
              tgF.hardswish, tgF.hardsigmoid, tgF.mish, tgF.leaky_relu):
        out = f(x, inplace=True)
        assert out is not x and x.numpy().tolist() == [-1.0, 2.0]


def test_softmin_picks_pytorchs_implicit_dim_with_its_warning() -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    for shape in ((2, 3, 4), (3, 4), (4,), (2, 3, 4, 1)):
        data = x.reshape(-1)[:math.prod(shape)].reshape(shape)
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
            ours = tgF.softmin(tg.tensor(data))
        with pytest.warns(UserWarning):
            theirs = tF.softmin(torch.tensor(data))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    out = tgF.softmin(tg.tensor(x.astype(np.float32)), 1, dtype=tg.float64)
    assert out.dtype == tg.float64


# ---------------------------------------------------------------------- modules

MODULES = [
    "GELU()", "GELU('tanh')", "GELU(approximate='none')", "SiLU()", "SiLU(True)", "ELU()",
    "ELU(0.5, True)", "ELU(alpha=1)", "SELU()", "SELU(inplace=True)", "CELU()", "CELU(2.0)",
    "CELU(alpha=-1, inplace=True)", "Softplus()", "Softplus(2, 10)", "Softplus(beta=0.5)",
    "ReLU6()", "ReLU6(True)", "Hardtanh()", "Hardtanh(-2, 3, True)", "Hardtanh(0, 1)",
    "Hardswish()", "Hardswish(True)", "Hardsigmoid()", "Hardsigmoid(inplace=True)", "Mish()",
    "Mish(True)", "LogSigmoid()", "Softsign()", "Tanhshrink()", "Softmin()", "Softmin(1)",
    "Softmin(dim=-1)", "PReLU()", "PReLU(3)", "PReLU(num_parameters=4, init=0.1)",
    "LeakyReLU()", "LeakyReLU(0.2, True)", "ReLU(inplace=True)",
]


@pytest.mark.parametrize("spec", MODULES)
def test_modules_print_as_pytorchs(spec: str) -> None:
    ours, theirs = eval(f"nn.{spec}"), eval(f"torch.nn.{spec}")
    assert str(ours) == str(theirs)
    assert repr(nn.Sequential(ours)) == repr(torch.nn.Sequential(theirs))


@pytest.mark.parametrize("spec", [s for s in MODULES if not s.startswith(("PReLU", "Softmin("))]
                         + ["Softmin(1)", "Softmin(dim=-1)"])
def test_modules_compute_their_functions(spec: str) -> None:
    x = np.random.default_rng(1).uniform(-5, 5, (2, 3, 4)).astype(np.float32)
    ours = eval(f"nn.{spec}")(tg.tensor(x))
    theirs = eval(f"torch.nn.{spec}")(torch.tensor(x))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prelu_state_dict_moves_to_pytorch_and_back(channels: int, dtype: Any) -> None:
    rng = np.random.default_rng(channels)
    ours = nn.PReLU(channels, init=0.1, dtype=dtype)
    theirs = torch.nn.PReLU(channels, dtype=torch.float64 if dtype == np.float64 else None)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert ours.weight.detach().numpy().tolist() == [dtype(0.1)] * channels
    assert ours.weight.dtype == dtype
    with tg.no_grad():
        ours.weight.copy_(tg.tensor(rng.uniform(-1, 1, channels).astype(dtype)))
    theirs.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy())
                            for k, v in ours.state_dict().items()})
    x = rng.standard_normal((2, 3, 4, 5)).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    xo, xt = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    yo.backward(tg.tensor(g))
    yt.backward(torch.tensor(g))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(),
                               rtol=tol, atol=tol * 10)
    assert ours.weight.grad.shape == (channels,)
    theirs.weight.data.mul_(-2)  # and back: torch's (changed) state into a fresh layer of ours
    back = nn.PReLU(channels, dtype=dtype)
    back.load_state_dict(theirs.state_dict())
    np.testing.assert_allclose(back(tg.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=tol, atol=tol)
    back.reset_parameters()
    assert back.weight.detach().numpy().tolist() == [0.25] * channels


def test_prelu_learns_its_slope() -> None:
    layer = nn.PReLU()
    opt = tg.optim.SGD(layer.parameters(), lr=0.5)
    x = tg.tensor(np.array([-1.0, -2.0, 1.0], np.float32))
    target = tg.tensor(np.array([-0.5, -1.0, 1.0], np.float32))  # slope 0.5
    for _ in range(50):
        opt.zero_grad()
        loss = ((layer(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
    assert abs(layer.weight.item() - 0.5) < 1e-3


# ---------------------------------------------------------------------- bad arguments


def test_bad_arguments_raise_clear_errors() -> None:
    x = tg.tensor(np.ones((2, 3), np.float32))
    with pytest.raises(RuntimeError, match="approximate argument must be either 'none' or "
                                           "'tanh', got 'foo'"):
        tgF.gelu(x, approximate="foo")
    with pytest.raises(RuntimeError, match="'foo'"):
        nn.GELU("foo")
    with pytest.raises(TypeError, match="'approximate' must be str, not NoneType"):
        tgF.gelu(x, approximate=None)  # type: ignore[arg-type]
    for call in (lambda: tgF.elu(x, alpha="a"), lambda: tgF.celu(x, alpha=None),
                 lambda: tgF.softplus(x, beta="a"), lambda: tgF.softplus(x, threshold=None),
                 lambda: tgF.hardtanh(x, "a"), lambda: tgF.leaky_relu(x, True)):
        with pytest.raises(TypeError, match="must be a number, got"):
            call()
    for make in (lambda: nn.ELU("a"), lambda: nn.CELU(None), lambda: nn.Softplus("a"),
                 lambda: nn.Hardtanh(max_val="b"), lambda: nn.PReLU(init="a")):
        with pytest.raises(TypeError, match="must be a real number"):
            make()
    with pytest.raises(RuntimeError, match="alpha cannot be 0 for CELU"):
        tgF.celu(x, alpha=0.0)
    with pytest.raises(RuntimeError, match="alpha cannot be 0 for CELU"):
        nn.CELU(0)
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        tgF.hardtanh(x, 2.0, 1.0)
    with pytest.raises(ValueError, match=r"max_val \(1.0\) must be greater than min_val"):
        nn.Hardtanh(2.0, 1.0)
    with pytest.raises(RuntimeError, match="parameter numbers = 2 and channel size = 3"):
        tgF.prelu(x, tg.tensor(np.ones(2, np.float32)))
    with pytest.raises(RuntimeError, match="parameter numbers = 3 and channel size = 1"):
        tgF.prelu(tg.tensor(np.ones(3, np.float32)), tg.tensor(np.ones(3, np.float32)))
    with pytest.raises(RuntimeError, match="scalar or 1D tensor, but got: ndim = 2"):
        tgF.prelu(x, tg.tensor(np.ones((3, 1), np.float32)))
    with pytest.raises(RuntimeError, match="Type promoting not supported"):
        tgF.prelu(x, tg.tensor(np.ones(3)))
    with pytest.raises(RuntimeError, match="negative dimension"):
        nn.PReLU(-1)
    with pytest.raises(TypeError, match="num_parameters must be an int"):
        nn.PReLU(2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dim must be an int"):
        nn.Softmin("1")  # type: ignore[arg-type]


def test_prelu_shapes_as_pytorch() -> None:
    for x_shape, w_shape in (((), ()), ((), (1,)), ((3,), (1,)), ((2, 0), (0,)), ((2, 3), (3,)),
                             ((2, 3, 2), (1,)), ((2, 3, 2, 2), (3,))):
        x = np.linspace(-1, 1, math.prod(x_shape)).reshape(x_shape)
        w = np.linspace(0.1, 0.5, math.prod(w_shape)).reshape(w_shape)
        ours = tgF.prelu(tg.tensor(x), tg.tensor(w)).numpy()
        theirs = tF.prelu(torch.tensor(x), torch.tensor(w)).numpy()
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# ---------------------------------------------------------------------- erf (ops/erf.py)


@given(x=st.floats(-30, 30) | st.sampled_from([0.5, -0.5, 4.0, -4.0, 0.0, -0.0]))
def test_erf_and_erfc_are_exact_to_a_few_ulps(x: float) -> None:
    a = np.array([x])
    assert abs(erf(a)[0] - math.erf(x)) <= 4 * np.spacing(abs(math.erf(x)) or 1e-300)
    ref = math.erfc(x)
    if ref > 1e-300:  # below, the result is subnormal: its rounding is coarse
        assert abs(erfc(a)[0] - ref) <= 8 * np.spacing(ref)
    # x sqrt(2) / sqrt(2) is x to an ulp, which moves e^(-x^2) by 2 x^2 ulps
    assert normal_cdf(a * math.sqrt(2))[0] == pytest.approx(
        0.5 * math.erfc(-x), rel=6e-16 * (1 + 2 * x * x), abs=1e-300)


@given(x=st.floats(-12, 12, width=32))
def test_erf_in_float32_stays_float32_and_close(x: float) -> None:
    a = np.array([x], np.float32)
    assert erf(a).dtype == erfc(a).dtype == np.float32
    assert abs(float(erf(a)[0]) - math.erf(x)) <= 4 * np.spacing(np.float32(abs(math.erf(x))))
    ref = math.erfc(x)
    if ref > 1e-37:
        assert abs(float(erfc(a)[0]) - ref) <= 8 * float(np.spacing(np.float32(ref)))


def test_erf_edges() -> None:
    special = np.array([np.inf, -np.inf, np.nan, -0.0, 1e300, -1e300, 28.0])
    with np.errstate(all="raise", under="ignore"):
        np.testing.assert_array_equal(erf(special), [1, -1, np.nan, -0.0, 1, -1, 1])
        np.testing.assert_array_equal(erfc(special), [0, 2, np.nan, 1, 0, 2, 0])
    assert np.signbit(erf(np.array([-0.0]))[0])
    assert erf(np.zeros((0, 3))).shape == (0, 3) and erf(np.array(0.3)).shape == ()
    assert A.stable_sigmoid(np.array(0.0)).shape == ()


@pytest.mark.parametrize("op", ["erf", "erfc"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf_ops_match_pytorch_to_the_second_derivative(op: str, dtype: Any) -> None:
    from tinygrad_edu.ops.erf import Erf, Erfc

    x0 = np.array([-30.0, -5.0, -1.3, -0.4, -0.0, 0.0, 1e-8, 0.3, 0.5, 2.0, 4.5, 9.0, 30.0,
                   np.inf, -np.inf, np.nan], dtype)
    results = []
    for L in (TG, TORCH):
        x = L.leaf(x0)
        y = (Erf if op == "erf" else Erfc).apply(x) if not L.is_torch else getattr(torch, op)(x)
        (g,) = L.mod.autograd.grad(y, x, grad_outputs=L.const(np.full(x0.shape, 0.7, dtype)),
                                   create_graph=True)
        (h,) = L.mod.autograd.grad(g.sum(), x)
        results.append([L.numpy(t) for t in (y, g, h)])
    for a, b in zip(*results, strict=True):
        assert_matches(a, b, op)
