"""``Tensor``'s pointwise math (trig, rounding, logical, isnan...) methods,
as a mixin class that ``Tensor`` inherits."""

from __future__ import annotations

from ._typing import TensorFields


class Pointwise(TensorFields):
    """Methods of ``Tensor`` (see the module docstring)."""

    __slots__ = ()
