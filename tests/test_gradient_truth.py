"""Regression tests for issue 11's classes of silently wrong results, one example (or more) per
class, each checked against PyTorch's answer written out (so they run without torch too).

The fuzzer (tests/properties/test_fuzz.py) covers the classes in general; these pin the
examples the issue names."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim

NAN = float("nan")


# 1. cross_entropy on logits that are not C-contiguous -------------------------------------

LOGITS = np.array([[1.0, 2, 3], [3, 5, 1]])
_P = np.exp(LOGITS) / np.exp(LOGITS).sum(1, keepdims=True)
TORCH_GRAD = (_P - np.eye(3)[[0, 1]]) / 2  # (softmax - onehot) / N; row 0: -0.4550, 0.1224, ...


@pytest.mark.parametrize("layout", ["F", "T", "columns", "reversed"])
def test_cross_entropy_gradient_on_any_layout(layout):
    arrays = {
        "F": np.asfortranarray(LOGITS),
        "T": np.ascontiguousarray(LOGITS.T).T,
        "columns": np.concatenate([LOGITS, LOGITS], axis=1)[:, [0, 1, 2]],
        "reversed": np.ascontiguousarray(LOGITS[:, ::-1])[:, ::-1],
    }
    x = tg.Tensor(arrays[layout], requires_grad=True)
    F.cross_entropy(x, tg.tensor([0, 1])).backward()
    np.testing.assert_allclose(x.grad.data.numpy(), TORCH_GRAD, rtol=1e-12)


def test_softmax_regression_written_with_a_transpose_learns():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    y = (X @ rng.normal(size=(5, 3))).argmax(1)
    W = tg.zeros(3, 5, dtype=tg.float64, requires_grad=True)
    opt = optim.SGD([W], lr=1.0)
    for _ in range(100):
        opt.zero_grad()
        F.cross_entropy((W @ tg.Tensor(X).T).T, tg.tensor(y)).backward()  # (C, N).T logits
        opt.step()
    accuracy = ((tg.Tensor(X) @ W.T).argmax(1).numpy() == y).mean()
    assert accuracy > 0.9  # the wrong gradient of old trained to about chance (1/3)


# 2. the gradient of a 0-d leaf --------------------------------------------------------------


def test_zero_dim_leaf_grad_is_an_owned_writable_array_and_zero_grad_works():
    b = tg.tensor(2.0, requires_grad=True)
    opt = optim.SGD([b], lr=0.0)
    readings = []
    for _ in range(3):
        opt.zero_grad(set_to_none=False)
        (b * b * 9).backward()
        readings.append(b.grad.item())
        assert type(b.grad.data.numpy()) is np.ndarray and b.grad.data.numpy().flags.writeable
        assert b.grad.data.numpy().flags.owndata and b.grad.shape == () and b.grad.dtype == b.dtype
    assert readings == [36.0, 36.0, 36.0]  # PyTorch: 36, 36, 36 (was 36, 72, 108)
    b.grad.zero_()
    assert b.grad.item() == 0.0
    nn.utils.clip_grad_norm_([b], 1.0)


def test_broadcast_onto_a_zero_dim_leaf_accumulates_as_an_array():
    s = tg.tensor(1.0, requires_grad=True)
    (tg.ones(3) * s).sum().backward()
    (tg.ones(2) * s).sum().backward()
    assert type(s.grad.data.numpy()) is np.ndarray and s.grad.item() == 5.0


# 3. in-place change of a saved array that is not a parent -----------------------------------


def test_changing_the_index_of_getitem_is_caught():
    x = tg.tensor([1.0, 10.0, 11.0], requires_grad=True)
    i = tg.tensor([0, 1])
    y = x[i]
    i.fill_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        (y * tg.tensor([1.0, 10.0])).sum().backward()


def test_a_numpy_index_is_copied_so_changing_it_later_changes_nothing():
    x = tg.tensor([1.0, 10.0, 11.0], requires_grad=True)
    i = np.array([0, 1])
    y = x[i]
    i[:] = 2
    (y * tg.tensor([1.0, 10.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), [1.0, 10.0, 0.0])


def test_changing_the_condition_of_where_is_caught():
    c = tg.tensor([True, False, True])
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = tg.where(c, x, 0.0)
    c.fill_(False)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


def test_changing_the_nll_target_is_caught():
    x = tg.randn(3, 4, requires_grad=True)
    t = tg.tensor([0, 1, 2])
    loss = F.nll_loss(x.log_softmax(1), t)
    t.fill_(3)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_changing_the_returned_max_indices_does_not_move_the_gradient():
    x = tg.tensor([[1.0, 5.0, 2.0]], requires_grad=True)
    values, indices = x.max(1)
    indices.fill_(0)
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), [[0.0, 1.0, 0.0]])


# 4. std/var at zero spread ------------------------------------------------------------------


def test_std_gradient_is_zero_where_the_std_is_zero():
    x = tg.tensor([[1.0, 1.0], [1.0, 2.0]], requires_grad=True)
    x.std(1).sum().backward()
    np.testing.assert_allclose(x.grad.data.numpy(), [[0.0, 0.0], [-0.70711, 0.70711]], atol=1e-5)
    y = tg.tensor([3.0, 3.0, 3.0], requires_grad=True)
    y.std().backward()
    np.testing.assert_array_equal(y.grad.data.numpy(), [0.0, 0.0, 0.0])


# 5. NaN through zero-derivative branches ----------------------------------------------------


def _grad(fn, values, upstream):
    x = tg.tensor(values, requires_grad=True)
    y = fn(x)
    y.backward(tg.tensor(upstream))
    return x.grad.data.numpy()


@pytest.mark.parametrize(("fn", "values", "upstream", "torch_grad"), [
    (lambda x: x.relu(), [-1.0, 2.0, -3.0], [NAN, 1.0, NAN], [0.0, 1.0, 0.0]),
    (lambda x: x.clamp(1.5, 2.5), [1.0, 3.0, 2.0], [NAN, NAN, NAN], [0.0, 0.0, NAN]),
    (lambda x: x.maximum(tg.tensor([2.0, 1.0, 2.0])), [1.0, 3.0, 2.0], [NAN, NAN, NAN],
     [0.0, NAN, NAN]),
    (lambda x: x.minimum(tg.tensor([2.0, 1.0, 2.0])), [1.0, 3.0, 2.0], [NAN, NAN, NAN],
     [NAN, 0.0, NAN]),
    (lambda x: x.max(), [1.0, 3.0, 3.0], NAN, [0.0, NAN, NAN]),
    (lambda x: x.max(0)[0], [1.0, 3.0, 2.0], NAN, [0.0, NAN, 0.0]),
])
def test_nan_gradient_does_not_reach_the_inactive_branch(fn, values, upstream, torch_grad):
    np.testing.assert_array_equal(_grad(fn, values, upstream), torch_grad)


def test_relu_sqrt_of_a_negative_gets_zero_gradient():
    x = tg.tensor([-1.0, 4.0], requires_grad=True)
    x.relu().sqrt().sum().backward()  # sqrt'(0) = inf meets relu'(-1) = 0: PyTorch gives 0
    np.testing.assert_array_equal(x.grad.data.numpy(), [0.0, 0.25])


# 6, 11. invalid arguments are errors that name the problem ----------------------------------


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: tg.ones(2, 3).permute(0, 5), IndexError, "range"),
    (lambda: tg.ones(3).expand(-1, 3), RuntimeError, "-1"),
    (lambda: tg.zeros(2.5), TypeError, "2.5"),
    (lambda: tg.Tensor(None), TypeError, "None"),
    (lambda: tg.Tensor([1, None]), TypeError, "None"),
    (lambda: F.binary_cross_entropy(tg.tensor([0.5, 1.5]), tg.tensor([0.0, 1.0])),
     RuntimeError, "between 0 and 1"),
    (lambda: tg.arange(0, 10, 0), RuntimeError, "step"),
    (lambda: tg.ones(2, 3).transpose(0, 5), IndexError, "range"),
    (lambda: F.cross_entropy(tg.tensor([[1, 2, 3]]), tg.tensor([0])), RuntimeError, "int64"),
    (lambda: F.cross_entropy(tg.randn(2, 3), tg.Tensor(np.array([0, 1], np.uint64))),
     RuntimeError, "uint64"),
])
def test_invalid_arguments_raise(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_assigning_a_grad_of_the_wrong_shape_or_dtype_is_refused():
    w = tg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="different size"):
        w.grad = tg.zeros(1)
    with pytest.raises(RuntimeError, match="different type"):
        w.grad = tg.zeros(3, dtype=tg.float64)
    with pytest.raises(TypeError, match="Tensor or None"):
        w.grad = np.zeros(3)
    assert w.grad is None


# 7. empty and 0-d tensors -------------------------------------------------------------------


def test_means_over_nothing_are_nan():
    assert np.isnan(tg.zeros(0).mean().item())
    assert np.isnan(F.mse_loss(tg.zeros(0), tg.zeros(0)).item())
    assert np.isnan(F.l1_loss(tg.zeros(0), tg.zeros(0)).item())
    empty_logits = tg.zeros(0, 3)
    assert np.isnan(F.cross_entropy(empty_logits, tg.tensor(np.zeros(0, np.int64))).item())


def test_zero_dim_max_along_dim_zero():
    values, indices = tg.tensor(1.0).max(0)
    assert values.item() == 1.0 and indices.item() == 0 and indices.dtype == tg.int64


def test_size_zero_dims():
    assert tg.zeros(0, 3).softmax(0).shape == (0, 3)
    assert tg.zeros(2, 0).log_softmax(1).shape == (2, 0)
    np.testing.assert_array_equal(tg.zeros(2, 0).logsumexp(1).data.numpy(), [-np.inf, -np.inf])
    assert tg.zeros(0, 2, 3).flatten(1).shape == (0, 6)
    assert tg.cat([tg.zeros(0), tg.ones(3)]).shape == (3,)
    assert tg.cat([tg.zeros(0), tg.ones(2, 3)]).shape == (2, 3)  # PyTorch's legacy rule


# 8. type promotion --------------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b", "expected"), [
    (tg.ones(3), tg.tensor(2.0, dtype=tg.float64), tg.float32),
    (tg.ones(3, dtype=tg.float64), tg.tensor(2.0), tg.float64),
    (tg.arange(3), tg.tensor(2.5, dtype=tg.float64), tg.float64),
    (tg.arange(3), 2.5, tg.float32),
    (tg.tensor([1], dtype=tg.uint8), 3, tg.uint8),
    (tg.tensor([True]), 1, tg.int64),
    (tg.ones(3), tg.arange(3), tg.float32),
    (tg.tensor(1.0, dtype=tg.float64), tg.tensor(1.0), tg.float64),
])
def test_result_type_is_pytorchs(a, b, expected):
    assert tg.result_type(a, b) == expected
    assert (a + b).dtype == expected and (b * a).dtype == expected


def test_a_promoted_input_gets_its_gradient_in_its_own_dtype():
    w = tg.ones(3, requires_grad=True)
    s = tg.tensor(2.0, dtype=tg.float64, requires_grad=True)
    (w * s).sum().backward()
    assert w.grad.dtype == tg.float32 and s.grad.dtype == tg.float64
    assert s.grad.item() == 3.0


# the indexing rule PyTorch uses when integers meet index arrays ---------------------------


def test_integers_beside_index_arrays_apply_first():
    x = tg.zeros(2, 3, 4, requires_grad=True)
    y = x[0, :, [1, 2]]
    assert y.shape == (3, 2)  # NumPy's rule would give (2, 3)
    y.sum().backward()
    assert x.grad.data.numpy()[0][:, [1, 2]].sum() == 6 and x.grad.data.numpy().sum() == 6


def test_pow_exponent_gradient_multiplies_an_inf_incoming_gradient_as_pytorch():
    """PyTorch selects the factor z ln(a) (0 where a = 0, b >= 0), then multiplies by the
    incoming gradient: an inf gradient there gives nan (found by the fuzzer)."""
    torch = pytest.importorskip("torch")
    x = np.array([0.0, 0.5])
    ours = tg.tensor(x, requires_grad=True)
    (ours ** ours / tg.tensor(0.0, dtype=tg.float64)).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    (theirs ** theirs / torch.tensor(0.0, dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    assert np.isnan(ours.grad.numpy()[0])
