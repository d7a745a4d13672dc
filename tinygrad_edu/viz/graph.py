"""Draw the computation graph that autograd recorded, as Graphviz DOT.

``to_dot(loss)`` returns the DOT text (no dependency); ``draw_graph(loss)`` wraps the same text
in a ``graphviz.Digraph`` (it shows itself in Jupyter); ``render(graph, "step.svg")`` runs
Graphviz's ``dot`` program to write an SVG, PNG or PDF. ::

    loss = F.cross_entropy(model(x), y)
    render(draw_graph(loss, model=model), "step.png")   # before loss.backward()!

What the picture shows, and why:

* **Ops are the nodes in the middle** (yellow ellipses): the Function's name -- ``MatMul``,
  ``Add``, ``ReLU``, ``CrossEntropy`` -- and, under it, the shape of the tensor it
  produced (and its dtype when that is not float32). Intermediate tensors are not drawn
  separately: every op makes exactly one tensor, so "the op and its result" is one node, and
  the picture stays half as big (PyTorch's torchviz draws only ops and parameters for the
  same reason). Hover over an op in the SVG to
  see its local derivative (the first line of the Function's docstring).
* **Tensors the user made are boxes**: blue = a leaf that requires grad (a parameter: it gets
  a ``.grad`` and the optimizer changes it), grey = data or a constant (no gradient; a
  one-element constant such as the ``2`` of ``x * 2`` shows its value), green = the output
  you drew (usually the loss). Each box shows its name, shape and dtype.
* **Arrows follow the forward pass**: input tensor -> op -> op -> ... -> output; backward()
  walks the same arrows in reverse. A tensor used twice is drawn once, with two arrows.
* **Modules are dashed frames** labelled ``name (Class)``, e.g. ``0 (Linear)`` inside
  ``Sequential``: ops recorded during a Module's forward carry the chain of running modules
  (``node.module_scope``), and a parameter is drawn inside the module that owns it. Names come
  from ``model.named_modules()`` when ``model`` is given, otherwise from the outermost module
  that ran (its ``named_modules()``), and a module known by no name shows its class. A module
  called twice (shared weights) is one frame holding both calls. A frame that takes data from
  a sibling frame is kept below it (an invisible edge), so the layers read top to bottom in
  the order they ran. ``legend=True`` adds a key to the colours.

Names of tensors: ``params`` maps names to tensors, usually ``dict(model.named_parameters())``;
any tensor may be named that way (``{"x": x, "loss": loss}``; a named intermediate shows as
``h = ReLU``). With ``model=`` the parameter and buffer names are derived. Unnamed leaves are
called ``input``, ``target`` (the second input of a loss), ``constant`` (one element) or
``leaf`` (requires grad), unnamed roots ``output``.

Values and gradients are shown only when asked: ``show_values`` adds the values of tensors with
at most 6 elements and ``min / mean / max`` otherwise; ``show_grads`` (on by default) adds the
same summary of ``.grad`` wherever one exists -- parameters after ``backward()``, and
intermediates that called ``retain_grad()``.

**Draw before backward(), or keep the graph.** ``backward()`` frees the graph (each node drops
its links to its inputs) unless ``retain_graph=True``, so after a plain ``backward()`` there is
nothing left to draw but the loss itself; ``to_dot`` then raises an error that says so rather
than drawing a misleading one-node picture. To see gradients in the picture, call
``loss.backward(retain_graph=True)`` and draw afterwards.

**Big graphs.** The walk uses an explicit stack (a 100,000-op chain is fine) and visits a
tensor once however often it is used. It stops as soon as it has found more than ``max_nodes``
nodes and raises ``GraphTooLargeError``: ``dot`` needs minutes for tens of thousands of nodes,
and such a picture teaches nothing. Pass a larger ``max_nodes`` (``None`` for no limit), or draw
a smaller piece (one layer's output, fewer loop iterations, a smaller model).
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

from ..tensor import Tensor

if TYPE_CHECKING:
    import graphviz

__all__ = [
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "draw_graph",
    "render",
    "to_dot",
]

GRAPH_NAME = "tinygrad_edu"
FORMATS = ("svg", "png", "pdf")
RANKDIRS = ("TB", "BT", "LR", "RL")
TINY = 6  # tensors with at most this many elements show their values, larger ones a summary

# Colours: fill, border. Blue = learned, grey = data, yellow = computation, green = result.
STYLE: dict[str, dict[str, str]] = {
    "param": {"shape": "box", "style": "rounded,filled", "fillcolor": "#cfe2ff",
              "color": "#2f5ea8", "penwidth": "1.4"},
    "const": {"shape": "box", "style": "rounded,filled", "fillcolor": "#eeeeee",
              "color": "#8a8a8a"},
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


def _h(text: str) -> str:
    """Escape text for an HTML-like label (``&``, ``<``, ``>``, quotes)."""
    return html.escape(text, quote=True)


@functools.lru_cache(maxsize=1024)
def _shape_text(shape: tuple[int, ...]) -> str:
    return "scalar" if shape == () else str(shape)


@functools.lru_cache(maxsize=64)
def _dtype_text(dtype: np.dtype) -> str:
    return str(dtype)


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


_doc_lines: dict[type, str] = {}


def _first_doc_line(cls: type) -> str:
    """The first line of an op's docstring: its formula and local derivative."""
    line = _doc_lines.get(cls)
    if line is None:
        doc = (cls.__doc__ or "").strip()
        line = _doc_lines[cls] = doc.splitlines()[0].strip().replace("``", "") if doc else ""
    return line


