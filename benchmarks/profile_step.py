"""Where a tinygrad_edu training step spends its time, by layer of the framework.

Runs one model of the step benchmark (``tinygrad_edu.bench``: A-E) in a loop under the sampling
profiler py-spy (``pip install py-spy``) and sorts every sample by the file of the Python line
that was running -- NumPy's C code is charged to the line that called it:

* ``op math``: the ``forward``/``backward`` of the ops (``tinygrad_edu/ops``): the NumPy work any
  implementation does, plus the cost of calling NumPy;
* ``engine``: ``autograd/`` -- ``Function.apply`` and the backward pass;
* ``modules & wrappers``: ``nn`` (Module calls, ``F.*`` argument checks) and ``tensor.py``;
* ``optimizer``: ``optim`` (its NumPy update and its Python loop);
* ``the loop``: the benchmark's own step function.

The closed-form step's time, measured in the same run, is printed beside it: the difference
between ours and the closed form is what the engine, modules and optimizer add.

    python benchmarks/profile_step.py E            # 8 s of model E
    python benchmarks/profile_step.py A --seconds 20
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the 1-thread benchmark
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import collections  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import timeit  # noqa: E402
from pathlib import Path  # noqa: E402

from tinygrad_edu import bench  # noqa: E402

LAYERS = (
    ("op math", ("tinygrad_edu/ops/", "tinygrad_edu/_sums.py")),
    ("engine", ("tinygrad_edu/autograd/",)),
    ("modules & wrappers", ("tinygrad_edu/nn/", "tinygrad_edu/tensor.py",
                            "tinygrad_edu/creation.py", "tinygrad_edu/functions.py")),
    ("optimizer", ("tinygrad_edu/optim/",)),
    ("the loop", ("tinygrad_edu/bench.py", "profile_step.py")),
)


def layer_of(frame: str) -> str:
    for name, paths in LAYERS:
        if any(p in frame for p in paths):
            return name
    return "other"


def loop(model: str, seconds: float) -> None:
    """The profiled process: our step of ``model``, over and over."""
    step = bench.build_steps(bench.make_problem(bench.MODELS[model]))["tinygrad_edu"]
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for _ in range(50):
            step()


def median_us(step: bench.Step, rounds: int = 15) -> float:
    number = max(3, int(0.02 / (timeit.timeit(step, number=5) / 5)))
    times = [timeit.timeit(step, number=number) / number for _ in range(rounds)]
    return statistics.median(times) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("model", choices=sorted(bench.MODELS))
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--loop", action="store_true", help=argparse.SUPPRESS)  # the child
    args = parser.parse_args()
    if args.loop:
        loop(args.model, args.seconds)
        return 0
    py_spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if py_spy is None:
        print("py-spy not found: pip install py-spy", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "samples.txt"
        subprocess.run([py_spy, "record", "--rate", "2000", "--format", "raw", "--output",
                        str(raw), "--", sys.executable, __file__, args.model, "--loop",
                        "--seconds", str(args.seconds)], check=True, capture_output=True)
        counts: collections.Counter[str] = collections.Counter()
        for line in raw.read_text().splitlines():
            stack, _, n = line.rpartition(" ")
            frames = stack.split(";")
            # samples inside a step: under loop(), which excludes the imports before it
            if any(f.startswith("loop (") and "profile_step.py" in f for f in frames):
                counts[layer_of(frames[-1])] += int(n)
    total = sum(counts.values())
    steps = bench.build_steps(bench.make_problem(bench.MODELS[args.model]))
    ours, closed = median_us(steps["tinygrad_edu"]), median_us(steps["closed_form"])
    print(f"model {args.model}: {bench.MODELS[args.model].title}")
    print(f"  tinygrad_edu {ours:8.1f} us per step   closed form {closed:8.1f} us "
          f"(x{ours / closed:.2f})")
    for name, _ in (*LAYERS, ("other", ())):
        share = counts[name] / total if total else 0.0
        print(f"  {name:<20} {100 * share:5.1f} %  ~{share * ours:7.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
