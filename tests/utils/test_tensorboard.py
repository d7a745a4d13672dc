"""SummaryWriter: what it writes, read back with TensorBoard's own readers and compared with
what torch.utils.tensorboard.SummaryWriter writes for the same calls.

The graph (tests/utils/test_tensorboard_graph.py), a live ``tensorboard`` server
(test_tensorboard_server.py) and ``fit``/seed 004 (test_tensorboard_fit.py) have their files.
"""

from __future__ import annotations

import io
import re
import socket
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.layouts import LAYOUTS, in_layout
from tests.utils._tensorboard import need, read, scalars

need("tensorboard", "pip install tinygrad_edu[tensorboard]")
torch = need("torch", "pip install tinygrad_edu[torch]")

from tensorboard.backend.event_processing.event_file_loader import (  # noqa: E402
    EventFileLoader,
)
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402
from torch.utils.tensorboard import SummaryWriter as TorchWriter  # noqa: E402

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu.utils.tensorboard import (  # noqa: E402
    SummaryWriter,
    TensorBoardInputError,
    default_log_dir,
)


def events(run: Path) -> list[Any]:
    """Every Event of the run's event files but the file-version header, in order."""
    found = []
    for path in sorted(run.glob("events.out.tfevents.*")):
        found += [e for e in EventFileLoader(str(path)).Load() if not e.HasField("file_version")]
    return found


def summaries(run: Path) -> list[tuple[int, float, bytes]]:
    """(step, wall_time, serialized Summary) of each summary event."""
    return [(e.step, e.wall_time, e.summary.SerializeToString())
            for e in events(run) if e.HasField("summary")]


def ours_and_torch(tmp_path: Path, calls: Callable[[Any, Callable[[Any], Any]], None]
                   ) -> tuple[Path, Path]:
    """Run ``calls(writer, tensor)`` with our writer and our tensors, then with PyTorch's
    writer and torch tensors; return both run folders."""
    ours, theirs = tmp_path / "ours", tmp_path / "torch"
    with SummaryWriter(ours) as w:
        calls(w, lambda a: tg.tensor(np.asarray(a)))
    with TorchWriter(str(theirs)) as w:
        calls(w, lambda a: torch.tensor(np.asarray(a)))
    return ours, theirs


def assert_same_summaries(ours: Path, theirs: Path) -> None:
    a, b = summaries(ours), summaries(theirs)
    assert len(a) == len(b) > 0
    assert a == b


# --------------------------------------------------------------------------- log_dir


def test_default_log_dir_is_pytorchs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = datetime.now().replace(microsecond=0)
    with SummaryWriter(comment="_lr0.1") as ours, TorchWriter(comment="_lr0.1") as theirs:
        after = datetime.now()
        for log_dir in (str(ours.log_dir), str(theirs.log_dir)):
            match = re.fullmatch(r"runs/([A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2})_(.+)_lr0\.1",
                                 log_dir)
            assert match, log_dir
            assert match.group(2) == socket.gethostname()
            stamp = datetime.strptime(match.group(1), "%b%d_%H-%M-%S").replace(year=before.year)
            assert before - timedelta(seconds=1) <= stamp <= after
        assert ours.get_logdir() == ours.log_dir
        assert list(Path(ours.log_dir).glob("events.out.tfevents.*"))
    assert default_log_dir(tmp_path / "out") == tmp_path / "out" / "tensorboard"


def test_log_dir_attribute_suffix_and_context_manager(tmp_path):
    run = tmp_path / "exp1"
    with SummaryWriter(run, filename_suffix=".v1") as w:
        assert w.log_dir == run and w.get_logdir() == run
        w.add_scalar("x", 1.0, 0)
    (file,) = run.glob("events.out.tfevents.*")
    assert file.name.endswith(".v1")
    assert w.all_writers is None  # closed by the with block
    assert scalars(run, "x") == [(0, 1.0)]


# --------------------------------------------------------------------------- scalars


