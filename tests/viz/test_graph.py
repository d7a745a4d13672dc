"""``viz.graph``: the DOT text of known graphs (nodes, edges, labels, module frames), values and
gradients only when asked, size limits, deep chains, drawing after backward (the graph's structure
stays, with the gradients), and rendering with ``dot``."""

from __future__ import annotations

import gc
import html
import re
import shutil
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F
from tinygrad_edu.viz import graph as G
from tinygrad_edu.viz.graph import (
    GraphTooLargeError,
    GraphvizNotFoundError,
    draw_graph,
    render,
    to_dot,
)

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz 'dot' is not installed")

# ---------------------------------------------------------------------------- a small DOT reader

NODE = re.compile(r"^\s*(\w+) \[label=<(.*)> tooltip=\"(.*?)(?<!\\)\" .*fillcolor=\"(#\w+)\"")
EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?$")
OPEN = re.compile(r"^\s*subgraph (cluster_\d+) \{$")
CLUSTER_LABEL = re.compile(r"^\s*graph \[label=<(.*?)> style=")
KIND = {fill["fillcolor"]: kind for kind, fill in G.STYLE.items() if kind != "op_box"}


def _text(label: str) -> str:
    """The visible text of an HTML-like label: tags dropped, lines joined by ' | '."""
    text = re.sub(r"<BR[^>]*/>", " | ", label)
    text = text[:-3] if text.endswith(" | ") else text  # a left-aligned last line
    return html.unescape(re.sub(r"<[^>]+>", "", text))


@dataclass
class Cluster:
    label: str = ""
    parent: str | None = None
    nodes: set[str] = field(default_factory=set)  # directly inside


@dataclass
class Dot:
    labels: dict[str, str] = field(default_factory=dict)  # node id -> visible label text
    tooltips: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # node id -> param/const/op/output
    edges: list[tuple[str, str]] = field(default_factory=list)  # visible edges only
    hidden: list[tuple[str, str]] = field(default_factory=list)
    clusters: dict[str, Cluster] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # node ids as declared

    def ids(self, kind: str) -> list[str]:
        return [n for n in self.order if self.kinds[n] == kind]

    def find(self, text: str) -> list[str]:
        """Node ids whose label's first line is ``text``."""
        return [n for n in self.order if self.labels[n].split(" | ")[0] == text]

    def cluster_of(self, node: str) -> str | None:
        return next((c.label for c in self.clusters.values() if node in c.nodes), None)


def parse(dot: str) -> Dot:
    assert dot.startswith("digraph tinygrad_edu {\n") and dot.endswith("}\n")
    out = Dot()
    stack: list[str] = []
    for line in dot.splitlines()[1:-1]:
        if m := OPEN.match(line):
            out.clusters[m[1]] = Cluster(parent=stack[-1] if stack else None)
            stack.append(m[1])
        elif line.strip() == "}":
            stack.pop()
        elif m := CLUSTER_LABEL.match(line):
            out.clusters[stack[-1]].label = _text(m[1])
        elif m := EDGE.match(line):
            (out.hidden if 'style="invis"' in (m[3] or "") else out.edges).append((m[1], m[2]))
        elif m := NODE.match(line):
            out.labels[m[1]] = _text(m[2])
            out.tooltips[m[1]] = m[3]
            out.kinds[m[1]] = KIND[m[4]]
            out.order.append(m[1])
            if stack:
                out.clusters[stack[-1]].nodes.add(m[1])
        else:
            assert re.match(r"^\s*(graph|node|edge|legend) \[", line), line
    assert not stack, "unbalanced braces"
    return out


def dot_of(root: object, **kwargs: object) -> Dot:
    kwargs.setdefault("legend", False)
    return parse(to_dot(root, **kwargs))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- known graphs


def test_affine_graph_nodes_edges_and_labels() -> None:
    x = tg.Tensor([1.0, 2.0, 3.0])
    w = tg.Tensor([0.5, -1.0, 2.0], requires_grad=True)
    b = tg.Tensor([0.1, 0.2, 0.3], requires_grad=True)
    z = x * w + b
    g = dot_of(z, params={"w": w, "b": b, "x": x})
    # x needs no gradient: no node of the backward graph, so not drawn (as torchviz)
    assert len(g.order) == 5 and len(g.edges) == 4 and not g.find("x")
    assert [g.kinds[n] for n in g.order] == ["param", "op", "param", "op", "output"]
    assert g.labels[g.find("w")[0]] == "w | (3,) float32"
    assert g.labels[g.find("Mul")[0]] == "Mul | (3,)"
    (out,) = g.ids("output")
    assert g.labels[out] == "output | (3,) float32"
    mul, add = g.find("Mul")[0], g.find("Add")[0]
    assert g.edges == [(g.find("w")[0], mul), (mul, add), (g.find("b")[0], add), (add, out)]
    assert "dz/da = b" in g.tooltips[mul]  # the op's formula, from its docstring
    assert "grad_fn: MulBackward0" in g.tooltips[mul]
    assert "input 1: no gradient (data or constant, not drawn)" in g.tooltips[mul]
    assert "no gradient" not in g.tooltips[add]


