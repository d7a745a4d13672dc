"""Gradients of gradients through pooling (create_graph=True) against PyTorch.

For out = pool(x * x) and an incoming gradient v, the first derivative vjp(out, v) is taken
with create_graph=True; the derivative of sum(w * first) with respect to x and to v is the
second derivative (max pooling: 2 v scattered to the argmax, and its gather; average
pooling: the window average of 2 x w, and its spread), and one more derivative of that with
respect to v is the third (the scatter/gather and spread/average pairs, each the other's
backward). All in float64 against PyTorch, and bit-identical whatever the memory layout of x.
Values are distinct and positive, so x * x has no ties: the argmax is stable.
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
import tinygrad_edu.nn.functional as F

torch = pytest.importorskip("torch", reason="PyTorch is the oracle of the pooling tests")
tF = torch.nn.functional

CASES: dict[str, tuple[Callable[[Any, Any], Any], int]] = {  # name -> (f(F, x), spatial dims)
    "max2d_tiled": (lambda L, x: L.max_pool2d(x * x, 2), 2),
    "max2d_tiled_rect": (lambda L, x: L.max_pool2d(x * x, (2, 3)), 2),
    "max2d_padded_ceil": (lambda L, x: L.max_pool2d(x * x, 3, 2, 1, ceil_mode=True), 2),
    "max2d_dilated": (lambda L, x: L.max_pool2d(x * x, 2, 1, dilation=2), 2),
    "max1d": (lambda L, x: L.max_pool1d(x * x, 3, 1, 1), 1),
    "avg2d": (lambda L, x: L.avg_pool2d(x * x, 3, 2, 1, True, False), 2),
    "avg2d_divisor": (lambda L, x: L.avg_pool2d(x * x, 2, 1, divisor_override=3), 2),
    "avg1d": (lambda L, x: L.avg_pool1d(x * x, 2, ceil_mode=True), 1),
    "adaptive_avg2d": (lambda L, x: L.adaptive_avg_pool2d(x * x, (3, 2)), 2),
    "adaptive_avg1d": (lambda L, x: L.adaptive_avg_pool1d(x * x, 4), 1),
    "adaptive_max2d": (lambda L, x: L.adaptive_max_pool2d(x * x, (2, 3)), 2),
    "adaptive_max1d": (lambda L, x: L.adaptive_max_pool1d(x * x, 3), 1),
}


def derivatives(torch_side: bool, name: str, x: np.ndarray, v: np.ndarray, w: np.ndarray,
                u: np.ndarray, layout: str = "C") -> list[np.ndarray]:
    """[first, d/dx, d/dv of sum(w * first), d/dv of sum(u * d/dx)] in one library."""
    mod = torch if torch_side else tg
    lib = tF if torch_side else F

    def leaf(a: np.ndarray) -> Any:
        if torch_side:
            return torch.tensor(a, requires_grad=True)
        return tg.Tensor(in_layout(a, layout), requires_grad=True)

    def const(a: np.ndarray) -> Any:
        return torch.tensor(a) if torch_side else tg.tensor(a)

    xl, vl = leaf(x), leaf(v)
    out = CASES[name][0](lib, xl)
    (first,) = mod.autograd.grad(out, xl, grad_outputs=vl, create_graph=True)
    dx, dv = mod.autograd.grad((first * const(w)).sum(), [xl, vl], create_graph=True)
    (third,) = mod.autograd.grad((dx * const(u)).sum(), vl, allow_unused=True)
    third = np.zeros_like(v) if third is None else third
    return [np.array(t.detach().numpy() if torch_side or not isinstance(t, np.ndarray) else t)
            for t in (first, dx, dv, third)]


@st.composite
def case(draw: Any, name: str) -> tuple[np.ndarray, ...]:
    spatial = CASES[name][1]
    sizes = tuple(draw(st.integers(4, 6)) for _ in range(spatial))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), *sizes)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = 0.5 + rng.permutation(int(np.prod(shape))).reshape(shape) * 0.05
    out_shape = CASES[name][0](F, tg.tensor(x)).shape
    v, w = rng.standard_normal(out_shape), rng.standard_normal(shape)
    return x, v, w, rng.standard_normal(shape)


@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data())
def test_second_and_third_derivatives_match_pytorch_in_every_layout(name: str,
                                                                    data: Any) -> None:
    x, v, w, u = data.draw(case(name))
    theirs = derivatives(True, name, x, v, w, u)
    ours = derivatives(False, name, x, v, w, u)
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a.shape == b.shape and a.dtype == b.dtype, k
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"derivative {k}")
    for layout in LAYOUTS[1:]:
        for a, b in zip(ours, derivatives(False, name, x, v, w, u, layout), strict=True):
            np.testing.assert_array_equal(b, a, err_msg=layout)


def test_recorded_backward_of_the_tiled_pool_sends_ties_and_nan_where_pytorch_does() -> None:
    """The second derivative of the tiled op goes through its winners' index (PlaneScatter):
    on ties and NaN it must pick the same elements as its array backward and PyTorch."""
    x = np.array([[[[1.0, 1.0, 0.0, np.nan], [1.0, 0.0, np.nan, np.nan]]]])
    v = np.array([[[[2.0, 3.0]]]])
    xt, vt = torch.tensor(x, requires_grad=True), torch.tensor(v, requires_grad=True)
    (gt,) = torch.autograd.grad(tF.max_pool2d(xt, 2), xt, vt, create_graph=True)
    xo, vo = tg.Tensor(x, requires_grad=True), tg.Tensor(v, requires_grad=True)
    (go,) = tg.autograd.grad(F.max_pool2d(xo, 2), xo, vo, create_graph=True)
    np.testing.assert_array_equal(go.detach().numpy(), gt.detach().numpy())
    w = np.arange(8.0).reshape(x.shape)
    (dvt,) = torch.autograd.grad((gt * torch.tensor(w)).sum(), vt)
    (dvo,) = tg.autograd.grad((go * tg.tensor(w)).sum(), vo)
    np.testing.assert_array_equal(dvo.numpy(), dvt.numpy())
