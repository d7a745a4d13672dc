"""Seed 004: logistic regression on MNIST, "is it a 1?" against every other digit.

What the document did (TensorFlow 1): one sigmoid unit on the 784 pixels,
``p = sigmoid(x W + b)`` with W drawn Glorot-uniform and b = 0, labels 1 for the digit 1 and 0
for the nine others. It maximised the mean log-likelihood
``mean(y log p + (1 - y) log(1 - p))`` (p clipped at 1e-10 so the log stays finite) with plain
SGD, learning rate 0.1, minibatches of 100, for 20,000 steps, and every 1000 steps wrote scalar
summaries: the log-likelihood and accuracy on the current training batch, and the accuracy on
the test set (a prediction counts as 1 when p > 0.5). It reports about 99.3 % test accuracy and
draws the model's graph.

What this script shows:

1. The same model in PyTorch style: ``nn.Linear(784, 1)`` initialised with
   ``nn.init.xavier_uniform_``, ``sigmoid``, and ``F.binary_cross_entropy`` with the
   document's clip at 1e-10 (its value is minus the log-likelihood), trained by ``optim.SGD``.
2. The document's scalar summaries, every 1000 steps, in ``metrics.csv`` and drawn in
   ``curves.png``: the log-likelihood climbs towards 0, and the test accuracy settles above 99 %.
3. The same summaries for TensorBoard, as the document's two ``FileWriter``s wrote them (when
   the ``tensorboard`` package is installed: ``pip install tinygrad_edu[tensorboard]``):
   ``log likelihood`` and ``accuracy`` in the run ``train``, ``accuracy`` in the run
   ``test``, and the model's graph in ``train``, under ``--tensorboard DIR`` (default
   ``<out>/tensorboard``; ``--no-tensorboard`` turns it off). See them with
   ``tensorboard --logdir <out>/tensorboard``.
4. The graph autograd records for one training step, drawn in ``graph.png`` (the
   document drew TensorBoard's) when Graphviz's ``dot`` is installed.

Data: this machine has the first 10,000 MNIST training images (the document used all 60,000)
and the official 10,000-image test set, which is what the accuracy is measured on.

    python examples/seed004_logistic_one_vs_rest.py            # full run, under a minute
    python examples/seed004_logistic_one_vs_rest.py --quick    # a few seconds
    python examples/seed004_logistic_one_vs_rest.py --compile  # the step through tg.compile
"""

from __future__ import annotations

import argparse
import os

# One BLAS thread: the products are small (100 x 784 x 1), a second thread would only wait.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from _common import Row, Timer, draw, make_parser, open_dataset, write_results

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim
from tinygrad_edu.compile import CompiledFunction
from tinygrad_edu.data import MNIST, DataLoader, TensorDataset
from tinygrad_edu.viz import GraphvizNotFoundError, draw_graph, plot_history, render

STEPS = 20_000  # as the document (it runs steps 0..20000, so 20,001 updates)
LR = 0.1
BATCH_SIZE = 100
SUMMARY_EVERY = 1000
EPS = 1e-10  # the document's clip of p before the log
TARGET = 0.992


def load_data(args: argparse.Namespace, quick: bool) -> tuple[np.ndarray, ...]:
    """x float32 (N, 784) in [0, 1]; y float32 (N, 1): 1 for the digit 1, 0 for the rest."""
    x_train, labels_train = open_dataset(MNIST, args, train=True).arrays()
    x_test, labels_test = open_dataset(MNIST, args, train=False).arrays()
    if quick:
        x_train, labels_train = x_train[:2000], labels_train[:2000]
        x_test, labels_test = x_test[:1000], labels_test[:1000]

    def one_vs_rest(labels: np.ndarray) -> np.ndarray:
        return (labels == 1).astype(np.float32).reshape(-1, 1)

    return x_train, one_vs_rest(labels_train), x_test, one_vs_rest(labels_test)


def make_model() -> nn.Linear:
    model = nn.Linear(784, 1)
    nn.init.xavier_uniform_(model.weight)  # U(-a, a), a = sqrt(6 / (784 + 1))
    nn.init.zeros_(model.bias)
    return model


