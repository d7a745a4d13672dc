"""The Tensor surface: construction and dtype rules, properties, repr, operators, indexing.
PyTorch's behaviour is the specification; torch is used as an oracle where it is installed."""

from __future__ import annotations

import operator
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import Tensor, no_grad

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=32)


def f32_arrays(min_dims: int = 1, max_dims: int = 2):
    return hnp.arrays(np.float32, hnp.array_shapes(min_dims=min_dims, max_dims=max_dims,
                                                   max_side=5), elements=finite)


# --------------------------------------------------------------------------- construction


@pytest.mark.parametrize(
    "data", [1, 2.5, True, [1, 2], [1.0, 2.0], [[1, 2], [3, 4]], [[True, False]]]
)
def test_Tensor_from_python_data_is_float32(data):
    t = Tensor(data)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.data.numpy(), np.asarray(data, dtype=np.float32))


@pytest.mark.parametrize(
    ("data", "dtype"),
    [([1, 2], np.int64), (3, np.int64), ([1.0, 2], np.float32), (2.5, np.float32),
     ([[1, 2.5]], np.float32), ([True, False], np.bool_)],
)
def test_tensor_infers_dtype_like_torch_tensor(data, dtype):
    t = tg.tensor(data)
    assert t.dtype == dtype
    torch = pytest.importorskip("torch")
    assert str(torch.tensor(data).dtype).removeprefix("torch.") == np.dtype(dtype).name


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int32, np.int64])
def test_numpy_arrays_keep_their_dtype(dtype):
    a = np.arange(6, dtype=dtype).reshape(2, 3)
    assert Tensor(a).dtype == dtype
    assert tg.tensor(a).dtype == dtype
    assert tg.from_numpy(a).dtype == dtype


def test_Tensor_wraps_numpy_without_copy_and_tensor_copies():
    a = np.zeros(3)
    assert np.shares_memory(Tensor(a).data.numpy(), a)
    assert np.shares_memory(tg.from_numpy(a).data.numpy(), a)
    t = tg.tensor(a)
    assert not np.shares_memory(t.data.numpy(), a)


def test_explicit_dtype_argument():
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert tg.tensor([1, 2], dtype=tg.float32).dtype == np.float32
    assert tg.tensor([1.7, 2.2], dtype="int64").dtype == np.int64
    assert Tensor(np.ones(2), dtype=tg.float32).dtype == np.float32


def test_factories_dtypes_and_values():
    assert tg.zeros(2, 3).shape == (2, 3) and tg.zeros(2, 3).dtype == np.float32
    assert tg.zeros((2, 3)).shape == (2, 3)
    np.testing.assert_array_equal(tg.ones(2).data.numpy(), [1, 1])
    assert tg.ones(2, dtype=tg.float64).dtype == np.float64
    f = tg.full((2, 2), 1.5)
    assert f.dtype == np.float32 and (f.data.numpy() == 1.5).all()
    assert tg.arange(5).dtype == np.int64  # as torch.arange
    np.testing.assert_array_equal(tg.arange(5).data.numpy(), np.arange(5))
    np.testing.assert_allclose(tg.arange(0, 1, 0.25).data.numpy(), [0, 0.25, 0.5, 0.75])
    assert tg.arange(0, 1, 0.25).dtype == np.float32
    assert tg.arange(5.0).dtype == np.float32
    np.testing.assert_array_equal(tg.eye(3).data.numpy(), np.eye(3))
    assert tg.eye(3).dtype == np.float32 and tg.eye(2, 3).shape == (2, 3)
    r, n = tg.rand(3, 4), tg.randn(3, 4)
    assert r.dtype == np.float32 and n.dtype == np.float32
    assert r.shape == (3, 4) and n.shape == (3, 4)
    assert ((r.data.numpy() >= 0) & (r.data.numpy() < 1)).all()
    i = tg.tensor([1, 2])
    assert tg.zeros_like(i).dtype == np.int64 and tg.ones_like(i).dtype == np.int64
    d = Tensor(np.ones((2, 2)))
    assert tg.zeros_like(d).dtype == np.float64 and tg.ones_like(d).shape == (2, 2)
    np.testing.assert_array_equal(tg.ones_like(d).data.numpy(), np.ones((2, 2)))
    w = tg.zeros(3, requires_grad=True)
    assert w.requires_grad and w.is_leaf


