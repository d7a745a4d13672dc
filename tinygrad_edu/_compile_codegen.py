"""tg.compile's fast replay: a tape written out as one straight-line Python function.

For a training step -- ops, one ``backward()`` from a scalar loss, the optimizer's calls -- the
tape (``compile.Tape``) becomes the source of a function that runs the forward ops, then each
node's backward in the engine's order (newest first), adding the gradients up in the order the
engine adds them and handing the leaves theirs as ``engine.give_to_leaf`` does, then the
optimizer. An op with a kernel (``_compile_kernels``) is written out as its NumPy calls into
buffers made once; any other op is called as it is (``forward``, ``array_backward``, with a
fresh node object to hold what it saves). No Tensor, no graph walk, no dict of pending
gradients: what is left is the NumPy work. ``print(step.tape.source)`` shows it. The same calls
on the same arrays in the same order as eager: the results are bit-identical.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _compile_kernels as kernels
from ._compile_trace import (
    NO_EDGE,
    OP_EDGE,
    OUTSIDE,
    SLOT,
    TENSOR_EDGE,
)
from .autograd import engine, graph
from .autograd.graph import bump_versions
from .nn._registry import Registry
from .tensor import _make

_new = object.__new__


class _Shape:
    """What ``engine.fit`` reads of an op's node: the shape its gradient must have."""

    __slots__ = ("out_shape", "name")

    def __init__(self, shape: tuple[int, ...], name: str) -> None:
        self.out_shape = shape
        self.name = lambda: name


def generate(tape: Any, backward_orders: list[list[int]]) -> tuple[str, Any]:
    """The source of the tape's straight-line function and the function.

    ``backward_orders``: for each backward entry, the op entries whose node the engine runs,
    in its order. The function takes the tensor arguments' arrays and returns fn's result."""
    consts: dict[str, Any] = {"new": _new, "ndarray": np.ndarray, "asarray": np.asarray,
                              "fit": engine.fit, "accumulate": engine.accumulate,
                              **kernels.NAMESPACE}
    lines: list[str] = []
    names = list(tape.names)  # a kernel's output is called by its buffer's name instead
    known = tape.tensor_names()

    named: dict[tuple[int, str], str] = {}  # one name per object (and role): easier to read

    def const(value: Any, hint: str) -> str:
        if (id(value), hint) in named:
            return named[id(value), hint]
        key = (id(value), hint)
        if hint == "T" and id(value) in known:  # a parameter or buffer: by its name
            hint = "p_" + "".join(c if c.isalnum() else "_" for c in known[id(value)]) + "_"
        name = named[key] = f"{hint}{len(consts)}"
        consts[name] = value
        return name

    def operand(kind: int, what: Any) -> str:
        if kind == SLOT:
            return names[what]
        if kind == OUTSIDE:
            return f"{const(what, 'T')}._data"
        return const(what, "C")  # an array from outside, or a constant

    writer = kernels.Writer(const, lines)
    chosen = _kernels_of(tape)
    fresh = _outliving(tape, chosen)
    shape_of: dict[int, tuple[int, ...]] = {}  # op entry -> its output's shape (traced)
    written: dict[int, Any] = {}  # op entry -> its kernel, once its forward is written
    backward_at = {i: k for k, i in enumerate(i for i, e in enumerate(tape.entries)
                                              if e.kind == "backward")}
    for i, e in enumerate(tape.entries):
        if e.kind == "op":
            shape_of[i] = tape.shapes[e.out]
            out = names[e.out]
            if i in chosen:
                kernel = chosen[i](writer, [operand(k, w) for k, w in e.sources],
                                   [_layout(tape, k, w) for k, w in e.sources],
                                   tape.layouts[e.out], e.settings, e.out in fresh,
                                   tape.grad_layouts.get(i))
                names[e.out] = kernel.forward()
                written[i] = kernel
                continue
            fwd = const(e.cls.forward, f"{e.cls.__name__}_forward_")
            args = ", ".join(operand(k, w) for k, w in e.sources)
            kw = "".join(f", {k}={const(v, 'S')}" for k, v in e.settings.items())
            ctx = f"ctx{i}"
            lines.append(f"{ctx} = new({const(e.cls, e.cls.__name__ + '_')}); {ctx}.saved = None")
            lines.append(f"{out} = {fwd}({ctx}, {args}{kw})")
            lines.append(f"if {out}.__class__ is not ndarray: {out} = asarray({out})")
            if e.edges is not None:  # what its backward reads: needs_input_grad
                pattern = tuple(None if k == NO_EDGE else True for k, _ in e.edges)
                lines.append(f"{ctx}.next_nodes = {const(pattern, 'E')}")
        elif e.kind == "random":
            args = ", ".join(const(a, "A") for a in e.args)
            lines.append(f"{names[e.out]} = {const(e.call, 'draw')}({args})")
        elif e.kind == "call":
            lines += _call(e, const, writer)
        else:
            _backward(tape, i, e, backward_orders[backward_at[i]], shape_of, const, writer,
                      written)
    params = ", ".join(names[s] for s in tape.arg_slots)
    body = "\n".join(f"    {line}" for line in lines) or "    pass"
    consts["make"] = _make
    source = (f"def replay({params}):\n{body}\n"
              f"    return {_output(tape.output, names, const)}\n")
    namespace = dict(consts)
    exec(compile(source, "<tg.compile tape>", "exec"), namespace)  # noqa: S102 (our own code)
    return source, namespace["replay"]


