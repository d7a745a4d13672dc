"""The reductions and scans of issue 14 against PyTorch: prod, cumsum, cumprod, logcumsumexp,
cummax/cummin, norm, median/nanmedian/kthvalue, nansum/nanmean, aminmax, std_mean/var_mean,
diff, trace, all/any/count_nonzero.

Values, gradients and second derivatives (``create_graph``) are compared with PyTorch in
float32 and float64 and on every memory layout, with the edge cases each op's derivative has a
rule for: prod and cumprod with one zero and with several (PyTorch's products of the others),
median and cummax ties (ties share the gradient for ``median()``; along a dim it goes to the
index returned), norms at zero (the subgradient 0), NaN and inf.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from layouts import LAYOUTS
from test_pointwise_more import compare

import tinygrad_edu as tg

torch = pytest.importorskip("torch")


def _x(shape: tuple[int, ...] = (3, 4), seed: int = 0, low: float = -2, high: float = 2
       ) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, size=shape)


WITH_ZEROS = {  # the zeros prod and cumprod have rules for
    "none": _x(),
    "one zero in a row": np.array([[1.5, 0.0, -2.0, 0.5], [1.0, 2.0, 3.0, -1.0],
                                   [0.5, 0.5, 2.0, 4.0]]),
    "two zeros in a row": np.array([[0.0, 1.5, 0.0, 2.0], [1.0, 2.0, 3.0, -1.0],
                                    [0.0, 0.5, 2.0, 4.0]]),
    "all zeros": np.zeros((3, 4)),
}

# ---------------------------------------------------------------------- prod


@pytest.mark.parametrize("values", sorted(WITH_ZEROS))
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_prod(values: str, dim: int | None, keepdim: bool) -> None:
    x = WITH_ZEROS[values]
    if dim is None:
        compare(lambda t: t.prod() * t.sum(), [x])
    else:
        compare(lambda t: t.prod(dim, keepdim=keepdim) * 2, [x])


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prod_layouts_and_dtypes(layout: str, dtype: Any) -> None:
    for x in WITH_ZEROS.values():
        compare(lambda t: t.prod(1) * t.prod(0).sum(), [x.astype(dtype)], layout,
                second=dtype == np.float64)


def test_prod_one_zero_overall_and_integers() -> None:
    compare(lambda t: t.prod(), [np.array([[2.0, 0.0], [3.0, -1.5]])])
    compare(lambda t: t.prod(), [np.array([[0.0, 0.0], [3.0, -1.5]])])
    compare(lambda t: t.prod(), [np.array(2.5)])
    for dtype in (np.int32, np.int64, np.bool_):
        x = np.array([[1, 2], [3, 0]]).astype(dtype)
        ours, ref = tg.tensor(x).prod(1), torch.tensor(x).prod(1)
        assert ours.dtype == tg.int64
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert tg.tensor([1.0, 2.0]).prod(dtype=tg.float64).dtype == tg.float64
    with pytest.raises(TypeError, match="one int"):
        tg.tensor([[1.0]]).prod((0, 1))


# ---------------------------------------------------------------------- scans


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "logcumsumexp"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scans(name: str, dim: int, layout: str, dtype: Any) -> None:
    compare(lambda t: getattr(t, name)(dim) * t, [_x((3, 4), 1).astype(dtype)], layout,
            second=dtype == np.float64)


@pytest.mark.parametrize("values", sorted(WITH_ZEROS))
@pytest.mark.parametrize("dim", [0, 1])
def test_cumprod_with_zeros(values: str, dim: int) -> None:
    compare(lambda t: t.cumprod(dim) * t, [WITH_ZEROS[values]])


def test_cumprod_with_zeros_inf_and_nan_as_torch() -> None:
    """With a zero somewhere, PyTorch's O(n) rule (and its inf/NaN where x holds them):
    rows without zeros by the division formula, rows with zeros by the products."""
    x = np.array([[np.nan, -0.5, 1.0], [-np.inf, 2.0, -np.inf], [-1.25, np.inf, 0.0],
                  [0.0, 2.0, 3.0], [1.0, 0.0, 0.0], [2.0, 0.0, 3.0]])
    compare(lambda t: t.cumprod(1), [x], second=False)
    compare(lambda t: t.cumprod(1), [x[2:]], second=True)


def test_scans_edges_and_dtypes() -> None:
    compare(lambda t: t.logcumsumexp(0), [np.array([-np.inf, 0.0, np.inf, 1.0])], second=False)
    compare(lambda t: t.logcumsumexp(0), [np.array([-np.inf, -np.inf, 2.0])], second=False)
    compare(lambda t: t.cumsum(0) * t.cumprod(-1), [np.array(1.5)])  # 0-d
    compare(lambda t: t.cumsum(1), [np.zeros((2, 0))])
    for dtype in (np.int32, np.bool_):
        x = np.array([[1, 0, 1], [1, 1, 0]]).astype(dtype)
        for name in ("cumsum", "cumprod"):
            ours, ref = getattr(tg.tensor(x), name)(1), getattr(torch.tensor(x), name)(1)
            assert ours.dtype == tg.int64
            np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert tg.tensor([1.0]).cumsum(0, dtype=tg.float64).dtype == tg.float64
    with pytest.raises(NotImplementedError):
        tg.tensor([1, 2]).logcumsumexp(0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        tg.tensor([1.0]).cumsum(1)


def test_long_float32_cumsum_accumulates_like_torch() -> None:
    x = np.random.default_rng(3).uniform(0, 1, size=10_000).astype(np.float32)
    np.testing.assert_array_equal(tg.tensor(x).cumsum(0).numpy(), torch.tensor(x).cumsum(0))


TIES = np.array([[1.0, 3.0, 3.0, 2.0, 3.0], [0.0, -1.0, -1.0, np.nan, 5.0],
                 [2.0, 2.0, 2.0, 2.0, 2.0]])


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("dim", [0, 1])
def test_cummax_cummin_ties_and_nan(name: str, dim: int) -> None:
    ours_x, ref_x = tg.tensor(TIES, requires_grad=True), torch.tensor(TIES, requires_grad=True)
    ours, ref = getattr(ours_x, name)(dim), getattr(ref_x, name)(dim)
    np.testing.assert_array_equal(ours.indices.numpy(), ref.indices.numpy())
    np.testing.assert_array_equal(ours.values.detach().numpy(), ref.values.detach().numpy())
    assert ours.indices.dtype == tg.int64
    compare(lambda t: getattr(t, name)(dim).values * t, [np.nan_to_num(TIES)])
    compare(lambda t: getattr(t, name)(dim)[0] * t, [_x((3, 4), 2)], layout="F")


# ---------------------------------------------------------------------- norm

NORMS = ["fro", 2, 1, 3, 0.5, 0, float("inf"), float("-inf")]


@pytest.mark.parametrize("p", NORMS)
@pytest.mark.parametrize("dim", [None, 0, (0, 1), -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_norm(p: Any, dim: Any, keepdim: bool) -> None:
    compare(lambda t: t.norm(p, dim, keepdim) * 2, [_x((3, 4), 4)])


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_norm_layouts(layout: str, dtype: Any) -> None:
    compare(lambda t: t.norm(dim=1) + t.norm(3, 0).sum(), [_x((3, 4), 5).astype(dtype)],
            layout, second=dtype == np.float64)


@pytest.mark.parametrize("p", NORMS)
def test_norm_gradient_at_zero_is_zero(p: Any) -> None:
    """The subgradient 0 at a zero vector (PyTorch's), not x / 0."""
    x = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.0]])
    compare(lambda t: t.norm(p, 1), [x], second=False)
    ours = tg.tensor(np.zeros(3), requires_grad=True)
    ours.norm(p).backward()
    if p == 0:  # a count: no gradient at all, as PyTorch's (.grad stays None)
        assert ours.grad is None
    else:
        np.testing.assert_array_equal(ours.grad.numpy(), np.zeros(3))


