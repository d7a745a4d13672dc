"""The autograd engine: graph walks, accumulation, graph freeing, grad mode, the version counter,
anomaly detection. PyTorch's semantics are the reference wherever PyTorch has the feature."""

from __future__ import annotations

import gc
import os
import re
import weakref
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import Function, Tensor, no_grad
from tinygrad_edu.autograd.graph import FREED

# --------------------------------------------------------------------------- helpers

CALLS: Counter[str] = Counter()


class Scale(Function):
    """z = k * x; counts its backward calls under ``tag``."""

    @staticmethod
    def forward(ctx, x, k, tag):
        ctx.k, ctx.tag = k, tag
        return x * np.asarray(k, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        CALLS[ctx.tag] += 1
        return grad * np.asarray(ctx.k, dtype=grad.dtype)


class Plus(Function):
    """z = a + b; counts its backward calls."""

    @staticmethod
    def forward(ctx, a, b, tag):
        ctx.tag = tag
        return a + b

    @staticmethod
    def backward(ctx, grad):
        CALLS[ctx.tag] += 1
        return grad, grad


class Times(Function):
    """z = a * b; counts its backward calls."""

    @staticmethod
    def forward(ctx, a, b, tag):
        ctx.tag = tag
        ctx.saved = (a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        CALLS[ctx.tag] += 1
        a, b = ctx.saved
        return grad * b, grad * a


@pytest.fixture(autouse=True)
def _reset_counts():
    CALLS.clear()
    yield
    CALLS.clear()


small_floats = st.floats(-3, 3, allow_nan=False, allow_infinity=False, width=64)


def float64_arrays(max_side: int = 5):
    return hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=max_side),
                      elements=small_floats)


# --------------------------------------------------------------------------- graph walks


@given(float64_arrays())
def test_diamond_gradient_with_builtin_ops(a_np):
    a = Tensor(a_np, requires_grad=True)
    b = a * 2
    c = b + b
    d = c * b  # = 8 a^2
    d.sum().backward()
    np.testing.assert_allclose(a.grad.data.numpy(), 16 * a_np, rtol=1e-12)


@given(float64_arrays())
def test_diamond_each_backward_runs_once(a_np):
    CALLS.clear()
    a = Tensor(a_np, requires_grad=True)
    b = Scale.apply(a, k=2.0, tag="b")
    c = Plus.apply(b, b, tag="c")
    d = Times.apply(c, b, tag="d")
    d.sum().backward()
    assert CALLS == Counter({"b": 1, "c": 1, "d": 1})
    np.testing.assert_allclose(a.grad.data.numpy(), 16 * a_np, rtol=1e-12)


def test_reused_node_doubling_graph_is_linear_and_each_node_runs_once():
    # x_{k+1} = x_k + x_k, 60 times: 2^60 paths from the output to the input. A walk that does
    # not visit a reused node once would never finish.
    a = Tensor(np.array([1.0, -0.5]), requires_grad=True)
    x = a
    for k in range(60):
        x = Plus.apply(x, x, tag=f"n{k}")
    x.sum().backward()
    assert CALLS == Counter({f"n{k}": 1 for k in range(60)})
    np.testing.assert_array_equal(a.grad.data.numpy(), np.full(2, 2.0**60))


def test_node_used_by_several_consumers_gets_summed_gradient():
    a = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b = Scale.apply(a, k=3.0, tag="b")  # b is consumed by 3 different nodes
    out = Times.apply(b, b, tag="sq") + Scale.apply(b, k=5.0, tag="five") + b.exp()
    out.sum().backward()
    assert CALLS == Counter({"b": 1, "sq": 1, "five": 1})
    b_np = 3 * a.data.numpy()
    np.testing.assert_allclose(a.grad.data.numpy(), 3 * (2 * b_np + 5 + np.exp(b_np)), rtol=1e-12)


