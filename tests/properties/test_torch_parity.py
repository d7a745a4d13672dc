"""PyTorch as an oracle: the same ops on the same float64 inputs give the same values and the
same gradients (relative tolerance 1e-10), for inputs drawn by Hypothesis.

Unlike the finite-difference suite, these tests go *onto* the kinks on purpose (drawing from a
few exact values, so ties and zeros are common): which element gets the gradient of a tie, what
relu/abs/clamp do at exactly 0 or at a bound, is a convention, and the convention is PyTorch's.

Where tinygrad_edu differs from PyTorch on purpose, a test below states the difference as an
assertion (search for "on purpose") rather than hiding it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F

from . import strategies as S

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed; the parity tests use it as an oracle "
                    "(pip install torch==2.13.0, CPU build)"
)
TF = torch.nn.functional

RTOL, ATOL = 1e-10, 1e-12
TIES = S.tie_floats()  # -1, 0, 0.5, 1: equal elements and exact zeros are frequent
TIES_OR_ANY = TIES | S.floats()
TIES_OR_WIDE = TIES | S.floats(-20.0, 20.0)
BINARY_TARGET = st.sampled_from([0.0, 1.0]) | S.floats(0.0, 1.0)
REDUCTION = st.sampled_from(["mean", "sum", "none"])


def close(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL, err_msg=what)


def parity(ours: Callable[..., tg.Tensor], theirs: Callable[..., Any], *arrays: Any,
           requires_grad: Sequence[bool] | None = None, seed: int = 0
           ) -> tuple[list[tg.Tensor], list[Any]]:
    """Run ``ours`` and ``theirs`` on float64 copies of ``arrays``; compare the outputs, then
    backpropagate the same random cotangent through both and compare every input's gradient."""
    flags = list(requires_grad or [True] * len(arrays))
    xs = [tg.Tensor(np.array(a, dtype=np.float64), requires_grad=r)
          for a, r in zip(arrays, flags, strict=True)]
    ts = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=r)
          for a, r in zip(arrays, flags, strict=True)]
    out, ref = ours(*xs), theirs(*ts)
    assert out.shape == tuple(ref.shape), (out.shape, tuple(ref.shape))
    assert out.dtype == np.float64 and ref.dtype == torch.float64
    close(out.data.numpy(), ref.detach().numpy(), "forward values")
    cotangent = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(cotangent)
    ref.backward(torch.tensor(cotangent))
    for i, (x, t) in enumerate(zip(xs, ts, strict=True)):
        if not t.requires_grad:
            assert x.grad is None
            continue
        expected = np.zeros(x.shape) if t.grad is None else t.grad.numpy()
        assert x.grad is not None, f"input {i} got no gradient"
        assert x.grad.shape == x.shape and x.grad.dtype == np.float64
        close(x.grad.data.numpy(), expected, f"gradient of input {i}")
    return xs, ts


REQUIRES = st.sampled_from([(True, True), (True, False), (False, True)])


# ====================================================================== elementwise

# name -> (ours, theirs, elements of a, elements of b)
BINARY: dict[str, tuple[Callable, Callable, st.SearchStrategy, st.SearchStrategy]] = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, S.floats(), S.floats()),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, S.floats(), S.floats()),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, S.floats(), S.floats()),
    "div": (lambda a, b: a / b, lambda a, b: a / b, S.floats(), S.nonzero_floats(0.3)),
    "pow": (lambda a, b: a**b, lambda a, b: a**b, S.positive_floats(0.2), S.floats(-2, 2)),
    # maximum/minimum at ties: the gradient is split in halves (torch.maximum's convention)
    "maximum": (lambda a, b: a.maximum(b), torch.maximum, TIES, TIES),
    "minimum": (lambda a, b: tg.minimum(a, b), torch.minimum, TIES, TIES),
    "max(a, b)": (lambda a, b: a.max(b), torch.max, TIES, TIES),
    "min(a, b)": (lambda a, b: a.min(b), torch.min, TIES, TIES),
}


@pytest.mark.parametrize("name", list(BINARY))
@given(data=st.data())
def test_binary_broadcasting(name: str, data: st.DataObject) -> None:
    ours, theirs, elements_a, elements_b = BINARY[name]
    shape_a, shape_b = data.draw(S.broadcast_pairs(), label="shapes")
    a = data.draw(S.arrays(shape_a, elements_a), label="a")
    b = data.draw(S.arrays(shape_b, elements_b), label="b")
    flags = data.draw(REQUIRES, label="requires_grad")
    parity(ours, theirs, a, b, requires_grad=flags)


