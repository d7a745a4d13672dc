"""The fuzzer's activations ops (registered into ``fuzz_ops.OPS`` with its ``op`` decorator):
gelu (both approximations), silu, elu, selu, celu, softplus, relu6, hardtanh, hardswish,
hardsigmoid, mish, logsigmoid, softsign, tanhshrink, softmin and prelu, each with its options
drawn (alpha, beta and threshold where the programs' values cross it, bounds on the values'
ties, a shared or per-channel PReLU weight, positional or keyword arguments, ``inplace``),
as functions or as modules. ``inplace=True`` reaches our side only (ours computes out of
place, as documented; PyTorch's in-place forms refuse leaves that require grad).

PyTorch's side differs on purpose in three places (tests/nn/test_activations.py shows each
difference directly):

* hardtanh, relu6, hardswish and the ELUs run on a copy padded to 64 elements, so that every
  element takes PyTorch's vectorized loop: its scalar loop, which takes a tensor's last few
  elements, gives another gradient at NaN inputs (the gradient itself, where the vectorized
  loop gives 0 for hardtanh and NaN for the others). We follow the vectorized loop.
* hardsigmoid is PyTorch's hardtanh(x + 3, 0, 6) / 6 (padded as above): PyTorch's float64
  hardsigmoid derivative is float32's 1/6 (3e-8 off), and PyTorch has no second derivative of
  hardsigmoid at all.
* celu's alpha is drawn from values exact in float32: PyTorch's CELU derivative rounds 1/alpha
  through float32, also in float64.
* prelu is PyTorch's where(x > 0, x, w where(x > 0, 0, x)), which has its prelu's values and
  gradients (also at NaN and inf). At x = 0 the second derivative of PyTorch's prelu takes
  the x >= 0 side while its gradient takes the x < 0 side: the gradient's derivative in the
  incoming gradient is 1 there where the gradient itself is w * grad. Ours is w, the
  derivative of the gradient it computes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .fuzz_ops import Drawn, op

if TYPE_CHECKING:
    from .fuzz_programs import Builder, Lib


def _vectorized(lib: Lib, x: Any, f: Callable[[Any], Any]) -> Any:
    """f(x); on PyTorch through a padded copy (see the module docstring)."""
    if lib.name != "torch":
        return f(x)
    n = x.numel()
    padded = lib.mod.cat([x.reshape(-1), lib.mod.zeros(64 - n % 64, dtype=x.dtype)])
    return f(padded)[:n].reshape(x.shape)


def _plain(b: Builder, **options: tuple[Any, ...]) -> Drawn:
    """One float operand; each option a value of its tuple, None meaning "left out"."""
    params = {k: b.choice(v) for k, v in options.items()}
    params["form"] = b.choice(("F", "F", "module"))
    return (b.operand(),), {k: v for k, v in params.items() if v is not None}


def _call(lib: Lib, x: Any, fn: str, module: str, form: str, args: tuple[Any, ...] = (),
          **kwargs: Any) -> Any:
    if lib.name == "torch":  # ours computes out of place whatever ``inplace`` says: so does
        kwargs.pop("inplace", None)  # PyTorch's side (in place it refuses leaves, and more)
    if form == "module":
        return getattr(lib.mod.nn, module)(*args, **kwargs)(x)
    return getattr(lib.F, fn)(x, *args, **kwargs)


INPLACE = (None, False, True)


@op("gelu", lambda b: _plain(b, approximate=(None, "none", "tanh", "tanh")))
def apply_gelu(lib: Lib, x: Any, form: str, **kw: Any) -> Any:
    return _call(lib, x, "gelu", "GELU", form, **kw)


@op("silu", lambda b: _plain(b, inplace=INPLACE))
def apply_silu(lib: Lib, x: Any, form: str, **kw: Any) -> Any:
    return _call(lib, x, "silu", "SiLU", form, **kw)


@op("mish", lambda b: _plain(b, inplace=INPLACE))
def apply_mish(lib: Lib, x: Any, form: str, **kw: Any) -> Any:
    return _call(lib, x, "mish", "Mish", form, **kw)


@op("elu", lambda b: _plain(b, alpha=(None, 1.0, 0.5, 2.0, -0.7, 0.0), inplace=INPLACE))
def apply_elu(lib: Lib, x: Any, form: str, **kw: Any) -> Any:
    return _vectorized(lib, x, lambda v: _call(lib, v, "elu", "ELU", form, **kw))


@op("selu", lambda b: _plain(b, inplace=INPLACE))
def apply_selu(lib: Lib, x: Any, form: str, **kw: Any) -> Any:
    return _vectorized(lib, x, lambda v: _call(lib, v, "selu", "SELU", form, **kw))


@op("celu", lambda b: _plain(b, alpha=(None, 1.0, 0.5, 2.5, -1.5, 0.75), inplace=INPLACE))
def apply_celu(lib: Lib, x: Any, form: str, **kw: Any) -> Any:
    return _vectorized(lib, x, lambda v: _call(lib, v, "celu", "CELU", form, **kw))


@op("softplus", lambda b: _plain(b, beta=(None, 1.0, 2.0, 0.5, -1.0, 3),
                                 threshold=(None, 20.0, 1.0, 0.5, 2)))
def apply_softplus(lib: Lib, x: Any, form: str, **kw: Any) -> Any:
    return _call(lib, x, "softplus", "Softplus", form, **kw)


@op("relu6", lambda b: _plain(b, inplace=INPLACE))
def apply_relu6(lib: Lib, x: Any, form: str, **kw: Any) -> Any:
    return _vectorized(lib, x, lambda v: _call(lib, v, "relu6", "ReLU6", form, **kw))


BOUNDS = ((None, None), (-1.0, 1.0), (-0.5, 0.5), (0.0, 1.0), (-2.0, 0.5), (0.5, 2.0))


def draw_hardtanh(b: Builder) -> Drawn:
    low, high = b.choice(BOUNDS)
    params: dict[str, Any] = {"form": b.choice(("F", "F", "module")), "keyword": b.flag()}
    if low is not None:
        params["bounds"] = (low, high)
    return (b.operand(),), params


@op("hardtanh", draw_hardtanh)
def apply_hardtanh(lib: Lib, x: Any, form: str, keyword: bool,
                   bounds: tuple[float, float] | None = None) -> Any:
    if bounds is None:
        args: tuple[Any, ...] = ()
        kw: dict[str, Any] = {}
    else:
        args, kw = ((), {"min_val": bounds[0], "max_val": bounds[1]}) if keyword else (bounds,
                                                                                      {})
    return _vectorized(lib, x, lambda v: _call(lib, v, "hardtanh", "Hardtanh", form, args,
                                               **kw))


@op("hardswish", lambda b: _plain(b, inplace=INPLACE))
def apply_hardswish(lib: Lib, x: Any, form: str, **kw: Any) -> Any:
    return _vectorized(lib, x, lambda v: _call(lib, v, "hardswish", "Hardswish", form, **kw))


@op("hardsigmoid", lambda b: _plain(b, inplace=INPLACE))
def apply_hardsigmoid(lib: Lib, x: Any, form: str, **kw: Any) -> Any:
    if lib.name == "torch":  # see the module docstring
        return _vectorized(lib, x, lambda v: lib.F.hardtanh(v + 3, 0.0, 6.0) / 6)
    return _call(lib, x, "hardsigmoid", "Hardsigmoid", form, **kw)


@op("logsigmoid", lambda b: _plain(b))
def apply_logsigmoid(lib: Lib, x: Any, form: str) -> Any:
    return _call(lib, x, "logsigmoid", "LogSigmoid", form)


@op("softsign", lambda b: _plain(b))
def apply_softsign(lib: Lib, x: Any, form: str) -> Any:
    return _call(lib, x, "softsign", "Softsign", form)


@op("tanhshrink", lambda b: _plain(b))
def apply_tanhshrink(lib: Lib, x: Any, form: str) -> Any:
    return _call(lib, x, "tanhshrink", "Tanhshrink", form)


def draw_softmin(b: Builder) -> Drawn:
    x = b.operand()
    return (x,), {"dim": b.dim(b.meta(x).ndim), "form": b.choice(("F", "F", "module")),
                  "keyword": b.flag()}


@op("softmin", draw_softmin)
def apply_softmin(lib: Lib, x: Any, dim: int, form: str, keyword: bool) -> Any:
    if form == "module":
        return lib.mod.nn.Softmin(dim)(x)
    return lib.F.softmin(x, dim=dim) if keyword else lib.F.softmin(x, dim)


def draw_prelu(b: Builder) -> Drawn:
    x = b.operand()
    meta = b.meta(x)
    channels = meta.shape[1] if meta.ndim >= 2 and b.flag(60) else 1
    shape = (channels,) if channels != 1 or b.flag(80) else ()
    weight = b.leaf(shape, dtype=str(meta.dtype))
    return (x, weight), {}


@op("prelu", draw_prelu)
def apply_prelu(lib: Lib, x: Any, weight: Any) -> Any:
    if lib.name == "torch":  # see the module docstring
        w = weight.reshape((-1,) + (1,) * (x.ndim - 2)) if weight.numel() != 1 else weight
        negative = lib.mod.where(x > 0, 0.0, x)  # w * x where x <= 0, selected (no inf * 0)
        return lib.mod.where(x > 0, x, w * negative).reshape(x.shape)  # (0-d stays 0-d)
    return lib.F.prelu(x, weight)
