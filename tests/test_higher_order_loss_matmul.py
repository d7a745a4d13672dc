"""Gradients of gradients (create_graph=True) for matmul and the losses: cross_entropy (class
indices and probabilities), nll_loss, l1_loss, binary_cross_entropy (also at clipped
probabilities), binary_cross_entropy_with_logits, and l2_penalty built on them.

Second derivatives are compared with PyTorch's (float64, every memory layout; float32) and
with central differences of the plain (array) gradient; third derivatives with PyTorch's;
the Hessian of a softmax classifier's loss with ``torch.autograd.functional.hessian``; the
fast array backwards with the recorded ones on arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from layouts import LAYOUTS, in_layout

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu.ops import loss as Loss

torch = pytest.importorskip("torch")
TF = torch.nn.functional

Y = np.array([0, 2, 1, 2])  # class indices for the (4, 3) logits below


class BCEDocumented(torch.autograd.Function):
    """tinygrad_edu's documented BCE (seed 004's clip at eps) with a backward made of torch ops,
    so that its second derivatives exist: L = -(y log max(p, eps) + (1 - y) log max(1 - p, eps)),
    dL/dp = (p - y) / max(p (1 - p), eps), dL/dy = log max(1 - p, eps) - log max(p, eps)."""

    @staticmethod
    def forward(ctx: Any, p: Any, y: Any) -> Any:
        ctx.save_for_backward(p, y)
        eps = torch.tensor(1e-10, dtype=p.dtype)
        log_p, log_q = torch.log(torch.maximum(p, eps)), torch.log(torch.maximum(1 - p, eps))
        return -(y * log_p + (1 - y) * log_q)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        p, y = ctx.saved_tensors
        eps = torch.tensor(1e-10, dtype=p.dtype)
        log_ratio = torch.log(torch.maximum(1 - p, eps)) - torch.log(torch.maximum(p, eps))
        return grad * (p - y) / torch.maximum(p * (1 - p), eps), grad * log_ratio


def _c(like: Any, values: np.ndarray) -> Any:
    """A constant of ``like``'s library and dtype (float32 runs stay float32)."""
    if isinstance(like, torch.Tensor):
        return torch.tensor(values, dtype=like.dtype)
    return tg.tensor(values.astype(like.detach().numpy().dtype))


