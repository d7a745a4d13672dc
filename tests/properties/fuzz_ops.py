"""The fuzzer's op table: every public op and loss of tinygrad_edu, with its options.

Each ``OpSpec`` has ``draw(builder) -> (input positions, params)``, which picks inputs from the
stack (or makes new leaves of fitting shapes) and draws the options, and
``apply(lib, *inputs, **params)``, the op written once against the API the two libraries share
(``lib`` supplies the few things that differ: the module for function forms, ``F``, constants,
index arrays, negative-step slicing, ``.T``). A new op joins the fuzzer with one entry here.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .fuzz_programs import Builder, Lib, Meta

Drawn = tuple[tuple[int, ...], dict[str, Any]]


@dataclass(frozen=True)
class OpSpec:
    draw: Callable[[Builder], Drawn]
    apply: Callable[..., Any]
    outputs: int = 1


OPS: dict[str, OpSpec] = {}


def op(name: str, draw: Callable[[Builder], Drawn], outputs: int = 1
       ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(apply: Callable[..., Any]) -> Callable[..., Any]:
        OPS[name] = OpSpec(draw, apply, outputs)
        return apply

    return register


def _float(m: Meta) -> bool:
    return m.is_float


def _ndim_at_least(n: int) -> Callable[[Meta], bool]:
    return lambda m: m.is_float and m.ndim >= n


def _no_size0(m: Meta) -> bool:
    return m.is_float and m.numel > 0


# ---------------------------------------------------------------------- elementwise


SCALARS = (2.0, -0.5, 0.0, 3, 1.5, -1)
BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
          "div": operator.truediv}


def draw_binary(b: Builder) -> Drawn:
    a = b.operand()
    shape = b.meta(a).shape
    form = b.choice(("tensor", "tensor", "tensor", "scalar", "int-tensor", "method"))
    if form == "scalar":
        return (a,), {"scalar": b.choice(SCALARS), "reverse": b.flag()}
    if form == "int-tensor":  # integer values (argmax indices) promote like PyTorch's
        ints = [i for i in range(len(b.values)) if b.meta(i).dtype.kind == "i"
                and _bcast(b.meta(i).shape, shape)]
        if ints:
            return (a, b.choice(ints)), {"reverse": b.flag()}
    other = b.partner(shape)
    return (a, other), {"reverse": b.flag(30), "method": form == "method"}


def _bcast(x: tuple[int, ...], y: tuple[int, ...]) -> bool:
    from .fuzz_programs import broadcastable

    return broadcastable(x, y)


def _binary(fn: Callable[[Any, Any], Any], name: str) -> Callable[..., Any]:
    def apply(lib: Lib, a: Any, b: Any = None, scalar: Any = None, reverse: bool = False,
              method: bool = False) -> Any:
        other = scalar if b is None else b
        if method and not reverse:
            return getattr(a, name)(other)
        return fn(other, a) if reverse else fn(a, other)

    return apply


for _name, _fn in BINARY.items():
    OPS[_name] = OpSpec(draw_binary, _binary(_fn, _name))


def draw_pow(b: Builder) -> Drawn:
    a = b.operand()
    form = b.choice(("scalar", "scalar", "tensor", "rpow"))
    if form == "scalar":
        return (a,), {"exponent": b.choice((2, 3, 0.5, -1, 0, 1.5, -2, 1, 2.0))}
    if form == "rpow":
        return (a,), {"base": b.choice((2.0, 0.5, 3))}
    exponent = b.operand(lambda m: m.is_float and _bcast(m.shape, b.meta(a).shape),
                         lambda: b.leaf(b.partner_shape(b.meta(a).shape)), reuse=40)
    return (a, exponent), {}


@op("pow", draw_pow)
def apply_pow(lib: Lib, a: Any, e: Any = None, exponent: Any = None, base: Any = None) -> Any:
    if base is not None:
        return base**a
    return a ** (exponent if e is None else e)


def draw_unary(forms: tuple[str, ...], safe: bool = False) -> Callable[[Builder], Drawn]:
    def draw(b: Builder) -> Drawn:
        params: dict[str, Any] = {"form": b.choice(forms)}
        if safe:
            params["safe"] = b.flag(60)
        return (b.operand(),), params

    return draw


def _unary(name: str) -> Callable[..., Any]:
    def apply(lib: Lib, x: Any, form: str = "method", safe: bool = False) -> Any:
        if safe:  # keep log / sqrt in their domain (raw inputs give NaN: tested too)
            x = x.abs() + 0.25
        if form == "function":
            return getattr(lib.mod, name)(x)
        if form == "F":
            return getattr(lib.F, name)(x)
        if form == "operator":
            return -x if name == "neg" else abs(x)
        return getattr(x, name)()

    return apply


for _name, _forms in {"neg": ("method", "operator"), "abs": ("method", "function", "operator"),
                      "exp": ("method", "function"), "square": ("method",),
                      "relu": ("method", "function", "F"), "sigmoid": ("method", "function", "F"),
                      "tanh": ("method", "function", "F")}.items():
    OPS[_name] = OpSpec(draw_unary(_forms), _unary(_name))
for _name in ("log", "sqrt"):
    OPS[_name] = OpSpec(draw_unary(("method", "function"), safe=True), _unary(_name))


@op("sign", draw_unary(("method",)))
def apply_sign(lib: Lib, x: Any, form: str) -> Any:
    return lib.sign(x)


@op("leaky_relu", lambda b: ((b.operand(),), {"slope": b.choice((None, 0.2, 0.0, 1.5, -0.5))}))
def apply_leaky_relu(lib: Lib, x: Any, slope: float | None) -> Any:
    return lib.F.leaky_relu(x) if slope is None else lib.F.leaky_relu(x, slope)


def draw_softmax(b: Builder) -> Drawn:
    x = b.operand()
    return (x,), {"dim": b.dim(b.meta(x).ndim), "form": b.choice(("method", "function", "F"))}


def _softmax(name: str) -> Callable[..., Any]:
    def apply(lib: Lib, x: Any, dim: int, form: str) -> Any:
        if form == "method":
            return getattr(x, name)(dim)
        return getattr(lib.mod if form == "function" else lib.F, name)(x, dim=dim)

    return apply


OPS["softmax"] = OpSpec(draw_softmax, _softmax("softmax"))
OPS["log_softmax"] = OpSpec(draw_softmax, _softmax("log_softmax"))

BOUNDS = (-1.0, -0.5, 0.0, 0.5, 1.0, 1.2)


def draw_clamp(b: Builder) -> Drawn:
    x = b.operand()
    low, high = b.choice(BOUNDS), b.choice(BOUNDS)
    which = b.choice(("min", "max", "both", "both"))
    if which == "both" and low > high and b.flag(80):
        low, high = high, low
    return (x,), {"low": None if which == "max" else low, "high": None if which == "min" else high,
                  "form": b.choice(("clamp", "clip", "function", "keywords"))}


@op("clamp", draw_clamp)
def apply_clamp(lib: Lib, x: Any, low: Any, high: Any, form: str) -> Any:
    if form == "function":
        return lib.mod.clamp(x, low, high)
    if form == "keywords":
        return x.clamp(min=low, max=high)
    return getattr(x, form)(low, high)


def draw_pick(b: Builder) -> Drawn:
    a = b.operand()
    return (a, b.partner(b.meta(a).shape)), {"form": b.choice(("method", "function", "max"))}


def _pick(name: str) -> Callable[..., Any]:
    def apply(lib: Lib, a: Any, other: Any, form: str) -> Any:
        if form == "function":
            return getattr(lib.mod, name)(a, other)
        if form == "max":  # torch.max(a, b) / a.max(b): the elementwise form
            return (a.max if name == "maximum" else a.min)(other)
        return getattr(a, name)(other)

    return apply


OPS["maximum"] = OpSpec(draw_pick, _pick("maximum"))
OPS["minimum"] = OpSpec(draw_pick, _pick("minimum"))


def draw_where(b: Builder) -> Drawn:
    a = b.operand()
    shape = b.meta(a).shape
    params: dict[str, Any] = {"form": b.choice(("function", "method"))}
    cond = b.choice(("const", "positive"))
    if cond == "const":
        rng = np.random.default_rng(b.integer(0, 10**6))
        params["condition"] = rng.random(b.partner_shape(shape)) < 0.5
    if b.flag(25):
        params["scalar"] = b.choice((2.0, 0.0, -1.5))
        return (a,), params
    return (a, b.partner(shape)), params


@op("where", draw_where)
def apply_where(lib: Lib, a: Any, other: Any = None, form: str = "function",
                condition: np.ndarray | None = None, scalar: Any = None) -> Any:
    cond = a > 0 if condition is None else lib.const(condition)
    other = scalar if other is None else other
    return lib.mod.where(cond, a, other) if form == "function" else a.where(cond, other)


@op("clone", lambda b: ((b.operand(),), {"how": b.choice(("clone", "contiguous", "detach"))}))
def apply_clone(lib: Lib, x: Any, how: str) -> Any:
    return getattr(x, how)()


@op("cast", lambda b: ((b.operand(),), {"to": b.choice(("float", "double", "to32", "to64"))}))
def apply_cast(lib: Lib, x: Any, to: str) -> Any:
    if to.startswith("to"):
        return x.to(lib.float32 if to == "to32" else lib.float64)
    return getattr(x, to)()


# ---------------------------------------------------------------------- reductions


def draw_reduce(b: Builder) -> Drawn:
    x = b.operand()
    ndim = b.meta(x).ndim
    form = b.choice(("positional", "keyword", "bare"))
    if form == "bare":
        return (x,), {"form": form}
    return (x,), {"dim": b.dims(ndim), "keepdim": b.flag(), "form": form}


def _reduce(name: str) -> Callable[..., Any]:
    def apply(lib: Lib, x: Any, form: str, dim: Any = None, keepdim: bool = False) -> Any:
        fn = getattr(x, name)
        if form == "bare":
            return fn()
        if name in ("amax", "amin") and dim is None:  # PyTorch spells "all dims" as ()
            return fn(keepdim=keepdim) if lib.name == "torch" else fn(None, keepdim)
        return fn(dim, keepdim) if form == "positional" else fn(dim=dim, keepdim=keepdim)

    return apply


for _name in ("sum", "mean", "amax", "amin"):
    OPS[_name] = OpSpec(draw_reduce, _reduce(_name))


def draw_extreme(b: Builder) -> Drawn:
    x = b.operand()
    ndim = b.meta(x).ndim
    return (x,), {"dim": b.dim(ndim), "keepdim": b.flag(), "keyword": b.flag()}


def _extreme(name: str) -> Callable[..., Any]:
    def apply(lib: Lib, x: Any, dim: int, keepdim: bool, keyword: bool) -> Any:
        fn = getattr(x, name)
        values, indices = fn(dim=dim, keepdim=keepdim) if keyword else fn(dim, keepdim)
        return values, indices

    return apply


OPS["max_dim"] = OpSpec(draw_extreme, _extreme("max"), outputs=2)
OPS["min_dim"] = OpSpec(draw_extreme, _extreme("min"), outputs=2)


@op("max_all", lambda b: ((b.operand(),), {"smallest": b.flag()}))
def apply_max_all(lib: Lib, x: Any, smallest: bool) -> Any:
    return x.min() if smallest else x.max()


def draw_var(b: Builder) -> Drawn:
    x = b.operand()
    ndim = b.meta(x).ndim
    params: dict[str, Any] = {"dim": b.dims(ndim), "keepdim": b.flag()}
    how = b.choice(("default", "unbiased", "correction"))
    if how == "unbiased":
        params["unbiased"] = b.flag()
    elif how == "correction":
        params["correction"] = b.choice((0, 1, 2))
    return (x,), params


def _var(name: str) -> Callable[..., Any]:
    def apply(lib: Lib, x: Any, dim: Any, keepdim: bool, unbiased: bool | None = None,
              correction: int | None = None) -> Any:
        fn = getattr(x, name)
        if lib.name == "torch" and dim == ():  # documented difference: PyTorch's derivative of
            dim = None  # var/std(dim=()) takes n = 1 (inf or wrong); ours is that of dim=None
        if correction is not None:
            return fn(dim, keepdim=keepdim, correction=correction)
        if unbiased is not None:
            return fn(dim, unbiased, keepdim)
        return fn(dim, keepdim=keepdim)

    return apply


OPS["var"] = OpSpec(draw_var, _var("var"))
OPS["std"] = OpSpec(draw_var, _var("std"))


def draw_logsumexp(b: Builder) -> Drawn:
    x = b.operand()
    return (x,), {"dim": b.dims(b.meta(x).ndim, allow_none=False), "keepdim": b.flag(),
                  "form": b.choice(("method", "function"))}


@op("logsumexp", draw_logsumexp)
def apply_logsumexp(lib: Lib, x: Any, dim: Any, keepdim: bool, form: str) -> Any:
    if form == "function":
        return lib.mod.logsumexp(x, dim, keepdim)
    return x.logsumexp(dim, keepdim)


# ---------------------------------------------------------------------- shape


def factor_shape(b: Builder, numel: int) -> tuple[int, ...]:
    """A random shape with ``numel`` elements (sizes 1 inserted, sometimes a 0 side)."""
    if numel == 0:
        return tuple(b.shuffle([0] + [b.choice((1, 2, 3)) for _ in range(b.integer(0, 2))]))
    sides, n = [], numel
    for p in (2, 3, 5, 7):
        while n % p == 0:
            sides.append(p)
            n //= p
    if n > 1:
        sides.append(n)
    merged: list[int] = []
    for s in sides:
        if merged and b.flag(40):
            merged[-1] *= s
        else:
            merged.append(s)
    merged += [1] * b.integer(0, 2 if len(merged) < 3 else 0)
    return tuple(b.shuffle(merged))


def draw_reshape(b: Builder) -> Drawn:
    x = b.operand()
    shape = factor_shape(b, b.meta(x).numel)
    if shape and b.flag(30) and 0 not in shape:
        at = b.integer(0, len(shape) - 1)
        shape = shape[:at] + (-1,) + shape[at + 1:]
    return (x,), {"shape": shape, "form": b.choice(("reshape", "reshape-tuple", "view"))}


@op("reshape", draw_reshape)
def apply_reshape(lib: Lib, x: Any, shape: tuple[int, ...], form: str) -> Any:
    if form == "reshape-tuple":
        return x.reshape(shape)
    return getattr(x, form)(*shape)


def draw_reshape_as(b: Builder) -> Drawn:
    x = b.operand()
    target = b.leaf(factor_shape(b, b.meta(x).numel), requires_grad=False)
    return (x, target), {"view": b.flag()}


@op("reshape_as", draw_reshape_as)
def apply_reshape_as(lib: Lib, x: Any, other: Any, view: bool) -> Any:
    return x.view_as(other) if view else x.reshape_as(other)


def draw_flatten(b: Builder) -> Drawn:
    x = b.operand()
    ndim = b.meta(x).ndim
    params: dict[str, Any] = {"function": b.flag(30)}
    if b.flag(70):
        start = b.dim(ndim)
        params["start"] = start
        if b.flag(70):
            params["end"] = b.dim(ndim)
    return (x,), params


@op("flatten", draw_flatten)
def apply_flatten(lib: Lib, x: Any, function: bool, start: int | None = None,
                  end: int | None = None) -> Any:
    args = tuple(a for a in (start, end) if a is not None)
    return lib.mod.flatten(x, *args) if function else x.flatten(*args)


def draw_permute(b: Builder) -> Drawn:
    x = b.operand()
    ndim = b.meta(x).ndim
    dims = tuple(d - ndim if b.flag(30) else d for d in b.shuffle(list(range(ndim))))
    return (x,), {"dims": dims, "packed": b.flag()}


@op("permute", draw_permute)
def apply_permute(lib: Lib, x: Any, dims: tuple[int, ...], packed: bool) -> Any:
    return x.permute(dims) if packed else x.permute(*dims)


def draw_transpose(b: Builder) -> Drawn:
    x = b.operand()
    ndim = b.meta(x).ndim
    form = b.choice(("transpose", "transpose", "T", "t"))
    return (x,), {"form": form, "d0": b.dim(ndim), "d1": b.dim(ndim)}


@op("transpose", draw_transpose)
def apply_transpose(lib: Lib, x: Any, form: str, d0: int, d1: int) -> Any:
    if form == "T":
        return lib.reverse_dims(x)
    if form == "t":
        return x.t()
    return x.transpose(d0, d1)


def draw_squeeze(b: Builder) -> Drawn:
    x = b.operand(lambda m: m.is_float and 1 in m.shape, reuse=75)
    ndim = b.meta(x).ndim
    return (x,), {"dim": b.dims(ndim)}


@op("squeeze", draw_squeeze)
def apply_squeeze(lib: Lib, x: Any, dim: Any) -> Any:
    return x.squeeze() if dim is None else x.squeeze(dim)


@op("unsqueeze", lambda b: ((x := b.operand(),), {"dim": b.dim(b.meta(x).ndim, extra=1)}))
def apply_unsqueeze(lib: Lib, x: Any, dim: int) -> Any:
    return x.unsqueeze(dim)


def draw_expand(b: Builder) -> Drawn:
    x = b.operand(lambda m: m.is_float and 1 in m.shape or m.ndim == 0, reuse=75)
    shape = b.meta(x).shape
    sizes = [b.choice((0, 1, 2, 3, 3)) if n == 1 else n for n in shape]
    lead = [b.choice((1, 2, 3)) for _ in range(b.integer(0, 2))]
    if math.prod(lead + sizes) > 96:
        lead = []
    form = b.choice(("expand", "expand-1", "broadcast_to", "expand_as"))
    if form == "expand-1":
        sizes = [-1 if s == n and b.flag() else s for s, n in zip(sizes, shape, strict=True)]
    params: dict[str, Any] = {"sizes": tuple(lead + sizes), "form": form}
    if form == "expand_as":
        target = b.leaf(tuple(lead + sizes), requires_grad=False)
        return (x, target), {"form": form}
    return (x,), params


@op("expand", draw_expand)
def apply_expand(lib: Lib, x: Any, other: Any = None, form: str = "expand",
                 sizes: tuple[int, ...] = ()) -> Any:
    if form == "expand_as":
        return x.expand_as(other)
    if form == "broadcast_to":
        return x.broadcast_to(sizes)
    return x.expand(*sizes)


def draw_index_part(b: Builder, n: int, advanced_ok: bool) -> tuple[Any, int]:
    """One part of an index for a dim of size ``n``; returns (part, dims consumed)."""
    kinds = ["slice", "slice", "int", "none"] + (["array", "array"] if advanced_ok else [])
    kind = b.choice(kinds if n else [k for k in kinds if k != "int"])
    if kind == "int":
        return b.integer(-n, n - 1), 1
    if kind == "none":
        return None, 0
    if kind == "array":
        rng = np.random.default_rng(b.integer(0, 10**6))
        shape = b.choice(((2,), (3,), (1,), (2, 2), (0,)))
        if n == 0:
            shape = (0,)
        return rng.integers(-n, max(n, 1), size=shape), 1  # repeats and negatives
    step = b.choice((None, 1, 2, 3, -1, -2))
    ends = (None, 0, 1, -1, 2, n, -n - 1, n + 2)
    return slice(b.choice(ends), b.choice(ends), step), 1


def draw_getitem(b: Builder) -> Drawn:
    x = b.operand()
    shape = b.meta(x).shape
    parts: list[Any] = []
    dim, advanced, ellipsis = 0, 0, False
    form = b.choice(("parts", "parts", "parts", "mask", "bare-array"))
    rng = np.random.default_rng(b.integer(0, 10**6))
    if form == "mask" and shape:
        k = b.integer(1, len(shape))
        parts.append(rng.random(shape[:k]) < 0.5)
        dim, advanced = k, 1
    elif form == "bare-array" and shape:
        part, _ = draw_index_part(b, shape[0], True)
        if isinstance(part, np.ndarray):
            return (x,), {"index": part, "bare": True, "as_tensor": b.flag()}
    while dim < len(shape) and b.flag(75):
        if not ellipsis and b.flag(15):
            parts.append(Ellipsis)
            ellipsis = True
            dim = len(shape) - b.integer(0, len(shape) - dim)  # Ellipsis takes the middle
            continue
        part, used = draw_index_part(b, shape[dim], advanced == 0)
        if isinstance(part, np.ndarray):
            advanced += 1
        parts.append(part)
        dim += used
    if b.flag(15):
        parts.append(None)
    bare = len(parts) == 1 and b.flag()
    return (x,), {"index": parts[0] if bare else tuple(parts), "bare": bare,
                  "as_tensor": b.flag()}


@op("getitem", draw_getitem)
def apply_getitem(lib: Lib, x: Any, index: Any, bare: bool, as_tensor: bool) -> Any:
    def convert(p: Any) -> Any:
        return lib.index(p, as_tensor) if isinstance(p, np.ndarray) else p

    if isinstance(index, tuple):
        return lib.getitem(x, tuple(convert(p) for p in index))
    return lib.getitem(x, convert(index))


def draw_join(b: Builder) -> Drawn:
    x = b.operand()
    shape = b.meta(x).shape
    form = b.choice(("cat", "concat", "concatenate", "stack"))
    dim = b.dim(len(shape), extra=1 if form == "stack" else 0)
    args = [x]
    for _ in range(b.integer(0, 2)):
        if b.flag(35):
            args.append(x)  # the same tensor twice: gradients add up
            continue
        other = list(shape)
        if form != "stack" and shape:
            other[dim % len(shape)] = b.choice((0, 1, 2, 3))
        args.append(b.leaf(tuple(other)))
    return tuple(args), {"form": form, "dim": dim, "keyword": b.flag()}


@op("cat", draw_join)
def apply_join(lib: Lib, *xs: Any, form: str, dim: int, keyword: bool) -> Any:
    fn = getattr(lib.mod, form)
    return fn(list(xs), dim=dim) if keyword else fn(list(xs), dim)


# ---------------------------------------------------------------------- linear algebra


def draw_matmul(b: Builder) -> Drawn:
    a = b.operand(lambda m: m.is_float and 1 <= m.ndim <= 3, lambda: b.leaf(b.shape(1, 3)))
    sa = b.meta(a).shape
    k = sa[-1]
    form = b.choice(("vector", "matrix", "batched"))
    if form == "vector":
        shape_b: tuple[int, ...] = (k,)
    else:
        m = b.choice((0, 1, 2, 3))
        batch: tuple[int, ...] = ()
        if form == "batched":
            batch_a = sa[:-2]
            batch = tuple(1 if b.flag(30) else n for n in batch_a[b.integer(0, len(batch_a)):])
            if not batch or b.flag(30):
                batch = (b.choice((1, 2, 3)),) + batch
        shape_b = batch + (k, m)
    other = b.operand(lambda mm: mm.is_float and mm.dtype == b.meta(a).dtype
                      and mm.shape == shape_b,
                      lambda: b.leaf(shape_b, dtype=str(b.meta(a).dtype)), reuse=50)
    pair = (other, a) if b.flag(20) and shape_b[-1:] == sa[-1:] and len(shape_b) == 1 else (
        a, other)
    return pair, {"form": b.choice(("operator", "method", "function"))}


@op("matmul", draw_matmul)
def apply_matmul(lib: Lib, a: Any, b: Any, form: str) -> Any:
    if form == "function":
        return lib.mod.matmul(a, b)
    return a.matmul(b) if form == "method" else a @ b


def draw_linear(b: Builder) -> Drawn:
    x = b.operand(lambda m: m.is_float and m.ndim >= 1, lambda: b.leaf(b.shape(1, 3)))
    meta = b.meta(x)
    out = b.choice((1, 2, 3, 0))
    weight = b.leaf((out, meta.shape[-1]), dtype=str(meta.dtype))
    if b.flag(60):
        bias = b.leaf((out,), dtype=str(meta.dtype))
        return (x, weight, bias), {"keyword": b.flag()}
    return (x, weight), {"keyword": False}


@op("linear", draw_linear)
def apply_linear(lib: Lib, x: Any, w: Any, bias: Any = None, keyword: bool = False) -> Any:
    if bias is None:
        return lib.F.linear(x, w)
    return lib.F.linear(x, w, bias=bias) if keyword else lib.F.linear(x, w, bias)


def draw_pad(b: Builder) -> Drawn:
    x = b.operand(_ndim_at_least(1), lambda: b.leaf(b.shape(1, 3)))
    ndim = b.meta(x).ndim
    pairs = b.integer(1, min(ndim, 3))
    widths = tuple(b.choice((0, 1, 2)) for _ in range(2 * pairs))
    return (x,), {"pad": widths, "value": b.choice((None, 0.0, 1.5, -1.0))}


@op("pad", draw_pad)
def apply_pad(lib: Lib, x: Any, pad: tuple[int, ...], value: float | None) -> Any:
    return lib.F.pad(x, pad) if value is None else lib.F.pad(x, pad, value=value)


# ---------------------------------------------------------------------- losses


REDUCTIONS = (None, "mean", "sum", "none")


def _reduction(b: Builder) -> dict[str, Any]:
    r = b.choice(REDUCTIONS)
    return {} if r is None else {"reduction": r}


def _has_classes(m: Meta) -> bool:
    """Logits / log-probabilities: (C,), (N, C) or (N, C, d1, ...) with C > 0."""
    return m.is_float and m.ndim >= 1 and m.shape[0 if m.ndim == 1 else 1] > 0


def _class_leaf(b: Builder) -> int:
    n, classes = b.choice((0, 1, 2, 3)), b.choice((1, 2, 3))
    return b.leaf((n, classes) + tuple(b.choice((1, 2, 3)) for _ in range(b.integer(0, 2))))


def class_targets(b: Builder, meta: Meta) -> tuple[np.ndarray, dict[str, Any]]:
    """Class indices for logits of ``meta``'s shape, an ignore_index hitting none, some or all
    of them, and a per-class weight (positive, one maybe 0) of the logits' dtype, or none."""
    classes = meta.shape[0 if meta.ndim == 1 else 1]
    shape = () if meta.ndim == 1 else meta.shape[:1] + meta.shape[2:]
    rng = np.random.default_rng(b.integer(0, 10**6))
    target = rng.integers(0, classes, size=shape)
    params: dict[str, Any] = {}
    how = b.choice(("default", "default", "class", "minus100", "all"))
    if how == "class":
        params["ignore_index"] = b.integer(0, classes - 1)
    elif how == "minus100":  # the default ignore_index, used by some targets
        target = np.where(rng.random(shape) < 0.4, -100, target)
    elif how == "all":
        params["ignore_index"] = b.choice((0, 5))
        target = np.full(shape, params["ignore_index"])
    return target, params | _class_weight(b, classes, meta)


