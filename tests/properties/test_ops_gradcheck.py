"""Every op's autograd gradient against float64 central differences (``gradcheck``).

Shapes and values are drawn by Hypothesis (``strategies.py``); non-smooth ops are drawn away
from their kinks (abs/relu at 0, maximum/minimum at ties, clamp at its bounds, max/min at ties),
where a difference quotient says nothing. Binary ops run on pairs drawn with
``mutually_broadcastable_shapes``: the engine's single broadcast-reduction step is what makes
their gradients the right shape, so it is exercised on every kind of broadcast. A negative
control shows that gradcheck does fail on a wrong backward.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu.autograd import Function
from tinygrad_edu.gradcheck import GradcheckError, gradcheck

from . import strategies as S

Fn = Callable[..., tg.Tensor]


def leaf(array: Any, requires_grad: bool = True) -> tg.Tensor:
    """A float64 leaf holding its own copy of ``array`` (gradcheck perturbs it in place)."""
    return tg.Tensor(np.array(array, dtype=np.float64), requires_grad=requires_grad)


def check(fn: Fn, *arrays: Any, requires_grad: tuple[bool, ...] | None = None) -> None:
    """gradcheck ``fn`` at ``arrays`` (all requiring grad unless ``requires_grad`` says not)."""
    flags = requires_grad or (True,) * len(arrays)
    inputs = [leaf(a, r) for a, r in zip(arrays, flags, strict=True)]
    assert gradcheck(fn, *inputs) is True
    for t, r in zip(inputs, flags, strict=True):
        if r:  # every differentiable input received a gradient of its own shape and dtype
            assert t.grad is not None and t.grad.shape == t.shape and t.grad.dtype == np.float64
        else:
            assert t.grad is None
    # ... in memory of its own: the engine keeps new arrays without copying them, so an op that
    # returned a saved array, or one array for two inputs, would show up here
    grads = [t.grad.data.numpy() for t in inputs if t.grad is not None]
    for i, g in enumerate(grads):
        for other in grads[i + 1:] + [t.data.numpy() for t in inputs]:
            assert not np.shares_memory(g, other)


REQUIRES = st.sampled_from([(True, True), (True, False), (False, True)])


# ====================================================================== binary, broadcasting

# name -> (every spelling of the op, elements of a, elements of b)
BINARY: dict[str, tuple[list[Fn], st.SearchStrategy[float], st.SearchStrategy[float]]] = {
    "add": ([lambda a, b: a + b, lambda a, b: a.add(b)], S.floats(), S.floats()),
    "sub": ([lambda a, b: a - b, lambda a, b: a.sub(b)], S.floats(), S.floats()),
    "mul": ([lambda a, b: a * b, lambda a, b: a.mul(b)], S.floats(), S.floats()),
    "div": ([lambda a, b: a / b, lambda a, b: a.div(b)], S.floats(), S.nonzero_floats(0.5)),
    "pow": ([lambda a, b: a**b, lambda a, b: a.pow(b)],
            S.positive_floats(0.2, 3.0), S.floats(-2.0, 2.0)),
    # maximum/minimum: a on the integer grid, b on the half-integer grid -> never within 0.3
    "maximum": ([lambda a, b: a.maximum(b), lambda a, b: tg.maximum(a, b),
                 lambda a, b: a.max(b)], S.grid_floats(0.0), S.grid_floats(0.5)),
    "minimum": ([lambda a, b: a.minimum(b), lambda a, b: tg.minimum(a, b),
                 lambda a, b: a.min(b)], S.grid_floats(0.0), S.grid_floats(0.5)),
}


@pytest.mark.parametrize("name", list(BINARY))
@given(data=st.data())
def test_binary_op_broadcasting(name: str, data: st.DataObject) -> None:
    fns, elements_a, elements_b = BINARY[name]
    shape_a, shape_b = data.draw(S.broadcast_pairs(), label="shapes")
    a = data.draw(S.arrays(shape_a, elements_a), label="a")
    b = data.draw(S.arrays(shape_b, elements_b), label="b")
    flags = data.draw(REQUIRES, label="requires_grad")
    for fn in fns:
        check(fn, a, b, requires_grad=flags)


@given(data=st.data())
def test_where_broadcasting(data: st.DataObject) -> None:
    shape_c, shape_a, shape_b = data.draw(S.broadcast_pairs(num_shapes=3), label="shapes")
    cond = data.draw(S.hnp.arrays(np.bool_, shape_c), label="condition")
    a = data.draw(S.arrays(shape_a), label="a")
    b = data.draw(S.arrays(shape_b), label="b")
    flags = data.draw(REQUIRES, label="requires_grad")
    check(lambda x, y: tg.where(cond, x, y), a, b, requires_grad=flags)
    check(lambda x, y: x.where(tg.Tensor(cond), y), a, b, requires_grad=flags)


@given(data=st.data())
def test_chained_broadcasts_and_reuse(data: st.DataObject) -> None:
    """Broadcasts feeding broadcasts, and one tensor used on several paths (a diamond): each
    input's gradient is summed over every copy it was stretched into, on every path."""
    sa, sb, sc = data.draw(S.broadcast_pairs(num_shapes=3), label="shapes")
    a = data.draw(S.arrays(sa), label="a")
    b = data.draw(S.arrays(sb), label="b")
    c = data.draw(S.arrays(sc, S.nonzero_floats(0.5)), label="c")
    check(lambda x, y, z: (x + y) * z - x / z + (x * y).sum() * x, a, b, c)


