"""The backward pass: from the roots' nodes back to the leaves, one node at a time.

``run`` finds the nodes that lead to the roots (an explicit stack, never recursion), visits
them newest first (node numbers order the graph), calls each node's backward on the total
gradient of its output, sums each input's gradient down to the input's shape (the one place
where broadcasting is undone, ``fit``), and hands it to the input's node: a ``Function``
waits until all its gradients have arrived; an ``AccumulateGrad`` adds it into its leaf's
``.grad``. Without ``retain_graph`` each node's saved arrays are freed once used; the nodes
and their links stay. With ``create_graph`` the same pass runs on Tensors, so the backward
pass is itself recorded and can be differentiated again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .._sums import layout_sum, sum_columns
from . import graph
from . import hooks as _hooks
from .graph import FREED, OUT, AccumulateGrad, Function, Node, gradient_edge

Array = np.ndarray
_ndarray = np.ndarray


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` down to ``shape``: the backward of NumPy broadcasting.

    Broadcasting prepends axes and stretches size-1 axes; each stretched copy of an input
    element received a gradient, and the input's gradient is their sum.
    """
    extra = grad.ndim - len(shape)
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1)
    if type(grad) is not _ndarray:  # a Tensor (create_graph): Tensor ops, so it is recorded
        if stretched:
            grad = grad.sum(dim=tuple(i + extra for i in stretched), keepdim=True)
        return grad.sum(dim=tuple(range(extra))) if extra else grad
    if extra == 1 and grad.ndim == 2:  # (N, C) onto (C,): a bias of x @ W + b
        grad = sum_columns(grad)
    elif extra > 0:
        grad = layout_sum(grad, tuple(range(extra)))
    if stretched:
        grad = layout_sum(grad, stretched, keepdims=True)
    return grad


def fit(grad: Any, to: Node, node: Node) -> Any:
    """An input's gradient as the engine passes it on: an ndarray (not the NumPy scalar that
    arithmetic on 0-d arrays gives), or a Tensor under create_graph, of the shape and dtype
    of the value ``to`` made (broadcasting undone)."""
    dtype = None  # an op's gradient keeps its dtype (ops return their inputs' dtypes)
    if isinstance(to, AccumulateGrad):
        leaf = to.variable
        if leaf is None:  # a leaf that no one can see any more
            return grad
        shape, dtype = leaf._data.shape, leaf._data.dtype
    else:
        shape = to.out_shape  # type: ignore[attr-defined]
    if type(grad) is not _ndarray and not hasattr(grad, "_ctx"):  # a NumPy scalar, a number
        grad = np.asarray(grad)
    if grad.shape != shape:
        grad = unbroadcast(grad, shape)
        if grad.shape != shape:
            raise RuntimeError(f"{node.name()} returned a gradient of shape {tuple(grad.shape)} "
                               f"for an input of shape {shape}")
    if type(grad) is not _ndarray and not hasattr(grad, "_ctx"):  # a sum gave a NumPy scalar
        grad = np.asarray(grad)
    if dtype is not None and grad.dtype != dtype:
        grad = grad.astype(dtype) if type(grad) is _ndarray else grad.to(dtype)
    return grad


def graph_order(root_nodes: Iterable[Node]) -> list[tuple[int, Function]]:
    """``(node number, node)`` for every ``Function`` node reachable from ``root_nodes``, each
    after every node that used its output.

    Nodes are numbered as they are made (``Function.tick``) and an op's inputs exist before
    it, so sorting by that number, newest first, is a topological order. The walk uses an
    explicit stack and a visited table keyed by node number: a node used twice is visited once.
    """
    found: dict[int, Function] = {}
    stack: list[Function] = []
    for root in root_nodes:
        if root.__class__ is not AccumulateGrad:
            found[root.tick] = root  # type: ignore[attr-defined,assignment]
            stack.append(root)  # type: ignore[arg-type]
    while stack:
        for nxt in stack.pop().next_nodes:
            if nxt is not None and nxt.__class__ is not AccumulateGrad:
                tick = nxt.tick  # type: ignore[attr-defined]
                if tick not in found:
                    found[tick] = nxt  # type: ignore[assignment]
                    stack.append(nxt)  # type: ignore[arg-type]
    return sorted(found.items(), reverse=True)  # numbers are unique: nodes never compared


