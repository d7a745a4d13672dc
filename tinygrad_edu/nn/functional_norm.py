"""Normalization functional forms, as ``torch.nn.functional``: ``batch_norm``,
``instance_norm``, ``group_norm``, ``layer_norm``; re-exported by ``nn.functional``.

Each checks its arguments (PyTorch's error kinds, with the shapes in the message) and records
ONE node of ``ops.norm`` (``BatchNormBackward0``, ...) whose backward is the closed form.
Running statistics are updated in place, as PyTorch does, by the forward of that node.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..ops import norm as N
from ..tensor import Tensor, _as_tensor
from . import _unfused_state

__all__ = ["batch_norm", "instance_norm", "group_norm", "layer_norm"]


def _check_float(x: Tensor, op: str) -> None:
    if x._data.dtype.kind != "f":  # NotImplementedError is a RuntimeError, as PyTorch's
        raise NotImplementedError(f'"{op}" not implemented for dtype {x._data.dtype}: '
                                  f"the input (shape {x.shape}) must be floating point")


def _check_vector(t: Tensor | None, name: str, size: int, x: Tensor, op: str) -> None:
    """weight, bias or a running statistic: None, or ``size`` values of x's dtype."""
    if t is None:
        return
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}(): {name} must be a Tensor or None, got {type(t).__name__}")
    if t._data.size != size or t._data.ndim != 1:
        raise RuntimeError(f"{op}(): {name} should contain {size} elements not "
                           f"{t._data.size} (its shape {t.shape}, the input's {x.shape})")
    if t._data.dtype != x._data.dtype:
        raise RuntimeError(f"{op}(): mixed dtypes: the input is {x._data.dtype} but {name} is "
                           f"{t._data.dtype}; all must share one dtype")


def _affine(x: Tensor, weight: Tensor | None, bias: Tensor | None) -> tuple[Tensor, ...]:
    return (x,) + tuple(t for t in (weight, bias) if t is not None)


def _verify_batch_size(size: Sequence[int]) -> None:
    """PyTorch's check (its rule and message): more than one value per channel to train."""
    if size[0] * math.prod(size[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {size}")


def _check_batch_norm(x: Tensor, momentum: Any, vectors: tuple[Tensor | None, ...]) -> None:
    """Raise the error that fits a call the fast check in ``batch_norm`` refused."""
    _check_float(x, "batch_norm")
    shape = x._data.shape
    if len(shape) < 2:
        raise ValueError(f"batch_norm(): expected an input of shape (N, C, *) with at least 2 "
                         f"dims, got shape {shape}")
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)):
        raise TypeError(f"batch_norm(): argument 'momentum' must be float, not "
                        f"{type(momentum).__name__}")
    for name, t in zip(("running_mean", "running_var", "weight", "bias"), vectors, strict=True):
        _check_vector(t, name, shape[1], x, "batch_norm")