# ====================================================================== unary elementwise

# name -> (every spelling of the op, elements); Python-number operands are unary ops too
UNARY: dict[str, tuple[list[Fn], st.SearchStrategy[float]]] = {
    "number operands": ([lambda x: x + 2.0, lambda x: 2.0 + x, lambda x: x - 2,
                         lambda x: 2.0 - x, lambda x: x * 3.0, lambda x: 3 * x,
                         lambda x: x / 3.0, lambda x: 3.0 / x, lambda x: x ** (-1)],
                        S.nonzero_floats(0.3)),
    "integer powers": ([lambda x: x**2, lambda x: x**3, lambda x: x.pow(3),
                        lambda x: x.square(), lambda x: 2.0**x], S.floats()),
    "real powers": ([lambda x: x**0.5, lambda x: x ** (-1.5), lambda x: x ** np.float64(2.5)],
                    S.positive_floats()),
    "neg": ([lambda x: -x, lambda x: x.neg()], S.floats()),
    "exp": ([lambda x: x.exp(), tg.exp], S.floats()),
    "log": ([lambda x: x.log(), tg.log], S.positive_floats()),
    "sqrt": ([lambda x: x.sqrt(), tg.sqrt], S.positive_floats()),
    "abs": ([lambda x: x.abs(), abs, tg.abs], S.nonzero_floats()),
    "relu": ([lambda x: x.relu(), tg.relu, F.relu], S.nonzero_floats()),
    "leaky_relu": ([F.leaky_relu, lambda x: F.leaky_relu(x, 0.3)], S.nonzero_floats()),
    "sigmoid": ([lambda x: x.sigmoid(), tg.sigmoid, F.sigmoid], S.floats(-6.0, 6.0)),
    "tanh": ([lambda x: x.tanh(), tg.tanh, F.tanh], S.floats()),
    # clamp: values on the integer grid, bounds on half-integers -> never within 0.4 of a bound
    "clamp": ([lambda x: x.clamp(-1.5, 1.5), lambda x: x.clamp(min=-0.5),
               lambda x: x.clamp(max=0.5), lambda x: x.clip(-2.5, 0.5),
               lambda x: tg.clamp(x, -0.5, 2.5), lambda x: tg.clip(x, min=-1.5)],
              S.grid_floats(0.0)),
    "clone": ([lambda x: x.clone()], S.floats()),
}
UNARY_INPUTS = {name: S.arrays(S.shapes(), elements) for name, (_, elements) in UNARY.items()}


