"""default_collate and default_convert against torch.utils.data's, structure and dtype."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.utils.data import default_collate, default_convert

from ._compare import plain, to_torch

torch = pytest.importorskip("torch")
Point = namedtuple("Point", "x y")

BATCHES = {
    "ints": [1, 2, 3],
    "floats": [1.5, 2.5],
    "bools": [True, False],
    "int-then-float": [1, 2.5],
    "numpy-float32-scalars": [np.float32(1), np.float32(2)],
    "numpy-int16-scalars": [np.int16(1), np.int16(2)],
    "numpy-bool-scalars": [np.bool_(True), np.bool_(False)],
    "arrays-float64": [np.zeros((2, 3)), np.ones((2, 3))],
    "arrays-uint8": [np.arange(4, dtype=np.uint8), np.arange(4, dtype=np.uint8)],
    "arrays-F-order": [np.asfortranarray(np.arange(6.0).reshape(2, 3))] * 2,
    "tensors": [tg.tensor([1.0, 2.0]), tg.tensor([3.0, 4.0])],
    "int-tensors": [tg.tensor([1, 2]), tg.tensor([3, 4])],
    "0-d tensors": [tg.tensor(1.0), tg.tensor(2.0)],
    "strings": ["a", "bc"],
    "bytes": [b"a", b"b"],
    "tuples": [(np.zeros(2, np.float32), 0), (np.ones(2, np.float32), 1)],
    "lists": [[1, 2.0], [3, 4.0]],
    "dicts": [{"a": 1.5, "b": True, "s": "x"}, {"a": 2.5, "b": False, "s": "y"}],
    "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
    "nested": [{"img": (np.zeros((1, 2), np.float32), [1, 2]), "label": 3},
               {"img": (np.ones((1, 2), np.float32), [3, 4]), "label": 4}],
}


@pytest.mark.parametrize("batch", BATCHES.values(), ids=BATCHES.keys())
def test_default_collate_matches_torch(batch: list) -> None:
    ours = default_collate(batch)
    ref = torch.utils.data.default_collate(to_torch(batch))
    assert plain(ours) == plain(ref)


SAMPLES = {
    "array": np.arange(3, dtype=np.int32),
    "numpy-scalar": np.float64(2.5),
    "string-array": np.array(["a", "b"]),
    "tuple": (np.zeros(2, np.float32), 3, "s"),
    "list": [np.ones(1), 2.5],
    "dict": {"a": np.zeros(2), "b": 1},
    "namedtuple": Point(np.zeros(1), 2),
    "python-number": 3,
    "string": "abc",
}


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
def test_default_convert_matches_torch(sample: object) -> None:
    assert plain(default_convert(sample)) == plain(torch.utils.data.default_convert(sample))


def test_tensors_pass_through_convert_and_are_stacked_without_grad() -> None:
    t = tg.tensor([1.0])
    assert default_convert(t) is t
    batch = default_collate([t, t])
    assert batch.shape == (2, 1) and not batch.requires_grad


@pytest.mark.parametrize("batch, error, fragment", [
    ([np.zeros(2), np.zeros(3)], RuntimeError, "[2] at entry 0 and [3] at entry 1"),
    ([tg.zeros(2, 2), tg.zeros(2, 3)], RuntimeError, "[2, 2] at entry 0 and [2, 3] at entry 1"),
    ([(1, 2), (1, 2, 3)], RuntimeError, "each element in list of batch should be of equal size"),
    ([np.array(["a"]), np.array(["b"])], TypeError, "found <U1"),
    ([object(), object()], TypeError, "batch must contain tensors, numpy arrays, numbers"),
    ([None, None], TypeError, "NoneType"),
    ([], IndexError, "empty batch"),
])
def test_bad_batches_raise_torchs_error_type_with_the_sizes(batch: list, error: type,
                                                            fragment: str) -> None:
    with pytest.raises(error) as ours:
        default_collate(batch)
    assert fragment in str(ours.value)
    if batch:  # torch's collate raises the same type (it cannot index an empty batch either)
        with pytest.raises(error):
            torch.utils.data.default_collate(to_torch(batch))
