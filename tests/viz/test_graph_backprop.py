"""``viz.graph`` after backward: the values and gradients in the labels (parsed back and compared
with ``.grad`` and with what ``watch()`` recorded), summaries of large tensors, saved values and
settings as torchviz, freed saved values, anomaly marks, formulas in tooltips, argument checks,
the CLI's options and the gallery script."""

from __future__ import annotations

import os
import re
import runpy
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.cli import main as cli_main
from tinygrad_edu.nn import functional as F
from tinygrad_edu.viz import graph as G
from tinygrad_edu.viz.formulas import formula
from tinygrad_edu.viz.graph import WATCH_HINT, to_dot

from .test_graph import Dot, parse

HAS_DOT = shutil.which("dot") is not None
# Graphviz is optional locally, required under CI (the gallery test must run there)
needs_dot = pytest.mark.skipif(not HAS_DOT and os.environ.get("CI") != "true",
                               reason="Graphviz 'dot' is not installed")
NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|nan|inf)")
GALLERY = Path(__file__).resolve().parents[2] / "docs" / "gallery" / "make_gallery.py"


def dot_of(root: object, **kwargs: object) -> Dot:
    kwargs.setdefault("legend", False)
    return parse(to_dot(root, **kwargs))  # type: ignore[arg-type]


def field(label: str, prefix: str) -> str | None:
    """The text of a label's ``prefix ...`` entry with its continuation lines (indented)."""
    parts = label.split(" | ")
    for i, part in enumerate(parts):
        if part.startswith(prefix + " "):
            text = [part[len(prefix) + 1:]]
            for more in parts[i + 1:]:
                if not more.startswith(" "):
                    break
                text.append(more)
            return " ".join(text)
    return None


def numbers(label: str, prefix: str) -> np.ndarray:
    text = field(label, prefix)
    assert text is not None, f"no {prefix!r} in {label!r}"
    return np.array([float(v) for v in NUMBER.findall(text)])


def summary(label: str, prefix: str) -> dict[str, float]:
    text = field(label, prefix)
    assert text is not None, f"no {prefix!r} in {label!r}"
    found = re.findall(r"(norm|mean|max \|x\|) (" + NUMBER.pattern + ")", text)
    return {k: float(v) for k, v in found}


def close(shown: np.ndarray, array: np.ndarray) -> None:
    """Four significant digits, as the labels print them."""
    np.testing.assert_allclose(shown, np.asarray(array, np.float64).ravel(), rtol=1e-3,
                               atol=1e-7)


def xor_step() -> tuple[nn.Module, tg.Tensor, tg.Tensor, tg.Tensor]:
    tg.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
    x = tg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = tg.tensor([[0.0], [1.0], [1.0], [0.0]])
    with tg.autograd.watch():
        loss = F.mse_loss(net(x), y)
        loss.backward()
    return net, x, y, loss


# ---------------------------------------------------------------------------- values, gradients


def test_before_and_after_backward_the_same_graph_now_with_gradients() -> None:
    w = tg.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    b = tg.tensor([0.1, -0.2], requires_grad=True)
    loss = (tg.tensor([[1.0, 2.0]]) @ w + b).tanh().sum()
    before = dot_of(loss, params={"w": w, "b": b})
    assert all(field(label, "grad") is None for label in before.labels.values())
    loss.backward()
    after = dot_of(loss, params={"w": w, "b": b})
    assert after.edges == before.edges and after.order == before.order
    assert after.kinds == before.kinds
    for name, p in (("w", w), ("b", b)):
        close(numbers(after.labels[after.find(name)[0]], "grad"), p.grad.numpy())
    # nodes keep no values: without watch() the ops show no gradient rather than a wrong one
    assert all(field(after.labels[n], "grad") is None for n in after.ids("op"))
    assert to_dot(loss, params={"w": w}, show_grad=False) == to_dot(
        loss, params={"w": w}, show_grads=False)


