"""Learning-rate schedulers: their formulas by hand, last_epoch / initial_lr semantics,
ReduceLROnPlateau's rules traced by hand, resuming from state dicts, and bad arguments."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.optim as optim
from tinygrad_edu.optim import lr_scheduler


def make_optimizer(*lrs: float) -> optim.SGD:
    return optim.SGD([{"params": [tg.Tensor([1.0], requires_grad=True)], "lr": lr}
                      for lr in lrs or (0.1,)])


def lrs_over(scheduler: lr_scheduler.LRScheduler, epochs: int) -> list[float]:
    """The first group's lr at epochs 0, 1, ..., epochs."""
    out = [scheduler.get_last_lr()[0]]
    for _ in range(epochs):
        scheduler.optimizer.step()
        scheduler.step()
        out.append(scheduler.get_last_lr()[0])
    return out


# ------------------------------------------------------------------------ closed forms by hand


@given(base=st.floats(1e-3, 1.0), step_size=st.integers(1, 5), gamma=st.floats(0.1, 0.9))
def test_step_lr(base: float, step_size: int, gamma: float) -> None:
    lrs = lrs_over(lr_scheduler.StepLR(make_optimizer(base), step_size, gamma), 15)
    np.testing.assert_allclose(lrs, [base * gamma ** (e // step_size) for e in range(16)],
                               rtol=1e-12)


@given(base=st.floats(1e-3, 1.0), milestones=st.lists(st.integers(1, 14), max_size=5),
       gamma=st.floats(0.1, 0.9))
def test_multi_step_lr(base: float, milestones: list[int], gamma: float) -> None:
    lrs = lrs_over(lr_scheduler.MultiStepLR(make_optimizer(base), milestones, gamma), 15)
    expected = [base * gamma ** sum(m <= e for m in milestones) for e in range(16)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)


@given(base=st.floats(1e-3, 1.0), gamma=st.floats(0.5, 1.0))
def test_exponential_lr(base: float, gamma: float) -> None:
    lrs = lrs_over(lr_scheduler.ExponentialLR(make_optimizer(base), gamma), 15)
    np.testing.assert_allclose(lrs, [base * gamma**e for e in range(16)], rtol=1e-12)


@given(base=st.floats(1e-2, 1.0), T_max=st.integers(1, 12), eta_min=st.floats(0.0, 1e-3))
def test_cosine_annealing_lr_follows_the_closed_form(base: float, T_max: int,
                                                     eta_min: float) -> None:
    """The recursive update reproduces eta_min + (eta_max - eta_min)(1 + cos(pi t / T_max))/2,
    also past T_max, where the lr climbs back up the cosine."""
    lrs = lrs_over(lr_scheduler.CosineAnnealingLR(make_optimizer(base), T_max, eta_min),
                   3 * T_max)
    expected = [eta_min + (base - eta_min) * (1 + math.cos(math.pi * e / T_max)) / 2
                for e in range(3 * T_max + 1)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-9, atol=1e-12)
    assert lrs[T_max] == pytest.approx(eta_min, abs=1e-12)


def test_lambda_lr_with_one_function_per_group() -> None:
    opt = make_optimizer(0.1, 1.0)
    sched = lr_scheduler.LambdaLR(opt, [lambda e: 1 / (e + 1), lambda e: 0.5**e])
    for _ in range(3):
        opt.step()
        sched.step()
    assert sched.get_last_lr() == pytest.approx([0.1 / 4, 1.0 / 8])
    with pytest.raises(ValueError, match="expected 2 lr_lambdas"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0])


def test_step_with_an_epoch_jumps_with_the_closed_form() -> None:
    sched = lr_scheduler.StepLR(make_optimizer(1.0), step_size=2, gamma=0.5)
    sched.step(7)
    assert sched.last_epoch == 7 and sched.get_last_lr() == [0.125]
    cosine = lr_scheduler.CosineAnnealingLR(make_optimizer(1.0), T_max=4)
    cosine.step(2)
    assert cosine.get_last_lr() == [pytest.approx(0.5)]


# ------------------------------------------------------------------------ last_epoch, initial_lr


def test_construction_is_epoch_zero_and_records_initial_lr() -> None:
    opt = make_optimizer(0.1, 0.2)
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    assert sched.last_epoch == 0
    assert sched.get_last_lr() == [0.1, 0.2] == sched.base_lrs
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
    opt.step()
    sched.step()
    assert sched.last_epoch == 1 and sched.get_last_lr() == [0.05, 0.1]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]  # unchanged


