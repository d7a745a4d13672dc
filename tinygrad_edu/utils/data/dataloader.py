"""``DataLoader``, as ``torch.utils.data.DataLoader``: a dataset, a sampler of indices, a
collate function, and optionally worker processes.

Three ways to run an epoch:

* **the array fast path** (``num_workers=0``, the default sampler and collate, a dataset with
  ``sample_arrays()``): each batch is one fancy index per array, no Python per sample;
* **one process**: ``collate_fn([dataset[i] for i in batch_indices])`` batch after batch;
* **worker processes** (``num_workers > 0``, see ``_multiprocess``): the same batches, in the
  same order, computed in parallel.
"""

from __future__ import annotations

import math
import multiprocessing
import multiprocessing.context
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from ...random import Generator
from ...tensor import Tensor
from ._fetch import make_fetcher
from ._multiprocess import MultiProcessIter
from ._worker import draw_base_seed
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]

_FROZEN_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                      "persistent_workers")


class _InfiniteConstantSampler(Sampler):
    """The sampler of an iterable dataset: ``None`` forever (the stream decides the end)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


def _check_seed(seed: Any) -> None:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)
                             or seed < 0):
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")


def _resolve_context(context: Any, num_workers: int) -> Any:
    if context is None:
        return None
    if num_workers == 0:
        raise ValueError("multiprocessing_context can only be used with multi-process loading "
                         f"(num_workers > 0), but got num_workers={num_workers}")
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError("multiprocessing_context option should specify a valid start "
                             f"method in {methods!r}, but got multiprocessing_context="
                             f"{context!r}")
        return multiprocessing.get_context(context)
    if not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError("multiprocessing_context option should be a valid context object or a "
                        "string specifying the start method, but got multiprocessing_context="
                        f"{context}")
    return context


class DataLoader:
    """Iterate over ``dataset`` in batches, as ``torch.utils.data.DataLoader``.

    Same arguments, defaults and argument checks as PyTorch. ``shuffle=True`` draws a fresh
    permutation each epoch from ``generator`` (a ``tinygrad_edu.random.Generator``) or, when
    it is None, from the library's RNG (``tinygrad_edu.manual_seed``). ``batch_size=None``
    turns batching off: each sample goes through ``default_convert``. ``num_workers > 0``
    loads in worker processes (see ``get_worker_info``), with the same batches in the same
    order; ``pin_memory`` and ``pin_memory_device`` are accepted and have no effect (no GPU).

    One extra: ``seed=s`` (an int) stands for ``generator=Generator().manual_seed(s)``,
    made once, so every epoch is different and every run the same.
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable[Any] | None = None,
                 batch_sampler: Sampler | Iterable[list[Any]] | None = None,
                 num_workers: int = 0, collate_fn: Callable[[Any], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], Any] | None = None,
                 multiprocessing_context: Any = None, generator: Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True,
                 seed: int | None = None) -> None:
        if isinstance(num_workers, bool) or not isinstance(num_workers, int | np.integer):
            raise TypeError(f"num_workers should be an int, got {num_workers!r}")
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        _check_seed(seed)
        if seed is not None:
            if generator is not None:
                raise ValueError("DataLoader: give seed= or generator=, not both")
            generator = Generator().manual_seed(int(seed))

        self.num_workers = int(num_workers)
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = _resolve_context(multiprocessing_context,
                                                        self.num_workers)
        self.in_order = in_order
        self.seed = seed

        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            if shuffle not in (False, None):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if self._is_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
            batch_size = batch_sampler.batch_size

        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator: MultiProcessIter | None = None
        self._initialized = True

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FROZEN_AFTER_INIT and self.__dict__.get("_initialized"):
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        """What yields one fetch's worth of indices: the batch sampler, else the sampler."""
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if self._is_iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                length = (length // self.batch_size if self.drop_last
                          else math.ceil(length / self.batch_size))
            return length
        return len(self._index_sampler)

    def __iter__(self) -> Iterator[Any]:
        if self.num_workers == 0:
            arrays = self._fast_path_arrays()
            if arrays is not None:
                return _ArrayBatchIter(self, arrays)
            return _SingleProcessIter(self)
        if self.persistent_workers:
            if self._iterator is None or self._iterator._pool.closed:
                self._iterator = MultiProcessIter(self, draw_base_seed(self.generator))
            else:
                self._iterator._reset()
            return self._iterator
        return MultiProcessIter(self, draw_base_seed(self.generator))

    def _fast_path_arrays(self) -> tuple[np.ndarray, ...] | None:
        """The dataset's ``sample_arrays()`` when batches can be cut from them directly: the
        default batch sampler over the default samplers, and the default collate."""
        if (self._is_iterable or self.collate_fn is not default_collate
                or type(self.batch_sampler) is not BatchSampler
                or type(self.sampler) not in (SequentialSampler, RandomSampler)
                or self.batch_sampler.sampler is not self.sampler
                or getattr(self.sampler, "data_source", None) is not self.dataset):
            return None
        sample_arrays = getattr(self.dataset, "sample_arrays", None)
        arrays = sample_arrays() if callable(sample_arrays) else None
        if arrays is None:
            return None
        dataset: Any = self.dataset
        n = len(dataset)
        if any(len(a) != n for a in arrays):
            raise ValueError(f"{type(self.dataset).__name__}.sample_arrays() returned arrays of "
                             f"lengths {[len(a) for a in arrays]} for a dataset of length {n}")
        return tuple(arrays)

    def __repr__(self) -> str:
        size = len(self.dataset) if hasattr(self.dataset, "__len__") else "?"
        return (f"DataLoader(dataset={type(self.dataset).__name__}, size={size}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, num_workers={self.num_workers})")


