"""``default_collate`` (stack samples into a batch) and ``default_convert`` (one sample, no
batching), with ``torch.utils.data``'s rules for each kind of element.

The structure is kept and recursed into: a dict gives a dict of batches, a namedtuple a
namedtuple, a tuple or list a list (PyTorch turns tuples into lists too). Leaves become one
Tensor: Tensors and NumPy arrays are stacked (their dtype kept), NumPy scalars keep theirs,
Python ints give int64, floats float64 and bools bool, as PyTorch; strings stay a list.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping, MutableSequence, Sequence
from typing import Any

import numpy as np

from ...tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_COLLATE_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, "
                  "dicts or lists; found {}")


def _is_string_or_object(dtype: np.dtype) -> bool:
    return dtype.kind in "SaUO"


def _is_namedtuple(value: Any) -> bool:
    return isinstance(value, tuple) and hasattr(value, "_fields")


def _rebuild_mapping(template: Mapping, values: dict) -> Any:
    """A mapping of ``template``'s type holding ``values`` (a plain dict if that fails)."""
    try:
        if isinstance(template, MutableMapping):
            clone = copy.copy(template)
            clone.update(values)
            return clone
        return type(template)(values)  # type: ignore[call-arg]
    except TypeError:  # the type's constructor takes other arguments
        return values


def _rebuild_sequence(template: Sequence, values: list) -> Any:
    """A sequence of ``template``'s type (a list kept mutable in place) holding ``values``."""
    try:
        if isinstance(template, MutableSequence):
            clone = copy.copy(template)
            for i, value in enumerate(values):
                clone[i] = value
            return clone
        return type(template)(values)  # type: ignore[call-arg]
    except TypeError:
        return values


def _stack(arrays: list[np.ndarray]) -> Tensor:
    first = arrays[0]
    for i, array in enumerate(arrays):
        if array.shape != first.shape:
            raise RuntimeError(
                "stack expects each tensor to be equal size, but got "
                f"{list(first.shape)} at entry 0 and {list(array.shape)} at entry {i}")
    return Tensor(np.stack(arrays))


def _collate_python_numbers(batch: Sequence[Any]) -> Tensor:
    """``torch.tensor(batch)`` for ints (int64, bool if all bools, float32 if a float is
    among them) and ``float64`` for floats, as PyTorch's collate."""
    if isinstance(batch[0], float):
        return Tensor(np.array(batch, dtype=np.float64))
    if all(isinstance(item, bool | np.bool_) for item in batch):
        return Tensor(np.array(batch, dtype=np.bool_))
    if any(isinstance(item, float | np.floating) for item in batch):
        return Tensor(np.array(batch, dtype=np.float32))
    return Tensor(np.array(batch, dtype=np.int64))


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch, as ``torch.utils.data.default_collate``.

    Each sample must have the same structure: ``[(x0, y0), (x1, y1)]`` gives
    ``[stack([x0, x1]), tensor([y0, y1])]``; dicts are collated key by key; Tensors and arrays
    of different shapes raise a ``RuntimeError`` naming both shapes.
    """
    if len(batch) == 0:
        raise IndexError("default_collate: got an empty batch (no samples to stack)")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack([item._data if isinstance(item, Tensor) else np.asarray(item)
                       for item in batch])
    if isinstance(elem, np.ndarray):
        if _is_string_or_object(elem.dtype):
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return _stack([np.asarray(item) for item in batch])
    if isinstance(elem, np.bool_ | np.number | np.object_):
        return Tensor(np.asarray(batch))  # NumPy scalars keep their dtype
    if isinstance(elem, int | float):  # bool is an int
        return _collate_python_numbers(batch)
    if isinstance(elem, str | bytes):
        return batch  # as PyTorch: a list at the top, a tuple inside a tuple sample
    if isinstance(elem, Mapping):
        return _rebuild_mapping(elem, {key: default_collate([d[key] for d in batch])
                                       for key in elem})
    if _is_namedtuple(elem):
        fields = zip(*batch, strict=True)
        return type(elem)(*(default_collate(samples) for samples in fields))
    if isinstance(elem, Sequence):
        sizes = [len(item) for item in batch]
        if any(size != sizes[0] for size in sizes):
            raise RuntimeError("each element in list of batch should be of equal size "
                               f"(got samples of lengths {sorted(set(sizes))})")
        transposed = [default_collate(samples) for samples in zip(*batch, strict=True)]
        if isinstance(elem, tuple):
            return transposed
        return _rebuild_sequence(elem, transposed)
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def default_convert(data: Any) -> Any:
    """One sample without batching (``batch_size=None``), as ``torch.utils.data.
    default_convert``: NumPy arrays and scalars become Tensors (string and object arrays are
    kept), containers are converted element-wise (tuples become lists), the rest is kept."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if _is_string_or_object(data.dtype) else Tensor(data)
    if isinstance(data, np.generic):
        return data if isinstance(data, np.str_ | np.bytes_) else Tensor(np.asarray(data))
    if isinstance(data, Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data
