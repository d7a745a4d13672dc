"""PyTorch as the oracle: same start, same data, same trajectories.

A 6-5-3 MLP (relu, cross-entropy, float64) is trained for 20 steps from identical weights on the
same minibatches by our optimizer and by ``torch.optim``'s, for every optimizer and option; the
parameters must agree to a relative 1e-5 after every step. The schedulers must produce torch's
learning-rate sequences (ReduceLROnPlateau fed the same metrics).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
import tinygrad_edu.optim as optim
from tinygrad_edu.optim import lr_scheduler

torch = pytest.importorskip(
    "torch", reason="torch is not installed: the PyTorch-oracle comparisons are skipped"
)

STEPS = 20
SHAPES = [(6, 5), (5,), (5, 3), (3,)]
RTOL = 1e-5

# (optimizer name, keyword arguments): the same name and arguments build ours and torch's.
OPTIMIZERS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05,
             "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.02}),
    ("Adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-4}),
    ("Adam", {"lr": 0.02, "amsgrad": True}),
    ("Adam", {"lr": 0.02, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.02, "maximize": True}),
    ("Adam", {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.3}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.1, "amsgrad": True, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.005, "alpha": 0.9, "eps": 1e-6}),
    ("RMSprop", {"momentum": 0.5}),
    ("RMSprop", {"centered": True}),
    ("RMSprop", {"weight_decay": 0.1}),
    ("RMSprop", {"momentum": 0.5, "centered": True, "weight_decay": 0.1, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"lr": 0.1, "eps": 1e-3, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.7, "eps": 1e-4}),
    ("Adadelta", {"weight_decay": 0.1}),
    ("Adadelta", {"maximize": True}),
]


def initial_weights(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) * 0.5 for s in SHAPES]


def batch(step: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(100 + step)
    return rng.standard_normal((8, 6)), rng.integers(0, 3, 8)


def our_loss(ps: Sequence[tg.Tensor], step: int) -> tg.Tensor:
    x, y = batch(step)
    W1, b1, W2, b2 = ps
    return F.cross_entropy((tg.Tensor(x) @ W1 + b1).relu() @ W2 + b2, tg.tensor(y))


def torch_loss(ps: Sequence[Any], step: int) -> Any:
    x, y = batch(step)
    W1, b1, W2, b2 = ps
    logits = (torch.from_numpy(x) @ W1 + b1).relu() @ W2 + b2
    return torch.nn.functional.cross_entropy(logits, torch.from_numpy(y))


def train_both(make_ours: Callable[[list[tg.Tensor]], Any],
               make_torch: Callable[[list[Any]], Any], steps: int = STEPS,
               schedulers: tuple[Callable[[Any], Any], Callable[[Any], Any]] | None = None,
               ) -> None:
    """Train both from the same weights; compare every parameter after every step."""
    weights = initial_weights()
    ours = [tg.Tensor(w.copy(), requires_grad=True) for w in weights]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in weights]
    opt, topt = make_ours(ours), make_torch(theirs)
    sched = tsched = None
    if schedulers is not None:
        sched, tsched = schedulers[0](opt), schedulers[1](topt)
    for step in range(steps):
        opt.zero_grad()
        topt.zero_grad()
        our_loss(ours, step).backward()
        torch_loss(theirs, step).backward()
        opt.step()
        topt.step()
        if sched is not None:
            sched.step()
            tsched.step()
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            b = b.detach().numpy()
            rel = np.max(np.abs(a.data.numpy() - b)) / max(np.max(np.abs(b)), 1e-12)
            assert rel <= RTOL, f"parameter {i} after step {step + 1}: relative diff {rel:.3g}"


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS,
                         ids=[f"{n}-{'-'.join(k) or 'defaults'}" for n, k in OPTIMIZERS])
def test_trajectory_matches_torch(name: str, kwargs: dict[str, Any]) -> None:
    train_both(lambda ps: getattr(optim, name)(ps, **kwargs),
               lambda ps: getattr(torch.optim, name)(ps, **kwargs))


def test_the_trajectory_comparison_can_fail() -> None:
    """Negative control: a slightly different momentum is caught within 20 steps."""
    with pytest.raises(AssertionError, match="relative diff"):
        train_both(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                   lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9001))


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("Adam", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
])
def test_param_groups_with_different_hyperparameters_match_torch(
        name: str, kwargs: dict[str, Any]) -> None:
    """Two groups (different lr, and weight decay in one) plus a frozen bias (grad None)."""

    def groups(ps: list[Any]) -> list[dict[str, Any]]:
        return [{"params": ps[:2]}, {"params": ps[2:], "lr": kwargs["lr"] * 3,
                                     "weight_decay": 0.05}]

    def frozen_bias(make: Callable[[list[Any]], Any]) -> Callable[[list[Any]], Any]:
        def build(ps: list[Any]) -> Any:
            opt = make(ps)
            inner_step = opt.step

            def step() -> None:
                ps[3].grad = None  # b2 takes no part in this run's updates
                inner_step()

            opt.step = step
            return opt
        return build

    train_both(frozen_bias(lambda ps: getattr(optim, name)(groups(ps), **kwargs)),
               frozen_bias(lambda ps: getattr(torch.optim, name)(groups(ps), **kwargs)))


def test_training_with_a_scheduler_matches_torch() -> None:
    train_both(lambda ps: optim.SGD(ps, lr=0.2, momentum=0.9),
               lambda ps: torch.optim.SGD(ps, lr=0.2, momentum=0.9),
               schedulers=(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
                           lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(
                               o, T_max=7, eta_min=0.01)))


# ------------------------------------------------------------------------ schedulers


def lr_sequences(make_ours: Callable[[Any], Any], make_torch: Callable[[Any], Any],
                 epochs: int = 30, lrs: Sequence[float] = (0.1, 0.03),
                 last_epoch: int = -1) -> tuple[list[list[float]], list[list[float]]]:
    """get_last_lr() after construction and after each of ``epochs`` steps, for ours and
    torch's scheduler on optimizers with one param group per entry of ``lrs``."""
    ours_opt = optim.SGD([{"params": [tg.Tensor([1.0], requires_grad=True)], "lr": lr}
                          for lr in lrs])
    torch_opt = torch.optim.SGD([{"params": [torch.ones(1, requires_grad=True)], "lr": lr}
                                 for lr in lrs])
    if last_epoch >= 0:  # resuming needs initial_lr in the groups
        for opt in (ours_opt, torch_opt):
            for group in opt.param_groups:
                group["initial_lr"] = group["lr"]
    ours, theirs = make_ours(ours_opt), make_torch(torch_opt)
    seq, tseq = [ours.get_last_lr()], [theirs.get_last_lr()]
    for _ in range(epochs):
        ours_opt.step()
        torch_opt.step()
        ours.step()
        theirs.step()
        seq.append(ours.get_last_lr())
        tseq.append(theirs.get_last_lr())
        assert [g["lr"] for g in ours_opt.param_groups] == seq[-1]
    return seq, tseq


