"""Dataset, IterableDataset, TensorDataset, Subset, ConcatDataset, ChainDataset and
random_split against torch.utils.data."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.random import Generator
from tinygrad_edu.utils import data
from tinygrad_edu.utils.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)

torch = pytest.importorskip("torch")


class Range(Dataset):
    def __init__(self, start: int, stop: int) -> None:
        self.items = list(range(start, stop))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> int:
        return self.items[index]


class Stream(IterableDataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.n))

    def __len__(self) -> int:
        return self.n


def test_tinygrad_edu_data_is_the_same_package() -> None:
    assert tg.data.DataLoader is data.DataLoader and tg.data.Dataset is data.Dataset
    assert tg.data.TensorDataset is data.TensorDataset
    assert tg.data.default_collate is data.default_collate


def test_subset_concat_and_add_index_like_torch() -> None:
    a, b = Range(0, 3), Range(10, 15)
    ta, tb = torch.utils.data.Subset(list(range(3)), range(3)), list(range(10, 15))
    ref = torch.utils.data.ConcatDataset([ta, tb])
    ours = a + b
    assert isinstance(ours, ConcatDataset) and ours.cumulative_sizes == ref.cumulative_sizes
    assert [ours[i] for i in range(-8, 8)] == [ref[i] for i in range(-8, 8)]
    with pytest.raises(ValueError, match="absolute value of index"):
        ours[-9]
    with pytest.raises(ValueError):
        ref[-9]
    with pytest.raises(IndexError):
        ours[8]
    with pytest.raises(AssertionError, match="empty"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="IterableDataset"):
        ConcatDataset([Stream(2)])
    sub = Subset(b, [4, 0, 2])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [14, 10, 12]
    assert sub.__getitems__([2, 0]) == [12, 14]


def test_iterable_datasets_chain() -> None:
    chained = Stream(2) + Stream(3)
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [0, 1, 0, 1, 2] and len(chained) == 5
    with pytest.raises(NotImplementedError):
        iter(IterableDataset())


def test_tensor_dataset_rows_and_subset_arrays() -> None:
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    ds = TensorDataset(x, np.arange(6))
    ref = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.arange(6))
    for i in range(6):
        assert [t.numpy().tolist() for t in ds[i]] == [t.tolist() for t in ref[i]]
    sub = Subset(ds, [5, 1])
    sx, sy = sub.sample_arrays()
    np.testing.assert_array_equal(sx, x[[5, 1]])
    assert sy.tolist() == [5, 1]
    assert Subset(Range(0, 3), [1]).sample_arrays() is None


@pytest.mark.parametrize("n, lengths", [
    (10, [3, 7]), (10, [0.3, 0.7]), (30, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]),
    (7, [0.1, 0.1, 0.8]), (5, [0.2, 0.2, 0.2, 0.2, 0.2]), (101, [0.33, 0.33, 0.34]),
])
def test_random_split_lengths_match_torch(n: int, lengths: list) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a split of length 0 warns, in both
        ours = random_split(Range(0, n), lengths, generator=Generator().manual_seed(0))
        ref = torch.utils.data.random_split(range(n), lengths,
                                            generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in ref]
    flat = [s[i] for s in ours for i in range(len(s))]
    assert sorted(flat) == list(range(n))  # a partition


def test_random_split_is_reproducible_and_follows_manual_seed() -> None:
    def split(generator: Generator | None) -> list[list[int]]:
        return [list(s.indices) for s in random_split(Range(0, 20), [5, 15], generator)]

    assert split(Generator().manual_seed(3)) == split(Generator().manual_seed(3))
    assert split(Generator().manual_seed(3)) != split(Generator().manual_seed(4))
    tg.manual_seed(1)
    first = split(None)
    tg.manual_seed(1)
    assert split(None) == first


@pytest.mark.parametrize("lengths, fragment", [
    ([3, 3], "Sum of input lengths does not equal"),
    ([0.5, 0.6], "must be integers summing to the dataset's length"),
    ([1.5, -0.5], "Fraction at index 0 is not between 0 and 1"),
    ([2.5, 7.5], "must be integers"),
])
def test_random_split_bad_lengths(lengths: list, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        random_split(Range(0, 10), lengths)
    with pytest.raises((ValueError, TypeError)):
        torch.utils.data.random_split(range(10), lengths)


def test_a_zero_length_split_warns_as_torch() -> None:
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(Range(0, 2), [0.9, 0.1])
