"""The IDX file format (MNIST's), read and written with NumPy.

An IDX file is a header and a payload, all big-endian::

    0x00 0x00 <dtype code> <ndim>      magic number (4 bytes)
    <dim 0> ... <dim ndim-1>           one unsigned 32-bit integer per dimension
    <payload>                          prod(dims) values of the dtype, row-major

Dtype codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
Files may be gzip-compressed (chosen by a ``.gz`` suffix or by the gzip magic bytes).
Every structural problem raises :class:`IDXError` naming the file and what is wrong.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import math
import os
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, NamedTuple

import numpy as np

__all__ = [
    "IDX_DTYPES",
    "IDXError",
    "IDXHeader",
    "payload_sha256",
    "read_idx",
    "read_idx_header",
    "read_idx_with_sha256",
    "write_idx",
]

PathLike = str | os.PathLike[str]

#: IDX dtype code -> big-endian NumPy dtype of the payload.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES: dict[tuple[str, int], int] = {
    (dt.kind, dt.itemsize): code for code, dt in IDX_DTYPES.items()
}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


class IDXError(ValueError):
    """A file is not a valid IDX file (corrupt, truncated, or of an unknown layout)."""


class IDXHeader(NamedTuple):
    """What an IDX header says: the payload's dtype (big-endian) and shape."""

    dtype: np.dtype
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        # Python ints: a corrupt header's (2**32-1)**4 overflows int64 (to a negative count)
        return math.prod(self.shape) * self.dtype.itemsize

    @property
    def header_size(self) -> int:
        return 4 + 4 * len(self.shape)


def _is_gzip(path: Path) -> bool:
    if path.suffix == ".gz":
        return True
    with open(path, "rb") as f:
        return f.read(2) == _GZIP_MAGIC


@contextmanager
def _open_payload(path: Path) -> Iterator[IO[bytes]]:
    """Open ``path`` for reading its decompressed bytes; gzip errors become IDXError."""
    gz = _is_gzip(path)
    raw = open(path, "rb")  # FileNotFoundError stays what it is
    try:
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if gz else raw  # type: ignore[assignment]
        try:
            yield stream
        except (OSError, EOFError, zlib.error) as exc:
            if not gz:
                raise
            raise IDXError(f"{path}: corrupt or truncated gzip data ({exc})") from None
    finally:
        raw.close()


def _read_up_to(stream: IO[bytes], n: int, limit: int) -> memoryview:
    """Read ``n`` bytes (fewer at end of file) into one preallocated buffer.

    ``limit`` bounds what the file can possibly hold (deflate expands at most ~1032x), so a
    corrupt header claiming a huge shape reads what is there instead of allocating its claim.
    """
    buffer = bytearray(min(n, limit))
    view = memoryview(buffer)
    filled = 0
    while filled < len(view):
        got = stream.readinto(view[filled : filled + _CHUNK])  # type: ignore[attr-defined]
        if not got:
            break
        filled += got
    return view[:filled]


def _parse_header(stream: IO[bytes], path: Path) -> tuple[IDXHeader, bytes]:
    magic = stream.read(4)
    if len(magic) < 4:
        raise IDXError(f"{path}: file too short for an IDX header ({len(magic)} bytes, need 4)")
    if magic[0] != 0 or magic[1] != 0:
        raise IDXError(
            f"{path}: bad IDX magic number {magic.hex()}: the first two bytes must be zero "
            "(not an IDX file?)"
        )
    code, ndim = magic[2], magic[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X} {IDX_DTYPES[c].name}" for c in IDX_DTYPES)
        raise IDXError(f"{path}: unknown IDX dtype code 0x{code:02X} (known: {known})")
    if ndim == 0:
        raise IDXError(f"{path}: IDX header says 0 dimensions; an IDX file has at least one")
    dims_raw = stream.read(4 * ndim)
    if len(dims_raw) < 4 * ndim:
        raise IDXError(
            f"{path}: truncated IDX header: {ndim} dimensions need {4 * ndim} bytes of sizes, "
            f"found {len(dims_raw)}"
        )
    shape = tuple(int(d) for d in np.frombuffer(dims_raw, dtype=">u4"))
    return IDXHeader(IDX_DTYPES[code], shape), magic + dims_raw


