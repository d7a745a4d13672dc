"""Indexing ops along one dim: gather and its transpose (a scatter-add), scatter, index_add,
index_copy, scatter_reduce and masked_scatter.

Conventions shared by every op here:

* ``index`` is an integer array, checked by the Tensor method (dtype, shape, bounds); it is
  saved in ``ctx.saved`` -- the caller's own memory, not a copy -- so that changing the index
  tensor in place before backward is caught by the engine instead of silently moving the
  gradient.
* "along ``dim`` at ``index``" means the element ``x[i_0, ..., index[i_0, ..., i_n], ..., i_n]``
  for every position ``(i_0, ..., i_n)`` of ``index`` (``_grid``): PyTorch's gather/scatter
  rule, where ``index`` may be smaller than ``x`` in every dim.
* Backward passes are written with ``gather`` / ``scatter_sum`` below, which run on arrays
  (the default path) and record ``Gather`` / ``ScatterSum`` on Tensors (create_graph): each
  of the two is the other's backward, so derivatives of any order are recorded.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Array, Function
from . import either
from . import shape as S


def _grid(index: Array, dim: int) -> tuple[Array, ...]:
    """The advanced index that reads "along ``dim`` at ``index``": open grids over index's
    positions, with ``index`` itself in place of ``dim``."""
    grids = list(np.ix_(*(np.arange(n) for n in index.shape)))
    grids[dim] = index
    return tuple(grids)


def _written(index: Array, dim: int, shape: tuple[int, ...]) -> Array:
    """The mask of the elements of an array of ``shape`` reached along ``dim`` at ``index``."""
    mask = np.zeros(shape, bool)
    mask[_grid(index, dim)] = True
    return mask


def _scatter_sum(x: Array, index: Array, dim: int, shape: tuple[int, ...]) -> Array:
    out = np.zeros(shape, x.dtype)
    np.add.at(out, _grid(index, dim), x)  # repeated indices add up
    return out


def gather(x: Any, index: Array, dim: int) -> Any:
    """z[p] = x along ``dim`` at index[p] (arrays), or a recorded ``Gather`` (Tensors)."""
    if either.is_array(x):
        return x[_grid(index, dim)]
    return Gather.apply(x, index=index, dim=dim)


def scatter_sum(x: Any, index: Array, dim: int, shape: tuple[int, ...]) -> Any:
    """zeros(shape) with x[p] added along ``dim`` at index[p] (``gather``'s transpose)."""
    if either.is_array(x):
        return _scatter_sum(x, index, dim, shape)
    return ScatterSum.apply(x, index=index, dim=dim, shape=shape)


def take(x: Any, index: tuple[Any, ...]) -> Any:
    """x[index] for an advanced index (arrays), or a recorded ``S.Index`` (Tensors)."""
    return x[index] if either.is_array(x) else S.Index.apply(x, steps=(index,))


def _without(mask: Array, grad: Any) -> Any:
    """The gradient with the elements under ``mask`` (overwritten ones) set to 0."""
    return either.where(mask, np.zeros((), grad.dtype), grad)


class Gather(Function):
    """z[p] = x[..., index[p], ...] along ``dim`` (``Tensor.gather``).

    dL/dx = zeros with g[p] added at index[p] along ``dim`` (``ScatterSum``): an element
    picked several times gets the sum of those gradients.
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, index: Array, dim: int) -> Array:
        ctx.saved, ctx.dim, ctx.shape = (index,), dim, x.shape
        return x[_grid(index, dim)]

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return scatter_sum(grad, ctx.saved[0], ctx.dim, ctx.shape)


class ScatterSum(Function):
    """z = zeros(shape) with x[p] added at index[p] along ``dim`` (Gather's backward).
    dL/dx[p] = g[..., index[p], ...] (``Gather``)."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, index: Array, dim: int, shape: tuple[int, ...]) -> Array:
        ctx.saved, ctx.dim = (index,), dim
        return _scatter_sum(x, index, dim, shape)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return gather(grad, ctx.saved[0], ctx.dim)


class ScatterAdd(Function):
    """z = x, then src[p] added at index[p] along ``dim`` (``scatter_add``).

    dL/dx = g,   dL/dsrc[p] = g at index[p] (``Gather``); src beyond index's shape gets 0.
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, src: Array, index: Array, dim: int) -> Array:
        ctx.saved, ctx.dim, ctx.src_shape = (index,), dim, src.shape
        out = x.copy()
        np.add.at(out, _grid(index, dim), src[tuple(slice(n) for n in index.shape)])
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        (index,) = ctx.saved
        return grad, _padded(gather(grad, index, ctx.dim), ctx.src_shape)


def _padded(grad: Any, shape: tuple[int, ...]) -> Any:
    """``grad`` (of index's shape) as the gradient of a bigger src: zeros around it."""
    if grad.shape == tuple(shape):
        return grad
    inside = (tuple(slice(n) for n in grad.shape),)
    return S.index_add(grad, inside, tuple(shape))


class Scatter(Function):
    """z = x with src[p] written at index[p] along ``dim`` (``scatter``; with ``value``, src
    is that number everywhere and the op has one input).

    dL/dx = g, 0 where an element was overwritten;   dL/dsrc[p] = g at index[p] (``Gather``).
    As in PyTorch, which src element wins when index repeats a position is undefined (here:
    the last), and so is the gradient there.
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, *src: Array, index: Array, dim: int,
                value: Any = None) -> Array:
        written = _written(index, dim, x.shape)
        ctx.saved, ctx.dim = (index, written), dim
        out = x.copy()
        if src:
            ctx.src_shape = src[0].shape
            out[_grid(index, dim)] = src[0][tuple(slice(n) for n in index.shape)]
        else:
            out[written] = value
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        index, written = ctx.saved
        grad_x = _without(written, grad)
        if len(ctx.next_nodes) == 1:
            return grad_x
        return grad_x, _padded(gather(grad, index, ctx.dim), ctx.src_shape)


def _along(dim: int, index: Array) -> tuple[Any, ...]:
    """The index that takes the slices ``index`` of ``dim`` (``index_select``'s rule)."""
    return (slice(None),) * dim + (index,)


class IndexAdd(Function):
    """z = x, then alpha * src's slice k added to slice index[k] of ``dim`` (``index_add``).
    dL/dx = g,   dL/dsrc = alpha * g's slices at index (``index_select`` of g)."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, src: Array, index: Array, dim: int, alpha: Any) -> Array:
        ctx.saved, ctx.dim, ctx.alpha = (index,), dim, alpha
        out = x.copy()
        np.add.at(out, _along(dim, index), src if alpha == 1 else src * alpha)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        picked = take(grad, _along(ctx.dim, ctx.saved[0]))
        return grad, (picked if ctx.alpha == 1 else picked * ctx.alpha)


class IndexCopy(Function):
    """z = x with slice index[k] of ``dim`` replaced by src's slice k (``index_copy``).
    dL/dx = g, 0 on the replaced slices;   dL/dsrc = g's slices at index."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, src: Array, index: Array, dim: int) -> Array:
        written = np.zeros(x.shape, bool)
        written[_along(dim, index)] = True
        ctx.saved, ctx.dim = (index, written), dim
        out = x.copy()
        out[_along(dim, index)] = src
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        index, written = ctx.saved
        return _without(written, grad), take(grad, _along(ctx.dim, index))


class MaskedScatter(Function):
    """z = x with the elements under ``mask`` (row-major order) replaced by src's first
    elements (``masked_scatter``).   dL/dx = g, 0 under the mask;   dL/dsrc = g[mask] in
    src's first elements, 0 for the rest."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, src: Array, mask: Array) -> Array:
        ctx.saved, ctx.src_shape = (mask,), src.shape
        ctx.count = int(mask.sum())
        out = x.copy()
        out[mask] = src.reshape(-1)[: ctx.count]
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        (mask,) = ctx.saved
        picked = take(grad, (mask,))
        flat = S.index_add(picked, ((slice(0, ctx.count),),), (int(np.prod(ctx.src_shape)),))
        return _without(mask, grad), flat.reshape(ctx.src_shape)


# ---------------------------------------------------------------------- scatter_reduce

_REDUCERS = {"sum": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


class ScatterReduce(Function):
    """z = x with each src[p] combined into the element at index[p] along ``dim`` by
    ``reduce`` (``scatter_reduce``); ``include_self=False`` leaves x's own value out of the
    elements reached. Let c be the number of values combined into an element.

    * sum:  dz/dx = 1 (0 if left out),  dz/dsrc[p] = 1
    * mean: z = (sum) / c;  dz/dx = 1 / c (0 if left out),  dz/dsrc[p] = 1 / c at index[p]
    * amax / amin: the gradient is shared evenly by the values equal to the result (as
      PyTorch): dz/dv = [v == z] / (count of those values); as in PyTorch, x's own value
      counts among them where it equals z even when ``include_self=False`` left it out, and
      a NaN result (equal to nothing) gives NaN
    * prod: dz/dv = product of the other values combined (the product of the nonzero ones
      where v is the only zero); first derivatives only

    Elements no src reaches keep x and its gradient.
    """

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, src: Array, index: Array, dim: int, reduce: str,
                include_self: bool) -> Array:
        grid = _grid(index, dim)
        ctx.dim, ctx.reduce, ctx.src_shape = dim, reduce, src.shape
        src = src[tuple(slice(n) for n in index.shape)]
        reached = _written(index, dim, x.shape)
        own = ~reached | include_self  # where x's own value takes part
        out = x.copy()
        if not include_self:  # reached elements start from the reduction's identity
            if reduce in ("amax", "amin"):  # (which is a src value combined there)
                out[grid] = src
            else:
                out[reached] = 1 if reduce == "prod" else 0
        with np.errstate(invalid="ignore"):  # (NaN into max/min: NaN, as PyTorch, quietly)
            _REDUCERS.get(reduce, np.add).at(out, grid, src)
        counts = _scatter_sum(np.ones(index.shape, np.int64), index, dim, x.shape) + own
        if reduce == "mean":
            out = np.where(reached, out / counts if x.dtype.kind == "f" else out // counts,
                           out).astype(x.dtype)
        ctx.saved = (index, x, src, out, own, counts)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        index, x, src, out, own, counts = ctx.saved
        x, src, out = either.value_of(x), either.value_of(src), either.value_of(out)
        dim, reduce = ctx.dim, ctx.reduce
        zero = np.zeros((), x.dtype)
        if reduce == "sum":
            grad_x, grad_src = either.where(own, grad, zero), gather(grad, index, dim)
        elif reduce == "mean":
            share = grad / counts.astype(x.dtype)
            grad_x, grad_src = either.where(own, share, zero), gather(share, index, dim)
        elif reduce in ("amax", "amin"):
            # PyTorch's rule, written as it computes it: x's own value is counted among the
            # ties even where include_self=False left it out (the shares then add up to less
            # than the incoming gradient), and a NaN result ties with nothing, so its
            # gradient is 0 x (g / 0): NaN
            equal_self = (x == out).astype(x.dtype)
            is_src = (src == out[_grid(index, dim)]).astype(x.dtype)
            ties = _scatter_sum(is_src, index, dim, x.shape) + equal_self
            with np.errstate(divide="ignore", invalid="ignore"):
                share = grad / ties
                grad_x = either.where(own, share * equal_self, zero)
                grad_src = gather(share, index, dim) * is_src
        else:
            if not either.is_array(grad):
                raise NotImplementedError("scatter_reduce(reduce='prod'): only first "
                                          "derivatives are implemented")
            grad_x, grad_src = _prod_backward(grad, index, dim, x, src, out, own)
        return grad_x, _padded(grad_src, ctx.src_shape)


def _prod_backward(grad: Array, index: Array, dim: int, x: Array, src: Array, out: Array,
                   own: Array) -> tuple[Array, Array]:
    """d(product)/d(value) = the product of the other values: out / v where v != 0; where v
    is the element's only zero, the product of its nonzero values; else 0."""
    grid = _grid(index, dim)
    zeros = _scatter_sum((src == 0).astype(np.int64), index, dim, x.shape) + (own & (x == 0))
    nonzero = np.where(own & (x != 0), x, 1).astype(x.dtype)
    np.multiply.at(nonzero, grid, np.where(src != 0, src, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        def others(v: Array, z: Array, nz: Array, o: Array) -> Array:
            return np.where(v != 0, np.where(z == 0, o / np.where(v != 0, v, 1), 0),
                            np.where(z == 1, nz, 0))
        grad_x = np.where(own, grad * others(x, zeros, nonzero, out), 0)
        grad_src = grad[grid] * others(src, zeros[grid], nonzero[grid], out[grid])
    return grad_x.astype(x.dtype), grad_src.astype(x.dtype)
