"""Checkpoints: save/load round trips, atomic writes, refusal of pickles and foreign files."""

from __future__ import annotations

import errno
import json
import math
import os
import stat
import struct
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_edu.serialization import META, CheckpointError, load, save
from tinygrad_edu.tensor import Tensor

# ----------------------------------------------------------------------------- equality


def float_bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def assert_same_array(a: np.ndarray, b: np.ndarray, where: str) -> None:
    assert type(b) is np.ndarray, where
    assert b.dtype == a.dtype, f"{where}: dtype {b.dtype} != {a.dtype}"
    assert b.shape == a.shape, f"{where}: shape {b.shape} != {a.shape}"
    assert b.tobytes() == a.tobytes(), f"{where}: values differ (bit for bit)"


def assert_same(a: Any, b: Any, where: str = "<top>") -> None:
    """Structural equality: same container types, key types and order, dtypes, exact bits."""
    if isinstance(a, Tensor):
        assert type(b) is Tensor, f"{where}: {type(b)} is not a Tensor"
        assert b.requires_grad == a.requires_grad, where
        assert b.is_leaf and b.grad is None, where
        assert_same_array(a.data.numpy(), b.data.numpy(), where)
    elif isinstance(a, np.ndarray):
        assert_same_array(a, b, where)
    elif isinstance(a, np.generic):
        assert type(b) is type(a), f"{where}: {type(b)} != {type(a)}"
        assert b.tobytes() == a.tobytes(), where
    elif isinstance(a, dict):
        assert type(b) is dict, where
        assert [(type(k), k) for k in b] == [(type(k), k) for k in a], f"{where}: keys differ"
        for k in a:
            assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert type(b) is type(a), f"{where}: {type(b)} != {type(a)}"
        assert len(b) == len(a), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}.{i}")
    elif isinstance(a, float):
        assert type(b) is float, f"{where}: {type(b)} is not float"
        assert float_bits(b) == float_bits(a), f"{where}: {b!r} != {a!r} (bits)"
    else:  # None, bool, int, str
        assert type(b) is type(a), f"{where}: {type(b)} != {type(a)}"
        assert b == a, where


def roundtrip(obj: Any, path: Path) -> Any:
    save(obj, path)
    return load(path)


# ----------------------------------------------------------------------------- strategies

DTYPES = [np.float32, np.float64, np.int64, np.bool_]
arrays = st.sampled_from(DTYPES).flatmap(
    lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
)
tensors = st.builds(
    lambda a, rg: Tensor(a, requires_grad=rg and a.dtype.kind == "f"), arrays, st.booleans()
)
numpy_scalars = st.sampled_from(DTYPES).flatmap(lambda dt: hnp.arrays(dt, ())).map(lambda a: a[()])
special_floats = st.sampled_from(
    [math.nan, -math.nan, math.inf, -math.inf, -0.0, 0.0, 5e-324, 1.7976931348623157e308, 0.1]
)
floats = st.floats() | special_floats | st.integers(0, 2**64 - 1).map(
    lambda bits: struct.unpack("<d", struct.pack("<Q", bits))[0]  # any bits: nan payloads too
)
ints = st.integers() | st.integers(-(2**200), 2**200) | st.sampled_from(
    [2**63, -(2**63) - 1, 2**64, 10**1300, -(10**1300)]  # past int64; past 4000 bits (hex)
)
texts = st.text(st.characters(exclude_categories=()), max_size=8)  # surrogates included
leaves = st.one_of(
    st.none(), st.booleans(), ints, floats, texts, arrays, tensors, numpy_scalars
)
keys = st.one_of(st.text(max_size=5), st.integers(-5, 2**70))
structures = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(keys, children, max_size=4),
    ),
    max_leaves=12,
)


@given(structures)
def test_roundtrip_is_exact(obj: Any) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "checkpoint.npz"
        assert_same(obj, roundtrip(obj, path))
        assert os.listdir(directory) == ["checkpoint.npz"]  # no temp file left behind


@given(structures)
def test_roundtrip_inside_a_state_dict_layout(obj: Any) -> None:
    state = {"epoch": 3, "model": {"fc.weight": obj}, "optimizer": {"state": {0: {"m": obj}}}}
    with tempfile.TemporaryDirectory() as directory:
        assert_same(state, roundtrip(state, Path(directory) / "c"))


def test_ints_past_pythons_decimal_digit_cap(tmp_path: Path) -> None:
    huge = -(10**5000)  # json.dumps alone would refuse it (4300-digit cap)
    back = roundtrip({"n": huge, 1: [huge + 1]}, tmp_path / "c")
    assert back["n"] == huge and back[1][0] == huge + 1 and type(back["n"]) is int


