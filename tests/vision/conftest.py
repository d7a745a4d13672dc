"""Shared set-up of the vision tests: torchvision's recorded outputs, the inputs in each form,
and an isolated dataset search path (no real cache, system directory or network)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinygrad_edu import Tensor
from tinygrad_edu.data import datasets as data_datasets
from tinygrad_edu.data.datasets import DATASETS

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
MNIST_10K = REPO.parent / "shared" / "data" / "mnist-10k"
FASHION_SYSTEM = Path("/usr/share/datasets/fashion-mnist")
CLOSED_PORT_URL = "http://127.0.0.1:9/"  # nothing listens: a download is refused at once


class Recorded:
    """torchvision's outputs (``torchvision.npz``) and facts (``torchvision.json``)."""

    def __init__(self) -> None:
        with np.load(FIXTURES / "torchvision.npz") as npz:
            self.arrays = {key: npz[key] for key in npz.files}
        self.facts: dict[str, Any] = json.loads((FIXTURES / "torchvision.json").read_text())

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[key]

    def mode(self, key: str) -> str | None:
        return self.facts["modes"].get(key)


_RECORDED: Recorded | None = None


@pytest.fixture(scope="session")
def recorded() -> Recorded:
    global _RECORDED
    if _RECORDED is None:
        _RECORDED = Recorded()
    return _RECORDED


def as_form(image: np.ndarray, form: str) -> Any:
    """An input (H, W) / (H, W, C) uint8 in one of the forms of ``cases.GEOMETRY_INPUTS``
    (plus 'array': the NumPy image itself)."""
    if form == "pil":
        from PIL import Image

        return Image.fromarray(image)
    if form == "array":
        return image.copy()
    chw = image[None] if image.ndim == 2 else image.transpose(2, 0, 1)
    chw = np.ascontiguousarray(chw)
    return Tensor(chw) if form == "tensor_u8" else Tensor(chw.astype(np.float32) / np.float32(255))


def as_array(result: Any) -> np.ndarray:
    """A result as torchvision's fixture stores it: PIL -> np.asarray, Tensor -> its array."""
    if isinstance(result, Tensor):
        return result.numpy()
    return np.asarray(result)


@pytest.fixture
def isolated_search_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """HOME, $TINYGRAD_EDU_DATA and the system data directory pointed at empty directories,
    download mirrors at a closed port: only what a test puts there can be found."""
    home, system = tmp_path / "home", tmp_path / "system"
    home.mkdir()
    system.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv(data_datasets.ENV_VAR, str(tmp_path / "env-nowhere"))
    monkeypatch.setattr(data_datasets, "SYSTEM_DATA_DIR", system)
    for key, spec in list(DATASETS.items()):
        monkeypatch.setitem(DATASETS, key, dataclasses.replace(spec, mirrors=(CLOSED_PORT_URL,)))
    return {"home": home, "system": system, "env": tmp_path / "env-nowhere"}


@pytest.fixture
def without_pillow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``from PIL import Image`` fail, as on a machine without Pillow."""
    import sys

    for name in [n for n in sys.modules if n == "PIL" or n.startswith("PIL.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "PIL", None)
