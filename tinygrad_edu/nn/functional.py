"""Functional forms of activations and losses (``import tinygrad_edu.nn.functional as F``).

The losses check their inputs here (shapes, dtypes, class range) so that the fused ops in
``ops/loss.py`` stay pure math.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import as_int
from ..ops import activation as A
from ..ops import linalg as Lin
from ..ops import loss as Loss
from ..ops import shape as S
from ..tensor import Tensor, _as_tensor, _make

__all__ = [
    "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "pad",
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "l1_penalty", "l2_penalty",
]


# ---------------------------------------------------------------------- activations


def relu(x: Tensor) -> Tensor:
    """max(x, 0); derivative 0 at 0 (as PyTorch; seed 001 uses 1 there)."""
    return A.ReLU.apply(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)):
        raise TypeError(f"leaky_relu(): argument 'negative_slope' must be a number, got "
                        f"{negative_slope!r} ({type(negative_slope).__name__})")
    return A.LeakyReLU.apply(x, negative_slope=float(negative_slope))


def sigmoid(x: Tensor) -> Tensor:
    return A.Sigmoid.apply(x if type(x) is Tensor else _as_tensor(x))


def tanh(x: Tensor) -> Tensor:
    return A.Tanh.apply(x if type(x) is Tensor else _as_tensor(x))


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    return _as_tensor(x).softmax(dim)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    return _as_tensor(x).log_softmax(dim)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight^T + bias, with weight of shape (out_features, in_features) as PyTorch; one
    fused node (ops.linalg.Linear). A 1-D weight is a single output: x @ weight."""
    if weight._data.ndim == 1:
        out = _as_tensor(x) @ weight
        return out if bias is None else out + bias
    if bias is None:
        return Lin.Linear.apply(_as_tensor(x), weight)
    return Lin.Linear.apply(_as_tensor(x), weight, bias)


def pad(x: Tensor, pad: tuple[int, ...], value: float = 0.0) -> Tensor:
    """Constant padding in PyTorch's order: (left, right) of the last dim, then of the one
    before it, and so on."""
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad(): argument 'pad' must be a tuple of ints, got {pad!r}")
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad needs pairs for at most {x.ndim} dims, got {pad}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (as_int(pad[2 * i], "pad", "pad"),
                                  as_int(pad[2 * i + 1], "pad", "pad"))
    if any(w < 0 for pair in widths for w in pair):  # a negative width crops, as PyTorch
        crop = tuple(slice(max(-before, 0), n - max(-after, 0))
                     for (before, after), n in zip(widths, x.shape, strict=True))
        if any(c.stop - c.start < 0 for c in crop):
            raise ValueError(f"pad {pad} crops more than the input's shape {x.shape} holds")
        x = x[crop]
        widths = [(max(before, 0), max(after, 0)) for before, after in widths]
    return S.Pad.apply(x, widths=tuple(widths), value=value)


# ---------------------------------------------------------------------- losses


def _check_reduction(reduction: str) -> None:
    if reduction not in Loss.REDUCTIONS:
        raise ValueError(f"reduction must be one of {Loss.REDUCTIONS}, got {reduction!r}")


# The unsigned type of each signed integer type: viewed as unsigned, a negative index is huge,
# so one max() checks both bounds of a class index.
_UNSIGNED = {np.dtype(f"i{size}"): np.dtype(f"u{size}") for size in (1, 2, 4, 8)}
_SMALL_UNSIGNED = {np.dtype(f"u{size}") for size in (1, 2, 4)}  # uint64 is not PyTorch's


def _floating_input(x: Tensor, fn: str) -> None:
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{fn}: expected a floating point input, got dtype {x.dtype} "
                           "(convert with .float())")


