"""``torchvision.datasets.MNIST`` and ``FashionMNIST``: the same signature, defaults and items.

``MNIST(root, train=True, transform=None, target_transform=None, download=False)``;
``ds[i]`` is ``(image, target)`` with ``target`` an int. ``image`` is what torchvision gives, a
PIL Image of mode 'L', when Pillow is installed (``pip install tinygrad_edu[vision]``); without
Pillow it is a uint8 (28, 28) NumPy array, which every transform here accepts too (``ToTensor``
gives the same float32 (1, 28, 28) Tensor from either). ``ds.data`` is a uint8 (N, 28, 28)
Tensor, ``ds.targets`` an int64 (N,) Tensor; assigning shorter ones (``ds.data = ds.data[:100]``)
subsets the dataset, as in torchvision.

Where the files are looked for, in order:

1. ``root/MNIST/raw`` (``root/FashionMNIST/raw``): where torchvision keeps them, so a copy
   torchvision downloaded is found;
2. ``root`` itself;
3. the project's search path (``$TINYGRAD_EDU_DATA``, the cache, ``/usr/share/datasets``: see
   ``tinygrad_edu.data``), where files must match the official checksums.

In the first two, files are the official names, gzipped or not; ``root`` is trusted after
structural checks (so a subset such as the first 10,000 training images loads). Nothing found:
with ``download=True`` the project's verified download fetches the split into ``root/MNIST/raw``;
with ``download=False`` (the default, as torchvision) a :class:`DatasetNotFoundError` names the
directories searched. It is both ``tinygrad_edu.data.DatasetNotFoundError`` and a
``RuntimeError`` (what torchvision raises), so either ``except`` catches it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .. import data as _data
from ..data import Dataset
from ..tensor import Tensor
from ._image import pil_from_array, pil_image_module

__all__ = ["DatasetNotFoundError", "FashionMNIST", "MNIST"]

PathLike = str | os.PathLike[str]


class DatasetNotFoundError(_data.DatasetNotFoundError, RuntimeError):
    """No copy of the dataset was found (and none downloaded); a RuntimeError as torchvision's."""


def _as_array(values: Any) -> np.ndarray:
    return values.detach().numpy() if isinstance(values, Tensor) else np.asarray(values)


class _StandardTransform:
    """How torchvision's datasets show their transforms in ``repr``."""

    def __init__(self, transform: Callable[[Any], Any] | None,
                 target_transform: Callable[[Any], Any] | None) -> None:
        self.transform = transform
        self.target_transform = target_transform

    @staticmethod
    def _lines(transform: Any, head: str) -> list[str]:
        lines = repr(transform).splitlines()
        return [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]

    def __repr__(self) -> str:
        body = ["StandardTransform"]
        if self.transform is not None:
            body += self._lines(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += self._lines(self.target_transform, "Target transform: ")
        return "\n".join(body)


class MNIST(Dataset):
    """MNIST handwritten digits (see the module docstring for where files are found)."""

    classes: list[str] = list(_data.MNIST.classes)
    _loader: type[_data.MNIST] = _data.MNIST

    def __init__(self, root: PathLike | None, train: bool = True,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None,
                 download: bool = False) -> None:
        self.root: PathLike | None = os.path.expanduser(root) if isinstance(root, str) else root
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        self.transforms = (_StandardTransform(transform, target_transform)
                           if transform is not None or target_transform is not None else None)
        loaded = self._find(download)
        #: the directory the files were read from
        self.source_dir: Path = loaded.root
        self.data = Tensor(loaded.data)
        self.targets = Tensor(loaded.targets)

    @property
    def raw_folder(self) -> Path | None:
        """``root/<ClassName>/raw``, where torchvision keeps (and we download) the files."""
        return None if self.root is None else Path(self.root) / type(self).__name__ / "raw"

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def _split_files(self) -> tuple[str, str]:
        images, labels = _data.DATASETS[self._loader.name].split(self.train)
        return images.filename, labels.filename

    def _holds_split(self, directory: Path) -> bool:
        return all(
            (directory / name).is_file() or (directory / name.removesuffix(".gz")).is_file()
            for name in self._split_files()
        )

    def _find(self, download: bool) -> _data.MNIST:
        raw = self.raw_folder
        if raw is not None:
            for directory in (raw, Path(self.root)):  # type: ignore[arg-type]
                if self._holds_split(directory):  # trusted: a corrupt file raises here
                    return self._loader(root=directory, train=self.train, download=False)
        try:
            return self._loader(root=raw, train=self.train, download=download)
        except _data.DatasetNotFoundError as exc:
            raise DatasetNotFoundError(self._not_found(download, str(exc))) from None

    def _not_found(self, download: bool, details: str) -> str:
        name = type(self).__name__
        where = ("" if self.root is None else
                 f" under root {str(self.root)!r} (in {self.raw_folder}, torchvision's layout, "
                 "nor in root itself) nor")
        if download:
            first = f"Dataset {name} not found{where} in the search path, and the download failed."
        else:
            first = (f"Dataset {name} not found{where} in the search path. You can use "
                     "download=True to download it (a verified copy already in the search "
                     "path is used instead of downloading).")
        return f"{first}\n{details}"

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image_array = _as_array(self.data)[index]
        target: Any = int(_as_array(self.targets)[index])
        image: Any = (pil_from_array(image_array, "L") if pil_image_module() is not None
                      else image_array.copy())
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"

    def __repr__(self) -> str:
        body = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if self.transforms is not None:  # one entry: only its first line is indented
            body.append(repr(self.transforms))
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + line for line in body])


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando's clothing images), found and loaded exactly as :class:`MNIST`
    (``root/FashionMNIST/raw``, ``root``, then ``.../fashion-mnist`` in the search path)."""

    classes = list(_data.FashionMNIST.classes)
    _loader = _data.FashionMNIST