def test_watch_every_value_and_gradient_equals_the_recorded_and_the_grads() -> None:
    net, x, y, loss = xor_step()
    g = dot_of(loss, model=net, params={"x": x, "y": y}, show_values=True)
    for name, p in net.named_parameters():
        label = g.labels[g.find(name)[0]]
        close(numbers(label, "data"), p.data.numpy())
        close(numbers(label, "grad"), p.grad.numpy())
    nodes = [n for n in G.walk([loss.grad_fn], None, None) if not isinstance(
        n, tg.autograd.AccumulateGrad)]
    ops = g.ids("op")
    for node_id, node in zip(ops, nodes, strict=True):
        label = g.labels[node_id]
        assert label.startswith(type(node).__name__)
        if node is loss.grad_fn:  # the loss op's values are on the output box
            assert field(label, "data") is None and field(label, "grad") is None
            continue
        close(numbers(label, "data"), node.recorded.output)
        close(numbers(label, "grad"), node.recorded.grad)
    (out,) = g.ids("output")
    close(numbers(g.labels[out], "data"), loss.detach().numpy())
    assert numbers(g.labels[out], "grad").tolist() == [1.0]  # d loss / d loss
    # the data inputs, named by params, drawn once each, grey, with their values
    (xb,), (yb,) = g.find("x"), g.find("y")
    assert g.kinds[xb] == g.kinds[yb] == "data"
    close(numbers(g.labels[xb], "data"), x.numpy())
    assert (xb, g.find("Linear")[0]) in g.edges and (yb, g.find("MSELoss")[0]) in g.edges


def test_retained_gradient_and_the_recorded_gradient_agree() -> None:
    a = tg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    with tg.autograd.watch():
        h = a * a
        h.retain_grad()
        loss = (h * tg.tensor([0.5, 1.0, 2.0])).sum()
        loss.backward()
    g = dot_of(loss, params={"a": a, "h": h}, show_values=True)
    label = g.labels[g.find("h = Mul")[0]]
    close(numbers(label, "grad"), h.grad.numpy())
    close(numbers(label, "grad"), h.grad_fn.recorded.grad)
    assert "input 2 = " not in label  # a (3,) constant is a grey box, not a line
    (data,) = g.ids("data")
    assert g.labels[data].startswith("input 2 of Mul")
    close(numbers(g.labels[data], "data"), [0.5, 1.0, 2.0])


def test_scalar_constants_are_a_line_on_their_op() -> None:
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.autograd.watch():
        loss = (a * 3.0).sum()
    g = dot_of(loss, show_values=True)
    assert "input 2 = 3" in g.labels[g.find("Mul")[0]] and not g.ids("data")
    assert not dot_of(loss).ids("data")  # the default picture stays clean


def test_without_watch_values_of_intermediates_are_not_shown_and_the_legend_says_why() -> None:
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = (w.exp() * w).sum()
    g = dot_of(loss, params={"w": w}, show_values=True)
    assert all(field(g.labels[n], "data") is None for n in g.ids("op"))
    assert WATCH_HINT in to_dot(loss, show_values=True)
    assert WATCH_HINT not in to_dot(loss)  # the default picture: no hint
    loss.backward()
    assert WATCH_HINT in to_dot(loss)  # gradients known for w only: the hint
    with tg.autograd.watch():
        again = (w.exp() * w).sum()
        again.backward()
    assert WATCH_HINT not in to_dot(again, show_values=True)


def test_large_tensors_show_norm_mean_and_max_abs() -> None:
    tg.manual_seed(1)
    layer = nn.Linear(30, 20)
    with tg.autograd.watch():
        out = layer(tg.randn(8, 30))
        loss = (out * out).mean()
        loss.backward()
    g = dot_of(loss, model=layer, show_values=True)
    for name, p in layer.named_parameters():
        label = g.labels[g.find(name)[0]]
        for prefix, array in (("data", p.data.numpy()), ("grad", p.grad.numpy())):
            shown = summary(label, prefix)
            a = array.astype(np.float64)
            expected = {"norm": np.linalg.norm(a), "mean": a.mean(),
                        "max |x|": np.abs(a).max()}
            assert shown.keys() == expected.keys()
            for key, value in expected.items():
                assert shown[key] == pytest.approx(value, rel=1e-3, abs=1e-9), key
    linear = g.labels[g.find("Linear")[0]]
    assert summary(linear, "grad")["norm"] == pytest.approx(
        np.linalg.norm(out.grad_fn.recorded.grad), rel=1e-3)


def test_summary_numbers_and_value_lines() -> None:
    a = np.arange(20, dtype=np.float32) - 10
    assert G.summarize(a) == "norm 25.88, mean -0.5, max |x| 10"  # sqrt(670)
    assert G.summarize(np.array([[1.0, 2.0], [3.0, 4.0]])) == "[[1, 2],  [3, 4]]"
    assert G.summarize(np.array([True, False])) == "[1, 0]"
    assert G.summarize(np.full(20, np.nan)) == "20 NaN"


# ---------------------------------------------------------------------------- saved and settings


def _saved(label: str) -> dict[str, str]:
    return dict(re.findall(r"saved (\w+): ([^|]+?)(?: \||$)", label))


