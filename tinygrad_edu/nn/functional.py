"""Functional forms (``import tinygrad_edu.nn.functional as F``), as ``torch.nn.functional``.

This module holds ``linear``, ``pad``, the dropouts, ``embedding``, ``one_hot`` and
``normalize``; each family of the rest lives in its own
module and is re-exported here: activations, losses, convolution, pooling, normalization.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._checks import as_int, dim_tuple
from ..dtypes import model_dtype_hint, scalar_name
from ..ops import embedding as Emb
from ..ops import linalg as Lin
from ..ops import shape as S
from ..random import draw, get_rng
from ..tensor import Tensor, _as_tensor, _make
from . import (
    _unfused_state,
    functional_activations,
    functional_conv,
    functional_losses,
    functional_norm,
    functional_pooling,
)
from .functional_activations import *  # noqa: F403
from .functional_conv import *  # noqa: F403
from .functional_losses import *  # noqa: F403
from .functional_norm import *  # noqa: F403
from .functional_pooling import *  # noqa: F403

__all__ = ["linear", "pad", "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout", "embedding", "one_hot", "normalize"]
for _family in (functional_activations, functional_losses, functional_conv, functional_pooling,
                functional_norm):
    __all__ += _family.__all__


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight^T + bias, with weight of shape (out_features, in_features) as PyTorch; one
    fused node (ops.linalg.Linear). A 1-D weight is a single output: x @ weight.

    Input and weight must have one dtype, as in PyTorch: a uint8 or integer batch, or a
    float64 batch into a float32 model, raises instead of computing."""
    x = _as_tensor(x)
    if x._data.dtype is not weight._data.dtype and x._data.dtype != weight._data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{scalar_name(x._data.dtype)} and {scalar_name(weight._data.dtype)} "
                           f"(input {x._data.dtype}, weight {weight._data.dtype}): "
                           f"{model_dtype_hint(x._data.dtype, weight._data.dtype)}")
    if weight._data.ndim == 1:
        out = x @ weight
        return out if bias is None else out + bias
    if _unfused_state.forms is not None:  # tg.unfused(): matmul + add (nn/unfused.py)
        return _unfused_state.forms.linear(x, weight, bias)
    if bias is None:
        return Lin.Linear.apply(x, weight)
    if bias._data.shape != weight._data.shape[:1] and weight._data.ndim == 2:
        return _broadcast_bias(x, weight, bias)
    return Lin.Linear.apply(x, weight, bias)


