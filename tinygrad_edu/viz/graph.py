"""Draw the computation graph that autograd recorded, as Graphviz DOT.

``to_dot(loss)`` returns the DOT text (no dependency); ``draw_graph(loss)`` wraps the same text
in a ``graphviz.Digraph`` (it shows itself in Jupyter); ``render(graph, "step.svg")`` runs
Graphviz's ``dot`` program to write an SVG, PNG or PDF. ::

    loss = F.cross_entropy(model(x), y)
    loss.backward()                      # optional: drawing works before and after
    render(draw_graph(loss, model=model), "step.png")

The picture is the graph ``backward()`` walks, as PyTorch's torchviz draws it: from the output's
``grad_fn`` along each node's ``next_nodes`` (``next_functions``).

* **Ops are yellow ellipses**: the Function's name (``Linear``, ``ReLU``, ``CrossEntropy``) and
  the shape of its result (its dtype too when not float32). Nodes do not keep the tensors they
  made, so intermediates are not drawn apart. The SVG tooltip gives the local derivative (the
  docstring's first line), the ``grad_fn`` name (``MulBackward0``) and the inputs that need no
  gradient.
* **Parameters are blue boxes**: leaves that require grad (their ``AccumulateGrad`` node) with
  name, shape and dtype. **Green** is the tensor drawn (usually the loss). **Data and constants
  are not drawn** (the batch, the targets, the ``2`` of ``x * 2``): they are no node of the
  backward graph.
* **Arrows follow the forward pass**, parameter -> op -> ... -> output; backward() walks them in
  reverse. A node used twice is drawn once, with two arrows.
* **Modules are dashed frames** ``name (Class)``, e.g. ``0 (Linear)`` inside ``Sequential``:
  ops recorded during a Module's forward carry the chain of running modules
  (``node.module_scope``); a parameter is drawn in the module that owns it. Names come from
  ``model.named_modules()`` if ``model`` is given, else from the outermost module that ran; a
  module known by no name shows its class. A module called twice is one frame. A frame that
  takes data from a sibling is kept below it (an invisible edge), so layers read top to bottom.

Names: ``params`` maps names to tensors (``dict(model.named_parameters())``, or any tensor:
``{"h": h, "loss": loss}``; a named intermediate shows as ``h = ReLU``); with ``model=`` the
parameter names are derived. Otherwise parameters are ``leaf`` and roots ``output``.

``show_values`` adds values (tensors of at most 6 elements) or ``min / mean / max``;
``show_grads`` (on by default) the same of ``.grad`` where one exists: parameters after
``backward()``, intermediates that called ``retain_grad()``. An op shows them only when its
tensor is known: a root (on its output box), named in ``params``, or ``retain_grad()``'s.

**After backward()** the graph draws the same, now with the gradients: ``backward()`` frees the
arrays the ops saved, not the structure.

**Big graphs.** The walk uses an explicit stack (a 100,000-op chain is fine) and visits a node
once. It stops past ``max_nodes`` nodes with ``GraphTooLargeError`` (``dot`` needs minutes for
tens of thousands of nodes, and such a picture teaches nothing): pass a larger ``max_nodes``
(``None``: no limit), or draw a smaller piece.
"""

from __future__ import annotations

import functools
import html
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..autograd import AccumulateGrad, Node
from ..autograd.hooks import retained
from ..tensor import Tensor

if TYPE_CHECKING:
    import graphviz

__all__ = ["GraphTooLargeError", "GraphvizNotFoundError", "draw_graph", "render", "to_dot"]

GRAPH_NAME = "tinygrad_edu"
FORMATS = ("svg", "png", "pdf")
RANKDIRS = ("TB", "BT", "LR", "RL")
TINY = 6  # tensors with at most this many elements show their values, larger ones a summary

# Colours: fill, border. Blue = learned, yellow = computation, green = result.
STYLE: dict[str, dict[str, str]] = {
    "param": {"shape": "box", "style": "rounded,filled", "fillcolor": "#cfe2ff",
              "color": "#2f5ea8", "penwidth": "1.4"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#fff4c2", "color": "#b8962e",
           "margin": "0.04,0.02"},
    "output": {"shape": "box", "style": "rounded,filled", "fillcolor": "#c8f0c8",
               "color": "#2e7d32", "penwidth": "2"},
}
CLUSTER_FILLS = ("#f6f8fb", "#eef2f8", "#e6ecf5", "#dee6f2")
GRAD_COLOR = "#b3261e"
VALUE_COLOR = "#1b5e20"
DIM_COLOR = "#555555"

