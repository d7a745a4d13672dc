"""Seed 003: an MNIST study, from softmax regression to a frozen autoencoder, in tinygrad_edu.

What the document did (Russian notebook, NumPy then Keras, on the full 60k MNIST): it derives
the softmax-regression gradient dQ/dW = X^T (P - Y) / l and trains it by full-batch gradient
descent (lr 1, 100 iterations, W = 0): 90.96 % test accuracy. It adds lam1 * sum|W| +
lam2 * sum W^2 and draws test accuracy over a grid of (lam1, lam2) as a contour plot; penalties
only lowered accuracy. Then, in Keras: a 784-512-10 ReLU MLP with SGD (about +5.2 points), a
width sweep 2..2048 (accuracy climbs until about 2^7, then flattens), a depth sweep of 1..10
hidden layers with SGD (best at 7) and with RMSprop (accuracy falls with depth), a deeper net
with Dropout, tanh and Adadelta (+2.33 points), a 784-32-784 autoencoder whose reconstructions
it shows, and a classifier trained on top of the frozen encoder (lower accuracy again).

What this script does: each of those experiments with tinygrad_edu, one part per letter:

    a  softmax regression, full-batch GD, autograd checked against the closed form
    b  the L1 x L2 penalty grid (contour plot, axes labelled the right way round)
    c  784-512-10 ReLU MLP with SGD
    d  width sweep 2..2048 and depth sweep 1..10 with SGD (few epochs)
    e  the depth sweep again with RMSprop
    f  Dropout + tanh + Adadelta
    g  784-32-784 autoencoder, reconstructions of test digits
    h  classifier on the frozen encoder of g; the encoder's weights provably unchanged

Data: the first 10,000 MNIST training images (a sixth of the document's), tested on the
official 10,000 test images, so accuracies sit a little below the document's. Budgets (epochs,
grid size) are written into results.md; the full run takes several minutes on 2 cores.

Run::

    python examples/seed003_mnist_study.py [--parts a,c,g] [--quick] [--out DIR]
    python examples/seed003_mnist_study.py --compile   # training steps through tg.compile
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from _common import Row, Timer, draw, make_parser, n_epochs, open_dataset, write_results

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim
from tinygrad_edu.data import MNIST, DataLoader, TensorDataset
from tinygrad_edu.reference import softmax_regression as closed_form
from tinygrad_edu.train import evaluate, fit
from tinygrad_edu.viz import image_grid, plot_grid_contour, plot_history, plot_sweep

NAME = "seed003_mnist_study"
BATCH = 128  # the document's batch size for every Keras model


# --------------------------------------------------------------------------- budgets


@dataclass(frozen=True)
class Budget:
    """How long each part trains. FULL is what the README quotes; QUICK is a smoke test."""

    n_train: int | None  # None: all 10,000 training images
    n_test: int | None
    gd_iterations: int  # (a) the document: 100
    grid: tuple[float, ...]  # (b) the document: 0, 0.05, ..., 0.95
    grid_iterations: int  # (b) the document: 10 GD steps per grid point
    mlp_epochs: int  # (c), (f), (h) the document: 50 epochs on 60k images
    widths: tuple[int, ...]  # (d)
    depths: tuple[int, ...]  # (d), (e)
    sweep_epochs: int  # (d), (e)
    ae_epochs: int  # (g)


FULL = Budget(n_train=None, n_test=None, gd_iterations=100,
              grid=tuple(np.round(np.arange(0, 1, 0.05), 2)), grid_iterations=10,
              mlp_epochs=10, widths=tuple(2**k for k in range(1, 12)),
              depths=tuple(range(1, 11)), sweep_epochs=2, ae_epochs=20)
QUICK = Budget(n_train=500, n_test=500, gd_iterations=5, grid=(0.0, 0.05, 0.5),
               grid_iterations=2, mlp_epochs=1, widths=(2, 16, 128), depths=(1, 2, 3),
               sweep_epochs=1, ae_epochs=1)


@dataclass
class Study:
    """The data, the budget and what the parts hand to each other and to results.md."""

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    budget: Budget
    out: Path
    seed: int
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    accuracy: dict[str, float] = field(default_factory=dict)  # part letter -> test accuracy
    depth_sweeps: dict[str, list[float]] = field(default_factory=dict)  # optimizer -> accs
    autoencoder: nn.Sequential | None = None  # trained in (g), reused in (h)
    compile: bool = False  # --compile: every training step goes through tg.compile


def pct(value: float) -> str:
    return "diverged" if math.isnan(value) else f"{value:.2%}"


# --------------------------------------------------------------------------- models


def keras_init(model: nn.Module) -> nn.Module:
    """Glorot-uniform weights and zero biases in every Linear: Keras's defaults, which the
    document's models had. (nn.Linear starts from PyTorch's default, under which a square
    ReLU layer keeps 1/6 of its input's variance instead of 1/2: a 10-layer net starts with
    almost no signal at the top.)"""
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return model


def relu_mlp(width: int, depth: int, n_in: int = 784) -> nn.Sequential:
    """``depth`` hidden layers of ``width`` ReLU units, then 10 logits (softmax is in the loss)."""
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(n_in, width), nn.ReLU()]
        n_in = width
    layers.append(nn.Linear(n_in, 10))
    return keras_init(nn.Sequential(*layers))


def dropout_tanh_net(n_in: int = 784) -> nn.Sequential:
    """The document's best classifier: 512 ReLU + Dropout(0.2), 512 ReLU, 512 tanh +
    Dropout(0.1), 10. Dropout is active in ``train()`` mode only; ``evaluate`` switches it off."""
    return keras_init(nn.Sequential(
        nn.Linear(n_in, 512), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(512, 512), nn.ReLU(),
        nn.Linear(512, 512), nn.Tanh(), nn.Dropout(0.1),
        nn.Linear(512, 10),
    ))


# --------------------------------------------------------------------------- training helpers


def sgd(model: nn.Module, epochs: int,
        lr: float = 0.2) -> tuple[optim.Optimizer, optim.lr_scheduler.LRScheduler]:
    """Our SGD recipe for the document's Keras SGD models. Keras's plain SGD (lr 0.01) had 50
    epochs of 60k images; with 10k images and a few epochs, momentum 0.9 and a larger learning
    rate annealed to 0 (cosine) get much further in the same number of steps. The sweeps use
    lr 0.05: at 0.2 several of the nets with 5 or more hidden layers diverge."""
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return optimizer, optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)


def adadelta(params) -> optim.Adadelta:
    """Keras's Adadelta defaults (lr 1, rho 0.95); PyTorch's rho is 0.9."""
    return optim.Adadelta(params, lr=1.0, rho=0.95, eps=1e-7)


def test_accuracy(study: Study, model: nn.Module) -> float:
    loader = DataLoader(TensorDataset(study.X_test, study.y_test), batch_size=1000)
    return evaluate(model, nn.CrossEntropyLoss(), loader)["accuracy"]


def train_classifier(study: Study, model: nn.Module, optimizer: optim.Optimizer, epochs: int,
                     scheduler=None, curves: str | None = None, title: str = "") -> float:
    """Mini-batch training with ``fit``; returns the test accuracy (NaN if the loss blew up).

    ``curves``: also evaluate on the test set after every epoch and draw the curves there.
    """
    loader = DataLoader(TensorDataset(study.X, study.y), batch_size=BATCH, shuffle=True,
                        seed=study.seed)
    val = (DataLoader(TensorDataset(study.X_test, study.y_test), batch_size=1000)
           if curves else None)
    try:
        history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs, val_loader=val,
                      scheduler=scheduler, compile=study.compile)
    except FloatingPointError:  # fit refuses to go on with a NaN/inf loss
        return math.nan
    if curves:
        # plot_history reads a list of per-epoch dicts; History keeps them in .epochs. The
        # learning rate gets a panel only when a scheduler changes it.
        rows = [{k: v for k, v in row.items() if scheduler or k != "lr"}
                for row in history.epochs]
        draw(plot_history, rows, study.out / curves, title=f"{title} (val = test set)")
    return test_accuracy(study, model)


# --------------------------------------------------------------------------- (a) softmax GD


def softmax_gd(X: np.ndarray, y: np.ndarray, iterations: int, lr: float = 1.0,
               l1: float = 0.0, l2: float = 0.0,
               compiled: bool = False) -> tuple[tg.Tensor, tg.Tensor, list[float]]:
    """Full-batch gradient descent on softmax regression from W = 0, b = 0, as the document
    (which folds b into W through a column of ones). Returns W, b and the loss per step.

    Plain ``optim.SGD`` is the document's update ``W -= lr * dQ/dW``. ``compiled``: the step
    goes through ``tg.compile`` (traced on its first two calls, then replayed); the penalties
    are fixed for the whole descent, so the ``if``s below take the same branch every call."""
    W = tg.zeros(784, 10, requires_grad=True)
    b = tg.zeros(10, requires_grad=True)
    optimizer = optim.SGD([W, b], lr=lr)

    def step(inputs: tg.Tensor, labels: tg.Tensor) -> tg.Tensor:
        loss = F.cross_entropy(inputs @ W + b, labels)  # fused: grad (P - Y) / N
        if l1:
            loss = loss + F.l1_penalty(W, l1)  # grad lam1 * sign(W)
        if l2:
            loss = loss + F.l2_penalty(W, l2)  # grad 2 lam2 W
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    run = tg.compile(step) if compiled else step
    inputs, labels = tg.Tensor(X), tg.Tensor(y)
    losses = [run(inputs, labels).item() for _ in range(iterations)]  # read outside the step
    return W, b, losses


def linear_accuracy(W: tg.Tensor, b: tg.Tensor, X: np.ndarray, y: np.ndarray) -> float:
    with tg.no_grad():
        return float(np.mean((tg.Tensor(X) @ W + b).argmax(1).numpy() == y))


def part_a(study: Study) -> None:
    """Softmax regression by full-batch gradient descent, autograd vs closed form."""
    n = study.budget.gd_iterations
    W, b, losses = softmax_gd(study.X, study.y, n, compiled=study.compile)
    acc = linear_accuracy(W, b, study.X_test, study.y_test)
    # The same descent with the document's hand-derived gradient X^T (P - Y) / N, in NumPy.
    params = {"W": np.zeros((784, 10), np.float32), "b": np.zeros(10, np.float32)}
    for _ in range(n):
        closed_form.sgd_step(params, study.X, study.y, lr=1.0)
    acc_closed = closed_form.accuracy(params, study.X_test, study.y_test)
    gap = float(np.max(np.abs(W.detach().numpy() - params["W"])))
    draw(plot_history, [{"iteration": i + 1, "train_loss": v} for i, v in enumerate(losses)],
         study.out / "a_softmax_regression_loss.png",
         title="softmax regression, full-batch GD, lr 1")
    study.accuracy["a"] = acc
    study.rows += [
        Row(f"(a) softmax regression, GD lr 1, {n} iterations (autograd)", "90.96 %",
            ">= 90.0 %", pct(acc), 0.0, met=acc >= 0.90),
        Row("(a) same with the closed-form gradient (NumPy)", "-", "= autograd",
            f"{pct(acc_closed)}, max |W diff| {gap:.1e}", 0.0, met=abs(acc - acc_closed) < 1e-3),
    ]


# --------------------------------------------------------------------------- (b) L1 x L2 grid


def part_b(study: Study) -> None:
    """Test accuracy over a grid of L1 and L2 penalty weights (contour plot)."""
    coeffs = np.array(study.budget.grid)
    iters = study.budget.grid_iterations
    # acc[i, j] is the test accuracy with lam1 = coeffs[i], lam2 = coeffs[j]: the document's
    # zgrid[i][j]. It plotted that array with meshgrid's "xy" layout, where the row index i runs
    # up the y axis, so its L1 values sat on the axis labelled "L2 coeff" and vice versa.
    # indexing="ij" tells plot_grid_contour that i runs along x: here x really is L1.
    acc = np.empty((len(coeffs), len(coeffs)))
    for i, lam1 in enumerate(coeffs):
        for j, lam2 in enumerate(coeffs):
            W, b, _ = softmax_gd(study.X, study.y, iters, l1=float(lam1), l2=float(lam2),
                                 compiled=study.compile)
            acc[i, j] = linear_accuracy(W, b, study.X_test, study.y_test)
    draw(plot_grid_contour, coeffs, coeffs, acc, study.out / "b_l1_l2_grid.png",
         xlabel="L1 coefficient $\\lambda_1$", ylabel="L2 coefficient $\\lambda_2$",
         zlabel="test accuracy", indexing="ij", mark="max",
         title=f"softmax regression, {iters} GD steps (lr 1) per point")
    i, j = np.unravel_index(np.argmax(acc), acc.shape)
    study.rows.append(Row(
        f"(b) L1 x L2 grid {len(coeffs)}x{len(coeffs)}, {iters} GD steps each: best point",
        "penalties only lower accuracy", "-",
        f"best {pct(acc[i, j])} at lam1={coeffs[i]:g}, lam2={coeffs[j]:g}; "
        f"worst {pct(acc.min())}", 0.0))
    study.notes += [
        "(b) The document's contour plot swaps its axis labels: its zgrid[i][j] has "
        "L1 = coeff[i] in row i, and contourf draws rows along y, the axis it labels 'L2 "
        "coeff'. b_l1_l2_grid.png has L1 on x for real.",
        "(b) Accuracies below chance (10 %) are real: with lr 1, each step multiplies W by "
        "(1 - 2 lam2), which flips W's sign every step once lam2 > 0.5, and the L1 step "
        "lam1 * sign(W) is larger than most weights.",
    ]


# --------------------------------------------------------------------------- (c) the MLP


def part_c(study: Study) -> None:
    """The 784-512-10 ReLU MLP trained with SGD."""
    epochs = study.budget.mlp_epochs
    model = relu_mlp(512, 1)
    optimizer, scheduler = sgd(model, epochs)
    acc = train_classifier(study, model, optimizer, epochs, scheduler,
                           curves="c_mlp512_curves.png", title="784-512-10 ReLU, SGD")
    study.accuracy["c"] = acc
    study.rows.append(Row(f"(c) 784-512-10 ReLU MLP, SGD, {n_epochs(epochs)}", "~96.2 % (+5.2)",
                          ">= 95 %", pct(acc), 0.0, met=acc >= 0.95))
    if "a" in study.accuracy:
        gain = 100 * (acc - study.accuracy["a"])
        study.rows.append(Row("(c) gain over softmax regression (a)", "+5.2 points",
                              "-", f"{gain:+.1f} points", 0.0))


# --------------------------------------------------------------------------- (d), (e) sweeps


def sweep(study: Study, settings: tuple[int, ...], build: Callable[[int], nn.Module],
          make_optimizer: Callable[[nn.Module], tuple]) -> list[float]:
    """Train one fresh model per setting for ``sweep_epochs``; the test accuracies."""
    accs = []
    for s in settings:
        tg.manual_seed(study.seed)  # every model starts from the same random stream
        model = build(s)
        optimizer, scheduler = make_optimizer(model)
        accs.append(train_classifier(study, model, optimizer, study.budget.sweep_epochs,
                                     scheduler))
        print(f"  {s:>5}: {pct(accs[-1])}")
    return accs


def summary(settings: tuple[int, ...], accs: list[float], name: str,
            plateau: bool = False) -> str:
    """Best setting and both ends; with ``plateau``, also the first setting within 1 point of
    the best (where a rising curve flattens)."""
    if all(math.isnan(a) for a in accs):
        return "all diverged"
    best = int(np.nanargmax(accs))
    text = f"best {pct(accs[best])} at {name} {settings[best]}"
    if plateau:
        near = next(s for s, a in zip(settings, accs, strict=True) if a >= accs[best] - 0.01)
        text += f", within 1 point of it from {near} on"
    return (f"{text}; {name} {settings[0]}: {pct(accs[0])}, {name} {settings[-1]}: "
            f"{pct(accs[-1])}")


def plot_depths(study: Study) -> None:
    """One picture for both optimizers (whichever of (d), (e) ran)."""
    draw(plot_sweep, study.budget.depths, study.depth_sweeps,
         study.out / "de_depth_sweep.png", log2=False,
         xlabel="hidden layers of 512 ReLU units", ylabel="test accuracy",
         title=f"depth sweep, {n_epochs(study.budget.sweep_epochs)} each")


def part_d(study: Study) -> None:
    """Width sweep 2..2048 and depth sweep 1..10 with SGD."""
    b, epochs = study.budget, study.budget.sweep_epochs
    print("width sweep (SGD):")
    widths = sweep(study, b.widths, lambda w: relu_mlp(w, 1), lambda m: sgd(m, epochs, 0.05))
    draw(plot_sweep, b.widths, widths, study.out / "d_width_sweep.png", log2=True,
         xlabel="hidden width (784-w-10, log2 scale)", ylabel="test accuracy",
         title=f"width sweep, SGD, {n_epochs(epochs)} each")
    print("depth sweep (SGD):")
    depths = sweep(study, b.depths, lambda d: relu_mlp(512, d), lambda m: sgd(m, epochs, 0.05))
    study.depth_sweeps["SGD (lr 0.05, momentum 0.9)"] = depths
    plot_depths(study)
    study.notes.append(f"(d), (e) {n_epochs(epochs)} per model, one run each: the sweeps show "
                       "how far each net gets in a short fixed budget, not its final accuracy; "
                       "the deepest nets are the furthest from converged and the least stable. "
                       "Read trends, not single points: a point can move by several points "
                       "between runs whose arithmetic differs only in rounding (e.g. another "
                       "BLAS thread count).")
    study.rows += [
        Row(f"(d) width sweep {b.widths[0]}..{b.widths[-1]}, SGD, {n_epochs(epochs)} each",
            "rises up to ~2^7, then flat", "-",
            summary(b.widths, widths, "width", plateau=True), 0.0),
        Row(f"(d) depth sweep {b.depths[0]}..{b.depths[-1]}, SGD, {n_epochs(epochs)} each",
            "best at 7 layers", "-", summary(b.depths, depths, "depth"), 0.0),
    ]


def part_e(study: Study) -> None:
    """The depth sweep with RMSprop, drawn beside SGD's."""
    b = study.budget

    def rmsprop(model: nn.Module) -> tuple[optim.Optimizer, None]:
        # Keras's RMSprop defaults: lr 1e-3, rho (PyTorch's alpha) 0.9.
        return optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7), None

    print("depth sweep (RMSprop):")
    depths = sweep(study, b.depths, lambda d: relu_mlp(512, d), rmsprop)
    study.depth_sweeps["RMSprop (lr 1e-3)"] = depths
    plot_depths(study)
    study.rows.append(Row(
        f"(e) depth sweep {b.depths[0]}..{b.depths[-1]}, RMSprop, {n_epochs(b.sweep_epochs)} each",
        "falls with depth, worst at 10", "-", summary(b.depths, depths, "depth"), 0.0))


