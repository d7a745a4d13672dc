"""Where things go in a graph picture: the walk of the backward graph (each node once,
inputs first, no recursion), the names of tensors and modules, and the dashed module frames
(nested clusters, emitted in the order of the walk, stacked by invisible edges)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..autograd import AccumulateGrad, Node
from ._labels import CLUSTER_FILLS, attrs

if TYPE_CHECKING:
    from ..tensor import Tensor


class GraphTooLargeError(ValueError):
    """The graph has more nodes than ``max_nodes``."""


@dataclass
class Cluster:
    key: tuple[int, ...]
    label: str  # "name (Class)", or the class of a module known by no name
    title: str  # the same as an HTML-like label, the name in bold
    depth: int
    first: int = -1  # topological index of its first node: frames are emitted in that order
    nodes: list[tuple[int, str]] = field(default_factory=list)  # (index, DOT node line)
    children: dict[int, Cluster] = field(default_factory=dict)


def walk(starts: Sequence[Node], budget: int | None, max_nodes: int | None) -> list[Node]:
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


def names_of(params: Mapping[str, Tensor] | None, model: Any, scopes: Iterable[tuple[Any, ...]]
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


def owners(order: list[Node], scopes: Mapping[int, tuple[Any, ...]]
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


def stacking_edges(edges: list[tuple[str, str, str]],
                    key_of: dict[str, tuple[int, ...]],
                    clusters: dict[tuple[int, ...], Cluster],
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


def place(clusters: dict[tuple[int, ...], Cluster], key: tuple[int, ...], index: int,
           line: str) -> None:
    """Put a node line into its frame; each enclosing frame remembers its first node."""
    clusters[key].nodes.append((index, line))
    for k in range(len(key), 0, -1):
        cluster = clusters[key[:k]]
        if cluster.first >= 0:
            break
        cluster.first = index


def emit_clusters(top: Cluster) -> list[str]:
    """Node lines and nested frames, each level in the order of first appearance in the walk
    (so Graphviz sees layer 1 before layer 2); an explicit stack, no recursion."""
    lines: list[str] = []
    Item = tuple[int, str | Cluster, bool]  # (order, node line or frame, closing?)

    def items(cluster: Cluster) -> list[Item]:
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
        frame = {"label": cluster.title, "style": "rounded,dashed,filled", "fillcolor": fill,
                 "color": "#7a8aa6", "fontname": "Helvetica", "fontsize": "11",
                 "labeljust": "l", "margin": "10"}
        lines.append(f"{indent}subgraph cluster_{counter} {{\n")
        counter += 1
        lines.append(f"{indent}\tgraph {attrs(frame)}\n")
        stack.append((0, cluster, True))
        stack.extend((i, indent + e if isinstance(e, str) else e, c)
                     for i, e, c in items(cluster))
    return lines