# name -> (ours, PyTorch's, the inputs (each differentiated), the cases' scalar functions take
# the inputs in order). Shapes are small; values keep away from kinks (L1) and clipping (BCE).
def _cases() -> dict[str, tuple[Callable[..., Any], Callable[..., Any], list[np.ndarray]]]:
    rng = np.random.default_rng(7)
    x43 = rng.standard_normal((4, 3)) * 1.5
    probs = rng.uniform(0.05, 0.95, (4, 3))
    unit = rng.uniform(0.0, 1.0, (4, 3))
    c3, c4 = np.array([1.0, -0.5, 2.0]), np.array([0.5, -1.0, 2.0, 1.5])
    y_tg, y_t = tg.tensor(Y), torch.tensor(Y)
    cases: dict[str, tuple[Callable[..., Any], Callable[..., Any], list[np.ndarray]]] = {}
    for red in ("mean", "sum"):
        cases[f"cross_entropy_{red}"] = (
            lambda x, r=red: F.cross_entropy(x, y_tg, reduction=r),
            lambda x, r=red: TF.cross_entropy(x, y_t, reduction=r), [x43])
        cases[f"cross_entropy_probs_{red}"] = (
            lambda x, t, r=red: F.cross_entropy(x, t, reduction=r),
            lambda x, t, r=red: TF.cross_entropy(x, t, reduction=r), [x43, unit])
        cases[f"bce_{red}"] = (
            lambda p, y, r=red: F.binary_cross_entropy(p, y, reduction=r),
            lambda p, y, r=red: TF.binary_cross_entropy(p, y, reduction=r), [probs, unit])
        cases[f"bce_with_logits_{red}"] = (
            lambda x, y, r=red: F.binary_cross_entropy_with_logits(x, y, reduction=r),
            lambda x, y, r=red: TF.binary_cross_entropy_with_logits(x, y, reduction=r),
            [x43, unit])
    # reduction='none' weighted by a function of the input: the incoming gradient of the loss
    # then depends on x too, so the recorded scatter (PlaceEntries) and its gather are used
    # (the weights and the total are products with constant vectors, not sums: Sum's recorded
    # backward is an expand, whose own recorded backward is another op family's)
    cases["cross_entropy_none_weighted"] = (
        lambda x: (F.cross_entropy(x, y_tg, reduction="none") * (x * x @ _c(x, c3))) @ _c(x, c4),
        lambda x: (TF.cross_entropy(x, y_t, reduction="none") * (x * x @ _c(x, c3))) @ _c(x, c4),
        [x43])
    cases["cross_entropy_probs_none"] = (
        lambda x, t: F.cross_entropy(x, t, reduction="none") @ _c(x, c4),
        lambda x, t: TF.cross_entropy(x, t, reduction="none") @ _c(x, c4), [x43, unit])
    cases["cross_entropy_one_sample"] = (
        lambda x: F.cross_entropy(x, tg.tensor(2)), lambda x: TF.cross_entropy(x, torch.tensor(2)),
        [x43[0]])
    cases["nll_of_square"] = (
        lambda x: F.nll_loss(x * x, y_tg), lambda x: TF.nll_loss(x * x, y_t), [x43])
    cases["nll_none_weighted"] = (
        lambda x: (F.nll_loss(x, y_tg, reduction="none") * (x * x @ _c(x, c3))) @ _c(x, c4),
        lambda x: (TF.nll_loss(x, y_t, reduction="none") * (x * x @ _c(x, c3))) @ _c(x, c4),
        [x43])
    # l1: |x^2 - t| (t keeps x^2 - t away from 0), and weighted by x
    target = x43 * x43 + np.where(rng.random((4, 3)) < 0.5, 0.7, -0.7)
    cases["l1_of_square"] = (
        lambda x, t: F.l1_loss(x * x, t), lambda x, t: TF.l1_loss(x * x, t), [x43, target])
    cases["l1_none_weighted"] = (
        lambda x, t: (F.l1_loss(x * x, t, reduction="none") * x).sum(),
        lambda x, t: (TF.l1_loss(x * x, t, reduction="none") * x).sum(), [x43, target])
    cases["bce_none_weighted"] = (
        lambda p, y: (F.binary_cross_entropy(p, y, reduction="none") * p).sum(),
        lambda p, y: (TF.binary_cross_entropy(p, y, reduction="none") * p).sum(), [probs, unit])
    cases["bce_with_logits_none"] = (
        lambda x, y: (F.binary_cross_entropy_with_logits(x, y, reduction="none") * x).sum(),
        lambda x, y: (TF.binary_cross_entropy_with_logits(x, y, reduction="none") * x).sum(),
        [x43, unit])
    cases["l2_penalty"] = (lambda w: F.l2_penalty(w * w, 0.5), lambda w: 0.5 * (w**4).sum(),
                           [x43])
    # matmul: every shape rule, through tanh so that the second derivative in each operand
    # is not 0 (a product alone is bilinear)
    mat_shapes = {"2d": ((4, 3), (3, 2)), "vec_mat": ((3,), (3, 2)), "mat_vec": ((4, 3), (3,)),
                  "dot": ((3,), (3,)), "batched": ((2, 4, 3), (2, 3, 2)),
                  "broadcast": ((2, 1, 4, 3), (3, 3, 2)), "vec_batched": ((3,), (2, 3, 2))}
    for name, (sa, sb) in mat_shapes.items():
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        cases[f"matmul_{name}"] = (lambda a, b: (a @ b).tanh().sum(),
                                   lambda a, b: (a @ b).tanh().sum(), [a, b])
    cases["matmul_cubic"] = (lambda a: (a @ a @ a).sum(), lambda a: (a @ a @ a).sum(),
                             [rng.standard_normal((3, 3))])
    cases["mlp_matmul_cross_entropy"] = (
        lambda x, w, v: F.cross_entropy((x @ w).tanh() @ v, y_tg),
        lambda x, w, v: TF.cross_entropy((x @ w).tanh() @ v, y_t),
        [x43, rng.standard_normal((3, 5)), rng.standard_normal((5, 3))])
    return cases