def test_reused_tensor_is_drawn_once_with_one_edge_per_use() -> None:
    a = tg.Tensor([1.0, 2.0], requires_grad=True)
    b = a + a
    c = b * b
    g = dot_of(c, params={"a": a})
    assert len(g.order) == 4  # a, Add, Mul, output
    assert len(g.find("a")) == 1
    add, mul = g.find("Add")[0], g.find("Mul")[0]
    assert g.edges.count((g.find("a")[0], add)) == 2
    assert g.edges.count((add, mul)) == 2
    assert len(g.edges) == 5


def test_diamond_graph_in_topological_order() -> None:
    a = tg.Tensor([0.5, 1.5], requires_grad=True)
    d = a.exp() * (-a)
    g = dot_of(d, params={"a": a})
    assert len(g.order) == 5 and len(g.edges) == 5
    (node_a,) = g.find("a")
    exp, neg, mul = g.find("Exp")[0], g.find("Neg")[0], g.find("Mul")[0]
    assert {(node_a, exp), (node_a, neg), (exp, mul), (neg, mul)} <= set(g.edges)
    position = {n: i for i, n in enumerate(g.order)}
    for src, dst in g.edges:  # every input declared before the op that uses it
        if g.kinds[dst] == "op":
            assert position[src] < position[dst]


def test_constants_and_targets_are_not_drawn_and_unnamed_leaves_are_leaf() -> None:
    w = tg.Tensor([[1.0, -1.0], [0.5, 2.0]], requires_grad=True)
    logits = tg.Tensor([[0.0, 1.0], [2.0, 0.0]]) @ w * 2
    loss = F.cross_entropy(logits, tg.tensor([1, 0]))
    g = dot_of(loss)
    assert [g.labels[n] for n in g.order] == [
        "leaf | (2, 2) float32", "MatMul | (2, 2)", "Mul | (2, 2)", "CrossEntropy | scalar",
        "output | scalar float32"]
    assert g.edges == list(zip(g.order[:-1], g.order[1:], strict=True))  # a chain, nothing else
    assert "input 1: no gradient" in g.tooltips[g.find("MatMul")[0]]
    assert "input 2: no gradient" in g.tooltips[g.find("Mul")[0]]  # the 2 of * 2
    assert "input 2: no gradient" in g.tooltips[g.find("CrossEntropy")[0]]  # the target
    assert "input 1: no gradient" not in g.tooltips[g.find("CrossEntropy")[0]]


def test_multiple_roots_leaf_root_and_named_intermediate() -> None:
    a = tg.Tensor([1.0, 2.0], requires_grad=True)
    b = a * a
    s = b.sum()
    g = dot_of([b, s, b], params={"a": a, "b": b})
    assert len(g.ids("output")) == 2  # b given twice: one output node
    assert {g.labels[n].split(" | ")[0] for n in g.ids("output")} == {"b", "output 1"}
    assert g.find("Mul") and not g.find("b = Mul")  # a root's name is on its output node
    assert dot_of(s, params={"b": b}).find("b = Mul")  # a named intermediate
    leaf = dot_of(a)  # a leaf already in a graph: drawn as its AccumulateGrad node
    assert len(leaf.order) == 1 and not leaf.edges and leaf.kinds[leaf.order[0]] == "output"
    assert leaf.labels[leaf.order[0]] == "output | (2,) float32"
    for alone in (tg.Tensor([1.0, 2.0], requires_grad=True), tg.Tensor([[3.0]])):
        one = dot_of(alone, params={"z": alone})  # in no graph, or needing no gradient
        assert not one.edges and [(one.kinds[n], one.labels[n]) for n in one.order] == [
            ("output", f"z | {alone.shape} float32")]
    both = dot_of([s, a], params={"a": a})  # a root leaf inside the other root's graph
    assert len(both.order) == 4 and both.find("a") and not both.find("leaf")
    assert both.kinds[both.find("a")[0]] == "output"
    assert both.edges.count((both.find("a")[0], both.find("Mul")[0])) == 2


