"""The fuzzer's arrange ops (registered into ``fuzz_ops.OPS`` with its ``op`` decorator):
flips, rolls, repeats, pieces (one piece of a split/chunk/unbind, so each op has a fixed
number of outputs), dims, triangles and diagonals, sorting, the matrix products and the
functions of ``tinygrad_edu.functions_more`` (einsum, tensordot, cdist).

Documented, and fuzzed as documented:

* ``sort`` is always stable here: compared with PyTorch's ``stable=True`` (indices equal);
  ``topk`` returns the stable sorted order, so it is compared with PyTorch's stable sort
  cut to k (PyTorch's own topk may pick another of equal values, and send the gradient
  there).
* ``cdist``: PyTorch has no second derivative; its double-backward programs are compared
  with cdist written as the same formula in PyTorch ops (the norm of the differences, with
  the gradient 0 at distance 0 as PyTorch's cdist). p = inf, where PyTorch's gradient goes
  to every tied coordinate in full and ours is shared, is left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import tinygrad_edu.functions_more as FM

from .fuzz_ops import Drawn, op

if TYPE_CHECKING:
    from .fuzz_programs import Builder, Lib


def _fm(lib: Lib) -> Any:
    return lib.mod if lib.name == "torch" else FM


def _at_least(n: int) -> Any:
    return lambda m: m.is_float and m.ndim >= n


def _operand_at_least(b: Builder, n: int) -> int:
    """A stack value (or a new leaf) with at least ``n`` dims."""
    return b.operand(_at_least(n), lambda: b.leaf(tuple(b.side() for _ in range(
        b.integer(n, n + 1)))))


def _dims(b: Builder, ndim: int) -> tuple[int, ...]:
    picked = b.shuffle(list(range(ndim)))[: b.integer(0, ndim)]
    return tuple(d - ndim if b.flag(30) else d for d in picked)


@op("flip", lambda b: ((x := _operand_at_least(b, 1),), {"dims": _dims(b, b.meta(x).ndim),
                                                          "packed": b.flag()}))
def apply_flip(lib: Lib, x: Any, dims: tuple[int, ...], packed: bool) -> Any:
    return x.flip(dims) if packed or not dims else x.flip(*dims)


def draw_roll(b: Builder) -> Drawn:
    x = b.operand()
    ndim = b.meta(x).ndim
    if ndim == 0 or b.flag(25):
        return (x,), {"shifts": b.integer(-5, 5), "dims": None}
    dims = _dims(b, ndim) or (0,)
    return (x,), {"shifts": tuple(b.integer(-4, 4) for _ in dims), "dims": dims}


@op("roll", draw_roll)
def apply_roll(lib: Lib, x: Any, shifts: Any, dims: Any) -> Any:
    return x.roll(shifts) if dims is None else x.roll(shifts, dims)


def draw_rot90(b: Builder) -> Drawn:
    x = _operand_at_least(b, 2)
    ndim = b.meta(x).ndim
    d0, d1 = b.shuffle(list(range(ndim)))[:2]
    return (x,), {"k": b.integer(-2, 5), "dims": (d0, d1)}


@op("rot90", draw_rot90)
def apply_rot90(lib: Lib, x: Any, k: int, dims: tuple[int, int]) -> Any:
    return x.rot90(k, dims)


def draw_repeat(b: Builder) -> Drawn:
    x = b.operand(lambda m: m.is_float and m.numel <= 12, lambda: b.leaf(b.shape(0, 2)))
    ndim = b.meta(x).ndim
    form = b.choice(("repeat", "tile", "interleave", "interleave-tensor"))
    if form in ("repeat", "tile"):
        extra = b.integer(0 if form == "repeat" else -ndim, 1)
        sizes = tuple(b.choice((0, 1, 2, 3)) for _ in range(max(ndim + extra, 0)))
        if form == "repeat" and len(sizes) < ndim:
            sizes += (1,) * (ndim - len(sizes))
        return (x,), {"form": form, "sizes": sizes}
    dim = None if b.flag(30) or ndim == 0 else b.dim(ndim)
    if form == "interleave" or dim is None:
        return (x,), {"form": "interleave", "repeats": b.choice((0, 1, 2, 3)), "dim": dim}
    n = b.meta(x).shape[dim]
    counts = np.random.default_rng(b.integer(0, 10**6)).integers(0, 3, size=n)
    return (x,), {"form": form, "repeats": counts, "dim": dim}


@op("repeat", draw_repeat)
def apply_repeat(lib: Lib, x: Any, form: str, sizes: tuple[int, ...] = (), repeats: Any = 1,
                 dim: int | None = None) -> Any:
    if form == "repeat":
        return x.repeat(*sizes) if sizes else x.repeat(())
    if form == "tile":
        return x.tile(sizes)
    if form == "interleave-tensor":
        repeats = lib.index(np.asarray(repeats, np.int64), True)
    return x.repeat_interleave(repeats) if dim is None else x.repeat_interleave(repeats, dim)


def draw_piece(b: Builder) -> Drawn:
    x = _operand_at_least(b, 1)
    meta = b.meta(x)
    dim = b.dim(meta.ndim)
    n = meta.shape[dim]
    form = b.choice(("split", "split-sizes", "chunk", "tensor_split", "unbind", "narrow"))
    params: dict[str, Any] = {"form": form, "dim": dim}
    if form == "split":
        params["size"] = b.integer(1, max(n, 1))
    elif form == "split-sizes":
        cut = b.integer(0, n)
        params["size"] = [cut, n - cut]
    elif form in ("chunk", "tensor_split"):
        params["size"] = b.integer(1, 4)
    elif form == "narrow":
        start = b.integer(-n, n) if n else 0
        params["start"] = start
        params["size"] = b.integer(0, n - (start % n if n and start < 0 else start))
        return (x,), params
    elif n == 0:
        params["form"] = "chunk"
        params["size"] = 1
    params["piece"] = b.integer(0, 5)
    return (x,), params


@op("pieces", draw_piece)
def apply_piece(lib: Lib, x: Any, form: str, dim: int, size: Any = None, start: int = 0,
                piece: int = 0) -> Any:
    if form == "narrow":
        return x.narrow(dim, start, size)
    if form == "unbind":
        parts = x.unbind(dim)
    elif form in ("split", "split-sizes"):
        parts = x.split(size, dim)
    else:
        parts = getattr(x, form)(size, dim)
    return parts[piece % len(parts)] if parts else x


def draw_movedim(b: Builder) -> Drawn:
    x = _operand_at_least(b, 1)
    ndim = b.meta(x).ndim
    k = b.integer(1, ndim)
    src, dst = b.shuffle(list(range(ndim)))[:k], b.shuffle(list(range(ndim)))[:k]
    if k == 1 and b.flag():
        return (x,), {"source": src[0], "destination": dst[0] - ndim, "alias": b.flag()}
    return (x,), {"source": tuple(src), "destination": tuple(dst), "alias": b.flag()}


@op("movedim", draw_movedim)
def apply_movedim(lib: Lib, x: Any, source: Any, destination: Any, alias: bool) -> Any:
    return (x.moveaxis if alias else x.movedim)(source, destination)


def draw_unflatten(b: Builder) -> Drawn:
    x = b.operand(lambda m: m.is_float and m.ndim >= 1 and m.numel > 0,
                  lambda: b.leaf((b.choice((1, 2, 4)), b.choice((1, 2, 3)))))
    meta = b.meta(x)
    dim = b.dim(meta.ndim)
    n = meta.shape[dim]
    first = b.choice([d for d in (1, 2, 3, 4) if n % d == 0])
    sizes = (first, n // first) if b.flag() else (first, -1)
    return (x,), {"dim": dim, "sizes": sizes}


@op("unflatten", draw_unflatten)
def apply_unflatten(lib: Lib, x: Any, dim: int, sizes: tuple[int, ...]) -> Any:
    return x.unflatten(dim, sizes)


@op("tril_triu", lambda b: ((_operand_at_least(b, 2),), {"lower": b.flag(),
                                                          "k": b.integer(-3, 3)}))
def apply_tril(lib: Lib, x: Any, lower: bool, k: int) -> Any:
    return x.tril(k) if lower else x.triu(k)


def draw_diagonal(b: Builder) -> Drawn:
    x = _operand_at_least(b, 1)
    ndim = b.meta(x).ndim
    form = b.choice(("diagonal", "diag", "diag_embed"))
    if form == "diag" and ndim > 2 or form == "diagonal" and ndim < 2:
        form = "diag_embed"
    params: dict[str, Any] = {"form": form, "k": b.integer(-2, 2)}
    if form != "diag":
        out = ndim + (1 if form == "diag_embed" else 0)
        d1, d2 = b.shuffle(list(range(out)))[:2]
        params.update(d1=d1, d2=d2 - out if b.flag(30) else d2)
    return (x,), params


@op("diagonal", draw_diagonal)
def apply_diagonal(lib: Lib, x: Any, form: str, k: int, d1: int = 0, d2: int = 1) -> Any:
    if form == "diag":
        return x.diag(k)
    return getattr(x, form)(k, d1, d2)


def draw_sort(b: Builder) -> Drawn:
    x = b.operand()
    ndim = b.meta(x).ndim
    form = b.choice(("sort", "sort", "topk", "msort", "argsort-take"))
    dim = b.dim(ndim)
    params: dict[str, Any] = {"form": form, "dim": dim, "descending": b.flag()}
    if form == "topk":
        n = b.meta(x).shape[dim] if ndim else 1
        params["k"] = b.integer(0, n)
    if form == "msort" and ndim == 0:
        params["form"] = "sort"
    return (x,), params


@op("sort", draw_sort, outputs=2)
def apply_sort(lib: Lib, x: Any, form: str, dim: int, descending: bool, k: int = 0) -> Any:
    if form == "msort":
        return x.msort(), x.sort(dim=0, stable=True).indices
    if form == "argsort-take":
        idx = x.argsort(dim=dim, descending=descending, stable=True)
        return (x.take_along_dim(idx, dim) if x.ndim else x.clone()), idx
    if form == "topk" and lib.name != "torch":
        values, indices = x.topk(k, dim, largest=descending)
        return values, indices
    values, indices = x.sort(dim=dim, descending=descending, stable=True)
    if form == "topk":  # documented: our topk is the stable sorted order cut to k
        return values.narrow(dim, 0, k), indices.narrow(dim, 0, k)
    return values, indices


# ---------------------------------------------------------------------- products


def _same(b: Builder, shape: tuple[int, ...], dtype: np.dtype) -> int:
    return b.operand(lambda m: m.is_float and m.shape == shape and m.dtype == dtype,
                     lambda: b.leaf(shape, dtype=str(dtype)), reuse=40)


def draw_products(b: Builder) -> Drawn:
    form = b.choice(("mm", "bmm", "mv", "dot", "inner", "outer", "addmm", "addmv",
                     "baddbmm", "kron"))
    side = b.side
    if form in ("mm", "addmm"):
        a = b.operand(lambda m: m.is_float and m.ndim == 2, lambda: b.leaf((side(), side())))
        meta = b.meta(a)
        other = _same(b, (meta.shape[1], side()), meta.dtype)
        args: tuple[int, ...] = (a, other)
    elif form in ("bmm", "baddbmm"):
        a = b.operand(lambda m: m.is_float and m.ndim == 3,
                      lambda: b.leaf((side(), side(), side())))
        meta = b.meta(a)
        args = (a, _same(b, (meta.shape[0], meta.shape[2], side()), meta.dtype))
    elif form in ("mv", "addmv"):
        a = b.operand(lambda m: m.is_float and m.ndim == 2, lambda: b.leaf((side(), side())))
        meta = b.meta(a)
        args = (a, _same(b, (meta.shape[1],), meta.dtype))
    elif form == "dot":
        a = b.operand(lambda m: m.is_float and m.ndim == 1, lambda: b.leaf((side(),)))
        meta = b.meta(a)
        args = (a, _same(b, meta.shape, meta.dtype))
    elif form == "inner":
        a = b.operand(lambda m: m.is_float and m.numel <= 12, lambda: b.leaf(b.shape(0, 2)))
        meta = b.meta(a)
        shape = tuple(side() for _ in range(b.integer(0, 2))) + meta.shape[-1:]
        args = (a, _same(b, shape if meta.ndim else (), meta.dtype))
    elif form == "outer":
        a = b.operand(lambda m: m.is_float and m.ndim == 1, lambda: b.leaf((side(),)))
        args = (a, b.operand(lambda m: m.is_float and m.ndim == 1, lambda: b.leaf((side(),))))
    else:
        a = b.operand(lambda m: m.is_float and m.numel <= 8, lambda: b.leaf(b.shape(0, 2)))
        args = (a, b.operand(lambda m: m.is_float and m.numel <= 6,
                             lambda: b.leaf(b.shape(0, 2))))
    params: dict[str, Any] = {"form": form}
    if form.startswith(("add", "badd")):
        meta = b.meta(args[0])
        rows = meta.shape[:-1] if form != "addmv" else meta.shape[:1]
        out = rows + (b.meta(args[1]).shape[-1],) if form != "addmv" else rows
        self_shape = out[b.integer(0, len(out)):]
        params.update(beta=b.choice((1, 0, 0.5)), alpha=b.choice((1, 2.0, -1)))
        args = (_same(b, tuple(1 if b.flag(25) else n for n in self_shape), meta.dtype),
                *args)
    return args, params


@op("products", draw_products)
def apply_products(lib: Lib, *xs: Any, form: str, beta: Any = 1, alpha: Any = 1) -> Any:
    if form.startswith(("add", "badd")):
        z, x, y = xs
        return getattr(z, form)(x, y, beta=beta, alpha=alpha)
    x, y = xs
    return getattr(x, form)(y)


def draw_cross(b: Builder) -> Drawn:
    x = b.operand(lambda m: m.is_float and 3 in m.shape, lambda: b.leaf(
        tuple(b.shuffle([3] + [b.choice((1, 2))] * b.integer(0, 2)))), reuse=50)
    meta = b.meta(x)
    dims = [k for k, n in enumerate(meta.shape) if n == 3]
    dim = b.choice(dims)
    shape = tuple(1 if (k != dim and b.flag(25)) else n for k, n in enumerate(meta.shape))
    return (x, _same(b, shape, meta.dtype)), {"dim": dim if b.flag(70) else None}


@op("cross", draw_cross)
def apply_cross(lib: Lib, x: Any, y: Any, dim: int | None) -> Any:
    if dim is None and lib.name == "torch":  # the first dim of size 3 (deprecated default)
        dim = next(k for k, n in enumerate(np.broadcast_shapes(x.shape, y.shape)) if n == 3)
    return x.cross(y, dim=dim) if dim is not None else x.cross(y)


EQUATIONS = (("ij,jk->ik", "ab"), ("ij,jk", "ab"), ("ii->", "s"), ("ii->i", "s"),
             ("ij->j", "a"), ("...ij,...jk->...ik", "cd"), ("i,j->ij", "vw"),
             ("bij,bj->bi", "cv"), ("ij,ij->i", "aa"), ("...j,j", "cv"), ("iij->j", "t"))


def draw_einsum(b: Builder) -> Drawn:
    equation, kinds = b.choice(EQUATIONS)
    n, m, k, batch = b.side() or 1, b.side(), b.side() or 1, b.choice((1, 2))
    shapes = {"a": (n, k), "b": (k, m), "s": (n, n), "v": (k,), "w": (m,),
              "c": (batch, n, k), "d": (batch, k, m), "t": (n, n, m)}
    if equation == "bij,bj->bi":
        shapes["v"] = (batch, k)
    if equation == "...j,j":
        shapes["v"] = (k,)
    args = []
    dtype = None
    for kind in kinds:
        if dtype is None:
            x = b.operand(lambda mm, kind=kind: mm.is_float and mm.shape == shapes[kind],
                          lambda kind=kind: b.leaf(shapes[kind]), reuse=40)
            dtype = b.meta(x).dtype
        else:
            x = _same(b, shapes[kind], dtype)
        args.append(x)
    return tuple(args), {"equation": equation}


@op("einsum", draw_einsum)
def apply_einsum(lib: Lib, *xs: Any, equation: str) -> Any:
    return _fm(lib).einsum(equation, *xs)


def draw_tensordot(b: Builder) -> Drawn:
    x = b.operand(lambda m: m.is_float and 1 <= m.ndim <= 3, lambda: b.leaf(b.shape(1, 3)))
    meta = b.meta(x)
    n = b.integer(0, min(meta.ndim, 2))
    tail = meta.shape[meta.ndim - n:]
    other = _same(b, tail + tuple(b.side() for _ in range(b.integer(0, 1))), meta.dtype)
    return (x, other), {"dims": n}


@op("tensordot", draw_tensordot)
def apply_tensordot(lib: Lib, x: Any, y: Any, dims: int) -> Any:
    return _fm(lib).tensordot(x, y, dims)


def draw_cdist(b: Builder) -> Drawn:
    x = b.operand(lambda m: m.is_float and m.ndim in (2, 3) and m.shape[-1] > 0,
                  lambda: b.leaf((b.side(), b.choice((1, 2, 3)))))
    meta = b.meta(x)
    other = _same(b, meta.shape[:-2] + (b.choice((1, 2, 3)), meta.shape[-1]), meta.dtype)
    return (x, other), {"p": b.choice((2.0, 2.0, 1.0, 3.0, 0.5))}


def _torch_cdist(torch: Any, x: Any, y: Any, p: float) -> Any:
    """cdist as PyTorch ops, gradient 0 at distance 0 (differentiable twice, unlike
    PyTorch's cdist, whose values and first derivatives it equals)."""
    difference = x.unsqueeze(-2) - y.unsqueeze(-3)
    if p == 2:  # smooth in each coordinate: masking a zero difference would drop its
        powered = (difference * difference).sum(-1)  # curvature 1/d from the second derivative
    else:
        size = difference.abs()
        nonzero = (size != 0).detach()  # (NaN stays NaN)
        powered = torch.where(nonzero, torch.where(nonzero, size, 1.0) ** p, 0.0).sum(-1)
    positive = (powered != 0).detach()
    return torch.where(positive, torch.where(positive, powered, 1.0) ** (1 / p), 0.0)


@op("cdist", draw_cdist)
def apply_cdist(lib: Lib, x: Any, y: Any, p: float) -> Any:
    if lib.name == "torch":
        return _torch_cdist(lib.mod, x, y, p)
    return FM.cdist(x, y, p)
