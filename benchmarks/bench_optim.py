"""Cost of one optimizer step, measured as a ratio against the hand-written NumPy step.

The model is the 784-512-10 MLP of seed 003 (four parameters: (784, 512), (512,), (512, 10),
(10,), float32) with fixed random gradients, so only the update is timed -- no forward or
backward. Contenders, for Adam (and SGD with momentum, for reference):

* ``tinygrad_edu``: ``optim.Adam(...).step()``;
* ``closed-form numpy``: the textbook loop over the four arrays, written tightly with in-place
  operators and ``out=`` into preallocated buffers (the physical floor: the same arithmetic
  without the framework);
* ``torch``: ``torch.optim.Adam(...).step()`` with one thread, when torch imports.

Each round times every contender once, in turn, so a slow moment of the machine hits them all;
the figures are medians over rounds. The target: Adam within 1.10x of the closed form.
Run: ``python benchmarks/bench_optim.py [--rounds N] [--number N]``.
"""

from __future__ import annotations

import os

# One BLAS/OpenMP thread for every contender (see bench_engine.py): on 2 shared cores extra
# threads mostly wait, and make the timings swing with whatever else the machine is doing.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import timeit  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.optim as optim  # noqa: E402

try:
    import torch
except ImportError:  # torch is optional
    torch = None  # type: ignore[assignment]

SHAPES = [(784, 512), (512,), (512, 10), (10,)]


def interleaved(contenders: dict[str, Callable[[], object]], number: int,
                rounds: int) -> dict[str, float]:
    """Median seconds per call of each contender, timing them in turn every round."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for fn in contenders.values():  # warm up (and allocate lazily created state)
        timeit.timeit(fn, number=max(1, number // 5))
    for _ in range(rounds):
        for name, fn in contenders.items():
            samples[name].append(timeit.timeit(fn, number=number) / number)
    return {name: statistics.median(times) for name, times in samples.items()}


def make_problem(seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Initial weights (Glorot-scaled) and one fixed gradient per parameter, float32."""
    rng = np.random.default_rng(seed)
    weights = [(rng.standard_normal(s) * 0.05).astype(np.float32) for s in SHAPES]
    grads = [(rng.standard_normal(s) * 1e-2).astype(np.float32) for s in SHAPES]
    return weights, grads


def closed_form_adam(weights: list[np.ndarray], grads: list[np.ndarray], lr: float = 1e-3,
                     beta1: float = 0.9, beta2: float = 0.999,
                     eps: float = 1e-8) -> Callable[[], None]:
    """The textbook Adam step (Kingma & Ba) as tight NumPy: state and one work buffer per
    array allocated once, every operation in place."""
    params = [w.copy() for w in weights]
    ms = [np.zeros_like(w) for w in weights]
    vs = [np.zeros_like(w) for w in weights]
    tmps = [np.empty_like(w) for w in weights]
    t = 0

    def step() -> None:
        nonlocal t
        t += 1
        step_size = lr / (1 - beta1**t)
        sqrt_bc2 = math.sqrt(1 - beta2**t)
        for p, g, m, v, tmp in zip(params, grads, ms, vs, tmps, strict=True):
            m *= beta1  # m = beta1 m + (1 - beta1) g
            np.multiply(g, 1 - beta1, out=tmp)
            m += tmp
            v *= beta2  # v = beta2 v + (1 - beta2) g^2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - beta2
            v += tmp
            np.sqrt(v, out=tmp)  # p -= lr m_hat / (sqrt(v_hat) + eps)
            tmp /= sqrt_bc2
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            p -= tmp

    return step


def closed_form_momentum(weights: list[np.ndarray], grads: list[np.ndarray], lr: float = 1e-2,
                         mu: float = 0.9) -> Callable[[], None]:
    """SGD with momentum (b = mu b + g; p -= lr b) as tight NumPy."""
    params = [w.copy() for w in weights]
    bufs = [g.copy() for g in grads]  # as if the first step had been taken
    tmps = [np.empty_like(w) for w in weights]

    def step() -> None:
        for p, g, b, tmp in zip(params, grads, bufs, tmps, strict=True):
            b *= mu
            b += g
            np.multiply(b, lr, out=tmp)
            p -= tmp

    return step


def ours(make: Callable[[list[Any]], optim.Optimizer], weights: list[np.ndarray],
         grads: list[np.ndarray]) -> Callable[[], object]:
    params = [tg.Tensor(w.copy(), requires_grad=True) for w in weights]
    for p, g in zip(params, grads, strict=True):
        p.grad = tg.Tensor(g)
    return make(params).step


def theirs(make: Callable[[list[Any]], Any], weights: list[np.ndarray],
           grads: list[np.ndarray]) -> Callable[[], object]:
    assert torch is not None
    params = [torch.tensor(w.copy(), requires_grad=True) for w in weights]
    for p, g in zip(params, grads, strict=True):
        p.grad = torch.from_numpy(g.copy())
    step: Callable[[], object] = make(params).step
    return step


def report(title: str, medians: dict[str, float], base: str) -> None:
    print(title)
    for name, seconds in medians.items():
        print(f"  {name:<20} {seconds * 1e6:9.1f} us   x{seconds / medians[base]:.3f} vs {base}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--number", type=int, default=50, help="steps per timing")
    args = parser.parse_args()
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}")
    if torch is not None:
        torch.set_num_threads(1)
    weights, grads = make_problem()

    adam: dict[str, Callable[[], object]] = {
        "tinygrad_edu": ours(lambda ps: optim.Adam(ps, lr=1e-3), weights, grads),
        "closed-form numpy": closed_form_adam(weights, grads),
    }
    if torch is not None:
        adam["torch"] = theirs(lambda ps: torch.optim.Adam(ps, lr=1e-3), weights, grads)
    report("Adam step, 784-512-10 MLP (4 params, float32), median per step:",
           interleaved(adam, args.number, args.rounds), "closed-form numpy")

    sgd: dict[str, Callable[[], object]] = {
        "tinygrad_edu": ours(lambda ps: optim.SGD(ps, lr=1e-2, momentum=0.9), weights, grads),
        "closed-form numpy": closed_form_momentum(weights, grads),
    }
    if torch is not None:
        sgd["torch"] = theirs(lambda ps: torch.optim.SGD(ps, lr=1e-2, momentum=0.9),
                              weights, grads)
    report("SGD momentum step, same model, median per step:",
           interleaved(sgd, args.number, args.rounds), "closed-form numpy")


if __name__ == "__main__":
    main()