@given(data=st.data())
def test_where_broadcasting(data: st.DataObject) -> None:
    shape_c, shape_a, shape_b = data.draw(S.broadcast_pairs(num_shapes=3), label="shapes")
    cond = data.draw(S.hnp.arrays(np.bool_, shape_c), label="condition")
    a = data.draw(S.arrays(shape_a), label="a")
    b = data.draw(S.arrays(shape_b), label="b")
    parity(lambda x, y: tg.where(tg.Tensor(cond), x, y),
           lambda x, y: torch.where(torch.tensor(cond), x, y), a, b)


Pair = tuple[Callable[..., Any], Callable[..., Any]]  # (ours, torch's)

# name -> ((ours, theirs) pairs, elements); TIES_OR_ANY puts exact zeros and bounds in the mix
UNARY: dict[str, tuple[list[Pair], st.SearchStrategy[float]]] = {
    "number operands": ([(lambda x: 2.0 - x, lambda x: 2.0 - x),
                         (lambda x: 2.0 / x, lambda x: 2.0 / x),
                         (lambda x: x * 3 + 1, lambda x: x * 3 + 1),
                         (lambda x: x ** (-1), lambda x: x ** (-1)),
                         (lambda x: 2.0**x, lambda x: 2.0**x)], S.nonzero_floats(0.2)),
    "integer powers": ([(lambda x: x**2, lambda x: x**2), (lambda x: x**3, lambda x: x**3),
                        (lambda x: x.square(), torch.square)], TIES_OR_ANY),
    "real powers": ([(lambda x: x**0.5, lambda x: x**0.5),
                     (lambda x: x ** (-1.5), lambda x: x ** (-1.5))], S.positive_floats(0.05)),
    "neg, clone": ([(lambda x: -x, lambda x: -x), (lambda x: x.clone(), lambda x: x.clone())],
                   S.floats()),
    "exp": ([(lambda x: x.exp(), torch.exp)], S.floats()),
    "log": ([(lambda x: x.log(), torch.log)], S.positive_floats(0.05)),
    "sqrt": ([(lambda x: x.sqrt(), torch.sqrt)], S.positive_floats(0.05)),
    "abs (0 included)": ([(lambda x: x.abs(), torch.abs)], TIES_OR_ANY),
    "relu (0 included)": ([(lambda x: x.relu(), torch.relu), (F.relu, TF.relu)], TIES_OR_ANY),
    "leaky_relu (0 included)": ([(F.leaky_relu, TF.leaky_relu),
                                 (lambda x: F.leaky_relu(x, 0.2),
                                  lambda x: TF.leaky_relu(x, 0.2))], TIES_OR_ANY),
    "sigmoid": ([(lambda x: x.sigmoid(), torch.sigmoid)], S.floats(-30, 30)),
    "tanh": ([(lambda x: x.tanh(), torch.tanh)], S.floats(-10, 10)),
    # clamp on values that hit the bounds exactly: the gradient passes at the bounds
    "clamp at bounds": ([(lambda x: x.clamp(-1.0, 0.5), lambda x: x.clamp(-1.0, 0.5)),
                         (lambda x: x.clamp(min=0.0), lambda x: x.clamp(min=0.0)),
                         (lambda x: tg.clip(x, max=0.5), lambda x: x.clip(max=0.5))],
                        TIES_OR_ANY),
}
UNARY_INPUTS = {name: S.arrays(S.shapes(), elements) for name, (_, elements) in UNARY.items()}


@pytest.mark.parametrize("name", list(UNARY))
@given(data=st.data())
def test_unary(name: str, data: st.DataObject) -> None:
    x = data.draw(UNARY_INPUTS[name], label="x")
    for ours, theirs in UNARY[name][0]:
        parity(ours, theirs, x)


@pytest.mark.parametrize("exponent", [0, 1, 2, 3])
@given(x=S.arrays(S.shapes(), TIES))
def test_pow_scalar_at_zero_base(exponent: int, x: np.ndarray) -> None:
    """x ** p where x may be exactly 0: d/dx x^0 = 0 everywhere (torch), also at x = 0."""
    parity(lambda t: t**exponent, lambda t: t**exponent, x)


