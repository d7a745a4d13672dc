"""Checkpoints: ``save(obj, path)`` and ``load(path)``, with no pickle anywhere.

What can be saved: nested dicts (keys ``str`` or ``int``), lists, tuples, ``Tensor``s,
NumPy arrays and scalars of bool/int/uint/float dtype, Python ``int``/``float``/``bool``/
``str`` and ``None`` -- i.e. model and optimizer state_dicts plus epoch, metrics and so on.

The file is ONE ordinary ``.npz`` (a zip of ``.npy`` files, so ``np.load`` can read it too):

* ``arr_0``, ``arr_1``, ... -- every array and tensor's data, dtype and shape as they were;
* ``__tinygrad_edu__`` -- a 1-D uint8 array holding UTF-8 JSON that describes the structure::

    {"format": "tinygrad_edu.checkpoint", "version": 1, "root": NODE}

  where NODE is ``null``, ``true``/``false``, a JSON string, a JSON integer, a finite float
  (written with ``repr``, so it reads back bit for bit), a JSON list (a Python list), or one of
  ``{"tuple": [NODE, ...]}``, ``{"dict": [[KEY, NODE], ...]}`` (KEY a JSON string or integer,
  order kept), ``{"tensor": "arr_3", "requires_grad": true}``, ``{"ndarray": "arr_4"}``,
  ``{"numpy_scalar": "arr_5"}``, ``{"float64_bits": "7ff8000000000000"}`` (nan, inf, -inf:
  the exact IEEE bits, which JSON cannot hold), ``{"int_hex": "0x..."}`` (huge ints).

Saving is atomic: the file is written next to the target under a temporary name, fsynced, and
``os.replace``-d onto it, so a crash or error leaves the previous checkpoint intact. An error
removes the temporary file at once; a killed process (SIGKILL, power loss) cannot, so the
temporary's name carries the target's name and the writer's pid and process start time
(``.model.npz.<pid>-<start>-<random>.tmp``), and the next ``save`` or ``load`` of that path
removes the temporaries of writers that are gone -- never one of a live process.

Loading reads with ``np.load(..., allow_pickle=False)`` and never runs code; a file that
is not a checkpoint of ours raises ``CheckpointError`` (a ``ValueError``).

Not saved: ``.grad`` and the autograd graph (a tensor comes back as a leaf with the same data
and ``requires_grad``). Subclasses of dict/list/tuple/int/float/str come back as the base type.
One NumPy array reached twice (two tensors sharing ``data``, tied weights) is stored once and
comes back shared.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import re
import secrets
import stat
import struct
import threading
import time
import zipfile
from collections.abc import Callable, Mapping
from typing import IO, Any, TypeAlias

import numpy as np

from .device import check_device
from .tensor import Tensor

__all__ = ["save", "load", "CheckpointError", "FORMAT", "VERSION",
           "remove_stale_temporaries"]

FORMAT = "tinygrad_edu.checkpoint"
VERSION = 1
META = "__tinygrad_edu__"  # name of the metadata entry inside the npz
_ARRAY_KINDS = "biuf"  # bool, signed int, unsigned int, float
_BIG_INT_BITS = 4000  # wider ints go to hex (Python caps int <-> decimal str at 4300 digits)

PathLike: TypeAlias = "str | os.PathLike[str]"
Json: TypeAlias = Any
KeyPath: TypeAlias = "tuple[str | int, ...]"


class CheckpointError(ValueError):
    """A file is not a readable tinygrad_edu checkpoint (empty, truncated, corrupted, foreign,
    pickled, or from a format version this code does not know)."""


def _where(path: KeyPath) -> str:
    return f"at key path {'.'.join(map(str, path))!r}" if path else "at the top level"


# ----------------------------------------------------------------------------------- save


class _Encoder:
    """Turns a Python structure into (JSON node, named arrays), refusing what it cannot keep."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._names: dict[int, str] = {}  # id(array) -> entry name: one entry per array object
        self._open: set[int] = set()  # containers on the current path, to catch cycles

    def array(self, array: np.ndarray, path: KeyPath, what: str) -> str:
        if array.dtype.kind not in _ARRAY_KINDS:
            raise TypeError(
                f"cannot save {what} of dtype {array.dtype} {_where(path)}: only bool, integer "
                f"and float arrays can be saved (no complex, object, string or structured dtypes)"
            )
        name = self._names.get(id(array))
        if name is None:
            name = f"arr_{len(self.arrays)}"
            self._names[id(array)] = name
            self.arrays[name] = array
        return name

    def encode(self, obj: object, path: KeyPath) -> Json:
        if isinstance(obj, Tensor):
            return {"tensor": self.array(obj._data, path, "a Tensor"),
                    "requires_grad": bool(obj.requires_grad)}
        if isinstance(obj, np.ndarray):
            if type(obj) is not np.ndarray:
                raise TypeError(
                    f"cannot save an ndarray subclass ({type(obj).__name__}) {_where(path)}: "
                    f"it would come back as a plain ndarray; convert it with np.asarray first"
                )
            return {"ndarray": self.array(obj, path, "a NumPy array")}
        if isinstance(obj, np.generic):  # before float: np.float64 is a float subclass
            return {"numpy_scalar": self.array(np.asarray(obj), path, "a NumPy scalar")}
        if obj is None or isinstance(obj, (bool, str)):
            return str(obj) if isinstance(obj, str) else obj
        if isinstance(obj, int):
            integer = int(obj)
            return {"int_hex": hex(integer)} if integer.bit_length() > _BIG_INT_BITS else integer
        if isinstance(obj, float):
            number = float(obj)
            if math.isfinite(number):
                return number
            bits = struct.unpack("<Q", struct.pack("<d", number))[0]
            return {"float64_bits": f"{bits:016x}"}
        if isinstance(obj, (dict, list, tuple)):
            return self.container(obj, path)
        if callable(getattr(obj, "state_dict", None)):  # a Module, optimizer or scheduler
            what = "model" if callable(getattr(obj, "parameters", None)) else "optimizer"
            raise TypeError(
                f"cannot save a whole {type(obj).__qualname__} {_where(path)}: checkpoints "
                f"hold no pickled objects. Save its state instead -- tg.save({what}."
                f"state_dict(), path) -- and load it into a new one with {what}."
                f"load_state_dict(tg.load(path))")
        raise TypeError(
            f"cannot save an object of type {type(obj).__module__}.{type(obj).__qualname__} "
            f"{_where(path)}: checkpoints hold dicts, lists, tuples, Tensors, NumPy arrays, "
            f"numbers, bools, None and strings"
        )

    def container(self, obj: dict[Any, Any] | list[Any] | tuple[Any, ...], path: KeyPath) -> Json:
        if id(obj) in self._open:
            raise ValueError(f"cannot save a structure that contains itself {_where(path)}")
        self._open.add(id(obj))
        try:
            if isinstance(obj, Mapping):
                items = []
                for key, value in obj.items():
                    if isinstance(key, bool) or not isinstance(key, (str, int)):
                        raise TypeError(
                            f"cannot save a dict key of type {type(key).__name__} ({key!r}) "
                            f"{_where(path)}: dict keys must be str or int"
                        )
                    items.append([self.encode(key, path), self.encode(value, (*path, key))])
                return {"dict": items}
            nodes = [self.encode(item, (*path, i)) for i, item in enumerate(obj)]
            return {"tuple": nodes} if isinstance(obj, tuple) else nodes
        finally:
            self._open.discard(id(obj))


