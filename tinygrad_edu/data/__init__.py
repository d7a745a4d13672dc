"""Data: the IDX format, MNIST / Fashion-MNIST, synthetic sets, and batching.

Example::

    from tinygrad_edu.data import MNIST, TensorDataset, DataLoader
    x, y = MNIST(train=True).arrays()          # float32 (N, 784) in [0, 1], int64 (N,)
    for xb, yb in DataLoader(TensorDataset(x, y), batch_size=100, shuffle=True, seed=0):
        ...
"""

from .datasets import (
    DATASETS,
    ENV_VAR,
    MNIST,
    SYSTEM_DATA_DIR,
    DatasetNotFoundError,
    DatasetSpec,
    FashionMNIST,
    FileSpec,
    cache_dir,
    download,
    search_dirs,
)
from .idx import (
    IDX_DTYPES,
    IDXError,
    IDXHeader,
    payload_sha256,
    read_idx,
    read_idx_header,
    read_idx_with_sha256,
    write_idx,
)
from .loader import DataLoader, Dataset, TensorDataset, default_collate
from .locations import DatasetLocation, where
from .preprocessing import Standardizer, normalize, one_hot, standardize, train_test_split
from .synthetic import make_moons, make_spiral, make_xor

__all__ = [
    "DATASETS",
    "ENV_VAR",
    "IDX_DTYPES",
    "MNIST",
    "SYSTEM_DATA_DIR",
    "DataLoader",
    "Dataset",
    "DatasetLocation",
    "DatasetNotFoundError",
    "DatasetSpec",
    "FashionMNIST",
    "FileSpec",
    "IDXError",
    "IDXHeader",
    "Standardizer",
    "TensorDataset",
    "cache_dir",
    "default_collate",
    "download",
    "make_moons",
    "make_spiral",
    "make_xor",
    "normalize",
    "one_hot",
    "payload_sha256",
    "read_idx",
    "read_idx_header",
    "read_idx_with_sha256",
    "search_dirs",
    "standardize",
    "train_test_split",
    "where",
    "write_idx",
]
