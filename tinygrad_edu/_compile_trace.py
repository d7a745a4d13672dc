"""tg.compile, part 1: the trace. While a compiled function runs its first calls, ``Tracer``
(installed as ``autograd.graph._tracer``) is told, in order, every op applied, random draw,
backward pass and optimizer call, every module that ran, and anything it cannot replay."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

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
        self.modules: dict[int, tuple[Module, bool]] = {}
        self.reason: str | None = None
        self.calling = False  # inside a recorded call (optimizer.step): report nothing

    def _refuse(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason

    def op(self, cls: type, ctx: Any, record: bool, inputs: tuple[Any, ...], result: Any,
           settings: dict[str, Any]) -> None:
        if not self.calling:
            self.events.append(_Op(cls, dict(settings), tuple(inputs), result, ctx, record,
                                   getattr(ctx, "module_scope", None) if record else None))

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

    def module(self, module: Module) -> None:
        self.modules.setdefault(id(module), (module, module.training))

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
