"""Functional forms (``import tinygrad_edu.nn.functional as F``), as ``torch.nn.functional``.

This module holds ``linear``, ``pad`` and ``dropout``; each family of the rest lives in its own
module and is re-exported here: activations, losses, convolution, pooling, normalization.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_int
from ..ops import linalg as Lin
from ..ops import shape as S
from ..tensor import Tensor, _as_tensor, _make
from . import (
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

__all__ = ["linear", "pad", "dropout"]
for _family in (functional_activations, functional_losses, functional_conv, functional_pooling,
                functional_norm):
    __all__ += _family.__all__


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


# ---------------------------------------------------------------------- dropout

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