# --------------------------------------------------------------------------- (f) Adadelta


def part_f(study: Study) -> None:
    """Dropout + tanh + Adadelta, the document's best classifier."""
    epochs = study.budget.mlp_epochs
    model = dropout_tanh_net()
    acc = train_classifier(study, model, adadelta(model.parameters()), epochs,
                           curves="f_dropout_tanh_adadelta_curves.png",
                           title="Dropout + tanh, Adadelta")
    study.accuracy["f"] = acc
    base = study.accuracy.get("c")
    ours = pct(acc) if base is None else f"{pct(acc)} ({100 * (acc - base):+.2f} vs (c))"
    study.rows.append(Row(f"(f) Dropout + tanh, 3x512, Adadelta, {n_epochs(epochs)}",
                          "+2.33 points over (c), ~98.5 %", "-", ours, 0.0))
    if base is not None and acc <= base + 0.005:
        study.notes.append("(f) The document's gain over the plain MLP does not show here: on "
                           "10k images both nets fit the training set almost perfectly, and "
                           "our (c) is already trained further than the document's plain SGD.")


# --------------------------------------------------------------------------- (g) autoencoder


def train_autoencoder(study: Study) -> tuple[nn.Sequential, float]:
    """784-32-784: ReLU code, sigmoid output, mean squared error; the input is its own target.
    Returns the model and its test MSE.

    The document trained it with Adadelta. With MSE, Adadelta creeps: in our runs its
    reconstructions were still grey blobs after 50 epochs (test MSE 0.038), so we use Adam
    (lr 1e-3), which reached 0.015 and recognisable digits in 20 epochs."""
    model = keras_init(nn.Sequential(nn.Linear(784, 32), nn.ReLU(),
                                     nn.Linear(32, 784), nn.Sigmoid()))
    loader = DataLoader(TensorDataset(study.X, study.X), batch_size=BATCH, shuffle=True,
                        seed=study.seed)
    fit(model, nn.MSELoss(), optim.Adam(model.parameters(), lr=1e-3), loader,
        study.budget.ae_epochs, metrics=None, compile=study.compile)
    test = DataLoader(TensorDataset(study.X_test, study.X_test), batch_size=1000)
    return model, evaluate(model, nn.MSELoss(), test, metrics=None)["loss"]


