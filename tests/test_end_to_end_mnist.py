"""End to end on real data: a 784-64-10 MLP written with nn.Sequential, trained on the MNIST
subset in ../shared/data/mnist-10k with every optimizer, lowers its loss; and its gradients equal
the closed-form two-layer net of reference/ (seed 001) on the same weights."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import MNIST, DataLoader, TensorDataset
from tinygrad_edu.reference import two_layer_net

MNIST_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-10k"


@pytest.fixture(scope="module")
def mnist():
    if not MNIST_DIR.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the MNIST subset is missing at {MNIST_DIR}")
        pytest.skip(f"the MNIST subset is not at {MNIST_DIR}")
    X, y = MNIST(root=MNIST_DIR, train=True).arrays()
    return X[:3000], y[:3000]


def mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))


OPTIMIZERS = {
    "sgd": lambda p: optim.SGD(p, lr=0.1),
    "momentum": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda p: optim.Adam(p, lr=1e-3),
    "adamw": lambda p: optim.AdamW(p, lr=1e-3),
    "rmsprop": lambda p: optim.RMSprop(p, lr=1e-3),
    "adagrad": lambda p: optim.Adagrad(p, lr=0.05),
    "adadelta": lambda p: optim.Adadelta(p, lr=1.0),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_mlp_learns_mnist_with_every_optimizer(mnist, name):
    X, y = mnist
    tg.manual_seed(0)
    model = mlp()
    optimizer = OPTIMIZERS[name](model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(X, y), batch_size=100, shuffle=True, seed=0)
    with tg.no_grad():
        before = loss_fn(model(tg.Tensor(X)), y).item()
    steps = 0
    while steps < 300:
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss_fn(model(inputs), targets).backward()
            optimizer.step()
            steps += 1
    with tg.no_grad():
        logits = model(tg.Tensor(X))
        after = loss_fn(logits, y).item()
    accuracy = float(np.mean(logits.data.numpy().argmax(1) == y))
    assert after < 0.6 * before, f"{name}: loss {before:.3f} -> {after:.3f}"
    assert accuracy > 0.85, f"{name}: train accuracy {accuracy:.3f}"


def test_mlp_gradients_equal_the_seed_001_hand_backprop(mnist):
    X, y = mnist
    X, y = X[:200].astype(np.float64), y[:200]
    tg.manual_seed(1)
    model = mlp().double()
    loss = nn.CrossEntropyLoss()(model(tg.Tensor(X)), y)
    loss.backward()
    # reference layout: X @ W + b with W (in, out); nn.Linear keeps (out, in) as PyTorch
    params = {"W1": model[0].weight.data.numpy().T.copy(), "b1": model[0].bias.data.numpy().copy(),
              "W2": model[2].weight.data.numpy().T.copy(), "b2": model[2].bias.data.numpy().copy()}
    pre_activation = X @ params["W1"] + params["b1"]
    assert np.abs(pre_activation).min() > 0  # relu'(0) conventions differ; none sits at 0
    expected_loss, grads = two_layer_net.loss_and_grads(params, X, np.eye(10)[y])
    assert loss.item() == pytest.approx(expected_loss, rel=1e-12)
    np.testing.assert_allclose(model[0].weight.grad.data.numpy(), grads["W1"].T, rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(model[0].bias.grad.data.numpy(), grads["b1"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(model[2].weight.grad.data.numpy(), grads["W2"].T, rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(model[2].bias.grad.data.numpy(), grads["b2"], rtol=1e-9, atol=1e-12)
