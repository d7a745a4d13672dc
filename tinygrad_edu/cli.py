"""The ``tinygrad-edu`` command (also ``python -m tinygrad_edu``).

    tinygrad-edu train                      # seed 000's job: softmax regression on Fashion-MNIST
    tinygrad-edu train --model mlp --hidden 512,128 --optimizer sgd --lr 0.1 --dataset mnist \
        --data-dir ../shared/data/mnist-10k
    tinygrad-edu train --model cnn --epochs 8   # the LeNet-style CNN (tinygrad_edu.models)
    tinygrad-edu data                       # where each dataset was found or would go
    tinygrad-edu data download fashion-mnist
    tinygrad-edu train --epochs 20 --resume runs/softmax-fashion-mnist/checkpoint.npz
    tinygrad-edu bench --quick              # training-step benchmark into ./bench-results
    tinygrad-edu graph --grad --values --out step.png   # the graph after backward, with gradients
    tinygrad-edu explore --out step.html    # step through the backward pass in a browser
    tinygrad-edu train --tensorboard        # also log for TensorBoard into runs/.../tensorboard
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from . import data, models, nn, optim
from ._cli_bench import DEFAULT_BENCH_OUT, add_bench_arguments, bench_argv
from ._cli_types import (
    Parser,
    betas,
    fraction,
    int_list,
    nonnegative,
    positive,
)
from .creation import rand as tensor_rand
from .creation import randint
from .random import manual_seed
from .tensor import Tensor
from .train import accuracy, binary_accuracy, evaluate, fit, load_checkpoint

MODELS = ("softmax", "logistic", "mlp", "autoencoder", "cnn")
#: --dropout when not given
DEFAULT_DROPOUT = {"cnn": 0.5}
DATASETS = ("fashion-mnist", "mnist", "xor", "spiral")
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw", "rmsprop", "adagrad", "adadelta")
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU}
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "adam": 1e-3, "adamw": 1e-3, "rmsprop": 1e-3,
              "adagrad": 1e-2, "adadelta": 1.0}


#: The options that must be the same when a run is resumed (the rest may change: --epochs, --out,
#: --data-dir, --no-progress).
RUN_SETTINGS = ("model", "hidden", "activation", "dropout", "dataset", "positive", "optimizer",
                "lr", "momentum", "betas", "weight_decay", "batch_size", "seed")
#: The exit code of a run stopped by Ctrl-C (128 + SIGINT, as a shell reports it).
EXIT_INTERRUPTED = 130


def plural(count: int, word: str) -> str:
    """``1 epoch``, ``2 epochs``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class CLIError(Exception):
    """A problem to report in one line, with exit code 2."""


def _fail(message: str) -> NoReturn:
    raise CLIError(" ".join(line.strip() for line in message.splitlines() if line.strip()))


# ---------------------------------------------------------------------- pieces of a run


def load_dataset(name: str, data_dir: str | None, seed: int) -> tuple[np.ndarray, ...]:
    """(X_train, y_train, X_test, y_test) as float32 rows and int64 labels."""
    if name in ("fashion-mnist", "mnist"):
        cls = data.FashionMNIST if name == "fashion-mnist" else data.MNIST
        try:
            X_train, y_train = cls(root=data_dir, train=True).arrays()
            X_test, y_test = cls(root=data_dir, train=False).arrays()
        except (OSError, ValueError) as e:  # not found, unreadable, corrupt (IDXError)
            _fail(f"{e}")
        for split, X in (("training", X_train), ("test", X_test)):
            if len(X) == 0:
                _fail(f"the {name} {split} split in {data_dir or 'the data directory'} has no "
                      "samples")
        return X_train, y_train, X_test, y_test
    if name == "xor":
        X, y = data.make_xor()
        y = y.reshape(-1).astype(np.int64)
        return X, y, X, y
    X, y = data.make_spiral(200, 3, seed=seed)
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.25, seed=seed)
    return X_train, y_train, X_test, y_test


def build_model(args: argparse.Namespace, in_features: int, classes: int) -> nn.Module:
    try:
        return _build_model(args, in_features, classes)
    except (MemoryError, ValueError) as e:  # NumPy: "array is too big"
        _fail(f"cannot build the {args.model} model with --hidden "
              f"{','.join(map(str, args.hidden))}: {e or 'out of memory'}")