def test_to_dot_is_deterministic_and_draw_graph_is_a_digraph() -> None:
    graphviz = pytest.importorskip("graphviz")
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    y = model(tg.randn(4, 3)).sum()
    text = to_dot(y, model=model)
    assert text == to_dot(y, model=model)
    digraph = draw_graph(y, model=model)
    assert isinstance(digraph, graphviz.Digraph)
    assert digraph.source == text


# ---------------------------------------------------------------------------- module frames


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.fc2 = nn.Linear(3, 2)

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        return self.fc2(F.relu(self.fc1(x)))


def test_sequential_mlp_frames_names_and_counts() -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    loss = F.cross_entropy(model(tg.randn(5, 4)), tg.tensor([0, 1, 1, 0, 1]))
    g = dot_of(loss, model=model)
    # 4 parameters; ops: Linear x 2 (one fused node each), ReLU, loss; and the output (the
    # input batch and the target need no gradient: not drawn)
    assert len(g.order) == 4 + 4 + 1
    # weight and bias into each Linear, Linear -> ReLU -> Linear -> loss op -> output
    assert len(g.edges) == 2 + 2 + 1 + 1 + 1 + 1
    by_label = {c.label: name for name, c in g.clusters.items()}
    assert set(by_label) == {"Sequential", "0 (Linear)", "1 (ReLU)", "2 (Linear)"}
    top = by_label["Sequential"]
    assert g.clusters[top].parent is None
    for inner in ("0 (Linear)", "1 (ReLU)", "2 (Linear)"):
        assert g.clusters[by_label[inner]].parent == top
    assert g.cluster_of(g.find("0.weight")[0]) == "0 (Linear)"
    assert g.cluster_of(g.find("2.bias")[0]) == "2 (Linear)"
    assert g.cluster_of(g.find("ReLU")[0]) == "1 (ReLU)"
    assert [g.cluster_of(n) for n in g.find("Linear")] == ["0 (Linear)", "2 (Linear)"]
    assert g.cluster_of(g.find("CrossEntropy")[0]) is None
    assert g.cluster_of(g.ids("output")[0]) is None
    assert "in module: 0 (Linear)" in g.tooltips[g.find("Linear")[0]]
    # layer 2 is stacked below layer 1 by an invisible edge, which is not a real edge
    assert (g.find("ReLU")[0], g.find("2.weight")[0]) in g.hidden


def test_frames_without_model_use_the_outermost_module_names() -> None:
    net = Net()
    y = net(tg.randn(2, 4)).sum()
    g = dot_of(y)
    labels = {c.label for c in g.clusters.values()}
    assert labels == {"Net", "fc1 (Linear)", "fc2 (Linear)"}
    assert g.find("fc1.weight") and g.find("fc2.bias")
    assert g.cluster_of(g.find("ReLU")[0]) == "Net"  # F.relu inside Net.forward


def test_frames_of_a_submodule_called_alone_show_class_or_model_name() -> None:
    net = Net()
    y = net.fc1(tg.randn(2, 4))
    assert {c.label for c in dot_of(y).clusters.values()} == {"Linear"}
    assert g_labels(dot_of(y, model=net)) == {"fc1 (Linear)"}
    assert dot_of(y, model=net).find("fc1.weight")
    assert dot_of(y).find("weight")  # named by the module that ran


def g_labels(g: Dot) -> set[str]:
    return {c.label for c in g.clusters.values()}


def test_module_called_twice_is_one_frame_and_no_scope_means_no_frame() -> None:
    layer = nn.Linear(2, 2)
    x = tg.randn(3, 2)
    y = layer(layer(x))
    g = dot_of(y)
    assert len(g.clusters) == 1
    (frame,) = g.clusters.values()
    assert len([n for n in frame.nodes if g.labels[n].startswith("Linear")]) == 2
    assert len(g.find("weight")) == 1
    plain = dot_of(F.linear(x, layer.weight, layer.bias))
    assert not plain.clusters


# ---------------------------------------------------------------------------- values and grads