def _class_indices(t: np.ndarray, n: int, classes: int, fn: str) -> np.ndarray:
    """Validate an integer array of class targets: shape (N,) and every value in [0, C)."""
    unsigned = _UNSIGNED.get(t.dtype)
    if unsigned is None and t.dtype not in _SMALL_UNSIGNED:  # floats, bools, uint64
        raise RuntimeError(f"{fn}: class-index target must be an int64 (or other signed or "
                           f"small unsigned integer) tensor, got dtype {t.dtype}")
    if t.shape != (n,):
        raise ValueError(f"{fn}: class-index target must have shape ({n},), got {t.shape}")
    # = t.max() on the unsigned view, without the Python wrapper around the reduction
    if n and np.maximum.reduce(t if unsigned is None else t.view(unsigned), axis=None) >= classes:
        bad = t[(t < 0) | (t >= classes)][0]
        raise IndexError(f"{fn}: target {bad} is out of range for {classes} classes [0, {classes})")
    return t


def cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax + negative log-likelihood in one stable node.

    ``input``: logits (N, C), or (C,) for a single sample (seed 001). ``target``: class indices
    (N,) (a scalar for one sample), or class probabilities / one-hot rows of the input's shape.
    Gradient: (softmax(input) - onehot(target)) / N for reduction='mean'.
    """
    _check_reduction(reduction)
    logits = _as_tensor(input)
    _floating_input(logits, "cross_entropy")
    target_data = target._data if isinstance(target, Tensor) else np.asarray(target)
    if logits._data.ndim == 1:  # one sample: a batch of one
        if target_data.ndim == 1 and target_data.dtype.kind in "iu":  # [y], as PyTorch
            if target_data.shape != (1,):
                raise ValueError(f"cross_entropy: for 1-D input, a 1-D target must have size "
                                 f"1, got shape {target_data.shape}")
            target = target_data.reshape(1)
        elif target_data.ndim == 1:  # probabilities (C,)
            target = _as_tensor(target).reshape(1, -1)
        else:  # a class index
            target = target_data.reshape(1)
        out = cross_entropy(logits.reshape(1, -1), target, reduction)
        return out.reshape(()) if reduction == "none" else out
    if logits._data.ndim != 2:
        raise ValueError(f"cross_entropy: input must be (N, C) or (C,), got shape {logits.shape}")
    n, classes = logits._data.shape
    if target_data.dtype.kind in "iu":
        _class_indices(target_data, n, classes, "cross_entropy")
        # keep the caller's tensor when it is one (a graph picture can then show its name)
        if not isinstance(target, Tensor):
            target = _make(target_data, False)
        return Loss.CrossEntropy.apply(logits, target, reduction=reduction)
    if target_data.dtype.kind == "f":
        if target_data.shape != logits.shape:
            raise ValueError(
                f"cross_entropy: probability target must have the input's shape {logits.shape}, "
                f"got {target_data.shape} (class indices must be an integer array)"
            )
        probs = target if isinstance(target, Tensor) else _make(target_data, False)
        if probs.dtype != logits.dtype:
            probs = probs.to(logits.dtype)
        return Loss.CrossEntropyWithProbs.apply(logits, probs, reduction=reduction)
    raise TypeError(f"cross_entropy: target dtype {target_data.dtype} is neither int nor float")


def nll_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """-input[n, target[n]] for log-probabilities ``input`` (N, C) and class indices (N,)."""
    _check_reduction(reduction)
    if input.ndim != 2:
        raise ValueError(f"nll_loss: input must be (N, C), got shape {input.shape}")
    _floating_input(input, "nll_loss")
    target_data = target._data if isinstance(target, Tensor) else np.asarray(target)
    indices = _class_indices(target_data, input.shape[0], input.shape[1], "nll_loss")
    # the caller's tensor itself is the input, so changing it in place before backward is
    # caught by the engine's in-place check (a new tensor around its array would not be)
    target = target if isinstance(target, Tensor) else _make(np.array(indices), False)
    return Loss.NLLLoss.apply(input, target, reduction=reduction)


def _pair(input: Any, target: Any, fn: str) -> tuple[Tensor, Tensor]:
    """Input and target of an elementwise loss: floating point, one shape, one dtype."""
    if (type(input) is Tensor and type(target) is Tensor and input._data.dtype.kind == "f"
            and target._data.dtype is input._data.dtype
            and target._data.shape == input._data.shape):
        return input, target  # the common case, checked in one test (2 % of model E's step)
    x = _as_tensor(input)
    y = x._operand(target)
    if x.shape != y.shape:
        raise ValueError(f"{fn}: input shape {x.shape} and target shape {y.shape} differ")
    for name, t in (("input", x), ("target", y)):
        if t._data.dtype.kind != "f":
            raise RuntimeError(f"{fn}: expected a floating point {name}, got dtype {t.dtype} "
                               "(convert with .float())")
    if x._data.dtype != y._data.dtype:
        x, y = x._pair(y)
    return x, y


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """(input - target)^2, averaged (or summed) over all elements."""
    _check_reduction(reduction)
    return Loss.MSELoss.apply(*_pair(input, target, "mse_loss"), reduction=reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """|input - target|, averaged (or summed) over all elements."""
    _check_reduction(reduction)
    return Loss.L1Loss.apply(*_pair(input, target, "l1_loss"), reduction=reduction)


def binary_cross_entropy(input: Tensor, target: Any, reduction: str = "mean",
                         eps: float = 1e-10) -> Tensor:
    """-(y log p + (1 - y) log(1 - p)) for probabilities p, with p and 1 - p clipped below at
    ``eps`` (seed 004 clips at 1e-10; PyTorch instead clamps the log at -100)."""
    _check_reduction(reduction)
    p, y = _pair(input, target, "binary_cross_entropy")
    for name, t in (("input", p), ("target", y)):
        if not ((t._data >= 0) & (t._data <= 1)).all():  # also refuses NaN
            raise RuntimeError(f"binary_cross_entropy: all elements of {name} should be between "
                               f"0 and 1 (use binary_cross_entropy_with_logits for logits)")
    return Loss.BinaryCrossEntropy.apply(p, y, reduction=reduction, eps=eps)


def binary_cross_entropy_with_logits(input: Tensor, target: Any,
                                     reduction: str = "mean") -> Tensor:
    """Sigmoid + binary cross-entropy in one stable node; gradient sigmoid(x) - y."""
    _check_reduction(reduction)
    x, y = _pair(input, target, "binary_cross_entropy_with_logits")
    return Loss.BinaryCrossEntropyWithLogits.apply(x, y, reduction=reduction)


def l1_penalty(weight: Tensor, lam: float = 1.0) -> Tensor:
    """lam * sum |w| (seed 003). Gradient: lam * sign(w)."""
    return weight.abs().sum() * lam


def l2_penalty(weight: Tensor, lam: float = 1.0) -> Tensor:
    """lam * sum w^2 (seed 003). Gradient: 2 lam w."""
    return (weight * weight).sum() * lam


# ---------------------------------------------------------------------- dropout

__all__ += ["dropout"]


def _check_dropout_p(p: float) -> None:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)):
        raise TypeError(f"dropout probability must be a number, got {p!r} ({type(p).__name__})")
    if not 0.0 <= p <= 1.0:  # also rejects NaN
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: y = x * m / (1 - p), m_i ~ Bernoulli(1 - p), when ``training``;
    y = x (the same tensor) otherwise.

    The mask is one constant operand of a multiply, so the gradient is the incoming gradient
    times m / (1 - p): dropped elements get none, kept ones are scaled like the forward. The
    mask comes from ``tinygrad_edu.random.get_rng()`` (seed it with ``manual_seed``).
    p = 1 zeroes everything (and its gradient); p = 0 returns the input unchanged.
    """
    from ..random import get_rng  # the current Generator (manual_seed replaces it)

    _check_dropout_p(p)
    x = _as_tensor(input)
    if not training or p == 0.0:
        return x
    if x.dtype.kind != "f":
        raise TypeError(f"dropout needs a floating point tensor, got dtype {x.dtype}")
    if p == 1.0:
        return x * 0.0
    draw_dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
    keep = get_rng().random(x.shape, dtype=draw_dtype) >= p  # P(keep) = 1 - p
    scaled_mask = keep * np.asarray(1.0 / (1.0 - p), dtype=x.dtype)  # m / (1 - p), x's dtype
    return x * _make(scaled_mask.astype(x.dtype, copy=False), False)
