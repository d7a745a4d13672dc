"""``add_graph``: run the model once and write the graph autograd recorded as a ``GraphDef``,
the format of TensorBoard's graph tab.

PyTorch traces the model with TorchScript; we have no tracer, but every op the model runs with
an input that requires grad is a node of the backward graph: its ``grad_fn`` (a ``Function``),
linked to its inputs' nodes by ``next_nodes``, and parameters are ``AccumulateGrad`` leaves.
So ``add_graph`` runs the model on copies of the inputs that require grad (so the inputs are in
the graph too), walks back from the outputs, and names each node by the modules it ran in
(``node.module_scope``): ``Sequential/0(Linear)/Linear`` is the op of layer ``0``,
``Sequential/0(Linear)/weight`` its weight, ``input/input.1`` the first input and
``output/output.1`` the first output. TensorBoard draws each module as a box you can open.

Each node carries its output shape (``_output_shapes``, shown on the edges) and an ``attr``
string with the ``grad_fn`` name, the op's settings (stride, dim, ...) and the local
derivative from its docstring.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from tensorboard.compat.proto.attr_value_pb2 import AttrValue
from tensorboard.compat.proto.config_pb2 import RunMetadata
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboard.compat.proto.node_def_pb2 import NodeDef
from tensorboard.compat.proto.step_stats_pb2 import DeviceStepStats, StepStats
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.versions_pb2 import VersionDef

from ...autograd import AccumulateGrad, Node, enable_grad
from ...tensor import Tensor

INPUT_OP = "IO Node"  # what PyTorch's graphs call inputs and outputs
PARAMETER_OP = "Parameter"
_MAX_SETTING_CHARS = 60


def _shape_attr(shape: Sequence[int] | None) -> dict[str, AttrValue]:
    if shape is None:
        return {}
    proto = TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(d)) for d in shape])
    return {"_output_shapes": AttrValue(list=AttrValue.ListValue(shape=[proto]))}


def _node_def(name: str, op: str, inputs: Sequence[str], shape: Sequence[int] | None,
              attr_text: str) -> NodeDef:
    attrs = _shape_attr(shape)
    attrs["attr"] = AttrValue(s=attr_text.encode("utf-8"))
    return NodeDef(name=name, op=op, input=list(inputs), attr=attrs)


def _setting_text(value: Any) -> str:
    text = repr(value) if not isinstance(value, np.ndarray) else f"array{value.shape}"
    return text if len(text) <= _MAX_SETTING_CHARS else text[: _MAX_SETTING_CHARS - 3] + "..."


def _attr_text(pairs: Mapping[str, Any]) -> str:
    """``{ grad_fn : LinearBackward0, dim : 1 }``: the style of PyTorch's ``attr``."""
    return "{ " + ", ".join(f"{k} : {v}" for k, v in pairs.items()) + " }" if pairs else "{}"


def _first_doc_line(cls: type) -> str:
    doc = (cls.__doc__ or "").strip()
    return doc.splitlines()[0].strip().replace("``", "") if doc else ""


def _walk(starts: Sequence[Node]) -> list[Node]:
    """Every node leading to ``starts``, each once, inputs before the ops that use them (an
    explicit stack: deep graphs do not hit the recursion limit)."""
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
        stack.append((node, True))
        stack.extend((n, False) for n in reversed(node.next_nodes)
                     if n is not None and id(n) not in seen)
    return order


def _flatten(value: Any) -> list[Any]:
    """The tensors in a model's output (a tensor, or tuples, lists and dicts of them)."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, Mapping):
        return [t for v in value.values() for t in _flatten(v)]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _flatten(v)]
    return []


class _Names:
    """Unique node names: a repeated name gets ``_1``, ``_2``, ... (a module called twice)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, name: str) -> str:
        unique, k = name, 0
        while unique in self.used:
            k += 1
            unique = f"{name}_{k}"
        self.used.add(unique)
        return unique


def _module_paths(model: Any) -> tuple[dict[int, str], dict[int, str]]:
    """id(module) -> its scope path (``Sequential/0(Linear)``), id(parameter) -> its node name
    (``Sequential/0(Linear)/weight``), from ``named_modules`` and ``named_parameters``."""
    modules: dict[int, str] = {}
    params: dict[int, str] = {}
    if not hasattr(model, "named_modules"):
        return modules, params
    top = type(model).__name__
    by_name = dict(model.named_modules())
    for dotted, module in by_name.items():
        parts = [top]
        if dotted:
            pieces = dotted.split(".")
            for i in range(len(pieces)):
                sub = by_name[".".join(pieces[: i + 1])]
                parts.append(f"{pieces[i]}({type(sub).__name__})")
        modules.setdefault(id(module), "/".join(parts))
    for dotted, p in model.named_parameters():
        owner, _, leaf = dotted.rpartition(".")
        params.setdefault(id(p), f"{modules[id(by_name[owner])]}/{leaf}")
    return modules, params


