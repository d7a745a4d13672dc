"""The rearranging, sorting and product methods, and functions_more (einsum, tensordot,
cdist, meshgrid...), against PyTorch: values and gradients on every memory layout, float32
and float64 (int64 where PyTorch takes it), second derivatives, and the errors."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from layouts import LAYOUTS, in_layout

import tinygrad_edu as tg
import tinygrad_edu.functions_more as FM

torch = pytest.importorskip("torch", reason="compared with PyTorch")

RNG = np.random.default_rng(11)
A = RNG.normal(size=(3, 4))
B = RNG.normal(size=(4, 5))
C = RNG.normal(size=(2, 3, 4))
S = np.array([[3.0, 1, np.nan, 1], [2, 2, 0, -1], [5, 4, 4, 4]])  # ties and NaN


def fm(m: Any) -> Any:
    return torch if m is torch else FM


# name -> (f(lib, *tensors), inputs); each op written once for both libraries
CASES: dict[str, tuple[Callable[..., Any], tuple[np.ndarray, ...]]] = {
    "flip": (lambda m, x: x.flip(0, 1), (A,)),
    "flip_list": (lambda m, x: x.flip([-1]), (C,)),
    "fliplr": (lambda m, x: x.fliplr(), (A,)),
    "flipud": (lambda m, x: x.flipud(), (A,)),
    "roll": (lambda m, x: x.roll(2, 1), (A,)),
    "roll_dims": (lambda m, x: x.roll((1, -2), (0, 2)), (C,)),
    "roll_flat": (lambda m, x: x.roll(5), (A,)),
    **{f"rot90_{k}": (lambda m, x, k=k: x.rot90(k, (2, 0)), (C,)) for k in (-1, 0, 1, 2, 3)},
    "repeat": (lambda m, x: x.repeat(2, 1, 3), (A,)),
    "tile": (lambda m, x: x.tile((2,)), (A,)),
    "repeat_interleave": (lambda m, x: x.repeat_interleave(2, dim=1), (A,)),
    "repeat_interleave_counts": (lambda m, x: x.repeat_interleave(m.tensor([1, 0, 2]), dim=0),
                                 (A,)),
    "repeat_interleave_flat": (lambda m, x: x.repeat_interleave(2), (A,)),
    "chunk": (lambda m, x: x.chunk(3, 1), (A,)),
    "split": (lambda m, x: x.split(3, 1), (A,)),
    "split_sizes": (lambda m, x: x.split([1, 3], 1), (A,)),
    "tensor_split": (lambda m, x: x.tensor_split(3, 1), (A,)),
    "tensor_split_indices": (lambda m, x: x.tensor_split([1, 5], 1), (A,)),
    "unbind": (lambda m, x: x.unbind(1), (A,)),
    "narrow": (lambda m, x: x.narrow(1, -3, 2), (A,)),
    "movedim": (lambda m, x: x.movedim(0, 2), (C,)),
    "moveaxis": (lambda m, x: x.moveaxis((0, 1), (2, 0)), (C,)),
    "unflatten": (lambda m, x: x.unflatten(1, (2, -1)), (A,)),
    "tril": (lambda m, x: x.tril(1), (C,)),
    "triu": (lambda m, x: x.triu(-1), (A,)),
    "diagonal": (lambda m, x: x.diagonal(1, 2, 0), (C,)),
    "diagonal_neg": (lambda m, x: x.diagonal(-1), (A,)),
    "diag_vector": (lambda m, x: x.diag(1), (A[0],)),
    "diag_matrix": (lambda m, x: x.diag(-1), (A,)),
    "diag_embed": (lambda m, x: x.diag_embed(1, 0, 2), (A,)),
    "sort": (lambda m, x: tuple(x.sort(dim=1, stable=True)), (S,)),
    "sort_descending": (lambda m, x: tuple(x.sort(dim=0, descending=True, stable=True)), (S,)),
    "msort": (lambda m, x: x.msort(), (A,)),
    "topk": (lambda m, x: tuple(x.topk(2)), (A,)),
    "topk_smallest": (lambda m, x: tuple(x.topk(2, 0, largest=False)), (A,)),
    "mm": (lambda m, x, y: x.mm(y), (A, B)),
    "bmm": (lambda m, x, y: x.bmm(y), (C, RNG.normal(size=(2, 4, 2)))),
    "mv": (lambda m, x, y: x.mv(y), (A, B[:, 0])),
    "dot": (lambda m, x, y: x.dot(y), (B[:, 0], B[:, 1])),
    "vdot": (lambda m, x, y: x.vdot(y), (B[:, 0], B[:, 1])),
    "inner": (lambda m, x, y: x.inner(y), (C, A)),
    "outer": (lambda m, x, y: x.outer(y), (A[0], B[0])),
    "ger": (lambda m, x, y: x.ger(y), (A[0], B[0])),
    "addmm": (lambda m, z, x, y: z.addmm(x, y, beta=0.5, alpha=2), (B[0], A, B)),
    "addmv": (lambda m, z, x, y: z.addmv(x, y), (A[:, 0], A, B[:, 0])),
    "baddbmm_beta0": (lambda m, z, x, y: z.baddbmm(x, y, beta=0),
                      (np.full((2, 3, 2), np.nan), C, RNG.normal(size=(2, 4, 2)))),
    "cross": (lambda m, x, y: x.cross(y, dim=0), (A[:, :2], B[:3, :2])),
    "kron": (lambda m, x, y: x.kron(y), (A, RNG.normal(size=(2, 3, 1)))),
    "einsum_mm": (lambda m, x, y: fm(m).einsum("ij,jk->ik", x, y), (A, B)),
    "einsum_implicit": (lambda m, x, y: fm(m).einsum("ij,jk", x, y), (A, B)),
    "einsum_trace": (lambda m, x: fm(m).einsum("ii->", x), (A[:, :3],)),
    "einsum_diagonal": (lambda m, x: fm(m).einsum("ii->i", x), (A[:, :3],)),
    "einsum_sum": (lambda m, x: fm(m).einsum("ij->j", x), (A,)),
    "einsum_ellipsis": (lambda m, x, y: fm(m).einsum("...ij,jk->...ik", x, y), (C, B)),
    "einsum_broadcast": (lambda m, x, y: fm(m).einsum("bij,bj->bi", x, y), (C, A[:1])),
    "einsum_three": (lambda m, x, y, z: fm(m).einsum("ij,ij,ij->i", x, y, z), (A, A * 2, C[0])),
    "einsum_repeat": (lambda m, x: fm(m).einsum("iij->j", x), (C[:, :2],)),
    "tensordot": (lambda m, x, y: fm(m).tensordot(x, y, 1), (A, B)),
    "tensordot_lists": (lambda m, x, y: fm(m).tensordot(x, y, ([0, 2], [1, 0])),
                        (C, RNG.normal(size=(4, 2, 5)))),
    **{f"cdist_{p}": (lambda m, x, y, p=p: fm(m).cdist(x, y, p),
                      (A, np.concatenate([A[:1], B[:2, :4]])))  # a zero distance too
       for p in (2.0, 1.0, 3.0, 0.5, float("inf"))},
    "meshgrid_xy": (lambda m, x, y: fm(m).meshgrid(x, y, indexing="xy"), (A[0], B[0])),
    "meshgrid_ij": (lambda m, x, y, z: fm(m).meshgrid(x, y, z, indexing="ij"),
                    (A[0], B[0], A[1, :2])),
    "broadcast_tensors": (lambda m, x, y: fm(m).broadcast_tensors(x, y), (A[:, :1], B[0, :4])),
    "block_diag": (lambda m, x, y, z: fm(m).block_diag(x, y, z), (A, B[0], np.array(2.0))),
    "cartesian_prod": (lambda m, x, y: fm(m).cartesian_prod(x, y), (A[0], B[0, :2])),
    "atleast_3d": (lambda m, x, y, z: fm(m).atleast_3d(x, y, z), (np.array(1.0), A[0], A)),
}
NO_SECOND = {k for k in CASES if k.startswith("cdist")}  # PyTorch has no double backward
TIES = {"sort", "sort_descending"}  # stable on both sides: indices equal too


def _outputs(lib: Any, name: str, arrays: tuple[np.ndarray, ...], grad: bool) -> tuple[
        list[Any], list[Any]]:
    f, _ = CASES[name]
    if lib is tg:
        xs = [tg.Tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    else:
        xs = [torch.tensor(np.array(a), requires_grad=grad and a.dtype.kind == "f")
              for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = f(lib, *xs)
    return xs, list(out) if isinstance(out, (tuple, list)) else [out]


def _loss(lib: Any, outs: list[Any]) -> Any:
    total = None
    for o in outs:
        if o.dtype in (tg.float32, tg.float64, torch.float32, torch.float64):
            weight = np.arange(o.numel()).reshape(tuple(o.shape)) % 3 - 1.0
            term = (o * lib.tensor(weight.astype(np.float64)).to(o.dtype)).sum()
            total = term if total is None else total + term
    return total


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name: str, dtype: Any, layout: str) -> None:
    arrays = tuple(a.astype(dtype) for a in CASES[name][1])
    xs, ys = _outputs(tg, name, tuple(in_layout(a, layout) for a in arrays), True)
    ts, zs = _outputs(torch, name, arrays, True)
    assert len(ys) == len(zs)
    for y, z in zip(ys, zs, strict=True):
        assert y.shape == tuple(z.shape) and y.dtype == z.detach().numpy().dtype
        np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
    _loss(tg, ys).backward()
    _loss(torch, zs).backward()
    for x, t in zip(xs, ts, strict=True):
        if t.grad is None:
            assert x.grad is None
        else:
            np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(set(CASES) - NO_SECOND))
def test_second_derivatives_match_torch(name: str) -> None:
    arrays = tuple(a.astype(np.float64) for a in CASES[name][1])
    xs, ys = _outputs(tg, name, arrays, True)
    ts, zs = _outputs(torch, name, arrays, True)
    wanted = [i for i, t in enumerate(ts) if t.requires_grad]
    squares = [y * y for y in ys if y.dtype == tg.float64]
    first = tg.autograd.grad(_loss(tg, squares), [xs[i] for i in wanted], create_graph=True,
                             allow_unused=True)
    theirs = torch.autograd.grad(_loss(torch, [z * z for z in zs if z.dtype == torch.float64]),
                                 [ts[i] for i in wanted], create_graph=True, allow_unused=True)
    pairs = [(g, h) for g, h in zip(first, theirs, strict=True)
             if h is not None and h.requires_grad]
    if not pairs:
        return
    second = tg.autograd.grad(sum((g * g).sum() for g, _ in pairs), [xs[i] for i in wanted],
                              allow_unused=True)
    expected = torch.autograd.grad(sum((h * h).sum() for _, h in pairs),
                                   [ts[i] for i in wanted], allow_unused=True)
    for g, h in zip(second, expected, strict=True):
        if h is not None:
            np.testing.assert_allclose(g.numpy(), h.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["flip", "roll", "rot90_1", "repeat", "tile", "tril",
                                  "diagonal", "split", "movedim", "sort", "mm", "kron",
                                  "einsum_mm"])
def test_integer_inputs_match_torch(name: str) -> None:
    arrays = tuple((np.nan_to_num(a) * 10).astype(np.int64) for a in CASES[name][1])
    _, ys = _outputs(tg, name, arrays, False)
    _, zs = _outputs(torch, name, arrays, False)
    for y, z in zip(ys, zs, strict=True):
        assert y.dtype == np.int64
        np.testing.assert_array_equal(y.numpy(), z.numpy())


def test_sort_and_topk_return_values_and_indices() -> None:
    x = tg.tensor(S)
    values, indices = x.sort(descending=True)
    result = x.sort(descending=True)
    assert result.values is not None and result.indices.dtype == tg.int64
    expected = torch.tensor(S).sort(descending=True, stable=True)
    np.testing.assert_array_equal(values.numpy(), expected.values.numpy())
    np.testing.assert_array_equal(indices.numpy(), expected.indices.numpy())
    np.testing.assert_array_equal(x.argsort(dim=0).numpy(),
                                  torch.tensor(S).argsort(dim=0, stable=True).numpy())
    top = x.topk(2, dim=1)
    ref = torch.tensor(S).topk(2, dim=1)
    np.testing.assert_array_equal(top.values.numpy(), ref.values.numpy())
    # indices pick values equal to PyTorch's (ties may be picked in another order)
    picked = np.take_along_axis(S, top.indices.numpy(), 1)
    np.testing.assert_array_equal(picked, ref.values.numpy())


@pytest.mark.parametrize("values, kw", [
    (np.array([3, 1, 3, 2, 1]), {"return_inverse": True, "return_counts": True}),
    (np.array([[3, 1], [1, 2], [3, 1]]), {"dim": 0, "return_inverse": True,
                                          "return_counts": True}),
    (np.array([np.nan, np.nan, 1.0]), {}),
])
def test_unique_matches_torch(values: np.ndarray, kw: dict[str, Any]) -> None:
    ours, theirs = tg.tensor(values).unique(**kw), torch.tensor(values).unique(**kw)
    for a, b in zip(ours if kw else [ours], theirs if kw else [theirs], strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_counting_and_searching_match_torch() -> None:
    runs = np.array([1, 1, 2, 2, 3, 1, 1])
    for a, b in zip(tg.tensor(runs).unique_consecutive(return_inverse=True, return_counts=True),
                    torch.tensor(runs).unique_consecutive(return_inverse=True,
                                                          return_counts=True), strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    ints, weights = np.array([0, 1, 1, 3]), np.array([0.5, 1.0, 2.0, 3.0])
    assert tg.tensor(ints).bincount(minlength=5).tolist() == torch.tensor(ints).bincount(
        minlength=5).tolist()
    np.testing.assert_array_equal(tg.tensor(ints).bincount(tg.tensor(weights)).numpy(),
                                  torch.tensor(ints).bincount(torch.tensor(weights)).numpy())
    data = np.array([1.0, 2, 1, 0, 3, 5], np.float32)
    np.testing.assert_array_equal(tg.tensor(data).histc(4, 0, 3).numpy(),
                                  torch.tensor(data).histc(4, 0, 3).numpy())
    seq, values = np.array([[1, 3, 5], [2, 4, 6]]), np.array([[3, 6], [0, 4]])
    for right in (False, True):
        np.testing.assert_array_equal(
            FM.searchsorted(tg.tensor(seq), tg.tensor(values), right=right).numpy(),
            torch.searchsorted(torch.tensor(seq), torch.tensor(values), right=right).numpy())
        x, bounds = np.array([0.5, 1, 2.5, 3, 4]), np.array([1.0, 2, 3])
        np.testing.assert_array_equal(
            FM.bucketize(tg.tensor(x), tg.tensor(bounds), right=right).numpy(),
            torch.bucketize(torch.tensor(x), torch.tensor(bounds), right=right).numpy())


def test_mm_costs_one_matmul_node() -> None:
    a, b = tg.tensor(A, requires_grad=True), tg.tensor(B, requires_grad=True)
    assert type(a.mm(b).grad_fn) is type((a @ b).grad_fn)
    assert a.mm(b).grad_fn.next_functions == ((a.grad_fn or a._node, 0), (b._node, 0))


@pytest.mark.parametrize("call, error, message", [
    (lambda: tg.tensor(C).mm(tg.tensor(B)), RuntimeError, "self must be a 2-D tensor"),
    (lambda: tg.tensor(A).mm(tg.tensor(A)), RuntimeError, "cannot be multiplied"),
    (lambda: tg.tensor(A).bmm(tg.tensor(A)), RuntimeError, "3-D"),
    (lambda: tg.tensor(A).dot(tg.tensor(A)), RuntimeError, "1D tensors expected"),
    (lambda: tg.tensor(A[0]).dot(tg.tensor(B[0])), RuntimeError, "inconsistent tensor size"),
    (lambda: tg.tensor(A).repeat(2), RuntimeError, "can not be smaller"),
    (lambda: tg.tensor(A).split([1, 1], 1), RuntimeError, "sum exactly to 4"),
    (lambda: tg.tensor(A).narrow(1, 3, 2), RuntimeError, "exceeds dimension size"),
    (lambda: tg.tensor(A).chunk(0), RuntimeError, "greater than 0"),
    (lambda: tg.tensor(A).flip(0, 0), RuntimeError, "multiple times"),
    (lambda: tg.tensor(A).roll((1, 2), 0), RuntimeError, "must align"),
    (lambda: tg.tensor(A).rot90(1, (0, 0)), RuntimeError, "must be different"),
    (lambda: tg.tensor(A[0]).tril(), RuntimeError, "at least 2 dimensions"),
    (lambda: tg.tensor(A).diagonal(0, 1, 1), RuntimeError, "cannot be identical"),
    (lambda: tg.tensor(C).diag(), RuntimeError, "1D or 2D"),
    (lambda: tg.tensor(A).topk(5), RuntimeError, "out of range"),
    (lambda: tg.tensor(A).movedim((0, 1), 0), RuntimeError, "same number of dims"),
    (lambda: tg.tensor(A).unflatten(1, (3, 2)), RuntimeError, "don't multiply up"),
    (lambda: tg.tensor(A).cross(tg.tensor(A), dim=1), RuntimeError, "must have length 3"),
    (lambda: FM.einsum("ij,jk->ik", tg.tensor(A)), ValueError, "2 subscripts"),
    (lambda: FM.einsum("ij->ik", tg.tensor(A)), ValueError, "distinct labels of the inputs"),
    (lambda: FM.einsum("ij,jk", tg.tensor(A), tg.tensor(A)), RuntimeError, "do not broadcast"),
    (lambda: FM.einsum("ij,jk", tg.tensor(A), tg.tensor(B, dtype=tg.float32)), RuntimeError,
     "same dtype"),
    (lambda: FM.cdist(tg.tensor(A), tg.tensor(B)), RuntimeError, "same number of columns"),
    (lambda: FM.meshgrid(tg.tensor(A)), RuntimeError, "0D or 1D"),
    (lambda: FM.block_diag(tg.tensor(C)), RuntimeError, "2 or fewer dimensions"),
    (lambda: tg.tensor(A).bincount(), RuntimeError, "1-d non-negative integral"),
])
def test_bad_arguments_raise_naming_the_problem(call: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_flip_returns_a_copy_and_split_returns_views() -> None:
    x = tg.tensor(A)
    y = x.flip(0)
    y.add_(1.0)
    np.testing.assert_array_equal(x.numpy(), A)
    x.split(2, 1)[0].add_(1.0)  # a view, as PyTorch's split
    np.testing.assert_array_equal(x.numpy()[:, :2], A[:, :2] + 1)
