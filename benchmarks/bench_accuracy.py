"""Accuracy targets with wall time: tinygrad_edu beside the closed form and PyTorch, one protocol.

Every experiment of the documents that has an accuracy target is trained three times:

1. **tinygrad_edu**, written as a PyTorch user would: ``nn`` modules, an ``F`` loss, an
   ``optim`` optimizer (and ``optim.lr_scheduler``), ``loss.backward()``;
2. **the closed form**: the hand-derived model of ``tinygrad_edu.reference`` (its
   ``sgd_step``, or its ``loss_and_grads`` fed to ``reference.adam.Adam`` or to the momentum
   rule written out below), NumPy only;
3. **PyTorch** (CPU, one thread), when ``torch`` imports.

They see the same protocol: the same data, the same initial weights (the reference parameters
are drawn once, from a seeded NumPy Generator, and copied into the two frameworks, whose
``Linear.weight`` is (out, in), the reference's ``W`` transposed), the same minibatches in the
same order (one shared shuffled index sequence per epoch, from a seeded NumPy Generator) and
the same hyperparameters. Each records its test accuracy, the wall time of its training loop
and whether the target is met. Since they start identical and see the same batches, they must
also end close to each other: float32 rounding drifts over thousands of steps, so their
accuracies are compared within a point, and the largest difference between their final weights
and the closed form's is reported. To tell drift from a real difference, the first
``--probe-steps`` updates are also run in float64 with the three in lockstep, where the weights
must agree within 1e-9 (rounding there is ~1e-16). A larger gap is flagged.

The CNN experiment (``fashion_cnn_lenet_bn``: :func:`tinygrad_edu.models.lenet_bn`, batch norm
and dropout, beside :mod:`tinygrad_edu.reference.cnn`) draws its dropout masks in each
implementation separately, so there the accuracies agree only statistically and the float64
probe runs its protocol with dropout off (p = 0 in all three).

Writes ``<out>/accuracy.json`` (machine, versions, and per experiment and implementation the
accuracy, wall seconds, target and whether it is met) and ``<out>/accuracy.md`` (one Markdown
table, then the protocols and the agreement figures), and prints the table.

    python benchmarks/bench_accuracy.py                      # all experiments, a few minutes
    python benchmarks/bench_accuracy.py --only seed000       # names containing it (a,b: either)
    python benchmarks/bench_accuracy.py --quick              # tiny subsets, seconds (smoke test)
    python benchmarks/bench_accuracy.py --list               # the experiments' names

Exit status 1 when a target is missed (not with ``--quick``, whose budgets are too small for
the targets) or an experiment could not run. One BLAS/OpenMP thread and one torch thread: on
2 shared cores more threads mostly wait for each other.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Mapping  # noqa: E402
from dataclasses import asdict, dataclass, field, replace  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from functools import cache, partial  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.nn.functional as F  # noqa: E402
from tinygrad_edu import models, nn, optim  # noqa: E402
from tinygrad_edu.data import MNIST, FashionMNIST, make_xor, train_test_split  # noqa: E402
from tinygrad_edu.reference import (  # noqa: E402
    cnn,
    logistic_regression,
    mlp,
    softmax_regression,
    two_layer_net,
    xor_mlp,
)
from tinygrad_edu.reference.adam import Adam as ClosedFormAdam  # noqa: E402

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # PyTorch is optional: its column says so
    torch = None

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
from _common import format_seconds  # noqa: E402  (the examples' own time format)

DEFAULT_MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist-10k"
DEFAULT_OUT = ROOT / "benchmarks" / "results"
IMPLEMENTATIONS = ("tinygrad_edu", "closed_form", "pytorch")
LABELS = {"tinygrad_edu": "tinygrad_edu", "closed_form": "closed form", "pytorch": "PyTorch"}
#: Largest accuracy gap (fraction) between two implementations before it is flagged.
AGREEMENT_TOLERANCE = 0.01
#: Largest weight difference after the float64 probe's steps before it is flagged.
PROBE_TOLERANCE = 1e-9
#: images per forward pass when the cnn predicts the test set
PREDICT_CHUNK = 500

Params = dict[str, np.ndarray]


# --------------------------------------------------------------------------- protocols


@dataclass(frozen=True)
class Protocol:
    """How an experiment trains; every implementation follows it to the letter.

    ``model``: ``linear`` (softmax regression), ``mlp`` (ReLU hidden layers), ``logistic``
    (one sigmoid unit, binary cross-entropy on the logit), ``xor`` (sigmoid layers, MSE) or
    ``cnn`` (:func:`tinygrad_edu.models.lenet_bn` on (N, 1, 28, 28) images, with ``dropout``
    before its last layer; parameters keyed and shaped as its state dict).
    ``init``: how the reference parameters are drawn (see :func:`initial_params`).
    ``batch_size`` None means full batch. ``steps``, when set, counts updates instead of
    epochs (the epochs then run until that many updates are done). ``cosine``: the learning
    rate is annealed to 0 along a cosine over ``epochs``, stepped once per epoch.
    ``step_lr``: ``(step_size, gamma)``, the learning rate multiplied by gamma every
    step_size epochs (``StepLR``, stepped once per epoch).
    """

    model: str
    sizes: tuple[int, ...]
    init: str
    optimizer: str  # "sgd" (with optional momentum) or "adam"
    lr: float
    momentum: float = 0.0
    cosine: bool = False
    step_lr: tuple[int, float] | None = None
    dropout: float = 0.0  # the cnn's
    batch_size: int | None = 100
    epochs: int = 1
    steps: int | None = None
    closed_form: str = "softmax_regression"  # the reference module


@dataclass(frozen=True)
class Data:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    description: str


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    document: str  # the document's figure
    target: float  # fraction of test samples right
    target_text: str
    data: Callable[[argparse.Namespace], Data]
    protocol: Protocol
    quick: dict[str, Any]  # Protocol fields replaced in --quick
    note: str = ""

    def protocol_for(self, quick: bool) -> Protocol:
        return replace(self.protocol, **self.quick) if quick else self.protocol


# --------------------------------------------------------------------------- data


@cache
def _fashion_arrays(root: str | None) -> tuple[np.ndarray, ...]:
    x_a, y_a = FashionMNIST(root=root, train=True, download=False).arrays()
    x_b, y_b = FashionMNIST(root=root, train=False, download=False).arrays()
    return x_a, y_a, x_b, y_b


def _fashion(args: argparse.Namespace) -> tuple[tuple[np.ndarray, ...], int]:
    """The official files (train, test) and the held-out size; small random subsets in quick."""
    root = None if args.fashion_dir is None else str(args.fashion_dir)
    x_a, y_a, x_b, y_b = _fashion_arrays(root)
    if not args.quick:
        return (x_a, y_a, x_b, y_b), 10_000
    rng = np.random.default_rng(args.seed)
    keep_a, keep_b = rng.permutation(len(x_a))[:3000], rng.permutation(len(x_b))[:500]
    return (x_a[keep_a], y_a[keep_a], x_b[keep_b], y_b[keep_b]), 500


def fashion_random_split(args: argparse.Namespace) -> Data:
    """Seed 000's split: pool all 70k images, split off a test set, then a validation set,
    at random; train on the rest (50k). As examples/seed000_softmax_regression.py."""
    (x_a, y_a, x_b, y_b), n_hold = _fashion(args)
    x_pool, y_pool = np.concatenate([x_a, x_b]), np.concatenate([y_a, y_b])
    x_rest, x_test, y_rest, y_test = train_test_split(x_pool, y_pool, test_size=n_hold,
                                                      seed=args.seed)
    x_tr, _, y_tr, _ = train_test_split(x_rest, y_rest, test_size=n_hold, seed=args.seed + 1)
    return Data(x_tr, y_tr, x_test, y_test,
                f"Fashion-MNIST pooled, random split: {len(x_tr)} train / {len(x_test)} test")


def fashion_official_50k(args: argparse.Namespace) -> Data:
    """Train on the official training file less a held-out validation set (as seed 000's
    example does), test on the official test file."""
    (x_a, y_a, x_b, y_b), n_hold = _fashion(args)
    x_tr, _, y_tr, _ = train_test_split(x_a, y_a, test_size=n_hold, seed=args.seed + 1)
    return Data(x_tr, y_tr, x_b, y_b,
                f"Fashion-MNIST official files: {len(x_tr)} train (validation held out) / "
                f"{len(x_b)} official test")


def fashion_official(args: argparse.Namespace) -> Data:
    (x_a, y_a, x_b, y_b), _ = _fashion(args)
    return Data(x_a, y_a, x_b, y_b,
                f"Fashion-MNIST official files: {len(x_a)} train / {len(x_b)} official test")


def fashion_official_images(args: argparse.Namespace) -> Data:
    """The official files as images (N, 1, 28, 28) float32, standardized with the training
    set's mean and standard deviation (as examples/cnn_fashion_mnist.py); in quick mode the
    small random subsets, cut to the first QUICK_CNN_TRAIN training images (a CNN epoch is
    slow)."""
    (x_a, y_a, x_b, y_b), _ = _fashion(args)
    if args.quick:
        x_a, y_a = x_a[:QUICK_CNN_TRAIN], y_a[:QUICK_CNN_TRAIN]
    mean, std = float(x_a.mean(dtype=np.float64)), float(x_a.std(dtype=np.float64))

    def images(x: np.ndarray) -> np.ndarray:
        return ((x - np.float32(mean)) / np.float32(std)).reshape(-1, 1, 28, 28).astype(
            np.float32)

    return Data(images(x_a), y_a, images(x_b), y_b,
                f"Fashion-MNIST official files as 1x28x28 images, standardized (train mean "
                f"{mean:.4f}, std {std:.4f}): {len(x_a)} train / {len(x_b)} official test")


@cache
def _mnist_arrays(root: str) -> tuple[np.ndarray, ...]:
    x_tr, y_tr = MNIST(root=root, train=True, download=False).arrays()
    x_te, y_te = MNIST(root=root, train=False, download=False).arrays()
    return x_tr, y_tr, x_te, y_te


def mnist_10k(args: argparse.Namespace) -> Data:
    """The first 10,000 MNIST training images, the official 10,000 test images."""
    x_tr, y_tr, x_te, y_te = _mnist_arrays(str(args.mnist_dir))
    if args.quick:
        x_tr, y_tr, x_te, y_te = x_tr[:1000], y_tr[:1000], x_te[:500], y_te[:500]
    return Data(x_tr, y_tr, x_te, y_te,
                f"MNIST: the first {len(x_tr)} training images / {len(x_te)} official test")


def mnist_one_vs_rest(args: argparse.Namespace) -> Data:
    """Seed 004: targets (N, 1), 1.0 for the digit 1 and 0.0 for the nine others."""
    d = mnist_10k(args)

    def ones(y: np.ndarray) -> np.ndarray:
        return logistic_regression.one_vs_rest_labels(y, positive=1)

    return Data(d.x_train, ones(d.y_train), d.x_test, ones(d.y_test),
                d.description + ', "1" vs rest')


def xor_points(args: argparse.Namespace) -> Data:
    x, y = make_xor()
    return Data(x, y, x, y, "the 4 XOR points (trained and tested on them)")


# --------------------------------------------------------------------------- the experiments

#: training images of the CNN experiment in quick mode (of the 3,000-image quick subset)
QUICK_CNN_TRAIN = 1000

FASHION_SOFTMAX = Protocol(model="linear", sizes=(784, 10), init="uniform_0.08",
                           optimizer="adam", lr=0.003, cosine=True, batch_size=100, epochs=20)

EXPERIMENTS = [
    Experiment(
        "seed000_fashion_softmax_adam_random_split",
        "000 softmax regression + Adam, Fashion, the document's random split",
        "85.44 % (1000 epochs)", 0.854, ">= 85.4 %", fashion_random_split, FASHION_SOFTMAX,
        {"epochs": 1},
        "Adam lr 0.003 cosine-annealed to 0 over 20 epochs, batch 100, W ~ U(-0.08, 0.08), "
        "b = 0 (examples/seed000_softmax_regression.py)"),
    Experiment(
        "seed000_fashion_softmax_adam_official_test",
        "000 same, official Fashion test set",
        "-", 0.845, ">= 84.5 %", fashion_official_50k, FASHION_SOFTMAX, {"epochs": 1},
        "as the row above, trained on 50k of the official training file"),
    Experiment(
        "fashion_mlp_256_128_adam",
        "Fashion MLP 784-256-128-10 ReLU + Adam, official test set",
        "- (published MLP: 88.33 %)", 0.890, ">= 89.0 %", fashion_official,
        Protocol(model="mlp", sizes=(784, 256, 128, 10), init="torch_default",
                 optimizer="adam", lr=1e-3, cosine=True, batch_size=100, epochs=15,
                 closed_form="mlp"),
        {"epochs": 1},
        "Adam lr 1e-3 cosine-annealed to 0 over 15 epochs (a constant lr ends within a few "
        "tenths of a point of 89.0 %, run to run), batch 100, PyTorch's default Linear init, "
        "all 60k training images; closed form: reference.mlp"),
    Experiment(
        "seed001_net_784_64_10",
        "001 784-64-10 ReLU net, MNIST-10k",
        "- (trained in a later article)", 0.95, ">= 95 %", mnist_10k,
        Protocol(model="mlp", sizes=(784, 64, 10), init="torch_default", optimizer="sgd",
                 lr=0.2, momentum=0.9, cosine=True, batch_size=128, epochs=20,
                 closed_form="two_layer_net"),
        {"epochs": 1},
        "SGD lr 0.2 momentum 0.9 cosine-annealed over 20 epochs, batch 128, PyTorch's default "
        "Linear init (examples/seed001_two_layer_net.py); closed form: reference.two_layer_net "
        "with relu'(0) = 0"),
    Experiment(
        "seed002_xor_adam",
        "002 XOR, 2-4-1 sigmoid net, MSE, Adam lr 0.001, 20,000 epochs",
        "4/4 (plot)", 1.0, "4/4", xor_points,
        Protocol(model="xor", sizes=(2, 4, 1), init="normal", optimizer="adam", lr=0.001,
                 batch_size=None, epochs=20_000, closed_form="xor_mlp"),
        {"epochs": 300},
        "full batch, every weight and bias N(0, 1), MSE (the true gradient of the mean), Adam "
        "lr 0.001 (examples/seed002_xor_adam.py); closed form: reference.xor_mlp"),
    Experiment(
        "seed003_softmax_gd",
        "003 (a) softmax regression, full-batch GD lr 1 x 100, MNIST-10k",
        "90.96 % (60k images)", 0.90, ">= 90.0 %", mnist_10k,
        Protocol(model="linear", sizes=(784, 10), init="zeros", optimizer="sgd", lr=1.0,
                 batch_size=None, epochs=100),
        {"epochs": 5},
        "full-batch gradient descent lr 1, 100 iterations from W = 0, b = 0 "
        "(examples/seed003_mnist_study.py part a)"),
    Experiment(
        "seed003_mlp_512",
        "003 (c) 784-512-10 ReLU MLP, SGD, MNIST-10k",
        "~96.2 % (+5.2)", 0.95, ">= 95 %", mnist_10k,
        Protocol(model="mlp", sizes=(784, 512, 10), init="glorot", optimizer="sgd", lr=0.2,
                 momentum=0.9, cosine=True, batch_size=128, epochs=10, closed_form="mlp"),
        {"epochs": 1},
        "SGD lr 0.2 momentum 0.9 cosine-annealed over 10 epochs, batch 128, Glorot-uniform "
        "weights and zero biases (examples/seed003_mnist_study.py part c); closed form: "
        "reference.mlp"),
    Experiment(
        "seed004_logistic_1_vs_rest",
        '004 logistic regression, MNIST-10k "1" vs rest, SGD lr 0.1, 20,000 steps',
        "99.3 %", 0.992, ">= 99.2 %", mnist_one_vs_rest,
        Protocol(model="logistic", sizes=(784, 1), init="glorot", optimizer="sgd", lr=0.1,
                 batch_size=100, steps=20_001, closed_form="logistic_regression"),
        {"steps": 100},
        "SGD lr 0.1, batch 100, steps 0..20000 (20,001 updates), Glorot-uniform W, b = 0, "
        "binary cross-entropy on the logit (examples/seed004_logistic_one_vs_rest.py clips p "
        "at 1e-10 instead; the gradient differs only where |logit| > 23); accuracy by the "
        "document's rule sign(p - 0.5) == sign(y - 0.5)"),
    Experiment(
        "fashion_cnn_lenet_bn",
        "Fashion CNN (LeNet-style, batch norm, dropout 0.5) + Adam, StepLR, official test set",
        "-", 0.910, ">= 91.0 %", fashion_official_images,
        Protocol(model="cnn", sizes=(784, 10), init="torch_default", optimizer="adam",
                 lr=1e-3, step_lr=(3, 0.3), dropout=0.5, batch_size=64, epochs=8,
                 closed_form="cnn"),
        {"epochs": 1},
        "tinygrad_edu.models.lenet_bn(nn, dropout=0.5): conv3x3 32 - BatchNorm2d - ReLU - "
        "maxpool, conv3x3 64 - BatchNorm2d - ReLU - maxpool, 3136-128 ReLU - dropout - 128-10; "
        "Adam lr 1e-3, StepLR(step_size=3, gamma=0.3) per epoch, batch 64, PyTorch's default "
        "init, all 60k training images, tested in eval mode (batch norm's running statistics) "
        "(examples/cnn_fashion_mnist.py); closed form: reference.cnn. Each implementation "
        "draws its own dropout masks (the closed form from a seeded NumPy Generator), so the "
        "accuracies agree only statistically and the final weights differ a lot; the float64 "
        "probe runs this protocol with dropout off (p = 0 in all three, keep=None in the "
        "closed form), so its 1e-9 still checks the arithmetic"),
]


# --------------------------------------------------------------------------- shared pieces


def initial_params(p: Protocol, rng: np.random.Generator) -> Params:
    """The reference parameters everything starts from, in the reference layout (W is (in, out)),
    keys in layer order (W1, b1, W2, ...), float32. The cnn's are keyed and shaped as the
    module's parameters (``conv1.weight``, ..., ``fc1.weight`` (out, in)): no transpose."""
    if p.model == "cnn":  # PyTorch's default init of conv and linear layers, bn 1 and 0
        return cnn.init_params(rng)
    if p.init == "uniform_0.08":  # seed 000
        return softmax_regression.init_params(p.sizes[0], p.sizes[1], rng)
    if p.init == "zeros":  # seed 003 (a)
        return {"W": np.zeros(p.sizes, np.float32), "b": np.zeros(p.sizes[1], np.float32)}
    if p.init == "normal":  # seed 002
        return xor_mlp.init_params(rng, hidden=p.sizes[1], dtype=np.float32,
                                   in_dim=p.sizes[0], out_dim=p.sizes[2])
    if p.init == "glorot" and p.model == "logistic":  # seed 004
        return logistic_regression.init_params(p.sizes[0], rng)
    if p.init == "glorot":  # Keras's default, seed 003
        return mlp.init_params(p.sizes, rng)
    if p.init == "torch_default":  # nn.Linear's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        params: Params = {}
        for layer, (n_in, n_out) in enumerate(zip(p.sizes[:-1], p.sizes[1:], strict=True), 1):
            bound = 1 / math.sqrt(n_in)
            params[f"W{layer}"] = rng.uniform(-bound, bound, (n_in, n_out)).astype(np.float32)
            params[f"b{layer}"] = rng.uniform(-bound, bound, n_out).astype(np.float32)
        return params
    raise ValueError(f"unknown init {p.init!r}")


