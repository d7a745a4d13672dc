"""``tg.compile``: run a step eagerly while recording what it does, then replay the recording.

A tracing JIT in four small pieces, the way tinygrad's ``TinyJit`` and ``jax.jit`` work::

    step = tg.compile(train_step)     # or @tg.compile above its def, or tg.compile(model)
    for x, y in loader:
        loss = step(x, y)             # calls 1 and 2 trace (eagerly), later calls replay

1. **The trace** (``Tracer``). While ``fn`` runs, the library reports to the tracer every op
   it applies (``Function.apply``: the class, its settings, its input and output tensors), every
   random draw (``random.draw``: the sampling function and its arguments), every backward pass
   (``engine.run``), every ``optimizer.step()``/``zero_grad()``, and every module that runs
   (its ``training`` flag). Anything it cannot replay it also reports: a value read back into
   Python (``.item()``, ``bool(t)``, ``.numpy()``: it may steer the control flow), an in-place
   change outside the optimizer, an assignment to ``.grad`` or ``.data``.
2. **The tape** (``Tape``, made by ``_build`` from two traces). Each recorded op becomes one
   entry: its ``forward`` and where each input comes from -- an earlier entry's output, an
   argument of ``fn``, a tensor from outside (a parameter, a captured batch: read afresh on
   every call), a constant (a value that was the same in both traces), a random draw. Two traces
   are needed to tell a constant from a value computed where the tracer cannot see (NumPy on
   ``.data``, a draw from NumPy's own generator): that one differs between the calls.
3. **The guards** (``_key`` and ``guard_function``). A tape is valid for the shapes, strides,
   dtypes and ``requires_grad`` of the tensor arguments, the values of the other arguments and
   the grad mode it was traced with (the cache key, at most ``MAX_TAPES`` tapes per function),
   and, checked before each replay, for the modules that ran (their ``training`` flags,
   attributes, hooks, submodules and parameters: looked at only when
   ``autograd.graph.module_changes`` moved), the arrays of the outside tensors (the same
   array, or one of the same shape, dtype and strides), the optimizers' parameters and the
   Python decisions made on values (cross_entropy's targets). A changed guard traces again.
4. **The replay**. A training step (ops, one ``backward()`` from a scalar, the optimizer)
   becomes one straight-line Python function (``_compile_codegen``, ``tape.source``): the hot
   ops (``Linear``, ``ReLU``, ``Sigmoid``, ``MSELoss``, ``CrossEntropy``) and plain SGD as the
   NumPy calls they make, into buffers allocated once (``_compile_kernels``); any other op's
   ``forward`` and ``array_backward`` called as they are; the gradients added up and handed to
   ``.grad`` in the engine's order. No Tensor, no node, no graph walk. Any other tape replays
   entry by entry (``Tape.replay``) with one fresh node per op, so a ``backward()`` outside
   works. The same NumPy calls on the same arrays in the same order: results are bit-identical
   to eager; random ops draw fresh numbers from the library's RNG in the eager order.

What cannot be replayed falls back to eager for that function, with one warning naming the
cause. Python side effects of ``fn`` other than the ones above (appending to a list, printing)
happen only while tracing, as with every tracing JIT. ``print(tg.compile(fn).tape)`` shows the
tape as the list of calls it replays.
"""

from __future__ import annotations

import functools
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._compile_codegen import _params_of, generate, guard_function
from ._compile_kernels import Layout
from ._compile_trace import (
    ARG_EDGE,
    ARRAY,
    CONSTANT,
    NO_EDGE,
    OP_EDGE,
    OUTSIDE,
    SLOT,
    TENSOR_EDGE,
    CannotReplay,
    Tracer,
    _Call,
    _key,
    _Op,
    _Random,
    _run_traced,
    _same,
    _short,
    _source_name,
)
from .autograd import engine, graph
from .autograd import hooks as _hooks
from .nn.module import Module
from .tensor import Tensor, _make

__all__ = ["CompiledFunction", "CompiledModule", "compile"]

MAX_TAPES = 8  # traces kept per function (torch.compile's cache_size_limit)
TRACE_CALLS = 2  # eager, recorded calls before the first replay
_new = object.__new__


# ----------------------------- 1. the trace: _compile_trace.py (Tracer). 2. the tape