CASES = _cases()
THIRD_ORDER = ["cross_entropy_mean", "cross_entropy_none_weighted", "cross_entropy_probs_mean",
               "nll_none_weighted", "l1_none_weighted", "bce_sum", "bce_with_logits_mean",
               "matmul_2d", "matmul_vec_batched", "matmul_cubic"]


def _cotangent(shape: tuple[int, ...], salt: int) -> np.ndarray:
    return np.random.default_rng(100 + salt).choice((-1.5, -0.5, 0.5, 1.0, 2.0), size=shape)


def derivatives(lib: str, fn: Callable[..., Any], arrays: list[np.ndarray], order: int
                ) -> list[list[np.ndarray]]:
    """[first derivatives, ..., derivatives of order ``order``], one array per input: each
    order differentiates sum_i (previous_i * c_i) (fixed cotangents) with create_graph."""
    if lib == "tg":
        xs = [tg.Tensor(a, requires_grad=True) for a in arrays]
        grad, const, arr = tg.autograd.grad, tg.tensor, lambda t: t.detach().numpy()
    else:
        xs = [torch.tensor(np.array(a), requires_grad=True) for a in arrays]
        grad, const = torch.autograd.grad, torch.tensor
        arr = lambda t: t.detach().numpy(force=True)  # noqa: E731 (a ZeroTensor needs force)
    out, total = [], fn(*xs)
    for k in range(order):
        last = k == order - 1
        gs = grad(total, xs, create_graph=not last, allow_unused=True)
        gs = [g if g is not None else const(np.zeros(a.shape, a.dtype))
              for g, a in zip(gs, arrays, strict=True)]
        out.append([arr(g) for g in gs])
        if not last:
            terms = [(g * const(_cotangent(a.shape, 10 * k + i).astype(a.dtype))).sum()
                     for i, (g, a) in enumerate(zip(gs, arrays, strict=True))
                     if g.requires_grad]
            if not terms:  # no derivative depends on the inputs: the rest are zeros
                out += [[np.zeros(a.shape, a.dtype) for a in arrays]] * (order - k - 1)
                break
            total = terms[0]
            for t in terms[1:]:
                total = total + t
    return out


