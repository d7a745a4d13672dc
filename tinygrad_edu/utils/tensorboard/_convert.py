"""Turning what users log (our Tensors, NumPy arrays, torch tensors, Python numbers, lists)
into NumPy arrays, and the error raised for input that cannot be logged."""

from __future__ import annotations

from typing import Any

import numpy as np


class TensorBoardInputError(ValueError, AssertionError):
    """Input a summary cannot be made of (a wrong shape, ``dataformats`` that do not fit).

    PyTorch raises ``AssertionError`` for these; this is also a ``ValueError``, so code that
    catches either keeps working."""


def to_numpy(value: Any, what: str = "value") -> np.ndarray:
    """An array of ``value``: our Tensor (its data, detached), a torch tensor, a NumPy array or
    scalar, a Python number or bool, or a (nested) list of numbers."""
    if isinstance(value, np.ndarray):
        array = value
    elif hasattr(value, "detach") and hasattr(value, "numpy"):  # our Tensor, or torch's
        array = np.asarray(value.detach().numpy())
    else:
        array = _from_python(value, what)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what}: expected real numbers, got {type(value).__name__} of dtype "
                        f"{array.dtype}")
    return array


def _from_python(value: Any, what: str) -> np.ndarray:
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{what}: expected a number, array or tensor, got {type(value).__name__}"
                        f" {value!r}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what}: expected a number, array or tensor, got "
                        f"{type(value).__name__}") from e
    return array


def to_scalar(value: Any, what: str) -> float:
    """One number as a float: a 1-element tensor or array of any shape is accepted, as in
    PyTorch (``squeeze()`` to 0-d)."""
    array = to_numpy(value, what)
    if array.size != 1:
        raise TensorBoardInputError(
            f"{what}: a scalar needs one element, got shape {tuple(array.shape)} "
            f"({array.size} elements); log .mean() or .item(), or use add_histogram")
    return float(array.reshape(()))
