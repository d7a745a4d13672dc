"""The autograd engine (``torch.autograd``'s place).

* ``graph.py``  -- ``Function`` (an op and its node), ``AccumulateGrad``, grad mode, versions
* ``engine.py`` -- the backward pass
* ``hooks.py``  -- gradient hooks, retained gradients, end-of-pass callbacks
* ``functional.py`` -- ``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``hvp`` (imported by the
  package ``tinygrad_edu`` once Tensor exists: it builds tensors)

Here: ``backward`` and ``grad``, the two ways to start a backward pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import engine, graph
from .graph import (
    AccumulateGrad,
    Array,
    Function,
    Node,
    bump_version,
    bump_versions,
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    module_scope,
    no_grad,
    set_grad_enabled,
    watch,
)
from .hooks import RemovableHandle, queue_callback, register_hook, retain_grad

__all__ = ["AccumulateGrad", "Array", "Function", "Node", "RemovableHandle", "backward",
           "bump_version", "bump_versions", "detect_anomaly", "enable_grad", "engine", "grad",
           "graph", "inference_mode", "is_grad_enabled", "module_scope", "no_grad",
           "queue_callback", "register_hook", "retain_grad", "set_grad_enabled", "watch"]


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Fill ``.grad`` of every leaf the tensors depend on (``torch.autograd.backward``); with
    ``inputs``, only of those tensors (leaves or not)."""
    roots = _as_list(tensors)
    seeds = [None] * len(roots) if grad_tensors is None else _as_list(grad_tensors)
    if len(seeds) != len(roots):
        raise RuntimeError(f"grad_tensors has {len(seeds)} entries for {len(roots)} tensors")
    keep = create_graph if retain_graph is None else bool(retain_graph)
    if inputs is None:
        engine.run(roots, seeds, keep, create_graph)
        return
    targets = _as_inputs(inputs, "backward")
    found = engine.run(roots, seeds, keep, create_graph, targets)
    for t in targets:
        g = found.get(t._node)
        if g is not None:
            engine.accumulate(t, g)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None,
         materialize_grads: bool = False) -> tuple[Any, ...]:
    """d(outputs)/d(inputs), one tensor per input, without touching any ``.grad``
    (``torch.autograd.grad``). ``grad_outputs`` weights each output (needed for outputs that
    are not scalars); inputs need not be leaves. With ``create_graph=True`` the results are
    recorded, so they can be differentiated again (gradients of gradients)."""
    roots = _as_list(outputs)
    targets = _as_inputs(inputs, "grad")
    seeds = [None] * len(roots) if grad_outputs is None else _as_list(grad_outputs)
    if len(seeds) != len(roots):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(seeds)} "
                           f"grad_outputs for {len(roots)} outputs")
    for k, root in enumerate(roots):
        if not getattr(root, "_requires_grad", False):
            raise RuntimeError(f"element {k} of tensors does not require grad and does not have "
                               "a grad_fn")
    keep = create_graph if retain_graph is None else bool(retain_graph)
    found = engine.run(roots, seeds, keep, create_graph, targets, hooks_before_capture=False)
    result: list[Any] = []
    for k, t in enumerate(targets):
        g = found.get(t._node)
        if g is None:
            if not (allow_unused or materialize_grads):
                raise RuntimeError(f"input {k} (shape {t.shape}) appears to not have been used "
                                   "in the graph. Set allow_unused=True if this is the desired "
                                   "behavior.")
            result.append(t._wrap(np.zeros_like(t._data), False)
                          if materialize_grads else None)
        elif hasattr(g, "_ctx"):  # create_graph: already a Tensor
            result.append(g)
        else:
            result.append(t._wrap(np.array(g), False))
    return tuple(result)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _as_inputs(inputs: Any, op: str) -> list[Any]:
    """A tensor or any iterable of them (``model.parameters()``) as a list."""
    targets = [inputs] if hasattr(inputs, "_requires_grad") else list(inputs)
    if not targets:
        raise RuntimeError(f"{op}: inputs must not be empty")
    for k, t in enumerate(targets):
        if not hasattr(t, "_requires_grad"):
            raise TypeError(f"{op}: input {k} must be a Tensor, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError(f"{op}: input {k} does not require grad (only tensors with "
                               "requires_grad=True can be differentiated)")
    return targets
