"""Module hooks, as PyTorch's: run code before or after a module's forward, or when the
gradients of its inputs are known.

* ``register_forward_pre_hook(fn)``: ``fn(module, args)`` before ``forward``; a returned value
  (a tuple, or one value) replaces the positional arguments.
* ``register_forward_hook(fn)``: ``fn(module, args, output)`` after ``forward``; a returned
  value replaces the output.
* ``register_full_backward_hook(fn)``: ``fn(module, grad_input, grad_output)`` once the
  gradients with respect to the module's tensor inputs are known (tuples, ``None`` for inputs
  that need none); a returned tuple replaces ``grad_input``.

Each returns a handle whose ``remove()`` unregisters the hook. The backward hook is built from
tensor hooks on identity nodes (views), as PyTorch's ``BackwardHookFunction``: one around each
tensor input (its gradient is the input's) and one around each tensor output. A module with one
tensor input fires when that input's gradient arrives, so its hook may replace it; otherwise
the hooks fire when the backward pass ends (``autograd.queue_callback``), and may only look.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import autograd
from ..creation import zeros
from ..ops import shape as S
from ..tensor import Tensor
from ._registry import Registry

Hook = Callable[..., Any]


def add_hook(module: Any, kind: str, hook: Hook) -> autograd.RemovableHandle:
    """Register ``hook`` in the module's table of ``kind`` hooks (made on first use)."""
    if not callable(hook):
        raise TypeError(f"{kind} hook must be callable, got {type(hook).__name__}")
    table = module.__dict__.get(kind)
    if table is None:
        table = Registry()  # (its changes are counted: adding or removing a hook is seen)
        object.__setattr__(module, kind, table)
        object.__setattr__(module, "_has_hooks", True)
        autograd.graph.module_changes[0] += 1
    handle = autograd.RemovableHandle(table)
    table[handle.id] = hook
    return handle


def call_with_hooks(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``module.forward(*args, **kwargs)`` with its hooks around it."""
    for hook in list(module.__dict__.get("_forward_pre_hooks", {}).values()):
        replaced = hook(module, args)
        if replaced is not None:
            args = replaced if isinstance(replaced, tuple) else (replaced,)
    backward_hooks = module.__dict__.get("_backward_hooks")
    watch = None
    if backward_hooks and autograd.is_grad_enabled():
        watch = _BackwardWatch(module, backward_hooks, args)
        args = watch.inputs(args)
    output = module.forward(*args, **kwargs)
    for hook in list(module.__dict__.get("_forward_hooks", {}).values()):
        replaced = hook(module, args, output)
        if replaced is not None:
            output = replaced
    return output if watch is None else watch.outputs(output)


class _BackwardWatch:
    """The gradients of one call of a module with full backward hooks."""

    def __init__(self, module: Any, hooks: dict[int, Hook], args: tuple[Any, ...]) -> None:
        self.module, self.hooks = module, hooks
        self.watched = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        self.grad_input: list[Tensor | None] = [None] * len(args)
        # an input that needs a gradient but gets none sees zeros, as PyTorch's
        self.zeros = {i: (args[i].shape, args[i].dtype) for i in self.watched}
        self.grad_output: list[Tensor | None] = []
        self.fired = self.queued = False

    def inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        new_args = list(args)
        for i in self.watched:
            identity = S.View.apply(args[i], shape=args[i].shape)
            identity.register_hook(self._on_input(i))
            new_args[i] = identity
        return tuple(new_args)

    def outputs(self, output: Any) -> Any:
        outputs = list(output) if isinstance(output, tuple) else [output]
        self.grad_output = [None] * len(outputs)
        for j, out in enumerate(outputs):
            if isinstance(out, Tensor) and out.requires_grad:
                outputs[j] = S.View.apply(out, shape=out.shape)
                outputs[j].register_hook(self._on_output(j))
        return tuple(outputs) if isinstance(output, tuple) else outputs[0]

    def _on_output(self, j: int) -> Hook:
        def record(grad: Tensor) -> None:
            self.grad_output[j] = grad
            if not self.queued:  # the first output gradient of this call: fire at the latest
                self.queued = True  # when the backward pass ends
                autograd.queue_callback(self._fire_at_end)
        return record

    def _on_input(self, i: int) -> Hook:
        def record(grad: Tensor) -> Tensor | None:
            self.grad_input[i] = grad
            if len(self.watched) == 1:  # every input gradient is known now: may be replaced
                return self._fire()[i]
            return None
        return record

    def _fire(self) -> tuple[Tensor | None, ...]:
        self.fired = True
        for i, (shape, dtype) in self.zeros.items():
            if self.grad_input[i] is None:
                self.grad_input[i] = zeros(shape, dtype=dtype)
        grad_input = tuple(self.grad_input)
        for hook in list(self.hooks.values()):
            result = hook(self.module, grad_input, tuple(self.grad_output))
            if result is not None:
                if not isinstance(result, tuple) or len(result) != len(grad_input):
                    raise RuntimeError(f"backward hook {hook!r} must return None or a tuple of "
                                       f"{len(grad_input)} gradients (one per input)")
                grad_input = result
        return grad_input

    def _fire_at_end(self) -> None:
        if self.fired:
            return
        if self._fire() != tuple(self.grad_input):
            raise NotImplementedError(
                "a backward hook that replaces the input gradients of a module with several "
                "(or no) tensor inputs is not supported yet; inspecting them is")
