"""The two speed budgets of issue 2, as ratios measured in one process, contenders interleaved.

1. ``a + b`` with grad on 10 floats: ours vs NumPy's plain ``a + b`` vs PyTorch with grad
   (budget: ours <= 1.0 us).
2. One softmax-regression training step, 784 -> 10, batch 100, SGD: ours (``nn.Linear``,
   ``F.cross_entropy``, ``optim.SGD``) vs the closed-form step of ``reference.softmax_regression``
   vs PyTorch, on the same batch of class labels from the same initial weights, after checking
   that the three compute the same losses (budget: ours <= 1.15x the closed form).

This is model A and the ``a + b`` line of the full benchmark (``benchmarks/bench_step.py``: five
models, two thread counts, memory), run by the same code at one BLAS thread.
Run: ``python benchmarks/bench_engine.py [--rounds N] [--no-torch]``
"""

from __future__ import annotations

import os

# One BLAS thread for every contender: on 2 shared cores a second BLAS thread mostly waits, and
# makes timings swing with whatever else the machine is doing.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the harness next to this file
import bench_step as bench  # noqa: E402

STEP_BUDGET = 1.15  # issue 2: the softmax-regression step, as a multiple of the closed form


def report(title: str, result: dict[str, Any], ratio: str, budget: str) -> None:
    print(title)
    for name, stats in result["us"].items():
        print(f"  {name:<14} {stats['median']:8.2f} us  (min {stats['min']:.2f}, "
              f"max {stats['max']:.2f})")
    r = result["ratios"][ratio]
    print(f"  {ratio}: median {r['median']:.3f} over rounds (min {r['min']:.3f}, "
          f"max {r['max']:.3f}); {budget}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    args = parser.parse_args()
    config = bench.BenchConfig(models=("A",), threads=(1,), rounds=args.rounds,
                               use_torch=not args.no_torch, isolate=False)
    result = bench.run_timing(config, threads=1)
    print(f"numpy {np.__version__}, torch {result['torch'] or 'not used'}; 1 thread")
    add = result["add"]
    report("a + b with grad (10 floats), per op:", add, "ours/numpy",
           f"ours {add['us']['tinygrad_edu']['median']:.2f} us, budget "
           f"{bench.ADD_TARGET_US} us")
    report(f"softmax regression step ({bench.MODELS['A'].title}), per step:",
           result["models"]["A"], "ours/closed", f"budget {STEP_BUDGET}")


if __name__ == "__main__":
    main()
