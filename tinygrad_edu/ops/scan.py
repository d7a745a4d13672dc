"""Products, scans (cumulative ops) and vector norms: prod, cumsum, cumprod, logcumsumexp,
norm, and the lower median of all elements.

The scans run along one ``dim``. float32 scans accumulate in float64 and round once, as
PyTorch's CPU kernels do (its accumulator type), so the last elements of a long cumsum agree.
Each backward is PyTorch's formula -- including its rules at zeros for prod and cumprod -- and
is written with operations that arrays and Tensors share (slicing, ``cat``, the scans
themselves), so gradients of gradients are recorded.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._sums import layout_sum
from ..autograd import Array, Function
from ..autograd.graph import OUT
from . import reduce as R
from . import shape as S
from .either import is_array, sgn, sum_keepdims, value_of, where
from .pointwise import exp, log, zeros_like

# ---------------------------------------------------------------------- shared pieces


def along(ndim: int, dim: int, part: slice | int) -> tuple[Any, ...]:
    """An index that takes ``part`` along ``dim`` and everything along the other dims."""
    return (slice(None),) * dim + (part,) + (slice(None),) * (ndim - dim - 1)


def flip(x: Any, dim: int) -> Any:
    """x reversed along ``dim`` (a view for arrays, a recorded slice for Tensors)."""
    return x[along(x.ndim, dim, slice(None, None, -1))]


def cat(parts: list[Any], dim: int) -> Any:
    """The parts joined along ``dim`` (arrays, or Tensors: a recorded Cat)."""
    tensor = next((p for p in parts if not is_array(p)), None)
    if tensor is None:
        return np.concatenate(parts, axis=dim)
    parts = [p if not is_array(p) else tensor._wrap(np.asarray(p), False) for p in parts]
    return S.Cat.apply(*parts, dim=dim)


def ones_along(x: Any, dim: int) -> Array:
    """Ones of x's shape with size 1 along ``dim``."""
    shape = list(x.shape)
    shape[dim] = 1
    return np.ones(shape, x.dtype)


def accumulate(ufunc: np.ufunc, x: Array, dim: int) -> Array:
    """``ufunc.accumulate`` along ``dim``; float32 in a float64 accumulator, as PyTorch."""
    with np.errstate(invalid="ignore", over="ignore"):  # inf * 0, inf - inf: NaN, quietly
        if x.dtype == np.float32:
            return ufunc.accumulate(x.astype(np.float64), axis=dim).astype(np.float32)
        return ufunc.accumulate(x, axis=dim)


def cumsum(x: Any, dim: int, reverse: bool = False) -> Any:
    if is_array(x):
        return flip(accumulate(np.add, flip(x, dim), dim), dim) if reverse else accumulate(
            np.add, x, dim)
    return Cumsum.apply(x, dim=dim, reverse=reverse)


def cumprod(x: Any, dim: int) -> Any:
    return accumulate(np.multiply, x, dim) if is_array(x) else Cumprod.apply(x, dim=dim)


def prod_keepdim(x: Any, dim: int) -> Any:
    if is_array(x):
        return np.multiply.reduce(x if x.flags.c_contiguous else np.ascontiguousarray(x),
                                  axis=dim, keepdims=True)
    return Prod.apply(x, axes=(dim,), keepdim=True)


# ---------------------------------------------------------------------- prod


def _exclusive_products(x: Any, dim: int) -> Any:
    """prod_{j != i} x_j along ``dim`` for every i, without dividing (so zeros are fine):
    the product of the elements before i times that of the elements after i (PyTorch's
    ``prod_safe_zeros_backward``)."""
    n = x.shape[dim]
    ones = ones_along(x, dim)
    before = cumprod(cat([ones, x[along(x.ndim, dim, slice(0, n - 1))]], dim), dim)
    after = cumprod(cat([ones, flip(x[along(x.ndim, dim, slice(1, n))], dim)], dim), dim)
    return before * flip(after, dim)


