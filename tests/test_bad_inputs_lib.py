"""Wrong usage of the library, case by case: each raises PyTorch's exception type (where
PyTorch raises) with a message naming the problem -- never an internal error, never silence.
Where PyTorch accepts the input, the second table checks we give PyTorch's result.

Every case is ``(call, error, fragment)``: ``call(tmp_path)`` must raise exactly ``error`` (or
a subclass) and ``fragment`` must be in its message.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import math
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import cli, nn, optim
from tinygrad_edu.data import (
    MNIST,
    DataLoader,
    DatasetNotFoundError,
    IDXError,
    TensorDataset,
    default_collate,
    download,
    make_moons,
    make_spiral,
    normalize,
    one_hot,
    read_idx,
    train_test_split,
    write_idx,
)
from tinygrad_edu.nn import init
from tinygrad_edu.nn.utils import clip_grad_norm_, parameters_to_vector, vector_to_parameters
from tinygrad_edu.optim import lr_scheduler as S
from tinygrad_edu.serialization import CheckpointError, load, save

Call = Callable[[Path], Any]


# ------------------------------------------------------------------------------ helpers


def param(*shape: int) -> nn.Parameter:
    return nn.Parameter(np.zeros(shape or (2,), np.float32))


def sgd() -> optim.SGD:
    return optim.SGD([param()], lr=0.1)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def idx_bytes(code: int, dims: list[int], payload: bytes = b"") -> bytes:
    return bytes([0, 0, code, len(dims)]) + np.asarray(dims, ">u4").tobytes() + payload


def mnist_dir(t: Path, images: np.ndarray, labels: np.ndarray) -> Path:
    root = t / "mnist"
    root.mkdir()
    write_idx(root / "train-images-idx3-ubyte", images)
    write_idx(root / "train-labels-idx1-ubyte", labels)
    return root


def set_attr(obj: Any, name: str, value: Any) -> None:
    setattr(obj, name, value)


class EarlyParameter(nn.Module):
    def __init__(self) -> None:
        self.w = param()  # before super().__init__()


class CLIExit(Exception):
    """``cli.main`` ended with a non-zero code; the message is its one stderr line."""


def run_cli(*args: str) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = cli.main(list(args))
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
    lines = [line for line in err.getvalue().splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err.getvalue(), err.getvalue()
    raise CLIExit(lines[0])


def torch_zip(t: Path) -> Path:
    path = t / "model.pt"
    with zipfile.ZipFile(path, "w") as zf:  # the layout torch.save writes
        zf.writestr("model/data.pkl", b"\x80\x02}q\x00.")
        zf.writestr("model/version", b"3\n")
    return path


def saved_then_cut(t: Path) -> Path:
    path = t / "c.npz"
    save({"w": np.arange(1000.0)}, path)
    path.write_bytes(path.read_bytes()[:500])
    return path


def npz_without_meta(t: Path) -> Path:
    path = t / "plain.npz"
    np.savez(path, a=np.arange(3))
    return path


def npy_file(t: Path) -> Path:
    path = t / "a.npy"
    np.save(path, np.arange(3))
    return path


def loop() -> list[Any]:
    x: list[Any] = []
    x.append(x)
    return x


# ------------------------------------------------------------------------------ the table

CASES = [
    # ---------------------------------------------------------------- nn layers
    pytest.param(lambda t: nn.Linear(2.5, 3), TypeError, "in_features must be an int",
                 id="Linear-float-in"),
    pytest.param(lambda t: nn.Linear(2, "3"), TypeError, "out_features must be an int",
                 id="Linear-str-out"),
    pytest.param(lambda t: nn.Linear(-1, 3), RuntimeError, "negative dimension",
                 id="Linear-negative-in"),
    pytest.param(lambda t: nn.Linear(2, -3), RuntimeError, "out_features=-3",
                 id="Linear-negative-out"),
    pytest.param(lambda t: nn.Linear(2, 3)(tg.zeros(4, 5)), ValueError, "in_features = 2",
                 id="Linear-input-width"),
    pytest.param(lambda t: nn.Dropout(1.5), ValueError, "between 0 and 1", id="Dropout-p>1"),
    pytest.param(lambda t: nn.Dropout("a"), TypeError, "dropout probability",
                 id="Dropout-p-str"),
    pytest.param(lambda t: nn.LeakyReLU("a"), TypeError, "negative_slope must be a real",
                 id="LeakyReLU-slope-str"),
    pytest.param(lambda t: nn.Softmax("a"), TypeError, "dim must be an int", id="Softmax-dim"),
    pytest.param(lambda t: nn.LogSoftmax(1.5), TypeError, "dim must be an int",
                 id="LogSoftmax-dim"),
    pytest.param(lambda t: nn.Flatten(1.5), TypeError, "start_dim must be an int",
                 id="Flatten-start"),
    pytest.param(lambda t: nn.Flatten(0, "x"), TypeError, "end_dim must be an int",
                 id="Flatten-end"),
    pytest.param(lambda t: nn.Sequential(1), TypeError, "not a Module", id="Sequential-int"),
    pytest.param(lambda t: nn.Sequential(nn.ReLU())[3], IndexError, "out of range",
                 id="Sequential-index"),
    pytest.param(lambda t: nn.Sequential().append(3), TypeError, "is not a Module subclass",
                 id="Sequential-append-int"),
    pytest.param(lambda t: nn.Sequential(nn.ReLU()).insert(5, nn.ReLU()), IndexError,
                 "out of range", id="Sequential-insert"),
    # ---------------------------------------------------------------- Module API
    pytest.param(lambda t: nn.Linear(2, 3).register_parameter(3, None), TypeError,
                 "should be a string", id="register-int-name"),
    pytest.param(lambda t: nn.Linear(2, 3).register_parameter("a.b", None), KeyError,
                 "can't contain", id="register-dotted-name"),
    pytest.param(lambda t: nn.Linear(2, 3).register_parameter("", None), KeyError,
                 "empty string", id="register-empty-name"),
    pytest.param(lambda t: nn.Linear(2, 3).register_parameter("forward", None), KeyError,
                 "already exists", id="register-existing-attr"),
    pytest.param(lambda t: nn.Linear(2, 3).register_parameter("x", tg.zeros(2)), TypeError,
                 "Parameter or None required", id="register-plain-tensor"),
    pytest.param(lambda t: nn.Linear(2, 3).register_buffer("b", 3), TypeError,
                 "buffer 'b'", id="register-buffer-int"),
    pytest.param(lambda t: set_attr(nn.Linear(2, 3), "weight", tg.zeros(3, 2)), TypeError,
                 "as parameter 'weight'", id="assign-tensor-to-parameter"),
    pytest.param(lambda t: set_attr(nn.Linear(2, 3), "weight", 3), TypeError,
                 "Parameter or None expected", id="assign-int-to-parameter"),
    pytest.param(lambda t: nn.Linear(2, 3).load_state_dict(
        {"weight": tg.zeros(2, 2), "bias": tg.zeros(3)}), RuntimeError,
        "size mismatch for weight", id="load-state-shape"),
    pytest.param(lambda t: nn.Linear(2, 3).load_state_dict({"weight": tg.zeros(3, 2)}),
                 RuntimeError, 'Missing key(s) in state_dict: "bias"', id="load-state-missing"),
    pytest.param(lambda t: nn.Linear(2, 3).load_state_dict(
        {"weight": tg.zeros(3, 2), "bias": tg.zeros(3), "x": tg.zeros(1)}), RuntimeError,
        'Unexpected key(s) in state_dict: "x"', id="load-state-unexpected"),
    pytest.param(lambda t: nn.Linear(2, 3).load_state_dict([1]), TypeError,
                 "expected a mapping", id="load-state-list"),
    pytest.param(lambda t: nn.Linear(2, 3).load_state_dict(
        {"weight": "abc", "bias": tg.zeros(3)}), RuntimeError, "not numeric",
        id="load-state-str-value"),
    pytest.param(lambda t: nn.Linear(2, 3).add_module("z", 3), TypeError,
                 "is not a Module subclass", id="add-module-int"),
    pytest.param(lambda t: nn.Linear(2, 3).to("cuda"), RuntimeError, "computes on the CPU",
                 id="to-cuda"),
    pytest.param(lambda t: nn.Linear(2, 3).to(np.int32), TypeError, "floating point",
                 id="to-int-dtype"),
    pytest.param(lambda t: nn.Linear(2, 3).train("yes"), ValueError, "expected to be boolean",
                 id="train-str"),
    pytest.param(lambda t: nn.Module()(1), NotImplementedError, '"forward"',
                 id="module-without-forward"),
    pytest.param(lambda t: nn.Linear(2, 3).nope, AttributeError, "has no attribute 'nope'",
                 id="missing-attribute"),
    pytest.param(lambda t: EarlyParameter(), AttributeError, "before Module.__init__",
                 id="parameter-before-init"),
    # ---------------------------------------------------------------- nn.init, nn.utils
    pytest.param(lambda t: init.uniform_(tg.zeros(3), 1.0, 0.0), RuntimeError,
                 "[from, to) range", id="init-uniform-a>b"),
    pytest.param(lambda t: init.normal_(tg.zeros(3), 0.0, -1.0), RuntimeError, "std >= 0.0",
                 id="init-normal-negative-std"),
    pytest.param(lambda t: init.xavier_uniform_(tg.zeros(3)), ValueError,
                 "fewer than 2 dimensions", id="init-xavier-1d"),
    pytest.param(lambda t: init.kaiming_uniform_(tg.zeros(3, 2), mode="x"), ValueError,
                 "Mode x not supported", id="init-kaiming-mode"),
    pytest.param(lambda t: init.calculate_gain("foo"), ValueError, "Unsupported nonlinearity",
                 id="init-gain-unknown"),
    pytest.param(lambda t: init.constant_(tg.zeros(3), "a"), TypeError, "val must be a number",
                 id="init-constant-str"),
    pytest.param(lambda t: init.uniform_([1.0, 2.0]), TypeError, "expected a Tensor",
                 id="init-not-a-tensor"),
    pytest.param(lambda t: parameters_to_vector([]), ValueError, "at least one parameter",
                 id="p2v-empty"),
    pytest.param(lambda t: vector_to_parameters(tg.zeros(2), [param(3)]), ValueError,
                 "3 elements", id="v2p-length"),
    pytest.param(lambda t: vector_to_parameters([1, 2], [param(2)]), TypeError,
                 "expected vec to be a Tensor", id="v2p-list"),
    pytest.param(lambda t: clip_grad_norm_([_with_grad(np.inf)], 1.0, error_if_nonfinite=True),
                 RuntimeError, "non-finite", id="clip-nonfinite"),
    # ---------------------------------------------------------------- optimizers
    pytest.param(lambda t: optim.SGD([param()], lr=-1), ValueError, "Invalid learning rate: -1",
                 id="SGD-lr-negative"),
    pytest.param(lambda t: optim.SGD([param()], lr="a"), TypeError, "lr must be a real number",
                 id="SGD-lr-str"),
    pytest.param(lambda t: optim.SGD([param()], lr=math.nan), ValueError,
                 "Invalid learning rate: nan", id="SGD-lr-nan"),
    pytest.param(lambda t: optim.SGD([param()], lr=0.1, momentum=-1), ValueError,
                 "Invalid momentum value: -1", id="SGD-momentum-negative"),
    pytest.param(lambda t: optim.SGD([param()], lr=0.1, weight_decay=-1), ValueError,
                 "Invalid weight_decay value: -1", id="SGD-wd-negative"),
    pytest.param(lambda t: optim.SGD([param()], lr=0.1, nesterov=True), ValueError,
                 "Nesterov momentum requires a momentum", id="SGD-nesterov-no-momentum"),
    pytest.param(lambda t: optim.SGD([param()], lr=0.1, momentum=0.9, dampening=0.5,
                                     nesterov=True), ValueError, "zero dampening",
                 id="SGD-nesterov-dampening"),
    pytest.param(lambda t: optim.SGD([], lr=0.1), ValueError, "empty parameter list",
                 id="SGD-empty"),
    pytest.param(lambda t: optim.SGD([1], lr=0.1), TypeError, "one of the params is int",
                 id="SGD-int-param"),
    pytest.param(lambda t: optim.SGD([p := param(), p], lr=0.1), ValueError,
                 "appears more than once", id="SGD-duplicate"),
    pytest.param(lambda t: optim.SGD([{"params": [p := param()]}, {"params": [p]}], lr=0.1),
                 ValueError, "more than one parameter group", id="SGD-duplicate-groups"),
    pytest.param(lambda t: optim.SGD({"params": [param()]}, lr=0.1), TypeError, "got a dict",
                 id="SGD-bare-dict"),
    pytest.param(lambda t: optim.SGD(param(), lr=0.1), TypeError, "single Tensor",
                 id="SGD-single-tensor"),
    pytest.param(lambda t: optim.SGD({param()}, lr=0.1), TypeError, "not a set",
                 id="SGD-set"),
    pytest.param(lambda t: optim.SGD(5, lr=0.1), TypeError, "should be an iterable",
                 id="SGD-not-iterable"),
    pytest.param(lambda t: optim.SGD([{"lr": 1.0}], lr=0.1), KeyError, "no 'params' entry",
                 id="SGD-group-without-params"),
    pytest.param(lambda t: optim.SGD([param() * 2], lr=0.1), ValueError, "non-leaf",
                 id="SGD-non-leaf"),
    pytest.param(lambda t: optim.Adam([param()], betas=(1.0, 0.9)), ValueError,
                 "Invalid beta parameter at index 0: 1.0", id="Adam-beta1-one"),
    pytest.param(lambda t: optim.Adam([param()], betas=(0.9,)), ValueError, "must be a pair",
                 id="Adam-betas-single"),
    pytest.param(lambda t: optim.Adam([param()], betas=("a", 0.9)), TypeError,
                 "betas[0] must be a real number", id="Adam-beta-str"),
    pytest.param(lambda t: optim.Adam([param()], eps=-1), ValueError,
                 "Invalid epsilon value: -1", id="Adam-eps-negative"),
    pytest.param(lambda t: optim.AdamW([param()], weight_decay=-1), ValueError,
                 "Invalid weight_decay value", id="AdamW-wd-negative"),
    pytest.param(lambda t: optim.RMSprop([param()], alpha=-1), ValueError,
                 "Invalid alpha value: -1", id="RMSprop-alpha"),
    pytest.param(lambda t: optim.RMSprop([param()], momentum=-1), ValueError,
                 "Invalid momentum value", id="RMSprop-momentum"),
    pytest.param(lambda t: optim.Adagrad([param()], lr_decay=-1), ValueError,
                 "Invalid lr_decay value", id="Adagrad-lr-decay"),
    pytest.param(lambda t: optim.Adagrad([param()], initial_accumulator_value=-1), ValueError,
                 "Invalid initial_accumulator_value value", id="Adagrad-initial-accumulator"),
    pytest.param(lambda t: optim.Adadelta([param()], rho=1.5), ValueError,
                 "Invalid rho value: 1.5", id="Adadelta-rho"),
    pytest.param(lambda t: sgd().add_param_group({"params": [param()], "lr": -1}), ValueError,
                 "param group 1", id="add-group-bad-lr"),
    pytest.param(lambda t: sgd().add_param_group([param()]), TypeError, "must be a dict",
                 id="add-group-list"),
    pytest.param(lambda t: sgd().load_state_dict({}), ValueError, "'state' and 'param_groups'",
                 id="optim-load-empty-dict"),
    pytest.param(lambda t: sgd().load_state_dict({"state": {}, "param_groups": []}),
                 ValueError, "0 parameter groups", id="optim-load-group-count"),
    # ---------------------------------------------------------------- lr schedulers
    pytest.param(lambda t: S.StepLR(sgd(), step_size=0), ValueError, "step_size=0",
                 id="StepLR-step-size-0"),
    pytest.param(lambda t: S.StepLR(sgd(), step_size=1.5), ValueError, "must be an integer",
                 id="StepLR-step-size-float"),
    pytest.param(lambda t: S.StepLR(sgd(), step_size=1, gamma=-1), ValueError, "gamma=-1",
                 id="StepLR-gamma-negative"),
    pytest.param(lambda t: S.StepLR(sgd(), step_size=1, gamma="a"), TypeError,
                 "gamma must be a real number", id="StepLR-gamma-str"),
    pytest.param(lambda t: S.ExponentialLR(sgd(), gamma=math.nan), ValueError, "gamma=nan",
                 id="ExponentialLR-gamma-nan"),
    pytest.param(lambda t: S.CosineAnnealingLR(sgd(), T_max=0), ValueError, "T_max=0",
                 id="Cosine-T-max-0"),
    pytest.param(lambda t: S.CosineAnnealingLR(sgd(), T_max=3, eta_min=-1), ValueError,
                 "eta_min=-1", id="Cosine-eta-min-negative"),
    pytest.param(lambda t: S.MultiStepLR(sgd(), milestones=["a"]), TypeError,
                 "milestones must be integers", id="MultiStepLR-str"),
    pytest.param(lambda t: S.MultiStepLR(sgd(), milestones=[1.5]), TypeError,
                 "milestones must be integers", id="MultiStepLR-float"),
    pytest.param(lambda t: S.LambdaLR(sgd(), lr_lambda=3), TypeError,
                 "lr_lambda must be callable", id="LambdaLR-int"),
    pytest.param(lambda t: S.LambdaLR(sgd(), lr_lambda=[abs, abs]), ValueError,
                 "expected 1 lr_lambdas", id="LambdaLR-count"),
    pytest.param(lambda t: S.ReduceLROnPlateau(sgd(), factor=1.0), ValueError, "factor=1.0",
                 id="Plateau-factor"),
    pytest.param(lambda t: S.ReduceLROnPlateau(sgd(), mode="mx"), ValueError, "mode='mx'",
                 id="Plateau-mode"),
    pytest.param(lambda t: S.ReduceLROnPlateau(sgd(), threshold_mode="x"), ValueError,
                 "threshold_mode='x'", id="Plateau-threshold-mode"),
    pytest.param(lambda t: S.ReduceLROnPlateau(sgd(), patience=-1), ValueError,
                 "patience=-1", id="Plateau-patience"),
    pytest.param(lambda t: S.ReduceLROnPlateau(sgd(), min_lr=[0, 0]), ValueError,
                 "expected 1 min_lrs", id="Plateau-min-lrs-count"),
    pytest.param(lambda t: S.ReduceLROnPlateau(sgd()).step("a"), ValueError,
                 "could not convert", id="Plateau-step-str"),
    pytest.param(lambda t: S.StepLR(3, 1), TypeError, "int is not an Optimizer",
                 id="scheduler-not-optimizer"),
    pytest.param(lambda t: S.StepLR(sgd(), 1, last_epoch=3), KeyError, "initial_lr",
                 id="scheduler-resume-without-initial-lr"),
    # ---------------------------------------------------------------- IDX files
    pytest.param(lambda t: read_idx(t / "missing.idx"), FileNotFoundError, "missing.idx",
                 id="idx-missing"),
    pytest.param(lambda t: read_idx(write(t / "e.idx", b"")), IDXError, "too short",
                 id="idx-empty"),
    pytest.param(lambda t: read_idx(write(t / "m.idx", b"\x01\x02\x08\x01")), IDXError,
                 "bad IDX magic", id="idx-bad-magic"),
    pytest.param(lambda t: read_idx(write(t / "c.idx", idx_bytes(0x07, [1], b"x"))), IDXError,
                 "unknown IDX dtype code 0x07", id="idx-dtype-code"),
    pytest.param(lambda t: read_idx(write(t / "z.idx", bytes([0, 0, 8, 0]))), IDXError,
                 "0 dimensions", id="idx-0-dims"),
    pytest.param(lambda t: read_idx(write(t / "h.idx", bytes([0, 0, 8, 3]) + b"\0\0\0\1")),
                 IDXError, "truncated IDX header", id="idx-header-cut"),
    pytest.param(lambda t: read_idx(write(t / "huge.idx", idx_bytes(8, [2**32 - 1] * 4, b"x"))),
                 IDXError, "truncated IDX payload", id="idx-huge-count"),
    pytest.param(lambda t: read_idx(write(t / "p.idx", idx_bytes(8, [10], b"x" * 4))),
                 IDXError, "needs 10 bytes, found 4", id="idx-payload-cut"),
    pytest.param(lambda t: read_idx(write(t / "x.idx", idx_bytes(8, [2], b"x" * 5))),
                 IDXError, "3 unexpected trailing bytes", id="idx-trailing"),
    pytest.param(lambda t: read_idx(write(t / "g.idx.gz",
                                          gzip.compress(idx_bytes(8, [9], b"x" * 9))[:-12])),
                 IDXError, "corrupt or truncated gzip", id="idx-gzip-cut"),
    pytest.param(lambda t: read_idx(t), IsADirectoryError, "", id="idx-directory"),
    pytest.param(lambda t: write_idx(t / "c.idx", np.zeros(2, complex)), TypeError,
                 "cannot store dtype complex128", id="idx-write-complex"),
    pytest.param(lambda t: write_idx(t / "b.idx", np.zeros(2, bool)), TypeError,
                 "dtype bool", id="idx-write-bool"),
    pytest.param(lambda t: write_idx(t / "s.idx", np.float32(1)), ValueError,
                 "1 to 255 dimensions", id="idx-write-scalar"),
    pytest.param(lambda t: write_idx(t / "l.idx.gz", np.zeros(2, np.uint8), compresslevel=12),
                 ValueError, "compresslevel", id="idx-write-compresslevel"),
    pytest.param(lambda t: write_idx(t, np.zeros(2, np.uint8)), IsADirectoryError,
                 "over a directory", id="idx-write-to-directory"),
    pytest.param(lambda t: write_idx(t / "no" / "f.idx", np.zeros(2, np.uint8)),
                 FileNotFoundError, "", id="idx-write-missing-dir"),
    # ---------------------------------------------------------------- datasets
    pytest.param(lambda t: MNIST(root=t, download=False), DatasetNotFoundError,
                 "download=False", id="MNIST-not-found"),
    pytest.param(lambda t: MNIST(root=mnist_dir(t, np.zeros((2, 27, 27), np.uint8),
                                                np.zeros(2, np.uint8)), download=False),
                 IDXError, "expected uint8 images (N, 28, 28)", id="MNIST-image-shape"),
    pytest.param(lambda t: MNIST(root=mnist_dir(t, np.zeros((2, 28, 28), np.uint8),
                                                np.zeros(3, np.uint8)), download=False),
                 IDXError, "3 labels for 2 images", id="MNIST-label-count"),
    pytest.param(lambda t: MNIST(root=mnist_dir(t, np.zeros((1, 28, 28), np.uint8),
                                                np.array([12], np.uint8)), download=False),
                 IDXError, "label 12 is not a class", id="MNIST-label-range"),
    pytest.param(lambda t: MNIST(root=mnist_dir(t, np.zeros((1, 28, 28), np.uint8),
                                                np.zeros(1, np.uint8))).arrays(dtype=np.int32),
                 ValueError, "needs a float dtype", id="MNIST-arrays-int"),
    pytest.param(lambda t: download("cifar", t), ValueError, "unknown dataset 'cifar'",
                 id="download-unknown"),
    pytest.param(lambda t: make_spiral(0, 3), ValueError, "must be positive",
                 id="spiral-zero"),
    pytest.param(lambda t: make_spiral(10.5, 2), TypeError, "n must be an int",
                 id="spiral-float"),
    pytest.param(lambda t: make_moons(-1), ValueError, "n must be positive",
                 id="moons-negative"),
    pytest.param(lambda t: one_hot(np.array([0.5])), ValueError, "must be integers",
                 id="one-hot-float"),
    pytest.param(lambda t: one_hot(np.array([-1])), ValueError, "non-negative",
                 id="one-hot-negative"),
    pytest.param(lambda t: normalize(np.ones(3), 0.0, 0.0), ValueError, "std evaluated to zero",
                 id="normalize-zero-std"),
    pytest.param(lambda t: train_test_split(np.zeros(4), test_size=1.5), ValueError,
                 "must be in (0, 1)", id="split-test-size"),
    pytest.param(lambda t: train_test_split(np.zeros(4), np.zeros(3)), ValueError,
                 "different lengths", id="split-lengths"),
    # ---------------------------------------------------------------- DataLoader, datasets
    pytest.param(lambda t: DataLoader(TensorDataset(np.zeros(4)), batch_size=0), ValueError,
                 "batch_size should be a positive integer value", id="loader-batch-0"),
    pytest.param(lambda t: DataLoader(TensorDataset(np.zeros(4)), batch_size=-1), ValueError,
                 "batch_size=-1", id="loader-batch-negative"),
    pytest.param(lambda t: DataLoader(TensorDataset(np.zeros(4)), batch_size=1.5), ValueError,
                 "batch_size=1.5", id="loader-batch-float"),
    pytest.param(lambda t: DataLoader(TensorDataset(np.zeros(4)), batch_size=None,
                                      drop_last=True), ValueError, "mutually exclusive",
                 id="loader-None-drop-last"),
    pytest.param(lambda t: DataLoader(TensorDataset(np.zeros(4)), seed=-1), ValueError,
                 "seed must be a non-negative integer", id="loader-seed"),
    pytest.param(lambda t: list(DataLoader(5)), TypeError, "has no len()",
                 id="loader-not-a-dataset"),
    pytest.param(lambda t: TensorDataset(np.zeros((4, 2)), np.zeros(3)), ValueError,
                 "Size mismatch between tensors", id="dataset-size-mismatch"),
    pytest.param(lambda t: TensorDataset(), ValueError, "at least one", id="dataset-empty"),
    pytest.param(lambda t: TensorDataset(np.float32(1)), ValueError, "is a scalar",
                 id="dataset-scalar"),
    pytest.param(lambda t: TensorDataset(np.zeros(4))[10], IndexError, "out of bounds",
                 id="dataset-index"),
    pytest.param(lambda t: default_collate([]), IndexError, "empty batch",
                 id="collate-empty"),
    pytest.param(lambda t: default_collate([None, None]), TypeError, "batch must contain",
                 id="collate-None"),
    pytest.param(lambda t: default_collate([(1, 2), (1,)]), RuntimeError, "equal size",
                 id="collate-ragged"),
    pytest.param(lambda t: default_collate([np.zeros(2), np.zeros(3)]), RuntimeError,
                 "[2] at entry 0 and [3] at entry 1", id="collate-shapes"),
    # ---------------------------------------------------------------- checkpoints
    pytest.param(lambda t: load(t / "missing.npz"), FileNotFoundError, "missing.npz",
                 id="load-missing"),
    pytest.param(lambda t: load(t), IsADirectoryError, "", id="load-directory"),
    pytest.param(lambda t: load(write(t / "e.npz", b"")), CheckpointError, "empty",
                 id="load-empty"),
    pytest.param(lambda t: load(write(t / "t.npz", b"hello world")), CheckpointError,
                 "not a zip/.npz archive", id="load-text"),
    pytest.param(lambda t: load(npy_file(t)), CheckpointError, "single .npy array",
                 id="load-npy"),
    pytest.param(lambda t: load(npz_without_meta(t)), CheckpointError,
                 "without tinygrad_edu metadata", id="load-foreign-npz"),
    pytest.param(lambda t: load(torch_zip(t)), CheckpointError, "PyTorch checkpoint",
                 id="load-torch-file"),
    pytest.param(lambda t: load(write(t / "p.pkl", b"\x80\x04K\x01.")), CheckpointError,
                 "refusing to unpickle", id="load-pickle"),
    pytest.param(lambda t: load(saved_then_cut(t)), CheckpointError, "truncated",
                 id="load-truncated"),
    pytest.param(lambda t: load(3), TypeError, "expected a path", id="load-int-path"),
    pytest.param(lambda t: save(object(), t / "c"), TypeError, "cannot save an object",
                 id="save-object"),
    pytest.param(lambda t: save({1, 2}, t / "c"), TypeError, "builtins.set",
                 id="save-set"),
    pytest.param(lambda t: save(np.zeros(2, complex), t / "c"), TypeError, "complex128",
                 id="save-complex"),
    pytest.param(lambda t: save({(1, 2): 3}, t / "c"), TypeError, "dict key of type tuple",
                 id="save-tuple-key"),
    pytest.param(lambda t: save(loop(), t / "c"), ValueError, "contains itself",
                 id="save-cycle"),
    pytest.param(lambda t: save([1], t), IsADirectoryError, "over a directory",
                 id="save-to-directory"),
    pytest.param(lambda t: save([1], t / "no" / "c"), FileNotFoundError,
                 "directory does not exist", id="save-missing-dir"),
    pytest.param(lambda t: save([1], 3), TypeError, "expected a path", id="save-int-path"),
    # ---------------------------------------------------------------- the CLI
    pytest.param(lambda t: run_cli("train", "--seed", "-1"), CLIExit, "--seed: must be >= 0",
                 id="cli-seed"),
    pytest.param(lambda t: run_cli("train", "--lr", "inf"), CLIExit, "finite",
                 id="cli-lr-inf"),
    pytest.param(lambda t: run_cli("train", "--epochs", "0"), CLIExit, "--epochs: must be > 0",
                 id="cli-epochs"),
    pytest.param(lambda t: run_cli("train", "--batch-size", "-1"), CLIExit,
                 "--batch-size: must be > 0", id="cli-batch-size"),
    pytest.param(lambda t: run_cli("train", "--dataset", "cifar"), CLIExit, "invalid choice",
                 id="cli-dataset"),
    pytest.param(lambda t: run_cli("train", "--dataset", "xor", "--model", "logistic",
                                   "--positive", "42", "--out", str(t)), CLIExit,
                 "--positive 42 is not a class", id="cli-positive"),
    pytest.param(lambda t: run_cli("train", "--dataset", "xor", "--out",
                                   str(write(t / "f", b""))), CLIExit,
                 "exists and is not a directory", id="cli-out-file"),
    pytest.param(lambda t: run_cli("train", "--dataset", "xor", "--optimizer", "sgd",
                                   "--lr", "1e308", "--epochs", "1", "--out", str(t)), CLIExit,
                 "training diverged", id="cli-divergence"),
    pytest.param(lambda t: run_cli("graph", "--out", str(t / "g.txt")), CLIExit,
                 "--format must be", id="cli-graph-format"),
    pytest.param(lambda t: run_cli("data", "download"), CLIExit, "needs a dataset name",
                 id="cli-download-no-name"),
]


def _with_grad(value: float) -> nn.Parameter:
    p = param()
    p.grad = tg.Tensor(np.full(2, value, np.float32))
    return p


def test_the_table_is_large_and_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) >= 90 and len(set(ids)) == len(ids)


@pytest.mark.parametrize("call, error, fragment", CASES)
def test_bad_input_raises_a_named_error(call: Call, error: type[BaseException], fragment: str,
                                        tmp_path: Path) -> None:
    assert error is not Exception and error is not BaseException
    with pytest.raises(error) as info:
        call(tmp_path)
    message = str(info.value.args[0]) if isinstance(info.value, KeyError) else str(info.value)
    assert fragment in message, f"{fragment!r} not in {message!r}"
    if isinstance(info.value, OSError) and not fragment:
        assert info.value.filename is not None  # the path is named


# ------------------------------------------------------------- where PyTorch accepts the input

torch = pytest.importorskip("torch")


def _sgd_negative_dampening() -> tuple[np.ndarray, np.ndarray]:
    ours, theirs = param(3), torch.nn.Parameter(torch.zeros(3))
    mine = optim.SGD([ours], lr=0.1, momentum=0.9, dampening=-0.5)
    ref = torch.optim.SGD([theirs], lr=0.1, momentum=0.9, dampening=-0.5)
    for step in range(4):
        g = np.array([1.0, -2.0, 0.5], np.float32) * (step + 1)
        ours.grad, theirs.grad = tg.Tensor(g), torch.tensor(g)
        mine.step()
        ref.step()
    return ours.data.numpy(), theirs.detach().numpy()


def _loader_without_batching() -> tuple[list, list]:
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    ours = [tuple(t.data.numpy().tolist() for t in s) for s in DataLoader(TensorDataset(x),
                                                                   batch_size=None)]
    ref = [tuple(t.tolist() for t in s) for s in torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(x)), batch_size=None)]
    return ours, ref


ACCEPTED = [
    pytest.param(_sgd_negative_dampening, id="SGD-negative-dampening"),
    pytest.param(_loader_without_batching, id="DataLoader-batch-size-None"),
    pytest.param(lambda: (default_collate(["a", "b"]),
                          torch.utils.data.default_collate(["a", "b"])), id="collate-strings"),
    pytest.param(lambda: (nn.Linear(True, 2).weight.shape, tuple(torch.nn.Linear(True, 2)
                                                                  .weight.shape)),
                 id="Linear-bool-size"),
    pytest.param(lambda: (nn.Linear(0, 2)(tg.zeros(3, 0)).shape, tuple(
        torch.nn.Linear(0, 2)(torch.zeros(3, 0)).shape)), id="Linear-zero-in"),
    pytest.param(lambda: (len(optim.SGD([{"params": []}], lr=0.1).param_groups),
                          len(torch.optim.SGD([{"params": []}], lr=0.1).param_groups)),
                 id="SGD-empty-group"),
    pytest.param(lambda: (nn.Linear(2, 3).load_state_dict({"weight": np.zeros((3, 2))},
                                                          strict=False).missing_keys,
                          torch.nn.Linear(2, 3).load_state_dict(
                              {"weight": torch.zeros(3, 2)}, strict=False).missing_keys),
                 id="load-state-non-strict"),
    pytest.param(lambda: (len(DataLoader(TensorDataset(np.zeros(5)), batch_size=10**9)),
                          len(torch.utils.data.DataLoader(torch.zeros(5), batch_size=10**9))),
                 id="DataLoader-huge-batch"),
]


@pytest.mark.parametrize("compare", ACCEPTED)
def test_accepted_inputs_give_pytorchs_result(compare: Callable[[], tuple[Any, Any]]) -> None:
    with np.errstate(all="raise"):
        ours, theirs = compare()
    if isinstance(ours, np.ndarray):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    else:
        assert ours == theirs
