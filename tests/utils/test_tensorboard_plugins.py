"""SummaryWriter beyond scalars and images: histograms of NaN/inf and of values outside the
bins, ``add_histogram_raw``, ``add_tensor``, ``add_figure``, ``add_pr_curve(_raw)``,
``add_custom_scalars`` (and its two shortcuts), ``add_embedding`` (the projector's files),
and the PyTorch methods we do not write -- each compared with what
``torch.utils.tensorboard.SummaryWriter`` writes (or raises) for the same calls."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.utils._tensorboard import need, read

need("tensorboard", "pip install tinygrad_edu[tensorboard]")
torch = need("torch", "pip install tinygrad_edu[torch]")

from tensorboard.backend.event_processing.event_file_loader import (  # noqa: E402
    EventFileLoader,
)
from tensorboard.plugins.custom_scalar import layout_pb2  # noqa: E402
from torch.utils.tensorboard import SummaryWriter as TorchWriter  # noqa: E402

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu.utils.tensorboard import SummaryWriter  # noqa: E402
from tinygrad_edu.utils.tensorboard.writer import NOT_WRITTEN  # noqa: E402


def summaries(run: Path) -> list[tuple[int, float, bytes]]:
    found = []
    for path in sorted(run.glob("events.out.tfevents.*")):
        found += [(e.step, e.wall_time, e.summary.SerializeToString())
                  for e in EventFileLoader(str(path)).Load() if e.HasField("summary")]
    return found


def outcome(make: Callable[[], Any], run: Path, calls: Callable[[Any, Callable[[Any], Any]],
                                                                None],
            tensor: Callable[[Any], Any]) -> tuple[str, Any]:
    """('ok', the summaries written) or ('error', (exception type, message))."""
    with make() as w:
        try:
            calls(w, tensor)
        except Exception as e:  # noqa: BLE001 (compared with PyTorch's)
            return "error", (type(e), str(e))
    return "ok", summaries(run)


def assert_like_torch(tmp_path: Path, calls: Callable[[Any, Callable[[Any], Any]], None]
                      ) -> tuple[str, Any]:
    """Our writer does what PyTorch's does: the same summaries, or the same error."""
    ours = outcome(lambda: SummaryWriter(tmp_path / "ours"), tmp_path / "ours", calls,
                   lambda a: tg.tensor(np.asarray(a)))
    theirs = outcome(lambda: TorchWriter(str(tmp_path / "torch")), tmp_path / "torch", calls,
                     lambda a: torch.tensor(np.asarray(a)))
    if theirs[0] == "error":
        assert ours[0] == "error", ours
        assert issubclass(ours[1][0], theirs[1][0]) and ours[1][1] == theirs[1][1]
    else:
        assert ours[0] == "ok", ours
        assert ours[1] == theirs[1] and len(ours[1]) > 0
    return ours


# --------------------------------------------------------------------------- histograms

