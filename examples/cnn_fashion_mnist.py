"""A LeNet-style CNN on Fashion-MNIST: two conv + pool blocks with batch norm, dropout, two
linear layers, trained with Adam; at least 91.0 % on the official test set in under 15 minutes
on 2 cores.

The network is :func:`tinygrad_edu.models.lenet_bn` (also ``tinygrad-edu train --model cnn``)::

    conv 3x3 (1 -> 32) - BatchNorm2d - ReLU - MaxPool 2x2      28x28 -> 14x14
    conv 3x3 (32 -> 64) - BatchNorm2d - ReLU - MaxPool 2x2     14x14 -> 7x7
    Flatten - Linear 3136 -> 128 - ReLU - Dropout(0.5) - Linear 128 -> 10

Protocol: the 60,000 official training images, scaled to [0, 1] and standardized with the
training set's mean and standard deviation, minibatches of 64 in a fresh order each epoch,
Adam (lr 1e-3) with the learning rate cut by ``--gamma`` every ``--step-size`` epochs (StepLR),
``--epochs`` epochs; test accuracy on the official 10,000 test images after each epoch.
``benchmarks/bench_accuracy.py`` trains the same protocol in PyTorch and in the closed form
(:mod:`tinygrad_edu.reference.cnn`) side by side.

Needs the Fashion-MNIST files (Debian's ``dataset-fashion-mnist`` puts them in
/usr/share/datasets/fashion-mnist, found by the library's search path). Run::

    python examples/cnn_fashion_mnist.py [--epochs 8] [--quick] [--out DIR]
    python examples/cnn_fashion_mnist.py --compile   # training steps through tg.compile
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import Row, Timer, make_parser, open_dataset, plural, write_results

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, FashionMNIST, TensorDataset
from tinygrad_edu.models import lenet_bn
from tinygrad_edu.train import evaluate, fit

NAME = "cnn_fashion_mnist"
TARGET = 0.910


def load(args: argparse.Namespace, quick: bool) -> tuple[np.ndarray, ...]:
    """Images as float32 (N, 1, 28, 28), standardized with the training set's statistics."""
    x_train, y_train = open_dataset(FashionMNIST, args, train=True).arrays()
    x_test, y_test = open_dataset(FashionMNIST, args, train=False).arrays()
    if quick:
        x_train, y_train, x_test, y_test = x_train[:512], y_train[:512], x_test[:256], y_test[:256]
    mean, std = x_train.mean(), x_train.std()
    x_train, x_test = ((x - mean) / std for x in (x_train, x_test))
    return (x_train.reshape(-1, 1, 28, 28).astype(np.float32), y_train,
            x_test.reshape(-1, 1, 28, 28).astype(np.float32), y_test)


def main() -> None:
    parser = make_parser(NAME, __doc__, data_dir=None)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--step-size", type=int, default=3)
    parser.add_argument("--gamma", type=float, default=0.3)
    parser.add_argument("--compile", action="store_true",
                        help="run each training step through tg.compile (the same numbers)")
    args = parser.parse_args()
    epochs = 1 if args.quick else args.epochs

    tg.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = load(args, args.quick)
    train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True,
                              seed=args.seed)
    test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=1000)
    model = lenet_bn()
    print(model)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.StepLR(optimizer, args.step_size, gamma=args.gamma)
    loss_fn = nn.CrossEntropyLoss()
    with Timer() as timer:
        history = fit(model, loss_fn, optimizer, train_loader, epochs=epochs,
                      val_loader=test_loader, scheduler=scheduler,
                      metrics_file=args.out / "metrics.csv", compile=args.compile)
    test = evaluate(model, loss_fn, test_loader)
    for epoch, row in enumerate(history.epochs, start=1):
        print(f"epoch {epoch}: train loss {row['loss']:.4f}, test accuracy "
              f"{row['val_accuracy']:.2%}")
    write_results(args.out, "CNN on Fashion-MNIST (LeNet-style, batch norm, dropout)", [
        Row(f"test accuracy after {plural(epochs, 'epoch')}", "-", f">= {TARGET:.1%}",
            f"{test['accuracy']:.2%}", timer.seconds,
            met=None if args.quick else test["accuracy"] >= TARGET),
    ], notes=[f"{sum(p.numel() for p in model.parameters()):,} parameters; Adam lr {args.lr}, "
              f"StepLR({args.step_size}, gamma={args.gamma}), batch 64, seed {args.seed}"],
              quick=args.quick)


if __name__ == "__main__":
    main()