class Prod(Function):
    """z = the product over ``axes`` (all of them, or one) of x.
    dz/dx_i = prod_{j != i} x_j  (= z / x_i where no x is 0).

    As PyTorch: without zeros the gradient is g z / x; with zeros, the products of the
    others (``_exclusive_products``), and over all elements with two or more zeros, 0 (when
    not recorded: under create_graph the products, whose own derivative is not 0).
    """

    saved_from = (0, OUT)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, axes: tuple[int, ...], keepdim: bool) -> Array:
        # one rounding for every memory layout (0-d arrays stay 0-d: ascontiguousarray is 1-d)
        ordered = x if x.flags.c_contiguous else np.ascontiguousarray(x)
        out = np.multiply.reduce(ordered, axis=axes, keepdims=True) if axes else ordered.copy()
        ctx.axes, ctx.keepdim, ctx.kept_shape = axes, keepdim, out.shape
        ctx.every = len(axes) == x.ndim  # over all elements: PyTorch flattens first
        out = out if keepdim else np.squeeze(out, axis=axes)
        ctx.saved = (x, out)  # the output itself (saved_from OUT)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, out = ctx.saved
        grad, out = R.kept(grad, ctx), R.kept(out, ctx)
        if x.ndim == 0 or not ctx.axes:
            return grad
        zeros = int((value_of(x) == 0).sum())
        if zeros == 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                return grad * (out / x)
        if ctx.every:
            if zeros > 1 and is_array(x):  # (recorded, PyTorch takes the products below)
                return zeros_like(x) if is_array(x) else x._wrap(zeros_like(x._data), False)
            flat = x.reshape(-1)
            return grad * _exclusive_products(flat, 0).reshape(x.shape)
        return grad * _exclusive_products(x, ctx.axes[0])


# ---------------------------------------------------------------------- cumsum, cumprod


