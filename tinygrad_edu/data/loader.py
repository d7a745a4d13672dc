"""``Dataset``, ``TensorDataset`` and ``DataLoader``, as in ``torch.utils.data``.

The loader has two paths. An *array-backed* dataset (``TensorDataset``, or any dataset whose
``sample_arrays()`` returns arrays whose rows are its samples, like ``MNIST`` without
transforms) is batched by fancy-indexing those arrays with a slice of one permutation: no
Python runs per sample. Any other dataset is batched item by item and collated.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ..random import get_rng
from ..tensor import Tensor

__all__ = ["DataLoader", "Dataset", "TensorDataset", "default_collate"]


class Dataset:
    """Base class: subclasses define ``__getitem__(index)`` and ``__len__()``.

    A subclass whose samples are rows of arrays may also define ``sample_arrays()`` returning
    those arrays (``ds[i]`` being their rows ``i``); ``DataLoader`` then batches them fast.
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def sample_arrays(self) -> tuple[np.ndarray, ...] | None:
        """Arrays whose rows are the samples, or None (the default) if there are none."""
        return None


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
                raise ValueError(
                    f"TensorDataset: argument {i} is a scalar; each needs a first "
                    "dimension indexing the samples"
                )
            if a.ndim == 1 and a.dtype.kind in "iu" and a.dtype != np.int64:
                a = a.astype(np.int64)
            arrays.append(a)
        lengths = [len(a) for a in arrays]
        if len(set(lengths)) > 1:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(
                f"TensorDataset: Size mismatch between tensors: all need the same first "
                f"dimension (the number of samples), got shapes {shapes}"
            )
        self.arrays: tuple[np.ndarray, ...] = tuple(arrays)

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        """The stored arrays wrapped as Tensors (no copy)."""
        return tuple(Tensor(a) for a in self.arrays)

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(Tensor(np.asarray(a[index])) for a in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def sample_arrays(self) -> tuple[np.ndarray, ...]:
        return self.arrays


def default_collate(items: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch: tuples/lists and dicts element-wise, leaves into one
    Tensor (arrays and Tensors keep their dtype; Python ints become int64, floats float32);
    strings stay a list of strings, as PyTorch's."""
    if len(items) == 0:
        raise IndexError("default_collate: got an empty batch (no samples to stack)")
    first = items[0]
    if isinstance(first, str | bytes):
        return list(items)
    if isinstance(first, tuple | list):
        lengths = {len(item) if isinstance(item, tuple | list) else -1 for item in items}
        if len(lengths) > 1:
            raise RuntimeError("default_collate: each element in list of batch should be of "
                               f"equal size (got samples of lengths {sorted(lengths)})")
        return tuple(default_collate([item[i] for item in items]) for i in range(len(first)))
    if isinstance(first, Mapping):
        return {key: default_collate([item[key] for item in items]) for key in first}
    if not isinstance(first, np.generic | np.ndarray | Tensor):  # (np.float64 is a float)
        if isinstance(first, bool):
            return Tensor(np.array(items, dtype=bool))
        if isinstance(first, int):
            return Tensor(np.array(items, dtype=np.int64))
        if isinstance(first, float):
            return Tensor(np.array(items, dtype=np.float32))
        raise TypeError("default_collate: batch must contain tensors, numpy arrays, numbers, "
                        f"dicts or lists; found {type(first)}")
    arrays = [_as_array(item) for item in items]
    for i, array in enumerate(arrays):
        if array.shape != arrays[0].shape:
            raise RuntimeError(
                "default_collate: stack expects each tensor to be equal size, but got "
                f"{list(arrays[0].shape)} at entry 0 and {list(array.shape)} at entry {i}")
    return Tensor(np.stack(arrays))


def _convert(sample: Any) -> Any:
    """One sample without batching: arrays (and NumPy scalars) become Tensors, containers are
    converted element-wise, anything else is kept (PyTorch's ``default_convert``)."""
    if isinstance(sample, np.ndarray | np.generic) and sample.dtype.kind in "biuf":
        return Tensor(np.asarray(sample))
    if isinstance(sample, tuple | list):
        return type(sample)(_convert(item) for item in sample)
    if isinstance(sample, Mapping):
        return {key: _convert(value) for key, value in sample.items()}
    return sample


class DataLoader:
    """Iterate over a dataset in batches of Tensors, as ``torch.utils.data.DataLoader``.

    ``DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, seed=None)``. Each
    epoch (each ``iter``) visits every sample once; ``drop_last`` drops a final short batch.
    ``batch_size=None`` turns batching off, as PyTorch: each sample comes as it is (arrays as
    Tensors, without a batch dimension).
    With ``shuffle``, every epoch takes a fresh permutation from a Generator seeded once with
    ``seed`` (so runs repeat), or from ``tinygrad_edu.get_rng()`` (``manual_seed``) when
    ``seed`` is None. Array-backed datasets yield tuples of Tensors holding fresh contiguous
    arrays of the stored dtypes (float32 stays float32, labels int64); others are collated
    with ``default_collate``.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
    ) -> None:
        if batch_size is None:
            if drop_last:
                raise ValueError("batch_size=None option disables auto-batching and is "
                                 "mutually exclusive with drop_last")
        elif (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, int | np.integer)
            or (batch_size < 1)
        ):
            raise ValueError("batch_size should be a positive integer value (or None for no "
                             f"batching), but got batch_size={batch_size!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)
                                 or seed < 0):
            raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self, n: int) -> np.ndarray | None:
        if not self.shuffle:
            return None
        rng = self._rng if self._rng is not None else get_rng()
        return rng.permutation(n)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        order = self._order(n)
        if self.batch_size is None:  # no batching: each sample, converted as PyTorch does
            for i in range(n) if order is None else order.tolist():
                yield _convert(self.dataset[i])
            return
        stop = (n // self.batch_size) * self.batch_size if self.drop_last else n
        arrays = self.dataset.sample_arrays() if hasattr(self.dataset, "sample_arrays") else None
        if arrays is not None and any(len(a) != n for a in arrays):
            raise ValueError(
                f"{type(self.dataset).__name__}.sample_arrays() returned arrays of "
                f"lengths {[len(a) for a in arrays]} for a dataset of length {n}"
            )
        for start in range(0, stop, self.batch_size):
            end = min(start + self.batch_size, stop)
            if arrays is not None:
                if order is None:
                    yield tuple(Tensor(a[start:end].copy()) for a in arrays)
                else:
                    index = order[start:end]
                    yield tuple(Tensor(a[index]) for a in arrays)
            else:
                indices = range(start, end) if order is None else order[start:end].tolist()
                yield default_collate([self.dataset[i] for i in indices])

    def __repr__(self) -> str:
        return (
            f"DataLoader(dataset={type(self.dataset).__name__}, size={len(self.dataset)}, "
            f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last}, seed={self.seed})"
        )
