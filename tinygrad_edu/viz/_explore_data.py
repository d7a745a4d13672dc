"""What the backward explorer shows, as JSON-ready data: the graph ``watch()`` recorded and,
per node, the values and gradients it saw (``explore.py`` turns it into the page).

The numbers the page prints as exact (every entry of a small tensor, the visible corner of a
big one) are kept at full precision: the shortest decimal that reads back as the same value in
the array's own dtype, so a test (or a learner) can compare them with ``.grad`` exactly. What
is only drawn (heat-maps, norms) is rounded.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd import AccumulateGrad, Function, Node
from ..autograd.graph import OUT

PREVIEW_ROWS = 8  # the visible corner of a matrix: at most this many rows ...
PREVIEW_COLS = 8  # ... and columns (a 1-d tensor: its first PREVIEW_VECTOR, in rows of 8)
PREVIEW_VECTOR = 16
HEAT_ROWS, HEAT_COLS = 16, 32  # a big tensor's heat-map: block means on at most this grid
HEAT_LEVELS = 99  # heat-map entries are integers in [-99, 99], times scale / 99

Json = dict[str, Any]


class NotRecordedError(RuntimeError):
    """The loss was not computed under ``watch()``: there is nothing to show."""


# --------------------------------------------------------------------------- numbers


def exact(value: Any, dtype: np.dtype[Any]) -> Any:
    """One entry as JSON: ints and bools as ints, floats as the shortest decimal that reads
    back as the same value in ``dtype`` (so float32 ``0.1`` is ``0.1``, not 0.100000001),
    NaN and infinities as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``."""
    if dtype.kind == "b":
        return int(bool(value))
    if dtype.kind in "iu":
        return int(value)
    if dtype.kind == "c":  # shown by its real part; complex tensors are rare here
        value = np.real(value)
        dtype = np.real(np.zeros((), dtype)).dtype
    v = float(value)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return float(str(dtype.type(value)))  # NumPy's str is the dtype's shortest round trip


def _rounded(v: float, digits: int = 6) -> Any:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return float(f"{v:.{digits}g}")


def _preview(a: np.ndarray) -> Json:
    """The visible corner, each entry with its flat index into ``a``: the one value of a 0-d
    tensor; the first entries of a vector, wrapped onto rows of PREVIEW_COLS; else the top
    left of the matrix spanned by the last two axes longer than 1 (the other axes at index 0;
    ``fixed`` spells it, e.g. ``["0", "0", ":", ":"]``). Axes of length 1 are looked through:
    a ``(1, 64, 1, 1)`` batch-norm statistic shows as the vector it is."""
    if a.ndim == 0:
        return {"rows": 1, "cols": 1, "fixed": [], "rows_total": 1, "cols_total": 1,
                "vector": True, "flat": [0], "v": [exact(a[()], a.dtype)]}
    long_axes = [i for i, n in enumerate(a.shape) if n > 1]
    flat: list[int] = []
    if len(long_axes) <= 1:  # a vector: the flat order is its order
        n = a.size
        cols = min(n, PREVIEW_COLS)
        rows, rows_total, cols_total = -(-min(n, PREVIEW_VECTOR) // cols), -(-n // cols), cols
        flat = list(range(min(n, PREVIEW_VECTOR)))
        fixed: list[str] = []
    else:
        row_axis, col_axis = long_axes[-2], long_axes[-1]
        rows_total, cols_total = a.shape[row_axis], a.shape[col_axis]
        rows, cols = min(rows_total, PREVIEW_ROWS), min(cols_total, PREVIEW_COLS)
        index = [0] * a.ndim
        for r in range(rows):
            for c in range(cols):
                index[row_axis], index[col_axis] = r, c
                flat.append(int(np.ravel_multi_index(tuple(index), a.shape)))
        fixed = [":" if i in (row_axis, col_axis) else "0" for i in range(a.ndim)]
        if len(long_axes) == 2:
            fixed = []  # nothing is cut away: no need to say where the corner is
    values = [exact(v, a.dtype) for v in a.ravel()[flat]] if flat else []
    return {"rows": rows, "cols": cols, "fixed": fixed, "rows_total": rows_total,
            "cols_total": cols_total, "vector": len(long_axes) <= 1, "flat": flat, "v": values}


def heat_matrix_axes(shape: tuple[int, ...]) -> int:
    """How many leading axes (of those longer than 1) a heat-map's rows run along: none for
    a vector (one row), 1 for a matrix, 2 (samples x channels) for 3-d and 4-d tensors."""
    long = sum(1 for n in shape if n > 1)
    return 0 if long <= 1 else 1 if long == 2 else 2


def _heat(a: np.ndarray, scale: float) -> Json | None:
    """``a`` viewed as a matrix (rows along its first one or two axes, see
    ``heat_matrix_axes``), cut into blocks on a grid of at most HEAT_ROWS x HEAT_COLS; each
    cell is the block's entry of largest magnitude (with its sign: a mean would cancel the
    few large entries of a sparse gradient); non-finite blocks are ``None``."""
    if a.ndim == 0 or a.size == 0:
        return None
    long_shape = [n for n in a.shape if n > 1]
    row_axes = heat_matrix_axes(a.shape)
    m = a.reshape(int(np.prod(long_shape[:row_axes], dtype=np.int64)) if row_axes else 1, -1)
    rows, cols = min(m.shape[0], HEAT_ROWS), min(m.shape[1], HEAT_COLS)
    row_edges = np.linspace(0, m.shape[0], rows + 1).astype(int)
    col_edges = np.linspace(0, m.shape[1], cols + 1).astype(int)
    with np.errstate(invalid="ignore"):
        high = np.maximum.reduceat(np.maximum.reduceat(m, row_edges[:-1], 0), col_edges[:-1], 1)
        low = np.minimum.reduceat(np.minimum.reduceat(m, row_edges[:-1], 0), col_edges[:-1], 1)
    extreme = np.where(np.abs(high) >= np.abs(low), high, low)
    q: list[int | None] = [
        None if not np.isfinite(v) else
        int(round(max(-1.0, min(1.0, v / scale)) * HEAT_LEVELS)) if scale > 0 else 0
        for v in extreme.ravel().tolist()]
    return {"rows": rows, "cols": cols, "scale": _rounded(scale, 4), "row_axes": row_axes,
            "matrix": list(m.shape), "q": q}


def payload(array: Any) -> Json:
    """A tensor as the page shows it: shape, dtype, summary numbers, the visible corner at
    full precision (``complete`` when that is every entry) and, when it is not, a heat-map."""
    a = np.asarray(array)
    out: Json = {"shape": list(a.shape), "dtype": str(a.dtype), "size": int(a.size)}
    if a.size == 0:
        out.update(complete=True, stats=None, preview=None, heat=None)
        return out
    numeric = a.astype(np.float64) if a.dtype.kind in "iub" else np.real(a).astype(np.float64)
    finite_mask = np.isfinite(numeric)
    finite = numeric[finite_mask]
    stats: Json = {"nan": int(np.isnan(numeric).sum()), "inf": int(np.isinf(numeric).sum())}
    if finite.size:
        stats.update(min=_rounded(finite.min()), max=_rounded(finite.max()),
                     mean=_rounded(finite.mean()), maxabs=_rounded(np.abs(finite).max()),
                     norm=_rounded(float(np.sqrt(np.square(finite).sum()))))
    out["stats"] = stats
    out["preview"] = _preview(a)
    out["complete"] = len(out["preview"]["flat"]) == a.size
    scale = float(np.abs(finite).max()) if finite.size else 0.0
    out["heat"] = None if out["complete"] else _heat(numeric, scale)
    return out


class Tensors:
    """The page's table of tensor payloads; nodes refer to entries by index, and a value two
    places share (an op's output that is the next op's input) is stored once."""

    def __init__(self) -> None:
        self.items: list[Json] = []
        self.arrays: list[np.ndarray] = []  # what each entry shows (for dedupe and the tests)

    def add(self, array: Any, same_as: int | None = None) -> int | None:
        if array is None:
            return None
        a = np.asarray(array)
        if same_as is not None:
            known = self.arrays[same_as]
            if known.dtype == a.dtype and known.shape == a.shape and np.array_equal(
                    known, a, equal_nan=a.dtype.kind in "fc"):
                return same_as
        self.items.append(payload(a))
        self.arrays.append(a)
        return len(self.items) - 1


# --------------------------------------------------------------------------- the graph


@dataclass
class ExploreData:
    """The graph and its numbers. ``nodes[i]["id"] == i``; ``steps`` lists the node ids in
    the order the page walks them (the loss first, then the ops in ``recorded.step`` order);
    ``tensors`` holds the payloads the nodes refer to by index, ``arrays`` the arrays they
    were made from."""

    nodes: list[Json] = field(default_factory=list)
    edges: list[Json] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    tensors: list[Json] = field(default_factory=list)
    arrays: list[np.ndarray] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> Json:
        return {"nodes": self.nodes, "edges": self.edges, "steps": self.steps,
                "tensors": self.tensors, "notes": self.notes}


def _input_names(op: type[Function], n: int) -> list[str]:
    """The names of ``forward``'s array arguments (``x, weight, bias``), else ``input k``."""
    try:
        params = list(inspect.signature(op.forward).parameters.values())[1:]
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [names[k] if k < len(names) else f"input {k}" for k in range(n)]


