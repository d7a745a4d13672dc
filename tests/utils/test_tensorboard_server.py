"""A real ``tensorboard --logdir`` server on localhost (a free port, stopped by the fixture)
serves what SummaryWriter wrote: its HTTP API returns our runs, tags, scalar values and steps,
and the graph."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.utils._tensorboard import in_ci, need

need("tensorboard", "pip install tinygrad_edu[tensorboard]")

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import nn  # noqa: E402
from tinygrad_edu.utils.tensorboard import SummaryWriter  # noqa: E402

TENSORBOARD = Path(sys.executable).with_name("tensorboard")  # the venv's executable
STARTUP_SECONDS = 90  # a cold start on a busy machine; it answers in a few seconds
LOSSES = [(0, 2.5), (10, 1.25), (20, 0.75), (30, 0.5)]
ACCURACY = [(0, 0.125), (30, 0.875)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(base: str, path: str, **query: str) -> Any:
    url = f"{base}{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read().decode()
    return json.loads(body) if response.headers.get_content_type() == "application/json" \
        else body


@pytest.fixture
def logdir(tmp_path: Path) -> Path:
    with SummaryWriter(tmp_path / "train") as w:
        for step, value in LOSSES:
            w.add_scalar("loss", value, step)
        w.add_graph(nn.Sequential(nn.Linear(3, 2), nn.ReLU()), tg.randn(4, 3))
    with SummaryWriter(tmp_path / "test") as w:
        for step, value in ACCURACY:
            w.add_scalar("accuracy", value, step)
    return tmp_path


@pytest.fixture
def server(logdir: Path) -> Iterator[str]:
    """The base URL of a tensorboard serving ``logdir``; always stopped (its process group:
    the data-server child too)."""
    if not TENSORBOARD.is_file():
        if in_ci():
            pytest.fail(f"{TENSORBOARD} is missing")
        pytest.skip(f"no tensorboard executable beside {sys.executable}")
    port = free_port()
    proc = subprocess.Popen(
        [str(TENSORBOARD), "--logdir", str(logdir), "--host", "127.0.0.1", "--port", str(port),
         "--reload_interval", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if proc.poll() is not None:
                output = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"tensorboard exited with {proc.returncode}:\n{output[-3000:]}")
            try:
                if sorted(get(base, "/data/runs")) == ["test", "train"]:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"tensorboard did not list both runs within {STARTUP_SECONDS} s")
            time.sleep(0.3)
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)
        if proc.stdout:
            proc.stdout.close()


def eventually(read: Any, seconds: float = 30) -> Any:
    """The first truthy answer of ``read()`` (runs are listed before all their data loads)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = read()
        except urllib.error.HTTPError:  # e.g. 404 for a run whose graph is not loaded yet
            value = None
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def test_server_returns_the_logged_scalars(server):
    tags = eventually(lambda: (t := get(server, "/data/plugin/scalars/tags"))
                      and "loss" in t.get("train", {}) and "accuracy" in t.get("test", {}) and t)
    assert set(tags["train"]) == {"loss"} and set(tags["test"]) == {"accuracy"}
    for run, tag, expected in [("train", "loss", LOSSES), ("test", "accuracy", ACCURACY)]:
        points = get(server, "/data/plugin/scalars/scalars", run=run, tag=tag)
        assert [(step, value) for _wall_time, step, value in points] == expected


def test_server_draws_the_graph(server):
    text = eventually(lambda: get(server, "/data/plugin/graphs/graph", run="train",
                                  conceptual="false"))
    assert 'name: "Sequential/0(Linear)/Linear"' in text
    assert 'op: "ReLU"' in text and 'input: "Sequential/0(Linear)/Linear"' in text