@pytest.mark.parametrize("name", list(UNARY))
@given(data=st.data())
def test_unary_op(name: str, data: st.DataObject) -> None:
    x = data.draw(UNARY_INPUTS[name], label="x")
    for fn in UNARY[name][0]:
        check(fn, x)


# ====================================================================== softmax family

SOFTMAX: dict[str, list[Callable[[tg.Tensor, int], tg.Tensor]]] = {
    "softmax": [lambda x, d: x.softmax(d), lambda x, d: tg.softmax(x, d),
                lambda x, d: F.softmax(x, dim=d)],
    "log_softmax": [lambda x, d: x.log_softmax(d), lambda x, d: tg.log_softmax(x, d),
                    lambda x, d: F.log_softmax(x, dim=d)],
}


@pytest.mark.parametrize("name", list(SOFTMAX))
@given(data=st.data())
def test_softmax_family_every_dim(name: str, data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes(min_dims=1)), label="x")
    dim = data.draw(S.dims(x.ndim), label="dim")
    for fn in SOFTMAX[name]:
        check(lambda t, fn=fn: fn(t, dim), x)


# ====================================================================== reductions


@pytest.mark.parametrize("op", ["sum", "mean"])
@given(data=st.data())
def test_sum_mean(op: str, data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes()), label="x")
    dim = data.draw(S.dim_args(x.ndim), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    check(lambda t: getattr(t, op)(dim, keepdim), x)
    check(lambda t: getattr(t, op)(axis=dim, keepdims=keepdim), x)  # NumPy's names


@given(data=st.data())
def test_sum_mean_no_args(data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes()), label="x")
    check(lambda t: t.sum(), x)
    check(lambda t: t.mean(), x)


