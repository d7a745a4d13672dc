"""Seed 001: the 784-64-10 ReLU network -- autograd against the document's hand backprop.

What the document did (Japanese blog post, NumPy): it derives the gradient of softmax followed
by cross-entropy, dL/da2 = y - t, and pushes it back by hand through a 784-64-10 network with
a ReLU hidden layer::

    a1 = x W1 + b1,  z1 = relu(a1),  a2 = z1 W2 + b2,  y = softmax(a2)
    dy = (y - t) / N;  dW2 = z1^T dy;  db2 = sum_n dy
    da1 = relu'(a1) * (dy W2^T);  dW1 = x^T da1;  db1 = sum_n da1

Its cross-entropy takes one-hot or class-label targets, a commented-out variant handles a single
sample (x of shape (784,)), and it defines relu'(x) = 1 for x >= 0, so relu'(0) = 1. It reports
no accuracy: the training happens in a later article that is not among the documents.

What this script shows:

1. The same net written as ``nn.Sequential(Linear, ReLU, Linear)`` gets, from one call to
   ``loss.backward()``, the gradients of the hand derivation (kept in NumPy in
   ``tinygrad_edu.reference.two_layer_net``): on a batch with class labels, on a batch with
   one-hot targets, and on a single sample; in float32 (rounding-level differences) and in
   float64 (agreement to ~1e-16, so the formulas are the same).
2. Where the two differ: relu'(0). tinygrad_edu (like PyTorch) uses relu'(0) = 0, the document
   uses 1. On real images no pre-activation is exactly 0, so it never matters; we build the
   one input where it does (a blank image through a layer with zero bias) to show it.
3. Training the net with SGD on MNIST; the target is >= 95 % test accuracy.

Run::

    python examples/seed001_two_layer_net.py [--quick] [--out DIR] [--data-dir DIR]
    python examples/seed001_two_layer_net.py --compile   # training steps through tg.compile
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import numpy as np
from _common import Row, Timer, draw, make_parser, open_dataset, plural, write_results

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim
from tinygrad_edu.data import MNIST, DataLoader, TensorDataset
from tinygrad_edu.reference import two_layer_net as hand
from tinygrad_edu.train import evaluate, fit
from tinygrad_edu.viz import plot_history

NAME = "seed001_two_layer_net"
PARAMS = ("W1", "b1", "W2", "b2")


def build_net() -> nn.Sequential:
    """784-64-10 with a ReLU hidden layer; the softmax lives inside the loss (fused)."""
    return nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))


def as_document_params(net: nn.Sequential) -> dict[str, np.ndarray]:
    """The net's weights in the document's layout. ``nn.Linear`` stores W as (out, in), as
    PyTorch does, and computes x W^T; the document stores (in, out) and computes x W."""
    first, second = net[0], net[2]
    return {"W1": first.weight.detach().numpy().T.copy(), "b1": first.bias.detach().numpy().copy(),
            "W2": second.weight.detach().numpy().T.copy(),
            "b2": second.bias.detach().numpy().copy()}


def autograd_grads(net: nn.Sequential, x: np.ndarray, target: np.ndarray) -> dict[str, np.ndarray]:
    """One forward + ``backward()``; the gradients returned in the document's layout."""
    net.zero_grad()
    loss = F.cross_entropy(net(tg.Tensor(x)), tg.Tensor(target))
    loss.backward()
    first, second = net[0], net[2]
    return {"W1": first.weight.grad.numpy().T, "b1": first.bias.grad.numpy(),
            "W2": second.weight.grad.numpy().T, "b2": second.bias.grad.numpy()}


def compare(net: nn.Sequential, x: np.ndarray,
            target: np.ndarray) -> dict[str, tuple[float, float]]:
    """Per parameter: (max |autograd - hand|, that divided by max |hand|).

    The hand backprop keeps the document's relu'(0) = 1; on real images no pre-activation is
    exactly 0 (relu_at_zero_demo counts them), so the convention does not enter here. The
    relative figure divides by the largest entry of the gradient, not entry by entry: many
    entries are ~0 (pixels that are always black), where an entry-wise ratio means nothing.
    """
    ours = autograd_grads(net, x, target)
    _, theirs = hand.loss_and_grads(as_document_params(net), x, target)
    result = {}
    for name in PARAMS:
        diff = float(np.max(np.abs(ours[name] - theirs[name])))
        scale = float(np.max(np.abs(theirs[name])))
        result[name] = (diff, diff / scale if scale > 0 else diff)
    return result


def print_comparison(title: str, result: dict[str, tuple[float, float]]) -> float:
    """Print one table of differences; return the worst relative difference."""
    print(f"\n{title}")
    print(f"  {'param':<6} {'max |diff|':>12} {'relative':>12}")
    for name, (diff, rel) in result.items():
        print(f"  {name:<6} {diff:12.3e} {rel:12.3e}")
    return max(rel for _, rel in result.values())


def gradient_checks(net: nn.Sequential, X: np.ndarray, y: np.ndarray) -> list[Row]:
    """Part 1: autograd vs hand backprop on a batch, with one-hot targets, on one sample."""
    rows = []
    with Timer() as t:
        batch, labels = X[:100], y[:100]
        one_hot = np.eye(10, dtype=np.float32)[labels]
        cases = [
            ("batch of 100, class labels, float32", net, batch, labels, 1e-5),
            ("batch of 100, one-hot targets, float32", net, batch, one_hot, 1e-5),
            ("single sample x (784,), label (), float32", net, X[0], y[0], 1e-5),
        ]
        # float64 removes rounding: what is left would be a real difference in the formulas.
        net64 = copy.deepcopy(net).double()
        cases.append(("batch of 100, class labels, float64", net64, batch.astype(np.float64),
                      labels, 1e-12))
        results = []
        for title, model, x, target, tol in cases:
            worst = print_comparison(f"autograd vs hand backprop: {title}",
                                     compare(model, x, target))
            results.append((title, worst, tol))
    for title, worst, tol in results:
        rows.append(Row(f"grads vs hand backprop, {title} (max rel. diff)", "-",
                        f"<= {tol:.0e}", f"{worst:.1e}", t.seconds / len(results),
                        met=worst <= tol))
    return rows