def _broadcast_bias(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """A bias that is not the (out_features,) vector but broadcasts to the output (as PyTorch
    allows: (1, out), (N, out)...): matmul + add, whose gradient the engine sums back to the
    bias's shape (the fused node sums over rows only)."""
    out_shape = (*x.shape[:-1], weight.shape[0])
    try:
        fits = np.broadcast_shapes(out_shape, bias.shape) == out_shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"Linear: a bias of shape {bias.shape} does not broadcast to the "
                         f"output's shape {out_shape}")
    return x @ weight.T + bias


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_widths(pad: Any, ndim: int) -> list[int]:
    """``pad`` as a list of ints after PyTorch's checks (type, even length, <= 2 * ndim)."""
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad(): argument 'pad' must be a tuple of ints, got {pad!r} "
                        f"({type(pad).__name__})")
    for i, w in enumerate(pad):
        if isinstance(w, (float, np.floating)) or not hasattr(w, "__index__"):
            raise TypeError(f"pad(): argument 'pad' must be a tuple of ints, but found element "
                            f"of type {type(w).__name__} at pos {i}")
    widths = [as_int(w, "pad", "pad") for w in pad]
    if len(widths) % 2:
        raise RuntimeError(f"Padding length must be divisible by 2, got pad={tuple(widths)}")
    if len(widths) > 2 * ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(widths)} and input "
                           f"of dimension {ndim}")
    return widths


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad in PyTorch's order: (left, right) of the last dim, then of the one before it, ...

    * ``'constant'``: borders of ``value`` (0 if None); a negative width crops. Any number of
      dims. dL/dx = g without the borders.
    * ``'reflect'``: the mirror image without the edge: x = 0 1 2 3 padded by (2, 2) is
      2 1 | 0 1 2 3 | 2 1; widths must be < the dim's size.
    * ``'replicate'``: the edge element repeated: 0 0 | 0 1 2 3 | 3 3.
    * ``'circular'``: the other end wrapped around: 2 3 | 0 1 2 3 | 0 1; widths must be <=
      the size left after the other side's crop (PyTorch returns uninitialised memory or
      fails beyond that).

    The three copying modes pad the last 1, 2 or 3 dims of an input with one or two more dims
    (a batch and a channel dim: pad of length 2 for 2-D/3-D input, 4 for 3-D/4-D, 6 for
    4-D/5-D), as PyTorch; negative widths crop there too. Their gradient folds back: each
    input element gets the sum of the gradients of every output element that copies it
    (``ops.shape.PadIndexed``), recorded to any order.
    """
    x = _as_tensor(input)
    widths = _pad_widths(pad, x.ndim)
    pairs = [(widths[2 * i], widths[2 * i + 1]) for i in range(len(widths) // 2)]
    if mode == "constant":
        return _pad_constant(x, pairs, 0.0 if value is None else value, widths)
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pairs)
    if k not in (1, 2, 3) or x.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(widths)} is not supported for {x.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    shape = x.shape
    if mode != "circular":
        batch = x.ndim == k + 2  # the first dim may be 0 there, the others may not
        if any(n == 0 for n in shape[int(batch):]):
            raise RuntimeError(f"{mode} pad: expected a tensor with possibly 0 batch size and "
                               f"other non-zero dimensions for input, but got {shape}")
    axes = []
    for i, (before, after) in enumerate(pairs):
        axis = x.ndim - 1 - i
        n = shape[axis]
        kept = n - max(-before, 0) - max(-after, 0)  # the size once crops are applied
        if mode == "reflect" and not (before < n and after < n):
            raise RuntimeError(f"reflect pad: padding size should be less than the "
                               f"corresponding input dimension, but got: padding "
                               f"({before}, {after}) at dimension {axis} of input {shape}")
        if mode == "circular" and n + before + after and not (before <= kept and after <= kept):
            raise RuntimeError(f"circular pad: padding value causes wrapping around more than "
                               f"once: padding ({before}, {after}) at dimension {axis} of "
                               f"input {shape} (at most {max(kept, 0)} there)")
        if n + before + after < (0 if mode == "circular" else 1):
            raise RuntimeError(f"{mode} pad: input (size {n} at dimension {axis}) is too small "
                               f"for padding ({before}, {after}): calculated output size "
                               f"{n + before + after}")
        if before or after:
            axes.append(S.pad_axis(axis, n, before, after, mode))
    if not axes:  # nothing to pad: a copy all the same, as PyTorch (never the input itself)
        return x.clone()
    return S.PadIndexed.apply(x, axes=tuple(axes))


def _pad_constant(x: Tensor, pairs: list[tuple[int, int]], value: float,
                  widths: list[int]) -> Tensor:
    padded = [(0, 0)] * x.ndim
    for i, pair in enumerate(pairs):
        padded[x.ndim - 1 - i] = pair
    if any(w < 0 for pair in padded for w in pair):  # a negative width crops, as PyTorch
        crop = tuple(slice(max(-before, 0), n - max(-after, 0))
                     for (before, after), n in zip(padded, x.shape, strict=True))
        if any(c.stop - c.start < 0 for c in crop):
            raise RuntimeError(f"pad {tuple(widths)} crops more than the input's shape "
                               f"{x.shape} holds (narrow(): length must be non-negative)")
        x = x[crop]
        padded = [(max(before, 0), max(after, 0)) for before, after in padded]
    return S.Pad.apply(x, widths=tuple(padded), value=value)


# ---------------------------------------------------------------------- dropout

def _check_dropout_p(p: float) -> None:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)):
        raise TypeError(f"dropout probability must be a number, got {p!r} ({type(p).__name__})")
    if not 0.0 <= p <= 1.0:  # also rejects NaN
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(x: Tensor, shape: tuple[int, ...], p: float) -> np.ndarray:
    """m / (1 - p) in x's dtype, m_i ~ Bernoulli(1 - p) of ``shape``, from ``get_rng()``."""
    return draw(_scaled_bernoulli, x._data.dtype, shape, p)