SCHEDULERS = [
    ("StepLR", {"step_size": 4}),
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 11], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.005}),  # 30 epochs: past T_max, twice
]


@pytest.mark.parametrize("name, kwargs", SCHEDULERS)
@pytest.mark.parametrize("last_epoch", [-1, 4])
def test_scheduler_lr_sequence_matches_torch(name: str, kwargs: dict[str, Any],
                                             last_epoch: int) -> None:
    seq, tseq = lr_sequences(
        lambda o: getattr(lr_scheduler, name)(o, **kwargs, last_epoch=last_epoch),
        lambda o: getattr(torch.optim.lr_scheduler, name)(o, **kwargs, last_epoch=last_epoch),
        last_epoch=last_epoch)
    np.testing.assert_allclose(seq, tseq, rtol=1e-12, atol=1e-15)


def test_lambda_lr_sequence_matches_torch() -> None:
    lambdas = [lambda e: 0.95**e, lambda e: 1.0 / (1 + e // 3)]
    seq, tseq = lr_sequences(lambda o: lr_scheduler.LambdaLR(o, lambdas),
                             lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambdas))
    np.testing.assert_allclose(seq, tseq, rtol=1e-12, atol=1e-15)


@given(metrics=st.lists(st.sampled_from([1.0, 0.99995, 0.9, 0.8, 1.2, 0.5, 0.5, 0.4999, -1.0]),
                        min_size=1, max_size=40),
       mode=st.sampled_from(["min", "max"]), threshold_mode=st.sampled_from(["rel", "abs"]),
       threshold=st.sampled_from([0.0, 1e-4, 0.05]), patience=st.integers(0, 3),
       cooldown=st.integers(0, 2), factor=st.sampled_from([0.1, 0.5]),
       min_lr=st.sampled_from([0.0, 0.02, [0.0, 0.01]]), eps=st.sampled_from([1e-8, 0.01]))
def test_reduce_lr_on_plateau_matches_torch(metrics: list[float], mode: str,
                                            threshold_mode: str, threshold: float,
                                            patience: int, cooldown: int, factor: float,
                                            min_lr: Any, eps: float) -> None:
    kwargs = dict(mode=mode, factor=factor, patience=patience, threshold=threshold,
                  threshold_mode=threshold_mode, cooldown=cooldown, min_lr=min_lr, eps=eps)
    ours_opt = optim.SGD([{"params": [tg.Tensor([1.0], requires_grad=True)], "lr": lr}
                          for lr in (0.1, 0.05)])
    torch_opt = torch.optim.SGD([{"params": [torch.ones(1, requires_grad=True)], "lr": lr}
                                 for lr in (0.1, 0.05)])
    ours = lr_scheduler.ReduceLROnPlateau(ours_opt, **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_opt, **kwargs)
    for metric in metrics:
        ours.step(metric)
        theirs.step(metric)
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert ours.num_bad_epochs == theirs.num_bad_epochs
        assert ours.cooldown_counter == theirs.cooldown_counter