def test_factories_match_torch_dtypes():
    torch = pytest.importorskip("torch")
    pairs = [
        (tg.zeros(2), torch.zeros(2)), (tg.ones(2), torch.ones(2)),
        (tg.arange(3), torch.arange(3)), (tg.arange(0, 1, 0.5), torch.arange(0, 1, 0.5)),
        (tg.eye(2), torch.eye(2)), (tg.rand(2), torch.rand(2)), (tg.randn(2), torch.randn(2)),
        (tg.full((2,), 1.5), torch.full((2,), 1.5)),
    ]
    for ours, theirs in pairs:
        assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")


def test_manual_seed_reproducibility():
    tg.manual_seed(123)
    a, b = tg.randn(4, 3), tg.rand(5)
    tg.manual_seed(123)
    c, d = tg.randn(4, 3), tg.rand(5)
    np.testing.assert_array_equal(a.data.numpy(), c.data.numpy())
    np.testing.assert_array_equal(b.data.numpy(), d.data.numpy())
    tg.manual_seed(124)
    assert not np.array_equal(tg.randn(4, 3).data.numpy(), a.data.numpy())


# --------------------------------------------------------------------------- properties


def test_properties_and_simple_methods():
    t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert isinstance(t.data.numpy(), np.ndarray)
    assert t.grad is None and t.requires_grad and t.is_leaf and t.grad_fn is None
    assert t.shape == (2, 3) and t.ndim == 2 and t.dtype == np.float32
    assert tuple(t.size()) == (2, 3) and t.size(0) == 2 and t.size(1) == 3 and t.size(-1) == 3
    assert t.numel() == 6
    s = t.sum()
    v = s.item()
    assert isinstance(v, float) and v == 21.0
    assert t.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert isinstance(t.detach().numpy(), np.ndarray)
    with pytest.raises(RuntimeError, match="requires grad"):
        t.numpy()  # as PyTorch: detach() first
    assert tg.tensor([3]).item() == 3 and isinstance(tg.tensor([3]).item(), int)


def test_requires_grad_underscore_returns_self():
    t = tg.zeros(3)
    assert not t.requires_grad
    assert t.requires_grad_() is t and t.requires_grad
    assert t.requires_grad_(False) is t and not t.requires_grad
    t.requires_grad = True
    assert t.requires_grad


def test_detach_and_clone():
    t = Tensor([1.0, 2.0], requires_grad=True)
    d = t.detach()
    assert not d.requires_grad and d.grad_fn is None and np.shares_memory(d.data.numpy(),
                                                                          t.data.numpy())
    c = t.clone()
    assert c.requires_grad and c.grad_fn is not None and not np.shares_memory(c.data.numpy(),
                                                                              t.data.numpy())


def test_retain_grad_on_non_leaf():
    t = Tensor([1.0, 2.0], requires_grad=True)
    h = t * 2
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.data.numpy(), [4.0, 8.0])


def test_float_and_double_keep_graph_and_grad_dtype():
    x = Tensor([1.0, 2.0], requires_grad=True)  # float32
    d = x.double()
    assert d.dtype == np.float64 and d.grad_fn is not None
    (d * d).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data.numpy(), [2.0, 4.0])

    y = Tensor(np.array([1.0, 3.0]), requires_grad=True)  # float64
    f = y.float()
    assert f.dtype == np.float32 and f.grad_fn is not None
    (f * 3).sum().backward()
    assert y.grad.dtype == np.float64
    np.testing.assert_allclose(y.grad.data.numpy(), [3.0, 3.0])
    assert x.float() is x  # no-op cast, as PyTorch
    i = tg.tensor([1, 2]).float()
    assert i.dtype == np.float32 and not i.requires_grad


# --------------------------------------------------------------------------- repr


