"""Datasets as ``torch.utils.data``: ``Dataset`` (map-style), ``IterableDataset``,
``TensorDataset``, ``Subset``, ``ConcatDataset``, ``ChainDataset`` and ``random_split``.

A map-style dataset whose samples are rows of arrays may define ``sample_arrays()`` returning
those arrays (``ds[i]`` being a tuple of their rows ``i``); ``DataLoader`` then makes each
batch with one fancy index per array, no Python per sample (``TensorDataset``, ``Subset`` of
one, ``MNIST`` without transforms).
"""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ...random import Generator, rng_of
from ...tensor import Tensor

__all__ = ["ChainDataset", "ConcatDataset", "Dataset", "IterableDataset", "Subset",
           "TensorDataset", "random_split"]


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__(index)`` and
    usually ``__len__()``. ``a + b`` concatenates (a ``ConcatDataset``)."""

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError(f"Subclasses of Dataset should implement __getitem__ "
                                  f"({type(self).__name__} does not)")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])

    def sample_arrays(self) -> tuple[np.ndarray, ...] | None:
        """Arrays whose rows are the samples, or None (the default) if there are none."""
        return None


class IterableDataset(Dataset):
    """Base class of datasets that are streams: subclasses define ``__iter__``.

    With ``num_workers > 0`` every worker iterates its own copy; ``get_worker_info()`` inside
    ``__iter__`` tells a copy which share of the stream is its own (else each sample comes
    once per worker, as in PyTorch). ``a + b`` chains them (a ``ChainDataset``).
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"Subclasses of IterableDataset should implement __iter__ "
                                  f"({type(self).__name__} does not)")

    def __len__(self) -> int:
        # TypeError, as for any object without a length (list() and tqdm then go without)
        raise TypeError(f"object of type {type(self).__name__!r} has no len()")

    def __add__(self, other: Dataset) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


def _as_array(x: Any) -> np.ndarray:
    if isinstance(x, Tensor):
        return x._data
    array = np.asarray(x)
    if array.dtype.kind == "f" and not isinstance(x, np.ndarray | np.generic):
        array = array.astype(np.float32)  # Python floats become float32, as Tensor(...) does
    return array


class TensorDataset(Dataset):
    """Samples are the rows of equally long tensors or arrays: ``ds[i] = (t0[i], t1[i], ...)``.

    NumPy arrays are kept without a copy (their float dtype too); Python lists become arrays
    (floats as float32). One-dimensional integer arrays (class labels) are stored as int64.
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor or array")
        arrays = []
        for i, t in enumerate(tensors):
            a = _as_array(t)
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is a scalar; each needs a first "
                                 "dimension indexing the samples")
            if a.ndim == 1 and a.dtype.kind in "iu" and a.dtype != np.int64:
                a = a.astype(np.int64)
            arrays.append(a)
        if len({len(a) for a in arrays}) > 1:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(
                "TensorDataset: Size mismatch between tensors: all need the same first "
                f"dimension (the number of samples), got shapes {shapes}")
        self.arrays: tuple[np.ndarray, ...] = tuple(arrays)

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        """The stored arrays wrapped as Tensors (no copy)."""
        return tuple(Tensor(a) for a in self.arrays)

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(Tensor(np.asarray(a[index])) for a in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def sample_arrays(self) -> tuple[np.ndarray, ...]:
        return self.arrays


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order: ``Subset(ds, [4, 1])[0]`` is
    ``ds[4]``."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """A batch of samples at once (the DataLoader's fetcher uses it when present)."""
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return list(getitems([self.indices[i] for i in indices]))
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)

    def sample_arrays(self) -> tuple[np.ndarray, ...] | None:
        """The parent's arrays at ``indices`` (one gather), if the parent is array-backed."""
        sample_arrays = getattr(self.dataset, "sample_arrays", None)
        arrays = sample_arrays() if callable(sample_arrays) else None
        if arrays is None:
            return None
        index = np.asarray(self.indices, dtype=np.int64)
        return tuple(a[index] for a in arrays)


class ConcatDataset(Dataset):
    """The datasets one after another: indices ``0..len(a)-1`` are ``a``'s, then ``b``'s."""

    @staticmethod
    def cumsum(sequence: Iterable[Any]) -> list[int]:
        return list(itertools.accumulate(len(d) for d in sequence))

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length "
                                 f"(index {idx}, length {len(self)})")
            idx += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        if which >= len(self.datasets):
            raise IndexError(f"index {idx} is out of range for a ConcatDataset of length "
                             f"{len(self)}")
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset):
    """Iterable datasets one after another (``IterableDataset + IterableDataset``)."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)

    def __iter__(self) -> Iterator[Any]:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)
        return total


def _lengths_from_fractions(fractions: Sequence[float], n: int) -> list[int]:
    """floor(f * n) each, then the leftover handed out one by one, round-robin from the
    first split (PyTorch's rule)."""
    lengths = []
    for i, fraction in enumerate(fractions):
        if not 0 <= fraction <= 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        lengths.append(math.floor(n * fraction))
    for i in range(n - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty "
                          "dataset.", stacklevel=3)
    return lengths


def random_split(dataset: Any, lengths: Sequence[int | float],
                 generator: Generator | None = None) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping ``Subset``s of the given ``lengths``
    (integers summing to ``len(dataset)``, or fractions summing to 1).

    The permutation is drawn from ``generator`` (a ``tinygrad_edu.random.Generator``), or
    from the library's RNG (``tinygrad_edu.manual_seed``) when it is None.
    """
    n = len(dataset)
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        lengths = _lengths_from_fractions(lengths, n)
    elif any(isinstance(length, bool) or not isinstance(length, int | np.integer)
             for length in lengths):
        raise ValueError(f"random_split: lengths must be integers summing to the dataset's "
                         f"length ({n}) or fractions summing to 1, got {list(lengths)}")
    elif any(length < 0 for length in lengths):
        raise ValueError(f"random_split: lengths must be non-negative, got {list(lengths)}")
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset! "
                         f"(lengths {list(lengths)} sum to {sum(lengths)}, the dataset has {n})")
    indices = rng_of(generator).permutation(n).tolist()
    splits, start = [], 0
    for length in lengths:
        splits.append(Subset(dataset, indices[start:start + int(length)]))
        start += int(length)
    return splits
