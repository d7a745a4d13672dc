"""The ``torch.*`` functions that have no Tensor method: einsum, tensordot, cdist, meshgrid,
broadcast_tensors, block_diag, cartesian_prod, atleast_1d/2d/3d, searchsorted, bucketize.

Each is built from differentiable Tensor ops (``einsum`` is its own op, ``ops/einsum.py``),
so gradients of any order come with them.
"""

from __future__ import annotations

import math
import string
from collections import Counter
from typing import Any

import numpy as np

from ._checks import as_int, dim_index
from .dtypes import result_type
from .functions import cat, stack
from .ops import einsum as EIN
from .ops import elementwise as E
from .tensor import Tensor, _as_tensor

__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "block_diag", "broadcast_tensors",
           "bucketize", "cartesian_prod", "cdist", "einsum", "meshgrid", "searchsorted",
           "tensordot"]


def _tensors(tensors: tuple[Any, ...]) -> list[Tensor]:
    """``f(a, b)`` and ``f([a, b])`` both mean the tensors a, b."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    return [_as_tensor(t) for t in tensors]


# ---------------------------------------------------------------------- einsum


def _parse(equation: str, operands: list[Tensor]) -> tuple[list[str], str]:
    """The equation with '...' written out as letters (broadcast right-aligned) and the
    output made explicit (implicit: the ellipsis, then the labels seen once, sorted)."""
    equation = equation.replace(" ", "")
    left, arrow, right = equation.partition("->")
    inputs = left.split(",")
    if len(inputs) != len(operands):
        raise ValueError(f"einsum(): {len(inputs)} subscripts in {equation!r} for "
                         f"{len(operands)} operands")
    used = set(equation)
    spare = [c for c in string.ascii_letters if c not in used]
    ellipsis_dims = 0
    for subs, t in zip(inputs, operands, strict=True):
        bad = set(subs.replace("...", "")) - set(string.ascii_letters)
        if bad or subs.count("...") > 1:
            raise ValueError(f"einsum(): invalid subscript {subs!r} (letters and one '...')")
        named = len(subs.replace("...", ""))
        if ("..." in subs and t.ndim < named) or ("..." not in subs and t.ndim != named):
            raise ValueError(f"einsum(): subscript {subs!r} does not fit operand of shape "
                             f"{t.shape}")
        if "..." in subs:
            ellipsis_dims = max(ellipsis_dims, t.ndim - named)
    dots = "".join(spare[:ellipsis_dims])
    written = []
    for subs, t in zip(inputs, operands, strict=True):
        if "..." in subs:
            n = t.ndim - len(subs.replace("...", ""))
            subs = subs.replace("...", dots[ellipsis_dims - n:])
        written.append(subs)
    if arrow:
        right = right.replace("...", dots)  # (left out of the output, they are summed)
        if len(set(right)) != len(right) or not set(right) <= set("".join(written)):
            raise ValueError(f"einsum(): output subscripts {right!r} must be distinct labels "
                             f"of the inputs")
        return written, right
    counts = Counter(c for s in inputs for c in s.replace("...", ""))
    return written, dots + "".join(sorted(c for c, n in counts.items() if n == 1))


def einsum(equation: str, *operands: Any) -> Tensor:
    """Sums of products over labelled axes (``torch.einsum``): 'ij,jk->ik' is a matrix
    product, 'ii->' a trace, 'bij,bjk->bik' a batched product; '...' stands for the
    broadcast leading axes. Differentiable to any order."""
    tensors = _tensors(operands)
    if not tensors:
        raise ValueError("einsum(): must provide at least one operand")
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) > 1:
        raise RuntimeError(f"einsum(): expected all operands to have the same dtype, got "
                           f"{sorted(str(d) for d in dtypes)}")
    inputs, output = _parse(equation, tensors)
    sizes: dict[str, int] = {}
    for subs, t in zip(inputs, tensors, strict=True):
        for c, n in zip(subs, t.shape, strict=True):
            if sizes.get(c, 1) not in (1, n) and n != 1:
                raise RuntimeError(f"einsum(): operands do not broadcast: label {c!r} has "
                                   f"sizes {sizes[c]} and {n}")
            sizes[c] = max(sizes.get(c, n), n)
    grown = []
    for subs, t in zip(inputs, tensors, strict=True):
        full = tuple(sizes[c] for c in subs)
        if full != t.shape:  # a size-1 axis broadcast (its gradient summed by the engine)
            for c in set(subs):
                if subs.count(c) > 1 and t.shape[subs.index(c)] != sizes[c]:
                    raise RuntimeError(f"einsum(): repeated label {c!r} must have one size")
            t = t.broadcast_to(full)
        grown.append(t)
    return EIN.Einsum.apply(*grown, inputs=tuple(inputs), output=output)


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Sum over ``dims`` (the last n of a with the first n of b, or two lists of dims): a
    permute, a reshape and one matrix product."""
    if isinstance(dims, (list, tuple)):
        if len(dims) != 2:
            raise RuntimeError("tensordot expects dims to be an int or a pair of dim lists")
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    else:
        n = as_int(dims, "dims", "tensordot")
        if n < 0 or n > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims >= 0 and <= the operands' dims, got {n}")
        da, db = list(range(a.ndim - n, a.ndim)), list(range(n))
    da = [dim_index(d, a.ndim, "tensordot") for d in da]
    db = [dim_index(d, b.ndim, "tensordot") for d in db]
    if len(da) != len(db) or any(a.shape[i] != b.shape[j] for i, j in zip(da, db, strict=True)):
        raise RuntimeError(f"tensordot: contracted dims {da} of {a.shape} and {db} of {b.shape} "
                           "must have matching sizes")
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    k = math.prod(a.shape[d] for d in da)
    left = a.permute(*free_a, *da).reshape(math.prod(a.shape[d] for d in free_a), k)
    right = b.permute(*db, *free_b).reshape(k, math.prod(b.shape[d] for d in free_b))
    return (left @ right).reshape(tuple(a.shape[d] for d in free_a) +
                                  tuple(b.shape[d] for d in free_b))


