"""Tensor's small conveniences (memory facts, new_* factories, keyword shapes, __format__,
hashing) and torch.save/torch.load's keywords, compared with torch 2.13."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from layouts import LAYOUTS, in_layout

import tinygrad_edu as tg
from tinygrad_edu import nn

torch = pytest.importorskip("torch")

CUDA_MESSAGE = "tinygrad_edu computes on the CPU with NumPy: device 'cuda' is not available"


# ---------------------------------------------------------------------- memory facts

VIEWS: list[tuple[str, Callable[[Any], Any]]] = [
    ("plain", lambda t: t), ("t", lambda t: t.t()), ("row", lambda t: t[1]),
    ("column", lambda t: t[:, 2]), ("step", lambda t: t[::2, 1:]), ("block", lambda t: t[1:, 1:3]),
    ("unsqueeze", lambda t: t.unsqueeze(1)), ("expand", lambda t: t[:1].expand(3, 4)),
    ("transpose-view", lambda t: t.transpose(0, 1)[1:]), ("0-d", lambda t: t[1, 2]),
]


@pytest.mark.parametrize("name, view", VIEWS, ids=[v[0] for v in VIEWS])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8"])
def test_stride_and_storage_offset_match_torch(name: str, view: Any, dtype: str) -> None:
    data = np.arange(12).reshape(3, 4).astype(dtype)
    ours, theirs = view(tg.tensor(data)), view(torch.tensor(data))
    assert ours.stride() == theirs.stride()
    if name != "0-d":  # NumPy hands out an element as a copy, not a view
        assert ours.storage_offset() == theirs.storage_offset()
    assert ours.element_size() == theirs.element_size()
    assert ours.nbytes == theirs.nbytes and ours.itemsize == theirs.itemsize
    assert ours.is_contiguous() == theirs.is_contiguous()
    for d in range(-ours.ndim, ours.ndim):
        assert ours.stride(d) == theirs.stride(d)
        assert ours.size(d) == theirs.size(d)


def test_stride_and_size_refuse_bad_dims_as_torch() -> None:
    ours, theirs = tg.zeros(2, 3), torch.zeros(2, 3)
    for call in (lambda t: t.stride(2), lambda t: t.stride(-3), lambda t: t.size(2),
                 lambda t: t.size(-3)):
        with pytest.raises(IndexError):
            call(theirs)
        with pytest.raises(IndexError):
            call(ours)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_memory_facts_on_every_layout(layout: str) -> None:
    array = in_layout(np.arange(24, dtype=np.float32).reshape(2, 3, 4), layout)
    t = tg.Tensor(array)
    assert t.stride() == tuple(s // 4 for s in array.strides)
    assert t.data_ptr() == array.__array_interface__["data"][0]
    assert t.storage_offset() >= 0 or layout == "reversed"
    assert tg.tensor(array).data_ptr() != t.data_ptr()  # tensor() copies, Tensor() shares


def test_data_ptr_tells_shared_memory() -> None:
    a = tg.zeros(4)
    assert a.detach().data_ptr() == a.data_ptr() == a.data.data_ptr()
    assert a.clone().data_ptr() != a.data_ptr()
    assert a[1:].data_ptr() == a.data_ptr() + 4


# ---------------------------------------------------------------------- new_* factories

@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_new_factories_match_torch(dtype: str) -> None:
    ours, theirs = tg.zeros(2, dtype=getattr(tg, dtype)), torch.zeros(2, dtype=getattr(torch,
                                                                                       dtype))
    calls = [
        lambda t: t.new_zeros(2, 3), lambda t: t.new_zeros((2, 3)), lambda t: t.new_ones(3),
        lambda t: t.new_empty((2,)), lambda t: t.new_full((2, 2), 3),
        lambda t: t.new_full((2,), 1.5), lambda t: t.new_tensor([1, 2]),
        lambda t: t.new_tensor([[1.5, 2.5]]), lambda t: t.new_zeros(2, device="cpu"),
    ]
    for i, call in enumerate(calls):
        mine, ref = call(ours), call(theirs)
        assert str(mine.dtype) == str(ref.dtype)[6:] and mine.shape == tuple(ref.shape)
        if i != 3:  # new_empty: torch's memory is uninitialized (ours is zeros)
            np.testing.assert_array_equal(mine.numpy(), ref.numpy())
    assert ours.new_ones(2, dtype=tg.int8).dtype == tg.int8
    assert ours.new_tensor([1, 2], dtype=tg.float16).dtype == tg.float16


def test_new_factories_requires_grad_and_copies() -> None:
    source = np.array([1.0, 2.0], np.float32)
    x = tg.ones(1)
    t = x.new_tensor(source, requires_grad=True)
    assert t.requires_grad and t.is_leaf
    source[0] = 9
    assert t.tolist() == [1.0, 2.0]  # a copy, as torch's new_tensor
    assert x.new_zeros(2, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="only floating point"):
        tg.zeros(1, dtype=tg.long).new_zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=f"^{CUDA_MESSAGE}$"):
        x.new_ones(2, device="cuda")


# ---------------------------------------------------------------------- keyword shapes

def test_reshape_and_view_keyword_forms_as_torch() -> None:
    ours, theirs = tg.zeros(2, 3), torch.zeros(2, 3)
    assert ours.reshape(shape=(3, 2)).shape == tuple(theirs.reshape(shape=(3, 2)).shape)
    assert ours.view(size=(6,)).shape == tuple(theirs.view(size=(6,)).shape)
    assert ours.view(3, -1).shape == tuple(theirs.view(3, -1).shape)
    assert tg.reshape(ours, (6,)).shape == (6,)
    for bad in (lambda t: t.view(shape=(6,)), lambda t: t.reshape(6, shape=(6,))):
        with pytest.raises(TypeError):
            bad(theirs)
        with pytest.raises(TypeError, match="keyword"):
            bad(ours)


# ---------------------------------------------------------------------- __format__, hash

@pytest.mark.parametrize("spec", ["", ".3f", ">12", "e", ".2%", "+.1f"])
@pytest.mark.parametrize("value", [1.23456, -2.0, 3])
def test_format_of_a_0d_tensor_matches_torch(spec: str, value: float) -> None:
    ours, theirs = tg.tensor(value), torch.tensor(value)
    assert format(ours, spec) == format(theirs, spec)
    assert f"loss {tg.tensor(value):{spec}}" == f"loss {torch.tensor(value):{spec}}"


def test_format_of_bigger_tensors_as_torch() -> None:
    ours, theirs = tg.tensor([1.5, 2.0]), torch.tensor([1.5, 2.0])
    assert f"{ours}" == str(ours) and f"{theirs}" == str(theirs)
    for t in (theirs, ours, tg.tensor([1.5]), torch.tensor([1.5])):
        with pytest.raises(TypeError, match="unsupported format string"):
            format(t, ".3f")


def test_loss_formats_in_a_training_print() -> None:
    model = nn.Linear(3, 1)
    loss = ((model(tg.ones(4, 3)) - 1) ** 2).mean()
    assert f"{loss:.3f}" == f"{loss.item():.3f}"
    assert f"{loss.detach():.2e}" == f"{loss.item():.2e}"


def test_tensors_hash_by_identity_and_work_as_dict_keys() -> None:
    a, b = tg.ones(2), tg.ones(2)
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b" and hash(a) != hash(b)
    assert len({a, b, a}) == 2


def test_requires_grad_and_is_leaf_as_torch() -> None:
    for m in (tg, torch):
        x = m.ones(2)
        assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
        y = x * 2
        assert not y.is_leaf and y.requires_grad
        assert x.requires_grad_(False) is x and not x.requires_grad
        assert m.ones(2).is_leaf
    assert tg.ones(1).is_floating_point() and not tg.ones(1, dtype=tg.int32).is_floating_point()
    assert tg.ones(1).is_cuda is torch.ones(1).is_cuda is False


# ---------------------------------------------------------------------- save / load

def test_load_accepts_torchs_keywords(tmp_path: Any) -> None:
    path = tmp_path / "ckpt.npz"
    state = {"w": tg.ones(2, 3), "epoch": 3, "nested": {"lr": [0.1, 0.01], "name": "sgd"}}
    tg.save(state, path)
    for kwargs in ({}, {"weights_only": True}, {"weights_only": False}, {"map_location": "cpu"},
                   {"map_location": tg.device("cpu")}, {"map_location": {"cuda:0": "cpu"}},
                   {"map_location": lambda storage, loc: storage}, {"mmap": True},
                   {"map_location": "cpu", "weights_only": True, "mmap": False}):
        loaded = tg.load(path, **kwargs)
        assert loaded["w"].tolist() == [[1.0] * 3] * 2 and loaded["epoch"] == 3
        assert loaded["nested"] == {"lr": [0.1, 0.01], "name": "sgd"}
    assert tg.load(str(path), "cpu")["epoch"] == 3  # map_location positionally, as torch


@pytest.mark.parametrize("where", ["cuda", "cuda:0", tg.device("cuda"), {"cpu": "cuda"}])
def test_load_refuses_other_devices_with_the_one_message(tmp_path: Any, where: Any) -> None:
    path = tmp_path / "ckpt.npz"
    tg.save({"a": 1}, path)
    with pytest.raises(RuntimeError, match="computes on the CPU with NumPy: device 'cuda"):
        tg.load(path, map_location=where)


def test_load_and_save_refuse_pickle_options(tmp_path: Any) -> None:
    import pickle

    with pytest.raises(TypeError, match="pickle_module"):
        tg.save({"a": 1}, tmp_path / "x.npz", pickle_module=pickle)
    tg.save({"a": 1}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="pickle_module"):
        tg.load(tmp_path / "x.npz", pickle_module=pickle)
    with pytest.raises(TypeError, match="weights_only"):
        tg.load(tmp_path / "x.npz", weights_only="yes")


@pytest.mark.parametrize("whole, hint", [
    (lambda: nn.Linear(2, 2), "model.state_dict()"),
    (lambda: nn.Sequential(nn.Linear(2, 2)), "model.state_dict()"),
    (lambda: tg.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1), "optimizer.state_dict()"),
    (lambda: {"model": nn.Linear(2, 2)}, "model.state_dict()")])
def test_saving_a_whole_module_is_refused_with_the_way(tmp_path: Any, whole: Any,
                                                       hint: str) -> None:
    path = tmp_path / "m.npz"
    with pytest.raises(TypeError, match=r"cannot save a whole .*state_dict\(\)") as info:
        tg.save(whole(), path)
    assert hint in str(info.value) and not path.exists()


def test_state_dicts_round_trip_through_a_bytes_buffer() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    opt = tg.optim.Adam(model.parameters(), lr=1e-3)
    (model(tg.randn(5, 3)) ** 2).sum().backward()
    opt.step()
    sched = tg.optim.lr_scheduler.StepLR(opt, step_size=2)
    buffer = io.BytesIO()
    tg.save({"model": model.state_dict(), "opt": opt.state_dict(),
             "sched": sched.state_dict(), "epoch": 1}, buffer)
    buffer.seek(0)
    loaded = tg.load(buffer, map_location="cpu", weights_only=True)
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    fresh.load_state_dict(loaded["model"])
    x = tg.randn(2, 3)
    fresh.eval(), model.eval()
    np.testing.assert_array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())
    opt2 = tg.optim.Adam(fresh.parameters(), lr=1e-3)
    opt2.load_state_dict(loaded["opt"])
    assert loaded["epoch"] == 1 and loaded["sched"]["step_size"] == 2