def _settings(node: Function) -> dict[str, str]:
    """The op's small settings (``dim``, ``stride``, ``reduction``) as short text."""
    out = {}
    for key, value in node.__dict__.items():
        if key in ("recorded", "anomaly") or key.startswith("_"):
            continue
        if isinstance(value, np.ndarray) and value.size > 8:
            text = f"array of shape {value.shape}"
        else:
            text = repr(value)
        out[key] = text if len(text) <= 60 else text[:57] + "..."
    return out


def _module_label(scope: tuple[Any, ...] | None, module_names: Mapping[int, str]) -> str:
    if not scope:
        return ""
    inner = scope[-1]
    name = module_names.get(id(inner))
    kind = type(inner).__name__
    return f"{name} ({kind})" if name else kind


def _constant_name(value: np.ndarray | None, label: str) -> str:
    """What to call an unnamed data input: ``constant`` (0-d), else forward's argument name
    (``x``, ``target``), else ``indices`` or ``data`` by dtype."""
    if value is not None and value.ndim == 0:
        return "constant"
    if not label.startswith("input "):
        return label
    return "indices" if value is not None and value.dtype.kind in "iub" else "data"


def find_nodes(root: Function, max_nodes: int | None) -> list[Node]:
    """Every node reachable from ``root`` (ops and AccumulateGrads), each once, root first."""
    seen: dict[int, Node] = {id(root): root}
    order: list[Node] = [root]
    stack: list[Node] = [root]
    while stack:
        for nxt in stack.pop().next_nodes:
            if nxt is not None and id(nxt) not in seen:
                seen[id(nxt)] = nxt
                order.append(nxt)
                if max_nodes is not None and len(order) > max_nodes:
                    raise ValueError(
                        f"explore: the graph has more than max_nodes={max_nodes} nodes; a page "
                        "that big teaches little and is slow to open. Pass a larger max_nodes "
                        "(None: no limit) or explore a smaller model or piece")
                stack.append(nxt)
    return order


