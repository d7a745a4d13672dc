"""The fuzzer's pointwise ops (registered into ``fuzz_ops.OPS`` with its ``op`` decorator):
the trigonometric and hyperbolic functions, the exp/log variants, reciprocal/rsqrt, sinc,
logit, the rounding functions (zero gradients), the binary ones (atan2, hypot, logaddexp,
xlogy, copysign, fmod, remainder with ``%``, lerp with a number or a tensor weight,
float_power) and the constant tests (isnan... logical_*, bitwise_* on masks).

Each function of a restricted domain is drawn on raw values (NaN outside it, in both
libraries, and the edges: 0, +-1, inf) and, more often, on values mapped into it (``domain``:
|x| + 0.25 for log-like ones, tanh(x) * 0.9 for asin/acos/atanh, |x| + 1.25 for acosh,
sigmoid(x) * 0.8 + 0.1 for logit), so that gradients are numbers and compared as such.
Only method forms are drawn: the ``tg.`` function forms are another file's.

PyTorch's side differs in one place: ``sgn`` is compared with PyTorch's ``sign`` (the same
values and zero gradient for real tensors): PyTorch's own sgn backward hands out an immutable
ZeroTensor, and a second backward that accumulates into it raises inside PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .fuzz_ops import OPS, Drawn, OpSpec, op

if TYPE_CHECKING:
    from .fuzz_programs import Builder, Lib


def _into(x: Any, domain: str) -> Any:
    if domain == "positive":
        return x.abs() + 0.25
    if domain == "unit":  # (-0.9, 0.9)
        return x.tanh() * 0.9
    if domain == "above1":
        return x.abs() + 1.25
    if domain == "probability":
        return x.sigmoid() * 0.8 + 0.1
    return x


UNARY: dict[str, str] = {  # name -> the domain its inputs are mapped into (when drawn so)
    "sin": "", "cos": "", "tan": "unit", "asin": "unit", "acos": "unit", "atan": "",
    "arcsin": "unit", "arccos": "unit", "arctan": "",
    "sinh": "", "cosh": "", "asinh": "", "acosh": "above1", "atanh": "unit",
    "log1p": "positive", "expm1": "", "log2": "positive", "log10": "positive", "exp2": "",
    "reciprocal": "positive", "rsqrt": "positive", "sinc": "", "deg2rad": "", "rad2deg": "",
    "frac": "", "trunc": "", "fix": "", "floor": "", "ceil": "", "sgn": "", "negative": "",
    "positive": "", "absolute": "",
}


def draw_unary(domain: str) -> Callable[[Builder], Drawn]:
    def draw(b: Builder) -> Drawn:
        return (b.operand(),), {"domain": domain if domain and b.flag(70) else ""}

    return draw


def _unary(name: str) -> Callable[..., Any]:
    def apply(lib: Lib, x: Any, domain: str) -> Any:
        if name == "sgn" and lib.name == "torch":  # see the module docstring
            name_there = "sign"
        else:
            name_there = name
        return getattr(_into(x, domain), name_there)()

    return apply


for _name, _domain in UNARY.items():
    OPS[_name] = OpSpec(draw_unary(_domain), _unary(_name))


@op("round", lambda b: ((b.operand(),), {"decimals": b.choice((None, 0, 1, 2, -1))}))
def apply_round(lib: Lib, x: Any, decimals: int | None) -> Any:
    return x.round() if decimals is None else x.round(decimals=decimals)


def draw_logit(b: Builder) -> Drawn:
    return (b.operand(),), {"eps": b.choice((None, None, 0.0, 0.1, 0.25)),
                            "domain": b.choice(("probability", "probability", ""))}


@op("logit", draw_logit)
def apply_logit(lib: Lib, x: Any, eps: float | None, domain: str) -> Any:
    return _into(x, domain).logit(eps) if eps is not None else _into(x, domain).logit()


def draw_nan_to_num(b: Builder) -> Drawn:
    params = {"nan": b.choice((0.0, 1.5)), "posinf": b.choice((None, 3.0)),
              "neginf": b.choice((None, -3.0))}
    return (b.operand(),), params


@op("nan_to_num", draw_nan_to_num)
def apply_nan_to_num(lib: Lib, x: Any, nan: float, posinf: float | None,
                     neginf: float | None) -> Any:
    return x.nan_to_num(nan=nan, posinf=posinf, neginf=neginf)


def draw_clamp_side(b: Builder) -> Drawn:
    return (b.operand(),), {"bound": b.choice((-0.5, 0.0, 0.5, 1.0)), "low": b.flag()}


@op("clamp_side", draw_clamp_side)
def apply_clamp_side(lib: Lib, x: Any, bound: float, low: bool) -> Any:
    return x.clamp_min(bound) if low else x.clamp_max(bound)


# ---------------------------------------------------------------------- binary


def draw_pair(scalars: tuple[Any, ...] = (), domain: str = "") -> Callable[[Builder], Drawn]:
    """A float operand and a broadcastable partner (or a number from ``scalars``)."""

    def draw(b: Builder) -> Drawn:
        a = b.operand()
        params = {"domain": domain if domain and b.flag(70) else ""}
        if scalars and b.flag(30):
            return (a,), params | {"scalar": b.choice(scalars)}
        return (a, b.partner(b.meta(a).shape)), params | {"swap": b.flag(30)}

    return draw


def _pair(name: str) -> Callable[..., Any]:
    def apply(lib: Lib, a: Any, other: Any = None, domain: str = "", scalar: Any = None,
              swap: bool = False) -> Any:
        if other is None:
            return getattr(a, name)(scalar)
        if swap:
            a, other = other, a
        if name == "xlogy":
            other = _into(other, domain)
        return getattr(a, name)(other)

    return apply


for _name, _scalars, _domain in (
        ("atan2", (), ""), ("arctan2", (), ""), ("hypot", (), ""), ("logaddexp", (), ""),
        ("xlogy", (2.0, 0.5), "positive"), ("copysign", (-1.0, 0.0, 2.0), ""),
        ("fmod", (0.5, -1.5, 2), ""), ("remainder", (0.5, -1.5, 2), ""),
        ("true_divide", (2.0, -0.5), ""), ("float_power", (2, 0.5, -1.0), "")):
    OPS[_name] = OpSpec(draw_pair(_scalars, _domain), _pair(_name))


@op("mod_operator", draw_pair((0.5, -1.5, 2)))
def apply_mod_operator(lib: Lib, a: Any, other: Any = None, domain: str = "",
                       scalar: Any = None, swap: bool = False) -> Any:
    if other is None:
        return 3.0 % a if swap else a % scalar
    return other % a if swap else a % other


def draw_lerp(b: Builder) -> Drawn:
    a = b.operand()
    shape, dtype = b.meta(a).shape, str(b.meta(a).dtype)
    end = b.leaf(b.partner_shape(shape), dtype=dtype)
    if b.flag(40):
        return (a, end, b.leaf(b.partner_shape(shape), dtype=dtype)), {}
    return (a, end), {"weight": b.choice((0.0, 0.25, 0.5, 0.75, 1.0, -0.5, 1.5))}


@op("lerp", draw_lerp)
def apply_lerp(lib: Lib, a: Any, end: Any, weight: Any = None) -> Any:
    return a.lerp(end, weight)


# ---------------------------------------------------------------------- constant tests


TESTS = ("isnan", "isinf", "isfinite", "isposinf", "isneginf", "isreal", "signbit",
         "logical_not")


@op("float_test", lambda b: ((b.operand(),), {"name": b.choice(TESTS)}))
def apply_float_test(lib: Lib, x: Any, name: str) -> Any:
    return getattr(x, name)()


def draw_logical(b: Builder) -> Drawn:
    a = b.operand()
    return (a, b.partner(b.meta(a).shape)), {"name": b.choice((
        "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
        "and", "or", "xor", "invert"))}


@op("logical", draw_logical)
def apply_logical(lib: Lib, a: Any, other: Any, name: str) -> Any:
    if name.startswith("logical"):
        return getattr(a, name)(other)
    p, q = a > 0, other > 0  # bitwise ops on masks (PyTorch refuses floats)
    if name == "invert":
        return ~p
    if name in ("and", "or", "xor"):
        return p & q if name == "and" else (p | q if name == "or" else p ^ q)
    return getattr(p, name)(q)
