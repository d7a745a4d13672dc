"""Smoke tests of the examples for seeds 001 and 003: each runs with ``--quick`` in a subprocess
(as a user runs it) and must write ``results.md`` and non-blank PNGs into ``--out``. The checks
that do not depend on training length (autograd == hand backprop, a frozen encoder stays
frozen) must pass even on the tiny run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist-10k"

pytest.importorskip("matplotlib")  # the examples draw their figures with it
pytestmark = pytest.mark.skipif(not (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file(),
                                reason=f"the MNIST subset is not at {MNIST_DIR}")


def run_quick(script: str, out: Path, *extra: str) -> str:
    """``python examples/<script> --quick --out <out> ...``; its stdout (fails with stderr)."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--quick", "--out", str(out), *extra],
        capture_output=True, text=True, timeout=300, env=env, cwd=out.parent,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def table(out: Path) -> dict[str, dict[str, str]]:
    """The rows of ``out/results.md``: experiment -> {column: cell}."""
    lines = [line for line in (out / "results.md").read_text(encoding="utf-8").splitlines()
             if line.startswith("|")]
    # Cells may hold escaped pipes (\|, as in "max \|W diff\|"): split on the others only.
    split = [[c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
             for line in lines]
    header = split[0]
    assert header[:4] == ["experiment", "document", "target", "ours"], header
    return {cells[0]: dict(zip(header, cells, strict=True)) for cells in split[2:]}


def rows_starting(rows: dict[str, dict[str, str]], prefix: str) -> list[dict[str, str]]:
    found = [row for name, row in rows.items() if name.startswith(prefix)]
    assert found, f"no row starts with {prefix!r}; rows: {list(rows)}"
    return found


def assert_png_not_blank(path: Path) -> None:
    assert path.is_file(), f"{path.name} was not written"
    import matplotlib.image

    rgb = matplotlib.image.imread(path)[..., :3]
    assert min(rgb.shape[:2]) > 100, f"{path.name}: only {rgb.shape[:2]} pixels"
    # A blank canvas is one colour; a drawn figure has ink on a fair share of its pixels.
    background = np.median(rgb.reshape(-1, 3), axis=0)
    ink = np.mean(np.abs(rgb - background).sum(axis=-1) > 0.1)
    assert ink > 0.01, f"{path.name} looks blank ({ink:.2%} of pixels differ from background)"


def test_seed001_two_layer_net_quick(tmp_path):
    out = tmp_path / "seed001"
    stdout = run_quick("seed001_two_layer_net.py", out)
    assert "autograd vs hand backprop" in stdout
    rows = table(out)
    # Batch with labels, batch with one-hot targets, one sample, float64: all agree.
    checks = rows_starting(rows, "grads vs hand backprop")
    assert len(checks) == 4
    assert all(row["met"] == "yes" for row in checks), checks
    rows_starting(rows, "relu'(0)")
    rows_starting(rows, "test accuracy")
    assert_png_not_blank(out / "training_curves.png")


def test_seed003_mnist_study_quick(tmp_path):
    out = tmp_path / "seed003"
    run_quick("seed003_mnist_study.py", out)
    rows = table(out)
    for part in "abcdefgh":
        rows_starting(rows, f"({part})")
    # The closed form and autograd take the same steps; the frozen encoder does not move.
    assert rows_starting(rows, "(a) same with the closed-form gradient")[0]["met"] == "yes"
    assert rows_starting(rows, "(h) encoder weights")[0]["met"] == "yes"
    for png in ("a_softmax_regression_loss.png", "b_l1_l2_grid.png", "c_mlp512_curves.png",
                "d_width_sweep.png", "de_depth_sweep.png", "f_dropout_tanh_adadelta_curves.png",
                "g_autoencoder_reconstructions.png"):
        assert_png_not_blank(out / png)


def test_seed003_runs_selected_parts_only(tmp_path):
    """``--parts`` picks parts; (h) alone trains the autoencoder it needs by itself."""
    out = tmp_path / "seed003_h"
    run_quick("seed003_mnist_study.py", out, "--parts", "h")
    rows = table(out)
    assert all(name.startswith("(h)") for name in rows), list(rows)
    assert rows_starting(rows, "(h) encoder weights")[0]["met"] == "yes"
    assert not (out / "b_l1_l2_grid.png").exists()
