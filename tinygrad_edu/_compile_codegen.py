"""tg.compile's fast replay: a tape written out as one straight-line Python function.

For a training step -- ops, one ``backward()`` from a scalar loss, the optimizer's calls -- the
tape (``compile.Tape``) becomes the source of a function that calls each op's ``forward`` on
NumPy arrays, then each node's ``array_backward`` in the engine's order (newest first), adding
the gradients up in the order the engine adds them and handing the leaves theirs with the
engine's own ``give_to_leaf``, then the optimizer. No Tensor, no graph walk, no dict of pending
gradients: what is left is the NumPy work and one Python call per op. ``print(step.tape.source)``
shows it. Same functions, same arrays, same order as eager: the results are bit-identical.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._compile_trace import (
    ARG_EDGE,
    NO_EDGE,
    OP_EDGE,
    OUTSIDE,
    SLOT,
    TENSOR_EDGE,
)
from .autograd import engine
from .autograd.graph import bump_versions
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
    in its order. The function takes the tensor arguments' arrays and returns the slots."""
    consts: dict[str, Any] = {"new": _new, "ndarray": np.ndarray, "asarray": np.asarray,
                              "fit": engine.fit, "accumulate": engine.accumulate}
    lines: list[str] = []
    names = tape.names

    known = tape.tensor_names()

    def const(value: Any, hint: str) -> str:
        if hint == "T" and id(value) in known:  # a parameter or buffer: by its name
            hint = "p_" + "".join(c if c.isalnum() else "_" for c in known[id(value)]) + "_"
        name = f"{hint}{len(consts)}"
        consts[name] = value
        return name

    def operand(kind: int, what: Any) -> str:
        if kind == SLOT:
            return names[what]
        if kind == OUTSIDE:
            return f"{const(what, 'T')}._data"
        return const(what, "C")  # an array from outside, or a constant

    shape_of: dict[int, tuple[int, ...]] = {}  # op entry -> its output's shape (traced)
    backward_at = {i: k for k, i in enumerate(i for i, e in enumerate(tape.entries)
                                              if e.kind == "backward")}
    for i, e in enumerate(tape.entries):
        if e.kind == "op":
            fwd = const(e.cls.forward, f"{e.cls.__name__}_forward_")
            args = ", ".join(operand(k, w) for k, w in e.sources)
            kw = "".join(f", {k}={const(v, 'S')}" for k, v in e.settings.items())
            ctx = f"ctx{i}"
            lines.append(f"{ctx} = new({const(e.cls, e.cls.__name__ + '_')}); {ctx}.saved = None")
            out = names[e.out]
            lines.append(f"{out} = {fwd}({ctx}, {args}{kw})")
            lines.append(f"if {out}.__class__ is not ndarray: {out} = asarray({out})")
            if e.edges is not None:  # what its backward reads: needs_input_grad
                pattern = tuple(None if k == NO_EDGE else True for k, _ in e.edges)
                lines.append(f"{ctx}.next_nodes = {const(pattern, 'E')}")
            shape_of[i] = tape.shapes[e.out]
        elif e.kind == "random":
            args = ", ".join(const(a, "A") for a in e.args)
            lines.append(f"{names[e.out]} = {const(e.call, 'draw')}({args})")
        elif e.kind == "call":
            lines += _call(e, const)
        else:
            lines += _backward(tape, i, e, backward_orders[backward_at[i]], shape_of, const,
                               (OP_EDGE, TENSOR_EDGE, ARG_EDGE, NO_EDGE))
    params = ", ".join(names[s] for s in tape.arg_slots)
    body = "\n".join(f"    {line}" for line in lines) or "    pass"
    consts["make"] = _make
    source = (f"def replay({params}):\n{body}\n"
              f"    return {_output(tape.output, names, const)}\n")
    namespace = dict(consts)
    exec(compile(source, "<tg.compile tape>", "exec"), namespace)  # noqa: S102 (our own code)
    return source, namespace["replay"]


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
    """The tape's guards as one boolean expression: True while it may replay."""
    consts: dict[str, Any] = {"params_of": _params_of}
    terms = []

    def const(value: Any) -> str:
        name = f"g{len(consts)}"
        consts[name] = value
        return name

    for module, training, _ in tape.modules:  # the terms of _settings_of, written out
        name = const(module)
        d = f"{name}.__dict__"
        terms.append(f"{name}.training is {training}")
        for key, value in vars(module).items():
            if isinstance(value, (bool, type(None))) and not key.startswith("_"):
                terms.append(f"{d}.get({key!r}) is {value}")
            elif isinstance(value, (int, float, str)) and not key.startswith("_"):
                terms.append(f"{d}.get({key!r}) == {const(value)} and type({d}.get({key!r})) is "
                             f"{const(type(value))}")
        terms.append(f"{d}.get('_has_hooks', False) is {bool(vars(module).get('_has_hooks'))}")
        if vars(module).get("_has_hooks"):
            for h in ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks"):
                terms.append(f"len({d}.get({h!r}, ())) == {len(vars(module).get(h, ()))}")
        for registry in ("_modules", "_parameters"):  # the same objects (is: no Tensor ==)
            entries = getattr(module, registry)
            terms.append(f"len({name}.{registry}) == {len(entries)}")
            terms += [f"{name}.{registry}.get({key!r}) is {const(value)}"
                      for key, value in entries.items()]
    for t, shape, dtype, requires_grad in tape.outside:
        name = const(t)
        terms.append(f"{name}._data.shape == {tuple(shape)!r} and "
                     f"{name}._data.dtype is {const(dtype)} and "
                     f"{name}._requires_grad is {requires_grad}")
    for optimizer, params in tape.optimizers:
        terms.append(f"params_of({const(optimizer)}) == {const(params)}")
    source = "def guards():\n    return " + (" and ".join(terms) or "True") + "\n"
    namespace = dict(consts)
    exec(compile(source, "<tg.compile guards>", "exec"), namespace)  # noqa: S102
    return namespace["guards"]


