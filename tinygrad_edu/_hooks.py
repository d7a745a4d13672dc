"""The registries the backward pass consults: tensor gradient hooks (``Tensor.register_hook``)
and callbacks queued for the end of a pass (``queue_callback``, used by module backward hooks).
The engine (``autograd.py``) runs them; this module only keeps them.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import Any

# Gradient hooks (``Tensor.register_hook``): tensor id -> its hooks, in registration order. A
# module-level table rather than a Tensor slot, so tensors without hooks (all but a few) pay
# nothing; an entry goes when its tensor is garbage-collected.
_hooks: dict[int, dict[int, Callable[[Any], Any]]] = {}
_hook_ids = itertools.count()


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` unregisters the hook (as PyTorch's;
    also a context manager that removes it on exit)."""

    def __init__(self, table: dict[int, Callable[..., Any]], owner: int | None = None) -> None:
        self.id = next(_hook_ids)
        self._table = table
        self._owner = owner  # the tensor id of a tensor hook's table

    def remove(self) -> None:
        self._table.pop(self.id, None)
        if not self._table and self._owner is not None:  # no hooks left: drop the table, so
            _hooks.pop(self._owner, None)  # backward passes take the common path again

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def register_hook(tensor: Any, hook: Callable[[Any], Any]) -> RemovableHandle:
    """Call ``hook(grad)`` each time the gradient of ``tensor`` is computed; a tensor it
    returns replaces the gradient (``Tensor.register_hook``)."""
    if not callable(hook):
        raise TypeError(f"register_hook expects a callable, got {type(hook).__name__}")
    if not tensor._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    key = id(tensor)
    table = _hooks.get(key)
    if table is None:
        table = _hooks[key] = {}
        weakref.finalize(tensor, _hooks.pop, key, None)
    handle = RemovableHandle(table, key)
    table[handle.id] = hook
    return handle


# Functions to call once the current backward pass is done (``queue_callback``; module
# backward hooks use it for the modules whose every input gradient is known only then).
_callbacks: list[Callable[[], Any]] = []


def queue_callback(callback: Callable[[], Any]) -> None:
    """Call ``callback()`` when the backward pass now running ends."""
    _callbacks.append(callback)


def _run_callbacks() -> None:
    while _callbacks:
        _callbacks.pop(0)()
