"""The benchmark harness (``benchmarks/bench_step.py``, ``benchmarks/bench_memory.py``) and the
step builder it times (``tinygrad_edu.bench``): it runs, checks its losses, writes its files --
and refuses to time implementations that disagree.

No timing assertions: the machine is shared and noisy, and a benchmark is not a test of speed.
Everything runs in quick mode, mostly in this process (``isolate=False``) to stay fast; one test
goes through ``tinygrad-edu bench`` and its worker processes, one through the memory script's.
PyTorch parts are skipped without torch. The "compiled" column (``tinygrad_edu.compile``) is
exercised with a stand-in (the identity) where the library has no ``compile`` yet; JAX's column
is tested in tests/test_bench_jax.py (these runs leave it out: jitting costs seconds).
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import tinygrad_edu
from tinygrad_edu import bench, cli
from tinygrad_edu.cli import main as cli_main
from tinygrad_edu.reference import softmax_regression, xor_mlp

ROOT = Path(__file__).resolve().parents[1]
HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
IMPLS = ["tinygrad_edu", "closed_form"] + (["torch"] if HAS_TORCH else [])
HAS_COMPILE = hasattr(tinygrad_edu, "compile")
#: what build_steps builds by default (without JAX's builder)
BUILT = IMPLS + (["compiled"] if HAS_COMPILE else [])
FILES = ["bench_step.json", "bench_step.md"] + (["bench_step.png"] if HAS_MATPLOTLIB else [])


def _load(name: str) -> ModuleType:
    """A script of benchmarks/ as a module (registered first: its dataclasses need that, and
    bench_memory's ``from bench_step import ...`` then finds this very copy)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


harness = _load("bench_step")
memory = _load("bench_memory")


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One in-process quick run of all the models at 1 thread, with a "compiled" column (a
    stand-in ``compile`` where the library has none): (report, output directory)."""
    out = tmp_path_factory.mktemp("bench")
    config = harness.BenchConfig.quick_config(threads=(1,), isolate=False, rss_steps=5,
                                              use_jax=False)
    with pytest.MonkeyPatch.context() as mp:
        if not HAS_COMPILE:
            mp.setattr(tinygrad_edu, "compile", lambda step: step, raising=False)
        report = harness.run(config, out)
    return report, out


QUICK_IMPLS = IMPLS + ["compiled"]


def test_quick_run_writes_json_markdown_and_png(quick):
    report, out = quick
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert json.loads((out / "bench_step.json").read_text()) == json.loads(json.dumps(report))
    table = (out / "bench_step.md").read_text()
    assert "Quick mode" in table
    for key, spec in bench.MODELS.items():
        assert f"| {key}: {spec.title} |" in table
    assert "`a + b` with grad" in table and "Peak memory" in table
    assert "| model | ours µs | compiled µs | closed µs | torch µs | jax µs |" in table
    assert "jax: not installed" in table and "First calls of a fresh step" in table
    assert "compiled/jax" not in table  # no JAX: no table against it
    if HAS_MATPLOTLIB:
        assert (out / "bench_step.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_json_has_every_model_implementation_ratio_and_target(quick):
    report, _ = quick
    machine = report["machine"]
    assert {"cpu", "cores", "python", "numpy", "torch", "tinygrad_edu", "date"} <= set(machine)
    assert (machine["torch"] is not None) == HAS_TORCH
    assert report["models"]["E"]["max_vs_closed"] == harness.TARGETS["E"]["max_vs_closed"]
    result = report["threads"]["1"]
    assert sorted(result["models"]) == list("ABCDEFG")
    for model in result["models"].values():
        assert sorted(model["us"]) == sorted(QUICK_IMPLS)
        for stats in model["us"].values():
            assert 0 < stats["min"] <= stats["median"] <= stats["max"]
        expected = {"ours/closed", "compiled/closed", "compiled/ours"} | (
            {"ours/torch", "torch/closed"} if HAS_TORCH else set())
        assert set(model["ratios"]) == expected
        first = model["first_calls_us"]  # fresh steps, each of the first calls timed alone
        assert sorted(first) == ["closed_form", "compiled", "tinygrad_edu"]
        assert all(len(t) == harness.FIRST_CALLS and min(t) > 0 for t in first.values())
    assert report["machine"]["jax"] is None and report["machine"]["compile"]
    assert sorted(result["add"]["us"]) == sorted(["numpy", *IMPLS[:1], *IMPLS[2:]])
    assert sorted(report["rss"]["implementations"]) == sorted(IMPLS)
    for r in report["rss"]["implementations"].values():
        assert r["peak_kib"] > 0 and r["steps"] == 5
    targets = {row["what"] for row in report["summary"]["targets"]}
    assert {"A ours/closed", "E ours/torch", "a + b (us)", "peak RSS C ours/closed",
            "A compiled/closed", "E compiled/closed"} <= targets
    assert "F compiled/closed" not in targets  # issue 16 sets none for F and G


def test_every_implementation_computes_the_same_losses(quick):
    report, _ = quick
    for key, model in report["threads"]["1"]["models"].items():
        check = model["check"]
        assert check["ok"] and sorted(check["losses"]) == sorted(QUICK_IMPLS)
        closed = np.array(check["losses"]["closed_form"])
        assert len(closed) == check["steps"] == 5
        for losses in check["losses"].values():
            np.testing.assert_allclose(losses, closed, rtol=harness.LOSS_RTOL)
        # The check has teeth only if training moves the loss far beyond the tolerance.
        assert np.ptp(closed) > 100 * harness.LOSS_RTOL * closed[0], key


def test_the_three_builders_start_from_the_same_weights():
    """tinygrad_edu's (and PyTorch's) Linear layers hold the transposes of the reference W."""
    problem = bench.make_problem(bench.MODELS["C"])
    torch = bench.load_torch()
    steps = bench.build_steps(problem, torch)
    assert sorted(steps) == sorted(BUILT)
    first = {name: harness._as_float(step()) for name, step in steps.items()}
    assert len({round(v, 5) for v in first.values()}) == 1, first  # the same first loss
    only = bench.build_steps(problem, torch, ("closed_form",))
    assert list(only) == ["closed_form"]


def test_build_steps_compiles_with_the_librarys_compile_and_takes_a_jax_builder(monkeypatch):
    """"compiled" is ``tinygrad_edu.compile`` of a step of its own; "jax" is the builder's."""
    compiled: list[object] = []
    monkeypatch.setattr(tinygrad_edu, "compile", lambda step: compiled.append(step) or step,
                        raising=False)
    problem = bench.make_problem(bench.MODELS["E"])
    built: list[tuple[object, bool]] = []

    def jax_step(problem, dropout):
        built.append((problem, dropout))
        return lambda: 0.0

    steps = bench.build_steps(problem, implementations=("tinygrad_edu", "compiled", "jax"),
                              dropout=False, jax_step=jax_step)
    assert list(steps) == ["tinygrad_edu", "compiled", "jax"]
    assert compiled == [steps["compiled"]] and steps["compiled"] is not steps["tinygrad_edu"]
    assert built == [(problem, False)]
    losses = [harness._as_float(steps[name]()) for name in ("tinygrad_edu", "compiled")]
    assert losses[0] == losses[1]  # both start from the problem's weights
    monkeypatch.delattr(tinygrad_edu, "compile")
    assert list(bench.build_steps(problem, jax_step=None)) == ["tinygrad_edu", "closed_form"]