@pytest.mark.parametrize("op", ["amax", "amin"])
@given(data=st.data())
def test_amax_amin(op: str, data: st.DataObject) -> None:
    x = data.draw(S.separated_arrays(S.shapes()), label="x")  # no ties
    dim = data.draw(S.dim_args(x.ndim), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    check(lambda t: getattr(t, op)(dim, keepdim), x)


@pytest.mark.parametrize("op", ["max", "min"])
@given(x=S.separated_arrays(S.shapes()))
def test_max_min_without_dim(op: str, x: np.ndarray) -> None:
    check(lambda t: getattr(t, op)(), x)


@pytest.mark.parametrize("op", ["max", "min"])
@given(data=st.data())
def test_max_min_with_dim(op: str, data: st.DataObject) -> None:
    x = data.draw(S.separated_arrays(S.shapes(min_dims=1)), label="x")
    dim = data.draw(S.dims(x.ndim), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    result = getattr(leaf(x), op)(dim, keepdim=keepdim)
    values, indices = result  # a (values, indices) pair
    assert result.values is values and result.indices is indices
    expected = (np.argmax if op == "max" else np.argmin)(x, axis=dim, keepdims=keepdim)
    np.testing.assert_array_equal(indices.data.numpy(), expected)
    assert indices.dtype.kind == "i" and not indices.requires_grad
    np.testing.assert_array_equal(
        values.data.numpy(), (np.max if op == "max" else np.min)(x, axis=dim, keepdims=keepdim)
    )
    check(lambda t: getattr(t, op)(dim, keepdim=keepdim).values, x)
    check(lambda t: getattr(t, op)(dim, keepdim)[0], x)


@pytest.mark.parametrize("correction", [0, 1])
@given(data=st.data())
def test_var(correction: int, data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes(min_dims=1, min_side=2)), label="x")  # n > correction
    dim = data.draw(S.dim_args(x.ndim), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    check(lambda t: t.var(dim, keepdim=keepdim, correction=correction), x)
    check(lambda t: t.var(dim, unbiased=bool(correction), keepdim=keepdim), x)


@given(data=st.data())
def test_std(data: st.DataObject) -> None:
    x = data.draw(S.separated_arrays(S.shapes(min_dims=1, min_side=2)), label="x")  # std > 0
    dim = data.draw(S.dim_args(x.ndim), label="dim")
    check(lambda t: t.std(dim), x)


@given(data=st.data())
def test_logsumexp(data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes(min_dims=1)), label="x")
    dim = data.draw(S.dims(x.ndim) | S.dim_args(x.ndim).filter(lambda d: d is not None),
                    label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    check(lambda t: t.logsumexp(dim, keepdim), x)
    check(lambda t: tg.logsumexp(t, dim, keepdim=keepdim), x)


# ====================================================================== shape ops


@given(x=S.arrays(S.shapes()))
def test_reshape_view_flatten(x: np.ndarray) -> None:
    reversed_shape = x.shape[::-1]
    check(lambda t: t.reshape(-1), x)
    check(lambda t: t.reshape(*reversed_shape), x)
    check(lambda t: t.reshape(reversed_shape) * 2.0, x)
    check(lambda t: t.view(reversed_shape), x)
    check(lambda t: t.view(-1, 1), x)
    check(lambda t: t.flatten(), x)
    check(lambda t: tg.flatten(t), x)
    other = leaf(np.zeros(reversed_shape), requires_grad=False)
    check(lambda t: t.view_as(other), x)
    check(lambda t: t.reshape_as(other), x)


@given(data=st.data())
def test_flatten_range(data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes(min_dims=1, max_dims=4, max_side=3)), label="x")
    start = data.draw(S.dims(x.ndim), label="start_dim")
    end = data.draw(st.integers(start % x.ndim, x.ndim - 1), label="end_dim")
    check(lambda t: t.flatten(start, end), x)


@given(data=st.data())
def test_transpose_permute_T(data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes(min_dims=1, max_dims=4, max_side=3)), label="x")
    d0 = data.draw(S.dims(x.ndim), label="d0")
    d1 = data.draw(S.dims(x.ndim), label="d1")
    perm = data.draw(st.permutations(range(x.ndim)), label="perm")
    check(lambda t: t.transpose(d0, d1), x)
    check(lambda t: t.permute(*perm), x)
    check(lambda t: t.permute(tuple(perm)), x)
    check(lambda t: t.T, x)
    if x.ndim <= 2:
        check(lambda t: t.t(), x)


@given(data=st.data())
def test_squeeze_unsqueeze(data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes(max_dims=4, max_side=2)), label="x")  # many size-1 dims
    check(lambda t: t.squeeze(), x)
    if x.ndim:
        d = data.draw(S.dims(x.ndim), label="squeeze dim")
        check(lambda t: t.squeeze(d), x)
    u = data.draw(st.integers(-x.ndim - 1, x.ndim), label="unsqueeze dim")
    check(lambda t: t.unsqueeze(u), x)


@st.composite
def expand_case(draw: st.DrawFn) -> tuple[np.ndarray, tuple[int, ...], tuple[int, ...]]:
    """An array, a target shape it broadcasts to, and the same target written with -1s."""
    shape = draw(S.shapes(max_dims=3, max_side=3).map(
        lambda s: tuple(n if n == 1 or i % 2 else 1 for i, n in enumerate(s))))
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    grown = [draw(st.integers(1, 4)) if n == 1 else n for n in shape]
    target = (*lead, *grown)
    # -1 keeps the input's size, so it may stand only where the target keeps it too
    with_minus = tuple(
        -1 if i >= len(lead) and shape[i - len(lead)] == n and draw(st.booleans()) else n
        for i, n in enumerate(target)
    )
    x = draw(S.arrays(shape))
    return x, target, with_minus