def part_g(study: Study) -> None:
    """The 784-32-784 autoencoder and its reconstructions of test digits."""
    model, mse = train_autoencoder(study)
    study.autoencoder = model
    originals = study.X_test[:10]
    with tg.no_grad():
        model.eval()
        reconstructions = model(tg.Tensor(originals)).numpy()
    draw(image_grid, [originals, reconstructions],
         study.out / "g_autoencoder_reconstructions.png", titles=["test image", "reconstruction"])
    study.rows.append(Row(f"(g) 784-32-784 autoencoder, Adam, {study.budget.ae_epochs} "
                          "epochs: test MSE per pixel", "- (pictures only)", "-",
                          f"{mse:.4f}", 0.0))


# --------------------------------------------------------------------------- (h) frozen encoder


def part_h(study: Study) -> None:
    """A classifier on the frozen encoder of (g); the encoder must not change."""
    if study.autoencoder is None:  # (h) run on its own: train the autoencoder first
        study.autoencoder, _ = train_autoencoder(study)
    encoder = study.autoencoder[:2]  # Linear(784, 32) + ReLU, the same modules (shared)
    encoder.requires_grad_(False)  # frozen: backward() stops here, no .grad is ever filled
    encoder.zero_grad()  # drop the last gradients of (g), so "no grad" below means something
    before = {name: p.detach().numpy().copy() for name, p in encoder.named_parameters()}

    tg.manual_seed(study.seed)
    model = nn.Sequential(encoder, dropout_tanh_net(n_in=32))
    # Only the head's parameters go to the optimizer: tinygrad_edu's optimizers refuse
    # tensors that do not require grad (PyTorch would accept and skip them).
    trainable = [p for p in model.parameters() if p.requires_grad]
    frozen = sum(p.numel() for p in encoder.parameters())
    print(f"  trainable parameters: {sum(p.numel() for p in trainable):,}; frozen: {frozen:,}")
    epochs = study.budget.mlp_epochs
    acc = train_classifier(study, model, adadelta(trainable), epochs)

    change = max(float(np.max(np.abs(p.detach().numpy() - before[name])))
                 for name, p in encoder.named_parameters())
    no_grads = all(p.grad is None for p in encoder.parameters())
    base = study.accuracy.get("f")
    ours = pct(acc) if base is None else f"{pct(acc)} ({100 * (acc - base):+.2f} vs (f))"
    study.rows += [
        Row(f"(h) frozen encoder (32) + Dropout/tanh head, Adadelta, {n_epochs(epochs)}",
            "below (f)", "-", ours, 0.0),
        Row("(h) encoder weights after training: max |change|, grads", "frozen", "0, None",
            f"{change:g}, {'None' if no_grads else 'SET'}", 0.0,
            met=change == 0.0 and no_grads),
    ]


