"""Spellings PyTorch code uses every day, each compared with torch 2.13 (found by running
tutorial-style snippets both ways): keyword forms (alpha=, rounding_mode=, dtype=, dims=,
other=, split_size=), one-argument where, randint(high, size), tensor clamp bounds, integer
sums without wrap-around, hstack & co., inference_mode, integer regression targets and
collate of string fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as tF
from tinygrad_edu.utils.data import default_collate

torch = pytest.importorskip("torch")
import torch.nn.functional as torchF  # noqa: E402


def _same(ours: Any, theirs: Any) -> None:
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs, strict=True):
            _same(o, t)
        return
    expected = theirs.detach().numpy()
    got = ours.detach().numpy()
    assert got.shape == expected.shape and got.dtype == expected.dtype, (got, expected)
    np.testing.assert_allclose(got, expected, rtol=1e-6)


A = np.array([1.0, 2.0, 6.0], np.float32)
B = np.array([3.0, 2.5, 7.0], np.float32)
CASES: dict[str, Callable[[Any, Any], Any]] = {
    "add alpha": lambda lib, F: lib.add(lib.tensor(A), lib.tensor(B), alpha=2),
    "sub alpha": lambda lib, F: lib.tensor(A).sub(lib.tensor(B), alpha=0.5),
    "div floor": lambda lib, F: lib.div(lib.tensor([-7, 7]), 2, rounding_mode="floor"),
    "div trunc int": lambda lib, F: lib.div(lib.tensor([-7, 7]), 2, rounding_mode="trunc"),
    "div trunc float": lambda lib, F: lib.div(lib.tensor([-7.0, 7.5]), 2, rounding_mode="trunc"),
    "sum dtype": lambda lib, F: lib.sum(lib.tensor(A), dim=0, dtype=lib.float64),
    "mean dtype": lambda lib, F: lib.tensor([1, 2], dtype=lib.uint8).mean(dtype=lib.float32),
    "uint8 sum": lambda lib, F: lib.tensor([1, 2], dtype=lib.uint8).sum() - 5,
    "bool sum": lambda lib, F: lib.sum(lib.tensor([True, True, False]), dim=0, keepdim=True),
    "int16 sum": lambda lib, F: lib.tensor([[300, 300]], dtype=lib.int16).sum(1),
    "softmax dtype": lambda lib, F: F.softmax(lib.tensor(A), dim=0, dtype=lib.float64),
    "log_softmax dtype": lambda lib, F: lib.tensor(A).log_softmax(0, dtype=lib.float64),
    "where one arg": lambda lib, F: lib.where(lib.tensor([[1.0, 3.0], [5.0, 0.0]]) > 2),
    "flip dims": lambda lib, F: lib.flip(lib.arange(4.0).reshape(2, 2), dims=[0, 1]),
    "max other": lambda lib, F: lib.max(lib.tensor(A), other=lib.tensor(B)),
    "min other": lambda lib, F: lib.min(lib.tensor(A), other=lib.tensor(B)),
    "eq": lambda lib, F: lib.eq(lib.tensor(A), lib.tensor([1.0, 0.0, 6.0])),
    "split size": lambda lib, F: lib.arange(6.0).reshape(2, 3).split(split_size=2, dim=1),
    "clamp min tensor": lambda lib, F: lib.clamp(lib.tensor(B), min=lib.tensor(A + 1)),
    "clamp both tensors": lambda lib, F: lib.clamp(lib.tensor(B), min=lib.tensor(A),
                                                   max=lib.tensor(A + 0.5)),
    "hstack": lambda lib, F: lib.hstack([lib.tensor(A), lib.tensor(B)]),
    "vstack": lambda lib, F: lib.vstack([lib.tensor(A), lib.tensor(B)]),
    "column_stack": lambda lib, F: lib.column_stack([lib.tensor(A), lib.tensor(B)]),
    "dstack": lambda lib, F: lib.dstack([lib.ones(2, 3), lib.zeros(2, 3)]),
    "mse int target": lambda lib, F: F.mse_loss(lib.tensor([1.0, 2.0]), lib.tensor([1, 3])),
    "l1 int target": lambda lib, F: F.l1_loss(lib.tensor([1.0, 2.0]), lib.tensor([0, 3])),
}


@pytest.mark.parametrize("name", CASES)
def test_spelling_matches_torch(name: str) -> None:
    _same(CASES[name](tg, tF), CASES[name](torch, torchF))


def test_alpha_and_tensor_bounds_carry_gradients() -> None:
    grads = []
    for lib in (tg, torch):
        a = lib.tensor(A, requires_grad=True)
        m = lib.tensor(A - 1, requires_grad=True)
        (lib.add(lib.tensor(B), a, alpha=3).sum() + lib.clamp(lib.tensor(B) - 5, min=m).sum()
         ).backward()
        grads.append((a.grad.numpy(), m.grad.numpy()))
    for ours, theirs in zip(*grads, strict=True):
        np.testing.assert_allclose(ours, theirs)


def test_div_rounding_mode_is_checked() -> None:
    with pytest.raises(ValueError, match="rounding_mode"):
        tg.div(tg.tensor([1.0]), 2, rounding_mode="round")


def test_randint_two_argument_form() -> None:
    assert tg.randint(10, (3,)).shape == (3,) and tg.randint(3, 10, (2, 2)).shape == (2, 2)
    values = tg.randint(5, (1000,)).numpy()
    assert values.min() >= 0 and values.max() <= 4 and values.dtype == np.int64


def test_inference_mode_forms() -> None:
    x = tg.ones(2, requires_grad=True)
    with tg.inference_mode():
        assert not (x * 2).requires_grad
    with tg.inference_mode(False):
        assert (x * 2).requires_grad

    @tg.inference_mode()
    def called() -> bool:
        return (x * 2).requires_grad

    @tg.inference_mode
    def bare() -> bool:
        return (x * 2).requires_grad

    assert not called() and not bare() and (x * 2).requires_grad


def test_collate_of_string_fields_matches_torch() -> None:
    from torch.utils.data import default_collate as torch_collate

    for batch in ([("a", 1), ("b", 2)], ["x", "y"], [[1, "a"], [2, "b"]]):
        ours, theirs = default_collate(batch), torch_collate(batch)
        assert type(ours) is type(theirs)
        for o, t in zip(ours, theirs, strict=True):
            assert type(o) is type(t) or (isinstance(o, tg.Tensor) and
                                          isinstance(t, torch.Tensor))


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor",
                                  "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor",
                                  "HalfTensor"])
def test_legacy_tensor_types(name: str) -> None:
    ours_type, torch_type = getattr(tg, name), getattr(torch, name)
    _same(ours_type([1, 0, 1]), torch_type([1, 0, 1]))
    _same(ours_type(np.array([1, 2])), torch_type(np.array([1, 2])))
    assert ours_type(2, 3).shape == tuple(torch_type(2, 3).shape)
    assert ours_type().shape == tuple(torch_type().shape) == (0,)
    x, t = tg.tensor([1.5, -2.0]), torch.tensor([1.5, -2.0])
    _same(x.type(ours_type), t.type(torch_type))
    assert x.type(ours_type).type() == t.type(torch_type).type()
    assert isinstance(x.type(ours_type), ours_type)
    assert isinstance(x, ours_type) == isinstance(t, torch_type)
