"""MNIST / FashionMNIST: loading, where files are looked for, verification, the offline error."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu.data import (
    MNIST,
    DataLoader,
    DatasetNotFoundError,
    FashionMNIST,
    IDXError,
    datasets,
    search_dirs,
    where,
    write_idx,
)

from .conftest import FILENAMES, MNIST_10K, trust_files, write_tiny_set

needs_mnist_10k = pytest.mark.skipif(
    not MNIST_10K.is_dir() and os.environ.get("CI") != "true",
    reason=f"{MNIST_10K} (the project's shared data) is not on this machine",
)


# ----------------------------------------------------------------------------- real MNIST subset


@needs_mnist_10k
def test_mnist_10k_loads_from_explicit_root() -> None:
    train = MNIST(root=MNIST_10K, train=True, download=False)
    assert len(train) == 10_000 and train.root == MNIST_10K
    assert train.data.dtype == np.uint8 and train.data.shape == (10_000, 28, 28)
    assert train.targets.dtype == np.int64 and train.targets.shape == (10_000,)
    image, label = train[0]
    assert isinstance(label, int) and label == 5
    assert image.shape == (28, 28) and image.dtype == np.uint8
    assert train.classes[5] == "5 - five" and len(train.classes) == 10

    x, y = train.arrays()
    assert x.dtype == np.float32 and x.shape == (10_000, 784) and x.flags.c_contiguous
    assert 0.0 == x.min() and x.max() == 1.0
    assert y.dtype == np.int64
    np.testing.assert_array_equal(x[0] * 255, train.data[0].reshape(-1).astype(np.float32))
    x2, _ = train.arrays(flatten=False, normalize=False, dtype=np.float64)
    assert x2.shape == (10_000, 28, 28) and x2.dtype == np.float64 and x2.max() == 255.0
    x[:] = 0  # a fresh copy: the dataset is untouched
    assert train.data.max() == 255

    test = MNIST(root=MNIST_10K, train=False, download=False)
    assert len(test) == 10_000 and test.targets[:3].tolist() == [7, 2, 1]


@needs_mnist_10k
def test_mnist_10k_in_search_path_verifies_test_rejects_train_subset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside an explicit root, files must match the official digests: the official t10k files
    pass (by sha256; their gzip md5 differs), the 10k-row train subset is rejected."""
    data_dir = tmp_path / "envdata"
    data_dir.mkdir()
    (data_dir / "mnist").symlink_to(MNIST_10K, target_is_directory=True)
    monkeypatch.setenv(datasets.ENV_VAR, str(data_dir))
    test = MNIST(train=False, download=False)
    assert test.root == data_dir / "mnist" and len(test) == 10_000
    with pytest.raises(DatasetNotFoundError) as info:
        MNIST(train=True, download=False)
    message = str(info.value)
    assert "rejected" in message and "checksum mismatch" in message
    assert "train-images-idx3-ubyte.gz" in message


def test_transforms_apply_per_item(tmp_path: Path) -> None:
    arrays = write_tiny_set(tmp_path / "d")
    ds = MNIST(
        root=tmp_path / "d",
        transform=lambda im: im.astype(np.float32) / 255,
        target_transform=lambda t: t + 100,
    )
    image, label = ds[3]
    assert image.dtype == np.float32
    np.testing.assert_array_equal(image, arrays["train_images"][3] / np.float32(255))
    assert label == int(arrays["train_labels"][3]) + 100
    assert ds.sample_arrays() is None  # transforms force the per-item path in DataLoader
    assert MNIST(root=tmp_path / "d").sample_arrays() is not None


def test_arrays_options(tmp_path: Path) -> None:
    arrays = write_tiny_set(tmp_path / "d", n_train=6)
    ds = MNIST(root=tmp_path / "d")
    x, y = ds.arrays()
    assert x.shape == (6, 784) and x.dtype == np.float32 and x.flags.c_contiguous
    np.testing.assert_array_equal(x, arrays["train_images"].reshape(6, -1) / np.float32(255))
    assert y.dtype == np.int64 and y.tolist() == arrays["train_labels"].tolist()
    raw, _ = ds.arrays(flatten=False, normalize=False, dtype=np.uint8)
    np.testing.assert_array_equal(raw, arrays["train_images"])
    assert raw is not ds.data
    with pytest.raises(ValueError, match="needs a float dtype"):
        ds.arrays(dtype=np.int32)
    assert "MNIST(split='train', size=6" in repr(ds)


