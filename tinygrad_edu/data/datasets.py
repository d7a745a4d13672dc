"""MNIST and Fashion-MNIST in torchvision's shape, found on disk or downloaded and verified.

Where the four official files (``train-images-idx3-ubyte.gz`` ...) are looked for, in order:

1. ``root``, when given;
2. ``$TINYGRAD_EDU_DATA/<name>``;
3. ``~/.cache/tinygrad_edu/<name>``;
4. ``/usr/share/datasets/<name>`` (Debian's ``dataset-fashion-mnist`` installs there),

with ``<name>`` = ``mnist`` or ``fashion-mnist``. Only when none has them is anything
downloaded: into ``root`` if given, else ``$TINYGRAD_EDU_DATA/<name>`` if set, else the cache.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .idx import IDXError, read_idx_with_sha256
from .loader import Dataset

__all__ = [
    "DATASETS",
    "ENV_VAR",
    "SYSTEM_DATA_DIR",
    "DatasetNotFoundError",
    "DatasetSpec",
    "FashionMNIST",
    "FileSpec",
    "MNIST",
    "cache_dir",
    "download",
    "search_dirs",
]

PathLike = str | os.PathLike[str]

#: Environment variable naming a data directory (datasets live in ``$TINYGRAD_EDU_DATA/<name>``).
ENV_VAR = "TINYGRAD_EDU_DATA"
#: System-wide data directory searched last (Debian's ``dataset-*`` packages install here).
SYSTEM_DATA_DIR = Path("/usr/share/datasets")
#: Seconds a download waits for the server before trying the next mirror.
DOWNLOAD_TIMEOUT = 30.0


class DatasetNotFoundError(FileNotFoundError):
    """No directory holds valid files for a dataset, and downloading was off or failed."""


@dataclass(frozen=True)
class FileSpec:
    """One official file: its name and the digests that identify it.

    ``md5`` is of the official ``.gz`` file; ``sha256`` of its decompressed bytes (header and
    payload), which survives re-compression (Debian re-gzips). A file matching either is valid.
    """

    filename: str
    md5: str | None
    sha256: str | None


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset's name on disk, its download mirrors (in order), files and class names."""

    name: str
    mirrors: tuple[str, ...]
    train_images: FileSpec
    train_labels: FileSpec
    test_images: FileSpec
    test_labels: FileSpec
    classes: tuple[str, ...]

    def split(self, train: bool) -> tuple[FileSpec, FileSpec]:
        """The (images, labels) files of the train or test split."""
        if train:
            return self.train_images, self.train_labels
        return self.test_images, self.test_labels

    @property
    def files(self) -> tuple[FileSpec, ...]:
        return self.train_images, self.train_labels, self.test_images, self.test_labels


#: The known datasets by name (tests swap an entry made with ``dataclasses.replace``).
DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        name="mnist",
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        train_images=FileSpec(
            "train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", None
        ),
        train_labels=FileSpec(
            "train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", None
        ),
        test_images=FileSpec(
            "t10k-images-idx3-ubyte.gz",
            "9fb629c4189551a2d022fa330f9573f3",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        ),
        test_labels=FileSpec(
            "t10k-labels-idx1-ubyte.gz",
            "ec29112dd5afa0611ce80d1b7f02629c",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ),
        classes=tuple(
            f"{d} - {w}"
            for d, w in enumerate("zero one two three four five six seven eight nine".split())
        ),
    ),
    "fashion-mnist": DatasetSpec(
        name="fashion-mnist",
        mirrors=(
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
            # S3 *website* endpoints serve plain HTTP only; the digests guard what comes back.
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        ),
        train_images=FileSpec(
            "train-images-idx3-ubyte.gz",
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        ),
        train_labels=FileSpec(
            "train-labels-idx1-ubyte.gz",
            "25c81989df183df01b3e8a0aad5dffbe",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        ),
        test_images=FileSpec(
            "t10k-images-idx3-ubyte.gz",
            "bef4ecab320f06d8554ea6380940ec79",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        ),
        test_labels=FileSpec(
            "t10k-labels-idx1-ubyte.gz",
            "bb300cfdad3c16e7a12a480ee83cd310",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        ),
        classes=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
    ),
}

_ALIASES = {"fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist"}


def _spec(name: str) -> DatasetSpec:
    key = name.lower().replace(" ", "")
    key = _ALIASES.get(key, key)
    if key not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    return DATASETS[key]


# --------------------------------------------------------------------------- where to look


