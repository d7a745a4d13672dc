"""The normalization ops (ops/norm.py through F.batch_norm, instance_norm, group_norm,
layer_norm) against PyTorch, finite differences and themselves.

Hypothesis draws the op (batch norm in training and evaluation mode, instance, group and layer
norm), a shape (odd sizes, size-1 dims), which of weight / bias / running statistics are given,
momentum and eps, the dtype (float64 and float32) and the memory layout of every input (tests/
layouts.py). Checked: values, the input, weight and bias gradients and the running statistics
against PyTorch; the same bits in every layout; gradcheck in float64; second derivatives
(create_graph) against PyTorch and against finite differences of our first derivative; the
recorded backward equal to the array one; one node between input and output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from layouts import LAYOUTS, in_layout

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as tgF
from tinygrad_edu.autograd.graph import AccumulateGrad
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.ops import norm as N

torch = pytest.importorskip("torch", reason="PyTorch is the oracle of these tests")
tF = torch.nn.functional

KINDS = ("batch", "batch_eval", "instance", "group", "layer")
NODE = {"batch": "BatchNormBackward0", "batch_eval": "BatchNormBackward0",
        "instance": "InstanceNormBackward0", "group": "GroupNormBackward0",
        "layer": "LayerNormBackward0"}


@dataclass
class Case:
    """One call of a normalization op: its kind, input shape and options."""

    kind: str
    shape: tuple[int, ...]
    weight: bool
    bias: bool
    running: bool = False  # running statistics given (batch / instance norm)
    momentum: float = 0.1
    eps: float = 1e-5
    groups: int = 1  # group norm
    normalized: tuple[int, ...] = ()  # layer norm
    seed: int = 0
    dtype: Any = np.float64
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def affine_shape(self) -> tuple[int, ...]:
        return self.normalized if self.kind == "layer" else (self.shape[1],)

    def plan(self) -> N.Plan:
        if self.kind == "layer":
            return N.row_plan(self.shape, len(self.normalized))
        groups = self.groups if self.kind == "group" else self.shape[1]
        return N.channel_plan(self.shape, groups, self.kind in ("instance", "group"))


@st.composite
def cases(draw: Any, kinds: tuple[str, ...] = KINDS, dtypes: tuple[Any, ...] = (np.float64,),
          max_side: int = 4) -> Case:
    kind = draw(st.sampled_from(kinds))
    side = st.integers(1, max_side)
    if kind == "layer":
        shape = tuple(draw(st.lists(side, min_size=1, max_size=4)))
        normalized = shape[len(shape) - draw(st.integers(1, len(shape))):]
        groups = 1
    else:
        ndim = draw(st.integers(3 if kind == "instance" else 2, 5 if kind != "group" else 4))
        groups = draw(st.integers(1, 3)) if kind == "group" else 1
        channels = groups * draw(st.integers(1, 3)) if kind == "group" else draw(side)
        shape = (draw(side), channels, *draw(st.lists(side, min_size=ndim - 2,
                                                       max_size=ndim - 2)))
        normalized = ()
    case = Case(kind, shape, weight=draw(st.booleans()), bias=draw(st.booleans()),
                running=kind == "batch_eval" or (kind in ("batch", "instance")
                                                  and draw(st.booleans())),
                momentum=draw(st.sampled_from((0.1, 0.5, 1.0, 0.0, 0.25))),
                eps=draw(st.sampled_from((1e-5, 1e-3, 0.1))), groups=groups,
                normalized=normalized, seed=draw(st.integers(0, 2**16)),
                dtype=draw(st.sampled_from(dtypes)))
    plan = case.plan()
    assume(plan.stat_size > 1 and not (kind == "batch" and plan.view[0] * plan.view[3] == 1))
    rng = np.random.default_rng(case.seed)
    c = case.affine_shape
    case.arrays = {"x": rng.normal(size=shape), "weight": rng.uniform(-1.5, 1.5, c),
                   "bias": rng.normal(size=c), "rm": rng.normal(size=shape[1:2]),
                   "rv": rng.uniform(0.3, 2.0, shape[1:2]), "v": rng.normal(size=shape)}
    case.arrays = {k: a.astype(case.dtype) for k, a in case.arrays.items()}
    n, g, k, s = plan.view  # well-conditioned statistics: finite differences need them
    x4 = case.arrays["x"].astype(np.float64).reshape(n, g, k, s)
    assume(x4.var(axis=plan.stat_axes).min() > 0.05)
    return case


def call(L: Any, case: Case, x: Any, w: Any, b: Any, rm: Any = None, rv: Any = None) -> Any:
    """The case's op through ``L.F`` (PyTorch's torch.nn.functional or ours: same API)."""
    kind = case.kind
    if kind in ("batch", "batch_eval"):
        return L.F.batch_norm(x, rm, rv, w, b, kind == "batch", case.momentum, case.eps)
    if kind == "instance":
        return L.F.instance_norm(x, rm, rv, w, b, True, case.momentum, case.eps)
    if kind == "group":
        return L.F.group_norm(x, case.groups, w, b, case.eps)
    return L.F.layer_norm(x, case.normalized, w, b, case.eps)


class Lib:
    def __init__(self, mod: Any, F: Any) -> None:
        self.mod, self.F, self.is_torch = mod, F, mod is torch

    def leaf(self, a: np.ndarray, grad: bool = True) -> Any:
        if self.is_torch:
            return torch.tensor(np.ascontiguousarray(a), requires_grad=grad)
        return tg.Tensor(a, requires_grad=grad)

    def numpy(self, t: Any) -> np.ndarray:
        if t is None:
            return None  # type: ignore[return-value]
        return t.detach().numpy(force=True) if self.is_torch else np.array(t.detach().numpy())


TG, TORCH = Lib(tg, tgF), Lib(torch, tF)


def first(L: Lib, case: Case, layout: str = "C") -> dict[str, np.ndarray | None]:
    """Values, gradients (backward with cotangent v) and running statistics after the call."""
    a = case.arrays
    x = L.leaf(in_layout(a["x"], layout))
    w = L.leaf(in_layout(a["weight"], layout)) if case.weight else None
    b = L.leaf(in_layout(a["bias"], layout)) if case.bias else None
    rm = L.leaf(a["rm"].copy(), False) if case.running else None
    rv = L.leaf(a["rv"].copy(), False) if case.running else None
    gamma = w
    if L.is_torch and w is None and b is not None and case.kind == "group":
        gamma = L.leaf(np.ones(case.affine_shape, case.dtype), False)  # its backward crashes
    y = call(L, case, x, gamma, b, rm, rv)
    y.backward(torch.from_numpy(a["v"]) if L.is_torch else a["v"])
    return {"y": L.numpy(y), "dx": L.numpy(x.grad), "dw": None if w is None else L.numpy(w.grad),
            "db": None if b is None else L.numpy(b.grad),
            "rm": None if rm is None else L.numpy(rm), "rv": None if rv is None else L.numpy(rv)}


def tolerance(case: Case) -> dict[str, float]:
    return ({"rtol": 1e-9, "atol": 1e-10} if case.dtype == np.float64 else
            {"rtol": 2e-4, "atol": 2e-4})


def assert_results(ours: dict[str, Any], theirs: dict[str, Any], **tol: float) -> None:
    for key, value in theirs.items():
        if value is None:
            assert ours[key] is None, key
            continue
        assert ours[key].shape == value.shape and ours[key].dtype == value.dtype, key
        np.testing.assert_allclose(ours[key], value, err_msg=key, **tol)


# ---------------------------------------------------------------------- against PyTorch


@given(case=cases(dtypes=(np.float64, np.float32)))
def test_values_gradients_and_running_stats_match_pytorch(case: Case) -> None:
    assert_results(first(TG, case), first(TORCH, case), **tolerance(case))


@settings(max_examples=25)
@given(case=cases(dtypes=(np.float64, np.float32)))
def test_every_layout_gives_the_same_bits(case: Case) -> None:
    reference = first(TG, case)
    for layout in LAYOUTS[1:]:
        for key, value in first(TG, case, layout).items():
            if value is None:
                assert reference[key] is None
            else:
                np.testing.assert_array_equal(value, reference[key], err_msg=f"{layout} {key}")


@given(case=cases(kinds=("batch",)))
def test_running_statistics_after_several_steps(case: Case) -> None:
    """Five training steps on fresh batches, then evaluation with what they accumulated."""
    case.running = True
    libs = {}
    for L in (TG, TORCH):
        rng = np.random.default_rng(case.seed)
        rm, rv = L.leaf(case.arrays["rm"].copy(), False), L.leaf(case.arrays["rv"].copy(), False)
        for _ in range(5):
            x = L.leaf(rng.normal(2.0, 3.0, case.shape).astype(case.dtype), False)
            call(L, case, x, None, None, rm, rv)
        eval_case = Case("batch_eval", case.shape, False, False, eps=case.eps)
        out = call(L, eval_case, L.leaf(case.arrays["x"], False), None, None, rm, rv)
        libs[L.is_torch] = [L.numpy(rm), L.numpy(rv), L.numpy(out)]
    for ours, theirs in zip(libs[False], libs[True], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_float32_stays_float32() -> None:
    x = tg.Tensor(np.random.default_rng(0).normal(size=(4, 3, 5)).astype(np.float32),
                  requires_grad=True)
    w, b = (tg.Tensor(np.ones(3, np.float32), requires_grad=True) for _ in range(2))
    rm, rv = tg.Tensor(np.zeros(3, np.float32)), tg.Tensor(np.ones(3, np.float32))
    for y in (tgF.batch_norm(x, rm, rv, w, b, training=True),
              tgF.batch_norm(x, rm, rv, w, b), tgF.group_norm(x, 3, w, b),
              tgF.instance_norm(x, rm, rv, w, b), tgF.layer_norm(x, (5,))):
        x.grad = w.grad = b.grad = None
        y.backward(np.ones(y.shape, np.float32))
        assert y.dtype == np.float32 and x.grad.dtype == np.float32
        assert w.grad is None or w.grad.dtype == np.float32
    assert rm.dtype == np.float32 and rv.dtype == np.float32


# ---------------------------------------------------------------------- finite differences


@settings(max_examples=30)
@given(case=cases(max_side=3))
def test_gradcheck_float64(case: Case) -> None:
    a = case.arrays
    leaves = [tg.Tensor(a["x"].copy(), requires_grad=True)]
    leaves += [tg.Tensor(a[k].copy(), requires_grad=True)
               for k, on in (("weight", case.weight), ("bias", case.bias)) if on]

    def fn(x: tg.Tensor, *affine: tg.Tensor) -> tg.Tensor:
        w = affine[0] if case.weight else None
        b = affine[-1] if case.bias else None
        rm = tg.Tensor(a["rm"].copy()) if case.running else None  # fresh: each call updates
        rv = tg.Tensor(a["rv"].copy()) if case.running else None
        return call(TG, case, x, w, b, rm, rv)

    assert gradcheck(fn, *leaves, atol=1e-6, rtol=1e-4)


def test_gradcheck_catches_a_wrong_batch_norm_backward(monkeypatch: Any) -> None:
    """Negative control: the closed form with one sign flipped fails gradcheck."""
    original = N.Normalize.array_backward

    def flipped(ctx: Any, grad: Any) -> Any:
        dx, *rest = original(ctx, grad)
        c, inv = ctx.saved[0], ctx.saved[1]  # dx + 2 (x - mu) * something: a wrong term
        return (dx + 2 * c.reshape(dx.shape) * inv.mean(), *rest)

    monkeypatch.setattr(N.BatchNorm, "array_backward", staticmethod(flipped))
    x = tg.Tensor(np.random.default_rng(1).normal(size=(4, 3)), requires_grad=True)
    assert not gradcheck(lambda t: tgF.batch_norm(t, None, None, training=True), x,
                         raise_exception=False)


# ---------------------------------------------------------------------- second derivatives


def second(L: Lib, case: Case, layout: str = "C") -> list[np.ndarray]:
    """d sum_k(u_k * first_k) / d(x, weight, bias, v), first = vjp(op, v) (create_graph)."""
    a = case.arrays
    x = L.leaf(in_layout(a["x"], layout))
    w = L.leaf(in_layout(a["weight"], layout)) if case.weight else None
    b = L.leaf(in_layout(a["bias"], layout)) if case.bias else None
    v = L.leaf(in_layout(a["v"], layout))
    # PyTorch's double backward of evaluation-mode batch norm needs a weight tensor
    gamma = L.leaf(np.ones(case.affine_shape, case.dtype), False) if (
        L.is_torch and w is None) else w
    rm = L.leaf(a["rm"].copy(), False) if case.running else None
    rv = L.leaf(a["rv"].copy(), False) if case.running else None
    leaves = [t for t in (x, w, b) if t is not None]
    firsts = L.mod.autograd.grad(call(L, case, x, gamma, b, rm, rv), leaves, grad_outputs=v,
                                 create_graph=True)
    rng = np.random.default_rng(case.seed + 1)
    weights = [rng.normal(size=tuple(g.shape)).astype(case.dtype) for g in firsts]
    total = sum((g * L.leaf(u, False)).sum() for g, u in zip(firsts, weights, strict=True))
    seconds = L.mod.autograd.grad(total, [*leaves, v], allow_unused=True)
    return [L.numpy(g) for g in firsts] + [np.zeros(t.shape) if s is None else L.numpy(s)
                                          for t, s in zip([*leaves, v], seconds, strict=True)]


@settings(max_examples=40)
@given(case=cases())
def test_second_derivatives_match_pytorch_in_every_layout(case: Case) -> None:
    ours = second(TG, case)
    for a, b in zip(ours, second(TORCH, case), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-9)
    for layout in LAYOUTS[1:]:
        for a, b in zip(ours, second(TG, case, layout), strict=True):
            np.testing.assert_array_equal(b, a, err_msg=layout)


@settings(max_examples=10)
@given(case=cases(max_side=2))
def test_second_derivatives_match_finite_differences(case: Case) -> None:
    """Central differences of our own (array) first derivative, in every input and in v."""
    a = case.arrays
    names = ["x"] + [k for k, on in (("weight", case.weight), ("bias", case.bias)) if on]
    rng = np.random.default_rng(case.seed + 1)
    shapes = [a[k].shape for k in names]
    u = [rng.normal(size=s) for s in shapes]

    def objective(values: dict[str, np.ndarray]) -> float:
        leaves = {k: tg.Tensor(values[k], requires_grad=True) for k in names}
        rm = tg.Tensor(a["rm"].copy()) if case.running else None
        rv = tg.Tensor(a["rv"].copy()) if case.running else None
        out = call(TG, case, leaves["x"], leaves.get("weight"), leaves.get("bias"), rm, rv)
        grads = tg.autograd.grad(out, [leaves[k] for k in names],
                                 grad_outputs=tg.tensor(values["v"]))
        return float(sum((g.numpy() * uk).sum() for g, uk in zip(grads, u, strict=True)))

    analytic = second(TG, case)[len(names):]
    for k, name in enumerate([*names, "v"]):
        numeric = np.zeros(a[name].shape)
        for i in np.ndindex(numeric.shape):
            up, down = ({key: val.copy() for key, val in a.items()} for _ in range(2))
            up[name][i] += 1e-6
            down[name][i] -= 1e-6
            numeric[i] = (objective(up) - objective(down)) / 2e-6
        # the seconds use the test's own weights u: rebuild them the same way
        np.testing.assert_allclose(analytic[k], numeric, rtol=1e-4, atol=1e-6, err_msg=name)


# ---------------------------------------------------------------------- the node itself


@given(case=cases(dtypes=(np.float64, np.float32)))
def test_recorded_backward_equals_the_array_backward(case: Case) -> None:
    """``Normalize.backward`` (recomputing the statistics, what create_graph records) run on
    arrays gives the fast ``array_backward``'s gradients."""
    a = case.arrays
    x = tg.Tensor(a["x"], requires_grad=True)
    w = tg.Tensor(a["weight"], requires_grad=True) if case.weight else None
    b = tg.Tensor(a["bias"], requires_grad=True) if case.bias else None
    rm = tg.Tensor(a["rm"].copy()) if case.running else None
    rv = tg.Tensor(a["rv"].copy()) if case.running else None
    node = call(TG, case, x, w, b, rm, rv).grad_fn
    fast = node.array_backward(node, a["v"])
    slow = node.backward(node, a["v"])
    assert len(fast) == len(slow) == 1 + case.weight + case.bias
    for f, s in zip(fast, slow, strict=True):
        assert f.shape == s.shape and f.dtype == s.dtype
        np.testing.assert_allclose(f, s, **tolerance(case))