def test_scalars_match_torch_events(tmp_path):
    def calls(w, tensor):
        w.add_scalar("loss", 0.5, 0, walltime=100.0)
        w.add_scalar("loss", tensor(0.25), 1, walltime=101.0)
        w.add_scalar("loss", tensor([[0.125]]), 2, walltime=102.0)  # one element, any shape
        w.add_scalar("loss", np.float32(0.0625), np.int64(3), walltime=103.0)
        w.add_scalar("count", 7, 4, walltime=104.0)
        w.add_scalar("flag", True, 5, walltime=105.0)
        w.add_scalar("new", 1.5, 6, walltime=106.0, new_style=True)
        w.add_scalar("new64", 1 / 3, 7, walltime=107.0, new_style=True, double_precision=True)
        w.add_scalar("nostep", 2.0, walltime=108.0)

    assert_same_summaries(*ours_and_torch(tmp_path, calls))
    acc = read(tmp_path / "ours")
    assert [(e.step, e.value) for e in acc.Scalars("loss")] == [
        (0, 0.5), (1, 0.25), (2, 0.125), (3, 0.0625)]
    assert [e.wall_time for e in acc.Scalars("loss")] == [100.0, 101.0, 102.0, 103.0]
    new = acc.Tensors("new64")[0].tensor_proto
    assert new.dtype == 2 and list(new.double_val) == [1 / 3]  # DT_DOUBLE


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_scalar_of_each_dtype(tmp_path, dtype):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("v", tg.tensor(np.array(3, dtype=dtype)), 1)
    assert scalars(tmp_path, "v") == [(1, 3.0)]


def test_add_scalars_writes_pytorchs_sub_runs(tmp_path):
    def calls(w, tensor):
        for step in range(3):
            w.add_scalars("loss/compare", {"train": tensor(1.0 / (step + 1)), "val": step},
                          step, walltime=50.0 + step)

    ours, theirs = ours_and_torch(tmp_path, calls)
    assert sorted(p.name for p in ours.iterdir() if p.is_dir()) == \
        sorted(p.name for p in theirs.iterdir() if p.is_dir()) == \
        ["loss_compare_train", "loss_compare_val"]
    for sub in ("loss_compare_train", "loss_compare_val"):
        assert_same_summaries(ours / sub, theirs / sub)
    assert scalars(ours / "loss_compare_val", "loss/compare") == [(0, 0), (1, 1), (2, 2)]


# --------------------------------------------------------------------------- histograms


@pytest.mark.parametrize("bins", ["tensorflow", "auto", "fd", "sturges", 7, [-3, -1, 0, 2, 5]])
def test_histograms_match_torch(tmp_path, bins):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(40, 25))

    def calls(w, tensor):
        w.add_histogram("w", tensor(values), 3, bins=bins, walltime=1.0)
        w.add_histogram("w", tensor(values * 10 + 4), 4, bins=bins, walltime=2.0)

    ours, theirs = ours_and_torch(tmp_path, calls)
    assert_same_summaries(ours, theirs)
    (first, second) = read(ours).Histograms("w")
    h = first.histogram_value
    assert (first.step, h.num, h.min, h.max) == (3, 1000, values.min(), values.max())
    inside = 1000 if not isinstance(bins, list) else int(
        ((values >= bins[0]) & (values <= bins[-1])).sum())  # explicit bins drop the rest
    assert h.sum == pytest.approx(values.sum()) and sum(h.bucket) == inside
    assert h.sum_squares == pytest.approx((values ** 2).sum())
    assert second.step == 4


@pytest.mark.parametrize("max_bins", [1, 3, 10, 64])
def test_max_bins_matches_torch(tmp_path, max_bins):
    values = np.linspace(-2, 7, 501) ** 3

    def calls(w, tensor):
        w.add_histogram("h", tensor(values), 0, bins="auto", max_bins=max_bins, walltime=1.0)

    assert_same_summaries(*ours_and_torch(tmp_path, calls))
    # as PyTorch: runs of len // max_bins bins are merged, so fewer than 2 max_bins remain
    assert len(read(tmp_path / "ours").Histograms("h")[0].histogram_value.bucket) <= \
        2 * max_bins + 1


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast")  # layouts: NaN padding
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_histogram_of_any_layout_and_dtype(tmp_path, layout, dtype):
    base = (np.arange(60).reshape(6, 10) % 13 - 6).astype(dtype)
    with SummaryWriter(tmp_path / "ours") as w:
        w.add_histogram("h", tg.tensor(in_layout(base, layout)), 0, walltime=1.0)
        w.add_histogram("h", in_layout(base, layout), 1, walltime=1.0)  # a NumPy array
    with TorchWriter(str(tmp_path / "torch")) as w:
        w.add_histogram("h", torch.tensor(base), 0, walltime=1.0)
        w.add_histogram("h", base, 1, walltime=1.0)
    assert_same_summaries(tmp_path / "ours", tmp_path / "torch")


