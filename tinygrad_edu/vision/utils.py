"""``torchvision.utils``: ``make_grid`` (a batch of images tiled into one) and ``save_image``.

``save_image`` writes PNG (or any format Pillow knows) and needs Pillow, the ``vision`` extra:
``pip install tinygrad_edu[vision]``.
"""

from __future__ import annotations

import math
import os
from typing import IO, Any

import numpy as np

from ..tensor import Tensor
from ._image import require_pil

__all__ = ["make_grid", "save_image"]


def _batch(tensor: Any) -> np.ndarray:
    """A Tensor (or list of Tensors) as a (B, C, H, W) array, as torchvision arranges it:
    (H, W) and (C, H, W) are one image; one channel is repeated into three."""
    if isinstance(tensor, list | tuple):
        if not all(isinstance(t, Tensor) for t in tensor):
            raise TypeError(f"tensor or list of tensors expected, got a list holding "
                            f"{sorted({type(t).__name__ for t in tensor})}")
        if not tensor:
            raise ValueError("make_grid: got an empty list of tensors")
        array = np.stack([t.detach().numpy() for t in tensor])
    elif isinstance(tensor, Tensor):
        array = tensor.detach().numpy()
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if array.ndim == 2:
        array = array[None]
    if array.ndim == 3:
        if array.shape[0] == 1:
            array = np.concatenate([array] * 3, axis=0)
        array = array[None]
    if array.ndim != 4:
        raise ValueError(f"make_grid expects (B, C, H, W), (C, H, W) or (H, W), got shape "
                         f"{array.shape}")
    if array.shape[1] == 1:
        array = np.concatenate([array] * 3, axis=1)
    return array


def _normalized(array: np.ndarray, value_range: tuple[float, float] | None,
                scale_each: bool) -> np.ndarray:
    """Clamp to ``value_range`` (default: the min and max, of each image if ``scale_each``)
    and map it to [0, 1] in the array's dtype."""
    if value_range is not None and not isinstance(value_range, tuple):
        raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                        "are numbers")
    array = array.copy()
    parts = list(array) if scale_each else [array]
    for part in parts:
        low, high = (value_range if value_range is not None
                     else (float(part.min()), float(part.max())))
        np.clip(part, low, high, out=part, casting="unsafe")
        part -= part.dtype.type(low)
        part /= part.dtype.type(max(high - low, 1e-5))
    return array


def make_grid(tensor: Any, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: tuple[float, float] | None = None, scale_each: bool = False,
              pad_value: float = 0.0) -> Tensor:
    """Tile a batch (B, C, H, W) (or a list of (C, H, W)) into one (C, H', W') image.

    ``nrow`` images per row, ``padding`` pixels of ``pad_value`` around each;
    ``normalize`` maps ``value_range`` (default min..max, per image with ``scale_each``)
    to [0, 1]. One-channel images come out with three equal channels, as torchvision.
    """
    array = _batch(tensor)
    if normalize:
        array = _normalized(array, value_range, scale_each)
    if array.shape[0] == 1:
        return Tensor(np.ascontiguousarray(array[0]))
    count, channels, height, width = array.shape
    columns = min(nrow, count)
    rows = int(math.ceil(count / columns))
    cell_h, cell_w = height + padding, width + padding
    grid = np.full((channels, cell_h * rows + padding, cell_w * columns + padding), pad_value,
                   dtype=array.dtype)
    for k in range(count):
        y, x = divmod(k, columns)
        top, left = y * cell_h + padding, x * cell_w + padding
        grid[:, top:top + height, left:left + width] = array[k]
    return Tensor(grid)


def save_image(tensor: Any, fp: str | os.PathLike[str] | IO[bytes], format: str | None = None,
               **kwargs: Any) -> None:
    """Save a Tensor (or list) as an image file, tiled by ``make_grid(**kwargs)`` when it holds
    several. Values in [0, 1] become bytes as ``round(x * 255)`` clamped (torchvision's
    ``mul(255).add_(0.5).clamp_(0, 255)`` then truncation). ``format``: Pillow's, else from
    the file name."""
    image_module = require_pil("save_image")
    grid = make_grid(tensor, **kwargs).numpy()
    scaled = grid * grid.dtype.type(255) + grid.dtype.type(0.5) if grid.dtype.kind == "f" \
        else grid * 255 + 0.5
    pixels = np.clip(scaled, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    image_module.fromarray(np.ascontiguousarray(pixels)).save(fp, format=format)
