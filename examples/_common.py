"""Plumbing shared by the example scripts: command line, data paths, timing and ``results.md``.

Every example reproduces one source document and ends with a small results table: our figure
beside the document's figure and the target we hold ourselves to. This module keeps that
table in one format for every example::

    from _common import Row, Timer, make_parser, write_results

    parser = make_parser("seed004_logistic_one_vs_rest", __doc__)
    args = parser.parse_args()       # args.out, args.quick, args.seed, args.data_dir, args.download
    x, y = open_dataset(MNIST, args, train=True).arrays()   # not found: where it looked, exit 2
    with Timer() as t:
        acc = train(...)
    draw(plot_history, history, args.out / "curves.png")  # no matplotlib: skipped, and said so
    write_results(args.out, "Seed 004: ...", [
        Row("1 vs rest, test accuracy", "99.3 %", ">= 99.2 %", f"{acc:.2%}", t.seconds,
            met=acc >= 0.992),
    ])

Scripts import it as ``_common`` (Python puts the script's own folder on ``sys.path``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinygrad_edu.data import DatasetNotFoundError, search_dirs, where

# Examples draw on matplotlib's Agg canvas: no window, works on a machine without a display.
os.environ.setdefault("MPLBACKEND", "Agg")

__all__ = [
    "DEFAULT_MNIST_DIR",
    "REPO_ROOT",
    "RESULTS_COLUMNS",
    "Row",
    "SKIPPED_PICTURES",
    "Timer",
    "draw",
    "format_seconds",
    "make_parser",
    "n_epochs",
    "open_dataset",
    "plural",
    "write_results",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The MNIST subset of this machine (first 10k training images + the official test set).
DEFAULT_MNIST_DIR = REPO_ROOT.parent / "shared" / "data" / "mnist-10k"
#: The columns of every results.md table, in order.
RESULTS_COLUMNS = ("experiment", "document", "target", "ours", "run time", "met")
PLOT_HINT = "pip install tinygrad_edu[plot]"
#: One line per picture ``draw`` could not make; ``write_results`` adds them as notes.
SKIPPED_PICTURES: list[str] = []


def make_parser(name: str, description: str | None,
                data_dir: Path | None = DEFAULT_MNIST_DIR,
                download: bool = True) -> argparse.ArgumentParser:
    """The options every example takes: ``--data-dir``, ``--out``, ``--quick``, ``--seed``,
    and ``--download`` (unless ``download=False``: an example that reads no dataset).

    ``name`` is the example's name (the default output folder is ``runs/<name>``, relative to
    the current directory). ``data_dir=None`` means the dataset is found by the library's own
    search path (Fashion-MNIST in ``/usr/share/datasets``), so ``--data-dir`` defaults to None.
    Add the example's own options to the returned parser before ``parse_args()``.
    """
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=data_dir,
                        help=f"folder holding the IDX files (default: {data_dir or 'search'})")
    parser.add_argument("--out", type=Path, default=Path("runs") / name,
                        help="folder for the PNGs, metrics and results.md (default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="a few seconds on tiny subsets (smoke test); targets not expected")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    if download:
        parser.add_argument("--download", action="store_true",
                            help="download the dataset (verified) if it is not found")
    return parser


def open_dataset(cls: Any, args: argparse.Namespace, train: bool) -> Any:
    """``cls(root=args.data_dir, train=train, download=args.download)`` (MNIST or
    FashionMNIST); when the files are not found, say where they were looked for and how to get
    them, and exit with code 2 (no traceback)."""
    download = getattr(args, "download", False)
    try:
        return cls(root=args.data_dir, train=train, download=download)
    except DatasetNotFoundError as e:
        files = where(cls.name, root=args.data_dir, verify=False)[0].files
        lines = [f"{cls.name} was not found. Looked in, in order, for {', '.join(files)}:"]
        for label, directory in search_dirs(cls.name, args.data_dir):
            lines.append(f"  {label:>6}: {directory or '$TINYGRAD_EDU_DATA (not set)'}")
        if download:
            lines.append(f"--download failed too: {e}")
        else:
            lines.append(f"Run again with --download, or pass --data-dir DIR (or: tinygrad-edu "
                         f"data download {cls.name}).")
        print("\n".join(lines), file=sys.stderr)
        raise SystemExit(2) from None


def _matplotlib_missing(error: ImportError) -> bool:
    seen: BaseException | None = error
    while seen is not None:  # tinygrad_edu.viz raises its own ImportError from the real one
        if isinstance(seen, ImportError) and (seen.name or "").split(".")[0] == "matplotlib":
            return True
        seen = seen.__cause__
    return False


def draw(plot: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``plot(*args, **kwargs)`` -- a ``tinygrad_edu.viz`` function; without matplotlib, print
    which picture is skipped and why (``write_results`` repeats it in results.md) and go on:
    the training and the results table do not need the pictures."""
    try:
        return plot(*args, **kwargs)
    except ImportError as e:
        if not _matplotlib_missing(e):
            raise
    paths = [a for a in (*args, kwargs.get("path")) if isinstance(a, str | os.PathLike)]
    name = Path(paths[-1]).name if paths else plot.__name__
    line = f"skipped {name}: matplotlib is not installed ({PLOT_HINT})"
    print(line, flush=True)
    SKIPPED_PICTURES.append(line)
    return None


def plural(count: int, word: str) -> str:
    """``1 epoch``, ``2 epochs``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def n_epochs(count: int) -> str:
    """``1 epoch``, ``2 epochs``."""
    return plural(count, "epoch")


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds`` (wall clock, ``time.perf_counter``)."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def format_seconds(seconds: float) -> str:
    """``0.42 s``, ``12.3 s``, ``2 min 05 s``."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


@dataclass
class Row:
    """One line of a results table.

    ``document``: the figure the source document reports ("-" when it reports none);
    ``target``: what we require, e.g. ">= 85.4 %"; ``ours``: our figure as text;
    ``seconds``: the run time of what produced it; ``met``: whether the target is reached
    (None when the row has no target).
    """

    experiment: str
    document: str
    target: str
    ours: str
    seconds: float
    met: bool | None = None

    def cells(self) -> list[str]:
        met = "-" if self.met is None else ("yes" if self.met else "NO")
        return [self.experiment, self.document, self.target, self.ours,
                format_seconds(self.seconds), met]


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    cells = [[c.replace("|", "\\|") for c in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
             for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def write_results(out: Path, title: str, rows: list[Row], notes: list[str] | tuple = (),
                  quick: bool = False) -> Path:
    """Write ``out/results.md`` (a title, the table, then notes as bullets), print it, return
    its path. ``quick`` adds a line saying the figures come from a smoke-test run."""
    out.mkdir(parents=True, exist_ok=True)
    parts = [f"# {title}", ""]
    if quick:
        parts += ["*Quick run (`--quick`): tiny subsets and few steps, for smoke tests only; "
                  "the targets are for the full run.*", ""]
    parts.append(_markdown_table(list(RESULTS_COLUMNS), [r.cells() for r in rows]))
    notes = [*notes, *SKIPPED_PICTURES]
    if notes:
        parts += ["", *(f"- {n}" for n in notes)]
    text = "\n".join(parts) + "\n"
    path = out / "results.md"
    path.write_text(text, encoding="utf-8")
    print("\n" + text)
    return path