_F32 = np.dtype(np.float32)
_STYLE_ATTRS = {kind: " ".join(f'{k}="{v}"' for k, v in attrs.items())
                for kind, attrs in STYLE.items()}


class GraphTooLargeError(ValueError):
    """The graph has more nodes than ``max_nodes``."""


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not installed (the ``.dot`` file was still written)."""


# --------------------------------------------------------------------------- text helpers


def _quote(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, newlines as ``\\n``."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return f'"{text}"'


def _attrs(attrs: Mapping[str, str]) -> str:
    """``[key=value ...]``: values starting with ``<`` are HTML-like labels, the rest quoted."""
    parts = []
    for key, value in attrs.items():
        is_html = value.startswith("<") and value.endswith(">")
        parts.append(f"{key}={value if is_html else _quote(value)}")
    return "[" + " ".join(parts) + "]"


_h = functools.partial(html.escape, quote=True)  # text in an HTML-like label: & < > quotes


@functools.lru_cache(maxsize=1024)
def _shape_text(shape: tuple[int, ...]) -> str:
    return "scalar" if shape == () else str(shape)


def _number(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{float(value):.4g}"


def summarize(array: np.ndarray) -> str:
    """The values of a tiny array (``[0.5, -1]``), else ``min / mean / max``; NaN and inf are
    counted, not hidden."""
    a = np.asarray(array)
    if a.size == 0:
        return "empty"
    if a.dtype.kind == "b":
        a = a.astype(np.int64)
    if a.size <= TINY:
        flat = [_number(v) for v in a.ravel()]
        return flat[0] if a.ndim == 0 else "[" + ", ".join(flat) + "]"
    bad = ""
    if a.dtype.kind in "fc":
        finite = np.isfinite(a)
        if not finite.all():
            n_nan, n_inf = int(np.isnan(a).sum()), int(np.isinf(a).sum())
            bad = "  " + ", ".join(f"{n} {w}" for n, w in ((n_nan, "NaN"), (n_inf, "inf")) if n)
            a = a[finite]
            if a.size == 0:
                return bad.strip()
    return (f"min {_number(a.min())} / mean {_number(a.astype(np.float64).mean())} / "
            f"max {_number(a.max())}{bad}")


@functools.cache
def _first_doc_line(doc: str | None) -> str:
    """The first line of an op's docstring: its formula and local derivative."""
    doc = (doc or "").strip()
    return doc.splitlines()[0].strip().replace("``", "") if doc else ""


# --------------------------------------------------------------------------- the graph model


@dataclass
class _Cluster:
    key: tuple[int, ...]
    label: str  # "name (Class)", or the class of a module known by no name
    title: str  # the same as an HTML-like label, the name in bold
    depth: int
    first: int = -1  # topological index of its first node: frames are emitted in that order
    nodes: list[tuple[int, str]] = field(default_factory=list)  # (index, DOT node line)
    children: dict[int, _Cluster] = field(default_factory=dict)


def _roots_of(root: Tensor | Sequence[Tensor]) -> list[Tensor]:
    roots = [root] if isinstance(root, Tensor) else list(root)
    if not roots:
        raise ValueError("to_dot: give a tensor (or a list of tensors) to draw")
    for r in roots:
        if not isinstance(r, Tensor):
            raise TypeError(f"to_dot: expected Tensors, got {type(r).__name__}")
    return roots


def _walk(starts: Sequence[Node], budget: int | None, max_nodes: int | None) -> list[Node]:
    """Every node that leads to the start nodes, each once, inputs before the ops that use
    them (``next_nodes``; ``None`` entries -- inputs that need no gradient -- are skipped).

    Depth-first with an explicit stack (no recursion); stops early past ``budget`` nodes.
    """
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(s, False) for s in reversed(starts)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if budget is not None and len(seen) > budget:
            raise GraphTooLargeError(
                f"the graph has more than max_nodes={max_nodes} nodes (counting stopped there). "
                "Pass a larger max_nodes= (or max_nodes=None for no limit) to draw it all -- "
                "Graphviz needs minutes for tens of thousands of nodes -- or draw a smaller "
                "piece: one layer's output, fewer loop iterations, a smaller model."
            )
        stack.append((node, True))
        for nxt in reversed(node.next_nodes):
            if nxt is not None and id(nxt) not in seen:
                stack.append((nxt, False))
    return order


