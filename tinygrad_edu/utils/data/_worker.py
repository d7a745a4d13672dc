"""What runs inside a DataLoader worker process, and what it tells the main process.

A worker seeds its RNGs (the library's, NumPy's legacy global one, Python's ``random``) with
``base_seed + worker_id``, calls ``worker_init_fn(worker_id)``, then answers index messages
``(send_idx, indices)`` from its own queue with ``(send_idx, blob)`` on the shared result
queue, ``blob`` being the pickled ``(kind, value)``: ``("data", batch)``, ``("error",
ExceptionWrapper)`` or, for an iterable dataset whose stream ended, ``("stop", worker_id)``.
Pickling happens here, not in the queue's feeder thread, so an unpicklable batch becomes an
error the main process raises instead of a message silently lost (which would hang it).
``None`` ends the worker; ``RESUME`` (persistent workers, next epoch) restarts its stream and
is acknowledged with ``(RESUME_IDX, ...)``.
"""

from __future__ import annotations

import os
import pickle
import queue
import random as py_random
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler
from typing import Any, NoReturn

import numpy as np

from ...random import manual_seed, rng_of
from ._fetch import make_fetcher

__all__ = ["WorkerInfo", "get_worker_info"]

RESUME = "resume"  # index-queue message: a new epoch of persistent workers begins
RESUME_IDX = -1  # the send index of a worker's acknowledgement of RESUME
PARENT_CHECK_INTERVAL = 1.0  # seconds between checks that the main process still lives


class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: ``id``, ``num_workers``, ``seed``
    (this worker's, ``base_seed + id``) and ``dataset`` (this worker's copy). Read-only."""

    id: int
    num_workers: int
    seed: int
    dataset: Any

    def __init__(self, **fields: Any) -> None:
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")

    def __repr__(self) -> str:
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={type(self.dataset).__name__})")


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """This worker's ``WorkerInfo`` inside a DataLoader worker process; None in the main
    process. An ``IterableDataset`` uses it to take its own share of the stream."""
    return _worker_info


class _KeyErrorMessage(str):
    """KeyError shows its argument with repr(); this keeps the traceback text readable."""

    def __repr__(self) -> str:
        return str(self)


@dataclass
class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process with its traceback."""

    exc_type: type[BaseException]
    where: str
    traceback_text: str

    @classmethod
    def from_current(cls, where: str) -> ExceptionWrapper:
        exc_type, exc, tb = sys.exc_info()
        assert exc_type is not None
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        return cls(exc_type, where, text)

    def reraise(self) -> NoReturn:
        """Raise an exception of the original type whose message names the worker and holds
        the worker's traceback (a RuntimeError if that type cannot take one message)."""
        message = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.traceback_text}"
        if self.exc_type is KeyError:
            message = _KeyErrorMessage(message)
        try:
            exception = self.exc_type(message)
        except Exception:
            raise RuntimeError(message) from None
        raise exception


def dumps(kind: str, value: Any, where: str) -> bytes:
    """The pickled ``(kind, value)``; a pickling failure becomes a pickled error."""
    try:
        return bytes(ForkingPickler.dumps((kind, value)))
    except Exception:
        wrapper = ExceptionWrapper.from_current(where)
        try:
            return bytes(ForkingPickler.dumps(("error", wrapper)))
        except Exception:  # the exception type itself cannot be pickled
            wrapper.exc_type = RuntimeError
            return bytes(ForkingPickler.dumps(("error", wrapper)))


def loads(blob: bytes) -> tuple[str, Any]:
    kind, value = pickle.loads(blob)
    return kind, value


def seed_worker_rngs(seed: int) -> None:
    """The library's RNG, NumPy's legacy global RNG and Python's ``random``, from ``seed``."""
    manual_seed(seed)
    np.random.seed(seed % 2**32)
    py_random.seed(seed)


def worker_loop(iterable: bool, dataset: Any, index_queue: Any, result_queue: Any,
                done_event: Any, auto_collation: bool, collate_fn: Callable[[Any], Any],
                drop_last: bool, base_seed: int, worker_init_fn: Callable[[int], Any] | None,
                worker_id: int, num_workers: int) -> None:
    """The body of worker process ``worker_id`` (see the module docstring)."""
    global _worker_info
    where = f"in DataLoader worker process {worker_id}"
    try:
        seed = base_seed + worker_id
        seed_worker_rngs(seed)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        init_error: ExceptionWrapper | None = None
        fetcher = None
        try:
            if worker_init_fn is not None:
                worker_init_fn(worker_id)
            fetcher = make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper.from_current(where)
        parent = os.getppid()
        stream_ended = False
        while True:
            try:
                message = index_queue.get(timeout=PARENT_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent:  # the main process died: nobody will read
                    break
                continue
            if message is None:
                break
            if message == RESUME:
                if init_error is None and iterable:
                    try:
                        fetcher = make_fetcher(iterable, dataset, auto_collation, collate_fn,
                                               drop_last)
                    except Exception:
                        init_error = ExceptionWrapper.from_current(where)
                stream_ended = False
                result_queue.put((RESUME_IDX, dumps(RESUME, worker_id, where)))
                continue
            if done_event.is_set() or stream_ended:
                continue  # shutting down (or nothing left): wait for None
            send_idx, index = message
            if init_error is not None or fetcher is None:
                blob = dumps("error", init_error, where)
            else:
                try:
                    blob = dumps("data", fetcher.fetch(index), where)
                except StopIteration:
                    if iterable:
                        stream_ended = True
                        blob = dumps("stop", worker_id, where)
                    else:  # a map-style dataset has no business raising it: report it
                        blob = dumps("error", ExceptionWrapper.from_current(where), where)
                except Exception:
                    blob = dumps("error", ExceptionWrapper.from_current(where), where)
            result_queue.put((send_idx, blob))
            del blob
    except KeyboardInterrupt:
        pass  # Ctrl-C reaches the whole process group: the main process shuts us down
    if done_event.is_set():
        # what is still buffered will never be read: do not wait for it at exit
        result_queue.cancel_join_thread()
        result_queue.close()


def draw_base_seed(generator: Any) -> int:
    """The workers' base seed, drawn in the main process from the loader's generator (or the
    library's RNG, so ``tinygrad_edu.manual_seed`` makes it reproducible).

    It is spawned from the generator's seed sequence rather than drawn from its stream, so it
    leaves untouched the numbers the samplers draw: a seeded run shuffles alike whatever
    ``num_workers`` is, and as it did before workers existed. Each call gives a new seed.
    """
    rng = rng_of(generator)
    try:
        child = rng.bit_generator.seed_seq.spawn(1)[0]  # type: ignore[attr-defined]
        return int(child.generate_state(1, np.uint64)[0]) >> 1
    except (AttributeError, TypeError, ValueError):  # a bit generator without a seed sequence
        return int(rng.integers(0, 2**63 - 1, dtype=np.int64))
