"""Accuracy table: every example's full run, our figures beside the documents' and the targets.

Runs each ``examples/seed*.py`` (full mode, one after the other so their run times are not
skewed by each other), collects the rows of the ``results.md`` each writes, and prints one
Markdown table -- experiment, the document's figure, the target, ours, run time, target met --
which is also written to ``<out>/accuracy.md`` (the table the README quotes).

    python benchmarks/bench_accuracy.py                    # all examples, a few minutes each
    python benchmarks/bench_accuracy.py --only seed002     # examples whose name contains it
    python benchmarks/bench_accuracy.py --quick            # every example's --quick (smoke)
    python benchmarks/bench_accuracy.py --collect-only     # rebuild the table from <out>

Exit status 1 if an example fails or a target is missed, so CI can run it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(EXAMPLES))

from _common import format_seconds, read_results  # noqa: E402

COLUMNS = ("experiment", "document's figure", "target", "ours", "run time", "met")
# Header names an example's results.md may use for each column (first match wins).
ALIASES = {
    "experiment": ("experiment",),
    "document's figure": ("document", "document's figure", "document figure", "seed"),
    "target": ("target",),
    "ours": ("ours", "our figure", "result"),
    "run time": ("run time", "time", "seconds"),
    "met": ("met", "target met", "ok"),
}


def example_scripts(only: str | None) -> list[Path]:
    scripts = sorted(EXAMPLES.glob("seed*.py"))
    return [s for s in scripts if only is None or only in s.stem]


def run_example(script: Path, out: Path, quick: bool) -> tuple[int, float, str]:
    """Run one example into ``out``; return (exit code, wall seconds, stderr tail)."""
    env = {**os.environ, "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, str(script), "--out", str(out)] + (["--quick"] if quick else [])
    print(f"$ {' '.join(cmd[1:])}", flush=True)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    (out / "stdout.txt").parent.mkdir(parents=True, exist_ok=True)
    (out / "stdout.txt").write_text(done.stdout + done.stderr, encoding="utf-8")
    print(f"  exit {done.returncode} after {format_seconds(seconds)}", flush=True)
    return done.returncode, seconds, "\n".join(done.stderr.strip().splitlines()[-5:])


def normalise(row: dict[str, str]) -> dict[str, str]:
    """A results.md row mapped onto COLUMNS (missing cells become "-")."""
    return {col: next((row[a] for a in ALIASES[col] if a in row), "-") for col in COLUMNS}


def markdown(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [list(COLUMNS), *rows]) for i in range(len(COLUMNS))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
             for r in [list(COLUMNS), *rows]]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench_accuracy",
                        help="each example writes into <out>/<example> (default: %(default)s)")
    parser.add_argument("--only", help="run only examples whose name contains this")
    parser.add_argument("--quick", action="store_true", help="pass --quick to every example")
    parser.add_argument("--collect-only", action="store_true",
                        help="do not run anything; tabulate the results.md already in <out>")
    args = parser.parse_args()

    table: list[list[str]] = []
    totals: list[str] = []
    ok = True
    for script in example_scripts(args.only):
        out = args.out / script.stem
        if not args.collect_only:
            code, seconds, err = run_example(script, out, args.quick)
            totals.append(f"{script.stem}: {format_seconds(seconds)} in total")
            if code != 0:
                ok = False
                table.append([f"{script.stem}: FAILED (exit {code})", "-", "-", err[-60:], "-",
                              "NO"])
                continue
        results = out / "results.md"
        if not results.is_file():
            ok = False
            table.append([f"{script.stem}: no results.md", "-", "-", "-", "-", "NO"])
            continue
        prefix = script.stem.split("_", 1)[0]  # "seed000"
        for row in read_results(results):
            cells = normalise(row)
            cells["experiment"] = f"{prefix}: {cells['experiment']}"
            ok &= cells["met"].strip().lower() not in ("no", "false", "✗")
            table.append([cells[c] for c in COLUMNS])

    text = markdown(table)
    if args.quick:
        text = "*Quick runs: the targets are for the full runs.*\n\n" + text
    print("\n" + text)
    if totals:
        print("\n" + "\n".join(totals))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "accuracy.md").write_text(text + "\n", encoding="utf-8")
    return 0 if ok or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