def accumulate(leaf: Any, grad: Any, owned: bool = False) -> None:
    """Add ``grad`` into ``leaf.grad`` (PyTorch semantics: gradients add up across backward
    calls until ``zero_grad``).

    ``.grad`` always holds a writable array of the leaf's shape and dtype that owns its memory
    (never a NumPy scalar, never a view of another array): the user may change it in place
    (clipping, ``zero_grad(set_to_none=False)``), which must not reach anything else. The first
    gradient is stored as it is when ``owned`` (a new array nothing else refers to), else as a
    copy; later ones are summed into a new array. Under create_graph ``grad`` is a Tensor and
    ``.grad`` becomes it (or the recorded sum), so it can be differentiated.
    """
    current = leaf._grad
    if hasattr(grad, "_ctx"):  # a Tensor: create_graph
        leaf._grad = grad if current is None else current + grad
        return
    if grad.dtype != leaf._data.dtype:
        grad, owned = grad.astype(leaf._data.dtype), True
    if current is None:
        leaf._grad = leaf._wrap(grad if owned else np.array(grad), False)
    else:  # np.add of two 0-d arrays returns a NumPy scalar: ask for an array
        current._data = np.add(current._data, grad, out=np.empty_like(current._data, order="K"))


# d root / d root = 1, one read-only array per dtype shared by every backward() (ops never
# change the gradient they receive; a leaf that would keep it as .grad gets a copy).
_ONES: dict[np.dtype[Any], Array] = {}


def seed(root: Any, gradient: Any, create_graph: bool) -> Any:
    """The gradient backward starts from: 1 for a scalar root, else ``gradient``."""
    if gradient is not None or root._data.size != 1:
        return _given_seed(root, gradient, create_graph)
    one = _ONES.get(root._data.dtype)
    if one is None:
        one = _ONES[root._data.dtype] = np.array(1, root._data.dtype)
        one.setflags(write=False)
    one = one.reshape(root._data.shape) if root._data.ndim else one
    return root._wrap(one, False) if create_graph else one


def _given_seed(root: Any, gradient: Any, create_graph: bool) -> Any:
    """``gradient`` checked against the root (and copied: the caller keeps their array)."""
    if gradient is None:
        raise RuntimeError(
            f"grad can be implicitly created only for scalar outputs: backward() without "
            f"a gradient needs a one-element output, but this tensor has shape "
            f"{root.shape}; pass gradient= of that shape, or reduce first (loss.sum())")
    if create_graph and hasattr(gradient, "_ctx"):  # a Tensor: may itself carry a graph
        if gradient.shape != root.shape:
            raise RuntimeError(f"backward(): gradient has shape {tuple(gradient.shape)} but "
                               f"the tensor has shape {root.shape}; they must match")
        return gradient if gradient.dtype == root.dtype else gradient.to(root.dtype)
    value = np.array(getattr(gradient, "_data", gradient), dtype=root._data.dtype)
    if value.shape != root._data.shape:
        raise RuntimeError(f"backward(): gradient has shape {value.shape} but the tensor has "
                           f"shape {root.shape}; they must match")
    return root._wrap(value, False) if create_graph else value


class GraphContext:
    """What an op's backward sees under create_graph: ``saved`` rebuilt as Tensors linked to
    the graph (an input's value to the input's node, the output to this node), so that the
    gradient computed from them can be differentiated; everything else is the node's."""

    def __init__(self, node: Function, wrap: Any) -> None:
        self.node = node
        self.saved = tuple(_rebuild(node, k, value, wrap)
                           for k, value in enumerate(node.saved or ()))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.node, name)


def _rebuild(node: Function, k: int, value: Any, wrap: Any) -> Any:
    origin = node.saved_from[k] if k < len(node.saved_from) else None
    if origin is None or not isinstance(value, (np.ndarray, np.generic)):
        return value  # a constant for the derivative (mask, index, setting)
    value = np.asarray(value)  # a 0-d op may have saved a NumPy scalar
    if origin == OUT:
        tensor = wrap(value, True)
        tensor._ctx = tensor._node = node
        return tensor
    edge = node.next_nodes[origin]  # type: ignore[index]
    if edge is None:
        return wrap(value, False)
    if isinstance(edge, AccumulateGrad) and edge.variable is not None:
        return edge.variable
    tensor = wrap(value, True)
    tensor._node = edge
    if not isinstance(edge, AccumulateGrad):
        tensor._ctx = edge
    return tensor