def _bernoulli(dtype: np.dtype, shape: tuple[int, ...], p: float) -> np.ndarray:
    draw_dtype = dtype if dtype in (np.float32, np.float64) else np.float64
    return (get_rng().random(shape, dtype=draw_dtype) >= p).astype(dtype)


def _scaled_bernoulli(dtype: np.dtype, shape: tuple[int, ...], p: float) -> np.ndarray:
    draw_dtype = dtype if dtype in (np.float32, np.float64) else np.float64
    keep = get_rng().random(shape, dtype=draw_dtype) >= p  # P(keep) = 1 - p
    return keep * np.asarray(1.0 / (1.0 - p), dtype=dtype)  # m / (1 - p), x's dtype


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
            ) -> Tensor:
    """Inverted dropout: y = x * m / (1 - p), m_i ~ Bernoulli(1 - p), when ``training``;
    y = x (the same tensor) otherwise.

    The mask is one constant operand of a multiply, so the gradient is the incoming gradient
    times m / (1 - p): dropped elements get none, kept ones are scaled like the forward. The
    mask comes from ``tinygrad_edu.random.get_rng()`` (seed it with ``manual_seed``).
    p = 1 zeroes everything (and its gradient); p = 0 returns the input unchanged.
    ``inplace`` is accepted for PyTorch compatibility; the result is always a new tensor.
    """
    _check_dropout_p(p)
    x = _as_tensor(input)
    if not training or p == 0.0:
        return x
    if x.dtype.kind != "f":
        raise TypeError(f"dropout needs a floating point tensor, got dtype {x.dtype}")
    if p == 1.0:
        return x * 0.0
    return x * _make(_keep_mask(x, x.shape, p), False)