def _params_of(optimizer: Any) -> list[tuple[int, ...]]:
    return [tuple(map(id, group["params"])) for group in optimizer.param_groups]


def _call(e: Any, const: Any) -> list[str]:
    """A recorded call; an optimizer's step and zero_grad written out (the same updates
    ``Optimizer.step`` makes, without its loops over groups and parameters)."""
    from .optim.optimizer import Optimizer  # (optim imports tensors; this module is lower)

    owner = getattr(e.call, "__self__", None)
    method = getattr(e.call, "__func__", None)
    if isinstance(owner, Optimizer) and type(owner).step is Optimizer.step \
            and method is Optimizer.step:
        opt = const(owner, "opt")
        lines = [f"stepped = []; state = {opt}.state; groups = {opt}.param_groups"]
        for gi, group in enumerate(owner.param_groups):
            update = const(owner._update, "update")
            lines.append(f"group = groups[{gi}]")
            for p in group["params"]:
                t = const(p, "T")
                lines.append(f"if {t}._grad is not None: "
                             f"{update}({t}, {t}._grad._data, state[{t}], group); "
                             f"stepped.append({t})")
        lines.append(f"{const(bump_versions, 'bump_versions')}(stepped)")
        return lines
    if isinstance(owner, Optimizer) and type(owner).zero_grad is Optimizer.zero_grad \
            and method is Optimizer.zero_grad and e.args in ((), (True,)):
        return [f"{const(p, 'T')}._grad = None" for g in owner.param_groups
                for p in g["params"]] or ["pass"]
    args = ", ".join(const(a, "A") for a in e.args)
    return [f"{const(e.call, 'call')}({args})"]


def _backward(tape: Any, at: int, e: Any, order: list[int], shape_of: dict[int, Any],
              const: Any, kinds: tuple[int, int, int, int]) -> list[str]:
    """One backward() unrolled: the engine's loop (``engine.run``) for this graph."""
    OP_EDGE, TENSOR_EDGE, ARG_EDGE, NO_EDGE = kinds
    names = tape.names
    (root_slot,), (root_entry,) = e.roots, e.node_of
    lines = [f"# backward({names[root_slot]}): each node's array_backward, newest first",
             f"kept{at} = set()"]
    pending = {j: f"g{at}_{j}" for j in order}
    shape, dtype = tape.shapes[root_slot], tape.dtypes[root_slot]
    one = engine.seed(_Root(np.zeros(shape, dtype)), None, False)  # d loss / d loss = 1
    lines.append(f"{pending[root_entry]} = {const(one, 'one')}")
    for j in order[1:]:
        lines.append(f"{pending[j]} = None")
    for j in order:
        node = tape.entries[j]
        g = pending[j]
        bw = const(node.cls.array_backward, f"{node.cls.__name__}_backward_")
        lines.append(f"if {g} is not None:")
        lines.append(f"    gs = {bw}(ctx{j}, {g})")
        lines.append("    if gs.__class__ is not tuple: gs = (gs,)")
        for k, (kind, what) in enumerate(node.edges):
            if kind == NO_EDGE:
                continue
            lines.append(f"    x = gs[{k}] if len(gs) > {k} else None")
            if kind == OP_EDGE:
                shape = shape_of[what]
                to = const(_Shape(shape, tape.entries[what].cls.__name__), "to")
            elif kind == TENSOR_EDGE:
                to = f"{const(what, 'T')}._node"
                shape = tuple(what._data.shape)
            else:  # an argument that requires grad: its node is given at each call
                raise NotImplementedError("arguments that require grad take the generic replay")
            lines.append("    if x is not None:")
            lines.append(f"        if x.__class__ is not ndarray or x.shape != {shape!r}: "
                         f"x = fit(x, {to}, ctx{j})")
            if kind == OP_EDGE:
                target = pending.get(what)
                if target is None:  # an op the engine would not reach: cannot be
                    raise NotImplementedError("a gradient to an op outside the backward order")
                lines.append(f"        {target} = x if {target} is None else {target} + x")
            else:  # engine.give_to_leaf, with the leaf at hand: the new array becomes .grad
                t = to[: -len("._node")]
                dtype = const(what._data.dtype, "D")
                lines.append(f"        if ({t}._grad is None and x is not {g} and x.base is None "
                             f"and x.dtype is {dtype} and x.flags.writeable and id(x) not in "
                             f"kept{at}): kept{at}.add(id(x)); {t}._grad = make(x, False)")
                lines.append(f"        else: accumulate({t}, x)")
    return lines


class _Root:
    """What ``engine.seed`` reads of a scalar root: its array (for the shape and dtype)."""

    __slots__ = ("_data",)

    def __init__(self, array: np.ndarray) -> None:
        self._data = array