# ---------------------------------------------------------------------- distances, grids


def _safe_root(s: Tensor, power: float) -> Tensor:
    """s ** (1 / power) with the gradient 0 where s is 0 (PyTorch's cdist there), selected
    so that no inf * 0 appears (NaN stays NaN)."""
    positive = s._wrap(s._data != 0, False)
    one = s._wrap(np.ones((), s.dtype), False)
    zero = s._wrap(np.zeros((), s.dtype), False)
    inside = E.Where.apply(positive, s, one)
    root = inside.sqrt() if power == 2 else inside ** (1.0 / power)
    return E.Where.apply(positive, root, zero)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: Any = None) -> Tensor:
    """The p-norm distance between each row of x1 (..., P, M) and each row of x2
    (..., R, M): shape (..., P, R). At distance 0 the gradient is 0, as in PyTorch."""
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist only supports at least 2D tensors with the same number of "
                           f"columns, got shapes {x1.shape} and {x2.shape}")
    if x1.dtype != x2.dtype or x1.dtype.kind != "f":
        raise RuntimeError(f"cdist only supports floating point inputs of one dtype, got "
                           f"{x1.dtype} and {x2.dtype}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    size = diff.abs()
    if p == 0:  # the count of differing coordinates: piecewise constant, no gradient
        return size._wrap((size._data > 0).sum(-1).astype(x1.dtype), False)
    if math.isinf(p):
        return size.amax(-1)
    if p == 1:
        return size.sum(-1)
    if p == 2:
        return _safe_root((diff * diff).sum(-1), 2)
    nonzero = size._wrap(size._data != 0, False)
    one = size._wrap(np.ones((), size.dtype), False)
    zero = size._wrap(np.zeros((), size.dtype), False)
    powered = E.Where.apply(nonzero, E.Where.apply(nonzero, size, one) ** float(p), zero)
    return _safe_root(powered.sum(-1), p)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors (views by expand): 'ij' (the default, matrix
    indexing) or 'xy' (the first two dims swapped, Cartesian indexing)."""
    items = _tensors(tensors)
    mode = "ij" if indexing is None else indexing
    if mode not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid: indexing must be one of 'xy' or 'ij', got {indexing!r}")
    for t in items:
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expected 0D or 1D tensors, got shape {t.shape}")
    sizes = [t._data.size for t in items]
    order = list(range(len(items)))
    if mode == "xy" and len(items) >= 2:
        order[0], order[1] = 1, 0
    shape = tuple(sizes[k] for k in order)
    grids = []
    for k, t in enumerate(items):
        at = order.index(k)
        grids.append(t.reshape(tuple(-1 if j == at else 1 for j in range(len(shape))))
                     .expand(*shape))
    return tuple(grids)


def broadcast_tensors(*tensors: Any) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape."""
    items = _tensors(tensors)
    try:
        shape = np.broadcast_shapes(*(t.shape for t in items))
    except ValueError:
        raise RuntimeError(f"broadcast_tensors: shapes {[t.shape for t in items]} do not "
                           "broadcast") from None
    return tuple(t if t.shape == shape else t.broadcast_to(shape) for t in items)


def block_diag(*tensors: Any) -> Tensor:
    """A block-diagonal matrix of the inputs (0-d as 1 x 1, 1-D as a row)."""
    items = _tensors(tensors)
    if not items:
        return Tensor(np.zeros((1, 0), np.float32))
    dtype = result_type(*[t if t.ndim else t.reshape(1) for t in items])
    blocks = []
    for t in items:
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input has {t.ndim} dimensions")
        t = t.reshape(1, -1) if t.ndim < 2 else t
        blocks.append(t if t.dtype == dtype else t.to(dtype))
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        r, c = b.shape
        pieces = [Tensor(np.zeros((r, left), dtype)), b, Tensor(np.zeros((r, width - left - c),
                                                                         dtype))]
        rows.append(cat(pieces, 1))
        left += c
    return cat(rows, 0)


def cartesian_prod(*tensors: Any) -> Tensor:
    """Every combination of one element from each 1-D tensor, as rows."""
    items = _tensors(tensors)
    if len(items) == 1:
        return items[0]
    return stack([g.reshape(-1) for g in meshgrid(*items, indexing="ij")], 1)


def _atleast(tensors: tuple[Any, ...], ndim: int) -> Any:
    def grow(t: Tensor) -> Tensor:
        if t.ndim >= ndim:
            return t
        if ndim == 3 and t.ndim == 2:
            return t.unsqueeze(-1)
        if ndim == 3 and t.ndim == 1:
            return t.reshape(1, -1, 1)
        return t.reshape((1,) * (ndim - t.ndim) + t.shape)

    items = [grow(t) for t in _tensors(tensors)]
    return items[0] if len(items) == 1 and not isinstance(tensors[0], (list, tuple)) else tuple(
        items)


def atleast_1d(*tensors: Any) -> Any:
    return _atleast(tensors, 1)


def atleast_2d(*tensors: Any) -> Any:
    return _atleast(tensors, 2)


def atleast_3d(*tensors: Any) -> Any:
    return _atleast(tensors, 3)


# ---------------------------------------------------------------------- searching


def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None,
                 sorter: Tensor | None = None) -> Tensor:
    """Where each value of ``input`` would go in the sorted last dim of ``sorted_sequence``
    (its leading dims matching input's, or 1-D for any input). No gradient."""
    if side is not None:
        if side not in ("left", "right") or (right and side == "left"):
            raise RuntimeError(f"searchsorted(): side must be 'left' or 'right' (and agree "
                               f"with right={right}), got {side!r}")
        right = side == "right"
    seq = sorted_sequence._data
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter._data, axis=-1)
    values = input._data if isinstance(input, Tensor) else np.asarray(input)
    how: Any = "right" if right else "left"
    if seq.ndim == 1:
        found = np.searchsorted(seq, values, side=how)
    else:
        if seq.shape[:-1] != values.shape[:-1]:
            raise RuntimeError(f"searchsorted(): boundaries {seq.shape} and input "
                               f"{values.shape} must match in all but the last dim")
        rows_seq, rows_val = seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1])
        found = np.stack([np.searchsorted(s, v, side=how)
                          for s, v in zip(rows_seq, rows_val, strict=True)]).reshape(values.shape)
    return Tensor(np.asarray(found, np.int32 if out_int32 else np.int64))


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False) -> Tensor:
    """The bucket of 1-D sorted ``boundaries`` each element falls in: boundaries[i-1] < x <=
    boundaries[i] (right=False) or boundaries[i-1] <= x < boundaries[i] (right=True)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize(): boundaries tensor must be 1 dimension, but got "
                           f"dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)

