"""Losses as modules: ``criterion = nn.CrossEntropyLoss(); loss = criterion(logits, target)``.

Each stores its options under PyTorch's attribute names and calls ``nn.functional``; the
formulas (and their gradients) are in the functional forms' docstrings. The constructors take
PyTorch's parameters in PyTorch's order, so ``CrossEntropyLoss(w)`` is a class weight as there.
``reduction`` is 'mean' (the default: average over the losses), 'sum' or 'none' (one loss per
element or sample; ``KLDivLoss`` also takes 'batchmean'), checked when the module is made.

The deprecated ``size_average`` / ``reduce`` are accepted as PyTorch reads them (see
``functional_losses``: None counts as True, ``reduce=False`` is 'none', ``size_average=False``
is 'sum'), with PyTorch's warning, and must be bools: ``MSELoss("sum")`` passes "sum" as
``size_average``, which is an error here (PyTorch would read it as a true value, i.e. 'mean').

``weight`` (and ``pos_weight``) are buffers, as in PyTorch: in ``state_dict()`` under those
names when given, moved with the module, not trained.
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import functional as F
from ._args import _int_arg, _real_arg
from ._reduction import REDUCTIONS, check_reduction, legacy_reduction
from .module import Module

__all__ = ["CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss",
           "KLDivLoss", "BCELoss", "BCEWithLogitsLoss", "SoftMarginLoss", "CosineSimilarity",
           "PairwiseDistance", "MarginRankingLoss", "TripletMarginLoss", "CosineEmbeddingLoss",
           "HingeEmbeddingLoss"]


class _Loss(Module):
    _reductions: tuple[str, ...] = REDUCTIONS

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        name = type(self).__name__
        if size_average is not None or reduce is not None:
            reduction = legacy_reduction(size_average, reduce, name)
        check_reduction(reduction, self._reductions, name)
        self.reduction = reduction


def _tensor_or_none(value: Any, layer: str, name: str) -> Tensor | None:
    if value is not None and not isinstance(value, Tensor):
        raise TypeError(f"{layer}: {name} must be a Tensor or None, got {value!r} "
                        f"({type(value).__name__})")
    return value


class _WeightedLoss(_Loss):
    weight: Tensor | None

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        name = type(self).__name__
        weight = _tensor_or_none(weight, name, "weight")
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class NLLLoss(_WeightedLoss):
    """L_n = -w[y_n] x_n[y_n] for log-probabilities x (N, C) / (C,) / (N, C, d1, ...) (e.g. from
    ``LogSoftmax(dim=1)``) and class indices y; targets equal to ``ignore_index`` are skipped,
    'mean' divides by the total weight of the counted ones (``F.nll_loss``)."""

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = _int_arg("NLLLoss", "ignore_index", ignore_index)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax + NLL in one stable node: L_n = logsumexp(x_n) - x_n[y_n] for logits x and class
    indices y, or -sum_c t_nc log softmax(x_n)_c for class probabilities t; with per-class
    ``weight``, ``ignore_index`` and ``label_smoothing`` as PyTorch (``F.cross_entropy`` has the
    formulas). Inputs (N, C), (C,) or (N, C, d1, ...). Gradient (softmax(x) - onehot(y)) / N
    in the plain case."""

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = _int_arg("CrossEntropyLoss", "ignore_index", ignore_index)
        smoothing = _real_arg("CrossEntropyLoss", "label_smoothing", label_smoothing)
        if not 0.0 <= smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0, "
                             f"got {label_smoothing}")
        self.label_smoothing = smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, weight=self.weight,
                               ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)


