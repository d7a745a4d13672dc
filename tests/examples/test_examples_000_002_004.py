"""Smoke tests of the examples for seeds 000, 002 and 004: each runs with ``--quick`` in a
subprocess (as a user runs it), writes ``results.md`` and non-blank PNGs into ``--out``, and
the checks that hold at any size (closed form == autograd) pass even on the tiny run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist-10k"


def _fashion_mnist_available() -> bool:
    from tinygrad_edu.data import where

    return where("fashion-mnist", verify=False)[0].found is not None


def _mnist_available() -> bool:
    return (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file()


def run_quick(script: str, out: Path) -> str:
    """Run ``examples/<script> --quick --out <out>``; return its stdout (fail with stderr)."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(EXAMPLES / script), "--quick", "--out", str(out)],
                          capture_output=True, text=True, timeout=300, env=env, cwd=out.parent)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def results_rows(out: Path) -> dict[str, list[str]]:
    """experiment -> the other cells of its row, from ``out/results.md``."""
    text = (out / "results.md").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header[:4] == ["experiment", "document", "target", "ours"], header
    rows = {}
    for line in lines[2:]:  # skip the header and the |---| line
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    assert rows, "results.md has an empty table"
    return rows


def assert_png_not_blank(path: Path) -> None:
    image = pytest.importorskip("matplotlib.image").imread(path)
    assert image.ndim == 3 and min(image.shape[:2]) > 100, f"{path.name}: shape {image.shape}"
    rgb = image[..., :3].reshape(-1, 3)
    # A drawn figure has many colours; a blank canvas has one.
    assert len(set(map(tuple, rgb[:: max(1, len(rgb) // 20_000)].round(2)))) > 10, \
        f"{path.name} looks blank"


def met(rows: dict[str, list[str]], starts_with: str) -> str:
    matches = [cells for name, cells in rows.items() if name.startswith(starts_with)]
    assert matches, f"no row starting with {starts_with!r} in {list(rows)}"
    return matches[0][-1]


@pytest.mark.skipif(not _fashion_mnist_available(), reason="Fashion-MNIST is not installed "
                    "(apt-get install dataset-fashion-mnist)")
def test_seed000_softmax_regression_quick(tmp_path):
    out = tmp_path / "seed000"
    stdout = run_quick("seed000_softmax_regression.py", out)
    assert "max abs weight difference" in stdout
    rows = results_rows(out)
    # The closed-form model and autograd follow the same trajectory, even on a tiny run.
    assert met(rows, "max abs(W autograd - W closed form)") == "yes"
    for png in ("loss_curves.png", "weights.png"):
        assert_png_not_blank(out / png)


def test_seed002_xor_adam_quick(tmp_path):
    out = tmp_path / "seed002"
    run_quick("seed002_xor_adam.py", out)
    rows = results_rows(out)
    assert met(rows, "max abs(autograd grad - hand backprop)") == "yes"
    assert any(name.startswith("document's Adam") for name in rows)
    for png in ("decision_boundary.png", "decision_boundary_document_adam.png",
                "loss_curves.png"):
        assert_png_not_blank(out / png)


@pytest.mark.skipif(not _mnist_available(), reason=f"MNIST subset not found in {MNIST_DIR}")
def test_seed004_logistic_one_vs_rest_quick(tmp_path):
    out = tmp_path / "seed004"
    run_quick("seed004_logistic_one_vs_rest.py", out)
    rows = results_rows(out)
    assert any(name.startswith("test accuracy") for name in rows)
    header, *lines = (out / "metrics.csv").read_text().splitlines()
    assert header == "step,log_likelihood,train_batch_accuracy,test_accuracy"
    assert lines, "metrics.csv has no rows"
    assert_png_not_blank(out / "curves.png")
