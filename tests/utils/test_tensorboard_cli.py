"""``tinygrad-edu train --tensorboard``: the run's events sit in <out>/tensorboard (or DIR) with
the step loss at every optimizer step, the epoch metrics, the learning rate, the histograms and
the model's graph; a resumed run goes on counting in the same run."""

from __future__ import annotations

from tests.utils._tensorboard import need, read, scalars

need("tensorboard", "pip install tinygrad_edu[tensorboard]")

from tinygrad_edu.cli import main  # noqa: E402

# xor: 4 samples, batch 2 -> 2 optimizer steps per epoch
ARGS = ["train", "--dataset", "xor", "--model", "mlp", "--hidden", "3", "--batch-size", "2",
        "--no-progress"]


def test_train_tensorboard_logs_every_step_and_epoch_and_the_graph(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*ARGS, "--epochs", "2", "--out", str(out), "--tensorboard"]) == 0
    log_dir = out / "tensorboard"
    assert f"tensorboard --logdir {log_dir}" in capsys.readouterr().out
    losses = scalars(log_dir, "train/loss")
    assert [step for step, _ in losses] == [1, 2, 3, 4]
    epoch_rows = (out / "metrics.csv").read_text().splitlines()
    header = epoch_rows[0].split(",")
    last = dict(zip(header, epoch_rows[-1].split(","), strict=True))
    (step, val_loss), = scalars(log_dir, "val/loss")[-1:]
    assert step == 4 and abs(val_loss - float(last["val_loss"])) < 1e-5
    assert [s for s, _ in scalars(log_dir, "lr/group0")] == [2, 4]
    acc = read(log_dir)
    assert {"parameters/0.weight", "gradients/0.weight"} <= set(acc.Tags()["histograms"])
    graph = acc.Graph()
    assert any("Linear" in node.op for node in graph.node)


def test_train_tensorboard_dir_and_resume_continue_the_step_count(tmp_path):
    out, log_dir = tmp_path / "run", tmp_path / "tb"
    assert main([*ARGS, "--epochs", "1", "--out", str(out), "--tensorboard", str(log_dir)]) == 0
    assert main([*ARGS, "--epochs", "2", "--out", str(out), "--tensorboard", str(log_dir),
                 "--resume", str(out / "checkpoint.npz")]) == 0
    assert [step for step, _ in scalars(log_dir, "train/loss")] == [1, 2, 3, 4]


def test_train_without_the_option_writes_no_events(tmp_path):
    out = tmp_path / "run"
    assert main([*ARGS, "--epochs", "1", "--out", str(out)]) == 0
    assert not (out / "tensorboard").exists()


def test_a_resumed_run_writes_no_second_graph(tmp_path):
    out = tmp_path / "run"
    assert main([*ARGS, "--epochs", "1", "--out", str(out), "--tensorboard"]) == 0
    assert main([*ARGS, "--epochs", "2", "--out", str(out), "--tensorboard",
                 "--resume", str(out / "checkpoint.npz")]) == 0
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    graphs = [event for path in sorted((out / "tensorboard").glob("events.out.tfevents.*"))
              for event in EventFileLoader(str(path)).Load() if event.HasField("graph_def")]
    assert len(graphs) == 1