def run(roots: Sequence[Any], gradients: Sequence[Any], retain_graph: bool,
        create_graph: bool = False, targets: Sequence[Any] | None = None,
        hooks_before_capture: bool = True) -> dict[Node, Any]:
    """The backward pass from ``roots`` (each seeded by its gradient).

    Without ``targets`` it accumulates into every leaf's ``.grad``. With ``targets`` it
    touches no ``.grad`` and returns the total gradient of each target's node (``Capture``).
    """
    tracer = graph._tracer
    if tracer is not None and not tracer.calling:  # tg.compile records the pass, to run again
        return tracer.backward(run, roots, gradients, retain_graph, create_graph, targets,
                               hooks_before_capture)
    grads: dict[Node, Any] = {}  # gradients waiting for their node
    leaf_root = False  # x.backward() on a leaf x
    for root, gradient in zip(roots, gradients):  # noqa: B905 (callers check the lengths)
        if not root._requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn: "
                "backward() needs a tensor computed from one with requires_grad=True (and not "
                "under no_grad())")
        g = seed(root, gradient, create_graph)
        grads[root._node] = g if root._node not in grads else grads[root._node] + g
        leaf_root = leaf_root or root._ctx is None
    order = graph_order(grads)
    capture = None
    if targets is not None or _hooks.hooks or _hooks.retained or leaf_root or graph._anomaly:
        capture = Capture(grads, order, targets, hooks_before_capture)
    kept: set[int] = set()  # see give_to_leaf
    wrap, observed = roots[0]._wrap, graph._observed
    step = 0  # the place of each node in this pass, for watch()
    for _, node in order:
        grad = grads.pop(node, None)
        if grad is None:  # no path carried a gradient here (an op returned None)
            continue
        if capture is not None:
            grad = capture.at_node(node, grad, wrap)
            if grad is None:  # no target below this node: skip it
                continue
        saved = node.saved
        if saved is FREED:
            raise RuntimeError(graph.freed_message(node))
        if graph._last_change > node.tick:  # something changed in place since the node was made
            graph.check_saved_unchanged(node)
        if create_graph:
            input_grads = recorded_backward(node, grad, wrap)
        else:
            input_grads = node.array_backward(node, grad)
        if not retain_graph and saved:  # free the saved arrays; the structure stays
            node.saved = FREED
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        if observed:  # detect_anomaly() or watch()
            input_grads = observe_backward(node, grad, input_grads, step)
            step += 1
        for to, g in zip(node.next_nodes, input_grads):  # noqa: B905 (the kwarg costs)
            if g is None or to is None:
                continue
            if type(g) is not _ndarray or g.shape != to.out_shape:  # type: ignore[attr-defined]
                g = fit(g, to, node)  # a NumPy scalar, a broadcast shape, a Tensor
            if to.__class__ is not AccumulateGrad:
                previous = grads.get(to)
                grads[to] = g if previous is None else previous + g
            elif capture is None or not capture.takes_leaf(to, g):
                give_to_leaf(to, g, grad, kept)
    found = {} if capture is None else capture.finish(wrap)
    if _hooks._callbacks:
        _hooks.run_callbacks()
    return found


def recorded_backward(node: Function, grad: Any, wrap: Any) -> Any:
    """``create_graph=True``: the node's backward on Tensors, so that it is recorded."""
    if not node.differentiable_backward:
        raise NotImplementedError(
            f"create_graph=True: {node.name()} cannot record its backward, so its gradient "
            f"cannot be differentiated again: its class does not set differentiable_backward "
            f"= True (write backward with operations arrays and Tensors share, see "
            f"tinygrad_edu/ops/either.py, then set it)")
    return node.backward(GraphContext(node, wrap) if node.saved else node, grad)


def observe_backward(node: Function, grad: Any, input_grads: tuple[Any, ...],
                     step: int) -> tuple[Any, ...]:
    """The backward side of ``detect_anomaly()`` and ``watch()``: the input gradients summed
    down to their inputs' shapes (as the loop would), checked and/or kept."""
    fitted = tuple(
        g if g is None or to is None or (type(g) is _ndarray and g.shape == to.out_shape)  # type: ignore[attr-defined]
        else fit(g, to, node) for to, g in zip(node.next_nodes, input_grads))  # noqa: B905
    fitted += (None,) * (len(node.next_nodes) - len(fitted))  # ops may leave trailing Nones out
    if graph._tracer is not None:  # tg.compile writes kernels for the gradients' layouts
        graph._tracer.gradient(node, grad)
    if graph._anomaly:
        check_gradients(node, grad, fitted)
    if graph._watching:
        recorded = node.__dict__.get("recorded") or graph.Recorded(None, None)
        recorded.grad = np.array(_array(grad))
        recorded.input_grads = tuple(None if g is None else np.array(_array(g)) for g in fitted)
        recorded.step = step
        node.recorded = recorded
    return fitted


def _array(value: Any) -> Any:
    return value if isinstance(value, np.ndarray) or np.isscalar(value) else value._data


