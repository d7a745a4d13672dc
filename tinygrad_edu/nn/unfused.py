"""The teaching view: ``with tg.unfused():`` records each fused op as the primitives of its formula.

A fused op (``F.linear``, ``F.cross_entropy``, ``F.batch_norm``, ...) is one node with a
closed-form backward: fast and stable, but a graph picture then shows one box where a backprop
lesson takes several steps. Inside ``unfused()`` each of them records instead the ops its
formula names -- ``linear`` as ``matmul(x, weight.T)`` and ``add``; ``cross_entropy`` as
``log_softmax``, ``gather``, ``neg`` and ``mean``; ``batch_norm`` as mean, var, subtract,
divide by sqrt(var + eps), scale and shift -- so ``viz.draw_graph(loss)`` shows every
derivative of a step, and ``backward()`` runs through them one by one::

    with tg.unfused():
        loss = F.cross_entropy(model(x), y)  # Transpose, MatMul, Add, LogSoftmax, Gather, Neg, Mean
    loss.backward()                          # the same gradients as without the switch
    tg.viz.render(tg.viz.draw_graph(loss), "step.png")

Values and gradients equal the fused ones up to rounding, and so do second derivatives
(``tests/properties/test_unfused_props.py``). Each form below says the formula it spells out.

``depth``: 1 (the default) takes apart the op you call. ``F.softmax`` and ``F.log_softmax``
called directly are spelled out as well (``exp(x - max) / sum``; ``x - max - log(sum(exp(x -
max)))``), but where another formula uses them -- ``cross_entropy`` is log_softmax, then the
negative log-likelihood -- they stay one node, as the formula names them. ``unfused(depth=2)``
spells those out too.

What is taken apart: ``F.linear`` (so ``nn.Linear``), ``F.softmax``, ``F.log_softmax``
(``nn.Softmax``, ``nn.LogSoftmax``), ``F.cross_entropy``, ``F.nll_loss``, ``F.mse_loss``,
``F.l1_loss``, ``F.binary_cross_entropy`` and ``F.binary_cross_entropy_with_logits`` (their
``nn`` losses too), and the norms ``F.batch_norm``, ``F.layer_norm``, ``F.group_norm``,
``F.instance_norm`` with their layers. The Tensor methods ``x.softmax()``/``x.log_softmax()``
and the activations (``sigmoid``, ``tanh``, ``logsigmoid``: primitives with a derivative
formula of their own) stay as they are.
Arguments are checked by the fused ops' own code, so a bad call raises the same error either
way. The forms are slower (a node per step, no shared work): a view for learning, not for
training.

How it works: the switch sets ``_unfused_state.forms`` to this module; each fused entry point
reads that one module global after checking its arguments and, when it is set, returns the
function of the same name here (given the checked arguments; the checks the fused op makes
later are made here with its own helpers, in its order). The state lives in a module of its
own because this one imports the fused modules' checks. The switch is a module global, as
grad mode: not thread-safe.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd import bump_versions
from ..tensor import Tensor, _make
from . import _unfused_state
from . import functional_losses as FL
from . import functional_norm as FN
from .functional_activations import logsigmoid

__all__ = ["unfused", "is_unfused"]


class unfused(contextlib.ContextDecorator):
    """Context manager and decorator: inside, fused ops record the primitives of their formula
    (see the module docstring). Re-entrant and nestable; the state before is restored on exit,
    also after an exception. ``@unfused`` and ``@unfused()`` both decorate.

    ``depth`` (keyword, an int >= 1): 1 takes apart the op you call; 2 also the fused ops
    inside its formula (``log_softmax`` in ``cross_entropy``). Larger values act as 2.
    """

    def __new__(cls, func: Callable[..., Any] | None = None, *, depth: int = 1) -> Any:
        self = super().__new__(cls)
        if func is None:
            return self
        self.__init__(func, depth=depth)  # type: ignore[misc]  # bare decorator: @unfused
        return self(func)

    def __init__(self, func: Callable[..., Any] | None = None, *, depth: int = 1) -> None:
        if func is not None and not callable(func):
            raise TypeError(f"unfused(): depth is a keyword argument (unfused(depth={func!r})); "
                            f"the positional argument is a function to decorate, got "
                            f"{type(func).__name__}")
        if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)):
            raise TypeError(f"unfused(): depth must be an int, got {depth!r}")
        if depth < 1:
            raise ValueError(f"unfused(): depth must be at least 1, got {depth}")
        self.depth = int(depth)
        self._previous: list[tuple[Any, int]] = []

    def __enter__(self) -> None:
        self._previous.append((_unfused_state.forms, _unfused_state.depth))
        _unfused_state.forms = sys.modules[__name__]
        _unfused_state.depth = self.depth

    def __exit__(self, *exc: object) -> None:
        _unfused_state.forms, _unfused_state.depth = self._previous.pop()

    def __repr__(self) -> str:
        return f"unfused(depth={self.depth})"


def is_unfused() -> bool:
    """True inside ``unfused()``: fused ops record their primitives."""
    return _unfused_state.forms is not None


def _inner_log_softmax(x: Tensor, dim: int) -> Tensor:
    """log_softmax inside another formula: one node at depth 1, its steps at depth 2."""
    return _log_softmax_steps(x, dim) if _unfused_state.depth > 1 else x.log_softmax(dim)


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """'mean' (``Mean``), 'sum' (``Sum``) or 'none' of per-element losses."""
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


# ---------------------------------------------------------------------- linear, softmax

def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b: ``Transpose`` of the weight, ``MatMul``, then ``Add`` of the bias.

    Their derivatives, chained: dL/dx = G W, dL/dW = (dL/dW^T)^T = (x^T G)^T = G^T x, and
    dL/db = the sum of G over the batch dims (the engine sums the broadcast bias back).
    """
    # the checks of the fused node (ops.linalg.Linear; F.linear hands over a 2-D weight), so
    # the errors are the same
    if bias is not None and bias._data.dtype != x._data.dtype:
        raise RuntimeError(f"linear: expected input, weight and bias of one dtype, got "
                           f"{x.dtype}, {weight.dtype} and {bias.dtype}")
    if x.ndim == 0 or weight.ndim != 2 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"Linear: input of shape {x.shape} does not fit a weight of shape "
                         f"{weight.shape}: the input's last dim must be in_features = "
                         f"{weight.shape[1]}")
    out = x @ weight.T
    if bias is None:
        return out
    try:  # the fused node adds the bias in place: it cannot make the output bigger
        fits = np.broadcast_shapes(out.shape, bias.shape) == out.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"Linear: a bias of shape {bias.shape} does not broadcast to the "
                         f"output's shape {out.shape}")
    return out + bias


