"""Learning-rate schedules, as ``torch.optim.lr_scheduler``.

A scheduler rewrites ``group["lr"]`` of its optimizer's param groups; call its ``step()`` once
per epoch (or per iteration), **after** ``optimizer.step()``::

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(...)        # optimizer.step() inside
        scheduler.step()

``last_epoch`` counts the scheduler's steps: constructing a scheduler performs step 0 (it sets
``last_epoch = 0`` and the lr for epoch 0, the initial lr), so after ``k`` calls of ``step()``
``last_epoch == k``. Constructing also stores each group's starting lr as
``group["initial_lr"]`` (the ``base_lrs``); to resume at a given epoch, pass
``last_epoch=k`` to a scheduler whose optimizer's groups already hold ``initial_lr`` (as a
loaded optimizer state dict does), or -- simpler -- ``load_state_dict`` a saved scheduler.

Most schedules here are *recursive*, as PyTorch computes them: each step changes the current
lr (so they compose with other changes to it); ``step(epoch)`` jumps to an epoch with the
closed form instead.
"""

from __future__ import annotations

import copy
import math
import numbers
import types
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

from ..autograd import graph as _graph
from .optimizer import Optimizer

__all__ = [
    "LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
    "ReduceLROnPlateau",
]


class LRScheduler:
    """Base class: subclasses define ``get_lr()`` (the lrs for ``last_epoch``, usually from the
    current ones) and optionally ``_get_closed_form_lr()`` (used by ``step(epoch)``)."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param_groups[{i}] has no 'initial_lr', needed to resume a scheduler "
                        f"at last_epoch={last_epoch}; load the optimizer's state dict first, "
                        "or start with last_epoch=-1"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._last_lr: list[float] = []
        # The constructor's step sets epoch last_epoch + 1's lr; schedules that multiply the
        # current lr (ExponentialLR, CosineAnnealingLR) keep it as it is during this step.
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The lrs for epoch ``last_epoch`` (call ``get_last_lr()`` to read the current ones)."""
        raise NotImplementedError

    def _get_closed_form_lr(self) -> list[float]:
        return self.get_lr()

    def get_last_lr(self) -> list[float]:
        """The lr of each param group, as last set by this scheduler."""
        return list(self._last_lr)

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (or jump to ``epoch``, with the closed form) and set the lrs."""
        tracer = _graph._tracer
        if tracer is not None and not tracer.calling:  # tg.compile replays the call
            return tracer.call(self.step, epoch)
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._get_closed_form_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (copied: later steps don't change the saved dict)."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(copy.deepcopy(state_dict))


class LambdaLR(LRScheduler):
    """``LambdaLR(optimizer, lr_lambda, last_epoch=-1)``: lr = initial_lr * lr_lambda(epoch).

    ``lr_lambda`` is one function of the epoch, or a list with one per param group. Functions
    are not saved by ``state_dict`` (only the attributes of callable objects are).
    """

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"expected {n} lr_lambdas (one per param group), "
                                 f"got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda must be callable, got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base_lr * fn(self.last_epoch)
                for fn, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)]

    def state_dict(self) -> dict[str, Any]:
        state = {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                 if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType)
                               else copy.deepcopy(fn.__dict__) for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = copy.deepcopy(state_dict)
        lambdas = state.pop("lr_lambdas")
        self.__dict__.update(state)
        for fn, attributes in zip(self.lr_lambdas, lambdas, strict=True):
            if attributes is not None:
                fn.__dict__.update(attributes)


class StepLR(LRScheduler):
    """``StepLR(optimizer, step_size, gamma=0.1, last_epoch=-1)``: multiply the lr by gamma
    every ``step_size`` epochs.

    Recursive: at epochs step_size, 2 step_size, ...: lr <- gamma * lr.
    Closed form: lr = initial_lr * gamma^floor(epoch / step_size).
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        # Stricter than PyTorch, whose step_size=0 dies later of a ZeroDivisionError
        if not isinstance(step_size, int) or isinstance(step_size, bool) or step_size < 1:
            raise ValueError(f"invalid step_size={step_size!r}: must be an integer >= 1")
        _check_gamma(gamma)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size)
                for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """``MultiStepLR(optimizer, milestones, gamma=0.1, last_epoch=-1)``: multiply the lr by
    gamma at each milestone epoch.

    Recursive: at a milestone listed n times: lr <- gamma^n * lr.
    Closed form: lr = initial_lr * gamma^(number of milestones <= epoch).
    """

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        milestones = list(milestones)
        for m in milestones:
            if isinstance(m, bool) or not isinstance(m, numbers.Integral):
                raise TypeError(f"milestones must be integers (epochs), got {m!r} "
                                f"({type(m).__name__}) in {milestones!r}")
        self.milestones = Counter(int(m) for m in milestones)
        _check_gamma(gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        # a checkpoint file may hand the Counter back as a plain dict
        self.milestones = Counter(self.milestones)

    def _get_closed_form_lr(self) -> list[float]:
        milestones = sorted(self.milestones.elements())
        return [base_lr * self.gamma ** bisect_right(milestones, self.last_epoch)
                for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """``ExponentialLR(optimizer, gamma, last_epoch=-1)``: multiply the lr by gamma every epoch.

    Recursive: lr <- gamma * lr.   Closed form: lr = initial_lr * gamma^epoch.
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        _check_gamma(gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:  # resuming with last_epoch=k must not decay one step ahead
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """``CosineAnnealingLR(optimizer, T_max, eta_min=0, last_epoch=-1)``: cosine annealing
    from the initial lr (eta_max) down to eta_min over T_max epochs (SGDR without restarts).

    Closed form (Loshchilov & Hutter), with T_cur = the epoch::

        eta_t = eta_min + (eta_max - eta_min) * (1 + cos(pi * T_cur / T_max)) / 2

    Computed recursively, as PyTorch does, so it composes with other changes to the lr::

        eta_{t+1} = eta_min + (eta_t - eta_min)
                    * (1 + cos(pi * (T_cur + 1) / T_max)) / (1 + cos(pi * T_cur / T_max))

    except at the bottom of the cosine (T_cur + 1 - T_max a multiple of 2 T_max, where that
    ratio is 0/0): there eta_{t+1} = eta_t + (eta_max - eta_min) * (1 - cos(pi / T_max)) / 2.
    Past T_max the lr climbs back up the cosine, as PyTorch's does.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        if not isinstance(T_max, int) or isinstance(T_max, bool) or T_max < 1:
            raise ValueError(f"invalid T_max={T_max!r}: must be an integer >= 1")
        if not _real("eta_min", eta_min) >= 0:  # PyTorch accepts < 0: a negative lr
            raise ValueError(f"invalid eta_min={eta_min!r}: must be >= 0")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        epoch, T_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and epoch > 0:  # first step of a scheduler resumed at epoch
            return self._get_closed_form_lr()
        if (epoch - 1 - T_max) % (2 * T_max) == 0:  # leaving the bottom of the cosine
            return [lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T_max)) / 2
                    for lr, base_lr in zip(self._current_lrs(), self.base_lrs, strict=True)]
        ratio = ((1 + math.cos(math.pi * epoch / T_max))
                 / (1 + math.cos(math.pi * (epoch - 1) / T_max)))
        return [eta_min + (lr - eta_min) * ratio for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base_lr - self.eta_min) * cosine for base_lr in self.base_lrs]