def _assert_close(ours: list[list[np.ndarray]], theirs: list[list[np.ndarray]], rtol: float,
                  atol: float) -> None:
    """Equal within rtol of each value plus rtol of the array's largest value (entries that
    cancel keep the rounding of their terms; PyTorch's BCE double backward also adds 1e-12)."""
    for k, (a_k, b_k) in enumerate(zip(ours, theirs, strict=True)):
        for i, (a, b) in enumerate(zip(a_k, b_k, strict=True)):
            assert a.shape == b.shape and a.dtype == b.dtype, (k, i, a.dtype, b.dtype)
            scale = float(np.abs(b).max(initial=0.0))
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol + rtol * scale,
                                       err_msg=f"derivative of order {k + 1}, input {i}")


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivatives_match_pytorch_in_every_layout(name, layout):
    ours_fn, torch_fn, arrays = CASES[name]
    ours = derivatives("tg", ours_fn, [in_layout(a, layout) for a in arrays], 2)
    theirs = derivatives("torch", torch_fn, arrays, 2)
    _assert_close(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivatives_in_float32_match_pytorch(name):
    ours_fn, torch_fn, arrays = CASES[name]
    arrays32 = [a.astype(np.float32) for a in arrays]
    ours = derivatives("tg", ours_fn, arrays32, 2)
    theirs = derivatives("torch", torch_fn, arrays32, 2)
    _assert_close(ours, theirs, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("name", THIRD_ORDER)
def test_third_derivatives_match_pytorch(name):
    ours_fn, torch_fn, arrays = CASES[name]
    ours = derivatives("tg", ours_fn, arrays, 3)
    theirs = derivatives("torch", torch_fn, arrays, 3)
    assert any(np.abs(d).max() > 1e-3 for d in theirs[2]), "a third derivative that is not 0"
    _assert_close(ours, theirs, rtol=1e-9, atol=1e-11)


def _plain_gradient_dot(fn: Callable[..., Any], arrays: list[np.ndarray]) -> float:
    """sum_i (dL/dx_i * c_i) from a plain backward (the array path, no create_graph)."""
    xs = [tg.Tensor(a, requires_grad=True) for a in arrays]
    gs = tg.autograd.grad(fn(*xs), xs, allow_unused=True)
    return sum(float((g.numpy() * _cotangent(a.shape, i)).sum())
               for i, (g, a) in enumerate(zip(gs, arrays, strict=True)) if g is not None)


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivatives_match_finite_differences_of_the_gradient(name):
    """gradgradcheck: the recorded second derivative against central differences of the
    array-path gradient (so both backward forms are tied together), float64."""
    ours_fn, _, arrays = CASES[name]
    analytic = derivatives("tg", ours_fn, arrays, 2)[1]
    eps = 1e-6
    for i, a in enumerate(arrays):
        numeric = np.empty_like(a)
        for j in np.ndindex(a.shape):
            up, down = [x.copy() for x in arrays], [x.copy() for x in arrays]
            up[i][j] += eps
            down[i][j] -= eps
            numeric[j] = (_plain_gradient_dot(ours_fn, up)
                          - _plain_gradient_dot(ours_fn, down)) / (2 * eps)
        np.testing.assert_allclose(analytic[i], numeric, rtol=1e-5, atol=1e-6,
                                   err_msg=f"input {i}")


# ---------------------------------------------------------------------- BCE at the clip


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_second_derivatives_at_clipped_probabilities_follow_the_documented_formula(reduction):
    """p exactly 0 or 1 with ``eps=1e-10`` (seed 004's clipping): the clipped logs and the
    clipped denominator are constants, so what is left is the derivative of (p - y) / eps in p
    and y (compared with the documented formula as a torch Function with a differentiable
    backward; without ``eps`` the op is PyTorch's, see test_torch_parity)."""
    p = np.array([[0.0, 1.0, 0.3], [1.0, 0.6, 0.0]])
    y = np.array([[0.25, 0.5, 1.0], [0.0, 0.25, 0.75]])
    c = np.array([[1.0, -2.0, 0.5], [1.5, 1.0, -1.0]])

    def ours(p, y):
        weight = tg.tensor(c) if reduction == "none" else 1.0
        return (F.binary_cross_entropy(p, y, reduction=reduction, eps=1e-10) * weight).sum()

    def theirs(p, y):
        per = BCEDocumented.apply(p, y)
        if reduction == "none":
            return (per * torch.tensor(c)).sum()
        return per.mean() if reduction == "mean" else per.sum()

    for layout in LAYOUTS:
        got = derivatives("tg", ours, [in_layout(p, layout), in_layout(y, layout)], 3)
        want = derivatives("torch", theirs, [p, y], 3)
        _assert_close(got, want, rtol=1e-12, atol=1e-3)  # first derivatives are ~1e10


# ---------------------------------------------------------------------- gradients as inputs


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss", "l1_loss", "bce", "bce_with_logits",
                                  "cross_entropy_probs"])
def test_recorded_gradient_is_linear_in_a_grad_output_that_requires_grad(name):
    """grad_outputs v requiring grad (reduction='none'): d/dv of sum(dL/dx(v) * c) as torch's."""
    rng = np.random.default_rng(3)
    x0, t0 = rng.standard_normal((4, 3)), rng.uniform(0.1, 0.9, (4, 3))
    p0 = rng.uniform(0.1, 0.9, (4, 3))
    calls = {
        "cross_entropy": (lambda m, x, t: m.cross_entropy(x, Y if m is F else torch.tensor(Y),
                                                          reduction="none"), x0),
        "cross_entropy_probs": (lambda m, x, t: m.cross_entropy(x, t, reduction="none"), x0),
        "nll_loss": (lambda m, x, t: m.nll_loss(x, tg.tensor(Y) if m is F else torch.tensor(Y),
                                                reduction="none"), x0),
        "l1_loss": (lambda m, x, t: m.l1_loss(x, t, reduction="none"), x0),
        "bce": (lambda m, x, t: m.binary_cross_entropy(x, t, reduction="none"), p0),
        "bce_with_logits": (lambda m, x, t: m.binary_cross_entropy_with_logits(
            x, t, reduction="none"), x0),
    }
    call, xv = calls[name]
    results = []
    for make, grad, mod in ((tg.tensor, tg.autograd.grad, F),
                            (torch.tensor, torch.autograd.grad, TF)):
        x, t = make(xv, requires_grad=True), make(t0, requires_grad=True)
        loss = call(mod, x, t)
        v = make(_cotangent(tuple(loss.shape), 1) * 1.0, requires_grad=True)
        firsts = grad(loss, (x, t), grad_outputs=v, create_graph=True, allow_unused=True)
        total = sum((g * make(_cotangent((4, 3), 2 + k))).sum()
                    for k, g in enumerate(firsts) if g is not None)
        seconds = grad(total, (v, x, t), allow_unused=True)
        results.append([np.zeros(w.shape) if g is None else g.detach().numpy(force=True)
                        if make is torch.tensor else g.numpy()
                        for g, w in zip(seconds, (v, x, t), strict=True)])
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------- Hessians