def test_norm_refuses_integers_and_nuc() -> None:
    with pytest.raises(RuntimeError, match="floating point"):
        tg.tensor([1, 2]).norm()
    with pytest.raises(NotImplementedError, match="nuc"):
        tg.tensor([[1.0]]).norm("nuc")


# ---------------------------------------------------------------------- order statistics


def test_median_of_all_ties_share_the_gradient() -> None:
    compare(lambda t: t.median() * t.sum(), [np.array([[1.0, 2.0, 2.0], [5.0, 2.0, 0.0]])])
    compare(lambda t: t.median(), [np.array([3.0, 1.0, 2.0, 4.0])])  # lower median: 2
    for x in (np.array([1.0, np.nan, 2.0]), np.zeros((0,))):
        ours, ref = tg.tensor(x).median(), torch.tensor(x).median()
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert tg.tensor([3, 1, 2]).median().item() == 2


DISTINCT = np.array([[3.0, 1.0, 2.0, 5.0], [0.5, -1.0, 4.0, 2.0], [9.0, 8.0, 7.0, 6.0]])


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_median_kthvalue_along_a_dim(dim: int, keepdim: bool, layout: str) -> None:
    for name, args in (("median", (dim, keepdim)), ("nanmedian", (dim, keepdim)),
                       ("kthvalue", (2, dim, keepdim))):
        ours, ref = getattr(tg.tensor(DISTINCT), name)(*args), getattr(
            torch.tensor(DISTINCT), name)(*args)
        np.testing.assert_array_equal(ours.indices.numpy(), ref.indices.numpy())
        compare(lambda t, name=name, args=args: getattr(t, name)(*args).values * 2,
                [DISTINCT], layout)