def _dropout(args: argparse.Namespace) -> float:
    return DEFAULT_DROPOUT.get(args.model, 0.0) if args.dropout is None else args.dropout


def _build_model(args: argparse.Namespace, in_features: int, classes: int) -> nn.Module:
    activation = ACTIVATIONS[args.activation]
    if args.model == "cnn":  # 1x28x28 images; --hidden and --activation do not apply
        return models.lenet_bn(dropout=_dropout(args), classes=classes)
    if args.model == "softmax":
        return nn.Linear(in_features, classes)
    if args.model == "logistic":
        return nn.Linear(in_features, 1)
    widths = [in_features, *args.hidden]
    layers: list[nn.Module] = []
    if args.model == "autoencoder":
        code = args.hidden[0]
        return nn.Sequential(nn.Linear(in_features, code), activation(),
                             nn.Linear(code, in_features), nn.Sigmoid())
    for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [nn.Linear(fan_in, fan_out), activation()]
        if _dropout(args) > 0:
            layers.append(nn.Dropout(_dropout(args)))
    layers.append(nn.Linear(widths[-1], classes))
    return nn.Sequential(*layers)


def build_optimizer(args: argparse.Namespace, params: Any) -> optim.Optimizer:
    lr = args.lr if args.lr is not None else DEFAULT_LR[args.optimizer]
    wd = args.weight_decay
    try:
        if args.optimizer == "sgd":
            return optim.SGD(params, lr=lr, weight_decay=wd)
        if args.optimizer == "momentum":
            return optim.SGD(params, lr=lr, momentum=args.momentum, weight_decay=wd)
        if args.optimizer in ("adam", "adamw"):
            cls = optim.Adam if args.optimizer == "adam" else optim.AdamW
            return cls(params, lr=lr, betas=tuple(args.betas), weight_decay=wd)
        if args.optimizer == "rmsprop":
            return optim.RMSprop(params, lr=lr, momentum=args.momentum if args.momentum else 0,
                                 weight_decay=wd)
        if args.optimizer == "adagrad":
            return optim.Adagrad(params, lr=lr, weight_decay=wd)
        return optim.Adadelta(params, lr=lr, weight_decay=wd)
    except (TypeError, ValueError) as e:
        _fail(f"--optimizer {args.optimizer}: {e}")


def task(args: argparse.Namespace, y_train: np.ndarray) -> tuple[Callable[..., Any], dict, Any]:
    """(loss function, metrics, target transform) for the model."""
    if args.model == "logistic":
        def one_vs_rest(y: np.ndarray) -> np.ndarray:
            return (y == args.positive).astype(np.float32).reshape(-1, 1)
        metric = partial(binary_accuracy, threshold=0.0)  # the model outputs logits
        return nn.BCEWithLogitsLoss(), {"accuracy": metric}, one_vs_rest
    if args.model == "autoencoder":
        return nn.MSELoss(), {}, None
    return nn.CrossEntropyLoss(), {"accuracy": accuracy}, lambda y: y


# ---------------------------------------------------------------------- commands


def _check_positive_class(args: argparse.Namespace, classes: int, where: str) -> None:
    """One-vs-rest needs a positive class that exists, or every label is 0 (and the accuracy
    of predicting "no" everywhere looks perfect)."""
    if args.model == "logistic" and not 0 <= args.positive < classes:
        _fail(f"--positive {args.positive} is not a class of {where} (classes are 0 to "
              f"{classes - 1})")


