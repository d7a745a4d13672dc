"""The training steps the explorer's tests record (imported by the other test_explore files):
seed 001's MLP on a small batch, the XOR net, a CNN step (``models.lenet_bn``), and small
graphs with the awkward cases (a parameter used twice, int and 0-d inputs, NaN/inf)."""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn
from tinygrad_edu.models import lenet_bn

Case = tuple[Any, Any, dict[str, Any]]  # loss, model (or None), names


def mlp_step(batch: int = 4) -> Case:
    """Seed 001's 784-64-10 ReLU net (cross-entropy on class labels), one small batch."""
    tg.manual_seed(1)
    net = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    x, y = tg.rand(batch, 784), tg.randint(0, 10, (batch,))
    with tg.viz.watch():
        loss = F.cross_entropy(net(x), y)
        loss.backward()
    return loss, net, {"images": x, "labels": y}


class XorNet(nn.Module):
    """Seed 002's 2-4-1 sigmoid net, weights stored (in, out) as the document."""

    def __init__(self) -> None:
        super().__init__()
        self.W1 = nn.Parameter(tg.randn(2, 4))
        self.b1 = nn.Parameter(tg.randn(4))
        self.W2 = nn.Parameter(tg.randn(4, 1))
        self.b2 = nn.Parameter(tg.randn(1))

    def forward(self, x: Any) -> Any:
        hidden = (x @ self.W1 + self.b1).sigmoid()
        return (hidden @ self.W2 + self.b2).sigmoid()


def xor_step() -> Case:
    tg.manual_seed(2)
    net = XorNet()
    x = tg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    t = tg.tensor([[0.0], [1.0], [1.0], [0.0]])
    with tg.viz.watch():
        loss = F.mse_loss(net(x), t)
        loss.backward()
    return loss, net, {"x": x, "targets": t}


def cnn_step(batch: int = 2) -> Case:
    tg.manual_seed(3)
    net = lenet_bn()
    x, y = tg.rand(batch, 1, 28, 28), tg.randint(0, 10, (batch,))
    with tg.viz.watch():
        loss = F.cross_entropy(net(x), y)
        loss.backward()
    return loss, net, {"images": x, "labels": y}


def cnn_unfused_step(batch: int = 2) -> Case:
    """The CNN step in the teaching view (``tg.unfused()``): batch norm, linear and the loss as
    their primitives, about 55 nodes and 40 backward steps."""
    tg.manual_seed(3)
    net = lenet_bn()
    x, y = tg.rand(batch, 1, 28, 28), tg.randint(0, 10, (batch,))
    with tg.viz.watch(), tg.unfused():
        loss = F.cross_entropy(net(x), y)
        loss.backward()
    return loss, net, {"images": x, "labels": y}


class Residual(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.fc = nn.Linear(width, width)

    def forward(self, h: Any) -> Any:
        return h + self.fc(h).tanh()


def big_step(blocks: int = 30) -> Case:
    """About 130 nodes: residual blocks h + tanh(fc(h)), so long edges skip rows."""
    tg.manual_seed(4)
    net = nn.Sequential(*[Residual(6) for _ in range(blocks)], nn.Linear(6, 3))
    x, y = tg.randn(5, 6), tg.randint(0, 3, (5,))
    with tg.viz.watch():
        loss = F.cross_entropy(net(x), y)
        loss.backward()
    return loss, net, {"x": x, "y": y}


def shared_step() -> Case:
    """A parameter used twice (w * x + w * w, a 0-d sum), an int-valued input (indices),
    a 0-d constant: the awkward cases in a few nodes."""
    w = tg.tensor([0.5, -1.5, 2.0], requires_grad=True)
    x = tg.tensor([1.0, 2.0, 3.0])
    idx = tg.tensor([2, 0])
    with tg.viz.watch():
        z = (w * x + w * w) * tg.tensor(3.0)
        loss = z[idx].sum()
        loss.backward()
    return loss, None, {"w": w, "x": x}


def nan_step() -> Case:
    """A gradient with inf and NaN: log at 0 and a 0 * inf."""
    w = tg.tensor([0.0, 1.0, 4.0], requires_grad=True)
    with tg.viz.watch(), np.errstate(divide="ignore", invalid="ignore"):
        loss = (w.log() * w).sum()
        loss.backward()
    return loss, None, {"w": w}


def test_cases_record_a_backward_pass() -> None:
    for make in (mlp_step, xor_step, shared_step, nan_step):
        loss, _, _ = make()
        assert loss.grad_fn.recorded.step == 0
    loss, _, _ = nan_step()
    w_grad = loss.grad_fn.next_nodes[0].recorded.input_grads  # the Mul's gradients
    assert w_grad is not None
    assert not np.isfinite(np.concatenate([g for g in w_grad if g is not None])).all()
