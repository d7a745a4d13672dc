"""Seed 002: Adam teaches a 2-4-1 sigmoid network XOR.

What the document did: a network 2 -> 4 -> 1 with sigmoid on both layers, every weight and bias
drawn from N(0, 1), trained on the four XOR points with the mean squared error, full batch,
by Adam with learning rate 0.001 for 20,000 epochs; the gradients were back-propagated by hand
with ``sigmoid'(z) = sigmoid(z) (1 - sigmoid(z))``. It drew the decision boundary and the loss
curve. Its Adam has a bug: the bias corrections divide by ``1 - beta`` where Kingma & Ba divide
by ``1 - beta^t`` (t = the step number), which is right at t = 1 only.

What this script shows:

1. The same network written with autograd as a small ``nn.Module`` (weights stored as the
   document stores them, (in, out), so ``x @ W1 + b1``), trained with ``optim.Adam`` (the
   published rule) exactly as the document trains it. Its gradient at the start equals the
   document's hand back-propagation (``tinygrad_edu.reference.xor_mlp``).
2. The document's Adam, written as a ten-line subclass of ``optim.Adam``, trained from the same
   initial weights. Its step is ``((1 - b1^t) / (1 - b1)) / sqrt((1 - b2^t) / (1 - b2))`` times
   Adam's: 1 at t = 1, about 2 near t = 10, then falling to 0.4 at t = 1000 and 0.32 from
   t = 3000 on. So after the first few hundred steps it is Adam with a third of the learning
   rate, and after 20,000 epochs its loss is still far higher.
3. Speed: 20,000 tiny steps are all overhead (a 4 x 2 matrix product costs nothing), so the
   model is one Module calling four ops, and the script reports the time per step.

Outputs in ``--out``: ``decision_boundary.png`` (published Adam),
``decision_boundary_document_adam.png``, ``loss_curves.png`` (both Adams, log scale),
``results.md``.

    python examples/seed002_xor_adam.py            # full run, well under a minute
    python examples/seed002_xor_adam.py --quick    # a second
    python examples/seed002_xor_adam.py --compile  # the step through tg.compile: faster
"""

from __future__ import annotations

import os

# One BLAS thread: the matrices here are tiny, a second thread would only wait.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _common import Row, Timer, draw, make_parser, plural, write_results

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim
from tinygrad_edu.compile import CompiledFunction
from tinygrad_edu.data import make_xor
from tinygrad_edu.reference import xor_mlp
from tinygrad_edu.viz import plot_decision_boundary, plot_history

EPOCHS = 20_000  # as the document
LR = 0.001  # as the document
HIDDEN = 4