def _output_dir(out: Path, option: str = "--out") -> Path:
    """Create ``out`` (a directory) and check it can be written, before any work is done."""
    if out.exists() and not out.is_dir():
        _fail(f"{option} {out} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        _fail(f"{option} {out}: cannot create the directory ({e.strerror or e})")
    if not os.access(out, os.W_OK | os.X_OK):
        _fail(f"{option} {out}: the directory is not writable")
    return out


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    return {name: getattr(args, name) for name in RUN_SETTINGS}


def _check_resume(args: argparse.Namespace) -> Path:
    """The checkpoint to resume from, read and checked against this command line's settings
    before any data is loaded."""
    path = Path(args.resume)
    try:
        saved = load_checkpoint(path)
    except (OSError, ValueError) as e:
        _fail(f"--resume {path}: {e.strerror if isinstance(e, OSError) and e.strerror else e}")
    before = saved["extra"].get("settings")
    if not isinstance(before, dict):
        _fail(f"--resume {path}: this checkpoint was not written by tinygrad-edu train")
    changed = [f"--{name.replace('_', '-')} {before.get(name)!r} -> {value!r}"
               for name, value in _settings(args).items() if before.get(name) != value]
    if changed:
        _fail(f"--resume {path}: the run was started with other settings ({'; '.join(changed)});"
              " give the same options (only --epochs, --out, --data-dir and --no-progress may "
              "change)")
    return path


def _resume_command(args: argparse.Namespace, checkpoint: Path) -> str:
    """This command line with ``--resume checkpoint`` instead of any ``--resume``."""
    argv, skip = [], False
    for word in args.argv:
        if skip:
            skip = False
        elif word == "--resume":
            skip = True
        elif not word.startswith("--resume="):
            argv.append(word)
    return shlex.join(["tinygrad-edu", *argv, "--resume", str(checkpoint)])


def cmd_train(args: argparse.Namespace) -> int:
    resume = _check_resume(args) if args.resume is not None else None
    if args.data_dir is not None and args.dataset not in ("fashion-mnist", "mnist"):
        _fail(f"--data-dir applies to mnist and fashion-mnist only; {args.dataset} is "
              "generated, not read")
    if args.model == "cnn" and args.dataset not in ("fashion-mnist", "mnist"):
        _fail(f"--model cnn takes 28x28 images (fashion-mnist or mnist), not {args.dataset}")
    out = _output_dir(Path(args.out or f"runs/{args.model}-{args.dataset}"))
    manual_seed(args.seed)
    X_train, y_train, X_test, y_test = load_dataset(args.dataset, args.data_dir, args.seed)
    if args.model == "cnn":  # rows of 784 pixels -> images (N, 1, 28, 28)
        X_train, X_test = (X.reshape(-1, 1, 28, 28) for X in (X_train, X_test))
    classes = int(max(y_train.max(), y_test.max())) + 1
    _check_positive_class(args, classes, args.dataset)
    loss_fn, metrics, target = task(args, y_train)
    if target is None:  # autoencoder: the target is the input
        train_set = data.TensorDataset(X_train, X_train)
        test_set = data.TensorDataset(X_test, X_test)
    else:
        train_set = data.TensorDataset(X_train, target(y_train))
        test_set = data.TensorDataset(X_test, target(y_test))
    train_loader = data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                                   seed=args.seed)
    test_loader = data.DataLoader(test_set, batch_size=1000)

    model = build_model(args, X_train.shape[1], classes)
    optimizer = build_optimizer(args, model.parameters())
    print(f"{args.model} on {args.dataset}: {len(X_train)} train / {len(X_test)} test samples, "
          f"{plural(sum(p.numel() for p in model.parameters()), 'parameter')}, "
          f"{args.optimizer} lr={optimizer.param_groups[0]['lr']}, "
          f"{plural(args.epochs, 'epoch')}, writing to {out}/", flush=True)
    checkpoint = out / "checkpoint.npz"
    writer = _tensorboard_writer(args, out, model, X_train)
    try:
        history = fit(model, loss_fn, optimizer, train_loader, epochs=args.epochs,
                      val_loader=test_loader, metrics=metrics,
                      progress=None if args.progress else False,
                      metrics_file=out / "metrics.csv", checkpoint_path=checkpoint,
                      resume=resume, checkpoint_extra={"settings": _settings(args)},
                      writer=writer, compile=args.compile)
    except FloatingPointError as e:  # divergence: no accuracy of a NaN model is reported
        _fail(f"training diverged: {e} (--optimizer {args.optimizer}, "
              f"lr={optimizer.param_groups[0]['lr']})")
    except OSError as e:
        _fail(f"cannot write into {out}: {e}")
    except (RuntimeError, ValueError) as e:  # a checkpoint that does not fit this model
        _fail(f"--resume {resume}: {e}")
    finally:
        if writer is not None:
            writer.close()
    if history.interrupted:
        print(f"to resume: {_resume_command(args, checkpoint)}", flush=True)
        return EXIT_INTERRUPTED
    try:
        from .viz.plots import plot_history

        plot_history(history, out / "history.png")
        print(f"plot: {out / 'history.png'}")
    except ImportError:
        print("(install matplotlib for the loss/accuracy plot: pip install tinygrad_edu[plot])")
    except OSError as e:
        _fail(f"cannot write the plot into {out}: {e}")
    final = evaluate(model, loss_fn, test_loader, metrics)
    if not all(math.isfinite(v) for v in final.values()):
        _fail(f"training diverged: the test metrics are {final}")
    if "accuracy" in final:
        print(f"test accuracy: {final['accuracy']:.2%}")
    else:
        print(f"test loss: {final['loss']:.5f}")
    return 0