@pytest.mark.parametrize("kind", KINDS)
def test_one_node_between_input_and_output(kind: str) -> None:
    case = Case(kind, (4, 6, 3) if kind != "layer" else (4, 6), True, True,
                running=kind == "batch_eval", groups=2, normalized=(6,))
    x, w, b = (tg.Tensor(np.random.default_rng(0).normal(size=s), requires_grad=True)
               for s in (case.shape, case.affine_shape, case.affine_shape))
    rm, rv = tg.Tensor(np.zeros(6)), tg.Tensor(np.ones(6))
    y = call(TG, case, x, w, b, rm, rv)
    assert y.grad_fn.name() == NODE[kind]
    leaves = [node.variable for node, _ in y.grad_fn.next_functions]
    assert all(isinstance(node, AccumulateGrad) for node, _ in y.grad_fn.next_functions)
    assert leaves[0] is x and leaves[1] is w and leaves[2] is b


def test_empty_inputs_give_empty_outputs_and_zero_parameter_gradients() -> None:
    for shape, fn in (((0, 3), lambda x, w, b: tgF.batch_norm(x, None, None, w, b, True)),
                      ((0, 3, 2), lambda x, w, b: tgF.group_norm(x, 3, w, b)),
                      ((0, 3), lambda x, w, b: tgF.layer_norm(x, (3,), w, b))):
        x = tg.Tensor(np.zeros(shape), requires_grad=True)
        w, b = (tg.Tensor(np.ones(3), requires_grad=True) for _ in range(2))
        y = fn(x, w, b)
        assert y.shape == shape
        y.sum().backward()
        assert x.grad.shape == shape
        assert np.array_equal(w.grad.numpy(), np.zeros(3))
        assert np.array_equal(b.grad.numpy(), np.zeros(3))