def test_assert_same_is_strict() -> None:
    """The checker the properties rely on does catch what it claims to."""
    with pytest.raises(AssertionError):
        assert_same(math.nan, -math.nan)
    with pytest.raises(AssertionError):
        assert_same(0.0, -0.0)
    with pytest.raises(AssertionError):
        assert_same({1: 0}, {"1": 0})
    with pytest.raises(AssertionError):
        assert_same((1,), [1])
    with pytest.raises(AssertionError):
        assert_same(1, 1.0)
    with pytest.raises(AssertionError):
        assert_same(np.zeros(2, np.float32), np.zeros(2, np.float64))
    with pytest.raises(AssertionError):
        assert_same(Tensor(np.zeros(2), requires_grad=True), Tensor(np.zeros(2)))
    with pytest.raises(AssertionError):
        assert_same({"a": 1, "b": 2}, {"b": 2, "a": 1})


# ----------------------------------------------------------------------------- examples


def test_optimizer_and_model_state_dicts(tmp_path: Path) -> None:
    w = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    checkpoint = {
        "epoch": 7,
        "model": {"fc.weight": w, "fc.bias": Tensor(np.zeros(3, np.float32), requires_grad=True)},
        "optimizer": {
            "state": {0: {"step": 12, "exp_avg": np.full((2, 3), 0.5, np.float32)}},
            "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8,
                              "amsgrad": False, "params": [0, 1]}],
        },
        "metrics": {"loss": [2.3, 1.1, math.nan], "best": None, "name": "mnist-mlp"},
    }
    back = roundtrip(checkpoint, tmp_path / "ckpt.pt")
    assert_same(checkpoint, back)
    (key,) = back["optimizer"]["state"]
    assert key == 0 and type(key) is int
    loaded = back["model"]["fc.weight"]
    assert loaded.dtype == np.float32 and loaded.requires_grad
    assert loaded.data.numpy().flags.writeable
    loaded.data += 1  # independent of the saved tensor
    assert w.data.numpy()[0, 0] == 0


def test_what_comes_back_as_a_base_type(tmp_path: Path) -> None:
    from collections import OrderedDict, namedtuple

    Pair = namedtuple("Pair", "a b")
    w = Tensor(np.ones(2, np.float32), requires_grad=True)
    w.grad = Tensor(np.ones(2, np.float32))
    nonleaf = w * 2
    back = roundtrip({"od": OrderedDict(b=1, a=2), "nt": Pair(1, 2), "w": w, "y": nonleaf},
                     tmp_path / "c")
    assert type(back["od"]) is dict and list(back["od"]) == ["b", "a"]
    assert type(back["nt"]) is tuple and back["nt"] == (1, 2)
    assert back["w"].grad is None and back["w"].requires_grad  # grads are not saved
    assert back["y"].is_leaf and back["y"].requires_grad
    assert_same_array(nonleaf.data.numpy(), back["y"].data.numpy(), "y")


def test_an_array_reached_twice_is_stored_once_and_comes_back_shared(tmp_path: Path) -> None:
    a = np.arange(4.0)
    t = Tensor(a)
    back = roundtrip({"x": a, "y": a, "t": t, "u": t}, tmp_path / "c")
    assert back["x"] is back["y"]
    assert back["t"].data.numpy() is back["u"].data.numpy()
    assert len(np.load(tmp_path / "c").files) == 2  # one array + metadata


