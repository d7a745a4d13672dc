"""The teaching view ``tg.unfused()`` (tinygrad_edu/nn/unfused.py): what it records, the switch.

* inside, the recorded graph holds the primitives of each fused op (walked from
  ``loss.grad_fn`` through ``next_functions``: ``MatMul`` and ``Add``, not ``Linear``), also
  through the ``nn`` layers and losses; outside, the fused node is recorded again;
* ``depth=2`` also takes apart the log_softmax inside cross_entropy;
* the switch nests, restores the state before after an exception, decorates (with and without
  parentheses, recursively), and refuses bad arguments;
* a bad call raises the same error (type and message) with and without the switch;
* the unfused forms against PyTorch directly, and batch norm's running statistics over steps.

Fused against unfused for drawn shapes, dtypes, layouts and settings is the property suite
tests/properties/test_unfused_props.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F


def node_names(t: tg.Tensor) -> set[str]:
    """The class names of every node behind ``t`` (an explicit stack, each node once)."""
    names, seen, stack = set(), set(), [t.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.add(type(node).__name__)
        stack.extend(nxt for nxt, _ in node.next_functions)
    return names


def leaf(*shape: int, seed: int = 0) -> tg.Tensor:
    return tg.tensor(np.random.default_rng(seed).normal(size=shape), requires_grad=True)


LABELS = tg.tensor(np.array([0, 2, 1, 2]))

# (call, the primitives it must record inside unfused(), the fused node it records outside)
RECORDS: list[tuple[str, Callable[[], tg.Tensor], set[str], str]] = [
    ("linear", lambda: F.linear(leaf(4, 3), leaf(2, 3), leaf(2)),
     {"MatMul", "Transpose", "Add"}, "Linear"),
    ("linear no bias", lambda: F.linear(leaf(4, 3), leaf(2, 3)), {"MatMul", "Transpose"},
     "Linear"),
    ("softmax", lambda: F.softmax(leaf(4, 3), 1), {"Sub", "Exp", "Sum", "Div"}, "Softmax"),
    ("log_softmax", lambda: F.log_softmax(leaf(4, 3), 1), {"Sub", "Exp", "Sum", "Log"},
     "LogSoftmax"),
    ("cross_entropy", lambda: F.cross_entropy(leaf(4, 3), LABELS),
     {"LogSoftmax", "Gather", "Neg", "Mean"}, "CrossEntropy"),
    ("cross_entropy options", lambda: F.cross_entropy(
        leaf(4, 3), LABELS, weight=tg.tensor([1.0, 2.0, 0.5], dtype=tg.float64),
        ignore_index=1, label_smoothing=0.1),
     {"LogSoftmax", "Gather", "Neg", "Mul", "Where", "Sum", "Div", "Add"}, "CrossEntropyIndexed"),
    ("cross_entropy probabilities", lambda: F.cross_entropy(leaf(4, 3), F.softmax(leaf(4, 3), 1)),
     {"LogSoftmax", "Mul", "Sum", "Neg", "Mean"}, "CrossEntropyWithProbs"),
    ("nll_loss", lambda: F.nll_loss(leaf(4, 3), LABELS), {"Gather", "Neg", "Mean"}, "NLLLoss"),
    ("mse_loss", lambda: F.mse_loss(leaf(4, 3), leaf(4, 3, seed=1)),
     {"Sub", "PowScalar", "Mean"}, "MSELoss"),
    ("l1_loss", lambda: F.l1_loss(leaf(4, 3), leaf(4, 3, seed=1)), {"Sub", "Abs", "Mean"},
     "L1Loss"),
    ("binary_cross_entropy", lambda: F.binary_cross_entropy(
        F.sigmoid(leaf(4, 3)), tg.full((4, 3), 0.3, dtype=tg.float64)),
     {"Clamp", "Log", "Mul", "Add", "Neg", "Mean"}, "BinaryCrossEntropy"),
    ("binary_cross_entropy_with_logits", lambda: F.binary_cross_entropy_with_logits(
        leaf(4, 3), tg.full((4, 3), 0.3, dtype=tg.float64)),
     {"LogSigmoid", "Mul", "Sub", "Mean"}, "BinaryCrossEntropyWithLogits"),
    ("batch_norm", lambda: F.batch_norm(leaf(4, 3), None, None, leaf(3), leaf(3),
                                        training=True),
     {"Mean", "Var", "Sub", "Add", "Sqrt", "Div", "Mul"}, "BatchNorm"),
    ("layer_norm", lambda: F.layer_norm(leaf(4, 3), (3,), leaf(3), leaf(3)),
     {"Mean", "Var", "Sub", "Sqrt", "Div", "Mul", "Add"}, "LayerNorm"),
    ("group_norm", lambda: F.group_norm(leaf(2, 4, 3), 2, leaf(4), leaf(4)),
     {"Reshape", "Mean", "Var", "Sub", "Sqrt", "Div", "Mul", "Add"}, "GroupNorm"),
    ("instance_norm", lambda: F.instance_norm(leaf(2, 3, 4)),
     {"Mean", "Var", "Sub", "Sqrt", "Div"}, "InstanceNorm"),
]


@pytest.mark.parametrize(("call", "primitives", "fused"),
                         [r[1:] for r in RECORDS], ids=[r[0] for r in RECORDS])
def test_the_graph_holds_the_primitives_inside_and_the_fused_node_outside(
        call: Callable[[], tg.Tensor], primitives: set[str], fused: str) -> None:
    with tg.unfused():
        inside = node_names(call())
    assert primitives <= inside, primitives - inside
    assert fused not in inside
    assert fused in node_names(call())


def test_the_layers_and_losses_go_through_the_switch() -> None:
    tg.manual_seed(0)
    x = tg.randn(4, 3, 5, requires_grad=True)
    layers = [nn.Linear(5, 2), nn.Softmax(1), nn.LogSoftmax(1), nn.BatchNorm1d(3),
              nn.LayerNorm(5), nn.GroupNorm(1, 3), nn.InstanceNorm1d(3, affine=True)]
    fused = {"Linear", "Softmax", "LogSoftmax", "BatchNorm", "LayerNorm", "GroupNorm",
             "InstanceNorm"}
    for layer in layers:
        with tg.unfused():
            names = node_names(layer(x))
        assert not names & fused, (layer, names & fused)
        assert node_names(layer(x)) & fused, layer  # and the fused node outside
    logits, labels = tg.randn(4, 3, requires_grad=True), LABELS
    p = F.sigmoid(logits)
    half = tg.full((4, 3), 0.5)
    losses = [(nn.CrossEntropyLoss(), logits, labels, "CrossEntropy"),
              (nn.NLLLoss(), logits, labels, "NLLLoss"),
              (nn.MSELoss(), logits, half, "MSELoss"), (nn.L1Loss(), logits, half, "L1Loss"),
              (nn.BCELoss(), p, half, "BinaryCrossEntropy"),
              (nn.BCEWithLogitsLoss(), logits, half, "BinaryCrossEntropyWithLogits")]
    for loss, a, b, name in losses:
        with tg.unfused():
            assert name not in node_names(loss(a, b))
        assert name in node_names(loss(a, b))


def test_depth_2_takes_apart_the_log_softmax_inside_cross_entropy() -> None:
    x = leaf(4, 3)
    with tg.unfused(depth=2):
        deep = F.cross_entropy(x, LABELS, label_smoothing=0.2)
    names = node_names(deep)
    assert "LogSoftmax" not in names and {"Exp", "Log", "Sum", "Gather"} <= names
    expected = F.cross_entropy(x, LABELS, label_smoothing=0.2)
    np.testing.assert_allclose(deep.item(), expected.item(), rtol=1e-12)
    (g_deep,) = tg.autograd.grad(deep, [x])
    (g_fused,) = tg.autograd.grad(expected, [x])
    np.testing.assert_allclose(g_deep.numpy(), g_fused.numpy(), rtol=1e-10, atol=1e-14)


def test_the_switch_nests_and_restores_the_state_before() -> None:
    assert not tg.is_unfused()
    with tg.unfused():
        assert tg.is_unfused()
        with tg.unfused(depth=2):
            assert "LogSoftmax" not in node_names(F.cross_entropy(leaf(2, 3), LABELS[:2]))
        assert tg.is_unfused()
        assert "LogSoftmax" in node_names(F.cross_entropy(leaf(2, 3), LABELS[:2]))
    assert not tg.is_unfused()
    assert "CrossEntropy" in node_names(F.cross_entropy(leaf(2, 3), LABELS[:2]))
    switch = tg.unfused()
    with switch:
        with switch:  # the same object entered twice
            assert tg.is_unfused()
        assert tg.is_unfused()
    assert not tg.is_unfused()


def test_an_exception_inside_restores_the_state() -> None:
    with pytest.raises(KeyError), tg.unfused():
        raise KeyError("boom")
    assert not tg.is_unfused()
    with tg.unfused(), pytest.raises(ValueError):  # a failing op inside, then still on
        F.linear(leaf(2, 3), leaf(2, 4))
    assert not tg.is_unfused()
    with tg.unfused():
        with pytest.raises(RuntimeError), tg.unfused(depth=2):
            raise RuntimeError
        assert tg.is_unfused()
    assert not tg.is_unfused()


def test_decorator_forms_and_recursion() -> None:
    @tg.unfused
    def bare() -> bool:
        return tg.is_unfused()

    @tg.unfused()
    def called() -> bool:
        return tg.is_unfused()

    @tg.unfused(depth=2)
    def countdown(n: int) -> set[str]:
        if n:
            return countdown(n - 1)  # re-entered while on
        return node_names(F.cross_entropy(leaf(2, 3), LABELS[:2]))

    assert bare() and called()
    assert "LogSoftmax" not in countdown(3)
    assert not tg.is_unfused()


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"depth": 0}, ValueError), ({"depth": 1.5}, TypeError), ({"depth": True}, TypeError)])
def test_bad_switch_arguments(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error, match="depth"):
        tg.unfused(**kwargs)


def test_depth_must_be_a_keyword() -> None:
    with pytest.raises(TypeError, match="keyword"):
        tg.unfused(2)  # type: ignore[arg-type]


def test_no_grad_inside_records_nothing() -> None:
    x = leaf(3, 4)
    with tg.unfused(), tg.no_grad():
        out = F.cross_entropy(F.layer_norm(x, (4,)), LABELS[:3])
    assert out.grad_fn is None
    np.testing.assert_allclose(out.item(), F.cross_entropy(F.layer_norm(x, (4,)),
                                                           LABELS[:3]).item(), rtol=1e-12)


# ---------------------------------------------------------------------- the same errors

def _f32(*shape: int) -> tg.Tensor:
    return tg.ones(*shape)


BAD_CALLS: list[tuple[str, Callable[[], Any]]] = [
    ("linear dtypes", lambda: F.linear(tg.ones(2, 3, dtype=tg.float64), _f32(4, 3))),
    ("linear shapes", lambda: F.linear(_f32(2, 3), _f32(4, 5))),
    ("linear bias dtype", lambda: F.linear(_f32(2, 3), _f32(4, 3), tg.ones(4, dtype=tg.float64))),
    ("linear 0-d input", lambda: F.linear(tg.tensor(1.0), _f32(4, 1))),
    ("linear 3-d weight", lambda: F.linear(_f32(2, 3), _f32(4, 3, 3))),
    ("softmax integers", lambda: F.softmax(tg.tensor([1, 2]), 0)),
    ("softmax dim", lambda: F.log_softmax(_f32(2, 3), 2)),
    ("cross_entropy reduction", lambda: F.cross_entropy(_f32(2, 3), LABELS[:2], reduction="x")),
    ("cross_entropy integer input", lambda: F.cross_entropy(tg.tensor([[1, 2]]), LABELS[:1])),
    ("cross_entropy class range", lambda: F.cross_entropy(_f32(2, 3), tg.tensor([0, 3]))),
    ("cross_entropy target shape", lambda: F.cross_entropy(_f32(2, 3), tg.tensor([0, 1, 2]))),
    ("cross_entropy bool target", lambda: F.cross_entropy(_f32(2, 3), tg.tensor([True, False]))),
    ("cross_entropy weight shape", lambda: F.cross_entropy(_f32(2, 3), LABELS[:2],
                                                           weight=_f32(2))),
    ("cross_entropy weight grad", lambda: F.cross_entropy(
        _f32(2, 3), LABELS[:2], weight=tg.ones(3, requires_grad=True))),
    ("cross_entropy smoothing", lambda: F.cross_entropy(_f32(2, 3), LABELS[:2],
                                                        label_smoothing=1.5)),
    ("cross_entropy smoothing type", lambda: F.cross_entropy(_f32(2, 3), LABELS[:2],
                                                             label_smoothing="0.1")),
    ("cross_entropy ignore_index type", lambda: F.cross_entropy(_f32(2, 3), LABELS[:2],
                                                                ignore_index=1.0)),
    ("cross_entropy probs shape", lambda: F.cross_entropy(_f32(2, 3), _f32(2, 4))),
    ("cross_entropy probs ignore_index", lambda: F.cross_entropy(_f32(2, 3), _f32(2, 3),
                                                                 ignore_index=0)),
    ("cross_entropy 0-d input", lambda: F.cross_entropy(tg.tensor(1.0), tg.tensor(0))),
    ("nll_loss class range", lambda: F.nll_loss(_f32(2, 3), tg.tensor([0, -2]))),
    ("nll_loss weight", lambda: F.nll_loss(_f32(2, 3), LABELS[:2], weight=_f32(4))),
    ("mse_loss shapes", lambda: F.mse_loss(_f32(2, 3), _f32(3, 2))),
    ("mse_loss reduction", lambda: F.mse_loss(_f32(2, 3), _f32(2, 3), reduction="avg")),
    ("mse_loss weight", lambda: F.mse_loss(_f32(2, 3), _f32(2, 3), weight=_f32(3))),
    ("l1_loss integer input", lambda: F.l1_loss(tg.tensor([1, 2]), tg.tensor([1, 2]))),
    ("bce range", lambda: F.binary_cross_entropy(tg.full((2,), 1.5), _f32(2))),
    ("bce integer target", lambda: F.binary_cross_entropy(tg.full((2,), 0.5),
                                                          tg.tensor([1, 0]))),
    ("bce weight", lambda: F.binary_cross_entropy(tg.full((2,), 0.5), _f32(2), weight=_f32(3))),
    ("bce logits pos_weight", lambda: F.binary_cross_entropy_with_logits(
        _f32(2, 3), _f32(2, 3), pos_weight=_f32(2))),
    ("bce logits weight grad", lambda: F.binary_cross_entropy_with_logits(
        _f32(2, 3), _f32(2, 3), weight=tg.ones(3, requires_grad=True))),
    ("batch_norm eval without stats", lambda: F.batch_norm(_f32(2, 3), None, None)),
    ("batch_norm one value per channel", lambda: F.batch_norm(_f32(1, 3), None, None,
                                                              training=True)),
    ("batch_norm half the stats", lambda: F.batch_norm(_f32(2, 3), _f32(3), None,
                                                       training=True)),
    ("batch_norm weight size", lambda: F.batch_norm(_f32(2, 3), None, None, _f32(4),
                                                    training=True)),
    ("batch_norm 1-d", lambda: F.batch_norm(_f32(3), None, None, training=True)),
    ("layer_norm shape", lambda: F.layer_norm(_f32(2, 3), (2,))),
    ("layer_norm weight", lambda: F.layer_norm(_f32(2, 3), (3,), _f32(2))),
    ("group_norm groups", lambda: F.group_norm(_f32(2, 3, 2), 2)),
    ("group_norm one value", lambda: F.group_norm(_f32(1, 2), 2)),
    ("instance_norm one value", lambda: F.instance_norm(_f32(2, 3, 1))),
    ("instance_norm without stats", lambda: F.instance_norm(_f32(2, 3, 4),
                                                            use_input_stats=False)),
]


@pytest.mark.parametrize("call", [c for _, c in BAD_CALLS], ids=[n for n, _ in BAD_CALLS])
def test_a_bad_call_raises_the_same_error_either_way(call: Callable[[], Any]) -> None:
    with pytest.raises(Exception) as fused:
        call()
    with tg.unfused(), pytest.raises(Exception) as unfused:
        call()
    assert type(unfused.value) is type(fused.value)
    assert str(unfused.value) == str(fused.value)


def test_a_bias_that_does_not_fit_raises_a_value_error_either_way() -> None:
    for switch in (contextlib.nullcontext(), tg.unfused()):
        with switch, pytest.raises(ValueError):
            F.linear(_f32(2, 3), _f32(4, 3), _f32(3))
        with switch, pytest.raises(ValueError):
            F.linear(_f32(2, 3), _f32(4, 3), _f32(5, 2, 4))


# ---------------------------------------------------------------------- against PyTorch

torch_missing = pytest.mark.skipif(
    __import__("importlib").util.find_spec("torch") is None, reason="PyTorch is the oracle")


@torch_missing
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unfused_cross_entropy_with_every_option_against_torch(dtype: Any) -> None:
    import torch

    rng = np.random.default_rng(3)
    x = rng.normal(size=(5, 4, 2)).astype(dtype)
    y = rng.integers(0, 4, (5, 2))
    y[0, 0] = y[3, 1] = 2  # ignored
    w = rng.uniform(0.5, 2, 4).astype(dtype)
    kw = {"ignore_index": 2, "label_smoothing": 0.15}
    for reduction in ("mean", "sum", "none"):
        ours_x = tg.tensor(x, requires_grad=True)
        with tg.unfused():
            ours = F.cross_entropy(ours_x, tg.tensor(y), weight=tg.tensor(w),
                                   reduction=reduction, **kw)
        ours.sum().backward()
        theirs_x = torch.tensor(x, requires_grad=True)
        theirs = torch.nn.functional.cross_entropy(theirs_x, torch.tensor(y),
                                                   weight=torch.tensor(w),
                                                   reduction=reduction, **kw)
        theirs.sum().backward()
        tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-10}
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tol)
        np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), **tol)


@torch_missing
def test_unfused_batch_norm_layer_against_torch_over_steps() -> None:
    """Training steps, then evaluation: outputs, gradients and running statistics as
    torch.nn.BatchNorm2d's (momentum None: the cumulative average)."""
    import torch

    rng = np.random.default_rng(4)
    ours, theirs = nn.BatchNorm2d(3, momentum=None), torch.nn.BatchNorm2d(3, momentum=None)
    ours.to(tg.float64)
    theirs.double()
    for step in range(4):
        x = rng.normal(1.0, 2.0, (2, 3, 2, 2))
        ours_x, theirs_x = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        if step == 3:
            ours.eval()
            theirs.eval()
        with tg.unfused():
            out = ours(ours_x)
        expected = theirs(theirs_x)
        (out * tg.tensor(x)).sum().backward()
        (expected * torch.tensor(x)).sum().backward()
        np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-8,
                                   atol=1e-12)
        for name in ("running_mean", "running_var"):
            np.testing.assert_allclose(getattr(ours, name).numpy(),
                                       getattr(theirs, name).numpy(), rtol=1e-12)
        assert int(ours.num_batches_tracked.item()) == int(theirs.num_batches_tracked)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-10)


def test_running_statistics_are_dated_as_the_fused_forward_dates_them() -> None:
    """The in-place update of running_mean bumps its version: a node that saved it sees it."""
    running_mean, running_var = tg.zeros(3), tg.ones(3)
    w = tg.ones(3, requires_grad=True)
    saved = w * running_mean  # Mul saves running_mean for w's gradient
    with tg.unfused():
        F.batch_norm(tg.randn(4, 3), running_mean, running_var, training=True)
    assert running_mean.abs().sum().item() > 0
    with pytest.raises(RuntimeError, match="in-place|inplace|modified"):
        saved.sum().backward()


def test_empty_batch_leaves_running_statistics_alone() -> None:
    running_mean, running_var = tg.zeros(3), tg.ones(3)
    x = tg.zeros(0, 3, 2, requires_grad=True)
    with tg.unfused():
        out = F.batch_norm(x, running_mean, running_var, training=True)
    assert out.shape == (0, 3, 2)
    assert running_mean.numpy().tolist() == [0, 0, 0] and running_var.numpy().tolist() == [1] * 3
