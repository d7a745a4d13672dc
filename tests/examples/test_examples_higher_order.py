"""The higher-order examples: Newton's method with f'' from create_graph=True, a critic trained
with a gradient penalty, Hessian-vector products of a network loss. Each runs as a user runs
it (a subprocess, checking what it prints) and its functions are checked against closed forms
and against PyTorch on the same weights."""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.autograd import functional as AF

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_script(name: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def load(name: str) -> dict:
    """The example's functions (its ``main`` is not run)."""
    return runpy.run_path(str(EXAMPLES / name), run_name="example")




# ------------------------------------------------------------------------- Newton


def test_newton_example_prints_the_closed_form_minimum():
    out = run_script("newton_second_derivative.py")
    assert "minimum x = 1.000000000000000 (closed form: 1)" in out
    assert "f = -1.000000000000000" in out
    assert "Newton: 7 steps" in out


def test_newton_iterates_use_the_closed_form_second_derivative_and_match_torch():
    torch = pytest.importorskip("torch")
    result = load("newton_second_derivative.py")["main"]()
    history = result["history"]
    assert result["x"] == pytest.approx(1.0, abs=1e-15) and result["newton_steps"] == 7
    assert result["gd_steps"] > 100  # Newton's lesson: 7 steps against hundreds
    for h in history:
        x = h["x"]
        assert h["f1"] == pytest.approx(4 * x**3 - 4 * x, rel=1e-12, abs=1e-14)
        assert h["f2"] == pytest.approx(h["f2_closed_form"], rel=1e-12)
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(xt**4 - 2 * xt**2, xt, create_graph=True)
        (gg,) = torch.autograd.grad(g, xt)
        assert h["f2"] == pytest.approx(gg.item(), rel=1e-13)
    # each x is the Newton step from the one before
    for before, after in zip(history[:-1], history[1:], strict=True):
        assert after["x"] == pytest.approx(before["x"] - before["f1"] / before["f2"], rel=1e-15)


# ------------------------------------------------------------------------ gradient penalty


def test_gradient_penalty_example_reaches_the_closed_form_optimum():
    out = run_script("gradient_penalty.py")
    example = load("gradient_penalty.py")
    slope, distance = example["SLOPE"], example["DISTANCE"]
    assert f"closed form {slope * distance:.4f}" in out and f"closed form {slope:.4f}" in out
    found = re.search(r"E_P\[D\] - E_Q\[D\] = ([\d.]+) .*\|dD/dx\| = ([\d.]+) \+- ([\d.]+)", out)
    assert found, out
    estimate, norm_mean, norm_std = map(float, found.groups())
    # the soft penalty's optimum: |dD/dx| = 1 + W / (2 lambda), estimate = slope * W
    assert norm_mean == pytest.approx(slope, abs=0.05)
    assert norm_std < 0.1  # a nearly linear critic: the same slope everywhere
    assert estimate == pytest.approx(slope * distance, abs=0.15)
    assert estimate / norm_mean == pytest.approx(distance, abs=0.12)


def test_gradient_of_the_penalty_wrt_the_weights_matches_torch():
    """The same float64 critic in both libraries: the penalty, the full critic loss and their
    gradients with respect to every weight (a backward pass through a recorded gradient)."""
    torch = pytest.importorskip("torch")
    example = load("gradient_penalty.py")
    critic = example["make_critic"](3, tg.float64)
    twin = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.Tanh(), torch.nn.Linear(32, 32),
                               torch.nn.Tanh(), torch.nn.Linear(32, 1)).double()
    twin.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in
                          critic.state_dict().items()})
    rng = np.random.default_rng(7)
    real, fake = rng.normal(2.0, 1.0, (16, 2)), rng.normal(0.0, 1.0, (16, 2))
    mix = rng.uniform(0.0, 1.0, (16, 1))

    penalty, _ = example["gradient_penalty"](critic, tg.tensor(mix * real + (1 - mix) * fake))
    loss, _, _ = example["critic_loss"](critic, tg.tensor(real), tg.tensor(fake), tg.tensor(mix))
    params = list(critic.parameters())
    grads_penalty = tg.autograd.grad(penalty, params, allow_unused=True)
    grads_loss = tg.autograd.grad(loss, params)

    x_hat = torch.tensor(mix * real + (1 - mix) * fake, requires_grad=True)
    (gx,) = torch.autograd.grad(twin(x_hat).sum(), x_hat, create_graph=True)
    penalty_t = ((((gx * gx).sum(1) + 1e-12).sqrt() - 1) ** 2).mean()
    loss_t = (twin(torch.tensor(fake)).mean() - twin(torch.tensor(real)).mean()
              + example["LAMBDA"] * penalty_t)
    grads_penalty_t = torch.autograd.grad(penalty_t, list(twin.parameters()), retain_graph=True,
                                          allow_unused=True)
    grads_loss_t = torch.autograd.grad(loss_t, list(twin.parameters()))

    assert penalty.item() == pytest.approx(penalty_t.item(), rel=1e-12)
    assert loss.item() == pytest.approx(loss_t.item(), rel=1e-12)
    # dD/dx does not depend on the last bias: no gradient there, in both (and the bias cancels
    # in E_P[D] - E_Q[D]); every other weight's gradient is nonzero
    assert grads_penalty[-1] is None and grads_penalty_t[-1] is None
    for ours, theirs in zip(grads_penalty[:-1], grads_penalty_t[:-1], strict=True):
        assert np.abs(theirs.numpy()).max() > 1e-6
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-9, atol=1e-13)
    for ours, theirs in zip(grads_loss, grads_loss_t, strict=True):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-9, atol=1e-13)


