"""The fuzzer's reductions and scans (registered into ``fuzz_ops.OPS`` with its ``op``
decorator): prod (all elements or one dim), cumsum, cumprod, logcumsumexp, cummax/cummin
(values and indices), norm (p = 'fro', 2, 1, 3, 0.5, 0, +-inf over dims), median (all
elements; along a dim), nanmedian and kthvalue along a dim, nansum, nanmean, aminmax,
std_mean/var_mean, diff (with prepend/append), trace, and the constant all/any/count_nonzero.

The values come with ties, zeros (prod and cumprod's rules with one zero and with several)
and, in some programs, NaN and +-inf. Two things are drawn so that the result is defined:

* median/kthvalue/nanmedian along a dim: on ties PyTorch's index comes from an unstable
  ``nth_element`` (which of equal values it returns is not specified), so ties are broken
  first by adding distinct multiples of 1e-3 in both libraries; +-inf become +-10 (a clamp)
  and, for kthvalue and nanmedian, NaN becomes 0 (PyTorch's choice between several NaNs is
  as unspecified). median keeps its NaNs: the first NaN's index is returned, in both.
* std_mean/var_mean are functions only in PyTorch (``torch.std_mean(x, ...)``); ours are
  also methods, which the fuzzer calls. The mean is compared with PyTorch's ``mean``:
  ``torch.var_mean``'s Welford mean turns into NaN with an inf element, depending on the
  element order ([inf, 0.5] gives NaN, [0.5, inf] inf), where ``mean`` (and ours) is inf.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .fuzz_ops import Drawn, op

if TYPE_CHECKING:
    from .fuzz_programs import Builder, Lib


def _dim_or_none(b: Builder, ndim: int) -> Any:
    return None if b.flag(35) else b.dim(ndim)


# ---------------------------------------------------------------------- prod, norms, tests


def draw_prod(b: Builder) -> Drawn:
    x = b.operand()
    ndim = b.meta(x).ndim
    dim = _dim_or_none(b, ndim)
    return (x,), {"dim": dim, "keepdim": b.flag() if dim is not None else False}


@op("prod", draw_prod)
def apply_prod(lib: Lib, x: Any, dim: Any, keepdim: bool) -> Any:
    return x.prod() if dim is None else x.prod(dim, keepdim=keepdim)


NORM_P = ("fro", 2, 2.0, 1, 3, 0.5, 0, float("inf"), float("-inf"), None)


def draw_norm(b: Builder) -> Drawn:
    x = b.operand()
    ndim = b.meta(x).ndim
    p = b.choice(NORM_P)
    dim = b.dims(ndim)
    if p == "fro" and isinstance(dim, (tuple, list)) and len(dim) > 2:
        dim = dim[:2]
    if isinstance(dim, list):
        dim = tuple(dim)
    if dim == ():
        dim = None
    return (x,), {"p": p, "dim": dim, "keepdim": b.flag()}


@op("norm", draw_norm)
def apply_norm(lib: Lib, x: Any, p: Any, dim: Any, keepdim: bool) -> Any:
    if p is None:
        return x.norm()
    return x.norm(p, dim, keepdim)


def draw_test(b: Builder) -> Drawn:
    x = b.operand(lambda m: True)
    name = b.choice(("all", "any", "count_nonzero"))
    dim = b.dims(b.meta(x).ndim)
    if isinstance(dim, list):
        dim = tuple(dim)
    params: dict[str, Any] = {"name": name, "dim": dim}
    if name != "count_nonzero":
        params["keepdim"] = b.flag()
    return (x,), params


@op("all_any", draw_test)
def apply_test(lib: Lib, x: Any, name: str, dim: Any, keepdim: bool | None = None) -> Any:
    if dim is None:
        return getattr(x, name)()
    if keepdim is None:
        return getattr(x, name)(dim)
    return getattr(x, name)(dim, keepdim)


# ---------------------------------------------------------------------- scans


def draw_scan(b: Builder) -> Drawn:
    x = b.operand()
    return (x,), {"dim": b.dim(b.meta(x).ndim), "name": b.choice((
        "cumsum", "cumsum", "cumprod", "cumprod", "logcumsumexp"))}


@op("scan", draw_scan)
def apply_scan(lib: Lib, x: Any, dim: int, name: str) -> Any:
    return getattr(x, name)(dim)


def draw_running(b: Builder) -> Drawn:
    x = b.operand()
    return (x,), {"dim": b.dim(b.meta(x).ndim), "smallest": b.flag()}


@op("cummax", draw_running, outputs=2)
def apply_running(lib: Lib, x: Any, dim: int, smallest: bool) -> Any:
    values, indices = (x.cummin if smallest else x.cummax)(dim)
    return values, indices


def draw_diff(b: Builder) -> Drawn:
    x = b.operand(lambda m: m.is_float and m.ndim >= 1, lambda: b.leaf(b.shape(1, 3)))
    meta = b.meta(x)
    dim = b.dim(meta.ndim)
    args = [x]
    params: dict[str, Any] = {"n": b.choice((1, 1, 2, 0, 3)), "dim": dim}
    for name in ("prepend", "append"):
        if b.flag(25):
            shape = list(meta.shape)
            shape[dim % meta.ndim] = b.choice((1, 2))
            args.append(b.leaf(tuple(shape), dtype=str(meta.dtype)))
            params[name] = True
    return tuple(args), params


@op("diff", draw_diff)
def apply_diff(lib: Lib, x: Any, *extra: Any, n: int, dim: int, prepend: bool = False,
               append: bool = False) -> Any:
    parts = list(extra)
    kw = {}
    if prepend:
        kw["prepend"] = parts.pop(0)
    if append:
        kw["append"] = parts.pop(0)
    return x.diff(n, dim, **kw)


@op("trace", lambda b: ((b.operand(lambda m: m.is_float and m.ndim == 2,
                                    lambda: b.leaf((b.side(), b.side()))),), {}))
def apply_trace(lib: Lib, x: Any) -> Any:
    return x.trace()


# ---------------------------------------------------------------------- NaN-aware, pairs


def draw_nan_reduce(b: Builder) -> Drawn:
    x = b.operand()
    dim = b.dims(b.meta(x).ndim)
    if isinstance(dim, list):
        dim = tuple(dim)
    return (x,), {"name": b.choice(("nansum", "nanmean")), "dim": dim, "keepdim": b.flag()}


@op("nansum", draw_nan_reduce)
def apply_nan_reduce(lib: Lib, x: Any, name: str, dim: Any, keepdim: bool) -> Any:
    return getattr(x, name)(dim, keepdim)


def draw_aminmax(b: Builder) -> Drawn:
    x = b.operand()
    return (x,), {"dim": _dim_or_none(b, b.meta(x).ndim), "keepdim": b.flag()}


@op("aminmax", draw_aminmax, outputs=2)
def apply_aminmax(lib: Lib, x: Any, dim: Any, keepdim: bool) -> Any:
    low, high = x.aminmax(dim=dim, keepdim=keepdim) if dim is not None else x.aminmax()
    return low, high


def draw_moments(b: Builder) -> Drawn:
    x = b.operand()
    dim = b.dims(b.meta(x).ndim)
    if isinstance(dim, list) or dim == ():
        dim = None if dim == () else tuple(dim)
    return (x,), {"name": b.choice(("std_mean", "var_mean")), "dim": dim,
                  "correction": b.choice((None, 0, 1, 2)), "keepdim": b.flag()}


@op("std_mean", draw_moments, outputs=2)
def apply_moments(lib: Lib, x: Any, name: str, dim: Any, correction: int | None,
                  keepdim: bool) -> Any:
    kw: dict[str, Any] = {"keepdim": keepdim}
    if correction is not None:
        kw["correction"] = correction
    if lib.name != "torch":
        return getattr(x, name)(dim, **kw)
    spread, _ = getattr(lib.mod, name)(x, dim, **kw)
    return spread, x.mean(dim, keepdim=keepdim)  # (see the module docstring)


# ---------------------------------------------------------------------- order statistics


def _untied(lib: Lib, x: Any, nan_to: float | None) -> Any:
    """x with ties broken (distinct multiples of 1e-3 added), +-inf as +-10, NaN as
    ``nan_to`` (kept if None); see the module docstring."""
    offsets = (np.arange(int(np.prod(x.shape))) * 1e-3).reshape(tuple(x.shape))
    x = x.clamp(-10.0, 10.0)
    if nan_to is not None:
        x = x.nan_to_num(nan=nan_to)
    return x + lib.const(offsets.astype(np.float32 if x.dtype == lib.float32 else np.float64))


def draw_median(b: Builder) -> Drawn:
    x = b.operand()
    ndim = b.meta(x).ndim
    name = b.choice(("median", "median", "nanmedian", "kthvalue"))
    params: dict[str, Any] = {"name": name, "dim": b.dim(ndim), "keepdim": b.flag(),
                              "whole": name == "median" and b.flag(30)}
    if name == "kthvalue":
        shape = b.meta(x).shape
        size = shape[params["dim"] % ndim] if ndim else 1
        params["k"] = b.integer(1, max(size, 1))
    return (x,), params


@op("median", draw_median, outputs=2)
def apply_median(lib: Lib, x: Any, name: str, dim: int, keepdim: bool, whole: bool,
                 k: int = 1) -> Any:
    if whole:  # of all elements: ties share the gradient (deterministic), raw values
        return x.median(), x.median()
    x = _untied(lib, x, None if name == "median" else 0.0)
    if name == "kthvalue":
        values, indices = x.kthvalue(k, dim, keepdim)
    else:
        values, indices = getattr(x, name)(dim, keepdim)
    return values, indices
