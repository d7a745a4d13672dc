"""The optimizers against their published update rules, and the Optimizer machinery.

The rule tests minimise a quadratic, loss(w) = sum(A * (w - c)^2), whose gradient is known in
closed form, 2 A (w - c). For drawn hyperparameters, a few steps of our optimizer must equal the
update rule written out below in plain, out-of-place NumPy, straight from the algorithm boxes of
the papers / PyTorch's docs (not from our implementation, which works in place in scratch
buffers).

The rest covers what every optimizer shares: in-place float32 updates without graph or per-step
allocation, frozen parameters, zero_grad, closures, param groups, state_dict round trips and
resuming, and the errors for bad hyperparameters and parameters.
"""

from __future__ import annotations

import pickle
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
import tinygrad_edu.optim as optim

STEPS = 5
RTOL, ATOL = 1e-9, 1e-12

# ------------------------------------------------------------------------ the quadratic


@st.composite
def quadratics(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(A, c, w0) for loss = sum(A (w - c)^2): A in [0.5, 2] (curvature), c and w0 bounded."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4))

    def values(low: float, high: float) -> st.SearchStrategy[np.ndarray]:
        return hnp.arrays(np.float64, shape, elements=st.floats(low, high, allow_nan=False,
                                                               allow_subnormal=False))

    return draw(values(0.5, 2.0)), draw(values(-1.0, 1.0)), draw(values(-2.0, 2.0))


def quadratic_grad(A: np.ndarray, c: np.ndarray, w: np.ndarray) -> np.ndarray:
    return 2 * A * (w - c)


def run_ours(make: Callable[[list[tg.Tensor]], optim.Optimizer], problem: tuple,
             steps: int = STEPS) -> list[np.ndarray]:
    """w after each of ``steps`` steps, gradients from our autograd."""
    A, c, w0 = problem
    w = tg.Tensor(w0.copy(), requires_grad=True)
    A_t, c_t = tg.Tensor(A), tg.Tensor(c)
    opt = make([w])
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        diff = w - c_t
        (A_t * diff * diff).sum().backward()
        opt.step()
        trajectory.append(w.data.numpy().copy())
    return trajectory


def assert_trajectories_equal(ours: list[np.ndarray], expected: list[np.ndarray]) -> None:
    for t, (a, b) in enumerate(zip(ours, expected, strict=True), start=1):
        assert np.all(np.isfinite(b)), "the hand-computed rule left the finite range"
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, err_msg=f"after step {t}")


# ------------------------------------------------------------------------ the rules by hand


def sgd_by_hand(problem: tuple, lr: float, momentum: float, dampening: float,
                weight_decay: float, nesterov: bool, maximize: bool) -> list[np.ndarray]:
    A, c, w = problem
    b = None
    out = []
    for _ in range(STEPS):
        g = quadratic_grad(A, c, w)
        if maximize:
            g = -g
        g = g + weight_decay * w
        if momentum != 0:
            b = g if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        w = w - lr * g
        out.append(w)
    return out


