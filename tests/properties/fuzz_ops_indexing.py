"""The fuzzer's indexing ops (registered into ``fuzz_ops.OPS`` with its ``op`` decorator).

Index tensors are drawn as constants (int64, some int32 where PyTorch takes them), with
repeats where the op adds them up (gather, scatter_add, scatter_reduce, index_select,
index_add, take) and distinct positions where PyTorch leaves the winner of a repeated write
undefined (scatter, index_copy). Kept out, each for a reason:

* ``scatter_reduce(reduce='prod')``: our double backward raises (first derivatives only);
  tests/test_indexing_ops.py checks its values and first derivatives against PyTorch.
* a ``src`` larger than ``index`` for scatter/scatter_add: PyTorch's backward then fails
  (its gradient has index's shape); ours pads it with zeros (tested directly).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .fuzz_ops import Drawn, op

if TYPE_CHECKING:
    from .fuzz_programs import Builder, Lib, Meta


def _nonempty(m: Meta) -> bool:
    return m.is_float and m.ndim >= 1 and m.numel > 0


def _new_nonempty(b: Builder) -> int:
    return b.leaf(tuple(b.choice((1, 2, 3)) for _ in range(b.integer(1, 3))))


def _rng(b: Builder) -> np.random.Generator:
    return np.random.default_rng(b.integer(0, 10**6))


def _index_dtype(b: Builder) -> Any:
    return np.int32 if b.flag(20) else np.int64


def _along_index(b: Builder, shape: tuple[int, ...], dim: int, distinct: bool) -> np.ndarray:
    """An index for gather/scatter along ``dim``: no larger than ``shape`` in other dims."""
    rng = _rng(b)
    n = shape[dim]
    sizes = [b.integer(1, s) if s else 0 for s in shape]
    sizes[dim] = b.integer(1, n) if distinct else b.integer(0, 3)
    if distinct:  # per slice, distinct positions along dim
        keys = rng.random(tuple(n if k == dim else s for k, s in enumerate(sizes)))
        order = np.argsort(keys, axis=dim)
        return np.take(order, np.arange(sizes[dim]), axis=dim).astype(_index_dtype(b))
    return rng.integers(0, n, size=tuple(sizes)).astype(_index_dtype(b))


def draw_gather(b: Builder) -> Drawn:
    x = b.operand(_nonempty, lambda: _new_nonempty(b))
    shape = b.meta(x).shape
    dim = b.dim(len(shape))
    return (x,), {"dim": dim, "index": _along_index(b, shape, dim % len(shape), False)}


@op("gather", draw_gather)
def apply_gather(lib: Lib, x: Any, dim: int, index: np.ndarray) -> Any:
    return x.gather(dim, lib.index(index, True))


def draw_scatter(b: Builder, distinct: bool) -> Drawn:
    x = b.operand(_nonempty, lambda: _new_nonempty(b))
    meta = b.meta(x)
    dim = b.dim(meta.ndim)
    index = _along_index(b, meta.shape, dim % meta.ndim, distinct)
    params: dict[str, Any] = {"dim": dim, "index": index}
    if distinct and b.flag(25):
        return (x,), params | {"value": b.choice((0.0, -1.5, 2))}
    src = b.leaf(index.shape, dtype=str(meta.dtype), requires_grad=b.flag(70))
    return (x, src), params


@op("scatter", lambda b: draw_scatter(b, distinct=True))
def apply_scatter(lib: Lib, x: Any, src: Any = None, *, dim: int, index: np.ndarray,
                  value: Any = None) -> Any:
    idx = lib.index(index, True)
    return x.scatter(dim, idx, src) if src is not None else x.scatter(dim, idx, value)


@op("scatter_add", lambda b: draw_scatter(b, distinct=False))
def apply_scatter_add(lib: Lib, x: Any, src: Any, dim: int, index: np.ndarray) -> Any:
    return x.scatter_add(dim, lib.index(index, True), src)


def draw_scatter_reduce(b: Builder) -> Drawn:
    args, params = draw_scatter(b, distinct=False)
    params["reduce"] = b.choice(("sum", "mean", "amax", "amin"))
    params["include_self"] = b.flag(60)
    return args, params


@op("scatter_reduce", draw_scatter_reduce)
def apply_scatter_reduce(lib: Lib, x: Any, src: Any, dim: int, index: np.ndarray, reduce: str,
                         include_self: bool) -> Any:
    return x.scatter_reduce(dim, lib.index(index, True), src, reduce, include_self=include_self)


def _slice_index(b: Builder, n: int, distinct: bool) -> np.ndarray:
    rng = _rng(b)
    if distinct:
        return rng.permutation(n)[: b.integer(0, n)].astype(np.int64)
    return rng.integers(0, n, size=b.integer(0, 4)).astype(_index_dtype(b))


def draw_index_select(b: Builder) -> Drawn:
    x = b.operand(_nonempty, lambda: _new_nonempty(b))
    meta = b.meta(x)
    dim = b.dim(meta.ndim)
    return (x,), {"dim": dim, "index": _slice_index(b, meta.shape[dim], False)}


@op("index_select", draw_index_select)
def apply_index_select(lib: Lib, x: Any, dim: int, index: np.ndarray) -> Any:
    return x.index_select(dim, lib.index(index, True))


def draw_index_source(b: Builder, distinct: bool) -> Drawn:
    x = b.operand(_nonempty, lambda: _new_nonempty(b))
    meta = b.meta(x)
    dim = b.dim(meta.ndim)
    index = _slice_index(b, meta.shape[dim], distinct)
    shape = tuple(len(index) if k == dim % meta.ndim else n for k, n in enumerate(meta.shape))
    source = b.leaf(shape, dtype=str(meta.dtype), requires_grad=b.flag(70))
    return (x, source), {"dim": dim, "index": index,
                         "alpha": b.choice((1, 1, 2.0, -0.5)) if not distinct else 1}


@op("index_add", lambda b: draw_index_source(b, distinct=False))
def apply_index_add(lib: Lib, x: Any, source: Any, dim: int, index: np.ndarray,
                    alpha: Any) -> Any:
    idx = lib.index(index, True)
    return x.index_add(dim, idx, source) if alpha == 1 else x.index_add(dim, idx, source,
                                                                        alpha=alpha)


@op("index_copy", lambda b: draw_index_source(b, distinct=True))
def apply_index_copy(lib: Lib, x: Any, source: Any, dim: int, index: np.ndarray,
                     alpha: Any) -> Any:
    return x.index_copy(dim, lib.index(index, True), source)


def _value_leaf(b: Builder, dtype: np.dtype) -> dict[str, Any]:
    return {"value": b.choice((0.0, -2.0, 1.5, 3))}


def draw_index_fill(b: Builder) -> Drawn:
    x = b.operand(_nonempty, lambda: _new_nonempty(b))
    meta = b.meta(x)
    dim = b.dim(meta.ndim)
    index = _rng(b).integers(-meta.shape[dim], meta.shape[dim], size=b.integer(0, 3))
    if b.flag(40):  # a value tensor: indices >= 0 (PyTorch's backward refuses negative ones)
        v = b.leaf((), dtype=str(meta.dtype), requires_grad=b.flag(70))
        return (x, v), {"dim": dim, "index": index % meta.shape[dim]}
    return (x,), {"dim": dim, "index": index} | _value_leaf(b, meta.dtype)


@op("index_fill", draw_index_fill)
def apply_index_fill(lib: Lib, x: Any, v: Any = None, *, dim: int, index: np.ndarray,
                     value: Any = None) -> Any:
    return x.index_fill(dim, lib.index(index, True), value if v is None else v)


def _mask(b: Builder, shape: tuple[int, ...]) -> np.ndarray:
    return _rng(b).random(b.partner_shape(shape)) < 0.5


def draw_masked_fill(b: Builder) -> Drawn:
    x = b.operand()
    meta = b.meta(x)
    params: dict[str, Any] = {"mask": _mask(b, meta.shape)}
    if b.flag(40):
        v = b.leaf((), dtype=str(meta.dtype), requires_grad=b.flag(70))
        return (x, v), params
    return (x,), params | _value_leaf(b, meta.dtype)


@op("masked_fill", draw_masked_fill)
def apply_masked_fill(lib: Lib, x: Any, v: Any = None, *, mask: np.ndarray,
                      value: Any = None) -> Any:
    return x.masked_fill(lib.const(mask), value if v is None else v)


@op("masked_select", lambda b: ((x := b.operand(),), {"mask": _mask(b, b.meta(x).shape)}))
def apply_masked_select(lib: Lib, x: Any, mask: np.ndarray) -> Any:
    return x.masked_select(lib.const(mask))


def draw_masked_scatter(b: Builder) -> Drawn:
    x = b.operand()
    meta = b.meta(x)
    mask = _rng(b).random(meta.shape) < 0.5
    size = int(mask.sum()) + b.integer(0, 2)
    source = b.leaf((size,) if b.flag() or size == 0 else (1, size), dtype=str(meta.dtype),
                    requires_grad=b.flag(70))
    return (x, source), {"mask": mask}


@op("masked_scatter", draw_masked_scatter)
def apply_masked_scatter(lib: Lib, x: Any, source: Any, mask: np.ndarray) -> Any:
    return x.masked_scatter(lib.const(mask), source)


def draw_take(b: Builder) -> Drawn:
    x = b.operand(lambda m: m.is_float and m.numel > 0, lambda: _new_nonempty(b))
    n = b.meta(x).numel
    shape = tuple(b.choice((0, 1, 2, 3)) for _ in range(b.integer(0, 2)))
    return (x,), {"index": _rng(b).integers(-n, n, size=shape)}


@op("take", draw_take)
def apply_take(lib: Lib, x: Any, index: np.ndarray) -> Any:
    return x.take(lib.index(index, True))


def draw_take_along_dim(b: Builder) -> Drawn:
    x = b.operand(_nonempty, lambda: _new_nonempty(b))
    meta = b.meta(x)
    rng = _rng(b)
    if b.flag(25):
        return (x,), {"index": rng.integers(0, meta.numel, size=b.integer(0, 4)), "dim": None}
    dim = b.dim(meta.ndim)
    d = dim % meta.ndim
    shape = tuple(b.choice((1, n)) if k != d else b.integer(0, 3)
                  for k, n in enumerate(meta.shape))
    n = meta.shape[d]
    return (x,), {"index": rng.integers(-n, n, size=shape), "dim": dim}


@op("take_along_dim", draw_take_along_dim)
def apply_take_along_dim(lib: Lib, x: Any, index: np.ndarray, dim: int | None) -> Any:
    idx = lib.index(index, True)
    return x.take_along_dim(idx) if dim is None else x.take_along_dim(idx, dim)