def _class_weight(b: Builder, classes: int, meta: Meta) -> dict[str, Any]:
    if not b.flag(35):
        return {}
    rng = np.random.default_rng(b.integer(0, 10**6))
    weight = rng.uniform(0.1, 3.0, size=classes)
    if b.flag(25):
        weight[rng.integers(0, classes)] = 0.0
    return {"weight": weight.astype(meta.dtype)}


def draw_cross_entropy(b: Builder) -> Drawn:
    logits = b.operand(_has_classes, lambda: _class_leaf(b))
    meta = b.meta(logits)
    params = _reduction(b)
    if b.flag(40):
        params["label_smoothing"] = b.choice((0.1, 0.5, 1.0))
    if b.flag(55):  # class indices
        target, options = class_targets(b, meta)
        params.update(options, target=target, as_tensor=b.flag())
        return (logits,), params
    target = b.leaf(meta.shape, dtype=str(meta.dtype), kind="unit", requires_grad=b.flag(30))
    classes = meta.shape[0 if meta.ndim == 1 else 1]
    return (logits, target), params | _class_weight(b, classes, meta)


def _weight(lib: Lib, kw: dict[str, Any]) -> dict[str, Any]:
    """The drawn constant weights (arrays) as tensors of the library."""
    return {k: lib.const(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}


@op("cross_entropy", draw_cross_entropy)
def apply_cross_entropy(lib: Lib, x: Any, probs: Any = None, target: Any = None,
                        as_tensor: bool = True, **kw: Any) -> Any:
    if probs is not None:
        return lib.F.cross_entropy(x, probs, **_weight(lib, kw))
    return lib.F.cross_entropy(x, lib.index(np.asarray(target, np.int64), as_tensor),
                               **_weight(lib, kw))


def draw_nll(b: Builder) -> Drawn:
    x = b.operand(_has_classes, lambda: _class_leaf(b))
    target, options = class_targets(b, b.meta(x))
    return (x,), {"target": target, **options, **_reduction(b)}


@op("nll_loss", draw_nll)
def apply_nll(lib: Lib, x: Any, target: np.ndarray, **kw: Any) -> Any:
    return lib.F.nll_loss(x, lib.index(np.asarray(target, np.int64), True), **_weight(lib, kw))


def draw_pair_loss(kind: str, squash: bool = False, weight: str = ""
                   ) -> Callable[[Builder], Drawn]:
    """Input and target of one shape and dtype; ``weight``: "leaf" draws a third input of
    that shape (weighted mse/l1/huber: PyTorch differentiates it), "constants" draws
    constant ``weight`` / ``pos_weight`` arrays that broadcast to it (BCE)."""

    def draw(b: Builder) -> Drawn:
        x = b.operand()
        meta = b.meta(x)
        target = b.operand(lambda m: m.is_float and m.shape == meta.shape
                           and m.dtype == meta.dtype and kind == "values",
                           lambda: b.leaf(meta.shape, dtype=str(meta.dtype), kind=kind,
                                          requires_grad=b.flag(30)), reuse=30)
        params = _reduction(b)
        if squash:
            params["squash"] = b.choice(("sigmoid", "clamp", "none"))
        if weight == "leaf" and b.flag(30):
            w = b.leaf(meta.shape, dtype=str(meta.dtype), kind="positive",
                       requires_grad=b.flag(40))
            return (x, target, w), params
        if weight == "constants":
            rng = np.random.default_rng(b.integer(0, 10**6))
            names = ("weight", "pos_weight") if kind == "unit" and not squash else ("weight",)
            for name in names:
                if b.flag(30):
                    shape = meta.shape[b.integer(0, meta.ndim):]
                    shape = tuple(1 if b.flag(30) else n for n in shape)
                    params[name] = rng.uniform(0.0, 3.0, size=shape).astype(meta.dtype)
        return (x, target), params

    return draw


@op("mse_loss", draw_pair_loss("values", weight="leaf"))
def apply_mse(lib: Lib, x: Any, y: Any, w: Any = None, **kw: Any) -> Any:
    return lib.F.mse_loss(x, y, **kw) if w is None else lib.F.mse_loss(x, y, weight=w, **kw)


@op("l1_loss", draw_pair_loss("values", weight="leaf"))
def apply_l1(lib: Lib, x: Any, y: Any, w: Any = None, **kw: Any) -> Any:
    return lib.F.l1_loss(x, y, **kw) if w is None else lib.F.l1_loss(x, y, weight=w, **kw)


@op("binary_cross_entropy", draw_pair_loss("unit", squash=True, weight="constants"))
def apply_bce(lib: Lib, x: Any, y: Any, squash: str, weight: Any = None, **kw: Any) -> Any:
    """p = sigmoid(x) or clamp(x, 0, 1) (exact 0 and 1 then: the eps clip), or x itself when
    it already is a probability. With a weight, PyTorch's side is its per-element loss (its
    own or the documented clipped one, ``lib.bce``) times the weight, reduced: PyTorch's
    definition of the weighted loss, against our fused weighted node."""
    if squash == "sigmoid":
        x = x.sigmoid()
    elif squash == "clamp":
        x = x.clamp(0.0, 1.0)
    if weight is None:
        return lib.bce(x, y, **kw)
    if lib.name != "torch":
        return lib.F.binary_cross_entropy(x, y, weight=lib.const(weight), **kw)
    loss = lib.bce(x, y, reduction="none") * lib.const(weight)
    reduction = kw.get("reduction", "mean")
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


@op("bce_with_logits", draw_pair_loss("unit", weight="constants"))
def apply_bce_logits(lib: Lib, x: Any, y: Any, **kw: Any) -> Any:
    return lib.F.binary_cross_entropy_with_logits(x, y, **_weight(lib, kw))


@op("penalty", lambda b: ((b.operand(),), {"kind": b.choice(("l1", "l2")),
                                           "lam": b.choice((None, 0.5, 3.0))}))
def apply_penalty(lib: Lib, w: Any, kind: str, lam: float | None) -> Any:
    return lib.penalty(w, kind, lam)


# the layer families register their ops in their own files (each imports ``op`` from here)
from . import (  # noqa: E402, F401
    fuzz_ops_activations,
    fuzz_ops_arrange,
    fuzz_ops_conv,
    fuzz_ops_indexing,
    fuzz_ops_losses,
    fuzz_ops_misc,
    fuzz_ops_norm,
    fuzz_ops_pointwise,
    fuzz_ops_pooling,
    fuzz_ops_scans,
)

#: every op, each also the focus of its own test; the random steps around it come from these
RANDOM_OPS = tuple(sorted(OPS))