def test_an_empty_batch_leaves_the_running_statistics_alone() -> None:
    rm, rv = tg.Tensor(np.full(3, 0.5)), tg.Tensor(np.full(3, 2.0))
    y = tgF.batch_norm(tg.Tensor(np.zeros((0, 3))), rm, rv, training=True)
    assert y.shape == (0, 3)
    assert np.array_equal(rm.numpy(), np.full(3, 0.5))
    assert np.array_equal(rv.numpy(), np.full(3, 2.0))


def test_nan_stays_in_its_channel() -> None:
    x = np.random.default_rng(0).normal(size=(4, 3, 2))
    x[1, 1, 0] = np.nan
    for L in (TG, TORCH):
        t = L.leaf(x)
        y = L.F.batch_norm(t, None, None, training=True)
        y.backward(torch.ones(y.shape, dtype=torch.float64) if L.is_torch else np.ones(x.shape))
        values, grad = L.numpy(y), L.numpy(t.grad)
        assert np.isnan(values[:, 1]).all() and np.isfinite(values[:, [0, 2]]).all()
        assert np.isnan(grad[:, 1]).all() and np.isfinite(grad[:, [0, 2]]).all()


def test_a_change_of_the_saved_input_in_place_is_caught() -> None:
    x = tg.Tensor(np.random.default_rng(0).normal(size=(4, 3)), requires_grad=True)
    h = x * 1.0
    y = tgF.batch_norm(h, None, None, training=True)
    with tg.no_grad():
        h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("needs", [(False, True, True), (True, False, False), (False, True, False),
                                   (True, True, False)])