def test_values_are_shown_only_when_asked() -> None:
    w = tg.Tensor([0.123456, 2.5], requires_grad=True)
    big = tg.Tensor(np.arange(12, dtype=np.float32).reshape(3, 4), requires_grad=True)
    h = w * w
    y = h.sum() + (big * w.sum()).mean()
    names = {"w": w, "big": big, "h": h}
    assert "0.1235" not in to_dot(y, params=names)
    shown = dot_of(y, params=names, show_values=True)
    assert shown.labels[shown.find("w")[0]] == "w | (2,) float32 | data [0.1235, 2.5]"
    assert shown.labels[shown.find("big")[0]] == (  # 12 elements: every value, row by row
        "big | (3, 4) float32 | data [[0, 1, 2, 3], |       [4, 5, 6, 7], |       [8, 9, 10, 11]]")
    # an op shows values only when its tensor is known (here: named); others cannot
    assert shown.labels[shown.find("h = Mul")[0]] == "h = Mul | (2,) | data [0.01524, 6.25]"
    unknown = shown.find("Sum") + shown.find("Mean")  # made and dropped inside the expression
    assert len(unknown) == 3 and all(shown.labels[n].count(" | ") == 1 for n in unknown)
    (out,) = shown.ids("output")
    assert shown.labels[out].endswith(f"| data {float(y.item()):.4g}")


@pytest.mark.parametrize("retain_graph", [False, True])
def test_grads_are_shown_after_backward_unless_switched_off(retain_graph: bool) -> None:
    w = tg.Tensor([0.5, 2.5], requires_grad=True)
    h = w * w
    h.retain_grad()
    y = h.sum()
    assert "grad [" not in to_dot(y)
    y.backward(retain_graph=retain_graph)
    g = dot_of(y, params={"w": w})
    assert g.labels[g.find("w")[0]] == "w | (2,) float32 | grad [1, 5]"
    assert g.labels[g.find("Mul")[0]] == "Mul | (2,) | grad [1, 1]"  # retain_grad()
    assert "grad [" not in to_dot(y, show_grads=False)


def test_summary_counts_nan_and_inf() -> None:
    a = np.array([1.0, np.nan, np.inf, 3.0, 5.0, 7.0, 9.0] + [0.0] * 10)
    # of the 15 finite values: norm sqrt(165), mean 25 / 15, max |x| 9
    assert G.summarize(a) == "norm 12.85, mean 1.667, max |x| 9  (1 NaN, 1 inf)"
    assert G.summarize(np.array([1.0, np.nan, -2.0])) == "[1, nan, -2]"  # small: every value
    assert G.summarize(np.array(3)) == "3" and G.summarize(np.zeros(0)) == "empty"


def test_drawing_after_backward_draws_the_same_graph_with_the_gradients() -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    loss = F.cross_entropy(model(tg.randn(5, 4)), tg.tensor([0, 1, 1, 0, 1]))
    before = to_dot(loss, model=model)
    assert not any("grad " in label for label in parse(before).labels.values())
    loss.backward()  # frees the saved arrays, keeps the structure
    assert to_dot(loss, model=model, show_grads=False) == before
    g = dot_of(loss, model=model)
    grads = dict(model.named_parameters())
    for name, p in grads.items():
        (node,) = g.find(name)
        assert p.grad is not None
        shown = g.labels[node].split("grad ", 1)[1]  # 12 or 3 numbers: every value
        values = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", shown)]
        np.testing.assert_allclose(values, p.grad.data.numpy().ravel(), rtol=1e-3, atol=1e-6)
    assert all("grad" not in g.labels[n] for n in g.ids("op"))  # no retain_grad(): none kept


def test_intermediates_and_leaves_the_user_dropped() -> None:
    y = tg.Tensor([1.0, 2.0], requires_grad=True) * 2  # its leaf is referenced by nothing
    z = (y.exp() + 1).sum()  # y.exp() and the sum's input are gone too
    del y
    gc.collect()
    g = dot_of(z)
    assert [g.labels[n] for n in g.order] == [
        "leaf | tensor freed", "Mul | (2,)", "Exp | (2,)", "Add | (2,)", "Sum | scalar",
        "output | scalar float32"]
    assert "garbage-collected" in g.tooltips[g.order[0]]


# ---------------------------------------------------------------------------- size and depth


def chain(n: int) -> tg.Tensor:
    y = tg.Tensor([1.0, 2.0], requires_grad=True)
    for _ in range(n):
        y = -y
    return y


