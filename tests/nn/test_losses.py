"""The loss functions and modules against PyTorch (issue 13).

Every loss is a *case*: a Hypothesis draw of shapes, values and options (weights, ignore_index
hitting some or all targets, label smoothing, K-dim inputs, reductions, beta/delta, log_target,
pos_weight broadcasting, margins, p, swap, ...) and one call written against the API the two
libraries share. Each case is checked for

* values, dtypes and gradients of every differentiable input (targets too where PyTorch
  differentiates them) against PyTorch, float32 and float64, the inputs in every memory layout
  of ``tests/layouts.py`` (values with ties, zeros and kinks, as well as smooth ones);
* bit-identical results and gradients across those layouts;
* second derivatives (create_graph, then the gradient of the gradients times weights) against
  PyTorch's, in float64;
* ``gradcheck`` in float64 on smooth values away from kinks.

Then: ``CrossEntropyIndexed``'s array backward equals its recorded backward on arrays; edge
semantics (every target ignored, zero vectors, large logits); the modules' signatures, reprs,
buffers and state dicts (moved to PyTorch's module and back); and the errors.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from layouts import LAYOUTS, in_layout

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.ops import loss as Loss

torch = pytest.importorskip("torch")
tF = torch.nn.functional
torch.set_num_threads(1)

DTYPES = (np.float32, np.float64)
REDUCTIONS = ("mean", "sum", "none")
TIES = (-1.0, -0.5, 0.0, 0.0, 0.5, 1.0, 2.0)


# ---------------------------------------------------------------------- the two libraries


class Lib:
    def __init__(self, is_torch: bool) -> None:
        self.is_torch = is_torch
        self.mod, self.F = (torch, tF) if is_torch else (tg, F)

    def leaf(self, a: np.ndarray, layout: str = "C") -> Any:
        if self.is_torch:
            return torch.tensor(np.array(a, order="C"), requires_grad=True)
        return tg.Tensor(in_layout(a, layout), requires_grad=True)

    def const(self, a: Any) -> Any:
        a = np.asarray(a)
        return torch.from_numpy(np.array(a)) if self.is_torch else tg.tensor(a)

    def numpy(self, t: Any) -> np.ndarray:
        if self.is_torch:
            return t.detach().numpy(force=True)
        return np.array(t.detach().numpy())


TG, TORCH = Lib(False), Lib(True)


@dataclass
class Drawn:
    arrays: list[np.ndarray]  # the differentiable inputs
    call: Callable[..., Any]  # call(lib, *leaves) -> loss
    kink: float = math.inf  # distance of the inputs from a kink of the loss (for gradcheck)


CASES: dict[str, Callable[[Any, Any, bool], Drawn]] = {}


def case(name: str) -> Callable[[Callable[[Any, Any, bool], Drawn]], Any]:
    def register(draw: Callable[[Any, Any, bool], Drawn]) -> Any:
        CASES[name] = draw
        return draw

    return register


def _values(data: Any, shape: tuple[int, ...], smooth: bool, low: float = -2.5,
            high: float = 2.5) -> np.ndarray:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    values = rng.uniform(low, high, size=shape)
    if not smooth and data.draw(st.booleans()):
        ties = rng.choice([v for v in TIES if low <= v <= high], size=shape)
        values = np.where(rng.random(shape) < 0.6, ties, values)
    return values


def _unit(data: Any, shape: tuple[int, ...], smooth: bool) -> np.ndarray:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    if smooth:
        return rng.uniform(0.05, 0.95, size=shape)
    values = rng.uniform(0, 1, size=shape)
    return np.where(rng.random(shape) < 0.4, rng.choice([0.0, 0.5, 1.0], size=shape), values)


def _reduction(data: Any, extra: tuple[str, ...] = ()) -> str:
    return data.draw(st.sampled_from(REDUCTIONS + extra))


def _class_layout(data: Any, min_ndim: int = 1) -> tuple[int, ...]:
    """(C,), (N, C) or (N, C, d1[, d2]) with small sides (N may be 0)."""
    ndim = data.draw(st.integers(min_ndim, 4))
    classes = data.draw(st.integers(1, 4))
    if ndim == 1:
        return (classes,)
    return (data.draw(st.integers(0, 3)), classes) + tuple(
        data.draw(st.integers(1, 3)) for _ in range(ndim - 2))


def _targets(data: Any, shape: tuple[int, ...], classes: int) -> tuple[np.ndarray, dict[str, Any]]:
    """Class indices and an ignore_index setting: the default, a class hit by some or all
    targets, or a negative index the targets use."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    target = rng.integers(0, classes, size=shape)
    how = data.draw(st.sampled_from(["default", "class", "all", "negative", "minus100"]))
    opts: dict[str, Any] = {}
    if how == "class":
        opts["ignore_index"] = data.draw(st.integers(0, classes - 1))
    elif how == "all":
        opts["ignore_index"] = data.draw(st.sampled_from([0, -100, 7]))
        target = np.full(shape, opts["ignore_index"])
    elif how in ("negative", "minus100"):
        index = -3 if how == "negative" else -100
        if how == "negative":
            opts["ignore_index"] = index
        target = np.where(rng.random(shape) < 0.4, index, target)
    return target.astype(np.int64), opts


def _class_weight(data: Any, classes: int, dtype: Any) -> np.ndarray | None:
    kind = data.draw(st.sampled_from(["none", "none", "positive", "with_zero"]))
    if kind == "none":
        return None
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    w = rng.uniform(0.2, 3.0, size=classes)
    if kind == "with_zero":
        w[rng.integers(0, classes)] = 0.0
    return w.astype(dtype)


def _with(lib: Lib, **arrays: Any) -> dict[str, Any]:
    return {k: (None if v is None else lib.const(v)) for k, v in arrays.items()}


