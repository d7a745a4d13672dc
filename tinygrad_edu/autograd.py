"""The autograd engine: graph nodes, grad mode, and the backward pass.

How reverse mode works here, in one paragraph. Every differentiable op is a ``Function``
subclass with two NumPy functions side by side: ``forward(ctx, *arrays)`` computes the output
and stashes on ``ctx`` what the derivative will need; ``backward(ctx, grad)`` turns the gradient
of the output into one gradient per input (the chain rule, one local derivative at a time).
``Function.apply`` runs ``forward`` and, when grad mode is on and some input requires grad,
keeps ``ctx`` as the output's ``grad_fn``: a node holding its parents. ``backward()`` finds the
nodes that lead to the loss (an explicit stack, never recursion), walks them from the loss
back to the leaves, sums each incoming gradient down to its input's shape (the one place where
broadcasting is undone), accumulates into the leaves' ``.grad`` and frees the graph.
"""

from __future__ import annotations

import contextlib
import itertools
import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._hooks import RemovableHandle as RemovableHandle  # re-exported: tg.autograd.*
from ._hooks import _callbacks, _hooks, _run_callbacks
from ._hooks import queue_callback as queue_callback
from ._hooks import register_hook as register_hook
from ._sums import layout_sum, sum_columns

if TYPE_CHECKING:
    from .tensor import Tensor

Array = np.ndarray

_grad_enabled = True  # the grad mode; switched by no_grad()/enable_grad()
_anomaly = False  # detect_anomaly(): check every output and gradient for NaN/inf
# One clock ticks when a node is made and when a tensor is changed in place. A node's tick
# orders the graph (inputs always have smaller ticks) and dates it: a saved input whose tensor
# changed after that tick makes backward() refuse. ``_last_change`` is the latest in-place tick.
_clock = itertools.count(1)
_last_change = 0
# The chains of modules whose forward is running (pushed by Module.__call__). Nodes recorded
# inside keep the innermost chain as ``module_scope``, so graph pictures can cluster by module.
module_scope: list[tuple[Any, ...]] = []


def _make_tensor(data: Array, requires_grad: bool) -> Tensor:
    """Replaced by tensor.py's fast constructor when it is imported (Tensor lives there and
    imports this module, so this module cannot import it)."""
    raise RuntimeError("import tinygrad_edu before using the engine")


_new = object.__new__
_data = operator.attrgetter("data")
_ndarray = np.ndarray  # a module global: np.ndarray is an attribute lookup on every op


class Function:
    """A differentiable op; once applied with grad on, also a node of the graph (``grad_fn``).

    Subclasses define two staticmethods working on NumPy arrays:

    * ``forward(ctx, *arrays, **kwargs) -> array`` -- compute the output; put the arrays that
      backward needs in ``ctx.saved`` (a tuple; it is dropped when the graph is freed) and any
      small settings (axes, shapes) as attributes of ``ctx``.
    * ``backward(ctx, grad) -> gradient or tuple of gradients`` -- one per input of ``forward``
      (``None`` where an input needs none). A gradient may keep a broadcast shape: the engine
      sums it down to the input's shape. Return ``grad`` itself, a view of it, or a new array --
      never an array saved on ``ctx`` or an input's data (a leaf keeps a new array as its
      ``.grad`` without copying it), and never change ``grad`` in place.
    """

    __slots__ = ("parents", "saved", "tick", "module_scope", "__dict__")

    parents: tuple[Tensor, ...] | None
    saved: tuple[Any, ...] | None
    tick: int  # the clock when the node was made: orders the graph, dates in-place changes
    module_scope: tuple[Any, ...]  # set only for nodes recorded inside a Module's forward

    @classmethod
    def apply(cls, *inputs: Any, **kwargs: Any) -> Tensor:  # inputs: Tensors
        """Run ``forward`` on the inputs' arrays and record the node if a gradient is needed."""
        ctx = _new(cls)
        try:
            # Spelled out for one to three inputs and no settings (most calls): unpacking
            # map() into *args and an empty **kwargs cost 0.3 us, a third of ``a + b``.
            n = len(inputs)
            if n == 2 and not kwargs:
                out = cls.forward(ctx, inputs[0].data, inputs[1].data)
            elif n == 1 and not kwargs:
                out = cls.forward(ctx, inputs[0].data)
            elif n == 3 and not kwargs:
                out = cls.forward(ctx, inputs[0].data, inputs[1].data, inputs[2].data)
            else:
                out = cls.forward(ctx, *map(_data, inputs), **kwargs)
        except ValueError as e:  # NumPy's shape errors, with the op's name in front
            raise ValueError(f"{cls.__name__}: {e}") from None
        if type(out) is not _ndarray:  # NumPy reductions return scalars, not 0-d arrays
            out = np.asarray(out)
        if _anomaly:
            _check_finite(out, f"forward of {cls.__name__}")
        track = False
        if _grad_enabled:
            for t in inputs:
                if t._requires_grad:
                    track = True
                    break
        result = _make_tensor(out, track)
        if out.base is not None:  # maybe a view of an input: share its version (in-place checks)
            for t in inputs:
                if np.may_share_memory(out, t.data):
                    result._base = t if t._base is None else t._base
                    break
        if track:
            ctx.parents = inputs
            ctx.tick = next(_clock)
            if module_scope:
                ctx.module_scope = module_scope[-1]
            result._ctx = ctx
        return result

    @staticmethod
    def forward(ctx: Any, *arrays: Any, **kwargs: Any) -> Array:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Any, grad: Array) -> Any:
        raise NotImplementedError

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """Which inputs want a gradient, so backward can skip work for constants."""
        return tuple(p._requires_grad for p in self.parents or ())

    def name(self) -> str:
        return f"{type(self).__name__}Backward"

    def __repr__(self) -> str:
        return f"<{self.name()}>"