def test_thread_env_sizes_xla_too(monkeypatch):
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    one = harness.thread_env(1)
    assert one["OPENBLAS_NUM_THREADS"] == "1"
    assert one["XLA_FLAGS"] == ("--xla_cpu_multi_thread_eigen=false "
                                "intra_op_parallelism_threads=1")
    monkeypatch.setenv("XLA_FLAGS", "--xla_dump_to=/tmp/x")  # a user's flags are kept
    assert harness.thread_env(2)["XLA_FLAGS"] == (
        "--xla_dump_to=/tmp/x --xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=2")


def test_deep_problems_use_the_mlp_of_any_depth():
    spec = bench.ModelSpec("X", "deep", (6, 5, 5, 5, 3), "relu", "sgd", 0.01, 8)
    problem = bench.make_problem(spec)
    assert [W.shape for W, _ in problem.linear_params()] == [(6, 5), (5, 5), (5, 5), (5, 3)]
    losses = harness.check_losses(bench.build_steps(problem), n_steps=3, rtol=1e-5)
    assert losses["ok"] and losses["losses"]["closed_form"][2] < losses["losses"]["closed_form"][0]


def _wrong_lr(step, *args, **kwargs):
    params, X, Y, lr = args
    return step(params, X, Y, lr * 1.5, **kwargs)


