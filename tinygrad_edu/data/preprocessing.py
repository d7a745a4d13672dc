"""Small array helpers for getting data ready: one-hot labels, splits, normalisation."""

from __future__ import annotations

import math
from typing import Any, overload

import numpy as np

from ..random import get_rng
from ..tensor import Tensor

__all__ = ["Standardizer", "normalize", "one_hot", "standardize", "train_test_split"]


@overload
def one_hot(labels: Tensor, num_classes: int | None = None, dtype: Any = np.float32) -> Tensor: ...
@overload
def one_hot(
    labels: np.ndarray | Any, num_classes: int | None = None, dtype: Any = np.float32
) -> np.ndarray: ...
def one_hot(labels: Any, num_classes: int | None = None, dtype: Any = np.float32) -> Any:
    """Class indices of shape S -> one-hot rows of shape S + (num_classes,), float32 by default.

    ``num_classes`` defaults to ``max(labels) + 1``. A Tensor in gives a Tensor out, otherwise
    a NumPy array. Raises ValueError for non-integer labels or labels outside [0, num_classes).
    """
    is_tensor = isinstance(labels, Tensor)
    y = labels._data if is_tensor else np.asarray(labels)
    if y.dtype.kind not in "iu":
        raise ValueError(f"one_hot: labels must be integers (class indices), got dtype {y.dtype}")
    if num_classes is None and y.size and int(y.min()) < 0:  # PyTorch's words
        raise ValueError(f"one_hot: class values must be non-negative, got {int(y.min())}")
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    if y.size and (int(y.min()) < 0 or int(y.max()) >= num_classes):
        raise ValueError(
            f"one_hot: labels must lie in [0, {num_classes}), got values from "
            f"{int(y.min())} to {int(y.max())}"
        )
    out = np.eye(num_classes, dtype=dtype)[y]
    return Tensor(out) if is_tensor else out


def _rows(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def train_test_split(
    *arrays: Any,
    test_size: int | float = 0.25,
    seed: int | None = None,
    shuffle: bool = True,
) -> list[Any]:
    """Split equally long arrays into train and test rows: ``[a_train, a_test, b_train, ...]``.

    ``test_size``: a number of rows, or a fraction of them (rounded up). With ``shuffle`` the
    rows are permuted by a Generator seeded with ``seed`` (``get_rng()`` when None); without,
    the last rows are the test set. Tensors in give Tensors out. Seed 000's recipe, a 10k test
    set and then a 10k validation set from the 70k pool::

        x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=10_000, seed=0)
        x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=10_000, seed=1)
    """
    if not arrays:
        raise ValueError("train_test_split needs at least one array")
    n = len(_rows(arrays[0]))
    lengths = [len(_rows(a)) for a in arrays]
    if any(length != n for length in lengths):
        raise ValueError(f"train_test_split: arrays have different lengths {lengths}")
    if isinstance(test_size, float):
        if not 0.0 < test_size < 1.0:
            raise ValueError(
                f"train_test_split: a fractional test_size must be in (0, 1), got {test_size}"
            )
        n_test = math.ceil(test_size * n)
    else:
        n_test = int(test_size)
    if not 0 < n_test < n:
        raise ValueError(
            f"train_test_split: test_size={test_size!r} gives {n_test} test rows "
            f"of {n}; both parts must be non-empty"
        )
    if shuffle:
        rng = np.random.default_rng(seed) if seed is not None else get_rng()
        order = rng.permutation(n)
        train_idx, test_idx = order[n_test:], order[:n_test]
    else:
        train_idx, test_idx = np.arange(n - n_test), np.arange(n - n_test, n)
    out: list[Any] = []
    for a in arrays:
        data = _rows(a)
        for idx in (train_idx, test_idx):
            part = data[idx]
            out.append(Tensor(part) if isinstance(a, Tensor) else part)
    return out


def normalize(x: Any, mean: Any, std: Any) -> np.ndarray:
    """``(x - mean) / std`` in x's float dtype (float32 for integer input, e.g. uint8 pixels)."""
    data = _rows(x)
    dtype = data.dtype if data.dtype.kind == "f" else np.dtype(np.float32)
    scale = np.asarray(std, dtype=dtype)
    if (scale == 0).any():  # torchvision's Normalize refuses it too (else: silent NaN/inf)
        raise ValueError(f"normalize: std evaluated to zero ({std!r}), leading to division "
                         "by zero")
    result = (data.astype(dtype) - np.asarray(mean, dtype=dtype)) / scale
    return result.astype(dtype, copy=False)


class Standardizer:
    """Per-feature standardisation fit on training data: ``(x - mean) / std``.

    Features with std below ``eps`` (like MNIST's always-black border pixels) are only
    centred (their std is taken as 1), so nothing divides by zero.
    """

    def __init__(self, eps: float = 1e-8) -> None:
        self.eps = eps
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def fit(self, x: Any, axis: int | tuple[int, ...] = 0) -> Standardizer:
        data = _rows(x)
        dtype = data.dtype if data.dtype.kind == "f" else np.dtype(np.float32)
        std = data.std(axis=axis, keepdims=True, dtype=np.float64)  # accumulate in float64
        self.mean = data.mean(axis=axis, keepdims=True, dtype=np.float64).astype(dtype)
        self.std = np.where(std < self.eps, 1.0, std).astype(dtype)
        return self

    def transform(self, x: Any) -> np.ndarray:
        if self.mean is None or self.std is None:
            raise RuntimeError("Standardizer: call fit(train) before transform")
        return normalize(x, self.mean, self.std)

    def fit_transform(self, x: Any, axis: int | tuple[int, ...] = 0) -> np.ndarray:
        return self.fit(x, axis).transform(x)


def standardize(train: Any, *others: Any, eps: float = 1e-8) -> tuple[np.ndarray, ...]:
    """Standardise ``train`` per feature (axis 0) and ``others`` with the *train* statistics.

    Returns ``(train_std, *others_std)``; use :class:`Standardizer` to keep mean and std.
    """
    scaler = Standardizer(eps).fit(train)
    return (scaler.transform(train), *(scaler.transform(o) for o in others))
