"""Losses as modules: ``criterion = nn.CrossEntropyLoss(); loss = criterion(logits, target)``.

Each one stores ``reduction`` ('mean', the default: average over the losses; 'sum'; or 'none':
one loss per element or sample), checks it when constructed, and calls ``nn.functional``.
``reduction`` is keyword-only here: PyTorch's first positional arguments are others (``weight``,
the deprecated ``size_average``), so ``MSELoss("sum")`` would mean something else there.
"""

from __future__ import annotations

from typing import Any

from ..ops.loss import REDUCTIONS
from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = ["CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss"]


class _Loss(Module):
    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {REDUCTIONS}, "
                             f"got {reduction!r}")
        self.reduction = reduction


class CrossEntropyLoss(_Loss):
    """L_n = -log softmax(x_n)[y_n] = logsumexp(x_n) - x_n[y_n] for logits x (N, C) and class
    indices y (N,); for probability / one-hot targets t (N, C), L_n = -sum_c t_nc log
    softmax(x_n)_c. One fused, stable node; gradient (softmax(x) - onehot(y)) / N for 'mean'.

    Differs from PyTorch: no ``weight``, ``ignore_index`` or ``label_smoothing``; inputs are
    (N, C) or a single sample (C,) only (no extra spatial dims).
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, reduction=self.reduction)


class NLLLoss(_Loss):
    """L_n = -x_n[y_n] for log-probabilities x (N, C) (e.g. from ``LogSoftmax(dim=1)``) and
    class indices y (N,). Differs from PyTorch: no ``weight`` or ``ignore_index``."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """L_i = (x_i - y_i)^2 elementwise; 'mean' averages over all elements. Shapes must match
    (PyTorch broadcasts with a warning; here a mismatch is an error)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """L_i = |x_i - y_i| elementwise; gradient sign(x_i - y_i) (0 at a tie). Shapes must match."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class BCELoss(_Loss):
    """L_i = -(y_i log p_i + (1 - y_i) log(1 - p_i)) for probabilities p in [0, 1].

    Differs from PyTorch: p and 1 - p are clipped below at ``eps`` (1e-10 by default, the
    clipping of seed 004) where PyTorch clamps each log at -100; the two agree unless p is
    within eps of 0 or 1. No ``weight``. Prefer ``BCEWithLogitsLoss`` on logits.
    """

    def __init__(self, *, reduction: str = "mean", eps: float = 1e-10) -> None:
        super().__init__(reduction=reduction)
        self.eps = eps

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, reduction=self.reduction, eps=self.eps)


class BCEWithLogitsLoss(_Loss):
    """L_i = -(y_i log sigmoid(x_i) + (1 - y_i) log(1 - sigmoid(x_i))) for logits x, in one
    stable node; gradient sigmoid(x_i) - y_i (divided by the count for 'mean').
    Differs from PyTorch: no ``weight`` or ``pos_weight``."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, reduction=self.reduction)
