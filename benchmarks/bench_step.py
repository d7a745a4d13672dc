"""Training-step time of tinygrad_edu vs the closed-form NumPy step vs PyTorch (issue 6), and of
our ``tg.compile``d step vs JAX's ``jax.jit`` (issue 16).

Five models (``tinygrad_edu.bench.MODELS``), each trained three ways on the same float32 batch
from the same initial weights (the steps are built by ``tinygrad_edu.bench.build_steps``):

=====  ===========================================  =====  =========  ===========  ==========
model  network                                      batch  optimizer  ours/closed  ours/torch
=====  ===========================================  =====  =========  ===========  ==========
A      softmax regression 784 -> 10                 100    SGD        <= 1.10      <= 0.75
B      MLP 784-64-10, ReLU                          100    SGD        <= 1.10      <= 0.75
C      MLP 784-512-10, ReLU                         128    SGD        <= 1.10      <= 1.0
D      MLP 784-512-10, ReLU                         128    Adam       <= 1.10      <= 1.0
E      XOR net 2-4-1, sigmoid, mean-squared error   4      SGD        <= 1.5       <= 0.5
=====  ===========================================  =====  =========  ===========  ==========

**How it is measured, and why.** The machine is small and shared, so absolute times drift by
tens of percent from minute to minute. The implementations of a model are therefore timed in
*rounds*, one sample of each in turn (the starting one rotating), and the figure of merit is the
**median of the per-round ratios**: a slow moment of the machine hits every contender of that
round alike and cancels in the ratio. Each thread count (1 and 2 by default) runs in its own
process, because BLAS reads ``OPENBLAS_NUM_THREADS`` (and friends) once, when NumPy is imported.
The garbage collector stays on while timing (``timeit`` turns it off by default): a user's
training loop runs with it, and a framework that creates many Python objects per step pays for
them there. Peak memory of 1,000 steps of model C is measured with each implementation alone in
a fresh process, so that no implementation is charged for another's imports or buffers (the
peak memory of large models is ``bench_memory.py``'s job).

**Two optional columns (issue 16).** *compiled* is ``tinygrad_edu.compile`` of our step (a step
of its own): ``tinygrad_edu.bench.build_steps`` looks ``compile`` up on the package when it
builds the steps and leaves the column out where the library has none. *jax* is the same step
in JAX under ``jax.jit`` (``jax_steps.py`` next to this file, loaded by :func:`load_jax` only
where JAX imports; install it in the benchmark's environment only, it is no dependency). Both
are timed in the same rounds as the others, checked by the same loss check, and the first
:data:`FIRST_CALLS` calls of fresh compiled and JAX steps are timed one by one: the cost of
tracing and of XLA's compilation. :func:`thread_env` sizes XLA's thread pool too.

**A benchmark of wrong code is worthless**, so before any timing every implementation runs a few
steps from the same initial weights on the same batch, and their loss sequences must agree with
the closed form's (see :data:`LOSS_RTOL`); otherwise :class:`CheckFailed` is raised and nothing
is written.

Results go to ``bench_step.json`` (everything, including the raw per-round samples and the
checked losses), ``bench_step.md`` (the table the README quotes) and ``bench_step.png`` (the
ratios against their targets; needs matplotlib), by default in ``benchmarks/results/``.
``--quick`` takes about ten seconds (mostly starting Pythons and importing PyTorch) and checks
the plumbing and the losses -- its numbers mean nothing.

Run: ``python benchmarks/bench_step.py [--quick] [--rounds N] [--threads 1,2] [--out DIR]
[--models A,B,...] [--no-torch]``, or ``tinygrad-edu bench`` with the same options. The worker
processes run this file again (``--worker``); PyTorch and matplotlib are imported only when used.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_edu
from tinygrad_edu import Tensor
from tinygrad_edu.bench import MODELS, Step, build_steps, load_torch, make_problem
from tinygrad_edu.cli import add_bench_arguments

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results"
if str(HERE) not in sys.path:  # its siblings (the report, jax_steps), also when loaded by path
    sys.path.insert(0, str(HERE))
from bench_step_report import render_markdown, render_png, write_outputs  # noqa: E402

__all__ = ["BenchConfig", "BenchError", "CheckFailed", "check_losses", "compare_losses",
           "interleaved", "load_jax", "main", "render_markdown", "render_png", "run",
           "run_timing", "time_first_calls", "write_outputs"]

# --------------------------------------------------------------------------- what is measured

#: The three ways of taking a step that every run has (peak memory measures these).
IMPLEMENTATIONS = ("tinygrad_edu", "closed_form", "torch")
#: The optional ones (issue 16): ``tinygrad_edu.compile`` of our step, where the library has it
#: (``bench.build_steps`` looks it up), and JAX's ``jax.jit`` (``jax_steps.py``), where JAX
#: imports. The steps of a model are timed in the order ``build_steps`` returns them.
OPTIONAL_IMPLEMENTATIONS = ("compiled", "jax")
#: Ratios reported per model: name -> (numerator, denominator).
RATIOS = {
    "ours/closed": ("tinygrad_edu", "closed_form"),
    "ours/torch": ("tinygrad_edu", "torch"),
    "torch/closed": ("torch", "closed_form"),
    "compiled/closed": ("compiled", "closed_form"),
    "compiled/ours": ("compiled", "tinygrad_edu"),
    "compiled/jax": ("compiled", "jax"),
    "ours/jax": ("tinygrad_edu", "jax"),
    "jax/closed": ("jax", "closed_form"),
}
#: Targets per model: the median ours/closed, ours/torch and compiled/closed step-time ratios,
#: at most (``None``: no target).
TARGETS: dict[str, dict[str, float | None]] = {
    "A": {"max_vs_closed": 1.10, "max_vs_torch": 0.75, "max_compiled_vs_closed": 1.05},
    "B": {"max_vs_closed": 1.10, "max_vs_torch": 0.75, "max_compiled_vs_closed": 1.05},
    "C": {"max_vs_closed": 1.10, "max_vs_torch": 1.0, "max_compiled_vs_closed": 1.02},
    "D": {"max_vs_closed": 1.10, "max_vs_torch": 1.0, "max_compiled_vs_closed": 1.02},
    "E": {"max_vs_closed": 1.5, "max_vs_torch": 0.5, "max_compiled_vs_closed": 1.25},
    "F": {"max_vs_closed": 1.10, "max_vs_torch": 2.0, "max_compiled_vs_closed": None},
    # issue 13 sets none against PyTorch, issue 16 none for F and G compiled
    "G": {"max_vs_closed": 1.10, "max_vs_torch": None, "max_compiled_vs_closed": None},
}
#: (ratio, target field) of every target row of the summary
TARGET_RATIOS = (("ours/closed", "max_vs_closed"), ("ours/torch", "max_vs_torch"),
                 ("compiled/closed", "max_compiled_vs_closed"))
#: Calls of a fresh step timed one by one: ``tg.compile`` traces on the first two calls and
#: replays from the third, ``jax.jit`` compiles on the first.
FIRST_CALLS = 3
#: Target for one ``a + b`` with grad on 10 floats, microseconds.
ADD_TARGET_US = 1.0
#: Target for the peak RSS of 1,000 steps of model C, as a multiple of the closed form's.
RSS_TARGET = 1.3
RSS_MODEL = "C"

#: Relative tolerance of the loss check. The implementations do the same float32 arithmetic in
#: different orders (BLAS blocking and threading, PyTorch's own kernels, a fused loss against
#: a hand-written one), so each loss differs by a few float32 rounding errors (eps = 1.2e-7);
#: measured over the five checked steps: at most about 1e-7 relative, at 1 and 2 threads. 1e-4
#: leaves a wide margin for other BLAS builds and CPUs, while every model's loss moves by
#: 1-10 % per step, so a wrong learning rate or a wrong derivative shows at the second step
#: (tests/test_bench.py plants two such bugs and sees the check fail).
LOSS_RTOL = 1e-4


def spec_with_targets(key: str) -> dict[str, Any]:
    """A model's spec and its targets, as the JSON report holds them."""
    return {**dataclasses.asdict(MODELS[key]), **TARGETS[key]}