def adam_by_hand(problem: tuple, lr: float, betas: tuple[float, float], eps: float,
                 weight_decay: float, amsgrad: bool, maximize: bool,
                 decoupled: bool) -> list[np.ndarray]:
    A, c, w = problem
    beta1, beta2 = betas
    m = v = v_max = np.zeros_like(w)
    out = []
    for t in range(1, STEPS + 1):
        g = quadratic_grad(A, c, w)
        if maximize:
            g = -g
        if decoupled:
            w = w - lr * weight_decay * w
        else:
            g = g + weight_decay * w
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v_hat = v_max / (1 - beta2**t)
        else:
            v_hat = v / (1 - beta2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(w)
    return out


def rmsprop_by_hand(problem: tuple, lr: float, alpha: float, eps: float, weight_decay: float,
                    momentum: float, centered: bool, maximize: bool) -> list[np.ndarray]:
    A, c, w = problem
    v = g_ave = b = np.zeros_like(w)
    out = []
    for _ in range(STEPS):
        g = quadratic_grad(A, c, w)
        if maximize:
            g = -g
        g = g + weight_decay * w
        v = alpha * v + (1 - alpha) * g**2
        v_tilde = v
        if centered:
            g_ave = alpha * g_ave + (1 - alpha) * g
            v_tilde = v - g_ave**2
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            w = w - lr * b
        else:
            w = w - lr * g / (np.sqrt(v_tilde) + eps)
        out.append(w)
    return out


def adagrad_by_hand(problem: tuple, lr: float, lr_decay: float, weight_decay: float,
                    initial_accumulator_value: float, eps: float,
                    maximize: bool) -> list[np.ndarray]:
    A, c, w = problem
    state_sum = np.full_like(w, initial_accumulator_value)
    out = []
    for t in range(1, STEPS + 1):
        g = quadratic_grad(A, c, w)
        if maximize:
            g = -g
        g = g + weight_decay * w
        clr = lr / (1 + (t - 1) * lr_decay)
        state_sum = state_sum + g**2
        w = w - clr * g / (np.sqrt(state_sum) + eps)
        out.append(w)
    return out


def adadelta_by_hand(problem: tuple, lr: float, rho: float, eps: float, weight_decay: float,
                     maximize: bool) -> list[np.ndarray]:
    A, c, w = problem
    v = u = np.zeros_like(w)
    out = []
    for _ in range(STEPS):
        g = quadratic_grad(A, c, w)
        if maximize:
            g = -g
        g = g + weight_decay * w
        v = rho * v + (1 - rho) * g**2
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta**2
        w = w - lr * delta
        out.append(w)
    return out


# ------------------------------------------------------------------------ rule tests

lrs = st.floats(1e-3, 0.3)
decays = st.one_of(st.just(0.0), st.floats(1e-3, 0.5))
fractions = st.floats(0.0, 0.95)


@given(problem=quadratics(), lr=lrs, momentum=st.one_of(st.just(0.0), st.floats(0.1, 0.95)),
       dampening=fractions, weight_decay=decays, nesterov=st.booleans(),
       maximize=st.booleans())
def test_sgd_follows_its_rule(problem: tuple, lr: float, momentum: float, dampening: float,
                              weight_decay: float, nesterov: bool, maximize: bool) -> None:
    if nesterov:  # Nesterov is defined for momentum > 0 without dampening
        momentum, dampening = max(momentum, 0.5), 0.0
    hp = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
              nesterov=nesterov, maximize=maximize)
    assert_trajectories_equal(run_ours(lambda ps: optim.SGD(ps, **hp), problem),
                              sgd_by_hand(problem, **hp))


betas_strategy = st.tuples(st.floats(0.0, 0.99), st.floats(0.0, 0.999))


@given(problem=quadratics(), lr=lrs, betas=betas_strategy,
       eps=st.sampled_from([1e-8, 1e-3, 0.1]), weight_decay=decays, amsgrad=st.booleans(),
       maximize=st.booleans(), adamw=st.booleans())
def test_adam_and_adamw_follow_their_rule(problem: tuple, lr: float, betas: tuple[float, float],
                                          eps: float, weight_decay: float, amsgrad: bool,
                                          maximize: bool, adamw: bool) -> None:
    hp = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
              maximize=maximize)
    cls = optim.AdamW if adamw else optim.Adam
    assert_trajectories_equal(run_ours(lambda ps: cls(ps, **hp), problem),
                              adam_by_hand(problem, **hp, decoupled=adamw))


@given(problem=quadratics(), lr=lrs, alpha=st.floats(0.5, 0.99),
       eps=st.sampled_from([1e-8, 1e-3]), weight_decay=decays,
       momentum=st.one_of(st.just(0.0), st.floats(0.1, 0.9)), centered=st.booleans(),
       maximize=st.booleans())
def test_rmsprop_follows_its_rule(problem: tuple, lr: float, alpha: float, eps: float,
                                  weight_decay: float, momentum: float, centered: bool,
                                  maximize: bool) -> None:
    hp = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
              centered=centered, maximize=maximize)
    assert_trajectories_equal(run_ours(lambda ps: optim.RMSprop(ps, **hp), problem),
                              rmsprop_by_hand(problem, **hp))


@given(problem=quadratics(), lr=lrs, lr_decay=decays, weight_decay=decays,
       initial_accumulator_value=st.one_of(st.just(0.0), st.floats(0.01, 1.0)),
       eps=st.sampled_from([1e-10, 1e-3]), maximize=st.booleans())