ZERO_BASES = S.tie_floats((0.0, 0.5, 1.0, 2.0))
WHOLE_EXPONENTS = S.tie_floats((0.0, 1.0, 2.0, 3.0))


@given(data=st.data())
def test_pow_tensor_exponent_at_zero_base(data: st.DataObject) -> None:
    """a ** b with a possibly 0 and integer b >= 0: torch's gradients stay finite there."""
    shape_a, shape_b = data.draw(S.broadcast_pairs(), label="shapes")
    a = data.draw(S.arrays(shape_a, ZERO_BASES), label="a")
    b = data.draw(S.arrays(shape_b, WHOLE_EXPONENTS), label="b")
    parity(lambda x, y: x**y, lambda x, y: x**y, a, b)


# ====================================================================== softmax family


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(data=st.data())
def test_softmax_family(name: str, data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes(min_dims=1), TIES_OR_WIDE), label="x")
    dim = data.draw(S.dims(x.ndim), label="dim")
    parity(lambda t: getattr(F, name)(t, dim=dim), lambda t: getattr(TF, name)(t, dim=dim), x)


# ====================================================================== reductions


@pytest.mark.parametrize("op", ["sum", "mean"])
@given(data=st.data())
def test_sum_mean(op: str, data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes()), label="x")
    dim = data.draw(S.dim_args(x.ndim), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    if dim is None:
        parity(lambda t: getattr(t, op)(), lambda t: getattr(t, op)(), x)
    else:
        parity(lambda t: getattr(t, op)(dim, keepdim), lambda t: getattr(t, op)(dim, keepdim), x)


@pytest.mark.parametrize("correction", [0, 1, 2])
@given(data=st.data())
def test_var_correction(correction: int, data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes(min_dims=1, min_side=3)), label="x")  # n > correction
    dim = data.draw(S.dim_args(x.ndim), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    if dim is None:
        parity(lambda t: t.var(correction=correction),
               lambda t: t.var(correction=correction), x)
    else:
        parity(lambda t: t.var(dim, keepdim=keepdim, correction=correction),
               lambda t: t.var(dim, keepdim=keepdim, correction=correction), x)
    unbiased = bool(correction)
    if correction < 2:
        parity(lambda t: t.var(dim, unbiased=unbiased),
               lambda t: torch.var(t, dim, unbiased=unbiased), x)


@given(data=st.data())
def test_logsumexp(data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes(min_dims=1), TIES_OR_WIDE), label="x")
    dim = data.draw(S.dim_args(x.ndim).filter(lambda d: d is not None), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    parity(lambda t: t.logsumexp(dim, keepdim), lambda t: torch.logsumexp(t, dim, keepdim), x)


@pytest.mark.parametrize("op", ["amax", "amin"])
@given(data=st.data())
def test_amax_amin_ties_split_evenly(op: str, data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes(), TIES), label="x")
    dim = data.draw(S.dim_args(x.ndim), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    if dim is None:
        parity(lambda t: getattr(t, op)(), lambda t: getattr(torch, op)(t), x)
    else:
        parity(lambda t: getattr(t, op)(dim, keepdim),
               lambda t: getattr(torch, op)(t, dim, keepdim), x)


@pytest.mark.parametrize("op", ["max", "min"])
@given(x=S.arrays(S.shapes(), TIES))
def test_max_min_without_dim_ties_split_evenly(op: str, x: np.ndarray) -> None:
    parity(lambda t: getattr(t, op)(), lambda t: getattr(t, op)(), x)


@pytest.mark.parametrize("op", ["max", "min"])
@given(data=st.data())
def test_max_min_with_dim_gradient_to_returned_index(op: str, data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes(min_dims=1), TIES), label="x")
    dim = data.draw(S.dims(x.ndim), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    ours = getattr(tg.Tensor(x.copy()), op)(dim, keepdim)
    theirs = getattr(torch.tensor(x), op)(dim, keepdim)
    np.testing.assert_array_equal(ours.indices.data.numpy(), theirs.indices.numpy())
    assert ours.indices.dtype == np.int64
    parity(lambda t: getattr(t, op)(dim, keepdim).values,
           lambda t: getattr(t, op)(dim, keepdim).values, x)


# ====================================================================== shape ops


@given(data=st.data())
def test_shape_ops(data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes(min_dims=1, max_dims=4, max_side=3)), label="x")
    d0, d1 = data.draw(S.dims(x.ndim), label="d0"), data.draw(S.dims(x.ndim), label="d1")
    perm = data.draw(st.permutations(range(x.ndim)), label="perm")
    u = data.draw(st.integers(-x.ndim - 1, x.ndim), label="unsqueeze dim")
    start = data.draw(S.dims(x.ndim), label="start_dim")
    end = data.draw(st.integers(start % x.ndim, x.ndim - 1), label="end_dim")
    rev = x.shape[::-1]
    cases = [
        (lambda t: t.reshape(rev), lambda t: t.reshape(rev)),
        (lambda t: t.view(-1), lambda t: t.view(-1)),
        (lambda t: t.flatten(start, end), lambda t: t.flatten(start, end)),
        (lambda t: t.transpose(d0, d1), lambda t: t.transpose(d0, d1)),
        (lambda t: t.permute(*perm), lambda t: t.permute(*perm)),
        (lambda t: t.T, lambda t: t.permute(*reversed(range(t.ndim)))),
        (lambda t: t.squeeze(), lambda t: t.squeeze()),
        (lambda t: t.squeeze(d0), lambda t: t.squeeze(d0)),
        (lambda t: t.unsqueeze(u), lambda t: t.unsqueeze(u)),
        (lambda t: t.expand(2, *t.shape), lambda t: t.expand(2, *t.shape)),
        (lambda t: t.expand(3, *[-1] * t.ndim), lambda t: t.expand(3, *[-1] * t.ndim)),
    ]
    for ours, theirs in cases:
        parity(ours, theirs, x)