class Cumsum(Function):
    """z_i = sum_{j <= i} x_j along ``dim`` (``reverse``: sum_{j >= i}).
    dL/dx_j = sum_{i >= j} g_i: the cumsum of g the other way round."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, dim: int, reverse: bool) -> Array:
        ctx.dim, ctx.reverse = dim, reverse
        return cumsum(x, dim, reverse)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        if grad.size <= 1 if is_array(grad) else grad.numel() <= 1:
            return grad
        return cumsum(grad, ctx.dim, not ctx.reverse)


class Cumprod(Function):
    """z_i = prod_{j <= i} x_j along ``dim``.
    dL/dx_k = sum_{i >= k} g_i prod_{j <= i, j != k} x_j  (= reversed cumsum(g z)_k / x_k
    where no x is 0).

    As PyTorch: with a zero in x, the sum is built from products that skip x_k (an O(n^2)
    loop over k, which is also what PyTorch's recorded backward does).
    """

    saved_from = (0, OUT)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, dim: int) -> Array:
        out = accumulate(np.multiply, x, dim)
        ctx.saved = (x, out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, out = ctx.saved
        dim = ctx.dim
        n = x.shape[dim]
        if n <= 1 or int(np.prod(x.shape)) <= 1:
            return grad
        if not (value_of(x) == 0).any():
            with np.errstate(divide="ignore", invalid="ignore"):
                return cumsum(out * grad, dim, reverse=True) / x
        if is_array(grad):
            return _cumprod_backward_with_zeros(grad, x, out, dim)
        columns = []
        for k in range(n):  # prod_{j < k} x_j times prod_{k < j <= i} x_j, for i >= k
            skip = cumprod(x[along(x.ndim, dim, slice(k + 1, n))], dim)
            if k == 0:
                omitted = cat([ones_along(x, dim), skip], dim)
            else:
                before = prod_keepdim(x[along(x.ndim, dim, slice(0, k))], dim)
                omitted = before if k == n - 1 else cat([before, before * skip], dim)
            columns.append(sum_keepdims(grad[along(x.ndim, dim, slice(k, n))] * omitted, dim))
        return cat(columns, dim)


def _cumprod_backward_with_zeros(grad: Array, x: Array, out: Array, dim: int) -> Array:
    """Cumprod's gradient on arrays when x holds zeros, in O(n) as PyTorch's (the same
    values as the recorded O(n^2) loop, and the same inf/NaN where x also holds them):
    before a slice's first zero, reversed cumsum(g z) / x; at the first zero, the sum over
    i of g_i times the products that skip it; after it, 0."""
    zero = x == 0
    seen = np.cumsum(zero, axis=dim)  # zeros up to and including each position
    before = seen == 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        result = np.where(before, cumsum(np.where(before, out * grad, 0), dim, reverse=True)
                          / x, 0).astype(grad.dtype)
        first = zero & (seen == 1)
        between = (seen == 1) & ~zero  # after the first zero, before the second
        skipped = cumprod(np.where(between, x, 1).astype(x.dtype), dim)
        total = layout_sum(skipped * np.where(seen == 1, grad, 0), dim, keepdims=True)
        prefix = np.concatenate([ones_along(out, dim), out[along(x.ndim, dim, slice(0, -1))]],
                                axis=dim)  # prod_{j < i} x_j
        return np.where(first, total * prefix, result)


class LogCumSumExp(Function):
    """z_i = ln sum_{j <= i} e^(x_j) along ``dim``.   dz_i/dx_j = e^(x_j - z_i) for j <= i.

    The backward is PyTorch's: the positive and negative parts of g each go through a
    reversed logcumsumexp, so nothing overflows.
    """

    saved_from = (0, OUT)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, dim: int) -> Array:
        out = accumulate(np.logaddexp, x, dim)
        ctx.saved = (x, out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, out = ctx.saved
        dim = ctx.dim
        if grad.ndim == 0 or int(np.prod(grad.shape)) == 0:
            return grad
        lowest = np.asarray(np.finfo(grad.dtype).min, grad.dtype)
        g = value_of(grad)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_abs = log(abs(grad))
            positive = where(g > 0, log_abs, lowest)
            negative = where(g < 0, log_abs, lowest)
            return (exp(_reversed_logcumsumexp(positive - out, dim) + x)
                    - exp(_reversed_logcumsumexp(negative - out, dim) + x))


def _reversed_logcumsumexp(x: Any, dim: int) -> Any:
    if is_array(x):
        return flip(accumulate(np.logaddexp, flip(x, dim), dim), dim)
    return flip(LogCumSumExp.apply(flip(x, dim), dim=dim), dim)


class NanToZero(Function):
    """z = x with NaN as 0 (what ``nansum`` sums).   dz/dx = [x is not NaN], a product as in
    PyTorch's nansum (a NaN or inf incoming gradient stays so, also at NaN elements)."""

    saved_from = (None,)  # x enters only through isnan: a constant
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        number = ~np.isnan(x)
        ctx.saved = (number,)
        return np.where(number, x, x.dtype.type(0))

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad * ctx.saved[0].astype(grad.dtype)


# ---------------------------------------------------------------------- norm


class Norm(Function):
    """z = (sum |x|^p)^(1/p) over ``axes``, for p other than 1 and +-inf (those are
    abs().sum() and abs().amax() / amin(), composed by the method); p = 0 counts the nonzero
    elements (no gradient, as PyTorch's).
    dz/dx = x |x|^(p-2) / z^(p-1)  (p = 2: x / z), and 0 where z = 0 (PyTorch's subgradient).
    """

    saved_from = (0, OUT)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, p: float, axes: tuple[int, ...], keepdim: bool) -> Array:
        with np.errstate(over="ignore", divide="ignore"):
            if p == 0:  # the number of nonzero elements
                out = layout_sum((x != 0).astype(x.dtype), axes, keepdims=True)
            elif p == 2:
                out = np.sqrt(layout_sum(x * x, axes, keepdims=True))
            else:
                out = layout_sum(np.abs(x) ** p, axes, keepdims=True) ** (1 / p)
        ctx.p, ctx.axes, ctx.keepdim, ctx.kept_shape = p, axes, keepdim, out.shape
        out = out if keepdim else np.squeeze(out, axis=axes)
        ctx.saved = (x, out)  # the output itself (saved_from OUT)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, out = ctx.saved
        grad, out = R.kept(grad, ctx), R.kept(out, ctx)
        p = ctx.p
        if p == 0:  # a count: no gradient (PyTorch's is undefined: .grad stays None)
            return None
        zero = np.zeros((), grad.dtype)
        at_zero = value_of(out) == 0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if p == 2:
                return grad * where(at_zero, zero, x / out)
            if p < 1:
                scaled = where(value_of(x) == 0, zero, _sgn(x) * abs(x) ** (p - 1))
                return scaled * grad * out ** (1 - p)
            scale = where(at_zero, zero, grad / out ** (p - 1))
            if p < 2:
                return _sgn(x) * abs(x) ** (p - 1) * scale
            return x * abs(x) ** (p - 2) * scale


def _sgn(x: Any) -> Any:
    """sign(x), a constant for the derivative (0 at 0 and at NaN, as PyTorch's sgn here)."""
    return sgn(value_of(x))


def _lower_median(x: Array) -> Array:
    flat = x.reshape(-1)
    if flat.size == 0 or flat.dtype.kind == "f" and np.isnan(flat).any():
        return np.asarray(np.nan, flat.dtype)
    return np.asarray(np.partition(flat, (flat.size - 1) // 2)[(flat.size - 1) // 2])



def _lower_median_of_numbers(x: Array) -> Array:
    return _lower_median(x[~np.isnan(x)] if x.dtype.kind == "f" else x)


class MedianAll(R._ExtremeOfAll):
    """z = the lower median of all elements (NaN if any is NaN, as PyTorch's ``median()``).
    dz/dx = [x == z] / (number of such x): ties share the gradient evenly, as PyTorch's."""

    pick = staticmethod(_lower_median)  # type: ignore[assignment]


class NanMedianAll(R._ExtremeOfAll):
    """z = the lower median of the elements that are not NaN (NaN if all are).
    dz/dx = [x == z] / (number of such x), as ``MedianAll``."""

    pick = staticmethod(_lower_median_of_numbers)  # type: ignore[assignment]
