"""``explore(loss)``: one HTML page to step through a backward pass, node by node.

Record a training step under ``watch()`` and write the page::

    with tg.viz.watch():
        loss = F.cross_entropy(model(x), y)
        loss.backward()
    tg.viz.explore(loss, "step.html", model=model)   # open it in any browser

The page is one file: its script, its style, the graph's layout (computed here, in Python:
see ``_explore_layout``) and every number it shows are inside, so it opens from disk, offline,
and can be mailed or committed. The learner walks the backward pass in the engine's own order
(``node.recorded.step``): at each op, the gradient that arrived (dL/d output), the op's local
derivative (from its docstring, ``viz.formulas``) with the values it uses, and the gradient it
handed to each input; a parameter's ``.grad`` fills as ops hand it its share. Clicking any node
shows its tensors. PyTorch has no such page; torchviz draws the graph only.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import webbrowser
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from ..autograd import watch
from ..autograd.graph import FREED, Function
from ._explore_data import ExploreData, NotRecordedError, extract, find_nodes
from ._explore_layout import layout
from .formulas import ACCUMULATE, formula

__all__ = ["NotRecordedError", "explore", "explore_html", "run_command"]

HOW_TO_RECORD = """    with tg.viz.watch():
        loss = loss_fn(model(x), y)
        loss.backward()"""
CHAR_WIDTH = 7.0  # of the node labels' 12px sans-serif, roughly; wide enough for the longest
NODE_HEIGHT = 38


def _record_if_needed(loss: Any) -> bool:
    """Check that ``loss`` was recorded under ``watch()``; run its backward pass (under
    ``watch()``) if that has not happened yet. True if this function ran it."""
    from ..tensor import Tensor

    if not isinstance(loss, Tensor):
        raise TypeError(f"explore: expected the loss Tensor, got {type(loss).__name__}")
    root = loss.grad_fn
    if root is None:
        raise RuntimeError(
            "explore: the loss has no grad_fn: it was not computed from a tensor that requires "
            "grad (or it was computed under no_grad()), so there is no backward pass to show")
    recorded = root.__dict__.get("recorded")
    if recorded is None or recorded.inputs is None:
        raise NotRecordedError(
            "explore: the loss was not computed under watch(), so its values and gradients "
            "were not kept. Record the step like this, then call explore(loss):\n\n"
            + HOW_TO_RECORD)
    if recorded.step is not None:
        return False
    for node in find_nodes(root, None):
        if isinstance(node, Function) and node.saved is FREED:
            raise NotRecordedError(
                "explore: loss.backward() ran outside watch(), so the gradients were not kept "
                "(and the graph's saved values are freed). Run the backward pass inside the same "
                "watch() block:\n\n" + HOW_TO_RECORD)
    with watch():
        loss.backward()
    return True


def _label_width(*lines: str) -> float:
    return max(len(line) for line in lines) * CHAR_WIDTH + 26


def _shape_text(shape: Any) -> str:
    if shape is None:
        return ""
    return "scalar" if len(shape) == 0 else "(" + ", ".join(map(str, shape)) + ")"


def _place(data: ExploreData) -> dict[str, float]:
    """Give every node its box (x, y centre, w, h) and every edge its route."""
    sizes = {}
    for node in data.nodes:
        kind = node["kind"]
        shape = _shape_text(node.get("shape"))
        if kind == "op":
            node["label"], node["sub"] = node["name"], shape
        elif kind == "loss":
            value = data.tensors[node["value"]]
            number = value["preview"]["v"][0] if value["size"] == 1 else None
            node["label"] = node["name"] if number is None else \
                f"{node['name']} = {number:.4g}" if isinstance(number, float) else \
                f"{node['name']} = {number}"
            node["sub"] = shape
        else:
            node["label"], node["sub"] = node["name"], shape
        node["w"] = round(_label_width(node["label"], node["sub"]), 1)
        node["h"] = NODE_HEIGHT if kind != "const" else NODE_HEIGHT - 4
        sizes[node["id"]] = (node["w"], node["h"])
    loss_id = data.steps[0]
    placed = layout(sizes, [(e["source"], e["target"], e["k"]) for e in data.edges], loss_id)
    for node in data.nodes:
        node["x"], node["y"] = placed.x[node["id"]], placed.y[node["id"]]
    for edge, route in zip(data.edges, placed.routes, strict=True):
        edge["route"] = route
    return {"width": placed.width, "height": placed.height}


def _asset(name: str) -> str:
    return (resources.files("tinygrad_edu.viz") / "explorer" / name).read_text(encoding="utf-8")


def explore_html(loss: Any, *, model: Any = None, params: Mapping[str, Any] | None = None,
                 title: str | None = None, max_nodes: int | None = 500) -> str:
    """The page ``explore`` writes, as a string (same arguments, without the file)."""
    ran_backward = _record_if_needed(loss)
    data = extract(loss, formula, params=params, model=model, max_nodes=max_nodes)
    if ran_backward:
        data.notes.append("explore() ran loss.backward() itself (under watch())")
    size = _place(data)
    if title is None:
        title = "Backward pass" + (f" of {type(model).__name__}" if model is not None else "")
    page = {"title": title, "size": size, "accumulate": ACCUMULATE, **data.to_json()}
    # "<" escaped: the JSON sits in a <script> element, where "</script>" would end it
    text = json.dumps(page, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    return (_asset("page.html")
            .replace("__TITLE__", html.escape(title))
            .replace("/*__STYLE__*/", _asset("explorer.css"))
            .replace("/*__SCRIPT__*/", _asset("explorer.js"))
            .replace("__DATA__", text))


def explore(loss: Any, path: str | os.PathLike[str] = "explore.html", *, model: Any = None,
            params: Mapping[str, Any] | None = None, title: str | None = None,
            open_browser: bool = False, max_nodes: int | None = 500) -> Path:
    """Write an interactive page that steps through the backward pass of ``loss``; returns
    the path written (one self-contained HTML file: it works offline, from disk).

    ``loss`` must have been computed under ``tg.viz.watch()`` (which keeps every op's values
    and gradients). If ``loss.backward()`` has not run yet, ``explore`` runs it, under
    ``watch()`` -- so the parameters' ``.grad`` are filled as by your own call. If it ran
    outside ``watch()``, or the loss was not recorded at all, ``NotRecordedError`` says how
    to record the step::

        with tg.viz.watch():
            loss = loss_fn(model(x), y)
            loss.backward()

    ``model``: a Module whose ``named_parameters()`` name the parameters (``fc1.weight``) and
    whose ``named_modules()`` name the layers; ``params``: more names, ``{name: tensor}`` (a
    data tensor named here is recognised by its value: ``{"images": x, "labels": y}``);
    ``title``: the page's title; ``open_browser``: open the page in the default browser;
    ``max_nodes``: refuse graphs larger than this (``None``: no limit).
    """
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"explore: {target} is a directory; give a file name such as "
                                f"{target / 'explore.html'}")
    text = explore_html(loss, model=model, params=params, title=title, max_nodes=max_nodes)
    target.write_text(text, encoding="utf-8")
    if open_browser:
        webbrowser.open(target.resolve().as_uri())
    return target


def run_command(args: argparse.Namespace,
                one_step: Callable[[argparse.Namespace], tuple[Any, dict[str, Any], Any]]
                ) -> Path:
    """``tinygrad-edu explore``: record one training step of a preset model (``one_step``,
    the CLI's ``graph_of_one_step``: loss, names, model) under ``watch()`` and write its page
    to ``args.out``. Seeds with ``args.seed``; opens the page if ``args.open``."""
    from ..random import manual_seed

    manual_seed(args.seed)
    with watch():
        loss, names, model = one_step(args)
        loss.backward()
    title = f"Backward pass of one step of --model {args.model} (batch {args.batch_size})"
    return explore(loss, args.out, model=model, params=names, title=title,
                   open_browser=bool(getattr(args, "open", False)))