def test_deep_chain_of_100k_nodes_has_no_recursion_error():
    x0 = tg.tensor(1.0, dtype="float64", requires_grad=True)
    x = x0
    for _ in range(100_000):
        x = x * 1.0001
    x.backward()  # a recursive topological sort would die with RecursionError here
    assert x0.grad.item() == pytest.approx(1.0001**100_000, rel=1e-9)
    # deleting a deep graph that was never walked must not crash either
    y = x0
    for _ in range(100_000):
        y = y + 0
    del y
    gc.collect()


# --------------------------------------------------------------------------- graph memory


def test_nodes_hold_no_tensors_and_backward_frees_saved_arrays_but_keeps_the_structure():
    x = tg.randn(3, 4, requires_grad=True)
    h = x.exp()
    h_ref, data_ref = weakref.ref(h), weakref.ref(h.data.numpy())
    loss = (h * 3).sum()
    del h
    gc.collect()
    assert h_ref() is None  # no node holds the tensor h...
    assert data_ref() is not None  # ...but its array lives: Exp and Mul saved it
    loss.backward()
    gc.collect()
    assert data_ref() is None  # backward() freed the saved arrays
    mul = loss.grad_fn.next_functions[0][0]  # the structure stays, to walk and draw
    assert mul.name() == "MulBackward0" and mul.saved is FREED
    exp = mul.next_functions[0][0]
    assert exp.name() == "ExpBackward0"
    assert exp.next_functions[0][0].variable is x and x.grad is not None
    with pytest.raises(RuntimeError, match="MulBackward0.*retain_graph=True"):
        loss.backward()


def test_an_intermediate_no_op_saved_is_freed_as_soon_as_user_code_drops_it():
    x = tg.randn(1000, requires_grad=True)
    h = x + 1  # Add saves nothing
    data_ref = weakref.ref(h.data.numpy())
    loss = h.sum()
    del h
    gc.collect()
    assert data_ref() is None
    loss.backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), np.ones(1000, np.float32))
    loss.backward()  # nothing was saved, so nothing was freed: a second pass works (PyTorch)
    np.testing.assert_array_equal(x.grad.data.numpy(), np.full(1000, 2, np.float32))


def test_retain_graph_keeps_saved_arrays_alive():
    x = tg.randn(3, 4, requires_grad=True)
    h = x.exp()
    data_ref = weakref.ref(h.data.numpy())
    loss = (h * 3).sum()
    del h
    loss.backward(retain_graph=True)
    gc.collect()
    assert data_ref() is not None
    loss.backward()  # the second backward frees it
    gc.collect()
    assert data_ref() is None
    np.testing.assert_allclose(x.grad.data.numpy(), 6 * np.exp(x.data.numpy()), rtol=1e-6)


def test_nothing_is_kept_after_del_without_backward():
    x = tg.randn(5, requires_grad=True)
    h = x * 2
    node_ref, data_ref = weakref.ref(h.grad_fn), weakref.ref(h.data.numpy())
    out = (h * h).sum()
    del h, out
    gc.collect()
    assert node_ref() is None and data_ref() is None


_PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def _training_rss_growth(steps: int, leak: bool) -> tuple[float, float]:
    """RSS growth (bytes) between step 1,000 and the last step of a small MLP training loop;
    with ``leak`` every step keeps its graph alive (about 5 KB per step)."""
    rng = np.random.default_rng(0)
    w1 = Tensor(rng.standard_normal((4, 16)).astype(np.float32), requires_grad=True)
    b1 = tg.zeros(16, requires_grad=True)
    w2 = Tensor(rng.standard_normal((16, 3)).astype(np.float32), requires_grad=True)
    b2 = tg.zeros(3, requires_grad=True)
    params = [w1, b1, w2, b2]
    x = Tensor(rng.standard_normal((8, 4)).astype(np.float32))
    y = tg.tensor(np.arange(8) % 3)
    kept = []
    first_loss = None
    for step in range(1, steps + 1):
        loss = F.cross_entropy((x @ w1 + b1).relu() @ w2 + b2, y)
        loss.backward(retain_graph=leak)
        with no_grad():
            for p in params:
                p.sub_(p.grad * 0.05)
                p.grad = None
        if leak:
            kept.append(loss)
        if step == 1:
            first_loss = loss.item()
        if step == 1_000:
            gc.collect()
            start = _rss_bytes()
    gc.collect()
    assert loss.item() < first_loss  # it really trained
    return _rss_bytes() - start, loss.item()