@given(case=expand_case())
def test_expand_broadcast_to(case: tuple[np.ndarray, tuple[int, ...], tuple[int, ...]]) -> None:
    x, target, with_minus = case
    check(lambda t: t.expand(*target), x)
    check(lambda t: t.expand(target), x)
    check(lambda t: t.broadcast_to(target), x)
    out = leaf(x).expand(*with_minus)
    assert out.shape == target
    check(lambda t: t.expand(*with_minus) * 1.5, x)
    other = leaf(np.zeros(target), requires_grad=False)
    check(lambda t: t.expand_as(other), x)


@st.composite
def cat_case(draw: st.DrawFn) -> tuple[list[np.ndarray], int]:
    base = list(draw(S.shapes(min_dims=1, max_side=4)))
    dim = draw(S.dims(len(base)))
    count = draw(st.integers(1, 3))
    arrays = []
    for _ in range(count):
        shape = list(base)
        shape[dim] = draw(st.integers(1, 3))
        arrays.append(draw(S.arrays(tuple(shape))))
    return arrays, dim


@given(case=cat_case())
def test_cat(case: tuple[list[np.ndarray], int]) -> None:
    arrays, dim = case
    check(lambda *ts: tg.cat(list(ts), dim=dim), *arrays)
    check(lambda *ts: tg.concatenate(ts, dim), *arrays)
    if len(arrays) > 1:  # one constant piece among differentiable ones
        flags = (False, *[True] * (len(arrays) - 1))
        check(lambda *ts: tg.cat(list(ts), dim=dim), *arrays, requires_grad=flags)


@given(data=st.data())
def test_stack(data: st.DataObject) -> None:
    shape = data.draw(S.shapes(max_side=4), label="shape")
    count = data.draw(st.integers(1, 3), label="count")
    arrays = [data.draw(S.arrays(shape), label=f"x{i}") for i in range(count)]
    dim = data.draw(st.integers(-len(shape) - 1, len(shape)), label="dim")
    check(lambda *ts: tg.stack(list(ts), dim=dim), *arrays)
    check(lambda *ts: tg.stack(ts, dim) * 2.0, *arrays)


@given(data=st.data())
def test_pad(data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes(min_dims=1, max_side=4)), label="x")
    pairs = data.draw(st.integers(1, x.ndim), label="padded dims")
    pad = tuple(data.draw(st.lists(st.integers(0, 2), min_size=2 * pairs, max_size=2 * pairs),
                          label="pad"))
    value = data.draw(S.floats(), label="value")
    check(lambda t: F.pad(t, pad), x)
    check(lambda t: F.pad(t, pad, value=value) * F.pad(t, pad, value=value), x)


# ---------------------------------------------------------------------- indexing


@given(data=st.data())
def test_getitem_basic(data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes(min_dims=1)), label="x")
    index = data.draw(S.hnp.basic_indices(x.shape, allow_newaxis=True), label="index")
    check(lambda t: t[index], x)
    check(lambda t: t[index] * t[index], x)  # the same element reached twice


@given(data=st.data())
def test_getitem_integer_arrays(data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes(min_dims=1, max_dims=3, max_side=4)), label="x")
    index = data.draw(S.hnp.integer_array_indices(
        x.shape, result_shape=S.shapes(min_dims=1, max_dims=2, max_side=6)), label="index")
    check(lambda t: t[index], x)