@case("cross_entropy_indices")
def draw_cross_entropy(data: Any, dtype: Any, smooth: bool) -> Drawn:
    shape = _class_layout(data)
    classes = shape[0] if len(shape) == 1 else shape[1]
    target_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    target, opts = _targets(data, target_shape, classes)
    weight = _class_weight(data, classes, dtype)
    opts["label_smoothing"] = data.draw(st.sampled_from([0.0, 0.0, 0.1, 0.35, 1.0]))
    opts["reduction"] = _reduction(data)
    x = _values(data, shape, smooth)

    def call(lib: Lib, logits: Any) -> Any:
        return lib.F.cross_entropy(logits, lib.const(target), **_with(lib, weight=weight), **opts)

    return Drawn([x], call)


@case("cross_entropy_probabilities")
def draw_cross_entropy_probs(data: Any, dtype: Any, smooth: bool) -> Drawn:
    shape = _class_layout(data)
    classes = shape[0] if len(shape) == 1 else shape[1]
    weight = _class_weight(data, classes, dtype)
    opts = {"label_smoothing": data.draw(st.sampled_from([0.0, 0.2, 1.0])),
            "reduction": _reduction(data)}
    x, t = _values(data, shape, smooth), _unit(data, shape, smooth)

    def call(lib: Lib, logits: Any, probs: Any) -> Any:
        return lib.F.cross_entropy(logits, probs, **_with(lib, weight=weight), **opts)

    return Drawn([x, t], call)


@case("nll_loss")
def draw_nll(data: Any, dtype: Any, smooth: bool) -> Drawn:
    shape = _class_layout(data)
    classes = shape[0] if len(shape) == 1 else shape[1]
    target, opts = _targets(data, () if len(shape) == 1 else shape[:1] + shape[2:], classes)
    weight = _class_weight(data, classes, dtype)
    opts["reduction"] = _reduction(data)
    x = _values(data, shape, smooth)

    def call(lib: Lib, log_p: Any) -> Any:  # x * x: a second derivative that is not 0
        return lib.F.nll_loss(log_p * log_p, lib.const(target), **_with(lib, weight=weight),
                              **opts)

    return Drawn([x], call)


def _pair_shape(data: Any) -> tuple[int, ...]:
    return tuple(data.draw(st.integers(0 if i == 0 else 1, 4))
                 for i in range(data.draw(st.integers(0, 3))))


@case("smooth_l1_loss")
def draw_smooth_l1(data: Any, dtype: Any, smooth: bool) -> Drawn:
    shape = _pair_shape(data)
    beta = data.draw(st.sampled_from([1.0, 0.5, 2.0, 0.0]))
    reduction = _reduction(data)
    a, b = _values(data, shape, smooth), _values(data, shape, smooth)
    kink = float(np.min(np.abs(np.abs(a - b) - beta), initial=np.inf))
    if beta == 0:
        kink = float(np.min(np.abs(a - b), initial=np.inf))

    def call(lib: Lib, x: Any, y: Any) -> Any:
        return lib.F.smooth_l1_loss(x, y, reduction=reduction, beta=beta)

    return Drawn([a, b], call, kink)


@case("huber_loss")
def draw_huber(data: Any, dtype: Any, smooth: bool) -> Drawn:
    shape = _pair_shape(data)
    delta = data.draw(st.sampled_from([1.0, 0.5, 2.0]))
    reduction = _reduction(data)
    a, b = _values(data, shape, smooth), _values(data, shape, smooth)
    weighted = data.draw(st.booleans())
    arrays = [a, b] + ([_unit(data, shape, True)] if weighted else [])

    def call(lib: Lib, x: Any, y: Any, w: Any = None) -> Any:
        return lib.F.huber_loss(x, y, reduction=reduction, delta=delta, weight=w)

    return Drawn(arrays, call, float(np.min(np.abs(np.abs(a - b) - delta), initial=np.inf)))


@case("weighted_mse_l1")
def draw_weighted_mse_l1(data: Any, dtype: Any, smooth: bool) -> Drawn:
    shape = _pair_shape(data)
    which = data.draw(st.sampled_from(["mse_loss", "l1_loss"]))
    reduction = _reduction(data)
    a, b = _values(data, shape, smooth), _values(data, shape, smooth)
    kink = float(np.min(np.abs(a - b), initial=np.inf)) if which == "l1_loss" else math.inf

    def call(lib: Lib, x: Any, y: Any, w: Any) -> Any:
        return getattr(lib.F, which)(x, y, reduction=reduction, weight=w)

    return Drawn([a, b, _unit(data, shape, True) + 0.1], call, kink)


@case("kl_div")
def draw_kl_div(data: Any, dtype: Any, smooth: bool) -> Drawn:
    shape = _pair_shape(data)
    log_target = data.draw(st.booleans())
    reduction = _reduction(data, ("batchmean",))
    x = _values(data, shape, smooth)
    t_shape = _broadcastable_shape(data, shape)  # broadcasting, as PyTorch
    t = _values(data, t_shape, smooth) if log_target else _unit(data, t_shape, smooth)

    def call(lib: Lib, inp: Any, target: Any) -> Any:
        return lib.F.kl_div(inp, target, reduction=reduction, log_target=log_target)

    return Drawn([x, t], call, math.inf if log_target else float(np.min(t, initial=np.inf)))