def test_repr_like_pytorch():
    assert repr(Tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert repr(Tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(tg.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(Tensor(3.0)) == "tensor(3.)"
    y = Tensor([1.0, 2.0], requires_grad=True) * 2
    assert re.fullmatch(r"tensor\(\[2\., 4\.\], grad_fn=<MulBackward\d*>\)", repr(y))
    assert re.fullmatch(r"tensor\(\[1\., 2\.\], dtype=(torch\.)?float64\)",
                        repr(Tensor(np.array([1.0, 2.0]))))
    s = repr(Tensor(np.array([1.0, 2.0]), requires_grad=True) * 1)
    assert re.fullmatch(r"tensor\(\[1\., 2\.\], dtype=(torch\.)?float64, grad_fn=<\w+>\)", s)


@pytest.mark.parametrize(
    "values", [[1.5, 2.0], [0.0, 0.25, 0.5], [[1.5, 2.0], [3.0, 4.0]], [0.1, 0.12345678], [-1.25]]
)
def test_repr_of_fractional_values_matches_torch(values):
    torch = pytest.importorskip("torch")
    assert repr(Tensor(values)) == repr(torch.tensor(values))


# --------------------------------------------------------------------------- operators


BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]


@pytest.mark.parametrize("op", BINARY, ids=lambda o: o.__name__)
@pytest.mark.parametrize(
    "scalar", [2, 2.5, np.float64(2.5), np.float32(2.5), np.int64(2)], ids=repr
)
def test_scalars_on_either_side_keep_float32(op, scalar):
    t = Tensor([1.0, 2.0, 4.0], requires_grad=True)
    for out, expected in ((op(t, scalar), op(t.data.numpy().astype(np.float64), float(scalar))),
                          (op(scalar, t), op(float(scalar), t.data.numpy().astype(np.float64)))):
        assert isinstance(out, Tensor)
        assert out.dtype == np.float32, f"{op.__name__} with {scalar!r} gave {out.dtype}"
        assert out.requires_grad
        np.testing.assert_allclose(out.data.numpy(), expected, rtol=1e-6)
        out.sum().backward()
        assert t.grad.dtype == np.float32
        t.grad = None


def test_scalars_keep_float64_too():
    t = Tensor(np.array([1.0, 2.0]))
    for out in (t * np.float32(2), np.float32(2) * t, t + 1, 2**t, t**np.float32(2)):
        assert out.dtype == np.float64


@given(f32_arrays(), f32_arrays())
def test_binary_operators_match_numpy_with_broadcasting(a_np, b_np):
    a, b = Tensor(a_np), Tensor(b_np)
    for op in (operator.add, operator.sub, operator.mul):
        try:
            expected = op(a_np, b_np)
        except ValueError:
            with pytest.raises(ValueError):
                op(a, b)
            continue
        out = op(a, b)
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out.data.numpy(), expected)


@given(f32_arrays(), st.sampled_from([operator.add, operator.sub, operator.mul, operator.truediv,
                                      operator.matmul]))
def test_operators_with_torch_gradients(a_np, op):
    torch = pytest.importorskip("torch")
    b_np = (np.abs(a_np) + 1).T.copy() if op is operator.matmul else np.abs(a_np) + 1
    a, b = Tensor(a_np, requires_grad=True), Tensor(b_np, requires_grad=True)
    ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    out, tout = op(a, b), op(ta, tb)
    np.testing.assert_allclose(out.data.numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-5)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    np.testing.assert_allclose(a.grad.data.numpy(), ta.grad.numpy(), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(b.grad.data.numpy(), tb.grad.numpy(), rtol=1e-4, atol=1e-3)
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float32


def test_reflected_operators_with_arrays_and_matmul():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    m = np.eye(2, dtype=np.float32) * 2
    cases = [(m @ t, m @ t.data.numpy()), (t @ m, t.data.numpy() @ m), (m + t, m + t.data.numpy()),
             (m - t, m - t.data.numpy()), (m * t, m * t.data.numpy()), (m / (t + 1),
                                                                        m / (t.data.numpy() + 1))]
    for out, expected in cases:
        assert isinstance(out, Tensor) and out.requires_grad
        np.testing.assert_allclose(out.data.numpy(), expected)
    (m @ t).sum().backward()
    np.testing.assert_allclose(t.grad.data.numpy(), m.T @ np.ones((2, 2)))


def test_power_gradients():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x**3).sum().backward()
    np.testing.assert_allclose(x.grad.data.numpy(), 3 * x.data.numpy()**2)
    x.grad = None
    (2**x).sum().backward()
    np.testing.assert_allclose(x.grad.data.numpy(), np.log(2) * 2**x.data.numpy(), rtol=1e-6)
    x.grad = None
    e = Tensor([2.0, 2.0, 2.0], requires_grad=True)
    (x**e).sum().backward()
    np.testing.assert_allclose(x.grad.data.numpy(), 2 * x.data.numpy(), rtol=1e-6)
    np.testing.assert_allclose(e.grad.data.numpy(), x.data.numpy()**2 * np.log(x.data.numpy()),
                               rtol=1e-6)


def test_unary_minus_and_abs():
    x = Tensor([-2.0, 0.5, 3.0], requires_grad=True)
    y = -x
    np.testing.assert_array_equal(y.data.numpy(), [2.0, -0.5, -3.0])
    (y.sum() + x.abs().sum() + abs(x).sum()).backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), [-3.0, 1.0, 1.0])
    z = Tensor([0.0], requires_grad=True)
    z.abs().sum().backward()
    assert z.grad.item() == 0.0  # as PyTorch: sign(0) = 0