def _tensorboard_writer(args: argparse.Namespace, out: Path, model: nn.Module,
                        X_train: np.ndarray) -> Any:
    """``--tensorboard [DIR]``: a SummaryWriter into DIR (default ``<out>/tensorboard``, so a
    resumed run goes on in the same run) with the model's graph; None without the option."""
    if args.tensorboard is None:
        return None
    try:
        from .utils.tensorboard import SummaryWriter, default_log_dir
    except ImportError as e:
        _fail(str(e))
    log_dir = Path(args.tensorboard) if args.tensorboard else default_log_dir(out)
    writer = SummaryWriter(str(log_dir))
    if args.resume is None:  # a resumed run has its graph already (one graph event per run)
        writer.add_graph(model, Tensor(X_train[: args.batch_size]))
    print(f"TensorBoard: tensorboard --logdir {log_dir}", flush=True)
    return writer


def graph_of_one_step(args: argparse.Namespace) -> tuple[Any, dict[str, Any], nn.Module]:
    """The loss of one training step of a preset model on a random batch, before backward."""
    in_features, classes, batch = 784, 10, args.batch_size
    x = tensor_rand(batch, 1, 28, 28) if args.model == "cnn" else tensor_rand(batch, in_features)
    model = build_model(args, in_features, classes)
    names: dict[str, Any] = {"images": x}
    if args.model == "logistic":
        y = (randint(0, 10, (batch, 1)) == args.positive).float()
        loss = nn.BCEWithLogitsLoss()(model(x), y)
        names["labels (1 vs rest)"] = y
    elif args.model == "autoencoder":
        loss = nn.MSELoss()(model(x), x)
    else:
        y = randint(0, classes, (batch,))
        loss = nn.CrossEntropyLoss()(model(x), y)
        names["labels"] = y
    names["loss"] = loss
    return loss, names, model


def cmd_graph(args: argparse.Namespace) -> int:
    from .viz.graph import GraphvizNotFoundError, render, to_dot

    out = Path(args.out)
    fmt = args.format or (out.suffix.lstrip(".") or "svg")
    if fmt not in ("svg", "png", "pdf", "dot"):
        _fail(f"--format must be svg, png, pdf or dot, got {fmt!r} (from the --out suffix; "
              "pass --format)")
    if args.format and out.suffix and out.suffix.lstrip(".") != args.format:
        _fail(f"--format {args.format} does not match --out {out} (its suffix is {out.suffix}); "
              f"give --out {out.with_suffix('.' + args.format)} or leave --format out")
    if out.is_dir() or out.with_suffix(f".{fmt}").is_dir():
        _fail(f"--out {out} is a directory; give a file name such as {out / 'graph.svg'}")
    _output_dir(out.parent, "--out's directory")
    _check_positive_class(args, 10, "the random labels of the graph command")
    manual_seed(args.seed)
    import contextlib

    from .autograd import watch  # values of intermediates: only what watch() recorded

    watching = args.watch or args.values or args.grad
    with watch() if watching else contextlib.nullcontext():
        loss, names, model = graph_of_one_step(args)
        if args.grad:
            loss.backward()
    dot = to_dot(loss, params=names, model=model, show_values=args.values, show_grad=True,
                 rankdir=args.rankdir, show_saved=args.saved, show_attrs=args.attrs,
                 show_formula=args.formula)
    try:
        if fmt == "dot":
            out.write_text(dot)
            print(f"graph: {out}")
            return 0
        written = render(dot, out.with_suffix(f".{fmt}"), format=fmt)
    except GraphvizNotFoundError as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"cannot write the graph to {out}: {e}")
    print(f"graph: {written}")
    return 0


