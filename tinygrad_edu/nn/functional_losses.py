"""Loss functions (``F.cross_entropy``, ``F.mse_loss``, ...); re-exported by ``nn.functional``.

Names, signatures, defaults and semantics are PyTorch's. The losses check their inputs here
(shapes, dtypes, class range, options) so that the fused ops in ``ops/loss*.py`` stay pure math.
The distance functions and the margin losses built on them are in ``functional_distance.py``
(re-exported from here).

``size_average`` and ``reduce`` are PyTorch's deprecated spellings of ``reduction``; they are
mapped by PyTorch's rule (None counts as True; ``reduce=False`` is 'none', else
``size_average=False`` is 'sum', else 'mean') with PyTorch's warning, and must be bools.

Differences from PyTorch, on purpose: input and target of the elementwise losses must have one
shape (PyTorch broadcasts with a warning); a class weight must have the input's dtype (PyTorch's
rule for class indices; with probability targets PyTorch would promote), and probability targets
are cast to the logits' dtype (PyTorch promotes); ``label_smoothing`` outside [0, 1] is an error
(PyTorch ignores a negative one); integer class targets of any signed or small unsigned type are
accepted (PyTorch: int64 or uint8); ``binary_cross_entropy`` clips at ``eps`` (see there).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import autograd
from ..ops import loss as Loss
from ..ops import loss_pointwise as Pointwise
from ..tensor import Tensor, _as_tensor, _make
from . import _unfused_state
from ._reduction import check_reduction as _check_reduction
from ._reduction import legacy_reduction
from .functional_distance import (
    cosine_embedding_loss,
    cosine_similarity,
    hinge_embedding_loss,
    margin_ranking_loss,
    pairwise_distance,
    triplet_margin_loss,
)

__all__ = [
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
    "kl_div", "binary_cross_entropy", "binary_cross_entropy_with_logits", "soft_margin_loss",
    "l1_penalty", "l2_penalty", "cosine_similarity", "pairwise_distance", "margin_ranking_loss",
    "triplet_margin_loss", "cosine_embedding_loss", "hinge_embedding_loss",
]


# The unsigned type of each signed integer type: viewed as unsigned, a negative index is huge,
# so one max() checks both bounds of a class index.
_UNSIGNED = {np.dtype(f"i{size}"): np.dtype(f"u{size}") for size in (1, 2, 4, 8)}
_SMALL_UNSIGNED = {np.dtype(f"u{size}") for size in (1, 2, 4)}  # uint64 is not PyTorch's
_SIGNED_LIMIT = {dtype: 2 ** (8 * dtype.itemsize - 1) for dtype in _UNSIGNED}  # max + 1


def _floating_input(x: Tensor, fn: str) -> None:
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{fn}: expected a floating point input, got dtype {x.dtype} "
                           "(convert with .float())")


def _class_indices(t: np.ndarray, shape: tuple[int, ...], classes: int, fn: str,
                   ignore_index: int) -> np.ndarray | None:
    """Validate integer class targets: shape ``shape``, every value in [0, C) or equal to
    ``ignore_index``. Returns None when every target counts, else the mask of those that do.

    Which of the two it is decides the op in Python: for tg.compile a guard on the values (a
    replay checks the call's targets again) or, with a mask, no replay at all."""
    valid = _target_mask(t, shape, classes, fn, ignore_index)
    tracer = autograd.graph._tracer
    if tracer is not None:
        if valid is not None:
            tracer.unsupported(f"{fn} with targets equal to ignore_index")
        else:
            tracer.value_guard(_AllCounted(shape, classes, fn, ignore_index), t)
    return valid


class _AllCounted:
    """tg.compile's guard on class targets: every one in [0, C), none ignored (a replay holds
    only then; out-of-range targets raise as in eager)."""

    def __init__(self, shape: tuple[int, ...], classes: int, fn: str, ignore_index: int) -> None:
        self.shape, self.classes, self.fn, self.ignore_index = shape, classes, fn, ignore_index

    def __call__(self, t: np.ndarray) -> bool:
        return _target_mask(t, self.shape, self.classes, self.fn, self.ignore_index) is None

    def inline(self, array: str, traced: np.ndarray, const: Callable[[Any], str]) -> str | None:
        """The usual case as one expression for the generated guard (``traced``: the
        targets as traced; their dtype and shape are guarded): the max of the unsigned view
        (negative targets are huge there) is below C. Else the call decides (or raises)."""
        unsigned = _UNSIGNED.get(traced.dtype)
        if (unsigned is None or traced.shape != self.shape or not traced.size
                or self.classes > _SIGNED_LIMIT[traced.dtype]
                or 0 <= self.ignore_index < self.classes):  # (an ignored class: the call)
            return None
        return (f"(_max_reduce({array}.view({const(unsigned)}), axis=None) < {self.classes} "
                f"or {const(self)}({array}))")


def _out_of_range(t: np.ndarray, unsigned: Any, classes: int) -> bool:
    """Some target outside [0, C): one max of the unsigned view (a negative target is huge
    there), without the Python wrapper around the reduction; a signed type too narrow for
    that (int8 and more than 128 classes: -57 reads 199) takes the min and the max."""
    if unsigned is None:  # an unsigned type
        return bool(np.maximum.reduce(t, axis=None) >= classes)
    if classes <= _SIGNED_LIMIT[t.dtype]:
        return bool(np.maximum.reduce(t.view(unsigned), axis=None) >= classes)
    return bool(np.minimum.reduce(t, axis=None) < 0 or np.maximum.reduce(t, axis=None) >= classes)


def _target_mask(t: np.ndarray, shape: tuple[int, ...], classes: int, fn: str,
                 ignore_index: int) -> np.ndarray | None:
    unsigned = _UNSIGNED.get(t.dtype)
    if unsigned is None and t.dtype not in _SMALL_UNSIGNED:  # floats, bools, uint64
        raise RuntimeError(f"{fn}: class-index target must be an int64 (or other signed or "
                           f"small unsigned integer) tensor, got dtype {t.dtype}")
    if t.shape != shape:
        raise ValueError(f"{fn}: class-index target must have shape {shape}, got {t.shape}")
    if t.size and _out_of_range(t, unsigned, classes):
        valid = t != ignore_index
        outside = valid & ((t < 0) | (t >= classes))
        if outside.any():
            bad = t[outside][0]
            raise IndexError(f"{fn}: target {bad} is out of range for {classes} classes "
                             f"[0, {classes})")
        return valid
    if 0 <= ignore_index < classes:  # a class index that is ignored: only then a mask
        valid = t != ignore_index
        return None if valid.all() else valid
    return None


def _class_weight(weight: Any, classes: int, x: Tensor, fn: str,
                  differentiable: bool) -> Tensor | None:
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        raise TypeError(f"{fn}: weight must be a Tensor or None, got {type(weight).__name__}")
    if weight._data.shape != (classes,):
        raise RuntimeError(f"{fn}: weight tensor should be defined either for all {classes} "
                           f"classes or no classes but got weight tensor of shape: "
                           f"{weight.shape}")
    if weight._data.dtype != x._data.dtype:
        raise RuntimeError(f"{fn}: expected weight of the input's dtype {x.dtype}, got "
                           f"{weight.dtype}")
    if not differentiable and weight.requires_grad and autograd.is_grad_enabled():
        raise RuntimeError(f"{fn}: the loss is not differentiable with respect to weight "
                           "(as PyTorch's nll_loss); pass weight.detach()")
    return weight


def _elementwise_weight(weight: Any, x: Tensor, fn: str, name: str) -> np.ndarray | None:
    """A per-element weight (``weight``, ``pos_weight``) as an array of x's dtype that
    broadcasts to x's shape; a constant, as in PyTorch."""
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        raise TypeError(f"{fn}: {name} must be a Tensor or None, got {type(weight).__name__}")
    try:
        fits = np.broadcast_shapes(weight._data.shape, x._data.shape) == x._data.shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"{fn}: {name} of shape {weight.shape} does not broadcast to the "
                           f"input's shape {x.shape}")
    if weight.requires_grad and autograd.is_grad_enabled():
        raise RuntimeError(f"{fn}: the loss is not differentiable with respect to {name} (as "
                           f"in PyTorch); pass {name}.detach()")
    data = weight._data
    return data if data.dtype == x._data.dtype else data.astype(x._data.dtype)


