"""The JAX steps of the step benchmark (``benchmarks/jax_steps.py``) and their column.

JAX is installed only for benchmarking (never a dependency, not in CI): every test here skips
without it, under CI too. With it, each model's JAX step must compute the closed form's losses
step by step (within bench_step's LOSS_RTOL) from the same weights and batch -- a benchmark of
a different computation would be worthless.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from tinygrad_edu import bench

pytest.importorskip("jax", reason="jax is installed only for benchmarking (pip install jax)")

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str) -> ModuleType:
    """A script of benchmarks/ as a module, registered (as tests/test_bench.py loads them, so
    both files share one copy)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


harness = _load("bench_step")
jax_steps = _load("jax_steps")
CHECK_STEPS = 5


def _closed_losses(problem: bench.Problem, n: int) -> list[float]:
    step = bench.build_steps(problem, implementations=("closed_form",), dropout=False)
    return [float(step["closed_form"]()) for _ in range(n)]


@pytest.mark.parametrize("key", list(bench.MODELS))
def test_the_jax_step_computes_the_closed_forms_losses(key):
    problem = bench.make_problem(bench.MODELS[key])
    weights = {k: v.copy() for k, v in problem.params.items()}
    step = jax_steps.build_jax_step(problem, dropout=False)
    losses = [float(step()) for _ in range(CHECK_STEPS)]
    expected = _closed_losses(problem, CHECK_STEPS)
    check = harness.compare_losses({"closed_form": expected, "jax": losses})
    assert check["ok"], check
    # the check has teeth: training moves the loss far beyond the tolerance
    assert np.ptp(expected) > 100 * harness.LOSS_RTOL * expected[0]
    # the step donates its buffers: the problem's weights (shared by all builders) stay as
    # they were
    for name, value in problem.params.items():
        np.testing.assert_array_equal(value, weights[name], err_msg=name)


def test_dropout_draws_a_fresh_mask_every_step():
    """With a learning rate of 0 the weights stay, so only the masks can move the loss. Model
    G (F's dropout is the same function; jitting F three more times costs ten seconds)."""
    spec = dataclasses.replace(bench.MODELS["G"], lr=0.0)
    problem = bench.make_problem(spec)
    plain = jax_steps.build_jax_step(problem, dropout=False)
    assert len({float(plain()) for _ in range(3)}) == 1
    dropped = jax_steps.build_jax_step(problem, dropout=True)
    losses = [float(dropped()) for _ in range(3)]
    assert len(set(losses)) == 3 and np.all(np.isfinite(losses))
    again = jax_steps.build_jax_step(problem, dropout=True)
    assert [float(again()) for _ in range(3)] == losses  # seeded: reproducible


def test_an_unknown_kind_of_network_is_refused():
    spec = bench.ModelSpec("X", "x", (4, 2), "none", "sgd", 0.1, 8, kind="transformer")
    problem = bench.Problem(spec, np.zeros((8, 4), np.float32), np.zeros(8, np.int64),
                            {"W": np.zeros((4, 2), np.float32), "b": np.zeros(2, np.float32)})
    with pytest.raises(ValueError, match="no JAX step for kind 'transformer'"):
        jax_steps.build_jax_step(problem)


def test_the_harness_times_jax_interleaved_and_reports_it(tmp_path):
    """One quick in-process run of E: the jax column, its ratios, its first calls."""
    assert harness.load_jax()[0] is jax_steps.build_jax_step
    config = harness.BenchConfig.quick_config(models=("E",), threads=(1,), isolate=False,
                                              use_torch=False)
    report = harness.run(config, tmp_path)
    assert report["machine"]["jax"] == sys.modules["jax"].__version__
    model = report["threads"]["1"]["models"]["E"]
    assert "jax" in model["us"] and "jax" in model["check"]["losses"]
    assert {"jax/closed", "ours/jax"} <= set(model["ratios"])
    assert ("compiled/jax" in model["ratios"]) == report["machine"]["compile"]
    first = model["first_calls_us"]["jax"]
    assert len(first) == harness.FIRST_CALLS and first[0] > first[2]  # jit compiles first
    table = (tmp_path / "bench_step.md").read_text()
    assert "Against JAX's `jax.jit`" in table and "jax: not installed" not in table