def test_path_is_used_as_given_and_file_is_a_plain_npz(tmp_path: Path) -> None:
    for name in ["ckpt", "ckpt.pt", "ckpt.npz"]:
        save({"a": np.arange(3)}, str(tmp_path / name))  # str works as well as Path
    assert sorted(os.listdir(tmp_path)) == ["ckpt", "ckpt.npz", "ckpt.pt"]
    with np.load(tmp_path / "ckpt", allow_pickle=False) as npz:  # NumPy reads it directly
        meta = json.loads(npz[META].tobytes().decode("utf-8"))
        assert meta["format"] == "tinygrad_edu.checkpoint" and meta["version"] == 1
        name = meta["root"]["dict"][0][1]["ndarray"]
        assert_same_array(npz[name], np.arange(3), "a")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_file_mode_follows_umask_and_overwrite_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "c"
    save(1, path)
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600
    path.chmod(0o640)
    save(2, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and load(path) == 2


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_save_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    link = tmp_path / "latest"
    link.symlink_to(tmp_path / "real" / "c")
    save({"epoch": 1}, link)
    assert link.is_symlink() and load(tmp_path / "real" / "c") == {"epoch": 1}


# ----------------------------------------------------------------------------- atomicity


def _failing_write_array(monkeypatch: pytest.MonkeyPatch, directory: Path,
                         exc: BaseException) -> list[list[str]]:
    """Make the 2nd array write raise; record the directory listing at that moment."""
    seen: list[list[str]] = []
    original = np.lib.format.write_array

    def write_array(fp: Any, array: np.ndarray, *args: Any, **kwargs: Any) -> None:
        if seen:
            raise exc
        seen.append(sorted(os.listdir(directory)))
        original(fp, array, *args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_array)
    return seen


def _boom(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device (simulated)")


@pytest.mark.parametrize("where", ["write_array", "interrupt", "fsync", "replace"])
@pytest.mark.parametrize("existing", [True, False])
def test_failed_save_keeps_old_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, existing: bool
) -> None:
    path = tmp_path / "model.ckpt"
    if existing:
        save({"epoch": 1, "w": np.arange(5.0)}, path)
    before = path.read_bytes() if existing else None
    seen: list[list[str]] = []
    if where == "write_array":
        seen = _failing_write_array(monkeypatch, tmp_path, OSError(errno.ENOSPC, "disk full"))
    elif where == "interrupt":
        seen = _failing_write_array(monkeypatch, tmp_path, KeyboardInterrupt())
    elif where == "fsync":
        monkeypatch.setattr(os, "fsync", _boom)
    else:
        monkeypatch.setattr(os, "replace", _boom)

    new = {"epoch": 2, "w": np.zeros(1000), "b": np.ones(3)}
    with pytest.raises(KeyboardInterrupt if where == "interrupt" else OSError):
        save(new, path)
    monkeypatch.undo()

    if seen:  # the failure did happen mid-write, with a temp file in the directory
        assert len(seen[0]) == len(["model.ckpt"] if existing else []) + 1
    assert os.listdir(tmp_path) == (["model.ckpt"] if existing else [])
    if existing:
        assert path.read_bytes() == before
        assert_same({"epoch": 1, "w": np.arange(5.0)}, load(path))


# ----------------------------------------------------------------------------- bad files


def _checkpoint(path: Path) -> bytes:
    save({"w": np.arange(64, dtype=np.float64) * 1.25, "epoch": 3}, path)
    return path.read_bytes()


def _raw_npz(path: Path, meta: Any = None, **arrays: np.ndarray) -> None:
    """An npz with our metadata entry (JSON object, raw bytes, or none) plus arrays."""
    if meta is not None:
        raw = meta if isinstance(meta, bytes) else json.dumps(meta).encode()
        arrays[META] = np.frombuffer(raw, dtype=np.uint8)
    savez: Any = np.savez  # (its stubs type **kwds as the allow_pickle flag)
    with open(path, "wb") as f:  # a file object: np.savez adds no suffix
        savez(f, **arrays)


executed: list[str] = []


def _mark_executed() -> str:
    executed.append("pickle ran code")
    return "pwned"


class _Payload:
    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return (_mark_executed, ())


def test_pickled_object_array_is_refused_without_running_it(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.npz"
    with open(foreign, "wb") as f:
        np.savez(f, weights=np.array([_Payload(), 1], dtype=object))
    dressed = tmp_path / "dressed.npz"  # our metadata pointing at a pickled entry
    meta = {"format": "tinygrad_edu.checkpoint", "version": 1, "root": {"ndarray": "arr_0"}}
    _raw_npz(dressed, meta, arr_0=np.array([_Payload()], dtype=object))
    for path in [foreign, dressed]:
        with pytest.raises(CheckpointError, match="object array.*pickle") as info:
            load(path)
        assert str(path) in str(info.value)
    assert executed == []


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"", "empty"),
        (b"epoch=3\nloss=0.5\n", "not a zip"),
        (b"PK", "not a zip"),
        (b"PK\x03\x04" + b"\x00" * 100, "truncated or corrupted"),
    ],
)
def test_garbage_files_are_refused_with_the_problem_named(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "c.npz"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=problem) as info:
        load(path)
    assert str(path) in str(info.value)


