"""The PyTorch beginner tutorial (tutorial.py) prints the same with only its imports changed.

Reference output: every cell as run under PyTorch + torchvision, recorded in
torch_outputs.json by record.py (CI's PyTorch has no torchvision). Here:

- the tutorial runs with its imports swapped to tinygrad_edu, every cell compared with the
  recording (``exact`` cells: the same text; ``approx`` cells: the same words, numbers within
  the cell's tolerance; see cells.py);
- if PyTorch is installed, the cells that need no torchvision run live under it and are
  compared with the same recording (the recording is current and the cells are deterministic
  across PyTorch versions);
- the harness itself: the import swap, the comparison rules, the recording's freshness.

Each run is a subprocess (a clean interpreter), both sharing one torchvision-layout data root.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .cells import (
    HERE,
    TUTORIAL,
    Cell,
    compare,
    data_available,
    normalize,
    parse_cells,
    prepare_data_root,
    swap_imports,
    tutorial_sha256,
)

RECORDING: dict[str, Any] = json.loads((HERE / "torch_outputs.json").read_text())
RECORDED = {c["index"]: c for c in RECORDING["cells"]}
CELLS = parse_cells(TUTORIAL.read_text())
HAS_TORCH = importlib.util.find_spec("torch") is not None


def _cell_id(cell: Cell) -> str:
    return f"{cell.index:02d}-" + "-".join(cell.title.lower().split()[:4]).strip(",:")


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    missing = data_available()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the tutorial's data files are missing: {missing}")
        pytest.skip(f"the tutorial's data files are not on this machine: {missing}")
    return prepare_data_root(tmp_path_factory.mktemp("tutorial_data"))


def _run(tmp: Path, data: Path, *flags: str) -> dict[int, dict[str, Any]]:
    out = tmp / "run.json"
    command = [sys.executable, str(HERE / "cells.py"), "--out", str(out), "--data", str(data)]
    command += ["--workdir", str(tmp / "work"), *flags]
    env = {k: v for k, v in os.environ.items() if k != "TUTORIAL_SEED"}
    done = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"the runner itself failed:\n{done.stderr[-3000:]}"
    return {c["index"]: c for c in json.loads(out.read_text())["cells"]}


@pytest.fixture(scope="module")
def swapped_run(data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[int, Any]:
    return _run(tmp_path_factory.mktemp("tutorial_swapped"), data_root, "--swap")


@pytest.fixture(scope="module")
def torch_run(data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[int, Any]:
    if not HAS_TORCH:
        pytest.skip("PyTorch is not installed")
    return _run(tmp_path_factory.mktemp("tutorial_torch"), data_root, "--skip-vision")


def _check(cell: Cell, run: dict[int, dict[str, Any]], who: str) -> None:
    got, want = run[cell.index], RECORDED[cell.index]
    if got["error"]:
        pytest.fail(
            f"{who}: cell {cell.index} ({cell.title}, tutorial.py line {cell.line}) raised:\n"
            f"  {got['error']}\nprinted before that:\n{got['stdout']}"
        )
    problem = compare(cell, want["stdout"], got["stdout"])
    assert problem is None, (
        f"{who}: cell {cell.index} ({cell.title}, tutorial.py line {cell.line}), "
        f"{cell.kind}: {problem}"
    )


# --------------------------------------------------------------------------- the two runs


@pytest.mark.parametrize("cell", CELLS, ids=_cell_id)
def test_cell_with_imports_swapped(cell: Cell, swapped_run: dict[int, Any]) -> None:
    _check(cell, swapped_run, "tinygrad_edu")


@pytest.mark.parametrize("cell", [c for c in CELLS if not c.vision], ids=_cell_id)
def test_cell_under_pytorch(cell: Cell, torch_run: dict[int, Any]) -> None:
    _check(cell, torch_run, "PyTorch (live)")


# --------------------------------------------------------------------------- the harness


def test_the_recording_is_of_this_tutorial() -> None:
    meta = RECORDING["meta"]
    assert meta["tutorial_sha256"] == tutorial_sha256(), (
        "tutorial.py changed since torch_outputs.json was recorded: re-run "
        "`python tests/tutorial/record.py` with a Python that has torch and torchvision"
    )
    assert not meta["swapped"] and not meta["skip_vision"]
    assert {"torch", "torchvision"} <= set(meta["versions"])
    assert sorted(RECORDED) == [c.index for c in CELLS]
    assert all(c["error"] is None for c in RECORDING["cells"])
    assert [RECORDED[c.index]["title"] for c in CELLS] == [c.title for c in CELLS]


def test_the_tutorial_covers_its_topics() -> None:
    text = TUTORIAL.read_text()
    for needle in (
        "torch.accelerator.current_accelerator().type",
        "torch.device(",
        ".to(device)",
        "num_workers=2",
        "random_split(",
        "generator=torch.Generator().manual_seed(",
        "sampler=sampler",
        "datasets.MNIST(",
        "datasets.FashionMNIST(",
        "download=True",
        "download=False",
        "transforms.Compose(",
        "transforms.Normalize(",
        "model.eval()",
        "with torch.no_grad():",
        "torch.save(cnn.state_dict(), path)",
        "torch.load(path, weights_only=True)",
        "lr_scheduler.StepLR(",
        "save_image(",
        "make_grid(",
        'f"{loss:.3f}"',
        "x.dtype == torch.float32",
        ".long()",
    ):
        assert needle in text, needle
    kinds = {c.kind for c in CELLS}
    assert kinds == {"exact", "approx"}
    assert any(c.vision for c in CELLS) and any(not c.vision for c in CELLS)


SWAPS = [
    ("import torch", "import tinygrad_edu as torch"),
    ("import torch.nn as nn", "import tinygrad_edu.nn as nn"),
    ("import torch.nn.functional as F", "import tinygrad_edu.nn.functional as F"),
    ("import torch.utils.data", "import tinygrad_edu.utils.data, tinygrad_edu as torch"),
    ("import torchvision", "import tinygrad_edu.vision as torchvision"),
    ("import numpy as np, torch", "import numpy as np, tinygrad_edu as torch"),
    ("from torch import nn, optim", "from tinygrad_edu import nn, optim"),
    ("from torch.nn import functional as F", "from tinygrad_edu.nn import functional as F"),
    (
        "from torchvision import datasets, transforms",
        "from tinygrad_edu.vision import datasets, transforms",
    ),
    (
        "from torchvision.utils import save_image",
        "from tinygrad_edu.vision.utils import save_image",
    ),
    (
        "from torch.optim.lr_scheduler import StepLR",
        "from tinygrad_edu.optim.lr_scheduler import StepLR",
    ),
    ("from torch.utils.data import (", "from tinygrad_edu.utils.data import ("),
    ("    import torch  # why", "    import tinygrad_edu as torch  # why"),
    ("import torchaudio", "import torchaudio"),
    ("import numpy as np", "import numpy as np"),
    ("x = torch.zeros(3)  # import torch", "x = torch.zeros(3)  # import torch"),
    ('print("from torch import nn")', 'print("from torch import nn")'),
]


@pytest.mark.parametrize(("line", "swapped"), SWAPS)
def test_swap_imports_changes_import_lines_only(line: str, swapped: str) -> None:
    assert swap_imports(line + "\n") == swapped + "\n"


def test_swapped_imports_bind_the_same_names() -> None:
    namespace: dict[str, Any] = {}
    exec(
        swap_imports("import torch.utils.data\nfrom torch import nn\nx = torch.zeros(2)\n"),
        namespace,
    )
    import tinygrad_edu

    assert namespace["torch"] is tinygrad_edu and namespace["nn"] is tinygrad_edu.nn
    assert namespace["x"].shape == (2,)


def _cell(kind: str, atol: float = 0.0, rtol: float = 0.0) -> Cell:
    return Cell(0, "t", kind, False, atol, rtol, 1, "")


def test_compare_exact_cells_need_the_same_text() -> None:
    assert compare(_cell("exact"), "a 1.0\n", "a 1.0\n") is None
    assert "line 2" in (compare(_cell("exact"), "a\nb\n", "a\nc\n") or "")
    assert compare(_cell("exact"), "a\n", "a\nextra\n") is not None


def test_compare_approx_cells_allow_numbers_within_tolerance() -> None:
    cell = _cell("approx", atol=0.1)
    assert (
        compare(cell, "Accuracy: 0.80, above 0.7: True\n", "Accuracy: 0.89, above 0.7: True\n")
        is None
    )
    assert "not within" in (compare(cell, "acc 0.80\n", "acc 0.95\n") or "")
    assert "words" in (compare(cell, "above: True\n", "above: False\n") or "")
    assert "lines" in (compare(cell, "a 1\n", "a 1\nb 2\n") or "")
    assert compare(_cell("approx", rtol=0.5), "loss 10\n", "loss 14\n") is None


def test_normalize_makes_shape_and_dtype_spellings_neutral() -> None:
    assert normalize("torch.Size([2, 3]) torch.Size([4]) torch.Size([])") == "(2, 3) (4,) ()"
    assert normalize("torch.float32 tinygrad_edu.int64 dtype=torch.uint8") == (
        "float32 int64 dtype=uint8"
    )
    assert normalize("torch.float32x torch.zeros(2)") == "torch.float32x torch.zeros(2)"
    assert normalize("torch.return_types.topk(") == normalize("tinygrad_edu.return_types.topk(")


def test_cell_marks_are_checked() -> None:
    with pytest.raises(ValueError, match="exact or approx"):
        parse_cells("# %% [vision] t\nx = 1\n")
    with pytest.raises(ValueError, match="unknown cell mark"):
        parse_cells("# %% [exact fast] t\nx = 1\n")
    with pytest.raises(ValueError, match="no tolerance"):
        parse_cells("# %% [exact atol=1] t\nx = 1\n")
    (cell,) = parse_cells('"""doc"""\n\n# %% [approx atol=0.5, vision] Title here\nx = 1\n')
    assert (cell.kind, cell.vision, cell.atol, cell.title, cell.line) == (
        "approx",
        True,
        0.5,
        "Title here",
        3,
    )