def _write_npz(file: IO[bytes], arrays: dict[str, np.ndarray]) -> None:
    """What ``np.savez`` does, on an open file object (so no ``.npz`` suffix is ever added)."""
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in arrays.items():
            with zf.open(name + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def save(obj: object, path: PathLike | IO[bytes], pickle_module: Any = None,
         pickle_protocol: Any = None, _use_new_zipfile_serialization: bool = True) -> None:
    """Save ``obj`` (state_dicts, tensors, arrays, numbers, strings...) to ``path`` atomically.

    The file is one ``.npz``: the arrays as ``arr_<i>`` plus a ``__tinygrad_edu__`` entry of
    UTF-8 JSON describing the structure (see the module docstring). ``path`` is used exactly as
    given (no suffix is added); a binary file object (``io.BytesIO``, ``open(f, "wb")``) is
    written directly, as ``torch.save`` does. Unsupported values raise ``TypeError`` naming
    their key path (e.g. ``state.0.exp_avg``) before anything is written; on any failure during
    the write the previous file at ``path`` is left untouched and the temporary file is removed.
    Temporaries left by killed saves of the same path are removed first. ``torch.save``'s
    other arguments are accepted when they ask for nothing different (no pickle module).
    A whole ``Module`` (or optimizer) is refused: save its ``state_dict()``.
    """
    if pickle_module is not None:
        raise TypeError("save(): pickle_module is not supported (checkpoints hold no pickle)")
    encoder = _Encoder()
    try:
        root = encoder.encode(obj, ())
    except RecursionError:
        raise ValueError("cannot save: the structure is nested too deeply") from None
    meta = {"format": FORMAT, "version": VERSION, "root": root}
    text = json.dumps(meta, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    arrays = {**encoder.arrays, META: np.frombuffer(text.encode("utf-8"), dtype=np.uint8)}
    if _is_file_object(path, "write"):
        _write_npz(path, arrays)  # type: ignore[arg-type]
        return

    target = os.path.realpath(_fspath(path))  # write through a symlink, as open() would
    directory, base = os.path.split(target)
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, "cannot save a checkpoint over a directory",
                                target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, f"cannot save to {target!r}: its directory "
                                "does not exist", directory)
    remove_stale_temporaries(target)
    tmp = os.path.join(directory, f".{_stem(base)}.{_writer()}-{secrets.token_hex(6)}.tmp")
    with _IN_FLIGHT_LOCK:
        _IN_FLIGHT.add(tmp)
    try:
        try:  # O_EXCL: never clobber anything; 0o666 lets the umask apply as for open()
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)
        except OSError as e:  # name the target, not our temporary
            raise type(e)(e.errno, f"cannot save to {target!r}: {e.strerror}",
                          directory) from None
        try:
            with os.fdopen(fd, "wb") as file:
                _write_npz(file, arrays)
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileNotFoundError):  # overwriting keeps the old file's mode
                os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    finally:
        with _IN_FLIGHT_LOCK:
            _IN_FLIGHT.discard(tmp)
    _fsync_directory(directory)


