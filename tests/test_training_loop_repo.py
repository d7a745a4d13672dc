"""The repository's paperwork: a LICENSE that is the license pyproject.toml declares, and a
.gitignore that covers what the README's commands and the examples write."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_license_file_is_the_license_pyproject_declares():
    pyproject = (ROOT / "pyproject.toml").read_text()  # (tomllib is Python 3.11+)
    assert re.search(r'^license = \{ text = "MIT" \}$', pyproject, re.M)
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n\nCopyright (c) 2026 tinygrad_edu developers\n")
    assert "Permission is hereby granted, free of charge" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git checkout")
@pytest.mark.parametrize("path", [
    "runs/softmax-fashion-mnist/checkpoint.npz",   # tinygrad-edu train
    "runs/seed002_xor_adam/results.md",            # examples/*.py
    "bench-results/bench_step.json",               # tinygrad-edu bench
    "mlp.ckpt",                                    # README "Write a model"
    "ae.svg",                                      # README "Command line"
    "step.svg",                                    # README "See the graph"
    ".venv/bin/python", "tinygrad_edu/__pycache__/x.pyc", "tinygrad_edu.egg-info/PKG-INFO",
    ".hypothesis/examples/x", ".pytest_cache/v", ".checkpoint.npz.1-2-ab.tmp",
])
def test_gitignore_covers_what_the_commands_write(path):
    done = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT)
    assert done.returncode == 0, f"{path} is not ignored"


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git checkout")
def test_gitignore_ignores_no_committed_file():
    done = subprocess.run(["git", "ls-files", "--cached", "--ignored", "--exclude-standard"],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout == ""
