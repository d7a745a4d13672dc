"""DataLoader with worker processes: the batches of num_workers=0 in the same order, seeds,
worker_init_fn and get_worker_info, persistent workers, errors from workers, dead workers,
timeouts, Ctrl-C, and no process left behind after any test (checked after each one)."""

from __future__ import annotations

import gc
import multiprocessing
import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.random import Generator
from tinygrad_edu.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info

from ._compare import plain

torch = pytest.importorskip("torch")
tud = torch.utils.data
IN_MAIN_THREAD = threading.current_thread() is threading.main_thread()


@pytest.fixture(autouse=True)
def no_hang_and_no_leftover_process() -> Iterator[None]:
    """Fail (instead of hanging) after 30 s; after the test, no child process may remain."""
    def hung(signum: int, frame: Any) -> None:
        raise TimeoutError("the DataLoader test hung")

    if IN_MAIN_THREAD:
        previous = signal.signal(signal.SIGALRM, hung)
        signal.alarm(30)
    try:
        yield
    finally:
        if IN_MAIN_THREAD:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
    if multiprocessing.active_children():  # an iterator kept alive by a traceback, say
        gc.collect()
    assert multiprocessing.active_children() == []


class Items(Dataset):
    """Sample i: (float32 [i, i/2], int i); ``fail_at`` raises, ``kill_at`` SIGKILLs the
    worker, ``sleep_at`` sleeps ``sleep`` seconds."""

    def __init__(self, n: int, fail_at: int = -1, kill_at: int = -1, sleep_at: int = -1,
                 sleep: float = 0.0, error: type[Exception] = ValueError) -> None:
        self.n, self.fail_at, self.kill_at = n, fail_at, kill_at
        self.sleep_at, self.sleep, self.error = sleep_at, sleep, error

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Any:
        if i == self.fail_at:
            raise self.error(f"sample {i} is broken")
        if i == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        if i == self.sleep_at:
            time.sleep(self.sleep)
        return np.array([i, i / 2], np.float32), i