def test_saved_values_as_torchviz_and_freed_after_backward() -> None:
    a = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = tg.tensor([[0.5], [-1.0]], requires_grad=True)
    loss = (a @ b).relu().sum()
    g = dot_of(loss, params={"a": a, "b": b}, show_saved=True)
    matmul = _saved(g.labels[g.find("MatMul")[0]])
    assert matmul == {"self": "(2, 2) float32 [[1, 2],  [3, 4]]",
                      "other": "(2, 1) float32 [0.5, -1]"}
    assert _saved(g.labels[g.find("ReLU")[0]]) == {"result": "(2, 1) float32 [0, 0]"}
    assert "saved" not in g.labels[g.find("Sum")[0]]  # a sum saves nothing
    loss.backward(retain_graph=True)
    assert _saved(dot_of(loss, show_saved=True).labels[g.find("MatMul")[0]]) == matmul
    loss.backward()
    freed = dot_of(loss, show_saved=True)
    for op in ("MatMul", "ReLU"):
        assert "saved: freed by backward()" in freed.labels[freed.find(op)[0]]


def _settings(label: str) -> str:
    return " ".join(p.strip() for p in label.split(" | ") if "=" in p)


def test_settings_of_conv_sum_and_cross_entropy() -> None:
    conv = nn.Conv2d(1, 2, 3, stride=2, padding=1)
    y = conv(tg.randn(1, 1, 5, 5)).sum(dim=1, keepdim=True)
    loss = F.cross_entropy(y.flatten(1), tg.tensor([3]))
    g = dot_of(loss, show_attrs=True, show_saved=True)
    conv_label = g.labels[g.find("Convolution")[0]]
    settings = _settings(conv_label)
    for expected in ("kernel=(3, 3)", "stride=(2, 2)", "padding=(1, 1)", "dilation=(1, 1)",
                     "groups=1"):
        assert expected in settings
    assert "spatial" not in settings and "recorded" not in settings
    assert set(_saved(conv_label)) == {"self", "other", "saved2"}  # x, W and the columns
    sum_settings = _settings(g.labels[g.find("Sum")[0]])
    assert "dim=(1,)" in sum_settings and "keepdim=True" in sum_settings
    assert "reduction='mean'" in _settings(g.labels[g.find("CrossEntropy")[0]])
    assert "=" not in dot_of(loss).labels[g.find("Sum")[0]]  # only when asked


def test_anomaly_and_watch_fields_are_not_settings() -> None:
    a = tg.tensor([0.0, 1.0], requires_grad=True)
    with pytest.raises(FloatingPointError) as err, tg.autograd.detect_anomaly(), \
            tg.autograd.watch(), np.errstate(divide="ignore"):
        a.log().sum()
    node = err.value.tensor.grad_fn  # type: ignore[attr-defined]
    assert "recorded" in node.__dict__ and "anomaly" in node.__dict__
    assert not G.D.settings(node)


# ---------------------------------------------------------------------------- anomaly, formulas


def test_forward_anomaly_is_drawn_red_with_its_message() -> None:
    w = tg.tensor([1.0, 0.0], requires_grad=True)
    with pytest.raises(FloatingPointError) as err, tg.autograd.detect_anomaly(), \
            np.errstate(divide="ignore"):
        (w * 2).log()
    drawn = err.value.tensor  # type: ignore[attr-defined]
    g = dot_of(drawn)
    (red,) = g.ids("anomaly")
    assert g.labels[red].startswith("Log")
    assert "forward of Log produced inf" in g.labels[red].replace(" |   ", " ")
    assert g.tooltips[red].startswith("detect_anomaly: forward of Log produced inf")
    assert all(g.kinds[n] != "anomaly" for n in g.order if n != red)
    assert "NaN/inf" in to_dot(drawn)  # the legend explains the colour


def test_backward_anomaly_marks_the_node_whose_gradient_is_nan() -> None:
    b = tg.tensor([0.0, 4.0], requires_grad=True)
    s = b.sqrt().sum()
    with pytest.raises(FloatingPointError) as err, tg.autograd.detect_anomaly(), \
            np.errstate(divide="ignore"):
        s.backward()  # d sqrt(b)/db = inf at 0
    assert type(err.value.node).__name__ == "Sqrt"  # type: ignore[attr-defined]
    g = dot_of(s)
    (red,) = g.ids("anomaly")
    assert g.labels[red].startswith("Sqrt") and "backward of SqrtBackward0" in g.tooltips[red]


