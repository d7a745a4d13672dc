"""``--compile`` in the seed examples and the CNN: the same rows, and a real replay.

Issue 16 asks that the seeds' accuracy rows stay unchanged when trained through ``tg.compile``.
Two kinds of test:

* each script runs with ``--quick`` twice in a subprocess, without and with ``--compile``; the
  files it writes (``results.md`` and, where there is one, ``metrics.csv``) must be equal
  except for timing, no ``tg.compile`` warning may appear (``-W error`` turns one into a
  crash: a fallback to eager would otherwise pass unnoticed, with the same numbers), and the
  compiled steps must have replayed (counted by ``_count_compiles.py``);
* the scripts' step functions, called in-process on small synthetic data (no dataset
  needed), give bit-identical losses and weights compiled and eager, through the
  learning-rate schedule, both of seed 002's Adams and seed 003's penalties.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset, where

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
RUNNER = Path(__file__).with_name("_count_compiles.py")
MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist-10k"
TRACE_CALLS = 2  # tg.compile traces the first two calls of each argument shape

sys.path.insert(0, str(EXAMPLES))  # the scripts import _common from their own folder
import seed000_softmax_regression as seed000  # noqa: E402
import seed002_xor_adam as seed002  # noqa: E402
import seed003_mnist_study as seed003  # noqa: E402
import seed004_logistic_one_vs_rest as seed004  # noqa: E402

sys.path.remove(str(EXAMPLES))


# ----------------------------------------------------------------------------- the scripts


def _have(dataset: str | None) -> bool:
    if dataset is None:
        return True
    if dataset == "mnist":
        return (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file()
    return where(dataset, verify=False)[0].found is not None


@dataclass(frozen=True)
class Script:
    name: str
    args: tuple[str, ...] = ()
    dataset: str | None = None  # "mnist" (the shared subset) or "fashion-mnist"
    files: tuple[str, ...] = ()  # written besides results.md, compared byte for byte

    def __str__(self) -> str:
        return self.name


SCRIPTS = [
    Script("seed000_softmax_regression.py", dataset="fashion-mnist"),
    Script("seed001_two_layer_net.py", dataset="mnist"),
    Script("seed002_xor_adam.py", ("--epochs", "300")),
    Script("seed003_mnist_study.py", dataset="mnist"),
    Script("seed004_logistic_one_vs_rest.py", ("--steps", "200", "--no-tensorboard"),
           dataset="mnist", files=("metrics.csv",)),
    Script("cnn_fashion_mnist.py", dataset="fashion-mnist", files=("metrics.csv",)),
]


def run(script: Script, out: Path, *extra: str) -> list[dict[str, Any]]:
    """Run the script with ``--quick``; return what it compiled (name, traced, replayed)."""
    report = out.with_suffix(".json")
    # One BLAS thread for both runs: the arithmetic, and so the rows, depend on the count.
    env = {**os.environ, "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-W", "error:tg.compile:RuntimeWarning", str(RUNNER), str(report),
         str(EXAMPLES / script.name), "--quick", "--out", str(out), *script.args, *extra],
        capture_output=True, text=True, timeout=300, env=env, cwd=out.parent)
    assert done.returncode == 0, f"{script} {extra} failed:\n{done.stdout}\n{done.stderr}"
    assert "tg.compile" not in done.stderr, done.stderr
    return json.loads(report.read_text())


def comparable(out: Path) -> list[str]:
    """results.md without what timing changes: the run-time column, rows that report a time,
    and the output folder's name."""
    lines = (out / "results.md").read_text(encoding="utf-8").replace(str(out), "<out>")
    kept, timing_column = [], None
    for line in lines.splitlines():
        if line.startswith("|"):
            # cells may hold escaped pipes ("max \|W diff\|"): split on the others only
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
            if timing_column is None:
                timing_column = cells.index("run time")
            if cells[0].startswith("time per"):
                continue
            line = " | ".join(c for i, c in enumerate(cells) if i != timing_column)
        kept.append(line)
    return kept


@pytest.mark.parametrize("script", SCRIPTS, ids=str)
def test_compiled_rows_equal_eager_rows(script: Script, tmp_path: Path) -> None:
    if not _have(script.dataset):
        message = f"{script.dataset} is not on this machine"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    eager_out, compiled_out = tmp_path / "eager", tmp_path / "compiled"
    assert run(script, eager_out) == [], "without --compile nothing goes through tg.compile"
    compiled = run(script, compiled_out, "--compile")

    assert comparable(compiled_out) == comparable(eager_out)
    for name in script.files:
        assert (compiled_out / name).read_bytes() == (eager_out / name).read_bytes(), name
    assert compiled, "--compile compiled nothing"
    assert sum(f["replayed"] for f in compiled) > 0, compiled
    # A step called more often than it traces must have replayed (one that fell back to
    # eager counts every call as traced). Seed 003's L1 x L2 grid points take 2 steps each.
    for f in compiled:
        if f["traced"] > TRACE_CALLS:
            assert f["replayed"] > 0, f


# ----------------------------------------------------------------------------- the steps