def _names(params: Mapping[str, Tensor] | None, model: Any, scopes: Iterable[tuple[Any, ...]]
           ) -> tuple[dict[int, str], dict[int, str]]:
    """id(module) -> dotted name, and id(tensor) -> name: ``params`` first, then the
    parameters and buffers of ``model`` (if given), then of each outermost module that ran."""
    modules: dict[int, str] = {}
    tensors = {id(t): str(name) for name, t in reversed(list((params or {}).items()))}
    done: set[int] = set()
    for top in [*([model] if model is not None else []), *(s[0] for s in scopes if s)]:
        if id(top) in done:
            continue
        done.add(id(top))
        for name, module in top.named_modules():
            modules.setdefault(id(module), name)
        for name, t in [*top.named_parameters(), *top.named_buffers()]:
            tensors.setdefault(id(t), name)
    return modules, tensors


def _label(lines: list[tuple[str, str]]) -> str:
    """An HTML-like label: the first line bold, then smaller lines in their colours."""
    (title, _), *rest = lines
    parts = [f"<B>{_h(title)}</B>"]
    parts += [f'<FONT POINT-SIZE="9" COLOR="{color}">{_h(text)}</FONT>' for text, color in rest]
    return "<" + "<BR/>".join(parts) + ">"


def _data_lines(t: Tensor | None, show_values: bool, show_grads: bool) -> list[tuple[str, str]]:
    lines = [(summarize(t._data), VALUE_COLOR)] if t is not None and show_values else []
    if t is not None and show_grads and t.grad is not None:
        lines.append(("grad " + summarize(t.grad._data), GRAD_COLOR))
    return lines


def _legend() -> str:
    rows = [("param", "parameter", "leaf, requires grad: gets .grad"),
            ("op", "Op", "operation, shape of its result"),
            ("output", "output", "what was drawn (the loss)")]
    cells = []
    for kind, name, text in rows:
        s = STYLE[kind]
        cells.append(
            f'<TR><TD BGCOLOR="{s["fillcolor"]}" COLOR="{s["color"]}" BORDER="1" '
            f'STYLE="{"rounded" if kind == "op" else ""}">{_h(name)}</TD>'
            f'<TD ALIGN="LEFT"><FONT POINT-SIZE="9">{_h(text)}</FONT></TD></TR>'
        )
    cells.append('<TR><TD COLSPAN="2" ALIGN="LEFT"><FONT POINT-SIZE="9" COLOR="#555555">'
                 "data and constants (no gradient) are not drawn</FONT></TD></TR>")
    table = ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="3">'
             + "".join(cells) + "</TABLE>>")
    return f"\tlegend {_attrs({'shape': 'plaintext', 'label': table})}\n"


def _shape_of(node: Node | None) -> str:
    shape = getattr(node, "out_shape", None)
    return "unknown" if shape is None else _shape_text(shape)


