"""Draw the computation graph that autograd recorded, as Graphviz DOT -- before ``backward()``
or after it, with the gradients.

``to_dot(loss)`` returns the DOT text (no dependency); ``draw_graph(loss)`` wraps the same text
in a ``graphviz.Digraph`` (it shows itself in Jupyter); ``render(graph, "step.svg")`` runs
Graphviz's ``dot`` program to write an SVG, PNG or PDF. ::

    loss = F.cross_entropy(model(x), y)
    loss.backward()                      # optional: drawing works before and after
    render(draw_graph(loss, model=model), "step.png")

    with tg.autograd.watch():            # every value and gradient, as micrograd's draw_dot
        loss = F.cross_entropy(model(x), y)
        loss.backward()
    render(draw_graph(loss, model=model, show_values=True, show_formula=True), "xor.png")

The picture is the graph ``backward()`` walks, as PyTorch's torchviz draws it: from the output's
``grad_fn`` along each node's ``next_nodes`` (``next_functions``).

* **Ops are yellow**: the Function's name (``Linear``, ``ReLU``, ``CrossEntropy``) and the shape
  of its result (its dtype too when not float32); an ellipse, or a rounded box when it shows
  more. The SVG tooltip gives the local derivative (``viz.formulas.formula``, from the op's
  docstring), the ``grad_fn`` name (``MulBackward0``) and the inputs that need no gradient.
* **Parameters are blue boxes**: leaves that require grad (their ``AccumulateGrad`` node) with
  name, shape and dtype. **Green** is the tensor drawn (usually the loss). **Data and constants**
  (the batch, the targets, the ``2`` of ``x * 2``) are no node of the backward graph and are
  not drawn -- except with ``show_values=True`` for ops recorded under ``watch()``: then each
  data input is a **grey box** with its values (named if it is in ``params``), a one-element
  constant a line ``input 2 = 2`` on its op.
* **Red** is the node where ``detect_anomaly()`` found the first NaN/inf, with its message.
* **Arrows follow the forward pass**, parameter -> op -> ... -> output; backward() walks them in
  reverse. A node used twice is drawn once, with two arrows.
* **Modules are dashed frames** ``name (Class)``, e.g. ``0 (Linear)`` inside ``Sequential``:
  ops recorded during a Module's forward carry the chain of running modules
  (``node.module_scope``); a parameter is drawn in the module that owns it. Names come from
  ``model.named_modules()`` if ``model`` is given, else from the outermost module that ran; a
  module known by no name shows its class. A module called twice is one frame. A frame that
  takes data from a sibling is kept below it (an invisible edge), so layers read top to bottom.

Names: ``params`` maps names to tensors (``dict(model.named_parameters())``, or any tensor:
``{"h": h, "loss": loss, "x": x}``; a named intermediate shows as ``h = ReLU``); with
``model=`` the parameter names are derived. Otherwise parameters are ``leaf`` and roots
``output``.

What each node shows (keywords of ``to_dot`` / ``draw_graph``, the names torchviz and
micrograd users know):

* ``show_grad=True`` (default; ``show_grads`` is the same): the gradient -- a parameter's
  ``.grad`` after ``backward()``; for an op, the gradient of the tensor it made (dL/d output):
  ``retain_grad()``'s ``.grad``, or, for a backward run under ``watch()``, the gradient that
  arrived at the node. Every value of a tensor of at most 16 elements (a matrix row by row),
  else ``norm``, ``mean`` and ``max |x|`` (NaN and inf counted).
* ``show_values=False``: the data, likewise: a parameter's, the output's; an op's if its tensor
  is known (a root, named in ``params``, retained) or was recorded under ``watch()``.
  Nodes keep no values otherwise (the engine's design): there an op shows nothing rather than
  something wrong, and the legend says once how to get them (run the step under
  ``tg.autograd.watch()``).
* ``show_saved=False``: what each op saved for backward (``ctx.saved``), named as torchviz does
  from ``saved_from``: ``self`` / ``other`` (inputs 0 / 1), ``result`` (its output), ``savedK``
  (masks, indices: no tensor of the graph), with shape and dtype (values if tiny); after a
  ``backward()`` without ``retain_graph``: ``saved: freed by backward()``.
* ``show_attrs=False``: the op's settings kept on the node (``dim``, ``keepdim``, a
  convolution's ``kernel``, ``stride``, ``padding``, ``dilation``, ``groups``).
* ``show_formula=False``: the local derivative in the label too (always in the tooltip).

**After backward()** the graph draws the same, now with the gradients: ``backward()`` frees the
arrays the ops saved, not the structure.

**Big graphs.** The walk uses an explicit stack (a 100,000-op chain is fine) and visits a node
once. It stops past ``max_nodes`` nodes with ``GraphTooLargeError`` (``dot`` needs minutes for
tens of thousands of nodes, and such a picture teaches nothing): pass a larger ``max_nodes``
(``None``: no limit), or draw a smaller piece.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..autograd import AccumulateGrad, Node
from ..autograd.hooks import retained
from ..tensor import Tensor
from . import _details as D
from . import _labels as L
from ._labels import STYLE, summarize  # noqa: F401  (summarize: part of this module's API)
from ._layout import (
    Cluster,
    GraphTooLargeError,
    emit_clusters,
    names_of,
    owners,
    place,
    stacking_edges,
    walk,
)
from .formulas import formula

if TYPE_CHECKING:
    import graphviz

__all__ = ["GraphTooLargeError", "GraphvizNotFoundError", "draw_graph", "render", "to_dot"]

GRAPH_NAME = "tinygrad_edu"
FORMATS = ("svg", "png", "pdf")
RANKDIRS = ("TB", "BT", "LR", "RL")
WATCH_HINT = "intermediate values: draw a step run under tg.autograd.watch()"
_F32 = np.dtype(np.float32)


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not installed (the ``.dot`` file was still written)."""


