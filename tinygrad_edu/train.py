"""A small training loop: ``fit`` trains, ``evaluate`` measures, ``History`` remembers.

It is the loop every PyTorch user writes by hand (zero_grad, forward, loss, backward, step),
plus what a real run needs: a line of metrics as each epoch ends (above a progress bar), per-epoch
metrics appended to a CSV or JSONL file (seed 004's scalar summaries: loss, train and test
accuracy), a learning-rate scheduler, a clean stop on Ctrl-C that first saves an atomic
checkpoint of the last finished epoch, ``resume=`` to continue from it exactly, and
``writer=`` to log losses, metrics, learning rates and histograms to TensorBoard.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
from tqdm.auto import tqdm

from .autograd import no_grad
from .random import get_rng
from .serialization import load, save
from .tensor import Tensor

Metric = Callable[[np.ndarray, np.ndarray], float]
Callback = Callable[[int, dict[str, float]], Any]

__all__ = ["History", "accuracy", "binary_accuracy", "default_progress", "epoch_line", "evaluate",
           "fit", "format_metric", "load_checkpoint", "METRICS"]


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
    #: where ``fit`` saved its checkpoint (None: nothing saved)
    checkpoint_path: Path | None = None

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

    def __init__(self, path: str | Path, rows: Sequence[dict[str, float]] = ()) -> None:
        self.path = Path(path)
        if self.path.suffix not in (".csv", ".jsonl"):
            raise ValueError(f"metrics file must end in .csv or .jsonl, got {self.path.name!r}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("")  # a new run starts a new file; a resumed one rewrites its rows
        self.columns: list[str] | None = None
        for row in rows:
            self.append(row)

    def append(self, row: dict[str, float]) -> None:
        with self.path.open("a", newline="") as f:
            if self.path.suffix == ".jsonl":
                f.write(json.dumps(row) + "\n")
                return
            if self.columns is None:
                self.columns = list(row)
                csv.writer(f).writerow(self.columns)
            csv.writer(f).writerow([row.get(c, "") for c in self.columns])


# ---------------------------------------------------------------------- reporting


def format_metric(value: float) -> str:
    """How an epoch line shows a metric: 4 decimals, or 4 significant digits when a fixed
    4 decimals would hide it (0.00001234 -> ``1.234e-05``)."""
    if value == 0 or not math.isfinite(value) or 1e-3 <= abs(value) < 1e4:
        return f"{value:.4f}"
    return f"{value:.4g}"


def epoch_line(row: Mapping[str, float], epochs: int, seconds: float | None = None) -> str:
    """``epoch 3/10: loss 0.4123, accuracy 0.8512, val_loss ..., lr 0.0010 (1.23 s)``: what
    ``fit`` prints when an epoch ends (``lr`` only when a scheduler may change it)."""
    shown = ", ".join(f"{k} {format_metric(v)}" for k, v in row.items() if k != "epoch")
    line = f"epoch {int(row['epoch'])}/{epochs}: {shown}"
    if seconds is None:
        return line
    return f"{line} ({seconds:.2f} s)" if seconds < 10 else f"{line} ({seconds:.1f} s)"


def _say(line: str) -> None:
    """One line above any progress bar (``tqdm.write``), flushed at once so that a pipe or a
    CI log shows each epoch as it ends, not at exit."""
    tqdm.write(line, file=sys.stdout)
    sys.stdout.flush()


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    get_ipython = getattr(shell, "get_ipython", None)
    return get_ipython is not None and hasattr(get_ipython(), "kernel")


def default_progress() -> bool:
    """Whether ``fit`` draws a progress bar by default: in a terminal and in Jupyter (where
    ``tqdm.auto`` draws a widget), not in a pipe or a CI log (env ``CI`` set), where a bar
    redrawn with carriage returns is noise. The epoch lines are printed in every case."""
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        return False
    return _in_notebook() or sys.stderr.isatty()


# ---------------------------------------------------------------------- checkpoints

#: Marks a checkpoint written by ``fit`` (the version of its layout).
CHECKPOINT_KIND = "tinygrad_edu.fit/1"
_LOADER_RNG_PATHS = ("_rng", "generator", "sampler.generator", "batch_sampler.sampler.generator")


def _numpy_generator(obj: Any) -> np.random.Generator | None:
    if isinstance(obj, np.random.Generator):
        return obj
    inner = getattr(obj, "numpy", None)  # tinygrad_edu.Generator
    return inner if isinstance(inner, np.random.Generator) else None


def _loader_rngs(loader: Any) -> dict[str, np.random.Generator]:
    """The loader's own random streams (a seeded shuffle, a ``generator=``), by attribute
    path: a resumed run must shuffle its next epoch as the straight run would."""
    found: dict[str, np.random.Generator] = {}
    seen: set[int] = set()
    for path in _LOADER_RNG_PATHS:
        obj = loader
        for name in path.split("."):
            obj = getattr(obj, name, None)
        rng = _numpy_generator(obj)
        if rng is not None and id(rng) not in seen:
            seen.add(id(rng))
            found[path] = rng
    return found


def _snapshot(model: Any, optimizer: Any, scheduler: Any, loader: Any, epoch: int,
              rows: list[dict[str, float]], extra: Mapping[str, Any] | None,
              global_step: int) -> dict[str, Any]:
    """Everything a resumed run needs, copied now (training on does not change it)."""
    return {
        "kind": CHECKPOINT_KIND,
        "epoch": epoch,
        "global_step": global_step,  # optimizer steps so far: a resumed run's TensorBoard x
        "model": {k: v.clone() for k, v in model.state_dict().items()},
        "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "rng": dict(get_rng().bit_generator.state),
        "loader_rng": {k: dict(g.bit_generator.state) for k, g in _loader_rngs(loader).items()},
        "history": [dict(row) for row in rows],
        "extra": dict(extra or {}),
    }


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint that ``fit`` wrote (``checkpoint_path``), checking it is one."""
    state = load(path)
    if not isinstance(state, dict) or state.get("kind") != CHECKPOINT_KIND:
        keys = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"{path} is not a checkpoint written by fit (expected kind "
                         f"{CHECKPOINT_KIND!r}; found {keys})")
    return state