# ------------------------------------------------------------------ Hessian-vector products


def _torch_problem(example: dict):
    torch = pytest.importorskip("torch")
    model, x, y = example["make_problem"](0)
    params = tuple(torch.from_numpy(np.array(p.detach().numpy())) for p in model.parameters())
    xt, yt = torch.from_numpy(x.numpy()), torch.from_numpy(y.numpy())

    def loss(w1, b1, w2, b2):
        hidden = torch.tanh(xt @ w1.T + b1)
        return torch.nn.functional.mse_loss(hidden @ w2.T + b2, yt)

    return torch, model, x, y, params, loss


def test_double_backward_and_finite_difference_hvp_match_torch():
    example = load("hessian_vector_product.py")
    torch, model, x, y, params_t, loss_t = _torch_problem(example)
    params = tuple(p.detach() for p in model.parameters())
    rng = np.random.default_rng(5)
    v = tuple(rng.standard_normal(p.shape) for p in params)
    expected = np.concatenate([t.numpy().ravel() for t in torch.autograd.functional.hvp(
        loss_t, params_t, tuple(torch.from_numpy(a) for a in v))[1]])
    loss = example["loss_of"](x, y)
    double = example["flat"](example["hvp_double_backward"](loss, params,
                                                            tuple(map(tg.tensor, v))))
    fd = example["flat"](example["hvp_finite_differences"](loss, params,
                                                           tuple(map(tg.tensor, v))))
    np.testing.assert_allclose(double, expected, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(fd, expected, rtol=1e-6, atol=1e-8)
    hessian = torch.autograd.functional.hessian(loss_t, params_t)
    blocks = AF.hessian(loss, params)
    for i in range(4):
        for j in range(4):
            np.testing.assert_allclose(blocks[i][j].numpy(), hessian[i][j].numpy(), rtol=1e-9,
                                       atol=1e-13)


def test_hessian_vector_product_example_three_ways_agree():
    example = load("hessian_vector_product.py")
    result = example["main"]()
    torch, _, _, _, params_t, loss_t = _torch_problem(example)
    double, scale = result["double_backward"], np.abs(result["double_backward"]).max()
    np.testing.assert_allclose(result["functional"], double, rtol=1e-10, atol=1e-13 * scale)
    np.testing.assert_allclose(result["finite_differences"], double, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(result["hessian"] @ result["v"], double, rtol=1e-10,
                               atol=1e-13 * scale)
    assert result["power_eigenvalue"] == pytest.approx(result["top_eigenvalue"], rel=1e-8)
    splits = np.cumsum([p.numel() for p in params_t])[:-1]
    v = tuple(torch.from_numpy(a.reshape(p.shape)) for a, p in
              zip(np.split(result["v"], splits), params_t, strict=True))
    expected = np.concatenate([t.numpy().ravel() for t in
                               torch.autograd.functional.hvp(loss_t, params_t, v)[1]])
    np.testing.assert_allclose(result["functional"], expected, rtol=1e-10, atol=1e-13 * scale)
    out = run_script("hessian_vector_product.py")
    assert "functional.hvp vs double backward" in out and "eigvalsh of the full Hessian" in out