# --------------------------------------------------------------------------- grad mode


class _GradMode(contextlib.ContextDecorator):
    """Base of no_grad/enable_grad: a context manager that is also a decorator (re-entrant),
    with or without parentheses (``@no_grad()`` and ``@no_grad``)."""

    _mode = True

    def __new__(cls, func: Callable[..., Any] | None = None) -> Any:
        self = super().__new__(cls)
        if func is None:
            return self
        _GradMode.__init__(self)  # bare decorator: @no_grad
        return self(func)

    def __init__(self) -> None:
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous.append(_grad_enabled)
        _grad_enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self._previous.pop()


class no_grad(_GradMode):
    """Context manager / decorator: ops inside record no graph (inference, optimizer steps)."""

    _mode = False


class enable_grad(_GradMode):
    """Context manager / decorator: turn graph recording back on inside a ``no_grad`` block."""

    _mode = True


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(mode)``: as PyTorch's, it switches the mode at once when called, and
    also works as a context manager (restoring the mode on exit) or a decorator."""

    def __new__(cls, mode: bool) -> Any:
        return object.__new__(cls)

    def __init__(self, mode: bool) -> None:
        global _grad_enabled
        super().__init__()
        self._mode = bool(mode)
        self._mode_before_call: bool | None = _grad_enabled
        _grad_enabled = self._mode

    def __enter__(self) -> None:
        global _grad_enabled
        before, self._mode_before_call = self._mode_before_call, None
        self._previous.append(_grad_enabled if before is None else before)
        _grad_enabled = self._mode

    def __call__(self, func: Callable[..., Any]) -> Any:
        global _grad_enabled
        if self._mode_before_call is not None:  # decorating: undo the immediate switch
            _grad_enabled, self._mode_before_call = self._mode_before_call, None
        return super().__call__(func)


def is_grad_enabled() -> bool:
    return _grad_enabled


@contextlib.contextmanager
def detect_anomaly() -> Any:
    """Raise ``FloatingPointError`` on the first op whose output or gradient is NaN or inf."""
    global _anomaly
    previous, _anomaly = _anomaly, True
    try:
        yield
    finally:
        _anomaly = previous


def _check_finite(array: Array, where: str) -> None:
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        bad = "NaN" if np.isnan(array).any() else "inf"
        raise FloatingPointError(f"detect_anomaly: {where} produced {bad} values")


def bump_version(tensor: Any) -> None:  # a Tensor
    """Mark ``tensor`` as changed in place (called by every in-place method).

    The tick is recorded on the tensor that owns the memory (``_base`` for views), so a change
    through a view and a change of its base are both seen by every view.
    """
    global _last_change
    owner = tensor if tensor._base is None else tensor._base
    owner._version = _last_change = next(_clock)


def bump_versions(tensors: list[Tensor]) -> None:
    """``bump_version`` for several tensors changed in one go (an optimizer step): one tick."""
    global _last_change
    _last_change = next(_clock)
    for tensor in tensors:
        (tensor if tensor._base is None else tensor._base)._version = _last_change


def _changed_since(tensor: Tensor, tick: int) -> bool:
    owner = tensor if tensor._base is None else tensor._base
    return owner._version > tick


# --------------------------------------------------------------------------- backward


def unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``grad`` down to ``shape``: the backward of NumPy broadcasting.

    Broadcasting prepends axes and stretches size-1 axes; each stretched copy of an input
    element received a gradient, and the input's gradient is their sum.
    """
    extra = grad.ndim - len(shape)
    if extra == 1 and grad.ndim == 2:  # (N, C) onto (C,): a bias of x @ W + b
        grad = sum_columns(grad)
    elif extra > 0:
        grad = layout_sum(grad, tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = layout_sum(grad, stretched, keepdims=True)
    return grad


def _fit(grad: Any, parent: Tensor, node: Function) -> Array:
    """An input's gradient as the engine stores it: an ndarray (not the NumPy scalar that
    arithmetic on 0-d arrays gives) of the input's shape (broadcasting undone) and dtype.
    (Ops see inputs of one dtype -- binary ops promote through Cast nodes -- so a leaf's cast
    in ``_accumulate`` covers the rest.)"""
    if grad.shape != parent.data.shape:
        grad = unbroadcast(np.asarray(grad), parent.data.shape)
        if grad.shape != parent.data.shape:
            raise RuntimeError(f"{node} returned a gradient of shape {grad.shape} for an input "
                               f"of shape {parent.shape}")
    if type(grad) is not _ndarray:
        grad = np.asarray(grad)
    if grad.dtype != parent.data.dtype:
        grad = grad.astype(parent.data.dtype)
    return grad


def _graph_order(roots: Sequence[Tensor]) -> list[tuple[int, Tensor]]:
    """``(node number, tensor)`` for every non-leaf tensor reachable from ``roots``, each after
    every tensor computed from it.

    Nodes are numbered as they are made (``Function.tick``), and an op's inputs always exist
    before its output, so sorting by that number, newest first, is a topological order: no
    post-order bookkeeping needed. The walk uses an explicit stack (deep graphs must not hit
    the recursion limit) and keys tensors by their node's number, so a tensor used twice (a
    diamond) is visited once.
    """
    found = {}
    stack = []
    for root in roots:
        if root._ctx is not None:
            found[root._ctx.tick] = root
            stack.append(root._ctx)
    while stack:
        node = stack.pop()
        if node.parents is None:
            raise RuntimeError(
                f"Trying to backward through the graph a second time: the graph of {node} "
                "was freed by an earlier backward(). Pass retain_graph=True to the first "
                "backward() if you need to call it again."
            )
        for parent in node.parents:
            ctx = parent._ctx
            if ctx is not None and ctx.tick not in found:
                found[ctx.tick] = parent
                stack.append(ctx)
    return sorted(found.items(), reverse=True)  # node numbers are unique: tensors never compared


def _accumulate(tensor: Tensor, grad: Array, owned: bool = False) -> None:
    """Add ``grad`` into ``tensor.grad`` (leaf accumulation, PyTorch semantics).

    A leaf's ``.grad`` always holds a writable ndarray of the leaf's shape and dtype that owns
    its memory (never a NumPy scalar, never a view of another array): the user may change it in
    place (clipping, ``zero_grad(set_to_none=False)``), which must not reach anything else. The
    first gradient is stored as it is when ``owned`` (a new array nothing else refers to),
    otherwise as a copy; later ones are summed into a new array.
    """
    if grad.dtype != tensor.data.dtype:
        grad, owned = grad.astype(tensor.data.dtype), True
    current = tensor._grad
    if current is None:
        tensor._grad = _make_tensor(grad if owned else np.array(grad), False)
    else:  # np.add of two 0-d arrays returns a NumPy scalar: ask for an array
        current.data = np.add(current.data, grad, out=np.empty_like(current.data, order="K"))


def _check_saved_unchanged(node: Function, tensor: Tensor) -> None:
    """Refuse to use an array saved for backward that was changed in place since."""
    saved = getattr(node, "saved", None) or ()  # ops that save nothing never set it
    if any(isinstance(s, np.ndarray) and np.may_share_memory(s, tensor.data) for s in saved):
        raise RuntimeError(
            f"one of the tensors needed by {node} for gradient computation (shape "
            f"{tensor.shape}, dtype {tensor.dtype}) was modified by an in-place operation "
            "after it was saved; the gradient would be wrong. Do the in-place change after "
            "backward(), or use an out-of-place op."
        )


# d root / d root = 1, one read-only array per dtype shared by every backward() (ops never
# change the gradient they receive; a leaf that would keep it as .grad gets a copy).
_ONES: dict[np.dtype[Any], Array] = {}


def _seed(root: Tensor, gradient: Any) -> Array:
    """The gradient backward starts from: 1 for a scalar root, else ``gradient`` (copied)."""
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward() without a gradient needs a scalar (one-element) output, but this "
                f"tensor has shape {root.shape}; pass gradient= of that shape, or reduce first "
                "(e.g. loss.sum() or loss.mean())"
            )
        one = _ONES.get(root.data.dtype)
        if one is None:
            one = _ONES[root.data.dtype] = np.array(1, root.data.dtype)
            one.setflags(write=False)
        return one.reshape(root.data.shape) if root.data.ndim else one
    # a copy: the user keeps their array, and .grad must not share memory with it
    seed = np.array(getattr(gradient, "data", gradient), dtype=root.data.dtype)
    if seed.shape != root.data.shape:
        raise RuntimeError(
            f"backward(): gradient has shape {seed.shape} but the tensor has shape "
            f"{root.shape}; they must match"
        )
    return seed