def _shifted(x: Tensor, dim: int) -> Tensor:
    """x - max(x) along ``dim`` (``Sub``), the max a constant: softmax does not change when every
    x_i moves by one number, so its derivative is 0 and it is not recorded; exp(x - max) <= 1
    cannot overflow."""
    data = x._data
    if data.size == 0:
        return x
    top = data if data.ndim == 0 else np.maximum.reduce(data, axis=dim, keepdims=True)
    return x - _make(top, False)


def _softmax_input(x: Any, dim: int, dtype: Any, op: str) -> tuple[Tensor, int]:
    """The checks and the cast of ``Tensor.softmax``, so that the errors are the same."""
    t = x if isinstance(x, Tensor) else Tensor(x)
    t = t if dtype is None else t.to(dtype)
    return t, t._softmax_dim(dim, op)


def softmax(x: Any, dim: int = -1, dtype: Any = None) -> Tensor:
    """softmax(x)_i = e^(x_i - m) / sum_j e^(x_j - m), m = max_j x_j (see ``_shifted``):
    ``Sub``, ``Exp``, ``Sum``, ``Div``. Chained, their derivatives give the fused one,
    dL/dx = s (g - sum(g s)) with s = softmax(x)."""
    t, axis = _softmax_input(x, dim, dtype, "softmax")
    e = _shifted(t, axis).exp()
    return e / e.sum(axis, keepdim=True)


def _log_softmax_steps(x: Tensor, dim: int) -> Tensor:
    z = _shifted(x, dim)
    return z - z.exp().sum(dim, keepdim=True).log()


def log_softmax(x: Any, dim: int = -1, dtype: Any = None) -> Tensor:
    """log softmax(x)_i = (x_i - m) - log sum_j e^(x_j - m), m = max_j x_j (see ``_shifted``):
    ``Sub``, ``Exp``, ``Sum``, ``Log``, ``Sub``. Chained, dL/dx = g - softmax(x) sum(g)."""
    t, axis = _softmax_input(x, dim, dtype, "log_softmax")
    return _log_softmax_steps(t, axis)


# ---------------------------------------------------------------------- class losses

def _broadcast_classes(values: Any, ndim: int, class_dim: int) -> Any:
    """A per-class vector (C,) shaped to broadcast along the class dim of an ndim input."""
    trailing = ndim - 1 - class_dim
    return values.reshape(values.shape + (1,) * trailing) if trailing else values


def _counted(loss: Tensor, valid: np.ndarray | None) -> Tensor:
    """0 for the positions whose target is ``ignore_index`` (``Where``: selected, so a NaN
    there stays out, as in the fused ops)."""
    return loss if valid is None else loss.where(_make(valid, False), 0.0)


