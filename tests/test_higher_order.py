"""Gradients of gradients (create_graph=True) for the ops whose backward is recorded so far:
second derivatives against finite differences of the analytic gradient (float64) and against
PyTorch, a Hessian of a small MLP loss, Newton's method, and the refusal of the rest."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F

torch = pytest.importorskip("torch")

# name, our function, PyTorch's (scalar results, so grad(grad.sum()) is the Hessian's row sums)
OPS = {
    "mul": (lambda x: (x * x * x).sum(), lambda x: (x * x * x).sum()),
    "add_sub_neg": (lambda x: ((x * x + x - 2 * x) * -x).sum(),
                    lambda x: ((x * x + x - 2 * x) * -x).sum()),
    "div": (lambda x: (1 / (x * x + 1)).sum(), lambda x: (1 / (x * x + 1)).sum()),
    "pow": (lambda x: (x**3).sum() + ((x * x + 1) ** 0.5).sum(),
            lambda x: (x**3).sum() + ((x * x + 1) ** 0.5).sum()),
    "exp": (lambda x: x.exp().sum(), lambda x: x.exp().sum()),
    "log": (lambda x: (x * x + 1).log().sum(), lambda x: (x * x + 1).log().sum()),
    "sqrt": (lambda x: (x * x + 1).sqrt().sum(), lambda x: (x * x + 1).sqrt().sum()),
    "tanh": (lambda x: x.tanh().sum(), lambda x: x.tanh().sum()),
    "sigmoid": (lambda x: x.sigmoid().mean(), lambda x: x.sigmoid().mean()),
    "relu": (lambda x: (x.relu() * x).sum(), lambda x: (x.relu() * x).sum()),
    "sum_mean_reshape": (lambda x: (x.reshape(2, 3).sum(0) ** 2).mean(),
                         lambda x: (x.reshape(2, 3).sum(0) ** 2).mean()),
    "mse": (lambda x: F.mse_loss(x * x, tg.ones(6, dtype=tg.float64)),
            lambda x: torch.nn.functional.mse_loss(x * x, torch.ones(6, dtype=torch.float64))),
}

X0 = np.array([0.3, -1.2, 0.7, 2.0, -0.4, 1.1])


def _grad_and_hessian_sum(f, x0):
    x = tg.tensor(x0, requires_grad=True)
    (g,) = tg.autograd.grad(f(x), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None  # the backward pass was recorded
    (h,) = tg.autograd.grad(g.sum(), x)
    return g.detach().numpy(), h.numpy()


@pytest.mark.parametrize("name", sorted(OPS))
def test_second_derivative_matches_pytorch(name):
    ours, theirs = OPS[name]
    g, h = _grad_and_hessian_sum(ours, X0)
    xt = torch.tensor(X0, requires_grad=True)
    (gt,) = torch.autograd.grad(theirs(xt), xt, create_graph=True)
    (ht,) = torch.autograd.grad(gt.sum(), xt)
    np.testing.assert_allclose(g, gt.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h, ht.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(OPS))
def test_second_derivative_matches_finite_differences_of_the_gradient(name):
    """gradgradcheck: d/dx of sum(grad f) by central differences of the analytic gradient."""
    ours, _ = OPS[name]
    _, h = _grad_and_hessian_sum(ours, X0)
    eps = 1e-6
    numeric = np.empty_like(X0)
    for i in range(X0.size):
        up, down = X0.copy(), X0.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = (_grad_and_hessian_sum(ours, up)[0].sum()
                      - _grad_and_hessian_sum(ours, down)[0].sum()) / (2 * eps)
    np.testing.assert_allclose(h, numeric, rtol=1e-5, atol=1e-7)


def test_hessian_of_a_small_mlp_loss_matches_torch_functional_hessian():
    rng = np.random.default_rng(1)
    x_np, y_np = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    w1_np, w2_np = rng.standard_normal((4, 3)) * 0.5, rng.standard_normal((2, 4)) * 0.5

    w1, w2 = tg.tensor(w1_np, requires_grad=True), tg.tensor(w2_np, requires_grad=True)
    hidden = F.linear(tg.tensor(x_np), w1).tanh()
    loss = F.mse_loss(F.linear(hidden, w2), tg.tensor(y_np))
    grads = tg.autograd.grad(loss, (w1, w2), create_graph=True)
    rows = []
    for g in grads:  # one Hessian row per parameter entry: d/dtheta of (g * onehot).sum()
        for i in range(g.numel()):
            pick = np.zeros(g.numel())
            pick[i] = 1.0
            h1, h2 = tg.autograd.grad((g * tg.tensor(pick.reshape(g.shape))).sum(), (w1, w2),
                                      retain_graph=True)
            rows.append(np.concatenate([h1.numpy().ravel(), h2.numpy().ravel()]))

    def loss_torch(w1_flat, w2_flat):
        h = torch.tanh(torch.tensor(x_np) @ w1_flat.reshape(4, 3).T)
        return torch.nn.functional.mse_loss(h @ w2_flat.reshape(2, 4).T, torch.tensor(y_np))

    blocks = torch.autograd.functional.hessian(
        loss_torch, (torch.tensor(w1_np.ravel()), torch.tensor(w2_np.ravel())))
    expected = np.block([[b.numpy() for b in row] for row in blocks])
    np.testing.assert_allclose(np.stack(rows), expected, rtol=1e-9, atol=1e-12)


def test_newtons_method_with_the_second_derivative():
    """DeZero's lesson: x <- x - f'(x) / f''(x) on f(x) = x^4 - 2x^2 reaches the minimum at 1."""
    x = tg.tensor(2.0, dtype=tg.float64, requires_grad=True)
    for _ in range(10):
        y = x**4 - 2 * x**2
        y.backward(create_graph=True)
        first = x.grad
        x.grad = None
        first.backward()
        second = x.grad
        with tg.no_grad():
            x.data = x.data - first.data / second.data
        x.grad = None
    assert x.item() == pytest.approx(1.0, abs=1e-12)


def test_backward_create_graph_leaves_a_grad_that_requires_grad():
    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    (x * x * x).sum().backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.grad_fn is not None
    np.testing.assert_allclose(x.grad.detach().numpy(), [3.0, 12.0])


def test_every_builtin_op_records_its_backward():
    """create_graph=True works for every op: each Function subclass the package defines says
    its backward runs on Tensors (the tests of each op family check that it is right)."""
    import tinygrad_edu.ops  # noqa: F401 -- defines them all

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ops = [c for c in subclasses(tg.autograd.Function) if c.__module__.startswith("tinygrad_edu.")]
    assert len(ops) > 40
    assert [c.__name__ for c in ops if not c.differentiable_backward] == []


def test_a_custom_op_without_a_recorded_backward_refuses_create_graph():
    class Cube(tg.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.saved = (a,)
            return a**3

        @staticmethod
        def backward(ctx, grad):
            return grad * 3 * np.square(ctx.saved[0])  # NumPy only: cannot be recorded

    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (g,) = tg.autograd.grad(Cube.apply(x).sum(), x)  # a first derivative is fine
    np.testing.assert_allclose(g.numpy(), 3 * x.detach().numpy() ** 2)
    with pytest.raises(NotImplementedError, match="CubeBackward0.*differentiable_backward"):
        tg.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)


def test_array_and_recorded_backwards_agree():
    """The ops with two backward forms (ReLU's bit mask, MSE's saved difference) give the
    same first derivative either way."""
    rng = np.random.default_rng(2)
    for _ in range(20):
        x0 = rng.standard_normal(7)
        x0[rng.integers(0, 7)] = 0.0
        t0 = rng.standard_normal(7)
        for f in (lambda x: (x.relu() * 3).sum(),
                  lambda x, t0=t0: F.mse_loss(x, tg.tensor(t0)) + F.mse_loss(x, x * 2)):
            x = tg.tensor(x0, requires_grad=True)
            (plain,) = tg.autograd.grad(f(x), x)
            (recorded,) = tg.autograd.grad(f(x), x, create_graph=True)
            np.testing.assert_array_equal(plain.numpy(), recorded.detach().numpy())
