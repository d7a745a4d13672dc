"""Turn our batches and torch's into the same plain structure, to compare them with ==."""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_edu as tg


def plain(value: Any) -> Any:
    """Tensors (ours or torch's) and arrays become ('tensor', dtype name, shape, values);
    containers keep their type name; anything else is kept."""
    import torch

    if isinstance(value, tg.Tensor):
        array = value.numpy()
        return ("tensor", str(array.dtype), tuple(array.shape), array.tolist())
    if isinstance(value, torch.Tensor):
        return ("tensor", str(value.dtype).removeprefix("torch."), tuple(value.shape),
                value.tolist())
    if isinstance(value, np.ndarray):
        return ("ndarray", str(value.dtype), value.tolist())
    if isinstance(value, dict):
        return ("dict", {k: plain(v) for k, v in value.items()})
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__, [plain(v) for v in value])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [plain(v) for v in value])
    return value


def to_torch(sample: Any) -> Any:
    """The same sample with our Tensors replaced by torch tensors (for torch's collate)."""
    import torch

    if isinstance(sample, tg.Tensor):
        return torch.from_numpy(sample.numpy().copy())
    if isinstance(sample, dict):
        return {k: to_torch(v) for k, v in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(to_torch(v) for v in sample))
    if isinstance(sample, list | tuple):
        return type(sample)(to_torch(v) for v in sample)
    return sample
