"""``Optimizer``: the base class every optimizer builds on, with PyTorch's names and semantics.

An optimizer holds **parameter groups** (``param_groups``: a list of dicts, each with its
``params`` and its own hyperparameters -- ``lr``, ``momentum``...; what a group leaves out comes
from the optimizer's ``defaults``) and a **per-parameter state** (``state[p]``: a dict of NumPy
arrays of the parameter's dtype, such as a momentum buffer, plus a Python int ``step`` where the
rule counts steps; keyed by the parameter tensor itself).

``step()`` reads each parameter's ``.grad`` and changes ``p.data`` **in place**, with NumPy on
the arrays: the update is not part of any graph, and the parameter keeps its array (and so its
dtype -- float32 stays float32). A parameter whose ``grad`` is None is skipped (it is frozen, or
took no part in this step's loss). ``zero_grad()`` resets the gradients, because ``backward()``
accumulates into them.

``state_dict()`` / ``load_state_dict()`` save and restore everything a resumed run needs, in
PyTorch's layout: parameters are replaced by their index (0, 1, ... in group order), and every
array is copied, so later steps never change a saved dict.

A subclass writes its update rule in ``_update`` (one parameter at a time, in NumPy, with
``out=`` and in-place operators into scratch buffers so a step allocates nothing after the first)
and its hyperparameter checks in ``_validate``.
"""

from __future__ import annotations

import copy
import numbers
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeAlias

import numpy as np

from ..autograd import bump_versions, enable_grad
from ..autograd import graph as _graph
from ..tensor import Tensor

Array: TypeAlias = np.ndarray
ParamGroup: TypeAlias = dict[str, Any]
Params: TypeAlias = Iterable[Tensor] | Iterable[Mapping[str, Any]]
StateDict: TypeAlias = dict[str, Any]

__all__ = ["Optimizer", "ParamGroup", "Params", "StateDict"]


# --------------------------------------------------------------------------- hyperparameter checks


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


# What PyTorch's messages call each hyperparameter ("Invalid learning rate: -1").
_LABELS = {"lr": "learning rate", "eps": "epsilon value"}


def require(hp: Mapping[str, Any], name: str, ok: Callable[[float], bool], rule: str) -> None:
    """Raise unless ``ok(hp[name])``: ``TypeError`` for a non-number (as PyTorch's comparison
    does), else ``ValueError`` with PyTorch's wording plus the rule (``Invalid learning rate:
    -1 (lr=-1: the learning rate must be >= 0)``)."""
    value = hp[name]
    if not _is_number(value):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    if not ok(value):
        label = _LABELS.get(name, f"{name} value")
        raise ValueError(f"Invalid {label}: {value!r} ({name}={value!r}: {rule})")


def finite(value: float) -> bool:
    """Any finite number (a negative dampening is allowed, as PyTorch)."""
    return bool(np.isfinite(value))


def nonnegative(value: float) -> bool:
    """``value >= 0`` (False for NaN, so a NaN learning rate is refused too)."""
    return bool(value >= 0)


def in_unit_interval(value: float) -> bool:
    """``0 <= value <= 1``."""
    return bool(0 <= value <= 1)


def check_betas(hp: Mapping[str, Any]) -> None:
    """Adam's ``betas`` must be a pair, each in [0, 1) (beta = 1 never forgets, and the bias
    correction 1 - beta^t would divide by zero)."""
    betas = hp["betas"]
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"invalid betas={betas!r}: must be a pair (beta1, beta2)")
    for i, beta in enumerate(betas):
        if not _is_number(beta):
            raise TypeError(f"betas[{i}] must be a real number, got {beta!r}")
        if not 0 <= beta < 1:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta!r} (betas[{i}]="
                             f"{beta!r} of betas={tuple(betas)!r}: each must be in [0, 1))")


# --------------------------------------------------------------------------- the base class