def batch_plan(n: int, p: Protocol, seed: int) -> list[list[np.ndarray | None]]:
    """Per epoch, the index arrays of its minibatches (None: the full batch), shared by every
    implementation. One Generator, one permutation per epoch (as ``DataLoader(shuffle=True,
    seed=seed)`` draws them), the last batch of an epoch may be short; with ``steps`` the
    epochs are cut after that many updates."""
    if p.batch_size is None:
        return [[None] for _ in range(p.epochs)]
    rng = np.random.default_rng(seed)
    per_epoch = math.ceil(n / p.batch_size)
    epochs = p.epochs if p.steps is None else math.ceil(p.steps / per_epoch)
    left = math.inf if p.steps is None else p.steps
    plan: list[list[np.ndarray | None]] = []
    for _ in range(epochs):
        order = rng.permutation(n)
        batches: list[np.ndarray | None] = [order[i:i + p.batch_size]
                                            for i in range(0, n, p.batch_size)]
        batches = batches[:int(min(left, len(batches)))]
        left -= len(batches)
        plan.append(batches)
    return plan


def scheduled_lr(p: Protocol, lr: float, epoch: int) -> float:
    """The learning rate after epoch ``epoch`` (0-based) ends, ``lr`` the one it ran with: the
    cosine's value for the next epoch, or ``StepLR``'s ``lr * gamma`` every step_size epochs
    (multiplied, as PyTorch's recursive form, so the closed form's lr is bit-identical)."""
    if p.cosine:
        return cosine_lr(p.lr, epoch + 1, p.epochs)
    if p.step_lr is not None and (epoch + 1) % p.step_lr[0] == 0:
        return lr * p.step_lr[1]
    return lr


