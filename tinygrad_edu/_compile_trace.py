"""tg.compile, part 1: the trace. While a compiled function runs its first calls, ``Tracer``
(installed as ``autograd.graph._tracer``) is told, in order, every op applied, random draw,
backward pass and optimizer call, every module that ran, and anything it cannot replay."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._compile_kernels import Layout
from .autograd import graph
from .nn.module import Module
from .tensor import Tensor

# Where an op's input comes from (``kind``, ``what``):
SLOT = 0  # an earlier entry's output, an argument or a random draw: ``slots[what]``
OUTSIDE = 1  # a tensor that was there before the call (parameter, batch): ``what._data``
ARRAY = 2  # an array that was there before the call (a settings-like buffer): ``what``
CONSTANT = 3  # the same value in both traces: ``what`` (a private copy)
# Where an op's node sends each input's gradient (``kind``, ``what``): nowhere, to the node
# of entry ``what``, to tensor ``what``'s node (a parameter's AccumulateGrad), to the node of
# the argument in slot ``what`` (an argument that requires grad)
NO_EDGE, OP_EDGE, TENSOR_EDGE, ARG_EDGE = 0, 1, 2, 3


class CannotReplay(Exception):
    """Raised while building a tape: the recorded call cannot become one (the reason)."""


@dataclass
class _Op:
    cls: type
    settings: dict[str, Any]
    inputs: tuple[Tensor, ...]
    result: Tensor
    ctx: Any
    record: bool
    scope: Any


@dataclass
class _Random:
    sample: Callable[..., np.ndarray]
    args: tuple[Any, ...]
    array: np.ndarray


@dataclass
class _Call:
    method: Callable[..., Any]
    args: tuple[Any, ...]


@dataclass
class _Backward:
    roots: list[Tensor]
    gradients: list[Any]
    retain_graph: bool


class Tracer:
    """Collects, in order, what one call of ``fn`` did (the events) and why it cannot be
    replayed (the first reason); installed as ``autograd.graph._tracer`` while ``fn`` runs."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.modules: dict[int, tuple[Module, bool, Any]] = {}
        self.reason: str | None = None
        self.calling = False  # inside a recorded call (optimizer.step): report nothing
        # tensors made from given data (tg.tensor, factories, number operands): the only new
        # tensors a tape may keep as constants; any other value was computed where the tracer
        # cannot see (a comparison, argmax, a mask), so keeping it would freeze it
        self.constants: dict[int, Any] = {}
        self.value_guards: list[tuple[Callable[..., Any], np.ndarray, Any]] = []
        self.gradients: dict[int, tuple[Any, Layout]] = {}  # id(node): the gradient it got

    def _refuse(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason

    def op(self, cls: type, ctx: Any, record: bool, inputs: tuple[Any, ...], result: Any,
           settings: dict[str, Any]) -> None:
        if not self.calling:
            self.events.append(_Op(cls, dict(settings), tuple(inputs), result, ctx, record,
                                   getattr(ctx, "module_scope", None) if record else None))

    def gradient(self, node: Any, grad: Any) -> None:
        """The gradient a node received in the recorded backward (its kernel is written
        for that layout)."""
        self.gradients[id(node)] = (node, Layout.of(grad))

    def random(self, sample: Callable[..., np.ndarray], args: tuple[Any, ...],
               array: np.ndarray) -> None:
        if not self.calling:
            self.events.append(_Random(sample, args, array))

    def call(self, method: Callable[..., Any], *args: Any) -> Any:
        """Run ``method(*args)`` (an optimizer's step or zero_grad) and record it."""
        self.events.append(_Call(method, args))
        self.calling = True
        try:
            return method(*args)
        finally:
            self.calling = False

    def backward(self, run: Callable[..., Any], roots: Any, gradients: Any, retain_graph: bool,
                 create_graph: bool, targets: Any, hooks_before_capture: bool) -> Any:
        """Record a backward pass and run it (``engine.run``); what runs inside it (hooks)
        is part of the pass, which the replay runs again as a whole."""
        if create_graph or targets is not None:
            self._refuse("a backward pass with create_graph=True, inputs= or autograd.grad()")
        self.events.append(_Backward(list(roots), list(gradients), bool(retain_graph)))
        self.calling = True
        try:
            return run(roots, gradients, retain_graph, create_graph, targets,
                       hooks_before_capture)
        finally:
            self.calling = False

    def constant(self, tensor: Any) -> None:
        self.constants[id(tensor)] = tensor

    def value_guard(self, check: Callable[[np.ndarray], Any], array: np.ndarray) -> None:
        """``check(array)`` decided something in Python (cross_entropy's target path): a replay
        holds only while it gives the same answer on that call's array."""
        if not self.calling:
            self.value_guards.append((check, array, check(array)))

    def module(self, module: Module) -> None:
        self.modules.setdefault(id(module), (module, module.training, _settings_of(module)))

    def read_value(self, tensor: Any, what: str) -> None:
        if not self.calling:
            self._refuse(f"{what} reads a tensor's value into Python, where it may steer the "
                         "control flow (return the tensor and read it outside the compiled "
                         "function)")

    def unsupported(self, what: str, tensor: Any = None) -> None:
        if not self.calling:
            self._refuse(f"{what} inside the compiled function (only ops, random draws, "
                         "backward() and the optimizer's step/zero_grad are replayed)")

    def changed_in_place(self, tensors: Any) -> None:
        if not self.calling:
            self.unsupported("an in-place change of a tensor")


def _settings_of(module: Module) -> tuple[Any, ...]:
    """What a module's forward may branch on besides ``training``: its plain attributes (p,
    eps, momentum, negative_slope...), its hooks, its submodule and parameter objects."""
    plain = tuple((k, v) for k, v in vars(module).items()
                  if isinstance(v, (bool, int, float, str, type(None)))
                  and not k.startswith("_") or k in ("_has_hooks",))
    hooks = tuple(len(vars(module).get(h, ())) for h in  # (not getattr: a missing attribute
                  ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks"))  # is slow to ask)
    parts = tuple(map(id, module._modules.values())) + tuple(map(id, module._parameters.values()))
    return plain + hooks + parts + tuple(map(id, module._buffers.values()))


def _run_traced(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
                ) -> tuple[Any, Tracer]:
    tracer = Tracer()
    if graph._tracer is not None:
        raise RuntimeError("tg.compile: a compiled function called while another one traces "
                           "(nested compiled functions are not supported)")
    graph.set_tracer(tracer)
    try:
        out = fn(*args, **kwargs)
    finally:
        graph.set_tracer(None)
    return out, tracer


# the tape's helpers: how its entries print, when two traced values are the same


def _source_name(source: tuple[int, Any], names: list[str], known: dict[int, str]) -> str:
    kind, what = source
    if kind == SLOT:
        return names[what]
    if kind == OUTSIDE:
        return known.get(id(what)) or f"<{tuple(what._data.shape)} {what._data.dtype} tensor>"
    if kind == ARRAY:
        return f"<{what.shape} {what.dtype} array>"
    return f"const{_short(what)}"


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return repr(value.item()) if value.size == 1 else f"<{value.shape} {value.dtype}>"
    if isinstance(value, tuple):
        return "(" + ", ".join(map(_short, value)) + ("," if len(value) == 1 else "") + ")"
    if callable(value):
        return getattr(value, "__name__", type(value).__name__)
    return repr(value)


def _same(a: Any, b: Any) -> bool:
    """Two settings (or random-draw arguments) are the same: equal values, the same arrays."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return a is b or (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                          and a.dtype == b.dtype and a.shape == b.shape
                          and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:
        return a is b


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _flatten(item)]
    if isinstance(value, dict):
        return [leaf for k in value for leaf in _flatten(value[k])]
    return [value]


_NO_ARGUMENTS = {True: (True,), False: (False,)}


def _key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, list[Tensor]]:
    """The cache key of a call (shapes, dtypes, requires_grad, other values, grad mode) and
    its tensor arguments in order."""
    if not args and not kwargs:
        return _NO_ARGUMENTS[graph._grad_enabled], []
    if not kwargs and all(type(a) is Tensor for a in args):  # the usual call: step(x, y)
        key = (graph._grad_enabled, *[(a._data.shape, a._data.strides, a._data.dtype.str,
                                       a._requires_grad) for a in args])
        arrays = [id(a._data) for a in args]
        if len(set(arrays)) != len(arrays):  # one tensor given twice: f(x, x) is another tape
            key += (tuple(arrays.index(i) for i in arrays),)
        return key, list(args)
    tensors: list[Tensor] = []
    parts: list[Any] = [graph._grad_enabled, "general"]
    for leaf in _flatten((args, kwargs)):
        if isinstance(leaf, Tensor):
            tensors.append(leaf)
            parts.append((leaf._data.shape, leaf._data.strides, leaf._data.dtype.str,
                          leaf._requires_grad))
        elif isinstance(leaf, np.ndarray):
            # an array may be read as a constant (tg.tensor(a) copies it): its value is part
            # of the key, so a change in place traces again
            parts.append(("array", leaf.shape, leaf.dtype.str, leaf.tobytes()))
        elif isinstance(leaf, float):  # -0.0 == 0.0, but x * -0.0 is another tape
            parts.append((float, leaf, math.copysign(1.0, leaf)))
        else:
            try:
                hash(leaf)
                parts.append((type(leaf), leaf))
            except TypeError:
                parts.append((type(leaf), id(leaf)))
    parts.append(tuple(sorted(kwargs)))
    arrays = [id(t._data) for t in tensors]
    if len(set(arrays)) != len(arrays):
        parts.append(tuple(arrays.index(i) for i in arrays))
    return tuple(parts), tensors
