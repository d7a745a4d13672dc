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
    ops = [n for n, (op, _, _) in nodes.items() if op not in _NOT_OPS]
    assert len(ops) == expected
    for name, (_, inputs, _) in nodes.items():
        assert all(i in nodes for i in inputs), name


def _scope(name: str) -> str:
    """PyTorch's ``Sequential/Linear[4]/x`` -> our ``Sequential/4(Linear)`` (the op's scope)."""
    head = name.rsplit("/", 1)[0]
    return re.sub(r"(\w+)\[(\w+)\]", r"\2(\1)", head)


_NOT_OPS = ("IO Node", "Parameter", "Constant", "Buffer")  # ours; PyTorch's are prim::*


def _ops(rows: dict[str, Any]) -> list[tuple[str, list[int] | None, list[str]]]:
    """(scope, output shape, scopes of the op inputs, 'input' for an input) of each op."""
    def is_op(name: str) -> bool:
        return rows[name][0] not in _NOT_OPS and not rows[name][0].startswith("prim::")

    found = []
    for name, (_, inputs, shape) in rows.items():
        if is_op(name):
            sources = [_scope(i) if not i.startswith("input/") else "input" for i in inputs
                       if i in rows and (is_op(i) or i.startswith("input/"))]
            found.append((_scope(name), shape, sources))
    return sorted(found)


def _io(rows: dict[str, Any]) -> dict[str, list[int] | None]:
    return {n: v[2] for n, v in rows.items() if v[0] == "IO Node"}


def assert_graph_like_torch(tmp_path: Path, layers: Any, x: np.ndarray,
                            frozen: Any = lambda model: []) -> dict[str, Any]:
    """Our graph of ``Sequential(*layers(nn))`` on ``x`` has PyTorch's ops (by module scope),
    output shapes, op-to-op edges and IO nodes; ``frozen(model)`` lists parameters to freeze
    on both sides. Returns our rows."""
    torch = need("torch", "pip install tinygrad_edu[torch]")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    model, theirs_model = nn.Sequential(*layers(nn)), torch.nn.Sequential(*layers(torch.nn))
    for p in [*frozen(model), *frozen(theirs_model)]:
        p.requires_grad_(False)
    ours = table(logged_graph(tmp_path / "ours", model, tg.tensor(x)))
    with TorchWriter(str(tmp_path / "torch")) as w:
        w.add_graph(theirs_model, torch.tensor(x))
    theirs = table(read(tmp_path / "torch").Graph())
    assert _ops(ours) == _ops(theirs)
    assert _io(ours) == _io(theirs)  # input/input.1 and output/output.1, same shapes
    return ours


def _cnn(lib: Any) -> list[Any]:
    return [lib.Conv2d(1, 2, 3), lib.ReLU(), lib.MaxPool2d(2), lib.Flatten(), lib.Linear(8, 3),
            lib.LogSoftmax(dim=1)]


_IMAGES = np.random.default_rng(0).normal(size=(2, 1, 6, 6)).astype(np.float32)


@pytest.mark.filterwarnings("ignore:`torch.jit.trace:DeprecationWarning")  # PyTorch's own tracer
def test_graph_matches_pytorchs_trace(tmp_path):
    assert_graph_like_torch(tmp_path, _cnn, _IMAGES)


@pytest.mark.filterwarnings("ignore:`torch.jit.trace:DeprecationWarning")
@pytest.mark.parametrize("frozen", [
    lambda m: list(m.parameters()),  # transfer learning with every layer frozen
    lambda m: list(m[0].parameters()),  # the feature extractor frozen, the head trained
    lambda m: [m[4].bias],
], ids=["all", "first_layer", "one_bias"])
def test_frozen_parameters_are_in_the_graph_like_torch(tmp_path, frozen):
    model_rows = assert_graph_like_torch(tmp_path, _cnn, _IMAGES, frozen)
    params = {n for n, v in model_rows.items() if v[0] == "Parameter"}
    assert params == {"Sequential/0(Conv2d)/weight", "Sequential/0(Conv2d)/bias",
                      "Sequential/4(Linear)/weight", "Sequential/4(Linear)/bias"}


