"""The registries the backward pass consults: gradient hooks (``Tensor.register_hook``),
retained gradients (``retain_grad``), and callbacks queued for the end of a pass
(``queue_callback``, used by module backward hooks). The engine runs them.

Hooks and retained gradients live on the tensor's *node* (its ``grad_fn``, or for a leaf its
``AccumulateGrad``), as in PyTorch: the engine sees nodes, not tensors. Both are module-level
tables keyed by the node's id rather than node fields, so nodes without hooks (all but a few)
pay nothing; an entry goes when its node is garbage-collected.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from . import graph as _graph
from .graph import Node, gradient_edge

hooks: dict[int, dict[int, Callable[[Any], Any]]] = {}
retained: dict[int, weakref.ref[Any]] = {}  # node id -> the non-leaf tensor keeping .grad
_hook_ids = itertools.count()


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` unregisters the hook (as PyTorch's;
    also a context manager that removes it on exit)."""

    def __init__(self, table: dict[int, Callable[..., Any]], owner: int | None = None) -> None:
        self.id = next(_hook_ids)
        self._table = table
        self._owner = owner  # the node id of a tensor hook's table

    def remove(self) -> None:
        self._table.pop(self.id, None)
        if not self._table and self._owner is not None:  # no hooks left: drop the table, so
            hooks.pop(self._owner, None)  # backward passes take the common path again

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def _node_of(tensor: Any, what: str) -> Node:
    if not tensor._requires_grad:
        raise RuntimeError(f"cannot {what} a tensor that doesn't require gradient")
    return gradient_edge(tensor)  # type: ignore[return-value]


def register_hook(tensor: Any, hook: Callable[[Any], Any]) -> RemovableHandle:
    """Call ``hook(grad)`` each time the gradient of ``tensor`` is computed; a tensor it
    returns replaces the gradient (``Tensor.register_hook``)."""
    if not callable(hook):
        raise TypeError(f"register_hook expects a callable, got {type(hook).__name__}")
    if _graph._tracer is not None:
        _graph._tracer.unsupported("register_hook")
    node = _node_of(tensor, "register a hook on")
    key = id(node)
    table = hooks.get(key)
    if table is None:
        table = hooks[key] = {}
        weakref.finalize(node, hooks.pop, key, None)
    handle = RemovableHandle(table, key)
    table[handle.id] = hook
    return handle


def retain_grad(tensor: Any) -> None:
    """Keep ``.grad`` on a non-leaf tensor after backward (``Tensor.retain_grad``)."""
    if _graph._tracer is not None:
        _graph._tracer.unsupported("retain_grad()")
    node = _node_of(tensor, "retain_grad on")
    if id(node) not in retained:
        retained[id(node)] = weakref.ref(tensor)
        weakref.finalize(node, retained.pop, id(node), None)


def run_hooks(node: Node, grad: Any, wrap: Callable[[Any, bool], Any]) -> Any:
    """Run the node's tensor hooks on ``grad`` (an array, or a Tensor under create_graph)."""
    is_array = isinstance(grad, np.ndarray)
    for hook in list(hooks[id(node)].values()):
        replaced = hook(wrap(grad, False) if is_array else grad)
        if replaced is None:
            continue
        new = np.asarray(getattr(replaced, "_data", replaced)) if is_array else replaced
        if new.shape != grad.shape:
            raise RuntimeError(f"hook {hook!r} returned a gradient of shape {tuple(new.shape)} "
                               f"for a tensor of shape {tuple(grad.shape)}")
        if new.dtype != grad.dtype:
            raise RuntimeError(f"hook {hook!r} has changed the type of value: it returned "
                               f"{new.dtype} for a gradient of dtype {grad.dtype}")
        grad = new
    return grad


# Functions to call once the current backward pass is done (``queue_callback``; module
# backward hooks use it for the modules whose every input gradient is known only then).
_callbacks: list[Callable[[], Any]] = []


def queue_callback(callback: Callable[[], Any]) -> None:
    """Call ``callback()`` when the backward pass now running ends."""
    _callbacks.append(callback)


def run_callbacks() -> None:
    while _callbacks:
        _callbacks.pop(0)()
