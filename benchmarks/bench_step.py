"""Training-step time of tinygrad_edu vs the closed-form NumPy step vs PyTorch (issue 6).

A thin wrapper: the benchmark lives in the package (``tinygrad_edu/bench.py``) so that an
installed ``tinygrad-edu bench`` can run it too; see that module for what is measured and how.
From a checkout, results go next to this file, into ``benchmarks/results/``.

Run: ``python benchmarks/bench_step.py [--quick] [--rounds N] [--threads 1,2] [--out DIR]
[--models A,B,...] [--no-torch]``
"""

from __future__ import annotations

import sys
from pathlib import Path

from tinygrad_edu import bench

if __name__ == "__main__":
    sys.exit(bench.main(default_out=str(Path(__file__).resolve().parent / "results")))
