"""A rendered graph leaves only the picture: no stray .dot beside it (graphviz's render keeps
its source unless cleanup=True; ours cleans up by default and keeps the DOT text only when the
picture cannot be made, or when asked)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tinygrad_edu.viz.graph import GraphvizNotFoundError, render

DOT = "digraph g { a -> b }"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")


@needs_dot
@pytest.mark.parametrize("name, magic", [("g.png", b"\x89PNG"), ("g.svg", b"<?xml"),
                                         ("g.pdf", b"%PDF")])
def test_render_leaves_only_the_picture(tmp_path, name, magic):
    out = render(DOT, tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    assert out.read_bytes().startswith(magic)


@needs_dot
def test_cleanup_false_keeps_the_dot_text_as_graphviz_does(tmp_path):
    render(DOT, tmp_path / "g.svg", cleanup=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot", "g.svg"]
    assert (tmp_path / "g.dot").read_text() == DOT


@needs_dot
def test_a_failing_dot_keeps_the_text_to_look_at(tmp_path):
    with pytest.raises(RuntimeError, match="dot failed"):
        render("digraph { a -> }", tmp_path / "bad.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.dot"]


def test_without_dot_the_text_is_kept_and_no_picture(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    with pytest.raises(GraphvizNotFoundError):
        render(DOT, tmp_path / "g.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot"]


@needs_dot
def test_the_graph_command_leaves_only_the_picture(tmp_path):
    done = subprocess.run([sys.executable, "-m", "tinygrad_edu", "graph", "--model", "softmax",
                           "--batch-size", "4", "--out", str(tmp_path / "step.png")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step.png"]