@dataclass(frozen=True)
class BenchConfig:
    """How much to measure. The defaults take about two minutes on 2 cores."""

    models: tuple[str, ...] = tuple(MODELS)
    threads: tuple[int, ...] = (1, 2)
    rounds: int = 31
    #: Steps per timing sample; ``None`` picks, per model, enough steps for ``sample_seconds``.
    steps: int | None = None
    sample_seconds: float = 0.04
    #: Pause before each timing sample when threads > 1 (see :func:`run_timing`).
    settle_seconds: float = 0.15
    check_steps: int = 5
    add_number: int = 20_000  # ``a + b`` calls per timing sample
    rss_steps: int = 1_000
    use_torch: bool = True
    #: JAX's steps where JAX imports (no command-line option: tests switch it off to stay fast)
    use_jax: bool = True
    #: Separate processes per thread count and per RSS measurement. ``False`` runs everything in
    #: this process (tests): thread counts then only reach PyTorch, not NumPy's BLAS.
    isolate: bool = True
    quick: bool = False

    @classmethod
    def quick_config(cls, **overrides: Any) -> BenchConfig:
        """Tiny counts (2 rounds x 2 steps, 20 steps for RSS): seconds, not minutes."""
        settings: dict[str, Any] = {"rounds": 2, "steps": 2, "add_number": 200,
                                    "rss_steps": 20, "settle_seconds": 0.0, "quick": True}
        settings.update(overrides)
        return cls(**settings)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BenchConfig:
        values = dict(data)
        values["models"] = tuple(values["models"])
        values["threads"] = tuple(values["threads"])
        return cls(**values)