# A leak of ~1.2 KB per step over 9,000 steps exceeds this bound; the flat loop shows 0 MB here.
RSS_BOUND = 10 * 2**20


def _growth_in_a_fresh_process(leak: bool) -> float:
    """``_training_rss_growth`` in a new interpreter: in a test worker, heap pages freed by
    earlier tests are reused by the loop, which hides part of a leak (seen: 8.7 MB)."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys; sys.path.insert(0, sys.argv[1]); import test_engine; "
            "print(test_engine._training_rss_growth(10_000, leak=sys.argv[2] == '1')[0])")
    done = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent),
                           "1" if leak else "0"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return float(done.stdout.strip().splitlines()[-1])


def test_memory_stays_flat_over_10k_training_steps():
    growth = _growth_in_a_fresh_process(leak=False)
    assert growth < RSS_BOUND, f"RSS grew by {growth / 2**20:.1f} MB over 9,000 steps"


def test_rss_measurement_detects_a_small_per_step_leak():
    # Negative control for the test above: the same loop keeping each step's graph (~5 KB)
    # alive must cross the same bound, so the bound is meaningful.
    growth = _growth_in_a_fresh_process(leak=True)
    assert growth > RSS_BOUND, f"only {growth / 2**20:.1f} MB growth with a leak"


# --------------------------------------------------------------------------- grad mode


def test_no_node_is_recorded_under_no_grad():
    w = tg.randn(3, requires_grad=True)
    with no_grad():
        y = (w * 2 + 1).exp().sum()
        z = F.cross_entropy(w.reshape(1, 3), [1])
    for t in (y, z):
        assert t.grad_fn is None
        assert t.requires_grad is False
        assert t.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_and_enable_grad_as_context_managers_nest():
    w = tg.randn(3, requires_grad=True)
    assert tg.is_grad_enabled()
    with no_grad():
        assert not tg.is_grad_enabled()
        with tg.enable_grad():
            assert tg.is_grad_enabled()
            inner = w * 2
            with no_grad():
                assert not tg.is_grad_enabled()
                innermost = w * 2
            assert tg.is_grad_enabled()
        assert not tg.is_grad_enabled()
        outer = w * 2
    assert tg.is_grad_enabled()
    assert inner.requires_grad and inner.grad_fn is not None
    assert not innermost.requires_grad and innermost.grad_fn is None
    assert not outer.requires_grad and outer.grad_fn is None


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError), no_grad():
        1 / 0  # noqa: B018
    assert tg.is_grad_enabled()


def test_no_grad_and_enable_grad_as_decorators():
    w = tg.randn(3, requires_grad=True)

    @no_grad()
    def infer(t):
        assert not tg.is_grad_enabled()
        return t * 2

    @tg.enable_grad()
    def train(t):
        assert tg.is_grad_enabled()
        return t * 2

    @no_grad()
    def recurse(t, n):  # re-entering the same decorator instance
        return t if n == 0 else recurse(t * 2, n - 1)

    assert infer(w).grad_fn is None
    assert tg.is_grad_enabled()
    with no_grad():
        out = train(w)
        assert not tg.is_grad_enabled()
    assert out.grad_fn is not None
    assert recurse(w, 3).grad_fn is None
    assert tg.is_grad_enabled()


def test_bare_decorators_as_in_pytorch():
    # torch >= 2.0 accepts @torch.no_grad and @torch.enable_grad without parentheses
    w = tg.randn(3, requires_grad=True)

    @no_grad
    def infer(t):
        return t * 2

    @tg.enable_grad
    def train(t):
        return t * 2

    assert infer(w).grad_fn is None
    with no_grad():
        assert train(w).grad_fn is not None
    assert tg.is_grad_enabled()


def test_set_grad_enabled_as_context_manager_and_decorator():
    w = tg.randn(3, requires_grad=True)
    with tg.set_grad_enabled(False):
        assert not tg.is_grad_enabled()
        assert (w * 2).grad_fn is None
        with tg.set_grad_enabled(True):
            assert (w * 2).grad_fn is not None
    assert tg.is_grad_enabled()

    @tg.set_grad_enabled(False)
    def f(t):
        return t * 2

    assert f(w).grad_fn is None
    assert tg.is_grad_enabled()


def test_set_grad_enabled_as_a_function_call():
    # PyTorch: torch.set_grad_enabled(False) switches the mode right away (not only in a with)
    try:
        tg.set_grad_enabled(False)
        assert not tg.is_grad_enabled()
        assert (tg.randn(2, requires_grad=True) * 2).grad_fn is None
        tg.set_grad_enabled(True)
        assert tg.is_grad_enabled()
    finally:
        tg.autograd._grad_enabled = True  # never leave grad mode off for the other tests


# --------------------------------------------------------------------------- accumulation


def test_leaf_grad_accumulates_and_none_resets():
    w = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.data.numpy(), [2, 4, 6])
    (w * 3).sum().backward()
    np.testing.assert_allclose(w.grad.data.numpy(), [5, 7, 9])
    w.grad = None
    (w * 3).sum().backward()
    np.testing.assert_allclose(w.grad.data.numpy(), [3, 3, 3])


# Unary and binary steps for drawn graphs: the ones that hand gradients on unchanged (add,
# clone, reshape, transpose, slicing, sum's broadcast) are those that could alias .grad arrays.
_UNARY = [
    lambda t: t.clone(),
    lambda t: t.reshape(-1).reshape(t.shape),
    lambda t: t.T,
    lambda t: t[:1],
    lambda t: t.sum(dim=0, keepdim=True),
    lambda t: -t,
    lambda t: t * 2.0,
    lambda t: t.relu(),
]
_BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b]


@given(
    steps=st.lists(st.tuples(st.integers(0, 10), st.integers(0, 10), st.integers(0, 10)),
                   min_size=1, max_size=8),
    data=hnp.arrays(np.float64, (3, 2, 2), elements=st.floats(-2, 2)),
)
def test_leaf_grads_never_share_memory(steps, data):
    """A leaf's .grad is its own array: not another leaf's .grad, not any tensor's data, not the
    user's seed -- whatever the ops handed on unchanged (the engine copies only when needed)."""
    leaves = [Tensor(d.copy(), requires_grad=True) for d in data]
    pool = list(leaves)
    for op, i, j in steps:
        a, b = pool[i % len(pool)], pool[j % len(pool)]
        if op < len(_BINARY) and a.shape == b.shape:
            pool.append(_BINARY[op](a, b))
        else:
            pool.append(_UNARY[op % len(_UNARY)](a))
    seed = np.ones(pool[-1].shape)
    pool[-1].backward(gradient=seed)
    arrays = [t.data.numpy() for t in pool] + [seed]
    grads = [leaf.grad.data.numpy() for leaf in leaves if leaf.grad is not None]
    for k, g in enumerate(grads):
        assert g.flags.writeable
        for other in grads[k + 1:] + arrays:
            assert not np.shares_memory(g, other)


