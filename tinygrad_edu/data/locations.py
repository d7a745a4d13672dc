"""``where()``: which directory holds each dataset, or where it would be downloaded (what
``tinygrad-edu data`` prints). Kept apart from ``datasets`` so that module stays readable."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import datasets as _ds
from .idx import IDXError, read_idx_header

__all__ = ["DatasetLocation", "where"]




@dataclass(frozen=True)
class DatasetLocation:
    """Where a dataset was found (``found``), what was searched, and where it would download."""

    name: str
    found: Path | None
    searched: tuple[tuple[str, Path | None], ...]
    download_dir: Path
    files: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["found"] = None if self.found is None else str(self.found)
        d["searched"] = [[label, None if p is None else str(p)] for label, p in self.searched]
        d["download_dir"] = str(self.download_dir)
        d["files"] = list(self.files)
        return d

    def __str__(self) -> str:
        if self.found is not None:
            return f"{self.name}: found in {self.found}"
        return f"{self.name}: not found; would download to {self.download_dir}"


def where(
    name: str | None = None, root: _ds.PathLike | None = None, verify: bool = True
) -> list[DatasetLocation]:
    """For each dataset (or just ``name``): the first searched directory holding all four files.

    With ``verify`` (default) a directory other than ``root`` counts only if its files match
    the official digests, exactly as loading decides; without it, only existence and a valid
    IDX header are checked (fast). An explicit ``root`` is checked structurally only.
    """
    names = [_ds._spec(name).name] if name is not None else list(_ds.DATASETS)
    result = []
    for key in names:
        spec = _ds.DATASETS[key]
        dirs = _ds.search_dirs(key, root)
        found = None
        for label, directory in dirs:
            if directory is None:
                continue
            paths = [_ds._locate(directory, f) for f in spec.files]
            if any(p is None for p in paths):
                continue
            try:
                ok = True
                for path, file in zip(paths, spec.files, strict=True):
                    assert path is not None
                    read_idx_header(path)
                    if verify and label != "root" and _ds._verify(path, file) is not None:
                        ok = False
                        break
            except (IDXError, OSError):
                ok = False
            if ok:
                found = directory
                break
        result.append(
            DatasetLocation(
                name=key,
                found=found,
                searched=tuple(dirs),
                download_dir=_ds._download_dir(spec, root),
                files=tuple(f.filename for f in spec.files),
            )
        )
    return result