class _SingleProcessIter:
    """``num_workers=0``: fetch each batch in this process."""

    def __init__(self, loader: DataLoader) -> None:
        self._index_sampler = loader._index_sampler
        self._sampler_iter = iter(self._index_sampler)
        self._fetcher = make_fetcher(loader._is_iterable, loader.dataset,
                                     loader._auto_collation, loader.collate_fn,
                                     loader.drop_last)

    def __iter__(self) -> _SingleProcessIter:
        return self

    def __next__(self) -> Any:
        return self._fetcher.fetch(next(self._sampler_iter))

    def __len__(self) -> int:
        return len(self._index_sampler)


class _ArrayBatchIter:
    """The fast path: batch ``k`` is ``[a[order[k*B:(k+1)*B]] for a in arrays]``, with
    ``order`` the sampler's epoch, drawn at the first batch (when the slow path draws it)."""

    def __init__(self, loader: DataLoader, arrays: tuple[np.ndarray, ...]) -> None:
        batch_sampler = loader.batch_sampler
        assert isinstance(batch_sampler, BatchSampler)
        self._batch_sampler = batch_sampler
        self._arrays = arrays
        self._order: np.ndarray | None = None
        self._start = self._stop = 0

    def __iter__(self) -> _ArrayBatchIter:
        return self

    def __next__(self) -> list[Tensor]:
        batch_size = self._batch_sampler.batch_size
        if self._order is None:
            self._order = self._batch_sampler.sampler.epoch_indices()  # type: ignore[union-attr]
            n = len(self._order)
            self._stop = n - n % batch_size if self._batch_sampler.drop_last else n
        start = self._start
        if start >= self._stop:
            raise StopIteration
        end = self._start = min(start + batch_size, self._stop)
        if type(self._batch_sampler.sampler) is SequentialSampler:  # a slice, then one copy
            return [Tensor(a[start:end].copy()) for a in self._arrays]
        index = self._order[start:end]
        return [Tensor(a[index]) for a in self._arrays]

    def __len__(self) -> int:
        return len(self._batch_sampler)
