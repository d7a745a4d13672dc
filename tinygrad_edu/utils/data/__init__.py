"""``tinygrad_edu.utils.data``: datasets, samplers and the DataLoader, where
``torch.utils.data`` has them, with its names and behaviour.

Example::

    from tinygrad_edu.utils.data import DataLoader, TensorDataset, random_split
    train, val = random_split(TensorDataset(x, y), [0.8, 0.2])
    for xb, yb in DataLoader(train, batch_size=64, shuffle=True, num_workers=2):
        ...
"""

from ._worker import WorkerInfo, get_worker_info
from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