@pytest.mark.parametrize("form", ["linear", "matmul"])
def test_hessian_of_a_softmax_classifier_loss_matches_torch_functional_hessian(form):
    """L(W, b) = cross_entropy(x W^T + b, y): the Hessian over (W, b), one row per entry, as
    torch.autograd.functional.hessian (x @ W.T is F.linear; x @ V + b the matmul form)."""
    rng = np.random.default_rng(11)
    x_np, y_np = rng.standard_normal((6, 3)), rng.integers(0, 4, 6)
    w_np, b_np = rng.standard_normal((4, 3)) * 0.7, rng.standard_normal(4) * 0.3
    if form == "matmul":
        w_np = np.ascontiguousarray(w_np.T)  # (3, 4): x @ V

    def model(lib: Any, x: Any, w: Any, b: Any) -> Any:
        if form == "linear":
            return (F if lib is tg else TF).linear(x, w, b)
        return x @ w + b

    w, b = tg.tensor(w_np, requires_grad=True), tg.tensor(b_np, requires_grad=True)
    loss = F.cross_entropy(model(tg, tg.tensor(x_np), w, b), tg.tensor(y_np))
    grads = tg.autograd.grad(loss, (w, b), create_graph=True)
    rows = []
    for g in grads:
        for i in range(g.numel()):
            pick = np.zeros(g.numel())
            pick[i] = 1.0
            hw, hb = tg.autograd.grad((g * tg.tensor(pick.reshape(g.shape))).sum(), (w, b),
                                      retain_graph=True)
            rows.append(np.concatenate([hw.numpy().ravel(), hb.numpy().ravel()]))

    def loss_torch(w_flat, b_flat):
        logits = model(torch, torch.tensor(x_np), w_flat.reshape(w_np.shape), b_flat)
        return TF.cross_entropy(logits, torch.tensor(y_np))

    blocks = torch.autograd.functional.hessian(
        loss_torch, (torch.tensor(w_np.ravel()), torch.tensor(b_np)))
    expected = np.block([[blk.numpy() for blk in row] for row in blocks])
    np.testing.assert_allclose(np.stack(rows), expected, rtol=1e-10, atol=1e-13)