def _feature_dropout(x: Tensor, p: float, training: bool, alpha: bool = False) -> Tensor:
    """Dropout of whole channels: one draw per (sample, channel) = x[n, c, ...], the mask of
    shape (N, C, 1, ...) broadcast over the rest (PyTorch's ``feature_dropout``)."""
    if not training or p == 0.0 or x.numel() == 0:
        return x
    if x.dtype.kind != "f":
        raise TypeError(f"dropout needs a floating point tensor, got dtype {x.dtype}")
    if p == 1.0:
        return x * 0.0
    if x.ndim < 2:
        raise RuntimeError(f"Feature dropout requires at least 2 dimensions in the input, "
                           f"got shape {x.shape}")
    shape = x.shape[:2] + (1,) * (x.ndim - 2)
    return _alpha_mask(x, shape, p) if alpha else x * _make(_keep_mask(x, shape, p), False)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Channel dropout for (N, C, L) or unbatched (C, L) input: each channel x[n, c, :] is
    zeroed with probability p, the others scaled by 1 / (1 - p); the gradient is the same
    mask. Masks come from ``get_rng()``."""
    _check_dropout_p(p)
    x = _as_tensor(input)
    if x.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {x.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    if x.ndim == 3 or not training or p == 0.0 or x.numel() == 0:
        return _feature_dropout(x, p, training)
    return _feature_dropout(x.unsqueeze(0), p, training).squeeze(0)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Channel dropout for (N, C, H, W) input: each channel x[n, c] is zeroed with
    probability p, the others scaled by 1 / (1 - p).

    As PyTorch: other ranks warn (deprecated) and drop x[n, c, ...] all the same; a 3-D input
    is read as (N, C, L) -- 1-D channel dropout, with a warning -- not as unbatched (C, H, W).
    """
    _check_dropout_p(p)
    x = _as_tensor(input)
    if x.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {x.ndim}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if x.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _feature_dropout(x, p, training)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Channel dropout for (N, C, D, H, W) or unbatched (C, D, H, W) input: each channel is
    zeroed with probability p, the others scaled by 1 / (1 - p). Other ranks warn, as PyTorch
    (and are read as unbatched unless 5-D)."""
    _check_dropout_p(p)
    x = _as_tensor(input)
    if x.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {x.ndim}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    if x.ndim == 5 or not training or p == 0.0 or x.numel() == 0:
        return _feature_dropout(x, p, training)
    return _feature_dropout(x.unsqueeze(0), p, training).squeeze(0)


# SELU's negative saturation -lambda * alpha: where alpha dropout puts dropped units
_ALPHA = 1.7580993408473766


def _alpha_mask(x: Tensor, shape: tuple[int, ...], p: float) -> Tensor:
    """y = a * (x * m - alpha' * (1 - m)) + a * alpha' * p with a = 1 / sqrt((alpha'^2 p + 1)
    (1 - p)) (PyTorch's formula): dropped units go to the SELU saturation, and mean and
    variance stay 0 and 1 for standardised inputs. dy/dx = a * m."""
    keep = draw(_bernoulli, x._data.dtype, shape, p)
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    shift = (keep - 1) * np.asarray(_ALPHA * a, x.dtype) + np.asarray(_ALPHA * a * p, x.dtype)
    return x * _make(keep * np.asarray(a, x.dtype), False) + _make(shift, False)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Alpha dropout (Klambauer et al. 2017, for SELU networks): each element is set to the
    SELU saturation value with probability p, then all are scaled and shifted so that a
    standardised input keeps mean 0 and variance 1. The identity unless ``training``
    (whose default is False here, as PyTorch's)."""
    _check_dropout_p(p)
    x = _as_tensor(input)
    if not training or p == 0.0 or x.numel() == 0:
        return x
    if x.dtype.kind != "f":
        raise TypeError(f"dropout needs a floating point tensor, got dtype {x.dtype}")
    return x * 0.0 if p == 1.0 else _alpha_mask(x, x.shape, p)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels x[n, c, ...] (see ``alpha_dropout``)."""
    _check_dropout_p(p)
    return _feature_dropout(_as_tensor(input), p, training, alpha=True)


# ---------------------------------------------------------------------- embedding, one_hot

def _index_array(input: Any, op: str, argument: str) -> np.ndarray:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument '{argument}' must be Tensor, not "
                        f"{type(input).__name__}")
    return input._data


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """out[..., :] = weight[input[...], :]: the row of ``weight`` (num_embeddings,
    embedding_dim) at each integer of ``input`` (int32 or int64, any shape).

    Gradient (``ops.embedding``): weight row r gets the sum of the output gradients at the
    positions holding r (repeats add up), divided by r's count in ``input`` with
    ``scale_grad_by_freq``; the ``padding_idx`` row gets none (negative counts from the end).
    An index outside [0, num_embeddings) is an IndexError. ``max_norm`` and ``sparse``
    (PyTorch's in-place renormalisation and sparse gradients) are not implemented.
    """
    indices = _index_array(input, "embedding", "indices")
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        shape = getattr(weight, "shape", type(weight).__name__)
        raise RuntimeError(f"embedding: 'weight' must be 2-D (num_embeddings, embedding_dim), "
                           f"got {shape}")
    if indices.dtype not in (np.int32, np.int64):
        raise RuntimeError(f"embedding: expected indices of dtype int64 or int32, but got "
                           f"{indices.dtype}")
    if max_norm is not None:
        raise NotImplementedError("embedding: max_norm (renormalising rows in place) is not "
                                  "implemented")
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not implemented")
    num = weight.shape[0]
    if padding_idx is not None:
        padding_idx = as_int(padding_idx, "padding_idx", "embedding")
        if not -num <= padding_idx < num:
            raise AssertionError(f"Padding_idx must be within num_embeddings: padding_idx "
                                 f"{padding_idx} for {num} embeddings")
        padding_idx %= num
    if indices.size and (indices.min() < 0 or indices.max() >= num):
        bad = indices[(indices < 0) | (indices >= num)].reshape(-1)[0]
        raise IndexError(f"embedding: index {bad} is out of range for a weight of {num} rows "
                         f"(indices must be in [0, {num}))")
    indices = np.array(indices)  # a copy: later changes to the caller's tensor cannot move it
    scale = None
    if scale_grad_by_freq:
        counts = np.bincount(indices.reshape(-1), minlength=num)
        with np.errstate(divide="ignore"):
            scale = (1.0 / counts).astype(weight.dtype)  # inf for rows not picked: never read
    return Emb.Embedding.apply(weight, indices=indices, padding_idx=padding_idx, scale=scale)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """out[..., c] = 1 if tensor[...] == c else 0, int64 of shape tensor.shape + (C,), with C =
    ``num_classes`` or (-1) the largest value + 1. As PyTorch: the input must be int64 with
    values in [0, C). Not differentiable (an integer tensor)."""
    labels = _index_array(tensor, "one_hot", "input")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"one_hot(): argument 'num_classes' (position 2) must be int, not "
                        f"{type(num_classes).__name__}")
    if labels.dtype != np.int64:
        raise RuntimeError(f"one_hot is only applicable to index tensor of type LongTensor "
                           f"(int64), got {labels.dtype}")
    num_classes = int(num_classes)
    if labels.size == 0:
        if num_classes <= 0:  # PyTorch's rule: 0 classes of nothing is not inferred either
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
    else:
        if labels.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if num_classes == -1:
            num_classes = int(labels.max()) + 1
        elif labels.max() >= num_classes:
            raise RuntimeError(f"Class values must be smaller than num_classes "
                               f"({num_classes}), got {labels.max()}.")
    out = labels[..., None] == np.arange(num_classes)
    return _make(out.astype(np.int64), False)


# ---------------------------------------------------------------------- normalize

def _vector_norm(x: Tensor, p: float, dims: tuple[int, ...]) -> Tensor:
    """||x||_p over ``dims`` (kept as size 1), written with recorded ops so that it has
    derivatives of every order. Where the norm (or, for p < 1, an element) is 0, the
    derivative is taken as 0, as PyTorch's norm backward does: the branch that would give
    0 * inf is selected away (``where`` twice: the unused branch sees a harmless 1). The tests
    are ``!= 0``, not ``> 0``: a NaN element must reach the norm (and make it NaN, as PyTorch's)."""
    if p == 0:  # the count of non-zero elements: piecewise constant, derivative 0
        count = (x._data != 0).sum(axis=dims, keepdims=True)
        return _make(np.asarray(count, dtype=x.dtype), False)
    a = x.abs()
    if p == math.inf:
        return a.amax(dims, keepdim=True)
    if p == -math.inf:
        return a.amin(dims, keepdim=True)
    if p == 1:
        return a.sum(dims, keepdim=True)
    if p == 2:
        s = (x * x).sum(dims, keepdim=True)
        nonzero = s._data != 0
        return s.where(_make(nonzero, False), 1.0).sqrt().where(_make(nonzero, False), 0.0)
    if 0 < p < 1:  # d(a^p)/da = p a^(p - 1) is infinite at 0: take 0 there
        nz = _make(a._data != 0, False)
        a_p = (a.where(nz, 1.0) ** p).where(nz, 0.0)
    else:
        a_p = a**p
    s = a_p.sum(dims, keepdim=True)
    if p < 0:
        return s ** (1.0 / p)
    nonzero = _make(s._data != 0, False)
    return (s.where(nonzero, 1.0) ** (1.0 / p)).where(nonzero, 0.0)


def normalize(input: Tensor, p: float = 2.0, dim: int | Sequence[int] = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """v / max(||v||_p, eps) for each vector v along ``dim`` (an int or a tuple of dims).

    Differentiable to any order (the norm is written with recorded ops). Where the norm is
    below ``eps`` the denominator is the constant eps; where it is exactly 0 its derivative
    is taken as 0, as PyTorch. ``out`` is not supported.
    """
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported (the result is returned)")
    x = _as_tensor(input)
    if x.dtype.kind != "f":
        raise RuntimeError(f"normalize: expected a floating point tensor as input, got "
                           f"{x.dtype}")
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"normalize(): p must be a number, got {p!r} ({type(p).__name__})")
    dims = dim_tuple(dim, x.ndim, "normalize")
    if x.ndim == 0:  # a 0-d tensor has one dim (0 or -1) holding one element
        return normalize(x.reshape(1), p, 0, eps).reshape(())
    return x / _vector_norm(x, float(p), dims).clamp(min=eps)