def check_gradients(node: Function, grad: Any, input_grads: tuple[Any, ...]) -> None:
    """Anomaly mode: name (and mark, ``node.anomaly``) the first node whose gradients hold NaN
    or inf."""
    try:
        graph._check_finite(grad, f"the gradient flowing into {node.name()}")
        for g in input_grads:
            if g is not None:
                graph._check_finite(g, f"backward of {node.name()}")
    except FloatingPointError as error:
        node.anomaly = str(error)
        error.node = node  # type: ignore[attr-defined]
        raise


def give_to_leaf(to: AccumulateGrad, g: Any, received: Any, kept: set[int]) -> None:
    """Add ``g`` into the leaf's ``.grad``. The first gradient a leaf gets becomes its
    ``.grad`` without a copy when nothing else can see it: an array that owns its memory, is
    not the gradient its node received (Add passes that on) and was not kept by another leaf
    (``kept``). Ops never return saved arrays."""
    leaf = to._variable()
    if leaf is None:
        return
    if (leaf._grad is None and g is not received and type(g) is _ndarray and g.base is None
            and g.dtype is leaf._data.dtype and g.flags.writeable and id(g) not in kept):
        kept.add(id(g))
        leaf._grad = leaf._wrap(g, False)
    else:
        accumulate(leaf, g)  # a copy, a cast, or a sum


class Capture:
    """The rarer duties of a backward pass: hooks, retained gradients, ``targets`` (``grad()``
    and ``backward(inputs=)``), and roots that are leaves.

    Hooks run on a tensor's total gradient: a non-leaf's when its node is reached, a leaf's at
    the end. A non-leaf target's gradient is taken after its hooks for ``backward(inputs=)``,
    before them for ``grad()``. With targets, only the nodes that lead to one run (PyTorch's
    ``exec_info``).
    """

    def __init__(self, grads: dict[Node, Any], order: list[tuple[int, Function]],
                 targets: Sequence[Any] | None, hooks_before_capture: bool) -> None:
        self.wanted = None if targets is None else {gradient_edge(t) for t in targets}
        # detect_anomaly(): leaves get their totals only once the whole pass ran, so a pass it
        # stops leaves every .grad as it was (as PyTorch, whose leaves wait for all inputs)
        self.hold_leaves = graph._anomaly
        self.leads = None if self.wanted is None else _leading_to(order, self.wanted)
        self.hooks_before_capture = hooks_before_capture
        self.found: dict[Node, Any] = {}
        # leaves whose total is needed before it is used (hooks, targets); leaf roots
        self.leaves = {n: grads.pop(n) for n in list(grads) if isinstance(n, AccumulateGrad)}

    def at_node(self, node: Function, grad: Any, wrap: Any) -> Any:
        """Hooks, retain_grad and target capture for a non-leaf tensor's total gradient;
        None if the node leads to no target."""
        wanted = self.wanted
        if wanted is not None and node in wanted and not self.hooks_before_capture:
            self.found[node] = grad
        if id(node) in _hooks.hooks:
            grad = _hooks.run_hooks(node, grad, wrap)
        if wanted is not None and node in wanted and self.hooks_before_capture:
            self.found[node] = grad
        if id(node) in _hooks.retained and (wanted is None or node not in wanted):
            tensor = _hooks.retained[id(node)]()
            if tensor is not None:  # (a target's gradient is handed back instead)
                accumulate(tensor, grad)
        if self.leads is not None and node.tick not in self.leads:
            return None
        return grad

    def takes_leaf(self, to: AccumulateGrad, g: Any) -> bool:
        """Hold a leaf's gradient until the end if it has hooks or is a target."""
        if self.wanted is None and id(to) not in _hooks.hooks and not self.hold_leaves:
            return False
        pending = self.leaves.get(to)
        self.leaves[to] = g if pending is None else pending + g
        return True

    def finish(self, wrap: Any) -> dict[Node, Any]:
        for acc, total in self.leaves.items():
            leaf = acc.variable
            if leaf is None or (self.wanted is not None and acc not in self.wanted):
                continue
            if id(acc) in _hooks.hooks:
                total = _hooks.run_hooks(acc, total, wrap)
            if self.wanted is None:
                accumulate(leaf, total)
            else:
                self.found[acc] = total
        return self.found


def _leading_to(order: list[tuple[int, Function]], wanted: set[Any]) -> set[int]:
    """The node numbers whose backward reaches a target: an input's node is a target or
    leads to one. Inputs are older than their node, so one pass oldest first decides."""
    leads: set[int] = set()
    for tick, node in reversed(order):
        for nxt in node.next_nodes:
            if nxt is not None and (nxt in wanted or getattr(nxt, "tick", None) in leads):
                leads.add(tick)
                break
    return leads