class WhoAmI(Dataset):
    """Sample i: what the worker knows about itself and its random streams."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.offset = 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Any:
        info = get_worker_info()
        return {"i": i, "pid": os.getpid(), "worker": info.id, "num_workers": info.num_workers,
                "seed": info.seed, "same_dataset": info.dataset is self, "offset": self.offset,
                "np": float(np.random.random()), "py": random.random(),
                "tg": float(tg.get_rng().random())}


def _indices(loader: Any) -> list[list[int]]:
    return [batch[1].numpy().tolist() for batch in loader]


@pytest.mark.parametrize("kwargs", [dict(batch_size=3), dict(batch_size=3, drop_last=True),
                                    dict(batch_size=None), dict(batch_size=2, shuffle=True)],
                         ids=str)
def test_workers_give_the_batches_of_one_process_in_order(kwargs: dict) -> None:
    one = [plain(b) for b in DataLoader(Items(11), seed=5, **kwargs)]
    two = [plain(b) for b in DataLoader(Items(11), num_workers=2, seed=5, **kwargs)]
    assert two == one
    if not kwargs.get("shuffle"):
        assert one == [plain(b) for b in tud.DataLoader(Items(11), **kwargs)]


def test_shuffle_without_a_generator_follows_manual_seed_with_workers() -> None:
    loader = DataLoader(Items(12), 3, shuffle=True, num_workers=2, prefetch_factor=1)
    tg.manual_seed(11)
    with_workers = _indices(loader)
    tg.manual_seed(11)
    assert _indices(DataLoader(Items(12), 3, shuffle=True)) == with_workers
    assert sorted(sum(with_workers, [])) == list(range(12))
    assert len(loader) == 4


class Split(IterableDataset):
    """range(n), each worker taking its contiguous share, or all of it when ``split`` is
    False (then every sample comes once per worker, as in PyTorch)."""

    def __init__(self, n: int, split: bool, torch_style: bool = False) -> None:
        self.n, self.split, self.torch_style = n, split, torch_style

    def __iter__(self) -> Iterator[int]:
        info = tud.get_worker_info() if self.torch_style else get_worker_info()
        start, stop = 0, self.n
        if info is not None and self.split:
            per = -(-self.n // info.num_workers)
            start, stop = info.id * per, min(self.n, (info.id + 1) * per)
        return iter(range(start, stop))


class TorchSplit(Split, tud.IterableDataset):  # type: ignore[misc]
    pass


@pytest.mark.parametrize("split", [True, False])
def test_iterable_datasets_in_workers_match_torch(split: bool) -> None:
    ours = [plain(b) for b in DataLoader(Split(7, split), batch_size=2, num_workers=2)]
    ref = [plain(b) for b in tud.DataLoader(TorchSplit(7, split, torch_style=True),
                                            batch_size=2, num_workers=2)]
    assert ours == ref
    flat = sorted(v for b in ours for v in b[3])
    assert flat == (list(range(7)) if split else sorted(2 * list(range(7))))


class Pids(Items):
    def __getitem__(self, i: int) -> Any:
        return (*super().__getitem__(i), os.getpid())


def _epochs(loader: DataLoader) -> tuple[list[Any], list[Any]]:
    """Epoch 1 whole, epoch 2 left after one batch, epoch 3 whole."""
    first = list(loader)
    for _ in loader:
        break
    return first, list(loader)


def test_persistent_workers_stay_across_epochs_and_restart_streams() -> None:
    loader = DataLoader(Pids(9), 2, shuffle=True, num_workers=2, persistent_workers=True,
                        seed=1)
    first, third = _epochs(loader)
    pids = [{p for b in epoch for p in b[2].numpy().tolist()} for epoch in (first, third)]
    assert pids[0] == pids[1] and len(pids[0]) == 2  # the same two processes
    one_process = _epochs(DataLoader(Pids(9), 2, shuffle=True, seed=1))
    assert [_indices(epoch) for epoch in (first, third)] == [_indices(e) for e in one_process]
    assert _indices(first) != _indices(third)  # a new permutation each epoch
    stream = DataLoader(Split(5, True), batch_size=2, num_workers=2, persistent_workers=True)
    expected = [plain(b) for b in DataLoader(Split(5, True), batch_size=2, num_workers=2)]
    assert [[plain(b) for b in epoch] for epoch in _epochs(stream)] == [expected, expected]
    del loader, stream


def test_worker_init_fn_seeds_and_get_worker_info() -> None:
    def init(worker_id: int) -> None:
        get_worker_info().dataset.offset = 100 + worker_id

    def run() -> list[dict]:
        loader = DataLoader(WhoAmI(4), batch_size=None, num_workers=2, worker_init_fn=init,
                            generator=Generator().manual_seed(3))
        return [{k: (v.numpy().tolist() if isinstance(v, tg.Tensor) else v)
                 for k, v in s.items()} for s in loader]

    samples = run()
    assert [s["worker"] for s in samples] == [0, 1, 0, 1]  # batches go round-robin
    assert all(s["num_workers"] == 2 and s["same_dataset"] for s in samples)
    assert [s["offset"] for s in samples] == [100, 101, 100, 101]
    assert samples[1]["seed"] == samples[0]["seed"] + 1  # base_seed + worker_id
    for stream in ("np", "py", "tg"):  # every RNG seeded, differently in each worker
        assert samples[0][stream] != samples[1][stream]
    again = run()
    assert [s["seed"] for s in again] == [s["seed"] for s in samples]
    assert [(s["np"], s["py"], s["tg"]) for s in again] == [(s["np"], s["py"], s["tg"])
                                                            for s in samples]
    assert get_worker_info() is None


def test_a_raising_worker_reports_its_id_and_traceback_and_the_loader_goes_on() -> None:
    it = iter(DataLoader(Items(4, fail_at=1), batch_size=1, num_workers=2))
    assert next(it)[1].numpy().tolist() == [0]
    with pytest.raises(ValueError) as info:
        next(it)
    message = str(info.value)
    assert message.startswith("Caught ValueError in DataLoader worker process 1.\n"
                              "Original Traceback (most recent call last):")
    assert 'raise self.error(f"sample {i} is broken")' in message
    assert message.rstrip().endswith("ValueError: sample 1 is broken")
    assert next(it)[1].numpy().tolist() == [2]  # as PyTorch: the next batches still come
    del it
    with pytest.raises(KeyError) as key_info:
        list(DataLoader(Items(2, fail_at=0, error=KeyError), num_workers=1))
    assert "Caught KeyError in DataLoader worker process 0" in str(key_info.value)
    assert "\\n" not in str(key_info.value)  # readable, not a repr


def test_errors_of_worker_init_fn_and_unpicklable_batches_are_raised() -> None:
    def init(worker_id: int) -> None:
        raise OSError("no such file")

    with pytest.raises(OSError, match="(?s)Caught OSError in DataLoader worker process 0.*no "
                                      "such file"):
        list(DataLoader(Items(2), num_workers=1, worker_init_fn=init))
    with pytest.raises(Exception, match="(?s)in DataLoader worker process 0.*pickle"):
        list(DataLoader(Items(2), num_workers=1, collate_fn=lambda b: lambda: b))


def test_a_killed_worker_gives_a_runtime_error_naming_it() -> None:
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker 1 \(pid \d+\) exited unexpectedly"
                                           r" with exit code -9 \(killed by signal SIGKILL\)"):
        list(DataLoader(Items(6, kill_at=3), batch_size=2, num_workers=2))
    assert time.monotonic() - start < 10


def test_timeout_raises_and_stops_the_workers() -> None:
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        list(DataLoader(Items(4, sleep_at=2, sleep=20), batch_size=1, num_workers=1,
                        timeout=0.3))
    assert time.monotonic() - start < 5  # waited 0.3 s, then a short join and terminate


def test_an_iterator_dropped_mid_epoch_stops_its_workers() -> None:
    it = iter(DataLoader(Items(50), batch_size=2, num_workers=2))
    next(it)
    assert len(multiprocessing.active_children()) == 2
    del it  # the fixture checks that nothing is left


@pytest.mark.skipif(not IN_MAIN_THREAD, reason="signals reach only the main thread")
def test_ctrl_c_while_waiting_stops_the_workers() -> None:
    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGUSR1, interrupt)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGUSR1))
    try:
        loader = DataLoader(Items(4, sleep_at=0, sleep=20), batch_size=1, num_workers=2)
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            list(loader)
        assert multiprocessing.active_children() == []  # at once, not at garbage collection
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR1, previous)


def test_a_context_object_and_pin_memory_are_accepted() -> None:
    loader = DataLoader(Items(5), batch_size=2, num_workers=1, pin_memory=True,
                        multiprocessing_context=multiprocessing.get_context("fork"))
    assert _indices(loader) == [[0, 1], [2, 3], [4]]