@dataclass(frozen=True)
class _Show:
    values: bool
    grad: bool
    saved: bool
    attrs: bool
    formula: bool


def _options(show_values: Any, show_grad: Any, show_grads: Any, show_saved: Any,
             show_attrs: Any, show_formula: Any, legend: Any, max_nodes: Any,
             rankdir: Any) -> _Show:
    """Check the keywords (a clear error for ``show_grad="yes"``) and merge the alias."""
    flags = {"show_values": show_values, "show_grad": show_grad, "show_saved": show_saved,
             "show_attrs": show_attrs, "show_formula": show_formula, "legend": legend}
    if show_grads is not None:
        flags["show_grads"] = show_grads
    for name, value in flags.items():
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"to_dot: {name} must be True or False, got {value!r}")
    if show_grads is not None:
        if not show_grad and show_grads:  # show_grad=False with show_grads=True
            raise ValueError("to_dot: show_grads is another name for show_grad; give one")
        show_grad = show_grads
    if not isinstance(rankdir, str) or rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if max_nodes is not None and (isinstance(max_nodes, bool) or
                                  not isinstance(max_nodes, (int, np.integer))):
        raise TypeError(f"max_nodes must be an int or None, got {max_nodes!r}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"max_nodes must be >= 1 or None, got {max_nodes}")
    return _Show(bool(show_values), bool(show_grad), bool(show_saved), bool(show_attrs),
                 bool(show_formula))


def _roots_of(root: Tensor | Sequence[Tensor]) -> list[Tensor]:
    roots = [root] if isinstance(root, Tensor) else list(root)
    if not roots:
        raise ValueError("to_dot: give a tensor (or a list of tensors) to draw")
    for r in roots:
        if not isinstance(r, Tensor):
            raise TypeError(f"to_dot: expected Tensors, got {type(r).__name__}")
    return roots


def _shape_of(node: Node | None) -> str:
    shape = getattr(node, "out_shape", None)
    return "unknown" if shape is None else L.shape_text(shape)


def _root_name(i: int, n: int) -> str:
    return "output" if n == 1 else f"output {i}"


def _legend(kinds: set[str], hints: list[str], show_values: bool, shown: set[str]) -> str:
    rows = [("param", "parameter", "leaf, requires grad: gets .grad"),
            ("op", "Op", "operation, shape of its result"),
            ("output", "output", "what was drawn (the loss)")]
    if "data" in kinds:
        rows.append(("data", "data", "input that needs no gradient"))
    if "anomaly" in kinds:
        rows.append(("anomaly", "NaN/inf", "where detect_anomaly() stopped"))
    cells = []
    for kind, name, text in rows:
        s = STYLE[kind]
        cells.append(
            f'<TR><TD BGCOLOR="{s["fillcolor"]}" COLOR="{s["color"]}" BORDER="1" '
            f'STYLE="{"rounded" if kind == "op" else ""}">{L.h(name)}</TD>'
            f'<TD ALIGN="LEFT"><FONT POINT-SIZE="9">{L.h(text)}</FONT></TD></TR>'
        )
    notes = [] if "data" in kinds else [
        "data and constants (no gradient) are not drawn" if not show_values
        else "data and constants: drawn for a step run under watch()"]
    if "grad" in shown:
        notes.append("grad: a leaf's .grad; on an op, dL/d(its output) in the last backward()")
    for note in [*notes, *hints]:
        cells.append('<TR><TD COLSPAN="2" ALIGN="LEFT"><FONT POINT-SIZE="9" COLOR="#555555">'
                     f"{L.h(note)}</FONT></TD></TR>")
    table = ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="3">'
             + "".join(cells) + "</TABLE>>")
    return f"\tlegend {L.attrs({'shape': 'plaintext', 'label': table})}\n"


