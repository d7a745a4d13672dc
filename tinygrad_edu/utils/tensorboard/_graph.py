"""``add_graph``: run the model once and write the graph autograd recorded as a ``GraphDef``,
the format of TensorBoard's graph tab.

PyTorch traces the model with TorchScript; we have no tracer, but every op the model runs with
an input that requires grad is a node of the backward graph: its ``grad_fn`` (a ``Function``),
linked to its inputs' nodes by ``next_nodes``, and parameters are ``AccumulateGrad`` leaves.
So ``add_graph`` runs the model once under ``autograd.watch()`` (each node keeps the values of
its inputs) with every parameter made to require grad for the run (frozen layers are in the
graph too; the flags are put back afterwards), on copies of the inputs that are watched
(floating ones require grad; integer and bool ones, such as ``Embedding`` indices, are marked
so the ops on them are recorded as well). It then walks back from the outputs and names each
node by the modules it ran in (``node.module_scope``): ``Sequential/0(Linear)/Linear`` is the
op of layer ``0``, ``Sequential/0(Linear)/weight`` its weight, ``input/input.1`` the first
input and ``output/output.1`` the first output. An op's input that is none of these (a
number such as the ``2`` of ``x * 2``, a buffer such as BatchNorm's ``running_mean``, a
tensor made without a graph) is drawn as a ``Constant`` or ``Buffer`` node (PyTorch's
``prim::Constant`` / ``prim::GetAttr``). TensorBoard draws each module as a box you can open.

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

from ...autograd import AccumulateGrad, Function, enable_grad
from ...autograd.graph import watch
from ...tensor import Tensor
from ...viz._layout import walk
from ...viz.formulas import formula

INPUT_OP = "IO Node"  # what PyTorch's graphs call inputs and outputs
PARAMETER_OP = "Parameter"
BUFFER_OP = "Buffer"
CONSTANT_OP = "Constant"
_MAX_VALUE_ELEMENTS = 8  # a constant this small shows its values in ``attr``
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


@contextlib.contextmanager
def _parameters_require_grad(model: Any) -> Iterator[None]:
    """Every floating parameter requires grad while the model runs (so frozen layers are
    recorded); the ones switched on are switched off again afterwards, also on an error."""
    switched: list[Tensor] = []
    params = model.parameters() if hasattr(model, "parameters") else ()
    try:
        for p in params:
            if (isinstance(p, Tensor) and not p.requires_grad and p.grad_fn is None
                    and np.dtype(p.dtype).kind == "f"):
                p.requires_grad_(True)
                switched.append(p)
        yield
    finally:
        for p in switched:
            p.requires_grad_(False)


def _as_inputs(input_to_model: Any, mark_integers: bool = True
               ) -> tuple[list[Any], list[Tensor]]:
    """The model's arguments as watched copies (floating ones require grad; integer and bool
    ones, which cannot, get a leaf node all the same, so the ops on them are recorded), and
    those copies in order."""
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
        if isinstance(arg, Tensor):
            kind = np.dtype(arg.dtype).kind
            if kind == "f":
                arg = arg.detach().requires_grad_(True)
                watched.append(arg)
            elif mark_integers and kind in "biu":
                arg = arg.detach()
                arg._node = AccumulateGrad(arg)  # a marker: nothing runs backward from here
                watched.append(arg)
        args[i] = arg
    return args, watched


def _run(model: Any, input_to_model: Any) -> tuple[Any, list[Tensor]]:
    """``model(*inputs)`` once, in eval mode, grad on, every parameter requiring grad, under
    ``watch()``; the output and the watched inputs. If the model fails on the marked integer
    inputs (an op that refuses them), it runs again with them as plain constants."""
    with _eval_mode(model), _parameters_require_grad(model), enable_grad(), watch():
        args, inputs = _as_inputs(input_to_model)
        try:
            return model(*args), inputs
        except Exception:
            plain_args, plain_inputs = _as_inputs(input_to_model, mark_integers=False)
            if len(plain_inputs) == len(inputs):
                raise  # no integer input was marked: the model's own error
            return model(*plain_args), plain_inputs


def _value_text(value: np.ndarray) -> str:
    if value.size > _MAX_VALUE_ELEMENTS:
        return f"array of shape {tuple(value.shape)}"
    text = np.array2string(value, separator=", ") if value.ndim else repr(value.item())
    return " ".join(text.split())


class _Constants:
    """The nodes of an op's inputs that have no node of their own: a buffer of the op's module
    (found by value among its buffers), or a constant (a number, a tensor made without a
    graph), one node per use."""

    def __init__(self, names: _Names, nodes: list[NodeDef]) -> None:
        self.names = names
        self.nodes = nodes
        self.buffers: dict[int, str] = {}  # id(value array) -> node name, per buffer used

    def node_for(self, value: np.ndarray | None, module: Any, prefix: str) -> str:
        if value is None:  # the op ran outside watch(): nothing kept
            value = np.zeros(())
        for name, buffer in _buffers_of(module):
            data = buffer.detach().numpy()
            if data.shape == value.shape and data.dtype == value.dtype and np.array_equal(
                    data, value, equal_nan=data.dtype.kind == "f"):
                key = id(buffer)
                if key not in self.buffers:
                    self.buffers[key] = self.names.take(f"{prefix}/{name}")
                    self.nodes.append(_node_def(self.buffers[key], BUFFER_OP, [], value.shape,
                                                _attr_text({"name": name,
                                                            "dtype": str(value.dtype)})))
                return self.buffers[key]
        name = self.names.take(f"{prefix}/{CONSTANT_OP}")
        self.nodes.append(_node_def(name, CONSTANT_OP, [], value.shape, _attr_text(
            {"value": _value_text(value), "dtype": str(value.dtype)})))
        return name


def _buffers_of(module: Any) -> list[tuple[str, Any]]:
    if module is None or not hasattr(module, "named_buffers"):
        return []
    return [(n, b) for n, b in module.named_buffers(recurse=False) if b is not None]


def graph(model: Any, input_to_model: Any = None, verbose: bool = False
          ) -> tuple[GraphDef, RunMetadata]:
    """Run ``model(*inputs)`` once and return its recorded graph as a ``GraphDef`` (and the
    empty CPU step stats TensorBoard expects beside it, as PyTorch writes)."""
    if not callable(model):
        raise TypeError(f"add_graph: model must be a Module (or a callable), got "
                        f"{type(model).__name__}")
    output, inputs = _run(model, input_to_model)
    outputs = _flatten(output)
    if not outputs:
        raise TypeError(f"add_graph: the model returned {type(output).__name__}, not a Tensor "
                        "(or a tuple, list or dict of Tensors)")
    if all(t._node is None for t in outputs):
        raise RuntimeError(
            "add_graph: no op of the model was recorded, so there is no graph to draw: its "
            "outputs depend on no input or parameter, or were computed under no_grad() or "
            "detached inside forward")
    module_paths, param_names = _module_paths(model)
    top = type(model).__name__ if hasattr(model, "named_modules") else getattr(
        model, "__name__", type(model).__name__)
    names = _Names()
    nodes: list[NodeDef] = []
    ins = _Inputs(inputs, names, nodes)
    name_of: dict[int, str] = {}
    constants = _Constants(names, nodes)
    for node in walk([t._node for t in outputs if t._node is not None], None, None):
        if isinstance(node, AccumulateGrad):
            name = ins.name_of_leaf(node) or _parameter_node(node, param_names, top, names,
                                                              nodes)
        else:
            assert isinstance(node, Function)
            name = _op_node(node, module_paths, top, names, nodes, name_of, constants, ins)
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


class _Inputs:
    """The model's inputs as IO nodes, each made when first used: through the graph (an
    ``AccumulateGrad`` of a watched copy) or, for integer inputs that an op takes as a
    setting rather than a tensor input (``Embedding``'s indices, ``gather``'s index), found
    by value among what the op saved."""

    def __init__(self, inputs: list[Tensor], names: _Names, nodes: list[NodeDef]) -> None:
        self.inputs = inputs
        self.index = {id(t): i for i, t in enumerate(inputs)}
        self.names = names
        self.nodes = nodes
        self.made: dict[int, str] = {}

    def node(self, i: int) -> str:
        if i not in self.made:
            t = self.inputs[i]
            self.made[i] = self.names.take(f"input/input.{i + 1}")
            self.nodes.append(_node_def(self.made[i], INPUT_OP, [], t.shape,
                                        _attr_text({"dtype": str(t.dtype)})))
        return self.made[i]

    def name_of_leaf(self, node: AccumulateGrad) -> str | None:
        i = self.index.get(id(node.variable))
        return None if i is None else self.node(i)

    def taken_as_settings(self, node: Function) -> list[str]:
        """The integer inputs whose values the op saved (indices passed as a setting)."""
        found: list[str] = []
        integers = [(i, t) for i, t in enumerate(self.inputs)
                    if np.dtype(t.dtype).kind in "biu" and t.numel() > 0]
        if not integers:
            return found
        saved = node.saved if isinstance(node.saved, tuple) else ()
        arrays = [a for a in (*saved, *getattr(node, "__dict__", {}).values())
                  if isinstance(a, np.ndarray) and a.dtype.kind in "biu"]
        for i, t in integers:
            data = t.detach().numpy()
            if any(a.shape == data.shape and np.array_equal(a, data) for a in arrays):
                found.append(self.node(i))
        return found


def _parameter_node(node: AccumulateGrad, param_names: dict[int, str], top: str,
                    names: _Names, nodes: list[NodeDef]) -> str:
    """A parameter (or another leaf that requires grad, made outside the model)."""
    leaf = node.variable
    name = param_names.get(id(leaf), f"{top}/leaf")
    label: dict[str, Any] = {"name": name.rsplit("/", 1)[-1]}
    if leaf is not None:
        label["dtype"] = str(leaf.dtype)
    name = names.take(name)
    nodes.append(_node_def(name, PARAMETER_OP, [], node.out_shape, _attr_text(label)))
    return name


def _op_node(node: Function, module_paths: dict[int, str], top: str, names: _Names,
             nodes: list[NodeDef], name_of: dict[int, str], constants: _Constants,
             ins: _Inputs) -> str:
    """An op, named by its module scope, with its settings and derivative in ``attr``; its
    inputs without a node become Buffer/Constant nodes, and integer inputs it took as a
    setting are linked to it."""
    scope = getattr(node, "module_scope", ())
    module = scope[-1] if scope else None
    prefix = module_paths.get(id(module), "/".join(
        type(m).__name__ for m in scope)) if scope else top
    op = type(node).__name__
    settings = {"grad_fn": node.name()}
    settings.update({k: _setting_text(v) for k, v in getattr(node, "__dict__", {}).items()
                     if not k.startswith("_") and k != "recorded"})
    derivative = " ".join(formula(node).split())  # (the one the pictures show, one line)
    if derivative:
        settings["derivative"] = derivative
    recorded = getattr(node, "recorded", None)
    values = recorded.inputs if recorded is not None else None
    inputs_of = []
    for k, edge in enumerate(node.next_nodes):
        if edge is not None:
            inputs_of.append(name_of[id(edge)])
        else:
            value = values[k] if values is not None and k < len(values) else None
            inputs_of.append(constants.node_for(value, module, prefix))
    inputs_of += [n for n in ins.taken_as_settings(node) if n not in inputs_of]
    name = names.take(f"{prefix}/{op}")
    nodes.append(_node_def(name, op, inputs_of, getattr(node, "out_shape", None),
                           _attr_text(settings)))
    return name
