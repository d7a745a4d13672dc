"""Tensors print as PyTorch's do (``_tensor_str.py``): the formatter (whole numbers, fixed,
scientific), the common width, line wrapping, summarization, suffixes; compared with torch's
repr on drawn arrays, the ``torch.`` prefix of dtype names aside."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn

torch = pytest.importorskip("torch")

_VALUE_KINDS = ("normal", "whole", "tiny", "huge", "mixed")


@st.composite
def arrays(draw: st.DrawFn) -> np.ndarray:
    ndim = draw(st.integers(0, 3))
    shape = tuple(draw(st.lists(st.integers(0 if ndim else 1, 6), min_size=ndim,
                                max_size=ndim)))
    if draw(st.integers(0, 9)) == 0:  # now and then a tensor big enough to be summarized
        shape = (draw(st.integers(34, 60)), draw(st.integers(30, 40)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from(["float32", "float64", "int64", "bool"]))
    kind = draw(st.sampled_from(_VALUE_KINDS))
    values = np.asarray(rng.normal(size=shape)) * draw(st.sampled_from([1.0, 10.0, 1000.0]))
    if kind == "whole":
        values = np.round(values)
    elif kind == "tiny":
        values = values * 1e-6
    elif kind == "huge":
        values = values * 1e9
    elif kind == "mixed" and values.size:
        flat = values.reshape(-1)
        for special in draw(st.lists(st.sampled_from([np.inf, -np.inf, np.nan, 0.0]),
                                     max_size=3)):
            flat[rng.integers(flat.size)] = special
    values = np.asarray(values)
    if dtype == "bool":
        return np.asarray(values > 0)
    if dtype == "int64":
        return np.asarray(np.nan_to_num(values, posinf=7, neginf=-7).astype(np.int64))
    return np.asarray(values.astype(dtype))


def _torch_repr(a: np.ndarray) -> str:
    return repr(torch.from_numpy(a.copy())).replace("torch.", "")


def _one_line_dtype(text: str) -> str:
    """The dtype suffix joined to its line: PyTorch's ``dtype=torch.float64`` is 6 characters
    longer than ours, so near 80 columns it wraps where ours does not."""
    return text.replace(",\n       dtype=", ", dtype=")


@given(arrays())
def test_repr_matches_torch(a: np.ndarray) -> None:
    assert _one_line_dtype(repr(tg.tensor(a))) == _one_line_dtype(_torch_repr(a))
    assert str(tg.tensor(a)) == repr(tg.tensor(a))


@pytest.mark.parametrize("values", [
    [3.0, 4.0, 8.0, 9.5, 14.5, 23.5, 25.5, 31.5],   # one line up to 80 columns
    [[-np.inf, 2.0, 3.0], [4.0, 5.0, 6.0]],          # -inf sticks out, the width stays 2
    [np.nan, 1.0, 2.5], [1e-5, 1.0], [1e9, 2.0], [0.0, 0.0], 3.0, 0.5,
])
def test_edge_layouts(values: object) -> None:
    a = np.array(values, dtype=np.float32)
    assert repr(tg.tensor(a)) == _torch_repr(a)


def test_suffixes_wrap_and_empty_sizes() -> None:
    a = np.arange(8.0).cumsum()
    assert repr(tg.tensor(a)) == _torch_repr(a)  # ", dtype=float64" moves to its own line
    x = tg.ones(70, requires_grad=True)
    assert repr(x * 2) == repr(torch.ones(70, requires_grad=True) * 2)
    assert repr(tg.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(tg.zeros(0)) == "tensor([])"


def test_set_printoptions() -> None:
    try:
        tg.set_printoptions(precision=2)
        torch.set_printoptions(precision=2)
        a = np.array([1.23456, 2.5], np.float32)
        assert repr(tg.tensor(a)) == _torch_repr(a) == "tensor([1.23, 2.50])"
        tg.set_printoptions(profile="full")
        assert "..." not in repr(tg.arange(2000.0))
        with pytest.raises(ValueError, match="profile"):
            tg.set_printoptions(profile="long")
    finally:
        tg.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
    assert tg.get_printoptions()["precision"] == 4


def test_return_types_print_as_torch() -> None:
    v = np.array([3.0, 1.0, 4.0, 1.5], np.float32)
    ours, theirs = tg.tensor(v).topk(2, largest=False), torch.tensor(v).topk(2, largest=False)
    assert repr(ours) == repr(theirs).replace("torch.", "tinygrad_edu.")
    assert repr(tg.tensor(v).max(0)) == repr(torch.tensor(v).max(0)).replace("torch.",
                                                                             "tinygrad_edu.")
    values, indices = ours
    assert isinstance(ours, tuple) and ours.values is values and ours.indices is indices


def test_parameter_prints_as_torch() -> None:
    w = nn.Parameter(tg.tensor([1.0, 2.0]))
    assert repr(w) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0])))