def _weighted_mean(loss: Tensor, reduction: str, weights: np.ndarray | None,
                   valid: np.ndarray | None) -> Tensor:
    """PyTorch's reductions of a class loss: 'mean' is sum_n L_n / sum_n w[y_n] over the counted
    targets (``Sum``, ``Div`` by that constant); without weights or ignored targets, ``Mean``."""
    if reduction != "mean" or (weights is None and valid is None):
        return _reduce(loss, reduction)
    dtype = loss._data.dtype
    counted = np.ones(loss.shape, dtype) if weights is None else weights
    if valid is not None:
        counted = np.where(valid, counted, dtype.type(0))
    total = np.asarray(np.add.reduce(counted, axis=None), dtype)
    if total == 0:  # nothing counted: 0 / 0 = nan, as PyTorch -- a product with nan, so that
        return loss.sum() * _make(np.asarray(np.nan, dtype), False)  # nothing divides by 0
    return loss.sum() / _make(total, False)


def _nll(log_p: Tensor, target: np.ndarray, weight: Tensor | None, valid: np.ndarray | None,
         reduction: str) -> Tensor:
    """L_n = -w[y_n] log_p[n, y_n]: ``Gather`` of the true class along the class dim, ``Neg``,
    ``Mul`` by the constant w[y_n] (with a weight), ``Where`` (ignored targets), the reduction.
    dL/dlog_p is -w[y_n] at (n, y_n) and 0 elsewhere: Gather's derivative puts it back."""
    class_dim = 0 if log_p.ndim == 1 else 1
    safe = target if valid is None else np.where(valid, target, 0)
    index = np.expand_dims(safe.astype(np.int64), class_dim)  # a copy: later changes can't reach
    loss = -log_p.gather(class_dim, _make(index, False)).squeeze(class_dim)
    weights = None
    if weight is not None:  # a constant, as in PyTorch (nll_loss has no gradient for weight)
        weights = weight._data[safe]
        loss = loss * _make(weights, False)
    return _weighted_mean(_counted(loss, valid), reduction, weights, valid)


def nll_loss(log_p: Tensor, target: np.ndarray, weight: Tensor | None, valid: np.ndarray | None,
             reduction: str) -> Tensor:
    """L_n = -w[y_n] x_n[y_n] for log-probabilities x (see ``_nll``); called by ``F.nll_loss``
    with its checked arguments (``valid``: False where the target is ignore_index)."""
    return _nll(log_p, target, weight, valid, reduction)


def cross_entropy(logits: Tensor, target: Any, target_data: np.ndarray, weight: Any,
                  ignore_index: int, reduction: str, label_smoothing: Any) -> Tensor:
    """PyTorch's formula (``torch.nn.functional.cross_entropy``): log p = log_softmax(x) over
    the class dim (one ``LogSoftmax`` node; its steps at depth 2), then

    * class indices y: L_n = -w[y_n] log p_n[y_n] (``_nll``: ``Gather``, ``Neg``, ``Mean``); with
      label smoothing e, L = (1 - e) R(nll) + (e / C) R(smooth), smooth_n = -sum_c w_c log p_nc
      (``Mul``, ``Sum``, ``Neg``), R the reduction ('mean': divided by sum_n w[y_n]);
    * probabilities t: L_n = -sum_c w_c t'_nc log p_nc, t' = (1 - e) t + e / C; 'mean'
      divides by the number of rows.

    Called by ``F.cross_entropy`` after its first checks; the rest are the fused op's own
    (``functional_losses``), in its order, so errors are the same.
    """
    fn = "cross_entropy"
    smoothing = FL._smoothing(label_smoothing, fn) if label_smoothing else 0.0
    classes = FL._input_classes(logits, fn)
    shape = logits._data.shape
    class_dim = 0 if len(shape) == 1 else 1
    if target_data.dtype.kind == "f":
        FL._check_probabilities(target_data, shape, ignore_index, fn)
        w = FL._class_weight(weight, classes, logits, fn, differentiable=True)
        probs = target if isinstance(target, Tensor) else _make(target_data, False)
        if probs.dtype != logits.dtype:
            probs = probs.to(logits.dtype)
        if smoothing:
            probs = probs * (1 - smoothing) + smoothing / classes
        terms = _inner_log_softmax(logits, class_dim) * probs
        if w is not None:
            terms = terms * _broadcast_classes(w, len(shape), class_dim)
        return _reduce(-terms.sum(class_dim), reduction)
    if len(shape) == 1 and target_data.shape == (1,):  # [y] for one sample, as PyTorch
        target_data = target_data.reshape(())
    valid = FL._class_indices(target_data, FL._index_shape(shape), classes, fn, ignore_index)
    w = FL._class_weight(weight, classes, logits, fn, differentiable=False)
    log_p = _inner_log_softmax(logits, class_dim)
    nll = _nll(log_p, target_data, w, valid, reduction)
    if not smoothing:
        return nll
    weighted = log_p if w is None else log_p * _make(
        _broadcast_classes(w._data, len(shape), class_dim), False)
    smooth = _counted(-weighted.sum(class_dim), valid)
    safe = target_data if valid is None else np.where(valid, target_data, 0)
    smooth = _weighted_mean(smooth, reduction, None if w is None else w._data[safe], valid)
    return nll * (1 - smoothing) + smooth * (smoothing / classes)