def test_median_along_a_dim_with_nan_and_ties() -> None:
    x = np.array([[1.0, np.nan, 0.0, np.nan], [2.0, 2.0, 2.0, 1.0]])
    ours, ref = tg.tensor(x).median(1), torch.tensor(x).median(1)
    np.testing.assert_array_equal(ours.values.numpy(), ref.values.numpy())
    assert ours.indices[0].item() == ref.indices[0].item() == 1  # the first NaN
    # a tie: the value is the median; the gradient goes (whole) to the index returned
    t = tg.tensor(x[1:], requires_grad=True)
    values, indices = t.median(1)
    values.sum().backward()
    assert x[1, indices.item()] == 2.0
    np.testing.assert_array_equal(t.grad.numpy()[0], np.eye(4)[indices.item()])
    ours = tg.tensor(x).nanmedian(1)
    np.testing.assert_array_equal(ours.values.numpy(), torch.tensor(x).nanmedian(1).values)
    assert np.isnan(tg.tensor([np.nan, np.nan]).nanmedian().item())
    assert tg.tensor([np.nan, 3.0, 1.0]).nanmedian().item() == 1.0


def test_kthvalue_errors() -> None:
    with pytest.raises(RuntimeError, match="out of range"):
        tg.tensor([1.0, 2.0]).kthvalue(3)
    with pytest.raises(IndexError, match="non-zero size"):
        tg.tensor(np.zeros((2, 0))).median(1)


# ---------------------------------------------------------------------- NaN-aware, pairs

NANS = np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, np.nan], [0.5, -1.0, 3.0]])


@pytest.mark.parametrize("name", ["nansum", "nanmean"])
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1)])
def test_nansum_nanmean(name: str, dim: Any) -> None:
    compare(lambda t: getattr(t, name)(dim) * 2, [NANS])
    compare(lambda t: getattr(t, name)(dim, keepdim=True) * 2, [NANS], layout="T")
    assert tg.tensor([1, 2]).nansum().dtype == tg.int64
    with pytest.raises(RuntimeError, match="floating point"):
        tg.tensor([1, 2]).nanmean()