@given(data=st.data())
def test_getitem_repeated_indices_accumulate(data: st.DataObject) -> None:
    """x[[i, i, j]]: an element picked k times gets k times the gradient (np.add.at)."""
    x = data.draw(S.arrays(S.shapes(min_dims=1, max_dims=3, max_side=4)), label="x")
    idx = data.draw(S.repeated_indices(x.shape[0]), label="idx")
    check(lambda t: t[idx], x)
    check(lambda t: t[idx.tolist()], x)
    check(lambda t: t[tg.tensor(idx)], x)
    # the accumulation in plain numbers: d sum(x[idx]) / dx[i] = count of i in idx
    t = leaf(x)
    t[idx].sum().backward()
    counts = np.bincount(idx % x.shape[0], minlength=x.shape[0]).astype(np.float64)
    expected = np.broadcast_to(counts.reshape((-1,) + (1,) * (x.ndim - 1)), x.shape)
    assert t.grad is not None
    np.testing.assert_array_equal(t.grad.data.numpy(), expected)
    if x.ndim >= 2:  # advanced index behind a slice, and pairs of index arrays with repeats
        idx1 = data.draw(S.repeated_indices(x.shape[1], min_len=len(idx), max_len=len(idx)),
                         label="idx1")
        check(lambda t: t[:, idx1], x)
        check(lambda t: t[1:, idx1], x)
        check(lambda t: t[idx, idx1], x)
        check(lambda t: t[:, idx1[0]], x)


@given(data=st.data())
def test_getitem_boolean_mask(data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes(min_dims=1)), label="x")
    mask = data.draw(S.hnp.arrays(np.bool_, x.shape), label="mask")
    check(lambda t: t[mask], x)
    check(lambda t: t[tg.Tensor(mask)], x)


# ====================================================================== matmul


@pytest.mark.parametrize("pattern", list(S.MATMUL_SHAPES))
@given(data=st.data())
def test_matmul(pattern: str, data: st.DataObject) -> None:
    sizes = data.draw(st.tuples(*[st.integers(1, 4)] * 4), label="b, m, k, n")
    shape_a, shape_b = S.MATMUL_SHAPES[pattern](*sizes)
    a = data.draw(S.arrays(shape_a), label="a")
    b = data.draw(S.arrays(shape_b), label="b")
    flags = data.draw(REQUIRES, label="requires_grad")
    check(lambda x, y: x @ y, a, b, requires_grad=flags)
    check(lambda x, y: tg.matmul(x, y), a, b, requires_grad=flags)
    check(lambda x, y: x.matmul(y), a, b, requires_grad=flags)


def test_matmul_broadcast_batch_example() -> None:
    """The brief's example: (2,1,3,4) @ (5,4,2) -> (2,5,3,2); both grads summed back."""
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 1, 3, 4)), rng.standard_normal((5, 4, 2))
    assert (leaf(a) @ leaf(b)).shape == (2, 5, 3, 2)
    check(lambda x, y: x @ y, a, b)


# ====================================================================== losses

REDUCTION = st.sampled_from(["mean", "sum", "none"])
SMALL_2D = st.tuples(st.integers(1, 5), st.integers(1, 5))


@given(data=st.data())
def test_cross_entropy_class_indices(data: st.DataObject) -> None:
    n, c = data.draw(SMALL_2D, label="N, C")
    logits = data.draw(S.arrays((n, c)), label="logits")
    target = data.draw(S.class_indices(n, c), label="target")
    reduction = data.draw(REDUCTION, label="reduction")
    check(lambda x: F.cross_entropy(x, target, reduction=reduction), logits)
    check(lambda x: F.cross_entropy(x, tg.tensor(target), reduction=reduction), logits)


@given(data=st.data())
def test_cross_entropy_probabilities(data: st.DataObject) -> None:
    n, c = data.draw(SMALL_2D, label="N, C")
    logits = data.draw(S.arrays((n, c)), label="logits")
    probs = data.draw(S.distributions((n, c)), label="target")
    reduction = data.draw(REDUCTION, label="reduction")
    # gradients for the logits and for the (differentiable) probability target
    check(lambda x, t: F.cross_entropy(x, t, reduction=reduction), logits, probs)
    check(lambda x: F.cross_entropy(x, probs, reduction=reduction), logits)
    # targets need not sum to 1 (the formula carries sum_c t_c)
    raw = data.draw(S.arrays((n, c), S.floats(0.0, 2.0)), label="unnormalized target")
    check(lambda x, t: F.cross_entropy(x, t, reduction=reduction), logits, raw)


