"""``Tensor``'s indexing (gather, scatter, index_select, masked_fill, nonzero...) methods,
as a mixin class that ``Tensor`` inherits."""

from __future__ import annotations

from ._typing import TensorFields


class Indexing(TensorFields):
    """Methods of ``Tensor`` (see the module docstring)."""

    __slots__ = ()
