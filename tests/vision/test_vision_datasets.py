"""vision.datasets.MNIST / FashionMNIST on the real files, against torchvision's recorded
facts (repr, lengths, ``ds[0]``, a DataLoader batch), and where they look for files."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.data import DataLoader
from tinygrad_edu.data import DatasetNotFoundError as DataNotFound
from tinygrad_edu.data.idx import IDXError
from tinygrad_edu.vision import datasets
from tinygrad_edu.vision import transforms as T

from .cases import Identity
from .conftest import FASHION_SYSTEM, MNIST_10K, Recorded

TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
ALL_FILES = TEST_FILES + ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")

needs_mnist = pytest.mark.skipif(not MNIST_10K.is_dir(), reason="no MNIST files here")
needs_fashion = pytest.mark.skipif(not FASHION_SYSTEM.is_dir(),
                                   reason="Debian's dataset-fashion-mnist is not installed")


def torchvision_layout(root: Path, source: Path, subdir: str, files: tuple[str, ...]) -> Path:
    """``root/<subdir>/raw`` holding links to ``files`` of ``source``, as torchvision keeps them."""
    raw = root / subdir / "raw"
    raw.mkdir(parents=True)
    for name in files:
        (raw / name).symlink_to(source / name)
    return raw


def check_against_torchvision(ds: datasets.MNIST, key: str, recorded: Recorded,
                              root: str) -> None:
    facts = recorded.facts[key]
    assert repr(ds) == facts["repr"].replace("<ROOT>", root)
    assert len(ds) == facts["len"]
    image, target = ds[0]
    assert type(image).__name__ == facts["image_type"] == "Image" and image.mode == "L"
    np.testing.assert_array_equal(np.asarray(image), recorded[f"dataset/{key}/image0"])
    assert type(target) is int and target == facts["target"]
    assert ds[len(ds) - 1][1] == ds[-1][1] == facts["last_target"]
    assert isinstance(ds.data, tg.Tensor) and ds.data.dtype == tg.uint8
    assert list(ds.data.shape) == facts["data"][1]
    assert isinstance(ds.targets, tg.Tensor) and ds.targets.dtype == tg.int64
    assert list(ds.targets.shape) == facts["targets"][1]
    assert ds.classes == facts["classes"] and ds.class_to_idx == facts["class_to_idx"]


@needs_mnist
def test_mnist_in_torchvision_layout_matches_torchvision(tmp_path: Path, recorded: Recorded,
                                                         isolated_search_path: dict) -> None:
    pytest.importorskip("PIL")
    torchvision_layout(tmp_path, MNIST_10K, "MNIST", ALL_FILES)
    for train, key in ((True, "MNIST/train"), (False, "MNIST/test")):
        ds = datasets.MNIST(str(tmp_path), train=train)
        assert ds.train is train and ds.root == str(tmp_path)
        assert ds.source_dir == tmp_path / "MNIST" / "raw"
        check_against_torchvision(ds, key, recorded, str(tmp_path))


@needs_mnist
def test_mnist_transform_dataloader_matches_torchvision(tmp_path: Path, recorded: Recorded,
                                                        isolated_search_path: dict) -> None:
    pytest.importorskip("PIL")
    torchvision_layout(tmp_path, MNIST_10K, "MNIST", TEST_FILES)
    transform = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    ds = datasets.MNIST(str(tmp_path), train=False, transform=transform,
                        target_transform=Identity())
    expected = recorded.facts["MNIST/transformed_repr"]
    assert repr(ds) == expected.replace("<ROOT>", str(tmp_path))
    image, target = ds[0]
    np.testing.assert_array_equal(image.numpy(), recorded["dataset/MNIST/transformed0"])
    assert image.dtype == tg.float32 and type(target) is int
    images, targets = next(iter(DataLoader(ds, batch_size=4)))
    np.testing.assert_array_equal(images.numpy(), recorded["dataset/MNIST/batch_images"])
    np.testing.assert_array_equal(targets.numpy(), recorded["dataset/MNIST/batch_targets"])
    assert targets.dtype == tg.int64
    shuffled = DataLoader(ds, batch_size=8, shuffle=True, seed=0)
    images, targets = next(iter(shuffled))
    assert images.shape == (8, 1, 28, 28) and targets.shape == (8,)


@needs_fashion
def test_fashion_mnist_matches_torchvision(recorded: Recorded,
                                           isolated_search_path: dict) -> None:
    pytest.importorskip("PIL")
    ds = datasets.FashionMNIST(str(FASHION_SYSTEM), train=False)  # root holding the files
    assert ds.source_dir == FASHION_SYSTEM
    check_against_torchvision(ds, "FashionMNIST/test", recorded, str(FASHION_SYSTEM))
    transformed = datasets.FashionMNIST(
        str(FASHION_SYSTEM), train=False,
        transform=T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))]),
        target_transform=Identity())
    assert repr(transformed) == recorded.facts["FashionMNIST/transformed_repr"].replace(
        "<ROOT>", str(FASHION_SYSTEM))
    np.testing.assert_array_equal(transformed[0][0].numpy(),
                                  recorded["dataset/FashionMNIST/transformed0"])


@needs_mnist
def test_uncompressed_files_and_subsetting(tmp_path: Path, isolated_search_path: dict) -> None:
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in TEST_FILES:
        with gzip.open(MNIST_10K / name) as src, open(raw / name.removesuffix(".gz"), "wb") as dst:
            shutil.copyfileobj(src, dst)
    ds = datasets.MNIST(tmp_path, train=False)  # a Path root is kept as given
    assert ds.root == tmp_path and len(ds) == 10000
    last = ds[99]
    ds.data, ds.targets = ds.data[:100], ds.targets[:100]  # torchvision users subset like this
    assert len(ds) == 100 and ds[99][1] == last[1]
    with pytest.raises(IndexError):
        ds[100]


def test_download_false_without_files_says_where_it_looked(
        tmp_path: Path, isolated_search_path: dict) -> None:
    root = tmp_path / "data"
    with pytest.raises(datasets.DatasetNotFoundError) as info:
        datasets.MNIST(str(root))
    error = info.value
    assert isinstance(error, RuntimeError) and isinstance(error, DataNotFound)  # both excepts
    message = str(error)
    assert "You can use download=True to download it" in message
    for place in (root / "MNIST" / "raw", isolated_search_path["env"] / "mnist",
                  isolated_search_path["home"] / ".cache" / "tinygrad_edu" / "mnist",
                  isolated_search_path["system"] / "mnist"):
        assert str(place) in message
    assert f"under root {str(root)!r}" in message
    assert not root.exists()  # looking created nothing
    with pytest.raises(RuntimeError, match="Dataset FashionMNIST not found"):
        datasets.FashionMNIST(str(root), train=False)


@needs_mnist
def test_download_true_uses_a_verified_copy_in_the_search_path(
        tmp_path: Path, isolated_search_path: dict) -> None:
    env_copy = isolated_search_path["env"] / "mnist"
    env_copy.mkdir(parents=True)
    for name in TEST_FILES:  # the official test files: their checksums verify
        (env_copy / name).symlink_to(MNIST_10K / name)
    root = tmp_path / "data"
    ds = datasets.MNIST(str(root), train=False, download=True)  # mirrors are unreachable
    assert ds.source_dir == env_copy and len(ds) == 10000
    assert not root.exists()  # nothing downloaded
    # the search path counts with download=False too (a place torchvision does not look)
    assert len(datasets.MNIST(str(root), train=False)) == 10000


def test_download_true_that_fails_reports_it_and_leaves_nothing(
        tmp_path: Path, isolated_search_path: dict) -> None:
    root = tmp_path / "data"
    with pytest.raises(datasets.DatasetNotFoundError, match="the download failed") as info:
        datasets.MNIST(str(root), train=False, download=True)
    assert "127.0.0.1:9" in str(info.value)  # each failed attempt is listed
    assert not root.exists()


def test_a_corrupt_file_under_root_is_an_error_not_skipped(
        tmp_path: Path, isolated_search_path: dict) -> None:
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in TEST_FILES:
        (raw / name.removesuffix(".gz")).write_bytes(b"not an idx file")
    with pytest.raises(IDXError):
        datasets.MNIST(str(tmp_path), train=False)


@needs_mnist
def test_without_pillow_items_are_uint8_arrays(tmp_path: Path, recorded: Recorded,
                                               isolated_search_path: dict,
                                               without_pillow: None) -> None:
    ds = datasets.MNIST(str(MNIST_10K), train=False)
    image, target = ds[0]
    assert isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.shape == (28, 28)
    np.testing.assert_array_equal(image, recorded["dataset/MNIST/test/image0"])
    image[:] = 0  # a copy: the dataset is unchanged
    assert ds[0][0].any()
    with_transform = datasets.MNIST(
        str(MNIST_10K), train=False,
        transform=T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))]))
    np.testing.assert_array_equal(with_transform[0][0].numpy(),
                                  recorded["dataset/MNIST/transformed0"])
