"""The fuzzer's misc ops (registered into ``fuzz_ops.OPS`` with its ``op`` decorator):
pad_modes (F.pad's reflect, replicate and circular modes, negative widths included),
embedding, normalize and dropout2d (with dropout1d/dropout3d: the deterministic forms).

* ``pad_modes``: a stack value with one or two dims more than the 1-3 padded ones (PyTorch's
  rule), widths drawn in each mode's range (reflect < size, circular <= size left after the
  other side's crop); steps PyTorch rejects are dropped by the builder. The constant mode is
  the ``pad`` op of fuzz_ops.py.
* ``embedding``: the weight is a 2-D float stack value or a new leaf; the indices (int64 or
  int32, 0-3 dims) are constants; padding_idx None, first, last or negative. Kept out, as
  documented differences (tests/nn/test_layers_more.py checks them directly): repeated
  indices with ``scale_grad_by_freq`` (PyTorch's double backward forgets the 1 / count, so
  with it the indices are drawn distinct) and empty lookups (PyTorch's double backward fails
  on them).
* ``normalize``: p 1, 2, 3, +-inf on raw values (zeros and zero vectors included), and also
  0.5 and 1.5 on values kept away from 0 (``safe``: |x| + 0.25). At a zero vector PyTorch's
  second derivative of the 2-norm is NaN and ours is that of x / eps; so for p = 2 on raw
  values PyTorch's side is F.normalize written with the same selected branch (equal to
  F.normalize in value and first derivative everywhere, which the tests compare directly).
* ``dropout2d``: masks are random (ours from NumPy, PyTorch's from its generator), so only
  the deterministic forms are fuzzed: p = 0, p = 1 (x * 0: NaN stays NaN) and eval mode, for
  dropout1d (3-D input), dropout2d (any rank: other ranks warn, as PyTorch) and dropout3d
  (5-D input).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .fuzz_ops import Drawn, op

if TYPE_CHECKING:
    from .fuzz_programs import Builder, Lib, Meta


# ---------------------------------------------------------------------- pad modes


def draw_pad_modes(b: Builder) -> Drawn:
    mode = b.choice(("reflect", "replicate", "circular"))
    k = b.choice((1, 1, 2, 2, 3))

    def fits(m: Meta) -> bool:
        return (m.is_float and m.ndim in (k + 1, k + 2) and m.numel <= 48
                and 0 not in m.shape[m.ndim - k - 1:])

    def make() -> int:
        lead = (b.choice((0, 1, 2)),) if b.flag() else ()
        return b.leaf(lead + (b.choice((1, 2)),) + tuple(b.choice((1, 2, 3, 4))
                                                         for _ in range(k)))

    x = b.operand(fits, make, reuse=40)
    shape = b.meta(x).shape
    widths: list[int] = []
    for axis in range(len(shape) - 1, len(shape) - 1 - k, -1):
        n = shape[axis]
        top = n - 1 if mode == "reflect" else (n if mode == "circular" else 3)
        low = -(n - 1) if b.flag(25) else 0
        before = b.integer(low, top)
        after = b.integer(max(low, -(n - 1) - min(before, 0)), top)
        kept = n - max(-before, 0) - max(-after, 0)
        if mode == "circular" and (before > kept or after > kept):
            # a wrap longer than what the crop leaves: PyTorch returns uninitialised memory
            # there (an overlapping copy), we raise; so no crop in that case
            before, after = max(before, 0), max(after, 0)
        widths += [before, after]
    return (x,), {"pad": tuple(widths), "mode": mode, "keyword": b.flag()}


@op("pad_modes", draw_pad_modes)
def apply_pad_modes(lib: Lib, x: Any, pad: tuple[int, ...], mode: str, keyword: bool) -> Any:
    return lib.F.pad(x, pad, mode=mode) if keyword else lib.F.pad(x, pad, mode)


# ---------------------------------------------------------------------- embedding


def draw_embedding(b: Builder) -> Drawn:
    w = b.operand(lambda m: m.is_float and m.ndim == 2 and m.shape[0] > 0 and m.shape[1] > 0,
                  lambda: b.leaf((b.choice((1, 2, 3, 5)), b.choice((1, 2, 3)))), reuse=50)
    num = b.meta(w).shape[0]
    rng = np.random.default_rng(b.integer(0, 10**6))
    index_shape = tuple(b.choice((1, 2, 3)) for _ in range(b.integer(0, 3)))
    scale = b.flag(30)
    if scale:  # distinct indices (see the module docstring)
        size = int(np.prod(index_shape))
        if size > num:
            index_shape = (num,)
            size = num
        indices = rng.permutation(num)[:size].reshape(index_shape)
    else:
        indices = rng.integers(0, num, index_shape)
    indices = indices.astype(b.choice((np.int64, np.int32)))
    padding = b.choice((None, None, 0, num - 1, -1))
    return (w,), {"indices": indices, "padding_idx": padding, "scale": scale}


@op("embedding", draw_embedding)
def apply_embedding(lib: Lib, w: Any, indices: np.ndarray, padding_idx: int | None,
                    scale: bool) -> Any:
    idx = lib.index(indices, True)
    if padding_idx is None and not scale:
        return lib.F.embedding(idx, w)
    return lib.F.embedding(idx, w, padding_idx=padding_idx, scale_grad_by_freq=scale)


# ---------------------------------------------------------------------- normalize


def draw_normalize(b: Builder) -> Drawn:
    x = b.operand(lambda m: m.is_float and m.ndim >= 1)
    ndim = b.meta(x).ndim
    safe = b.flag(35)
    p = b.choice((2.0, 1.0, 3.0, float("inf"), float("-inf")) + ((0.5, 1.5) if safe else ()))
    dim: Any = b.dim(ndim)
    if ndim > 1 and b.flag(25):
        dim = (0, -1)
    return (x,), {"p": p, "dim": dim, "eps": b.choice((1e-12, 1e-12, 0.1, 1.0)), "safe": safe,
                  "keyword": b.flag()}


def _torch_l2_normalize(torch: Any, x: Any, dim: Any, eps: float) -> Any:
    """F.normalize(x, 2, dim, eps) with the norm's branch at 0 selected away (so its second
    derivative there is that of x / eps, as ours; PyTorch's own gives NaN)."""
    s = (x * x).sum(dim, keepdim=True)
    positive = (s > 0).detach()
    norm = torch.where(positive, torch.where(positive, s, 1.0).sqrt(), 0.0)
    return x / norm.clamp_min(eps)