# --------------------------------------------------------------------------- the graph model


@dataclass
class _Cluster:
    key: tuple[int, ...]
    label: str
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


def _freed_error(tensor: Tensor) -> RuntimeError:
    return RuntimeError(
        f"cannot draw the graph of {tensor._ctx!r} (a tensor of shape {tensor.shape}): "
        "backward() already freed it -- after backward() each node drops the links to its "
        "inputs unless retain_graph=True. Draw the graph before calling backward(), or call "
        "loss.backward(retain_graph=True) to draw it afterwards (with the gradients)."
    )


def _walk(roots: list[Tensor], max_nodes: int | None) -> list[Tensor]:
    """Every tensor that leads to the roots, each once, inputs before the ops that use them.

    Depth-first with an explicit stack (no recursion); stops early past ``max_nodes``.
    """
    order: list[Tensor] = []
    seen: set[int] = set()
    budget = None if max_nodes is None else max_nodes - sum(r._ctx is not None for r in roots)
    stack: list[tuple[Tensor, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        tensor, done = stack.pop()
        if done:
            order.append(tensor)
            continue
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        if budget is not None and len(seen) > budget:
            raise GraphTooLargeError(
                f"the graph has more than max_nodes={max_nodes} nodes (counting stopped there). "
                "Pass a larger max_nodes= (or max_nodes=None for no limit) to draw it all -- "
                "Graphviz needs minutes for tens of thousands of nodes -- or draw a smaller "
                "piece: one layer's output, fewer loop iterations, a smaller model."
            )
        stack.append((tensor, True))
        node = tensor._ctx
        if node is None:
            continue
        parents = node.parents
        if parents is None:
            raise _freed_error(tensor)
        for parent in reversed(parents):
            if id(parent) not in seen:
                stack.append((parent, False))
    return order


def _module_names(model: Any, scopes: Iterable[tuple[Any, ...]]) -> dict[int, str]:
    """id(module) -> dotted name: from ``model`` if given, else from each outermost module."""
    names: dict[int, str] = {}
    tops = [model] if model is not None else []
    tops += [scope[0] for scope in scopes if scope]
    for top in tops:
        if id(top) in names and top is not model:
            continue
        for name, module in top.named_modules():
            names.setdefault(id(module), name)
    return names


def _tensor_names(params: Mapping[str, Tensor] | None, model: Any,
                  scopes: Iterable[tuple[Any, ...]]) -> dict[int, str]:
    """id(tensor) -> name: ``params`` first, then ``model``'s (or the outermost modules')
    parameters and buffers."""
    names: dict[int, str] = {}
    for name, t in (params or {}).items():
        names.setdefault(id(t), str(name))
    tops = [model] if model is not None else []
    tops += [scope[0] for scope in scopes if scope]
    done: set[int] = set()
    for top in tops:
        if id(top) in done:
            continue
        done.add(id(top))
        for name, t in [*top.named_parameters(), *top.named_buffers()]:
            names.setdefault(id(t), name)
    return names


def _label(lines: list[tuple[str, str]]) -> str:
    """An HTML-like label: the first line bold, then smaller lines in their colours."""
    title, *rest = lines
    parts = [f"<B>{_h(title[0])}</B>"]
    for text, color in rest:
        parts.append(f'<FONT POINT-SIZE="9" COLOR="{color}">{_h(text)}</FONT>')
    return "<" + "<BR/>".join(parts) + ">"


def _data_lines(t: Tensor, show_values: bool, show_grads: bool) -> list[tuple[str, str]]:
    lines = []
    if show_values:
        lines.append((summarize(t.data), VALUE_COLOR))
    if show_grads and t.grad is not None:
        lines.append(("grad " + summarize(t.grad.data), GRAD_COLOR))
    return lines


def _legend() -> str:
    rows = [
        ("param", "parameter", "leaf, requires grad: gets .grad"),
        ("const", "input / constant", "data: no gradient"),
        ("op", "Op", "operation, shape of its result"),
        ("output", "output", "what was drawn (the loss)"),
    ]
    cells = []
    for kind, name, text in rows:
        s = STYLE[kind]
        cells.append(
            f'<TR><TD BGCOLOR="{s["fillcolor"]}" COLOR="{s["color"]}" BORDER="1" '
            f'STYLE="{"rounded" if kind == "op" else ""}">{_h(name)}</TD>'
            f'<TD ALIGN="LEFT"><FONT POINT-SIZE="9">{_h(text)}</FONT></TD></TR>'
        )
    table = ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="3">'
             + "".join(cells) + "</TABLE>>")
    return f"\tlegend {_attrs({'shape': 'plaintext', 'label': table})}\n"


def _build(root: Tensor | Sequence[Tensor], params: Mapping[str, Tensor] | None, model: Any,
           show_values: bool, show_grads: bool, max_nodes: int | None, rankdir: str,
           legend: bool) -> list[str]:
    """The body lines of the DOT graph (each ``\\t...\\n``, as ``graphviz.Digraph.body``)."""
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"max_nodes must be >= 1 or None, got {max_nodes}")
    roots = _roots_of(root)
    for r in roots:
        if r._ctx is not None and r._ctx.parents is None:
            raise _freed_error(r)
    order = _walk(roots, max_nodes)

    scopes: dict[int, tuple[Any, ...]] = {}  # id(non-leaf tensor) -> its node's module chain
    for t in order:
        if t._ctx is not None:
            scope = getattr(t._ctx, "module_scope", ())
            if scope:
                scopes[id(t)] = scope
    distinct_scopes = list({tuple(map(id, s)): s for s in scopes.values()}.values())
    module_names = _module_names(model, distinct_scopes)
    names = _tensor_names(params, model, distinct_scopes)

    # the frame tree: one cluster per distinct chain of modules
    top = _Cluster(key=(), label="", depth=0)
    clusters: dict[tuple[int, ...], _Cluster] = {(): top}
    for scope in distinct_scopes:
        parent = top
        for depth, module in enumerate(scope, start=1):
            key = parent.key + (id(module),)
            if key not in clusters:
                name = module_names.get(id(module), "")
                cls = type(module).__name__
                label = f"{name} ({cls})" if name else cls
                clusters[key] = parent.children[id(module)] = _Cluster(key, label, depth)
            parent = clusters[key]

    owner_key = _owners(order, scopes)
    targets = _targets(order)
    root_index: dict[int, int] = {}
    for i, r in enumerate(roots):
        root_index.setdefault(id(r), i)

    node_id: dict[int, str] = {}  # id(tensor) -> its node (the op node for non-leaves)
    first_id: dict[int, str] = {}  # topological index -> node id
    key_of: dict[str, tuple[int, ...]] = {}  # node id -> the frame it is drawn in
    edges: list[tuple[str, str, str]] = []  # (from, to, attributes)
    op_attrs: dict[tuple[Any, ...], str] = {}
    edge_attrs: dict[tuple[Any, ...], str] = {}
    for index, t in enumerate(order):
        node = t._ctx
        if node is None:  # a leaf tensor: parameter, or data / constant
            nid, key, attrs = f"t{index}", owner_key.get(id(t), ()), None
            given = names.get(id(t))
            if id(t) in root_index:  # a leaf drawn by itself (or as one of the roots)
                kind, role = "output", "the tensor drawn (a leaf)"
                name = given or _root_name(root_index[id(t)], len(roots))
            elif t._requires_grad:
                kind, role, name = "param", "leaf tensor, requires grad", given or "leaf"
            else:
                kind, role = "const", "data, no gradient"
                name = given or ("target" if id(t) in targets else
                                 "constant" if t.data.size == 1 else "input")
            shape = f"{_shape_text(t.shape)} {_dtype_text(t.dtype)}"
            lines = [(name, "black"), (shape, DIM_COLOR)]
            if kind == "const" and t.data.size == 1 and id(t) not in names and not show_values:
                lines.append((summarize(t.data), VALUE_COLOR))  # the 2 of x * 2
            lines += _data_lines(t, show_values, show_grads)
            tooltip = f"{name}: {role}, shape {_shape_text(t.shape)}, {_dtype_text(t.dtype)}"
        else:  # an op and the one tensor it made
            nid, kind = f"op{index}", "op"
            scope = scopes.get(id(t), ())
            key = tuple(map(id, scope))
            op = type(node).__name__
            named = None if id(t) in root_index else names.get(id(t))  # roots: on the output
            data_lines = _data_lines(t, show_values, show_grads)
            # ops of the same kind, shape and module share their text (long chains stay fast)
            memo = (type(node), t.data.shape, t.data.dtype, key, named)
            attrs = None if data_lines else op_attrs.get(memo)
            if attrs is None:
                shape = _shape_text(t.shape)
                if t.data.dtype != _F32:
                    shape += " " + _dtype_text(t.dtype)
                lines = [(f"{named} = {op}" if named else op, "black"), (shape, DIM_COLOR)]
                tips = [f"{op}: {_first_doc_line(type(node))}", f"grad_fn: {node.name()}",
                        f"result: shape {_shape_text(t.shape)}, {_dtype_text(t.dtype)}"]
                if scope:
                    tips.append(f"in module: {clusters[key].label}")
                attrs = _node_attrs(lines + data_lines, "\n".join(tips), kind)
                if not data_lines:
                    op_attrs[memo] = attrs
            for k, p in enumerate(node.parents or ()):  # _walk checked they are there
                # the data path gets weight 4: Graphviz keeps it straight
                straight = p._ctx is not None or (k == 0 and not p._requires_grad)
                edge_memo = (op, k, p.data.shape, straight)
                edge = edge_attrs.get(edge_memo)
                if edge is None:
                    tip = _quote(f"input {k + 1} of {op}: shape {_shape_text(p.shape)}")
                    edge = edge_attrs[edge_memo] = (
                        f"[tooltip={tip}{' weight=4' if straight else ''}]")
                edges.append((node_id[id(p)], nid, edge))
        if attrs is None:
            attrs = _node_attrs(lines, tooltip, kind)
        key_of[nid] = key
        node_id[id(t)] = first_id[index] = nid
        _place(clusters, key, index, f"\t{nid} [{attrs}]\n")

    for i, r in enumerate(roots):
        if r._ctx is None or root_index[id(r)] != i:  # a leaf, or the same tensor given twice
            continue
        oid = f"out{i}"
        name = names.get(id(r)) or _root_name(i, len(roots))
        lines = [(name, "black"), (f"{_shape_text(r.shape)} {_dtype_text(r.dtype)}", DIM_COLOR)]
        lines += _data_lines(r, show_values, show_grads)
        tooltip = f"{name}: the tensor drawn, shape {_shape_text(r.shape)}, {_dtype_text(r.dtype)}"
        top.nodes.append((len(order) + i, f"\t{oid} [{_node_attrs(lines, tooltip, 'output')}]\n"))
        edges.append((node_id[id(r)], oid, ""))

    graph = {"rankdir": rankdir, "fontname": "Helvetica", "nodesep": "0.25",
             "ranksep": "0.35", "newrank": "true"}
    body = [
        f"\tgraph {_attrs(graph)}\n",
        f"\tnode {_attrs({'fontname': 'Helvetica', 'fontsize': '11', 'height': '0.3'})}\n",
        f"\tedge {_attrs({'color': '#666666', 'arrowsize': '0.7'})}\n",
    ]
    if legend:
        body.append(_legend())
    body += _emit_clusters(top)
    body += [f"\t{a} -> {b} {e}\n" if e else f"\t{a} -> {b}\n" for a, b, e in edges]
    body += _stacking_edges(edges, key_of, clusters, first_id)
    return body


