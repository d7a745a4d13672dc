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
    (["train", "--model", "transformer"], "invalid choice: 'transformer'"),
    (["train", "--lr", "-1"], "must be > 0"),
    (["train", "--hidden", "a,b"], "comma-separated integers"),
    (["train", "--dropout", "1.5"], "argument --dropout: must be in [0, 1)"),
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


# ------------------------------------------------------------ in-process: every bad option


def call(capsys, *args: str) -> tuple[int, str, str]:
    """``cli.main(args)`` in this process: (exit code, stdout, stderr)."""
    from tinygrad_edu import cli

    try:
        code = cli.main(list(args))
    except SystemExit as e:  # argparse's usage errors
        code = e.code if isinstance(e.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1, f"stderr is not one line: {err!r}"
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"


XOR = ("train", "--dataset", "xor", "--epochs", "1")

BAD_TRAIN = [
    pytest.param(["--seed", "-1"], ["--seed", "must be >= 0", "-1"], id="seed-negative"),
    pytest.param(["--seed", "x"], ["--seed", "expected an integer"], id="seed-text"),
    pytest.param(["--epochs", "0"], ["--epochs", "must be > 0"], id="epochs-zero"),
    pytest.param(["--epochs", "-3"], ["--epochs", "must be > 0"], id="epochs-negative"),
    pytest.param(["--epochs", "1.5"], ["--epochs", "expected an integer"], id="epochs-float"),
    pytest.param(["--batch-size", "0"], ["--batch-size", "must be > 0"], id="batch-zero"),
    pytest.param(["--batch-size", "-5"], ["--batch-size", "must be > 0"], id="batch-negative"),
    pytest.param(["--lr", "0"], ["--lr", "must be > 0"], id="lr-zero"),
    pytest.param(["--lr", "-1"], ["--lr", "must be > 0"], id="lr-negative"),
    pytest.param(["--lr", "inf"], ["--lr", "finite"], id="lr-inf"),
    pytest.param(["--lr", "nan"], ["--lr", "finite"], id="lr-nan"),
    pytest.param(["--lr", "fast"], ["--lr", "expected a number"], id="lr-text"),
    pytest.param(["--momentum", "-0.1"], ["--momentum", "[0, 1)"], id="momentum-negative"),
    pytest.param(["--momentum", "1.5"], ["--momentum", "[0, 1)"], id="momentum-above-1"),
    pytest.param(["--momentum", "nan"], ["--momentum", "finite"], id="momentum-nan"),
    pytest.param(["--weight-decay", "-1"], ["--weight-decay", ">= 0"], id="wd-negative"),
    pytest.param(["--weight-decay", "inf"], ["--weight-decay", "finite"], id="wd-inf"),
    pytest.param(["--betas", "1,0.9"], ["--betas", "[0, 1)"], id="betas-one"),
    pytest.param(["--betas", "0.9"], ["--betas", "two"], id="betas-single"),
    pytest.param(["--betas", "a,b"], ["--betas", "expected a number"], id="betas-text"),
    pytest.param(["--dropout", "1"], ["--dropout", "[0, 1)"], id="dropout-one"),
    pytest.param(["--dropout", "-0.5"], ["--dropout", "[0, 1)"], id="dropout-negative"),
    pytest.param(["--dropout", "nan"], ["--dropout", "finite"], id="dropout-nan"),
    pytest.param(["--hidden", "0"], ["--hidden", "positive integers"], id="hidden-zero"),
    pytest.param(["--hidden", "a,b"], ["--hidden", "comma-separated"], id="hidden-text"),
    pytest.param(["--hidden", ","], ["--hidden", "positive integers"], id="hidden-empty"),
    pytest.param(["--positive", "-1"], ["--positive", ">= 0"], id="positive-negative"),
    pytest.param(["--model", "logistic", "--positive", "42"],
                 ["--positive 42", "not a class of xor", "0 to 1"], id="positive-absent"),
    pytest.param(["--model", "rnn"], ["--model", "invalid choice: 'rnn'"], id="model-unknown"),
    pytest.param(["--model", "cnn"], ["--model cnn takes 28x28 images", "not xor"],
                 id="cnn-on-points"),
    pytest.param(["--dataset", "imagenet"], ["--dataset", "invalid choice"], id="dataset-unknown"),
    pytest.param(["--optimizer", "lbfgs"], ["--optimizer", "invalid choice"], id="optim-unknown"),
    pytest.param(["--activation", "gelu"], ["--activation", "invalid choice"], id="act-unknown"),
    pytest.param(["--data-dir", "."], ["--data-dir", "mnist and fashion-mnist only"],
                 id="data-dir-for-generated-data"),
    pytest.param(["--frobnicate"], ["unrecognized arguments: --frobnicate"], id="unknown-option"),
    pytest.param(["--optimizer", "sgd", "--lr", "1e308"],
                 ["training diverged", "non-finite", "lr=1e+308"], id="weights-diverge-epoch-1"),
    pytest.param(["--model", "mlp", "--optimizer", "sgd", "--lr", "1e30", "--epochs", "3"],
                 ["training diverged", "nan"], id="loss-diverges"),
]


@pytest.mark.parametrize("extra, fragments", BAD_TRAIN)
def test_bad_train_options_are_one_line_and_exit_2(capsys, tmp_path, extra, fragments):
    code, out, err = call(capsys, *XOR, "--out", str(tmp_path / "run"), *extra)
    assert_one_line_error(code, err, *fragments)
    assert "test accuracy" not in out


def test_out_naming_a_file_or_a_path_under_a_file(capsys, tmp_path):
    existing = tmp_path / "existing"
    existing.write_text("")
    code, _, err = call(capsys, *XOR, "--out", str(existing))
    assert_one_line_error(code, err, "--out", "exists and is not a directory")
    code, _, err = call(capsys, *XOR, "--out", str(existing / "run"))
    assert_one_line_error(code, err, "--out", "cannot create the directory")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only directory")
def test_out_in_a_read_only_directory(capsys, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    code, _, err = call(capsys, *XOR, "--out", str(locked))
    assert_one_line_error(code, err, "--out", "not writable")


def test_corrupt_idx_files_in_data_dir_are_one_line(capsys, tmp_path):
    from tinygrad_edu.data import write_idx

    root = tmp_path / "mnist"
    root.mkdir()
    import numpy as np

    write_idx(root / "train-images-idx3-ubyte", np.zeros((3, 28, 28), np.uint8))
    write_idx(root / "train-labels-idx1-ubyte", np.zeros(3, np.uint8))
    write_idx(root / "t10k-images-idx3-ubyte", np.zeros((2, 28, 28), np.uint8))
    write_idx(root / "t10k-labels-idx1-ubyte", np.zeros(2, np.uint8))
    images = root / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])  # truncated payload
    code, _, err = call(capsys, "train", "--dataset", "mnist", "--data-dir", str(root),
                        "--out", str(tmp_path / "run"))
    assert_one_line_error(code, err, "truncated IDX payload", str(images))


