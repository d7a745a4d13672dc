"""Fixtures for the data tests: an isolated search path, tiny MNIST-shaped files, an HTTP server.

Every test here runs with ``$HOME``, ``$TINYGRAD_EDU_DATA`` and the system data directory
pointed at empty temporary directories, and with the download mirrors pointed at a closed
local port, so no test can read a real cache or reach the network by accident.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinygrad_edu.data import datasets
from tinygrad_edu.data.datasets import DATASETS, DatasetSpec, FileSpec
from tinygrad_edu.data.idx import write_idx

CLOSED_PORT_URL = "http://127.0.0.1:9/"  # the discard port: nothing listens, refused at once
REPO = Path(__file__).resolve().parents[2]
MNIST_10K = REPO.parent / "shared" / "data" / "mnist-10k"


@pytest.fixture(autouse=True)
def isolated_search_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    home, system = tmp_path / "home", tmp_path / "system"
    home.mkdir()
    system.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv(datasets.ENV_VAR, raising=False)
    monkeypatch.setattr(datasets, "SYSTEM_DATA_DIR", system)
    for key, spec in list(DATASETS.items()):
        monkeypatch.setitem(DATASETS, key, dataclasses.replace(spec, mirrors=(CLOSED_PORT_URL,)))
    return {"home": home, "system": system, "cache": home / ".cache" / "tinygrad_edu"}


def tiny_arrays(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    return images, labels


FILENAMES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


def write_tiny_set(directory: Path, n_train: int = 12, n_test: int = 7, seed: int = 0) -> dict:
    """Write the four official-name files of a tiny MNIST-shaped set; return its arrays."""
    directory.mkdir(parents=True, exist_ok=True)
    train = tiny_arrays(n_train, seed)
    test = tiny_arrays(n_test, seed + 1000)
    arrays = {
        "train_images": train[0],
        "train_labels": train[1],
        "test_images": test[0],
        "test_labels": test[1],
    }
    for key, array in arrays.items():
        write_idx(directory / FILENAMES[key], array)
    return arrays


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def sha256_payload(path: Path) -> str:
    return hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest()


def trust_files(
    directory: Path, name: str = "mnist", by: str = "sha256", mirrors: tuple[str, ...] = ()
) -> DatasetSpec:
    """Make the files in ``directory`` the 'official' ones of ``name`` (by md5 or sha256)."""
    spec = DATASETS[name]
    fields: dict[str, Any] = {}
    for key, filename in FILENAMES.items():
        path = directory / filename
        fields[key] = FileSpec(
            filename,
            md5(path) if by in ("md5", "both") else None,
            sha256_payload(path) if by in ("sha256", "both") else None,
        )
    new = dataclasses.replace(spec, mirrors=mirrors or spec.mirrors, **fields)
    DATASETS[name] = new  # the autouse fixture's monkeypatch.setitem restores the original
    return new


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves files; paths under /503/ answer 503, under /slow-close/ promise more than sent."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path.startswith("/503/"):
            self.send_error(503, "Service Unavailable")
            return
        if self.path.startswith("/short/"):
            body = b"\x1f\x8b" + b"\x00" * 10
            self.send_response(200)
            self.send_header("Content-Length", str(len(body) + 1000))
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """A local HTTP server on 127.0.0.1 serving ``tmp_path / 'www'``; yields url(subdir)."""
    root = tmp_path / "www"
    root.mkdir()

    def handler(*args: object, **kwargs: object) -> _Handler:
        return _Handler(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        yield lambda sub: f"http://127.0.0.1:{port}/{sub.strip('/')}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
