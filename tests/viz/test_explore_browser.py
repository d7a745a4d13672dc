"""The explorer in a real browser: headless Chromium (Debian's) driven by playwright.

Each test opens a page ``viz.explore`` wrote (file://, nothing else), walks the whole backward
pass with the Next button and reads, at every step, the gradients the panel shows from the DOM
(each matrix cell carries its flat index and full-precision value as ``data-i``/``data-v``),
checking them against the recorded arrays and the parameters' ``.grad``; then steps back once,
clicks nodes, and asserts the page logged nothing and raised nothing. Screenshots go to the
test's tmp_path (and to /tmp/v5 when that directory exists, for the session lead).

Skipped when playwright or chromium is missing, except under CI (``CI`` set), where that fails.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.autograd import Function
from tinygrad_edu.viz._explore_data import find_nodes

from .test_explore_cases import (
    Case,
    big_step,
    cnn_unfused_step,
    mlp_step,
    nan_step,
    shared_step,
    xor_step,
)

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false")
SHOTS = Path("/tmp/v5")  # the session lead's folder; written only where it exists

READ_VIEW = """() => {
  const v = document.getElementById("view");
  const cur = document.querySelector(".node.current");
  return {
    view: v.dataset.view, state: +v.dataset.state, node: v.dataset.node,
    counter: document.getElementById("counter").textContent,
    current: cur ? cur.dataset.node : null,
    doneOps: document.querySelectorAll(".node.op.done").length,
    hotEdges: document.querySelectorAll(".edge.hot").length,
    tensors: [...v.querySelectorAll(".tensor")].map((t) => ({
      role: t.dataset.role, k: t.dataset.k ?? null, name: t.dataset.name ?? null,
      target: t.dataset.target ?? null,
      cells: [...t.querySelectorAll("td[data-i]")].map((td) => [+td.dataset.i, td.dataset.v,
                                                                  td.textContent])})),
  };
}"""


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install 'tinygrad_edu[browser]')"
    if not (Path(CHROMIUM).is_file() or shutil.which("chromium")):
        return f"Debian's chromium is not installed ({CHROMIUM}; apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"{reason}: the browser test must run under CI")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).is_file()
                                     else shutil.which("chromium"), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


class Opened:
    """A page of the explorer, with what it logged."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 860})
        self.messages: list[str] = []
        self.page.on("console", lambda m: self.messages.append(f"console.{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.messages.append(f"page error: {e}"))
        self.page.set_default_timeout(5000)
        self.page.goto(path.resolve().as_uri())

    def view(self) -> dict[str, Any]:
        return dict(self.page.evaluate(READ_VIEW))

    def shot(self, tmp_path: Path, name: str) -> None:
        self.page.screenshot(path=str(tmp_path / f"{name}.png"))
        if SHOTS.is_dir():
            shutil.copyfile(tmp_path / f"{name}.png", SHOTS / f"explore_{name}.png")


def assert_cells(view: dict[str, Any], array: Any) -> None:
    """Every shown cell is the array's entry at its flat index, in the array's dtype."""
    a = np.asarray(array)
    assert view["cells"], view
    for flat, raw, text in view["cells"]:
        expected = a.flat[flat]
        if raw in ("NaN", "Infinity", "-Infinity"):
            got = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[raw]
            assert text in ("NaN", "inf", "-inf")
        else:
            got = float(raw)
        got = a.dtype.type(got)
        assert got == expected or (np.isnan(got) and np.isnan(expected)), (flat, raw, expected)


def one(view: dict[str, Any], role: str, **match: Any) -> dict[str, Any]:
    found = [t for t in view["tensors"] if t["role"] == role and
             all(t[k] == v for k, v in match.items())]
    assert len(found) == 1, (role, match, [(t["role"], t["k"]) for t in view["tensors"]])
    return found[0]


def parameters(case: Case) -> dict[str, Any]:
    loss, model, names = case
    named = dict(model.named_parameters()) if model is not None else {}
    named.update({n: t for n, t in names.items() if t.requires_grad})
    return named


def walk(browser: Any, case: Case, name: str, tmp_path: Path
         ) -> tuple[Opened, dict[int, Function]]:
    """Open the page, then Next through the whole pass checking every number shown."""
    loss, model, names = case
    path = tg.viz.explore(loss, tmp_path / f"{name}.html", model=model, params=names,
                          title=f"{name}: one training step")
    by_step = {n.recorded.step: n for n in find_nodes(loss.grad_fn, None)
               if isinstance(n, Function)}
    n_steps = len(by_step)
    params = parameters(case)
    used = {id(p): 0 for p in params.values()}  # how many ops read each parameter
    for op in by_step.values():
        for nxt in op.next_nodes:
            if nxt is not None and hasattr(nxt, "variable") and id(nxt.variable) in used:
                used[id(nxt.variable)] += 1
    opened = Opened(browser, path)
    v = opened.view()
    assert (v["view"], v["state"], v["counter"]) == ("start", 0, f"start ({n_steps} steps)")
    assert_cells(one(v, "grad-arriving"), np.ones((), loss.detach().numpy().dtype))
    assert_cells(one(v, "value"), loss.detach().numpy())
    for s in range(1, n_steps + 1):
        opened.page.click("#next")
        v = opened.view()
        op = by_step[s - 1]
        assert (v["view"], v["state"], v["counter"]) == ("step", s, f"step {s} of {n_steps}")
        assert v["current"] == v["node"] and v["doneOps"] == s - 1
        assert_cells(one(v, "grad-arriving"), op.recorded.grad)
        handed = 0
        for k, (nxt, grad) in enumerate(zip(op.next_nodes, op.recorded.input_grads,
                                            strict=True)):
            if nxt is None or grad is None:
                continue
            handed += 1
            shown = one(v, "input-grad", k=str(k))
            assert_cells(shown, grad)
            leaf = getattr(nxt, "variable", None)
            if leaf is not None and used.get(id(leaf)) == 1:  # its only share: its .grad
                assert_cells(shown, leaf.grad.numpy())
        assert v["hotEdges"] == handed
        for t in v["tensors"]:
            if t["role"] == "uses":
                assert_cells(t, op.recorded.output if t["k"] == "out"
                             else op.recorded.inputs[int(t["k"])])
        if s in (2, n_steps // 2 + 1):
            opened.shot(tmp_path, f"{name}_step{s}")
    opened.page.click("#next")
    v = opened.view()
    assert (v["view"], v["counter"]) == ("end", f"done ({n_steps} steps)")
    for pname, p in params.items():
        assert_cells(one(v, "param-grad", name=pname), p.grad.numpy())
    assert opened.page.is_disabled("#next") and opened.page.is_disabled("#end")
    opened.shot(tmp_path, f"{name}_end")
    opened.page.click("#prev")
    v = opened.view()
    assert (v["view"], v["state"], v["counter"]) == ("step", n_steps,
                                                     f"step {n_steps} of {n_steps}")
    assert_cells(one(v, "grad-arriving"), by_step[n_steps - 1].recorded.grad)
    return opened, by_step


def click_node(opened: Opened, box: Any) -> None:
    """Pan the node into view (as a user would drag), then click it."""
    opened.page.evaluate(f"window.explorer.show({box.get_attribute('data-node')})")
    box.click()


def click_parameter(opened: Opened, params: dict[str, Any]) -> None:
    """Click each parameter's node: its panel shows its .grad."""
    boxes = opened.page.locator(".node.param")
    for i in range(boxes.count()):
        click_node(opened, boxes.nth(i))
        v = opened.view()
        assert v["view"] == "node"
        shown = one(v, "param-grad")
        assert_cells(shown, params[shown["name"]].grad.numpy())
    opened.page.click("#back")
    assert opened.view()["view"] == "step"


# seed 001's MLP, the XOR net, and a CNN step in the teaching view (55 nodes, 40 steps; the
# fused CNN's page differs only in fewer nodes and is checked without a browser)
@pytest.mark.parametrize("name", ["mlp", "xor", "cnn_unfused"])
def test_walk_the_whole_backward_pass(browser: Any, name: str, tmp_path: Path) -> None:
    case = {"mlp": mlp_step, "xor": xor_step, "cnn_unfused": cnn_unfused_step}[name]()
    opened, by_step = walk(browser, case, name, tmp_path)
    click_parameter(opened, parameters(case))
    click_node(opened, opened.page.locator(".node.current"))  # the last op: its tensors
    v = opened.view()
    last = by_step[len(by_step) - 1]
    assert v["view"] == "node"
    assert_cells(one(v, "output"), last.recorded.output)
    assert_cells(one(v, "grad-arriving"), last.recorded.grad)
    for k, value in enumerate(last.recorded.inputs):
        assert_cells(one(v, "value", k=str(k)), value)
    opened.shot(tmp_path, f"{name}_clicked_op")
    assert (tmp_path / f"{name}_end.png").stat().st_size > 10_000
    assert opened.messages == []
    opened.page.close()


def test_keys_slider_and_awkward_values(browser: Any, tmp_path: Path) -> None:
    case = shared_step()  # a parameter used three times, int indices, a 0-d constant
    opened, _ = walk(browser, case, "shared", tmp_path)
    page = opened.page
    page.keyboard.press("Home")
    assert opened.view()["state"] == 0
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert opened.view()["counter"].startswith("step 2 of")
    page.keyboard.press("ArrowLeft")
    assert opened.view()["state"] == 1
    page.keyboard.press("End")
    assert opened.view()["view"] == "end"
    page.fill("#slider", "3")
    assert opened.view()["state"] == 3
    click_parameter(opened, parameters(case))
    assert opened.messages == []
    page.close()

    case = nan_step()  # inf and NaN in the gradients
    opened, _ = walk(browser, case, "nan", tmp_path)
    texts = [c[2] for t in opened.view()["tensors"] for c in t["cells"]]
    assert "NaN" in texts
    assert opened.messages == []
    opened.page.close()


def test_a_graph_of_a_hundred_nodes_follows_the_step(browser: Any, tmp_path: Path) -> None:
    loss, model, names = big_step()
    path = tg.viz.explore(loss, tmp_path / "big.html", model=model, params=names)
    opened = Opened(browser, path)
    page = opened.page
    steps = page.evaluate("window.explorer.steps")
    assert steps > 80 and page.locator(".node").count() > 120
    inside = """() => { const r = document.getElementById("graph").getBoundingClientRect();
        const b = document.querySelector(".node.current").getBoundingClientRect();
        return b.left >= r.left && b.right <= r.right && b.top >= r.top
            && b.bottom <= r.bottom; }"""
    for target in (1, steps // 2, steps):  # the view pans to keep the current node in sight
        page.fill("#slider", str(target))
        v = opened.view()
        assert v["counter"] == f"step {target} of {steps}" and page.evaluate(inside)
    opened.shot(tmp_path, "big_last_step")
    assert opened.messages == []
    page.close()