def test_foreign_archives_are_refused(tmp_path: Path) -> None:
    plain_zip = tmp_path / "a.zip"
    with zipfile.ZipFile(plain_zip, "w") as zf:
        zf.writestr("readme.txt", "hello")
    plain_npz = tmp_path / "b.npz"
    _raw_npz(plain_npz, w=np.ones(3))
    for path in [plain_zip, plain_npz]:
        with pytest.raises(CheckpointError, match="without tinygrad_edu metadata") as info:
            load(path)
        assert str(path) in str(info.value)
    npy = tmp_path / "c.npy"
    np.save(npy, np.ones(3))
    with pytest.raises(CheckpointError, match="single .npy"):
        load(npy)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.npz")


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, -22, -1, 30, 5])
def test_truncated_checkpoint_is_refused(tmp_path: Path, keep: float) -> None:
    path = tmp_path / "c.npz"
    data = _checkpoint(path)
    cut = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    path.write_bytes(data[:cut])
    with pytest.raises(CheckpointError, match="truncated|corrupted|not a zip") as info:
        load(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("target", ["array", "metadata"])
def test_flipped_byte_is_caught(tmp_path: Path, target: str) -> None:
    path = tmp_path / "c.npz"
    data = bytearray(_checkpoint(path))
    needle = (np.arange(64, dtype=np.float64) * 1.25).tobytes() if target == "array" else b'"epoch"'
    offset = bytes(data).find(needle)
    assert offset > 0
    data[offset + 5] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupted") as info:
        load(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "meta, arrays, problem",
    [
        ({"format": "tinygrad_edu.checkpoint", "version": 99, "root": 1}, {}, "version 99"),
        ({"format": "tinygrad_edu.checkpoint", "version": True, "root": 1}, {}, "version True"),
        ({"format": "tinygrad_edu.checkpoint", "root": 1}, {}, "version None"),
        ({"format": "someone.else", "version": 1, "root": 1}, {}, "not tinygrad_edu"),
        (b"{not json", {}, "metadata is corrupted"),
        (b"\xff\xfe", {}, "metadata is corrupted"),
        ({"format": "tinygrad_edu.checkpoint", "version": 1, "root": {"ndarray": "arr_7"}},
         {}, "missing array"),
        ({"format": "tinygrad_edu.checkpoint", "version": 1, "root": {"pickle": "x"}},
         {}, "unknown node"),
        ({"format": "tinygrad_edu.checkpoint", "version": 1, "root": {"dict": [[[1], 2]]}},
         {}, "malformed dict"),
        ({"format": "tinygrad_edu.checkpoint", "version": 1,
          "root": {"tensor": "arr_0", "requires_grad": True}},
         {"arr_0": np.arange(3)}, "requires_grad"),
        ({"format": "tinygrad_edu.checkpoint", "version": 1, "root": {"ndarray": "arr_0"}},
         {"arr_0": np.ones(2, complex)}, "unsupported"),
    ],
)
def test_bad_metadata_is_refused(
    tmp_path: Path, meta: Any, arrays: dict[str, np.ndarray], problem: str
) -> None:
    path = tmp_path / "c.npz"
    _raw_npz(path, meta, **arrays)
    with pytest.raises(CheckpointError, match=problem) as info:
        load(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_well_formed_handmade_metadata_loads(tmp_path: Path) -> None:
    """The positive control for the test above: the same helper, valid content."""
    path = tmp_path / "c.npz"
    meta = {"format": "tinygrad_edu.checkpoint", "version": 1,
            "root": {"dict": [["w", {"tensor": "arr_0", "requires_grad": True}],
                              [0, {"float64_bits": "7ff0000000000000"}]]}}
    _raw_npz(path, meta, arr_0=np.ones(2, np.float32))
    back = load(path)
    assert back[0] == math.inf and back["w"].requires_grad and back["w"].dtype == np.float32


# ----------------------------------------------------------------------------- bad objects


class Custom:
    pass


@pytest.mark.parametrize(
    "obj, where",
    [
        ({"state": {0: {"exp_avg": {1, 2}}}}, "key path 'state.0.exp_avg'"),
        ({"model": [1, Custom()]}, "key path 'model.1'"),
        ({"w": np.zeros(2, complex)}, "key path 'w'"),
        ({"w": np.array([None, 1], dtype=object)}, "key path 'w'"),
        ({"w": np.array(["a"])}, "key path 'w'"),
        ({"a": (1, 2j)}, "key path 'a.1'"),
        ({"b": b"raw bytes"}, "key path 'b'"),
        ({"m": np.ma.masked_array([1, 2], mask=np.array([False, True]))}, "key path 'm'"),
        ({"s": np.complex64(1)}, "key path 's'"),
        ({"d": {(1, 2): 3}}, "key path 'd'"),
        ({"d": {True: 3}}, "key path 'd'"),
        ({"d": {np.int64(1): 3}}, "key path 'd'"),
        (Custom(), "top level"),
    ],
)
def test_unsupported_values_raise_typeerror_naming_the_path(
    tmp_path: Path, obj: Any, where: str
) -> None:
    path = tmp_path / "c.npz"
    with pytest.raises(TypeError, match=where):
        save(obj, path)
    assert os.listdir(tmp_path) == []


def test_refused_save_leaves_the_previous_checkpoint_alone(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    save({"epoch": 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="Custom"):
        save({"epoch": 2, "extra": Custom()}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["c.npz"]


def test_self_containing_structure_is_refused(tmp_path: Path) -> None:
    loop: list[Any] = [1]
    loop.append({"again": loop})
    with pytest.raises(ValueError, match="contains itself.*'1.again'"):
        save(loop, tmp_path / "c")
    assert os.listdir(tmp_path) == []
    shared = [1]
    assert roundtrip([shared, shared], tmp_path / "ok") == [[1], [1]]  # reuse is not a cycle
