"""The training-step benchmark (``tinygrad_edu.bench``): it runs, checks its losses, writes its
files -- and refuses to time implementations that disagree.

No timing assertions: the machine is shared and noisy, and a benchmark is not a test of speed.
Everything runs in quick mode, mostly in this process (``isolate=False``) to stay fast; one test
goes through the command line and its worker processes. PyTorch parts are skipped without torch.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest

from tinygrad_edu import bench
from tinygrad_edu.cli import main as cli_main
from tinygrad_edu.reference import softmax_regression, xor_mlp

try:
    import torch  # noqa: F401

    HAS_TORCH = True
except ImportError:
    HAS_TORCH = False

HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
IMPLS = ["tinygrad_edu", "closed_form"] + (["torch"] if HAS_TORCH else [])
FILES = ["bench_step.json", "bench_step.md"] + (["bench_step.png"] if HAS_MATPLOTLIB else [])


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One in-process quick run of all five models at 1 thread: (report, output directory)."""
    out = tmp_path_factory.mktemp("bench")
    config = bench.BenchConfig.quick_config(threads=(1,), isolate=False, rss_steps=5)
    report = bench.run(config, out)
    return report, out


def test_quick_run_writes_json_markdown_and_png(quick):
    report, out = quick
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert json.loads((out / "bench_step.json").read_text()) == json.loads(json.dumps(report))
    table = (out / "bench_step.md").read_text()
    assert "Quick mode" in table
    for key, spec in bench.MODELS.items():
        assert f"| {key}: {spec.title} |" in table
    assert "`a + b` with grad" in table and "Peak memory" in table
    if HAS_MATPLOTLIB:
        assert (out / "bench_step.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_json_has_every_model_implementation_ratio_and_target(quick):
    report, _ = quick
    machine = report["machine"]
    assert {"cpu", "cores", "python", "numpy", "torch", "tinygrad_edu", "date"} <= set(machine)
    assert (machine["torch"] is not None) == HAS_TORCH
    result = report["threads"]["1"]
    assert sorted(result["models"]) == list("ABCDE")
    for model in result["models"].values():
        assert sorted(model["us"]) == sorted(IMPLS)
        for stats in model["us"].values():
            assert 0 < stats["min"] <= stats["median"] <= stats["max"]
        expected = {"ours/closed"} | ({"ours/torch", "torch/closed"} if HAS_TORCH else set())
        assert set(model["ratios"]) == expected
    assert sorted(result["add"]["us"]) == sorted(["numpy", *IMPLS[:1], *IMPLS[2:]])
    assert sorted(report["rss"]["implementations"]) == sorted(IMPLS)
    for r in report["rss"]["implementations"].values():
        assert r["peak_kib"] > 0 and r["steps"] == 5
    targets = {row["what"] for row in report["summary"]["targets"]}
    assert {"A ours/closed", "E ours/torch", "a + b (us)", "peak RSS C ours/closed"} <= targets


def test_every_implementation_computes_the_same_losses(quick):
    report, _ = quick
    for key, model in report["threads"]["1"]["models"].items():
        check = model["check"]
        assert check["ok"] and sorted(check["losses"]) == sorted(IMPLS)
        closed = np.array(check["losses"]["closed_form"])
        assert len(closed) == check["steps"] == 5
        for losses in check["losses"].values():
            np.testing.assert_allclose(losses, closed, rtol=bench.LOSS_RTOL)
        # The check has teeth only if training moves the loss far beyond the tolerance.
        assert np.ptp(closed) > 100 * bench.LOSS_RTOL * closed[0], key


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
    config = bench.BenchConfig.quick_config(models=(model,), threads=(1,), isolate=False,
                                            use_torch=False)
    with pytest.raises(bench.CheckFailed, match=f"loss check failed for model {model}") as e:
        bench.run(config, tmp_path / "out")
    assert "tinygrad_edu" in str(e.value) and not e.value.details["ok"]
    assert not (tmp_path / "out").exists()


def test_check_losses_rejects_nan_and_accepts_rounding_noise():
    def constant(value):
        return lambda: value

    with pytest.raises(bench.CheckFailed, match="nan"):
        bench.check_losses({"closed_form": constant(1.0), "tinygrad_edu": constant(float("nan"))},
                           n_steps=2)
    ok = bench.check_losses({"closed_form": constant(1.0), "tinygrad_edu": constant(1 + 1e-6)},
                            n_steps=2)
    assert ok["ok"] and ok["max_rel_diff"]["tinygrad_edu"] == pytest.approx(1e-6)


def test_cli_quick_run_through_worker_processes(tmp_path, capsys):
    out = tmp_path / "results"
    code = cli_main(["bench", "--quick", "--out", str(out), "--threads", "1", "--models", "A,C"])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    report = json.loads((out / "bench_step.json").read_text())
    assert report["settings"]["isolate"] and report["settings"]["quick"]
    result = report["threads"]["1"]
    assert result["env"]["OPENBLAS_NUM_THREADS"] == "1"  # set in the worker's environment
    assert sorted(result["models"]) == ["A", "C"]
    assert all(m["check"]["ok"] for m in result["models"].values())
    assert sorted(report["rss"]["implementations"]) == sorted(IMPLS)
    printed = capsys.readouterr().out
    assert "| A: softmax regression" in printed and "bench_step.md" in printed


def test_without_torch_the_torch_columns_say_n_a(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    assert bench.load_torch() is None
    config = bench.BenchConfig.quick_config(models=("E",), threads=(1,), isolate=False)
    report = bench.run(config, tmp_path)
    assert report["machine"]["torch"] is None
    assert sorted(report["threads"]["1"]["models"]["E"]["us"]) == ["closed_form", "tinygrad_edu"]
    assert "| n/a |" in (tmp_path / "bench_step.md").read_text()
    assert report["rss"] is None  # memory is measured on model C only


def test_bad_model_name_is_an_argument_error(capsys):
    with pytest.raises(SystemExit) as e:
        cli_main(["bench", "--models", "A,Z"])
    assert e.value.code == 2 and "unknown model(s) Z" in capsys.readouterr().err


def test_import_tinygrad_edu_loads_neither_bench_nor_torch():
    code = ("import sys, tinygrad_edu; "
            "print('tinygrad_edu.bench' in sys.modules, 'torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.split() == ["False", "False"], result.stderr


def test_profile_step_sorts_frames_into_framework_layers() -> None:
    """benchmarks/profile_step.py charges each sample to the layer of its Python line."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "profile_step.py"
    spec = importlib.util.spec_from_file_location("profile_step", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.layer_of("Linear.backward (tinygrad_edu/ops/linalg.py:93)") == "op math"
    assert module.layer_of("sum_rows (tinygrad_edu/_sums.py:26)") == "op math"
    assert module.layer_of("backward (tinygrad_edu/autograd.py:364)") == "engine"
    module_frame = "Module.__call__ (tinygrad_edu/nn/module.py:127)"
    assert module.layer_of(module_frame) == "modules & wrappers"
    assert module.layer_of("SGD._update (tinygrad_edu/optim/sgd.py:59)") == "optimizer"
    assert module.layer_of("<module> (threading.py:1)") == "other"
