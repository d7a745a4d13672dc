"""fit(writer=) logs the tags its docstring lists at the global step, continues the count on
resume (hiding what an interrupted run logged after its checkpoint); seed 004's example writes
the document's summaries (train: log likelihood, accuracy; test: accuracy; the graph)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.utils._tensorboard import in_ci, need, read, scalars

need("tensorboard", "pip install tinygrad_edu[tensorboard]")

import tinygrad_edu as tg  # noqa: E402
import tinygrad_edu.nn.functional as F  # noqa: E402
from tinygrad_edu import nn, optim  # noqa: E402
from tinygrad_edu.data import DataLoader, TensorDataset  # noqa: E402
from tinygrad_edu.train import fit  # noqa: E402
from tinygrad_edu.utils.tensorboard import SummaryWriter  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist-10k"
N, BATCH = 24, 6  # 4 steps per epoch


def setup(seed: int = 0) -> tuple[Any, ...]:
    tg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, 5)).astype(np.float32)
    y = rng.integers(0, 3, N)
    model = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3))
    optimizer = optim.SGD([{"params": model[0].parameters()},
                           {"params": model[2].parameters(), "lr": 0.05}], lr=0.1)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    train = DataLoader(TensorDataset(x, y), batch_size=BATCH, shuffle=True, seed=seed)
    val = DataLoader(TensorDataset(x[:12], y[:12]), batch_size=12)
    return model, optimizer, scheduler, train, val


def run(log_dir: Path | None, epochs: int, interrupt_at: int | None = None,
        **kwargs: Any) -> Any:
    """fit the small model (a fresh one, same seed) with a SummaryWriter on ``log_dir``;
    ``interrupt_at``: Ctrl-C during that step. Returns the history, each step's loss and the
    model."""
    model, optimizer, scheduler, train, val = setup()
    losses: list[float] = []

    def loss_fn(out: Any, target: Any) -> Any:
        loss = F.cross_entropy(out, target)
        if not tg.is_grad_enabled():  # evaluate() on the val loader
            return loss
        losses.append(loss.item())
        if len(losses) == interrupt_at:
            raise KeyboardInterrupt
        return loss

    writer = SummaryWriter(log_dir) if log_dir is not None else None
    try:
        history = fit(model, loss_fn, optimizer, train, epochs, val_loader=val,
                      scheduler=scheduler, verbose=False, progress=False, writer=writer,
                      **kwargs)
    finally:
        if writer is not None:
            writer.close()
    return history, losses, model


def test_fit_logs_the_documented_tags_at_the_global_step(tmp_path):
    history, losses, model = run(tmp_path, epochs=2)
    acc = read(tmp_path)
    tags = acc.Tags()
    assert sorted(tags["scalars"]) == sorted([
        "train/loss", "epoch", "train/epoch_loss", "train/epoch_accuracy", "val/loss",
        "val/accuracy", "lr/group0", "lr/group1"])
    names = [name for name, _ in model.named_parameters()]
    assert sorted(tags["histograms"]) == sorted(
        [f"parameters/{n}" for n in names] + [f"gradients/{n}" for n in names])
    step_losses = scalars(tmp_path, "train/loss")
    assert [s for s, _ in step_losses] == list(range(1, 9))
    np.testing.assert_allclose([v for _, v in step_losses], losses, rtol=1e-6)
    assert scalars(tmp_path, "epoch") == [(4, 1.0), (8, 2.0)]
    for tag, key in [("train/epoch_loss", "loss"), ("train/epoch_accuracy", "accuracy"),
                     ("val/loss", "val_loss"), ("val/accuracy", "val_accuracy")]:
        got = scalars(tmp_path, tag)
        assert [s for s, _ in got] == [4, 8]
        np.testing.assert_allclose([v for _, v in got], history[key], rtol=1e-6)
    # the rate each group trained the epoch with, before the scheduler halved it
    assert scalars(tmp_path, "lr/group0") == [(4, pytest.approx(0.1)), (8, pytest.approx(0.05))]
    assert scalars(tmp_path, "lr/group1") == [(4, pytest.approx(0.05)),
                                              (8, pytest.approx(0.025))]
    final = acc.Histograms("parameters/2.weight")[-1]
    weight = model[2].weight.detach().numpy()
    assert final.step == 8 and final.histogram_value.num == weight.size
    assert final.histogram_value.sum == pytest.approx(float(weight.sum()), rel=1e-5)
    grad = acc.Histograms("gradients/0.bias")[-1].histogram_value
    assert grad.sum == pytest.approx(float(model[0].bias.grad.detach().numpy().sum()), rel=1e-5)


def test_a_writer_does_not_change_training(tmp_path):
    with_writer, _, m1 = run(tmp_path, epochs=2)
    without, _, m2 = run(None, epochs=2)
    assert with_writer.epochs == without.epochs
    for a, b in zip(m1.parameters(), m2.parameters(), strict=True):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_resume_continues_the_step_count(tmp_path):
    ckpt = tmp_path / "ckpt.npz"
    run(tmp_path / "tb", epochs=2, checkpoint_path=ckpt)
    assert tg.load(ckpt)["global_step"] == 8
    run(tmp_path / "tb", epochs=4, checkpoint_path=ckpt, resume=ckpt)
    straight_dir = tmp_path / "straight"
    run(straight_dir, epochs=4)
    resumed = scalars(tmp_path / "tb", "train/loss")
    assert [s for s, _ in resumed] == list(range(1, 17))
    np.testing.assert_allclose([v for _, v in resumed],
                               [v for _, v in scalars(straight_dir, "train/loss")], rtol=1e-6)
    assert [s for s, _ in scalars(tmp_path / "tb", "epoch")] == [4, 8, 12, 16]


def test_an_interrupted_run_resumes_without_duplicate_steps(tmp_path):
    ckpt = tmp_path / "ckpt.npz"
    history, _, _ = run(tmp_path / "tb", epochs=4, checkpoint_path=ckpt, interrupt_at=11)
    assert history.interrupted and len(history) == 2
    # steps 9 and 10 of epoch 3 were logged before Ctrl-C; the checkpoint is at step 8
    run(tmp_path / "tb", epochs=4, checkpoint_path=ckpt, resume=ckpt)
    run(tmp_path / "straight", epochs=4)
    resumed = scalars(tmp_path / "tb", "train/loss")
    assert [s for s, _ in resumed] == list(range(1, 17))  # purged, then logged again
    np.testing.assert_allclose([v for _, v in resumed],
                               [v for _, v in scalars(tmp_path / "straight", "train/loss")],
                               rtol=1e-6)


def test_pytorchs_writer_works_too(tmp_path):
    torch_tb = need("torch.utils.tensorboard", "pip install tinygrad_edu[torch]")
    model, optimizer, _, train, _ = setup()
    with torch_tb.SummaryWriter(str(tmp_path)) as writer:
        fit(model, F.cross_entropy, optimizer, train, 1, verbose=False, progress=False,
            writer=writer)
    assert [s for s, _ in scalars(tmp_path, "train/loss")] == [1, 2, 3, 4]


# --------------------------------------------------------------------------- seed 004


def run_seed004(out: Path, *extra: str) -> None:
    script = ROOT / "examples" / "seed004_logistic_one_vs_rest.py"
    done = subprocess.run([sys.executable, str(script), "--quick", "--steps", "1000", "--out",
                           str(out), "--data-dir", str(MNIST_DIR), *extra],
                          capture_output=True, text=True, timeout=300, cwd=out.parent,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


needs_mnist = pytest.mark.skipif(
    not (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file() and not in_ci(),
    reason=f"the MNIST subset is not at {MNIST_DIR}")


@needs_mnist
def test_seed004_writes_the_documents_summaries(tmp_path):
    out = tmp_path / "seed004"
    run_seed004(out)
    with (out / "metrics.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == [0, 1000]
    train, test = out / "tensorboard" / "train", out / "tensorboard" / "test"
    assert read(train).Tags()["scalars"] == ["log likelihood", "accuracy"]
    assert read(test).Tags()["scalars"] == ["accuracy"]
    for run_dir, tag, column in [(train, "log likelihood", "log_likelihood"),
                                 (train, "accuracy", "train_batch_accuracy"),
                                 (test, "accuracy", "test_accuracy")]:
        got = scalars(run_dir, tag)
        assert [s for s, _ in got] == [0, 1000]
        np.testing.assert_allclose([v for _, v in got], [float(r[column]) for r in rows],
                                   rtol=1e-6)
    graph = {n.name: n for n in read(train).Graph().node}
    assert graph["Sequential/0(Linear)/Linear"].input == [
        "input/input.1", "Sequential/0(Linear)/weight", "Sequential/0(Linear)/bias"]
    assert graph["Sequential/1(Sigmoid)/Sigmoid"].input == ["Sequential/0(Linear)/Linear"]
    assert (out / "curves.png").is_file() and "tensorboard --logdir" in (
        out / "results.md").read_text()


@needs_mnist
def test_seed004_no_tensorboard_keeps_the_same_run(tmp_path):
    run_seed004(tmp_path / "on", "--tensorboard", str(tmp_path / "elsewhere"))
    run_seed004(tmp_path / "off", "--no-tensorboard")
    assert (tmp_path / "elsewhere" / "train").is_dir()
    assert not (tmp_path / "off" / "tensorboard").exists()
    assert (tmp_path / "on" / "metrics.csv").read_text() == (tmp_path / "off" /
                                                             "metrics.csv").read_text()