@pytest.mark.parametrize("model, module, name, wrong", [
    # closed form A with a learning rate 1.5x too large
    ("A", softmax_regression, "sgd_step", lambda f: functools.partial(_wrong_lr, f)),
    # closed form E with seed 002's gradient scaling: 2x the gradient of the loss it reports
    ("E", xor_mlp, "loss_and_grads", lambda f: functools.partial(f, seed_scaling=True)),
], ids=["A-wrong-lr", "E-seed-scaling"])
def test_a_wrong_implementation_fails_the_check_and_writes_nothing(
        tmp_path, monkeypatch, model, module, name, wrong):
    monkeypatch.setattr(module, name, wrong(getattr(module, name)))
    config = harness.BenchConfig.quick_config(models=(model,), threads=(1,), isolate=False,
                                              use_torch=False, use_jax=False)
    with pytest.raises(harness.CheckFailed, match=f"loss check failed for model {model}") as e:
        harness.run(config, tmp_path / "out")
    assert "tinygrad_edu" in str(e.value) and not e.value.details["ok"]
    assert not (tmp_path / "out").exists()


def test_check_losses_rejects_nan_and_accepts_rounding_noise():
    def constant(value):
        return lambda: value

    with pytest.raises(harness.CheckFailed, match="nan"):
        harness.check_losses({"closed_form": constant(1.0),
                              "tinygrad_edu": constant(float("nan"))}, n_steps=2)
    ok = harness.check_losses({"closed_form": constant(1.0),
                               "tinygrad_edu": constant(1 + 1e-6)}, n_steps=2)
    assert ok["ok"] and ok["max_rel_diff"]["tinygrad_edu"] == pytest.approx(1e-6)
    with pytest.raises(harness.CheckFailed, match="torch"):  # a missing step is no agreement
        harness.compare_losses({"closed_form": [1.0, 0.9], "torch": [1.0]})


def test_interleaved_rotates_the_first_contender():
    calls: list[str] = []

    def sampler(name):
        return lambda number: calls.append(name) or 1.0

    samples = harness.interleaved({n: sampler(n) for n in "abc"}, number=1, rounds=3)
    assert calls == list("abc" "bca" "cab")
    assert samples == {n: [1.0, 1.0, 1.0] for n in "abc"}


def test_options_survive_the_hand_over_to_the_script():
    """``tinygrad-edu bench`` checks the options, then passes them on as a command line."""
    parser = argparse.ArgumentParser()
    cli.add_bench_arguments(parser)
    for argv in (["--quick", "--threads", "2,1", "--models", "c,a", "--no-torch", "--rounds",
                  "3", "--out", "x/y"], []):
        args = parser.parse_args(argv)
        assert parser.parse_args(cli.bench_argv(args)) == args


def test_cli_quick_run_through_worker_processes(tmp_path, capfd):
    """Without PyTorch, to stay fast: its workers' plumbing is the memory test's."""
    out = tmp_path / "results"
    code = cli_main(["bench", "--quick", "--out", str(out), "--threads", "1", "--models", "A,C",
                     "--no-torch"])
    printed = capfd.readouterr().out
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    report = json.loads((out / "bench_step.json").read_text())
    assert report["settings"]["isolate"] and report["settings"]["quick"]
    result = report["threads"]["1"]
    assert result["env"]["OPENBLAS_NUM_THREADS"] == "1"  # set in the worker's environment
    assert sorted(result["models"]) == ["A", "C"]
    assert all(m["check"]["ok"] for m in result["models"].values())
    assert sorted(report["rss"]["implementations"]) == ["closed_form", "tinygrad_edu"]
    assert "| A: softmax regression" in printed and "bench_step.md" in printed