def read_idx_header(path: PathLike) -> IDXHeader:
    """Read only the header of an IDX file (raw or gzip): its dtype and shape."""
    path = Path(path)
    with _open_payload(path) as stream:
        header, _ = _parse_header(stream, path)
    return header


def _read(path: PathLike, hash_payload: bool) -> tuple[np.ndarray, str | None]:
    path = Path(path)
    gz = _is_gzip(path)
    with _open_payload(path) as stream:
        header, head_bytes = _parse_header(stream, path)
        expected = header.nbytes
        size = path.stat().st_size
        payload = _read_up_to(stream, expected, limit=size * 1032 + 1024 if gz else size)
        got = len(payload)
        if got < expected:
            raise IDXError(
                f"{path}: truncated IDX payload: shape {header.shape} of "
                f"{header.dtype.name} needs {expected} bytes, found {got}"
            )
        extra = len(stream.read(_CHUNK))
        if extra:
            rest = extra + sum(iter(lambda: len(stream.read(_CHUNK)), 0))
            raise IDXError(
                f"{path}: {rest} unexpected trailing bytes after the IDX payload "
                f"(shape {header.shape} of {header.dtype.name} is {expected} bytes)"
            )
    digest = None
    if hash_payload:
        hasher = hashlib.sha256(head_bytes)
        hasher.update(payload)
        digest = hasher.hexdigest()
    array = np.frombuffer(payload, dtype=header.dtype).reshape(header.shape)
    if header.dtype.itemsize > 1:
        array = array.astype(header.dtype.newbyteorder("="))  # big-endian -> native
    else:
        array = array.view(header.dtype.newbyteorder("="))
    return array, digest


def read_idx(path: PathLike) -> np.ndarray:
    """Read an IDX file (raw, or gzip by ``.gz`` suffix or magic) into a native-endian array.

    The array is writable and C-contiguous. Raises :class:`IDXError` naming the file and the
    problem for a bad gzip stream, bad magic, unknown dtype code, truncated header or payload,
    or trailing bytes.
    """
    return _read(path, hash_payload=False)[0]


def read_idx_with_sha256(path: PathLike) -> tuple[np.ndarray, str]:
    """``read_idx`` plus :func:`payload_sha256`, computed from the same single read."""
    array, digest = _read(path, hash_payload=True)
    assert digest is not None
    return array, digest


def payload_sha256(path: PathLike) -> str:
    """SHA-256 (hex) of a file's decompressed bytes, header and payload (``zcat f | sha256sum``).

    Unlike the md5 of a ``.gz`` file, this does not change when the file is re-compressed.
    """
    path = Path(path)
    digest = hashlib.sha256()
    with _open_payload(path) as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_idx(
    path: PathLike, array: np.ndarray, compress: bool | None = None, compresslevel: int = 6
) -> Path:
    """Write ``array`` as an IDX file; gzip when ``compress`` (default: the path ends in .gz).

    The dtype must be one IDX knows (uint8, int8, int16, int32, float32, float64, any byte
    order) and the array at least 1-D. Written to a temporary file, then moved into place.
    The gzip header carries no timestamp, so equal arrays give byte-identical files.
    """
    path = Path(path)
    array = np.asarray(array)
    if array.dtype.kind == "b":
        raise TypeError("IDX cannot store dtype bool; convert it, e.g. array.astype(np.uint8)")
    code = _CODES.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise TypeError(
            f"IDX cannot store dtype {array.dtype}; use one of "
            + ", ".join(dt.name for dt in IDX_DTYPES.values())
        )
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"IDX stores 1 to 255 dimensions, got an array of shape {array.shape}")
    if any(d >= 2**32 for d in array.shape):
        raise ValueError(f"IDX dimensions must fit in 32 bits, got shape {array.shape}")
    if compress is None:
        compress = path.suffix == ".gz"
    if compress and not (isinstance(compresslevel, int) and 0 <= compresslevel <= 9):
        raise ValueError(f"compresslevel must be an integer from 0 to 9, got {compresslevel!r}")
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "cannot write an IDX file over a directory",
                                str(path))
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = np.ascontiguousarray(array, dtype=IDX_DTYPES[code])
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as raw:
            if compress:
                with gzip.GzipFile(
                    filename="", mode="wb", fileobj=raw, compresslevel=compresslevel, mtime=0
                ) as gz:
                    gz.write(header)
                    gz.write(payload.data)
            else:
                raw.write(header)
                raw.write(payload.data)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path
