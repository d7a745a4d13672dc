"""Engine overhead, measured as ratios in one process with the contenders interleaved.

1. ``a + b`` with grad on 10 floats: ours vs plain NumPy ``a + b`` vs PyTorch with grad.
2. One softmax-regression training step (784 -> 10, batch 100, SGD): ours (autograd) vs the
   closed-form NumPy step of ``reference.softmax_regression.sgd_step`` vs PyTorch.

Each round times every contender once, in turn, so a slow moment of the machine hits them all;
the figures are medians over rounds. Run: ``python benchmarks/bench_engine.py [--rounds N]``.
"""

from __future__ import annotations

import os

# One BLAS thread for every contender: on 2 shared cores a second BLAS thread mostly waits, and
# makes timings swing by 3x with whatever else the machine is doing.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import statistics
import timeit
from collections.abc import Callable

import numpy as np  # noqa: E402

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu.reference import softmax_regression as ref

try:
    import torch
except ImportError:  # torch is optional
    torch = None


def interleaved(contenders: dict[str, Callable[[], object]], number: int, rounds: int) -> dict:
    """Median seconds per call of each contender, timing them in turn every round."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for fn in contenders.values():  # warm up
        timeit.timeit(fn, number=max(1, number // 10))
    for _ in range(rounds):
        for name, fn in contenders.items():
            samples[name].append(timeit.timeit(fn, number=number) / number)
    return {name: statistics.median(times) for name, times in samples.items()}


def bench_add(rounds: int) -> dict:
    a = tg.randn(10, requires_grad=True)
    b = tg.randn(10, requires_grad=True)
    a_np, b_np = a.data.copy(), b.data.copy()
    contenders: dict[str, Callable[[], object]] = {
        "tinygrad_edu": lambda: a + b,
        "numpy": lambda: a_np + b_np,
    }
    if torch is not None:
        a_t = torch.randn(10, requires_grad=True)
        b_t = torch.randn(10, requires_grad=True)
        contenders["torch"] = lambda: a_t + b_t
    return interleaved(contenders, number=20000, rounds=rounds)


def bench_softmax_step(rounds: int, batch: int = 100, lr: float = 0.1) -> dict:
    rng = np.random.default_rng(0)
    X = rng.random((batch, 784), dtype=np.float32)
    labels = rng.integers(0, 10, size=batch)
    Y = np.eye(10, dtype=np.float32)[labels]

    params = ref.init_params(784, 10, rng=np.random.default_rng(1), dtype=np.float32)

    # the PyTorch-style step: an nn.Linear (weight (10, 784)), fused cross-entropy, optim.SGD
    model = tg.nn.Linear(784, 10)
    with tg.no_grad():
        model.weight.copy_(params["W"].T.copy())
        model.bias.copy_(params["b"])
    X_t, y_t = tg.Tensor(X), tg.tensor(labels)
    optimizer = tg.optim.SGD(model.parameters(), lr=lr)

    def ours() -> None:
        loss = F.cross_entropy(model(X_t), y_t)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    closed_params = {k: v.copy() for k, v in params.items()}

    def closed_form() -> None:
        ref.sgd_step(closed_params, X, Y, lr)

    contenders: dict[str, Callable[[], object]] = {
        "tinygrad_edu": ours,
        "closed-form numpy": closed_form,
    }
    if torch is not None:
        torch.set_num_threads(1)
        torch_model = torch.nn.Linear(784, 10)
        with torch.no_grad():
            torch_model.weight.copy_(torch.from_numpy(params["W"].T.copy()))
            torch_model.bias.copy_(torch.from_numpy(params["b"]))
        X_tt, y_tt = torch.from_numpy(X), torch.from_numpy(labels)
        torch_optimizer = torch.optim.SGD(torch_model.parameters(), lr=lr)

        def torch_step() -> None:
            loss = torch.nn.functional.cross_entropy(torch_model(X_tt), y_tt)
            torch_optimizer.zero_grad()
            loss.backward()
            torch_optimizer.step()

        contenders["torch"] = torch_step
    return interleaved(contenders, number=200, rounds=rounds)


def report(title: str, medians: dict, base: str, unit: float, unit_name: str) -> None:
    print(title)
    for name, seconds in medians.items():
        ratio = seconds / medians[base]
        print(f"  {name:<20} {seconds / unit:8.2f} {unit_name}   x{ratio:.2f} vs {base}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}")
    report("a + b with grad (10 floats), median per op:", bench_add(args.rounds),
           "numpy", 1e-6, "us")
    report("softmax regression step (784->10, batch 100), median per step:",
           bench_softmax_step(args.rounds), "closed-form numpy", 1e-6, "us")


if __name__ == "__main__":
    main()
