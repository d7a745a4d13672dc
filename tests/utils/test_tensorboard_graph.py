"""add_graph: the GraphDef read back from the event file (TensorBoard's EventAccumulator)
has a node per recorded op and parameter, named by module scope, with the edges and output
shapes of our graph -- and the same ops, modules, edges and shapes as PyTorch's trace."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.utils._tensorboard import need, read

need("tensorboard", "pip install tinygrad_edu[tensorboard]")

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import nn  # noqa: E402
from tinygrad_edu.autograd import AccumulateGrad  # noqa: E402
from tinygrad_edu.utils.tensorboard import SummaryWriter  # noqa: E402


def logged_graph(tmp_path: Path, model: Any, *inputs: Any, **kwargs: Any) -> Any:
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, inputs[0] if len(inputs) == 1 else inputs, **kwargs)
    return read(tmp_path).Graph()


def table(graph_def: Any) -> dict[str, tuple[str, list[str], list[int] | None]]:
    """name -> (op, inputs, output shape)."""
    rows = {}
    for n in graph_def.node:
        shapes = n.attr["_output_shapes"].list.shape if "_output_shapes" in n.attr else []
        rows[n.name] = (n.op, list(n.input), [d.size for d in shapes[0].dim] if shapes else None)
    return rows


def test_mlp_graph_names_ops_edges_and_shapes(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    nodes = table(logged_graph(tmp_path, model, tg.randn(5, 4)))
    assert nodes == {
        "input/input.1": ("IO Node", [], [5, 4]),
        "Sequential/0(Linear)/weight": ("Parameter", [], [3, 4]),
        "Sequential/0(Linear)/bias": ("Parameter", [], [3]),
        "Sequential/0(Linear)/Linear": ("Linear", ["input/input.1", "Sequential/0(Linear)/weight",
                                                   "Sequential/0(Linear)/bias"], [5, 3]),
        "Sequential/1(ReLU)/ReLU": ("ReLU", ["Sequential/0(Linear)/Linear"], [5, 3]),
        "Sequential/2(Linear)/weight": ("Parameter", [], [2, 3]),
        "Sequential/2(Linear)/bias": ("Parameter", [], [2]),
        "Sequential/2(Linear)/Linear": ("Linear", ["Sequential/1(ReLU)/ReLU",
                                                   "Sequential/2(Linear)/weight",
                                                   "Sequential/2(Linear)/bias"], [5, 2]),
        "output/output.1": ("IO Node", ["Sequential/2(Linear)/Linear"], [5, 2]),
    }
    acc = read(tmp_path)
    assert acc.RunMetadata("step1").step_stats.dev_stats[0].device == "/device:CPU:0"


def test_attr_gives_grad_fn_settings_and_derivative(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), nn.LogSoftmax(dim=1))
    graph = logged_graph(tmp_path, model, tg.randn(4, 3))
    attrs = {n.name: n.attr["attr"].s.decode() for n in graph.node}
    text = attrs["Sequential/1(LogSoftmax)/LogSoftmax"]
    assert text.startswith("{ grad_fn : LogSoftmaxBackward0, dim : 1, derivative : ")
    assert "softmax" in text
    assert attrs["Sequential/0(Linear)/weight"] == "{ name : weight, dtype : float32 }"


def _walk_functions(root: Any) -> int:
    seen: dict[int, Any] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen[id(node)] = node
        stack.extend(node.next_nodes)
    return sum(not isinstance(n, AccumulateGrad) for n in seen.values())


class Residual(nn.Module):
    """Nested modules, a module called twice, functional ops and two inputs and outputs."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 4), nn.Tanh())
        self.shared = nn.Linear(4, 4)

    def forward(self, x: tg.Tensor, y: tg.Tensor) -> tuple[tg.Tensor, tg.Tensor]:
        h = self.shared(self.shared(self.body(x)))
        return h + y * 2, (h * h).sum()


def test_nested_shared_and_functional_ops(tmp_path):
    model = Residual()
    x, y = tg.randn(3, 4), tg.randn(3, 4)
    nodes = table(logged_graph(tmp_path, model, x, y))
    names = set(nodes)
    assert {"input/input.1", "input/input.2", "output/output.1", "output/output.2",
            "Residual/body(Sequential)/0(Linear)/Linear", "Residual/body(Sequential)/1(Tanh)/Tanh",
            "Residual/shared(Linear)/Linear", "Residual/shared(Linear)/Linear_1",
            "Residual/shared(Linear)/weight", "Residual/body(Sequential)/0(Linear)/weight"
            } <= names
    # the second call of the shared layer takes the first's output and the same weight
    assert nodes["Residual/shared(Linear)/Linear_1"][1] == [
        "Residual/shared(Linear)/Linear", "Residual/shared(Linear)/weight",
        "Residual/shared(Linear)/bias"]
    top_level = [n for n in names if re.fullmatch(r"Residual/[A-Z]\w*", n)]
    assert top_level, names  # ops of forward itself (add, mul, sum) sit in the model's scope
    assert nodes["output/output.2"][2] == []
    # one op node per Function node of the recorded graph
    with tg.enable_grad():
        a, b = model(x.detach().requires_grad_(), y.detach().requires_grad_())
    expected = _walk_functions(a.grad_fn) + _walk_functions(b.grad_fn) - _walk_functions(
        model.shared(model.shared(model.body(x))).grad_fn)  # h is shared by both outputs
    ops = [n for n, (op, _, _) in nodes.items() if op not in ("IO Node", "Parameter")]
    assert len(ops) == expected
    for name, (_, inputs, _) in nodes.items():
        assert all(i in nodes for i in inputs), name


