"""Weight initialisation, as ``torch.nn.init``: every function fills a tensor IN PLACE (under
``no_grad``, so it works on parameters), keeps the tensor's dtype, returns the tensor, and
draws from ``tinygrad_edu.random.get_rng()`` (or the NumPy ``generator`` given), so
``manual_seed`` makes an initialisation reproducible. The draws themselves differ from
PyTorch's (another generator); the distributions are the same.

Fans, for a weight of shape (out, in, *kernel): fan_in = in * prod(kernel), fan_out = out *
prod(kernel) (a ``Linear`` weight is (out_features, in_features)).

=======================  ==================================================================
``uniform_(t, a, b)``    U(a, b). Seed 000's init is ``uniform_(w, -0.08, 0.08)``.
``normal_(t, m, s)``     N(m, s^2).
``xavier_uniform_``      U(-l, l), l = gain * sqrt(6 / (fan_in + fan_out))  (Glorot; seed 004)
``xavier_normal_``       N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out))
``kaiming_uniform_``     U(-l, l), l = gain * sqrt(3 / fan)   (He; fan = fan_in or fan_out)
``kaiming_normal_``      N(0, s^2), s = gain / sqrt(fan)
``trunc_normal_``        N(m, s^2) restricted to [a, b] (redrawn until inside, as PyTorch)
``orthogonal_``          the Q of a QR decomposition of a N(0, 1) matrix, times ``gain``
``eye_``, ``dirac_``     the identity matrix; the identity convolution (per group)
``sparse_``              N(0, std^2) with a fraction ``sparsity`` of each column set to 0
=======================  ==================================================================

For Kaiming, gain = ``calculate_gain(nonlinearity, a)``: with the default 'leaky_relu' it is
sqrt(2 / (1 + a^2)), so a = 0 is He's ReLU gain sqrt(2), and a = sqrt(5) (what ``Linear`` uses)
gives the bound 1/sqrt(fan_in).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from ..autograd import no_grad
from ..random import get_rng
from ..tensor import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
    "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
    "kaiming_normal_", "orthogonal_", "sparse_",
    # PyTorch's deprecated spellings without the trailing underscore (FutureWarning)
    "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
    "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse",
]

FanMode = Literal["fan_in", "fan_out"]
_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: int | float | None = None) -> float:
    """The recommended scale for weights followed by ``nonlinearity`` (PyTorch's table):

    linear / conv* / sigmoid: 1;  tanh: 5/3;  relu: sqrt(2);  selu: 3/4;
    leaky_relu: sqrt(2 / (1 + slope^2)), slope = ``param`` (0.01 if None).
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope: float = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _check_tensor(fn: str, tensor: object) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{fn}: expected a Tensor to fill in place, got {type(tensor).__name__}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) = (in * receptive, out * receptive) for shape (out, in, *kernel),
    receptive = prod(kernel) (1 for a matrix)."""
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         f"dimensions (got shape {tensor.shape})")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    """Copy ``values`` into ``tensor`` in place, cast to its dtype, without recording a graph."""
    with no_grad():
        tensor.copy_(values)
    return tensor


def _rng(generator: np.random.Generator | None) -> np.random.Generator:
    return get_rng() if generator is None else generator


def _empty(tensor: Tensor) -> bool:
    if tensor._data.size == 0:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: np.random.Generator | None = None) -> Tensor:
    """Fill with draws from U(a, b). Seed 000's initialisation is ``uniform_(w, -0.08, 0.08)``.

    (Values are drawn in float64 and rounded to the tensor's dtype, so a float32 value can
    land exactly on b.)
    """
    _check_tensor("uniform_", tensor)
    if not a <= b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={a} > to={b}")
    return _fill(tensor, _rng(generator).uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: np.random.Generator | None = None) -> Tensor:
    """Fill with draws from N(mean, std^2)."""
    _check_tensor("normal_", tensor)
    if not std >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return _fill(tensor, _rng(generator).normal(mean, std, tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    _check_tensor("constant_", tensor)
    if isinstance(val, Tensor) and val.ndim == 0:
        val = val.item()
    if not isinstance(val, numbers.Number):
        raise TypeError(f"constant_: val must be a number, got {val!r} ({type(val).__name__})")
    with no_grad():
        tensor.fill_(val)
    return tensor


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    generator: np.random.Generator | None = None) -> Tensor:
    """Glorot & Bengio (2010): U(-l, l) with l = gain * sqrt(6 / (fan_in + fan_out)); the
    variance is gain^2 * 2 / (fan_in + fan_out). Seed 004's "Glorot uniform" init."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    limit = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -limit, limit, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   generator: np.random.Generator | None = None) -> Tensor:
    """N(0, s^2) with s = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: FanMode = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | None = None) -> Tensor:
    """He et al. (2015): U(-l, l) with l = gain * sqrt(3 / fan), gain =
    ``calculate_gain(nonlinearity, a)``, fan = fan_in ('fan_in', keeps the forward variance) or
    fan_out ('fan_out', keeps the backward variance). ``a`` is the negative slope of the
    leaky ReLU that follows (only used with 'leaky_relu')."""
    if _empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: FanMode = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: np.random.Generator | None = None) -> Tensor:
    """He et al. (2015): N(0, s^2) with s = gain / sqrt(fan) (gain and fan as in
    ``kaiming_uniform_``)."""
    if _empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: np.random.Generator | None = None) -> Tensor:
    """Fill with N(mean, std^2) restricted to [a, b], by PyTorch's two rejection samplers:
    where [a, b] holds more than 30 % of the normal's mass, normal draws outside are drawn
    again; otherwise uniform draws on [a, b] are kept with probability exp(-z^2 / 2) relative
    to the density's peak in [a, b] (so far tails cost no more than the bulk)."""
    _check_tensor("trunc_normal_", tensor)
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)

    def cdf(z: float) -> float:
        return (1.0 + math.erf(z / math.sqrt(2.0))) / 2.0

    rng = _rng(generator)
    if cdf((b - mean) / std) - cdf((a - mean) / std) > 0.3:
        values = rng.normal(mean, std, tensor.shape)
        outside = (values < a) | (values > b)
        while outside.any():  # each round redraws only the rejected ones
            values[outside] = rng.normal(mean, std, int(outside.sum()))
            outside = (values < a) | (values > b)
    else:
        mode = max(a, min(mean, b))
        log_peak = -0.5 * ((mode - mean) / std) ** 2

        def rejected(v: np.ndarray) -> np.ndarray:
            return np.log(rng.random(v.shape)) > -0.5 * ((v - mean) / std) ** 2 - log_peak

        values = rng.uniform(a, b, tensor.shape)
        pending = rejected(values)
        while pending.any():
            redrawn = rng.uniform(a, b, int(pending.sum()))
            values[pending] = redrawn
            pending[pending] = rejected(redrawn)
    return _fill(tensor, values)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix (ones on the diagonal of a rectangle)."""
    _check_tensor("eye_", tensor)
    if tensor.ndim != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported, got shape "
                         f"{tensor.shape}")
    rows, cols = tensor.shape
    return _fill(tensor, np.eye(rows, cols))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a conv weight (out, in, *kernel) with the identity convolution: per group, output
    channel d copies input channel d through the kernel's centre (``size // 2``)."""
    _check_tensor("dirac_", tensor)
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"Only tensors with 3, 4, or 5 dimensions are supported, got shape "
                         f"{tensor.shape}")
    out_channels = tensor.shape[0]
    if out_channels % groups != 0:
        raise ValueError(f"dim 0 must be divisible by groups: {out_channels} out channels, "
                         f"{groups} groups")
    per_group = out_channels // groups
    channels = min(per_group, tensor.shape[1])
    values = np.zeros(tensor.shape)
    group, d = np.meshgrid(np.arange(groups), np.arange(channels), indexing="ij")
    centre = tuple(n // 2 for n in tensor.shape[2:])
    index: tuple[Any, ...] = ((group * per_group + d).ravel(), d.ravel()) + centre
    values[index] = 1
    return _fill(tensor, values)


def orthogonal_(tensor: Tensor, gain: float = 1.0,
                generator: np.random.Generator | None = None) -> Tensor:
    """Saxe et al. (2013): the tensor seen as a (rows, rest) matrix gets orthonormal rows (or
    columns, whichever are fewer), times ``gain``: Q of the QR decomposition of a N(0, 1)
    matrix, with the signs of R's diagonal multiplied in so that Q is uniformly distributed."""
    _check_tensor("orthogonal_", tensor)
    if tensor.ndim < 2:
        raise ValueError(f"Only tensors with 2 or more dimensions are supported, got shape "
                         f"{tensor.shape}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _rng(generator).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (q * gain).reshape(tensor.shape))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01,
            generator: np.random.Generator | None = None) -> Tensor:
    """Martens (2010): a 2-D tensor of N(0, std^2) draws with ceil(sparsity * rows) entries of
    every column, at random rows, set to 0."""
    _check_tensor("sparse_", tensor)
    if tensor.ndim != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported, got shape "
                         f"{tensor.shape}")
    rows, cols = tensor.shape
    zeros = math.ceil(sparsity * rows)
    rng = _rng(generator)
    values = rng.normal(0.0, std, (rows, cols))
    # a random permutation of the rows per column: the order of independent uniform draws
    chosen = np.argsort(rng.random((rows, cols)), axis=0)[:zeros]
    values[chosen, np.arange(cols)] = 0.0
    return _fill(tensor, values)


def _deprecated(method: Callable[..., Tensor]) -> Callable[..., Tensor]:
    new_name = method.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args: Any, **kwargs: Any) -> Tensor:
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of "
                      f"`nn.init.{new_name}`.", FutureWarning, stacklevel=2)
        return method(*args, **kwargs)

    deprecated_init.__name__ = old_name
    deprecated_init.__doc__ = f"Deprecated: use ``{new_name}``."
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