def _build(root: Tensor | Sequence[Tensor], params: Mapping[str, Tensor] | None, model: Any,
           show_values: bool, show_grads: bool, max_nodes: int | None, rankdir: str,
           legend: bool) -> list[str]:
    """The body lines of the DOT graph (each ``\\t...\\n``, as ``graphviz.Digraph.body``)."""
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"max_nodes must be >= 1 or None, got {max_nodes}")
    roots = _roots_of(root)
    root_index: dict[int, int] = {}  # id(root tensor) -> its first position in roots
    for i, r in enumerate(roots):
        root_index.setdefault(id(r), i)
    distinct = [r for i, r in enumerate(roots) if root_index[id(r)] == i]
    # where each root starts: its grad_fn, or a leaf's AccumulateGrad (if it is in a graph)
    starts = [r._node for r in distinct]
    extra = sum(r._ctx is not None for r in distinct) + starts.count(None)  # their own boxes
    order = _walk([s for s in starts if s is not None],
                  None if max_nodes is None else max_nodes - extra, max_nodes)

    scopes = {id(n): s for n in order if (s := getattr(n, "module_scope", ()))}
    distinct_scopes = list({tuple(map(id, s)): s for s in scopes.values()}.values())
    module_names, names = _names(params, model, distinct_scopes)
    known: dict[int, Tensor] = {}  # id(op node) -> its tensor, if named, a root or retained
    for t in [*(params or {}).values(), *distinct]:
        if isinstance(t, Tensor) and t._ctx is not None:
            known.setdefault(id(t._ctx), t)
    for node in order:
        kept = retained[id(node)]() if id(node) in retained else None
        if kept is not None and not isinstance(node, AccumulateGrad):
            known.setdefault(id(node), kept)

    # the frame tree: one cluster per distinct chain of modules
    top = _Cluster(key=(), label="", title="", depth=0)
    clusters: dict[tuple[int, ...], _Cluster] = {(): top}
    for scope in distinct_scopes:
        parent = top
        for depth, module in enumerate(scope, start=1):
            key = parent.key + (id(module),)
            if key not in clusters:
                name, cls = module_names.get(id(module), ""), type(module).__name__
                label = f"{name} ({cls})" if name else cls
                title = f"<<B>{_h(name)}</B> ({_h(cls)})>" if name else f"<<B>{_h(cls)}</B>>"
                clusters[key] = parent.children[id(module)] = _Cluster(key, label, title, depth)
            parent = clusters[key]

    owner_key = _owners(order, scopes)
    node_id: dict[int, str] = {}  # id(node) -> its DOT node
    first_id: dict[int, str] = {}  # topological index -> node id
    key_of: dict[str, tuple[int, ...]] = {}  # node id -> the frame it is drawn in
    edges: list[tuple[str, str, str]] = []  # (from, to, attributes)
    op_attrs: dict[tuple[Any, ...], str] = {}
    edge_attrs: dict[tuple[Any, ...], str] = {}
    for index, node in enumerate(order):
        if isinstance(node, AccumulateGrad):  # a leaf that requires grad: a parameter
            nid, key, leaf = f"t{index}", owner_key.get(id(node), ()), node.variable
            if leaf is not None and id(leaf) in root_index:  # a leaf drawn as a root
                name = names.get(id(leaf)) or _root_name(root_index[id(leaf)], len(roots))
                attrs = _box(leaf, name, "the tensor drawn (a leaf)", "output", show_values,
                             show_grads)
            else:
                name = "leaf" if leaf is None else names.get(id(leaf), "leaf")
                attrs = _box(leaf, name, "leaf tensor, requires grad", "param", show_values,
                             show_grads)
        else:  # an op (and the one tensor it made)
            nid, op = f"op{index}", type(node).__name__
            scope = scopes.get(id(node), ())
            key = tuple(map(id, scope))
            mine = known.get(id(node))
            is_root = mine is not None and id(mine) in root_index  # roots: on the output box
            named = None if mine is None or is_root else names.get(id(mine))
            data_lines = [] if is_root else _data_lines(mine, show_values, show_grads)
            dtype = None if mine is None else mine.dtype  # nodes keep no dtype
            constants = [str(k + 1) for k, n in enumerate(node.next_nodes) if n is None]
            # ops of the same kind, shape and module share their text (long chains stay fast)
            memo = (type(node), getattr(node, "out_shape", None), dtype, key, named, *constants)
            attrs = op_attrs.get(memo, "") if not data_lines else ""
            if not attrs:
                shape = _shape_of(node) + ("" if dtype in (None, _F32) else f" {dtype}")
                lines = [(f"{named} = {op}" if named else op, "black"), (shape, DIM_COLOR)]
                tips = [f"{op}: {_first_doc_line(type(node).__doc__)}", f"grad_fn: {node.name()}",
                        f"result: shape {shape}"]
                if constants:
                    tips.append(f"input {', '.join(constants)}: no gradient (data or constant, "
                                "not drawn)")
                if scope:
                    tips.append(f"in module: {clusters[key].label}")
                attrs = _node_attrs(lines + data_lines, "\n".join(tips), "op")
                if not data_lines:
                    op_attrs[memo] = attrs
            for k, nxt in enumerate(node.next_nodes):
                if nxt is None:
                    continue
                straight = not isinstance(nxt, AccumulateGrad)  # the data path gets weight 4:
                edge_memo = (op, k, getattr(nxt, "out_shape", None), straight)  # kept straight
                edge = edge_attrs.get(edge_memo)
                if edge is None:
                    tip = _quote(f"input {k + 1} of {op}: shape {_shape_of(nxt)}")
                    edge = edge_attrs[edge_memo] = (
                        f"[tooltip={tip}{' weight=4' if straight else ''}]")
                edges.append((node_id[id(nxt)], nid, edge))
        key_of[nid] = key
        node_id[id(node)] = first_id[index] = nid
        _place(clusters, key, index, f"\t{nid} [{attrs}]\n")

    for i, r in enumerate(roots):
        if root_index[id(r)] != i or (r._ctx is None and id(r._node) in node_id):
            continue  # the same tensor given twice, or a leaf already drawn as its node
        name = names.get(id(r)) or _root_name(i, len(roots))
        attrs = _box(r, name, "the tensor drawn", "output", show_values, show_grads)
        top.nodes.append((len(order) + i, f"\tout{i} [{attrs}]\n"))
        if r._ctx is not None:
            edges.append((node_id[id(r._ctx)], f"out{i}", ""))

    graph = {"rankdir": rankdir, "fontname": "Helvetica", "nodesep": "0.25",
             "ranksep": "0.35", "newrank": "true", "ordering": "in"}  # inputs in order: W, b
    body = [f"\tgraph {_attrs(graph)}\n",
            f"\tnode {_attrs({'fontname': 'Helvetica', 'fontsize': '11', 'height': '0.3'})}\n",
            f"\tedge {_attrs({'color': '#666666', 'arrowsize': '0.7'})}\n"]
    if legend:
        body.append(_legend())
    body += _emit_clusters(top)
    body += [f"\t{a} -> {b} {e}\n" if e else f"\t{a} -> {b}\n" for a, b, e in edges]
    body += _stacking_edges(edges, key_of, clusters, first_id)
    return body


