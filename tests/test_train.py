"""fit / evaluate / History on synthetic data: it learns, writes its files, saves on Ctrl-C."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset, make_spiral
from tinygrad_edu.train import History, accuracy, binary_accuracy, evaluate, fit


def spiral_setup(seed: int = 0):
    tg.manual_seed(seed)
    X, y = make_spiral(60, 3, seed=seed)
    loader = DataLoader(TensorDataset(X, y), batch_size=30, shuffle=True, seed=seed)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 3))
    return model, loader


def test_fit_lowers_the_loss_and_records_every_epoch():
    model, loader = spiral_setup()
    opt = optim.Adam(model.parameters(), lr=0.02)
    history = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=30, val_loader=loader,
                  progress=False)
    assert len(history) == 30 and not history.interrupted
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_accuracy"][-1] > 0.8
    assert history["epoch"] == [float(e) for e in range(1, 31)]
    assert set(history.keys()) >= {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}


def test_evaluate_matches_a_hand_computed_pass_and_restores_train_mode():
    model, loader = spiral_setup()
    model.train()
    result = evaluate(model, nn.CrossEntropyLoss(), loader)
    assert model.training
    X, y = loader.dataset.sample_arrays()
    with tg.no_grad():
        logits = model(tg.Tensor(X))
        loss = nn.functional.cross_entropy(logits, y).item()
    assert result["loss"] == pytest.approx(loss, rel=1e-5)
    assert result["accuracy"] == pytest.approx(float(np.mean(logits.data.numpy().argmax(1) == y)))


def test_metrics_file_csv_and_jsonl(tmp_path):
    for suffix in (".csv", ".jsonl"):
        model, loader = spiral_setup()
        path = tmp_path / f"metrics{suffix}"
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader,
            epochs=3, progress=False, metrics_file=path)
        if suffix == ".csv":
            rows = list(csv.DictReader(path.open()))
        else:
            rows = [json.loads(line) for line in path.read_text().splitlines()]
        assert [float(r["epoch"]) for r in rows] == [1.0, 2.0, 3.0]
        assert all(float(r["loss"]) > 0 for r in rows)
    with pytest.raises(ValueError, match=r"\.csv or \.jsonl"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader,
            epochs=1, progress=False, metrics_file=tmp_path / "metrics.txt")


def test_ctrl_c_stops_cleanly_after_saving_a_checkpoint(tmp_path):
    model, loader = spiral_setup()
    opt = optim.SGD(model.parameters(), lr=0.1)

    def interrupt(epoch, row):
        if epoch == 2:
            raise KeyboardInterrupt

    ckpt = tmp_path / "ckpt.npz"
    history = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=10, progress=False,
                  callbacks=[interrupt], checkpoint_path=ckpt)
    assert history.interrupted and len(history) == 2
    saved = tg.load(ckpt)
    assert saved["epoch"] == 2
    fresh, _ = spiral_setup(seed=1)
    fresh.load_state_dict(saved["model"])
    for (name, p), (_, q) in zip(model.named_parameters(), fresh.named_parameters(),
                                 strict=True):
        np.testing.assert_array_equal(p.data.numpy(), q.data.numpy(), err_msg=name)


def test_callback_returning_true_stops_and_scheduler_steps():
    model, loader = spiral_setup()
    opt = optim.SGD(model.parameters(), lr=0.1)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=10, progress=False,
                  scheduler=scheduler, callbacks=[lambda epoch, row: epoch == 3])
    assert len(history) == 3
    assert history["lr"] == pytest.approx([0.1, 0.05, 0.025])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow is the point
def test_diverging_training_raises_a_clear_error():
    model, loader = spiral_setup()
    with pytest.raises(FloatingPointError, match="learning rate"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=1e30), loader,
            epochs=3, progress=False)


def test_metric_functions():
    out = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert accuracy(out, np.array([1, 0, 0])) == pytest.approx(2 / 3)
    assert accuracy(out, np.eye(2)[[1, 0, 1]]) == 1.0
    assert binary_accuracy(np.array([[0.9], [0.2]]), np.array([[1.0], [1.0]])) == 0.5
    assert History([{"loss": 1.0}, {"loss": 0.5}])["loss"] == [1.0, 0.5]
    with pytest.raises(ValueError, match="unknown metric"):
        fit(None, None, None, [], epochs=1, metrics=["f1"])