@pytest.mark.parametrize(
    "op", [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]
)
def test_comparisons_return_bool_tensors_without_grad(op):
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for other in (2, 2.0, np.float64(2), Tensor([2.0, 2.0, 2.0])):
        out = op(x, other)
        assert isinstance(out, Tensor) and out.dtype == np.bool_
        assert not out.requires_grad and out.grad_fn is None
        np.testing.assert_array_equal(out.data.numpy(), op(x.data.numpy(), 2.0))


def test_eq_method_view_as_argmax_max_mean_item():
    x = Tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]], requires_grad=True)
    np.testing.assert_array_equal(x.eq(Tensor([[1.0, 0, 0], [7, 0, 0]])).data.numpy(),
                                  [[True, False, False], [True, True, False]])
    v = x.view_as(tg.zeros(6))
    assert v.shape == (6,) and v.grad_fn is not None
    assert x.argmax().item() == 3  # flat index of the first maximum
    np.testing.assert_array_equal(x.argmax(1).data.numpy(), [1, 0])
    assert x.argmax(1).dtype == np.int64
    assert x.argmax(dim=1, keepdim=True).shape == (2, 1)
    assert x.max().item() == 7.0
    values, indices = x.max(1)
    np.testing.assert_array_equal(values.data.numpy(), [5.0, 7.0])
    np.testing.assert_array_equal(indices.data.numpy(), [1, 0])
    assert x.max(dim=0, keepdim=True).values.shape == (1, 3)
    assert x.mean().item() == pytest.approx(22 / 6)
    np.testing.assert_allclose(x.mean(0).data.numpy(), [4.0, 2.5, 4.5])
    np.testing.assert_allclose(x.mean(1, keepdim=True).data.numpy(), [[8 / 3], [14 / 3]], rtol=1e-6)


def test_max_gradients_like_torch():
    torch = pytest.importorskip("torch")
    data = [[1.0, 5.0, 5.0], [7.0, 0.0, 7.0]]  # ties on purpose
    x = Tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    (x.max() * 2 + x.max(1).values.sum() + x.mean() + x.abs().sum()).backward()
    (tx.max() * 2 + tx.max(1).values.sum() + tx.mean() + tx.abs().sum()).backward()
    np.testing.assert_allclose(x.grad.data.numpy(), tx.grad.numpy(), rtol=1e-6)


# --------------------------------------------------------------------------- indexing


def test_basic_indexing_values_and_gradients():
    x = Tensor(np.arange(12, dtype=np.float32).reshape(3, 4), requires_grad=True)
    cases = [(1,), (slice(None), 2), (slice(0, 2), slice(1, None, 2)), (Ellipsis, -1),
             (None, 1), (slice(None, None, -1),)]
    for index in cases:
        out = x[index]
        np.testing.assert_array_equal(out.data.numpy(), x.data.numpy()[index])
        out.sum().backward()
        expected = np.zeros((3, 4), np.float32)
        expected[index] += 1
        np.testing.assert_array_equal(x.grad.data.numpy(), expected)
        x.grad = None