def cmd_explore(args: argparse.Namespace) -> int:
    from .viz.explore import run_command

    out = Path(args.out)
    if out.is_dir():
        _fail(f"--out {out} is a directory; give a file name such as {out / 'explore.html'}")
    _output_dir(out.parent, "--out's directory")
    _check_positive_class(args, 10, "the random labels of the explore command")
    try:
        written = run_command(args, graph_of_one_step)  # seeds, records under watch(), writes
    except OSError as e:
        _fail(f"cannot write the page to {out}: {e}")
    print(f"explorer: {written} (open it in a browser: one file, works offline)")
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    if args.action == "download":
        if args.name is None:
            _fail("data download needs a dataset name: mnist or fashion-mnist")
        try:
            path = data.download(args.name, args.dir)
        except (OSError, ValueError) as e:
            _fail(f"download of {args.name} failed: {e}")
        print(f"{args.name}: downloaded to {path}")
        return 0
    for location in data.where(args.name, root=args.dir, verify=False):
        print(location)
    return 0


# ---------------------------------------------------------------------- tinygrad-edu bench


#: The benchmark harness, next to the package in a source checkout (not in a wheel).
BENCH_SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_step.py"


def cmd_bench(args: argparse.Namespace) -> int:
    """Run ``benchmarks/bench_step.py`` with the checked options, in a fresh Python (it starts
    one worker process per thread count and per memory measurement anyway)."""
    if not BENCH_SCRIPT.is_file():
        _fail(f"the benchmark harness {BENCH_SCRIPT} is not there: it is part of a source "
              "checkout of tinygrad_edu, not of the installed package")
    args.out = str(_output_dir(Path(args.out)).resolve())  # before minutes of timing
    print(f"bench: writing into {args.out}", flush=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(BENCH_SCRIPT.parent.parent), os.environ.get("PYTHONPATH")]))}
    sys.stdout.flush()
    return subprocess.run([sys.executable, str(BENCH_SCRIPT), *bench_argv(args)],
                          env=env, check=False).returncode


# ---------------------------------------------------------------------- argument parsing


def _add_step_model_options(parser: argparse.ArgumentParser) -> None:
    """The preset model of one step (``graph_of_one_step``), for graph and explore."""
    parser.add_argument("--model", choices=MODELS, default="mlp")
    parser.add_argument("--hidden", type=int_list, default=[64])
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu")
    parser.add_argument("--dropout", type=fraction, default=None)
    parser.add_argument("--positive", type=nonnegative(int), default=1)