def _layout(tape: Any, kind: int, what: Any) -> kernels.Layout:
    """An op input's layout as traced (an outside tensor's is guarded to stay so)."""
    if kind == SLOT:
        return tape.layouts[what]
    return kernels.Layout.of(what._data if kind == OUTSIDE else what)


def _kernels_of(tape: Any) -> dict[int, type[kernels.Kernel]]:
    """The op entries a kernel is written for: those whose case its ``fits`` covers."""
    chosen = {}
    for i, e in enumerate(tape.entries):
        kernel = kernels.KERNELS.get(e.cls) if e.kind == "op" else None
        if kernel is not None and kernel.fits(
                [_layout(tape, k, w) for k, w in e.sources], tape.layouts[e.out], e.settings,
                tape.grad_layouts.get(i) if e.edges is not None else None):
            chosen[i] = kernel
    return chosen


def _outliving(tape: Any, chosen: dict[int, Any]) -> set[int]:
    """The slots whose arrays must be new on every call: fn's outputs, what a backward
    starts from, and what an op without a kernel reads (it may keep it or return a view)."""
    fresh = set(tape.output_slots)
    for i, e in enumerate(tape.entries):
        if e.kind == "op" and i not in chosen:
            fresh.update(w for k, w in e.sources if k == SLOT)
        elif e.kind == "backward":
            fresh.update(e.roots)
    return fresh


def _output(spec: Any, names: list[str], const: Any) -> str:
    """fn's result rebuilt from the slots (its tensors are values: no grad_fn, the step ran
    its own backward)."""
    kind = spec[0]
    if kind == "tensor":
        return f"make({names[spec[1]]}, False)"
    if kind == "seq":
        items = [_output(s, names, const) for s in spec[2]]
        if spec[1] is tuple:
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if spec[1] is list:
            return "[" + ", ".join(items) + "]"
        return f"{const(spec[1], 'cls')}(" + ", ".join(items) + ")"  # a namedtuple
    if kind == "dict":
        return "{" + ", ".join(f"{const(k, 'key')}: {_output(s, names, const)}"
                               for k, s in spec[1].items()) + "}"
    return const(spec[1], "result")  # a constant, or a tensor from outside