# ------------------------------------------------------------- temporaries of killed saves


def _process_start(pid: int) -> str:
    """The start time of process ``pid`` in clock ticks since boot (Linux ``/proc``), or "0"
    where unknown. With the pid it names one process, even after the pid is reused."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return fields[19].decode()  # field 22 of stat(5); fields[0] is field 3
    except (OSError, IndexError, UnicodeDecodeError):
        return "0"


_writer_cache: dict[int, str] = {}


def _writer() -> str:
    """This process's "<pid>-<start>" (looked up per pid: a forked child is another writer)."""
    pid = os.getpid()
    if pid not in _writer_cache:
        _writer_cache.clear()
        _writer_cache[pid] = f"{pid}-{_process_start(pid)}"
    return _writer_cache[pid]


_IN_FLIGHT: set[str] = set()  # temporaries this process is writing now (other threads' saves)
_IN_FLIGHT_LOCK = threading.Lock()
_LEGACY_AGE = 3600.0  # seconds: pid-less temporaries of older versions count as abandoned


def _stem(base: str) -> str:
    """The target's name as it appears in its temporaries' names (shortened, keeping the name
    under the 255-byte limit of file names, when it is long)."""
    if len(base.encode()) <= 180:
        return base
    return base[:100] + "~" + hashlib.sha256(base.encode()).hexdigest()[:16]


def _writer_gone(pid: int, start: str) -> bool:
    """Whether the process that wrote a temporary (pid, start time) no longer runs."""
    if f"{pid}-{start}" == _writer():
        return False  # this process: in flight or not is decided by the caller
    if pid <= 0 or os.name == "nt":  # os.kill(pid, 0) is no liveness probe on Windows
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False  # alive (another user's), or not a pid at all: leave it
    # The pid runs: it is the writer unless the pid was reused by a later process.
    return start != "0" and _process_start(pid) not in ("0", start)


def remove_stale_temporaries(path: PathLike) -> list[str]:
    """Remove the temporary files that killed ``save``s of ``path`` left behind; return their
    paths. A temporary is removed only when its writer (pid and start time in its name) has
    exited, or when it is a pid-less temporary of an older version untouched for an hour;
    another live process's save is never disturbed. Errors (read-only directory...) are
    ignored: this is housekeeping."""
    target = os.path.realpath(_fspath(path))
    directory, base = os.path.split(target)
    prefix = f".{_stem(base)}."
    ours = re.compile(r"(\d+)-(\d+)-[0-9a-f]{12}\.tmp")
    legacy = re.compile(r"[0-9a-f]{12}\.tmp")
    removed: list[str] = []
    try:
        entries = [e for e in os.scandir(directory or ".") if e.name.startswith(prefix)]
    except OSError:
        return removed
    for entry in entries:
        rest = entry.name[len(prefix):]
        match = ours.fullmatch(rest)
        try:
            if match:
                with _IN_FLIGHT_LOCK:
                    mine = entry.path in _IN_FLIGHT
                stale = (not mine and f"{match[1]}-{match[2]}" == _writer()) or _writer_gone(
                    int(match[1]), match[2])
            elif legacy.fullmatch(rest):
                stale = time.time() - entry.stat(follow_symlinks=False).st_mtime > _LEGACY_AGE
            else:
                continue
            if stale and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(entry.path)
        except OSError:
            continue
    return removed