class XorNet(nn.Module):
    """sigmoid(sigmoid(x @ W1 + b1) @ W2 + b2), every parameter drawn from N(0, 1) as in the
    document (``tg.manual_seed`` makes the draw repeatable)."""

    def __init__(self, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.W1 = nn.Parameter(tg.randn(2, hidden))
        self.b1 = nn.Parameter(tg.randn(hidden))
        self.W2 = nn.Parameter(tg.randn(hidden, 1))
        self.b2 = nn.Parameter(tg.randn(1))

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        hidden = (x @ self.W1 + self.b1).sigmoid()
        return (hidden @ self.W2 + self.b2).sigmoid()


class DocumentAdam(optim.Adam):
    """Seed 002's Adam, kept to show its bug: the bias corrections divide by ``1 - beta``.

    m_t = b1 m_{t-1} + (1 - b1) g_t,     v_t = b2 v_{t-1} + (1 - b2) g_t^2
    m_hat = m_t / (1 - b1)               (Kingma & Ba: m_t / (1 - b1^t))
    v_hat = v_t / (1 - b2)               (Kingma & Ba: v_t / (1 - b2^t))
    theta -= lr * m_hat / (sqrt(v_hat) + eps)

    Only the plain rule: no weight decay, amsgrad or maximize.
    """

    def __init__(self, params: Any, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps)

    def _update(self, p: tg.Tensor, grad: np.ndarray, state: dict, group: dict) -> None:
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m[...] = beta1 * m + (1 - beta1) * grad
        v[...] = beta2 * v + (1 - beta2) * grad * grad
        m_hat = m / (1 - beta1)  # the document's correction: 1 - beta1, not 1 - beta1**t
        v_hat = v / (1 - beta2)
        p.data -= group["lr"] * m_hat / (np.sqrt(v_hat) + group["eps"])


def gradient_gap(model: XorNet, x: tg.Tensor, y: tg.Tensor) -> float:
    """max |autograd gradient - the document's hand backprop| at the current weights."""
    model.zero_grad()
    F.mse_loss(model(x), y).backward()
    params = {name: p.detach().numpy() for name, p in model.named_parameters()}
    _, hand = xor_mlp.loss_and_grads(params, x.numpy(), y.numpy())
    gap = max(float(np.abs(p.grad.numpy() - hand[name]).max())
              for name, p in model.named_parameters())
    model.zero_grad()
    return gap


def make_step(model: XorNet, optimizer: optim.Optimizer,
              compiled: bool) -> Callable[[tg.Tensor, tg.Tensor], tg.Tensor]:
    """One full-batch step, returning the loss tensor; with ``compiled``, through
    ``tg.compile`` (traced on the first two calls, then replayed). The caller reads the loss:
    an ``.item()`` inside would stop the replay."""
    def step(x: tg.Tensor, y: tg.Tensor) -> tg.Tensor:
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return tg.compile(step) if compiled else step


def train(model: XorNet, optimizer: optim.Optimizer, x: tg.Tensor, y: tg.Tensor,
          epochs: int, compiled: bool = False) -> tuple[np.ndarray, float, str]:
    """Full-batch training; returns the loss of every epoch, the seconds it took and, when
    compiled, how many steps were traced and replayed."""
    step = make_step(model, optimizer, compiled)
    losses = np.empty(epochs)
    with Timer() as timer:
        for epoch in range(epochs):
            losses[epoch] = step(x, y).item()
    counts = (f"{step.trace_count} traced, {step.replay_count} replayed"
              if isinstance(step, CompiledFunction) else "")
    return losses, timer.seconds, counts


def correct_points(model: XorNet, x: tg.Tensor, y: tg.Tensor) -> tuple[int, np.ndarray]:
    """How many of the 4 points land on the right side of 0.5, and the outputs."""
    with tg.no_grad():
        out = model(x).numpy().ravel()
    return int(np.sum((out > 0.5) == (y.numpy().ravel() > 0.5))), out


def plots(out: Path, models: dict[str, XorNet], losses: dict[str, np.ndarray],
          x: tg.Tensor, y: tg.Tensor) -> None:
    for name, model in models.items():
        suffix = "" if name == "Adam" else "_document_adam"
        draw(plot_decision_boundary, lambda points, m=model: m(tg.Tensor(points)), x.numpy(),
             y.numpy(), out / f"decision_boundary{suffix}.png",
             title=f"XOR, 2-4-1 sigmoid net, {name}")
    curves: dict[str, Any] = {"epoch": np.arange(1, len(losses["Adam"]) + 1)}
    curves.update({f"{name} loss (MSE)": values for name, values in losses.items()})
    draw(plot_history, curves, out / "loss_curves.png",
         title=f"XOR: Adam vs the document's Adam, lr {LR}")


def main() -> None:
    parser = make_parser("seed002_xor_adam", __doc__, data_dir=None, download=False)
    parser.add_argument("--epochs", type=int, default=None, help=f"default {EPOCHS} (quick: 2000)")
    parser.add_argument("--compile", action="store_true",
                        help="run each training step through tg.compile (the same numbers)")
    args = parser.parse_args()
    epochs = args.epochs or (2000 if args.quick else EPOCHS)
    x_np, y_np = make_xor()
    x, y = tg.Tensor(x_np), tg.Tensor(y_np)

    tg.manual_seed(args.seed)
    grad_gap = gradient_gap(XorNet(), x, y)

    make_optimizer = {"Adam": optim.Adam, "document's Adam": DocumentAdam}
    models: dict[str, XorNet] = {}
    losses: dict[str, np.ndarray] = {}
    seconds: dict[str, float] = {}
    for name, optimizer_class in make_optimizer.items():
        tg.manual_seed(args.seed)  # both start from the same weights
        model = XorNet()
        losses[name], seconds[name], counts = train(
            model, optimizer_class(model.parameters(), lr=LR), x, y, epochs, args.compile)
        models[name] = model
        n_correct, outputs = correct_points(model, x, y)
        print(f"{name:>16}: final loss {losses[name][-1]:.2e}, outputs {np.round(outputs, 3)}, "
              f"{n_correct}/4 correct, {seconds[name]:.1f} s "
              f"({1e6 * seconds[name] / epochs:.0f} us per step)"
              + (f", compiled step: {counts}" if counts else ""))

    args.out.mkdir(parents=True, exist_ok=True)
    plots(args.out, models, losses, x, y)
    write_results(args.out, "Seed 002: XOR with a 2-4-1 sigmoid net and Adam",
                  result_rows(models, losses, seconds, grad_gap, x, y, epochs),
                  quick=args.quick, notes=[
        f"Full batch (the 4 points), MSE, lr {LR}, {plural(epochs, 'epoch')}, N(0, 1) init "
        f"(seed {args.seed}); the document plots but reports no figures.",
        "Adam: optim.Adam (Kingma & Ba). The document's Adam: DocumentAdam in this script, "
        "bias corrections 1 - beta instead of 1 - beta^t, same initial weights.",
        "The document back-propagates delta2 = (A2 - y) sigmoid'(Z2), twice the gradient of the "
        "mean squared error it reports; Adam does not care (it is invariant to a constant "
        "gradient scale), so we use the true gradient of the mean.",
    ])


def result_rows(models: dict[str, XorNet], losses: dict[str, np.ndarray],
                seconds: dict[str, float], grad_gap: float, x: tg.Tensor, y: tg.Tensor,
                epochs: int) -> list[Row]:
    rows = []
    for name, model in models.items():
        n_correct, _ = correct_points(model, x, y)
        target = "4/4" if name == "Adam" else "-"
        rows.append(Row(f"{name}: XOR points classified correctly", "4/4 (plot)", target,
                        f"{n_correct}/4", seconds[name], n_correct == 4 if target != "-" else None))
        rows.append(Row(f"{name}: final MSE", "- (curve only)", "-",
                        f"{losses[name][-1]:.2e}", seconds[name]))
    rows.append(Row("time per training step (forward, backward, Adam)", "-", "-",
                    f"{1e6 * seconds['Adam'] / epochs:.0f} us", seconds["Adam"]))
    rows.append(Row("max abs(autograd grad - hand backprop) at init", "-", "< 1e-6",
                    f"{grad_gap:.1e}", 0.0, grad_gap < 1e-6))
    return rows


if __name__ == "__main__":
    main()
