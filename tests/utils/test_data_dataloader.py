"""DataLoader in one process: arguments, errors, len() and batches against
torch.utils.data.DataLoader; shuffling as permutations reproducible by seed or generator;
the array fast path equal to the item-by-item path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.random import Generator
from tinygrad_edu.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    WeightedRandomSampler,
    get_worker_info,
)

from ._compare import plain

torch = pytest.importorskip("torch")
tud = torch.utils.data


class Items(Dataset):
    """Not array-backed: sample i is (float32 array [i, -i], int i, {'name': str})."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Any:
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.array([i, -i], np.float32), i, {"name": f"s{i}", "w": i / 2}


class Stream(IterableDataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self) -> Iterator[Any]:
        return ((np.float32(i), i) for i in range(self.n))

    def __len__(self) -> int:
        return self.n


def _tensor_dataset(n: int) -> tuple[TensorDataset, Any]:
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n)
    return TensorDataset(x, y), tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))


def _index_of(batch: Any) -> list[int]:
    return batch[1].numpy().tolist()


CONFIGS = [
    dict(batch_size=1), dict(batch_size=4), dict(batch_size=4, drop_last=True),
    dict(batch_size=20), dict(batch_size=None), dict(batch_size=3, shuffle=False),
]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=str)
@pytest.mark.parametrize("kind", ["items", "tensor-dataset", "iterable"])
def test_batches_and_len_match_torch(kwargs: dict, kind: str) -> None:
    if kind == "items":
        ours_ds, ref_ds = Items(10), Items(10)
    elif kind == "tensor-dataset":
        ours_ds, ref_ds = _tensor_dataset(10)
    else:
        ours_ds, ref_ds = Stream(10), _TorchStream(10)
    ours, ref = DataLoader(ours_ds, **kwargs), tud.DataLoader(ref_ds, **kwargs)
    assert len(ours) == len(ref)
    assert [plain(b) for b in ours] == [plain(b) for b in ref]


class _TorchStream(tud.IterableDataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self) -> Iterator[Any]:
        return ((np.float32(i), i) for i in range(self.n))

    def __len__(self) -> int:
        return self.n


def test_custom_sampler_batch_sampler_and_collate_match_torch() -> None:
    ours_ds, ref_ds = _tensor_dataset(9)
    order = [8, 1, 5, 0, 2]
    cases = [
        (dict(sampler=order, batch_size=2), dict(sampler=order, batch_size=2)),
        (dict(batch_sampler=[[3, 1], [0], [8, 7, 6]]), dict(batch_sampler=[[3, 1], [0],
                                                                           [8, 7, 6]])),
        (dict(batch_sampler=BatchSampler(SequentialSampler(ours_ds), 4, True)),
         dict(batch_sampler=tud.BatchSampler(tud.SequentialSampler(ref_ds), 4, True))),
        (dict(batch_size=4, collate_fn=lambda b: len(b)),
         dict(batch_size=4, collate_fn=lambda b: len(b))),
        (dict(batch_size=None, sampler=order), dict(batch_size=None, sampler=order)),
    ]
    for ours_kwargs, ref_kwargs in cases:
        ours, ref = DataLoader(ours_ds, **ours_kwargs), tud.DataLoader(ref_ds, **ref_kwargs)
        assert len(ours) == len(ref)
        assert [plain(b) for b in ours] == [plain(b) for b in ref]


BAD_ARGUMENTS = [
    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
    dict(num_workers=1, prefetch_factor=-1), dict(persistent_workers=True),
    dict(sampler=[0, 1], shuffle=True), dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True), dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_sampler=[[0]], drop_last=True), dict(batch_size=None, drop_last=True),
    dict(batch_size=0), dict(batch_size=-2), dict(batch_size=1.5),
    dict(multiprocessing_context="fork"),
    dict(num_workers=1, multiprocessing_context="no-such-method"),
    dict(num_workers=1, multiprocessing_context=3),
]


@pytest.mark.parametrize("kwargs", BAD_ARGUMENTS, ids=str)
def test_bad_argument_combinations_raise_torchs_error_type(kwargs: dict) -> None:
    ours_ds, ref_ds = _tensor_dataset(4)
    with pytest.raises((ValueError, TypeError)) as ref:
        tud.DataLoader(ref_ds, **kwargs)
    with pytest.raises(type(ref.value)):
        DataLoader(ours_ds, **kwargs)