def guard_function(tape: Any) -> Any:
    """The tape's guards as one function of the call's tensor arguments: True while it may
    replay.

    The modules are checked term by term (``_settings_of`` written out) only when
    ``autograd.graph.module_changes`` moved since they last held: every attribute, submodule,
    parameter, buffer or hook change bumps it. An outside tensor's array is compared by
    identity, its shape, dtype and strides only when the array is another one."""
    consts: dict[str, Any] = {"params_of": _params_of, "changes": graph.module_changes,
                              "_max_reduce": np.maximum.reduce,
                              "renew": _renew, "seen": [t._data for t, *_ in tape.outside],
                              "held": [graph.module_changes[0], None]}
    modules: list[str] = []  # checked when a module changed
    always: list[str] = []  # checked on every call
    terms: list[str] = []

    def const(value: Any) -> str:
        name = f"g{len(consts)}"
        consts[name] = value
        return name

    # the modules that ran, and those they contain that never run (a ModuleList, a ModuleDict)
    reached = {id(m): (m, training) for m, training, _ in tape.modules}
    for parent, *_ in tape.modules:
        for m in parent.modules():
            reached.setdefault(id(m), (m, m.training))
    for module, training in reached.values():  # the terms of _settings_of, written out
        name = const(module)
        d = f"{name}.__dict__"
        always.append(f"{name}.training is {training}")  # (the usual change)
        # a module whose registries do not count their changes (unpickled from an older
        # version, say) is checked on every call
        counted = all(type(vars(module).get(r)) is Registry
                      for r in ("_parameters", "_buffers", "_modules"))
        terms_of = modules if counted else always
        terms_of.append(f"len({d}) == {len(vars(module))}")  # no attribute added or removed
        for key, value in vars(module).items():
            if isinstance(value, (bool, type(None))) and not key.startswith("_"):
                terms_of.append(f"{d}.get({key!r}) is {value}")
            elif isinstance(value, (int, float, str)) and not key.startswith("_"):
                terms_of.append(f"{d}.get({key!r}) == {const(value)} and "
                                f"type({d}.get({key!r})) is {const(type(value))}")
        for h in ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks"):
            table = vars(module).get(h)  # the same hooks, in order (a handle's remove() and
            if table is not None:  # a new registration are counted changes of the table)
                terms_of.append(f"len({d}.get({h!r}, ())) == {len(table)}")
                terms_of += [f"{d}[{h!r}].get({k!r}) is {const(f)}" for k, f in table.items()]
        for registry in ("_modules", "_parameters", "_buffers"):  # the same objects (is)
            entries = getattr(module, registry)
            terms_of.append(f"len({name}.{registry}) == {len(entries)}")
            terms_of += [f"{name}.{registry}.get({key!r}) is {const(value)}"
                         for key, value in entries.items()]
    for k, (t, _, _, requires_grad) in enumerate(tape.outside):
        name = const(t)
        terms.append(f"({name}._data is seen[{k}] or renew(seen, {k}, {name}._data, "
                     f"{const(t._data.strides)})) and {name}._requires_grad is {requires_grad}")
    for optimizer, params in tape.optimizers:
        terms.append(f"params_of({const(optimizer)}) == {const(params)}")
    for check, (kind, what), expected in tape.value_guards:  # Python decisions on values
        array = f"args[{tape.arg_slots.index(what)}]._data" if kind == SLOT else \
            f"{const(what)}._data"
        inline = getattr(check, "inline", None)  # the check as an expression, if it has one
        term = inline(array, what._data, const) if inline is not None and expected is True \
            and kind != SLOT else None
        terms.append(term or f"{const(check)}({array}) == {const(expected)}")
    lines = ["def guards(args):"]
    if modules:
        lines += ["    if changes[0] != held[0]:",
                  "        if changes[0] == held[1] or not (" + " and ".join(modules) + "):",
                  "            held[1] = changes[0]",
                  "            return False",
                  "        held[0] = changes[0]"]
    lines.append("    return " + (" and ".join(always + terms) or "True"))
    namespace = dict(consts)
    exec(compile("\n".join(lines) + "\n", "<tg.compile guards>", "exec"), namespace)  # noqa: S102
    return namespace["guards"]