# --------------------------------------------------------------------------- images


def decode(encoded: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(encoded)))


def images(run: Path, tag: str) -> list[np.ndarray]:
    return [decode(e.encoded_image_string) for e in read(run).Images(tag)]


def test_images_match_torch_and_decode_to_the_pixels(tmp_path):
    pytest.importorskip("PIL")
    rng = np.random.default_rng(1)
    chw = rng.random((3, 5, 7))
    hwc_u8 = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
    hw = rng.random((5, 4))
    gray = rng.random((1, 3, 3))
    rgba = rng.random((4, 2, 2))  # 4 channels, CHW
    wh = rng.random((6, 2))

    def calls(w, tensor):
        w.add_image("chw", tensor(chw), 0, walltime=1.0)
        w.add_image("hwc", tensor(hwc_u8), 0, walltime=1.0, dataformats="HWC")
        w.add_image("hw", hw, 0, walltime=1.0, dataformats="HW")
        w.add_image("gray", tensor(gray), 0, walltime=1.0)
        w.add_image("rgba", tensor(rgba), 0, walltime=1.0)
        w.add_image("wh", tensor(wh), 0, walltime=1.0, dataformats="WH")

    ours, theirs = ours_and_torch(tmp_path, calls)
    assert_same_summaries(ours, theirs)

    def scaled(a):  # PyTorch's rule: x 255, clipped, truncated to uint8
        return (a.astype(np.float32) * 255).clip(0, 255).astype(np.uint8)

    np.testing.assert_array_equal(images(ours, "chw")[0], scaled(chw.transpose(1, 2, 0)))
    np.testing.assert_array_equal(images(ours, "hwc")[0], hwc_u8)
    np.testing.assert_array_equal(images(ours, "hw")[0], np.stack([scaled(hw)] * 3, axis=2))
    np.testing.assert_array_equal(images(ours, "gray")[0], np.repeat(scaled(gray[0])[..., None],
                                                                     3, axis=2))
    np.testing.assert_array_equal(images(ours, "rgba")[0], scaled(rgba.transpose(1, 2, 0)))
    np.testing.assert_array_equal(images(ours, "wh")[0], np.stack([scaled(wh.T)] * 3, axis=2))
    event = read(ours).Images("chw")[0]
    assert (event.height, event.width) == (5, 7)


