"""Turning one index (or one list of indices) from the sampler into one batch: the same code
runs in the main process (``num_workers=0``) and in each worker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


class MapFetcher:
    """``collate_fn([dataset[i] for i in indices])`` (or ``dataset.__getitems__(indices)``);
    without auto-collation, ``collate_fn(dataset[index])``."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable[[Any], Any],
                 drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        getitems = getattr(dataset, "__getitems__", None)
        self._getitems = getitems if callable(getitems) else None

    def fetch(self, index: Any) -> Any:
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self._getitems is not None:
            return self.collate_fn(self._getitems(index))
        return self.collate_fn([self.dataset[i] for i in index])


class IterableFetcher:
    """The next ``len(indices)`` samples of the stream (the indices are placeholders), or
    the next sample without auto-collation; ``StopIteration`` once the stream is done (or
    when only a short batch is left and ``drop_last``)."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable[[Any], Any],
                 drop_last: bool) -> None:
        self.iterator: Iterator[Any] = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index: Any) -> Any:
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.iterator))
        samples = []
        for _ in index:
            try:
                samples.append(next(self.iterator))
            except StopIteration:
                self.ended = True
                break
        if not samples or (self.drop_last and len(samples) < len(index)):
            raise StopIteration
        return self.collate_fn(samples)


def make_fetcher(iterable: bool, dataset: Any, auto_collation: bool,
                 collate_fn: Callable[[Any], Any], drop_last: bool) -> MapFetcher | IterableFetcher:
    kind = IterableFetcher if iterable else MapFetcher
    return kind(dataset, auto_collation, collate_fn, drop_last)