@given(data=st.data())
def test_expand_size_one_dims(data: st.DataObject) -> None:
    shape = data.draw(S.shapes(min_dims=1, max_side=2), label="shape")
    x = data.draw(S.arrays(shape), label="x")
    target = tuple(data.draw(st.integers(1, 3)) if n == 1 else n for n in shape)
    parity(lambda t: t.expand(*target), lambda t: t.expand(*target), x)
    parity(lambda t: t.broadcast_to(target), lambda t: t.broadcast_to(target), x)


@given(data=st.data())
def test_cat_stack(data: st.DataObject) -> None:
    base = list(data.draw(S.shapes(min_dims=1, max_side=4), label="shape"))
    dim = data.draw(S.dims(len(base)), label="dim")
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3), label="sizes")
    pieces = [data.draw(S.arrays(tuple(base[:dim % len(base)] + [n]
                                       + base[dim % len(base) + 1:])), label="piece")
              for n in sizes]
    parity(lambda *ts: tg.cat(ts, dim), lambda *ts: torch.cat(ts, dim), *pieces)
    same = [data.draw(S.arrays(tuple(base)), label="same") for _ in sizes]
    sdim = data.draw(st.integers(-len(base) - 1, len(base)), label="stack dim")
    parity(lambda *ts: tg.stack(ts, sdim), lambda *ts: torch.stack(ts, sdim), *same)


@given(data=st.data())
def test_pad_order_matches_torch(data: st.DataObject) -> None:
    """(left, right) of the last dim first, then the dim before it, ... as torch's F.pad."""
    x = data.draw(S.arrays(S.shapes(min_dims=1, max_side=3)), label="x")
    pairs = data.draw(st.integers(1, x.ndim), label="padded dims")
    pad = tuple(data.draw(st.lists(st.integers(0, 2), min_size=2 * pairs, max_size=2 * pairs),
                          label="pad"))
    value = data.draw(S.floats(), label="value")
    parity(lambda t: F.pad(t, pad, value=value), lambda t: TF.pad(t, pad, value=value), x)


def _torch_safe(index: Any) -> bool:
    """torch's basic indexing has no negative slice steps."""
    parts = index if isinstance(index, tuple) else (index,)
    return not any(isinstance(p, slice) and p.step is not None and p.step < 0 for p in parts)


@given(data=st.data())
def test_getitem_basic(data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes(min_dims=1)), label="x")
    index = data.draw(S.hnp.basic_indices(x.shape, allow_newaxis=True).filter(_torch_safe),
                      label="index")
    parity(lambda t: t[index], lambda t: t[index], x)


