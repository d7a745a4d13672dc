"""``Tensor``'s reductions and scans (prod, norm, all, any, cumsum, cumprod, median...) methods,
as a mixin class that ``Tensor`` inherits."""

from __future__ import annotations

from ._typing import TensorFields


class Scans(TensorFields):
    """Methods of ``Tensor`` (see the module docstring)."""

    __slots__ = ()