def cosine_lr(base: float, epoch: int, total: int) -> float:
    """The learning rate of epoch ``epoch`` (0-based) on a cosine from ``base`` to 0."""
    return base * (1 + math.cos(math.pi * epoch / total)) / 2


def score(model: str, outputs: np.ndarray, y: np.ndarray) -> float:
    """Fraction right: arg-max for classifiers; seed 004's sign(p - 0.5) == sign(y - 0.5) on
    the logit (p > 0.5 iff logit > 0); XOR: output on the right side of 0.5."""
    if model in ("linear", "mlp", "cnn"):
        return float(np.mean(outputs.argmax(axis=1) == y))
    if model == "logistic":
        return float(np.mean(np.sign(outputs) == np.sign(y - 0.5)))
    return float(np.mean((outputs > 0.5) == (y > 0.5)))


def to_reference_layout(keys: list[str], arrays: list[np.ndarray]) -> Params:
    """Framework parameters (weights (out, in), in module order) as reference parameters."""
    return {k: (a.T if a.ndim == 2 else a).copy() for k, a in zip(keys, arrays, strict=True)}


# ---------------------------------------------------------- 1. and 3.: one code, two libraries


class PyTorchStyle:
    """The experiment written once, as a PyTorch user writes it, and run with the library of a
    subclass: tinygrad_edu has PyTorch's names (``nn.Linear``, ``F.cross_entropy``,
    ``optim.Adam``, ``lr_scheduler.CosineAnnealingLR``, ``state_dict``...), so the same code
    drives both. ``lib()`` returns ``(nn, F, optim, as_tensor, no_grad)``."""

    name = ""

    @staticmethod
    def lib() -> tuple[Any, Any, Any, Callable[[np.ndarray], Any], Callable[[], Any]]:
        raise NotImplementedError

    def __init__(self, p: Protocol, params: Params, seed: int = 0) -> None:
        # seed: unused, the caller seeds the library's generator (the cnn's dropout draws it)
        self.p = p
        self.keys = list(params)
        self.nn, functional, optim_, self.as_tensor, self.no_grad = self.lib()
        self.model = self.build(p)
        if next(iter(params.values())).dtype == np.float64:  # the float64 agreement probe
            self.model.double()  # parameters and floating buffers (batch norm's statistics)
        if p.model == "cnn":  # by name: the state dict also holds batch norm's buffers
            with self.no_grad():
                for name, param in self.model.named_parameters():
                    param.copy_(self.as_tensor(params[name]))
        else:
            state = self.model.state_dict()
            self.model.load_state_dict({  # reference layout (in, out) -> nn.Linear's (out, in)
                k: self.as_tensor(np.ascontiguousarray(v.T if v.ndim == 2 else v))
                for k, v in zip(state, params.values(), strict=True)})
        if p.optimizer == "adam":
            self.optimizer = optim_.Adam(self.model.parameters(), lr=p.lr)
        else:
            self.optimizer = optim_.SGD(self.model.parameters(), lr=p.lr, momentum=p.momentum)
        self.scheduler = None
        if p.cosine:
            self.scheduler = optim_.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=p.epochs)
        elif p.step_lr is not None:
            self.scheduler = optim_.lr_scheduler.StepLR(self.optimizer, step_size=p.step_lr[0],
                                                        gamma=p.step_lr[1])
        self.loss_fn: Callable[..., Any] = {
            "linear": functional.cross_entropy, "mlp": functional.cross_entropy,
            "cnn": functional.cross_entropy,
            "logistic": functional.binary_cross_entropy_with_logits,
            "xor": functional.mse_loss}[p.model]
        self.model.train()

    def build(self, p: Protocol) -> Any:
        nn_ = self.nn
        if p.model == "cnn":
            return models.lenet_bn(nn_, dropout=p.dropout)
        if p.model in ("linear", "logistic"):
            return nn_.Linear(p.sizes[0], p.sizes[1])
        layers = []
        pairs = list(zip(p.sizes[:-1], p.sizes[1:], strict=True))
        for i, (n_in, n_out) in enumerate(pairs):
            layers.append(nn_.Linear(n_in, n_out))
            if p.model == "xor":
                layers.append(nn_.Sigmoid())
            elif i < len(pairs) - 1:
                layers.append(nn_.ReLU())
        return nn_.Sequential(*layers)

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(self.as_tensor(x)), self.as_tensor(y))
        loss.backward()
        self.optimizer.step()
        return float(loss.item())

    def end_epoch(self, epoch: int) -> None:
        if self.scheduler is not None:
            self.scheduler.step()

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Outputs in eval mode (the cnn: batch norm's running statistics, no dropout)."""
        self.model.eval()
        try:
            with self.no_grad():
                return np.asarray(self.model(self.as_tensor(x)).numpy())
        finally:
            self.model.train()

    def params(self) -> Params:
        if self.p.model == "cnn":
            return {name: param.detach().numpy().copy()
                    for name, param in self.model.named_parameters()}
        return to_reference_layout(self.keys, [p.detach().numpy().copy()
                                               for p in self.model.parameters()])


class Ours(PyTorchStyle):
    """1. tinygrad_edu."""

    name = "tinygrad_edu"

    @staticmethod
    def lib() -> tuple[Any, Any, Any, Callable[[np.ndarray], Any], Callable[[], Any]]:
        return nn, F, optim, tg.Tensor, tg.no_grad


# --------------------------------------------------------------------------- 2. closed form


class Momentum:
    """PyTorch's SGD with momentum (dampening 0) on a dict of arrays, in place::

        b = mu b + g     (b = g at the first step)
        p = p - lr b
    """

    def __init__(self, params: Mapping[str, np.ndarray], lr: float, momentum: float) -> None:
        self.params, self.lr, self.momentum = params, float(lr), float(momentum)
        self.buf: dict[str, np.ndarray] = {}
        self._tmp = {k: np.empty_like(p) for k, p in params.items()}

    def step(self, grads: Mapping[str, np.ndarray]) -> None:
        for k, p in self.params.items():
            g = grads[k]
            if k not in self.buf:
                self.buf[k] = g.copy()
            else:
                b = self.buf[k]
                b *= self.momentum
                b += g
            tmp = np.multiply(self.buf[k], self.lr, out=self._tmp[k])
            p -= tmp


class ClosedForm:
    """The document's hand-derived model (``tinygrad_edu.reference``), NumPy only."""

    name = "closed_form"

    def __init__(self, p: Protocol, params: Params, seed: int = 0) -> None:
        self.p, self.arrays = p, params
        module: Any = {"softmax_regression": softmax_regression, "two_layer_net": two_layer_net,
                       "mlp": mlp, "logistic_regression": logistic_regression,
                       "xor_mlp": xor_mlp, "cnn": cnn}[p.closed_form]
        dtype = next(iter(params.values())).dtype
        #: the cnn's batch norm statistics, and the Generator of its dropout masks
        self.running = cnn.init_running(dtype) if module is cnn else None
        self.rng = np.random.default_rng(seed)
        self.keep_scale = dtype.type(1 / (1 - p.dropout)) if p.dropout < 1 else dtype.type(0)
        self.forward = module.forward
        self.loss_and_grads = module.loss_and_grads
        self.sgd_step = getattr(module, "sgd_step", None)
        if module is two_layer_net:  # the engine's and PyTorch's relu'(0) = 0, not the seed's 1
            self.loss_and_grads = partial(two_layer_net.loss_and_grads, relu_grad_at_zero=0.0)
            self.sgd_step = partial(two_layer_net.sgd_step, relu_grad_at_zero=0.0)
        self.optimizer: ClosedFormAdam | Momentum | None = None
        if p.optimizer == "adam":
            self.optimizer = ClosedFormAdam(params, lr=p.lr)
        elif p.momentum:
            self.optimizer = Momentum(params, p.lr, p.momentum)
        self.lr = p.lr

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        if self.optimizer is None:  # plain SGD: the module's own fused step
            assert self.sgd_step is not None
            return float(self.sgd_step(self.arrays, x, y, self.lr))
        if self.running is not None:  # the cnn: batch norm's statistics, a dropout mask
            keep = None
            if self.p.dropout > 0:  # dropout's mask divided by 1 - p, on fc1's output
                width = self.arrays["fc1.weight"].shape[0]
                keep = ((self.rng.random((len(x), width), dtype=self.keep_scale.dtype)
                         >= self.p.dropout) * self.keep_scale)
            loss, grads = self.loss_and_grads(self.arrays, x, y, self.running, keep)
        else:
            loss, grads = self.loss_and_grads(self.arrays, x, y)
        self.optimizer.step(grads)
        return float(loss)

    def end_epoch(self, epoch: int) -> None:
        self.lr = scheduled_lr(self.p, self.lr, epoch)
        if self.optimizer is not None:
            self.optimizer.lr = self.lr

    def predict(self, x: np.ndarray) -> np.ndarray:
        if self.running is not None:  # eval mode: the running statistics, no dropout
            return np.asarray(self.forward(self.arrays, x, self.running))
        return np.asarray(self.forward(self.arrays, x))

    def params(self) -> Params:
        return {k: v.copy() for k, v in self.arrays.items()}


# --------------------------------------------------------------------------- 3. PyTorch


class Torch(PyTorchStyle):
    """3. PyTorch (CPU, one thread): the same code."""

    name = "pytorch"

    @staticmethod
    def lib() -> tuple[Any, Any, Any, Callable[[np.ndarray], Any], Callable[[], Any]]:
        assert torch is not None
        return torch.nn, torch.nn.functional, torch.optim, torch.from_numpy, torch.no_grad


# --------------------------------------------------------------------------- running


@dataclass
class Result:
    accuracy: float
    seconds: float
    steps: int
    first_loss: float
    last_epoch_loss: float
    final_params: Params = field(repr=False)


def train(runner: Any, data: Data, p: Protocol, plan: list[list[np.ndarray | None]]) -> Result:
    """The one training loop all three implementations go through; only it is timed (batch
    gathering included: every implementation gathers its own batches)."""
    x_all, y_all = data.x_train, data.y_train
    losses: list[float] = []
    steps = 0
    start = time.perf_counter()
    for epoch, batches in enumerate(plan):
        losses = []
        for idx in batches:
            x, y = (x_all, y_all) if idx is None else (x_all[idx], y_all[idx])
            losses.append(runner.step(x, y))
            if steps == 0:
                first_loss = losses[0]
            steps += 1
        runner.end_epoch(epoch)
    seconds = time.perf_counter() - start
    accuracy = score(p.model, predict(runner, p, data.x_test), data.y_test)
    return Result(accuracy, seconds, steps, first_loss, float(np.mean(losses)), runner.params())


def predict(runner: Any, p: Protocol, x: np.ndarray) -> np.ndarray:
    """The runner's outputs on ``x``; the cnn's in chunks of PREDICT_CHUNK images (its first
    feature maps of 10,000 images would take a gigabyte)."""
    if p.model != "cnn":
        return runner.predict(x)
    return np.concatenate([runner.predict(x[i:i + PREDICT_CHUNK])
                           for i in range(0, len(x), PREDICT_CHUNK)])


def probe_protocol(p: Protocol) -> Protocol:
    """The protocol the float64 probe replays: the same, without dropout (each implementation
    draws its own masks, so with them the weights would part at the first step)."""
    return replace(p, dropout=0.0)


def float64_probe(p: Protocol, data: Data, init: Params, plan: list[list[np.ndarray | None]],
                  runners: list[type], steps: int) -> dict[str, float]:
    """The first ``steps`` updates of the protocol again, in float64, all implementations in
    lockstep: max abs(W - W closed form) for each. Rounding is then ~1e-16, so anything above
    ~1e-9 is a real difference in the arithmetic, not float32 drift amplified (ReLUs flipping at
    pre-activations within rounding of 0, Adam's sign-like first steps on weights whose
    gradient was exactly 0 in one implementation and not in another). Dropout is off in all
    implementations (:func:`probe_protocol`)."""
    p = probe_protocol(p)

    def as64(a: np.ndarray) -> np.ndarray:
        return a.astype(np.float64) if a.dtype.kind == "f" else a

    init64 = {k: v.astype(np.float64) for k, v in init.items()}
    rs = {cls.name: cls(p, {k: v.copy() for k, v in init64.items()}) for cls in runners}
    # minibatches are cast one by one (a float64 copy of 60k images would take 376 MB), the
    # full batch once
    full = (as64(data.x_train), as64(data.y_train)) if p.batch_size is None else None
    done = 0
    for epoch, batches in enumerate(plan):
        for idx in batches[:steps - done]:
            if idx is None:
                assert full is not None
                x, y = full
            else:
                x, y = as64(data.x_train[idx]), as64(data.y_train[idx])
            for r in rs.values():
                r.step(x, y)
            done += 1
        if done >= steps:
            break
        for r in rs.values():
            r.end_epoch(epoch)
    closed = rs["closed_form"].params()
    return {name: max_abs_diff(r.params(), closed) for name, r in rs.items()
            if name != "closed_form"}


def max_abs_diff(a: Params, b: Params) -> float:
    return max(float(np.max(np.abs(a[k].astype(np.float64) - b[k]))) for k in a)


def relative_diff(a: Params, b: Params) -> float:
    """``||a - b|| / ||b||`` over all parameters together (Euclidean norms)."""
    num = sum(float(np.sum((a[k].astype(np.float64) - b[k]) ** 2)) for k in a)
    den = sum(float(np.sum(b[k].astype(np.float64) ** 2)) for k in b)
    return math.sqrt(num / den) if den > 0 else math.sqrt(num)


def run_experiment(exp: Experiment, args: argparse.Namespace) -> dict[str, Any]:
    p = exp.protocol_for(args.quick)
    data = exp.data(args)
    init = initial_params(p, np.random.default_rng(args.seed))
    plan = batch_plan(len(data.x_train), p, args.seed)
    print(f"\n== {exp.name}: {exp.title}\n   {data.description}; "
          f"{sum(len(b) for b in plan)} steps", flush=True)

    runners: list[type] = [Ours, ClosedForm]
    if torch is not None and not args.no_torch:
        runners.append(Torch)
    results: dict[str, Result] = {}
    for cls in runners:
        tg.manual_seed(args.seed)  # the cnn's dropout masks draw from these generators
        if torch is not None:
            torch.manual_seed(args.seed)
        params = {k: v.copy() for k, v in init.items()}
        runner = cls(p, params, seed=args.seed)
        results[cls.name] = result = train(runner, data, p, plan)
        print(f"   {LABELS[cls.name]:>13}: {fmt_metric(p, result.accuracy):>8}  "
              f"{format_seconds(result.seconds):>9}  first loss {result.first_loss:.6f}, "
              f"last epoch {result.last_epoch_loss:.6f}", flush=True)

    closed = results["closed_form"]
    others = [name for name in results if name != "closed_form"]
    diffs = {name: max_abs_diff(results[name].final_params, closed.final_params)
             for name in others}
    rel_diffs = {name: relative_diff(results[name].final_params, closed.final_params)
                 for name in others}
    gaps = {name: abs(r.accuracy - closed.accuracy) for name, r in results.items()
            if name != "closed_form"}
    probe_steps = min(args.probe_steps, sum(len(b) for b in plan))
    probe = float64_probe(p, data, init, plan, runners, probe_steps)
    tolerance = 0.0 if p.model == "xor" else AGREEMENT_TOLERANCE
    agree = (all(g <= tolerance + 1e-12 for g in gaps.values())
             and all(d <= PROBE_TOLERANCE for d in probe.values()))
    for name in diffs:
        print(f"   {LABELS[name]} vs closed form: max |weight diff| {diffs[name]:.2e} "
              f"(relative {rel_diffs[name]:.1e}), accuracy gap {100 * gaps[name]:.2f} points; "
              f"float64, {probe_steps} steps: {probe[name]:.1e}", flush=True)
    if not agree:
        print(f"   WARNING: the implementations disagree (accuracy gap > {100 * tolerance:g} "
              f"points, or float64 weights > {PROBE_TOLERANCE:g} apart)", file=sys.stderr,
              flush=True)

    met = {name: r.accuracy >= exp.target - 1e-12 for name, r in results.items()}
    return {
        "title": exp.title,
        "document": exp.document,
        "target": exp.target,
        "target_text": exp.target_text,
        "protocol": asdict(p),
        "protocol_text": exp.note,
        "data": {"description": data.description, "train": len(data.x_train),
                 "test": len(data.x_test)},
        "results": {
            name: {"accuracy": r.accuracy, "seconds": r.seconds, "steps": r.steps,
                   "first_loss": r.first_loss, "last_epoch_loss": r.last_epoch_loss,
                   "target": exp.target, "met": None if args.quick else met[name]}
            for name, r in results.items()},
        "agreement": {
            "max_abs_weight_diff_vs_closed_form": diffs,
            "relative_weight_diff_vs_closed_form": rel_diffs,
            "accuracy_gap_vs_closed_form": gaps,
            "tolerance": tolerance,
            "float64_probe_steps": probe_steps,
            "float64_probe_dropout": probe_protocol(p).dropout,
            "float64_max_abs_weight_diff_vs_closed_form": probe,
            "float64_tolerance": PROBE_TOLERANCE,
            "agree": agree,
        },
        "met": None if args.quick else all(met.values()),
    }


# --------------------------------------------------------------------------- report


def fmt_metric(p: Protocol | dict[str, Any], accuracy: float) -> str:
    model = p["model"] if isinstance(p, dict) else p.model
    if model == "xor":
        return f"{round(4 * accuracy)}/4"
    return f"{100 * accuracy:.2f} %"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    cells = [[c.replace("|", "\\|") for c in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
             for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


COLUMNS = ["experiment", "document's figure", "target", "tinygrad_edu", "closed form",
           "PyTorch", "time ours / closed / torch", "met"]


def report(summary: dict[str, Any]) -> str:
    rows = []
    notes = []
    for name, e in summary["experiments"].items():
        if "error" in e:
            rows.append([e["title"], e["document"], e["target_text"], "ERROR", "-", "-", "-",
                         "NO"])
            notes.append(f"`{name}`: could not run: {e['error']}")
            continue
        res = e["results"]
        cells = [fmt_metric(e["protocol"], res[i]["accuracy"]) if i in res else
                 ("not installed" if i == "pytorch" and torch is None else "skipped")
                 for i in IMPLEMENTATIONS]
        times = " / ".join(format_seconds(res[i]["seconds"]) if i in res else "-"
                           for i in IMPLEMENTATIONS)
        if e["met"] is None:
            met = "- (quick)"
        elif e["met"]:
            met = "yes"
        else:
            met = "NO: " + ", ".join(LABELS[i] for i in res if not res[i]["met"])
        if not e["agreement"]["agree"]:
            met += " (implementations disagree)"
        rows.append([e["title"], e["document"], e["target_text"], *cells, times, met])
        diffs = e["agreement"]["max_abs_weight_diff_vs_closed_form"]
        rel = e["agreement"]["relative_weight_diff_vs_closed_form"]
        probe = e["agreement"]["float64_max_abs_weight_diff_vs_closed_form"]
        agreement = "; ".join(f"{LABELS[i]} vs closed form: max abs(W diff) {d:.1e} "
                              f"(relative {rel[i]:.1e}), in float64 {probe[i]:.0e}"
                              for i, d in diffs.items())
        notes.append(f"`{name}`: {e['data']['description']}; {e['protocol_text']}; "
                     f"{res['closed_form']['steps']} steps. {agreement}.")
    machine = summary["machine"]
    parts = []
    if summary["quick"]:
        parts += ["*Quick run (`--quick`): tiny subsets and a few steps, a smoke test; the "
                  "targets are for the full run.*", ""]
    parts.append(markdown_table(COLUMNS, rows))
    parts += [
        "",
        "Each experiment is trained three times from the same initial weights on the same "
        "minibatches in the same order: tinygrad_edu (nn + F + optim), the closed form of "
        "`tinygrad_edu.reference` (hand-derived gradients, NumPy), and PyTorch. Time: the "
        "training loop only (batch gathering included), one BLAS thread, one torch thread. "
        "In float32 the three runs drift apart: they round differently (different matrix "
        "product kernels), and in the ReLU nets a pre-activation within rounding of 0 switches "
        "a unit on in one run and not in another; Adam turns a gradient that is exactly 0 in "
        "one run and merely tiny in another into a full lr-sized step, so its weights separate "
        "fastest. Hence two checks: the accuracies must agree within "
        f"{100 * AGREEMENT_TOLERANCE:g} point, and the first steps of each protocol are "
        f"repeated in float64, where the weights must agree within {PROBE_TOLERANCE:g} (they "
        "do to ~1e-15: the arithmetic is the same; the CNN's to ~1e-12, from Adam's first step "
        "on fc1 weights whose gradient is of the order of eps = 1e-8, where a 1e-16 change in "
        "the gradient moves the step by ~1e-12; the CNN's probe runs without dropout).",
        "",
        *(f"- {n}" for n in notes),
        "",
        f"Machine: {machine['processor']}, {machine['cpus']} CPUs, {machine['platform']}; "
        f"Python {machine['python']}, NumPy {machine['numpy']}, "
        f"PyTorch {machine['torch'] or 'not installed'}, tinygrad_edu "
        f"{machine['tinygrad_edu']} ({machine['git_commit'] or 'no git'}).",
    ]
    return "\n".join(parts) + "\n"


def machine_info() -> dict[str, Any]:
    processor = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                processor = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "processor": processor,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": None if torch is None else torch.__version__,
        "tinygrad_edu": tg.__version__,
        "git_commit": commit or None,
        "threads": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                   "MKL_NUM_THREADS")}
                   | {"torch": None if torch is None else torch.get_num_threads()},
    }