def _box(t: Tensor | None, name: str, role: str, kind: str, show: _Show,
         grad: np.ndarray | None = None, extra_tip: str = "") -> str:
    """The attributes of a tensor's box (``None``: a leaf that was garbage-collected)."""
    if t is None:
        return L.node_attrs([(name, "black"), ("tensor freed", L.DIM_COLOR)],
                            f"{name}: {role}; the tensor itself was garbage-collected", kind)
    if grad is None and t.grad is not None:
        grad = t.grad._data
    shape = f"{L.shape_text(t.shape)} {t.dtype}"
    lines = [(name, "black"), (shape, L.DIM_COLOR),
             *L.tensor_lines(t._data if show.values else None, grad if show.grad else None)]
    return L.node_attrs(lines, f"{name}: {role}, shape {shape}{extra_tip}", kind)


class _Data:
    """The grey boxes of data inputs (``show_values`` under ``watch()``): one per named tensor
    (found by its values), else one per op input."""

    def __init__(self, params: Mapping[str, Tensor] | None) -> None:
        self.named = [(str(n), t) for n, t in (params or {}).items()
                      if isinstance(t, Tensor) and t._node is None]
        self.ids: dict[int, str] = {}  # id(named tensor) -> its box
        self.keys: dict[str, tuple[int, ...]] = {}  # box -> its frame
        self.count = 0

    def box(self, value: np.ndarray, op: str, k: int, key: tuple[int, ...],
            clusters: dict[tuple[int, ...], Cluster], index: int) -> str:
        """The box for input ``k`` of ``op``: a named tensor's (outside the frames), else a
        new one in the op's frame."""
        for name, t in self.named:
            if t.shape == value.shape and t.dtype == value.dtype and \
                    np.array_equal(t._data, value, equal_nan=value.dtype.kind in "fc"):
                if id(t) not in self.ids:
                    self.ids[id(t)] = self._new(value, name, f"data tensor {name!r}", (),
                                                clusters, index)
                return self.ids[id(t)]
        return self._new(value, f"input {k + 1} of {op}", "data or constant", key, clusters,
                         index)

    def _new(self, value: np.ndarray, name: str, role: str, key: tuple[int, ...],
             clusters: dict[tuple[int, ...], Cluster], index: int) -> str:
        nid = f"d{self.count}"
        self.count += 1
        self.keys[nid] = key
        shape = f"{L.shape_text(value.shape)} {value.dtype}"
        lines = [(name, "black"), (shape, L.DIM_COLOR), *L.tensor_lines(value, None)]
        attrs = L.node_attrs(lines, f"{name}: {role} (needs no gradient), shape {shape}",
                             "data")
        place(clusters, key, index, f"\t{nid} [{attrs}]\n")
        return nid