@dataclass
class _Entry:
    kind: str  # "op", "random", "call", "backward"
    cls: Any = None
    settings: dict[str, Any] = field(default_factory=dict)
    sources: tuple[tuple[int, Any], ...] = ()
    edges: tuple[tuple[int, Any], ...] | None = None  # None: the op records no node
    out: int = -1
    scope: Any = None
    call: Any = None  # random: the sampling function; call: the bound method
    args: tuple[Any, ...] = ()
    roots: tuple[int, ...] = ()
    node_of: tuple[int, ...] = ()  # backward: the op entry whose node each root is
    gradients: tuple[tuple[int, Any] | None, ...] = ()
    retain_graph: bool = False

    def describe(self, names: list[str], known: dict[int, str]) -> str:
        if self.kind == "op":
            args = ", ".join(_source_name(s, names, known) for s in self.sources)
            extra = "".join(f", {k}={_short(v)}" for k, v in self.settings.items())
            return f"{names[self.out]} = {self.cls.__name__}.forward({args}{extra})"
        if self.kind == "random":
            return f"{names[self.out]} = {self.call.__name__}{_short(self.args)}"
        if self.kind == "call":
            owner = getattr(self.call, "__self__", None)
            name = self.call.__name__ if owner is None else \
                f"{type(owner).__name__}.{self.call.__name__}"
            return f"{name}({', '.join(map(_short, self.args))})"
        roots = ", ".join(names[r] for r in self.roots)
        return f"backward({roots})  # each node's array_backward, newest first"