def _batches(n: int, features: int, classes: int, seed: int) -> DataLoader:
    rng = np.random.default_rng(seed)
    x = rng.random((n, features), dtype=np.float32)
    y = rng.integers(0, classes, n)
    if classes == 1:  # seed 004's targets: float (N, 1)
        y = (x[:, :1] > 0.5).astype(np.float32)
    return DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, seed=seed)


def _train(make_model: Callable[[], nn.Module], make_optimizer: Callable[[Any], Any],
           make_step: Callable[..., Any], make_loader: Callable[[], DataLoader], epochs: int,
           compiled: bool) -> tuple[list[float], list[np.ndarray], Any]:
    tg.manual_seed(0)
    loader = make_loader()  # a fresh one: a loader's shuffle moves on with every pass
    model = make_model()
    optimizer = make_optimizer(model.parameters())
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    step = make_step(model, optimizer, compiled)
    losses = []
    for _ in range(epochs):
        losses += [step(x, y).item() for x, y in loader]
        scheduler.step()  # the replay must read the new learning rate
    return losses, [p.detach().numpy().copy() for p in model.parameters()], step


def _assert_same(eager: tuple[list[float], list[np.ndarray], Any],
                 compiled: tuple[list[float], list[np.ndarray], Any]) -> None:
    assert compiled[0] == eager[0]  # every loss, bit for bit
    for a, b in zip(compiled[1], eager[1], strict=True):
        np.testing.assert_array_equal(a, b)
    assert compiled[2].replay_count > 0, "the compiled step never replayed"
    assert compiled[2].replay_count + compiled[2].trace_count == len(compiled[0])


@pytest.mark.parametrize("optimizer", list(seed000.OPTIMIZERS))
def test_seed000_step_compiled_is_bit_identical(optimizer: str) -> None:
    """Seed 000's step (784 -> 10, cross-entropy) with each of its optimizers and the cosine
    schedule; the 150-image loader ends on a short batch, a second traced shape."""
    runs = [_train(seed000.make_model, seed000.OPTIMIZERS[optimizer], seed000.make_step,
                   lambda: _batches(150, 784, 10, seed=1), 3, compiled)
            for compiled in (False, True)]
    _assert_same(*runs)
    assert runs[1][2].trace_count == 2 * TRACE_CALLS  # the full and the short batch


def test_seed004_step_compiled_is_bit_identical() -> None:
    runs = [_train(seed004.make_model, lambda p: optim.SGD(p, lr=seed004.LR), seed004.make_step,
                   lambda: _batches(128, 784, 1, seed=2), 3, compiled)
            for compiled in (False, True)]
    _assert_same(*runs)


@pytest.mark.parametrize("adam", [optim.Adam, seed002.DocumentAdam])
def test_seed002_training_compiled_is_bit_identical(adam: type) -> None:
    """Both Adams (the document's overrides ``_update``, which the replay must call)."""
    x_np, y_np = seed002.make_xor()
    x, y = tg.Tensor(x_np), tg.Tensor(y_np)
    results = []
    for compiled in (False, True):
        tg.manual_seed(0)
        model = seed002.XorNet()
        losses, _, counts = seed002.train(model, adam(model.parameters(), lr=seed002.LR), x, y,
                                          200, compiled)
        results.append((losses, [p.detach().numpy() for p in model.parameters()], counts))
    (eager_losses, eager_params, no_counts), (losses, params, counts) = results
    np.testing.assert_array_equal(losses, eager_losses)
    for a, b in zip(params, eager_params, strict=True):
        np.testing.assert_array_equal(a, b)
    assert no_counts == ""
    assert counts == f"{TRACE_CALLS} traced, {200 - TRACE_CALLS} replayed"


@pytest.fixture
def compiled_functions(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """The functions ``tg.compile`` makes while the test runs (seed 003's are local)."""
    made: list[Any] = []
    original = tg.compile

    def remembering_compile(fn: Any = None, **options: Any) -> Any:
        compiled = original(fn, **options)
        made.append(compiled)
        return compiled

    monkeypatch.setattr(tg, "compile", remembering_compile)
    yield made


@pytest.mark.parametrize(("l1", "l2"), [(0.0, 0.0), (0.05, 0.0), (0.0, 0.5), (0.05, 0.5)])
def test_seed003_gradient_descent_compiled_is_bit_identical(
        l1: float, l2: float, compiled_functions: list[Any]) -> None:
    """Seed 003's full-batch descent (parts a and b), with and without each penalty."""
    rng = np.random.default_rng(3)
    x, y = rng.random((64, 784), dtype=np.float32), rng.integers(0, 10, 64)
    W0, b0, losses0 = seed003.softmax_gd(x, y, 6, l1=l1, l2=l2)
    assert compiled_functions == []
    W1, b1, losses1 = seed003.softmax_gd(x, y, 6, l1=l1, l2=l2, compiled=True)
    assert losses1 == losses0
    np.testing.assert_array_equal(W1.detach().numpy(), W0.detach().numpy())
    np.testing.assert_array_equal(b1.detach().numpy(), b0.detach().numpy())
    (step,) = compiled_functions
    assert (step.trace_count, step.replay_count) == (TRACE_CALLS, 6 - TRACE_CALLS)
