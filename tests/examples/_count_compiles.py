"""Run an example script as ``python script.py ...`` would, counting its ``tg.compile`` calls.

    python _count_compiles.py REPORT.json examples/seed002_xor_adam.py --quick --compile

Every ``CompiledFunction`` the script makes is remembered; at exit, REPORT.json lists each
one's function name, traced calls and replayed calls. test_examples_compiled.py uses it to
check that ``--compile`` really replays (a step that fell back to eager replays nothing), which
the scripts' own output files do not show.
"""

from __future__ import annotations

import atexit
import json
import runpy
import sys
from pathlib import Path
from typing import Any

import tinygrad_edu  # noqa: F401  (loads tinygrad_edu.compile, shadowed by tg.compile the function)

compile_module = sys.modules["tinygrad_edu.compile"]
made: list[Any] = []
_original_init = compile_module.CompiledFunction.__init__


def _remembering_init(self: Any, fn: Any) -> None:
    _original_init(self, fn)
    made.append(self)


compile_module.CompiledFunction.__init__ = _remembering_init


def main() -> None:
    report, script, *argv = sys.argv[1:]

    @atexit.register
    def write_report() -> None:
        Path(report).write_text(json.dumps([
            {"fn": getattr(f.fn, "__qualname__", repr(f.fn)), "traced": f.trace_count,
             "replayed": f.replay_count} for f in made]))

    sys.argv = [script, *argv]
    sys.path.insert(0, str(Path(script).resolve().parent))  # the scripts import _common
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
