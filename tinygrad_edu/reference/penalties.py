"""L1 and L2 weight penalties and their closed-form gradients (seed 003).

Seed 003 adds ``lam1 * L1(W) + lam2 * L2(W)`` to the softmax-regression risk and notes that the
gradient of the L1 norm is the matrix of signs and the gradient of the squared L2 norm is twice
the matrix itself:

    L1(w) = lam * sum |w_i|      dL1/dw = lam * sign(w)
    L2(w) = lam * sum w_i^2      dL2/dw = 2 * lam * w

``|w|`` has no derivative at 0; ``sign(0) = 0`` picks the subgradient 0 there (as PyTorch's
``abs`` does), so finite differences only agree with it away from zero.

Values are returned as Python floats, gradients in the dtype of ``w``. ``lam`` is converted to a
Python float first: a NumPy ``float64`` scalar would otherwise upcast a float32 ``w`` (NumPy 2
treats NumPy scalars as strongly typed).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._types import FloatArray

__all__ = ["l1_penalty", "l1_penalty_and_grad", "l2_penalty", "l2_penalty_and_grad"]


def _as_float(w: npt.ArrayLike) -> FloatArray:
    arr = np.asarray(w)
    return arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(np.float64)


def l1_penalty(w: npt.ArrayLike, lam: float = 1.0) -> float:
    """``lam * sum |w|``."""
    return float(lam) * float(np.abs(_as_float(w)).sum())


def l1_penalty_and_grad(w: npt.ArrayLike, lam: float = 1.0) -> tuple[float, FloatArray]:
    """``(lam * sum |w|, lam * sign(w))``; the gradient is the subgradient 0 where ``w == 0``."""
    arr = _as_float(w)
    lam = float(lam)
    return lam * float(np.abs(arr).sum()), lam * np.sign(arr)


def l2_penalty(w: npt.ArrayLike, lam: float = 1.0) -> float:
    """``lam * sum w**2`` (the squared L2 norm, no 1/2 factor, as in seed 003)."""
    arr = _as_float(w)
    # vdot flattens and runs one BLAS dot: no temporary w**2 array.
    return float(lam) * float(np.vdot(arr, arr))


def l2_penalty_and_grad(w: npt.ArrayLike, lam: float = 1.0) -> tuple[float, FloatArray]:
    """``(lam * sum w**2, 2 * lam * w)``."""
    arr = _as_float(w)
    lam = float(lam)
    return lam * float(np.vdot(arr, arr)), (2.0 * lam) * arr
