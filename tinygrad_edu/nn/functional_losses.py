"""Loss functions (``F.cross_entropy``, ``F.mse_loss``, ...); re-exported by ``nn.functional``.

The losses check their inputs here (shapes, dtypes, class range) so that the fused ops in
``ops/loss.py`` stay pure math.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops import loss as Loss
from ..tensor import Tensor, _as_tensor, _make

__all__ = [
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "l1_penalty", "l2_penalty",
]


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