def test_resuming_with_last_epoch_needs_initial_lr() -> None:
    with pytest.raises(KeyError, match=r"param_groups\[0\] has no 'initial_lr'"):
        lr_scheduler.StepLR(make_optimizer(), step_size=2, last_epoch=3)
    opt = make_optimizer(0.3)  # as if loaded from a checkpoint: lr 0.3 now, 1.0 at the start
    opt.param_groups[0]["initial_lr"] = 1.0
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=10, last_epoch=3)
    assert sched.base_lrs == [1.0]
    # the constructor's step moves to epoch 4 and keeps the current lr (as PyTorch's does)
    assert sched.last_epoch == 4 and sched.get_last_lr() == [0.3]
    opt.step()
    sched.step()  # then the recursive rule continues from it
    ratio = (1 + math.cos(math.pi * 5 / 10)) / (1 + math.cos(math.pi * 4 / 10))
    assert sched.get_last_lr() == [pytest.approx(0.3 * ratio)]


def test_get_last_lr_is_a_copy() -> None:
    sched = lr_scheduler.StepLR(make_optimizer(0.1), step_size=1)
    sched.get_last_lr().append(99.0)
    assert sched.get_last_lr() == [0.1]


# ------------------------------------------------------------------------ ReduceLROnPlateau


def plateau(**kwargs: Any) -> lr_scheduler.ReduceLROnPlateau:
    return lr_scheduler.ReduceLROnPlateau(make_optimizer(1.0), **kwargs)


def feed(sched: lr_scheduler.ReduceLROnPlateau, metrics: list[float]) -> list[float]:
    out = []
    for metric in metrics:
        sched.step(metric)
        out.append(sched.get_last_lr()[0])
    return out


def test_plateau_waits_for_more_than_patience_bad_epochs() -> None:
    # epoch 1 sets the best; epochs 2, 3 are bad (2 <= patience); epoch 4 is the third: cut
    assert feed(plateau(patience=2, factor=0.5), [1.0, 1.0, 1.0, 1.0, 1.0]) == [
        1.0, 1.0, 1.0, 0.5, 0.5]


def test_plateau_improvement_resets_the_count() -> None:
    assert feed(plateau(patience=1, factor=0.5), [1.0, 1.0, 0.5, 0.6, 0.6]) == [
        1.0, 1.0, 1.0, 1.0, 0.5]


def test_plateau_threshold_modes() -> None:
    # rel: 0.99995 is not below 1 * (1 - 1e-4), so it is a bad epoch; abs with 0.1 likewise 0.95
    assert feed(plateau(patience=0, factor=0.5), [1.0, 0.99995]) == [1.0, 0.5]
    assert feed(plateau(patience=0, factor=0.5, threshold_mode="abs", threshold=0.1),
                [1.0, 0.95, 0.8]) == [1.0, 0.5, 0.5]
    assert feed(plateau(patience=0, factor=0.5, mode="max"), [1.0, 2.0, 1.5]) == [1.0, 1.0, 0.5]


def test_plateau_cooldown_min_lr_and_eps() -> None:
    # after a cut, 2 cooldown epochs don't count as bad
    assert feed(plateau(patience=0, factor=0.5, cooldown=2), [1.0] * 6) == [
        1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert feed(plateau(patience=0, factor=0.1, min_lr=0.05), [1.0] * 4) == [
        1.0, 0.1, 0.05, 0.05]
    # a cut of eps or less is skipped
    assert feed(plateau(patience=0, factor=0.5, eps=0.6), [1.0, 1.0]) == [1.0, 1.0]


def test_plateau_accepts_a_tensor_metric_and_new_groups() -> None:
    sched = plateau(patience=0, factor=0.5)
    sched.optimizer.add_param_group({"params": [tg.Tensor([0.0], requires_grad=True)],
                                     "lr": 0.2})
    sched.step(tg.tensor(1.0))
    sched.step(tg.tensor(2.0))
    assert sched.get_last_lr() == [0.5, 0.1]


# ------------------------------------------------------------------------ resuming

FACTORIES: dict[str, Callable[[optim.Optimizer], Any]] = {
    "StepLR": lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda o: lr_scheduler.MultiStepLR(o, [2, 6, 7], gamma=0.5),
    "ExponentialLR": lambda o: lr_scheduler.ExponentialLR(o, gamma=0.8),
    "CosineAnnealingLR": lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=1e-3),
    "LambdaLR": lambda o: lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + e)),
    "ReduceLROnPlateau": lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=1, cooldown=1),
}
METRICS = [1.0, 0.9, 0.95, 0.95, 0.97, 0.8, 0.85, 0.85, 0.9, 0.9]


def train(opt: optim.Optimizer, sched: Any, p: tg.Tensor, epochs: range) -> list[float]:
    """A tiny run: minimise p^2 with momentum, stepping the scheduler once per step."""
    lrs = []
    for epoch in epochs:
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
        if isinstance(sched, lr_scheduler.ReduceLROnPlateau):
            sched.step(METRICS[epoch])
        else:
            sched.step()
        lrs.append(sched.get_last_lr()[0])
    return lrs