def test_only_the_gradients_asked_for(kind: str, needs: tuple[bool, bool, bool]) -> None:
    """A frozen layer (weight and bias without grad), a first layer on data (input without
    grad): the gradients that are asked for still match PyTorch's."""
    case = Case(kind, (4, 6, 3) if kind != "layer" else (4, 6), True, True,
                running=kind == "batch_eval", groups=3, normalized=(6,))
    rng = np.random.default_rng(3)
    arrays = [rng.normal(size=s) for s in (case.shape, case.affine_shape, case.affine_shape)]
    v = rng.normal(size=case.shape)
    grads = {}
    for L in (TG, TORCH):
        leaves = [L.leaf(a, need) for a, need in zip(arrays, needs, strict=True)]
        rm, rv = L.leaf(np.zeros(6), False), L.leaf(np.ones(6), False)
        y = call(L, case, *leaves, rm, rv)
        y.backward(torch.from_numpy(v) if L.is_torch else v)
        grads[L.is_torch] = [None if t.grad is None else L.numpy(t.grad) for t in leaves]
    for ours, theirs, need in zip(grads[False], grads[True], needs, strict=True):
        assert (ours is None) == (not need) == (theirs is None)
        if need:
            np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_infinite_weights_and_inputs_as_pytorch(kind: str) -> None:
    """PyTorch's kernels compute y = x a + (beta - mu a), a = gamma inv (layer norm: xhat gamma
    + beta), so an infinite gamma gives NaN where xhat gamma alone would give +-inf: the NaN
    and inf positions of values and gradients are PyTorch's."""
    shape = (3, 4, 2) if kind != "layer" else (3, 4)
    case = Case(kind, shape, True, True, running=kind == "batch_eval", groups=2,
                normalized=(4,))
    rng = np.random.default_rng(5)
    x = rng.normal(size=shape)
    x[0, 0] = np.inf
    w = np.array([1.0, -np.inf, np.inf, 0.5])
    b = np.array([0.0, -1.0, 2.0, np.inf])
    case.arrays = {"x": x, "weight": w, "bias": b, "rm": np.zeros(4), "rv": np.ones(4),
                   "v": rng.normal(size=shape)}
    with np.errstate(all="ignore"):
        ours, theirs = first(TG, case), first(TORCH, case)
    for key, value in theirs.items():
        if value is not None:
            np.testing.assert_array_equal(np.isnan(ours[key]), np.isnan(value), err_msg=key)
            np.testing.assert_allclose(ours[key], value, rtol=1e-9, atol=1e-12, err_msg=key)