NAN, INF = float("nan"), float("inf")
HISTOGRAM_CASES = {
    "nan": ([1.0, NAN, 2.0], "tensorflow"),
    "inf": ([1.0, INF, 2.0], "tensorflow"),
    "minus_inf": ([1.0, -INF, 2.0], "tensorflow"),
    "only_nan": ([NAN, NAN], "tensorflow"),
    "nan_auto": ([1.0, NAN, 2.0], "auto"),
    "inf_count": ([1.0, INF], 7),
    "nan_edges": ([1.0, NAN, 2.0], [0.0, 1.5, 3.0]),
    "inf_edges": ([1.0, INF, -INF, 2.0], [0.0, 1.5, 3.0]),
    "all_outside": ([10.0, 20.0], [0.0, 1.0, 2.0]),
    "outside_between": ([-5.0, 3.0], [0.0, 1.0, 2.0]),
    "partly_outside": ([0.5, 10.0, 20.0], [0.0, 1.0, 2.0]),
    "outside_one_bin": ([5.0], [0.0, 1.0]),  # PyTorch writes the single empty bin
    "left_outside": ([-5.0, 0.5, 1.5], [0.0, 1.0, 2.0]),
    "empty": ([], "tensorflow"),
    "empty_edges": ([], [0.0, 1.0]),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy on NaN/inf, both sides
@pytest.mark.parametrize("case", list(HISTOGRAM_CASES))
def test_histogram_of_nan_inf_and_outside_values_like_torch(tmp_path, case):
    values, bins = HISTOGRAM_CASES[case]

    def calls(w, tensor):
        w.add_histogram("h", tensor(np.array(values, np.float32)), 1, bins=bins, walltime=1.0)

    status, _ = assert_like_torch(tmp_path, calls)
    expected = {"nan": "ok", "inf": "ok", "minus_inf": "ok", "nan_edges": "ok",
                "inf_edges": "ok", "partly_outside": "ok", "outside_one_bin": "ok",
                "left_outside": "ok"}.get(case, "error")
    assert status == expected
    if case == "inf_edges":
        h = read(tmp_path / "ours").Histograms("h")[0].histogram_value
        assert (h.min, h.max, h.num, sum(h.bucket)) == (-INF, INF, 4, 2)


@pytest.mark.parametrize("counts", [[0, 3, 1], [2, 5]], ids=["three", "mismatch"])
def test_histogram_raw_like_torch(tmp_path, counts):
    def calls(w, tensor):
        w.add_histogram_raw("raw", min=0.5, max=2.5, num=4, sum=6.0, sum_squares=11.0,
                            bucket_limits=[0.0, 1.0, 3.0], bucket_counts=counts,
                            global_step=2, walltime=1.0)

    status, _ = assert_like_torch(tmp_path, calls)
    assert status == ("ok" if len(counts) == 3 else "error")


# --------------------------------------------------------------------------- add_tensor


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int64, np.int32,
                                   np.int16, np.int8, np.uint8, np.bool_])
def test_add_tensor_like_torch(tmp_path, dtype):
    values = (np.arange(6).reshape(2, 3) - 2).astype(dtype)

    def calls(w, tensor):
        w.add_tensor("t", tensor(values), 3, walltime=1.0)

    assert_like_torch(tmp_path, calls)


# --------------------------------------------------------------------------- PR curves