def _fspath(path: Any) -> str:
    try:
        return os.fsdecode(os.fspath(path))
    except TypeError:
        raise TypeError(f"expected a path (str, bytes or os.PathLike) or a binary file object, "
                        f"got {type(path).__name__}") from None


def _is_file_object(path: object, method: str) -> bool:
    return not isinstance(path, (str, bytes, os.PathLike)) and hasattr(path, method)


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories can't be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------------- load


class _Decoder:
    """Turns the JSON node tree back into Python objects, validating as it goes."""

    def __init__(self, npz: Any, fail: Callable[[str], CheckpointError]) -> None:
        self._npz = npz
        self._fail = fail
        self._arrays: dict[str, np.ndarray] = {}

    def array(self, name: object) -> np.ndarray:
        if not isinstance(name, str) or name == META or name not in self._npz.files:
            raise self._fail(f"its metadata refers to a missing array entry {name!r}")
        if name not in self._arrays:
            try:
                array = self._npz[name]
            except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
                raise self._fail(f"array entry {name!r} is corrupted or truncated ({e})") from e
            if not isinstance(array, np.ndarray) or array.dtype.kind not in _ARRAY_KINDS:
                raise self._fail(f"array entry {name!r} has an unsupported type or dtype")
            self._arrays[name] = array
        return self._arrays[name]

    def decode(self, node: Json) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(item) for item in node]
        if isinstance(node, dict) and len(node) == 1:
            ((tag, value),) = node.items()
            if tag == "tuple" and isinstance(value, list):
                return tuple(self.decode(item) for item in value)
            if tag == "dict" and isinstance(value, list):
                out = {}
                for pair in value:
                    ok = isinstance(pair, list) and len(pair) == 2
                    key = self.decode(pair[0]) if ok else None
                    if isinstance(key, bool) or not isinstance(key, (str, int)):
                        raise self._fail(f"malformed dict entry in its metadata: {pair!r:.80}")
                    out[key] = self.decode(pair[1])
                return out
            if tag == "ndarray":
                return self.array(value)
            if tag == "numpy_scalar":
                array = self.array(value)
                if array.ndim != 0:
                    raise self._fail(f"numpy_scalar entry {value!r} is not 0-dimensional")
                return array[()]
            if tag == "float64_bits" and isinstance(value, str):
                try:
                    return struct.unpack("<d", struct.pack("<Q", int(value, 16)))[0]
                except (ValueError, struct.error):
                    raise self._fail(f"bad float64_bits {value!r:.40} in its metadata") from None
            if tag == "int_hex" and isinstance(value, str):
                try:
                    return int(value, 16)
                except ValueError:
                    raise self._fail(f"bad int_hex {value!r:.40} in its metadata") from None
        if isinstance(node, dict) and set(node) == {"tensor", "requires_grad"}:
            array = self.array(node["tensor"])
            requires_grad = node["requires_grad"]
            if not isinstance(requires_grad, bool) or (requires_grad and array.dtype.kind != "f"):
                raise self._fail(f"bad requires_grad for tensor entry {node['tensor']!r}")
            return Tensor(array, requires_grad=requires_grad)
        raise self._fail(f"unknown node in its metadata: {json.dumps(node)[:80]}")


def _npy_dtype(zf: zipfile.ZipFile, member: str) -> np.dtype:
    """The dtype in a ``.npy`` member's header (parsed, never unpickled)."""
    with zf.open(member) as fp:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            header = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            header = np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f".npy format version {version} is not supported")
    return np.dtype(header[2])


