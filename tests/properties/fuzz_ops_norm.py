"""The fuzzer's norm ops (registered into ``fuzz_ops.OPS`` with its ``op`` decorator):
batch_norm, instance_norm, group_norm and layer_norm.

Each takes a stack value of a fitting rank when there is one (any shape: size-0 and size-1
dims included), else a new leaf; weight and bias are stack values of the right shape and dtype
or new leaves, each present or not. batch_norm and instance_norm draw their form: training
with running statistics (which each library's ``apply`` creates from the same drawn values:
they are updated in place), training without them, or evaluation with them
(``use_input_stats=False`` for instance norm); they return the output and both buffers, so
the fuzzer compares the updated statistics too. Steps PyTorch rejects (one value per channel
in training, ...) are dropped by the builder.

Documented difference: ``group_norm`` of an input with N > 0 but empty groups (a spatial size
0) gives weight gradient 0 here -- a sum over no values -- and NaN in PyTorch (0 times the NaN
inverse deviation of an empty group); and PyTorch's backward can crash on C = 0 ("tensor does
not have a device"). For every empty input the PyTorch side is therefore ``x * weight + bias``
per channel, which has our gradients (the values are empty either way; where PyTorch's own
function works, N = 0, its gradients are those too). And without a weight PyTorch's second
derivatives of all four crash ("Expected a proper Tensor but got None"), as does group_norm's
first derivative given a bias: there its side gets a constant weight of ones (the same
function).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .fuzz_ops import Drawn, op

if TYPE_CHECKING:
    from .fuzz_programs import Builder, Lib, Meta

MOMENTA = (0.1, 0.5, 1.0, 0.0)
EPSILONS = (1e-5, 1e-3, 0.5)


def _input(b: Builder, min_ndim: int, max_ndim: int = 5) -> int:
    def fits(m: Meta) -> bool:
        return m.is_float and min_ndim <= m.ndim <= max_ndim

    return b.operand(fits, lambda: b.leaf(b.shape(min_ndim, min(max_ndim, 4))), reuse=50)


def _affine(b: Builder, x: int, shape: tuple[int, ...]) -> tuple[tuple[int, ...], dict[str, Any]]:
    """(positions of weight and/or bias, which of them are given)."""
    dtype = b.meta(x).dtype
    picked: list[int] = []
    flags = {"weight": b.flag(65), "bias": b.flag(65)}
    for name in ("weight", "bias"):
        if flags[name]:
            picked.append(b.operand(lambda m: m.is_float and m.shape == shape
                                    and m.dtype == dtype,
                                    lambda: b.leaf(shape, dtype=str(dtype)), reuse=25))
    return tuple(picked), flags


def _split(lib: Lib, x: Any, args: tuple[Any, ...], weight: bool, bias: bool,
           shape: tuple[int, ...]) -> tuple[Any, Any]:
    """(weight, bias); PyTorch's side gets a constant weight of ones for none (see the top)."""
    w = args[0] if weight else None
    if w is None and lib.name == "torch":
        w = lib.const(np.ones(shape, lib.dtype(x)))
    return w, (args[-1] if bias else None)


def _running(b: Builder, x: int) -> dict[str, Any]:
    meta = b.meta(x)
    channels = meta.shape[1]
    rng = np.random.default_rng(b.integer(0, 10**6))
    return {"mean": rng.normal(size=channels).astype(meta.dtype),
            "var": rng.uniform(0.2, 2.0, channels).astype(meta.dtype)}


def _buffers(lib: Lib, mean: np.ndarray, var: np.ndarray) -> tuple[Any, Any]:
    return lib.const(mean.copy()), lib.const(var.copy())  # fresh per run: updated in place


def draw_batch_norm(b: Builder) -> Drawn:
    x = _input(b, 2)
    args, flags = _affine(b, x, b.meta(x).shape[1:2])
    form = b.choice(("train", "train", "no_buffers", "eval"))
    params = {"form": form, "momentum": b.choice(MOMENTA), "eps": b.choice(EPSILONS),
              "keyword": b.flag(), **flags, **_running(b, x)}
    return (x, *args), params


@op("batch_norm", draw_batch_norm, outputs=3)
def apply_batch_norm(lib: Lib, x: Any, *args: Any, form: str, momentum: float, eps: float,
                     keyword: bool, weight: bool, bias: bool, mean: np.ndarray,
                     var: np.ndarray) -> Any:
    w, bb = _split(lib, x, args, weight, bias, tuple(x.shape[1:2]))
    rm, rv = _buffers(lib, mean, var)
    given = (None, None) if form == "no_buffers" else (rm, rv)
    training = form != "eval"
    if keyword:
        y = lib.F.batch_norm(x, *given, weight=w, bias=bb, training=training,
                             momentum=momentum, eps=eps)
    else:
        y = lib.F.batch_norm(x, *given, w, bb, training, momentum, eps)
    return y, rm, rv


def draw_instance_norm(b: Builder) -> Drawn:
    x = _input(b, 3)
    args, flags = _affine(b, x, b.meta(x).shape[1:2])
    params = {"form": b.choice(("train", "no_buffers", "eval")), "momentum": b.choice(MOMENTA),
              "eps": b.choice(EPSILONS), **flags, **_running(b, x)}
    return (x, *args), params


@op("instance_norm", draw_instance_norm, outputs=3)
def apply_instance_norm(lib: Lib, x: Any, *args: Any, form: str, momentum: float, eps: float,
                        weight: bool, bias: bool, mean: np.ndarray, var: np.ndarray) -> Any:
    w, bb = _split(lib, x, args, weight, bias, tuple(x.shape[1:2]))
    rm, rv = _buffers(lib, mean, var)
    given = (None, None) if form == "no_buffers" else (rm, rv)
    y = lib.F.instance_norm(x, *given, w, bb, use_input_stats=form != "eval",
                            momentum=momentum, eps=eps)
    return y, rm, rv


def draw_group_norm(b: Builder) -> Drawn:
    x = _input(b, 2)
    channels = b.meta(x).shape[1]
    groups = b.choice([g for g in (1, 2, 3, 4) if channels % g == 0])
    args, flags = _affine(b, x, (channels,))
    return (x, *args), {"groups": groups, "eps": b.choice(EPSILONS), **flags}


@op("group_norm", draw_group_norm)
def apply_group_norm(lib: Lib, x: Any, *args: Any, groups: int, eps: float, weight: bool,
                     bias: bool) -> Any:
    shape = tuple(x.shape)
    w, bb = _split(lib, x, args, weight, bias, shape[1:2])
    if lib.name == "torch" and math.prod(shape) == 0:
        per_channel = (1, shape[1]) + (1,) * (len(shape) - 2)  # documented (see the top)
        y = x * w.reshape(per_channel)
        return y if bb is None else y + bb.reshape(per_channel)
    return lib.F.group_norm(x, groups, w, bb, eps)


def draw_layer_norm(b: Builder) -> Drawn:
    x = _input(b, 1)
    shape = b.meta(x).shape
    normalized = shape[len(shape) - b.integer(1, len(shape)):]
    args, flags = _affine(b, x, normalized)
    return (x, *args), {"normalized": normalized, "as_list": b.flag(30),
                        "eps": b.choice(EPSILONS), **flags}


@op("layer_norm", draw_layer_norm)
def apply_layer_norm(lib: Lib, x: Any, *args: Any, normalized: tuple[int, ...], as_list: bool,
                     eps: float, weight: bool, bias: bool) -> Any:
    w, bb = _split(lib, x, args, weight, bias, normalized)
    return lib.F.layer_norm(x, list(normalized) if as_list else normalized, w, bb, eps=eps)
