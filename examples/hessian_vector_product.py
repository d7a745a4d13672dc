"""Hessian-vector products of a network loss, three ways, and the curvature they reveal.

For a loss L(theta) with gradient g(theta) and Hessian H, the product H v costs about two
gradients, without ever forming H (a 1M-parameter network has a 10^12-entry Hessian):

1. double backward (Pearlmutter's trick): g = grad(L, theta, create_graph=True) is recorded,
   so ``grad(g . v, theta)`` = d(g . v)/d theta = H v (H is symmetric);
2. ``tg.autograd.functional.hvp(L, theta, v)``, as ``torch.autograd.functional.hvp``: the
   double-vjp trick, exact even for a non-symmetric H;
3. finite differences of the gradient: H v ~ (g(theta + eps v) - g(theta - eps v)) / (2 eps),
   with an error of order eps^2 (float64, eps = 1e-5).

The network is a 4-16-1 tanh MLP with an MSE loss on 64 points, float64, 97 parameters. The
script checks the three products agree, then uses H v for what it is mostly used for: the top
eigenvalue of H by power iteration (v <- H v / |H v|), compared with the eigenvalues of the full
97 x 97 Hessian from ``tg.autograd.functional.hessian``.

    python examples/hessian_vector_product.py
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn
from tinygrad_edu.autograd import functional as AF

EPS = 1e-5


def make_problem(seed: int = 0) -> tuple[nn.Sequential, tg.Tensor, tg.Tensor]:
    """A 4-16-1 tanh network (PyTorch's default init) and regression data for it."""
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 16, dtype=tg.float64), nn.Tanh(),
                          nn.Linear(16, 1, dtype=tg.float64))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((64, 4))
    y = np.sin(x @ np.array([1.0, -2.0, 0.5, 1.5]))[:, None]
    return model, tg.tensor(x), tg.tensor(y)


def loss_of(x: tg.Tensor, y: tg.Tensor) -> Any:
    """The loss as a function of the four parameter tensors (W1, b1, W2, b2): the model's
    forward pass written with ``F.linear``, which is what each ``nn.Linear`` calls."""
    def loss(w1: tg.Tensor, b1: tg.Tensor, w2: tg.Tensor, b2: tg.Tensor) -> tg.Tensor:
        return F.mse_loss(F.linear(F.linear(x, w1, b1).tanh(), w2, b2), y)
    return loss


def gradient(loss: Any, params: tuple[tg.Tensor, ...], create_graph: bool = False
             ) -> tuple[tg.Tensor, ...]:
    params = tuple(p.detach().requires_grad_() for p in params) if not create_graph else params
    return tg.autograd.grad(loss(*params), params, create_graph=create_graph)


def hvp_double_backward(loss: Any, params: tuple[tg.Tensor, ...], v: tuple[tg.Tensor, ...]
                        ) -> tuple[tg.Tensor, ...]:
    """H v = d(g . v)/d theta, g recorded by create_graph=True."""
    theta = tuple(p.detach().requires_grad_() for p in params)
    g = gradient(loss, theta, create_graph=True)
    g_dot_v = sum(((gi * vi).sum() for gi, vi in zip(g, v, strict=True)), start=tg.tensor(0.0))
    return tg.autograd.grad(g_dot_v, theta)


def hvp_finite_differences(loss: Any, params: tuple[tg.Tensor, ...], v: tuple[tg.Tensor, ...]
                           ) -> tuple[np.ndarray, ...]:
    up = gradient(loss, tuple(p + EPS * vi for p, vi in zip(params, v, strict=True)))
    down = gradient(loss, tuple(p - EPS * vi for p, vi in zip(params, v, strict=True)))
    return tuple((u.numpy() - d.numpy()) / (2 * EPS) for u, d in zip(up, down, strict=True))


def flat(values: Any) -> np.ndarray:
    return np.concatenate([np.asarray(t.detach() if isinstance(t, tg.Tensor) else t).ravel()
                           for t in values])


def main(seed: int = 0, power_steps: int = 100) -> dict[str, Any]:
    model, x, y = make_problem(seed)
    params = tuple(p.detach() for p in model.parameters())
    loss = loss_of(x, y)
    rng = np.random.default_rng(seed + 1)
    v = tuple(tg.tensor(rng.standard_normal(p.shape)) for p in params)
    print(f"4-16-1 tanh MLP, MSE on 64 points, {sum(p.numel() for p in params)} parameters, "
          f"loss {loss(*params).item():.6f}")

    double = flat(hvp_double_backward(loss, params, v))
    fd = flat(hvp_finite_differences(loss, params, v))
    _, hv = AF.hvp(loss, params, v)
    functional = flat(hv)
    scale = np.abs(double).max()
    print(f"|H v|_inf = {scale:.6f}; max |difference| / |H v|_inf:")
    for name, a, b in (("functional.hvp vs double backward", functional, double),
                       ("double backward vs finite differences", double, fd)):
        print(f"  {name + ':':<40} {np.abs(a - b).max() / scale:.1e}")

    # the top eigenvalue of H by power iteration on H v, against the full Hessian's spectrum
    u = flat(v) / np.linalg.norm(flat(v))
    shapes = [p.shape for p in params]
    splits = np.cumsum([p.numel() for p in params])[:-1]
    eigenvalue = 0.0
    for _ in range(power_steps):
        pieces = tuple(tg.tensor(a.reshape(s)) for a, s in zip(np.split(u, splits), shapes,
                                                               strict=True))
        hu = flat(hvp_double_backward(loss, params, pieces))
        eigenvalue = float(u @ hu)  # the Rayleigh quotient u^T H u (|u| = 1)
        u = hu / np.linalg.norm(hu)
    blocks = AF.hessian(loss, params)
    sizes = [p.numel() for p in params]
    full = np.block([[np.asarray(blocks[i][j]).reshape(sizes[i], sizes[j]) for j in range(4)]
                     for i in range(4)])
    spectrum = np.linalg.eigvalsh(full)
    top = spectrum[np.argmax(np.abs(spectrum))]
    print(f"largest |eigenvalue| of H: power iteration on H v ({power_steps} steps) "
          f"{eigenvalue:.6f}, eigvalsh of the full Hessian {top:.6f}")
    print(f"  the full Hessian times v vs double backward: "
          f"{np.abs(full @ flat(v) - double).max() / scale:.1e}")
    return {"double_backward": double, "finite_differences": fd, "functional": functional,
            "hessian": full, "v": flat(v), "power_eigenvalue": eigenvalue, "top_eigenvalue": top,
            "params": [np.asarray(p) for p in params], "x": x.numpy(), "y": y.numpy()}


if __name__ == "__main__":
    main()