def cache_dir() -> Path:
    """The per-user cache, ``~/.cache/tinygrad_edu`` (``~`` from ``$HOME``)."""
    return Path.home() / ".cache" / "tinygrad_edu"


def search_dirs(name: str, root: PathLike | None = None) -> list[tuple[str, Path | None]]:
    """The directories searched for ``name``, in order, as (label, path) pairs.

    Labels: ``root`` (only when given), ``env`` (``$TINYGRAD_EDU_DATA/<name>``, path None when
    the variable is unset), ``cache``, ``system``.
    """
    spec = _spec(name)
    env = os.environ.get(ENV_VAR)
    dirs: list[tuple[str, Path | None]] = []
    if root is not None:
        dirs.append(("root", Path(root).expanduser()))
    dirs.append(("env", Path(env).expanduser() / spec.name if env else None))
    dirs.append(("cache", cache_dir() / spec.name))
    dirs.append(("system", SYSTEM_DATA_DIR / spec.name))
    return dirs


def _download_dir(spec: DatasetSpec, root: PathLike | None) -> Path:
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser() / spec.name if env else cache_dir() / spec.name


def _locate(directory: Path, file: FileSpec) -> Path | None:
    """The file in ``directory``: the official ``.gz`` name, else its uncompressed name."""
    for candidate in (directory / file.filename, directory / file.filename.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


# --------------------------------------------------------------------------- verification


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _digest_problem(path: Path, file: FileSpec, sha256: str) -> str | None:
    """None if ``path`` matches the official md5 or the recorded sha256, else why not."""
    if file.sha256 is not None and sha256 == file.sha256:
        return None
    if file.md5 is not None and _md5(path) == file.md5:
        return None
    wanted = " or ".join(
        w
        for w in (
            f"md5 {file.md5}" if file.md5 else "",
            f"payload sha256 {file.sha256}" if file.sha256 else "",
        )
        if w
    )
    return f"{path}: checksum mismatch (payload sha256 is {sha256}; expected {wanted or '?'})"


def _verify(path: Path, file: FileSpec) -> str | None:
    """None if ``path`` is a valid IDX file with the official digests, else the problem."""
    try:
        _, sha256 = read_idx_with_sha256(path)
    except (IDXError, OSError) as exc:
        return str(exc)
    return _digest_problem(path, file, sha256)


def _load_pair(
    images_path: Path, labels_path: Path, images: FileSpec, labels: FileSpec, verify: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Read and check an (images, labels) pair; raise IDXError (structure) or ValueError."""
    data, images_sha = read_idx_with_sha256(images_path)
    targets, labels_sha = read_idx_with_sha256(labels_path)
    if verify:
        for path, file, sha in (
            (images_path, images, images_sha),
            (labels_path, labels, labels_sha),
        ):
            problem = _digest_problem(path, file, sha)
            if problem:
                raise ValueError(problem)
    if data.dtype != np.uint8 or data.ndim != 3 or data.shape[1:] != (28, 28):
        raise IDXError(
            f"{images_path}: expected uint8 images (N, 28, 28), got {data.dtype} {data.shape}"
        )
    if targets.dtype != np.uint8 or targets.ndim != 1:
        raise IDXError(
            f"{labels_path}: expected uint8 labels (N,), got {targets.dtype} {targets.shape}"
        )
    if len(targets) != len(data):
        raise IDXError(
            f"{labels_path}: {len(targets)} labels for {len(data)} images in {images_path}"
        )
    if len(targets) and int(targets.max()) > 9:
        raise IDXError(f"{labels_path}: label {int(targets.max())} is not a class 0..9")
    return data, targets.astype(np.int64)


# --------------------------------------------------------------------------- download


def _fetch(url: str, target: Path, file: FileSpec, timeout: float, progress: bool | None) -> None:
    """Stream ``url`` to a temporary file beside ``target``, verify, then move it into place.

    On any failure the temporary file is removed and the exception propagates.
    """
    import urllib.request  # here, not at import: they cost 60 ms of ``import tinygrad_edu``

    from tqdm.auto import tqdm

    request = urllib.request.Request(url, headers={"User-Agent": "tinygrad_edu"})
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with (
            os.fdopen(fd, "wb") as out,
            urllib.request.urlopen(request, timeout=timeout) as response,
        ):
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            received = 0
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=file.filename,
                disable=None if progress is None else not progress,
                leave=False,
            ) as bar:
                for chunk in iter(lambda: response.read(1 << 16), b""):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        if total is not None and received != total:
            raise OSError(f"incomplete download: {received} of {total} bytes")
        problem = _verify(tmp, file)
        if problem:
            raise ValueError(problem.replace(str(tmp), "downloaded file"))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _download_files(
    spec: DatasetSpec,
    directory: Path,
    files: Sequence[FileSpec],
    mirrors: Sequence[str] | None,
    timeout: float,
    progress: bool | None,
) -> list[str]:
    """Download the missing or invalid ``files`` into ``directory``; return the failures.

    Directories created here are removed again if they end up empty.
    """
    created = [d for d in (directory, *directory.parents) if not d.exists()]
    directory.mkdir(parents=True, exist_ok=True)
    try:
        return _download_into(spec, directory, files, mirrors, timeout, progress)
    finally:
        for d in created:  # deepest first
            try:
                d.rmdir()
            except OSError:  # not empty (a file landed), or gone
                break


def _download_into(
    spec: DatasetSpec,
    directory: Path,
    files: Sequence[FileSpec],
    mirrors: Sequence[str] | None,
    timeout: float,
    progress: bool | None,
) -> list[str]:
    for file in files:
        target = directory / file.filename
        if target.is_file() and _verify(target, file) is None:
            continue
        failures: list[str] = []
        import http.client

        for mirror in mirrors if mirrors is not None else spec.mirrors:
            url = mirror if mirror.endswith("/") else mirror + "/"
            url += file.filename
            try:
                _fetch(url, target, file, timeout, progress)
                break
            except (OSError, ValueError, http.client.HTTPException) as exc:  # URLError: OSError
                failures.append(f"{url}: {exc}")
        else:
            return failures or [f"{file.filename}: no mirrors to download from"]
    return []


def download(
    name: str,
    dir: PathLike | None = None,
    *,
    train: bool | None = None,
    mirrors: Sequence[str] | None = None,
    timeout: float = DOWNLOAD_TIMEOUT,
    progress: bool | None = None,
) -> Path:
    """Download a dataset's official files (both splits, or ``train`` True/False for one).

    Files go to ``dir`` (default: where datasets download to, see the module docstring).
    Each file is streamed to a temporary file in ``dir``, verified (official md5 or recorded
    payload sha256), then moved into place; a failed or unverifiable download leaves nothing
    behind and the next mirror is tried. Files already there and valid are kept. Returns
    the directory; raises :class:`DatasetNotFoundError` listing every failed attempt.
    ``progress``: None shows a bar only on a terminal.
    """
    spec = _spec(name)
    directory = _download_dir(spec, dir)
    files = spec.files if train is None else spec.split(train)
    failures = _download_files(spec, directory, files, mirrors, timeout, progress)
    if failures:
        raise DatasetNotFoundError(
            f"could not download {spec.name} into {directory}; tried:\n  " + "\n  ".join(failures)
        )
    return directory


# --------------------------------------------------------------------------- the datasets


class MNIST(Dataset):
    """MNIST handwritten digits, in torchvision's shape.

    ``MNIST(root=None, train=True, download=True, transform=None, target_transform=None)``.
    ``ds[i]`` is ``(image, label)``: a uint8 (28, 28) NumPy array and an int, each passed
    through its transform if given. ``ds.data`` (uint8, (N, 28, 28)) and ``ds.targets``
    (int64, (N,)) are the whole split as NumPy arrays; ``ds.arrays()`` gives float32 inputs in
    [0, 1] and int64 labels, ready for training. ``ds.root`` is the directory loaded from.

    Search order: ``root``, ``$TINYGRAD_EDU_DATA/mnist``, ``~/.cache/tinygrad_edu/mnist``,
    ``/usr/share/datasets/mnist``; the official names (``train-images-idx3-ubyte.gz``...) or
    the same without ``.gz``. Files found in the search path and downloaded files must match
    the official md5 or recorded payload sha256 (a mismatching directory is skipped). A
    ``root`` given explicitly is trusted after structural IDX checks (valid IDX, uint8
    (N, 28, 28) images, as many labels, labels 0..9), so a subset such as the first 10,000
    training rows loads from it. Nothing found and ``download``: the files are fetched into
    ``root``, else ``$TINYGRAD_EDU_DATA/mnist``, else the cache. Otherwise one
    :class:`DatasetNotFoundError` lists the directories searched and the files expected.
    """

    name = "mnist"
    classes: list[str] = list(DATASETS["mnist"].classes)

    def __init__(
        self,
        root: PathLike | None = None,
        train: bool = True,
        download: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
    ) -> None:
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        self.root, self.data, self.targets = self._load(root, download)

    @property
    def spec(self) -> DatasetSpec:
        return DATASETS[self.name]

    def _load(self, root: PathLike | None, download: bool) -> tuple[Path, np.ndarray, np.ndarray]:
        spec = self.spec
        images, labels = spec.split(self.train)
        dirs = search_dirs(spec.name, root)
        rejected: list[str] = []
        for label, directory in dirs:
            if directory is None:
                continue
            images_path, labels_path = _locate(directory, images), _locate(directory, labels)
            if images_path is None or labels_path is None:
                continue
            trusted = label == "root"
            try:
                data, targets = _load_pair(images_path, labels_path, images, labels, not trusted)
            except (ValueError, OSError) as exc:  # IDXError included
                if trusted:
                    raise
                rejected.append(str(exc))
                continue
            return directory, data, targets
        failures: list[str] = []
        if download:
            directory = _download_dir(spec, root)
            failures = _download_files(
                spec, directory, (images, labels), None, DOWNLOAD_TIMEOUT, None
            )
            if not failures:
                data, targets = _load_pair(
                    directory / images.filename,
                    directory / labels.filename,
                    images,
                    labels,
                    verify=False,  # just verified by the download
                )
                return directory, data, targets
        raise DatasetNotFoundError(self._not_found(dirs, rejected, download, failures))

    def _not_found(
        self,
        dirs: list[tuple[str, Path | None]],
        rejected: list[str],
        download: bool,
        failures: list[str],
    ) -> str:
        spec = self.spec
        images, labels = spec.split(self.train)
        split = "train" if self.train else "test"
        lines = [f"{type(self).__name__} ({split} split) not found. Searched, in order:"]
        for i, (_, directory) in enumerate(dirs, 1):
            shown = directory if directory is not None else f"${ENV_VAR}/{spec.name} (not set)"
            lines.append(f"  {i}. {shown}")
        lines.append(
            f"for the files {images.filename} and {labels.filename} "
            "(or the same names without .gz)."
        )
        if rejected:
            lines.append("Found but rejected:")
            lines.extend(f"  {r}" for r in rejected)
        if download:
            lines.append("Download failed:")
            lines.extend(f"  {f}" for f in failures)
        else:
            lines.append("download=False, so nothing was downloaded.")
        lines.append(
            f"Put the official files in one of these directories, set {ENV_VAR}, "
            "pass root=..., or download=True when online."
        )
        return "\n".join(lines)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image: Any = self.data[index]
        target: Any = int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def sample_arrays(self) -> tuple[np.ndarray, ...] | None:
        """(data, targets) for the DataLoader's fast path, unless transforms are set."""
        if self.transform is not None or self.target_transform is not None:
            return None
        return self.data, self.targets

    def arrays(
        self, flatten: bool = True, normalize: bool = True, dtype: Any = np.float32
    ) -> tuple[np.ndarray, np.ndarray]:
        """The whole split as (X, y): X contiguous ``dtype`` ((N, 784), or (N, 28, 28) without
        ``flatten``), scaled to [0, 1] by /255 when ``normalize``; y int64 (N,). Fresh copies."""
        if normalize and np.dtype(dtype).kind != "f":
            raise ValueError(f"arrays(normalize=True) needs a float dtype, got {np.dtype(dtype)}")
        # the row width spelled out: reshape(0, -1) of an empty split is ambiguous to NumPy
        x = (self.data.reshape(len(self.data), math.prod(self.data.shape[1:])) if flatten
             else self.data)
        x = x.astype(dtype)  # a C-contiguous copy
        if normalize:
            x /= x.dtype.type(255)
        return x, self.targets.copy()

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{type(self).__name__}(split={split!r}, size={len(self)}, root={str(self.root)!r})"


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando's 28x28 clothing images, 10 classes), exactly like :class:`MNIST`.

    Searched in ``root``, ``$TINYGRAD_EDU_DATA/fashion-mnist``,
    ``~/.cache/tinygrad_edu/fashion-mnist``, ``/usr/share/datasets/fashion-mnist``; the same
    verification, trust of an explicit ``root``, and download rules as :class:`MNIST`.
    """

    name = "fashion-mnist"
    classes = list(DATASETS["fashion-mnist"].classes)