def test_cli_without_the_harness_says_where_it_lives(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(cli, "BENCH_SCRIPT", tmp_path / "benchmarks" / "bench_step.py")
    code = cli_main(["bench", "--quick", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "source checkout" in err and not (tmp_path / "out").exists()


def test_without_torch_and_jax_their_columns_say_n_a(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    monkeypatch.setitem(sys.modules, "jax", None)
    assert bench.load_torch() is None and harness.load_jax() == (None, None)
    config = harness.BenchConfig.quick_config(models=("E",), threads=(1,), isolate=False)
    report = harness.run(config, tmp_path)
    assert report["machine"]["torch"] is None and report["machine"]["jax"] is None
    assert sorted(report["threads"]["1"]["models"]["E"]["us"]) == sorted(
        ["closed_form", "tinygrad_edu"] + (["compiled"] if HAS_COMPILE else []))
    table = (tmp_path / "bench_step.md").read_text()
    assert "| n/a |" in table and "jax: not installed" in table
    assert ("no `compile`" in table) != HAS_COMPILE
    assert report["rss"] is None  # memory is measured on model C only


def test_bad_model_name_is_an_argument_error(capsys):
    with pytest.raises(SystemExit) as e:
        cli_main(["bench", "--models", "A,Z"])
    assert e.value.code == 2 and "unknown model(s) Z" in capsys.readouterr().err


def test_import_tinygrad_edu_loads_neither_bench_nor_torch():
    code = ("import sys, tinygrad_edu; a = ['tinygrad_edu.bench' in sys.modules, "
            "'torch' in sys.modules]; import tinygrad_edu.cli, tinygrad_edu.bench; "
            "print(*a, 'torch' in sys.modules, 'matplotlib' in sys.modules, "
            "'jax' in sys.modules, 'jax_steps' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.split() == ["False"] * 6, result.stderr


def test_the_package_keeps_only_the_step_builder():
    lines = (ROOT / "tinygrad_edu" / "bench.py").read_text().count("\n")
    # the seven models' step builders; timing, processes and reports live in benchmarks/
    assert lines < 300, lines


# --------------------------------------------------------------------------- peak memory


@pytest.fixture(scope="module")
def memory_run(tmp_path_factory):
    """``bench_memory.py --quick --models M1``: three fresh processes (tinygrad_edu, closed
    form, PyTorch)."""
    out = tmp_path_factory.mktemp("memory")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_memory.py"),
                           "--quick", "--models", "M1", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads((out / "memory.json").read_text()), out


def test_memory_figures_are_absolute_and_consistent(memory_run):
    report, out = memory_run
    assert sorted(p.name for p in out.iterdir()) == ["memory.json", "memory.md"]
    model = report["models"]["M1"]
    assert sorted(model["implementations"]) == sorted(IMPLS)
    problem = bench.make_problem(memory.spec_of("M1", quick=True))
    held_kib = (problem.X.nbytes + sum(p.nbytes for p in problem.params.values())) / 1024
    for impl, r in model["implementations"].items():
        assert r["steps"] == memory.STEPS == len(r["losses"])
        assert 0 < r["after_imports_kib"] <= r["setup_peak_kib"] <= r["peak_kib"], impl
        assert r["after_setup_kib"] <= r["setup_peak_kib"]
        assert r["ru_maxrss_kib"] == pytest.approx(r["peak_kib"], rel=0.05)  # the same counter
        # the step holds its weights and the batch: the peak cannot be below them
        assert r["peak_kib"] - r["after_imports_kib"] >= held_kib, impl
    peaks = {impl: r["peak_kib"] for impl, r in model["implementations"].items()}
    assert model["ratios"]["ours/closed"] == peaks["tinygrad_edu"] / peaks["closed_form"]
    assert model["target"]["met"] == (model["ratios"]["ours/closed"] <= 1.15)
    assert model["check"]["ok"] and report["quick"]
    table = (out / "memory.md").read_text()
    assert "Quick mode" in table and "| tinygrad_edu |" in table and "Target: ours/closed" in table


def test_memory_losses_disagreeing_fail_the_run(monkeypatch):
    fake = {"losses": [2.0, 1.9, 1.8], "peak_kib": 1, "torch": None}
    wrong = {**fake, "losses": [2.0, 1.95, 1.9]}
    results = iter([(fake, 0), (wrong, 0)])
    monkeypatch.setattr(memory, "run_worker", lambda *args: next(results))
    with pytest.raises(memory.CheckFailed, match="memory model M1"):
        memory.run(["M1"], quick=True, use_torch=False)


def test_profile_step_sorts_frames_into_framework_layers() -> None:
    """benchmarks/profile_step.py charges each sample to the layer of its Python line."""
    module = _load("profile_step")
    assert module.layer_of("Linear.backward (tinygrad_edu/ops/linalg.py:93)") == "op math"
    assert module.layer_of("sum_rows (tinygrad_edu/_sums.py:26)") == "op math"
    assert module.layer_of("backward (tinygrad_edu/autograd/engine.py:64)") == "engine"
    module_frame = "Module.__call__ (tinygrad_edu/nn/module.py:127)"
    assert module.layer_of(module_frame) == "modules & wrappers"
    assert module.layer_of("SGD._update (tinygrad_edu/optim/sgd.py:59)") == "optimizer"
    assert module.layer_of("step (tinygrad_edu/bench.py:120)") == "the loop"
    assert module.layer_of("<module> (threading.py:1)") == "other"
