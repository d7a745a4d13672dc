"""Downloads against a local http.server on 127.0.0.1: mirrors in order, verification,
nothing left behind on failure. No test reaches any other address."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu.data import MNIST, DatasetNotFoundError, datasets, download, write_idx
from tinygrad_edu.data.datasets import DATASETS

from .conftest import CLOSED_PORT_URL, FILENAMES, tiny_arrays, trust_files, write_tiny_set

Url = Callable[[str], str]


@pytest.fixture
def www(tmp_path: Path, http_server: Url) -> dict[str, str]:
    """Mirrors: good files, valid-IDX-but-wrong files, truncated files, a 503, a short body."""
    root = tmp_path / "www"
    good = write_tiny_set(root / "good", n_train=8, n_test=5)
    trust_files(root / "good", by="md5")  # like the official md5s of the .gz files
    for key, filename in FILENAMES.items():
        wrong = tiny_arrays(len(good[key]), seed=99)[0 if "images" in key else 1]
        (root / "corrupt").mkdir(exist_ok=True)
        write_idx(root / "corrupt" / filename, wrong)
        (root / "truncated").mkdir(exist_ok=True)
        data = (root / "good" / filename).read_bytes()
        (root / "truncated" / filename).write_bytes(data[: len(data) // 2])
    return {name: http_server(name) for name in ("good", "corrupt", "truncated", "503", "short")}


def _listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_download_tries_mirrors_in_order_until_one_verifies(
    tmp_path: Path, www: dict[str, str]
) -> None:
    target = tmp_path / "target"
    mirrors = [www["503"], CLOSED_PORT_URL, www["corrupt"], www["truncated"], www["short"]]
    out = download("mnist", target, mirrors=[*mirrors, www["good"]], progress=False)
    assert out == target
    assert _listing(target) == sorted(FILENAMES.values())  # no temporary files left
    for filename in FILENAMES.values():
        assert (target / filename).read_bytes() == (tmp_path / "www/good" / filename).read_bytes()


def test_failed_download_leaves_nothing_and_reports_every_attempt(
    tmp_path: Path, www: dict[str, str]
) -> None:
    target = tmp_path / "a" / "b"
    mirrors = [www["503"], www["corrupt"], www["truncated"], www["short"], CLOSED_PORT_URL]
    with pytest.raises(DatasetNotFoundError) as info:
        download("mnist", target, train=False, mirrors=mirrors, progress=False)
    message = str(info.value)
    image_url = "{}t10k-images-idx3-ubyte.gz"
    for mirror in mirrors:
        assert image_url.format(mirror) in message
    assert "503" in message
    assert "checksum mismatch" in message
    assert "corrupt or truncated gzip" in message
    assert "incomplete download: 12 of 1012 bytes" in message
    assert "Connection refused" in message
    assert not (tmp_path / "a").exists()  # the directories it made are gone too


def test_failure_in_existing_dir_leaves_it_as_it_was(tmp_path: Path, www: dict[str, str]) -> None:
    target = tmp_path / "existing"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(DatasetNotFoundError):
        download("mnist", target, mirrors=[www["corrupt"], www["truncated"]], progress=False)
    assert _listing(target) == ["notes.txt"]


def test_sha256_of_payload_accepts_a_regzipped_file(tmp_path: Path, www: dict[str, str]) -> None:
    """Debian re-gzips: the md5 differs but the decompressed payload's sha256 matches."""
    regz = tmp_path / "www" / "regz"
    regz.mkdir()
    for filename in FILENAMES.values():
        payload = gzip.decompress((tmp_path / "www/good" / filename).read_bytes())
        (regz / filename).write_bytes(gzip.compress(payload, compresslevel=1, mtime=12345))
    trust_files(tmp_path / "www" / "good", by="both")
    spec = DATASETS["mnist"]
    assert spec.test_images.md5 is not None and spec.test_images.sha256 is not None
    url = www["good"].replace("/good/", "/regz/")
    download("mnist", tmp_path / "t", train=False, mirrors=[url], progress=False)
    assert (tmp_path / "t" / FILENAMES["test_images"]).read_bytes() == (
        regz / FILENAMES["test_images"]
    ).read_bytes()


def test_valid_files_are_not_downloaded_again(tmp_path: Path, www: dict[str, str]) -> None:
    target = tmp_path / "t"
    download("mnist", target, mirrors=[www["good"]], progress=False)
    before = {f: (target / f).stat().st_mtime_ns for f in FILENAMES.values()}
    download("mnist", target, mirrors=[CLOSED_PORT_URL], progress=False)  # offline: fine
    assert before == {f: (target / f).stat().st_mtime_ns for f in FILENAMES.values()}


def test_invalid_file_in_place_is_replaced(tmp_path: Path, www: dict[str, str]) -> None:
    target = tmp_path / "t"
    target.mkdir()
    (target / FILENAMES["test_labels"]).write_bytes(b"junk")
    download("mnist", target, train=False, mirrors=[www["good"]], progress=False)
    good = tmp_path / "www" / "good" / FILENAMES["test_labels"]
    assert (target / FILENAMES["test_labels"]).read_bytes() == good.read_bytes()


def test_dataset_downloads_into_env_dir_then_finds_it_offline(
    tmp_path: Path, www: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = DATASETS["mnist"]
    monkeypatch.setitem(DATASETS, "mnist", replace(spec, mirrors=(www["503"], www["good"])))
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path / "envdata"))
    ds = MNIST(train=True, download=True)
    assert ds.root == tmp_path / "envdata" / "mnist" and len(ds) == 8
    assert _listing(ds.root) == sorted([FILENAMES["train_images"], FILENAMES["train_labels"]])
    monkeypatch.setitem(DATASETS, "mnist", spec)  # mirrors unreachable again
    again = MNIST(train=True, download=True)
    assert again.root == ds.root
    np.testing.assert_array_equal(again.data, ds.data)


def test_dataset_downloads_into_root_or_cache(
    tmp_path: Path, www: dict[str, str], isolated_search_path: dict[str, Path]
) -> None:
    spec = DATASETS["mnist"]
    DATASETS["mnist"] = replace(spec, mirrors=(www["good"],))  # undone by the autouse fixture
    ds = MNIST(root=tmp_path / "r", train=False)
    assert ds.root == tmp_path / "r" and len(ds) == 5
    ds = MNIST(train=False)
    assert ds.root == isolated_search_path["cache"] / "mnist"


def test_progress_bar_names_the_file(
    tmp_path: Path, www: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    download("mnist", tmp_path / "t", train=False, mirrors=[www["good"]], progress=True)
    assert "t10k-images-idx3-ubyte.gz" in capsys.readouterr().err