def test_dataloader_over_mnist_uses_arrays(tmp_path: Path) -> None:
    arrays = write_tiny_set(tmp_path / "d", n_train=10)
    ds = MNIST(root=tmp_path / "d")
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert xb.dtype == np.uint8 and xb.shape == (4, 28, 28) and yb.dtype == np.int64
    np.testing.assert_array_equal(yb.data, arrays["train_labels"][:4])


# ----------------------------------------------------------------------------- search order


def test_search_dirs_order_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = Path(os.environ["HOME"])
    assert search_dirs("mnist") == [
        ("env", None),
        ("cache", home / ".cache" / "tinygrad_edu" / "mnist"),
        ("system", datasets.SYSTEM_DATA_DIR / "mnist"),
    ]
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path / "e"))
    assert [p for _, p in search_dirs("FashionMNIST", root=tmp_path / "r")] == [
        tmp_path / "r",
        tmp_path / "e" / "fashion-mnist",
        home / ".cache" / "tinygrad_edu" / "fashion-mnist",
        datasets.SYSTEM_DATA_DIR / "fashion-mnist",
    ]
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        search_dirs("cifar")


def test_search_order_root_env_cache_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_search_path: dict[str, Path]
) -> None:
    source = tmp_path / "source"
    write_tiny_set(source, n_train=6, n_test=4)
    trust_files(source)
    places = {
        "env": tmp_path / "envdata" / "mnist",
        "cache": isolated_search_path["cache"] / "mnist",
        "system": isolated_search_path["system"] / "mnist",
    }
    for directory in places.values():
        shutil.copytree(source, directory)
    root = tmp_path / "myroot"
    write_tiny_set(root, n_train=3, n_test=2, seed=7)  # different rows: trusted as given
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path / "envdata"))

    ds = MNIST(root=root, download=False)
    assert ds.root == root and len(ds) == 3
    for place in ("env", "cache", "system"):
        ds = MNIST(download=False)
        assert ds.root == places[place] and len(ds) == 6
        if place == "env":
            monkeypatch.delenv(datasets.ENV_VAR)
        else:
            shutil.rmtree(places[place])
    with pytest.raises(DatasetNotFoundError):
        MNIST(download=False)


def test_root_without_files_falls_through_to_search_path(
    tmp_path: Path, isolated_search_path: dict[str, Path]
) -> None:
    cache = isolated_search_path["cache"] / "mnist"
    write_tiny_set(cache)
    trust_files(cache)
    (tmp_path / "empty-root").mkdir()
    assert MNIST(root=tmp_path / "empty-root", download=False).root == cache


def test_unverified_dir_is_skipped_for_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_search_path: dict[str, Path]
) -> None:
    cache = isolated_search_path["cache"] / "mnist"
    write_tiny_set(cache, seed=1)
    trust_files(cache, by="md5")
    write_tiny_set(tmp_path / "envdata" / "mnist", seed=2)  # same names, other content
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path / "envdata"))
    ds = MNIST(train=False, download=False)
    assert ds.root == cache


def test_uncompressed_names_are_found(tmp_path: Path) -> None:
    root = tmp_path / "raw"
    arrays = write_tiny_set(root)
    for key, filename in FILENAMES.items():
        (root / filename).unlink()
        write_idx(root / filename.removesuffix(".gz"), arrays[key])
    ds = MNIST(root=root, train=False, download=False)
    np.testing.assert_array_equal(ds.data, arrays["test_images"])


# ----------------------------------------------------------------------------- the offline error


def test_offline_error_lists_dirs_and_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_search_path: dict[str, Path]
) -> None:
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path / "envdata"))
    with pytest.raises(DatasetNotFoundError) as info:
        MNIST(root=tmp_path / "nowhere", train=True, download=False)
    message = str(info.value)
    for directory in (
        tmp_path / "nowhere",
        tmp_path / "envdata" / "mnist",
        isolated_search_path["cache"] / "mnist",
        isolated_search_path["system"] / "mnist",
    ):
        assert str(directory) in message
    assert "train-images-idx3-ubyte.gz" in message and "train-labels-idx1-ubyte.gz" in message
    assert "download=False" in message
    assert isinstance(info.value, FileNotFoundError)
    assert info.value.__cause__ is None and info.value.__context__ is None  # ONE error