def test_hessian_of_cross_entropy_in_the_logits_is_diag_p_minus_p_p_transposed():
    """Per row the Hessian of logsumexp(x) - x_y is diag(p) - p p^T, p = softmax(x) (/ N)."""
    rng = np.random.default_rng(5)
    x0 = rng.standard_normal((3, 4))
    x = tg.tensor(x0, requires_grad=True)
    (g,) = tg.autograd.grad(F.cross_entropy(x, tg.tensor([1, 0, 3])), x, create_graph=True)
    p = np.exp(x0 - x0.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    for n in range(3):
        for c in range(4):
            pick = np.zeros((3, 4))
            pick[n, c] = 1.0
            (h,) = tg.autograd.grad((g * tg.tensor(pick)).sum(), x, retain_graph=True)
            expected = np.zeros((3, 4))
            expected[n] = (np.eye(4)[c] * p[n, c] - p[n, c] * p[n]) / 3
            np.testing.assert_allclose(h.numpy(), expected, rtol=1e-12, atol=1e-15)


def test_newtons_method_fits_logistic_regression_with_bce_with_logits():
    """Newton steps w <- w - H^-1 g with H from the recorded backward: a few steps reach the
    minimum (the gradient is ~0), as a closed-form IRLS fit does."""
    rng = np.random.default_rng(2)
    x_np = rng.standard_normal((40, 3))
    y_np = (x_np @ np.array([1.0, -2.0, 0.5]) + rng.standard_normal(40) > 0).astype(float)
    w_np = np.zeros(3)
    for _ in range(8):
        w = tg.tensor(w_np, requires_grad=True)
        loss = F.binary_cross_entropy_with_logits(tg.tensor(x_np) @ w, tg.tensor(y_np))
        (g,) = tg.autograd.grad(loss, w, create_graph=True)
        hessian = np.stack([tg.autograd.grad((g * tg.tensor(np.eye(3)[i])).sum(), w,
                                             retain_graph=True)[0].numpy() for i in range(3)])
        w_np = w_np - np.linalg.solve(hessian, g.detach().numpy())
    p = 1 / (1 + np.exp(-(x_np @ w_np)))
    np.testing.assert_allclose(x_np.T @ (p - y_np) / 40, 0, atol=1e-12)


# ---------------------------------------------------------------------- hypothesis


def _floats(shape: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
    return st.lists(st.floats(-4, 4, allow_nan=False), min_size=int(np.prod(shape)),
                    max_size=int(np.prod(shape))).map(lambda v: np.array(v).reshape(shape))


@given(data=st.data(), n=st.integers(0, 4), classes=st.integers(1, 4),
       reduction=st.sampled_from(["mean", "sum", "none"]), layout=st.sampled_from(LAYOUTS))
def test_cross_entropy_second_derivatives_for_drawn_shapes_and_values(data, n, classes,
                                                                      reduction, layout):
    x0 = data.draw(_floats((n, classes)))
    y0 = np.array(data.draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)),
                  dtype=np.int64)
    c = _cotangent((n,), 4)
    probs = data.draw(st.booleans())
    t0 = data.draw(_floats((n, classes))) / 8 + 0.5

    def f(mod: Any, make: Any) -> Callable[..., Any]:
        def loss(x, t):
            out = mod.cross_entropy(x, t if probs else make(y0), reduction=reduction)
            return (out * make(c)).sum() if reduction == "none" else out
        return loss

    arrays = [x0, t0]
    ours = derivatives("tg", f(F, tg.tensor), [in_layout(a, layout) for a in arrays], 2)
    theirs = derivatives("torch", f(TF, torch.tensor), arrays, 2)
    if n == 0 and reduction == "mean":  # the mean of nothing: nan, no gradient to compare
        return
    _assert_close(ours, theirs, rtol=1e-10, atol=1e-12)


_MATMUL_SHAPES = st.sampled_from([
    ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((0, 3), (3, 2)),
    ((2, 3), (3, 0)), ((2, 2, 3), (3, 1)), ((3,), (2, 3, 2)), ((2, 1, 2, 3), (4, 3, 2)),
    ((1, 2, 3), (3,)), ((2, 3), (5, 3, 2))])