class Tape:
    """A replayable recording of one call: entries, slots, output structure and guards."""

    def __init__(self, entries: list[_Entry], n_slots: int, arg_slots: list[int],
                 output: Any, outside: list[Tensor], modules: list[tuple[Module, bool, Any]],
                 names: list[str], arrays: list[np.ndarray]) -> None:
        self.entries = entries
        self.shapes = [a.shape for a in arrays]  # of each slot, as traced (and guarded)
        self.dtypes = [a.dtype for a in arrays]
        self.layouts = [Layout.of(a) for a in arrays]
        self.grad_layouts: dict[int, Layout] = {}  # op entry -> its node's incoming gradient
        self.output_slots = sorted({s for s in _output_slots(output)})
        self.source: str | None = None  # the straight-line function, when there is one
        self._fast: Callable[..., Any] | None = None
        self.n_slots = n_slots
        self.arg_slots = arg_slots  # the slot of each tensor leaf of the arguments
        self.output = output  # the structure of fn's result, tensors as ("slot", i)...
        self.outside = [(t, t._data.shape, t._data.dtype, t._requires_grad) for t in outside]
        self.value_guards: list[tuple[Callable[..., Any], Any, Any]] = []  # see Tracer
        self.modules = modules
        self.names = names
        # the parameters of each optimizer the tape calls (its step is written out per param)
        owners = {id(o): o for e in entries if e.kind == "call"
                  for o in [getattr(e.call, "__self__", None)] if hasattr(o, "param_groups")}
        self.optimizers = [(o, _params_of(o)) for o in owners.values()]
        self._guards: Callable[[list[Tensor]], bool] = lambda args: False  # see _build
        self.n_ops = sum(e.kind == "op" for e in entries)

    def tensor_names(self) -> dict[int, str]:
        """Parameters and buffers by their names in the outermost module that ran."""
        known: dict[int, str] = {}
        for module, *_ in reversed(self.modules):
            known.update({id(t): name for name, t in module.named_parameters()})
            known.update({id(t): name for name, t in module.named_buffers()})
        return known

    def __repr__(self) -> str:
        known = self.tensor_names()
        lines = [f"{i:3d}  {e.describe(self.names, known)}" for i, e in enumerate(self.entries)]
        return "\n".join([f"<tape: {len(self.entries)} calls>", *lines])

    def make_fast(self, backward_orders: list[list[int]] | None) -> None:
        """Write the tape out as one straight-line function (``_compile_codegen``) when it is
        a step that runs its own backward: ops, backward() from a scalar, optimizer calls."""
        backwards = [e for e in self.entries if e.kind == "backward"]
        if (backward_orders is None or not backwards
                or any(e.retain_graph or len(e.roots) != 1 or e.gradients != (None,)
                       for e in backwards)
                or any(e.kind == "op" and e.edges is not None
                       and any(k == ARG_EDGE for k, _ in e.edges) for e in self.entries)):
            return
        try:
            self.source, self._fast = generate(self, backward_orders)
        except NotImplementedError:  # a graph shape the straight-line form does not cover
            self.source, self._fast = None, None

    def replay(self, tensor_args: list[Tensor]) -> Any:
        fast = self._fast
        if fast is not None and not (_hooks.hooks or _hooks.retained):
            return fast(*[t._data for t in tensor_args])
        slots: list[Any] = [None] * self.n_slots
        for slot, t in zip(self.arg_slots, tensor_args, strict=True):
            slots[slot] = t._data
        nodes: list[Any] = [None] * len(self.entries)
        arg_nodes = {slot: t._node for slot, t in zip(self.arg_slots, tensor_args, strict=True)}
        for i, e in enumerate(self.entries):
            kind = e.kind
            if kind == "op":
                arrays = [slots[w] if k == SLOT else w._data if k == OUTSIDE else w
                          for k, w in e.sources]
                ctx = _new(e.cls)
                ctx.saved = None
                out = e.cls.forward(ctx, *arrays, **e.settings)
                if type(out) is not np.ndarray:
                    out = np.asarray(out)
                slots[e.out] = out
                if e.edges is not None:
                    ctx.next_nodes = tuple(
                        None if k == NO_EDGE else nodes[w] if k == OP_EDGE
                        else w._node if k == TENSOR_EDGE else arg_nodes[w] for k, w in e.edges)
                    ctx.tick = next(graph._clock)
                    ctx.out_shape = out.shape
                    if e.scope is not None:
                        ctx.module_scope = e.scope
                    nodes[i] = ctx
            elif kind == "random":
                slots[e.out] = e.call(*e.args)
            elif kind == "call":
                e.call(*e.args)
            else:
                roots = [self._tensor(slots[r], nodes[n]) for r, n in zip(e.roots, e.node_of,
                                                                            strict=True)]
                gradients = [None if g is None else self._tensor(
                    slots[g[1]] if g[0] == SLOT else g[1]._data if g[0] == OUTSIDE else g[1],
                    None) for g in e.gradients]
                engine.run(roots, gradients, e.retain_graph)
        return self._rebuild(self.output, slots, nodes)

    @staticmethod
    def _tensor(array: np.ndarray, node: Any) -> Tensor:
        t = _make(array, node is not None)
        if node is not None:
            t._ctx = t._node = node
        return t

    def _rebuild(self, spec: Any, slots: list[Any], nodes: list[Any] | None) -> Any:
        kind = spec[0]
        if kind == "tensor":  # (the fast form keeps no nodes: its outputs are values)
            _, slot, entry = spec
            return self._tensor(slots[slot], None if entry is None or nodes is None
                                else nodes[entry])
        if kind == "outside":
            return spec[1]
        if kind == "seq":
            items = [self._rebuild(s, slots, nodes) for s in spec[2]]
            return spec[1](items) if spec[1] in (list, tuple) else spec[1](*items)
        if kind == "dict":
            return {k: self._rebuild(s, slots, nodes) for k, s in spec[1].items()}
        return spec[1]  # a constant


