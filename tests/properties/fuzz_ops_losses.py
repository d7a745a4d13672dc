"""The fuzzer's loss ops of issue 13 (registered into ``fuzz_ops.OPS`` with its ``op``
decorator; cross_entropy, nll_loss, mse/l1 and the BCE pair are in ``fuzz_ops.py``):
smooth_l1_loss, huber_loss, kl_div, soft_margin_loss, cosine_similarity, pairwise_distance,
margin_ranking_loss, triplet_margin_loss, cosine_embedding_loss, hinge_embedding_loss.

Inputs are stack values when one fits (any values: NaN/inf in special programs) or new leaves;
labels (+1 / -1, sometimes 0) are constants of the input's dtype, as PyTorch differentiates
neither them nor soft_margin's target; the differentiable targets (kl_div, margin_ranking) are
leaves that may require grad. Second arguments broadcast as PyTorch allows (one number of dims
where PyTorch asks for it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .fuzz_ops import REDUCTIONS, Drawn, op

if TYPE_CHECKING:
    from .fuzz_programs import Builder, Lib, Meta


def _reduction(b: Builder, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    r = b.choice(REDUCTIONS + extra)
    return {} if r is None else {"reduction": r}


def _same(b: Builder, meta: Meta, kind: str = "values", grad: int = 30) -> int:
    """A second input of ``meta``'s shape and dtype (a stack value or a new leaf)."""
    return b.operand(lambda m: m.is_float and m.shape == meta.shape and m.dtype == meta.dtype
                     and kind == "values",
                     lambda: b.leaf(meta.shape, dtype=str(meta.dtype), kind=kind,
                                    requires_grad=b.flag(grad)), reuse=30)


