"""The fuzzer's pooling ops (registered into ``fuzz_ops.OPS`` with its ``op`` decorator):
max_pool1d, max_pool2d, max_pool2d_indices (return_indices: the int64 indices join the
stack), avg_pool1d, avg_pool2d, adaptive_avg_pool1d, adaptive_avg_pool2d,
adaptive_max_pool1d and adaptive_max_pool2d (with its indices).

Each takes a stack value of a fitting rank (batched or unbatched, no empty non-batch dim)
when there is one, else a new leaf with small sides (whose values have ties in many
programs: the builder's "ties" and "mixed" leaves). Options: kernel 1-3 (ints or tuples),
stride omitted (often: the tiled fast path), equal to or larger than the kernel, padding up
to half the kernel, dilation, ceil_mode, count_include_pad, divisor_override; adaptive sizes
that divide the input or not, larger than it, None entries. Steps PyTorch rejects (a window
larger than the padded input...) are dropped by the builder.

Kept out, as documented differences (tests/nn/test_pooling.py checks them directly): a
max-pool window that the dilation makes miss the input (PyTorch adds its gradient to an
element outside it), and adaptive output sizes 0 (PyTorch's backward refuses them; ours
gives zeros).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .fuzz_ops import Drawn, op

if TYPE_CHECKING:
    from .fuzz_programs import Builder, Lib, Meta


def _image(b: Builder, nd: int) -> int:
    """A float stack value of rank nd + 1 (unbatched) or nd + 2 whose non-batch dims are
    not empty, or a new leaf."""
    def fits(m: Meta) -> bool:
        return (m.is_float and m.ndim in (nd + 1, nd + 2) and 0 not in m.shape[m.ndim - nd - 1:]
                and m.numel <= 64)

    def make() -> int:
        spatial = tuple(b.choice((1, 2, 3, 4, 5)) for _ in range(nd))
        lead = (b.choice((0, 1, 2, 2)),) if b.flag(75) else ()
        return b.leaf(lead + (b.choice((1, 2, 3)),) + spatial)

    return b.operand(fits, make, reuse=40)


def _form(b: Builder, values: tuple[int, ...]) -> Any:
    return values[0] if len(set(values)) == 1 and b.flag() else values


def _misses_input(n: int, k: int, s: int, p: int, d: int, ceil: bool) -> bool:
    """Some window along this dim holds no input element (the dilation jumps over it)."""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= n + p:
        out -= 1
    return any(not any(0 <= i * s - p + t * d < n for t in range(k)) for i in range(out))


def _window(b: Builder, nd: int, kind: str) -> Drawn:
    x = _image(b, nd)
    sizes = b.meta(x).shape[-nd:]
    kernel = tuple(b.choice((1, 2, 2, 3)) for _ in range(nd))
    params: dict[str, Any] = {"kernel_size": _form(b, kernel), "ceil_mode": b.flag(40)}
    if b.flag(35):  # tiled (stride = kernel) unless padding or dilation come in
        return (x,), params
    stride = tuple(b.choice((1, 2, 3, 4)) for _ in range(nd))
    padding = tuple(b.integer(0, k // 2) for k in kernel)
    params.update(stride=_form(b, stride), padding=_form(b, padding))
    if kind == "max":
        dilation = tuple(b.choice((1, 1, 2)) for _ in range(nd))
        if any(_misses_input(n, k, s, p, d, params["ceil_mode"]) for n, k, s, p, d in
               zip(sizes, kernel, stride, padding, dilation, strict=True)):
            dilation = (1,) * nd
        params["dilation"] = _form(b, dilation)
    else:
        params["count_include_pad"] = b.flag()
        if nd == 2 and b.flag(25):
            params["divisor_override"] = b.choice((1, 2, 3, -2))
    return (x,), params


def _apply(name: str) -> Any:
    def apply(lib: Lib, x: Any, **params: Any) -> Any:
        return getattr(lib.F, name)(x, **params)

    return apply


for _nd in (1, 2):
    op(f"max_pool{_nd}d", lambda b, nd=_nd: _window(b, nd, "max"))(_apply(f"max_pool{_nd}d"))
    op(f"avg_pool{_nd}d", lambda b, nd=_nd: _window(b, nd, "avg"))(_apply(f"avg_pool{_nd}d"))


@op("max_pool2d_indices", lambda b: _window(b, 2, "max"), outputs=2)
def apply_max_pool2d_indices(lib: Lib, x: Any, **params: Any) -> Any:
    out, index = lib.F.max_pool2d(x, return_indices=True, **params)
    return out, index


def _adaptive(b: Builder, nd: int) -> Drawn:
    x = _image(b, nd)
    sizes = tuple(b.choice((1, 2, 3, 4, 6)) for _ in range(nd))
    if nd == 2 and b.flag(25):
        sizes = (None, sizes[1]) if b.flag() else (sizes[0], None)  # type: ignore[assignment]
    return (x,), {"output_size": sizes[0] if len(set(sizes)) == 1 and b.flag() else sizes}


for _nd in (1, 2):
    op(f"adaptive_avg_pool{_nd}d", lambda b, nd=_nd: _adaptive(b, nd))(
        _apply(f"adaptive_avg_pool{_nd}d"))
op("adaptive_max_pool1d", lambda b: _adaptive(b, 1))(_apply("adaptive_max_pool1d"))


@op("adaptive_max_pool2d", lambda b: _adaptive(b, 2), outputs=2)
def apply_adaptive_max_pool2d(lib: Lib, x: Any, **params: Any) -> Any:
    out, index = lib.F.adaptive_max_pool2d(x, return_indices=True, **params)
    return out, index