def _build(first: tuple[Any, Tracer, list[Tensor]], second: tuple[Any, Tracer, list[Tensor]]
           ) -> Tape:
    """The tape of the second trace, checked against the first (raises CannotReplay)."""
    (out1, t1, args1), (out2, t2, args2) = first, second
    events1, events2 = t1.events, t2.events
    if len(events1) != len(events2) or any(type(a) is not type(b)
                                           for a, b in zip(events1, events2, strict=True)):
        raise CannotReplay("the two traced calls did different things (Python control flow "
                            "that depends on something the guards do not see)")
    slot_of: list[dict[int, int]] = [{}, {}]  # id(array) -> slot, per trace
    keep: list[Any] = []  # holds the arrays whose ids the maps use
    names: list[str] = []
    arrays: list[np.ndarray] = []  # each slot's array in the second trace
    arg_slots = []
    for k, (a, b) in enumerate(zip(args1, args2, strict=True)):
        slot_of[0][id(a._data)] = slot_of[1][id(b._data)] = len(names)
        keep += [a._data, b._data]
        arg_slots.append(len(names))
        names.append(f"arg{k}")
        arrays.append(b._data)
    orders: list[list[int]] | None = []  # the engine's node order of each backward
    op_entry_of: dict[int, int] = {}  # id(node) of the second trace -> its entry
    outside: dict[int, Tensor] = {}
    entries: list[_Entry] = []

    def source(t1_: Any, t2_: Any, what: str) -> tuple[int, Any]:
        s1, s2 = slot_of[0].get(id(t1_._data)), slot_of[1].get(id(t2_._data))
        if s2 is not None or s1 is not None:
            if s1 != s2:
                raise CannotReplay(f"{what} comes from different places in the two calls")
            return SLOT, s2
        if t1_ is t2_:
            outside[id(t2_)] = t2_
            return OUTSIDE, t2_
        if t1_._data is t2_._data:
            return ARRAY, t2_._data
        if _same(t1_._data, t2_._data):
            if id(t1_) not in t1.constants or id(t2_) not in t2.constants:
                raise CannotReplay(f"{what} is a value computed outside the recorded ops (a "
                                   "comparison, argmax, a mask or the like): a tape would "
                                   "keep it as it was when traced")
            return CONSTANT, t2_._data.copy()
        raise CannotReplay(f"{what} changed between the calls but no recorded op computed "
                            "it (NumPy on .data, or a random draw not from the library's RNG?)")

    for e1, e2 in zip(events1, events2, strict=True):
        if isinstance(e2, _Op):
            label = f"input of {e2.cls.__name__}"
            if e1.cls is not e2.cls or e1.record != e2.record or not _same(e1.settings,
                                                                          e2.settings):
                raise CannotReplay(f"{e2.cls.__name__} was called with other settings in the "
                                    "two calls")
            sources = tuple(source(a, b, label) for a, b in zip(e1.inputs, e2.inputs,
                                                                   strict=True))
            edges = None
            if e2.record:
                edges = tuple(_edge(node, src, op_entry_of, label)
                              for node, src in zip(e2.ctx.next_nodes, sources, strict=True))
                op_entry_of[id(e2.ctx)] = len(entries)
            out = len(names)
            names.append(f"t{out}")
            arrays.append(e2.result._data)
            slot_of[0][id(e1.result._data)] = slot_of[1][id(e2.result._data)] = out
            keep += [e1.result._data, e2.result._data]
            entries.append(_Entry("op", e2.cls, e2.settings, sources, edges, out, e2.scope))
        elif isinstance(e2, _Random):
            if e1.sample is not e2.sample or not _same(e1.args, e2.args):
                raise CannotReplay("a random draw changed between the calls")
            out = len(names)
            names.append(f"r{out}")
            arrays.append(e2.array)
            slot_of[0][id(e1.array)] = slot_of[1][id(e2.array)] = out
            keep += [e1.array, e2.array]
            entries.append(_Entry("random", call=e2.sample, args=e2.args, out=out))
        elif isinstance(e2, _Call):
            if e1.method != e2.method or not _same(e1.args, e2.args):
                raise CannotReplay("the optimizer calls changed between the calls")
            entries.append(_Entry("call", call=e2.method, args=e2.args))
        else:
            roots, node_of = [], []
            for r1, r2 in zip(e1.roots, e2.roots, strict=True):
                kind, slot = source(r1, r2, "the tensor backward() started from")
                entry = op_entry_of.get(id(r2._ctx))
                if kind != SLOT or entry is None or r2._ctx is None:
                    raise CannotReplay("backward() from a tensor no recorded op made")
                roots.append(slot)
                node_of.append(entry)
            gradients = tuple(None if g2 is None else source(
                g1 if isinstance(g1, Tensor) else _make(np.asarray(g1), False),
                g2 if isinstance(g2, Tensor) else _make(np.asarray(g2), False),
                "backward()'s gradient") for g1, g2 in zip(e1.gradients, e2.gradients,
                                                           strict=True))
            entries.append(_Entry("backward", roots=tuple(roots), node_of=tuple(node_of),
                                  gradients=gradients, retain_graph=e2.retain_graph))
            order = [op_entry_of.get(id(node)) for _, node in
                     engine.graph_order([r._ctx for r in e2.roots])]
            if orders is not None:
                orders.append([j for j in order if j is not None])
                if None in order:  # it reaches into a graph made before the call
                    orders = None
    output = _output_spec(out1, out2, slot_of, op_entry_of, names)
    if [(id(m), f, st) for m, f, st in t1.modules.values()] != \
            [(id(m), f, st) for m, f, st in t2.modules.values()]:
        raise _Retrace("the modules' flags or settings differ between the two traces")
    modules = list(t2.modules.values())
    if len(t1.value_guards) != len(t2.value_guards):
        raise CannotReplay("the two traced calls made different Python decisions")
    guards = []
    for (_, a1, _), (check2, a2, v2) in zip(t1.value_guards, t2.value_guards, strict=True):
        src = source(_make(a1, False), _make(a2, False), "a value a Python decision read")
        if src[0] not in (SLOT, OUTSIDE, ARRAY) or (src[0] == SLOT and src[1] not in arg_slots):
            raise CannotReplay("Python code decided on a value computed inside the function")
        if src[0] == ARRAY:  # the array of a tensor from outside: guard that tensor's array
            owner = next((t for t in outside.values() if t._data is src[1]), None)
            src = (OUTSIDE, owner if owner is not None else _make(src[1], False))
        guards.append((check2, src, v2))
    tape = Tape(entries, len(names), arg_slots, output, list(outside.values()), modules, names,
                arrays)
    tape.value_guards = guards
    tape.grad_layouts = {op_entry_of[i]: layout for i, (_, layout) in t2.gradients.items()
                         if i in op_entry_of}
    tape._guards = guard_function(tape)
    tape.make_fast(orders)
    return tape