def _run_hooks(tensor: Tensor, grad: Array) -> Array:
    for hook in list(_hooks[id(tensor)].values()):
        replaced = hook(_make_tensor(grad, False))
        if replaced is not None:
            new = np.asarray(getattr(replaced, "data", replaced))
            if new.shape != grad.shape:
                raise RuntimeError(f"hook {hook!r} returned a gradient of shape {new.shape} for "
                                   f"a tensor of shape {grad.shape}")
            if new.dtype != grad.dtype:
                raise RuntimeError(f"hook {hook!r} has changed the type of value: it returned "
                                   f"{new.dtype} for a gradient of dtype {grad.dtype}")
            grad = new
    return grad


def backward(root: Tensor, gradient: Any = None, retain_graph: bool = False,
             inputs: Any = None) -> None:
    """Reverse-mode autodiff from ``root``: fill ``.grad`` of every leaf that requires grad
    (only of ``inputs``, leaves or not, when given, as PyTorch's ``backward(inputs=...)``)."""
    if inputs is None:
        _run([root], [gradient], retain_graph, None)
        return
    targets = _as_inputs(inputs, "backward")
    found = _run([root], [gradient], retain_graph, targets)
    for t in targets:
        if id(t) in found:
            _accumulate(t, found[id(t)])


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs) as a tuple of tensors, one per input, without touching any
    ``.grad`` (``torch.autograd.grad``). ``grad_outputs`` weights each output (needed for
    outputs that are not scalars); inputs need not be leaves."""
    if create_graph:
        raise NotImplementedError("autograd.grad(create_graph=True): gradients of gradients "
                                  "come with engine v2 (issue 12); this engine records no "
                                  "graph of the backward pass")
    single = not isinstance(outputs, (list, tuple))
    roots = [outputs] if single else list(outputs)
    targets = _as_inputs(inputs, "grad")
    seeds = [None] * len(roots) if grad_outputs is None else (
        [grad_outputs] if not isinstance(grad_outputs, (list, tuple)) else list(grad_outputs))
    if len(seeds) != len(roots):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(seeds)} "
                           f"grad_outputs for {len(roots)} outputs")
    for k, root in enumerate(roots):
        if not getattr(root, "_requires_grad", False):
            raise RuntimeError(f"element {k} of tensors does not require grad and does not have "
                               "a grad_fn")
    found = _run(roots, seeds, bool(retain_graph), targets, hooks_before_capture=False)
    result: list[Tensor | None] = []
    for k, t in enumerate(targets):
        g = found.get(id(t))
        if g is None and not allow_unused:
            raise RuntimeError(f"input {k} (shape {t.shape}) appears to not have been used in "
                               "the graph. Set allow_unused=True if this is the desired behavior.")
        result.append(None if g is None else _make_tensor(np.array(g), False))
    return tuple(result)


def _as_inputs(inputs: Any, op: str) -> list[Tensor]:
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


def _run(roots: Sequence[Tensor], gradients: Sequence[Any], retain_graph: bool,
         targets: list[Tensor] | None, hooks_before_capture: bool = True) -> dict[int, Array]:
    """The backward pass from ``roots`` (each seeded by its gradient).

    Without ``targets`` it accumulates into every leaf's ``.grad``. With ``targets`` it
    touches no leaf's ``.grad``, runs only the nodes that lead to a target (PyTorch's
    ``exec_info``), and returns the total gradient of each target it reached, by id.
    Hooks run on a tensor's total gradient: for non-leaves when their node is reached, for
    leaves (whose gradient arrives in pieces) at the end. A non-leaf target's gradient is
    taken after its hooks for ``backward(inputs=)`` and before them for ``grad()``, as in
    PyTorch.
    """
    # Gradients waiting for their tensor's node, keyed by the node's number; and leaves whose
    # total is needed before it goes anywhere (hooks, targets).
    grads: dict[int, Array] = {}
    leaves: dict[int, tuple[Tensor, Array]] = {}
    for root, gradient in zip(roots, gradients, strict=True):
        if not root._requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: it was not computed from a "
                "tensor with requires_grad=True, or it was computed under no_grad()"
            )
        seed = _seed(root, gradient)
        if root._ctx is None:
            leaves[id(root)] = (root, seed)
        else:
            key = root._ctx.tick
            grads[key] = seed if key not in grads else grads[key] + seed
    wanted = None if targets is None else {id(t) for t in targets}
    special = wanted is not None or bool(_hooks)  # False on the common path: one test a node
    found: dict[int, Array] = {}
    # A leaf keeps a new array as its .grad without copying it (it is never used again here):
    # one that owns its memory (not a view), is not the gradient its node received (Add
    # passes that on) and was not kept by another leaf. Ops never return saved arrays.
    kept: set[int] = set()
    order = _graph_order(roots)
    leads = None if wanted is None else _leading_to(order, wanted)
    for tick, tensor in order:
        grad = grads.pop(tick, None)
        if grad is None:  # no path carried a gradient here (an op returned None)
            continue
        node: Function = tensor._ctx  # type: ignore[assignment]  # non-leaf: it has a node
        parents: tuple[Tensor, ...] = node.parents  # type: ignore[assignment]  # not freed
        if special:
            if wanted is not None and id(tensor) in wanted and not hooks_before_capture:
                found[id(tensor)] = grad
            if id(tensor) in _hooks:
                grad = _run_hooks(tensor, grad)
            if wanted is not None and id(tensor) in wanted and hooks_before_capture:
                found[id(tensor)] = grad
        if tensor._retains_grad and (wanted is None or id(tensor) not in wanted):
            _accumulate(tensor, grad)  # (a target's gradient is handed back instead)
        if special and leads is not None and tick not in leads:  # no target below: skip it
            continue
        if _last_change > tick:  # something changed in place since this node was made
            for changed in (tensor, *parents):
                if _changed_since(changed, tick):
                    _check_saved_unchanged(node, changed)
        if _anomaly:
            _check_finite(grad, f"the gradient flowing into {node}")
        input_grads = node.backward(node, grad)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        for parent, parent_grad in zip(parents, input_grads, strict=False):
            if parent_grad is None or not parent._requires_grad:
                continue
            if type(parent_grad) is not _ndarray or parent_grad.shape != parent.data.shape:
                parent_grad = _fit(parent_grad, parent, node)  # a NumPy scalar, or broadcast
            if _anomaly:
                _check_finite(parent_grad, f"backward of {node}")
            if parent._ctx is not None:
                key = parent._ctx.tick
                previous = grads.get(key)
                grads[key] = parent_grad if previous is None else previous + parent_grad
            elif special and (wanted is not None or id(parent) in _hooks):
                pending = leaves.get(id(parent))
                leaves[id(parent)] = (parent, parent_grad if pending is None
                                      else pending[1] + parent_grad)
            elif (parent_grad is not grad and parent._grad is None and parent_grad.base is None
                    and parent_grad.dtype is parent.data.dtype and parent_grad.flags.writeable
                    and id(parent_grad) not in kept):
                kept.add(id(parent_grad))  # the first gradient of a leaf, kept as is
                parent._grad = _make_tensor(parent_grad, False)
            else:
                _accumulate(parent, parent_grad)  # a copy, a cast, or a sum
        if not retain_graph:  # free the saved arrays and the links to the parents
            node.parents = None
            node.saved = None
    for key, (leaf, total) in leaves.items() if leaves else ():
        if wanted is not None and key not in wanted:
            continue
        if key in _hooks:
            total = _run_hooks(leaf, total)
        if wanted is None:
            _accumulate(leaf, total)
        else:
            found[key] = total
    if _callbacks:
        _run_callbacks()
    return found


def _leading_to(order: list[tuple[int, Tensor]], wanted: set[int]) -> set[int]:
    """The node numbers whose backward reaches a target: some input is a target or is made
    by such a node. Inputs are older than their node, so one pass oldest first decides."""
    leads: set[int] = set()
    for tick, tensor in reversed(order):
        for parent in tensor._ctx.parents or ():  # type: ignore[union-attr]
            ctx = parent._ctx
            if id(parent) in wanted or (ctx is not None and ctx.tick in leads):
                leads.add(tick)
                break
    return leads
