"""``reduction`` for the losses (functional forms and modules): its check, and PyTorch's rule
for the deprecated ``size_average`` / ``reduce`` arguments that still sit in its signatures."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..ops.loss import REDUCTIONS

__all__ = ["REDUCTIONS", "check_reduction", "legacy_reduction"]


def check_reduction(reduction: str, allowed: tuple[str, ...] = REDUCTIONS, fn: str = "") -> None:
    if reduction not in allowed:
        where = f"{fn}: " if fn else ""
        raise ValueError(f"{where}reduction must be one of {allowed}, got {reduction!r}")


def legacy_reduction(size_average: Any, reduce: Any, fn: str) -> str:
    """PyTorch's reading of ``size_average`` / ``reduce`` (called when either is not None):
    None counts as True; ``reduce=False`` gives 'none', else ``size_average=False`` 'sum',
    else 'mean'; with PyTorch's warning. Each must be a bool (or None): a string is refused,
    so ``MSELoss("sum")`` (PyTorch's first parameter is ``size_average``) is an error, not a
    silent 'mean'."""
    for name, value in (("size_average", size_average), ("reduce", reduce)):
        if value is not None and not isinstance(value, (bool, np.bool_, int)):
            raise TypeError(f"{fn}: {name} must be a bool or None, got {value!r} "
                            f"({type(value).__name__}); it is deprecated: use reduction="
                            "'mean', 'sum' or 'none'")
    average = True if size_average is None else bool(size_average)
    reduced = True if reduce is None else bool(reduce)
    reduction = "mean" if average and reduced else ("sum" if reduced else "none")
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", UserWarning, stacklevel=3)
    return reduction
