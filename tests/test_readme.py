"""The README must stay true: its example runs as written and prints what it claims, it is the
same code as examples/quickstart.py, and its test command is the one CI runs."""

import contextlib
import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _training_loop_block() -> str:
    section = README.split("## A training loop", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_example_runs_and_prints_what_it_claims():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_training_loop_block(), "README.md", "exec"), {})
    printed = out.getvalue().strip()
    claimed = re.search(r"It prints `([^`]*)`", README).group(1)
    assert printed == claimed


def test_readme_example_is_examples_quickstart():
    script = (ROOT / "examples" / "quickstart.py").read_text()
    assert _training_loop_block().strip() in script


def test_readme_test_command_is_the_ci_command():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert len(first_block) == 2
    test_command = first_block[1].strip()
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci
    setup = first_block[0]
    assert "pip install torch==2.13.0" in setup and "pip install torch==2.13.0" in ci