def _renew(seen: list[Any], k: int, array: Any, strides: tuple[int, ...]) -> bool:
    """An outside tensor holds another array: the guard holds if it has the traced array's
    shape, dtype and strides (the kernels were written for them); it is then the one seen."""
    old = seen[k]
    if array.shape == old.shape and array.dtype == old.dtype and array.strides == strides:
        seen[k] = array
        return True
    return False


def _params_of(optimizer: Any) -> list[tuple[int, ...]]:
    return [tuple(map(id, group["params"])) for group in optimizer.param_groups]


def _call(e: Any, const: Any, writer: kernels.Writer) -> list[str]:
    """A recorded call; an optimizer's step and zero_grad written out (the same updates
    ``Optimizer.step`` makes, without its loops over groups and parameters)."""
    from .optim.optimizer import Optimizer  # (optim imports tensors; this module is lower)

    owner = getattr(e.call, "__self__", None)
    method = getattr(e.call, "__func__", None)
    if isinstance(owner, Optimizer) and type(owner).step is Optimizer.step \
            and method is Optimizer.step:
        opt = const(owner, "opt")
        lines = [f"stepped = []; state = {opt}.state; groups = {opt}.param_groups"]
        update = const(owner._update, "update")
        for gi, group in enumerate(owner.param_groups):
            lines.append(f"group = groups[{gi}]")
            generic = []
            for p in group["params"]:
                t = const(p, "T")
                generic.append(f"if {t}._grad is not None: "
                               f"{update}({t}, {t}._grad._data, state[{t}], group); "
                               f"stepped.append({t})")
            lines += kernels.optimizer_lines(owner, group, const, writer, generic)
        lines.append(f"{const(bump_versions, 'bump_versions')}(stepped)")
        return lines
    if isinstance(owner, Optimizer) and type(owner).zero_grad is Optimizer.zero_grad \
            and method is Optimizer.zero_grad and e.args in ((), (True,)):
        return [f"{const(p, 'T')}._grad = None" for g in owner.param_groups
                for p in g["params"]] or ["pass"]
    args = ", ".join(const(a, "A") for a in e.args)
    return [f"{const(e.call, 'call')}({args})"]


_NO, _YES, _MAYBE = 0, 1, 2  # whether a pending gradient holds an array, as far as known