def test_every_op_of_a_graph_has_its_formula_in_the_tooltip_and_label_on_request() -> None:
    net, x, y, loss = xor_step()
    tg.manual_seed(2)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(2, 3))
    big = F.cross_entropy(model(tg.randn(2, 1, 4, 4)), tg.tensor([0, 2])) + loss
    g = dot_of(big, show_formula=True)
    ops = [n for n in G.walk([big.grad_fn], None, None)]
    ids = g.ids("op") + g.ids("param")
    classes = {type(n).__name__ for n in ops}
    assert {"Convolution", "BatchNorm", "MaxPoolTiled", "Linear", "CrossEntropy", "MSELoss",
            "Sigmoid", "Add"} <= classes
    by_name = {type(n).__name__: n for n in ops}
    for node_id in ids:
        op = g.labels[node_id].split(" | ")[0]
        if g.kinds[node_id] == "param":
            assert "leaf.grad += g" in g.tooltips[node_id]
            continue
        text = formula(by_name[op]).replace("\n", "\\n")
        assert g.tooltips[node_id].startswith(f"{op}: {text[:30]}")
        first = formula(by_name[op]).split()[:4]  # the formula's first words, in the label
        assert " ".join(first) in g.labels[node_id].replace(" |   ", " ")
    assert "dz/da" not in dot_of(big).labels[g.find("Add")[0]]  # only when asked


# ---------------------------------------------------------------------------- arguments


@pytest.mark.parametrize("flag", ["show_values", "show_grad", "show_grads", "show_saved",
                                  "show_attrs", "show_formula", "legend"])
@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_flags_must_be_bools(flag: str, bad: object) -> None:
    y = tg.tensor([1.0], requires_grad=True) * 2
    if flag == "show_grads" and bad is None:
        assert to_dot(y, show_grads=None) == to_dot(y)  # None: the alias is not given
        return
    with pytest.raises(TypeError, match=f"{flag} must be True or False"):
        to_dot(y, **{flag: bad})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=f"{flag} must be True or False"):
        G.draw_graph(y, **{flag: bad})  # type: ignore[arg-type]


def test_other_bad_arguments() -> None:
    y = tg.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(ValueError, match="another name for show_grad"):
        to_dot(y, show_grad=False, show_grads=True)
    assert to_dot(y, show_grads=True) == to_dot(y)
    with pytest.raises(TypeError, match="params must map names"):
        to_dot(y, params=[y])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="max_nodes must be an int"):
        to_dot(y, max_nodes=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rankdir"):
        to_dot(y, rankdir=1)  # type: ignore[arg-type]
    assert to_dot(y, show_values=np.bool_(True))  # NumPy bools are bools


# ---------------------------------------------------------------------------- CLI and gallery


def test_cli_graph_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "plain.dot"
    assert cli_main(["graph", "--model", "softmax", "--batch-size", "2", "--out", str(plain)]) == 0
    rich = tmp_path / "rich.dot"
    assert cli_main(["graph", "--model", "mlp", "--hidden", "3", "--batch-size", "2", "--grad",
                     "--values", "--saved", "--attrs", "--formula", "--out", str(rich)]) == 0
    assert "graph: " in capsys.readouterr().out
    before, after = parse(plain.read_text()), parse(rich.read_text())
    assert all(field(label, "grad") is None for label in before.labels.values())
    (relu,) = after.find("ReLU")
    label = after.labels[relu]
    assert field(label, "grad") is not None and field(label, "data") is not None  # watched
    assert "saved: freed by backward()" in label and "dz/dx = [x > 0]" in label
    assert "reduction='mean'" in after.labels[after.find("CrossEntropy")[0]]
    (loss,) = after.find("loss")
    assert numbers(after.labels[loss], "grad").tolist() == [1.0]
    assert {after.labels[n].split(" | ")[0] for n in after.ids("data")} == {"images", "labels"}
    watched = tmp_path / "watched.dot"
    assert cli_main(["graph", "--model", "softmax", "--batch-size", "2", "--watch", "--out",
                     str(watched)]) == 0
    assert parse(watched.read_text()).order == before.order  # watch alone: the same picture


@needs_dot
def test_the_gallery_script_draws_every_picture(tmp_path: Path) -> None:
    if not hasattr(tg, "unfused"):
        pytest.skip("tg.unfused() is not there yet")
    old_argv = sys.argv
    sys.argv = [str(GALLERY), "--out", str(tmp_path)]
    try:
        with pytest.raises(SystemExit) as done:
            runpy.run_path(str(GALLERY), run_name="__main__")
    finally:
        sys.argv = old_argv
    assert done.value.code == 0
    made = sorted(p.name for p in tmp_path.glob("*.png"))
    assert made == ["anomaly_log0.png", "cnn_step.png", "seed001_mlp_grads.png",
                    "softmax_unfused.png", "xor_micrograd.png"]
    for png in tmp_path.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