def _box(t: Tensor | None, name: str, role: str, kind: str, show_values: bool,
         show_grads: bool) -> str:
    """The attributes of a tensor's box (``None``: a leaf that was garbage-collected)."""
    if t is None:
        return _node_attrs([(name, "black"), ("tensor freed", DIM_COLOR)],
                           f"{name}: {role}; the tensor itself was garbage-collected", kind)
    shape = f"{_shape_text(t.shape)} {t.dtype}"
    lines = [(name, "black"), (shape, DIM_COLOR), *_data_lines(t, show_values, show_grads)]
    return _node_attrs(lines, f"{name}: {role}, shape {shape}", kind)


def _node_attrs(lines: list[tuple[str, str]], tooltip: str, kind: str) -> str:
    return f"label={_label(lines)} tooltip={_quote(tooltip)} {_STYLE_ATTRS[kind]}"


def _owners(order: list[Node], scopes: Mapping[int, tuple[Any, ...]]
            ) -> dict[int, tuple[int, ...]]:
    """id(AccumulateGrad) -> the frame of the module that owns its leaf (as a parameter),
    found along the module chains of the ops that use it; leaves owned by none stay outside."""
    owner_key: dict[int, tuple[int, ...]] = {}
    for node in order:
        scope = scopes.get(id(node))
        if not scope:
            continue
        for nxt in node.next_nodes:
            if not isinstance(nxt, AccumulateGrad) or id(nxt) in owner_key:
                continue
            leaf = nxt.variable
            for depth in range(len(scope) - 1, -1, -1):
                module = scope[depth]
                if any(q is leaf for q in module._parameters.values()):
                    owner_key[id(nxt)] = tuple(map(id, scope[: depth + 1]))
                    break
    return owner_key


def _root_name(i: int, n: int) -> str:
    return "output" if n == 1 else f"output {i}"


def _stacking_edges(edges: list[tuple[str, str, str]],
                    key_of: dict[str, tuple[int, ...]],
                    clusters: dict[tuple[int, ...], _Cluster],
                    first_id: dict[int, str]) -> list[str]:
    """Invisible edges that stack a module's frame below the frame it takes data from.

    Without them Graphviz may start ``2 (Linear)`` beside ``0 (Linear)`` (its weight does not
    depend on layer 0), and the layers of a Sequential end up side by side in no order.
    """
    lines: list[str] = []
    done: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
    for a, b, _ in edges:
        ka, kb = key_of.get(a, ()), key_of.get(b, ())
        c = 0
        while c < min(len(ka), len(kb)) and ka[c] == kb[c]:
            c += 1
        if c >= len(ka) or c >= len(kb):  # not two sibling frames
            continue
        pair = (ka[: c + 1], kb[: c + 1])
        if pair in done:
            continue
        done.add(pair)
        target = first_id[clusters[pair[1]].first]
        if target != b:
            lines.append(f"\t{a} -> {target} [style=\"invis\"]\n")
    return lines