def _broadcastable_shape(data: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts to ``shape``: some leading dims dropped, some sides 1."""
    kept = shape[data.draw(st.integers(0, len(shape))):]
    return tuple(1 if data.draw(st.booleans()) else n for n in kept)


@case("binary_cross_entropy")
def draw_bce(data: Any, dtype: Any, smooth: bool) -> Drawn:
    shape = _pair_shape(data)
    reduction = _reduction(data)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    p = rng.uniform(0.02, 0.98, size=shape)  # inside [eps, 1 - eps]: PyTorch's formula too
    weight = (rng.uniform(0, 2, size=_broadcastable_shape(data, shape)).astype(dtype)
              if data.draw(st.booleans()) else None)

    def call(lib: Lib, prob: Any, y: Any) -> Any:
        return lib.F.binary_cross_entropy(prob, y, **_with(lib, weight=weight),
                                          reduction=reduction)

    return Drawn([p, _unit(data, shape, smooth)], call)


@case("binary_cross_entropy_with_logits")
def draw_bce_logits(data: Any, dtype: Any, smooth: bool) -> Drawn:
    shape = _pair_shape(data)
    reduction = _reduction(data)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    weights = {}
    for name in ("weight", "pos_weight"):
        if data.draw(st.booleans()):
            weights[name] = rng.uniform(0, 3, size=_broadcastable_shape(data, shape)).astype(dtype)
    scale = data.draw(st.sampled_from([1.0, 1.0, 20.0]))  # large |x|: the stable form
    x = _values(data, shape, smooth) * scale

    def call(lib: Lib, logits: Any, y: Any) -> Any:
        return lib.F.binary_cross_entropy_with_logits(logits, y, **_with(lib, **weights),
                                                      reduction=reduction)

    return Drawn([x, _unit(data, shape, smooth)], call)


@case("soft_margin_loss")
def draw_soft_margin(data: Any, dtype: Any, smooth: bool) -> Drawn:
    shape = _pair_shape(data)
    reduction = _reduction(data)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    y = rng.choice([-1.0, 1.0], size=_broadcastable_shape(data, shape)).astype(dtype)

    def call(lib: Lib, x: Any) -> Any:
        return lib.F.soft_margin_loss(x, lib.const(y), reduction=reduction)

    return Drawn([_values(data, shape, smooth)], call)


@case("cosine_similarity")
def draw_cosine_similarity(data: Any, dtype: Any, smooth: bool) -> Drawn:
    shape = tuple(data.draw(st.integers(1, 3)) for _ in range(data.draw(st.integers(1, 3))))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    eps = data.draw(st.sampled_from([1e-8, 1e-8, 0.5]))
    a, b = _values(data, shape, smooth), _values(data, _broadcastable_shape(data, shape), smooth)
    if not smooth and data.draw(st.booleans()):
        a = np.zeros_like(a)  # a zero vector: the norm floored at eps
    norms = (np.linalg.norm(np.broadcast_to(a, shape), axis=dim),
             np.linalg.norm(np.broadcast_to(b, shape), axis=dim))
    # below eps the floor takes over, which PyTorch's gradient (and ours) does not see: it is
    # not the derivative of the value there, so gradcheck stays above it
    kink = float(min(np.min(n - eps) for n in norms))

    def call(lib: Lib, x1: Any, x2: Any) -> Any:
        return lib.F.cosine_similarity(x1, x2, dim=dim, eps=eps)

    return Drawn([a, b], call, kink)


PS = (2.0, 1.0, 3.0, 1.5, 0.5, math.inf)


def _distance_kink(diff: np.ndarray, p: float) -> float:
    if p == 2.0 or p > 2:
        return float(np.min(np.linalg.norm(diff, axis=-1), initial=np.inf)) if diff.ndim else 1.0
    if math.isinf(p) and diff.ndim and diff.shape[-1] > 1:
        top = -np.sort(-np.abs(diff), axis=-1)
        return float(min(np.min(np.abs(diff)), np.min(top[..., 0] - top[..., 1])))
    return float(np.min(np.abs(diff), initial=np.inf))


@case("pairwise_distance")
def draw_pairwise_distance(data: Any, dtype: Any, smooth: bool) -> Drawn:
    shape = tuple(data.draw(st.integers(1, 4)) for _ in range(data.draw(st.integers(0, 3))))
    p = data.draw(st.sampled_from(PS))
    keepdim = data.draw(st.booleans())
    eps = data.draw(st.sampled_from([1e-6, 0.0, 0.25]))
    a, b = _values(data, shape, smooth), _values(data, _broadcastable_shape(data, shape), smooth)

    def call(lib: Lib, x1: Any, x2: Any) -> Any:
        return lib.F.pairwise_distance(x1, x2, p=p, eps=eps, keepdim=keepdim)

    return Drawn([a, b], call, _distance_kink(a - b + eps, p))


@case("margin_ranking_loss")
def draw_margin_ranking(data: Any, dtype: Any, smooth: bool) -> Drawn:
    shape = _pair_shape(data)
    margin = data.draw(st.sampled_from([0.0, 0.5, -0.3]))
    reduction = _reduction(data)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x1, x2 = _values(data, shape, smooth), _values(data, shape, smooth)
    y = rng.choice([-1.0, 1.0], size=shape)

    def call(lib: Lib, a: Any, b: Any, target: Any) -> Any:  # the target is differentiable
        return lib.F.margin_ranking_loss(a, b, target, margin=margin, reduction=reduction)

    return Drawn([x1, x2, y], call, float(np.min(np.abs(-y * (x1 - x2) + margin),
                                                 initial=np.inf)))


@case("triplet_margin_loss")
def draw_triplet(data: Any, dtype: Any, smooth: bool) -> Drawn:
    shape = tuple(data.draw(st.integers(1, 3)) for _ in range(data.draw(st.integers(1, 2))))
    opts = {"margin": data.draw(st.sampled_from([1.0, 0.3, 2.5])),
            "p": data.draw(st.sampled_from((2.0, 1.0, 3.0))), "swap": data.draw(st.booleans()),
            "eps": data.draw(st.sampled_from([1e-6, 0.1])), "reduction": _reduction(data)}
    arrays = [_values(data, shape, smooth) for _ in range(3)]
    a, pos, neg = arrays
    d = [np.linalg.norm(u - v + opts["eps"], ord=opts["p"], axis=-1) for u, v in
         ((a, pos), (a, neg), (pos, neg))]
    hinge = opts["margin"] + d[0] - (np.minimum(d[1], d[2]) if opts["swap"] else d[1])
    kink = min(float(np.min(np.abs(hinge))), float(np.min(np.abs(d[1] - d[2]))) if opts[
        "swap"] else math.inf, *(_distance_kink(u - v + opts["eps"], opts["p"]) for u, v in
                                 ((a, pos), (a, neg), (pos, neg))))

    def call(lib: Lib, anchor: Any, positive: Any, negative: Any) -> Any:
        return lib.F.triplet_margin_loss(anchor, positive, negative, **opts)

    return Drawn(arrays, call, kink)


@case("cosine_embedding_loss")
def draw_cosine_embedding(data: Any, dtype: Any, smooth: bool) -> Drawn:
    batched = data.draw(st.booleans())
    n, d = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    shape = (n, d) if batched else (d,)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    labels = rng.choice([-1, 1, 1, 0], size=(n,) if batched else ())
    margin = data.draw(st.sampled_from([0.0, 0.4, -0.5]))
    reduction = _reduction(data)
    a, b = _values(data, shape, smooth), _values(data, shape, smooth)
    cos = (a * b).sum(-1) / np.sqrt(((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12))

    def call(lib: Lib, x1: Any, x2: Any) -> Any:
        return lib.F.cosine_embedding_loss(x1, x2, lib.const(labels), margin=margin,
                                           reduction=reduction)

    return Drawn([a, b], call, float(np.min(np.abs(cos - margin))))


@case("hinge_embedding_loss")
def draw_hinge_embedding(data: Any, dtype: Any, smooth: bool) -> Drawn:
    shape = _pair_shape(data)
    margin = data.draw(st.sampled_from([1.0, 0.5, -0.5]))
    reduction = _reduction(data)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    labels = rng.choice([-1.0, 1.0, 1.0, 0.0], size=_broadcastable_shape(data, shape))
    x = _values(data, shape, smooth)

    def call(lib: Lib, inp: Any) -> Any:
        return lib.F.hinge_embedding_loss(inp, lib.const(labels), margin=margin,
                                          reduction=reduction)

    return Drawn([x], call, float(np.min(np.abs(margin - x), initial=np.inf)))


# ---------------------------------------------------------------------- comparing


def _tolerance(dtype: Any) -> tuple[float, float]:
    return (1e-9, 1e-11) if dtype == np.float64 else (2e-4, 2e-5)


def _close(ours: np.ndarray, theirs: np.ndarray, dtype: Any, what: str, scale: float = 1.0,
           loose: bool = False) -> None:
    """Equal within the dtype's tolerance (``loose``: 1e-7 in float64, for derivatives that
    cancel terms of a larger size), nan and inf where torch has them."""
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    rtol, atol = (1e-7, 1e-9) if loose and dtype == np.float64 else _tolerance(dtype)
    finite = np.abs(theirs[np.isfinite(theirs)])
    big = max(1.0, float(finite.max(initial=0.0)), scale)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol * big, equal_nan=True,
                               err_msg=what)


def _run(lib: Lib, drawn: Drawn, dtype: Any, layout: str, cot_seed: int
         ) -> tuple[Any, np.ndarray, list[np.ndarray | None]]:
    leaves = [lib.leaf(a.astype(dtype), layout) for a in drawn.arrays]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out = drawn.call(lib, *leaves)
        value = lib.numpy(out)
        cot = np.random.default_rng(cot_seed).choice([-1.5, 0.5, 1.0, 2.0], size=value.shape)
        (out * lib.const(cot.astype(value.dtype))).sum().backward()
    grads = [None if t.grad is None else lib.numpy(t.grad) for t in leaves]
    return out, value, grads


@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data(), dtype=st.sampled_from(DTYPES), layout=st.sampled_from(LAYOUTS),
       smooth=st.booleans())
def test_values_and_gradients_match_torch(name: str, data: Any, dtype: Any, layout: str,
                                          smooth: bool) -> None:
    drawn = CASES[name](data, dtype, smooth)
    seed = data.draw(st.integers(0, 1000))
    out, ours, our_grads = _run(TG, drawn, dtype, layout, seed)
    ref, theirs, their_grads = _run(TORCH, drawn, dtype, "C", seed)
    assert out.dtype == np.dtype(dtype), f"{name}: dtype {out.dtype}, expected {dtype}"
    assert ref.dtype == torch.from_numpy(np.zeros(1, dtype)).dtype
    _close(ours, theirs, dtype, f"{name} value")
    for k, (g, h) in enumerate(zip(our_grads, their_grads, strict=True)):
        if h is None:  # PyTorch's graph does not reach it: no gradient, or a zero one here
            assert g is None or not np.any(g), f"{name}: grad {k} where torch has none"
            continue
        assert g is not None, f"{name}: no grad for input {k}"
        assert g.dtype == np.dtype(dtype), f"{name}: grad {k} dtype {g.dtype}"
        # a gradient of 1e5 and more comes from dividing by a near-zero norm (cosine losses
        # of almost-zero vectors), where each rounding is amplified: compare to 1e-7 there
        finite = np.abs(h[np.isfinite(h)])
        _close(g, h, dtype, f"{name} grad of input {k}",
               loose=float(finite.max(initial=0.0)) > 1e4)


def _bits(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


@settings(max_examples=20)
@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data(), dtype=st.sampled_from(DTYPES), smooth=st.booleans())
def test_every_layout_gives_the_same_bits(name: str, data: Any, dtype: Any,
                                          smooth: bool) -> None:
    drawn = CASES[name](data, dtype, smooth)
    _, value, grads = _run(TG, drawn, dtype, "C", 3)
    for layout in LAYOUTS[1:]:
        _, other, other_grads = _run(TG, drawn, dtype, layout, 3)
        assert _bits(value, other), f"{name}: value differs in layout {layout}"
        for g, h in zip(grads, other_grads, strict=True):
            assert _bits(g, h), f"{name}: a gradient differs in layout {layout}"


def _second(lib: Lib, drawn: Drawn, layout: str, seed: int
            ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """First derivatives (create_graph) and the derivatives of sum_k(dL/dx_k * w_k)."""
    leaves = [lib.leaf(a, layout) for a in drawn.arrays]
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out = drawn.call(lib, *leaves)
        cot = lib.const(rng.choice([-1.5, 0.5, 1.0, 2.0], size=tuple(out.shape)))
        firsts = lib.mod.autograd.grad((out * cot).sum(), leaves, create_graph=True,
                                       allow_unused=True)
        terms = [(g * lib.const(rng.choice([-1.0, 0.5, 2.0], size=tuple(g.shape)))).sum()
                 for g in firsts if g is not None and g.requires_grad]
        seconds: Any = [None] * len(leaves)
        if terms:
            total = terms[0]
            for term in terms[1:]:
                total = total + term
            seconds = lib.mod.autograd.grad(total, leaves, allow_unused=True)
    zeros = [np.zeros(a.shape) for a in drawn.arrays]
    return ([z if g is None else lib.numpy(g) for g, z in zip(firsts, zeros, strict=True)],
            [z if g is None else lib.numpy(g) for g, z in zip(seconds, zeros, strict=True)])


@settings(max_examples=30)
@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data(), layout=st.sampled_from(LAYOUTS), smooth=st.booleans())
def test_second_derivatives_match_torch(name: str, data: Any, layout: str,
                                        smooth: bool) -> None:
    drawn = CASES[name](data, np.float64, smooth)
    seed = data.draw(st.integers(0, 1000))
    ours, theirs = _second(TG, drawn, layout, seed), _second(TORCH, drawn, "C", seed)
    # second derivatives cancel terms as large as the first ones (1 / eps at a zero vector)
    size = max((float(np.abs(g[np.isfinite(g)]).max(initial=0.0)) for g in theirs[0]),
               default=0.0)
    for order, (a_list, b_list) in enumerate(zip(ours, theirs, strict=True), start=1):
        for k, (a, b) in enumerate(zip(a_list, b_list, strict=True)):
            _close(a, b, np.float64, f"{name}: derivative of order {order}, input {k}",
                   scale=size if order == 2 else 1.0, loose=True)


@settings(max_examples=25)
@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data())
def test_gradcheck_float64(name: str, data: Any) -> None:
    drawn = CASES[name](data, np.float64, True)
    assume(drawn.kink > 1e-3)
    leaves = [tg.Tensor(a, requires_grad=True) for a in drawn.arrays]
    assume(all(a.size for a in drawn.arrays))
    assert gradcheck(lambda *xs: drawn.call(TG, *xs), *leaves, eps=1e-6, atol=1e-5, rtol=1e-3)


# ---------------------------------------------------------------------- the fused op's two forms


@given(data=st.data(), dtype=st.sampled_from(DTYPES), layout=st.sampled_from(LAYOUTS))
def test_cross_entropy_indexed_array_backward_equals_recorded_backward(data: Any, dtype: Any,
                                                                      layout: str) -> None:
    shape = (data.draw(st.integers(0, 4)), data.draw(st.integers(1, 4)))
    target, opts = _targets(data, shape[:1], shape[1])
    valid = target != opts.get("ignore_index", -100)
    weight = _class_weight(data, shape[1], dtype)
    reduction = _reduction(data)
    x = tg.Tensor(in_layout(_values(data, shape, False).astype(dtype), layout),
                  requires_grad=True)
    node = Loss.CrossEntropyIndexed.apply(
        x, tg.tensor(np.where(valid, target, 0)), reduction=reduction,
        smoothing=data.draw(st.sampled_from([0.0, 0.3, 1.0])), weight=weight,
        valid=None if valid.all() else valid).grad_fn
    grad = np.asarray(np.random.default_rng(1).normal(size=node.out_shape), dtype)
    with np.errstate(all="ignore"):
        fast, recorded = node.array_backward(node, grad), node.backward(node, grad)
    tol = 8 * np.finfo(dtype).eps
    np.testing.assert_allclose(fast, recorded, rtol=tol, atol=tol, equal_nan=True)
    assert fast.dtype == recorded.dtype == np.dtype(dtype)


# ---------------------------------------------------------------------- edge semantics


def test_every_target_ignored_gives_nan_mean_and_zero_gradient() -> None:
    x = np.random.default_rng(0).normal(size=(3, 4))
    for opts in ({}, {"label_smoothing": 0.2}, {"weight": np.arange(1.0, 5.0)}):
        w = opts.get("weight")
        ours_x, theirs_x = TG.leaf(x), TORCH.leaf(x)
        kw = {k: v for k, v in opts.items() if k != "weight"}
        ours = F.cross_entropy(ours_x, tg.tensor([2, 2, 2]), ignore_index=2,
                               weight=None if w is None else tg.tensor(w), **kw)
        theirs = tF.cross_entropy(theirs_x, torch.tensor([2, 2, 2]), ignore_index=2,
                                  weight=None if w is None else torch.tensor(w), **kw)
        assert math.isnan(ours.item()) and math.isnan(theirs.item())
        ours.backward()
        theirs.backward()
        np.testing.assert_array_equal(ours_x.grad.numpy(), theirs_x.grad.numpy())
        assert not ours_x.grad.numpy().any()
    for red in ("sum", "none"):
        out = F.nll_loss(tg.tensor(x), tg.tensor([-100] * 3), reduction=red)
        assert not np.any(out.numpy()) and not np.any(np.signbit(out.numpy()))


def test_ignored_rows_keep_nan_logits_out_of_the_loss() -> None:
    x = np.array([[np.nan, 1.0, 2.0], [0.5, 0.0, -1.0]])
    for smoothing in (0.0, 0.3):
        ours = F.cross_entropy(tg.tensor(x), tg.tensor([1, 2]), ignore_index=1,
                               label_smoothing=smoothing, reduction="none").numpy()
        theirs = tF.cross_entropy(torch.tensor(x), torch.tensor([1, 2]), ignore_index=1,
                                  label_smoothing=smoothing, reduction="none").numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
        assert ours[0] == 0.0


def test_plain_cross_entropy_still_runs_the_fast_node() -> None:
    x = tg.randn(4, 3, requires_grad=True)
    assert type(F.cross_entropy(x, tg.tensor([0, 1, 2, 0])).grad_fn) is Loss.CrossEntropy
    assert type(F.cross_entropy(x, tg.tensor([0, 1, 2, 0]), ignore_index=5).grad_fn
                ) is Loss.CrossEntropy  # no target is ignored: nothing to mask
    assert type(F.cross_entropy(x, tg.tensor([0, 1, 2, 0]), ignore_index=1).grad_fn
                ) is Loss.CrossEntropyIndexed
    k_dim = F.cross_entropy(tg.randn(2, 3, 4, requires_grad=True), tg.zeros(2, 4).long())
    assert type(k_dim.grad_fn) is Loss.CrossEntropy


def test_kl_div_zero_target_contributes_nothing() -> None:
    x = tg.tensor([[-1.0, -2.0, -0.5]])
    out = F.kl_div(x, tg.tensor([[0.0, 0.5, 0.5]]), reduction="none").numpy()
    assert out[0, 0] == 0.0
    assert math.isnan(F.kl_div(x, tg.tensor([[-0.5, 0.5, 1.0]]), reduction="none").numpy()[0, 0])


def test_smooth_l1_and_huber_relations() -> None:
    rng = np.random.default_rng(3)
    a, b = tg.tensor(rng.normal(size=(4, 3))), tg.tensor(rng.normal(size=(4, 3)))
    np.testing.assert_array_equal(F.smooth_l1_loss(a, b, beta=0.0).numpy(),
                                  F.l1_loss(a, b).numpy())
    np.testing.assert_allclose(F.huber_loss(a, b, delta=0.7, reduction="none").numpy(),
                               0.7 * F.smooth_l1_loss(a, b, beta=0.7, reduction="none").numpy(),
                               rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_and_pos_weight_stay_finite_at_large_logits(dtype: Any) -> None:
    x = np.array([[-1e4, -30.0, 0.0, 30.0, 1e4]], dtype)
    y = np.array([[0.0, 1.0, 0.5, 0.0, 1.0]], dtype)
    pw = np.array([2.0, 0.5, 1.0, 3.0, 0.1], dtype)
    ours_x = TG.leaf(x)
    loss = F.binary_cross_entropy_with_logits(ours_x, tg.tensor(y), pos_weight=tg.tensor(pw),
                                              reduction="none")
    theirs = tF.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(y),
                                                 pos_weight=torch.tensor(pw), reduction="none")
    assert np.isfinite(loss.detach().numpy()).all()
    np.testing.assert_allclose(loss.detach().numpy(), theirs.numpy(), rtol=1e-6)
    loss.sum().backward()
    assert np.isfinite(ours_x.grad.numpy()).all() and ours_x.grad.dtype == dtype


def test_cosine_similarity_floors_each_norm_at_eps_as_torch_2() -> None:
    a, b = np.array([[1e-9, 0.0]]), np.array([[1e-9, 0.0]])
    ours = F.cosine_similarity(tg.tensor(a), tg.tensor(b)).item()
    assert ours == pytest.approx(0.01, rel=1e-9)  # (1e-9 / 1e-8)^2, not 1
    assert ours == pytest.approx(tF.cosine_similarity(torch.tensor(a), torch.tensor(b)).item())
    u, v = TG.leaf(np.zeros((1, 3))), TG.leaf(np.array([[1.0, 2.0, 2.0]]))
    F.cosine_similarity(u, v).sum().backward()  # at a zero vector: x2 / (eps ||x2||)
    np.testing.assert_allclose(u.grad.numpy(), [[1 / 3e-8, 2 / 3e-8, 2 / 3e-8]], rtol=1e-9)
    np.testing.assert_array_equal(v.grad.numpy(), np.zeros((1, 3)))


def test_mixed_dtypes_promote_as_pytorch() -> None:
    """cosine_similarity expands both inputs before mixing them, so a 0-d float64 x2 makes a
    float64 result there (unlike result_type); pairwise_distance subtracts first (float32)."""
    a, b = np.ones((2, 3), np.float32), np.array(2.0)
    for fn in ("cosine_similarity", "pairwise_distance"):
        kw = {"dim": -1} if fn == "cosine_similarity" else {}
        ours = getattr(F, fn)(tg.tensor(a), tg.tensor(b), **kw)
        theirs = getattr(tF, fn)(torch.tensor(a), torch.tensor(b), **kw)
        assert ours.dtype == theirs.numpy().dtype, fn
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_legacy_size_average_and_reduce_map_as_pytorch() -> None:
    x, y = tg.randn(3, 2), tg.randn(3, 2)
    for size_average, reduce, expected in ((None, False, "none"), (False, None, "sum"),
                                           (True, True, "mean"), (False, False, "none")):
        with pytest.warns(UserWarning, match=f"reduction='{expected}'"):
            got = F.mse_loss(x, y, size_average=size_average, reduce=reduce)
        np.testing.assert_array_equal(got.numpy(), F.mse_loss(x, y, reduction=expected).numpy())
        with pytest.warns(UserWarning):
            assert nn.L1Loss(size_average, reduce).reduction == expected


# ---------------------------------------------------------------------- modules


def _module_pairs() -> list[tuple[Any, Any, tuple[Any, ...], dict[str, Any]]]:
    w = np.array([0.5, 2.0, 1.0])
    return [
        (nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss, (),
         {"weight": w, "ignore_index": 1, "label_smoothing": 0.1}),
        (nn.NLLLoss, torch.nn.NLLLoss, (), {"weight": w, "ignore_index": 0}),
        (nn.BCELoss, torch.nn.BCELoss, (), {"weight": w}),
        (nn.BCEWithLogitsLoss, torch.nn.BCEWithLogitsLoss, (),
         {"weight": w, "pos_weight": w[::-1]}),
        (nn.SmoothL1Loss, torch.nn.SmoothL1Loss, (), {"beta": 0.5}),
        (nn.HuberLoss, torch.nn.HuberLoss, (), {"delta": 0.5}),
        (nn.KLDivLoss, torch.nn.KLDivLoss, (), {"reduction": "batchmean", "log_target": True}),
        (nn.L1Loss, torch.nn.L1Loss, (), {}), (nn.MSELoss, torch.nn.MSELoss, (), {}),
        (nn.SoftMarginLoss, torch.nn.SoftMarginLoss, (), {}),
        (nn.CosineSimilarity, torch.nn.CosineSimilarity, (), {"dim": 0, "eps": 1e-6}),
        (nn.PairwiseDistance, torch.nn.PairwiseDistance, (), {"p": 1.0, "keepdim": True}),
        (nn.MarginRankingLoss, torch.nn.MarginRankingLoss, (), {"margin": 0.2}),
        (nn.TripletMarginLoss, torch.nn.TripletMarginLoss, (), {"margin": 0.5, "swap": True}),
        (nn.CosineEmbeddingLoss, torch.nn.CosineEmbeddingLoss, (), {"margin": 0.1}),
        (nn.HingeEmbeddingLoss, torch.nn.HingeEmbeddingLoss, (), {"margin": 2.0}),
    ]


def _module_inputs(name: str, lib: Lib) -> list[Any]:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(4, 3))
    if name == "CrossEntropyLoss":
        return [lib.const(x), lib.const(np.array([0, 1, 2, 1]))]
    if name == "NLLLoss":
        return [lib.const(x - 2), lib.const(np.array([0, 1, 2, 2]))]
    if name == "BCELoss":
        return [lib.const(rng.uniform(0.1, 0.9, (4, 3))), lib.const(rng.random((4, 3)))]
    if name in ("MarginRankingLoss",):
        return [lib.const(x[:, 0]), lib.const(x[:, 1]), lib.const(np.array([1.0, -1, 1, -1]))]
    if name == "TripletMarginLoss":
        return [lib.const(x), lib.const(x[::-1].copy()), lib.const(x * 0.5)]
    if name == "CosineEmbeddingLoss":
        return [lib.const(x), lib.const(x[::-1].copy()), lib.const(np.array([1, -1, 1, -1]))]
    if name in ("SoftMarginLoss", "HingeEmbeddingLoss"):
        return [lib.const(x), lib.const(np.sign(x[::-1].copy()))]
    return [lib.const(x), lib.const(rng.random((4, 3)) if name != "KLDivLoss" else x * 0.3)]


@pytest.mark.parametrize("index", range(len(_module_pairs())))
def test_modules_match_torch_reprs_buffers_and_state_dicts(index: int) -> None:
    ours_cls, theirs_cls, args, kwargs = _module_pairs()[index]
    name = ours_cls.__name__
    ours = ours_cls(*args, **{k: (tg.tensor(v.copy()) if isinstance(v, np.ndarray) else v)
                              for k, v in kwargs.items()})
    theirs = theirs_cls(*args, **{k: (torch.tensor(v.copy()) if isinstance(v, np.ndarray)
                                      else v) for k, v in kwargs.items()})
    assert repr(ours) == repr(theirs)
    public = {k: v for k, v in vars(theirs).items() if not k.startswith("_") and k != "training"}
    for key, value in public.items():
        assert getattr(ours, key) == value, f"{name}.{key}"
    assert list(ours.state_dict()) == list(theirs.state_dict())
    fresh = theirs_cls(*args, **{k: (torch.zeros(len(v)) if isinstance(v, np.ndarray) else v)
                                 for k, v in kwargs.items()}).double()
    fresh.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                           for k, v in ours.state_dict().items()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours_out = ours(*_module_inputs(name, TG)).numpy()
        theirs_out = fresh(*_module_inputs(name, TORCH)).numpy()
    np.testing.assert_allclose(ours_out, theirs_out, rtol=1e-10, atol=1e-12)
    back = ours_cls(*args, **{k: (tg.zeros(len(v)).double() if isinstance(v, np.ndarray) else v)
                              for k, v in kwargs.items()})
    back.load_state_dict({k: v.numpy() for k, v in fresh.state_dict().items()})
    np.testing.assert_array_equal(back(*_module_inputs(name, TG)).numpy(), ours_out)


def test_weighted_losses_take_pytorchs_positional_order() -> None:
    w = tg.tensor([1.0, 2.0, 3.0])
    assert nn.CrossEntropyLoss(w).weight is w and nn.NLLLoss(w).weight is w
    assert nn.BCELoss(w).weight is w and nn.BCEWithLogitsLoss(w).weight is w
    loss = nn.CrossEntropyLoss(w, None, 2, None, "sum", 0.25)
    assert (loss.ignore_index, loss.reduction, loss.label_smoothing) == (2, "sum", 0.25)
    assert list(nn.BCEWithLogitsLoss(pos_weight=w).state_dict()) == ["pos_weight"]
    assert nn.CrossEntropyLoss().state_dict() == {} and nn.CrossEntropyLoss().weight is None
    assert nn.TripletMarginLoss(0.5, 1.0).p == 1.0 and nn.PairwiseDistance(3).norm == 3


def test_module_constructor_errors() -> None:
    for cls in (nn.CrossEntropyLoss, nn.NLLLoss, nn.MSELoss, nn.L1Loss, nn.BCELoss,
                nn.BCEWithLogitsLoss, nn.SmoothL1Loss, nn.KLDivLoss, nn.SoftMarginLoss):
        with pytest.raises(TypeError, match=r"must be a (Tensor|bool)"):
            cls("sum")  # PyTorch's first parameter is weight or size_average
        with pytest.raises(ValueError, match=f"{cls.__name__}: reduction must be one of"):
            cls(reduction="average")
    assert nn.KLDivLoss(reduction="batchmean").reduction == "batchmean"
    with pytest.raises(ValueError, match="batchmean"):
        nn.MSELoss(reduction="batchmean")
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(TypeError, match="ignore_index"):
        nn.CrossEntropyLoss(ignore_index=1.5)
    with pytest.raises(RuntimeError, match="beta"):
        nn.SmoothL1Loss(beta=-1.0)
    with pytest.raises(RuntimeError, match="delta"):
        nn.HuberLoss(delta=0.0)


# ---------------------------------------------------------------------- errors


def _errors() -> list[tuple[str, Callable[[], Any], Any, str]]:
    x = tg.randn(4, 3)
    y = tg.tensor([0, 1, 2, 1])
    w = tg.tensor([1.0, 2.0, 3.0])
    return [
        ("target out of range", lambda: F.cross_entropy(x, tg.tensor([0, 3, 1, 0])),
         IndexError, r"target 3 is out of range for 3 classes"),
        ("negative target that is not ignore_index",
         lambda: F.cross_entropy(x, tg.tensor([0, -100, -2, 0])), IndexError, r"-2"),
        ("ignore_index outside the classes is still allowed as a target",
         lambda: F.nll_loss(x, tg.tensor([0, 7, 4, 0]), ignore_index=7), IndexError, r"\b4\b"),
        ("weight size", lambda: F.cross_entropy(x, y, weight=tg.ones(4)), RuntimeError,
         r"all 3 classes.*\(4,\)"),
        ("weight 2-D", lambda: F.nll_loss(x, y, weight=tg.ones(1, 3)), RuntimeError,
         r"\(1, 3\)"),
        ("weight dtype", lambda: F.cross_entropy(x, y, weight=w.double()), RuntimeError,
         r"float32.*float64"),
        ("weight not a tensor", lambda: F.cross_entropy(x, y, weight=[1.0, 2, 3]), TypeError,
         r"weight must be a Tensor"),
        ("weight requiring grad", lambda: F.cross_entropy(
            x, y, weight=tg.ones(3, requires_grad=True)), RuntimeError, r"not differentiable"),
        ("K-dim target", lambda: F.cross_entropy(tg.zeros(2, 3, 4), tg.zeros(2, 5).long()),
         ValueError, r"\(2, 4\).*\(2, 5\)"),
        ("probability target shape", lambda: F.cross_entropy(x, tg.rand(4, 2)), ValueError,
         r"\(4, 3\).*\(4, 2\)"),
        ("ignore_index with probabilities", lambda: F.cross_entropy(
            x, tg.rand(4, 3), ignore_index=1), RuntimeError, r"ignore_index"),
        ("label_smoothing above 1", lambda: F.cross_entropy(x, y, label_smoothing=1.5),
         ValueError, r"label_smoothing must be between 0.0 and 1.0"),
        ("label_smoothing below 0", lambda: F.cross_entropy(x, y, label_smoothing=-0.1),
         ValueError, r"label_smoothing"),
        ("label_smoothing nan", lambda: F.cross_entropy(x, y, label_smoothing=math.nan),
         ValueError, r"label_smoothing"),
        ("ignore_index float", lambda: F.nll_loss(x, y, ignore_index=0.5), TypeError,
         r"ignore_index must be an int"),
        ("0-d input", lambda: F.nll_loss(tg.tensor(1.0), tg.tensor(0)), ValueError, r"\(\)"),
        ("size_average string", lambda: F.mse_loss(x, x, "sum"), TypeError, r"size_average"),
        ("negative beta", lambda: F.smooth_l1_loss(x, x, beta=-0.5), RuntimeError, r"beta"),
        ("zero delta", lambda: F.huber_loss(x, x, delta=0.0), RuntimeError, r"delta"),
        ("huber weight size", lambda: F.huber_loss(x, x, weight=tg.ones(3)), ValueError,
         r"same size"),
        ("mse shapes", lambda: F.smooth_l1_loss(x, tg.zeros(4, 1)), ValueError,
         r"\(4, 3\).*\(4, 1\)"),
        ("kl reduction", lambda: F.kl_div(x, x, reduction="avg"), ValueError, r"batchmean"),
        ("kl shapes", lambda: F.kl_div(x, tg.zeros(2, 3)), RuntimeError, r"\(4, 3\).*\(2, 3\)"),
        ("bce weight shape", lambda: F.binary_cross_entropy(tg.rand(4, 3), tg.rand(4, 3),
                                                            weight=tg.ones(4)),
         RuntimeError, r"\(4,\).*\(4, 3\)"),
        ("pos_weight shape", lambda: F.binary_cross_entropy_with_logits(
            x, tg.rand(4, 3), pos_weight=tg.ones(2, 4, 3)), RuntimeError, r"pos_weight"),
        ("bce weight requiring grad", lambda: F.binary_cross_entropy_with_logits(
            x, tg.rand(4, 3), weight=tg.ones(3, requires_grad=True)), RuntimeError,
         r"not differentiable"),
        ("soft margin target grad", lambda: F.soft_margin_loss(
            x, tg.ones(4, 3, requires_grad=True)), RuntimeError, r"target"),
        ("margin ranking dims", lambda: F.margin_ranking_loss(tg.zeros(3), tg.zeros(3),
                                                               tg.tensor(1.0)),
         RuntimeError, r"same dimension"),
        ("triplet margin", lambda: F.triplet_margin_loss(x, x, x, margin=0.0), ValueError,
         r"margin must be greater than 0"),
        ("triplet dims", lambda: F.triplet_margin_loss(x, tg.zeros(3), x), RuntimeError,
         r"2D.*1D"),
        ("cosine embedding target", lambda: F.cosine_embedding_loss(x, x, tg.ones(4, 1)),
         RuntimeError, r"0D or 1D target"),
        ("cosine embedding inputs", lambda: F.cosine_embedding_loss(
            tg.zeros(2, 3, 4), tg.zeros(2, 3, 4), tg.ones(2)), RuntimeError, r"2D input"),
        ("cosine similarity dim", lambda: F.cosine_similarity(tg.zeros(3), tg.zeros(3)),
         IndexError, r"Dimension out of range"),
        ("cosine similarity shapes", lambda: F.cosine_similarity(tg.zeros(2, 3), tg.zeros(4, 3)),
         RuntimeError, r"broadcast"),
        ("pairwise int inputs", lambda: F.pairwise_distance(tg.tensor([1, 2]), tg.tensor([1, 3])),
         RuntimeError, r"floating point"),
    ]


@pytest.mark.parametrize("index", range(len(_errors())))
def test_clear_errors(index: int) -> None:
    _, bad, kind, message = _errors()[index]
    with pytest.raises(kind, match=message):
        bad()