def test_adagrad_follows_its_rule(problem: tuple, lr: float, lr_decay: float,
                                  weight_decay: float, initial_accumulator_value: float,
                                  eps: float, maximize: bool) -> None:
    hp = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
              initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize)
    assert_trajectories_equal(run_ours(lambda ps: optim.Adagrad(ps, **hp), problem),
                              adagrad_by_hand(problem, **hp))


@given(problem=quadratics(), lr=st.floats(0.1, 2.0), rho=st.floats(0.0, 0.99),
       eps=st.sampled_from([1e-6, 1e-3]), weight_decay=decays, maximize=st.booleans())
def test_adadelta_follows_its_rule(problem: tuple, lr: float, rho: float, eps: float,
                                   weight_decay: float, maximize: bool) -> None:
    hp = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
    assert_trajectories_equal(run_ours(lambda ps: optim.Adadelta(ps, **hp), problem),
                              adadelta_by_hand(problem, **hp))


def test_the_comparison_notices_a_small_change() -> None:
    """Negative control: a learning rate off by one part in a million already fails the
    comparison above, so agreement there means the rule is followed, not approximated."""
    rng = np.random.default_rng(0)
    problem = (rng.uniform(0.5, 2, 4), rng.uniform(-1, 1, 4), rng.uniform(-2, 2, 4))
    ours = run_ours(lambda ps: optim.Adam(ps, lr=0.1), problem)
    off = adam_by_hand(problem, lr=0.1 * (1 + 1e-6), betas=(0.9, 0.999), eps=1e-8,
                       weight_decay=0, amsgrad=False, maximize=False, decoupled=False)
    with pytest.raises(AssertionError):
        assert_trajectories_equal(ours, off)


# ------------------------------------------------------------------------ shared machinery

# One factory per optimizer and option family, used by the machinery tests below.
CONFIGS: dict[str, Callable[[list[Any]], optim.Optimizer]] = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1),
    "SGD-momentum-wd-maximize": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1,
                                                      weight_decay=0.01, maximize=True),
    "SGD-nesterov": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "Adam": lambda ps: optim.Adam(ps, lr=0.01),
    "Adam-amsgrad-wd-maximize": lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True,
                                                      weight_decay=0.1, maximize=True),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.01, amsgrad=True),
    "RMSprop": lambda ps: optim.RMSprop(ps),
    "RMSprop-centered-momentum-wd": lambda ps: optim.RMSprop(ps, momentum=0.5, centered=True,
                                                             weight_decay=0.1, maximize=True),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01, weight_decay=0.1,
                                        initial_accumulator_value=0.1),
    "Adadelta": lambda ps: optim.Adadelta(ps, weight_decay=0.1, maximize=True),
}
config_names = pytest.mark.parametrize("name", list(CONFIGS))


def mlp_params(dtype: Any = np.float64, seed: int = 0) -> list[tg.Tensor]:
    """W1 (6, 5), b1 (5,), W2 (5, 3), b2 (3,) of a small MLP, as plain leaf tensors."""
    rng = np.random.default_rng(seed)
    shapes = [(6, 5), (5,), (5, 3), (3,)]
    return [tg.Tensor((rng.standard_normal(s) * 0.5).astype(dtype), requires_grad=True)
            for s in shapes]


def mlp_loss(params: list[tg.Tensor], step: int) -> tg.Tensor:
    """Cross-entropy of the MLP on a minibatch that depends on the step (so every step differs)."""
    rng = np.random.default_rng(1000 + step)
    dtype = params[0].dtype
    x = tg.Tensor(rng.standard_normal((8, 6)).astype(dtype))
    y = tg.tensor(rng.integers(0, 3, 8))
    W1, b1, W2, b2 = params
    return F.cross_entropy((x @ W1 + b1).relu() @ W2 + b2, y)


def train(opt: optim.Optimizer, params: list[tg.Tensor], steps: range) -> None:
    for step in steps:
        opt.zero_grad()
        mlp_loss(params, step).backward()
        opt.step()


