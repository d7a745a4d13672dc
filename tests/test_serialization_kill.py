"""A save killed with SIGKILL: the old file stays whole, and its temporary does not pile up."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu import serialization
from tinygrad_edu.serialization import load, remove_stale_temporaries, save

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="needs fork and /proc")

N = 1_000_000  # float32 values per array: two arrays, ~8 MB a checkpoint


def version(v: int) -> dict:
    """Checkpoint number ``v``: every array and the metadata say ``v``, so a mix is visible."""
    return {"version": v, "weight": np.full(N, v, np.float32), "bias": np.full(N, -v, np.int32)}


def check_one_version(obj: dict) -> int:
    v = obj["version"]
    assert v in (1, 2)
    assert (obj["weight"] == v).all() and (obj["bias"] == -v).all(), "a mix of two versions"
    return v


def save_forever(path: str) -> None:
    one, two = version(1), version(2)
    while True:
        save(one, path)
        save(two, path)


def fork_context() -> multiprocessing.context.BaseContext:
    return multiprocessing.get_context("fork")


def temporaries(directory: Path, name: str) -> list[str]:
    return sorted(n for n in os.listdir(directory) if n != name)


def test_sigkill_during_saves_keeps_a_whole_file_and_the_next_save_cleans_up(tmp_path: Path):
    path = tmp_path / "ckpt.npz"
    save(version(1), path)
    rng = random.Random(11)
    kills, left_behind, seen = 18, 0, set()
    started = time.monotonic()
    for i in range(kills):
        proc = fork_context().Process(target=save_forever, args=(str(path),), daemon=True)
        proc.start()
        time.sleep(rng.uniform(0.02, 0.25))
        os.kill(proc.pid, signal.SIGKILL)  # type: ignore[arg-type]
        proc.join()
        assert proc.exitcode == -signal.SIGKILL
        left = temporaries(tmp_path, path.name)
        left_behind += bool(left)
        with np.load(path, allow_pickle=False) as npz:  # read without the cleanup of load()
            assert len(npz.files) == 3
        seen.add(check_one_version(load(path)))
        assert temporaries(tmp_path, path.name) == [], "load left a dead writer's temporary"
        if left and i % 2:  # and the next save as well: put a dead writer's file back first
            (tmp_path / left[0]).write_bytes(b"partial")
            save(version(1), path)
            assert temporaries(tmp_path, path.name) == []
    elapsed = time.monotonic() - started
    print(f"{kills} kills, {left_behind} left a temporary behind, versions seen {seen}, "
          f"{elapsed:.1f} s")
    assert left_behind >= kills // 3, "the kills did not land inside a save: test is toothless"
    assert seen == {1, 2}


def test_a_live_writers_temporary_is_never_removed(tmp_path: Path):
    path = tmp_path / "c.npz"
    ctx = fork_context()
    ready = ctx.Event()
    proc = ctx.Process(target=_sleep_after, args=(ready,), daemon=True)
    proc.start()
    assert ready.wait(10)
    assert proc.pid is not None
    start = serialization._process_start(proc.pid)
    live = tmp_path / f".c.npz.{proc.pid}-{start}-{'a' * 12}.tmp"
    live.write_bytes(b"being written")
    reused = tmp_path / f".c.npz.{proc.pid}-{int(start) - 5}-{'b' * 12}.tmp"  # pid reused
    reused.write_bytes(b"from an earlier process with the same pid")
    other = tmp_path / ".other.npz.1-1-cccccccccccc.tmp"  # another target's temporary
    other.write_bytes(b"")
    save({"a": 1}, path)
    assert live.exists() and not reused.exists() and other.exists()
    assert load(path) == {"a": 1} and live.exists()
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    assert remove_stale_temporaries(path) == [str(live)]
    assert other.exists()


def _sleep_after(ready) -> None:  # type: ignore[no-untyped-def]
    ready.set()
    time.sleep(60)


def test_a_temporary_of_this_process_in_flight_survives_a_concurrent_save(tmp_path: Path,
                                                                       monkeypatch):
    path = tmp_path / "c.npz"
    seen: list[list[str]] = []
    real = serialization._write_npz

    def write_and_save_again(file, arrays):  # type: ignore[no-untyped-def]
        real(file, arrays)
        if not seen:
            seen.append(temporaries(tmp_path, path.name))
            save({"inner": 1}, path)  # as another thread of this process would
            seen.append(temporaries(tmp_path, path.name))

    monkeypatch.setattr(serialization, "_write_npz", write_and_save_again)
    save({"outer": 1}, path)
    assert len(seen[0]) == 1 and seen[1] == seen[0]  # the outer save's temporary was kept
    assert load(path) == {"outer": 1} and temporaries(tmp_path, path.name) == []


def test_old_pidless_temporaries_go_only_when_abandoned(tmp_path: Path):
    path = tmp_path / "c.npz"
    fresh, old = tmp_path / ".c.npz.0123456789ab.tmp", tmp_path / ".c.npz.ba9876543210.tmp"
    fresh.write_bytes(b"")
    old.write_bytes(b"")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    save([1], path)
    assert fresh.exists() and not old.exists()


def test_a_long_target_name_still_gets_a_valid_temporary_name(tmp_path: Path):
    path = tmp_path / ("x" * 250)
    save({"a": 1}, path)
    assert load(path) == {"a": 1} and os.listdir(tmp_path) == [path.name]
