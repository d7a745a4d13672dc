"""``Tensor``'s rearranging, sorting and product methods (flip, roll, split, sort, topk, mm...),
as a mixin class that ``Tensor`` inherits."""

from __future__ import annotations

from ._typing import TensorFields


class Arrange(TensorFields):
    """Methods of ``Tensor`` (see the module docstring)."""

    __slots__ = ()
