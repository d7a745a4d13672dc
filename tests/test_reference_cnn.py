"""The closed-form CNN and BN-MLP (reference/cnn.py, mlp_bn.py, batchnorm.py) against PyTorch
and against central differences; the engine's gradients against them are in
tests/test_cnn_model.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_edu.reference import batchnorm, cnn, mlp_bn

torch = pytest.importorskip("torch")
nn = torch.nn


class TorchCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.fc1, self.fc2 = nn.Linear(3136, 128), nn.Linear(128, 10)

    def forward(self, x, keep):
        x = torch.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        x = torch.max_pool2d(torch.relu(self.bn2(self.conv2(x))), 2)
        return self.fc2(torch.relu(self.fc1(x.flatten(1))) * keep)


class TorchMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(784, 512, bias=False)
        self.bn1 = nn.BatchNorm1d(512)
        self.fc2 = nn.Linear(512, 10)

    def forward(self, x, keep):
        return self.fc2(torch.relu(self.bn1(self.fc1(x))) * keep)


CASES = {"cnn": (cnn, TorchCNN, (1, 28, 28), 128), "mlp_bn": (mlp_bn, TorchMLP, (784,), 512)}


def _problem(name, n, dtype, seed):
    module, _, shape, hidden = CASES[name]
    rng = np.random.default_rng(seed)
    params = module.init_params(seed, dtype)
    X = rng.random((n, *shape)).astype(dtype)
    y = rng.integers(0, 10, n)
    keep = (rng.random((n, hidden)) >= 0.5).astype(dtype) * 2
    return params, X, y, keep


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=3)
@given(n=st.integers(2, 5), seed=st.integers(0, 2**16), dropout=st.booleans())
def test_closed_form_matches_pytorch(name, dtype, n, seed, dropout):
    module, torch_net, _, _ = CASES[name]
    params, X, y, keep = _problem(name, n, dtype, seed)
    keep = keep if dropout else None
    running = module.init_running(dtype)
    loss, grads = module.loss_and_grads(params, X, y, running, keep)
    net = torch_net().to(torch.float64 if dtype == np.float64 else torch.float32)
    net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in params.items()}, strict=False)
    out = net(torch.from_numpy(X), 1.0 if keep is None else torch.from_numpy(keep))
    expected = torch.nn.functional.cross_entropy(out, torch.from_numpy(y))
    expected.backward()
    tol = 1e-9 if dtype == np.float64 else 2e-4
    assert abs(loss - expected.item()) <= tol * max(1.0, abs(loss))
    for key, p in net.named_parameters():
        theirs = p.grad.numpy()
        assert grads[key].dtype == dtype
        np.testing.assert_allclose(grads[key], theirs, rtol=tol, atol=tol * np.abs(theirs).max())
    for key, value in running.items():
        bn, stat = key.split(".")
        buffer = getattr(net, bn).running_mean if stat == "mean" else getattr(net, bn).running_var
        np.testing.assert_allclose(value, buffer.numpy(), rtol=1e-5, atol=1e-7)
    if name == "cnn":  # eval mode: the running statistics, no dropout
        net.eval()
        np.testing.assert_allclose(cnn.forward(params, X, running),
                                   net(torch.from_numpy(X), 1.0).detach().numpy(),
                                   rtol=tol * 10, atol=tol * 10)


@pytest.mark.parametrize("name", CASES)
def test_closed_form_matches_central_differences(name):
    module = CASES[name][0]
    params, X, y, keep = _problem(name, 3, np.float64, 7)
    _, grads = module.loss_and_grads(params, X, y, None, keep)
    rng = np.random.default_rng(0)
    for key, p in params.items():
        for flat in rng.choice(p.size, size=3, replace=False):
            idx = np.unravel_index(flat, p.shape)
            old = p[idx]
            p[idx] = old + 1e-6
            up = module.loss_and_grads(params, X, y, None, keep)[0]
            p[idx] = old - 1e-6
            down = module.loss_and_grads(params, X, y, None, keep)[0]
            p[idx] = old
            assert abs((up - down) / 2e-6 - grads[key][idx]) < 1e-6, (key, idx)


@given(st.integers(2, 6), st.integers(1, 4), st.sampled_from([0, 1]), st.integers(0, 2**16))
def test_batchnorm_closed_form_is_the_gradient_of_the_composed_form(m, c, axis, seed):
    rng = np.random.default_rng(seed)
    shape = (m, c) if axis == 0 else (c, m)
    x, dy = rng.normal(size=shape), rng.normal(size=shape)
    gamma, beta = rng.normal(size=c), rng.normal(size=c)
    y, cache = batchnorm.forward(x, gamma, beta, axis)
    dx, dgamma, dbeta = batchnorm.backward(dy, cache)
    tx = torch.tensor(x if axis == 0 else x.T, requires_grad=True)
    tg, tb = torch.tensor(gamma, requires_grad=True), torch.tensor(beta, requires_grad=True)
    out = torch.nn.functional.batch_norm(tx, None, None, tg, tb, training=True)
    np.testing.assert_allclose(y, out.detach().numpy() if axis == 0 else out.detach().numpy().T,
                               rtol=1e-10, atol=1e-10)
    out.backward(torch.tensor(dy if axis == 0 else dy.T))
    np.testing.assert_allclose(dx, tx.grad.numpy() if axis == 0 else tx.grad.numpy().T,
                               rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(dgamma, tg.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dbeta, tb.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_max_pool_gradient_goes_to_the_first_maximum_of_a_tied_window():
    a = np.zeros((1, 1, 2, 4))
    a[0, 0, :, 2:] = 5.0
    pooled = cnn._pool(a)
    da = cnn._unpool(np.ones_like(pooled), a, pooled)
    assert da[0, 0].tolist() == [[1, 0, 1, 0], [0, 0, 0, 0]]