@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(sampler=[0]),
                                    dict(batch_sampler=[[0]])], ids=str)
def test_iterable_datasets_refuse_shuffle_and_samplers(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="IterableDataset: expected unspecified"):
        DataLoader(Stream(3), **kwargs)
    with pytest.raises(ValueError):
        tud.DataLoader(_TorchStream(3), **kwargs)


def test_attributes_are_frozen_and_defaults_are_torchs() -> None:
    loader = DataLoader(Items(3))
    ref = tud.DataLoader(Items(3))
    for name in ("batch_size", "drop_last", "num_workers", "pin_memory", "timeout",
                 "prefetch_factor", "persistent_workers", "pin_memory_device"):
        assert getattr(loader, name) == getattr(ref, name), name
    assert type(loader.sampler).__name__ == type(ref.sampler).__name__
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3
    loader.num_workers = 0  # other attributes may change, as in torch
    assert DataLoader(Items(3), pin_memory=True, pin_memory_device="cpu").pin_memory


def _flat_order(loader: DataLoader) -> list[int]:
    return [i for batch in loader for i in _index_of(batch)]


@pytest.mark.parametrize("array_backed", [True, False])
def test_shuffle_is_a_fresh_reproducible_permutation(array_backed: bool) -> None:
    def make(**kwargs: Any) -> DataLoader:
        ds = _tensor_dataset(30)[0] if array_backed else Items(30)
        return DataLoader(ds, 4, shuffle=True, **kwargs)

    a = make(generator=Generator().manual_seed(0))
    first, second = _flat_order(a), _flat_order(a)
    assert sorted(first) == list(range(30)) and first != list(range(30)) and first != second
    b = make(generator=Generator().manual_seed(0))
    assert [_flat_order(b), _flat_order(b)] == [first, second]
    assert _flat_order(make(seed=0)) == first  # seed=s is generator=Generator().manual_seed(s)
    unseeded = make()
    tg.manual_seed(7)
    drawn = _flat_order(unseeded)
    tg.manual_seed(7)
    assert _flat_order(unseeded) == drawn


def test_the_array_fast_path_gives_the_item_by_item_batches() -> None:
    class ItemByItem(TensorDataset):
        def sample_arrays(self) -> None:  # type: ignore[override]
            return None

    x = np.random.default_rng(0).standard_normal((23, 2, 3)).astype(np.float32)
    y = np.arange(23)
    for kwargs in (dict(), dict(shuffle=True), dict(shuffle=True, drop_last=True)):
        fast = [plain(b) for b in DataLoader(TensorDataset(x, y), 5, seed=3, **kwargs)]
        slow = [plain(b) for b in DataLoader(ItemByItem(x, y), 5, seed=3, **kwargs)]
        assert fast == slow and len(fast) == (4 if kwargs.get("drop_last") else 5)
    ds = TensorDataset(x, y)
    tg.manual_seed(0)
    fast = [plain(b) for b in DataLoader(ds, 5, sampler=RandomSampler(ds, True, 40))]
    tg.manual_seed(0)
    slow = [plain(b) for b in DataLoader(ItemByItem(x, y), 5,
                                         sampler=RandomSampler(ds, True, 40))]
    assert fast == slow and len(fast) == 8


def test_the_fast_path_is_taken_for_subsets_and_not_for_custom_collate() -> None:
    class Spy(TensorDataset):
        def __getitem__(self, index: Any) -> Any:
            raise AssertionError("per-item access on the array path")

    ds = Spy(np.zeros((9, 2), np.float32), np.arange(9))
    assert len(list(DataLoader(ds, 4, shuffle=True))) == 3
    assert len(list(DataLoader(Subset(ds, [1, 2, 3]), 2))) == 2
    with pytest.raises(AssertionError, match="per-item"):
        list(DataLoader(ds, 4, collate_fn=lambda b: b))
    weighted = WeightedRandomSampler(np.ones(9), 4)
    with pytest.raises(AssertionError, match="per-item"):  # other samplers: the normal path
        list(DataLoader(ds, 2, sampler=weighted))


def test_no_batching_converts_each_sample_and_workers_info_is_none_here() -> None:
    out = list(DataLoader(Items(2), batch_size=None))
    ref = list(tud.DataLoader(Items(2), batch_size=None))
    assert [plain(o) for o in out] == [plain(r) for r in ref]
    assert get_worker_info() is None