def _build(root: Tensor | Sequence[Tensor], params: Mapping[str, Tensor] | None, model: Any,
           show: _Show, max_nodes: int | None, rankdir: str, legend: bool) -> list[str]:
    """The body lines of the DOT graph (each ``\\t...\\n``, as ``graphviz.Digraph.body``)."""
    if params is not None and not isinstance(params, Mapping):
        raise TypeError(f"to_dot: params must map names to tensors (a dict), got "
                        f"{type(params).__name__}")
    roots = _roots_of(root)
    root_index: dict[int, int] = {}  # id(root tensor) -> its first position in roots
    for i, r in enumerate(roots):
        root_index.setdefault(id(r), i)
    distinct = [r for i, r in enumerate(roots) if root_index[id(r)] == i]
    # where each root starts: its grad_fn, or a leaf's AccumulateGrad (if it is in a graph)
    starts = [r._node for r in distinct]
    extra = sum(r._ctx is not None for r in distinct) + starts.count(None)  # their own boxes
    order = walk([s for s in starts if s is not None],
                 None if max_nodes is None else max_nodes - extra, max_nodes)

    scopes = {id(n): s for n in order if (s := getattr(n, "module_scope", ()))}
    distinct_scopes = list({tuple(map(id, s)): s for s in scopes.values()}.values())
    module_names, names = names_of(params, model, distinct_scopes)
    known: dict[int, Tensor] = {}  # id(op node) -> its tensor, if named, a root or retained
    for t in [*(params or {}).values(), *distinct]:
        if isinstance(t, Tensor) and t._ctx is not None:
            known.setdefault(id(t._ctx), t)
    for node in order:
        kept = retained[id(node)]() if id(node) in retained else None
        if kept is not None and not isinstance(node, AccumulateGrad):
            known.setdefault(id(node), kept)

    # the frame tree: one cluster per distinct chain of modules
    top = Cluster(key=(), label="", title="", depth=0)
    clusters: dict[tuple[int, ...], Cluster] = {(): top}
    for scope in distinct_scopes:
        parent = top
        for depth, module in enumerate(scope, start=1):
            key = parent.key + (id(module),)
            if key not in clusters:
                name, cls = module_names.get(id(module), ""), type(module).__name__
                label = f"{name} ({cls})" if name else cls
                title = f"<<B>{L.h(name)}</B> ({L.h(cls)})>" if name else f"<<B>{L.h(cls)}</B>>"
                clusters[key] = parent.children[id(module)] = Cluster(key, label, title, depth)
            parent = clusters[key]

    owner_key = owners(order, scopes)
    node_id: dict[int, str] = {}  # id(node) -> its DOT node
    first_id: dict[int, str] = {}  # topological index -> node id
    key_of: dict[str, tuple[int, ...]] = {}  # node id -> the frame it is drawn in
    edges: list[tuple[str, str, str]] = []  # (from, to, attributes)
    op_attrs: dict[tuple[Any, ...], str] = {}
    edge_attrs: dict[tuple[Any, ...], str] = {}
    kinds: set[str] = set()
    data = _Data(params)
    backward_ran = False  # some gradient is known: missing op gradients are worth a hint
    missing = {"values": False, "grad": False}
    for index, node in enumerate(order):
        if isinstance(node, AccumulateGrad):  # a leaf that requires grad: a parameter
            nid, key, leaf = f"t{index}", owner_key.get(id(node), ()), node.variable
            tip = f"; backward: {formula(node)}"
            if leaf is not None and id(leaf) in root_index:  # a leaf drawn as a root
                name = names.get(id(leaf)) or _root_name(root_index[id(leaf)], len(roots))
                attrs = _box(leaf, name, "the tensor drawn (a leaf)", "output", show,
                             extra_tip=tip)
            else:
                name = "leaf" if leaf is None else names.get(id(leaf), "leaf")
                attrs = _box(leaf, name, "leaf tensor, requires grad", "param", show,
                             extra_tip=tip)
            backward_ran = backward_ran or (leaf is not None and leaf.grad is not None)
        else:  # an op (and the one tensor it made)
            nid, op = f"op{index}", type(node).__name__
            scope = scopes.get(id(node), ())
            key = tuple(map(id, scope))
            mine = known.get(id(node))
            recorded = D.recorded_of(node)
            anomaly = D.anomaly_of(node)
            backward_ran = backward_ran or (recorded is not None and recorded.grad is not None)
            is_root = mine is not None and id(mine) in root_index  # roots: on the output box
            named = None if mine is None or is_root else names.get(id(mine))
            value = D.op_value(node, mine) if show.values and not is_root else None
            grad = D.op_grad(node, mine) if show.grad and not is_root else None
            missing["values"] |= show.values and not is_root and value is None
            missing["grad"] |= show.grad and not is_root and grad is None
            details = L.tensor_lines(value, grad)
            constants = [k for k, n in enumerate(node.next_nodes) if n is None]
            inputs = None if recorded is None else recorded.inputs
            if show.values and inputs is not None:
                for k in constants:
                    v = inputs[k]
                    if v.size == 1:
                        details.append((f"input {k + 1} = {L.number(v.ravel()[0])}",
                                        L.DIM_COLOR))
                    else:
                        did = data.box(v, op, k, key, clusters, index)
                        kinds.add("data")
                        edges.append((did, nid, f'[style="dashed" color="#8a8a8a" '
                                      f'tooltip={L.quote(f"input {k + 1} of {op}: data")}]'))
            if show.formula:
                details += D.formula_lines(node)
            if show.saved:
                details += D.saved_lines(node)
            if show.attrs:
                details += D.setting_lines(node)
            if anomaly:
                details += L.wrapped(anomaly, L.ANOMALY_COLOR, width=44)
            dtype = None if mine is None else mine.dtype  # nodes keep no dtype
            # ops of the same kind, shape and module share their text (long chains stay fast)
            memo = (type(node), getattr(node, "out_shape", None), dtype, key, named,
                    *constants)
            attrs = op_attrs.get(memo, "") if not details else ""
            if not attrs:
                shape = _shape_of(node) + ("" if dtype in (None, _F32) else f" {dtype}")
                lines = [(f"{named} = {op}" if named else op, "black"), (shape, L.DIM_COLOR)]
                tips = [f"{op}: {formula(node)}", f"grad_fn: {node.name()}",
                        f"result: shape {shape}"]
                if constants:
                    listed = ", ".join(str(k + 1) for k in constants)
                    tips.append(f"input {listed}: no gradient (data or constant, "
                                + ("drawn grey)" if show.values and inputs is not None
                                   else "not drawn)"))
                if scope:
                    tips.append(f"in module: {clusters[key].label}")
                if recorded is not None and recorded.step is not None:
                    tips.append(f"backward step {recorded.step}")
                if anomaly:
                    tips.insert(0, anomaly)
                kind = "anomaly" if anomaly else "op_box" if details else "op"
                kinds.add(kind)
                attrs = L.node_attrs(lines + details, "\n".join(tips), kind)
                if not details:
                    op_attrs[memo] = attrs
            for k, nxt in enumerate(node.next_nodes):
                if nxt is None:
                    continue
                straight = not isinstance(nxt, AccumulateGrad)  # the data path gets weight 4:
                edge_memo = (op, k, getattr(nxt, "out_shape", None), straight)  # kept straight
                edge = edge_attrs.get(edge_memo)
                if edge is None:
                    tip = L.quote(f"input {k + 1} of {op}: shape {_shape_of(nxt)}")
                    edge = edge_attrs[edge_memo] = (
                        f"[tooltip={tip}{' weight=4' if straight else ''}]")
                edges.append((node_id[id(nxt)], nid, edge))
        key_of[nid] = key
        node_id[id(node)] = first_id[index] = nid
        place(clusters, key, index, f"\t{nid} [{attrs}]\n")

    for i, r in enumerate(roots):
        if root_index[id(r)] != i or (r._ctx is None and id(r._node) in node_id):
            continue  # the same tensor given twice, or a leaf already drawn as its node
        name = names.get(id(r)) or _root_name(i, len(roots))
        recorded = D.recorded_of(r._ctx)
        grad = None if recorded is None else recorded.grad  # d loss / d loss = 1 under watch
        attrs = _box(r, name, "the tensor drawn", "output", show, grad=grad)
        top.nodes.append((len(order) + i, f"\tout{i} [{attrs}]\n"))
        if r._ctx is not None:
            edges.append((node_id[id(r._ctx)], f"out{i}", ""))

    key_of.update(data.keys)
    graph = {"rankdir": rankdir, "fontname": "Helvetica", "nodesep": "0.25",
             "ranksep": "0.35", "newrank": "true", "ordering": "in"}  # inputs in order: W, b
    body = [f"\tgraph {L.attrs(graph)}\n",
            f"\tnode {L.attrs({'fontname': 'Helvetica', 'fontsize': '11', 'height': '0.3'})}\n",
            f"\tedge {L.attrs({'color': '#666666', 'arrowsize': '0.7'})}\n"]
    nodes = emit_clusters(top)
    if legend:
        # a pass detect_anomaly() stopped explains the missing gradients itself
        hint = (missing["values"] or (missing["grad"] and backward_ran)) and "anomaly" not in kinds
        grad_font = f'COLOR="{L.GRAD_COLOR}"'
        shown = {"grad"} if any(grad_font in line for line in nodes) else set()
        body.append(_legend(kinds, [WATCH_HINT] if hint else [], show.values, shown))
    body += nodes
    body += [f"\t{a} -> {b} {e}\n" if e else f"\t{a} -> {b}\n" for a, b, e in edges]
    body += stacking_edges(edges, key_of, clusters, first_id)
    return body