def _place(clusters: dict[tuple[int, ...], _Cluster], key: tuple[int, ...], index: int,
           line: str) -> None:
    """Put a node line into its frame; each enclosing frame remembers its first node."""
    clusters[key].nodes.append((index, line))
    for k in range(len(key), 0, -1):
        cluster = clusters[key[:k]]
        if cluster.first >= 0:
            break
        cluster.first = index


def _emit_clusters(top: _Cluster) -> list[str]:
    """Node lines and nested frames, each level in the order of first appearance in the walk
    (so Graphviz sees layer 1 before layer 2); an explicit stack, no recursion."""
    lines: list[str] = []
    Item = tuple[int, str | _Cluster, bool]  # (order, node line or frame, closing?)

    def items(cluster: _Cluster) -> list[Item]:
        found: list[Item] = [(i, line, False) for i, line in cluster.nodes]
        found += [(c.first, c, False) for c in cluster.children.values()]
        return sorted(found, key=lambda item: item[0], reverse=True)

    stack: list[Item] = items(top)
    counter = 0
    while stack:
        _, entry, closing = stack.pop()
        if isinstance(entry, str):
            lines.append(entry)
            continue
        cluster = entry
        indent = "\t" * cluster.depth
        if closing:
            lines.append(f"{indent}}}\n")
            continue
        fill = CLUSTER_FILLS[(cluster.depth - 1) % len(CLUSTER_FILLS)]
        attrs = {"label": cluster.title, "style": "rounded,dashed,filled", "fillcolor": fill,
                 "color": "#7a8aa6", "fontname": "Helvetica", "fontsize": "11",
                 "labeljust": "l", "margin": "10"}
        lines.append(f"{indent}subgraph cluster_{counter} {{\n")
        counter += 1
        lines.append(f"{indent}\tgraph {_attrs(attrs)}\n")
        stack.append((0, cluster, True))
        stack.extend((i, indent + e if isinstance(e, str) else e, c)
                     for i, e, c in items(cluster))
    return lines


# --------------------------------------------------------------------------- public API


def to_dot(root: Tensor | Sequence[Tensor], params: Mapping[str, Tensor] | None = None,
           model: Any = None, show_values: bool = False, show_grads: bool = True,
           max_nodes: int | None = 500, rankdir: str = "TB", legend: bool = True) -> str:
    """The recorded graph that produced ``root`` (a tensor or a list of them), as DOT text.

    ``params``: names for tensors (usually ``dict(model.named_parameters())``); ``model``: a
    Module whose parameter and submodule names label the picture; ``show_values`` /
    ``show_grads``: add value / ``.grad`` summaries; ``max_nodes``: raise
    ``GraphTooLargeError`` past this many nodes (``None``: no limit); ``rankdir``: ``"TB"``
    (inputs on top), ``"LR"``, ...; ``legend``: a key to the colours. Works before and after
    ``backward()`` (then with the gradients; see the module docstring).
    """
    body = _build(root, params, model, show_values, show_grads, max_nodes, rankdir, legend)
    return f"digraph {GRAPH_NAME} {{\n" + "".join(body) + "}\n"


def draw_graph(root: Tensor | Sequence[Tensor], params: Mapping[str, Tensor] | None = None,
               model: Any = None, show_values: bool = False, show_grads: bool = True,
               max_nodes: int | None = 500, rankdir: str = "TB",
               legend: bool = True) -> graphviz.Digraph:
    """``to_dot`` as a ``graphviz.Digraph`` (same arguments; ``.source`` is the DOT text).
    Shows itself in Jupyter; write a file with ``render(graph, path)``."""
    try:
        import graphviz
    except ImportError as e:  # pragma: no cover - graphviz is a core dependency
        raise ImportError("draw_graph needs the graphviz Python package: pip install graphviz "
                          "(or use to_dot(), which needs nothing)") from e
    body = _build(root, params, model, show_values, show_grads, max_nodes, rankdir, legend)
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