class MSELoss(_Loss):
    """L_i = (x_i - y_i)^2 elementwise; 'mean' averages over all elements. Shapes must match
    (PyTorch broadcasts with a warning; here a mismatch is an error)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """L_i = |x_i - y_i| elementwise; gradient sign(x_i - y_i) (0 at a tie). Shapes must match."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """L_i = 0.5 z^2 / beta if z < beta else z - 0.5 beta, z = |x_i - y_i|; beta = 0 is L1.
    Shapes must match."""

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = _real_arg("SmoothL1Loss", "beta", beta)
        if not self.beta >= 0:
            raise RuntimeError(f"SmoothL1Loss: smooth_l1_loss does not support negative values "
                               f"for beta, got {beta}")

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """L_i = 0.5 z^2 if z < delta else delta (z - 0.5 delta), z = |x_i - y_i| (delta > 0):
    ``delta`` times SmoothL1Loss(beta=delta). Shapes must match."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = _real_arg("HuberLoss", "delta", delta)
        if not self.delta > 0:
            raise RuntimeError(f"HuberLoss: huber_loss does not support non-positive values "
                               f"for delta, got {delta}")

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_Loss):
    """Pointwise KL divergence t (log t - x) for log-probabilities x and probabilities t (or
    e^t (t - x) with ``log_target``); 'batchmean' (the mathematical KL divergence per sample)
    divides the sum by the batch size, 'mean' by the number of elements."""

    _reductions = REDUCTIONS + ("batchmean",)

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = bool(log_target)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class BCELoss(_WeightedLoss):
    """L_i = -w_i (y_i log p_i + (1 - y_i) log(1 - p_i)) for probabilities p in [0, 1], with
    the optional ``weight`` broadcast to p's shape.

    Each log is clamped below at -100, as PyTorch. ``eps`` (a keyword of this project, seed
    004's clipping) clips p and 1 - p below at eps instead. Prefer ``BCEWithLogitsLoss`` on
    logits.
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean", *,
                 eps: float | None = None) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.eps = eps

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction, eps=self.eps)


class BCEWithLogitsLoss(_Loss):
    """L_i = -w_i (r_i y_i log sigmoid(x_i) + (1 - y_i) log(1 - sigmoid(x_i))) for logits x, in
    one stable node, with the optional ``weight`` w and ``pos_weight`` r (e.g. one per class,
    the last dim) broadcast to x's shape; gradient sigmoid(x_i) - y_i without them."""

    weight: Tensor | None
    pos_weight: Tensor | None

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean",
                 pos_weight: Tensor | None = None) -> None:
        weight = _tensor_or_none(weight, "BCEWithLogitsLoss", "weight")
        pos_weight = _tensor_or_none(pos_weight, "BCEWithLogitsLoss", "pos_weight")
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class SoftMarginLoss(_Loss):
    """L_i = log(1 + e^(-y_i x_i)) for labels y = +1 / -1."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class CosineSimilarity(Module):
    """sum_dim (x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps)) (``F.cosine_similarity``)."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = _int_arg("CosineSimilarity", "dim", dim)
        self.eps = _real_arg("CosineSimilarity", "eps", eps)

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """||x1 - x2 + eps||_p over the last dim (``F.pairwise_distance``); p is stored as
    ``norm``, PyTorch's attribute name."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = _real_arg("PairwiseDistance", "p", p)
        self.eps = _real_arg("PairwiseDistance", "eps", eps)
        self.keepdim = bool(keepdim)

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class MarginRankingLoss(_Loss):
    """L = max(0, -y (x1 - x2) + margin) for labels y = +1 / -1."""

    def __init__(self, margin: float = 0.0, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = _real_arg("MarginRankingLoss", "margin", margin)

    def forward(self, input1: Tensor, input2: Tensor, target: Any) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """L = max(0, margin + d(a, p) - d(a, n)), d the p-norm distance (``F.pairwise_distance``);
    ``swap`` uses min(d(a, n), d(p, n)) for the negative distance."""

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = _real_arg("TripletMarginLoss", "margin", margin)
        self.p = _real_arg("TripletMarginLoss", "p", p)
        self.eps = _real_arg("TripletMarginLoss", "eps", eps)
        self.swap = bool(swap)

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """L = 1 - cos(x1, x2) for y = 1, max(0, cos(x1, x2) - margin) for y = -1."""

    def __init__(self, margin: float = 0.0, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = _real_arg("CosineEmbeddingLoss", "margin", margin)

    def forward(self, input1: Tensor, input2: Tensor, target: Any) -> Tensor:
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """L_i = x_i for y_i = 1, max(0, margin - x_i) for y_i = -1."""

    def __init__(self, margin: float = 1.0, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = _real_arg("HingeEmbeddingLoss", "margin", margin)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.hinge_embedding_loss(input, target, margin=self.margin,
                                      reduction=self.reduction)
