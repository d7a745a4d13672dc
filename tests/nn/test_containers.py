"""Containers against PyTorch's: ModuleList, ModuleDict, ParameterList, ParameterDict and the
list side of Sequential.

Hypothesis draws sequences of list/dict operations and applies each to our container, to
torch's and to a plain Python list or dict of tags: after every step the three hold the same
entries in the same order under the same names (so state-dict keys agree). Reprs are compared
with torch's str (the parameter containers print dtypes without torch's "torch." prefix, as
this library's tensors do), and a model built from every container moves its state dict to
its PyTorch twin (torch.from_numpy) and back with identical outputs.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn

torch = pytest.importorskip("torch", reason="PyTorch is the oracle of these tests")


def _tagged(lib: Any, tag: int) -> Any:
    """A module that says which one it is: Linear(1, tag + 1)."""
    return lib.nn.Linear(1, tag + 1)


def _tag(module: Any) -> int:
    return int(module.out_features) - 1


def _same(ours: Any, theirs: Any, model: list[int]) -> None:
    assert [_tag(m) for m in ours] == [_tag(m) for m in theirs] == model
    assert list(ours._modules) == list(theirs._modules) == [str(i) for i in range(len(model))]
    assert len(ours) == len(theirs) == len(model)
    assert list(ours.state_dict()) == list(theirs.state_dict())


LIST_OPS = st.lists(st.tuples(
    st.sampled_from(("append", "extend", "insert", "del", "del_slice", "set", "pop", "iadd",
                     "pop_slice")),
    st.integers(-6, 6), st.integers(-6, 6), st.sampled_from((None, 1, 2, -1))), max_size=12)


@given(ops=LIST_OPS)
def test_module_list_operations_match_torch(ops: list[tuple[str, int, int, Any]]) -> None:
    ours, theirs, model = nn.ModuleList(), torch.nn.ModuleList(), []
    fresh = iter(range(1000))
    for op, i, j, step in ops:
        n = len(model)
        if op == "append":
            tag = next(fresh)
            ours.append(_tagged(tg, tag))
            theirs.append(_tagged(torch, tag))
            model.append(tag)
        elif op in ("extend", "iadd"):
            tags = [next(fresh), next(fresh)]
            if op == "extend":
                ours.extend([_tagged(tg, t) for t in tags])
                theirs.extend([_tagged(torch, t) for t in tags])
            else:
                ours += [_tagged(tg, t) for t in tags]
                theirs += [_tagged(torch, t) for t in tags]
            model.extend(tags)
        elif op == "insert":  # torch's insert breaks on negative indices: 0 .. len only
            index, tag = min(abs(i), n), next(fresh)
            ours.insert(index, _tagged(tg, tag))
            theirs.insert(index, _tagged(torch, tag))
            model.insert(index, tag)
        elif op in ("del_slice", "pop_slice"):
            part = slice(i, j, step)
            if op == "del_slice":
                del ours[part], theirs[part], model[part]
            else:
                assert [_tag(m) for m in ours.pop(part)] == [_tag(m) for m in theirs.pop(part)] \
                    == model[part]
                del model[part]
        elif not -n <= i < n:  # out of range: both refuse
            with pytest.raises(IndexError):
                ours[i]
            with pytest.raises(IndexError):
                theirs[i]
        elif op == "del":
            del ours[i], theirs[i], model[i]
        elif op == "set":
            tag = next(fresh)
            ours[i], theirs[i], model[i] = _tagged(tg, tag), _tagged(torch, tag), tag
        else:
            assert _tag(ours.pop(i)) == _tag(theirs.pop(i)) == model.pop(i)
        _same(ours, theirs, model)
        sliced = ours[i:j:step]  # a new ModuleList of the same modules, numbered from 0
        assert isinstance(sliced, nn.ModuleList) and [_tag(m) for m in sliced] == model[i:j:step]
        assert list(sliced._modules) == [str(k) for k in range(len(sliced))]
    combined = ours + ours
    assert [_tag(m) for m in combined] == model + model
    assert repr(ours) == repr(theirs)


def test_module_list_reprs_compress_repeats_like_torch() -> None:
    def build(lib: Any) -> Any:
        return lib.nn.ModuleList([lib.nn.Linear(2, 3), lib.nn.Linear(2, 3), lib.nn.ReLU(),
                                  lib.nn.Linear(2, 3), lib.nn.Sequential(lib.nn.Linear(1, 1)),
                                  lib.nn.Sequential(lib.nn.Linear(1, 1))])
    assert repr(build(tg)) == repr(build(torch))
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList()) == "ModuleList()"
    inner = nn.ModuleList([nn.ModuleList([nn.ReLU()])])
    assert repr(inner) == repr(torch.nn.ModuleList([torch.nn.ModuleList([torch.nn.ReLU()])]))


def test_module_list_errors() -> None:
    layers = nn.ModuleList([nn.ReLU()])
    with pytest.raises(TypeError, match="iterable"):
        layers.extend(nn.ReLU())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        layers.append(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        layers["a"]  # type: ignore[call-overload]
    with pytest.raises(IndexError, match="out of range"):
        layers[1] = nn.ReLU()
    assert "0" not in dir(layers)
    assert layers[-1] is layers[0]


DICT_KEYS = st.sampled_from(("a", "b", "conv", "x1", "head", "z"))
DICT_OPS = st.lists(st.tuples(
    st.sampled_from(("set", "del", "pop", "update_dict", "update_pairs", "clear")),
    DICT_KEYS, DICT_KEYS), max_size=12)


@given(ops=DICT_OPS)
def test_module_dict_operations_match_torch(ops: list[tuple[str, str, str]]) -> None:
    ours, theirs, model = nn.ModuleDict(), torch.nn.ModuleDict(), {}
    fresh = iter(range(1000))
    for op, k1, k2 in ops:
        if op == "set":
            tag = next(fresh)
            ours[k1], theirs[k1], model[k1] = _tagged(tg, tag), _tagged(torch, tag), tag
        elif op in ("del", "pop") and k1 not in model:
            with pytest.raises(KeyError):
                ours[k1]
            with pytest.raises(KeyError):
                theirs[k1]
        elif op == "del":
            del ours[k1], theirs[k1], model[k1]
        elif op == "pop":
            assert _tag(ours.pop(k1)) == _tag(theirs.pop(k1)) == model.pop(k1)
        elif op == "clear":
            ours.clear()
            theirs.clear()
            model.clear()
        else:
            tags = {k2: next(fresh), k1: next(fresh)}
            mine = {k: _tagged(tg, t) for k, t in tags.items()}
            torchs = {k: _tagged(torch, t) for k, t in tags.items()}
            if op == "update_dict":
                ours.update(mine)
                theirs.update(torchs)
            else:
                ours.update(list(mine.items()))
                theirs.update(list(torchs.items()))
            model.update(tags)
        assert list(ours.keys()) == list(theirs.keys()) == list(model)
        assert [_tag(m) for m in ours.values()] == list(model.values())
        assert [(k, _tag(m)) for k, m in ours.items()] == list(model.items())
        assert list(ours) == list(model) and len(ours) == len(model)
        assert all((k in ours) == (k in model) for k in ("a", "b", "q"))
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert repr(ours) == repr(theirs)
    for key in model:  # identifier keys are attributes too (and go away with the entry)
        assert getattr(ours, key) is ours[key]


def test_module_dict_errors_match_torch() -> None:
    for lib in (tg, torch):
        d = lib.nn.ModuleDict()
        with pytest.raises(TypeError):
            d.update(3)
        with pytest.raises(ValueError, match="length 3"):
            d.update([("a", lib.nn.ReLU(), 1)])
        with pytest.raises(TypeError, match="should be Iterable"):
            d.update([3])
        with pytest.raises(KeyError):
            d["train"] = lib.nn.ReLU()  # a method's name
        with pytest.raises(KeyError):
            d["a.b"] = lib.nn.ReLU()


# ---------------------------------------------------------------------- parameter containers


def _strip(text: str) -> str:
    return text.replace("torch.", "")


def test_parameter_list_matches_torch() -> None:
    def build(lib: Any) -> Any:
        p = lib.nn.ParameterList([lib.zeros(2, 3), lib.nn.Parameter(lib.zeros(4)), "text"])
        p.append(lib.zeros(1, dtype=lib.float64))
        p.extend([lib.ones(2, 2)])
        p += [lib.zeros(())]
        p[0] = lib.ones(3, 3)
        return p

    ours, theirs = build(tg), build(torch)
    assert _strip(repr(theirs)) == repr(ours)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["0", "1", "3", "4", "5"]
    assert [tuple(p.shape) for p in ours.parameters()] == [tuple(p.shape)
                                                           for p in theirs.parameters()]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in ours.parameters())
    assert ours[2] == "text" and ours[-1].shape == ()
    half = ours[::2]
    assert isinstance(half, nn.ParameterList) and len(half) == 3 and half[0] is ours[0]
    assert [type(x).__name__ for x in ours] == [type(x).__name__.replace("Parameter", "Parameter")
                                                for x in theirs]
    plain = tg.zeros(2)
    shared = nn.ParameterList([plain])[0]
    assert isinstance(shared, nn.Parameter)
    assert np.shares_memory(shared.detach().numpy(), plain.numpy())
    with pytest.raises(RuntimeError, match="should not be called"):
        ours()
    with pytest.raises(TypeError, match="iterable"):
        ours.extend(tg.zeros(2))
    with pytest.raises(IndexError):
        ours[6]
    with pytest.raises(RuntimeError):  # an integer tensor cannot be a parameter, as in torch
        nn.ParameterList([tg.tensor([1, 2])])
    assert repr(nn.ParameterList()) == repr(torch.nn.ParameterList())
    assert repr(nn.ParameterList([tg.zeros(())])) == _strip(
        repr(torch.nn.ParameterList([torch.zeros(())])))


PDICT_OPS = st.lists(st.tuples(
    st.sampled_from(("set", "del", "pop", "popitem", "setdefault", "update_dict",
                     "update_ordered", "update_pairs", "or", "ior", "clear")),
    DICT_KEYS, DICT_KEYS), max_size=12)


@given(ops=PDICT_OPS)
def test_parameter_dict_operations_match_torch(ops: list[tuple[str, str, str]]) -> None:
    ours, theirs = nn.ParameterDict(), torch.nn.ParameterDict()
    fresh = iter(range(1, 1000))

    def pair() -> tuple[Any, Any]:
        n = next(fresh)
        return tg.zeros(n), torch.zeros(n)

    for op, k1, k2 in ops:
        if op in ("del", "pop") and k1 not in theirs:
            with pytest.raises(KeyError):
                ours.pop(k1) if op == "pop" else ours.__delitem__(k1)
            continue
        if op == "popitem" and not len(theirs):
            with pytest.raises(KeyError):
                ours.popitem()
            continue
        if op == "set":
            a, b = pair()
            ours[k1], theirs[k1] = a, b
        elif op == "del":
            del ours[k1], theirs[k1]
        elif op == "pop":
            assert ours.pop(k1).shape == tuple(theirs.pop(k1).shape)
        elif op == "popitem":
            (ka, va), (kb, vb) = ours.popitem(), theirs.popitem()
            assert ka == kb and va.shape == tuple(vb.shape)
        elif op == "setdefault":
            a, b = pair()
            assert ours.setdefault(k1, a).shape == tuple(theirs.setdefault(k1, b).shape)
        elif op == "clear":
            ours.clear()
            theirs.clear()
        else:
            (a1, b1), (a2, b2) = pair(), pair()
            mine, torchs = {k2: a1, k1: a2}, {k2: b1, k1: b2}
            if op == "update_dict":  # a plain dict: PyTorch adds its keys sorted
                ours.update(mine)
                theirs.update(torchs)
            elif op == "update_ordered":
                ours.update(OrderedDict(mine))
                theirs.update(OrderedDict(torchs))
            elif op == "update_pairs":
                ours.update(list(mine.items()))
                theirs.update(list(torchs.items()))
            elif op == "or":
                ours = ours | nn.ParameterDict(mine)
                theirs = theirs | torch.nn.ParameterDict(torchs)
            else:
                ours |= nn.ParameterDict(mine)
                theirs |= torch.nn.ParameterDict(torchs)
        assert list(ours.keys()) == list(theirs.keys())
        assert [v.shape for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert list(reversed(ours)) == list(reversed(theirs))
        assert _strip(repr(theirs)) == repr(ours)
        assert ours.get("q") is None and ours.get("q", 3) == 3
    copy = ours.copy()
    assert list(copy.keys()) == list(ours.keys()) and all(copy[k] is ours[k] for k in ours)


def test_parameter_dict_details() -> None:
    d = nn.ParameterDict({"w": tg.zeros(2, 3), "b": nn.Parameter(tg.zeros(3)), "s": "x"})
    assert list(d.keys()) == ["b", "s", "w"]  # a plain dict's keys sorted, as torch
    assert isinstance(d["w"], nn.Parameter) and d["s"] == "x"
    assert list(dict(d.named_parameters())) == ["b", "w"]
    fresh = d.fromkeys(["p", "q"], tg.zeros(1))
    assert list(fresh.keys()) == ["p", "q"]
    # one tensor under two names
    assert np.shares_memory(fresh["p"].detach().numpy(), fresh["q"].detach().numpy())
    with pytest.raises(TypeError, match="not a string"):
        d[1] = tg.zeros(1)  # type: ignore[index]
    with pytest.raises(RuntimeError, match="should not be called"):
        d(tg.zeros(1))
    with pytest.raises(ValueError, match="length 1"):
        d.update([("a",)])


# ---------------------------------------------------------------------- Sequential, as a list


@given(ops=LIST_OPS)
def test_sequential_list_operations_match_torch(ops: list[tuple[str, int, int, Any]]) -> None:
    ours, theirs, model = nn.Sequential(), torch.nn.Sequential(), []
    fresh = iter(range(1000))
    for op, i, j, step in ops:
        n = len(model)
        if op == "append":
            tag = next(fresh)
            ours.append(_tagged(tg, tag))
            theirs.append(_tagged(torch, tag))
            model.append(tag)
        elif op == "extend":
            tags = [next(fresh), next(fresh)]
            ours.extend([_tagged(tg, t) for t in tags])
            theirs.extend([_tagged(torch, t) for t in tags])
            model.extend(tags)
        elif op == "iadd":
            tags = [next(fresh)]
            ours += nn.Sequential(*[_tagged(tg, t) for t in tags])
            theirs += torch.nn.Sequential(*[_tagged(torch, t) for t in tags])
            model.extend(tags)
        elif op == "insert":
            index, tag = max(min(i, n), -n), next(fresh)
            ours.insert(index, _tagged(tg, tag))
            theirs.insert(index, _tagged(torch, tag))
            model.insert(index, tag)
        elif op in ("del_slice", "pop_slice"):
            part = slice(i, j, step)
            if op == "del_slice":
                del ours[part], theirs[part], model[part]
            else:
                assert [_tag(m) for m in ours.pop(part)] == [_tag(m) for m in theirs.pop(part)]
                del model[part]
        elif not -n <= i < n:
            for seq in (ours, theirs):
                with pytest.raises(IndexError):
                    seq[i]
        elif op == "del":
            del ours[i], theirs[i], model[i]
        elif op == "set":
            tag = next(fresh)
            ours[i], theirs[i], model[i] = _tagged(tg, tag), _tagged(torch, tag), tag
        else:
            assert _tag(ours.pop(i)) == _tag(theirs.pop(i)) == model.pop(i)
        _same(ours, theirs, model)
        part = ours[i:j:step]  # keeps the names, as torch's
        assert list(part._modules) == list(theirs[i:j:step]._modules)
    for k in (1, 2, 3):
        if model:
            assert [_tag(m) for m in ours * k] == [_tag(m) for m in k * theirs] == model * k
    assert [_tag(m) for m in ours + ours] == model + model
    assert repr(ours) == repr(theirs)


def test_sequential_operator_errors_match_torch() -> None:
    for lib in (tg, torch):
        seq = lib.nn.Sequential(lib.nn.Linear(1, 2))
        with pytest.raises(ValueError, match="Non-positive"):
            seq * 0
        with pytest.raises(TypeError, match="unsupported operand"):
            seq * 1.5
        with pytest.raises(ValueError, match="Sequential class"):
            seq + lib.nn.ModuleList()
        with pytest.raises(ValueError, match="Sequential class"):
            seq += 3
        with pytest.raises(IndexError):
            seq.insert(3, lib.nn.ReLU())
    seq = nn.Sequential(nn.Linear(1, 2))
    seq *= 3
    assert len(seq) == 3 and seq[0] is seq[2]  # the same module three times (shared weights)
    assert "0" not in dir(seq)
    assert list(seq.state_dict()) == [f"{i}.{p}" for i in range(3) for p in ("weight", "bias")]


# ---------------------------------------------------------------------- state dict round trip


def _model(lib: Any) -> Any:
    """The same model in both libraries: every container in it."""
    class Net(lib.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = lib.nn.ModuleList([lib.nn.Linear(3, 4), lib.nn.Linear(4, 4)])
            self.heads = lib.nn.ModuleDict({"main": lib.nn.Linear(4, 2),
                                            "aux": lib.nn.Sequential(lib.nn.Linear(4, 1))})
            self.scales = lib.nn.ParameterList([lib.ones(4), lib.ones(4)])
            self.shifts = lib.nn.ParameterDict({"out": lib.zeros(2), "aux": lib.zeros(1)})

        def forward(self, x: Any) -> Any:
            for block, scale in zip(self.blocks, self.scales, strict=True):
                x = (block(x) * scale).tanh()
            return (self.heads["main"](x) + self.shifts["out"],
                    self.heads["aux"](x) + self.shifts["aux"])

    return Net()


def test_state_dict_round_trip_through_torch_with_every_container() -> None:
    tg.manual_seed(0)
    ours, theirs = _model(tg), _model(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with tg.no_grad():  # non-trivial values everywhere
        for p in ours.parameters():
            p.copy_(np.random.default_rng(p.numel()).standard_normal(p.shape))
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    for a, b in zip(ours(tg.tensor(x)), theirs(torch.from_numpy(x)), strict=True):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    with torch.no_grad():
        for p in theirs.parameters():
            p.mul_(-0.5)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for a, b in zip(ours(tg.tensor(x)), theirs(torch.from_numpy(x)), strict=True):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert len(list(ours.parameters())) == len(list(theirs.parameters())) == 12
    assert _strip(repr(theirs)) == repr(ours)


def test_sequential_named_by_a_dict_keeps_attributes_in_step() -> None:
    a, b, c = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    seq = nn.Sequential(OrderedDict([("act", a), ("squash", b)]))
    assert seq.act is a and seq[1] is b and list(seq._modules) == ["act", "squash"]
    seq[0] = c
    assert seq.act is c and seq[0] is c  # the attribute follows the entry
    del seq[0]
    assert list(seq._modules) == ["0"] and seq[0] is b  # renumbered, as torch
    for name in ("act", "squash"):
        with pytest.raises(AttributeError):
            getattr(seq, name)
    assert list(seq[0:1]._modules) == ["0"]
