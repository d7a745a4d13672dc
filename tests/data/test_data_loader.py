"""Dataset, TensorDataset and DataLoader: coverage per epoch, determinism, dtypes, both paths."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.data import DataLoader, Dataset, TensorDataset, default_collate


class Squares(Dataset):
    """A generic (not array-backed) dataset: item i is (float i, i*i as a Python int)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.calls = 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        self.calls += 1
        if not 0 <= index < self.n:
            raise IndexError(index)
        return np.array([index], dtype=np.float32), index * index


def _array_dataset(n: int) -> TensorDataset:
    x = np.arange(n, dtype=np.float32).reshape(n, 1) * np.ones((1, 3), np.float32)
    return TensorDataset(x, np.arange(n))


def _epoch_indices(loader: DataLoader) -> list[list[int]]:
    """The sample indices of each batch of one epoch, read back from the batch contents."""
    return [[int(v) for v in xb.data.numpy()[:, 0]] for xb, _ in loader]


@given(
    n=st.integers(0, 40),
    batch_size=st.integers(1, 12),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    array_backed=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_every_sample_once_per_epoch(
    n: int, batch_size: int, shuffle: bool, drop_last: bool, array_backed: bool, seed: int
) -> None:
    dataset = _array_dataset(n) if array_backed else Squares(n)
    loader = DataLoader(dataset, batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed)
    for _ in range(2):
        batches = _epoch_indices(loader)
        assert len(batches) == len(loader)
        sizes = [len(b) for b in batches]
        flat = [i for b in batches for i in b]
        assert len(set(flat)) == len(flat)  # no repeats
        if drop_last:
            assert all(s == batch_size for s in sizes)
            assert len(flat) == n - n % batch_size
        else:
            assert sorted(flat) == list(range(n))  # every sample
            assert all(s == batch_size for s in sizes[:-1]) and (not sizes or sizes[-1] >= 1)
        if not shuffle:
            assert flat == list(range(len(flat)))


@pytest.mark.parametrize("array_backed", [True, False])
def test_shuffle_deterministic_by_seed_and_fresh_each_epoch(array_backed: bool) -> None:
    def make(seed: int) -> DataLoader:
        return DataLoader(_array_dataset(100) if array_backed else Squares(100), 10,
                          shuffle=True, seed=seed)  # fmt: skip

    a, b, c = make(0), make(0), make(1)
    a1, a2 = _epoch_indices(a), _epoch_indices(a)
    assert a1 == _epoch_indices(b) and a2 == _epoch_indices(b)  # same seed, same epochs
    assert a1 != a2  # a fresh permutation each epoch
    assert a1 != _epoch_indices(c)  # another seed, another order
    assert sorted(sum(a1, [])) == list(range(100))
    assert sum(a1, []) != list(range(100))  # it did shuffle


def test_shuffle_without_seed_follows_manual_seed() -> None:
    loader = DataLoader(_array_dataset(50), 7, shuffle=True)
    tg.manual_seed(123)
    first = _epoch_indices(loader)
    tg.manual_seed(123)
    assert _epoch_indices(loader) == first
    assert _epoch_indices(loader) != first


def test_array_path_yields_float32_int64_tensors_and_fresh_arrays() -> None:
    x = np.random.default_rng(0).standard_normal((10, 4)).astype(np.float32)
    y = np.arange(10, dtype=np.int32)  # stored as int64
    ds = TensorDataset(x, y)
    for shuffle in (False, True):
        xb, yb = next(iter(DataLoader(ds, 4, shuffle=shuffle, seed=0)))
        assert isinstance(xb, tg.Tensor) and isinstance(yb, tg.Tensor)
        assert xb.dtype == np.float32 and yb.dtype == np.int64
        assert xb.data.numpy().flags.c_contiguous and not xb.requires_grad
        np.testing.assert_array_equal(xb.data.numpy(), x[yb.data.numpy()])
        xb.data.numpy()[:] = 99  # batches are copies: the dataset is untouched
    assert x.max() < 99


def test_array_path_does_no_per_item_work() -> None:
    class Spy(TensorDataset):
        def __getitem__(self, index: int) -> Any:
            raise AssertionError("per-item access on the array path")

    for shuffle in (False, True):
        assert len(list(DataLoader(Spy(np.zeros((9, 2), np.float32)), 4, shuffle=shuffle))) == 3


def test_generic_path_collates_items() -> None:
    ds = Squares(5)
    batches = list(DataLoader(ds, 2))
    assert ds.calls == 5
    xb, yb = batches[0]
    assert xb.dtype == np.float32 and xb.shape == (2, 1)
    assert yb.dtype == np.int64 and yb.data.numpy().tolist() == [0, 1]
    assert batches[-1][1].data.numpy().tolist() == [16]


def test_default_collate_structures() -> None:
    # Python floats become float64, as torch's default_collate
    out = default_collate([{"a": 1.5, "b": True}, {"a": 2.5, "b": False}])
    assert out["a"].dtype == np.float64 and out["b"].dtype == np.bool_
    (t,) = default_collate([(tg.tensor([1.0, 2.0]),), (tg.tensor([3.0, 4.0]),)])
    assert t.shape == (2, 2) and t.dtype == np.float32
    assert default_collate([np.float64(1), np.float64(2)]).dtype == np.float64


def test_tensor_dataset_checks_and_items() -> None:
    with pytest.raises(ValueError, match=r"same first dimension.*\(3, 2\), \(4,\)"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="scalar"):
        TensorDataset(np.float32(1))
    ds = TensorDataset(tg.tensor([[1.0, 2.0], [3.0, 4.0]]), [0, 1])
    assert len(ds) == 2
    x1, y1 = ds[1]
    assert x1.data.numpy().tolist() == [3.0,
                                        4.0] and int(y1.data.numpy()) == 1 and y1.dtype == np.int64
    assert [t.shape for t in ds.tensors] == [(2, 2), (2,)]
    keep = np.zeros((3, 2), np.float64)
    assert TensorDataset(keep).arrays[0] is keep  # no copy; float64 stays float64


def test_loader_len_and_argument_checks() -> None:
    assert len(DataLoader(_array_dataset(10), 3)) == 4
    assert len(DataLoader(_array_dataset(10), 3, drop_last=True)) == 3
    assert len(DataLoader(_array_dataset(0), 3)) == 0
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size should be a positive integer"):
            DataLoader(_array_dataset(3), bad)  # type: ignore[arg-type]


def test_base_dataset_must_be_subclassed() -> None:
    with pytest.raises(NotImplementedError):
        len(Dataset())
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    assert Dataset().sample_arrays() is None


def test_sample_arrays_length_mismatch_is_an_error() -> None:
    class Liar(Squares):
        def sample_arrays(self) -> tuple[np.ndarray, ...]:
            return (np.zeros(3),)

    with pytest.raises(ValueError, match="lengths"):
        next(iter(DataLoader(Liar(5), 2)))
