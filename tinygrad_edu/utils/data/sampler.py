"""Samplers as ``torch.utils.data``: which indices an epoch visits, and in which order.

Random samplers draw when iterated (each epoch afresh) from their ``generator`` (a
``tinygrad_edu.random.Generator``) or, when it is None, from the library's RNG at that moment
(so ``tinygrad_edu.manual_seed`` makes the order reproducible, as ``torch.manual_seed``).
``SequentialSampler`` and ``RandomSampler`` also give the whole epoch as one array
(``epoch_indices()``), which the DataLoader's array fast path uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any

import numpy as np

from ...random import Generator, rng_of

__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler",
           "SubsetRandomSampler", "WeightedRandomSampler"]


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


class Sampler:
    """Base class: subclasses define ``__iter__`` (the indices) and, if they can, ``__len__``."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass  # PyTorch accepts and ignores data_source here

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def epoch_indices(self) -> np.ndarray:
        return np.arange(len(self.data_source))

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the indices each epoch; with ``replacement``, ``num_samples``
    independent draws. Without replacement, ``num_samples`` larger than the dataset chains
    fresh permutations (PyTorch's rule). An empty dataset gives an empty epoch."""

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None, generator: Generator | None = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError("replacement should be a boolean value, but got "
                            f"replacement={replacement}")
        # an empty dataset gives an empty epoch (PyTorch refuses it with num_samples=0)
        if num_samples is not None and (not _is_int(num_samples) or num_samples <= 0):
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def epoch_indices(self) -> np.ndarray:
        """One epoch's indices, drawn now."""
        rng = rng_of(self.generator)
        n, count = len(self.data_source), int(self.num_samples)
        if n == 0:
            if count:
                raise ValueError(f"RandomSampler: cannot draw {count} samples from an empty "
                                 "dataset")
            return np.arange(0)
        if self.replacement:
            return rng.integers(0, n, size=count, dtype=np.int64)
        whole, rest = divmod(count, n)
        parts = [rng.permutation(n) for _ in range(whole)]
        if rest:
            parts.append(rng.permutation(n)[:rest])
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def __iter__(self) -> Iterator[int]:
        # a generator: nothing is drawn until the first index is asked for, as PyTorch
        yield from self.epoch_indices().tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order each epoch."""

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in rng_of(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights`` (which need
    not sum to 1); without ``replacement`` each index at most once (zero weights last)."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Generator | None = None) -> None:
        if not _is_int(num_samples) or num_samples <= 0:
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError("replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        array = weights._data if hasattr(weights, "_data") else weights
        weights_array = np.asarray(array, dtype=np.float64)
        if weights_array.ndim != 1:
            raise ValueError("weights should be a 1d sequence but given weights have shape "
                             f"{tuple(weights_array.shape)}")
        if not np.all(np.isfinite(weights_array)) or np.any(weights_array < 0):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0 "
                               f"(weights {weights_array.tolist()})")
        if weights_array.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not replacement and num_samples > len(weights_array):
            raise RuntimeError(f"cannot sample n_sample > prob_dist.size(-1) samples without "
                               f"replacement ({num_samples} > {len(weights_array)})")
        self.weights = weights_array
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        rng = rng_of(self.generator)
        p = self.weights / self.weights.sum()
        positive = int(np.count_nonzero(p))
        if self.replacement or self.num_samples <= positive:
            yield from rng.choice(len(p), size=self.num_samples, replace=self.replacement,
                                  p=p).tolist()
            return
        # without replacement, past the positive weights: the zero-weight indices follow in
        # a random order (as torch.multinomial)
        yield from rng.choice(len(p), size=positive, replace=False, p=p).tolist()
        zeros = np.flatnonzero(p == 0)
        yield from zeros[rng.permutation(len(zeros))][:self.num_samples - positive].tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` (any iterable of indices) into lists of
    ``batch_size``; ``drop_last`` drops a final shorter list."""

    def __init__(self, sampler: Sampler | Iterable[Any], batch_size: int,
                 drop_last: bool) -> None:
        if not _is_int(batch_size) or batch_size <= 0:
            raise ValueError("batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[Any]]:
        batch: list[Any] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size
