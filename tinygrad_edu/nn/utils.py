"""Gradient clipping and flattening parameters into one vector (``torch.nn.utils``).

The clipping functions change each ``p.grad`` in place (its array is multiplied or clamped).
That is safe here: the engine gives every leaf its own fresh copy of its first gradient (and a
new array on each accumulation), so a ``.grad`` never shares memory with another tensor
unless you assigned one yourself.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..autograd import graph as _graph
from ..autograd import no_grad
from ..functions import cat
from ..tensor import Tensor, _make

__all__ = [
    "clip_grad_norm_", "clip_grad_value_", "get_total_norm", "parameters_to_vector",
    "vector_to_parameters",
]

Parameters = Tensor | Iterable[Tensor]


def _as_list(parameters: Parameters) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def get_total_norm(tensors: Parameters, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False) -> Tensor:
    """||(||t_1||_p, ..., ||t_k||_p)||_p: the p-norm of all tensors taken as one long vector
    (p = ``inf``: the largest |element|). Computed in float64, returned in the tensors' dtype.
    """
    arrays = [t._data for t in _as_list(tensors)]
    if not arrays:
        return _make(np.zeros((), dtype=np.float32), False)
    p = float(norm_type)
    norms = [np.linalg.norm(a.astype(np.float64, copy=False).ravel(), ord=p) for a in arrays]
    total = float(np.linalg.norm(np.asarray(norms), ord=p))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {p} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return _make(np.asarray(total, dtype=np.result_type(*arrays)), False)


def clip_grad_norm_(parameters: Parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Rescale the gradients so that their total ``norm_type``-norm is at most ``max_norm``.

    total = ||all grads as one vector||_p;  c = max_norm / (total + 1e-6);  if c < 1, every
    grad is multiplied by c (in place). Parameters whose grad is None are skipped. Returns the
    total norm BEFORE clipping (as PyTorch), a 0-d tensor.
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if _graph._tracer is not None:
        _graph._tracer.read_value(total, "clip_grad_norm_ (it decides on the norm)")
    clip_coef = float(max_norm) / (float(total._data) + 1e-6)
    if clip_coef < 1:
        with no_grad():
            for g in grads:
                g.mul_(clip_coef)
    return total


def clip_grad_value_(parameters: Parameters, clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                p.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined into one 1-D tensor (a new array; it stays in the
    graph, so a gradient through it reaches the parameters)."""
    params = _as_list(parameters)
    if not params:
        raise ValueError("parameters_to_vector needs at least one parameter")
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place, cast to each
    parameter's dtype (the inverse of ``parameters_to_vector``).

    Differs from PyTorch, which makes each ``param.data`` a view into ``vec`` (so later changes
    to ``vec`` would change the model): here the values are copied. The length of ``vec`` is
    checked before anything is written.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected vec to be a Tensor, but got {type(vec).__name__}")
    params = _as_list(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise ValueError(f"vec must be 1-D with {total} elements (the parameters' total), "
                         f"got shape {vec.shape}")
    source = np.array(vec._data, copy=True)  # vec may share memory with a parameter
    offset = 0
    with no_grad():
        for p in params:
            n = p.numel()
            p.copy_(source[offset:offset + n].reshape(p.shape).astype(p.dtype, copy=False))
            offset += n
