"""The examples without matplotlib: they train, write results.md and say which pictures were
skipped and why (no traceback); the MNIST ones accept --download and, when the data is not
found, list where they looked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist-10k"
HINT = "matplotlib is not installed (pip install tinygrad_edu[plot])"
# Runs the example as `python examples/X.py ...` would, with `import matplotlib` failing.
NO_MATPLOTLIB = ("import runpy, sys; sys.modules['matplotlib'] = None; "
                 "sys.path.insert(0, sys.argv[1]); script = sys.argv[2]; sys.argv = sys.argv[2:]; "
                 "runpy.run_path(script, run_name='__main__')")


def run_example(script: str, *args: str, hide_matplotlib: bool = False,
                env: dict | None = None, cwd: Path | None = None):
    path = str(EXAMPLES / script)
    prefix = ["-c", NO_MATPLOTLIB, str(EXAMPLES)] if hide_matplotlib else []
    return subprocess.run([sys.executable, *prefix, path, *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd, env={**os.environ, **(env or {})})


def check_skipped(done, out: Path, pictures: list[str]) -> None:
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    printed = [line for line in done.stdout.splitlines() if line.startswith("skipped ")]
    expected = [f"skipped {name}: {HINT}" for name in pictures]
    assert printed[:len(pictures)] == expected  # said when skipped (and again in results.md)
    results = (out / "results.md").read_text(encoding="utf-8")
    assert all(f"- {line}" in results for line in expected)
    assert not list(out.glob("*.png"))


def test_xor_example_without_matplotlib_trains_and_lists_the_skipped_pictures(tmp_path):
    out = tmp_path / "xor"
    done = run_example("seed002_xor_adam.py", "--quick", "--epochs", "100", "--out", str(out),
                       hide_matplotlib=True, cwd=tmp_path)
    check_skipped(done, out, ["decision_boundary.png", "decision_boundary_document_adam.png",
                              "loss_curves.png"])
    assert "100 epochs" in (out / "results.md").read_text()


@pytest.mark.skipif(not (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file(),
                    reason=f"the MNIST subset is not at {MNIST_DIR}")
def test_mnist_example_without_matplotlib(tmp_path):
    out = tmp_path / "seed004"
    done = run_example("seed004_logistic_one_vs_rest.py", "--quick", "--steps", "20", "--out",
                       str(out), "--data-dir", str(MNIST_DIR), hide_matplotlib=True, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"skipped curves.png: {HINT}" in done.stdout
    assert f"- skipped curves.png: {HINT}" in (out / "results.md").read_text()
    assert not (out / "curves.png").exists()


@pytest.mark.parametrize("script", ["seed001_two_layer_net.py", "seed004_logistic_one_vs_rest.py",
                                    "seed003_mnist_study.py", "seed000_softmax_regression.py",
                                    "cnn_fashion_mnist.py"])
def test_missing_data_lists_the_places_searched_and_suggests_download(tmp_path, script):
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {"HOME": str(tmp_path), "TINYGRAD_EDU_DATA": str(empty)}
    name = "fashion-mnist" if "fashion" in script or "seed000" in script else "mnist"
    system = Path("/usr/share/datasets") / name
    if (system / "train-images-idx3-ubyte.gz").exists() or (system / "train-images-idx3-ubyte"
                                                            ).exists():
        pytest.skip(f"{name} is installed system-wide in {system}: it would be found")
    done = run_example(script, "--quick", "--data-dir", str(empty), "--out",
                       str(tmp_path / "out"), env=env, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith(f"{name} was not found. Looked in, in order, for train-images")
    assert lines[1].split() == ["root:", str(empty)]
    assert lines[2].split() == ["env:", str(empty / name)]
    assert lines[3].split() == ["cache:", str(tmp_path / ".cache" / "tinygrad_edu" / name)]
    assert lines[4].split() == ["system:", str(system)]
    assert "--download" in lines[5]


def test_the_mnist_examples_take_download():
    done = run_example("seed001_two_layer_net.py", "--help")
    assert done.returncode == 0 and "--download" in done.stdout