@pytest.mark.filterwarnings("ignore:`torch.jit.trace:DeprecationWarning")  # PyTorch's own tracer
def test_graph_matches_pytorchs_trace(tmp_path):
    torch = need("torch", "pip install tinygrad_edu[torch]")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    def layers(lib: Any) -> list[Any]:
        return [lib.Conv2d(1, 2, 3), lib.ReLU(), lib.MaxPool2d(2), lib.Flatten(),
                lib.Linear(8, 3), lib.LogSoftmax(dim=1)]

    x = np.random.default_rng(0).normal(size=(2, 1, 6, 6)).astype(np.float32)
    ours = table(logged_graph(tmp_path / "ours", nn.Sequential(*layers(nn)), tg.tensor(x)))
    with TorchWriter(str(tmp_path / "torch")) as w:
        w.add_graph(torch.nn.Sequential(*layers(torch.nn)), torch.tensor(x))
    theirs = table(read(tmp_path / "torch").Graph())

    def scope(name: str) -> str:  # PyTorch's Sequential/Linear[4]/x -> our Sequential/4(Linear)
        head = name.rsplit("/", 1)[0]
        return re.sub(r"(\w+)\[(\w+)\]", r"\2(\1)", head)

    def ops(rows: dict[str, Any], skip: tuple[str, ...]) -> list[tuple[str, list[int], list[str]]]:
        found = []
        for name, (op, inputs, shape) in rows.items():
            if op in skip or op.startswith("prim::"):
                continue
            sources = [scope(i) if not i.startswith("input/") else "input" for i in inputs
                       if i in rows and not rows[i][0].startswith("prim::")
                       and rows[i][0] != "Parameter"]
            found.append((scope(name), shape, sources))
        return sorted(found)

    assert ops(ours, ("IO Node", "Parameter")) == ops(theirs, ("IO Node",))
    in_ours = {n: v[2] for n, v in ours.items() if v[0] == "IO Node"}
    in_theirs = {n: v[2] for n, v in theirs.items() if v[0] == "IO Node"}
    assert in_ours == in_theirs  # input/input.1 and output/output.1, same shapes


def test_eval_mode_during_the_run_and_no_side_effects(tmp_path):
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Linear(4, 1))
    before = [p.detach().numpy().copy() for p in model.parameters()]
    seen: list[bool] = []
    model[1].register_forward_hook(lambda m, args, out: seen.append(m.training))
    x = tg.randn(2, 4)
    nodes = table(logged_graph(tmp_path, model, x))
    assert seen == [False] and model.training and model[1].training
    assert not any("Dropout" in n for n in nodes)  # identity in eval: no op recorded
    assert all(p.grad is None for p in model.parameters())
    assert all(np.array_equal(b, p.detach().numpy()) for b, p in zip(before, model.parameters(),
                                                                      strict=True))
    assert not x.requires_grad  # the input given is not changed (a copy is watched)


def test_integer_inputs_are_not_graph_nodes(tmp_path):
    model = nn.Sequential(nn.Embedding(10, 3), nn.Linear(3, 2))
    nodes = table(logged_graph(tmp_path, model, tg.tensor([[1, 2], [3, 4]])))
    assert not any(n.startswith("input/") for n in nodes)
    assert nodes["Sequential/0(Embedding)/weight"][0] == "Parameter"
    assert nodes["output/output.1"][2] == [2, 2, 2]


def test_a_plain_function_and_numpy_input(tmp_path):
    def double_sum(x: tg.Tensor) -> tg.Tensor:
        return (x * 2).sum()

    nodes = table(logged_graph(tmp_path, double_sum, np.ones((2, 3), np.float32)))
    assert "input/input.1" in nodes and "output/output.1" in nodes
    assert all(n.startswith(("input/", "output/", "double_sum/")) for n in nodes)


def test_verbose_prints_the_nodes(tmp_path, capsys):
    logged_graph(tmp_path, nn.Linear(2, 1), tg.randn(3, 2), verbose=True)
    out = capsys.readouterr().out
    assert "Linear/Linear = Linear(input/input.1, Linear/weight, Linear/bias)  shape [3, 1]" \
        in out


def test_model_output_must_hold_a_tensor(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(TypeError, match="not a Tensor"):
            w.add_graph(lambda x: 3, tg.randn(2))
        with pytest.raises(TypeError, match="must be a Module"):
            w.add_graph("model", tg.randn(2))