def _classifier_outputs(n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    labels = rng.random(n) < 0.4
    predictions = np.clip(labels * 0.3 + rng.random(n) * 0.7, 0, 1).astype(np.float32)
    return labels, predictions


@pytest.mark.parametrize("num_thresholds", [127, 10, 2, 500])
@pytest.mark.parametrize("weighted", [False, True])
def test_pr_curve_like_torch(tmp_path, num_thresholds, weighted):
    labels, predictions = _classifier_outputs()
    weights = np.linspace(0.5, 2, len(labels)) if weighted else None

    def calls(w, tensor):
        w.add_pr_curve("pr", tensor(labels), tensor(predictions), 5,
                       num_thresholds=num_thresholds, weights=weights, walltime=1.0)

    assert_like_torch(tmp_path, calls)
    (event,) = read(tmp_path / "ours").Tensors("pr")
    curve = np.array(event.tensor_proto.float_val).reshape(6, -1)
    assert curve.shape[1] == min(num_thresholds, 127)
    if not weighted:  # threshold 0: every example is predicted positive
        assert (curve[0, 0], curve[1, 0]) == (labels.sum(), (~labels).sum())
        assert curve[5, 0] == 1.0  # recall


def test_pr_curve_raw_like_torch(tmp_path):
    tp, fp = np.array([5.0, 4, 2, 0]), np.array([5.0, 2, 1, 0])
    tn, fn = 5 - fp, 5 - tp
    precision, recall = tp / np.maximum(tp + fp, 1), tp / 5

    def calls(w, tensor):
        w.add_pr_curve_raw("raw", tensor(tp), tensor(fp), tensor(tn), tensor(fn),
                           tensor(precision), tensor(recall), 1, num_thresholds=4,
                           walltime=1.0)

    assert_like_torch(tmp_path, calls)


def test_bad_pr_curves(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match="same shape"):
            w.add_pr_curve("pr", [1, 0, 1], [0.2, 0.4])
        with pytest.raises(ValueError, match="num_thresholds must be an integer >= 2"):
            w.add_pr_curve("pr", [1, 0], [0.2, 0.4], num_thresholds=1)
        with pytest.raises(ValueError, match="one length"):
            w.add_pr_curve_raw("raw", [1, 2], [1], [1], [1], [1], [1], num_thresholds=2)


# --------------------------------------------------------------------------- custom scalars


LAYOUT = {"Taiwan": {"twse": ["Multiline", ["twse/0050", "twse/2330"]]},
          "USA": {"dow": ["Margin", ["dow/aaa", "dow/bbb", "dow/ccc"]],
                  "nasdaq": ["Margin", ["nasdaq/aaa", "nasdaq/bbb", "nasdaq/ccc"]]}}


@pytest.mark.parametrize("how", ["layout", "multiline", "margin", "margin_two_tags"])
def test_custom_scalars_like_torch(tmp_path, how):
    def calls(w, tensor):
        if how == "layout":
            w.add_custom_scalars(LAYOUT)
        elif how == "multiline":
            w.add_custom_scalars_multilinechart(["loss/train", "loss/test"], title="losses")
        elif how == "margin":
            w.add_custom_scalars_marginchart(["acc", "acc_lo", "acc_hi"], category="c")
        else:
            w.add_custom_scalars_marginchart(["acc", "acc_lo"])

    # the event's wall time is the time of writing: compare the summaries alone
    def without_time(result: tuple[str, Any]) -> Any:
        return result if result[0] == "error" else [s for _, _, s in result[1]]

    ours = outcome(lambda: SummaryWriter(tmp_path / "ours"), tmp_path / "ours", calls, None)
    theirs = outcome(lambda: TorchWriter(str(tmp_path / "torch")), tmp_path / "torch", calls,
                     None)
    if how == "margin_two_tags":
        assert ours[0] == theirs[0] == "error"
        assert issubclass(ours[1][0], theirs[1][0]) and ours[1][1] == theirs[1][1]
        return
    assert without_time(ours) == without_time(theirs)
    (tensor_event,) = read(tmp_path / "ours").Tensors("custom_scalars__config__")
    layout = layout_pb2.Layout.FromString(tensor_event.tensor_proto.string_val[0])
    assert layout.category[0].chart[0].title in ("twse", "losses", "untitled")


def test_bad_custom_scalar_layouts(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(AssertionError, match="Expected 3 tags, got 2"):
            w.add_custom_scalars({"c": {"m": ["Margin", ["a", "b"]]}})
        with pytest.raises(ValueError, match="'Multiline' or 'Margin', got 'Lines'"):
            w.add_custom_scalars({"c": {"m": ["Lines", ["a", "b"]]}})
        with pytest.raises(TypeError, match="dict of categories"):
            w.add_custom_scalars(["a"])


# --------------------------------------------------------------------------- figures


def _figure(seed: int) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1.5), dpi=50)
    ax = fig.add_subplot()
    ax.plot(np.random.default_rng(seed).random(10))
    ax.set_title(f"figure {seed}")
    return fig


@pytest.mark.parametrize("many", [False, True], ids=["one", "list"])
def test_add_figure_like_torch(tmp_path, many):
    need("matplotlib", "pip install tinygrad_edu[plot]")
    import matplotlib.pyplot as plt

    figures = [_figure(0), _figure(1), _figure(2)] if many else _figure(0)
    with SummaryWriter(tmp_path / "ours") as w:
        w.add_figure("fig", figures, 2, close=False, walltime=1.0)
    with TorchWriter(str(tmp_path / "torch")) as w:
        w.add_figure("fig", figures, 2, close=False, walltime=1.0)
    assert summaries(tmp_path / "ours") == summaries(tmp_path / "torch")
    (image,) = read(tmp_path / "ours").Images("fig")
    assert (image.width, image.height) == ((300 if many else 100), 75)

    fig = plt.figure(figsize=(1, 1), dpi=20)
    with SummaryWriter(tmp_path / "closed") as w:
        w.add_figure("fig", fig)  # close=True: pyplot forgets it
    assert not plt.fignum_exists(fig.number)


def test_add_figure_errors(tmp_path, monkeypatch):
    with SummaryWriter(tmp_path) as w:
        need("matplotlib", "pip install tinygrad_edu[plot]")
        with pytest.raises(TypeError, match="expected a matplotlib Figure"):
            w.add_figure("fig", np.zeros((3, 4, 4)))
        for module in ("matplotlib", "matplotlib.pyplot", "matplotlib.figure",
                       "matplotlib.backends.backend_agg"):
            monkeypatch.setitem(sys.modules, module, None)
        with pytest.raises(ImportError, match=r"tinygrad_edu\[plot\]"):
            w.add_figure("fig", object())