@config_names
def test_step_is_in_place_keeps_float32_and_records_no_graph(name: str) -> None:
    params = mlp_params(np.float32)
    arrays = [p.data.numpy() for p in params]
    opt = CONFIGS[name](params)
    train(opt, params, range(3))
    for p, array in zip(params, arrays, strict=True):
        assert p.data.numpy() is array  # updated in place, not replaced
        assert p.dtype == np.float32
        assert p.is_leaf and p.grad_fn is None and p.requires_grad
        for value in opt.state[p].values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32 and value.shape == p.shape
    assert not np.array_equal(params[0].data.numpy(), mlp_params(np.float32)[0].data.numpy())


@config_names
def test_steps_allocate_no_parameter_sized_arrays(name: str) -> None:
    """After the first step (which creates the state), a step allocates no temporaries the
    size of the parameter: NumPy reports its allocations to tracemalloc."""
    p = tg.Tensor(np.random.default_rng(0).standard_normal(50_000), requires_grad=True)
    opt = CONFIGS[name]([p])
    p.grad = tg.Tensor(np.random.default_rng(1).standard_normal(50_000))
    opt.step()
    opt.step()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        opt.step()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert peak < p.data.numpy().nbytes // 4, f"a step allocated {peak} bytes"


def test_parameters_without_grad_are_skipped() -> None:
    frozen, live = tg.Tensor([1.0, 2.0], requires_grad=True), tg.Tensor([3.0], requires_grad=True)
    opt = optim.Adam([frozen, live], lr=0.1)
    live.grad = tg.Tensor([1.0])
    opt.step()
    np.testing.assert_array_equal(frozen.data.numpy(), [1.0, 2.0])
    assert frozen not in opt.state and live in opt.state
    assert live.data.numpy()[0] < 3.0


def test_zero_grad_sets_none_or_zeros_in_place() -> None:
    p = tg.Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    grad_array = p.grad.data.numpy()
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and p.grad.data.numpy() is grad_array
    np.testing.assert_array_equal(p.grad.data.numpy(), [0.0, 0.0])
    opt.zero_grad()
    assert p.grad is None


def test_step_with_closure_returns_the_loss_and_enables_grad() -> None:
    p = tg.Tensor([3.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.25)

    def closure() -> tg.Tensor:
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with tg.no_grad():  # the closure still records a graph, as in PyTorch
        loss = opt.step(closure)
    assert float(loss) == 9.0
    np.testing.assert_allclose(p.data.numpy(), [3.0 - 0.25 * 6.0])


def test_a_step_invalidates_graphs_that_saved_the_parameter() -> None:
    """The step changes p in place; a graph recorded before it must not backward with the new
    values (the engine's in-place check, fed by the optimizer's version bump)."""
    p = tg.Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    loss = (p * p).sum()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_param_groups_have_their_own_hyperparameters() -> None:
    a, b = tg.Tensor([1.0], requires_grad=True), tg.Tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[0]["momentum"] == 0 and opt.param_groups[1]["momentum"] == 0.9
    a.grad, b.grad = tg.Tensor([1.0]), tg.Tensor([1.0])
    opt.step()
    np.testing.assert_allclose([a.data.numpy()[0], b.data.numpy()[0]], [0.9, 0.5])

    c = tg.Tensor([1.0], requires_grad=True)
    opt.add_param_group({"params": [c], "lr": 1.0})
    c.grad = tg.Tensor([2.0])
    opt.step()
    np.testing.assert_allclose(c.data.numpy(), [-1.0])
    assert opt.param_groups[2]["dampening"] == 0  # filled from the defaults
    assert "Parameter Group 2" in repr(opt) and "lr: 1.0" in repr(opt)


# ------------------------------------------------------------------------ state_dict, resuming


@config_names
def test_resuming_from_a_state_dict_gives_the_same_trajectory(name: str, tmp_path: Path) -> None:
    """10 steps in one go == 5 steps, state_dict (saved to a file), a NEW optimizer on NEW
    parameters holding the saved values, load_state_dict, 5 more steps -- bit for bit."""
    straight = mlp_params()
    train(CONFIGS[name](straight), straight, range(10))

    first = mlp_params()
    opt = CONFIGS[name](first)
    train(opt, first, range(5))
    tg.save(opt.state_dict(), tmp_path / "optimizer.ckpt")  # through a checkpoint file
    saved = tg.load(tmp_path / "optimizer.ckpt")
    resumed = [tg.Tensor(p.data.numpy().copy(), requires_grad=True) for p in first]
    new_opt = CONFIGS[name](resumed)
    new_opt.load_state_dict(saved)
    train(new_opt, resumed, range(5, 10))

    for a, b in zip(straight, resumed, strict=True):
        np.testing.assert_array_equal(a.data.numpy(), b.data.numpy())


@config_names
def test_state_dict_is_a_copy(name: str) -> None:
    params = mlp_params()
    opt = CONFIGS[name](params)
    train(opt, params, range(2))
    saved = opt.state_dict()
    snapshot = pickle.dumps(saved)
    train(opt, params, range(2, 4))
    assert pickle.dumps(saved) == snapshot  # later steps did not write into the saved arrays
    loaded = CONFIGS[name](mlp_params())
    loaded.load_state_dict(saved)
    train(loaded, params, range(4, 5))
    assert pickle.dumps(saved) == snapshot  # nor did steps after loading it


def test_state_dict_layout_is_pytorchs() -> None:
    params = mlp_params()
    opt = optim.Adam([{"params": params[:2]}, {"params": params[2:], "lr": 0.1}], lr=0.01)
    params[0].grad = tg.Tensor(np.ones((6, 5)))
    params[3].grad = tg.Tensor(np.ones(3))
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2, 3]]
    assert [g["lr"] for g in sd["param_groups"]] == [0.01, 0.1]
    assert sorted(sd["state"]) == [0, 3]  # only parameters that have stepped have state
    assert sd["state"][0]["step"] == 1
    assert set(sd["state"][3]) == {"step", "exp_avg", "exp_avg_sq"}
    assert sd["state"][0]["exp_avg"] is not opt.state[params[0]]["exp_avg"]