def _node_attrs(lines: list[tuple[str, str]], tooltip: str, kind: str) -> str:
    return f"label={_label(lines)} tooltip={_quote(tooltip)} {_STYLE_ATTRS[kind]}"


def _targets(order: list[Tensor]) -> set[int]:
    """ids of unnamed data tensors given as the target (second input) of a loss op."""
    found: set[int] = set()
    for t in order:
        node = t._ctx
        if node is not None and type(node).__module__.endswith(".ops.loss"):
            parents = node.parents or ()
            if len(parents) > 1 and parents[1]._ctx is None and not parents[1]._requires_grad:
                found.add(id(parents[1]))
    return found


def _owners(order: list[Tensor], scopes: Mapping[int, tuple[Any, ...]]
            ) -> dict[int, tuple[int, ...]]:
    """id(leaf) -> the frame of the module that owns it (as a parameter or buffer), found
    along the module chains of the ops that use it; leaves owned by none stay outside."""
    owner_key: dict[int, tuple[int, ...]] = {}
    for t in order:
        scope = scopes.get(id(t))
        if not scope or t._ctx is None:
            continue
        for p in t._ctx.parents or ():
            if p._ctx is not None or id(p) in owner_key:
                continue
            for depth in range(len(scope) - 1, -1, -1):
                module = scope[depth]
                owned = [*module._parameters.values(), *module._buffers.values()]
                if any(q is p for q in owned):
                    owner_key[id(p)] = tuple(map(id, scope[: depth + 1]))
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
        label = "<" + _h(cluster.label) + ">"
        if " (" in cluster.label:
            name, cls = cluster.label.split(" (", 1)
            label = f"<<B>{_h(name)}</B> ({_h(cls[:-1])})>"
        else:
            label = f"<<B>{_h(cluster.label)}</B>>"
        attrs = {"label": label, "style": "rounded,dashed,filled", "fillcolor": fill,
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
    (inputs on top), ``"LR"``, ...; ``legend``: a key to the colours. Raises ``RuntimeError``
    if ``backward()`` already freed the graph (see the module docstring).
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


def render(graph_or_dot: Any, path: str | os.PathLike[str], format: str | None = None) -> Path:
    """Write the picture with Graphviz's ``dot`` program; returns the path written.

    ``graph_or_dot``: DOT text or anything with a ``.source`` (``draw_graph``'s Digraph).
    ``format``: ``"svg"``, ``"png"`` or ``"pdf"``; by default taken from the path's suffix
    (else SVG, and the suffix is added). The DOT text is always written next to it (same name,
    ``.dot``) -- so if ``dot`` is not installed you still get that file, and a
    ``GraphvizNotFoundError`` that says how to install Graphviz.
    """
    source = graph_or_dot if isinstance(graph_or_dot, str) else getattr(graph_or_dot, "source",
                                                                        None)
    if not isinstance(source, str):
        raise TypeError(f"render: expected DOT text or a graphviz graph, got "
                        f"{type(graph_or_dot).__name__}")
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
    dot_file = out.with_suffix(".dot")
    dot_file.write_text(source, encoding="utf-8")
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizNotFoundError(
            f"the Graphviz program 'dot' was not found on PATH, so {out.name} was not made; "
            f"the graph's DOT text is in {dot_file}. Install Graphviz -- Debian/Ubuntu: "
            "'sudo apt-get install graphviz', macOS: 'brew install graphviz', conda: 'conda "
            "install graphviz', Windows: 'winget install graphviz' (https://graphviz.org/"
            f"download/) -- then run this again, or: dot -T{fmt} {dot_file} -o {out}"
        )
    done = subprocess.run([exe, f"-T{fmt}", str(dot_file), "-o", str(out)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"dot failed (exit code {done.returncode}) on {dot_file}:\n"
                           f"{done.stderr.strip()}")
    return out
