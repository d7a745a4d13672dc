"""Run a ``# %%`` tutorial cell by cell, with PyTorch or with only its imports swapped.

A cell starts at a header line ``# %% [marks] Title``. Marks (space or comma separated):

- ``exact``: the cell's printed output must be identical in both runs (after ``normalize``).
- ``approx``: the cell prints framework-specific randomness (weight init, shuffling); its output
  must have the same words, and each number must agree within ``atol=`` + ``rtol=`` x |number|
  (e.g. ``# %% [approx atol=0.1] Training``).
- ``vision``: the cell needs torchvision (and the MNIST files); CI's torch has no torchvision,
  so its live PyTorch run skips these cells (cells without the mark never depend on them).

``swap_imports`` is the import swap a PyTorch user makes, as a text transform of import lines
only: ``torch`` -> ``tinygrad_edu``, ``torchvision`` -> ``tinygrad_edu.vision`` (a bare
``import torch`` becomes ``import tinygrad_edu as torch``, so ``torch.zeros`` below still
reads the same).

As a script (``record.py`` and the tests run it in a subprocess, so each run starts clean)::

    python tests/tutorial/cells.py --out run.json [--swap] [--skip-vision] [--data DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import io
import json
import math
import os
import re
import shutil
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TUTORIAL = HERE / "tutorial.py"
PROJECT = HERE.parents[1]
SHARED_DATA = PROJECT.parent / "shared" / "data"
MNIST_FILES = SHARED_DATA / "mnist-10k"
FASHION_FILES = Path("/usr/share/datasets/fashion-mnist")
IDX_NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

# --------------------------------------------------------------------------- cells

_HEADER = re.compile(r"^# %% \[(?P<marks>[^\]]*)\]\s*(?P<title>.*)$")


@dataclass(frozen=True)
class Cell:
    index: int
    title: str
    kind: str  # "exact" or "approx"
    vision: bool
    atol: float
    rtol: float
    line: int  # the header's line number in the file (1-based)
    source: str


def _parse_marks(marks: str, line: int) -> tuple[str, bool, float, float]:
    kind, vision, atol, rtol = "", False, 0.0, 0.0
    for mark in marks.replace(",", " ").split():
        if mark in ("exact", "approx"):
            kind = mark
        elif mark == "vision":
            vision = True
        elif mark.startswith("atol="):
            atol = float(mark[5:])
        elif mark.startswith("rtol="):
            rtol = float(mark[5:])
        else:
            raise ValueError(f"line {line}: unknown cell mark {mark!r}")
    if not kind:
        raise ValueError(f"line {line}: a cell must be marked exact or approx: [{marks}]")
    if kind == "exact" and (atol or rtol):
        raise ValueError(f"line {line}: an exact cell takes no tolerance")
    return kind, vision, atol, rtol


def parse_cells(text: str) -> list[Cell]:
    """The cells of a ``# %%`` file; text before the first header must be a docstring only."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, s in enumerate(lines) if s.startswith("# %%")]
    if not starts:
        raise ValueError("no '# %%' cell headers")
    preamble = "".join(lines[: starts[0]]).strip()
    if preamble and not (preamble.startswith('"""') and preamble.endswith('"""')):
        raise ValueError("only a docstring may come before the first cell")
    cells = []
    for n, start in enumerate(starts):
        match = _HEADER.match(lines[start].rstrip("\n"))
        if match is None:
            raise ValueError(f"line {start + 1}: expected '# %% [marks] Title'")
        kind, vision, atol, rtol = _parse_marks(match["marks"], start + 1)
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        # blank lines keep the cell's line numbers equal to the file's in tracebacks
        source = "\n" * start + "".join(lines[start:end])
        cells.append(Cell(n, match["title"], kind, vision, atol, rtol, start + 1, source))
    return cells


# --------------------------------------------------------------------------- the import swap

_RENAMES = (("torchvision", "tinygrad_edu.vision"), ("torch", "tinygrad_edu"))
_IMPORT = re.compile(r"^(?P<indent>\s*)import\s+(?P<names>[^#(]+?)\s*(?P<comment>#.*)?$")
_FROM = re.compile(r"^(?P<indent>\s*)from\s+(?P<module>[\w.]+)(?P<rest>\s+import\b.*)$")


