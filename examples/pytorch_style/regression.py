"""Fit a polynomial with one linear layer, in the style of pytorch/examples' ``regression``.

Written for PyTorch; with its imports changed it runs on tinygrad_edu (see README.md here).
A random polynomial of degree 4 is the target; features are the powers x, x^2, x^3, x^4 of
standard-normal samples; plain gradient descent on ``param.data`` (no optimizer) runs batch
after batch until the smooth-L1 loss is below ``--tolerance``.

    python regression.py
    python regression.py --seed 3 --max-batches 5000
"""

import argparse
from itertools import count

import torch
import torch.nn.functional as F


def make_features(x, degree):
    """The matrix with columns [x, x^2, ..., x^degree] for a vector x."""
    x = x.unsqueeze(1)
    return torch.cat([x**i for i in range(1, degree + 1)], 1)


def poly_desc(W, b):
    """The polynomial as text, e.g. ``y = +1.20 x^1 -0.50 x^2 +3.00``."""
    result = "y = "
    for i, w in enumerate(W):
        result += "{:+.2f} x^{} ".format(w, i + 1)  # noqa: UP032 (a tensor element's __format__)
    result += "{:+.2f}".format(b[0])  # noqa: UP032
    return result


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Polynomial regression (pytorch/examples style)")
    parser.add_argument("--degree", type=int, default=4, help="polynomial degree (default: 4)")
    parser.add_argument(
        "--batch-size", type=int, default=32, metavar="N", help="samples per batch (default: 32)"
    )
    parser.add_argument(
        "--lr", type=float, default=0.1, metavar="LR", help="gradient-descent step (default: 0.1)"
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=1e-3,
        help="stop when the batch loss is below this (default: 1e-3)",
    )
    parser.add_argument(
        "--max-batches",
        type=int,
        default=None,
        metavar="N",
        help="stop after N batches even if the loss is still above tolerance",
    )
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default: 1)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    W_target = torch.randn(args.degree, 1) * 5
    b_target = torch.randn(1) * 5

    def f(x):
        """The polynomial to learn, applied to a feature matrix."""
        return x.mm(W_target) + b_target.item()

    def get_batch():
        x = make_features(torch.randn(args.batch_size), args.degree)
        return x, f(x)

    fc = torch.nn.Linear(W_target.size(0), 1)
    for batch_idx in count(1):
        batch_x, batch_y = get_batch()
        fc.zero_grad()
        output = F.smooth_l1_loss(fc(batch_x), batch_y)
        loss = output.item()
        output.backward()
        for param in fc.parameters():  # one plain gradient step, outside autograd
            param.data.add_(-args.lr * param.grad)
        if loss < args.tolerance:
            break
        if args.max_batches is not None and batch_idx >= args.max_batches:
            break

    print("Loss: {:.6f} after {} batches".format(loss, batch_idx))  # noqa: UP032
    print("==> Learned function:\t" + poly_desc(fc.weight.view(-1), fc.bias))
    print("==> Actual function:\t" + poly_desc(W_target.view(-1), b_target))
    return loss, batch_idx


if __name__ == "__main__":
    main()