def batches(loader: DataLoader) -> Iterator[tuple[tg.Tensor, tg.Tensor]]:
    """Minibatches for ever: a fresh shuffle of the training set every pass (the document's
    ``dataset.shuffle(1000).batch(100).repeat()``, with a full shuffle instead of a buffer)."""
    while True:
        yield from loader


def accuracy(p: np.ndarray, y: np.ndarray) -> float:
    """The document's rule: sign(p - 0.5) == sign(y - 0.5)."""
    return float(np.mean(np.sign(p - 0.5) == np.sign(y - 0.5)))


def open_writers(log_dir: Path | None) -> tuple[Any, Any, str]:
    """The document's two FileWriters as SummaryWriters, ``log_dir/train`` and
    ``log_dir/test`` (None, None and why, when TensorBoard is off or not installed)."""
    if log_dir is None:
        return None, None, "TensorBoard summaries off (--no-tensorboard)"
    try:
        from tinygrad_edu.utils.tensorboard import SummaryWriter
    except ImportError as e:
        return None, None, f"TensorBoard summaries not written: {e}"
    note = (f"TensorBoard summaries in {log_dir} (runs train and test, and the graph): "
            f"tensorboard --logdir {log_dir}")
    return SummaryWriter(log_dir / "train"), SummaryWriter(log_dir / "test"), note


def make_step(model: nn.Linear, optimizer: optim.Optimizer,
              compiled: bool) -> Callable[[tg.Tensor, tg.Tensor], tg.Tensor]:
    """One SGD step on a minibatch, returning the loss (minus the log-likelihood); with
    ``compiled``, through ``tg.compile`` (traced on the first two calls, then replayed)."""
    def step(x: tg.Tensor, y: tg.Tensor) -> tg.Tensor:
        optimizer.zero_grad()
        loss = F.binary_cross_entropy(model(x).sigmoid(), y, eps=EPS)  # = -log-likelihood
        loss.backward()
        optimizer.step()
        return loss

    return tg.compile(step) if compiled else step


def train(model: nn.Linear, data: tuple[np.ndarray, ...], steps: int, seed: int,
          metrics_path: Path, writers: tuple[Any, Any] = (None, None), compiled: bool = False
          ) -> tuple[list[dict[str, float]], float]:
    """SGD for steps 0..``steps``, logging the document's summaries every SUMMARY_EVERY steps
    to ``metrics_path`` and to the ``(train, test)`` SummaryWriters, if given; returns the
    logged rows and the seconds it took. ``compiled``: the step goes through ``tg.compile``."""
    x_train, y_train, x_test, y_test = data
    optimizer = optim.SGD(model.parameters(), lr=LR)
    step_on = make_step(model, optimizer, compiled)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=BATCH_SIZE, shuffle=True,
                        seed=seed)
    rows: list[dict[str, float]] = []
    with Timer() as timer, metrics_path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["step", "log_likelihood", "train_batch_accuracy", "test_accuracy"])
        for step, (x, y) in zip(range(steps + 1), batches(loader), strict=False):
            step_on(x, y)  # the summaries below measure the model after the step
            if step % SUMMARY_EVERY == 0 or step == steps:
                row = summaries(model, x, y, x_test, y_test)
                row = {"step": step, **row}
                rows.append(row)
                writer.writerow([row[k] for k in row])
                log_summaries(writers, row)
                print(f"step {step:>6}: log-likelihood {row['log_likelihood']:.4f}, train-batch "
                      f"accuracy {row['train_batch_accuracy']:.2f}, test accuracy "
                      f"{row['test_accuracy']:.4f}")
    if isinstance(step_on, CompiledFunction):
        print(f"compiled step: {step_on.trace_count} traced, {step_on.replay_count} replayed")
    return rows, timer.seconds


def log_summaries(writers: tuple[Any, Any], row: dict[str, float]) -> None:
    """The document's ``train_writer.add_summary`` / ``test_writer.add_summary`` at step i."""
    train_writer, test_writer = writers
    if train_writer is None:
        return
    step = int(row["step"])
    train_writer.add_scalar("log likelihood", row["log_likelihood"], step)
    train_writer.add_scalar("accuracy", row["train_batch_accuracy"], step)
    test_writer.add_scalar("accuracy", row["test_accuracy"], step)