def test_load_state_dict_casts_to_the_parameter_dtype_and_copies() -> None:
    p64 = tg.Tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([p64], lr=0.1, momentum=0.9)
    p64.grad = tg.Tensor(np.ones(3))
    opt.step()
    saved = opt.state_dict()
    p32 = tg.Tensor(np.ones(3, np.float32), requires_grad=True)
    opt32 = optim.SGD([p32], lr=0.1, momentum=0.9)
    opt32.load_state_dict(saved)
    buffer = opt32.state[p32]["momentum_buffer"]
    assert buffer.dtype == np.float32
    assert not np.shares_memory(buffer, saved["state"][0]["momentum_buffer"])


def test_load_state_dict_refuses_a_mismatch() -> None:
    params = mlp_params()
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    train(opt, params, range(1))
    saved = opt.state_dict()
    with pytest.raises(ValueError, match="1 parameter groups, this optimizer has 2"):
        optim.SGD([{"params": params[:2]}, {"params": params[2:]}], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="4 parameters in group 0, this optimizer has 3"):
        optim.SGD(params[:3], lr=0.1).load_state_dict(saved)
    swapped = [params[2], params[1], params[0], params[3]]  # (5, 3) where (6, 5) was saved
    with pytest.raises(ValueError, match=r"'momentum_buffer' of parameter 0 has shape \(6, 5\)"):
        optim.SGD(swapped, lr=0.1, momentum=0.9).load_state_dict(saved)
    saved["param_groups"][0]["lr"] = -1.0
    with pytest.raises(ValueError, match="lr=-1.0"):
        optim.SGD(params, lr=0.1).load_state_dict(saved)


# ------------------------------------------------------------------------ errors


def one_param() -> list[tg.Tensor]:
    return [tg.Tensor([1.0], requires_grad=True)]


