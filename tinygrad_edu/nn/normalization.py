"""Normalization layers, as ``torch.nn``: ``BatchNorm1d/2d/3d``, ``InstanceNorm1d/2d/3d``,
``LayerNorm``, ``GroupNorm``.

Each is a thin ``Module`` around a function of ``nn.functional`` (one node each, see
``ops/norm.py``), with PyTorch's constructor arguments, attribute names, parameters
(``weight``, ``bias``), buffers (``running_mean``, ``running_var``, ``num_batches_tracked``:
the keys of ``state_dict``), initialisation (weight 1, bias 0) and printed form.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._typing import DTypeLike
from ..autograd.graph import side_effect
from ..device import check_device
from ..dtypes import _dtype, get_default_dtype
from ..tensor import Tensor
from . import functional as F
from . import init
from ._args import _real_arg, _size
from .module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
           "InstanceNorm3d", "LayerNorm", "GroupNorm"]


def _float_dtype(layer: str, device: Any, dtype: DTypeLike) -> np.dtype:
    check_device(device)
    dt = get_default_dtype() if dtype is None else _dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{layer}: dtype must be a floating point dtype, got {dt}")
    return dt


def _momentum(layer: str, momentum: Any) -> float | None:
    return None if momentum is None else _real_arg(layer, "momentum", momentum)


def _affine_parameters(module: Module, affine: bool, shape: tuple[int, ...], dtype: np.dtype,
                       bias: bool) -> None:
    """``weight`` (ones) and ``bias`` (zeros) of ``shape`` when ``affine``, else None (as
    PyTorch registers them: the names exist either way)."""
    module.register_parameter("weight", Parameter(np.ones(shape, dtype)) if affine else None)
    module.register_parameter("bias", Parameter(np.zeros(shape, dtype)) if affine and bias
                              else None)


def _reset_affine(module: Any) -> None:
    """PyTorch's init of a normalization's affine map: weight 1, bias 0 (in place)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _NormBase(Module):
    """What batch and instance norm share: per-channel ``weight`` and ``bias`` (``affine``) and
    the running statistics (``track_running_stats``): ``running_mean`` (zeros),
    ``running_var`` (ones) and ``num_batches_tracked`` (an int64 0-d count), or ``None``."""

    weight: Parameter | None
    bias: Parameter | None
    running_mean: Tensor | None
    running_var: Tensor | None
    num_batches_tracked: Tensor | None

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: DTypeLike = None, *, bias: bool = True) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_features = _size(name, "num_features", num_features)
        self.eps = _real_arg(name, "eps", eps)
        self.momentum = _momentum(name, momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        dt = _float_dtype(name, device, dtype)
        c = self.num_features
        _affine_parameters(self, self.affine, (c,), dt, bias)
        if self.track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(c, dt)))
            self.register_buffer("running_var", Tensor(np.ones(c, dt)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), np.int64)))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """running_mean = 0, running_var = 1, num_batches_tracked = 0 (in place)."""
        if self.track_running_stats and self.running_mean is not None:
            self.running_mean.zero_()
            self.running_var.fill_(1)  # type: ignore[union-attr]
            self.num_batches_tracked.zero_()  # type: ignore[union-attr]

    def reset_parameters(self) -> None:
        """The running statistics reset, weight = 1 and bias = 0 (PyTorch's init)."""
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input_dim(self, input: Tensor) -> None:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias per channel (dim 1).

    In training mode (``train()``, the default) E and Var are the batch's (biased Var), and
    with ``track_running_stats`` the running statistics follow them: r = (1 - momentum) r +
    momentum * stat, with the unbiased batch variance for ``running_var``;
    ``momentum=None`` makes that a cumulative average, momentum = 1 / num_batches_tracked.
    In evaluation mode (``eval()``) the running statistics are used, if tracked; without
    them the batch's statistics are used in both modes.
    """

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        training, tracked = self.training, self.num_batches_tracked
        if training and self.track_running_stats and tracked is not None:
            side_effect(_count_batch, tracked._data)
            if self.momentum is None:  # the cumulative moving average
                factor = 1.0 / int(tracked._data)
        if training:
            if not self.track_running_stats:
                return F.batch_norm(input, None, None, self.weight, self.bias, True, factor,
                                    self.eps)
            use_batch = True
        else:
            use_batch = self.running_mean is None and self.running_var is None
        return F.batch_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                            use_batch, factor, self.eps)


def _count_batch(counter: np.ndarray) -> None:
    counter += 1  # in place: the state dict shares this memory


def _dims(input: Any) -> int:
    data = getattr(input, "_data", input)
    return data.ndim if isinstance(data, np.ndarray) else len(getattr(data, "shape", ()))


class BatchNorm1d(_BatchNorm):
    """Batch norm of (N, C) or (N, C, L) inputs (see ``_BatchNorm``)."""

    def _check_input_dim(self, input: Tensor) -> None:
        if _dims(input) not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {_dims(input)}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch norm of (N, C, H, W) inputs (see ``_BatchNorm``)."""

    def _check_input_dim(self, input: Tensor) -> None:
        if _dims(input) != 4:
            raise ValueError(f"expected 4D input (got {_dims(input)}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch norm of (N, C, D, H, W) inputs (see ``_BatchNorm``)."""

    def _check_input_dim(self, input: Tensor) -> None:
        if _dims(input) != 5:
            raise ValueError(f"expected 5D input (got {_dims(input)}D input)")


class _InstanceNorm(_NormBase):
    """Batch norm per sample: each (sample, channel) standardized over its own spatial values.
    Defaults as PyTorch's: ``affine=False``, ``track_running_stats=False``. With running
    statistics they follow the batch average of the per-sample statistics in training mode
    and are used instead of them in evaluation mode. An unbatched input (no N) works too."""

    _batched_dims = 3

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: Any = None,
                 dtype: DTypeLike = None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def _check_input_dim(self, input: Tensor) -> None:
        d = self._batched_dims
        if _dims(input) not in (d - 1, d):
            raise ValueError(f"expected {d - 1}D or {d}D input (got {_dims(input)}D input)")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        feature_dim = _dims(input) - (self._batched_dims - 1)
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match "
                                 f"num_features ({self.num_features}), but got: "
                                 f"{input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. "
                          "You can silence this warning by not passing in num_features, which "
                          "is not used because affine=False", stacklevel=2)
        unbatched = _dims(input) == self._batched_dims - 1
        x = input.unsqueeze(0) if unbatched else input
        out = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats,
                              0.0 if self.momentum is None else self.momentum, self.eps)
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance norm of (N, C, L) or unbatched (C, L) inputs."""

    _batched_dims = 3


class InstanceNorm2d(_InstanceNorm):
    """Instance norm of (N, C, H, W) or unbatched (C, H, W) inputs."""

    _batched_dims = 4


class InstanceNorm3d(_InstanceNorm):
    """Instance norm of (N, C, D, H, W) or unbatched (C, D, H, W) inputs."""

    _batched_dims = 5


class LayerNorm(Module):
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, E and the biased Var over the last
    ``len(normalized_shape)`` dims of each sample; ``weight`` (ones) and ``bias`` (zeros) of
    shape ``normalized_shape`` when ``elementwise_affine`` (``bias=False``: no bias)."""

    weight: Parameter | None
    bias: Parameter | None

    def __init__(self, normalized_shape: int | tuple[int, ...] | list[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: DTypeLike = None) -> None:
        super().__init__()
        shape = ((normalized_shape,) if not isinstance(normalized_shape, (tuple, list))
                 else tuple(normalized_shape))
        self.normalized_shape = tuple(_size("LayerNorm", "normalized_shape", n) for n in shape)
        self.eps = _real_arg("LayerNorm", "eps", eps)
        self.elementwise_affine = bool(elementwise_affine)
        dt = _float_dtype("LayerNorm", device, dtype)
        _affine_parameters(self, self.elementwise_affine, self.normalized_shape, dt, bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """The ``num_channels`` channels in ``num_groups`` groups; each (sample, group)
    standardized over its channels and spatial values, then scaled and shifted per channel
    (``weight`` ones, ``bias`` zeros, when ``affine``)."""

    weight: Parameter | None
    bias: Parameter | None

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: DTypeLike = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        groups = _size("GroupNorm", "num_groups", num_groups)
        channels = _size("GroupNorm", "num_channels", num_channels)
        if groups == 0:
            raise ValueError("GroupNorm: num_groups must be positive, got 0")
        if channels % groups:
            raise ValueError(f"num_channels ({channels}) must be divisible by num_groups "
                             f"({groups})")
        self.num_groups, self.num_channels = groups, channels
        self.eps = _real_arg("GroupNorm", "eps", eps)
        self.affine = bool(affine)
        dt = _float_dtype("GroupNorm", device, dtype)
        _affine_parameters(self, self.affine, (channels,), dt, bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")