def test_empty_dataset_split_is_one_line(capsys, tmp_path):
    import numpy as np

    from tinygrad_edu.data import write_idx

    root = tmp_path / "mnist"
    root.mkdir()
    for split, n in (("train", 0), ("t10k", 2)):
        write_idx(root / f"{split}-images-idx3-ubyte", np.zeros((n, 28, 28), np.uint8))
        write_idx(root / f"{split}-labels-idx1-ubyte", np.zeros(n, np.uint8))
    code, _, err = call(capsys, "train", "--dataset", "mnist", "--data-dir", str(root),
                        "--out", str(tmp_path / "run"))
    assert_one_line_error(code, err, "training split", "no samples")


def test_train_model_cnn_on_images_and_its_graph(tmp_path):
    """``--model cnn`` trains the LeNet-style CNN (tinygrad_edu.models.lenet_bn) on 28x28
    images: here a tiny IDX dataset written by the test, one epoch."""
    import numpy as np

    from tinygrad_edu.data import write_idx

    root = tmp_path / "mnist"
    root.mkdir()
    rng = np.random.default_rng(0)
    for split, n in (("train", 96), ("t10k", 40)):
        write_idx(root / f"{split}-images-idx3-ubyte",
                  rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(root / f"{split}-labels-idx1-ubyte", rng.integers(0, 10, n, dtype=np.uint8))
    result = run("train", "--model", "cnn", "--dataset", "mnist", "--data-dir", str(root),
                 "--epochs", "1", "--batch-size", "32", "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    assert "cnn on mnist: 96 train / 40 test samples, 421738 parameters" in result.stdout
    assert "test accuracy:" in result.stdout
    graph = run("graph", "--model", "cnn", "--batch-size", "2", "--out",
                str(tmp_path / "cnn.dot"))
    assert graph.returncode == 0, graph.stderr
    dot = (tmp_path / "cnn.dot").read_text()
    assert "<B>conv1</B> (Conv2d)" in dot and "<B>BatchNorm</B>" in dot


BAD_GRAPH = [
    pytest.param([], ["--out", "required"], id="out-missing"),
    pytest.param(["--out", "g.txt"], ["--format must be svg, png, pdf or dot", "'txt'"],
                 id="suffix-unknown"),
    pytest.param(["--out", "g.svg", "--format", "gif"], ["--format", "invalid choice"],
                 id="format-unknown"),
    pytest.param(["--out", "g.dot", "--batch-size", "0"], ["--batch-size", "> 0"],
                 id="batch-zero"),
    pytest.param(["--out", "g.dot", "--seed", "-2"], ["--seed", ">= 0"], id="seed-negative"),
    pytest.param(["--out", "g.dot", "--model", "logistic", "--positive", "10"],
                 ["--positive 10", "0 to 9"], id="positive-absent"),
    pytest.param(["--out", "g.dot", "--dropout", "2"], ["--dropout", "[0, 1)"],
                 id="dropout-above-1"),
    pytest.param(["--out", "g.dot", "--hidden", "-4"], ["--hidden", "positive"],
                 id="hidden-negative"),
    pytest.param(["--out", "g.dot", "--rankdir", "XY"], ["--rankdir", "invalid choice"],
                 id="rankdir-unknown"),
]


@pytest.mark.parametrize("extra, fragments", BAD_GRAPH)
def test_bad_graph_options_are_one_line_and_exit_2(capsys, tmp_path, monkeypatch, extra,
                                                   fragments):
    monkeypatch.chdir(tmp_path)
    code, _, err = call(capsys, "graph", *extra)
    assert_one_line_error(code, err, *fragments)
    assert not (tmp_path / "g.dot").exists()


def test_graph_out_a_directory_or_under_a_file(capsys, tmp_path):
    code, _, err = call(capsys, "graph", "--out", str(tmp_path))
    assert_one_line_error(code, err, "is a directory")
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = call(capsys, "graph", "--out", str(blocker / "g.dot"))
    assert_one_line_error(code, err, "--out's directory", "is not a directory")


@pytest.mark.parametrize("args, fragments", [
    pytest.param(["data", "download"], ["needs a dataset name"], id="download-no-name"),
    pytest.param(["data", "download", "cifar"], ["invalid choice: 'cifar'"], id="bad-name"),
    pytest.param(["data", "list"], ["invalid choice: 'list'"], id="bad-action"),
    pytest.param(["bench", "--rounds", "0"], ["--rounds", ">= 1"], id="bench-rounds-zero"),
    pytest.param(["bench", "--threads", "0"], ["--threads", "positive"], id="bench-threads"),
    pytest.param(["bench", "--models", "Z"], ["--models", "unknown model"], id="bench-models"),
    pytest.param([], ["required"], id="no-command"),
    pytest.param(["fly"], ["invalid choice: 'fly'"], id="unknown-command"),
])
def test_bad_data_bench_and_top_level_usage(capsys, args, fragments):
    code, _, err = call(capsys, *args)
    assert_one_line_error(code, err, *fragments)


def test_download_into_a_file_and_bench_out_a_file_fail_before_any_work(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = call(capsys, "data", "download", "mnist", "--dir", str(blocker))
    assert_one_line_error(code, err, "download of mnist failed", str(blocker))
    code, out, err = call(capsys, "bench", "--quick", "--out", str(blocker))
    assert_one_line_error(code, err, "--out", "not a directory")
    assert out == ""


def test_data_where_honours_dir(capsys, tmp_path):
    code, out, _ = call(capsys, "data", "where", "mnist", "--dir", str(tmp_path / "d"))
    assert code == 0 and str(tmp_path / "d") in out


def test_a_good_in_process_run_exits_0(capsys, tmp_path):
    code, out, err = call(capsys, *XOR, "--out", str(tmp_path / "run"))
    assert code == 0, err
    assert "test accuracy:" in out and (tmp_path / "run" / "checkpoint.npz").exists()


def test_graph_format_that_contradicts_the_out_suffix_is_one_line(tmp_path, capsys):
    from tinygrad_edu.cli import main as run

    assert run(["graph", "--format", "png", "--out", str(tmp_path / "y.svg")]) == 2
    err = capsys.readouterr().err
    assert "--format png does not match --out" in err and "y.png" in err
    assert not (tmp_path / "y.png").exists() and not (tmp_path / "y.svg").exists()