@given(data=st.data(), shapes=_MATMUL_SHAPES, layout=st.sampled_from(LAYOUTS),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_matmul_second_derivatives_for_drawn_shapes_and_values(data, shapes, layout, dtype):
    a0, b0 = (data.draw(_floats(s)).astype(dtype) for s in shapes)

    def f(a, b):
        z = a @ b
        return (z * z * z).sum()

    ours = derivatives("tg", f, [in_layout(a0, layout), in_layout(b0, layout)], 2)
    theirs = derivatives("torch", f, [a0, b0], 2)
    if dtype == np.float64:
        _assert_close(ours, theirs, rtol=1e-10, atol=1e-10)
    else:
        _assert_close(ours, theirs, rtol=1e-4, atol=1e-3)


def _two_backwards(cls: type, inputs: list[Any], grad: np.ndarray, **settings: Any
                   ) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    node = cls.apply(*inputs, **settings).grad_fn
    fast, recorded = node.array_backward(node, grad), node.backward(node, grad)
    return (fast if isinstance(fast, tuple) else (fast,),
            recorded if isinstance(recorded, tuple) else (recorded,))


@given(data=st.data(), n=st.integers(0, 5), classes=st.integers(1, 9),
       reduction=st.sampled_from(["mean", "sum", "none"]),
       dtype=st.sampled_from([np.float64, np.float32]), layout=st.sampled_from(LAYOUTS))
def test_array_backward_and_recorded_backward_agree_on_arrays(data, n, classes, reduction,
                                                              dtype, layout):
    """The ops with a fast array form (CrossEntropy, CrossEntropyWithProbs,
    BinaryCrossEntropy) give the same gradients from ``backward`` run on arrays: equal up to
    the order of a row sum (BLAS or not) for the softmax, bit for bit for BCE."""
    x0 = in_layout(data.draw(_floats((n, classes))).astype(dtype) * 3, layout)
    t0 = in_layout((data.draw(_floats((n, classes))) / 8 + 0.5).astype(dtype), layout)
    p0 = in_layout(np.clip(data.draw(_floats((n, classes))) / 4 + 0.5, 0, 1).astype(dtype), layout)
    y0 = np.array(data.draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)),
                  dtype=np.int64)
    shape = (n,) if reduction == "none" else ()
    grad = (_cotangent(shape, 5) * 1.0).astype(dtype)
    need = data.draw(st.sampled_from([(True, True), (True, False), (False, True)]))
    x, t = tg.Tensor(x0, requires_grad=True), tg.Tensor(t0, requires_grad=need[1])
    p, y = tg.Tensor(p0, requires_grad=need[0]), tg.Tensor(t0, requires_grad=need[1])
    tol = 4 * np.finfo(dtype).eps
    for fast, recorded in (
            _two_backwards(Loss.CrossEntropy, [x, tg.tensor(y0)], grad, reduction=reduction),
            _two_backwards(Loss.CrossEntropyWithProbs, [x, t], grad, reduction=reduction)):
        for a, b in zip(fast, recorded, strict=True):
            assert (a is None) == (b is None)
            if a is not None:
                assert a.dtype == b.dtype and a.shape == b.shape
                np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    per_element = (_cotangent((n, classes), 6) * 1.0).astype(dtype)
    fast, recorded = _two_backwards(Loss.BinaryCrossEntropy, [p, y],
                                    per_element if reduction == "none" else grad,
                                    reduction=reduction, eps=1e-10)
    for a, b in zip(fast, recorded, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)


@given(data=st.data(), layout=st.sampled_from(LAYOUTS),
       name=st.sampled_from(sorted(CASES)))
def test_create_graph_first_derivatives_equal_the_plain_ones(data, layout, name):
    """The recorded backward computes the same first derivative as the array one."""
    ours_fn, _, arrays = CASES[name]
    scale = data.draw(st.sampled_from([0.5, 1.0, 1.5]))
    arrays = [a if name.startswith("bce") else a * scale for a in arrays]
    xs = [tg.Tensor(in_layout(a, layout), requires_grad=True) for a in arrays]
    plain = tg.autograd.grad(ours_fn(*xs), xs, allow_unused=True)
    recorded = tg.autograd.grad(ours_fn(*xs), xs, create_graph=True, allow_unused=True)
    for a, b in zip(plain, recorded, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-13, atol=1e-15)


def test_l1_penalty_second_derivative_is_zero_and_recorded():
    w = tg.tensor([[0.5, -1.0], [2.0, -0.25]], requires_grad=True)
    (g,) = tg.autograd.grad(F.l1_penalty(w * w, 0.5), w, create_graph=True)
    (h,) = tg.autograd.grad((g * g).sum(), w)  # g = 0.5 sign(w^2) 2 w = w: d sum(g^2)/dw = 2 w
    np.testing.assert_allclose(h.numpy(), 2 * w.detach().numpy())


@pytest.mark.parametrize("reduction", ["sum", "mean", "none"])
def test_cross_entropy_with_probabilities_has_torchs_signed_zero(reduction):
    """One class: the loss is zero, negated after the reduction as PyTorch (-0.0, which a
    later division turns into -inf; found by the long fuzz run)."""
    x, t = np.array([[0.2157]]), np.array([[1.0]])
    ours = F.cross_entropy(tg.tensor(x), tg.tensor(t), reduction=reduction).numpy()
    theirs = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t),
                                               reduction=reduction).numpy()
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))