@given(data=st.data())
def test_cross_entropy_single_sample(data: st.DataObject) -> None:
    c = data.draw(st.integers(1, 5), label="C")
    logits = data.draw(S.arrays((c,)), label="logits")
    cls = data.draw(st.integers(0, c - 1), label="class")
    probs = data.draw(S.distributions((c,)), label="probs")
    reduction = data.draw(REDUCTION, label="reduction")
    for target in (cls, np.int64(cls), tg.tensor(cls)):
        check(lambda x, t=target: F.cross_entropy(x, t, reduction=reduction), logits)
        assert F.cross_entropy(leaf(logits), target, reduction=reduction).shape == ()
    check(lambda x, t: F.cross_entropy(x, t, reduction=reduction), logits, probs)


@given(data=st.data())
def test_nll_loss(data: st.DataObject) -> None:
    n, c = data.draw(SMALL_2D, label="N, C")
    x = data.draw(S.arrays((n, c)), label="log-probs")
    target = data.draw(S.class_indices(n, c), label="target")
    reduction = data.draw(REDUCTION, label="reduction")
    check(lambda t: F.nll_loss(t, target, reduction=reduction), x)
    check(lambda t: F.nll_loss(t.log_softmax(-1), target, reduction=reduction), x)


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss"])
@given(data=st.data())
def test_regression_losses(loss: str, data: st.DataObject) -> None:
    shape = data.draw(S.shapes(), label="shape")
    x = data.draw(S.arrays(shape, S.grid_floats(0.0)), label="input")  # |x - y| >= 0.3
    y = data.draw(S.arrays(shape, S.grid_floats(0.5)), label="target")
    reduction = data.draw(REDUCTION, label="reduction")
    flags = data.draw(REQUIRES, label="requires_grad")
    fn = getattr(F, loss)
    check(lambda a, b: fn(a, b, reduction=reduction), x, y, requires_grad=flags)


@given(data=st.data())
def test_binary_cross_entropy(data: st.DataObject) -> None:
    shape = data.draw(S.shapes(), label="shape")
    p = data.draw(S.probabilities(shape), label="p")
    # targets inside (0, 1): finite differences step y by 1e-6, and a y outside [0, 1] is an
    # error (as in PyTorch)
    y = data.draw(S.arrays(shape, S.floats(0.01, 0.99)), label="y")
    reduction = data.draw(REDUCTION, label="reduction")
    flags = data.draw(REQUIRES, label="requires_grad")
    check(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction), p, y,
          requires_grad=flags)
    # the usual pipeline: probabilities from a sigmoid
    check(lambda a: F.binary_cross_entropy(a.sigmoid(), y, reduction=reduction), p * 4 - 2)


@given(data=st.data())
def test_binary_cross_entropy_with_logits(data: st.DataObject) -> None:
    shape = data.draw(S.shapes(), label="shape")
    x = data.draw(S.arrays(shape, S.floats(-6.0, 6.0)), label="logits")
    y = data.draw(S.arrays(shape, S.floats(0.0, 1.0)), label="y")
    reduction = data.draw(REDUCTION, label="reduction")
    flags = data.draw(REQUIRES, label="requires_grad")
    check(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction), x, y,
          requires_grad=flags)


@given(w=S.arrays(S.shapes(), S.nonzero_floats()), lam=S.floats(0.0, 2.0))
def test_penalties(w: np.ndarray, lam: float) -> None:
    check(lambda t: F.l1_penalty(t), w)
    check(lambda t: F.l1_penalty(t, lam), w)
    check(lambda t: F.l2_penalty(t), w)
    check(lambda t: F.l2_penalty(t, lam=lam), w)