def test_changing_one_grad_in_place_leaves_the_others_alone():
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a + b).sum().backward()  # Add returns its incoming gradient to both inputs
    a.grad.data *= 10
    np.testing.assert_array_equal(b.grad.data.numpy(), np.ones(3))


def test_one_new_array_given_to_two_leaves_is_kept_by_one_only():
    """A backward may hand the same new array to two inputs; only one leaf keeps it as is."""

    class Both(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            g = grad * 1.0  # a new array, given to both inputs
            return g, g

    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    Both.apply(a, b).sum().backward()
    assert not np.shares_memory(a.grad.data.numpy(), b.grad.data.numpy())
    a.grad.data *= 10
    np.testing.assert_array_equal(b.grad.data.numpy(), np.ones(3))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scalar_seed_is_never_a_leafs_grad(dtype):
    """backward() starts scalar roots from one shared read-only 1; a leaf that receives it
    unchanged (the root is the leaf, or an op passes the gradient on) gets its own copy."""
    w = Tensor(np.array(2.0, dtype=dtype), requires_grad=True)
    w.backward()
    v = Tensor(np.array(3.0, dtype=dtype), requires_grad=True)
    (v + 1).backward()  # Add hands the seed itself to v
    for leaf in (w, v):
        assert leaf.grad.data.numpy().flags.writeable and leaf.grad.dtype == dtype
        leaf.grad.data += 1  # must not change the next backward's seed
    u = Tensor(np.array(5.0, dtype=dtype), requires_grad=True)
    (u * 1).backward()
    assert u.grad.item() == 1.0


def test_retain_graph_allows_a_second_backward_that_accumulates():
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    loss = (w * w * w).sum()
    loss.backward(retain_graph=True)
    first = w.grad.data.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(first, 3 * w.data.numpy()**2)
    np.testing.assert_allclose(w.grad.data.numpy(), 2 * first)


def test_second_backward_without_retain_graph_raises():
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    before = w.grad.data.numpy().copy()
    with pytest.raises(RuntimeError, match=r"(?i)backward through the graph a second time.*freed"):
        loss.backward()
    np.testing.assert_array_equal(w.grad.data.numpy(), before)


def test_retain_grad_keeps_non_leaf_grad():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = w * 3
    h.retain_grad()
    other = w * 4
    out = (h * h).sum() + other.sum()
    out.retain_grad()
    out.backward()
    np.testing.assert_allclose(h.grad.data.numpy(), 2 * h.data.numpy())
    assert other.grad is None  # non-leaf without retain_grad keeps nothing
    assert out.grad.item() == 1.0
    assert w.grad is not None and h.grad.grad_fn is None


def test_is_leaf_and_grad_fn_names():
    w = tg.randn(2, requires_grad=True)
    c = tg.randn(2)
    assert w.is_leaf and w.grad_fn is None
    assert c.is_leaf
    assert (c * 2).is_leaf  # no input requires grad: no node
    y = w * c
    assert not y.is_leaf
    # as PyTorch prints them: repr(node), name(), and the node inside a tensor's repr
    assert re.fullmatch(r"<MulBackward0 object at 0x[0-9a-f]+>", repr(y.grad_fn))
    assert re.fullmatch(r"<AddBackward0 object at 0x[0-9a-f]+>", repr((w + c).grad_fn))
    assert y.sum().grad_fn.name() == "SumBackward0"
    assert repr(y).endswith("grad_fn=<MulBackward0>)")
    assert y.grad_fn.next_functions == ((y.grad_fn.next_functions[0][0], 0), (None, 0))
    assert y.grad_fn.next_functions[0][0].name() == "AccumulateGrad"


def test_backward_with_gradient_for_non_scalar_output():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = x * x
    y.backward(gradient=Tensor(np.array([1.0, 0.1, 0.01])), retain_graph=True)
    np.testing.assert_allclose(x.grad.data.numpy(), [2.0, 0.4, 0.06])
    x.grad = None
    y.backward(np.array([1.0, 1.0, 1.0]))
    np.testing.assert_allclose(x.grad.data.numpy(), [2.0, 4.0, 6.0])


def test_backward_on_leaf_with_gradient():
    x = tg.randn(3, requires_grad=True)
    x.backward(gradient=tg.ones(3))
    np.testing.assert_array_equal(x.grad.data.numpy(), np.ones(3, np.float32))


@given(float64_arrays(), float64_arrays())
def test_grads_match_torch_for_a_small_graph(a_np, b_np):
    torch = pytest.importorskip("torch")
    a = Tensor(a_np, requires_grad=True)
    b = Tensor(b_np[..., :1], requires_grad=True)  # (k,) or (r, 1): broadcasts in most draws
    try:
        out = ((a * b + a).tanh() * b - a / (1 + b * b)).sum()
    except ValueError:
        return  # shapes that do not broadcast: covered in test_errors.py
    out.backward()
    ta = torch.tensor(a_np, requires_grad=True)
    tb = torch.tensor(b_np[..., :1], requires_grad=True)
    ((ta * tb + ta).tanh() * tb - ta / (1 + tb * tb)).sum().backward()
    np.testing.assert_allclose(a.grad.data.numpy(), ta.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.grad.data.numpy(), tb.grad.numpy(), rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- version counter


def test_inplace_change_of_saved_input_of_mul_raises_at_backward():
    w = tg.randn(3, requires_grad=True)
    x = tg.randn(3)
    y = (w * x).sum()
    x.mul_(2)  # x is saved by Mul (it is dL/dw)
    with pytest.raises(RuntimeError, match=r"modified by an in-place operation"):
        y.backward()


def test_inplace_change_of_saved_weight_of_matmul_raises_at_backward():
    w = tg.randn(3, 2, requires_grad=True)
    x = tg.randn(4, 3, requires_grad=True)
    y = (x @ w).sum()
    with no_grad():
        w.add_(1)
    with pytest.raises(RuntimeError, match=r"in-place"):
        y.backward()


def test_inplace_change_of_saved_output_raises_at_backward():
    w = tg.randn(3, requires_grad=True)
    e = w.exp()  # Exp saves its output
    y = e.sum()
    with no_grad():
        e.mul_(2)
    with pytest.raises(RuntimeError, match=r"in-place"):
        y.backward()


def test_inplace_change_of_unsaved_input_of_add_does_not_raise():
    # As PyTorch: Add saves nothing, so changing its input in place cannot spoil the gradient.
    w = tg.randn(3, requires_grad=True)
    x = tg.randn(3)
    y = (w + x).sum()
    x.mul_(2)
    y.backward()
    np.testing.assert_array_equal(w.grad.data.numpy(), np.ones(3, np.float32))


def test_inplace_change_of_weight_seen_through_a_transpose_view_raises():
    # F.linear-style x @ w.T: MatMul saves a view of w. In PyTorch a view shares its base's
    # version counter, so changing w in place (an optimizer step before backward) raises.
    w = tg.randn(2, 3, requires_grad=True)
    x = tg.randn(4, 3, requires_grad=True)
    y = (x @ w.T).sum()
    with no_grad():
        w.add_(1)
    with pytest.raises(RuntimeError, match=r"in-place"):
        y.backward()


def test_inplace_change_of_base_of_saved_view_raises():
    w = tg.randn(3, requires_grad=True)
    x = tg.randn(2, 3)
    row = x[0]  # a view of x
    y = (w * row).sum()
    x.mul_(2)  # changes row too, which Mul saved for dL/dw
    with pytest.raises(RuntimeError, match=r"in-place"):
        y.backward()


def test_inplace_change_before_op_is_fine():
    w = tg.randn(3, requires_grad=True)
    x = tg.randn(3)
    x.mul_(2)
    y = (w * x).sum()
    y.backward()
    np.testing.assert_array_equal(w.grad.data.numpy(), x.data.numpy())


# --------------------------------------------------------------------------- anomaly mode


def test_detect_anomaly_names_the_op_with_nan_forward():
    x = Tensor([-1.0, 1.0], requires_grad=True)
    with tg.detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(FloatingPointError, match=r"Log.*NaN"):
            x.log()


def test_detect_anomaly_names_the_op_with_inf_gradient():
    x = Tensor([0.0, 4.0], requires_grad=True)
    with tg.detect_anomaly(), np.errstate(divide="ignore"):
        y = x.sqrt().sum()  # forward is finite: sqrt(0) = 0
        with pytest.raises(FloatingPointError, match=r"Sqrt.*(inf|NaN)"):
            y.backward()


def test_detect_anomaly_nan_gradient():
    x = Tensor([0.0], requires_grad=True)
    with tg.detect_anomaly(), np.errstate(divide="ignore", invalid="ignore"):
        y = (x.sqrt() * 0).sum()  # 0 * (1/0) = NaN in SqrtBackward
        with pytest.raises(FloatingPointError, match=r"Sqrt.*NaN"):
            y.backward()


def test_detect_anomaly_is_off_outside_the_context():
    with pytest.raises(FloatingPointError), tg.detect_anomaly(), np.errstate(invalid="ignore"):
        Tensor([-1.0]).log()
    x = Tensor([-1.0, 0.0], requires_grad=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = x.log()  # no exception outside the context
        assert np.isnan(y.data.numpy()[0])
        y.sum().backward()
    assert np.isinf(x.grad.data.numpy()[1])


# --------------------------------------------------------------------------- detach / clone


def test_detach_cuts_the_graph_and_shares_data():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(d.data.numpy(), x.data.numpy())
    (x * 2 + d * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), [2.0, 2.0])


def test_clone_keeps_the_graph_and_copies_data():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    c = x.clone()
    assert c.grad_fn is not None and not np.shares_memory(c.data.numpy(), x.data.numpy())
    np.testing.assert_array_equal(c.data.numpy(), x.data.numpy())
    (c * c).sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), [2.0, 4.0])