def make_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="tinygrad-edu", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser("train", help="train a model and report its test accuracy",
                                description="Train a preset model; prints each epoch's metrics "
                                "as it ends and writes metrics.csv, checkpoint.npz and "
                                "history.png into --out. Ctrl-C saves the last finished epoch "
                                "(exit code 130); --resume continues from it.")
    train.add_argument("--model", choices=MODELS, default="softmax")
    train.add_argument("--hidden", type=int_list, default=[64],
                       help="hidden widths for mlp (e.g. 512,128) or the code size of the "
                       "autoencoder (default 64)")
    train.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu")
    train.add_argument("--dropout", type=fraction, default=None,
                       help="dropout probability (default 0.5 for cnn, else 0)")
    train.add_argument("--dataset", choices=DATASETS, default="fashion-mnist")
    train.add_argument("--positive", type=nonnegative(int), default=1,
                       help="the positive class of --model logistic (one vs rest)")
    train.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    train.add_argument("--lr", type=positive(float), default=None,
                       help="learning rate (default depends on the optimizer)")
    train.add_argument("--momentum", type=fraction, default=0.9)
    train.add_argument("--betas", type=betas, default=[0.9, 0.999])
    train.add_argument("--weight-decay", type=nonnegative(float), default=0.0)
    train.add_argument("--epochs", type=positive(int), default=10)
    train.add_argument("--batch-size", type=positive(int), default=100)
    train.add_argument("--seed", type=nonnegative(int), default=0)
    train.add_argument("--data-dir", default=None,
                       help="directory holding the IDX files (default: search the usual places)")
    train.add_argument("--out", default=None, help="output directory (default runs/MODEL-DATA)")
    train.add_argument("--no-progress", dest="progress", action="store_false",
                       help="no progress bar (the epoch lines are printed still)")
    train.add_argument("--resume", default=None, metavar="PATH",
                       help="continue from a checkpoint.npz of an earlier run with the same "
                       "options, up to --epochs in all (Ctrl-C saves one and prints the command)")
    train.add_argument("--compile", action="store_true",
                       help="run each step through tg.compile: traced on its first batches, "
                       "then replayed (the same numbers, less Python per step)")
    train.add_argument("--tensorboard", nargs="?", const="", default=None, metavar="DIR",
                       help="log the step loss, epoch metrics, learning rates and weight and "
                       "gradient histograms for TensorBoard into DIR (default <out>/tensorboard; "
                       "needs pip install tinygrad_edu[tensorboard])")
    train.set_defaults(func=cmd_train)

    graph = commands.add_parser("graph", help="draw the graph of one training step",
                                description="Draw the computation graph that autograd records "
                                "for one training step of a preset model (batch of random "
                                "784-pixel images).")
    _add_step_model_options(graph)
    graph.add_argument("--batch-size", type=positive(int), default=100)
    graph.add_argument("--format", choices=["svg", "png", "pdf", "dot"], default=None,
                       help="default: from the --out suffix, else svg")
    graph.add_argument("--values", action="store_true",
                       help="show each tensor's values (every value of a small tensor, else "
                       "norm, mean and max |x|); implies --watch")
    graph.add_argument("--grad", action="store_true",
                       help="run backward() once and show each tensor's gradient; implies "
                       "--watch")
    graph.add_argument("--saved", action="store_true",
                       help="show what each op saved for backward (freed after --grad)")
    graph.add_argument("--attrs", action="store_true",
                       help="show each op's settings (dim, stride, padding, ...)")
    graph.add_argument("--formula", action="store_true",
                       help="show each op's local derivative in its label")
    graph.add_argument("--watch", action="store_true",
                       help="record the step under tg.autograd.watch(), so that intermediate "
                       "values and gradients are known")
    graph.add_argument("--rankdir", choices=["TB", "LR"], default="TB")
    graph.add_argument("--seed", type=nonnegative(int), default=0)
    graph.add_argument("--out", required=True, help="output file, e.g. graph.svg")
    graph.set_defaults(func=cmd_graph)

    explore = commands.add_parser(
        "explore", help="step through the backward pass of one training step",
        description="Record one training step of a preset model on a random batch under "
        "watch() and write an HTML page (one file, offline) that steps through its backward "
        "pass node by node.")
    _add_step_model_options(explore)
    explore.add_argument("--batch-size", type=positive(int), default=8,
                         help="small batches keep every value readable (default 8)")
    explore.add_argument("--seed", type=nonnegative(int), default=0)
    explore.add_argument("--out", default="explore.html", help="output file (default explore.html)")
    explore.add_argument("--open", action="store_true", help="open the page in the default browser")
    explore.set_defaults(func=cmd_explore)

    data_cmd = commands.add_parser("data", help="show where datasets are, or download one")
    data_cmd.add_argument("action", nargs="?", choices=["where", "download"], default="where")
    data_cmd.add_argument("name", nargs="?", choices=["mnist", "fashion-mnist"], default=None)
    data_cmd.add_argument("--dir", default=None, help="download into this directory")
    data_cmd.set_defaults(func=cmd_data)

    bench_cmd = commands.add_parser(
        "bench", help="time a training step against the closed form and PyTorch",
        description="Training-step benchmark of five models (A-E): tinygrad_edu vs the "
        "closed-form NumPy step vs PyTorch, at each thread count in its own process, after a "
        "check that all implementations compute the same losses. Runs the harness "
        "benchmarks/bench_step.py of the source checkout; writes bench_step.json, .md and .png "
        f"into --out (default ./{DEFAULT_BENCH_OUT}).")
    add_bench_arguments(bench_cmd)
    bench_cmd.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; a usage problem or an impossible setting is one line on stderr and
    exit code 2, as is a run that diverged or ran out of memory (never a traceback)."""
    args = make_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for the resume hint
    try:
        with np.errstate(all="ignore"):  # a diverging run is reported once, below
            return int(args.func(args))
    except CLIError as e:
        message = str(e)
    except KeyboardInterrupt:  # outside fit (loading data, plotting): nothing to save
        print("tinygrad-edu: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError:
        message = "not enough memory for these settings (try a smaller --batch-size or --hidden)"
    print(f"tinygrad-edu: error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