# --------------------------------------------------------------------------- embeddings


def files(run: Path) -> dict[str, bytes]:
    """Every file the projector reads, by path inside the run (event files left out)."""
    return {str(p.relative_to(run)): p.read_bytes() for p in sorted(run.rglob("*"))
            if p.is_file() and "tfevents" not in p.name}


def test_embeddings_write_pytorchs_projector_files(tmp_path, capsys):
    need("PIL", "pip install tinygrad_edu[vision]")
    rng = np.random.default_rng(0)
    mat = rng.normal(size=(10, 5)).astype(np.float32)
    images = rng.random((10, 1, 6, 6)).astype(np.float32)
    labels = [f"class {i % 3}" for i in range(10)]
    table = [[i, i % 3, "odd" if i % 2 else "even"] for i in range(10)]

    def calls(w: Any, tensor: Callable[[Any], Any]) -> None:
        w.add_embedding(tensor(mat))
        w.add_embedding(tensor(mat[:4]), metadata=labels[:4], global_step=3, tag="a/b%c")
        w.add_embedding(tensor(mat), metadata=table, metadata_header=["i", "class", "parity"],
                        label_img=tensor(images), global_step=7, tag="features")
        w.add_embedding(tensor(mat[:3] * 10), label_img=tensor(rng_images[:3]), global_step=7,
                        tag="rgb")
        w.add_embedding(tensor(mat.astype(np.int64)), global_step=7)  # integer points

    rng_images = np.random.default_rng(1).random((3, 3, 4, 4))
    with SummaryWriter(tmp_path / "ours") as w:
        calls(w, lambda a: tg.tensor(np.asarray(a)))
    with TorchWriter(str(tmp_path / "torch")) as w:
        calls(w, lambda a: torch.tensor(np.asarray(a)))
    ours, theirs = files(tmp_path / "ours"), files(tmp_path / "torch")
    assert ours.keys() == theirs.keys()
    assert {"projector_config.pbtxt", "00000/default/tensors.tsv",
            "00003/a%2fb%25c/metadata.tsv", "00007/features/sprite.png"} <= ours.keys()
    for path in ours:
        assert ours[path] == theirs[path], path
    assert capsys.readouterr().out == ""  # no step used twice for one tag


def test_embedding_step_used_twice_warns_like_torch(tmp_path, capsys):
    for writer in (SummaryWriter(tmp_path / "ours"), TorchWriter(str(tmp_path / "torch"))):
        with writer as w:
            w.add_embedding(np.ones((2, 2)), global_step=1)
            w.add_embedding(np.ones((2, 2)), global_step=1)
    out = capsys.readouterr().out.splitlines()
    assert out == ["warning: Embedding dir exists, did you set global_step for "
                   "add_embedding()?"] * 2


@pytest.mark.parametrize("kwargs, message", [
    ({"mat": np.ones(3)}, "mat should be 2D"),
    ({"mat": np.ones((3, 2)), "metadata": ["a", "b"]}, "#labels should equal with #data"),
    ({"mat": np.ones((2, 2)), "metadata": [[1, 2], [3, 4]], "metadata_header": ["x"]},
     "len of header must be equal to the number of columns"),
    ({"mat": np.ones((2, 2)), "label_img": np.ones((3, 1, 2, 2))},
     "#images should equal with #data points"),
])
def test_bad_embeddings_raise_pytorchs_assertions(tmp_path, kwargs, message):
    with SummaryWriter(tmp_path) as w, pytest.raises(AssertionError, match=message):
        w.add_embedding(**kwargs)
    assert not (tmp_path / "projector_config.pbtxt").exists()  # checked before writing


# --------------------------------------------------------------------------- the rest


def test_every_pytorch_method_exists(tmp_path):
    public = {n for n in dir(TorchWriter) if not n.startswith("_")}
    assert public <= {n for n in dir(SummaryWriter) if not n.startswith("_")}


@pytest.mark.parametrize("method", sorted(NOT_WRITTEN))
def test_methods_we_do_not_write_say_so(tmp_path, method):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(NotImplementedError, match=rf"SummaryWriter\.{method}: "
                                                      "tinygrad_edu does not write"):
            getattr(w, method)("tag", np.zeros((1, 2)))
    assert summaries(tmp_path) == []