class _Retrace(CannotReplay):
    """The two traces ran under different guards (train then eval): trace again."""


def _output_slots(spec: Any) -> list[int]:
    kind = spec[0]
    if kind == "tensor":
        return [spec[1]]
    if kind == "seq":
        return [s for item in spec[2] for s in _output_slots(item)]
    if kind == "dict":
        return [s for item in spec[1].values() for s in _output_slots(item)]
    return []


def _edge(node: Any, src: tuple[int, Any], op_entry_of: dict[int, int], what: str
          ) -> tuple[int, Any]:
    if node is None:
        return NO_EDGE, None
    if id(node) in op_entry_of:
        return OP_EDGE, op_entry_of[id(node)]
    kind, value = src
    if kind == OUTSIDE and node is value._node:
        return TENSOR_EDGE, value  # a parameter: its AccumulateGrad, read at each call
    if kind == SLOT:  # an argument that requires grad: its node, given at each call
        return ARG_EDGE, value
    raise CannotReplay(f"the gradient of an {what} goes to a node no recorded op made")


def _output_spec(out1: Any, out2: Any, slot_of: list[dict[int, int]],
                 op_entry_of: dict[int, int], names: list[str]) -> Any:
    if isinstance(out2, Tensor):
        s1, s2 = slot_of[0].get(id(out1._data)), slot_of[1].get(id(out2._data))
        if s2 is None or s1 != s2:
            if out1 is out2:
                return ("outside", out2)
            raise CannotReplay("the function returns a tensor no recorded op computed")
        names[s2] = f"out{s2}" if names[s2].startswith("t") else names[s2]
        return ("tensor", s2, op_entry_of.get(id(out2._ctx)) if out2._ctx else None)
    if isinstance(out2, (tuple, list)) and type(out1) is type(out2) and len(out1) == len(out2):
        kind = type(out2)
        return ("seq", kind, [_output_spec(a, b, slot_of, op_entry_of, names)
                              for a, b in zip(out1, out2, strict=True)])
    if isinstance(out2, dict) and isinstance(out1, dict) and out1.keys() == out2.keys():
        return ("dict", {k: _output_spec(out1[k], out2[k], slot_of, op_entry_of, names)
                         for k in out2})
    if _same(out1, out2):
        return ("constant", out2)
    raise CannotReplay(f"the function returns a {type(out2).__name__} that changes between "
                        "calls and is not a tensor")


