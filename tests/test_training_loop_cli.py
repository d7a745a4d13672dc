"""``tinygrad-edu train`` as a user runs it in a pipe: one line per epoch as it ends, Ctrl-C
(SIGINT) saves the last finished epoch and exits 130, ``--resume`` continues exactly; and
``tinygrad-edu bench`` writes into the user's directory, not the committed results."""

from __future__ import annotations

import csv
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.train import load_checkpoint

ROOT = Path(__file__).resolve().parents[1]
EPOCH_LINE = re.compile(r"epoch (\d+)/(\d+): (.*) \(\d+\.\d+ s\)")
XOR = ["train", "--model", "mlp", "--hidden", "8", "--dataset", "xor", "--optimizer", "sgd",
       "--lr", "0.5"]


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tinygrad_edu", *args]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    return subprocess.run(command(*args), capture_output=True, text=True, timeout=120, cwd=cwd,
                          env=env)


def epoch_lines(stdout: str) -> list[re.Match]:
    return [m for m in map(EPOCH_LINE.fullmatch, stdout.splitlines()) if m]


def test_each_epoch_prints_one_line_in_a_pipe_with_the_metrics_file_values(tmp_path):
    out = tmp_path / "run"
    done = run("train", "--model", "mlp", "--hidden", "16", "--dataset", "spiral", "--epochs",
               "3", "--lr", "0.02", "--out", str(out))
    assert done.returncode == 0, done.stderr
    lines = epoch_lines(done.stdout)
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert len(lines) == len(rows) == 3
    for line, row in zip(lines, rows, strict=True):
        assert float(line.group(1)) == float(row["epoch"]) and line.group(2) == "3"
        shown = dict(item.split(" ") for item in line.group(3).split(", "))
        assert list(shown) == ["loss", "accuracy", "val_loss", "val_accuracy"]
        for name, text in shown.items():  # equal to the 4 decimals printed
            decimals = len(text.split(".")[1])
            assert abs(float(text) - float(row[name])) <= 0.5 * 10.0 ** -decimals, name
    assert "1 epoch" not in done.stdout and "3 epochs" in done.stdout
    one = run(*XOR, "--epochs", "1", "--out", str(tmp_path / "one"))
    assert one.returncode == 0, one.stderr
    assert "1 epoch," in one.stdout and "1 epochs" not in one.stdout
    assert len(epoch_lines(one.stdout)) == 1


def interrupt_after_first_epoch(out: Path) -> tuple[int, str]:
    """Start a long run, send SIGINT when the first epoch line comes through the pipe."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    proc = subprocess.Popen(command(*XOR, "--epochs", "1000000", "--out", str(out)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if line.startswith("epoch 1/"):
                proc.send_signal(signal.SIGINT)
                break
        rest, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    return proc.returncode, "".join(seen) + rest + err


def test_sigint_saves_the_last_finished_epoch_exits_130_and_resume_continues(tmp_path):
    out = tmp_path / "run"
    code, printed = interrupt_after_first_epoch(out)
    assert code == 130, printed
    assert "Traceback" not in printed
    ckpt = out / "checkpoint.npz"
    finished = load_checkpoint(ckpt)["epoch"]
    assert finished >= 1
    last_line = epoch_lines(printed)[-1]
    assert int(last_line.group(1)) == finished  # the interrupted epoch is not recorded
    assert (f"interrupted during epoch {finished + 1}: saved the state after epoch {finished} "
            f"to {ckpt}") in printed
    hint = re.search(r"^to resume: (.*)$", printed, re.M).group(1)
    words = shlex.split(hint)
    assert words[0] == "tinygrad-edu" and words[-2:] == ["--resume", str(ckpt)]
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert len(rows) >= finished  # the file may have the row of an epoch past the checkpoint

    # resume as the hint says, to 2 more epochs: the counter goes on from the finished epoch
    target = finished + 2
    argv = words[1:]
    argv[argv.index("--epochs") + 1] = str(target)
    resumed = run(*argv)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed from {ckpt} after epoch {finished}" in resumed.stdout
    assert [int(m.group(1)) for m in epoch_lines(resumed.stdout)] == [finished + 1, target]
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [float(r["epoch"]) for r in rows] == [float(e) for e in range(1, target + 1)]

    # and the weights are those of a straight run of as many epochs
    straight = run(*XOR, "--epochs", str(target), "--out", str(tmp_path / "straight"))
    assert straight.returncode == 0, straight.stderr
    a = load_checkpoint(ckpt)["model"]
    b = load_checkpoint(tmp_path / "straight" / "checkpoint.npz")["model"]
    for name in b:
        np.testing.assert_array_equal(a[name].numpy(), b[name].numpy(), err_msg=name)


def test_resume_with_other_settings_or_a_foreign_file_is_one_line(tmp_path):
    out = tmp_path / "run"
    assert run(*XOR, "--epochs", "1", "--out", str(out)).returncode == 0
    ckpt = out / "checkpoint.npz"
    changed = run(*XOR[:-1], "0.1", "--epochs", "2", "--out", str(out), "--resume", str(ckpt))
    assert changed.returncode == 2 and "--lr 0.5 -> 0.1" in changed.stderr
    foreign = tmp_path / "foreign.npz"
    tg.save({"weights": [1.0]}, foreign)
    for path in (foreign, tmp_path / "missing.npz"):
        done = run(*XOR, "--epochs", "2", "--resume", str(path))
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and f"--resume {path}" in done.stderr


def _git_status(path: str) -> str:
    return subprocess.run(["git", "status", "--porcelain", "--", path], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the source checkout")
def test_bench_writes_into_bench_results_of_the_current_directory(tmp_path):
    before = _git_status("benchmarks/results")
    done = run("bench", "--quick", "--threads", "1", "--models", "A", "--no-torch",
               cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    written = tmp_path / "bench-results"
    assert f"bench: writing into {written}" in done.stdout
    assert {"bench_step.json", "bench_step.md"} <= {p.name for p in written.iterdir()}
    assert _git_status("benchmarks/results") == before
