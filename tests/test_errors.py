"""Bad inputs raise early with a message that names the problem (shapes, dtypes, values), and a
failing op leaves its inputs, their gradients and the graph as they were."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import Tensor, no_grad

# PyTorch raises RuntimeError for shape errors; NumPy-style ValueError is accepted as well.
ShapeError = (ValueError, RuntimeError)


def _shape_re(shape: tuple[int, ...]) -> str:
    """A regex for a shape as NumPy or Python prints it: (2, 3), (2,3), [2, 3] or (4,)."""
    inner = r",\s*".join(str(n) for n in shape)
    if len(shape) == 1:
        inner += r",?"
    return r"[\(\[]" + inner + r"[\)\]]"


# --------------------------------------------------------------------------- shapes


@pytest.mark.parametrize(
    ("sa", "sb"), [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (2,)), ((5, 2, 3), (4, 2))]
)
def test_matmul_shape_mismatch_names_both_shapes(sa, sb):
    a, b = tg.randn(*sa, requires_grad=True), tg.randn(*sb, requires_grad=True)
    with pytest.raises(ShapeError, match=_shape_re(sa) + r".*" + _shape_re(sb)):
        a @ b


@given(hnp.array_shapes(min_dims=1, max_dims=3, max_side=5))
def test_matmul_mismatch_drawn_shapes(sb):
    sa = (*sb[:-2], 2, sb[-2] + 1) if len(sb) >= 2 else (sb[0] + 1,)
    with pytest.raises(ShapeError, match=_shape_re(sa) + r".*" + _shape_re(sb)):
        tg.zeros(*sa) @ tg.zeros(*sb)


@pytest.mark.parametrize(("sa", "sb"), [((2, 3), (4,)), ((2, 3), (3, 2)), ((5, 1, 3), (2, 2))])
def test_broadcast_failure_names_the_shapes(sa, sb):
    a, b = tg.randn(*sa, requires_grad=True), tg.randn(*sb)
    for op in (lambda: a + b, lambda: a * b, lambda: a - b, lambda: b / a):
        with pytest.raises(ShapeError, match=_shape_re(sa) + r".*" + _shape_re(sb)
                           + "|" + _shape_re(sb) + r".*" + _shape_re(sa)):
            op()


@given(hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
       hnp.array_shapes(min_dims=1, max_dims=3, max_side=5))
def test_add_raises_exactly_when_numpy_cannot_broadcast(sa, sb):
    try:
        expected = np.broadcast_shapes(sa, sb)
    except ValueError:
        expected = None
    a, b = tg.zeros(*sa, requires_grad=True), tg.zeros(*sb)
    if expected is None:
        with pytest.raises(ShapeError, match=_shape_re(sa)):
            a + b
        assert a.grad is None
    else:
        assert (a + b).shape == expected


def test_reshape_to_incompatible_size_names_sizes():
    a = tg.randn(2, 3, requires_grad=True)
    with pytest.raises(ShapeError, match=r"size 6.*" + _shape_re((4, 2))):
        a.reshape(4, 2)
    with pytest.raises(ShapeError, match=r"size 6.*" + _shape_re((5,))):
        a.view(5)
    assert a.reshape(3, -1).shape == (3, 2)


# --------------------------------------------------------------------------- backward misuse


def test_backward_on_non_scalar_without_gradient():
    y = tg.randn(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"scalar.*" + _shape_re((2, 3))):
        y.backward()


def test_backward_with_gradient_of_wrong_shape():
    x = tg.randn(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=_shape_re((3,)) + r".*" + _shape_re((2, 3))):
        y.backward(tg.ones(3))
    assert x.grad is None
    y.backward(tg.ones(2, 3))  # nothing was freed by the failed call
    np.testing.assert_array_equal(x.grad.data.numpy(), np.full((2, 3), 2, np.float32))


def test_backward_on_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (tg.randn(3) * 2).sum().backward()
    w = tg.randn(3, requires_grad=True)
    with no_grad():
        loss = (w * 2).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        loss.backward()


def test_second_backward_through_freed_graph():
    w = tg.randn(3, requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    grad = w.grad.data.numpy().copy()
    with pytest.raises(RuntimeError, match=r"(?i)second time.*freed.*retain_graph"):
        loss.backward()
    np.testing.assert_array_equal(w.grad.data.numpy(), grad)


def test_second_backward_through_freed_shared_subgraph():
    w = tg.randn(3, requires_grad=True)
    h = w.exp()
    h.sum().backward()
    with pytest.raises(RuntimeError, match=r"(?i)second time"):
        (h * 2).sum().backward()  # h's own node was freed by the first backward


def test_inplace_change_of_saved_tensor():
    w = tg.randn(2, 3, requires_grad=True)
    x = tg.randn(3, 4)
    y = (w @ x).sum()
    x.mul_(2)
    with pytest.raises(RuntimeError, match=r"modified by an in-place operation") as info:
        y.backward()
    msg = str(info.value)
    assert "MatMul" in msg and _shape_re_in((3, 4), msg) and "float32" in msg


def _shape_re_in(shape: tuple[int, ...], text: str) -> bool:
    return re.search(_shape_re(shape), text) is not None


# --------------------------------------------------------------------------- dtypes


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_integer_tensor_cannot_require_grad(dtype):
    with pytest.raises(RuntimeError, match=r"floating point.*" + dtype):
        Tensor(np.array([1, 0]).astype(dtype), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"floating point.*" + dtype):
        tg.tensor(np.array([1, 0]).astype(dtype), requires_grad=True)
    t = tg.tensor(np.array([1, 0]).astype(dtype))
    with pytest.raises(RuntimeError, match=r"floating point.*" + dtype):
        t.requires_grad_()
    assert not t.requires_grad
    with pytest.raises(RuntimeError, match=r"floating point"):
        t.requires_grad = True
    assert not t.requires_grad


def test_python_int_list_with_requires_grad():
    with pytest.raises(RuntimeError, match=r"floating point.*int64"):
        tg.tensor([1, 2], requires_grad=True)
    assert Tensor([1, 2], requires_grad=True).dtype == np.float32  # Tensor() makes float32


# --------------------------------------------------------------------------- losses


def test_cross_entropy_target_out_of_range():
    logits = tg.randn(4, 3, requires_grad=True)
    for bad in (3, -1, 10):
        target = tg.tensor([0, 1, bad, 2])
        with pytest.raises(IndexError, match=rf"{bad}.*3 classes"):
            F.cross_entropy(logits, target)
    assert logits.grad is None


@pytest.mark.parametrize(
    ("target", "shape"),
    [([[0], [1], [2], [0]], (4, 1)), ([0, 1, 2], (3,)), ([0, 1, 2, 0, 1], (5,))],
)
def test_cross_entropy_index_target_wrong_shape(target, shape):
    logits = tg.randn(4, 3, requires_grad=True)
    with pytest.raises(ShapeError, match=_shape_re((4,)) + r".*" + _shape_re(shape)):
        F.cross_entropy(logits, tg.tensor(target))


def test_cross_entropy_probability_target_wrong_shape():
    logits = tg.randn(4, 3, requires_grad=True)
    with pytest.raises(ShapeError, match=_shape_re((4, 3)) + r".*" + _shape_re((4, 2))):
        F.cross_entropy(logits, tg.rand(4, 2))


@pytest.mark.parametrize(
    "loss",
    [
        lambda r: F.cross_entropy(tg.randn(2, 3), tg.tensor([0, 1]), reduction=r),
        lambda r: F.nll_loss(tg.randn(2, 3), tg.tensor([0, 1]), reduction=r),
        lambda r: F.mse_loss(tg.randn(2), tg.randn(2), reduction=r),
        lambda r: F.l1_loss(tg.randn(2), tg.randn(2), reduction=r),
        lambda r: F.binary_cross_entropy(tg.rand(2), tg.rand(2), reduction=r),
        lambda r: F.binary_cross_entropy_with_logits(tg.randn(2), tg.rand(2), reduction=r),
    ],
)
def test_wrong_reduction_name(loss):
    with pytest.raises(ValueError, match=r"reduction.*'avg'"):
        loss("avg")
    for ok in ("mean", "sum", "none"):
        loss(ok)


def test_loss_input_and_target_shapes_differ():
    with pytest.raises(ShapeError, match=_shape_re((4, 3)) + r".*" + _shape_re((4, 1))):
        F.mse_loss(tg.randn(4, 3), tg.randn(4, 1))


# --------------------------------------------------------------------------- in-place misuse


@pytest.mark.parametrize(
    "op",
    [lambda t: t.add_(1), lambda t: t.sub_(1), lambda t: t.mul_(2), lambda t: t.div_(2),
     lambda t: t.zero_(), lambda t: t.fill_(3), lambda t: t.__setitem__(0, 5.0),
     lambda t: t.copy_(tg.ones(3))],
)
def test_inplace_on_leaf_requiring_grad_outside_no_grad(op):
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"leaf.*requires grad.*in-place"):
        op(w)
    np.testing.assert_array_equal(w.data.numpy(), [1.0, 2.0, 3.0])
    with no_grad():
        op(w)  # allowed there, as optimizers do
    assert not np.array_equal(w.data.numpy(), [1.0, 2.0, 3.0])


# --------------------------------------------------------------------------- nothing half-written


def test_failing_ops_leave_inputs_and_grads_unchanged():
    a = tg.randn(2, 3, requires_grad=True)
    b = tg.randn(4, 5, requires_grad=True)
    a0, b0 = a.data.numpy().copy(), b.data.numpy().copy()
    (a.sum() + b.sum()).backward()
    ga, gb = a.grad.data.numpy().copy(), b.grad.data.numpy().copy()
    for bad in (lambda: a @ b, lambda: a + b, lambda: a.reshape(7),
                lambda: F.cross_entropy(a, tg.tensor([0, 5])),
                lambda: F.mse_loss(a, b)):
        with pytest.raises((ValueError, RuntimeError, IndexError)):
            bad()
        np.testing.assert_array_equal(a.data.numpy(), a0)
        np.testing.assert_array_equal(b.data.numpy(), b0)
        np.testing.assert_array_equal(a.grad.data.numpy(), ga)
        np.testing.assert_array_equal(b.grad.data.numpy(), gb)
        assert a.is_leaf and b.is_leaf


def test_failing_inplace_op_does_not_change_data_or_version():
    w = tg.randn(2, 3, requires_grad=True)
    x = tg.randn(2, 3)
    x0 = x.data.numpy().copy()
    y = (w * x).sum()  # x is saved for backward
    with pytest.raises(ShapeError, match=_shape_re((4,))):
        x.add_(tg.randn(4))
    with pytest.raises(RuntimeError, match="can't be cast"):
        tg.tensor([1, 2]).add_(0.5)  # an int tensor cannot hold 0.5 (PyTorch's error)
    with pytest.raises(ShapeError):
        x[0] = tg.ones(5)
    np.testing.assert_array_equal(x.data.numpy(), x0)
    y.backward()  # the failed in-place calls did not count as modifications
    np.testing.assert_array_equal(w.grad.data.numpy(), x0)


@given(hnp.array_shapes(min_dims=1, max_dims=2, max_side=5),
       hnp.array_shapes(min_dims=1, max_dims=2, max_side=5))
def test_failed_matmul_records_nothing(sa, sb):
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    assume(sa[-1] != k_b)
    a, b = tg.ones(*sa, requires_grad=True), tg.ones(*sb, requires_grad=True)
    with pytest.raises(ShapeError):
        a @ b
    assert a.grad is None and b.grad is None
    (a.sum() * 2).backward()
    np.testing.assert_array_equal(a.grad.data.numpy(), np.full(sa, 2, np.float32))
    assert b.grad is None