# ----------------------------------------------------------------------------- 3. the guards


# ----------------------------------------------------------------------------- 4. the replay


@dataclass
class _Slot:
    traces: list[tuple[Any, Tracer, list[Tensor]]] = field(default_factory=list)
    tapes: list[Tape] = field(default_factory=list)  # newest first


class CompiledFunction:
    """``fn`` compiled: traced on its first calls for each guard key, then replayed."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self._tapes: OrderedDict[Any, _Slot] = OrderedDict()
        self._eager_reason: str | None = None  # set once fn turned out not replayable
        self.trace_count = 0
        self.replay_count = 0
        functools.update_wrapper(self, fn)

    @property
    def tape(self) -> Tape | None:
        """The most recently used tape (``print`` it to see the calls it replays)."""
        for slot in reversed(self._tapes.values()):
            if slot.tapes:
                return slot.tapes[0]
        return None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._eager_reason is not None or graph._observed:  # watch()/anomaly: eager
            return self.fn(*args, **kwargs)
        key, tensors = _key(args, kwargs)
        slot = self._tapes.get(key)
        if slot is not None:
            for tape in slot.tapes:  # (a train tape and an eval tape, say)
                try:
                    holds = tape._guards(tensors)
                except Exception:  # a value check raised (a bad target): eager raises it
                    return self.fn(*args, **kwargs)  # where it would, after what runs first
                if holds:
                    self.replay_count += 1
                    return tape.replay(tensors)
        if slot is None:
            if len(self._tapes) >= MAX_TAPES:
                self._tapes.popitem(last=False)
                self._warn_once(f"more than {MAX_TAPES} different argument shapes or values: "
                                "the oldest trace is dropped (static shapes replay best)")
            slot = self._tapes[key] = _Slot()
        else:
            self._tapes.move_to_end(key)
        out, tracer = _run_traced(self.fn, args, kwargs)
        self.trace_count += 1
        if tracer.reason is not None:
            self._fall_back(tracer.reason)
            return out
        slot.traces.append((out, tracer, tensors))
        if len(slot.traces) >= TRACE_CALLS:
            try:
                tape = _build(slot.traces[-2], slot.traces[-1])
                slot.tapes = [tape, *slot.tapes][:MAX_TAPES]
                slot.traces = []
            except _Retrace:  # traced under two guard states: keep the newer trace
                slot.traces = slot.traces[-1:]
            except CannotReplay as e:
                self._fall_back(str(e))
        return out

    def _fall_back(self, reason: str) -> None:
        self._eager_reason = reason
        self._tapes.clear()
        self._warn_once(f"running {getattr(self.fn, '__qualname__', self.fn)!s} eagerly from "
                        f"now on: {reason}", stacklevel=4)

    def _warn_once(self, message: str, stacklevel: int = 3) -> None:
        warned = self.__dict__.setdefault("_warned", set())  # once per compiled function
        if message not in warned:
            warned.add(message)
            warnings.warn(f"tg.compile: {message}", RuntimeWarning, stacklevel=stacklevel)


class CompiledModule(Module):
    """``tg.compile(model)``: the module, its ``__call__`` compiled (as torch.compile's
    ``OptimizedModule``: the original is ``_orig_mod``, so state_dict keys start with it)."""

    def __init__(self, module: Module) -> None:
        super().__init__()
        self._orig_mod = module
        self._compiled = CompiledFunction(module.__call__)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._compiled(*args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._compiled(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:  # what the module has: model.fc1, model.hidden
        return getattr(self.__dict__["_orig_mod"], name)


def compile(fn: Any = None, **options: Any) -> Any:
    """Compile a function (or a Module): trace its first calls, then replay the tape.

    Usable as ``tg.compile(fn)``, ``@tg.compile`` and ``@tg.compile()``; ``options`` accepts
    torch.compile's keywords (``mode``, ``fullgraph``, ``dynamic``, ``backend``) and ignores
    them. See the module docstring for what is traced, guarded and replayed.
    """
    if fn is None:
        return functools.partial(compile, **options)
    if isinstance(fn, Module):
        return CompiledModule(fn)
    if not callable(fn):
        raise TypeError(f"tg.compile expects a function or a Module, got {type(fn).__name__}")
    return CompiledFunction(fn)

