"""The named tuples that ``max(dim)``, ``sort``, ``topk``... return, as ``torch.return_types``:
``values, indices = x.max(1)`` unpacks, ``.values`` / ``.indices`` name the parts, and each
prints as PyTorch's does (``tinygrad_edu.return_types.topk(values=..., indices=...)``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["ValuesIndices", "cummax", "cummin", "kthvalue", "max", "median", "min", "mode",
           "nanmedian", "sort", "topk"]


class ValuesIndices(NamedTuple):
    """A (values, indices) pair; the subclasses below give it the op's name."""

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return (f"tinygrad_edu.return_types.{type(self).__name__}(\nvalues={self.values!r},"
                f"\nindices={self.indices!r})")


# one class per op, only for the name it prints (PyTorch's structseq types)
class max(ValuesIndices):  # noqa: A001
    __slots__ = ()


class min(ValuesIndices):  # noqa: A001
    __slots__ = ()


class sort(ValuesIndices):
    __slots__ = ()


class topk(ValuesIndices):
    __slots__ = ()


class cummax(ValuesIndices):
    __slots__ = ()


class cummin(ValuesIndices):
    __slots__ = ()


class median(ValuesIndices):
    __slots__ = ()


class nanmedian(ValuesIndices):
    __slots__ = ()


class kthvalue(ValuesIndices):
    __slots__ = ()


class mode(ValuesIndices):
    __slots__ = ()
