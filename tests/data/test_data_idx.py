"""IDX read/write: round trips over shapes and dtypes, every corruption error, the real files."""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_edu.data import IDXError, payload_sha256, read_idx, read_idx_header, write_idx
from tinygrad_edu.data.idx import read_idx_with_sha256

from .conftest import MNIST_10K

IDX_DTYPES = ["uint8", "int8", "int16", "int32", "float32", "float64"]


@st.composite
def idx_arrays(draw: st.DrawFn) -> np.ndarray:
    name = draw(st.sampled_from(IDX_DTYPES))
    order: Any = draw(st.sampled_from(["<", ">"])) if name not in ("uint8", "int8") else "|"
    dtype = np.dtype(name).newbyteorder(order)
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
    return draw(hnp.arrays(dtype, shape))


@given(array=idx_arrays(), compress=st.booleans(), suffix=st.booleans())
def test_round_trip_every_dtype_and_shape(array: np.ndarray, compress: bool, suffix: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # gzip chosen by the .gz suffix, or (without the suffix) found by sniffing the magic
        path = Path(tmp) / ("a.idx.gz" if compress and suffix else "a.idx")
        write_idx(path, array, compress=compress)
        assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
        back = read_idx(path)
        assert back.dtype == array.dtype.newbyteorder("=")
        assert back.dtype.isnative
        assert back.shape == array.shape
        assert back.flags.c_contiguous and back.flags.writeable
        # bit-exact, NaN payloads included
        assert back.tobytes() == array.astype(back.dtype).tobytes()
        assert read_idx_header(path).shape == array.shape
        raw = gzip.decompress(path.read_bytes()) if compress else path.read_bytes()
        assert payload_sha256(path) == hashlib.sha256(raw).hexdigest()
        assert read_idx_with_sha256(path)[1] == payload_sha256(path)


def test_header_layout_is_big_endian(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "x.idx", np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32))
    raw = path.read_bytes()
    assert raw[:4] == bytes([0, 0, 0x0C, 2])
    assert raw[4:12] == (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    assert raw[12:16] == (1).to_bytes(4, "big")
    assert len(raw) == 12 + 6 * 4


def test_gzip_output_is_deterministic(tmp_path: Path) -> None:
    a = write_idx(tmp_path / "a.gz", np.arange(10, dtype=np.uint8)).read_bytes()
    b = write_idx(tmp_path / "b.gz", np.arange(10, dtype=np.uint8)).read_bytes()
    assert a == b


def test_write_rejects_what_idx_cannot_hold(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(TypeError, match="IDX cannot store dtype int64"):
        write_idx(out / "x", np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="1 to 255 dimensions"):
        write_idx(out / "x", np.float32(1.0))
    assert list(out.iterdir()) == []  # no temporary file left


# ----------------------------------------------------------------------------- corruption

GOOD = bytes([0, 0, 0x08, 2]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big") + bytes(range(6))

CORRUPT = {
    "empty": (b"", "too short for an IDX header"),
    "short magic": (b"\x00\x00", "too short for an IDX header"),
    "bad magic": (b"\x01\x00" + GOOD[2:], "bad IDX magic number 01000802"),
    "bad magic byte 2": (b"\x00\x07" + GOOD[2:], "first two bytes must be zero"),
    "unknown dtype": (GOOD[:2] + b"\x07" + GOOD[3:], "unknown IDX dtype code 0x07"),
    "unknown dtype 0x0A": (GOOD[:2] + b"\x0a" + GOOD[3:], "unknown IDX dtype code 0x0A"),
    "zero dims": (bytes([0, 0, 0x08, 0]), "0 dimensions"),
    "truncated dims": (GOOD[:10], "truncated IDX header: 2 dimensions need 8 bytes"),
    "short payload": (
        GOOD[:-1],
        "truncated IDX payload: shape (2, 3) of uint8 needs 6 bytes, found 5",
    ),
    "no payload": (GOOD[:12], "needs 6 bytes, found 0"),
    "trailing bytes": (GOOD + b"\x00\x00\x00", "3 unexpected trailing bytes"),
    "huge claimed shape": (
        bytes([0, 0, 0x0E, 3]) + b"\xff\xff\xff\xff" * 3 + b"\x00" * 8,
        "truncated IDX payload",
    ),
}


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("case", list(CORRUPT))
def test_every_structural_error_names_file_and_problem(
    tmp_path: Path, case: str, compress: bool
) -> None:
    content, message = CORRUPT[case]
    path = tmp_path / ("broken-file.idx.gz" if compress else "broken-file.idx")
    path.write_bytes(gzip.compress(content, mtime=0) if compress else content)
    for reader in (read_idx, lambda p: read_idx_with_sha256(p)[0]):
        with pytest.raises(IDXError) as info:
            reader(path)
        assert str(path) in str(info.value)
        assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_good_bytes_really_are_good(tmp_path: Path) -> None:
    """The control for the table above: the uncorrupted bytes read fine."""
    path = tmp_path / "good.idx"
    path.write_bytes(GOOD)
    np.testing.assert_array_equal(read_idx(path), np.arange(6, dtype=np.uint8).reshape(2, 3))


GZ_GOOD = gzip.compress(GOOD, mtime=0)

BAD_GZIP = {
    "not gzip but .gz": (GOOD, "corrupt or truncated gzip data"),
    "garbage after magic": (b"\x1f\x8b" + b"\x08\x00garbage-garbage", "corrupt or truncated gzip"),
    "truncated stream": (GZ_GOOD[: len(GZ_GOOD) // 2], "corrupt or truncated gzip data"),
    "missing trailer": (GZ_GOOD[:-4], "corrupt or truncated gzip data"),
    "bad crc": (GZ_GOOD[:-8] + bytes(4) + GZ_GOOD[-4:], "CRC check failed"),
    "flipped deflate byte": (
        GZ_GOOD[:12] + bytes([GZ_GOOD[12] ^ 0xFF]) + GZ_GOOD[13:],
        "corrupt or truncated gzip data",
    ),
    "garbage after member": (GZ_GOOD + b"not-a-second-member", "corrupt or truncated gzip"),
}


HEADER_INTACT = ("missing trailer", "bad crc", "garbage after member")


@pytest.mark.parametrize("case", list(BAD_GZIP))
def test_bad_gzip_names_file_and_problem(tmp_path: Path, case: str) -> None:
    content, message = BAD_GZIP[case]
    path = tmp_path / "broken-archive.gz"
    path.write_bytes(content)
    for reader in (read_idx, payload_sha256, read_idx_header):
        if reader is read_idx_header and case in HEADER_INTACT:
            continue  # the header itself is intact; only a full read sees the damage
        with pytest.raises(IDXError) as info:
            reader(path)
        assert str(path) in str(info.value)
        assert message in str(info.value)


def test_gzip_sniffed_without_suffix(tmp_path: Path) -> None:
    path = tmp_path / "labels-no-suffix"
    path.write_bytes(GZ_GOOD)
    assert read_idx(path).shape == (2, 3)


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope.gz")


# ----------------------------------------------------------------------------- the real files

needs_mnist_10k = pytest.mark.skipif(
    not MNIST_10K.is_dir() and os.environ.get("CI") != "true",
    reason=f"{MNIST_10K} (the project's shared data) is not on this machine",
)

README_SHA256 = {
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


@needs_mnist_10k
@pytest.mark.parametrize("split", ["train", "t10k"])
def test_real_mnist_10k_files(split: str) -> None:
    images = read_idx(MNIST_10K / f"{split}-images-idx3-ubyte.gz")
    labels = read_idx(MNIST_10K / f"{split}-labels-idx1-ubyte.gz")
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10_000,) and labels.dtype == np.uint8
    assert set(np.unique(labels)) == set(range(10))
    assert images.max() == 255 and images.min() == 0
    # the well-known first labels of the official files
    first = {"train": [5, 0, 4, 1, 9, 2, 1, 3, 1, 4], "t10k": [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]}
    assert labels[:10].tolist() == first[split]


@needs_mnist_10k
@pytest.mark.parametrize("filename", list(README_SHA256))
def test_real_t10k_payload_sha256_matches_readme(filename: str) -> None:
    assert payload_sha256(MNIST_10K / filename) == README_SHA256[filename]
    assert read_idx_with_sha256(MNIST_10K / filename)[1] == README_SHA256[filename]