def _restore(state: Mapping[str, Any], path: str | Path, model: Any, optimizer: Any,
             scheduler: Any, loader: Any) -> None:
    if (scheduler is None) != (state["scheduler"] is None):
        has = "has" if state["scheduler"] is not None else "has no"
        given = "none is" if scheduler is None else "one is"
        raise ValueError(f"{path} {has} scheduler state but {given} given to fit: resume with "
                         "the scheduler the run was started with")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    get_rng().bit_generator.state = state["rng"]
    rngs = _loader_rngs(loader)
    if set(rngs) != set(state["loader_rng"]):
        raise ValueError(f"{path} was written with a train loader whose random streams are "
                         f"{sorted(state['loader_rng']) or 'none'}, this one has "
                         f"{sorted(rngs) or 'none'}: resume with the same kind of loader")
    for name, rng in rngs.items():
        rng.bit_generator.state = state["loader_rng"][name]


# ---------------------------------------------------------------------- fit


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
    resume: str | Path | None = None,
    verbose: bool = True,
    checkpoint_extra: Mapping[str, Any] | None = None,
    writer: Any = None,
    compile: bool = False,
) -> History:
    """Train ``model`` until epoch ``epochs``; return the ``History``.

    Each step: ``optimizer.zero_grad()``, ``loss_fn(model(x), y).backward()``,
    ``optimizer.step()``. After each epoch: the training loss and metrics (averaged over the
    epoch's batches, as the model was changing), ``val_`` metrics from ``evaluate`` on
    ``val_loader``, the learning rate, then ``scheduler.step()`` (given the validation loss, or
    the training loss, if it is a ``ReduceLROnPlateau``) and each callback
    ``callback(epoch, row)``; a callback returning True stops training.

    ``verbose``: print each epoch's metrics when it ends (``epoch_line``), above the progress
    bar (``tqdm.write``), flushed: in a terminal, a pipe, a CI log and Jupyter alike.
    ``progress``: a tqdm bar per epoch (default ``default_progress()``: a terminal or Jupyter).
    ``metrics_file``: ``.csv`` or ``.jsonl``, one row per epoch.

    ``checkpoint_path``: at the end, and on Ctrl-C, the state after the last *finished* epoch
    is saved there atomically (``serialization.save``; no pickle): model, optimizer,
    scheduler, the epoch, the history, the RNG state of ``tinygrad_edu.random`` and of the
    train loader's own shuffle, and ``checkpoint_extra`` (under ``"extra"``). Ctrl-C then
    returns the history of the finished epochs with ``interrupted=True`` instead of raising
    (the model in memory is left as it was, part way into the next epoch).

    ``resume``: a checkpoint ``fit`` wrote. The model, optimizer, scheduler and RNG states are
    restored from it and training continues with the next epoch up to ``epochs`` (the total,
    as Keras' ``initial_epoch``/``epochs``): 2 epochs, then a resume to 4, give the same
    weights as 4 epochs straight. Build the same model, optimizer, scheduler and loader first.

    ``compile``: run each training step through ``tg.compile`` (traced on its first two
    batches of each shape, then replayed; the same numbers as without).

    ``writer``: a ``tinygrad_edu.utils.tensorboard.SummaryWriter`` (or PyTorch's) to log to
    TensorBoard. Every tag's step is the global step, the number of optimizer steps so far
    (1 after the first), so all charts share one x axis; a resumed run continues the count
    and hides what an interrupted run logged after its checkpoint (a TensorBoard purge):

    * each step: ``train/loss``, the batch's loss;
    * when an epoch ends: ``epoch`` (its number); ``train/epoch_loss`` and
      ``train/epoch_<metric>`` (e.g. ``train/epoch_accuracy``), the means over the epoch;
      ``val/loss`` and ``val/<metric>`` with a ``val_loader``; ``lr/group0``,
      ``lr/group1``, ... the learning rate each param group trained the epoch with; and the
      histograms ``parameters/<name>`` and ``gradients/<name>`` of every named parameter and
      of its gradient (from the epoch's last step), names as ``model.named_parameters()``.

    ``fit`` flushes the writer when it returns; closing it is the caller's.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)):
        raise TypeError(f"epochs must be an integer, got {type(epochs).__name__}")
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    fns = _resolve_metrics(metrics)
    history = History()
    first = 1
    step = 0  # optimizer steps so far (the TensorBoard step)
    if resume is not None:
        state = load_checkpoint(resume)
        _restore(state, resume, model, optimizer, scheduler, train_loader)
        history.epochs = [dict(row) for row in state["history"]]
        first = int(state["epoch"]) + 1
        step = _resumed_step(state, train_loader)
        if writer is not None:
            _purge_after(writer, step)
        if verbose:
            _say(f"resumed from {resume} after epoch {first - 1}"
                 + ("" if first <= epochs else f"; nothing to train up to epoch {epochs}"))
    show = default_progress() if progress is None else progress
    log = _MetricsFile(metrics_file, history.epochs) if metrics_file is not None else None
    finished = _snapshot(model, optimizer, scheduler, train_loader, first - 1, history.epochs,
                         checkpoint_extra, step) if checkpoint_path is not None else None
    epoch = first

    def save_checkpoint() -> None:
        if checkpoint_path is not None:
            save(finished, checkpoint_path)
            history.checkpoint_path = Path(checkpoint_path)

    train_step = _step_function(model, loss_fn, optimizer, compile)
    try:
        for epoch in range(first, epochs + 1):
            started = time.perf_counter()
            row, step = _train_epoch(model, train_step, optimizer, train_loader, fns, epoch,
                                     epochs, show, writer, step)
            if val_loader is not None:
                row.update({f"val_{k}": v for k, v in evaluate(model, loss_fn, val_loader,
                                                                 fns).items()})
            row["lr"] = float(optimizer.param_groups[0]["lr"])
            if writer is not None:  # before the scheduler changes the learning rate
                _log_epoch(writer, model, optimizer, row, step)
            if scheduler is not None:
                if type(scheduler).__name__ == "ReduceLROnPlateau":
                    scheduler.step(row.get("val_loss", row["loss"]))
                else:
                    scheduler.step()
            history.epochs.append(row)
            with _ctrl_c_after():  # the snapshot, the metrics row and the epoch line: all or none
                if checkpoint_path is not None:
                    finished = _snapshot(model, optimizer, scheduler, train_loader, epoch,
                                         history.epochs, checkpoint_extra, step)
                if log is not None:
                    log.append(row)
                if verbose:
                    shown = row if scheduler is not None else {k: v for k, v in row.items()
                                                                if k != "lr"}
                    _say(epoch_line(shown, epochs, time.perf_counter() - started))
            if any(callback(epoch, row) is True for callback in callbacks):
                break
    except KeyboardInterrupt:
        history.interrupted = True
        done = int(history.epochs[-1]["epoch"]) if history.epochs else first - 1
        if finished is not None:  # the rows that match the saved state
            done = finished["epoch"]
            history.epochs = [dict(row) for row in finished["history"]]
        _holding_off_ctrl_c(save_checkpoint)  # a second Ctrl-C must not cut the save short
        if writer is not None:
            writer.flush()
        if verbose:
            where = (f"saved the state after epoch {done} to {checkpoint_path}; resume with "
                     f"fit(..., resume={str(checkpoint_path)!r})" if checkpoint_path is not None
                     else "nothing saved (no checkpoint_path)")
            _say(f"interrupted during epoch {done + 1}: {where}")
        return history
    save_checkpoint()
    if writer is not None:
        writer.flush()
    return history


@contextlib.contextmanager
def _ctrl_c_after() -> Iterator[None]:
    """A Ctrl-C during the block takes effect when it ends (main thread only, where signals
    arrive): what the block writes about an epoch is then never half done."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed = []
    previous = signal.signal(signal.SIGINT, lambda *_: pressed.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt


def _holding_off_ctrl_c(action: Callable[[], None]) -> None:
    """Run ``action`` with Ctrl-C ignored (in the main thread, where signals arrive): after a
    first Ctrl-C the checkpoint is being written, and a second one would leave none."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        action()
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        action()
    finally:
        signal.signal(signal.SIGINT, previous)


def _length(loader: Iterable[Any]) -> int | None:
    """The number of batches, or None when unknown (a DataLoader over an IterableDataset
    without ``__len__`` is Sized but raises TypeError)."""
    try:
        return len(loader) if isinstance(loader, Sized) else None
    except TypeError:
        return None


def _step_function(model: Any, loss_fn: Callable[[Any, Any], Tensor], optimizer: Any,
                   compiled: bool) -> Callable[[Any, Any], tuple[Any, Tensor]]:
    """One training step, ``(inputs, targets) -> (output, loss)``; through tg.compile if asked."""
    def train_step(inputs: Any, targets: Any) -> tuple[Any, Tensor]:
        optimizer.zero_grad()
        output = model(inputs)
        loss = loss_fn(output, targets)
        loss.backward()
        optimizer.step()
        return output, loss

    if not compiled:
        return train_step
    from .compile import compile as compile_step

    return cast(Callable[[Any, Any], tuple[Any, Tensor]], compile_step(train_step))


def _train_epoch(model: Any, train_step: Callable[[Any, Any], tuple[Any, Tensor]],
                 optimizer: Any, loader: Iterable[Any], fns: Mapping[str, Metric], epoch: int,
                 epochs: int, show: bool, writer: Any, step: int) -> tuple[dict[str, float], int]:
    """One pass over ``loader``: the row of mean training loss and metrics, and the global
    step after it (``step`` counts on from the steps before; each loss goes to ``writer``)."""
    if hasattr(model, "train"):
        model.train()
    totals = dict.fromkeys(["loss", *fns], 0.0)
    count = 0
    total_batches = _length(loader)
    with tqdm(loader, total=total_batches, disable=not show, leave=False,
              desc=f"epoch {epoch}/{epochs}", unit="batch") as bar:
        for batch in bar:
            inputs, targets = _split_batch(batch)
            output, loss = train_step(inputs, targets)
            value = loss.item()
            step += 1
            if writer is not None:
                writer.add_scalar("train/loss", value, step)
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
    return row, step


# ---------------------------------------------------------------------- TensorBoard


def _resumed_step(state: Mapping[str, Any], loader: Iterable[Any]) -> int:
    """The global step a checkpoint ended at (older checkpoints: epochs x batches)."""
    if "global_step" in state:
        return int(state["global_step"])
    batches = _length(loader)
    return int(state["epoch"]) * batches if batches is not None else 0


def _purge_after(writer: Any, step: int) -> None:
    """Hide what an interrupted run logged after step ``step`` (its checkpoint): a session
    start at ``step + 1``, as ``SummaryWriter(purge_step=...)`` writes. Writers without
    PyTorch's ``_get_file_writer`` are left alone."""
    get = getattr(writer, "_get_file_writer", None)
    if get is None:
        return
    from tensorboard.compat.proto.event_pb2 import Event, SessionLog

    get().add_event(Event(session_log=SessionLog(status=SessionLog.START)), step + 1)


def _named_parameters(model: Any, optimizer: Any) -> list[tuple[str, Any]]:
    if hasattr(model, "named_parameters"):
        return list(model.named_parameters())
    return [(f"group{g}.{i}", p) for g, group in enumerate(optimizer.param_groups)
            for i, p in enumerate(group["params"])]


def _log_epoch(writer: Any, model: Any, optimizer: Any, row: Mapping[str, float],
               step: int) -> None:
    """The end-of-epoch summaries of ``fit`` (its docstring lists the tags)."""
    writer.add_scalar("epoch", row["epoch"], step)
    for name, value in row.items():
        if name in ("epoch", "lr"):
            continue
        tag = f"val/{name[4:]}" if name.startswith("val_") else f"train/epoch_{name}"
        writer.add_scalar(tag, value, step)
    for g, group in enumerate(optimizer.param_groups):
        writer.add_scalar(f"lr/group{g}", float(group["lr"]), step)
    for name, p in _named_parameters(model, optimizer):
        writer.add_histogram(f"parameters/{name}", p.detach().numpy(), step)
        if p.grad is not None:
            writer.add_histogram(f"gradients/{name}", p.grad.detach().numpy(), step)