def _ones_or_kept(b: Builder, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape of the same number of dims that broadcasts with ``shape`` (sides set to 1)."""
    return tuple(1 if b.flag(30) else n for n in shape)


def _into(b: Builder, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts *into* ``shape``: leading dims dropped, some sides 1."""
    return _ones_or_kept(b, shape[b.integer(0, len(shape)):])


def _labels(b: Builder, shape: tuple[int, ...], meta: Meta, zero: bool = False) -> np.ndarray:
    rng = np.random.default_rng(b.integer(0, 10**6))
    return rng.choice((-1.0, 1.0, 0.0) if zero else (-1.0, 1.0), size=shape).astype(meta.dtype)


def draw_smooth_l1(b: Builder) -> Drawn:
    x = b.operand()
    meta = b.meta(x)
    return (x, _same(b, meta)), {**_reduction(b), "beta": b.choice((1.0, 0.5, 0.0, 2.0))}


@op("smooth_l1_loss", draw_smooth_l1)
def apply_smooth_l1(lib: Lib, x: Any, y: Any, **kw: Any) -> Any:
    return lib.F.smooth_l1_loss(x, y, **kw)


def draw_huber(b: Builder) -> Drawn:
    x = b.operand()
    meta = b.meta(x)
    params = {**_reduction(b), "delta": b.choice((1.0, 0.5, 2.0))}
    if b.flag(30):  # a weight of the input's shape: PyTorch's composite, differentiable
        w = b.leaf(meta.shape, dtype=str(meta.dtype), kind="positive", requires_grad=b.flag())
        return (x, _same(b, meta), w), params
    return (x, _same(b, meta)), params


@op("huber_loss", draw_huber)
def apply_huber(lib: Lib, x: Any, y: Any, w: Any = None, **kw: Any) -> Any:
    return lib.F.huber_loss(x, y, **kw) if w is None else lib.F.huber_loss(x, y, weight=w, **kw)


def draw_kl_div(b: Builder) -> Drawn:
    x = b.operand()
    meta = b.meta(x)
    log_target = b.flag()
    shape = meta.shape if b.flag(60) else _into(b, meta.shape)
    target = b.leaf(shape, dtype=str(meta.dtype), kind="values" if log_target else "unit",
                    requires_grad=b.flag(40))
    return (x, target), {**_reduction(b, ("batchmean",)), "log_target": log_target}


@op("kl_div", draw_kl_div)
def apply_kl_div(lib: Lib, x: Any, t: Any, **kw: Any) -> Any:
    return lib.F.kl_div(x, t, **kw)


def draw_soft_margin(b: Builder) -> Drawn:
    x = b.operand()
    meta = b.meta(x)
    return (x,), {"labels": _labels(b, _into(b, meta.shape), meta), **_reduction(b)}


@op("soft_margin_loss", draw_soft_margin)
def apply_soft_margin(lib: Lib, x: Any, labels: np.ndarray, **kw: Any) -> Any:
    return lib.F.soft_margin_loss(x, lib.const(labels), **kw)


def draw_cosine_similarity(b: Builder) -> Drawn:
    x = b.operand(lambda m: m.is_float and m.ndim >= 1, lambda: b.leaf(b.shape(1, 3)))
    meta = b.meta(x)
    other = b.operand(lambda m: m.is_float and m.shape == meta.shape,
                      lambda: b.leaf(_into(b, meta.shape) if b.flag() else meta.shape), reuse=30)
    return (x, other), {"dim": b.dim(meta.ndim), "eps": b.choice((None, 1e-8, 0.5))}


@op("cosine_similarity", draw_cosine_similarity)
def apply_cosine_similarity(lib: Lib, x1: Any, x2: Any, dim: int, eps: float | None) -> Any:
    if eps is None:
        return lib.F.cosine_similarity(x1, x2, dim=dim)
    return lib.F.cosine_similarity(x1, x2, dim, eps)


def draw_pairwise_distance(b: Builder) -> Drawn:
    x = b.operand()
    meta = b.meta(x)
    other = b.operand(lambda m: m.is_float and m.shape == meta.shape,
                      lambda: b.leaf(_into(b, meta.shape) if b.flag() else meta.shape), reuse=30)
    return (x, other), {"p": b.choice((2.0, 1.0, 3.0, 1.5, 0.5, float("inf"))),
                        "eps": b.choice((1e-6, 0.0, 0.3)), "keepdim": b.flag()}


@op("pairwise_distance", draw_pairwise_distance)
def apply_pairwise_distance(lib: Lib, x1: Any, x2: Any, **kw: Any) -> Any:
    return lib.F.pairwise_distance(x1, x2, **kw)


def draw_margin_ranking(b: Builder) -> Drawn:
    x = b.operand()
    meta = b.meta(x)
    other = b.leaf(_ones_or_kept(b, meta.shape), dtype=str(meta.dtype))
    target = b.leaf(_ones_or_kept(b, meta.shape), dtype=str(meta.dtype),
                    requires_grad=b.flag(40))  # any values: PyTorch differentiates it
    return (x, other, target), {"margin": b.choice((0.0, 0.5, -0.3)), **_reduction(b)}


@op("margin_ranking_loss", draw_margin_ranking)
def apply_margin_ranking(lib: Lib, x1: Any, x2: Any, y: Any, **kw: Any) -> Any:
    return lib.F.margin_ranking_loss(x1, x2, y, **kw)


def draw_triplet(b: Builder) -> Drawn:
    anchor = b.operand(lambda m: m.is_float and 1 <= m.ndim <= 3,
                       lambda: b.leaf(b.shape(1, 2)))
    meta = b.meta(anchor)
    positive = b.leaf(_ones_or_kept(b, meta.shape), dtype=str(meta.dtype))
    negative = b.leaf(_ones_or_kept(b, meta.shape), dtype=str(meta.dtype))
    return (anchor, positive, negative), {
        "margin": b.choice((1.0, 0.3)), "p": b.choice((2.0, 1.0, 3.0)), "swap": b.flag(),
        "eps": b.choice((1e-6, 0.1)), **_reduction(b)}


@op("triplet_margin_loss", draw_triplet)
def apply_triplet(lib: Lib, a: Any, p: Any, n: Any, **kw: Any) -> Any:
    return lib.F.triplet_margin_loss(a, p, n, **kw)


def draw_cosine_embedding(b: Builder) -> Drawn:
    x = b.operand(lambda m: m.is_float and m.ndim in (1, 2),
                  lambda: b.leaf((b.choice((1, 2, 3)), b.choice((1, 2, 3)))[b.integer(0, 1):]))
    meta = b.meta(x)
    return (x, _same(b, meta)), {"labels": _labels(b, meta.shape[:-1], meta, zero=True),
                                 "margin": b.choice((0.0, 0.4, -0.5)), **_reduction(b)}


@op("cosine_embedding_loss", draw_cosine_embedding)
def apply_cosine_embedding(lib: Lib, x1: Any, x2: Any, labels: np.ndarray, **kw: Any) -> Any:
    return lib.F.cosine_embedding_loss(x1, x2, lib.const(labels), **kw)


def draw_hinge_embedding(b: Builder) -> Drawn:
    x = b.operand()
    meta = b.meta(x)
    return (x,), {"labels": _labels(b, _into(b, meta.shape), meta, zero=True),
                  "margin": b.choice((1.0, 0.5, -0.5)), **_reduction(b)}


@op("hinge_embedding_loss", draw_hinge_embedding)
def apply_hinge_embedding(lib: Lib, x: Any, labels: np.ndarray, **kw: Any) -> Any:
    return lib.F.hinge_embedding_loss(x, lib.const(labels), **kw)