class Optimizer:
    """Base class of all optimizers: ``Optimizer(params, defaults)``.

    ``params`` is an iterable of tensors (one group) or of dicts (several groups, each
    ``{"params": [...], "lr": ...}`` overriding ``defaults`` for its parameters). Every
    parameter must be a leaf tensor and may appear only once. A frozen parameter
    (``requires_grad=False``) is accepted, as in PyTorch, and skipped while its grad is None.
    """

    def __init__(self, params: Params, defaults: Mapping[str, Any]) -> None:
        self.defaults: dict[str, Any] = dict(defaults)
        try:
            self._validate(self.defaults)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{type(self).__name__}: {e}") from None
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[ParamGroup] = []
        # Per-parameter work arrays (not state: never saved). They let a step run on NumPy's
        # out= / in-place forms without allocating a temporary array every time.
        self._scratch_buffers: dict[Tensor, list[Array]] = {}

        if isinstance(params, Tensor):
            raise TypeError(
                "params must be an iterable of Tensors or of dicts, but got a single Tensor; "
                "wrap it in a list: [tensor]"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                "params must be an ordered collection (list, tuple, generator), not a set: "
                "state_dict() refers to parameters by their position"
            )
        if isinstance(params, Mapping):
            raise TypeError(
                "params must be an iterable of Tensors or of dicts, but got a dict; pass one "
                "param group as a list: [{'params': ..., 'lr': ...}]"
            )
        try:
            groups: list[Any] = list(params)
        except TypeError:
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}"
            ) from None
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], Mapping):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ----------------------------------------------------------------------- groups

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (missing ones come from
        ``defaults``), e.g. to unfreeze layers while training."""
        if not isinstance(param_group, Mapping):
            raise TypeError(f"a param group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise KeyError(f"param group {len(self.param_groups)} has no 'params' entry "
                           f"(its keys: {sorted(map(str, param_group))})")
        index = len(self.param_groups)
        group: ParamGroup = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                f"param group {index}: params must be an ordered collection, not a set"
            )
        else:
            params = list(params)

        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            where = f"param group {index}, parameter {i}"
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__} ({where})"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"can't optimize a non-leaf tensor ({where}, computed by {p.grad_fn}); "
                    "optimize the leaf tensors it was computed from"
                )
            if id(p) in seen:  # PyTorch: an error across groups, a warning (for now) within one
                raise ValueError(
                    f"{where} (shape {p.shape}) appears more than once in the optimizer "
                    "(some parameters appear in more than one parameter group, or twice in "
                    "one); each parameter may be listed once, in one group"
                )
            seen.add(id(p))

        for name, default in self.defaults.items():
            group.setdefault(name, default)
        try:
            self._validate(group)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{type(self).__name__}, param group {index}: {e}") from None
        group["params"] = params
        self.param_groups.append(group)

    def _validate(self, hp: Mapping[str, Any]) -> None:
        """Raise ``ValueError`` naming the first bad hyperparameter of ``hp`` (the defaults, or
        one group with the defaults filled in). Subclasses list their own rules."""

    # ----------------------------------------------------------------------- stepping

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: to None (the default, as PyTorch), or fill them with zeros.

        With None, a parameter that gets no gradient in the next backward is skipped by the next
        step; with zeros it is stepped with a zero gradient (momentum and weight decay still act).
        """
        tracer = _graph._tracer
        if tracer is not None and not tracer.calling:  # tg.compile replays the call
            if type(self).zero_grad is not Optimizer.zero_grad:
                tracer.unsupported(f"{type(self).__name__}.zero_grad (an override)")
            else:
                return tracer.call(self.zero_grad, set_to_none)
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is not None:  # the slot: the checking property costs 60 ns
                    if set_to_none:
                        p._grad = None
                    else:
                        p._grad._data.fill(0)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns ``closure()``'s loss.

        ``closure`` (optional) recomputes the loss with grad on -- zero the gradients and call
        ``backward()`` inside it -- for optimizers that need it (as PyTorch's ``step``).
        """
        tracer = _graph._tracer
        if tracer is not None and not tracer.calling:  # tg.compile replays the call
            if closure is not None:
                tracer.unsupported("optimizer.step(closure)")
            elif type(self).step is not Optimizer.step:
                tracer.unsupported(f"{type(self).__name__}.step (an override of Optimizer.step)")
            else:
                return tracer.call(self.step)
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        state = self.state
        stepped = []
        for group in self.param_groups:
            for p in group["params"]:
                grad = p._grad
                if grad is None:  # frozen, or not used by this loss: leave it alone
                    continue
                self._update(p, grad._data, state[p], group)  # NumPy only: records no graph
                stepped.append(p)
        # Tell the engine these tensors changed in place: a graph recorded before this step
        # that saved one of them now refuses to backward instead of using the new values.
        bump_versions(stepped)
        return loss

    def _update(self, p: Tensor, grad: Array, state: dict[str, Any], group: ParamGroup) -> None:
        """Apply the update rule to one parameter: change ``p.data`` in place from ``grad``,
        the parameter's ``state`` (empty on its first step) and the group's hyperparameters."""
        raise NotImplementedError(f"{type(self).__name__} does not define its update rule")

    # ----------------------------------------------------------------------- helpers for rules

    def _scratch(self, p: Tensor, count: int) -> list[Array]:
        """``count`` work arrays shaped like ``p.data`` (allocated once, reused every step)."""
        buffers = self._scratch_buffers.get(p)
        data = p._data
        if (buffers is None or len(buffers) < count or buffers[0].shape != data.shape
                or buffers[0].dtype != data.dtype):
            buffers = [np.empty_like(data) for _ in range(count)]
            self._scratch_buffers[p] = buffers
        return buffers

    @staticmethod
    def _gradient(param: Array, grad: Array, weight_decay: float, maximize: bool,
                  out: Array) -> Array:
        """The gradient an update rule starts from: ``g = -grad if maximize else grad``, then
        ``g = g + weight_decay * param`` (L2 penalty). Written into ``out`` when it differs
        from ``grad``; ``p.grad`` itself is never changed."""
        if weight_decay == 0:
            return np.negative(grad, out=out) if maximize else grad
        np.multiply(param, weight_decay, out=out)
        if maximize:
            out -= grad
        else:
            out += grad
        return out

    # ----------------------------------------------------------------------- saving

    def state_dict(self) -> StateDict:
        """The optimizer's state as a plain dict, as PyTorch lays it out::

            {"state": {0: {"step": 3, "exp_avg": array, ...}, 1: {...}},
             "param_groups": [{"lr": 0.01, ..., "params": [0, 1]}, ...]}

        Parameters are named by their index (counting through the groups in order). Arrays and
        hyperparameters are copies: stepping on does not change a dict already returned.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state.get(p)
                if p_state:
                    state[index[id(p)]] = {k: _copy(v) for k, v in p_state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()`` into this optimizer, whose groups must list the same
        number of parameters (matched by position). Hyperparameters come from the saved dict;
        state arrays are copied and cast to each parameter's dtype."""
        if not isinstance(state_dict, Mapping) or not {"state", "param_groups"} <= set(
                state_dict):
            got = sorted(state_dict) if isinstance(state_dict, Mapping) else type(state_dict)
            raise ValueError("an optimizer state dict is a dict with 'state' and "
                             f"'param_groups' (what state_dict() returns), got {got}")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, this optimizer "
                f"has {len(self.param_groups)}"
            )
        params_by_index: dict[int, Tensor] = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"loaded state dict has {len(saved['params'])} parameters in group {i}, "
                    f"this optimizer has {len(group['params'])}"
                )
            params_by_index.update(zip(saved["params"], group["params"], strict=True))

        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, p_state in state_dict["state"].items():
            p = params_by_index.get(int(key))
            if p is None:
                raise ValueError(f"loaded state dict has state for parameter {key}, "
                                 "which none of its param_groups lists")
            state[p] = {name: _restore(value, p, name, key) for name, value in p_state.items()}

        groups = []
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            new = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            for name, default in self.defaults.items():
                new.setdefault(name, default)
            try:
                self._validate(new)
            except (TypeError, ValueError) as e:
                raise type(e)(f"{type(self).__name__}, loaded param group {i}: {e}") from None
            new["params"] = group["params"]
            groups.append(new)
        self.state = state
        self.param_groups = groups

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {group[k]}" for k in sorted(group) if k != "params")
        lines.append(")")
        return "\n".join(lines)


def _copy(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else copy.deepcopy(value)


def _restore(value: Any, p: Tensor, name: str, key: Any) -> Any:
    """One saved state entry, copied; arrays cast to the parameter's float dtype."""
    if isinstance(value, np.generic):
        return value.item()
    if not isinstance(value, np.ndarray) and not hasattr(value, "__array__"):
        return copy.deepcopy(value)
    array = np.array(value, copy=True)
    if array.dtype.kind == "f" and p._data.dtype.kind == "f":
        array = array.astype(p._data.dtype, copy=False)
    if array.shape != p._data.shape:
        raise ValueError(
            f"loaded state {name!r} of parameter {key} has shape {array.shape}, but the "
            f"parameter has shape {p._data.shape}"
        )
    return array