def test_max_nodes_boundary_and_message() -> None:
    y = chain(20)  # 1 leaf + 20 ops + 1 output = 22 nodes
    assert len(dot_of(y, max_nodes=22).order) == 22
    with pytest.raises(GraphTooLargeError, match="max_nodes=21") as err:
        to_dot(y, max_nodes=21)
    assert "max_nodes=None" in str(err.value)
    with pytest.raises(ValueError, match="max_nodes"):
        to_dot(y, max_nodes=0)


def test_100k_chain_without_recursion_and_quickly() -> None:
    y = chain(100_000)
    start = time.perf_counter()
    with pytest.raises(GraphTooLargeError):  # the default limit stops the walk early
        to_dot(y)
    assert time.perf_counter() - start < 1.0
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(250)  # any recursion per node would fail at once
    try:
        start = time.perf_counter()
        text = to_dot(y, max_nodes=None, legend=False)
        seconds = time.perf_counter() - start
    finally:
        sys.setrecursionlimit(limit)
    assert text.count("[label=<<B>Neg</B>") == 100_000 and text.count("\n\tt0 [") == 1
    assert text.count(" -> ") == 100_001
    assert seconds < 20, seconds


def test_argument_checks() -> None:
    y = chain(1)
    with pytest.raises(ValueError, match="rankdir"):
        to_dot(y, rankdir="XY")
    with pytest.raises(ValueError, match="give a tensor"):
        to_dot([])
    with pytest.raises(TypeError, match="Tensors"):
        to_dot([y, 3])  # type: ignore[list-item]
    assert 'rankdir="LR"' in to_dot(y, rankdir="LR")


# ---------------------------------------------------------------------------- escaping, rendering

ODD = 'we"ird <name> & \\ {x}'


def test_labels_and_tooltips_are_escaped() -> None:
    w = tg.Tensor([1.0], requires_grad=True)
    text = to_dot(w * 3, params={ODD: w})
    assert "<B>we&quot;ird &lt;name&gt; &amp; \\ {x}</B>" in text  # HTML-like label
    assert 'tooltip="we\\"ird <name> & \\\\ {x}: leaf' in text
    g = parse(text)
    assert g.find(ODD)


@needs_dot
def test_render_svg_parses_as_xml_with_every_node(tmp_path: Path) -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    w = model[0].weight
    loss = F.cross_entropy(model(tg.randn(5, 4)), tg.tensor([0, 1, 1, 0, 1]))
    graph = draw_graph(loss, params={ODD: w}, model=model)
    out = render(graph, tmp_path / "step.svg")
    assert out == tmp_path / "step.svg" and not (tmp_path / "step.dot").exists()  # no stray .dot
    kept = render(graph, tmp_path / "kept.svg", cleanup=False)
    assert kept.read_bytes() and (tmp_path / "kept.dot").read_text() == graph.source
    root = ET.parse(out).getroot()
    ns = {"svg": "http://www.w3.org/2000/svg"}
    nodes = root.findall(".//svg:g[@class='node']", ns)
    clusters = root.findall(".//svg:g[@class='cluster']", ns)
    assert len(nodes) == 9 + 1  # 9 nodes and the legend
    assert len(clusters) == 4
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Linear" in texts and "CrossEntropy" in texts and ODD in texts
    assert "0" in texts and "(Linear)" in " ".join(texts)


@needs_dot
def test_render_png_and_pdf_from_dot_text(tmp_path: Path) -> None:
    text = to_dot(chain(2))
    png = render(text, tmp_path / "g", format="png")
    assert png == tmp_path / "g.png" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = render(text, tmp_path / "sub" / "g.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert render(text, tmp_path / "plain").suffix == ".svg"


def test_render_rejects_bad_formats_and_inputs(tmp_path: Path) -> None:
    text = to_dot(chain(1))
    with pytest.raises(ValueError, match="format"):
        render(text, tmp_path / "g.gif", format="gif")
    with pytest.raises(ValueError, match="agree"):
        render(text, tmp_path / "g.png", format="svg")
    with pytest.raises(TypeError, match="DOT text"):
        render(42, tmp_path / "g.svg")


@pytest.mark.parametrize("how", ["which", "PATH"])
def test_missing_dot_writes_the_dot_file_and_names_the_packages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    if how == "which":
        monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    else:
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    text = to_dot(chain(2))
    with pytest.raises(GraphvizNotFoundError) as err:
        render(text, tmp_path / "g.png")
    message = str(err.value)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert str(tmp_path / "g.dot") in message
    assert (tmp_path / "g.dot").read_text() == text
    assert not (tmp_path / "g.png").exists()
    assert isinstance(err.value, RuntimeError)