def _smoothing(value: Any, fn: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{fn}: label_smoothing must be a number, got {value!r}")
    if not 0.0 <= value <= 1.0:  # also refuses nan
        raise ValueError(f"{fn}: label_smoothing must be between 0.0 and 1.0, got {value}")
    return float(value)


def _ignore_index(value: Any, fn: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}: ignore_index must be an int, got {value!r}")
    return int(value)


def _classes_last(t: Tensor) -> Tensor:
    """(N, C, d1, ...) as (N d1 ..., C), one row per position; (C,) as (1, C)."""
    if t.ndim == 2:
        return t
    if t.ndim == 1:
        return t.reshape(1, -1)
    return t.permute(0, *range(2, t.ndim), 1).reshape(-1, t.shape[1])


def _per_position(out: Tensor, shape: tuple[int, ...], reduction: str) -> Tensor:
    """A 'none' loss of the rows of ``_classes_last`` in the input's layout: (N, d1, ...)."""
    if reduction != "none" or len(shape) == 2:
        return out
    return out.reshape(shape[:1] + shape[2:])


def _index_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    return () if len(shape) == 1 else shape[:1] + shape[2:]


def _input_classes(x: Tensor, fn: str) -> int:
    if x._data.ndim == 0:
        raise ValueError(f"{fn}: input must be (N, C), (C,) or (N, C, d1, ...), got shape ()")
    return x._data.shape[0 if x._data.ndim == 1 else 1]


def cross_entropy(input: Tensor, target: Any, weight: Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax + negative log-likelihood in one stable node.

    ``input``: logits (N, C), (C,) for one sample, or (N, C, d1, ...) with one class
    distribution per position. ``target``: class indices (N,) / () / (N, d1, ...), or class
    probabilities of the input's shape. With log p = log softmax over the classes:

    * indices: L_n = (1 - e) nll_n + (e / C) smooth_n, nll_n = -w[y_n] log p_n[y_n],
      smooth_n = -sum_c w_c log p_nc (e = ``label_smoothing``, w = ``weight``, 1 without);
      targets equal to ``ignore_index`` give 0 and are not counted; 'mean' divides by the
      total weight sum_n w[y_n] of the counted targets (nan if there are none), as PyTorch.
    * probabilities t: L_n = -sum_c w_c t'_nc log p_nc, t' = (1 - e) t + e / C; 'mean'
      divides by the number of rows (N d1 ...).

    Gradient: (softmax(x) - onehot(y)) / N in the plain case ('mean', no options), which
    runs the fast fused node ``CrossEntropy``; the options run ``CrossEntropyIndexed``.
    """
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, "cross_entropy")
    _check_reduction(reduction)
    logits = _as_tensor(input)
    _floating_input(logits, "cross_entropy")
    target_data = target._data if isinstance(target, Tensor) else np.asarray(target)
    if type(ignore_index) is not int:
        ignore_index = _ignore_index(ignore_index, "cross_entropy")
    if _unfused_state.forms is not None:  # tg.unfused(): log_softmax, gather, neg, mean
        return _unfused_state.forms.cross_entropy(logits, target, target_data, weight,
                                                  ignore_index, reduction, label_smoothing)
    if (weight is None and not label_smoothing and logits._data.ndim == 2
            and target_data.dtype.kind in "iu"):  # the plain case, the hot path: as before
        n, classes = logits._data.shape
        valid = _class_indices(target_data, (n,), classes, "cross_entropy", ignore_index)
        if valid is None:
            # keep the caller's tensor when it is one (a graph picture can then show its name)
            if not isinstance(target, Tensor):
                target = _make(target_data, False)
            return Loss.CrossEntropy.apply(logits, target, reduction=reduction)
        return Loss.CrossEntropyIndexed.apply(logits, _make(target_data, False),
                                              reduction=reduction, smoothing=0.0, valid=valid)
    return _cross_entropy(logits, target, target_data, weight, ignore_index, reduction,
                          label_smoothing)


def _check_probabilities(target: np.ndarray, shape: tuple[int, ...], ignore_index: int,
                         fn: str) -> None:
    """A probability target: the input's shape, and no ignore_index (as PyTorch)."""
    if target.shape != shape:
        raise ValueError(f"{fn}: probability target must have the input's shape {shape}, "
                         f"got {target.shape} (class indices must be an integer array)")
    if ignore_index != -100:
        raise RuntimeError(f"{fn}: ignore_index is not supported for probability "
                           "(floating point) targets")


def _cross_entropy(logits: Tensor, target: Any, target_data: np.ndarray, weight: Any,
                   ignore_index: int, reduction: str, label_smoothing: Any) -> Tensor:
    fn = "cross_entropy"
    smoothing = _smoothing(label_smoothing, fn) if label_smoothing else 0.0
    classes = _input_classes(logits, fn)
    shape = logits._data.shape
    if target_data.dtype.kind == "f":
        _check_probabilities(target_data, shape, ignore_index, fn)
        w = _class_weight(weight, classes, logits, fn, differentiable=True)
        probs = target if isinstance(target, Tensor) else _make(target_data, False)
        if probs.dtype != logits.dtype:
            probs = probs.to(logits.dtype)
        rows = _classes_last(probs)
        if smoothing:
            rows = rows * (1 - smoothing) + smoothing / classes
        if w is not None:
            rows = rows * w
        out = Loss.CrossEntropyWithProbs.apply(_classes_last(logits), rows, reduction=reduction)
        return out.reshape(()) if reduction == "none" and len(shape) == 1 else _per_position(
            out, shape, reduction)
    if len(shape) == 1 and target_data.shape == (1,):  # [y] for one sample, as PyTorch
        target_data = target_data.reshape(())
    valid = _class_indices(target_data, _index_shape(shape), classes, fn, ignore_index)
    w = _class_weight(weight, classes, logits, fn, differentiable=False)
    flat = _make(target_data.reshape(-1), False)
    rows = _classes_last(logits)
    if w is None and valid is None and not smoothing:  # (C,) or (N, C, d1, ...), plain
        out = Loss.CrossEntropy.apply(rows, flat, reduction=reduction)
    else:
        out = Loss.CrossEntropyIndexed.apply(
            rows, flat, reduction=reduction, smoothing=smoothing,
            weight=None if w is None else w._data,
            valid=None if valid is None else valid.reshape(-1))
    return out.reshape(()) if reduction == "none" and len(shape) == 1 else _per_position(
        out, shape, reduction)


def nll_loss(input: Tensor, target: Any, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """L_n = -w[y_n] input_n[y_n] for log-probabilities ``input`` (N, C), (C,) or
    (N, C, d1, ...) and class indices (N,), () or (N, d1, ...); w = ``weight`` (1 without).
    Targets equal to ``ignore_index`` give 0 and are not counted; 'mean' divides by the total
    weight of the counted targets (N in the plain case), as PyTorch.
    Gradient: -w[y_n] onehot(y_n), divided by that total for 'mean'."""
    fn = "nll_loss"
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, fn)
    _check_reduction(reduction)
    log_p = _as_tensor(input)
    _floating_input(log_p, fn)
    if type(ignore_index) is not int:
        ignore_index = _ignore_index(ignore_index, fn)
    classes = _input_classes(log_p, fn)
    shape = log_p._data.shape
    target_data = target._data if isinstance(target, Tensor) else np.asarray(target)
    if len(shape) == 1 and target_data.shape == (1,):
        target_data = target_data.reshape(())
    valid = _class_indices(target_data, _index_shape(shape), classes, fn, ignore_index)
    w = _class_weight(weight, classes, log_p, fn, differentiable=False)
    if _unfused_state.forms is not None:  # tg.unfused(): gather, neg, mean (nn/unfused.py)
        return _unfused_state.forms.nll_loss(log_p, target_data, w, valid, reduction)
    # the caller's tensor itself is the input when it fits, so changing it in place before
    # backward is caught by the engine's in-place check (a copy of its array would not be)
    if isinstance(target, Tensor) and target_data is target._data and len(shape) == 2:
        flat = target
    else:
        flat = _make(target_data.reshape(-1), False)
    out = Loss.NLLLoss.apply(_classes_last(log_p), flat, reduction=reduction,
                             weight=None if w is None else w._data,
                             valid=None if valid is None else valid.reshape(-1))
    return out.reshape(()) if reduction == "none" and len(shape) == 1 else _per_position(
        out, shape, reduction)


# losses whose integer (or bool) target promotes to the input's dtype, as in PyTorch; the
# binary cross-entropies refuse one, as PyTorch does
_PROMOTES_TARGET = frozenset({"mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
                              "soft_margin_loss"})


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
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{fn}: expected a floating point input, got dtype {x.dtype} "
                           "(convert with .float())")
    if y._data.dtype.kind != "f":
        if fn not in _PROMOTES_TARGET:
            raise RuntimeError(f"{fn}: expected a floating point target, got dtype {y.dtype} "
                               "(convert with .float())")
        y = y.to(x.dtype)
    if x._data.dtype != y._data.dtype:
        x, y = x._pair(y)
    return x, y


def _weighted(per_element: Tensor, weight: Any, input: Any, reduction: str, fn: str,
              by_weight: bool) -> Tensor:
    """PyTorch's weighted mse/l1/huber: per-element losses times ``weight`` (the input's size;
    differentiable, a composition), 'mean' dividing by sum(weight) (``by_weight``) or by the
    count (huber_loss)."""
    if not isinstance(weight, Tensor):
        raise TypeError(f"{fn}: weight must be a Tensor or None, got {type(weight).__name__}")
    if weight.shape != tuple(np.shape(getattr(input, "_data", input))):
        raise ValueError(f"{fn}: Weights and input must have the same size (weight "
                         f"{weight.shape}, input {per_element.shape})")
    loss = per_element * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / weight.sum() if by_weight else loss.mean()


def mse_loss(input: Tensor, target: Any, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """(input - target)^2, averaged (or summed) over all elements; with ``weight`` (the
    input's shape) w (input - target)^2, 'mean' dividing by sum(w), as PyTorch."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, "mse_loss")
    _check_reduction(reduction)
    if _unfused_state.forms is not None:  # tg.unfused(): sub, pow, mean (nn/unfused.py)
        return _unfused_state.forms.mse_loss(input, target, reduction, weight)
    if weight is None:
        return Loss.MSELoss.apply(*_pair(input, target, "mse_loss"), reduction=reduction)
    per_element = Loss.MSELoss.apply(*_pair(input, target, "mse_loss"), reduction="none")
    return _weighted(per_element, weight, input, reduction, "mse_loss", by_weight=True)


def l1_loss(input: Tensor, target: Any, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """|input - target|, averaged (or summed) over all elements; with ``weight`` (the input's
    shape) w |input - target|, 'mean' dividing by sum(w), as PyTorch."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, "l1_loss")
    _check_reduction(reduction)
    if _unfused_state.forms is not None:  # tg.unfused(): sub, abs, mean (nn/unfused.py)
        return _unfused_state.forms.l1_loss(input, target, reduction, weight)
    if weight is None:
        return Loss.L1Loss.apply(*_pair(input, target, "l1_loss"), reduction=reduction)
    per_element = Loss.L1Loss.apply(*_pair(input, target, "l1_loss"), reduction="none")
    return _weighted(per_element, weight, input, reduction, "l1_loss", by_weight=True)


def _positive(value: Any, name: str, fn: str, zero_ok: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{fn}: {name} must be a real number, got {value!r}")
    if value < 0 or (value == 0 and not zero_ok) or value != value:
        kind = "negative" if zero_ok else "non-positive"
        raise RuntimeError(f"{fn} does not support {kind} values for {name}, got {value}")
    return float(value)


def smooth_l1_loss(input: Tensor, target: Any, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """With z = |input - target|: 0.5 z^2 / beta where z < beta, else z - 0.5 beta (one fused
    node, ``SmoothL1``). Gradient (input - target) / beta inside, sign(input - target) outside.
    ``beta`` = 0 is ``l1_loss``, as PyTorch; a negative beta is an error."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, "smooth_l1_loss")
    _check_reduction(reduction)
    beta = _positive(beta, "beta", "smooth_l1_loss", zero_ok=True)
    a, b = _pair(input, target, "smooth_l1_loss")
    if beta == 0:
        return Loss.L1Loss.apply(a, b, reduction=reduction)
    return Pointwise.SmoothL1.apply(a, b, reduction=reduction, threshold=beta, huber=False)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """With z = |input - target|: 0.5 z^2 where z < delta, else delta (z - 0.5 delta) (one
    fused node). Gradient input - target inside, delta sign(input - target) outside.
    ``delta`` must be > 0. With ``weight`` (the input's shape) w times that, 'mean' then being
    the plain mean of the weighted losses (PyTorch's rule for huber_loss)."""
    _check_reduction(reduction)
    delta = _positive(delta, "delta", "huber_loss", zero_ok=False)
    a, b = _pair(input, target, "huber_loss")
    if weight is None:
        return Pointwise.SmoothL1.apply(a, b, reduction=reduction, threshold=delta, huber=True)
    per_element = Pointwise.SmoothL1.apply(a, b, reduction="none", threshold=delta, huber=True)
    return _weighted(per_element, weight, input, reduction, "huber_loss", by_weight=False)


def kl_div(input: Tensor, target: Any, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL divergence for ``input`` log-probabilities x and ``target`` probabilities t
    (log-probabilities with ``log_target``), broadcast together, pointwise as PyTorch:
    L = t log t - t x (0 where t = 0), or e^t (t - x) with ``log_target``.
    'batchmean' sums and divides by input.shape[0] (the KL divergence per sample); 'mean'
    divides by the number of elements. Gradient -t (-e^t) for x; for t, PyTorch's (nan at
    t = 0 without log_target)."""
    fn = "kl_div"
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, fn)
    _check_reduction(reduction, Loss.REDUCTIONS + ("batchmean",), fn)
    x = _as_tensor(input)
    t = x._operand(target)
    for name, v in (("input", x), ("target", t)):
        if v._data.dtype.kind != "f":
            raise RuntimeError(f"{fn}: expected a floating point {name}, got dtype {v.dtype}")
    if x._data.dtype != t._data.dtype:
        x, t = x._pair(t)
    try:
        np.broadcast_shapes(x.shape, t.shape)
    except ValueError:
        raise RuntimeError(f"{fn}: input shape {x.shape} and target shape {t.shape} do not "
                           "broadcast") from None
    by = "sum" if reduction == "batchmean" else reduction
    out = Pointwise.KLDiv.apply(x, t, reduction=by, log_target=bool(log_target))
    if reduction == "batchmean" and x.ndim:
        with np.errstate(divide="ignore", invalid="ignore"):  # a batch of 0: nan, as PyTorch
            return out / x.shape[0]
    return out


def binary_cross_entropy(input: Tensor, target: Any, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean", *, eps: float | None = None) -> Tensor:
    """-w (y log p + (1 - y) log(1 - p)) for probabilities p, with the optional ``weight`` w
    broadcast to p's shape. As PyTorch, each log is clamped below at -100 (p = 0 or 1, as a
    float32 sigmoid gives past |x| = 17, costs 100, not inf). ``eps`` (this project's keyword,
    not PyTorch's) clips p and 1 - p below at eps instead, as seed 004 does with 1e-10."""
    fn = "binary_cross_entropy"
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, fn)
    _check_reduction(reduction)
    p, y = _pair(input, target, fn)
    for name, t in (("input", p), ("target", y)):
        if not ((t._data >= 0) & (t._data <= 1)).all():  # also refuses NaN
            raise RuntimeError(f"{fn}: all elements of {name} should be between 0 and 1 "
                               "(use binary_cross_entropy_with_logits for logits)")
    w = _elementwise_weight(weight, p, fn, "weight")
    if _unfused_state.forms is not None:  # tg.unfused(): clamp, log, mul, neg, mean
        return _unfused_state.forms.binary_cross_entropy(p, y, w, reduction, eps)
    return Loss.BinaryCrossEntropy.apply(p, y, reduction=reduction, eps=eps, weight=w)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid + binary cross-entropy in one stable node:
    L = -w (r y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))), with ``weight`` w and
    ``pos_weight`` r (the weight of the positive term, e.g. one per class along the last dim)
    broadcast to x's shape. Gradient w ((r y + 1 - y) sigmoid(x) - r y) (sigmoid(x) - y
    without them)."""
    fn = "binary_cross_entropy_with_logits"
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, fn)
    _check_reduction(reduction)
    x, y = _pair(input, target, fn)
    if _unfused_state.forms is not None:  # tg.unfused(): logsigmoid, mul, sub, mean
        return _unfused_state.forms.binary_cross_entropy_with_logits(x, y, weight, pos_weight,
                                                                     reduction)
    if weight is None and pos_weight is None:
        return Pointwise.BinaryCrossEntropyWithLogits.apply(x, y, reduction=reduction)
    return Pointwise.BinaryCrossEntropyWithLogits.apply(
        x, y, reduction=reduction, weight=_elementwise_weight(weight, x, fn, "weight"),
        pos_weight=_elementwise_weight(pos_weight, x, fn, "pos_weight"))


def soft_margin_loss(input: Tensor, target: Any, size_average: bool | None = None,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """log(1 + e^(-y x)) for labels y = +1 / -1 (broadcast to x's shape), as PyTorch's
    kernel (one fused node). Gradient -y e^(-y x) / (1 + e^(-y x)); the target gets none."""
    fn = "soft_margin_loss"
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, fn)
    _check_reduction(reduction)
    x = _as_tensor(input)
    _floating_input(x, fn)
    y = x._operand(target)
    if y.requires_grad and autograd.is_grad_enabled():
        raise RuntimeError(f"{fn}: the loss is not differentiable with respect to the target "
                           "(as PyTorch's); pass target.detach()")
    try:
        fits = np.broadcast_shapes(y.shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"{fn}: target of shape {y.shape} does not broadcast to the "
                           f"input's shape {x.shape}")
    if y._data.dtype != x._data.dtype:
        y = _make(y._data.astype(x._data.dtype), False)
    return Pointwise.SoftMargin.apply(x, y, reduction=reduction)


def l1_penalty(weight: Tensor, lam: float = 1.0) -> Tensor:
    """lam * sum |w| (seed 003). Gradient: lam * sign(w)."""
    return weight.abs().sum() * lam


def l2_penalty(weight: Tensor, lam: float = 1.0) -> Tensor:
    """lam * sum w^2 (seed 003). Gradient: 2 lam w."""
    return (weight * weight).sum() * lam