@contextlib.contextmanager
def _eval_mode(model: Any) -> Iterator[None]:
    """As PyTorch's ``add_graph``: trace in eval mode (dropout off), restore the mode after."""
    training = getattr(model, "training", None)
    if training is not None and hasattr(model, "train"):
        model.train(False)
    try:
        yield
    finally:
        if training is not None and hasattr(model, "train"):
            model.train(training)


def _as_inputs(input_to_model: Any) -> tuple[list[Any], list[Tensor]]:
    """The model's arguments, floating ones as copies that require grad (so they are nodes of
    the graph), and those copies in order."""
    if input_to_model is None:
        args: list[Any] = []
    elif isinstance(input_to_model, (tuple, list)):
        args = list(input_to_model)
    else:
        args = [input_to_model]
    watched: list[Tensor] = []
    for i, arg in enumerate(args):
        if isinstance(arg, np.ndarray):
            arg = Tensor(arg)
        if isinstance(arg, Tensor) and np.dtype(arg.dtype).kind == "f":
            arg = arg.detach().requires_grad_(True)
            watched.append(arg)
        args[i] = arg
    return args, watched


def graph(model: Any, input_to_model: Any = None, verbose: bool = False
          ) -> tuple[GraphDef, RunMetadata]:
    """Run ``model(*inputs)`` once and return its recorded graph as a ``GraphDef`` (and the
    empty CPU step stats TensorBoard expects beside it, as PyTorch writes)."""
    if not callable(model):
        raise TypeError(f"add_graph: model must be a Module (or a callable), got "
                        f"{type(model).__name__}")
    args, inputs = _as_inputs(input_to_model)
    with _eval_mode(model), enable_grad():
        output = model(*args)
    outputs = _flatten(output)
    if not outputs:
        raise TypeError(f"add_graph: the model returned {type(output).__name__}, not a Tensor "
                        "(or a tuple, list or dict of Tensors)")
    module_paths, param_names = _module_paths(model)
    top = type(model).__name__ if hasattr(model, "named_modules") else getattr(
        model, "__name__", type(model).__name__)
    input_names = {id(t): f"input/input.{i + 1}" for i, t in enumerate(inputs)}

    order = _walk([t._node for t in outputs if t._node is not None])
    names = _Names()
    name_of: dict[int, str] = {}
    nodes: list[NodeDef] = []
    for node in order:
        if isinstance(node, AccumulateGrad):
            leaf = node.variable
            key = id(leaf)
            if key in input_names:
                name, op, label = input_names[key], INPUT_OP, {}
            else:
                name, op = param_names.get(key, f"{top}/leaf"), PARAMETER_OP
                label = {"name": name.rsplit("/", 1)[-1]}
            if leaf is not None:
                label["dtype"] = str(leaf.dtype)
            name = names.take(name)
            nodes.append(_node_def(name, op, [], node.out_shape, _attr_text(label)))
        else:
            scope = getattr(node, "module_scope", ())
            prefix = module_paths.get(id(scope[-1]), "/".join(
                type(m).__name__ for m in scope)) if scope else top
            op = type(node).__name__
            name = names.take(f"{prefix}/{op}")
            settings = {"grad_fn": node.name()}
            settings.update({k: _setting_text(v) for k, v in getattr(node, "__dict__", {}).items()
                             if not k.startswith("_")})
            derivative = _first_doc_line(type(node))
            if derivative:
                settings["derivative"] = derivative
            inputs_of = [name_of[id(n)] for n in node.next_nodes if n is not None]
            nodes.append(_node_def(name, op, inputs_of, getattr(node, "out_shape", None),
                                   _attr_text(settings)))
        name_of[id(node)] = name
    for i, t in enumerate(outputs):
        source = [] if t._node is None else [name_of[id(t._node)]]
        nodes.append(_node_def(names.take(f"output/output.{i + 1}"), INPUT_OP, source,
                               t.shape, _attr_text({"dtype": str(t.dtype)})))
    if verbose:
        for n in nodes:
            shape = n.attr["_output_shapes"].list.shape if "_output_shapes" in n.attr else []
            dims = [d.size for d in shape[0].dim] if shape else "?"
            print(f"{n.name} = {n.op}({', '.join(n.input)})  shape {dims}")
    stats = RunMetadata(step_stats=StepStats(dev_stats=[DeviceStepStats(device="/device:CPU:0")]))
    return GraphDef(node=nodes, versions=VersionDef(producer=22)), stats