# --------------------------------------------------------------------------- custom Function


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.saved = (x,)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * 3 * x**2


class ScaledSub(Function):
    """Two inputs, a keyword argument, a None gradient for a constant input."""

    @staticmethod
    def forward(ctx, a, b, alpha):
        ctx.alpha = alpha
        return a - alpha * b

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        return (grad if need_a else None), (-ctx.alpha * grad if need_b else None)


@given(float64_arrays())
def test_custom_function_works_with_the_engine(x_np):
    x = Tensor(x_np, requires_grad=True)
    y = Cube.apply(x)
    assert not y.is_leaf and "Cube" in repr(y.grad_fn)
    np.testing.assert_allclose(y.data.numpy(), x_np**3)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data.numpy(), 3 * x_np**2)
    assert tg.gradcheck(Cube.apply, Tensor(x_np, requires_grad=True))


def test_custom_function_with_kwargs_and_broadcast_and_constant_input():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    c = Tensor(np.ones(3))
    out = ScaledSub.apply(a, b, alpha=0.5)
    np.testing.assert_allclose(out.data.numpy(), 1 - 0.5 * b.data.numpy()[None, :].repeat(2, 0))
    out.sum().backward()
    np.testing.assert_allclose(a.grad.data.numpy(), np.ones((2, 3)))
    np.testing.assert_allclose(b.grad.data.numpy(), np.full(3,
                                                            -1.0))  # summed over the broadcast rows
    z = ScaledSub.apply(a, c, alpha=2.0)
    assert z.requires_grad
    z.sum().backward()
    assert c.grad is None
    with no_grad():
        assert Cube.apply(a).grad_fn is None


