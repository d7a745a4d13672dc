"""What a graph picture can say about one op node besides its name: the values and gradient
of the tensor it made (known only for some tensors, or for every node under ``watch()``),
what it saved for backward, its settings, its local derivative and an anomaly mark."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.graph import FREED, OUT, Function, Node
from ..tensor import Tensor
from . import _labels as L
from .formulas import formula

# Fields of a node's __dict__ that are the engine's, not the op's settings.
NOT_SETTINGS = frozenset({"recorded", "anomaly"})
# A few settings under the name PyTorch's saved fields have (``_saved_dim``, ``padding``);
# None: left out (a convolution's input and output sizes are already the shapes drawn).
SETTING_NAMES: dict[str, str | None] = {"axes": "dim", "pads": "padding", "spatial": None,
                                        "blocks": None}


def recorded_of(node: Node | None) -> Any:
    """The ``Recorded`` that ``watch()`` left on the node, or None."""
    return None if node is None else getattr(node, "__dict__", {}).get("recorded")


def op_value(node: Node, known: Tensor | None) -> np.ndarray | None:
    """The value of the tensor the op made: the tensor itself if the caller has it, else what
    ``watch()`` recorded; None when neither (nodes keep no outputs)."""
    if known is not None:
        return known._data
    recorded = recorded_of(node)
    return None if recorded is None else recorded.output


def op_grad(node: Node, known: Tensor | None) -> np.ndarray | None:
    """The gradient of the tensor the op made (dL/d output): ``retain_grad()``'s ``.grad``,
    else what ``watch()`` recorded arriving at the node in backward; None when neither."""
    if known is not None and known.grad is not None:
        return known.grad._data
    recorded = recorded_of(node)
    return None if recorded is None else recorded.grad


def saved_name(source: Any, k: int) -> str:
    """torchviz's names: ``self`` / ``other`` for inputs 0 / 1, ``result`` for the output."""
    if source == OUT:
        return "result"
    if isinstance(source, int) and not isinstance(source, bool):
        return {0: "self", 1: "other"}.get(source, f"input{source}")
    return f"saved{k}"  # a mask, indices, an intermediate: no tensor of the graph


def describe(value: Any, width: int = 40) -> str:
    """A saved value or a setting in a few characters: an array's shape, dtype (and values if
    tiny), anything else its repr, shortened."""
    if isinstance(value, np.ndarray):
        head = f"{L.shape_text(value.shape)} {value.dtype}"
        if 0 < value.size <= 4:
            head += " " + " ".join(L.value_lines(value))
        return head
    if isinstance(value, Tensor):
        return describe(value._data, width)
    text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def saved_lines(node: Node) -> list[L.Line]:
    """``saved self (4, 784) float32`` per value the op saved for backward; ``saved: freed``
    once a ``backward()`` without ``retain_graph`` freed them."""
    if not isinstance(node, Function):
        return []
    saved = node.saved
    if saved is FREED:
        return [("saved: freed by backward()", L.SAVED_COLOR)]
    if not saved:
        return []
    sources = node.saved_from
    lines: list[L.Line] = []
    for k, value in enumerate(saved):
        source = sources[k] if k < len(sources) else None
        lines.append((f"saved {saved_name(source, k)}: {describe(value)}", L.SAVED_COLOR))
    return lines


def saved_entries(node: Node) -> list[tuple[str, Any]]:
    """(name, value) of what the op saved ([] if nothing, or freed)."""
    if not isinstance(node, Function) or not node.saved or node.saved is FREED:
        return []
    sources = node.saved_from
    return [(saved_name(sources[k] if k < len(sources) else None, k), v)
            for k, v in enumerate(node.saved)]


def settings(node: Node) -> list[tuple[str, Any]]:
    """The op's settings kept on its node (``dim``, ``keepdim``, a convolution's ``stride``
    and ``padding``, ...), in the order the op stored them; named tuples spelled out."""
    found: list[tuple[str, Any]] = []
    for name, value in getattr(node, "__dict__", {}).items():
        if name in NOT_SETTINGS or name.startswith("_"):
            continue
        fields = getattr(value, "_asdict", None)
        items = list(fields().items()) if callable(fields) and isinstance(value, tuple) \
            else [(name, value)]
        for key, item in items:
            shown = SETTING_NAMES.get(key, key)
            if shown == "padding" and _symmetric(item):  # ((1, 1), (1, 1)) -> (1, 1)
                item = tuple(before for before, _ in item)
            if shown is not None:
                found.append((shown, item))
    return found


def _symmetric(pads: Any) -> bool:
    return isinstance(pads, tuple) and all(
        isinstance(p, tuple) and len(p) == 2 and p[0] == p[1] for p in pads)


def setting_lines(node: Node) -> list[L.Line]:
    """The settings as ``name=value`` pairs, several to a line."""
    lines: list[str] = []
    for piece in (f"{name}={describe(value)}" for name, value in settings(node)):
        if lines and len(lines[-1]) + len(piece) + 3 <= L.WRAP:  # never split a setting
            lines[-1] += ",  " + piece
        else:
            lines.append(piece)
    return [(line, L.ATTR_COLOR) for line in lines]


def formula_lines(node: Node, max_lines: int = 6) -> list[L.Line]:
    return L.wrapped(formula(node), L.FORMULA_COLOR, max_lines=max_lines)


def anomaly_of(node: Node | None) -> str | None:
    """The message ``detect_anomaly()`` left on the node that produced the first NaN/inf."""
    return None if node is None else getattr(node, "__dict__", {}).get("anomaly")