_REAL = (float, int)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """y = (x - mean) / sqrt(var + eps) * weight + bias per channel (dim 1) of an (N, C, *)
    input, mean and var over every other dim.

    ``training``: the batch's statistics (biased var), and ``running_mean``/``running_var``
    (if given) updated in place: r = (1 - momentum) r + momentum * stat, with the unbiased
    batch variance for ``running_var``. Otherwise the running statistics. One node
    (``BatchNormBackward0``), closed-form backward (``ops.norm.Normalize``).
    """
    x = _as_tensor(input)
    data = x._data
    shape, dtype = data.shape, data.dtype
    vectors = (running_mean, running_var, weight, bias)
    # the checks in one pass (this runs in every training step); the details when one fails
    ok = len(shape) > 1 and dtype.kind == "f" and type(momentum) in _REAL
    try:
        wanted = shape[1:2]
        for t in vectors if ok else ():
            if t is not None and (type(t._data) is not np.ndarray or t._data.shape != wanted
                                  or t._data.dtype != dtype):
                ok = False
    except AttributeError:  # not a Tensor
        ok = False
    if not ok:
        _check_batch_norm(x, momentum, vectors)
    if _unfused_state.forms is not None:  # tg.unfused(): mean, var, sub, div, mul, add
        return _unfused_state.forms.batch_norm(x, running_mean, running_var, weight, bias,
                                               training, momentum, eps)
    inputs = _affine(x, weight, bias)
    flags = {"weight": weight is not None, "bias": bias is not None}
    plan = N.channel_plan(shape, shape[1], per_sample=False)
    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm(): running_mean and running_var must be defined in "
                               "evaluation mode (training=False)")
        return N.BatchNorm.apply(*inputs, plan=plan, eps=eps, **flags,
                                 fixed=(running_mean._data, running_var._data))
    if plan.view[0] * plan.view[3] == 1:
        _verify_batch_size(shape)
    if running_mean is None or running_var is None:
        if running_mean is not running_var:
            raise ValueError("running_mean and running_var must either both be None or "
                             "neither be None")
        return N.BatchNorm.apply(*inputs, plan=plan, eps=eps, **flags)
    return N.BatchNorm.apply(*inputs, plan=plan, eps=eps, **flags,
                             running=(running_mean._data, running_var._data, momentum))


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch norm per sample: each (n, c) of an (N, C, *) input standardized over its own
    spatial values. With running statistics, they follow the batch average of the per-sample
    statistics; ``use_input_stats=False`` normalizes with them instead (eval mode)."""
    x = _as_tensor(input)
    _check_float(x, "instance_norm")
    shape = x._data.shape
    if len(shape) < 2:
        raise ValueError(f"instance_norm(): expected an input of shape (N, C, *) with at least "
                         f"2 dims, got shape {shape}")
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("instance_norm(): Expected running_mean and running_var to be "
                               "defined when use_input_stats is false")
        return batch_norm(x, running_mean, running_var, weight, bias, False, momentum, eps)
    if math.prod(shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{shape}")
    channels = shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_vector(t, name, channels, x, "instance_norm")
    if _unfused_state.forms is not None:  # tg.unfused(): its steps (nn/unfused.py)
        return _unfused_state.forms.instance_norm(x, running_mean, running_var, weight, bias,
                                                  momentum, eps)
    flags = {"weight": weight is not None, "bias": bias is not None}
    plan = N.channel_plan(shape, channels, per_sample=True)
    if running_mean is None or running_var is None:
        return N.InstanceNorm.apply(*_affine(x, weight, bias), plan=plan, eps=eps, **flags)
    return N.InstanceNorm.apply(*_affine(x, weight, bias), plan=plan, eps=eps, **flags,
                                running=(running_mean._data, running_var._data, momentum))


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """The C channels of an (N, C, *) input in ``num_groups`` groups of C / num_groups
    channels; each (sample, group) standardized over its channels and spatial values, then
    scaled and shifted per channel."""
    x = _as_tensor(input)
    _check_float(x, "group_norm")
    shape = x._data.shape
    if len(shape) < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{len(shape)}")
    try:
        groups = operator.index(num_groups)
    except TypeError:
        raise TypeError(f"group_norm(): num_groups must be an int, got {num_groups!r}") from None
    channels = shape[1]
    if groups <= 0:
        raise ValueError(f"group_norm(): num_groups must be positive, got {groups}")
    if channels % groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(shape)} and "
                           f"num_groups={groups}")
    _verify_batch_size([shape[0] * channels // groups, groups, *shape[2:]])
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t._data.ndim == 1 and t._data.size != channels:
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(t.shape)} "
                               f"and input of shape {list(shape)}")
        _check_vector(t, name, channels, x, "group_norm")
    if _unfused_state.forms is not None:  # tg.unfused(): its steps (nn/unfused.py)
        return _unfused_state.forms.group_norm(x, groups, weight, bias, eps)
    return N.GroupNorm.apply(*_affine(x, weight, bias),
                             plan=N.channel_plan(shape, groups, per_sample=True), eps=eps,
                             weight=weight is not None, bias=bias is not None)


def _shape_arg(normalized_shape: Any) -> tuple[int, ...]:
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError(f"layer_norm(): argument 'normalized_shape' must be tuple of ints, not "
                        f"{type(normalized_shape).__name__}")
    try:
        return tuple(operator.index(n) for n in normalized_shape)
    except TypeError:
        raise TypeError(f"layer_norm(): argument 'normalized_shape' must be tuple of ints, got "
                        f"{normalized_shape!r}") from None


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Each sample standardized over its last ``len(normalized_shape)`` dims (which must be
    ``normalized_shape``), then scaled and shifted elementwise by ``weight`` and ``bias`` of
    shape ``normalized_shape``."""
    x = _as_tensor(input)
    _check_float(x, "layer_norm")
    dims = _shape_arg(normalized_shape)
    shape = x._data.shape
    if not dims:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    if shape[len(shape) - len(dims):] != dims or len(dims) > len(shape):
        raise RuntimeError(f"Given normalized_shape={list(dims)}, expected input with shape "
                           f"[*, {', '.join(map(str, dims))}], but got input of size"
                           f"{list(shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is None:
            continue
        if t._data.shape != dims:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(dims)}")
        if t._data.dtype != x._data.dtype:
            raise RuntimeError(f"layer_norm(): mixed dtypes: the input is {x._data.dtype} but "
                               f"{name} is {t._data.dtype}; all must share one dtype")
    if _unfused_state.forms is not None:  # tg.unfused(): its steps (nn/unfused.py)
        return _unfused_state.forms.layer_norm(x, len(dims), weight, bias, eps)
    return N.LayerNorm.apply(*_affine(x, weight, bias), plan=N.row_plan(shape, len(dims)),
                             eps=eps, weight=weight is not None, bias=bias is not None)