@pytest.mark.parametrize("dim", [None, 0, 1])
def test_aminmax(dim: int | None) -> None:
    x = np.array([[1.0, 3.0, 3.0], [-1.0, -1.0, 0.0]])
    kw = {} if dim is None else {"dim": dim}
    compare(lambda t: t.aminmax(**kw).min * 2 + t.aminmax(**kw).max, [x])
    low, high = tg.tensor(x).aminmax(**kw)
    assert low.shape == high.shape == torch.tensor(x).aminmax(**kw).min.shape


@pytest.mark.parametrize("name", ["std_mean", "var_mean"])
@pytest.mark.parametrize("correction", [None, 0, 2])
def test_std_mean_var_mean(name: str, correction: int | None) -> None:
    x = _x((3, 4), 6)
    kw = {} if correction is None else {"correction": correction}
    for dim in (None, 1, (0, 1)):
        spread, mean = getattr(tg.tensor(x), name)(dim, **kw)
        ref_spread, ref_mean = getattr(torch, name)(torch.tensor(x), dim, **kw)
        np.testing.assert_allclose(spread.numpy(), ref_spread.numpy(), rtol=1e-12)
        np.testing.assert_allclose(mean.numpy(), ref_mean.numpy(), rtol=1e-12)
    spread, _ = tg.tensor(x).std_mean(1, False)  # unbiased=False, positionally
    np.testing.assert_allclose(spread.numpy(), torch.std(torch.tensor(x), 1, unbiased=False))


# ---------------------------------------------------------------------- diff, trace, tests


@pytest.mark.parametrize("n", [0, 1, 2, 3])
@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("extra", ["none", "prepend", "append", "both"])
def test_diff(n: int, dim: int, extra: str) -> None:
    x = _x((3, 4), 7)
    parts = [x]
    if extra in ("prepend", "both"):
        parts.append(_x((1, 4) if dim == 0 else (3, 2), 8))
    if extra in ("append", "both"):
        parts.append(_x((2, 4) if dim == 0 else (3, 1), 9))

    def f(t: Any, *more: Any) -> Any:
        kw = {}
        rest = list(more)
        if extra in ("prepend", "both"):
            kw["prepend"] = rest.pop(0)
        if extra in ("append", "both"):
            kw["append"] = rest.pop(0)
        return t.diff(n, dim, **kw) * 2

    compare(f, parts)


def test_diff_bool_int_and_errors() -> None:
    for x in (np.array([True, False, False, True]), np.array([3, 1, 4, 1, 5])):
        ours, ref = tg.tensor(x).diff(), torch.tensor(x).diff()
        assert ours.dtype == ref.numpy().dtype
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    with pytest.raises(RuntimeError, match="one-dimensional"):
        tg.tensor(1.0).diff()
    with pytest.raises(RuntimeError, match="non-negative"):
        tg.tensor([1.0]).diff(-1)


def test_trace() -> None:
    compare(lambda t: t.trace() * t.sum(), [_x((3, 4), 10)])
    compare(lambda t: t.trace(), [_x((4, 2), 11)], layout="reversed")
    ours = tg.tensor([[1, 2], [3, 4]], dtype=tg.int32).trace()
    assert ours.dtype == tg.int64 and ours.item() == 5
    with pytest.raises(RuntimeError, match="matrix"):
        tg.tensor([1.0]).trace()


@pytest.mark.parametrize("name", ["all", "any"])
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1), (), (-1,)])
@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.bool_, np.uint8])
def test_all_any(name: str, dim: Any, dtype: Any) -> None:
    x = np.array([[1, 0, 2], [3, 4, 5]]).astype(dtype)
    for keepdim in (False, True):
        args = () if dim is None else (dim, keepdim)
        ours, ref = getattr(tg.tensor(x), name)(*args), getattr(torch.tensor(x), name)(*args)
        assert ours.dtype == ref.numpy().dtype and not ours.requires_grad
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())


def test_count_nonzero() -> None:
    x = np.array([[1.0, 0.0, np.nan], [0.0, 0.0, -2.0]])
    for dim in (None, 0, 1, (0, 1)):
        ours = tg.tensor(x).count_nonzero(dim)
        ref = torch.tensor(x).count_nonzero(dim)
        assert ours.dtype == tg.int64
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