# --------------------------------------------------------------------------- public API


def to_dot(root: Tensor | Sequence[Tensor], params: Mapping[str, Tensor] | None = None,
           model: Any = None, show_values: bool = False, show_grad: bool = True,
           max_nodes: int | None = 500, rankdir: str = "TB", legend: bool = True, *,
           show_saved: bool = False, show_attrs: bool = False, show_formula: bool = False,
           show_grads: bool | None = None) -> str:
    """The recorded graph that produced ``root`` (a tensor or a list of them), as DOT text.

    ``params``: names for tensors (usually ``dict(model.named_parameters())``); ``model``: a
    Module whose parameter and submodule names label the picture; ``show_values`` /
    ``show_grad`` (alias ``show_grads``): each tensor's data / gradient (every value of a
    small tensor, else norm, mean and max-abs; an intermediate's only if known or recorded
    under ``tg.autograd.watch()``); ``show_saved`` / ``show_attrs``: what each op saved for
    backward / its settings, as torchviz; ``show_formula``: the local derivative in the label
    (always in the tooltip); ``max_nodes``: raise ``GraphTooLargeError`` past this many nodes
    (``None``: no limit); ``rankdir``: ``"TB"`` (inputs on top), ``"LR"``, ...; ``legend``: a
    key to the colours. Works before and after ``backward()`` (see the module docstring).
    """
    show = _options(show_values, show_grad, show_grads, show_saved, show_attrs, show_formula,
                    legend, max_nodes, rankdir)
    body = _build(root, params, model, show, max_nodes, rankdir, bool(legend))
    return f"digraph {GRAPH_NAME} {{\n" + "".join(body) + "}\n"


