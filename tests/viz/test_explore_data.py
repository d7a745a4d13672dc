"""``viz.explore``'s data, without a browser: every number the page shows is the recorded one,
the order is the engine's, the layout is sane, the page is self-contained, and misuse gets a
clear error."""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn
from tinygrad_edu.autograd import AccumulateGrad, Function
from tinygrad_edu.viz import NotRecordedError, explore
from tinygrad_edu.viz._explore_data import (
    HEAT_COLS,
    HEAT_ROWS,
    ExploreData,
    extract,
    find_nodes,
    payload,
)
from tinygrad_edu.viz._explore_layout import layout
from tinygrad_edu.viz.explore import explore_html, run_command
from tinygrad_edu.viz.formulas import formula

from .test_explore_cases import (
    Case,
    big_step,
    cnn_step,
    cnn_unfused_step,
    mlp_step,
    nan_step,
    shared_step,
    xor_step,
)

CASES = {"mlp": mlp_step, "xor": xor_step, "shared": shared_step, "nan": nan_step,
         "cnn": cnn_step, "cnn_unfused": cnn_unfused_step}


def shown(entry: Any, dtype: np.dtype[Any]) -> Any:
    """A JSON entry read back in the array's dtype (as a test reading the page would)."""
    if isinstance(entry, str):
        return dtype.type({"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[entry])
    return dtype.type(entry)


def assert_payload_shows(p: dict[str, Any], array: np.ndarray) -> None:
    """The payload describes ``array`` and its visible entries are exactly the array's."""
    a = np.asarray(array)
    assert p["shape"] == list(a.shape) and p["dtype"] == str(a.dtype) and p["size"] == a.size
    if a.size == 0:
        return
    preview = p["preview"]
    assert len(preview["flat"]) == len(preview["v"])
    rows, cols = preview["rows"], preview["cols"]
    assert (rows - 1) * cols < len(preview["v"]) <= rows * cols
    for flat, entry in zip(preview["flat"], preview["v"], strict=True):
        expected = a.flat[flat]
        got = shown(entry, a.dtype)
        assert got == expected or (np.isnan(got) and np.isnan(expected)), (flat, entry, expected)
    assert p["complete"] == (len(preview["flat"]) == a.size)
    finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a
    if finite.size:
        f = finite.astype(np.float64)
        assert p["stats"]["norm"] == pytest.approx(np.sqrt((f * f).sum()), rel=1e-5)
        assert p["stats"]["maxabs"] == pytest.approx(np.abs(f).max(), rel=1e-5)
        assert p["stats"]["mean"] == pytest.approx(f.mean(), rel=1e-5, abs=1e-12)
    if a.dtype.kind == "f":
        assert p["stats"]["nan"] == np.isnan(a).sum() and p["stats"]["inf"] == np.isinf(a).sum()


def ops_by_tick(loss: Any) -> dict[int, Function]:
    return {n.tick: n for n in find_nodes(loss.grad_fn, None) if isinstance(n, Function)}


def data_of(case: Case) -> ExploreData:
    loss, model, names = case
    return extract(loss, formula, params=names, model=model)


@pytest.fixture(scope="module", params=sorted(CASES))
def recorded(request: pytest.FixtureRequest) -> tuple[Case, ExploreData]:
    with np.errstate(all="ignore"):
        case = CASES[request.param]()
    return case, data_of(case)


def test_every_number_is_the_recorded_one(recorded: tuple[Case, ExploreData]) -> None:
    (loss, _, _), data = recorded
    ops = ops_by_tick(loss)
    arrays = data.arrays
    for node in data.nodes:
        if node["kind"] != "op":
            continue
        rec = ops[node["tick"]].recorded
        for index, array in ((node["grad"], rec.grad), (node["output"], rec.output)):
            assert np.array_equal(arrays[index], array, equal_nan=True)
            assert_payload_shows(data.tensors[index], array)
        for entry, value, grad in zip(node["inputs"], rec.inputs, rec.input_grads, strict=True):
            assert np.array_equal(arrays[entry["value"]], value, equal_nan=True)
            assert_payload_shows(data.tensors[entry["value"]], value)
            if grad is None or data.nodes[entry["node"]]["kind"] == "const":
                assert entry["grad"] is None
            else:
                assert np.array_equal(arrays[entry["grad"]], grad, equal_nan=True)
                assert_payload_shows(data.tensors[entry["grad"]], grad)


def test_leaves_total_is_their_grad(recorded: tuple[Case, ExploreData]) -> None:
    (loss, _, _), data = recorded
    leaves = {id(n.variable): n.variable for n in find_nodes(loss.grad_fn, None)
              if isinstance(n, AccumulateGrad)}
    params = [n for n in data.nodes if n["kind"] == "param"]
    assert len(params) == len(leaves) > 0
    by_name = {}
    for node in params:
        grad = data.arrays[node["grad"]]
        total = sum(data.arrays[c["grad"]].astype(np.float64) for c in node["contributions"])
        np.testing.assert_allclose(total, grad, rtol=1e-5, atol=1e-7)
        assert node["grad_matches"]
        by_name[node["name"]] = grad
    for variable in leaves.values():  # each leaf's .grad is shown exactly, once
        assert sum(np.array_equal(g, variable.grad.numpy(), equal_nan=True)
                   for g in by_name.values()) >= 1


def test_order_is_the_engines_and_topological(recorded: tuple[Case, ExploreData]) -> None:
    (loss, _, _), data = recorded
    ops = ops_by_tick(loss)
    steps = data.steps
    assert data.nodes[steps[0]]["kind"] == "loss"
    op_steps = [data.nodes[i] for i in steps[1:]]
    assert [n["step"] for n in op_steps] == list(range(len(op_steps)))
    assert [n["position"] for n in op_steps] == list(range(1, len(op_steps) + 1))
    assert [ops[n["tick"]].recorded.step for n in op_steps] == list(range(len(op_steps)))
    place = {node_id: i for i, node_id in enumerate(steps)}
    for edge in data.edges:  # a node runs after every op that uses its output
        source = data.nodes[edge["source"]]
        if source["kind"] == "op":
            assert place[edge["target"]] < place[edge["source"]]
    assert len(steps) - 1 == sum(1 for n in data.nodes if n["kind"] == "op")


def test_layout_ranks_follow_the_edges_and_nodes_do_not_overlap(
        recorded: tuple[Case, ExploreData]) -> None:
    (loss, model, names), _ = recorded
    page = json.loads(re.search(r'<script id="explore-data" type="application/json">(.*?)'
                                r"</script>", explore_html(loss, model=model, params=names),
                                re.S).group(1))
    nodes = page["nodes"]
    for edge in page["edges"]:
        source, target = nodes[edge["source"]], nodes[edge["target"]]
        assert source["y"] < target["y"]  # forward arrows point down
        assert edge["route"][0][1] == pytest.approx(source["y"] + source["h"] / 2)
        assert edge["route"][-1][1] == pytest.approx(target["y"] - target["h"] / 2)
    rows: dict[float, list[dict[str, Any]]] = {}
    for node in nodes:
        rows.setdefault(node["y"], []).append(node)
    for row in rows.values():
        row.sort(key=lambda n: n["x"])
        for a, b in zip(row, row[1:], strict=False):
            assert a["x"] + a["w"] / 2 <= b["x"] - b["w"] / 2 + 1e-6
    for node in nodes:
        assert node["x"] - node["w"] / 2 >= 0 and node["x"] + node["w"] / 2 <= page["size"]["width"]


def test_page_is_one_self_contained_file(tmp_path: Path) -> None:
    loss, model, names = mlp_step()
    path = explore(loss, tmp_path / "step.html", model=model, params=names, title="A <b> step")
    assert path == tmp_path / "step.html"
    text = path.read_text(encoding="utf-8")
    assert text.count("<script") == 2 and "<link" not in text and " src=" not in text
    assert re.findall(r"https?://[^\s\"']+", text) == ["http://www.w3.org/2000/svg"] * 2
    assert "<title>A &lt;b&gt; step</title>" in text
    data = json.loads(re.search(r'type="application/json">(.*?)</script>', text, re.S).group(1))
    assert data["title"] == "A <b> step" and len(data["steps"]) == 5
    names_shown = {n["name"] for n in data["nodes"]}
    assert {"0.weight", "0.bias", "2.weight", "2.bias", "images", "labels", "loss"} <= names_shown
    assert text == explore_html(loss, model=model, params=names, title="A <b> step")  # stable


def test_module_and_formula_on_each_op() -> None:
    loss, model, names = cnn_step()
    data = data_of((loss, model, names))
    ops = [n for n in data.nodes if n["kind"] == "op"]
    assert {n["module"] for n in ops} >= {"conv1 (Conv2d)", "bn1 (BatchNorm2d)", "fc2 (Linear)"}
    assert all(n["formula"] for n in ops)
    linear = next(n for n in ops if n["name"] == "Linear")
    assert [i["label"] for i in linear["inputs"]] == ["x", "weight", "bias"]
    assert [i["uses"] for i in linear["inputs"]] == [True, True, False]  # saved_from (0, 1)


def test_payload_edge_cases() -> None:
    assert_payload_shows(payload(np.float32(0.1)), np.float32(0.1))
    p = payload(np.array(0.1, np.float32))
    assert p["preview"]["v"] == [0.1] and p["complete"] and p["shape"] == []
    ints = np.arange(-3, 9, dtype=np.int64)
    assert payload(ints)["preview"]["v"] == list(range(-3, 9))
    wrapped = payload(np.arange(40.0))["preview"]  # a vector: rows of 8, the first 16
    assert (wrapped["rows"], wrapped["cols"], wrapped["rows_total"]) == (2, 8, 5)
    assert wrapped["flat"] == list(range(16))
    assert payload(np.array([True, False]))["preview"]["v"] == [1, 0]
    bad = np.array([1.0, np.nan, np.inf, -np.inf], np.float32)
    pb = payload(bad)
    assert pb["preview"]["v"] == [1.0, "NaN", "Infinity", "-Infinity"]
    assert pb["stats"]["nan"] == 1 and pb["stats"]["inf"] == 2 and pb["stats"]["maxabs"] == 1
    json.dumps(pb, allow_nan=False)  # strict JSON: no bare NaN
    assert payload(np.zeros((0, 3)))["complete"]
    big = np.random.default_rng(0).standard_normal((64, 32, 3, 3)).astype(np.float32)
    pbig = payload(big)
    assert_payload_shows(pbig, big)
    assert not pbig["complete"] and pbig["preview"]["fixed"] == ["0", "0", ":", ":"]
    stat = np.arange(64.0).reshape(1, 64, 1, 1)  # looked through as the vector it is
    pstat = payload(stat)
    assert pstat["preview"]["flat"] == list(range(16)) and pstat["preview"]["cols"] == 8
    assert pstat["heat"]["rows"] == 1 and pstat["heat"]["matrix"] == [1, 64]
    assert_payload_shows(pstat, stat)
    column = np.arange(30.0).reshape(10, 1, 3)  # two long axes: the (10, 3) matrix
    pcol = payload(column)
    assert pcol["preview"]["fixed"] == [] and pcol["preview"]["rows"] == 8
    assert_payload_shows(pcol, column)
    heat = pbig["heat"]
    assert heat["rows"] <= HEAT_ROWS and heat["cols"] <= HEAT_COLS and heat["row_axes"] == 2
    assert heat["matrix"] == [64 * 32, 9] and len(heat["q"]) == heat["rows"] * heat["cols"]
    assert max(abs(q) for q in heat["q"]) == 99  # the largest entry is at full scale
    nan_big = np.ones((40, 40))
    nan_big[0, 0] = np.nan
    assert payload(nan_big)["heat"]["q"][0] is None
    f64 = np.array([1 / 3, 2 / 3])
    assert_payload_shows(payload(f64), f64)  # float64: all 17 digits survive


def test_names_of_constants_and_parameters() -> None:
    loss, _, names = shared_step()
    data = data_of((loss, None, names))
    consts = sorted(n["name"] for n in data.nodes if n["kind"] == "const")
    assert consts == ["constant", "indices", "x"]  # 3.0, z[idx]'s idx, x by its name
    assert [n["name"] for n in data.nodes if n["kind"] == "param"] == ["w"]
    w = next(n for n in data.nodes if n["kind"] == "param")
    assert len(w["contributions"]) == 3  # w * x and w * w (both sides)
    assert len(w["consumers"]) == 3


def test_errors_say_how_to_record() -> None:
    with pytest.raises(TypeError, match="expected the loss Tensor"):
        explore_html(np.zeros(3))
    with pytest.raises(RuntimeError, match="no grad_fn"):
        explore_html(tg.tensor(1.0))
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with pytest.raises(NotRecordedError, match=r"not computed under watch\(\)") as e:
        explore_html(loss)
    assert "with tg.viz.watch():\n        loss = loss_fn(model(x), y)\n        loss.backward()" \
        in str(e.value)
    with tg.viz.watch():
        loss = (w * w).sum()
    loss.backward()  # outside watch(): the gradients were not kept
    with pytest.raises(NotRecordedError, match=r"ran outside watch\(\)"):
        explore_html(loss)
    with tg.viz.watch():
        loss = (w * 3).sum()
        loss.backward()
    with pytest.raises(ValueError, match="max_nodes=1"):
        explore_html(loss, max_nodes=1)


def test_unnamed_parameters_are_numbered_and_a_non_scalar_loss_is_refused() -> None:
    a, b = tg.ones(2, requires_grad=True), tg.ones(2, requires_grad=True)
    with tg.viz.watch():
        out = a * 2 + b
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        explore_html(out)
    with tg.viz.watch():
        loss = (a * 2 + b).sum()
    data = json.loads(re.search(r'type="application/json">(.*?)</script>', explore_html(loss),
                                re.S).group(1))
    assert [n["name"] for n in data["nodes"] if n["kind"] == "param"] == ["param 1", "param 2"]


def test_runs_backward_itself_when_not_run_yet() -> None:
    tg.manual_seed(0)
    net = nn.Linear(3, 2)
    x = tg.randn(4, 3)
    with tg.viz.watch():
        loss = net(x).square().mean()
    assert net.weight.grad is None
    text = explore_html(loss, model=net)
    assert "explore() ran loss.backward() itself" in text
    reference = nn.Linear(3, 2)
    reference.load_state_dict(net.state_dict())
    reference(x).square().mean().backward()
    np.testing.assert_array_equal(net.weight.grad.numpy(), reference.weight.grad.numpy())
    assert loss.grad_fn.recorded.step == 0


def test_explore_writes_returns_and_opens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loss, model, names = xor_step()
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", opened.append)
    path = explore(loss, tmp_path / "x.html", model=model, open_browser=True)
    assert path.exists() and opened == [path.resolve().as_uri()]
    with pytest.raises(IsADirectoryError, match="is a directory"):
        explore(loss, tmp_path)
    with pytest.raises(FileNotFoundError):
        explore(loss, tmp_path / "missing" / "x.html")


def test_run_command_records_one_step(tmp_path: Path) -> None:
    def one_step(args: Any) -> tuple[Any, dict[str, Any], Any]:
        net = nn.Sequential(nn.Linear(4, 3))
        x, y = tg.randn(args.batch_size, 4), tg.randint(0, 3, (args.batch_size,))
        return F.cross_entropy(net(x), y), {"images": x, "labels": y}, net

    args = SimpleNamespace(seed=0, out=str(tmp_path / "e.html"), model="mlp", batch_size=5,
                           open=False)
    path = run_command(args, one_step)  # type: ignore[arg-type]
    text = path.read_text()
    assert "one step of --model mlp (batch 5)" in text and '"0.weight"' in text


@pytest.mark.parametrize("model", ["mlp", "cnn", "logistic", "autoencoder", "softmax"])
def test_run_command_with_the_clis_step(model: str, tmp_path: Path) -> None:
    from tinygrad_edu.cli import graph_of_one_step

    args = SimpleNamespace(seed=0, out=str(tmp_path / "e.html"), model=model, batch_size=2,
                           hidden=[8], activation="relu", dropout=None, positive=1, open=False)
    text = run_command(args, graph_of_one_step).read_text()  # type: ignore[arg-type]
    assert f"--model {model} (batch 2)" in text and '"images"' in text


def test_a_graph_of_a_hundred_nodes_is_quick() -> None:
    loss, model, names = big_step()
    start = time.perf_counter()
    text = explore_html(loss, model=model, params=names)
    assert time.perf_counter() - start < 5
    data = json.loads(re.search(r'type="application/json">(.*?)</script>', text, re.S).group(1))
    assert len(data["nodes"]) > 120 and len(text) < 2_000_000
    x_nodes = [n for n in data["nodes"] if n["name"] == "x"]
    assert len(x_nodes) == 1 and len(x_nodes[0]["consumers"]) == 2  # fc(x) and x + ...


def test_layout_of_a_diamond_and_a_skip() -> None:
    # 0 -> 1 -> 2 -> 3 and 0 -> 3: the long edge gets waypoints, ranks follow the edges
    placed = layout({i: (40.0, 30.0) for i in range(4)},
                    [(0, 1, 0), (1, 2, 0), (2, 3, 0), (0, 3, 1)], root=3)
    assert [placed.rank[i] for i in range(4)] == [0, 1, 2, 3]
    assert len(placed.routes[3]) == 4  # source, two waypoints, target
    assert placed.y[0] < placed.y[1] < placed.y[2] < placed.y[3]
