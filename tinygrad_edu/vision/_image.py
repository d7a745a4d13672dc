"""What an image is to the vision transforms, and how each kind becomes NumPy planes and back.

Three kinds are accepted, as torchvision's transforms accept the first and last:

* a PIL Image (only when Pillow is installed: ``pip install tinygrad_edu[vision]``);
* a NumPy array, (H, W) or (H, W, C), as ``np.asarray(pil_image)`` gives;
* a :class:`~tinygrad_edu.Tensor`, (..., C, H, W) or (H, W), as torchvision's tensor images.

Every geometric op is written once, on *planes*: a NumPy array (..., C, H, W). ``to_planes``
turns an image into planes and returns the function that turns a result back into the input's
kind (a PIL Image of the same mode, an array of the same layout, a Tensor).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from ..tensor import Tensor

__all__ = [
    "Back",
    "fill_values",
    "get_dimensions",
    "is_pil_image",
    "pil_image_module",
    "require_pil",
    "to_planes",
]

#: Turns result planes (..., C, H, W) back into an image of the input's kind.
Back = Callable[[np.ndarray], Any]

PIL_INSTALL_HINT = "pip install tinygrad_edu[vision] (or pip install Pillow)"


def pil_image_module() -> ModuleType | None:
    """``PIL.Image`` if Pillow can be imported, else None (asked anew each time, so tests can
    hide Pillow; once imported this is a dictionary look-up)."""
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


def require_pil(what: str) -> ModuleType:
    """``PIL.Image``, or an ImportError saying that ``what`` needs Pillow and how to get it."""
    image = pil_image_module()
    if image is None:
        raise ImportError(f"{what} needs Pillow: {PIL_INSTALL_HINT}")
    return image


def is_pil_image(img: Any) -> bool:
    image = pil_image_module()
    return image is not None and isinstance(img, image.Image)


def _kind_error(img: Any) -> TypeError:
    return TypeError(
        f"img should be a PIL Image, a NumPy array (H, W) or (H, W, C), or a Tensor "
        f"(..., C, H, W); got {type(img).__name__}"
    )


def get_dimensions(img: Any) -> list[int]:
    """[channels, height, width] of any accepted image (torchvision's ``get_dimensions``)."""
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise TypeError(f"Tensor is not a torch image: it has {img.ndim} dimensions, "
                            "an image needs (..., H, W)")
        channels = 1 if img.ndim == 2 else img.shape[-3]
        return [channels, img.shape[-2], img.shape[-1]]
    if isinstance(img, np.ndarray):
        if img.ndim == 2:
            return [1, img.shape[0], img.shape[1]]
        if img.ndim == 3:
            return [img.shape[2], img.shape[0], img.shape[1]]
        raise ValueError(f"a NumPy image should be (H, W) or (H, W, C), got shape {img.shape}")
    if is_pil_image(img):
        width, height = img.size
        return [len(img.getbands()), height, width]
    raise _kind_error(img)


def pil_from_array(array: np.ndarray, mode: str, palette: Any = None) -> Any:
    """A PIL Image of ``mode`` holding ``array`` ((H, W) or (H, W, C), Pillow's layout)."""
    image_module = require_pil("making a PIL Image")
    if mode == "1":  # one bit per pixel: Pillow reads a boolean array, not raw bytes
        image = image_module.fromarray(np.ascontiguousarray(array, dtype=bool))
    else:
        height, width = array.shape[:2]
        image = image_module.frombytes(mode, (width, height), np.ascontiguousarray(array).tobytes())
    if palette is not None:
        image.putpalette(palette)
    return image


def to_planes(img: Any) -> tuple[np.ndarray, Back]:
    """``img`` as planes (..., C, H, W) (a view where possible) and the way back to its kind."""
    if isinstance(img, Tensor):
        data = img.detach().numpy()
        if data.ndim < 2:
            raise TypeError(f"Tensor is not a torch image: it has {data.ndim} dimensions, "
                            "an image needs (..., H, W)")
        if data.ndim == 2:
            return data[None], lambda planes: Tensor(np.ascontiguousarray(planes[0]))
        return data, lambda planes: Tensor(np.ascontiguousarray(planes))
    if isinstance(img, np.ndarray):
        return _array_planes(img)
    if is_pil_image(img):
        mode = img.mode
        palette = img.getpalette() if mode == "P" else None
        planes, back_to_array = _array_planes(np.asarray(img))
        return planes, lambda planes: pil_from_array(back_to_array(planes), mode, palette)
    raise _kind_error(img)


def _array_planes(array: np.ndarray) -> tuple[np.ndarray, Back]:
    if array.ndim == 2:
        return array[None], lambda planes: np.ascontiguousarray(planes[0])
    if array.ndim == 3:
        return (np.moveaxis(array, -1, 0),
                lambda planes: np.ascontiguousarray(np.moveaxis(planes, 0, -1)))
    raise ValueError(f"a NumPy image should be (H, W) or (H, W, C), got shape {array.shape}")


def fill_values(fill: Any, channels: int, name: str = "fill") -> list[float]:
    """``fill`` (a number, or one value per channel, or one value for all) as ``channels``
    floats; a ValueError if a sequence has another length."""
    if fill is None:
        return [0.0] * channels
    if isinstance(fill, numbers.Number) and not isinstance(fill, bool):
        return [float(fill)] * channels  # type: ignore[arg-type]
    if isinstance(fill, Sequence) and not isinstance(fill, str):
        values = [float(v) for v in fill]
        if len(values) == 1:
            return values * channels
        if len(values) != channels:
            raise ValueError(f"The number of elements in '{name}' does not match the number "
                             f"of channels of the image ({len(values)} != {channels})")
        return values
    raise TypeError(f"{name} should be a number or a sequence of numbers, got "
                    f"{type(fill).__name__}")


def cast_like(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float results back to ``dtype``: integers rounded (half to even, as torch.round) and
    clipped to the type's range (torchvision leaves out-of-range casts undefined)."""
    if values.dtype == dtype:
        return values
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.clip(np.round(values), info.min, info.max).astype(dtype)
    if dtype.kind == "b":
        return values >= 0.5
    return values.astype(dtype)


def work_dtype(dtype: np.dtype) -> np.dtype:
    """The float type interpolation computes in: the image's own float type, else float32
    (torchvision's tensor path converts integer images to float32)."""
    return dtype if dtype.kind == "f" else np.dtype(np.float32)