# ====================================================================== gradcheck itself


class WrongSin(Function):
    """sin with a deliberately wrong derivative (+sin instead of cos)."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.saved = (x,)
        return np.sin(x)

    @staticmethod
    def backward(ctx: Any, grad: np.ndarray) -> np.ndarray:
        return grad * np.sin(ctx.saved[0])


class RightSin(WrongSin):
    """The same op with the right derivative: the control of the control."""

    @staticmethod
    def backward(ctx: Any, grad: np.ndarray) -> np.ndarray:
        return grad * np.cos(ctx.saved[0])


class OffByOneAt(Function):
    """Identity whose backward adds 1 to the gradient at one element (``ctx.bad``)."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, bad: tuple[int, ...]) -> np.ndarray:
        ctx.bad = bad
        return x.copy()

    @staticmethod
    def backward(ctx: Any, grad: np.ndarray) -> np.ndarray:
        out = np.array(grad, dtype=grad.dtype, copy=True)
        out[ctx.bad] += 1.0
        return out


@given(x=S.arrays(S.shapes(), S.floats(-1.4, 1.4)))
def test_negative_control_wrong_backward_fails(x: np.ndarray) -> None:
    # cos(x) - sin(x) = 0 only at pi/4 (+ k pi); stay clear of it so the error is visible
    x = np.where(np.abs(x - np.pi / 4) < 0.3, x - 0.6, x)
    with pytest.raises(GradcheckError, match="gradcheck failed"):
        gradcheck(lambda t: WrongSin.apply(t), leaf(x))
    assert gradcheck(lambda t: WrongSin.apply(t), leaf(x), raise_exception=False) is False
    assert gradcheck(lambda t: RightSin.apply(t), leaf(x)) is True


@given(data=st.data())
def test_failure_message_names_input_and_element(data: st.DataObject) -> None:
    shape = data.draw(S.shapes(min_dims=1, max_dims=3, max_side=4), label="shape")
    bad = tuple(data.draw(st.integers(0, n - 1), label="bad index") for n in shape)
    a = data.draw(S.arrays(shape), label="a")
    b = data.draw(S.arrays(shape), label="b")
    with pytest.raises(GradcheckError) as info:
        # input 0 is fine; input 1 has a wrong gradient at exactly one element
        gradcheck(lambda u, v: u * 2.0 + OffByOneAt.apply(v, bad=bad), leaf(a), leaf(b),
                  seed=data.draw(st.integers(0, 100), label="seed"))
    message = str(info.value)
    assert f"input 1 (shape {shape}) at index {bad}" in message, message
    assert "analytic" in message and "numeric" in message


def test_gradcheck_error_is_an_assertion_error() -> None:
    assert issubclass(GradcheckError, AssertionError)
    assert tg.gradcheck is gradcheck


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_gradcheck_refuses_low_precision(dtype: Any) -> None:
    x = tg.Tensor(np.ones((2, 3), dtype=dtype), requires_grad=True)
    y = leaf(np.ones(3))
    with pytest.raises(TypeError, match=r"input 1 has dtype float(32|16).*float64"):
        gradcheck(lambda a, b: a * b, y, x)
    with pytest.raises(TypeError, match=r"input 0 has dtype float(32|16).*float64"):
        gradcheck(lambda a: a.exp(), x)


def test_gradcheck_needs_an_input_requiring_grad() -> None:
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda a: a.exp(), leaf(np.ones(2), requires_grad=False))


@settings(max_examples=10)
@given(x=S.arrays(S.shapes(min_dims=1), S.floats(-1.0, 1.0)))
def test_gradcheck_restores_inputs(x: np.ndarray) -> None:
    """Perturbing in place must leave the inputs exactly as they were."""
    t = leaf(x)
    gradcheck(lambda a: (a * a).sum(), t)
    np.testing.assert_array_equal(t.data.numpy(), x)