def relu_at_zero_demo(net: nn.Sequential, X: np.ndarray) -> Row:
    """Part 2: the only place the two conventions part ways is a pre-activation of exactly 0."""
    with Timer() as t:
        params = as_document_params(net)
        a1 = X[:1000] @ params["W1"] + params["b1"]
        zeros_on_real_data = int(np.count_nonzero(a1 == 0))
        # A blank image through a first layer with zero bias: every a1 is exactly 0.
        blank_net = copy.deepcopy(net)
        with tg.no_grad():
            blank_net[0].bias.zero_()
        blank, label = np.zeros(784, dtype=np.float32), np.array(3)
        ours = autograd_grads(blank_net, blank, label)["b1"]
        params = as_document_params(blank_net)
        _, doc = hand.loss_and_grads(params, blank, label, relu_grad_at_zero=1.0)
        _, torch_like = hand.loss_and_grads(params, blank, label, relu_grad_at_zero=0.0)
    print(f"\nrelu'(0): exact zeros among {a1.size} pre-activations of 1000 real images: "
          f"{zeros_on_real_data}")
    print("  blank image, zero first-layer bias (all 64 pre-activations are 0):")
    print(f"  max |db1|  autograd (relu'(0)=0): {np.abs(ours).max():.3e}")
    print(f"             hand, document's relu'(0)=1: {np.abs(doc['b1']).max():.3e}")
    print(f"             hand with relu'(0)=0: {np.abs(torch_like['b1']).max():.3e} "
          f"(differs from autograd by {np.abs(torch_like['b1'] - ours).max():.1e})")
    return Row("relu'(0): max |db1| on a blank image, autograd vs document's convention",
               "relu'(0) = 1", "-",
               f"{np.abs(ours).max():.0e} vs {np.abs(doc['b1']).max():.1e} "
               f"({zeros_on_real_data} zeros on real data)", t.seconds)


def train(net: nn.Sequential, data: tuple[np.ndarray, ...], epochs: int, seed: int,
          out: Path, compiled: bool = False) -> tuple[float, float]:
    """Part 3: SGD with momentum, batch 128, cosine-annealed learning rate; returns
    (test accuracy, seconds) and draws the learning curves. ``compiled``: ``fit`` runs each
    step through ``tg.compile``."""
    Xtr, ytr, Xte, yte = data
    train_loader = DataLoader(TensorDataset(Xtr, ytr), batch_size=128, shuffle=True, seed=seed)
    test_loader = DataLoader(TensorDataset(Xte, yte), batch_size=1000)
    # Plain SGD stalls near 95 % on 10k images; momentum 0.9 and a learning rate annealed to 0
    # over the run settle into a better minimum in 20 epochs.
    optimizer = optim.SGD(net.parameters(), lr=0.2, momentum=0.9)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    with Timer() as t:
        history = fit(net, nn.CrossEntropyLoss(), optimizer, train_loader, epochs,
                      val_loader=test_loader, scheduler=scheduler, compile=compiled)
    # plot_history reads a list of per-epoch dicts; History keeps them in .epochs.
    draw(plot_history, history.epochs, out / "training_curves.png",
         title="784-64-10 ReLU net on MNIST (val = test set)")
    accuracy = evaluate(net, nn.CrossEntropyLoss(), test_loader)["accuracy"]
    return accuracy, t.seconds


def load_mnist(args: argparse.Namespace, quick: bool) -> tuple[np.ndarray, ...]:
    """(train images, labels, test images, labels); 1000 of each with ``--quick``."""
    Xtr, ytr = open_dataset(MNIST, args, train=True).arrays()
    Xte, yte = open_dataset(MNIST, args, train=False).arrays()
    if quick:
        return Xtr[:1000], ytr[:1000], Xte[:1000], yte[:1000]
    return Xtr, ytr, Xte, yte


def main() -> None:
    parser = make_parser(NAME, __doc__)
    parser.add_argument("--compile", action="store_true",
                        help="run each training step through tg.compile (the same numbers)")
    args = parser.parse_args()
    tg.manual_seed(args.seed)
    data = load_mnist(args, args.quick)
    net = build_net()  # PyTorch's default initialisation, drawn from manual_seed's generator
    print(net)

    rows = gradient_checks(net, data[0], data[1])
    rows.append(relu_at_zero_demo(net, data[0]))
    epochs = 2 if args.quick else 20
    accuracy, seconds = train(net, data, epochs, args.seed, args.out, args.compile)
    rows.append(Row(f"test accuracy after {plural(epochs, 'epoch')}",
                    "- (trained in a later article)", ">= 95 %", f"{accuracy:.2%}", seconds,
                    met=accuracy >= 0.95))
    write_results(args.out, "Seed 001: 784-64-10 ReLU net, autograd vs hand backprop", rows,
                  notes=[
                      f"Train: the first {len(data[0])} MNIST training images; test: "
                      f"{len(data[2])} official test images.",
                      "Gradient differences: max |autograd - hand| over a parameter divided by "
                      "the largest |entry| of the hand gradient.",
                      "Training: SGD(lr=0.2, momentum=0.9), batch 128, cosine annealing to 0, "
                      "PyTorch's default Linear initialisation, seed "
                      f"{args.seed}.",
                  ], quick=args.quick)


if __name__ == "__main__":
    main()
