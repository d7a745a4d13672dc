"""The tinygrad-edu command, run as a user would: a subprocess, its output and exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, env: dict | None = None, cwd: Path | None = None):
    return subprocess.run([sys.executable, "-m", "tinygrad_edu", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, cwd=cwd, timeout=300)


def test_train_on_spiral_writes_metrics_checkpoint_and_reports_accuracy(tmp_path):
    out = tmp_path / "run"
    result = run("train", "--model", "mlp", "--hidden", "32", "--dataset", "spiral",
                 "--epochs", "40", "--lr", "0.02", "--batch-size", "50", "--out", str(out))
    assert result.returncode == 0, result.stderr
    accuracy = float(result.stdout.split("test accuracy: ")[1].split("%")[0])
    assert accuracy > 80
    lines = (out / "metrics.csv").read_text().splitlines()
    assert lines[0].startswith("epoch,loss,accuracy,val_loss,val_accuracy") and len(lines) == 41
    assert (out / "checkpoint.npz").stat().st_size > 0


def test_logistic_and_autoencoder_presets_run(tmp_path):
    logistic = run("train", "--model", "logistic", "--dataset", "spiral", "--epochs", "2",
                   "--out", str(tmp_path / "a"))
    assert logistic.returncode == 0, logistic.stderr
    assert "test accuracy:" in logistic.stdout
    auto = run("train", "--model", "autoencoder", "--hidden", "2", "--dataset", "xor",
               "--epochs", "2", "--out", str(tmp_path / "b"))
    assert auto.returncode == 0, auto.stderr
    assert "test loss:" in auto.stdout


@pytest.mark.parametrize("args, message", [
    (["train", "--model", "cnn"], "invalid choice: 'cnn'"),
    (["train", "--lr", "-1"], "must be > 0"),
    (["train", "--hidden", "a,b"], "comma-separated integers"),
    (["train", "--dropout", "1.5"], "--dropout must be in [0, 1)"),
    (["data", "download"], "needs a dataset name"),
    ([], "required"),
])
def test_bad_arguments_give_one_clear_line_and_exit_2(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_data_is_one_line_naming_the_places_searched(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("train", "--dataset", "mnist", "--data-dir", str(empty), "--epochs", "1",
                 env={"HOME": str(tmp_path), "TINYGRAD_EDU_DATA": str(empty)})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1 and "not found" in error_lines[0]
    assert str(empty) in error_lines[0]


def test_help_everywhere():
    for args in ([], ["train"], ["data"]):
        result = run(*args, "--help")
        assert result.returncode == 0 and "usage: tinygrad-edu" in result.stdout


def test_data_command_lists_both_datasets():
    result = run("data")
    assert result.returncode == 0
    assert "mnist:" in result.stdout and "fashion-mnist:" in result.stdout


def test_graph_command_writes_an_svg_that_parses(tmp_path):
    import xml.etree.ElementTree as ET

    out = tmp_path / "mlp.svg"
    result = run("graph", "--model", "mlp", "--hidden", "16", "--out", str(out))
    assert result.returncode == 0, result.stderr
    svg = ET.parse(out).getroot()
    texts = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    assert {"Linear", "ReLU", "CrossEntropy", "0.weight", "loss"} <= texts


def test_graph_without_dot_program_writes_dot_and_names_the_package(tmp_path):
    out = tmp_path / "g.png"
    result = run("graph", "--model", "softmax", "--out", str(out), env={"PATH": str(tmp_path)})
    assert result.returncode == 2
    assert "apt-get install graphviz" in result.stderr and "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