@op("normalize", draw_normalize)
def apply_normalize(lib: Lib, x: Any, p: float, dim: Any, eps: float, safe: bool,
                    keyword: bool) -> Any:
    if safe:
        x = x.abs() + 0.25
    elif lib.name == "torch" and p == 2.0:
        return _torch_l2_normalize(lib.mod, x, dim, eps)
    if keyword:
        return lib.F.normalize(x, p=p, dim=dim, eps=eps)
    return lib.F.normalize(x, p, dim, eps)


# ---------------------------------------------------------------------- channel dropout


def draw_dropout2d(b: Builder) -> Drawn:
    name = b.choice(("dropout2d", "dropout2d", "dropout1d", "dropout3d"))
    rank = {"dropout1d": (3,), "dropout3d": (5,)}.get(name)
    if rank is None:
        x = b.operand()
    else:
        def make() -> int:
            return b.leaf(tuple(b.choice((1, 2, 3)) for _ in range(rank[0])))

        x = b.operand(lambda m: m.is_float and m.ndim in rank, make, reuse=40)
    form = b.choice(("p0", "p1", "eval"))
    return (x,), {"name": name, "form": form}


@op("dropout2d", draw_dropout2d)
def apply_dropout2d(lib: Lib, x: Any, name: str, form: str) -> Any:
    fn = getattr(lib.F, name)
    if form == "eval":
        return fn(x, 0.5, training=False)
    return fn(x, p=0.0 if form == "p0" else 1.0)