def test_offline_with_download_is_one_error_and_leaves_nothing(
    isolated_search_path: dict[str, Path],
) -> None:
    with pytest.raises(DatasetNotFoundError) as info:
        FashionMNIST(train=False, download=True)
    message = str(info.value)
    assert "$TINYGRAD_EDU_DATA/fashion-mnist (not set)" in message
    assert str(isolated_search_path["system"] / "fashion-mnist") in message
    assert "t10k-images-idx3-ubyte.gz" in message and "t10k-labels-idx1-ubyte.gz" in message
    assert "Download failed" in message and "127.0.0.1:9" in message
    assert not (isolated_search_path["home"] / ".cache").exists()  # no empty dirs left


@pytest.mark.parametrize(
    "damage, message",
    [
        ("images_shape", "expected uint8 images (N, 28, 28)"),
        ("labels_dtype", "expected uint8 labels (N,)"),
        ("count", "4 labels for 5 images"),
        ("label_range", "label 12 is not a class 0..9"),
        ("corrupt", "corrupt or truncated gzip"),
    ],
)
def test_explicit_root_is_checked_structurally(tmp_path: Path, damage: str, message: str) -> None:
    root = tmp_path / "root"
    write_tiny_set(root, n_train=5)
    images, labels = root / FILENAMES["train_images"], root / FILENAMES["train_labels"]
    if damage == "images_shape":
        write_idx(images, np.zeros((5, 27, 28), np.uint8))
    elif damage == "labels_dtype":
        write_idx(labels, np.zeros(5, np.int32))
    elif damage == "count":
        write_idx(labels, np.zeros(4, np.uint8))
    elif damage == "label_range":
        write_idx(labels, np.array([0, 1, 12, 3, 4], np.uint8))
    else:
        images.write_bytes(images.read_bytes()[:100])
    with pytest.raises(IDXError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        MNIST(root=root, download=False)
    assert str(root) in str(info.value)


# ----------------------------------------------------------------------------- where()


def test_where_reports_found_or_download_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_search_path: dict[str, Path]
) -> None:
    cache = isolated_search_path["cache"] / "mnist"
    write_tiny_set(cache)
    mnist, fashion = where()
    assert mnist.name == "mnist" and fashion.name == "fashion-mnist"
    assert mnist.found is None  # present but not the official files
    assert where("mnist", verify=False)[0].found == cache  # existence and headers only
    trust_files(cache)
    assert where("mnist")[0].found == cache
    assert str(where("mnist")[0]) == f"mnist: found in {cache}"
    assert fashion.found is None
    assert fashion.download_dir == isolated_search_path["cache"] / "fashion-mnist"
    assert "would download to" in str(fashion)
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path / "e"))
    (loc,) = where("fashion_mnist")
    assert loc.download_dir == tmp_path / "e" / "fashion-mnist"
    assert [label for label, _ in loc.searched] == ["env", "cache", "system"]
    (loc,) = where("mnist", root=tmp_path / "r")
    assert loc.download_dir == tmp_path / "r" and loc.searched[0] == ("root", tmp_path / "r")
    json.dumps([w.as_dict() for w in where()])  # the CLI can print it


# ----------------------------------------------------------------------------- Fashion-MNIST

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


def test_fashion_mnist_from_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    if not (DEBIAN_FASHION / FILENAMES["train_images"]).is_file():
        message = f"{DEBIAN_FASHION} missing: apt-get install dataset-fashion-mnist"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    monkeypatch.setattr(datasets, "SYSTEM_DATA_DIR", DEBIAN_FASHION.parent)
    test = FashionMNIST(train=False, download=False)
    train = FashionMNIST(train=True, download=False)
    assert test.root == DEBIAN_FASHION and train.root == DEBIAN_FASHION  # verified by sha256
    assert (len(train), len(test)) == (60_000, 10_000)
    assert train.data.shape == (60_000, 28, 28) and train.data.dtype == np.uint8
    assert np.bincount(train.targets).tolist() == [6000] * 10
    assert np.bincount(test.targets).tolist() == [1000] * 10
    assert test.classes[9] == "Ankle boot"
    assert train.targets[:3].tolist() == [9, 0, 0]