@given(data=st.data())
def test_getitem_advanced_with_repeats(data: st.DataObject) -> None:
    x = data.draw(S.arrays(S.shapes(min_dims=2, max_dims=3, max_side=4)), label="x")
    i0 = data.draw(S.repeated_indices(x.shape[0]), label="i0")
    i1 = data.draw(S.repeated_indices(x.shape[1], min_len=len(i0), max_len=len(i0)), label="i1")
    mask = data.draw(S.hnp.arrays(np.bool_, x.shape), label="mask")
    t0, t1 = torch.as_tensor(i0), torch.as_tensor(i1)
    parity(lambda t: t[i0], lambda t: t[t0], x)
    parity(lambda t: t[tg.tensor(i0)], lambda t: t[t0], x)
    parity(lambda t: t[:, i1], lambda t: t[:, t1], x)
    parity(lambda t: t[i0, i1], lambda t: t[t0, t1], x)
    parity(lambda t: t[i0, 1:], lambda t: t[t0, 1:], x)
    parity(lambda t: t[mask], lambda t: t[torch.as_tensor(mask)], x)


# ====================================================================== matmul


@pytest.mark.parametrize("pattern", list(S.MATMUL_SHAPES))
@given(data=st.data())
def test_matmul(pattern: str, data: st.DataObject) -> None:
    sizes = data.draw(st.tuples(*[st.integers(1, 4)] * 4), label="b, m, k, n")
    shape_a, shape_b = S.MATMUL_SHAPES[pattern](*sizes)
    a = data.draw(S.arrays(shape_a), label="a")
    b = data.draw(S.arrays(shape_b), label="b")
    flags = data.draw(REQUIRES, label="requires_grad")
    parity(lambda x, y: x @ y, lambda x, y: x @ y, a, b, requires_grad=flags)


# ====================================================================== losses

SMALL_2D = st.tuples(st.integers(1, 5), st.integers(1, 5))


@given(data=st.data())
def test_cross_entropy_class_indices(data: st.DataObject) -> None:
    n, c = data.draw(SMALL_2D, label="N, C")
    logits = data.draw(S.arrays((n, c), TIES_OR_WIDE), label="logits")
    target = data.draw(S.class_indices(n, c), label="target")
    reduction = data.draw(REDUCTION, label="reduction")
    parity(lambda x: F.cross_entropy(x, target, reduction=reduction),
           lambda x: TF.cross_entropy(x, torch.as_tensor(target), reduction=reduction), logits)


@given(data=st.data())
def test_cross_entropy_probabilities(data: st.DataObject) -> None:
    n, c = data.draw(SMALL_2D, label="N, C")
    logits = data.draw(S.arrays((n, c)), label="logits")
    probs = data.draw(S.distributions((n, c)), label="target")
    reduction = data.draw(REDUCTION, label="reduction")
    # the probability target is differentiable too (torch gives it -log_softmax)
    parity(lambda x, t: F.cross_entropy(x, t, reduction=reduction),
           lambda x, t: TF.cross_entropy(x, t, reduction=reduction), logits, probs)


@given(data=st.data())
def test_cross_entropy_single_sample(data: st.DataObject) -> None:
    c = data.draw(st.integers(1, 5), label="C")
    logits = data.draw(S.arrays((c,)), label="logits")
    cls = data.draw(st.integers(0, c - 1), label="class")
    probs = data.draw(S.distributions((c,)), label="probs")
    reduction = data.draw(REDUCTION, label="reduction")
    parity(lambda x: F.cross_entropy(x, cls, reduction=reduction),
           lambda x: TF.cross_entropy(x, torch.tensor(cls), reduction=reduction), logits)
    parity(lambda x, t: F.cross_entropy(x, t, reduction=reduction),
           lambda x, t: TF.cross_entropy(x, t, reduction=reduction), logits, probs)