def _backward(tape: Any, at: int, e: Any, order: list[int], shape_of: dict[int, Any],
              const: Any, writer: kernels.Writer, written: dict[int, Any]) -> None:
    """One backward() unrolled: the engine's loop (``engine.run``) for this graph. A node
    with a kernel writes its backward as NumPy calls; the others call ``array_backward``."""
    lines = writer.lines
    (root_slot,), (root_entry,) = e.roots, e.node_of
    lines.append(f"# backward({tape.names[root_slot]}): each node's backward, newest first")
    start = len(lines)  # where the pending gradients that may stay None start as None
    pending = {j: f"g{at}_{j}" for j in order}
    known = dict.fromkeys(order, _NO)
    known[root_entry] = _YES
    shape, dtype = tape.shapes[root_slot], tape.dtypes[root_slot]
    one = engine.seed(_Root(np.zeros(shape, dtype)), None, False)  # d loss / d loss = 1
    lines.append(f"{pending[root_entry]} = {const(one, 'one')}")
    writer.known[pending[root_entry]] = one  # a kernel may work with it as the constant it is
    for j in order:
        node, g = tape.entries[j], pending[j]
        if known[j] == _NO:  # nothing can reach it
            continue
        maybe = known[j] == _MAYBE or j not in written
        if maybe:
            lines.append(f"if {g} is not None:")
            writer.indent += 1
        if j in written:
            need = [k != NO_EDGE for k, _ in node.edges]
            grads = written[j].backward(g, need, [k == TENSOR_EDGE for k, _ in node.edges])
            for (kind, what), x in zip(node.edges, grads, strict=True):
                if x is not None and kind != NO_EDGE:
                    _hand_on(tape, kind, what, x, g, at, pending, known, maybe, const, writer)
        else:
            bw = const(node.cls.array_backward, f"{node.cls.__name__}_backward_")
            writer.line(f"gs = {bw}(ctx{j}, {g})")
            writer.line("if gs.__class__ is not tuple: gs = (gs,)")
            for k, (kind, what) in enumerate(node.edges):
                if kind == NO_EDGE:
                    continue
                writer.line(f"x = gs[{k}] if len(gs) > {k} else None")
                writer.line("if x is not None:")
                writer.indent += 1
                if kind == OP_EDGE:
                    to = const(_Shape(shape_of[what], tape.entries[what].cls.__name__), "to")
                    shape = shape_of[what]
                elif kind == TENSOR_EDGE:
                    to, shape = f"{const(what, 'T')}._node", tuple(what._data.shape)
                else:  # an argument that requires grad: its node is given at each call
                    raise NotImplementedError("arguments that require grad take the generic "
                                              "replay")
                writer.line(f"if x.__class__ is not ndarray or x.shape != {shape!r}: "
                            f"x = fit(x, {to}, ctx{j})")
                _hand_on(tape, kind, what, "x", g, at, pending, known, True, const, writer,
                         checked=False)
                writer.indent -= 1
        if maybe:
            writer.indent -= 1
    generic = any(j not in written for j in order)
    lines[start:start] = ([f"kept{at} = set()"] if generic else []) + \
        [f"{pending[j]} = None" for j in order[1:] if known[j] == _MAYBE]


def _hand_on(tape: Any, kind: int, what: Any, x: str, g: str, at: int, pending: dict[int, str],
             known: dict[int, int], maybe: bool, const: Any, writer: kernels.Writer,
             checked: bool = True) -> None:
    """Pass gradient ``x`` on: add it into the pending gradient of the op it goes to, in the
    engine's order, or hand it to the leaf (``engine.give_to_leaf``, the leaf at hand: a new
    array becomes ``.grad``). ``checked``: a kernel's, of the right shape, dtype and owner."""
    if kind == OP_EDGE:
        target = pending.get(what)
        if target is None:  # an op the engine would not reach: cannot be
            raise NotImplementedError("a gradient to an op outside the backward order")
        state = known[what]
        if state == _NO:
            writer.line(f"{target} = {x}")
        elif state == _YES:
            writer.line(f"{target} = {target} + {x}")
        else:
            writer.line(f"{target} = {x} if {target} is None else {target} + {x}")
        known[what] = _MAYBE if maybe or state == _MAYBE else _YES
        return
    t = const(what, "T")
    if checked and x in writer.views:  # a view: engine.give_to_leaf copies it
        writer.line(f"accumulate({t}, {x})")
        return
    if checked:  # a kernel's new array, never the received one
        writer.line(f"if {t}._grad is None: {t}._grad = make({x}, False)")
    else:
        dtype = const(what._data.dtype, "D")
        writer.line(f"if ({t}._grad is None and {x} is not {g} and {x}.base is None and "
                    f"{x}.dtype is {dtype} and {x}.flags.writeable and id({x}) not in "
                    f"kept{at}): kept{at}.add(id({x})); {t}._grad = make({x}, False)")
    writer.line(f"else: accumulate({t}, {x})")


class _Root:
    """What ``engine.seed`` reads of a scalar root: its array (for the shape and dtype)."""

    __slots__ = ("_data",)

    def __init__(self, array: np.ndarray) -> None:
        self._data = array