def _rename(module: str) -> str:
    for old, new in _RENAMES:
        if module == old or module.startswith(old + "."):
            return new + module[len(old) :]
    return module


def _swap_import_item(item: str) -> str:
    module, _, alias = (part.strip() for part in item.partition(" as "))
    new = _rename(module)
    if new == module:
        return item.strip()
    if alias:
        return f"{new} as {alias}"
    top = module.split(".")[0]
    if "." not in module:  # import torch -> import tinygrad_edu as torch
        return f"{new} as {top}"
    # import torch.utils.data binds `torch` too: load the submodule, then bind the name
    return f"{new}, {_rename(top)} as {top}"


def swap_imports(source: str) -> str:
    """``source`` with its torch/torchvision import lines pointed at tinygrad_edu."""
    out = []
    for line in source.splitlines(keepends=True):
        body, newline = line.rstrip("\r\n"), line[len(line.rstrip("\r\n")) :]
        if match := _FROM.match(body):
            body = f"{match['indent']}from {_rename(match['module'])}{match['rest']}"
        elif match := _IMPORT.match(body):
            items = ", ".join(_swap_import_item(i) for i in match["names"].split(","))
            comment = f"  {match['comment']}" if match["comment"] else ""
            body = f"{match['indent']}import {items}{comment}"
        out.append(body + newline)
    return "".join(out)


# --------------------------------------------------------------------------- comparing outputs

_DTYPES = (
    "float16 float32 float64 bfloat16 half float double int8 int16 int32 int64 uint8 "
    "short int long bool complex64"
).split()
_DTYPE_NAME = re.compile(r"\b(?:torch|tinygrad_edu)\.(" + "|".join(_DTYPES) + r")\b(?!\()")
_SIZE = re.compile(r"torch\.Size\(\[([^\]]*)\]\)")
_RETURN_TYPES = re.compile(r"\b(?:torch|tinygrad_edu)\.return_types\.")
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?(?:inf|nan)\b")


def _size_as_tuple(match: re.Match[str]) -> str:
    inner = match[1].strip()
    return f"({inner},)" if inner and "," not in inner else f"({inner})"


def normalize(text: str) -> str:
    """Output with the framework's own spellings of shapes, dtypes and return types neutral.

    ``torch.Size([2, 3])`` prints as ``(2, 3)`` (tinygrad_edu's shapes are tuples), a dtype
    prints without its package (``torch.float32`` and ``tinygrad_edu.float32`` as
    ``float32``), as does the package in ``torch.return_types.topk(...)``. Nothing else is
    changed.
    """
    text = _RETURN_TYPES.sub("return_types.", _SIZE.sub(_size_as_tuple, text))
    return _DTYPE_NAME.sub(r"\1", text)


def compare(cell: Cell, expected: str, actual: str) -> str | None:
    """None if ``actual`` matches ``expected`` under the cell's rule, else what differs."""
    expected, actual = normalize(expected), normalize(actual)
    if cell.kind == "exact":
        if expected == actual:
            return None
        return _first_difference(expected.splitlines(), actual.splitlines())
    exp_lines, act_lines = expected.splitlines(), actual.splitlines()
    if len(exp_lines) != len(act_lines):
        return f"{len(act_lines)} lines printed, expected {len(exp_lines)}:\n" + _side_by_side(
            exp_lines, act_lines
        )
    for n, (e, a) in enumerate(zip(exp_lines, act_lines, strict=True), 1):
        if _NUMBER.sub("#", e) != _NUMBER.sub("#", a):
            return f"line {n} differs in words:\n  expected: {e}\n  actual:   {a}"
        for x, y in zip(_NUMBER.findall(e), _NUMBER.findall(a), strict=True):
            want, got = float(x), float(y)
            if math.isnan(want) and math.isnan(got):
                continue
            if not abs(got - want) <= cell.atol + cell.rtol * abs(want):
                return (
                    f"line {n}: {got} is not within atol={cell.atol} rtol={cell.rtol} of "
                    f"{want}:\n  expected: {e}\n  actual:   {a}"
                )
    return None


def _first_difference(exp: list[str], act: list[str]) -> str:
    for n in range(max(len(exp), len(act))):
        e = exp[n] if n < len(exp) else "<no line>"
        a = act[n] if n < len(act) else "<no line>"
        if e != a:
            return f"line {n + 1} differs:\n  expected: {e}\n  actual:   {a}"
    return "outputs differ in line endings"


