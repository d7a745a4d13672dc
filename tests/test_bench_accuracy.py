"""``benchmarks/bench_accuracy.py --quick``: the files, the table, and three implementations that
start from the same weights, see the same batches, and so end (nearly) at the same place.

Runs the script in a subprocess (it sets the BLAS thread count before NumPy loads), writing only
into ``tmp_path``. The MNIST and XOR experiments are used: they need only ``../shared/data``;
the CNN experiment (one quick epoch on 1,000 Fashion-MNIST images) needs the Fashion-MNIST
files where the script finds them (the library's search path, e.g.
/usr/share/datasets/fashion-mnist). No timing is asserted.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tinygrad_edu.data import where

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "bench_accuracy.py"
MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist-10k"
HAS_TORCH = importlib.util.find_spec("torch") is not None
ONLY = "seed001,seed002,seed003_softmax,seed004"
EXPECTED = ["seed001_net_784_64_10", "seed002_xor_adam", "seed003_softmax_gd",
            "seed004_logistic_1_vs_rest"]

needs_mnist = pytest.mark.skipif(not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").is_file(),
                                 reason=f"MNIST subset not found in {MNIST_DIR}")
#: where the script's default ``--fashion-dir`` (the library's search path) finds Fashion-MNIST
FASHION = where("fashion-mnist", verify=False)[0]


def run_quick(out: Path, *extra: str, only: str = ONLY,
              ) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--only", only, "--out", str(out), *extra],
        cwd=out, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done, json.loads((out / "accuracy.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench_accuracy")
    _, summary = run_quick(out)
    return out, summary


@needs_mnist
def test_files_and_table(quick_run: tuple[Path, dict[str, Any]]) -> None:
    out, summary = quick_run
    assert sorted(p.name for p in out.iterdir()) == ["accuracy.json", "accuracy.md"]
    assert summary["quick"] is True and summary["all_targets_met"] is None
    assert list(summary["experiments"]) == EXPECTED
    machine = summary["machine"]
    assert machine["numpy"] and machine["python"] and machine["threads"]["OPENBLAS_NUM_THREADS"]
    assert (machine["torch"] is not None) == HAS_TORCH

    lines = (out / "accuracy.md").read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| experiment"))
    columns = [c.strip() for c in lines[header].strip("|").split("|")]
    assert columns == ["experiment", "document's figure", "target", "tinygrad_edu",
                       "closed form", "PyTorch", "time ours / closed / torch", "met"]
    rows = [line for line in lines[header + 2:] if line.startswith("|")]
    assert len(rows) == len(EXPECTED)
    for row, name in zip(rows, EXPECTED, strict=True):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[0] == summary["experiments"][name]["title"]
        assert cells[-1] == "- (quick)"
        assert cells[5] != "not installed" if HAS_TORCH else cells[5] == "not installed"
        assert cells[6].count(" / ") == 2
    assert "Quick run" in lines[0]


@needs_mnist
def test_every_implementation_produced_an_accuracy(
    quick_run: tuple[Path, dict[str, Any]],
) -> None:
    _, summary = quick_run
    expected = {"tinygrad_edu", "closed_form"} | ({"pytorch"} if HAS_TORCH else set())
    for name, exp in summary["experiments"].items():
        assert set(exp["results"]) == expected, name
        for impl, r in exp["results"].items():
            assert 0.0 <= r["accuracy"] <= 1.0, (name, impl)
            assert r["seconds"] >= 0.0 and r["steps"] > 0 and r["met"] is None
            assert math.isfinite(r["first_loss"]) and math.isfinite(r["last_epoch_loss"])
        steps = {r["steps"] for r in exp["results"].values()}
        assert len(steps) == 1, name  # the same batch plan for everyone


@needs_mnist
def test_implementations_agree_in_quick_mode(quick_run: tuple[Path, dict[str, Any]]) -> None:
    """Same init, same batches, a few steps of float32: the same losses, accuracies within half
    a point (one or two borderline test samples), weights within float32 rounding."""
    _, summary = quick_run
    assert summary["disagreements"] == []
    for name, exp in summary["experiments"].items():
        closed = exp["results"]["closed_form"]
        for impl, r in exp["results"].items():
            assert math.isclose(r["first_loss"], closed["first_loss"], rel_tol=1e-5), (name, impl)
            assert math.isclose(r["last_epoch_loss"], closed["last_epoch_loss"],
                                rel_tol=1e-4), (name, impl)
            assert abs(r["accuracy"] - closed["accuracy"]) <= 0.005, (name, impl)
        agreement = exp["agreement"]
        assert agreement["agree"] is True
        for impl, diff in agreement["max_abs_weight_diff_vs_closed_form"].items():
            assert diff < 1e-4, (name, impl, diff)
        # the float64 replay of the first steps: the same arithmetic, to rounding
        probe = agreement["float64_max_abs_weight_diff_vs_closed_form"]
        assert set(probe) == set(exp["results"]) - {"closed_form"}
        assert agreement["float64_probe_steps"] > 0
        assert all(d < 1e-12 for d in probe.values()), (name, probe)


@needs_mnist
def test_without_torch_two_implementations(tmp_path: Path) -> None:
    done, summary = run_quick(tmp_path, "--no-torch")
    for exp in summary["experiments"].values():
        assert set(exp["results"]) == {"tinygrad_edu", "closed_form"}
    assert "PyTorch:" not in done.stdout


def test_only_rejects_unknown_names(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--only", "no-such-thing",
                           "--out", str(tmp_path)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "matches no experiment" in done.stderr
    assert not any(tmp_path.iterdir())


@pytest.mark.skipif(FASHION.found is None, reason="Fashion-MNIST files not found in the "
                    "library's search path: " + ", ".join(str(p) for _, p in FASHION.searched
                                                           if p is not None))
def test_cnn_quick(tmp_path: Path) -> None:
    """The CNN (batch norm, dropout) in all three implementations: one quick epoch on 1,000
    images (16 steps) already beats chance by far in each (about 70 % on 500 test images), and
    the float64 replay without dropout agrees to rounding. The float32 runs draw different
    dropout masks, so their accuracies and weights are not compared here."""
    _, summary = run_quick(tmp_path, "--probe-steps", "8", only="fashion_cnn")
    assert list(summary["experiments"]) == ["fashion_cnn_lenet_bn"]
    exp = summary["experiments"]["fashion_cnn_lenet_bn"]
    protocol = exp["protocol"]
    assert protocol["model"] == "cnn" and protocol["dropout"] == 0.5
    assert protocol["step_lr"] == [3, 0.3] and protocol["batch_size"] == 64
    assert exp["data"]["train"] == 1000 and exp["data"]["test"] == 500
    expected = {"tinygrad_edu", "closed_form"} | ({"pytorch"} if HAS_TORCH else set())
    assert set(exp["results"]) == expected
    for impl, r in exp["results"].items():
        assert r["accuracy"] > 0.4, (impl, r["accuracy"])  # chance: 0.1
        assert r["steps"] == 16 and r["met"] is None
        assert math.isfinite(r["first_loss"]) and r["last_epoch_loss"] < r["first_loss"]
    agreement = exp["agreement"]
    assert agreement["float64_probe_dropout"] == 0.0 and agreement["float64_probe_steps"] == 8
    probe = agreement["float64_max_abs_weight_diff_vs_closed_form"]
    assert set(probe) == expected - {"closed_form"}
    assert all(d <= 1e-9 for d in probe.values()), probe
    assert all(math.isfinite(d) for d in agreement["max_abs_weight_diff_vs_closed_form"].values())
    table = (tmp_path / "accuracy.md").read_text(encoding="utf-8")
    assert exp["title"] in table and "dropout off" in table
