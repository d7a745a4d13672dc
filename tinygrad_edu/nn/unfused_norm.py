"""The teaching view of the norms (see ``nn/unfused.py``): batch, instance, group and layer norm
as their steps -- mean, var (biased), subtract, divide by sqrt(var + eps), scale, shift --
instead of one node with a closed-form backward (``ops.norm``).

Each form is called by the fused entry point (``functional_norm``) once it has checked its
arguments; the few checks it makes later are made here by its own code, in its order, so a bad
call raises the same error either way. Running statistics are updated in place as the fused
forward does: r = (1 - momentum) r + momentum * stat, with the unbiased batch variance for
``running_var`` (instance norm: the batch average of the per-sample statistics).
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import bump_versions
from ..tensor import Tensor, _make
from . import functional_norm as FN


def _scale_shift(y: Tensor, weight: Tensor | None, bias: Tensor | None,
                 param_shape: tuple[int, ...]) -> Tensor:
    """y * weight + bias (``Mul``, ``Add``), weight and bias (C,) reshaped to ``param_shape``
    to broadcast per channel (``Reshape``) where their shape is not that already."""
    if weight is not None:
        y = y * (weight if weight.shape == param_shape else weight.reshape(param_shape))
    if bias is not None:
        y = y + (bias if bias.shape == param_shape else bias.reshape(param_shape))
    return y


def _standardize(x: Tensor, mean: Tensor, var: Tensor, eps: float, weight: Tensor | None,
                 bias: Tensor | None, param_shape: tuple[int, ...]) -> Tensor:
    """y = (x - mean) / sqrt(var + eps) * weight + bias: ``Sub``, ``Add``, ``Sqrt``, ``Div``,
    then ``_scale_shift``. The derivative through mean and var is recorded with them: the
    closed form of the fused node, dL/dx = inv / M (M h - sum(h) - xhat sum(h xhat)), is what
    the chain of these derivatives adds up to."""
    return _scale_shift((x - mean) / (var + eps).sqrt(), weight, bias, param_shape)


def _channel_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """(C, 1, ...): a per-channel vector broadcast over an (N, C, *) input."""
    return (shape[1],) + (1,) * (len(shape) - 2)


def _statistics(x: Tensor, dims: tuple[int, ...]) -> tuple[Tensor, Tensor]:
    """The mean and the biased variance over ``dims`` (kept as size 1): ``Mean``, ``Var``."""
    return x.mean(dims, keepdim=True), x.var(dims, unbiased=False, keepdim=True)


def _update_running(running_mean: Tensor, running_var: Tensor, mean: np.ndarray,
                    var: np.ndarray, count: int, momentum: float) -> None:
    """r = (1 - momentum) r + momentum * stat in place, with var * M / (M - 1) (unbiased; M the
    values per statistic, nan for M = 1) for ``running_var``, as the fused forward does."""
    unbiased = var * (count / (count - 1)) if count > 1 else np.full_like(var, np.nan)
    bump_versions([running_mean, running_var])  # values saved from them are now stale
    for buffer, value in ((running_mean._data, mean), (running_var._data, unbiased)):
        buffer *= 1 - momentum
        buffer += momentum * value.astype(buffer.dtype, copy=False)


def batch_norm(x: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None, bias: Tensor | None, training: bool, momentum: float,
               eps: float) -> Tensor:
    """y = (x - mean) / sqrt(var + eps) * weight + bias per channel of an (N, C, *) input.

    Training: mean and biased var of the batch over every dim but the channel's (``Mean``,
    ``Var``), and the running statistics, if given, updated in place. Evaluation: the running
    statistics, constants (an affine map per channel: dL/dx = weight / sqrt(var + eps) g).
    """
    shape = x._data.shape
    param_shape = _channel_shape(shape)
    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm(): running_mean and running_var must be defined in "
                               "evaluation mode (training=False)")
        mean = _make(np.array(running_mean._data).reshape(param_shape), False)  # copies: the
        var = _make(np.array(running_var._data).reshape(param_shape), False)  # buffers change
        return _standardize(x, mean, var, eps, weight, bias, param_shape)
    FN._verify_batch_size(shape)
    if (running_mean is None or running_var is None) and running_mean is not running_var:
        raise ValueError("running_mean and running_var must either both be None or neither be "
                         "None")
    batch_mean, batch_var = _statistics(x, (0,) + tuple(range(2, len(shape))))
    if running_mean is not None and running_var is not None and x._data.size:
        _update_running(running_mean, running_var, batch_mean._data.reshape(-1),
                        batch_var._data.reshape(-1), x._data.size // shape[1], momentum)
    return _standardize(x, batch_mean, batch_var, eps, weight, bias, param_shape)


def instance_norm(x: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
                  weight: Tensor | None, bias: Tensor | None, momentum: float,
                  eps: float) -> Tensor:
    """Batch norm per sample (the input's statistics; ``F.instance_norm`` hands the
    ``use_input_stats=False`` case to ``batch_norm``): each (n, c) of an (N, C, *) input
    standardized over its spatial values, y = (x - mean) / sqrt(var + eps) * weight + bias;
    the running statistics follow the batch average of the per-sample ones."""
    shape = x._data.shape
    mean, var = _statistics(x, tuple(range(2, len(shape))))
    if running_mean is not None and running_var is not None and x._data.size:
        n, c = shape[:2]
        _update_running(running_mean, running_var, mean._data.reshape(n, c).mean(axis=0),
                        var._data.reshape(n, c).mean(axis=0), math.prod(shape[2:]), momentum)
    return _standardize(x, mean, var, eps, weight, bias, _channel_shape(shape))


def group_norm(x: Tensor, num_groups: int, weight: Tensor | None, bias: Tensor | None,
               eps: float) -> Tensor:
    """The C channels of an (N, C, *) input in G groups: ``Reshape`` to (N, G, C/G * S), mean
    and biased var per (sample, group), standardize, ``Reshape`` back, then scale and shift
    per channel: y = (x - mean_g) / sqrt(var_g + eps) * weight + bias."""
    shape = x._data.shape
    n, c = shape[:2]
    groups = int(num_groups)
    grouped = x.reshape(n, groups, c // groups * math.prod(shape[2:]))
    mean, var = _statistics(grouped, (2,))
    y = ((grouped - mean) / (var + eps).sqrt()).reshape(shape)
    return _scale_shift(y, weight, bias, _channel_shape(shape))


def layer_norm(x: Tensor, normalized_dims: int, weight: Tensor | None, bias: Tensor | None,
               eps: float) -> Tensor:
    """Each sample standardized over its last ``normalized_dims`` dims (mean and biased var
    there), then scaled and shifted elementwise: y = (x - mean) / sqrt(var + eps) * weight +
    bias, weight and bias of the normalized shape (broadcast as they are)."""
    ndim = x._data.ndim
    mean, var = _statistics(x, tuple(range(ndim - normalized_dims, ndim)))
    param_shape = x._data.shape[ndim - normalized_dims:]
    return _standardize(x, mean, var, eps, weight, bias, param_shape)