def _side_by_side(exp: list[str], act: list[str]) -> str:
    return (
        "  expected:\n"
        + "".join(f"    {s}\n" for s in exp)
        + "  actual:\n"
        + "".join(f"    {s}\n" for s in act)
    )


# ------------------------------------------------------------- data in torchvision's layout


def prepare_data_root(root: Path) -> Path:
    """``root/MNIST/raw`` and ``root/FashionMNIST/raw`` with decompressed IDX files.

    That is the layout torchvision's ``datasets.MNIST(root)`` reads (it checks for the
    uncompressed names and never downloads when they are there). MNIST comes from the
    project's 10,000-image subset; Fashion-MNIST from Debian's ``dataset-fashion-mnist``.
    """
    for source, name in ((MNIST_FILES, "MNIST"), (FASHION_FILES, "FashionMNIST")):
        raw = root / name / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        for stem in IDX_NAMES:
            target = raw / stem
            if target.is_file():
                continue
            with gzip.open(source / f"{stem}.gz", "rb") as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    return root


def data_available() -> str | None:
    """None if the files ``prepare_data_root`` needs are on this machine, else which are not."""
    missing = [
        str(d / f"{stem}.gz")
        for d in (MNIST_FILES, FASHION_FILES)
        for stem in IDX_NAMES
        if not (d / f"{stem}.gz").is_file()
    ]
    return ", ".join(missing) or None


# --------------------------------------------------------------------------- running


def tutorial_sha256() -> str:
    return hashlib.sha256(TUTORIAL.read_bytes()).hexdigest()


def _error_line(exc: BaseException, filename: str) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    where = f" (tutorial.py line {frames[-1].lineno}: {frames[-1].line})" if frames else ""
    return "".join(traceback.format_exception_only(type(exc), exc)).strip() + where


def run_cells(cells: list[Cell], swap: bool, skip_vision: bool) -> list[dict[str, Any]]:
    """Execute the cells in order in one namespace; each cell's stdout, error and time."""
    namespace: dict[str, Any] = {"__name__": "tutorial"}
    filename = str(TUTORIAL)
    results = []
    for cell in cells:
        if skip_vision and cell.vision:
            continue
        source = swap_imports(cell.source) if swap else cell.source
        buffer = io.StringIO()
        error = None
        start = time.perf_counter()
        with contextlib.redirect_stdout(buffer):
            try:
                exec(compile(source, filename, "exec"), namespace)
            except Exception as exc:  # noqa: BLE001 (every failure is recorded, the run goes on)
                error = _error_line(exc, filename)
        results.append(
            {
                "index": cell.index,
                "title": cell.title,
                "kind": cell.kind,
                "vision": cell.vision,
                "stdout": buffer.getvalue(),
                "error": error,
                "seconds": round(time.perf_counter() - start, 3),
            }
        )
    return results


def _versions(swap: bool) -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    names = ("tinygrad_edu", "numpy") if swap else ("torch", "torchvision", "numpy")
    for name in names:
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = str(getattr(module, "__version__", "?"))
    return versions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="where to write the JSON")
    parser.add_argument("--swap", action="store_true", help="swap the imports to tinygrad_edu")
    parser.add_argument("--skip-vision", action="store_true", help="skip cells marked vision")
    parser.add_argument("--data", type=Path, help="torchvision-style data root (built if absent)")
    parser.add_argument("--workdir", type=Path, help="where cells write files (default: cwd)")
    args = parser.parse_args(argv)
    if args.data is not None:
        os.environ["TUTORIAL_DATA"] = str(prepare_data_root(args.data))
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        os.environ["TUTORIAL_OUT"] = str(args.workdir)
    if not args.swap:  # one thread: on shared cores more threads only wait for each other
        import torch

        torch.set_num_threads(1)
    start = time.perf_counter()
    results = run_cells(parse_cells(TUTORIAL.read_text()), args.swap, args.skip_vision)
    meta = {
        "swapped": args.swap,
        "skip_vision": args.skip_vision,
        "tutorial_sha256": tutorial_sha256(),
        "versions": _versions(args.swap),
        "seconds": round(time.perf_counter() - start, 2),
    }
    args.out.write_text(json.dumps({"meta": meta, "cells": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
