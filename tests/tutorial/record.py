"""Record the tutorial's cell outputs under real PyTorch + torchvision (torch_outputs.json).

CI's PyTorch has no torchvision, so the vision cells' reference output is recorded once, here,
with a Python that has both (``/tmp/tvenv/bin/python tests/tutorial/record.py``). Re-record
after any edit of tutorial.py: the test refuses a recording of another version of the file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECORDING = HERE / "torch_outputs.json"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run.json"
        command = [sys.executable, str(HERE / "cells.py"), "--out", str(out)]
        command += ["--data", str(Path(tmp) / "data"), "--workdir", str(Path(tmp) / "work")]
        subprocess.run(command, check=True, cwd=tmp)
        run = json.loads(out.read_text())
    failed = [f"cell {c['index']} ({c['title']}): {c['error']}" for c in run["cells"] if c["error"]]
    if failed:
        print("not recorded, PyTorch itself failed:\n" + "\n".join(failed), file=sys.stderr)
        return 1
    run["meta"]["how"] = "tests/tutorial/record.py: cells.py under PyTorch, TUTORIAL_SEED unset (0)"
    RECORDING.write_text(json.dumps(run, indent=1) + "\n")
    print(f"{RECORDING}: {len(run['cells'])} cells, {run['meta']['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