class BenchError(RuntimeError):
    """The benchmark could not run (a worker process failed, a bad argument)."""


class CheckFailed(BenchError):
    """The implementations' losses disagree: the timings would compare different computations."""

    def __init__(self, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = dict(details or {})


def log(message: str) -> None:
    """Progress on stderr, so stdout stays the table (and workers' output reaches the user)."""
    print(message, file=sys.stderr, flush=True)


def _as_float(loss: Any) -> float:
    return float(loss.item()) if hasattr(loss, "item") else float(loss)


def load_jax(use_jax: bool = True) -> tuple[Callable[..., Step] | None, str | None]:
    """``(jax_steps.build_jax_step, jax's version)``, or ``(None, None)`` when JAX does not
    import (or is not wanted). ``jax_steps.py`` sits next to this file; the package's
    ``build_steps`` gets the builder as an argument, so it never imports the benchmarks."""
    if not use_jax:
        return None, None
    try:
        import jax
    except ImportError:
        return None, None
    import jax_steps

    return jax_steps.build_jax_step, str(jax.__version__)


# --------------------------------------------------------------------------- the loss check


def check_losses(steps: Mapping[str, Step], n_steps: int, rtol: float = LOSS_RTOL,
                 label: str = "") -> dict[str, Any]:
    """Run every step ``n_steps`` times and compare each loss sequence with the closed form's
    (:func:`compare_losses`). The steps are the very functions that are timed next."""
    losses = {name: [_as_float(step()) for _ in range(n_steps)] for name, step in steps.items()}
    return compare_losses(losses, rtol, label)


def compare_losses(losses: Mapping[str, Sequence[float]], rtol: float = LOSS_RTOL,
                   label: str = "", reference: str = "closed_form") -> dict[str, Any]:
    """Compare every implementation's loss sequence with ``reference``'s.

    Returns the losses and the largest relative differences (they go into the JSON); raises
    :class:`CheckFailed` naming the implementation and showing both sequences when one
    differs by more than ``rtol`` (or is NaN).
    """
    expected = np.array(losses[reference])
    max_rel: dict[str, float] = {}
    failures = []
    for name, seq in losses.items():
        values = np.array(seq)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.abs(values - expected) / np.abs(expected)
        max_rel[name] = (float(np.max(rel)) if values.shape == expected.shape
                         and np.all(np.isfinite(rel)) else float("inf"))
        if not max_rel[name] <= rtol:  # also catches NaN
            failures.append(f"  {name:<13} {_fmt_losses(seq)}  (max rel. diff {max_rel[name]:.2e})")
    result = {"steps": len(expected), "rtol": rtol, "losses": {k: list(v) for k, v in
                                                                 losses.items()},
              "max_rel_diff": max_rel, "ok": not failures}
    if failures:
        raise CheckFailed(
            f"loss check failed{' for ' + label if label else ''}: the implementations do not "
            f"agree within rtol {rtol:g} over {len(expected)} steps from the same initial "
            f"weights\n  {reference:<13} {_fmt_losses(losses[reference])}\n"
            + "\n".join(failures), result)
    return result


def _fmt_losses(seq: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:.7g}" for v in seq) + "]"


