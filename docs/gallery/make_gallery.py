"""Draw the gallery of backprop pictures (docs/gallery/*.png).

    python docs/gallery/make_gallery.py            # writes the PNGs beside this script
    python docs/gallery/make_gallery.py --out DIR  # somewhere else (the test does)

Each picture is one training step of a small net, drawn with ``tinygrad_edu.viz``:

* ``seed001_mlp_grads.png``: seed 001's 784-64-10 MLP after ``backward()`` on a batch of 4,
  each parameter and each op with its gradient (large ones summarized: norm, mean, max |x|;
  the 10 biases of the last layer in full) and each op's local derivative.
* ``xor_micrograd.png``: seed 002's XOR net (2-2-1, sigmoid) on the four XOR points, run under
  ``tg.autograd.watch()``: every value and every gradient, as micrograd's ``draw_dot``, and each
  op's local derivative.
* ``cnn_step.png``: one step of ``models.lenet_bn`` on a batch of 2, with gradients and the
  convolutions' settings.
* ``softmax_unfused.png``: softmax regression under ``tg.unfused()``: the fused Linear and
  cross_entropy drawn as their primitives (matmul, add, log_softmax, gather, mean).
* ``anomaly_log0.png``: ``detect_anomaly()`` stopping at the log of 0, the node marked red.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import models, nn
from tinygrad_edu.data import make_xor
from tinygrad_edu.viz import draw_graph, render

HERE = Path(__file__).resolve().parent


def seed001_mlp_grads(out: Path) -> Path:
    """784-64-10 (ReLU) after backward on a batch of 4: the gradient of every parameter."""
    tg.manual_seed(1)
    net = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    x, y = tg.rand(4, 784), tg.tensor([3, 1, 4, 1])
    with tg.autograd.watch():  # so that the ops show the gradient that reached them too
        loss = F.cross_entropy(net(x), y)
        loss.backward()
    graph = draw_graph(loss, model=net, show_grad=True, show_formula=True)
    return render(graph, out / "seed001_mlp_grads.png")


def xor_micrograd(out: Path) -> Path:
    """Seed 002's XOR net, 2-2-1 with sigmoids, every value and gradient (watch())."""
    tg.manual_seed(2)
    net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
    X, Y = make_xor()
    x, y = tg.tensor(X), tg.tensor(Y)
    with tg.autograd.watch():
        loss = F.mse_loss(net(x), y)
        loss.backward()
    graph = draw_graph(loss, params={"x": x, "y": y}, model=net, show_values=True,
                       show_formula=True)
    return render(graph, out / "xor_micrograd.png")


def cnn_step(out: Path) -> Path:
    """One step of the CLI's CNN (models.lenet_bn) on 2 images, with gradients and settings."""
    tg.manual_seed(3)
    net = models.lenet_bn(dropout=0.0)
    x, y = tg.rand(2, 1, 28, 28), tg.tensor([7, 2])
    with tg.autograd.watch():
        loss = F.cross_entropy(net(x), y)
        loss.backward()
    graph = draw_graph(loss, model=net, show_grad=True, show_attrs=True)
    return render(graph, out / "cnn_step.png")


def softmax_unfused(out: Path) -> Path:
    """Softmax regression drawn as its primitives, with every gradient (watch())."""
    unfused = getattr(tg, "unfused", None)
    if unfused is None:
        raise RuntimeError("tg.unfused() is not in this version of tinygrad_edu yet")
    tg.manual_seed(0)
    model = nn.Linear(784, 10)
    x, y = tg.rand(3, 784), tg.tensor([0, 5, 9])
    with unfused(), tg.autograd.watch():
        loss = F.cross_entropy(model(x), y)
        loss.backward()
    graph = draw_graph(loss, model=model, show_grad=True, show_formula=True)
    return render(graph, out / "softmax_unfused.png")


def anomaly_log0(out: Path) -> Path:
    """detect_anomaly() stops at the first NaN/inf: the log of a probability that is 0."""
    w = tg.tensor([[2.0, -1.0], [0.5, 0.0]], requires_grad=True)
    x = tg.tensor([[1.0, 0.0], [0.0, 0.0]])
    try:
        with tg.autograd.detect_anomaly(), tg.autograd.watch(), np.errstate(divide="ignore"):
            p = (x @ w).relu()  # the second row is all zeros
            loss = -p.log().mean()  # log 0 = -inf
            loss.backward()
    except FloatingPointError as error:
        tensor = getattr(error, "tensor", None)
        drawn = tensor if tensor is not None else loss
    else:  # pragma: no cover - the log of 0 always raises here
        raise RuntimeError("detect_anomaly() did not stop at log(0)")
    graph = draw_graph(drawn, params={"w": w, "x": x}, show_values=True, show_formula=True)
    return render(graph, out / "anomaly_log0.png")


PICTURES: dict[str, Callable[[Path], Path]] = {
    "seed001_mlp_grads": seed001_mlp_grads,
    "xor_micrograd": xor_micrograd,
    "cnn_step": cnn_step,
    "anomaly_log0": anomaly_log0,
    "softmax_unfused": softmax_unfused,  # last: it needs tg.unfused()
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="directory for the PNGs")
    parser.add_argument("--only", choices=sorted(PICTURES), action="append",
                        help="draw only this picture (repeatable)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    np.set_printoptions(precision=4)
    for name in args.only or PICTURES:
        print(f"gallery: {PICTURES[name](args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
