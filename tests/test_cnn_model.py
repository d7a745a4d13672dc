"""The engine's gradients of the benchmark networks (tinygrad_edu.models) equal the closed
forms of tinygrad_edu.reference, and one CNN step's graph draws with its module clusters."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import models
from tinygrad_edu.reference import cnn, mlp_bn

NETWORKS = {"cnn": (models.lenet_bn, cnn, (1, 28, 28), 128),
            "mlp_bn": (models.mlp_bn, mlp_bn, (784,), 512)}


def _setup(name, dtype, n=4, seed=0, dropout=0.0):
    build, reference, shape, hidden = NETWORKS[name]
    rng = np.random.default_rng(seed)
    params = reference.init_params(seed, dtype)
    X = rng.random((n, *shape)).astype(dtype)
    y = rng.integers(0, 10, n)
    model = build(dropout=dropout).to(dtype)
    with tg.no_grad():
        for key, p in model.named_parameters():
            p.copy_(tg.from_numpy(params[key]))
    return model, reference, params, X, y, hidden


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_engine_gradients_equal_the_closed_form(name, dtype, dropout):
    model, reference, params, X, y, hidden = _setup(name, dtype, dropout=dropout)
    keep = None
    if dropout:  # the engine's mask: the first draw of the seeded generator in the forward
        keep = ((np.random.default_rng(5).random((len(X), hidden), dtype=dtype) >= dropout)
                * dtype(1 / (1 - dropout)))
        tg.manual_seed(5)
    loss = F.cross_entropy(model(tg.from_numpy(X)), tg.from_numpy(y))
    loss.backward()
    running = reference.init_running(dtype)
    expected, grads = reference.loss_and_grads(params, X, y, running, keep)
    tol = 1e-10 if dtype == np.float64 else 2e-4
    floor = 0.0 if dtype == np.float64 else 2e-6  # float32 rounding of tiny entries
    assert loss.item() == pytest.approx(expected, rel=tol)
    for key, p in model.named_parameters():
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad.numpy(), grads[key], rtol=tol,
                                   atol=tol * np.abs(grads[key]).max() + floor)
    state = model.state_dict()
    for key, value in running.items():
        bn, stat = key.split(".")
        buffer = state[f"{bn}.running_{stat}"].numpy()
        np.testing.assert_allclose(buffer, value, rtol=1e-6 if dtype == np.float64 else 1e-5,
                                   atol=floor / 10)
    assert int(state["bn1.num_batches_tracked"].item()) == 1
    if name == "cnn":  # eval mode: the running statistics
        model.eval()
        with tg.no_grad():
            out = model(tg.from_numpy(X)).numpy()
        np.testing.assert_allclose(out, reference.forward(params, X, running), rtol=tol * 10,
                                   atol=tol * 10)


def test_the_graph_of_a_cnn_step_draws_with_module_clusters():
    viz = pytest.importorskip("tinygrad_edu.viz.graph")
    model, *_ = _setup("cnn", np.float32, n=2)
    loss = F.cross_entropy(model(tg.rand(2, 1, 28, 28)), tg.tensor([1, 2]))
    dot = viz.to_dot(loss, model=model)
    for layer in ("conv1", "bn1", "pool1", "conv2", "bn2", "fc1", "fc2"):
        assert f"<B>{layer}</B>" in dot, layer  # the cluster of each named layer
    for op in ("Conv", "BatchNorm", "MaxPool", "Linear", "CrossEntropy"):
        assert f"<B>{op}" in dot, op
