"""A small training loop: ``fit`` trains, ``evaluate`` measures, ``History`` remembers.

It is the loop every PyTorch user writes by hand (zero_grad, forward, loss, backward, step),
plus what a real run needs: a progress bar, per-epoch metrics appended to a CSV or JSONL file
(seed 004's scalar summaries: loss, train and test accuracy), a learning-rate scheduler, and a
clean stop on Ctrl-C that first saves an atomic checkpoint.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .autograd import no_grad
from .serialization import save
from .tensor import Tensor

Metric = Callable[[np.ndarray, np.ndarray], float]
Callback = Callable[[int, dict[str, float]], Any]

__all__ = ["History", "accuracy", "binary_accuracy", "evaluate", "fit", "METRICS"]


def accuracy(output: np.ndarray, target: np.ndarray) -> float:
    """Fraction of rows whose largest output is the target class (targets: indices or one-hot)."""
    predicted = output.argmax(axis=-1)
    if target.ndim == output.ndim:  # one-hot / probability rows
        target = target.argmax(axis=-1)
    return float(np.mean(predicted == target))


def binary_accuracy(output: np.ndarray, target: np.ndarray, threshold: float = 0.5) -> float:
    """Fraction of outputs on the target's side of ``threshold`` (0.5 for probabilities; use
    ``functools.partial(binary_accuracy, threshold=0.0)`` for logits)."""
    return float(np.mean((output > threshold) == (target.reshape(output.shape) > 0.5)))


METRICS: dict[str, Metric] = {"accuracy": accuracy, "binary_accuracy": binary_accuracy}


@dataclass
class History:
    """Per-epoch metrics of a ``fit`` run: ``history["val_accuracy"]`` is a list over epochs."""

    epochs: list[dict[str, float]] = field(default_factory=list)
    interrupted: bool = False

    def __getitem__(self, name: str) -> list[float]:
        return [row[name] for row in self.epochs if name in row]

    def __len__(self) -> int:
        return len(self.epochs)

    def keys(self) -> list[str]:
        names: dict[str, None] = {}
        for row in self.epochs:
            names.update(dict.fromkeys(row))
        return list(names)

    def as_dict(self) -> dict[str, list[float]]:
        return {name: self[name] for name in self.keys()}


def _resolve_metrics(metrics: Iterable[str] | Mapping[str, Metric] | None) -> dict[str, Metric]:
    if metrics is None:
        return {}
    if isinstance(metrics, Mapping):
        return dict(metrics)
    resolved = {}
    for name in metrics:
        if name not in METRICS:
            raise ValueError(f"unknown metric {name!r}; known: {sorted(METRICS)}, or pass a dict")
        resolved[name] = METRICS[name]
    return resolved


def _split_batch(batch: Any) -> tuple[Any, Any]:
    if not isinstance(batch, Sequence) or len(batch) != 2:
        raise ValueError("each batch must be an (inputs, targets) pair")
    return batch[0], batch[1]


def _data(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def evaluate(model: Any, loss_fn: Callable[[Any, Any], Tensor], loader: Iterable[Any],
             metrics: Iterable[str] | Mapping[str, Metric] | None = ("accuracy",)) -> dict:
    """Mean loss and metrics over ``loader``, in eval mode and under ``no_grad``; the model's
    train/eval mode is restored afterwards."""
    fns = _resolve_metrics(metrics)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    totals = dict.fromkeys(["loss", *fns], 0.0)
    count = 0
    try:
        with no_grad():
            for batch in loader:
                inputs, targets = _split_batch(batch)
                output = model(inputs)
                n = len(_data(targets))
                totals["loss"] += loss_fn(output, targets).item() * n
                for name, fn in fns.items():
                    totals[name] += fn(_data(output), _data(targets)) * n
                count += n
    finally:
        if was_training and hasattr(model, "train"):
            model.train()
    if count == 0:
        raise ValueError("evaluate: the loader yielded no samples")
    return {name: total / count for name, total in totals.items()}


def _check_finite_parameters(optimizer: Any, epoch: int) -> None:
    """A loss can still be finite after the step that made the weights NaN or inf (the last
    batch of an epoch): check the weights themselves once per epoch."""
    for group in getattr(optimizer, "param_groups", ()):
        for p in group["params"]:
            if not np.isfinite(p._data).all():
                raise FloatingPointError(
                    f"a parameter of shape {tuple(p.shape)} became non-finite (nan or inf) at "
                    f"epoch {epoch}; lower the learning rate"
                )


class _MetricsFile:
    """Appends one row per epoch to a .csv (header first) or a .jsonl file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.suffix not in (".csv", ".jsonl"):
            raise ValueError(f"metrics file must end in .csv or .jsonl, got {self.path.name!r}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("")  # a new run starts a new file
        self.columns: list[str] | None = None

    def append(self, row: dict[str, float]) -> None:
        with self.path.open("a", newline="") as f:
            if self.path.suffix == ".jsonl":
                f.write(json.dumps(row) + "\n")
                return
            if self.columns is None:
                self.columns = list(row)
                csv.writer(f).writerow(self.columns)
            csv.writer(f).writerow([row.get(c, "") for c in self.columns])


def fit(
    model: Any,
    loss_fn: Callable[[Any, Any], Tensor],
    optimizer: Any,
    train_loader: Iterable[Any],
    epochs: int,
    val_loader: Iterable[Any] | None = None,
    metrics: Iterable[str] | Mapping[str, Metric] | None = ("accuracy",),
    scheduler: Any = None,
    callbacks: Sequence[Callback] = (),
    progress: bool | None = None,
    metrics_file: str | Path | None = None,
    checkpoint_path: str | Path | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``; return the ``History``.

    Each step: ``optimizer.zero_grad()``, ``loss_fn(model(x), y).backward()``,
    ``optimizer.step()``. After each epoch: the training loss and metrics (averaged over the
    epoch's batches, as the model was changing), ``val_`` metrics from ``evaluate`` on
    ``val_loader``, the learning rate, then ``scheduler.step()`` (given the validation loss, or
    the training loss, if it is a ``ReduceLROnPlateau``) and each callback
    ``callback(epoch, row)``; a callback returning True stops training.

    ``progress``: a tqdm bar per epoch (default: only when stderr is a terminal).
    ``metrics_file``: ``.csv`` or ``.jsonl``, one row per epoch. ``checkpoint_path``: on Ctrl-C
    (and at the end) the model and optimizer state are saved there atomically; Ctrl-C then
    returns the history so far with ``interrupted=True`` instead of raising.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)):
        raise TypeError(f"epochs must be an integer, got {type(epochs).__name__}")
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    fns = _resolve_metrics(metrics)
    show = sys.stderr.isatty() if progress is None else progress
    log = _MetricsFile(metrics_file) if metrics_file is not None else None
    history = History()
    epoch = 0

    def save_checkpoint() -> None:
        if checkpoint_path is not None:
            save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                  "epoch": epoch, "history": history.epochs}, checkpoint_path)

    try:
        for epoch in range(1, epochs + 1):
            if hasattr(model, "train"):
                model.train()
            totals = dict.fromkeys(["loss", *fns], 0.0)
            count = 0
            total_batches = len(train_loader) if isinstance(train_loader, Sized) else None
            with tqdm(train_loader, total=total_batches, disable=not show, leave=False,
                      desc=f"epoch {epoch}/{epochs}", unit="batch") as bar:
                for batch in bar:
                    inputs, targets = _split_batch(batch)
                    optimizer.zero_grad()
                    output = model(inputs)
                    loss = loss_fn(output, targets)
                    loss.backward()
                    optimizer.step()
                    value = loss.item()
                    if not math.isfinite(value):
                        raise FloatingPointError(
                            f"the training loss became {value} at epoch {epoch}; lower the "
                            "learning rate"
                        )
                    n = len(_data(targets))
                    totals["loss"] += value * n
                    for name, fn in fns.items():
                        totals[name] += fn(_data(output), _data(targets)) * n
                    count += n
                    bar.set_postfix(loss=f"{value:.4f}", refresh=False)
            if count == 0:
                raise ValueError("fit: the training loader yielded no samples")
            _check_finite_parameters(optimizer, epoch)
            row = {"epoch": float(epoch)}
            row.update({name: total / count for name, total in totals.items()})
            if val_loader is not None:
                row.update({f"val_{k}": v for k, v in evaluate(model, loss_fn, val_loader,
                                                                 fns).items()})
            row["lr"] = float(optimizer.param_groups[0]["lr"])
            history.epochs.append(row)
            if log is not None:
                log.append(row)
            if scheduler is not None:
                if type(scheduler).__name__ == "ReduceLROnPlateau":
                    scheduler.step(row.get("val_loss", row["loss"]))
                else:
                    scheduler.step()
            if any(callback(epoch, row) is True for callback in callbacks):
                break
    except KeyboardInterrupt:
        history.interrupted = True
        save_checkpoint()
        return history
    save_checkpoint()
    return history
