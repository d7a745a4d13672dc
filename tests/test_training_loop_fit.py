"""fit reports each epoch as it ends, resumes exactly from its checkpoint, and a Ctrl-C saves
the last finished epoch (issue 14, "a training loop that reports as it goes")."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset, make_spiral
from tinygrad_edu.random import get_rng
from tinygrad_edu.train import (
    default_progress,
    epoch_line,
    fit,
    format_metric,
    load_checkpoint,
)


def setup(seed: int = 0, loader_seed: int | None = 0, dropout: float = 0.2):
    """A seeded run: spiral data, a shuffling loader, an MLP with dropout (it draws from the
    module RNG every step), Adam and StepLR (both have state)."""
    tg.manual_seed(seed)
    X, y = make_spiral(40, 3, seed=0)
    loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True, seed=loader_seed)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 3))
    opt = optim.Adam(model.parameters(), lr=0.02)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.8)
    return model, loader, opt, scheduler


def weights(model) -> dict[str, np.ndarray]:
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def assert_same_weights(a, b) -> None:
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for name in wa:
        np.testing.assert_array_equal(wa[name], wb[name], err_msg=name)


def run(epochs: int, *, seed: int = 0, loader_seed: int | None = 0, verbose: bool = False,
        **kwargs):
    model, loader, opt, scheduler = setup(seed, loader_seed)
    history = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=epochs, val_loader=loader,
                  scheduler=scheduler, progress=False, verbose=verbose, **kwargs)
    return model, opt, history


@pytest.mark.parametrize("loader_seed", [0, None], ids=["loader-seeded", "global-rng"])
def test_two_epochs_then_resume_to_four_equals_four_straight(tmp_path, loader_seed):
    straight, straight_opt, straight_history = run(4, loader_seed=loader_seed)
    ckpt = tmp_path / "ckpt.npz"
    run(2, loader_seed=loader_seed, checkpoint_path=ckpt)
    assert load_checkpoint(ckpt)["epoch"] == 2
    # a fresh process would seed differently before building: the checkpoint must not care
    resumed, resumed_opt, history = run(4, seed=123, loader_seed=loader_seed, resume=ckpt)
    assert_same_weights(resumed, straight)
    assert history["epoch"] == [1.0, 2.0, 3.0, 4.0]
    assert history.as_dict() == straight_history.as_dict()  # loss, accuracy, lr: all equal
    assert resumed_opt.param_groups[0]["lr"] == straight_opt.param_groups[0]["lr"]
    state, expected = resumed_opt.state_dict()["state"], straight_opt.state_dict()["state"]
    for i in expected:
        for key in expected[i]:
            np.testing.assert_array_equal(np.asarray(state[i][key]),
                                          np.asarray(expected[i][key]), err_msg=key)
    # and the RNG continues where the straight run's is
    straight_next = run(4, loader_seed=loader_seed) and get_rng().random()
    run(2, loader_seed=loader_seed, checkpoint_path=ckpt)
    run(4, seed=7, loader_seed=loader_seed, resume=ckpt)
    assert get_rng().random() == straight_next


class InterruptAt:
    """A loader that raises KeyboardInterrupt (as Ctrl-C would) at one batch of one epoch."""

    def __init__(self, loader, epoch: int, batch: int) -> None:
        self.loader, self.epoch, self.batch, self.seen = loader, epoch, batch, 0
        self.generator = loader.generator  # the same random stream: fit saves and restores it

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        self.seen += 1
        for i, batch in enumerate(self.loader):
            if self.seen == self.epoch and i == self.batch:
                raise KeyboardInterrupt
            yield batch


def test_ctrl_c_mid_epoch_saves_the_last_finished_epoch_and_resumes_exactly(tmp_path, capsys):
    straight, _, _ = run(5)
    model, loader, opt, scheduler = setup()
    ckpt = tmp_path / "ckpt.npz"
    history = fit(model, nn.CrossEntropyLoss(), opt, InterruptAt(loader, epoch=3, batch=2),
                  epochs=5, val_loader=loader, scheduler=scheduler, progress=False,
                  checkpoint_path=ckpt)
    printed = capsys.readouterr().out
    assert history.interrupted and history["epoch"] == [1.0, 2.0]
    assert history.checkpoint_path == ckpt
    assert f"interrupted during epoch 3: saved the state after epoch 2 to {ckpt}" in printed
    assert f"resume={str(ckpt)!r}" in printed
    saved = load_checkpoint(ckpt)
    assert saved["epoch"] == 2 and [r["epoch"] for r in saved["history"]] == [1.0, 2.0]
    resumed, _, resumed_history = run(5, seed=99, resume=ckpt)
    assert_same_weights(resumed, straight)
    assert resumed_history["epoch"] == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_ctrl_c_in_the_first_epoch_saves_the_starting_state(tmp_path):
    straight, _, _ = run(2)
    model, loader, opt, scheduler = setup()
    ckpt = tmp_path / "ckpt.npz"
    fit(model, nn.CrossEntropyLoss(), opt, InterruptAt(loader, epoch=1, batch=1), epochs=2,
        scheduler=scheduler, progress=False, verbose=False, checkpoint_path=ckpt)
    assert load_checkpoint(ckpt)["epoch"] == 0
    resumed, _, history = run(2, seed=5, resume=ckpt)
    assert_same_weights(resumed, straight)
    assert len(history) == 2


def test_each_epoch_prints_one_line_with_its_metrics(capsys, monkeypatch):
    monkeypatch.setenv("CI", "true")
    model, loader, opt, _ = setup()
    history = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=3, val_loader=loader)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for row, line in zip(history.epochs, lines, strict=True):
        match = re.fullmatch(r"epoch (\d+)/3: (.*) \(\d+\.\d+ s\)", line)
        assert match, line
        assert float(match.group(1)) == row["epoch"]
        shown = dict(item.split(" ") for item in match.group(2).split(", "))
        assert list(shown) == ["loss", "accuracy", "val_loss", "val_accuracy"]  # no lr
        for name, text in shown.items():
            assert float(text) == pytest.approx(row[name], abs=5e-5)


def test_verbose_false_prints_nothing_and_resume_past_the_end_trains_nothing(tmp_path, capsys):
    ckpt = tmp_path / "c.npz"
    model, _, _ = run(2, checkpoint_path=ckpt)
    assert capsys.readouterr().out == ""
    again, _, history = run(2, seed=3, resume=ckpt, verbose=True)
    assert_same_weights(again, model) and len(history) == 2
    assert "nothing to train up to epoch 2" in capsys.readouterr().out


def test_resume_refuses_a_foreign_file_and_a_different_scheduler(tmp_path):
    other = tmp_path / "other.npz"
    tg.save({"model": {}}, other)
    model, loader, opt, scheduler = setup()
    with pytest.raises(ValueError, match="not a checkpoint written by fit"):
        fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=2, resume=other)
    ckpt = tmp_path / "c.npz"
    run(1, checkpoint_path=ckpt)
    with pytest.raises(ValueError, match="has scheduler state but none is given"):
        fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=2, resume=ckpt, verbose=False)
    unseeded = DataLoader(loader.dataset, batch_size=16, shuffle=True)
    with pytest.raises(ValueError, match="same kind of loader"):
        fit(model, nn.CrossEntropyLoss(), opt, unseeded, epochs=2, resume=ckpt,
            scheduler=scheduler, verbose=False)


def test_resume_rewrites_the_metrics_file_with_the_earlier_epochs(tmp_path):
    ckpt, metrics = tmp_path / "c.npz", tmp_path / "m.csv"
    run(2, checkpoint_path=ckpt, metrics_file=metrics)
    run(3, resume=ckpt, metrics_file=metrics)
    lines = metrics.read_text().splitlines()
    assert lines[0].startswith("epoch,loss") and [line.split(",")[0] for line in lines[1:]] == [
        "1.0", "2.0", "3.0"]


def test_default_progress_is_off_in_ci_and_in_a_pipe(monkeypatch):
    monkeypatch.setenv("CI", "1")
    assert default_progress() is False
    monkeypatch.setenv("CI", "false")
    assert default_progress() is False  # pytest's stderr is not a terminal


def test_format_metric_and_epoch_line():
    assert format_metric(0.83125) == "0.8313" and format_metric(0.0) == "0.0000"
    assert format_metric(1.234e-5) == "1.234e-05" and format_metric(float("nan")) == "nan"
    assert epoch_line({"epoch": 1.0, "loss": 0.5}, 1) == "epoch 1/1: loss 0.5000"


def test_a_second_ctrl_c_during_the_interrupted_save_is_held_off(tmp_path, monkeypatch):
    """The save after a Ctrl-C runs with SIGINT ignored: a second Ctrl-C sent while it writes
    neither raises nor leaves the run without a checkpoint."""
    import os
    import signal

    import tinygrad_edu.train as train_module

    real_save = train_module.save
    calls = []

    def save_hit_by_a_second_ctrl_c(obj, path):  # the one save: the one after the interrupt
        os.kill(os.getpid(), signal.SIGINT)  # ignored while saving
        calls.append(path)
        real_save(obj, path)

    monkeypatch.setattr(train_module, "save", save_hit_by_a_second_ctrl_c)

    def interrupt_in_epoch_2(epoch, row):
        if epoch == 2:
            raise KeyboardInterrupt

    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN
    tg.manual_seed(0)
    x = tg.randn(32, 3)
    y = tg.randint(0, 2, (32,))
    model = nn.Linear(3, 2)
    history = train_module.fit(
        model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
        DataLoader(TensorDataset(x, y), batch_size=8), epochs=5,
        checkpoint_path=tmp_path / "ckpt.npz", callbacks=[interrupt_in_epoch_2], verbose=False)
    assert history.interrupted and (tmp_path / "ckpt.npz").exists() and len(calls) == 1
    assert train_module.load_checkpoint(tmp_path / "ckpt.npz")["epoch"] == 2  # finished
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN  # restored afterwards