class ReduceLROnPlateau(LRScheduler):
    """``ReduceLROnPlateau(optimizer, mode='min', factor=0.1, patience=10, threshold=1e-4,
    threshold_mode='rel', cooldown=0, min_lr=0, eps=1e-8)``: cut the lr when a metric stops
    improving. Call ``step(metric)`` once per epoch with the monitored value.

    A value is *better* than the best so far when (mode 'min'; 'max' mirrors it)::

        rel:  value < best * (1 - threshold)        abs:  value < best - threshold

    Otherwise the epoch is *bad*. When more than ``patience`` bad epochs have passed in a row,
    every group's lr becomes max(lr * factor, min_lr) -- unless that changes it by eps or less
    -- and the next ``cooldown`` epochs are not counted as bad.
    """

    def __init__(self, optimizer: Optimizer, mode: Literal["min", "max"] = "min",
                 factor: float = 0.1, patience: int = 10, threshold: float = 1e-4,
                 threshold_mode: Literal["rel", "abs"] = "rel", cooldown: int = 0,
                 min_lr: float | Sequence[float] = 0, eps: float = 1e-8) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if mode not in ("min", "max"):
            raise ValueError(f"invalid mode={mode!r}: must be 'min' or 'max'")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"invalid threshold_mode={threshold_mode!r}: must be 'rel' or 'abs'")
        if not 0 <= _real("factor", factor) < 1:
            raise ValueError(f"invalid factor={factor!r}: must be in [0, 1) (new lr = lr * factor)")
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"invalid {name}={value!r}: must be an integer >= 0")
        for name, number in (("threshold", threshold), ("eps", eps)):
            if not _real(name, number) >= 0:
                raise ValueError(f"invalid {name}={number!r}: must be >= 0")
        n = len(optimizer.param_groups)
        self.default_min_lr: float | None
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"expected {n} min_lrs (one per param group), got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = [float(_real("min_lr", m)) for m in min_lr]
        else:
            self.default_min_lr = float(_real("min_lr", min_lr))
            self.min_lrs = [self.default_min_lr] * n
        if any(not m >= 0 for m in self.min_lrs):
            raise ValueError(f"invalid min_lr={min_lr!r}: must be >= 0")
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._step_count = 0
        self._last_lr = self._current_lrs()
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record this epoch's metric (a number or one-element tensor); maybe cut the lrs."""
        if _graph._tracer is not None:
            _graph._tracer.unsupported("ReduceLROnPlateau.step (it decides on a metric)")
        current = float(metrics)
        self._step_count += 1
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown don't count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        n = len(self.optimizer.param_groups)
        if len(self.min_lrs) != n:  # a group was added since construction
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"the optimizer now has {n} param groups but ReduceLROnPlateau was given "
                    f"{len(self.min_lrs)} min_lrs; set scheduler.min_lrs to one per group"
                )
            self.min_lrs = [self.default_min_lr] * n
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def is_better(self, value: float, best: float) -> bool:
        """Whether ``value`` improves on ``best`` by more than the threshold."""
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return value < best * (1 - self.threshold)
            return value < best - self.threshold
        if self.threshold_mode == "rel":
            return value > best * (1 + self.threshold)
        return value > best + self.threshold

    def get_lr(self) -> list[float]:
        return self._current_lrs()


def _real(name: str, value: Any) -> float:
    """TypeError for a non-number (a string would fail deep inside a later step)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    return value  # type: ignore[return-value]


def _check_gamma(gamma: float) -> None:
    # Stricter than PyTorch (which accepts gamma < 0): a negative factor makes the lr negative,
    # which every optimizer here refuses as a setting.
    if not _real("gamma", gamma) >= 0:
        raise ValueError(f"invalid gamma={gamma!r}: the decay factor must be >= 0")