def draw_graph(root: Tensor | Sequence[Tensor], params: Mapping[str, Tensor] | None = None,
               model: Any = None, show_values: bool = False, show_grad: bool = True,
               max_nodes: int | None = 500, rankdir: str = "TB", legend: bool = True, *,
               show_saved: bool = False, show_attrs: bool = False, show_formula: bool = False,
               show_grads: bool | None = None) -> graphviz.Digraph:
    """``to_dot`` as a ``graphviz.Digraph`` (same arguments; ``.source`` is the DOT text).
    Shows itself in Jupyter; write a file with ``render(graph, path)``."""
    show = _options(show_values, show_grad, show_grads, show_saved, show_attrs, show_formula,
                    legend, max_nodes, rankdir)
    try:
        import graphviz
    except ImportError as e:  # pragma: no cover - graphviz is a core dependency
        raise ImportError("draw_graph needs the graphviz Python package: pip install graphviz "
                          "(or use to_dot(), which needs nothing)") from e
    body = _build(root, params, model, show, max_nodes, rankdir, bool(legend))
    return graphviz.Digraph(GRAPH_NAME, body=body)


def render(graph_or_dot: Any, path: str | os.PathLike[str], format: str | None = None,
           cleanup: bool = True) -> Path:
    """Write the picture with Graphviz's ``dot`` program; returns the path written.

    ``graph_or_dot``: DOT text or anything with a ``.source`` (``draw_graph``'s Digraph).
    ``format``: ``"svg"``, ``"png"`` or ``"pdf"``; by default the path's suffix (else SVG,
    added). Only the picture is left (``dot`` reads stdin) unless ``cleanup=False`` (graphviz's
    default) or it cannot be made -- no ``dot`` (``GraphvizNotFoundError``, saying how to
    install it) or ``dot`` failing: then the DOT text is kept beside it (same name, ``.dot``).
    """
    source = getattr(graph_or_dot, "source", graph_or_dot)
    if not isinstance(source, str):
        raise TypeError(f"render: expected DOT text or a graphviz graph, got {type(source)}")
    out = Path(path)
    suffix = out.suffix.lower().lstrip(".")
    fmt = (format or (suffix if suffix in FORMATS else "svg")).lower()
    if fmt not in FORMATS:
        raise ValueError(f"render: format must be one of {FORMATS}, got {format!r}")
    if suffix != fmt:
        if suffix in FORMATS:
            raise ValueError(f"render: the path ends in .{suffix} but format={format!r}; "
                             "make them agree (or leave format out)")
        out = out.with_name(out.name + "." + fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    dot_file, exe = out.with_suffix(".dot"), shutil.which("dot")
    if not cleanup or exe is None:
        dot_file.write_text(source, encoding="utf-8")
    if exe is None:
        raise GraphvizNotFoundError(
            f"the Graphviz program 'dot' was not found on PATH, so {out.name} was not made; "
            f"the graph's DOT text is in {dot_file}. Install Graphviz -- Debian/Ubuntu: "
            "'sudo apt-get install graphviz', macOS: 'brew install graphviz', conda: 'conda "
            "install graphviz', Windows: 'winget install graphviz' (https://graphviz.org/"
            f"download/) -- then run this again, or: dot -T{fmt} {dot_file} -o {out}"
        )
    done = subprocess.run([exe, f"-T{fmt}", "-o", str(out)], input=source,
                          capture_output=True, text=True)
    if done.returncode != 0:
        dot_file.write_text(source, encoding="utf-8")
        raise RuntimeError(f"dot failed (exit code {done.returncode}) on {dot_file}:\n"
                           f"{done.stderr.strip()}")
    return out
