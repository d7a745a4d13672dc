"""The fuzzer's conv ops (registered into ``fuzz_ops.OPS`` with its ``op`` decorator):
conv1d, conv2d, conv_transpose1d, conv_transpose2d, unfold and fold.

Each takes a stack value of a fitting rank (batched or unbatched) when there is one, else a
new leaf (N, C, *spatial) with small sides; weight and bias are new leaves of the input's
dtype. Options: stride (also larger than the kernel), padding (ints, 'same', 'valid'),
dilation, groups (depthwise too), output_padding, no bias. Steps PyTorch rejects (a kernel
larger than the padded input...) are dropped by the builder.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .fuzz_ops import Drawn, op

if TYPE_CHECKING:
    from .fuzz_programs import Builder, Meta


def _image(b: Builder, nd: int, batched_only: bool = False) -> int:
    """A float stack value of rank nd + 2 (or nd + 1: unbatched) with no empty dim, or a new
    leaf (N, C, *spatial)."""
    def fits(m: Meta) -> bool:
        ranks = (nd + 2,) if batched_only else (nd + 1, nd + 2)
        return m.is_float and m.ndim in ranks and 0 not in m.shape and m.numel <= 64

    def make() -> int:
        spatial = tuple(b.choice((1, 2, 3, 4, 5)) for _ in range(nd))
        lead = (b.choice((1, 2)),) if batched_only or b.flag(80) else ()
        return b.leaf(lead + (b.choice((1, 2, 3)),) + spatial)

    return b.operand(fits, make, reuse=40)


def _ints(b: Builder, nd: int, low: int, high: int) -> Any:
    values = tuple(b.integer(low, high) for _ in range(nd))
    return values[0] if len(set(values)) == 1 and b.flag() else values


def _groups(b: Builder, channels: int) -> int:
    options = [g for g in (1, 2, 3) if channels % g == 0]
    return b.choice(options + [1])


def _conv_like(b: Builder, nd: int, transposed: bool) -> Drawn:
    x = _image(b, nd)
    meta = b.meta(x)
    channels = meta.shape[-nd - 1]
    groups = _groups(b, channels)
    kernel = tuple(b.choice((1, 2, 3)) for _ in range(nd))
    out_per_group = b.choice((1, 2))
    if transposed:
        weight_shape = (channels, out_per_group) + kernel
    else:
        weight_shape = (groups * out_per_group, channels // groups) + kernel
    weight = b.leaf(weight_shape, dtype=str(meta.dtype))
    params: dict[str, Any] = {"stride": _ints(b, nd, 1, 3), "dilation": _ints(b, nd, 1, 2),
                              "groups": groups}
    if transposed:
        params["padding"] = _ints(b, nd, 0, 1)
        stride = params["stride"] if isinstance(params["stride"], tuple) else (
            params["stride"],) * nd
        dilation = params["dilation"] if isinstance(params["dilation"], tuple) else (
            params["dilation"],) * nd
        params["output_padding"] = tuple(b.integer(0, max(s, d) - 1)
                                         for s, d in zip(stride, dilation, strict=True))
    else:
        form = b.choice(("ints", "ints", "same", "valid"))
        params["padding"] = _ints(b, nd, 0, 2) if form == "ints" else form
        if form == "same":
            params["stride"] = 1
    if b.flag(60):
        bias = b.leaf((weight_shape[1] * groups if transposed else weight_shape[0],),
                      dtype=str(meta.dtype))
        return (x, weight, bias), params
    return (x, weight), params


def _apply(name: str) -> Any:
    def apply(lib: Any, x: Any, w: Any, bias: Any = None, **params: Any) -> Any:
        return getattr(lib.F, name)(x, w, bias, **params)

    return apply


for _nd in (1, 2):
    op(f"conv{_nd}d", lambda b, nd=_nd: _conv_like(b, nd, False))(_apply(f"conv{_nd}d"))
    op(f"conv_transpose{_nd}d", lambda b, nd=_nd: _conv_like(b, nd, True))(
        _apply(f"conv_transpose{_nd}d"))


def _window_params(b: Builder) -> dict[str, Any]:
    return {"kernel_size": _ints(b, 2, 1, 3), "dilation": _ints(b, 2, 1, 2),
            "padding": _ints(b, 2, 0, 1), "stride": _ints(b, 2, 1, 3)}


def _pair(v: Any) -> tuple[int, int]:
    return v if isinstance(v, tuple) else (v, v)


def draw_unfold(b: Builder) -> Drawn:
    return (_image(b, 2),), _window_params(b)


@op("unfold", draw_unfold)
def apply_unfold(lib: Any, x: Any, **params: Any) -> Any:
    return lib.F.unfold(x, **params)


def draw_fold(b: Builder) -> Drawn:
    """Columns that fit: (N, C k k, L) for a drawn output size (or an unfold's output)."""
    params = _window_params(b)
    (kh, kw), (dh, dw) = _pair(params["kernel_size"]), _pair(params["dilation"])
    (ph, pw), (sh, sw) = _pair(params["padding"]), _pair(params["stride"])
    size = (b.choice((2, 3, 4, 5)), b.choice((2, 3, 4, 5)))
    blocks = [(n + 2 * p - d * (k - 1) - 1) // s + 1 for n, p, d, k, s
              in zip(size, (ph, pw), (dh, dw), (kh, kw), (sh, sw), strict=True)]
    length = math.prod(max(n, 0) for n in blocks)
    lead = (b.choice((1, 2)),) if b.flag(80) else ()
    cols = b.operand(lambda m: m.is_float and m.shape[-2:] == (kh * kw, length)
                     and m.ndim == len(lead) + 2,
                     lambda: b.leaf(lead + (b.choice((1, 2)) * kh * kw, length)), reuse=40)
    return (cols,), dict(params, output_size=size)


@op("fold", draw_fold)
def apply_fold(lib: Any, cols: Any, output_size: Any, **params: Any) -> Any:
    return lib.F.fold(cols, output_size, **params)