# --------------------------------------------------------------------------- main

PARTS: dict[str, Callable[[Study], None]] = {
    "a": part_a, "b": part_b, "c": part_c, "d": part_d,
    "e": part_e, "f": part_f, "g": part_g, "h": part_h,
}


def load_study(args, budget: Budget) -> Study:
    X, y = open_dataset(MNIST, args, train=True).arrays()
    X_test, y_test = open_dataset(MNIST, args, train=False).arrays()
    return Study(X[:budget.n_train], y[:budget.n_train], X_test[:budget.n_test],
                 y_test[:budget.n_test], budget, args.out, args.seed,
                 compile=getattr(args, "compile", False))


def budget_note(b: Budget) -> str:
    return (f"Budget: (a) {b.gd_iterations} GD iterations; (b) {len(b.grid)}x{len(b.grid)} "
            f"grid, {b.grid_iterations} steps each; (c), (f), (h) {n_epochs(b.mlp_epochs)}; "
            f"(d), (e) {n_epochs(b.sweep_epochs)} per model; (g) {n_epochs(b.ae_epochs)}; batch "
            f"{BATCH}. The document trained every Keras model for 50 epochs on 60k images.")


def main() -> None:
    parser = make_parser(NAME, __doc__)
    parser.add_argument("--parts", default="abcdefgh",
                        help="which parts to run, e.g. 'a,c,g' or 'acg' (default: all)")
    parser.add_argument("--sweep-epochs", type=int, default=None,
                        help="epochs per model in the sweeps (d), (e) (default: 2; quick: 1)")
    parser.add_argument("--compile", action="store_true",
                        help="run every training step through tg.compile (the same numbers)")
    args = parser.parse_args()
    parts = [p for p in args.parts.replace(",", "").lower() if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; choose from {''.join(PARTS)}")
    budget = QUICK if args.quick else FULL
    if args.sweep_epochs is not None:
        budget = replace(budget, sweep_epochs=args.sweep_epochs)

    study = load_study(args, budget)
    study.out.mkdir(parents=True, exist_ok=True)
    for letter in PARTS:  # always in order: (c) compares with (a), (h) reuses (g)
        if letter not in parts:
            continue
        print(f"\n=== ({letter}) {PARTS[letter].__doc__}")
        tg.manual_seed(study.seed)
        first = len(study.rows)
        with Timer() as t:
            PARTS[letter](study)
        for row in study.rows[first:]:  # each row shows the time of its whole part
            row.seconds = t.seconds
        for row in study.rows[first:]:
            print(f"  {row.experiment}: {row.ours}")
        print(f"  part ({letter}) took {t.seconds:.1f} s")

    study.notes += [
        f"Train: {len(study.X)} MNIST training images (the first ones); test: "
        f"{len(study.X_test)} official test images. Seed {args.seed}.",
        budget_note(budget),
        "SGD here is SGD(momentum=0.9) with the learning rate annealed to 0 (cosine) over each "
        "run: lr 0.2 in (c), 0.05 in the sweeps (deep nets diverge at 0.2). Keras's plain SGD "
        "at lr 0.01 needs far more steps than 10k images x 10 epochs give. RMSprop and "
        "Adadelta use Keras's defaults; the autoencoder (g) uses Adam, see its docstring. "
        "Weights: Glorot-uniform, biases 0 (Keras's defaults).",
        "(h) reuses the autoencoder of (g); the document retrained one with a linear decoder.",
        "Every figure comes from one run. Gaps under about half a point between (c), (f) and "
        "(h) are within the spread between runs (float32 rounding alone, e.g. another BLAS "
        "thread count, moves them by a few tenths).",
        "Run time: the whole part's, repeated on each of its rows.",
    ]
    write_results(study.out, "Seed 003: MNIST study with tinygrad_edu", study.rows,
                  notes=study.notes, quick=args.quick)


if __name__ == "__main__":
    main()