# ---------------------------------------------------------------------- pointwise losses

def mse_loss(input: Any, target: Any, reduction: str, weight: Tensor | None) -> Tensor:
    """(x - y)^2 per element: ``Sub``, ``PowScalar`` (dL/dx = 2 (x - y) g), then the reduction
    (``Mean``); with ``weight`` w (x - y)^2, 'mean' dividing by sum(w), as PyTorch."""
    x, y = FL._pair(input, target, "mse_loss")
    per_element = (x - y) ** 2
    if weight is None:
        return _reduce(per_element, reduction)
    return FL._weighted(per_element, weight, input, reduction, "mse_loss", by_weight=True)


def l1_loss(input: Any, target: Any, reduction: str, weight: Tensor | None) -> Tensor:
    """|x - y| per element: ``Sub``, ``Abs`` (dL/dx = sign(x - y) g, 0 at x = y), the
    reduction; with ``weight`` w |x - y|, 'mean' dividing by sum(w), as PyTorch."""
    x, y = FL._pair(input, target, "l1_loss")
    per_element = (x - y).abs()
    if weight is None:
        return _reduce(per_element, reduction)
    return FL._weighted(per_element, weight, input, reduction, "l1_loss", by_weight=True)


def binary_cross_entropy(p: Tensor, y: Tensor, weight: np.ndarray | None, reduction: str,
                         eps: float | None) -> Tensor:
    """L = -w (y log p + (1 - y) log(1 - p)): ``Log``, ``Mul``, ``Add``, ``Neg``, the
    reduction, each log clamped below at -100 as the fused op and PyTorch do (with ``eps``: p
    and 1 - p clipped below at eps first; ``Clamp``: derivative 0 where it clips).
    dL/dp = w (-y / p + (1 - y) / (1 - p)) = w (p - y) / (p (1 - p)); the fused op clamps the
    denominator at 1e-12, so the two differ only within about 1e-12 of p = 0 or 1.
    ``weight`` is the checked constant of ``F.binary_cross_entropy``."""
    if eps is None:
        with np.errstate(divide="ignore"):
            log_p = p.log().clamp(min=-100)
            log_q = (1 - p).log().clamp(min=-100)
    else:
        log_p = p.clamp(min=eps).log()
        log_q = (1 - p).clamp(min=eps).log()
    loss = -(y * log_p + (1 - y) * log_q)
    return _reduce(loss if weight is None else loss * _make(weight, False), reduction)


def binary_cross_entropy_with_logits(x: Tensor, y: Tensor, weight: Any, pos_weight: Any,
                                     reduction: str) -> Tensor:
    """PyTorch's formula: L = w ((1 - y) x - l log sigmoid(x)), l = (r - 1) y + 1 (1 without
    ``pos_weight`` r) -- the same as -w (r y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))),
    as log(1 - sigmoid(x)) = log sigmoid(x) - x -- with ``LogSigmoid`` (stable for any x),
    ``Mul``, ``Sub`` and the reduction. dL/dx = w ((r y + 1 - y) sigmoid(x) - r y)."""
    fn = "binary_cross_entropy_with_logits"
    w = FL._elementwise_weight(weight, x, fn, "weight")  # the fused op's checks, in its order
    r = FL._elementwise_weight(pos_weight, x, fn, "pos_weight")
    log_sigmoid = logsigmoid(x)
    if r is not None:
        log_sigmoid = (y * _make(r - 1, False) + 1) * log_sigmoid
    loss = (1 - y) * x - log_sigmoid
    return _reduce(loss if w is None else loss * _make(w, False), reduction)


# ---------------------------------------------------------------------- norms
# mean, var (biased), subtract, divide by sqrt(var + eps), scale, shift. Running statistics
# are updated in place as the fused forward does: r = (1 - momentum) r + momentum * stat, with
# the unbiased batch variance for running_var (instance norm: the batch average of the
# per-sample statistics).

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
    FN._verify_batch_size(shape)  # the checks the fused batch_norm makes from here, in order
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
