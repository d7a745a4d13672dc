"""The main-process side of ``num_workers > 0``: start the workers, hand out batches of
indices, put the results back in order, and never hang or leave a process behind.

PyTorch's design: the main process draws every index from the sampler and sends batch ``k``
to worker ``k mod num_workers`` (skipping workers whose stream ended), keeping at most
``prefetch_factor * num_workers`` batches outstanding. Results arrive on one queue in any
order and are held until their turn, so the batches come out exactly as with
``num_workers=0``. While waiting, the main process checks every ``STATUS_CHECK_INTERVAL``
that the workers live and honours ``timeout``. Workers are shut down (``None`` on their
queue, join with a deadline, then terminate) when the epoch ends (unless persistent), on any
failure of the loader itself or Ctrl-C, and when the iterator is garbage collected.
"""

from __future__ import annotations

import itertools
import multiprocessing
import queue
import signal
import time
import weakref
from typing import Any

from ._worker import RESUME, RESUME_IDX, ExceptionWrapper, loads, worker_loop

STATUS_CHECK_INTERVAL = 0.1  # seconds between checks that the workers are alive
JOIN_TIMEOUT = 1.0  # seconds the workers get to exit before they are terminated


def default_context() -> Any:
    """'fork' where the platform has it (fast, nothing to pickle), else the default."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


class WorkerPool:
    """The worker processes and their queues. It holds no reference to the iterator, so the
    iterator's finalizer can shut it down."""

    def __init__(self, context: Any, num_workers: int, worker_args: tuple[Any, ...]) -> None:
        self.result_queue = context.Queue()
        self.done_event = context.Event()
        self.index_queues: list[Any] = []
        self.workers: list[Any] = []
        self.closed = False
        iterable, dataset, auto_collation, collate_fn, drop_last, base_seed, init_fn = worker_args
        try:
            for worker_id in range(num_workers):
                index_queue = context.Queue()
                index_queue.cancel_join_thread()  # never block our exit on unsent indices
                process = context.Process(
                    target=worker_loop, daemon=True, name=f"DataLoader worker {worker_id}",
                    args=(iterable, dataset, index_queue, self.result_queue, self.done_event,
                          auto_collation, collate_fn, drop_last, base_seed, init_fn,
                          worker_id, num_workers))
                process.start()
                self.index_queues.append(index_queue)
                self.workers.append(process)
        except BaseException:
            self.shutdown()
            raise

    def dead_worker_error(self, active: list[bool]) -> RuntimeError | None:
        """A RuntimeError naming the first active worker that has exited, or None."""
        for worker_id, process in enumerate(self.workers):
            if active[worker_id] and not process.is_alive():
                code = process.exitcode
                how = f"exit code {code}"
                if code is not None and code < 0:
                    try:
                        how += f" (killed by signal {signal.Signals(-code).name})"
                    except ValueError:
                        how += f" (killed by signal {-code})"
                return RuntimeError(f"DataLoader worker {worker_id} (pid {process.pid}) exited "
                                    f"unexpectedly with {how}")
        return None

    def shutdown(self) -> None:
        """Stop every worker (politely, then by force) and close the queues. Idempotent."""
        if self.closed:
            return
        self.closed = True
        self.done_event.set()
        for index_queue in self.index_queues:
            try:
                index_queue.put(None)
            except (OSError, ValueError):  # a queue already closed
                pass
        deadline = time.monotonic() + JOIN_TIMEOUT
        for process in self.workers:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
        for process in self.workers:
            if process.is_alive():
                process.terminate()
                process.join(timeout=JOIN_TIMEOUT)
            if process.is_alive():
                process.kill()
                process.join()
        for q in (*self.index_queues, self.result_queue):
            q.cancel_join_thread()
            q.close()


