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
tensor hooks: each tensor input is passed through an identity node (a view), whose gradient is
the gradient of the input, and the output gets a hook that records the gradient of the output.
The engine walks nodes newest first, and the identity nodes are made just before ``forward``,
so by the time the first of them is reached every input's gradient is complete.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import autograd
from ..ops import shape as S
from ..tensor import Tensor

Hook = Callable[..., Any]


def add_hook(module: Any, kind: str, hook: Hook) -> autograd.RemovableHandle:
    """Register ``hook`` in the module's table of ``kind`` hooks (made on first use)."""
    if not callable(hook):
        raise TypeError(f"{kind} hook must be callable, got {type(hook).__name__}")
    table = module.__dict__.get(kind)
    if table is None:
        table = {}
        object.__setattr__(module, kind, table)
        object.__setattr__(module, "_has_hooks", True)
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
    state = None
    if backward_hooks and autograd.is_grad_enabled():
        args, state = _watch_inputs(module, args, backward_hooks)
        if state is None:  # no input needs a gradient: fire once the outputs' are known
            state = {"grad_output": [], "grad_input": [None] * len(args), "hooks": backward_hooks,
                     "module": module}
    output = module.forward(*args, **kwargs)
    for hook in list(module.__dict__.get("_forward_hooks", {}).values()):
        replaced = hook(module, args, output)
        if replaced is not None:
            output = replaced
    if state is not None:
        outputs = output if isinstance(output, tuple) else (output,)
        state["grad_output"] = [None] * len(outputs)
        for j, out in enumerate(outputs):
            if isinstance(out, Tensor) and out.requires_grad:
                out.register_hook(_output_hook(state, j))
    return output


def _watch_inputs(module: Any, args: tuple[Any, ...], hooks: dict[int, Hook]) -> tuple[
        tuple[Any, ...], dict[str, Any] | None]:
    """Pass each tensor input that requires grad through an identity node whose hook records
    its gradient; the first input's node is made first, so it is reached last (nodes run
    newest first): its hook calls the module's backward hooks with every gradient."""
    watched = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not watched:
        return args, None
    state: dict[str, Any] = {"grad_output": [], "grad_input": [None] * len(args)}
    new_args = list(args)
    for i in watched:
        identity = S.View.apply(args[i], shape=args[i].shape)
        last = i == watched[0]
        identity.register_hook(_input_hook(module, hooks, state, i, last, len(watched)))
        new_args[i] = identity
    return tuple(new_args), state


def _output_hook(state: dict[str, Any], j: int) -> Hook:
    def record(grad: Tensor) -> None:
        state["grad_output"][j] = grad
        if "hooks" in state and j == 0:  # inputs need no gradient; output 0 is reached last
            for hook in list(state["hooks"].values()):
                hook(state["module"], tuple(state["grad_input"]), tuple(state["grad_output"]))
    return record


def _input_hook(module: Any, hooks: dict[int, Hook], state: dict[str, Any], i: int, last: bool,
                n_watched: int) -> Hook:
    def on_input_grad(grad: Tensor) -> Tensor | None:
        state["grad_input"][i] = grad
        if not last:
            return None
        grad_input = tuple(state["grad_input"])
        for hook in list(hooks.values()):
            result = hook(module, grad_input, tuple(state["grad_output"]))
            if result is None:
                continue
            if not isinstance(result, tuple) or len(result) != len(grad_input):
                raise RuntimeError(f"backward hook {hook!r} must return None or a tuple of "
                                   f"{len(grad_input)} gradients (one per input)")
            if n_watched > 1 and any(r is not g for k, (r, g) in enumerate(
                    zip(result, grad_input, strict=True)) if k != i):
                raise NotImplementedError(
                    "a backward hook that replaces the gradients of a module with several "
                    "tensor inputs is not supported yet (inspecting them is)")
            grad_input = result
        return grad_input[i]
    return on_input_grad