def test_advanced_indexing_repeated_indices_accumulate():
    x = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    y = x[[0, 0, 2, 0]]
    np.testing.assert_array_equal(y.data.numpy(), [10, 10, 30, 10])
    (y * Tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), [7.0, 0.0, 3.0])


def test_advanced_indexing_with_tensors_masks_and_pairs():
    x = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    x[tg.tensor([1, 1])].sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), [[0, 0, 0], [2, 2, 2]])
    x.grad = None
    x[tg.tensor([0, 1, 1]), tg.tensor([2, 0, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), [[0, 0, 1], [2, 0, 0]])
    x.grad = None
    mask = x.detach() > 2
    x[mask].sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), mask.data.numpy().astype(np.float32))
    x.grad = None
    x[:, [2, 2]].sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), [[0, 0, 2], [0, 0, 2]])


@given(hnp.arrays(np.float64, (5, 3), elements=st.floats(-5, 5)),
       st.lists(st.integers(-5, 4), min_size=1, max_size=8))
def test_integer_index_gradients_match_torch(x_np, rows):
    torch = pytest.importorskip("torch")
    x = Tensor(x_np, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    weights = np.arange(1, len(rows) + 1, dtype=np.float64)[:, None]
    (x[rows] * Tensor(weights)).sum().backward()
    (tx[rows] * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.data.numpy(), tx.grad.numpy())


# --------------------------------------------------------------------------- dtype end to end


def test_float32_model_stays_float32_end_to_end():
    tg.manual_seed(0)
    x = tg.randn(6, 4)
    y = tg.tensor([0, 1, 2, 0, 1, 2])
    w1 = tg.randn(4, 5, requires_grad=True)
    b1 = tg.zeros(5, requires_grad=True)
    w2 = tg.randn(5, 3, requires_grad=True)
    b2 = tg.zeros(3, requires_grad=True)
    params = [w1, b1, w2, b2]
    h = (x @ w1 + b1).relu()
    h2 = h.sigmoid() * np.float64(0.5) + h.tanh() / 2.0 + F.leaky_relu(h) - 1
    logits = h2 @ w2 + b2
    checked = [h, h2, logits]
    losses = [
        F.cross_entropy(logits, y),
        F.cross_entropy(logits, F.softmax(logits.detach(), dim=1)),
        F.mse_loss(logits, tg.zeros(6, 3)),
        F.binary_cross_entropy_with_logits(logits, tg.ones(6, 3)),
        F.binary_cross_entropy(logits.sigmoid(), tg.ones(6, 3)),
        F.log_softmax(logits, dim=1).mean(),
        logits.logsumexp(1).mean(),
        (logits**2).mean() * np.float64(1e-3),
        logits.var(),
        F.l2_penalty(w1, 0.01) + F.l1_penalty(w2, 0.01),
    ]
    total = losses[0]
    for loss in losses[1:]:
        total = total + loss
    for t in [*checked, *losses, total]:
        assert t.dtype == np.float32, t
    total.backward()
    for p in params:
        assert p.grad.dtype == np.float32
        assert np.isfinite(p.grad.data.numpy()).all()
    with no_grad():
        for p in params:
            p.sub_(p.grad * np.float64(0.1))
            assert p.dtype == np.float32


@pytest.mark.parametrize("name", ["erf", "erfc"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_erf_and_erfc_methods_match_pytorch(name, dtype):
    torch = pytest.importorskip("torch")
    x = np.array([-30.0, -3.0, -0.5, -0.0, 0.0, 0.25, 1.0, 4.0, 30.0, np.inf, -np.inf, np.nan])
    x = x.astype(dtype) if dtype != np.int64 else np.array([-3, 0, 1, 2])
    ours = tg.tensor(x, requires_grad=dtype != np.int64)
    theirs = torch.tensor(x, requires_grad=dtype != np.int64)
    out, expected = getattr(ours, name)(), getattr(theirs, name)()
    assert out.dtype == (np.float32 if dtype == np.int64 else dtype)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-6,
                               atol=1e-7)
    if dtype != np.int64:
        out.sum().backward()
        expected.sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6, atol=0)