def extract(loss: Any, formula: Any, params: Mapping[str, Any] | None = None,
            model: Any = None, max_nodes: int | None = 500) -> ExploreData:
    """The explorer's data for ``loss``, whose graph was recorded and backpropagated under
    ``watch()`` (``explore`` checks that first). ``formula(node) -> str`` gives each op's local
    derivative; ``params``/``model`` name tensors."""
    root: Function = loss.grad_fn
    data = ExploreData()
    tensors = Tensors()
    found = find_nodes(root, max_nodes)
    names: dict[int, str] = {}  # id(tensor) -> name
    module_names: dict[int, str] = {}
    if model is not None:
        names.update({id(p): n for n, p in model.named_parameters()})
        module_names.update({id(m): n for n, m in model.named_modules() if n})
    for n, t in (params or {}).items():
        names[id(t)] = n
    named_constants = [(n, t) for n, t in (params or {}).items()
                       if hasattr(t, "_data") and t._node is None]

    ids: dict[int, int] = {}
    ops = [n for n in found if isinstance(n, Function)]
    ops.sort(key=lambda n: n.tick)  # forward order: inputs first
    # parameters in the model's order, else in the order the forward pass first used them
    first_use: dict[int, int] = {}
    for op in reversed(ops):
        first_use.update({id(n): op.tick for n in op.next_nodes if n is not None})
    model_order = {id(p): i for i, (_, p) in enumerate(model.named_parameters())} \
        if model is not None else {}
    leaves = sorted((n for n in found if isinstance(n, AccumulateGrad)),
                    key=lambda n: (model_order.get(id(n.variable), len(model_order)),
                                   first_use.get(id(n), 0)))
    unnamed = [leaf for leaf in leaves if id(leaf.variable) not in names]
    for i, leaf in enumerate(unnamed):  # "param", or "param 1", "param 2"... in forward order
        names[id(leaf.variable)] = "param" if len(unnamed) == 1 else f"param {i + 1}"
    for leaf in leaves:
        ids[id(leaf)] = len(data.nodes)
        variable = leaf.variable
        shape = list(variable.shape) if variable is not None else list(leaf.out_shape)
        data.nodes.append({
            "id": ids[id(leaf)], "kind": "param", "shape": shape,
            "name": names[id(variable)] if variable is not None else "(freed)",
            "dtype": str(variable._data.dtype) if variable is not None else "",
            "value": None, "grad": None, "contributions": [], "consumers": []})
    output_of: dict[int, int | None] = {}  # node id -> tensor index of its recorded output
    for op in ops:
        ids[id(op)] = len(data.nodes)
        data.nodes.append({"id": ids[id(op)], "kind": "op"})
    unrecorded = 0
    named_sources: dict[str, int] = {}  # a named data tensor read by several ops: one node
    for op in ops:
        node = data.nodes[ids[id(op)]]
        recorded = op.__dict__.get("recorded")
        inputs = recorded.inputs if recorded is not None else None
        n_inputs = len(op.next_nodes)
        labels = _input_names(type(op), n_inputs)
        saved_from = tuple(getattr(op, "saved_from", ()))
        entries = []
        for k, nxt in enumerate(op.next_nodes):
            value = inputs[k] if inputs is not None and k < len(inputs) else None
            grad = None
            if recorded is not None and recorded.input_grads is not None and \
                    k < len(recorded.input_grads):
                grad = recorded.input_grads[k]
            entry: Json = {"k": k, "label": labels[k], "uses": k in saved_from}
            if nxt is None:  # data or a constant: a node of its own on the page
                name = next((n for n, t in named_constants if value is not None and
                             t._data.shape == value.shape and np.array_equal(t._data, value)),
                            None)
                if name is not None and name in named_sources:  # the same named tensor again
                    source = named_sources[name]
                else:
                    source = len(data.nodes)
                    data.nodes.append({
                        "id": source, "kind": "const",
                        "name": name or _constant_name(value, labels[k]),
                        "shape": None if value is None else list(value.shape),
                        "dtype": "" if value is None else str(value.dtype),
                        "value": tensors.add(value), "consumers": []})
                    if name is not None:
                        named_sources[name] = source
                entry["value"] = data.nodes[source]["value"]
            else:
                source = ids[id(nxt)]
                same = output_of.get(source) if isinstance(nxt, Function) else None
                entry["value"] = tensors.add(value, same_as=same)
                if isinstance(nxt, AccumulateGrad) and data.nodes[source]["value"] is None:
                    data.nodes[source]["value"] = entry["value"]
            entry["node"] = source
            entry["grad"] = None if nxt is None else tensors.add(grad)
            entries.append(entry)
            data.nodes[source].setdefault("consumers", []).append(node["id"])
            data.edges.append({"source": source, "target": node["id"], "k": k,
                               "grad": entry["grad"]})
        output = tensors.add(recorded.output if recorded is not None else None)
        output_of[node["id"]] = output
        if recorded is None or recorded.inputs is None:
            unrecorded += 1
        node.update({
            "name": type(op).__name__, "grad_fn": op.name(), "shape": list(op.out_shape),
            "dtype": "" if recorded is None or recorded.output is None else
            str(recorded.output.dtype),
            "formula": formula(op),
            "module": _module_label(getattr(op, "module_scope", None), module_names),
            "settings": _settings(op), "inputs": entries, "output": output,
            "uses_output": OUT in saved_from, "derived": None in saved_from,
            "grad": None if recorded is None else tensors.add(recorded.grad, same_as=None),
            "step": None if recorded is None else recorded.step,
            "anomaly": op.__dict__.get("anomaly"), "consumers": node.get("consumers", []),
            "tick": op.tick})
    # the loss: the root op's output, where backward() starts with dL/dL = 1
    loss_id = len(data.nodes)
    root_node = data.nodes[ids[id(root)]]
    data.nodes.append({"id": loss_id, "kind": "loss", "name": names.get(id(loss), "loss"),
                       "shape": list(loss.shape), "dtype": str(loss._data.dtype),
                       "value": tensors.add(loss._data, same_as=root_node["output"]),
                       "grad": root_node["grad"], "consumers": []})
    root_node["consumers"] = [loss_id]
    data.edges.append({"source": root_node["id"], "target": loss_id, "k": 0,
                       "grad": root_node["grad"]})
    # backward order; each parameter's share from each op, and its .grad
    stepped = sorted((n for n in data.nodes if n["kind"] == "op" and n["step"] is not None),
                     key=lambda n: n["step"])
    data.steps = [loss_id] + [n["id"] for n in stepped]
    for position, op_node in enumerate(stepped, start=1):
        op_node["position"] = position
        for entry in op_node["inputs"]:
            target = data.nodes[entry["node"]]
            if target["kind"] == "param" and entry["grad"] is not None:
                target["contributions"].append({"op": op_node["id"], "position": position,
                                                "grad": entry["grad"]})
    for leaf in leaves:
        node = data.nodes[ids[id(leaf)]]
        variable = leaf.variable
        grad = None if variable is None or variable.grad is None else variable.grad._data
        node["grad"] = tensors.add(grad)
        shares = [tensors.arrays[c["grad"]] for c in node["contributions"]]
        node["grad_matches"] = bool(
            grad is not None and shares and np.allclose(
                sum(s.astype(np.float64) for s in shares), grad, rtol=1e-5, atol=1e-6,
                equal_nan=True))
        if variable is not None and node["value"] is not None and not np.array_equal(
                tensors.arrays[node["value"]], variable._data, equal_nan=True):
            node["current_value"] = tensors.add(variable._data)
    if unrecorded:
        data.notes.append(f"{unrecorded} op(s) ran outside watch(): their values are unknown")
    missing = len([n for n in data.nodes if n["kind"] == "op"]) - len(stepped)
    if missing:
        data.notes.append(f"{missing} op(s) got no gradient in the recorded backward pass")
    data.tensors, data.arrays = tensors.items, tensors.arrays
    return data
