"""``autograd.watch()``: what each node keeps for the pictures and the explorer, and
``detect_anomaly()``'s marking of the node that produced a NaN/inf.

The kept numbers are checked against the engine's own results (``.grad``, ``autograd.grad``)
and against each other: the gradient that arrives at a node is the sum of what its consumers
handed it, and an input's value is what the node that made it returned.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn
from tinygrad_edu.autograd import AccumulateGrad, Function, graph

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def function_nodes(root: tg.Tensor) -> list[Function]:
    seen: dict[int, Function] = {}
    stack = [root.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or isinstance(node, AccumulateGrad) or id(node) in seen:
            continue
        seen[id(node)] = node
        stack.extend(node.next_nodes)
    return list(seen.values())


def watched_step(widths: list[int], act: str, loss_kind: str, batch: int, seed: int):
    tg.manual_seed(seed)
    layers: list[nn.Module] = []
    for a, b in zip(widths[:-1], widths[1:]):  # noqa: B905
        layers += [nn.Linear(a, b), ACTIVATIONS[act]()]
    model = nn.Sequential(*layers[:-1])
    x = tg.randn(batch, widths[0])
    with tg.autograd.watch():
        out = model(x)
        if loss_kind == "cross_entropy":
            loss = F.cross_entropy(out, tg.randint(0, widths[-1], (batch,)))
        elif loss_kind == "mse":
            loss = F.mse_loss(out, tg.randn(batch, widths[-1]))
        else:  # a loss written with primitive ops: a node used twice (out * out)
            loss = (out * out).mean() + out.sum() * 0.5
        (d_out,) = tg.autograd.grad(loss, [out], retain_graph=True)
        loss.backward()
    return model, x, out, loss, d_out


@settings(max_examples=25, deadline=None)
@given(widths=st.lists(st.integers(1, 5), min_size=2, max_size=4),
       act=st.sampled_from(sorted(ACTIVATIONS)),
       loss_kind=st.sampled_from(["cross_entropy", "mse", "primitive"]),
       batch=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_kept_values_and_gradients_are_consistent(widths, act, loss_kind, batch, seed):
    model, x, out, loss, d_out = watched_step(widths, act, loss_kind, batch, seed)
    nodes = function_nodes(loss)
    by_id = {id(n): n for n in nodes}
    # the root receives d loss / d loss = 1; the model's output node its true gradient
    np.testing.assert_array_equal(loss.grad_fn.recorded.grad, np.ones(()))
    np.testing.assert_array_equal(loss.grad_fn.recorded.output, loss.detach().numpy())
    np.testing.assert_array_equal(out.grad_fn.recorded.output, out.detach().numpy())
    # each node's arriving gradient is the sum of what its consumers handed it
    arrived: dict[int, np.ndarray] = {}
    handed_to_leaf: dict[int, np.ndarray] = {}
    for node in nodes:
        rec = node.recorded
        assert rec.inputs is not None and len(rec.inputs) == len(node.next_nodes)
        assert rec.input_grads is not None and len(rec.input_grads) == len(node.next_nodes)
        for k, (to, g) in enumerate(zip(node.next_nodes, rec.input_grads)):  # noqa: B905
            if to is None:
                assert g is None
                continue
            assert g.shape == rec.inputs[k].shape  # summed down to the input's shape
            table = handed_to_leaf if isinstance(to, AccumulateGrad) else arrived
            table[id(to)] = table.get(id(to), 0) + g
            if isinstance(to, Function):  # the value it saw is what its producer returned
                np.testing.assert_array_equal(rec.inputs[k], to.recorded.output)
                assert to.recorded.step > rec.step  # producers run after their consumers
            else:
                np.testing.assert_array_equal(rec.inputs[k], to.variable.detach().numpy())
    for key, total in arrived.items():
        np.testing.assert_allclose(by_id[key].recorded.grad, total, rtol=1e-6, atol=1e-7)
    for p in model.parameters():
        np.testing.assert_allclose(handed_to_leaf[id(p.grad_fn or p._node)], p.grad.numpy(),
                                   rtol=1e-6, atol=1e-7)
    steps = sorted(n.recorded.step for n in nodes)
    assert steps == list(range(len(nodes)))  # every node ran once, numbered from 0
    # the output's arriving gradient is d loss / d out, as autograd.grad computes it
    np.testing.assert_allclose(out.grad_fn.recorded.grad, d_out.numpy(), rtol=1e-6, atol=1e-7)


def test_arriving_gradient_equals_autograd_grad_of_the_intermediate():
    tg.manual_seed(1)
    w = tg.randn(3, 4, requires_grad=True)
    x = tg.randn(2, 3)
    with tg.autograd.watch():
        h = (x @ w).tanh()
        loss = (h * h).sum()
        (expected,) = tg.autograd.grad(loss, [h], retain_graph=True)
        loss.backward()
    np.testing.assert_allclose(h.grad_fn.recorded.grad, expected.detach().numpy(), rtol=1e-6)
    np.testing.assert_array_equal(h.grad_fn.recorded.output, h.detach().numpy())
    np.testing.assert_array_equal(h.grad_fn.recorded.inputs[0], (x @ w).detach().numpy())


def test_kept_values_are_copies_that_an_optimizer_step_does_not_change():
    tg.manual_seed(2)
    model = nn.Linear(3, 2)
    before = model.weight.detach().numpy().copy()
    with tg.autograd.watch():
        loss = model(tg.randn(4, 3)).sum()
        loss.backward()
    tg.optim.SGD(model.parameters(), lr=1.0).step()
    assert not np.array_equal(model.weight.detach().numpy(), before)
    np.testing.assert_array_equal(loss.grad_fn.next_nodes[0].recorded.inputs[1], before)


def test_nothing_is_kept_outside_watch_and_the_switch_is_restored():
    x = tg.ones(2, requires_grad=True)
    loss = (x * 2).sum()
    loss.backward()
    assert "recorded" not in loss.grad_fn.__dict__
    assert not graph._observed and not graph._watching
    with pytest.raises(ZeroDivisionError), tg.autograd.watch():
        with tg.autograd.watch():
            pass
        assert graph._watching  # the inner exit keeps the outer on
        raise ZeroDivisionError
    assert not graph._watching and not graph._observed


def test_backward_outside_the_watched_forward_keeps_gradients_only():
    x = tg.ones(3, requires_grad=True)
    loss = (x * 3).sum()
    with tg.autograd.watch():
        loss.backward()
    rec = loss.grad_fn.recorded
    assert rec.inputs is None and rec.output is None
    np.testing.assert_array_equal(rec.grad, np.ones(()))
    np.testing.assert_array_equal(loss.grad_fn.next_nodes[0].recorded.input_grads[0], [3, 3, 3])


def test_create_graph_under_watch_keeps_arrays_and_second_derivatives_work():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.autograd.watch():
        y = (x ** 3).sum()
        (g,) = tg.autograd.grad(y, [x], create_graph=True)
        g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.detach().numpy())  # d2/dx2 x^3 = 6x
    pow_node = y.grad_fn.next_nodes[0]
    assert isinstance(pow_node.recorded.input_grads[0], np.ndarray)
    np.testing.assert_allclose(pow_node.recorded.input_grads[0], 3 * x.detach().numpy() ** 2)


def test_watch_and_detect_anomaly_together_and_apart():
    with tg.autograd.detect_anomaly():
        with tg.autograd.watch():
            assert graph._anomaly and graph._watching
        assert graph._anomaly and graph._observed and not graph._watching
    assert not graph._observed


def test_anomaly_in_backward_marks_the_node():
    a = tg.tensor([1.0, 0.0], requires_grad=True)
    loss = (a.sqrt() * 1.0).sum()  # d sqrt(a)/da at 0 is inf
    with pytest.raises(FloatingPointError, match="backward of SqrtBackward0") as info, \
            np.errstate(divide="ignore"), tg.autograd.detect_anomaly():
        loss.backward()
    node = info.value.node
    assert node is loss.grad_fn.next_nodes[0].next_nodes[0]
    assert "inf" in node.anomaly
    assert "anomaly" not in loss.grad_fn.__dict__  # only the culprit is marked


def test_anomaly_in_forward_carries_the_tensor_and_marks_its_node():
    a = tg.tensor([1.0, 0.0], requires_grad=True)
    with pytest.raises(FloatingPointError, match="forward of Log") as info, \
            np.errstate(divide="ignore"), tg.autograd.detect_anomaly():
        (a * 1.0).log()
    error = info.value
    assert error.tensor.grad_fn is error.node
    assert error.node.anomaly == str(error)
    np.testing.assert_array_equal(error.tensor.detach().numpy(), [0.0, -np.inf])


def test_anomaly_in_forward_without_a_graph_still_raises():
    with pytest.raises(FloatingPointError, match="forward of Log") as info, \
            np.errstate(divide="ignore"), tg.autograd.detect_anomaly():
        tg.tensor([0.0]).log()
    assert info.value.node is None


def test_a_pass_stopped_by_detect_anomaly_changes_no_grad_and_is_a_runtime_error():
    a = tg.tensor([0.0, 1.0], requires_grad=True)
    b = tg.tensor([2.0, 3.0], requires_grad=True)
    b.grad = tg.tensor([1.0, 1.0])
    with pytest.raises(RuntimeError, match="SqrtBackward0"), np.errstate(divide="ignore"), \
            tg.autograd.detect_anomaly():
        (a.sqrt() * a * b).sum().backward()  # Mul hands a and b their share before Sqrt fails
    assert a.grad is None
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_detect_anomaly_gives_the_same_gradients_when_nothing_is_wrong():
    def step():
        tg.manual_seed(3)
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        h = model[0].weight.register_hook(lambda g: g * 2)  # hooks still run on the totals
        F.cross_entropy(model(tg.randn(5, 3)), tg.tensor([0, 1, 0, 1, 1])).backward()
        h.remove()
        return [p.grad.numpy().copy() for p in model.parameters()]

    plain = step()
    with tg.autograd.detect_anomaly():
        checked = step()
    for a, b in zip(plain, checked, strict=True):
        np.testing.assert_array_equal(a, b)