@pytest.mark.parametrize("name", list(FACTORIES))
def test_resuming_from_state_dicts_gives_the_same_run(name: str, tmp_path: Path) -> None:
    """10 epochs straight == 5 epochs, save optimizer + scheduler to a checkpoint, new ones on
    a new parameter holding the saved value, load both (the scheduler is built first, as in
    PyTorch, since building it sets the lrs), 5 more epochs: same lrs, same parameter."""
    p = tg.Tensor([2.0, -1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.5)
    straight = train(opt, FACTORIES[name](opt), p, range(10))

    q = tg.Tensor([2.0, -1.0], requires_grad=True)
    opt = optim.SGD([q], lr=0.1, momentum=0.5)
    sched = FACTORIES[name](opt)
    first = train(opt, sched, q, range(5))
    # through a checkpoint file and back (plain dicts, lists and arrays; no pickle)
    tg.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, tmp_path / "ckpt")
    checkpoint = tg.load(tmp_path / "ckpt")
    saved = checkpoint["optimizer"], checkpoint["scheduler"]

    r = tg.Tensor(q.data.numpy().copy(), requires_grad=True)
    new_opt = optim.SGD([r], lr=0.1, momentum=0.5)
    new_sched = FACTORIES[name](new_opt)
    new_opt.load_state_dict(saved[0])
    new_sched.load_state_dict(saved[1])
    second = train(new_opt, new_sched, r, range(5, 10))

    assert first + second == straight
    np.testing.assert_array_equal(r.data.numpy(), p.data.numpy())


def test_multistep_lr_milestones_survive_a_checkpoint(tmp_path: Path) -> None:
    sched = lr_scheduler.MultiStepLR(make_optimizer(1.0), [2, 2, 5], gamma=0.5)
    tg.save(sched.state_dict(), tmp_path / "sched")
    new = lr_scheduler.MultiStepLR(make_optimizer(1.0), [], gamma=0.5)
    new.load_state_dict(tg.load(tmp_path / "sched"))  # milestones come back as a plain dict
    new.step(5)  # the closed form counts milestones with multiplicity: 2, 2, 5
    assert new.get_last_lr() == [0.125]
    new.step()  # and the recursive form still finds them
    assert new.get_last_lr() == [0.125]


def test_scheduler_state_dict_is_a_copy_without_the_optimizer() -> None:
    sched = lr_scheduler.MultiStepLR(make_optimizer(0.1), [1, 2])
    saved = sched.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 0
    sched.optimizer.step()
    sched.step()
    assert saved["last_epoch"] == 0 and saved["_last_lr"] == [0.1]


def test_lambda_lr_saves_callable_objects_but_not_functions() -> None:
    class Warmup:
        def __init__(self) -> None:
            self.length = 5

        def __call__(self, epoch: int) -> float:
            return min(1.0, (epoch + 1) / self.length)

    warmup = Warmup()
    sched = lr_scheduler.LambdaLR(make_optimizer(0.1, 0.1), [warmup, lambda e: 1.0])
    saved = sched.state_dict()
    assert saved["lr_lambdas"] == [{"length": 5}, None]
    warmup.length = 1
    sched.load_state_dict(saved)
    assert warmup.length == 5


# ------------------------------------------------------------------------ errors


@pytest.mark.parametrize("build, error, message", [
    (lambda o: lr_scheduler.StepLR(o, step_size=0), ValueError, "step_size=0"),
    (lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=-0.5), ValueError, "gamma=-0.5"),
    (lambda o: lr_scheduler.ExponentialLR(o, gamma=float("nan")), ValueError, "gamma=nan"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), ValueError, "T_max=0"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=-1.0), ValueError,
     "eta_min=-1.0"),
    (lambda o: lr_scheduler.LambdaLR(o, 0.5), TypeError, "lr_lambda must be callable"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="lowest"), ValueError, "mode='lowest'"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError,
     "threshold_mode='pct'"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor=1.0"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=-1), ValueError, "patience=-1"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, cooldown=-2), ValueError, "cooldown=-2"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold=-0.1), ValueError,
     "threshold=-0.1"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=-1.0), ValueError, "min_lr=-1.0"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.0, 0.0]), ValueError,
     "expected 1 min_lrs"),
    (lambda o: lr_scheduler.StepLR("not an optimizer", step_size=1), TypeError,
     "str is not an Optimizer"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_bad_scheduler_arguments_are_named(build: Callable[[optim.Optimizer], Any],
                                           error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        build(make_optimizer())