@given(data=st.data())
def test_nll_loss(data: st.DataObject) -> None:
    n, c = data.draw(SMALL_2D, label="N, C")
    x = data.draw(S.arrays((n, c)), label="log-probs")
    target = data.draw(S.class_indices(n, c), label="target")
    reduction = data.draw(REDUCTION, label="reduction")
    parity(lambda t: F.nll_loss(t, target, reduction=reduction),
           lambda t: TF.nll_loss(t, torch.as_tensor(target), reduction=reduction), x)


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss"])
@given(data=st.data())
def test_regression_losses(loss: str, data: st.DataObject) -> None:
    shape = data.draw(S.shapes(), label="shape")
    x = data.draw(S.arrays(shape, TIES_OR_ANY), label="input")  # input == target occurs
    y = data.draw(S.arrays(shape, TIES_OR_ANY), label="target")
    reduction = data.draw(REDUCTION, label="reduction")
    flags = data.draw(REQUIRES, label="requires_grad")
    parity(lambda a, b: getattr(F, loss)(a, b, reduction=reduction),
           lambda a, b: getattr(TF, loss)(a, b, reduction=reduction), x, y, requires_grad=flags)


@given(data=st.data())
def test_binary_cross_entropy_interior(data: st.DataObject) -> None:
    shape = data.draw(S.shapes(), label="shape")
    p = data.draw(S.probabilities(shape, 1e-3, 1 - 1e-3), label="p")
    y = data.draw(S.arrays(shape, BINARY_TARGET), label="y")
    reduction = data.draw(REDUCTION, label="reduction")
    flags = data.draw(REQUIRES, label="requires_grad")
    parity(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction),
           lambda a, b: TF.binary_cross_entropy(a, b, reduction=reduction), p, y,
           requires_grad=flags)


@given(data=st.data())
def test_binary_cross_entropy_with_logits(data: st.DataObject) -> None:
    shape = data.draw(S.shapes(), label="shape")
    x = data.draw(S.arrays(shape, TIES_OR_WIDE), label="logits")
    y = data.draw(S.arrays(shape, BINARY_TARGET), label="y")
    reduction = data.draw(REDUCTION, label="reduction")
    flags = data.draw(REQUIRES, label="requires_grad")
    parity(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction),
           lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction=reduction), x, y,
           requires_grad=flags)


@given(w=S.arrays(S.shapes(), TIES_OR_ANY), lam=S.floats(0.0, 2.0))
def test_penalties(w: np.ndarray, lam: float) -> None:
    """seed 003's penalties as the PyTorch expressions they abbreviate (sign(0) = 0 for L1)."""
    parity(lambda t: F.l1_penalty(t, lam), lambda t: t.abs().sum() * lam, w)
    parity(lambda t: F.l2_penalty(t, lam), lambda t: (t * t).sum() * lam, w)


# ====================================================================== differences on purpose


def test_binary_cross_entropy_saturated_equals_torch() -> None:
    """At p = 0 or 1 exactly each log is clamped at -100 (a wrong certain answer costs 100) and
    the gradient's denominator p(1 - p) at 1e-12, as PyTorch; dL/dy is log(1 - p) - log(p),
    inf there. ``eps=`` (ours) clips p and 1 - p instead, as seed 004."""
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-30])
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.7])
    for dtype in (np.float64, np.float32):
        ours_p = tg.Tensor(p.astype(dtype), requires_grad=True)
        ours_y = tg.Tensor(y.astype(dtype), requires_grad=True)
        theirs_p = torch.tensor(p.astype(dtype), requires_grad=True)
        theirs_y = torch.tensor(y.astype(dtype), requires_grad=True)
        ours = F.binary_cross_entropy(ours_p, ours_y, reduction="none")
        theirs = TF.binary_cross_entropy(theirs_p, theirs_y, reduction="none")
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)
        ours.sum().backward()
        theirs.sum().backward()
        np.testing.assert_allclose(ours_p.grad.numpy(), theirs_p.grad.numpy(), rtol=1e-6)
        ours_gy, theirs_gy = ours_y.grad.numpy(), theirs_y.grad.numpy()
        np.testing.assert_array_equal(np.isinf(ours_gy), np.isinf(theirs_gy))
        finite = np.isfinite(theirs_gy)
        np.testing.assert_allclose(ours_gy[finite], theirs_gy[finite], rtol=1e-6)
    clipped = F.binary_cross_entropy(tg.Tensor(p), tg.Tensor(y), reduction="none", eps=1e-10)
    np.testing.assert_allclose(clipped.numpy()[:4], [-np.log(1e-10)] * 2 + [0.0, 0.0],
                               rtol=1e-12)