BAD_HYPERPARAMETERS = [
    (optim.SGD, {"lr": -0.1}, "lr=-0.1"),
    (optim.SGD, {"lr": float("nan")}, "lr=nan"),
    (optim.SGD, {"momentum": -0.5}, "momentum=-0.5"),
    (optim.SGD, {"dampening": float("nan")}, "dampening=nan"),  # negative is fine (PyTorch)
    (optim.SGD, {"weight_decay": -1e-4}, "weight_decay=-0.0001"),
    (optim.SGD, {"nesterov": True}, "nesterov=True with momentum=0"),
    (optim.SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "dampening=0.1"),
    (optim.Adam, {"lr": -1e-3}, "lr=-0.001"),
    (optim.Adam, {"betas": (1.0, 0.999)}, r"betas\[0\]=1.0"),
    (optim.Adam, {"betas": (0.9, -0.1)}, r"betas\[1\]=-0.1"),
    (optim.Adam, {"betas": (0.9,)}, "invalid betas=.*pair"),
    (optim.Adam, {"eps": -1e-8}, "eps=-1e-08"),
    (optim.Adam, {"weight_decay": -0.1}, "weight_decay=-0.1"),
    (optim.AdamW, {"betas": (0.9, 1.5)}, r"betas\[1\]=1.5"),
    (optim.AdamW, {"weight_decay": -0.01}, "weight_decay=-0.01"),
    (optim.RMSprop, {"lr": -0.01}, "lr=-0.01"),
    (optim.RMSprop, {"alpha": 1.5}, "alpha=1.5"),
    (optim.RMSprop, {"eps": -1.0}, "eps=-1.0"),
    (optim.RMSprop, {"momentum": -0.9}, "momentum=-0.9"),
    (optim.RMSprop, {"weight_decay": -0.1}, "weight_decay=-0.1"),
    (optim.Adagrad, {"lr": -0.01}, "lr=-0.01"),
    (optim.Adagrad, {"lr_decay": -0.1}, "lr_decay=-0.1"),
    (optim.Adagrad, {"initial_accumulator_value": -1.0}, "initial_accumulator_value=-1.0"),
    (optim.Adagrad, {"eps": -1e-10}, "eps=-1e-10"),
    (optim.Adagrad, {"weight_decay": -0.1}, "weight_decay=-0.1"),
    (optim.Adadelta, {"lr": -1.0}, "lr=-1.0"),
    (optim.Adadelta, {"rho": 1.1}, "rho=1.1"),
    (optim.Adadelta, {"rho": -0.1}, "rho=-0.1"),
    (optim.Adadelta, {"eps": -1e-6}, "eps=-1e-06"),
    (optim.Adadelta, {"weight_decay": -0.1}, "weight_decay=-0.1"),
]


@pytest.mark.parametrize("cls, kwargs, message", BAD_HYPERPARAMETERS)
def test_bad_hyperparameters_are_named(cls: type, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cls(one_param(), **kwargs)
    # ... also when only one param group overrides a good default with the bad value
    with pytest.raises(ValueError, match=f"param group 1: .*{message}"):
        cls([{"params": one_param()}, {"params": one_param(), **kwargs}])


@pytest.mark.parametrize("params, error, message", [
    (lambda: tg.Tensor([1.0], requires_grad=True), TypeError, "single Tensor"),
    (lambda: [], ValueError, "empty parameter list"),
    (lambda: {tg.Tensor([1.0], requires_grad=True)}, TypeError, "not a set"),
    (lambda: [tg.Tensor([1.0], requires_grad=True), np.ones(2)], TypeError,
     "one of the params is ndarray .*parameter 1"),
    (lambda: [tg.Tensor([1.0], requires_grad=True) * 2], ValueError, "non-leaf"),
], ids=["tensor", "empty", "set", "ndarray", "non-leaf"])
def test_bad_parameters_are_refused(params: Callable[[], Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        optim.SGD(params(), lr=0.1)


def test_frozen_parameters_are_accepted_and_left_alone() -> None:
    # the usual freezing pattern (seed 003's encoder): pass all parameters, freeze some
    frozen = tg.Tensor([1.0, 2.0])
    trained = tg.Tensor([1.0, 2.0], requires_grad=True)
    optimizer = optim.SGD([frozen, trained], lr=0.5)
    (trained * trained).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(frozen.data.numpy(), [1.0, 2.0])
    np.testing.assert_allclose(trained.data.numpy(), [0.0, 0.0])


def test_a_parameter_may_appear_only_once() -> None:
    p = tg.Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="parameter 1 .* appears more than once"):
        optim.SGD([p, p], lr=0.1)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="param group 1, parameter 0 .* more than once"):
        opt.add_param_group({"params": [p]})