@pytest.mark.filterwarnings("ignore:`torch.jit.trace:DeprecationWarning")
@pytest.mark.parametrize("freeze", [False, True])
def test_embedding_of_integer_input_like_torch(tmp_path, freeze):
    def layers(lib: Any) -> list[Any]:
        return [lib.Embedding(10, 4), lib.Linear(4, 2)]

    indices = np.array([[1, 2, 3]])
    rows = assert_graph_like_torch(tmp_path, layers, indices,
                                   (lambda m: list(m.parameters())) if freeze else
                                   (lambda m: []))
    assert rows["input/input.1"] == ("IO Node", [], [1, 3])
    assert rows["Sequential/0(Embedding)/Embedding"][1] == ["Sequential/0(Embedding)/weight",
                                                            "input/input.1"]
    assert rows["output/output.1"][2] == [1, 3, 2]


def test_requires_grad_flags_are_restored(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model[0].weight.requires_grad_(False)
    model[2].bias.requires_grad_(False)
    flags = [p.requires_grad for p in model.parameters()]
    logged_graph(tmp_path, model, tg.randn(2, 3))
    assert [p.requires_grad for p in model.parameters()] == flags
    assert all(p.grad_fn is None and p.grad is None for p in model.parameters())
    y = model(tg.randn(2, 3))  # a frozen leaf is a constant again: no gradient goes there
    y.sum().backward()
    assert model[0].weight.grad is None and model[2].bias.grad is None
    assert model[0].bias.grad is not None


def test_requires_grad_flags_are_restored_when_the_model_fails(tmp_path):
    class Fails(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = nn.Linear(2, 2)
            self.layer.requires_grad_(False)

        def forward(self, x: tg.Tensor) -> tg.Tensor:
            assert self.layer.weight.requires_grad  # switched on for the run
            raise KeyError("boom")

    model = Fails()
    with SummaryWriter(tmp_path) as w, pytest.raises(KeyError, match="boom"):
        w.add_graph(model, tg.randn(1, 2))
    assert not any(p.requires_grad for p in model.parameters())
    assert model.training


def test_ops_on_integer_inputs_and_constants_are_drawn(tmp_path):
    class Masked(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(5, 3)

        def forward(self, i: tg.Tensor, mask: tg.Tensor) -> tg.Tensor:
            return self.emb(i) * mask.float().unsqueeze(-1) * 2

    rows = table(logged_graph(tmp_path, Masked(), tg.tensor([[1, 4]]), tg.tensor([[1, 0]])))
    assert rows["input/input.2"] == ("IO Node", [], [1, 2])
    assert rows["Masked/Cast"] == ("Cast", ["input/input.2"], [1, 2])  # the int mask's op
    assert rows["Masked/emb(Embedding)/Embedding"][1] == ["Masked/emb(Embedding)/weight",
                                                          "input/input.1"]
    (constant,) = [n for n, v in rows.items() if v[0] == "Constant"]
    assert rows[constant][2] == [] and constant in rows["Masked/Mul_1"][1]
    graph = read(tmp_path).Graph()
    attr = {n.name: n.attr["attr"].s.decode() for n in graph.node}
    assert attr[constant] == "{ value : 2.0, dtype : float32 }"


def test_a_buffer_used_as_a_tensor_is_a_buffer_node(tmp_path):
    class Centre(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("mean", tg.tensor([1.0, 2.0, 3.0]))

        def forward(self, x: tg.Tensor) -> tg.Tensor:
            return x - self.mean

    rows = table(logged_graph(tmp_path, Centre(), tg.randn(2, 3)))
    assert rows["Centre/mean"] == ("Buffer", [], [3])
    assert rows["Centre/Sub"][1] == ["input/input.1", "Centre/mean"]


def test_a_model_that_refuses_the_marked_integers_runs_again_plainly(tmp_path):
    calls = []

    def picky(x: tg.Tensor, i: tg.Tensor) -> tg.Tensor:
        j = i + 0
        calls.append(j.requires_grad)
        if j.requires_grad:
            raise RuntimeError("integers cannot require grad")
        return x * j.float()

    rows = table(logged_graph(tmp_path, picky, tg.randn(2), tg.tensor([1, 2])))
    assert calls == [True, False]
    assert rows["picky/Mul"][1] == ["input/input.1", "picky/Constant"]
    assert "input/input.2" not in rows  # a plain constant the second time


def test_a_graph_with_no_recorded_op_is_an_error(tmp_path):
    def constant(x: tg.Tensor) -> tg.Tensor:
        with tg.no_grad():
            return x * 2

    with SummaryWriter(tmp_path) as w, pytest.raises(RuntimeError, match="no op of the model"):
        w.add_graph(constant, tg.randn(3))


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
