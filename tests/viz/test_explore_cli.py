"""``tinygrad-edu explore``: one self-contained page per preset model; bad --out is one line."""

from __future__ import annotations

import re

import pytest

from tinygrad_edu.cli import main


@pytest.mark.parametrize("model", ["softmax", "logistic", "cnn"])
def test_explore_writes_one_offline_page(tmp_path, capsys, model):
    out = tmp_path / "pages" / f"{model}.html"
    assert main(["explore", "--model", model, "--batch-size", "2", "--out", str(out)]) == 0
    page = out.read_text()
    assert page.lstrip().lower().startswith("<!doctype html>")
    # nothing fetched: no src/href/url() to the network (the SVG namespace is only a name)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)|url\(\s*["']?https?:|@import""",
                         page)
    assert "<script src" not in page
    assert f"explorer: {out}" in capsys.readouterr().out


def test_explore_refuses_a_directory_as_out(tmp_path, capsys):
    assert main(["explore", "--out", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
