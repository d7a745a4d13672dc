"""Samplers: deterministic ones equal torch's; random ones are permutations (or draws of the
right law), reproducible with a generator or manual_seed."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.random import Generator
from tinygrad_edu.utils.data import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

torch = pytest.importorskip("torch")
tud = torch.utils.data


@pytest.mark.parametrize("n", [0, 1, 7])
def test_sequential_sampler_matches_torch(n: int) -> None:
    assert list(SequentialSampler(range(n))) == list(tud.SequentialSampler(range(n)))
    assert len(SequentialSampler(range(n))) == n


@pytest.mark.parametrize("n, batch_size, drop_last", [
    (10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False), (2, 5, True), (0, 2, False),
])
def test_batch_sampler_matches_torch(n: int, batch_size: int, drop_last: bool) -> None:
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    ref = tud.BatchSampler(tud.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(ref) and len(ours) == len(ref)
    assert list(BatchSampler(range(n), batch_size, drop_last)) == list(ref)  # any iterable


@pytest.mark.parametrize("make", [
    lambda m: m.BatchSampler(range(3), 0, False),
    lambda m: m.BatchSampler(range(3), 2.0, False),
    lambda m: m.BatchSampler(range(3), True, False),
    lambda m: m.BatchSampler(range(3), 2, 1),
    lambda m: m.RandomSampler(range(3), replacement=1),
    lambda m: m.RandomSampler(range(3), num_samples=0),
    lambda m: m.RandomSampler(range(3), num_samples=2.5),
    lambda m: m.WeightedRandomSampler([1.0, 2.0], 0),
    lambda m: m.WeightedRandomSampler([1.0, 2.0], 2, replacement=None),
    lambda m: m.WeightedRandomSampler([[1.0, 2.0]], 2),
])
def test_bad_sampler_arguments_raise_torchs_error_type(make) -> None:
    with pytest.raises((ValueError, TypeError)) as ref:
        make(tud)
    with pytest.raises(type(ref.value)):
        make(tg.utils.data)


def test_random_sampler_permutes_and_repeats_with_a_generator() -> None:
    def epochs(seed: int) -> list[list[int]]:
        sampler = RandomSampler(range(20), generator=Generator().manual_seed(seed))
        return [list(sampler), list(sampler)]

    a = epochs(0)
    assert all(sorted(e) == list(range(20)) for e in a)
    assert a[0] != a[1]  # a new permutation each epoch
    assert a == epochs(0) and a != epochs(1)
    sampler = RandomSampler(range(20))  # no generator: the library's RNG, when iterated
    tg.manual_seed(5)
    first = list(sampler)
    tg.manual_seed(5)
    assert list(sampler) == first


def test_random_sampler_num_samples_and_replacement() -> None:
    chained = list(RandomSampler(range(4), num_samples=10, generator=Generator().manual_seed(0)))
    assert len(chained) == 10 and sorted(chained[:4]) == sorted(chained[4:8]) == [0, 1, 2, 3]
    assert len(set(chained[8:])) == 2  # permutations chained, as torch
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=300,
                               generator=Generator().manual_seed(0)))
    assert len(drawn) == 300 and set(drawn) == {0, 1, 2}
    assert len(RandomSampler(range(3), replacement=True, num_samples=300)) == 300
    assert list(RandomSampler(range(0))) == []  # an empty epoch (torch refuses it)


def test_subset_random_sampler_permutes_the_given_indices() -> None:
    sampler = SubsetRandomSampler([10, 20, 30, 40], generator=Generator().manual_seed(0))
    first = list(sampler)
    assert sorted(first) == [10, 20, 30, 40] and len(sampler) == 4
    assert list(SubsetRandomSampler([10, 20, 30, 40], Generator().manual_seed(0))) == first


def test_weighted_random_sampler_follows_the_weights() -> None:
    weights = [0.0, 1.0, 3.0]
    drawn = np.array(list(WeightedRandomSampler(weights, 4000,
                                                generator=Generator().manual_seed(0))))
    counts = np.bincount(drawn, minlength=3) / len(drawn)
    assert counts[0] == 0 and abs(counts[2] - 0.75) < 0.03
    once = list(WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 6, replacement=False,
                                      generator=Generator().manual_seed(0)))
    assert sorted(once) == list(range(6))  # without replacement: each index once
    assert list(WeightedRandomSampler(tg.tensor([1.0, 0.0]), 3)) == [0, 0, 0]
    past_positive = list(WeightedRandomSampler([0.0, 1.0, 0.0], 3, replacement=False))
    assert past_positive[0] == 1 and sorted(past_positive) == [0, 1, 2]  # zeros last, as torch
    for weights, num_samples, fragment in (([1.0, 0.0], 3, "cannot sample n_sample"),
                                           ([1.0, -1.0], 1, "element < 0"),
                                           ([0.0, 0.0], 1, "sum of probabilities")):
        with pytest.raises(RuntimeError, match=fragment):
            WeightedRandomSampler(weights, num_samples, replacement=False)
        with pytest.raises(RuntimeError):
            list(tud.WeightedRandomSampler(weights, num_samples, replacement=False))