def select(only: str | None) -> list[Experiment]:
    if not only:
        return list(EXPERIMENTS)
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    return [e for e in EXPERIMENTS if any(w in e.name for w in wanted)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="folder for accuracy.json and accuracy.md (default: %(default)s)")
    parser.add_argument("--only", help="run only experiments whose name contains this "
                        "(comma-separated: any of them)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny subsets and budgets (seconds); targets are not checked")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--list", action="store_true", help="print the experiments' names")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--probe-steps", type=int, default=None,
                        help="steps of the float64 agreement probe (default: 200; quick: 20)")
    parser.add_argument("--mnist-dir", type=Path, default=DEFAULT_MNIST_DIR,
                        help="the MNIST IDX files (default: %(default)s)")
    parser.add_argument("--fashion-dir", type=Path, default=None,
                        help="the Fashion-MNIST IDX files (default: the library's search path, "
                        "e.g. /usr/share/datasets/fashion-mnist)")
    args = parser.parse_args(argv)

    if args.list:
        for e in EXPERIMENTS:
            print(f"{e.name:<45} {e.title}")
        return 0
    if args.probe_steps is None:
        args.probe_steps = 20 if args.quick else 200
    experiments = select(args.only)
    if not experiments:
        parser.error(f"--only {args.only!r} matches no experiment; see --list")

    summary: dict[str, Any] = {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None
                                                       else sys.argv[1:])]),
        "quick": args.quick,
        "seed": args.seed,
        "machine": machine_info(),
        "experiments": {},
    }
    start = time.perf_counter()
    for exp in experiments:
        try:
            summary["experiments"][exp.name] = run_experiment(exp, args)
        except (FileNotFoundError, ValueError) as e:  # missing data, mostly
            print(f"   ERROR: {e}", file=sys.stderr, flush=True)
            summary["experiments"][exp.name] = {
                "title": exp.title, "document": exp.document, "target": exp.target,
                "target_text": exp.target_text, "error": f"{type(e).__name__}: {e}",
                "met": False}
    summary["total_seconds"] = time.perf_counter() - start
    results = summary["experiments"].values()
    summary["all_targets_met"] = None if args.quick else all(e["met"] for e in results)
    summary["disagreements"] = [n for n, e in summary["experiments"].items()
                                if "agreement" in e and not e["agreement"]["agree"]]

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "accuracy.json").write_text(json.dumps(summary, indent=2) + "\n",
                                            encoding="utf-8")
    text = report(summary)
    (args.out / "accuracy.md").write_text(text, encoding="utf-8")
    print("\n" + text)
    print(f"total {format_seconds(summary['total_seconds'])}; wrote {args.out / 'accuracy.md'} "
          f"and accuracy.json")
    errors = any("error" in e for e in results)
    if errors or (not args.quick and not summary["all_targets_met"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
