"""``Dataset``, ``TensorDataset``, ``DataLoader`` and ``default_collate``: the same objects as
``tinygrad_edu.utils.data`` (PyTorch's place for them), kept here for existing imports.

``DataLoader(..., seed=s)`` and the array fast path (datasets with ``sample_arrays()``) are
described in ``tinygrad_edu.utils.data``.
"""

from ..utils.data import DataLoader, Dataset, TensorDataset, default_collate

__all__ = ["DataLoader", "Dataset", "TensorDataset", "default_collate"]