@pytest.mark.parametrize("n", [1, 5, 8, 10, 17])
def test_add_images_tiles_as_torch(tmp_path, n):
    pytest.importorskip("PIL")
    rng = np.random.default_rng(n)
    batch = rng.random((n, 3, 4, 5)).astype(np.float32)
    gray_nhwc = rng.integers(0, 256, (n, 4, 5, 1), dtype=np.uint8)

    def calls(w, tensor):
        w.add_images("rgb", tensor(batch), 2, walltime=1.0)
        w.add_images("gray", tensor(gray_nhwc), 2, walltime=1.0, dataformats="NHWC")

    ours, theirs = ours_and_torch(tmp_path, calls)
    assert_same_summaries(ours, theirs)
    grid = images(ours, "rgb")[0]
    cols = min(n, 8)
    rows = -(-n // cols)
    assert grid.shape == (rows * 4, cols * 5, 3)
    for i in range(n):  # image i at row i // 8, column i % 8
        r, c = divmod(i, cols)
        tile = grid[r * 4:(r + 1) * 4, c * 5:(c + 1) * 5]
        np.testing.assert_array_equal(tile, (batch[i].transpose(1, 2, 0) * 255).astype(np.uint8))
    if n % cols:
        assert not grid[(rows - 1) * 4:, (n % cols) * 5:].any()  # the rest of the row is black
    gray = images(ours, "gray")[0]
    np.testing.assert_array_equal(gray[:4, :5], np.repeat(gray_nhwc[0], 3, axis=2))


@pytest.mark.parametrize("shape, dataformats, message", [
    ((3, 4), "CHW", "2 dimensions"),
    ((3, 4, 5), "HW", "3 dimensions"),
    ((3, 4, 5), "CCW", "repeats"),
    ((3, 4, 5), "CHX", "order of"),
    ((2, 4, 5), "CHW", "1, 3 (RGB) or 4"),
    ((2, 2, 4, 5), "NCHW", "1 or 3 channels"),
    ((2, 4, 5, 3), "NCHW", "1 or 3 channels"),
])
def test_bad_images_are_refused_like_torch(tmp_path, shape, dataformats, message):
    pytest.importorskip("PIL")
    img = np.zeros(shape, np.float32)
    with SummaryWriter(tmp_path) as w, pytest.raises(TensorBoardInputError,
                                                     match=re.escape(message)):
        w.add_image("x", tg.tensor(img), dataformats=dataformats)
    assert issubclass(TensorBoardInputError, AssertionError)  # PyTorch raises AssertionError
    assert issubclass(TensorBoardInputError, ValueError)
    if message in ("2 dimensions", "3 dimensions", "repeats", "1 or 3 channels"):
        with TorchWriter(str(tmp_path / "torch")) as w, pytest.raises(AssertionError):
            w.add_image("x", img, dataformats=dataformats)


def test_images_without_pillow_name_the_vision_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with SummaryWriter(tmp_path) as w, pytest.raises(ImportError,
                                                     match=r"tinygrad_edu\[vision\]"):
        w.add_image("x", np.zeros((3, 2, 2)))


# --------------------------------------------------------------------------- text


def test_text_matches_torch(tmp_path):
    def calls(w, tensor):
        w.add_text("notes", "**lr** = 0.1, ünïcode", 0, walltime=1.0)
        w.add_text("notes", "second", 10, walltime=2.0)

    ours, theirs = ours_and_torch(tmp_path, calls)
    assert_same_summaries(ours, theirs)
    acc = read(ours)
    assert acc.SummaryMetadata("notes/text_summary").plugin_data.plugin_name == "text"
    written = [(e.step, e.tensor_proto.string_val[0].decode()) for e in
               acc.Tensors("notes/text_summary")]
    assert written == [(0, "**lr** = 0.1, ünïcode"), (10, "second")]


# --------------------------------------------------------------------------- hparams


def hparams_content(run: Path) -> dict[str, Any]:
    """tag -> the parsed HParamsPluginData of the run's hparams summaries."""
    found = {}
    for e in events(run):
        for v in e.summary.value:
            if v.metadata.plugin_data.plugin_name == "hparams":
                found[v.tag] = plugin_data_pb2.HParamsPluginData.FromString(
                    v.metadata.plugin_data.content)
    return found


def test_hparams_match_torch(tmp_path):
    hp = {"lr": 0.1, "batch": 32, "optimizer": "sgd", "skipped": None}
    metrics = {"hparam/accuracy": 0.91, "hparam/loss": tg.tensor(0.3)}
    domains = {"optimizer": ["sgd", "adam"], "batch": [16, 32]}
    with SummaryWriter(tmp_path / "ours") as w:
        w.add_hparams(hp, metrics, domains, run_name="trial")
    with TorchWriter(str(tmp_path / "torch")) as w:
        w.add_hparams(hp, {"hparam/accuracy": 0.91, "hparam/loss": torch.tensor(0.3)}, domains,
                      run_name="trial")
    ours, theirs = hparams_content(tmp_path / "ours/trial"), hparams_content(
        tmp_path / "torch/trial")
    assert set(ours) == {"_hparams_/experiment", "_hparams_/session_start_info",
                         "_hparams_/session_end_info"}
    assert ours == theirs
    start = ours["_hparams_/session_start_info"].session_start_info
    assert start.hparams["lr"].number_value == 0.1
    assert start.hparams["optimizer"].string_value == "sgd"
    assert "skipped" not in start.hparams
    exp = ours["_hparams_/experiment"].experiment
    assert [m.name.tag for m in exp.metric_infos] == ["hparam/accuracy", "hparam/loss"]
    assert [v.string_value for v in exp.hparam_infos[2].domain_discrete.values] == ["sgd",
                                                                                    "adam"]
    assert scalars(tmp_path / "ours/trial", "hparam/accuracy") == [(0, pytest.approx(0.91))]


def test_hparams_bool_is_a_bool_and_default_run_name_is_a_time(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"augment": True}, {"m": 1.0})
    (sub,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert float(sub.name) == pytest.approx(datetime.now().timestamp(), abs=60)
    content = hparams_content(sub)
    assert content["_hparams_/session_start_info"].session_start_info.hparams[
        "augment"].bool_value is True
    assert content["_hparams_/experiment"].experiment.hparam_infos[0].type == 2  # BOOL


@pytest.mark.parametrize("args, error, message", [
    (([("lr", 1)], {}), TypeError, "should be dictionary"),
    (({"lr": 1}, [1]), TypeError, "should be dictionary"),
    (({"lr": [1, 2]}, {}), ValueError, "should be one of"),
    (({"lr": 0.1}, {}, {"lr": [1, 2]}), TypeError, "same type"),
    (({"lr": 0.1}, {}, {"other": [1.0]}), TypeError, "same type"),
])
def test_bad_hparams_raise_like_torch(tmp_path, args, error, message):
    with SummaryWriter(tmp_path / "ours") as w, pytest.raises(error, match=message):
        w.add_hparams(*args)
    with TorchWriter(str(tmp_path / "torch")) as w, pytest.raises(error):
        w.add_hparams(*args)
    assert not [p for p in (tmp_path / "ours").iterdir() if p.is_dir()]  # nothing written


# --------------------------------------------------------------------------- lifetime


def test_purge_step_hides_what_came_after(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(10):
            w.add_scalar("x", step, step)
    with SummaryWriter(tmp_path, purge_step=5) as w:  # a restart from step 5
        for step in range(5, 8):
            w.add_scalar("x", 100 + step, step)
    assert scalars(tmp_path, "x") == [(s, s) for s in range(5)] + [
        (s, 100 + s) for s in range(5, 8)]


def test_flush_close_and_reopen(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=3600, max_queue=1000)
    w.add_scalar("x", 1.0, 0)
    w.flush()
    assert scalars(tmp_path, "x") == [(0, 1.0)]
    w.close()
    w.close()  # again: nothing happens
    w.add_scalar("x", 2.0, 1)  # after close: a new event file
    w.close()
    assert len(list(tmp_path.glob("events.out.tfevents.*"))) == 2
    assert scalars(tmp_path, "x") == [(0, 1.0), (1, 2.0)]
    assert repr(w) == f"SummaryWriter(log_dir={str(tmp_path)!r})"


# --------------------------------------------------------------------------- bad input


def test_non_scalar_to_add_scalar_fails_like_torch(tmp_path):
    with SummaryWriter(tmp_path / "ours") as w, pytest.raises(
            TensorBoardInputError, match=r"one element, got shape \(3,\)"):
        w.add_scalar("x", tg.tensor([1.0, 2.0, 3.0]), 0)
    with TorchWriter(str(tmp_path / "torch")) as w, pytest.raises(AssertionError):
        w.add_scalar("x", torch.tensor([1.0, 2.0, 3.0]), 0)


@pytest.mark.parametrize("value", ["1.0", None, {"a": 1}, np.array(["a"]), 1 + 2j])
def test_non_numbers_are_type_errors(tmp_path, value):
    with SummaryWriter(tmp_path) as w, pytest.raises(TypeError, match="add_scalar"):
        w.add_scalar("x", value, 0)


@pytest.mark.parametrize("step", [1.5, "3", True])
def test_global_step_must_be_an_integer(tmp_path, step):
    with SummaryWriter(tmp_path) as w, pytest.raises((TypeError, ValueError)):
        w.add_scalar("x", 1.0, step)


def test_bad_histograms(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match="no element"):
            w.add_histogram("h", np.zeros(0))
        with pytest.raises(ValueError, match="max_bins"):  # PyTorch: ZeroDivisionError
            w.add_histogram("h", [1.0, 2.0], max_bins=0)
    # NaN, inf and values outside the bins: test_tensorboard_plugins.py, against PyTorch
    with TorchWriter(str(tmp_path / "torch")) as w, pytest.raises(ValueError):
        w.add_histogram("h", np.zeros(0))


def test_add_text_needs_a_string(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(TypeError, match="must be a str"):
        w.add_text("t", 3)


def test_without_tensorboard_the_import_names_the_extra(monkeypatch):
    for name in [m for m in sys.modules if m.startswith("tinygrad_edu.utils.tensorboard")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # import tensorboard -> ImportError
    with pytest.raises(ImportError, match=re.escape("pip install tinygrad_edu[tensorboard]")):
        import tinygrad_edu.utils.tensorboard  # noqa: F401