class MultiProcessIter:
    """The iterator ``DataLoader.__iter__`` returns when ``num_workers > 0``."""

    def __init__(self, loader: Any, base_seed: int) -> None:
        self._iterable = loader._is_iterable
        self._index_sampler = loader._index_sampler
        self._num_workers: int = loader.num_workers
        self._prefetch_factor: int = loader.prefetch_factor
        self._timeout: float = loader.timeout
        self._persistent: bool = loader.persistent_workers
        context = loader.multiprocessing_context or default_context()
        self._pool = WorkerPool(context, self._num_workers, (
            self._iterable, loader.dataset, loader._auto_collation, loader.collate_fn,
            loader.drop_last, base_seed, loader.worker_init_fn))
        self._finalizer = weakref.finalize(self, self._pool.shutdown)
        self._start_epoch(first=True)

    def __iter__(self) -> MultiProcessIter:
        return self

    def __len__(self) -> int:
        return len(self._index_sampler)

    def _start_epoch(self, first: bool) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._send_idx = 0  # the next batch to hand out
        self._rcvd_idx = 0  # the next batch to give the user
        self._task_info: dict[int, tuple[Any, ...]] = {}  # send_idx -> (worker, [result])
        self._tasks_outstanding = 0
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first:  # persistent workers: let each finish the last epoch and restart
            for index_queue in self._pool.index_queues:
                index_queue.put(RESUME)
            waiting = self._num_workers
            while waiting:
                idx, _ = self._get_result()
                waiting -= idx == RESUME_IDX  # other results are leftovers: dropped
        for _ in range(self._prefetch_factor * self._num_workers):
            self._put_index()

    def _reset(self) -> None:
        """A new epoch over the same (persistent) workers."""
        try:
            self._start_epoch(first=False)
        except BaseException:
            self._shutdown()
            raise

    def _put_index(self) -> None:
        if self._tasks_outstanding >= self._prefetch_factor * self._num_workers:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._active[worker_id]:
                break
        else:  # every stream has ended
            return
        self._pool.index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _get_result(self) -> tuple[int, tuple[str, Any]]:
        """The next message from the workers, waiting while they are alive and within
        ``timeout``."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = STATUS_CHECK_INTERVAL
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            try:
                idx, blob = self._pool.result_queue.get(timeout=wait)
                return idx, loads(blob)
            except queue.Empty:
                error = self._pool.dead_worker_error(self._active)
                if error is not None:
                    raise error from None
                if deadline is not None and time.monotonic() >= deadline:
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds"
                                       ) from None

    def _retire_worker(self, worker_id: int, answered: int) -> None:
        """Worker ``worker_id``'s stream ended (its answer to batch ``answered``): send it
        nothing more; the batches it still holds will never be answered."""
        self._active[worker_id] = False
        self._tasks_outstanding -= sum(1 for i, info in self._task_info.items()
                                       if info[0] == worker_id and len(info) == 1
                                       and i != answered)
        if not self._persistent:
            self._pool.index_queues[worker_id].put(None)

    def _next_result(self) -> tuple[str, Any]:
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info[self._rcvd_idx]
                if len(info) == 2 or self._active[info[0]]:
                    break
                del self._task_info[self._rcvd_idx]  # its worker's stream had ended
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:  # it came early, it is its turn
                return self._hand_out(self._task_info.pop(self._rcvd_idx)[1])
            idx, result = self._get_result()
            self._tasks_outstanding -= 1
            if result[0] == "stop":  # its entry stays, to be skipped in its turn
                self._retire_worker(result[1], idx)
                self._put_index()
                continue
            if idx != self._rcvd_idx:
                self._task_info[idx] += (result,)
                continue
            del self._task_info[idx]
            return self._hand_out(result)

    def _hand_out(self, result: tuple[str, Any]) -> tuple[str, Any]:
        self._rcvd_idx += 1
        self._put_index()
        return result

    def __next__(self) -> Any:
        if self._pool.closed:
            raise StopIteration
        try:
            kind, value = self._next_result()
        except StopIteration:
            raise
        except BaseException:  # a dead worker, a timeout, Ctrl-C: leave nothing behind
            self._shutdown()
            raise
        if kind == "error":
            assert isinstance(value, ExceptionWrapper)
            value.reraise()  # the workers stay: the next batch can still be asked for
        return value

    def _shutdown(self) -> None:
        self._finalizer()