def test_saved_values_are_readable_as_pytorchs_saved_attributes_until_freed():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    node = (a * b).grad_fn
    np.testing.assert_array_equal(node._saved_self, a.data.numpy())  # what Mul saved: its inputs
    np.testing.assert_array_equal(node._saved_other, b.data.numpy())
    e = a.exp()
    np.testing.assert_array_equal(e.grad_fn._saved_result, e.data.numpy())  # Exp saved its output
    assert a.sum(0).grad_fn._saved_axes == (0,)  # settings too
    with pytest.raises(AttributeError):
        node._saved_result  # noqa: B018  (Mul saved no output)
    (a * b).sum().backward()
    with pytest.raises(AttributeError):
        node._saved_nothing_like_this  # noqa: B018
    loss = (a * b).sum()
    mul = loss.grad_fn.next_functions[0][0]
    loss.backward()
    with pytest.raises(RuntimeError, match="MulBackward0"):
        mul._saved_self  # noqa: B018  (freed by backward)


def test_grad_of_an_unused_input_with_materialize_grads_is_zeros():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    unused = tg.tensor([5.0, 6.0, 7.0], requires_grad=True)
    gx, gu = tg.autograd.grad((x * x).sum(), (x, unused), materialize_grads=True)
    np.testing.assert_array_equal(gx.numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(gu.numpy(), [0.0, 0.0, 0.0])