# --------------------------------------------------------------------------- timing


def _sample(fn: Step, number: int) -> float:
    """Seconds per call of ``fn`` over ``number`` calls, with the garbage collector on."""
    timer = timeit.Timer("fn()", setup="gc.enable()", globals={"fn": fn, "gc": gc})
    return timer.timeit(number) / number


#: Times ``number`` calls of something and returns the seconds per call.
Sampler = Callable[[int], float]


def interleaved(samplers: Mapping[str, Sampler], number: int, rounds: int,
                settle: float = 0.0) -> dict[str, list[float]]:
    """Per-round seconds per call of each contender, every contender sampled once per round.

    The first contender of a round rotates, so none always runs right after the same one.
    ``settle`` seconds of sleep before each sample let the worker threads of the previous
    contender's thread pool stop spinning (see :func:`run_timing`).
    """
    names = list(samplers)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            if settle:
                time.sleep(settle)
            samples[name].append(samplers[name](number))
    return samples


def time_first_calls(steps: Mapping[str, Step], calls: int) -> dict[str, list[float]]:
    """Microseconds of each of the first ``calls`` calls of fresh steps, one at a time: the
    cost of tracing (``tg.compile``) or compiling (``jax.jit``), next to a first call of the
    closed form (which pays only for first-touch memory)."""
    out: dict[str, list[float]] = {}
    for name, step in steps.items():
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            _as_float(step())  # the loss as a number: a lazily computed step must finish
            times.append((time.perf_counter() - start) * 1e6)
        out[name] = times
    return out


def _steps_per_sample(steps: Mapping[str, Step], seconds: float, settle: float = 0.0) -> int:
    """Enough steps for the slowest implementation's sample to last about ``seconds``."""
    fastest_step = []
    for step in steps.values():
        time.sleep(settle)
        fastest_step.append(min(_sample(step, 1) for _ in range(3)))
    return max(1, min(100_000, round(seconds / max(fastest_step))))


def _stats(values: Sequence[float], scale: float = 1.0) -> dict[str, float]:
    """Median, min, max and quartiles (the chart's whiskers) of ``values`` times ``scale``."""
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else (
        values[0], values[0], values[0])
    return {"median": statistics.median(values) * scale, "min": min(values) * scale,
            "max": max(values) * scale, "q1": q1 * scale, "q3": q3 * scale}