def load(path: PathLike | IO[bytes], map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None) -> Any:
    """Load what ``save`` wrote to ``path``: the same structure, with ``Tensor``s (same dtype,
    shape, values and ``requires_grad``; no ``.grad``), arrays, numbers, strings...

    ``path`` may also be a binary file object open for reading (as ``torch.load`` accepts).
    Never unpickles or runs code. Raises ``CheckpointError`` (a ``ValueError``) naming the file
    and the problem when it is empty, truncated, corrupted, not a zip, a zip/npz without our
    metadata, contains pickled object arrays, or has a format version this code does not know.
    A missing file raises ``FileNotFoundError`` and a directory ``IsADirectoryError``, as
    ``open`` does. Temporaries left by killed saves of ``path`` are removed first.

    ``torch.load``'s keywords are accepted: ``weights_only`` (True or False: either way nothing
    is unpickled, the format holds only data), ``map_location`` (``'cpu'``, a CPU device, a
    dict or a function, as PyTorch takes; anything naming another device raises, since
    tensors live on the CPU) and ``mmap`` (accepted; the arrays are read into memory).
    """
    _check_load_arguments(map_location, pickle_module, weights_only, mmap)
    if _is_file_object(path, "read"):
        return _load_file(path, repr(path))  # type: ignore[arg-type]
    filename = _fspath(path)
    remove_stale_temporaries(filename)
    with open(filename, "rb") as file:
        return _load_file(file, filename)


def _check_load_arguments(map_location: Any, pickle_module: Any, weights_only: Any,
                          mmap: Any) -> None:
    if pickle_module is not None:
        raise TypeError("load(): pickle_module is not supported (checkpoints hold no pickle)")
    for name, flag in (("weights_only", weights_only), ("mmap", mmap)):
        if flag is not None and not isinstance(flag, bool):
            raise TypeError(f"load(): {name} must be True, False or None, got {flag!r}")
    if isinstance(map_location, Mapping):  # {'cuda:0': 'cpu'}: where each device goes
        for target in map_location.values():
            check_device(target)
    elif not callable(map_location):  # a function (storage, location) -> storage is fine
        check_device(map_location)


def _load_file(file: IO[bytes], filename: str) -> Any:
    def fail(problem: str) -> CheckpointError:
        return CheckpointError(f"cannot load checkpoint {filename!r}: {problem}")

    start = file.tell()
    size = file.seek(0, os.SEEK_END) - start
    file.seek(start)
    if size == 0:
        raise fail("the file is empty (0 bytes) -- was the save interrupted?")
    magic = file.read(6)
    file.seek(start)
    if magic.startswith(b"\x93NUMPY"):
        raise fail("it is a single .npy array, not a tinygrad_edu checkpoint (.npz)")
    if magic.startswith(b"\x80"):
        raise fail("it is a pickle (torch.save of an older PyTorch?), not a tinygrad_edu "
                   "checkpoint; refusing to unpickle it")
    if not magic.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise fail(f"it is not a zip/.npz archive (it starts with {magic!r})")
    try:
        npz = np.load(file, allow_pickle=False)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise fail(f"the zip archive is truncated or corrupted ({e})") from e
    with npz:
        return _read(npz, fail)


def _read(npz: Any, fail: Callable[[str], CheckpointError]) -> Any:
    zf: zipfile.ZipFile = npz.zip
    for member in zf.namelist():  # refuse pickles up front, with a message that says so
        if not member.endswith(".npy"):
            continue
        try:
            dtype = _npy_dtype(zf, member)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
            raise fail(f"entry {member!r} is corrupted or not a .npy array ({e})") from e
        if dtype.hasobject:
            raise fail(
                f"entry {member!r} is an object array, stored with pickle; refusing to "
                f"unpickle it (loading a checkpoint never executes code)"
            )
    if META not in npz.files and any(m.endswith("data.pkl") for m in zf.namelist()):
        raise fail("it is a PyTorch checkpoint (torch.save: a zip holding a pickle), not a "
                   "tinygrad_edu one; load it with torch.load and convert the tensors")
    if META not in npz.files:
        raise fail(
            f"it is a zip/.npz without tinygrad_edu metadata (no {META!r} entry; "
            f"entries: {sorted(npz.files)[:10]}) -- not a checkpoint written by tinygrad_edu.save"
        )
    try:
        raw = npz[META]
        if not (isinstance(raw, np.ndarray) and raw.dtype == np.uint8 and raw.ndim == 1):
            raise ValueError("the metadata entry is not a 1-D uint8 array")
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, RecursionError) as e:
        raise fail(f"its metadata is corrupted or unreadable ({e})") from e
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or "root" not in meta:
        raise fail(f"its metadata is not tinygrad_edu checkpoint metadata (format {FORMAT!r})")
    version = meta.get("version")
    if type(version) is not int or version != VERSION:
        raise fail(
            f"format version {version!r} is not supported (this tinygrad_edu reads version "
            f"{VERSION}); it may have been written by a newer tinygrad_edu"
        )
    try:
        return _Decoder(npz, fail).decode(meta["root"])
    except RecursionError:
        raise fail("its metadata is nested too deeply") from None