def summaries(model: nn.Linear, x: tg.Tensor, y: tg.Tensor, x_test: np.ndarray,
              y_test: np.ndarray) -> dict[str, float]:
    """As the document: measured after the step, on the batch just trained on, and on the test
    set."""
    with tg.no_grad():
        p = model(x).sigmoid()
        log_likelihood = -F.binary_cross_entropy(p, y, eps=EPS).item()
        p_test = model(tg.Tensor(x_test)).sigmoid().numpy()
    return {"log_likelihood": log_likelihood,
            "train_batch_accuracy": accuracy(p.numpy(), y.numpy()),
            "test_accuracy": accuracy(p_test, y_test)}


def draw_model_graph(model: nn.Linear, x: np.ndarray, y: np.ndarray, path: Path) -> str:
    """The graph of one step's loss, after backward: the parameters show their gradients (the
    images and labels need no gradient, so they are not part of the graph)."""
    model.zero_grad()
    loss = F.binary_cross_entropy(model(tg.Tensor(x)).sigmoid(), tg.Tensor(y), eps=EPS)
    loss.backward()
    names = {"loss": loss}
    try:
        render(draw_graph(loss, params=names, model=model), path)
    except GraphvizNotFoundError:
        return "graph.png not drawn: Graphviz's dot program is not installed"
    return f"{path.name}: the computation graph of one training step's loss"


def main() -> None:
    parser = make_parser("seed004_logistic_one_vs_rest", __doc__)
    parser.add_argument("--steps", type=int, default=None, help=f"default {STEPS} (quick: 500)")
    parser.add_argument("--tensorboard", type=Path, default=None, metavar="DIR",
                        help="TensorBoard log dir (default: <out>/tensorboard; written when "
                        "the tensorboard package is installed)")
    parser.add_argument("--no-tensorboard", action="store_true",
                        help="write no TensorBoard summaries")
    parser.add_argument("--compile", action="store_true",
                        help="run each training step through tg.compile (the same numbers)")
    args = parser.parse_args()
    steps = args.steps if args.steps is not None else (500 if args.quick else STEPS)
    data = load_data(args, args.quick)
    args.out.mkdir(parents=True, exist_ok=True)

    tg.manual_seed(args.seed)
    model = make_model()
    graph_note = draw_model_graph(model, data[0][:BATCH_SIZE], data[1][:BATCH_SIZE],
                                  args.out / "graph.png")
    log_dir = None if args.no_tensorboard else args.tensorboard or args.out / "tensorboard"
    train_writer, test_writer, tensorboard_note = open_writers(log_dir)
    if train_writer is not None:  # the document's FileWriter(..., sess.graph): the readout
        train_writer.add_graph(nn.Sequential(model, nn.Sigmoid()),
                               tg.Tensor(data[0][:BATCH_SIZE]))
    try:
        rows, seconds = train(model, data, steps, args.seed, args.out / "metrics.csv",
                              (train_writer, test_writer), args.compile)
    finally:
        for w in (train_writer, test_writer):
            if w is not None:
                w.close()
    draw(plot_history, args.out / "metrics.csv", args.out / "curves.png",
         title=f'MNIST "1 vs rest", logistic regression, SGD lr {LR}')

    final = rows[-1]
    test_acc = final["test_accuracy"]
    first_hit = next((int(r["step"]) for r in rows if r["test_accuracy"] >= TARGET), None)
    write_results(args.out, 'Seed 004: logistic regression, MNIST "1 vs rest"', [
        Row(f"test accuracy after {steps} steps", "99.3 % (20,000 steps)",
            f">= {100 * TARGET:.1f} %", f"{100 * test_acc:.2f} %", seconds, test_acc >= TARGET),
        Row("first logged step reaching the target", "-", "-",
            "never" if first_hit is None else str(first_hit), seconds),
        Row("log-likelihood of the last training batch", "- (curve only)", "-",
            f"{final['log_likelihood']:.4f}", seconds),
    ], quick=args.quick, notes=[
        f"{len(data[0])} training images (the first of the official 60,000), the official "
        f"test set of {len(data[2])}; SGD lr {LR}, batch {BATCH_SIZE}, steps 0..{steps}, "
        f"Glorot-uniform W, b = 0, seed {args.seed}.",
        "Summaries every 1000 steps in metrics.csv, drawn in curves.png.",
        tensorboard_note,
        graph_note,
    ])


if __name__ == "__main__":
    main()