def _summarize(samples: Mapping[str, list[float]],
               ratios: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    """Median / min / max microseconds per call, and the per-round ratios' median / min / max."""
    out: dict[str, Any] = {
        "us": {name: _stats(times, 1e6) for name, times in samples.items()},
        "samples_us": {name: [t * 1e6 for t in times] for name, times in samples.items()},
        "ratios": {},
    }
    for ratio, (num, den) in ratios.items():
        if num in samples and den in samples:
            per_round = [a / b for a, b in zip(samples[num], samples[den], strict=True)]
            out["ratios"][ratio] = _stats(per_round)
    return out


def bench_add(torch: Any, number: int, rounds: int) -> dict[str, Any]:
    """``a + b`` on 10 floats: ours with grad, plain NumPy, PyTorch with grad.

    This is the fixed cost of one recorded operation -- what a graph of many small ops pays.
    The statement is timed directly (no function call around it), as ``timeit`` does.
    """
    rng = np.random.default_rng(0)
    a_np, b_np = rng.random(10, dtype=np.float32), rng.random(10, dtype=np.float32)
    namespaces: dict[str, dict[str, Any]] = {
        "tinygrad_edu": {"a": Tensor(a_np.copy(), requires_grad=True),
                         "b": Tensor(b_np.copy(), requires_grad=True)},
        "numpy": {"a": a_np, "b": b_np},
    }
    if torch is not None:
        namespaces["torch"] = {"a": torch.tensor(a_np, requires_grad=True),
                               "b": torch.tensor(b_np, requires_grad=True)}
    samplers: dict[str, Sampler] = {}
    for name, ns in namespaces.items():
        timer = timeit.Timer("a + b", setup="gc.enable()", globals={**ns, "gc": gc})
        timer.timeit(max(1, number // 10))  # warm up
        samplers[name] = functools.partial(_per_call, timer)
    return _summarize(interleaved(samplers, number, rounds),
                      {"ours/numpy": ("tinygrad_edu", "numpy"),
                       "ours/torch": ("tinygrad_edu", "torch")})


def _per_call(timer: timeit.Timer, number: int) -> float:
    return timer.timeit(number) / number


def _cpu_seconds() -> tuple[float, float, float] | None:
    """(busy CPU seconds of the whole machine, CPU seconds of this process, wall seconds).

    Two snapshots give the cores that *other* processes (and, in a VM, the hypervisor's
    steal) used in between: the machine's busy time minus ours. On 2 shared cores that is
    the first thing to know about a timing; ``None`` where /proc/stat does not exist.
    """
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal: all but idle and iowait are busy
    busy = sum(ticks) - ticks[3] - ticks[4]
    own = os.times()
    return busy / os.sysconf("SC_CLK_TCK"), own.user + own.system, time.perf_counter()


def _others_cores(start: tuple[float, float, float] | None) -> float | None:
    """Average number of cores used by other processes since ``start`` (see above)."""
    end = _cpu_seconds()
    if start is None or end is None or end[2] <= start[2]:
        return None
    return max(0.0, ((end[0] - start[0]) - (end[1] - start[1])) / (end[2] - start[2]))


def run_timing(config: BenchConfig, threads: int) -> dict[str, Any]:
    """Check, then time, every model at ``threads`` threads (in the current process).

    **Why the pause between samples at 2 threads.** Such a process holds two thread pools:
    OpenBLAS's (NumPy's matrix products) and OpenMP's (PyTorch). After its work each pool's
    threads keep spinning for a while (OpenBLAS: up to ~0.1 s) in case more work comes, and
    on 2 cores they take the cores the other pool needs next. Interleaving NumPy and PyTorch
    then measures that fight, not the frameworks: on a quiet machine, without the pause,
    PyTorch's step of A took 4x longer at 2 threads than at 1, and ours 1.7x (against the
    same runs without PyTorch). Sleeping ``config.settle_seconds`` before each sample lets
    the previous pool fall asleep, as it would in a program that uses one framework.
    """
    torch = load_torch(config.use_torch)
    if torch is None:
        return _run_timing(config, threads, None)
    previous = torch.get_num_threads()  # restored: in-process runs (tests) share the setting
    torch.set_num_threads(threads)
    try:
        return _run_timing(config, threads, torch)
    finally:
        torch.set_num_threads(previous)


def _run_timing(config: BenchConfig, threads: int, torch: Any) -> dict[str, Any]:
    label = f"[{threads} thread{'s' if threads > 1 else ''}]"
    cpu_start = _cpu_seconds()

    settle = config.settle_seconds if threads > 1 else 0.0  # one thread: no pools to settle
    jax_step, jax_version = load_jax(config.use_jax)
    build = functools.partial(build_steps, torch=torch, jax_step=jax_step)

    # Check every model before timing any: a wrong implementation fails in seconds.
    steps: dict[str, dict[str, Step]] = {}
    checks: dict[str, dict[str, Any]] = {}
    first_calls: dict[str, dict[str, list[float]]] = {}
    for key in config.models:
        problem = make_problem(MODELS[key])
        first_calls[key] = time_first_calls(build(problem, implementations=(
            "tinygrad_edu", "compiled", "closed_form", "jax")), FIRST_CALLS)
        steps[key] = build(problem)
        # each implementation draws its own dropout masks: check the twin without dropout
        checked = steps[key] if not MODELS[key].dropout else build(problem, dropout=False)
        checks[key] = check_losses(checked, config.check_steps, label=f"model {key}")
    log(f"{label} losses agree (rtol {LOSS_RTOL:g}, {config.check_steps} steps) for "
        f"{', '.join(config.models)}: {', '.join(steps[config.models[0]])}")

    models: dict[str, Any] = {}
    for key in config.models:
        number = config.steps or _steps_per_sample(steps[key], config.sample_seconds, settle)
        samplers = {name: functools.partial(_sample, step) for name, step in steps[key].items()}
        for sampler in samplers.values():  # warm up: one sample's worth of steps
            sampler(number)
        log(f"{label} {key}: {config.rounds} rounds x {number} steps")
        models[key] = {"steps_per_sample": number, "check": checks[key],
                       "first_calls_us": first_calls[key],
                       **_summarize(interleaved(samplers, number, config.rounds, settle),
                                    RATIOS)}
    log(f"{label} a + b: {config.rounds} rounds x {config.add_number} ops")
    add = bench_add(torch, config.add_number, config.rounds)
    return {
        "threads": threads,
        # cores other processes used meanwhile: > 0.2 or so and the timings were disturbed
        "others_cores": _others_cores(cpu_start),
        "settle_seconds": settle,
        "env": {k: os.environ.get(k) for k in thread_env(threads)},
        "torch": None if torch is None else torch.__version__,
        "torch_threads": None if torch is None else torch.get_num_threads(),
        "jax": jax_version,
        "compile": hasattr(tinygrad_edu, "compile"),
        "models": models,
        "add": add,
    }


# --------------------------------------------------------------------------- memory


def proc_status_kib() -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` (the peak) of this process from /proc, in KiB."""
    values = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, rest = line.split(":", 1)
                values[name] = int(rest.split()[0])
    return values


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter to the current RSS (Linux); ``False`` if impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return "VmHWM" in proc_status_kib()
    except OSError:
        return False


def run_rss(config: BenchConfig, model: str, implementation: str) -> dict[str, Any]:
    """Peak resident memory of ``config.rss_steps`` steps of one implementation.

    The peak is reset after setup (imports, batch, model), so it measures training itself;
    ``growth`` is the peak over the post-setup RSS, ``final`` minus setup shows a leak. Without
    /proc (not Linux) the lifetime peak of ``getrusage`` is the fallback, setup included.
    """
    torch = load_torch(implementation == "torch")
    if implementation == "torch":
        if torch is None:
            return {"skipped": "torch does not import"}
        torch.set_num_threads(1)
    problem = make_problem(MODELS[model])
    step = build_steps(problem, torch, (implementation,))[implementation]
    gc.collect()
    if _reset_peak():  # the peak is now the current RSS: the memory after setup
        method, setup = "VmHWM after clear_refs", proc_status_kib()["VmHWM"]
    else:
        method = "ru_maxrss (lifetime peak)"
        try:
            setup = proc_status_kib()["VmRSS"]
        except (OSError, KeyError):
            setup = None
    for _ in range(config.rss_steps):
        step()
    if method.startswith("VmHWM"):
        status = proc_status_kib()
        peak, final = status["VmHWM"], status["VmRSS"]
    else:
        import resource

        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = maxrss // 1024 if sys.platform == "darwin" else maxrss  # bytes on macOS
        final = None
    return {
        "steps": config.rss_steps,
        "method": method,
        "setup_kib": setup,
        "peak_kib": peak,
        "growth_kib": None if setup is None else peak - setup,
        "final_kib": final,
    }


# --------------------------------------------------------------------------- processes


def thread_env(threads: int) -> dict[str, str]:
    """The variables that size the BLAS, OpenMP and XLA (JAX) thread pools (read once, at
    load time; XLA's flags are added to any the user set)."""
    n = str(threads)
    xla = (f"--xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'} "
           f"intra_op_parallelism_threads={n}")
    user = os.environ.get("XLA_FLAGS", "")
    if "intra_op_parallelism_threads" not in user:
        xla = f"{user} {xla}".strip()
    else:  # the user's flags already size the pool (a worker inherits ours): keep them
        xla = user
    return {"OPENBLAS_NUM_THREADS": n, "OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n,
            "XLA_FLAGS": xla}


def run_worker(script: Path, args: Sequence[str], threads: int
               ) -> tuple[dict[str, Any] | None, int]:
    """Run ``python script --worker *args RESULT_FILE`` in a fresh Python at ``threads`` threads;
    return the JSON it wrote into RESULT_FILE (``None`` if none) and its exit code.

    The variables must be in the child's environment *before* NumPy is imported: OpenBLAS
    sizes its thread pool once, at load time. The child imports this very copy of
    tinygrad_edu (``PYTHONPATH``); its stdout and stderr go straight to the terminal.
    """
    package_root = str(Path(tinygrad_edu.__file__).resolve().parent.parent)
    env = {**os.environ, **thread_env(threads)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="tinygrad_edu_bench_") as tmp:
        result_file = Path(tmp) / "result.json"
        cmd = [sys.executable, str(script), "--worker", *args, str(result_file)]
        code = subprocess.run(cmd, env=env, check=False).returncode
        payload = json.loads(result_file.read_text()) if result_file.exists() else None
    return payload, code


def _run_job(job: Mapping[str, Any]) -> dict[str, Any]:
    config = BenchConfig.from_json(job["config"])
    if job["kind"] == "timing":
        return run_timing(config, job["threads"])
    return run_rss(config, job["model"], job["implementation"])


def _call(job: dict[str, Any], threads: int, isolate: bool) -> dict[str, Any]:
    """Run a job here, or in a fresh Python whose BLAS and OpenMP use ``threads`` threads
    (:func:`run_worker`)."""
    if not isolate:
        return _run_job(job)
    payload, code = run_worker(Path(__file__), [json.dumps(job)], threads)
    if payload is not None and "check_failed" in payload:
        raise CheckFailed(payload["check_failed"], payload.get("details"))
    if code != 0 or payload is None:
        raise BenchError(f"benchmark worker ({job['kind']}, {threads} thread(s)) exited with "
                         f"code {code}; its error is printed above")
    return dict(payload)


def _worker_main(argv: Sequence[str]) -> int:
    """``python bench_step.py --worker JOB_JSON RESULT_FILE`` (started by :func:`_call`)."""
    job, result_file = json.loads(argv[0]), Path(argv[1])
    try:
        payload = _run_job(job)
    except CheckFailed as e:
        result_file.write_text(json.dumps({"check_failed": str(e), "details": e.details}))
        return 3
    result_file.write_text(json.dumps(payload))
    return 0


# --------------------------------------------------------------------------- the whole run


def machine_info() -> dict[str, Any]:
    """CPU, cores, versions and date, for the JSON and the table's caption."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        usable: int | None = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = None
    try:
        blas_info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{blas_info['name']} {blas_info.get('version', '')}".strip()
    except Exception:  # older NumPy has no mode="dicts"; the BLAS name is a nicety
        blas = "unknown"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas,
        "torch": None,  # filled in from a worker: this process does not import torch
        "jax": None,  # and neither jax
        "tinygrad_edu": tinygrad_edu.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def _target_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every target with its measured value and whether it is met (``None``: not measured)."""
    rows: list[dict[str, Any]] = []
    for threads, result in report["threads"].items():
        for key, model in result["models"].items():
            targets = TARGETS[key]
            for ratio, field in TARGET_RATIOS:
                target = targets[field]
                if target is None:
                    continue
                value = model["ratios"].get(ratio, {}).get("median")
                rows.append({"what": f"{key} {ratio}", "threads": int(threads), "value": value,
                             "target": target, "met": None if value is None else value <= target})
        add = result["add"]["us"]["tinygrad_edu"]["median"]
        rows.append({"what": "a + b (us)", "threads": int(threads), "value": add,
                     "target": ADD_TARGET_US, "met": add <= ADD_TARGET_US})
    rss = report.get("rss")
    if rss and "ours/closed" in rss:
        value = rss["ours/closed"]
        rows.append({"what": f"peak RSS {RSS_MODEL} ours/closed", "threads": rss["threads"],
                     "value": value, "target": RSS_TARGET, "met": value <= RSS_TARGET})
    return rows


def run(config: BenchConfig, out: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; write ``bench_step.{json,md,png}`` into ``out`` if given.

    Raises :class:`CheckFailed` (nothing written) when the implementations disagree.
    """
    unknown = [m for m in config.models if m not in MODELS]
    if unknown or not config.models:
        raise BenchError(f"unknown models {unknown}; choose from {', '.join(MODELS)}")
    report: dict[str, Any] = {
        "benchmark": "training step: tinygrad_edu vs closed-form NumPy vs PyTorch (issue 6)",
        "machine": machine_info(),
        "settings": {**config.to_json(), "loss_rtol": LOSS_RTOL},
        "models": {key: spec_with_targets(key) for key in config.models},
        "targets": {
            "ours/closed": {key: TARGETS[key]["max_vs_closed"] for key in config.models},
            "ours/torch": {key: TARGETS[key]["max_vs_torch"] for key in config.models},
            "compiled/closed": {key: TARGETS[key]["max_compiled_vs_closed"]
                                for key in config.models},
            "add_us": ADD_TARGET_US,
            "rss_peak_ours/closed": RSS_TARGET,
        },
        "threads": {},
        "rss": None,
    }
    for threads in config.threads:
        job = {"kind": "timing", "threads": threads, "config": config.to_json()}
        result = _call(job, threads, config.isolate)
        report["threads"][str(threads)] = result
        report["machine"]["torch"] = result["torch"]
        report["machine"]["jax"] = result["jax"]
        report["machine"]["compile"] = result["compile"]
    if RSS_MODEL in config.models:
        report["rss"] = _measure_rss(config, report["machine"]["torch"] is not None)
    rows = _target_rows(report)
    report["summary"] = {
        "targets": rows,
        "met": sum(1 for r in rows if r["met"]),
        "not_met": [f"{r['what']} ({r['threads']} thread{'s' if r['threads'] > 1 else ''})"
                    for r in rows if r["met"] is False],
    }
    if out is not None:
        write_outputs(report, Path(out))
    return report


def _measure_rss(config: BenchConfig, with_torch: bool) -> dict[str, Any]:
    threads = 1
    impls = [i for i in IMPLEMENTATIONS if i != "torch" or with_torch]
    result: dict[str, Any] = {"model": RSS_MODEL, "steps": config.rss_steps, "threads": threads,
                              "isolated": config.isolate, "implementations": {}}
    for impl in impls:
        log(f"[rss] {config.rss_steps} steps of {RSS_MODEL}, {impl}")
        job = {"kind": "rss", "model": RSS_MODEL, "implementation": impl,
               "config": config.to_json()}
        result["implementations"][impl] = _call(job, threads, config.isolate)
    measured = result["implementations"]
    ours, closed = measured["tinygrad_edu"], measured["closed_form"]
    result["ours/closed"] = ours["peak_kib"] / closed["peak_kib"]
    return result


# --------------------------------------------------------------------------- command line


def run_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Build the config from parsed arguments, run, print the table and where it went."""
    overrides: dict[str, Any] = {"models": tuple(args.models), "threads": tuple(args.threads),
                                 "use_torch": args.use_torch}
    if args.rounds is not None:
        overrides["rounds"] = args.rounds
    config = (BenchConfig.quick_config(**overrides) if args.quick
              else BenchConfig(**overrides))
    report = run(config)
    written = write_outputs(report, Path(args.out))
    print(render_markdown(report))
    print(f"written: {', '.join(str(path) for path in written)}")
    return report


def main(argv: Sequence[str] | None = None, default_out: str = str(DEFAULT_OUT)) -> int:
    """Command-line entry: 0 on success, 1 when the loss check fails or a worker crashes."""
    parser = argparse.ArgumentParser(
        prog="bench_step", description="Training-step benchmark: tinygrad_edu vs closed-form "
        "NumPy vs PyTorch (writes bench_step.json, .md and .png).")
    add_bench_arguments(parser, default_out)
    args = parser.parse_args(argv)
    try:
        run_from_args(args)
    except BenchError as e:
        print(f"bench: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        sys.exit(_worker_main(sys.argv[2:]))
    sys.exit(main())
