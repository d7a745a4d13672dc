"""The geometric functional forms (``torchvision.transforms.functional``'s crop, pad, flips,
resize, rotate, affine): on PIL Images with Pillow's own operations (as torchvision does, so
results are Pillow's), on Tensors and NumPy arrays with the NumPy kernels of ``_sampling``
(torchvision's tensor path). Exact ops (crop, pad, flip) share the NumPy code for all kinds.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from enum import Enum
from typing import Any

from .._image import fill_values, get_dimensions, is_pil_image, to_planes
from .._sampling import (
    affine_output_size,
    crop_planes,
    grid_transform,
    inverse_affine_matrix,
    pad_planes,
    resize_planes,
)

__all__ = [
    "InterpolationMode",
    "affine",
    "center_crop",
    "crop",
    "hflip",
    "pad",
    "resize",
    "resized_crop",
    "rotate",
    "vflip",
]


class InterpolationMode(Enum):
    """How pixels between samples are computed (torchvision's enum; its values are the names)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's resampling constants (Image.NEAREST = 0 ...), which torchvision also accepts
_FROM_PIL_CONSTANT = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
                      3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
                      5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}
_TO_PIL_CONSTANT = {mode: constant for constant, mode in _FROM_PIL_CONSTANT.items()}
_TO_PIL_CONSTANT[InterpolationMode.NEAREST_EXACT] = 0  # Pillow's nearest is already exact


def interpolation_mode(interpolation: Any) -> InterpolationMode:
    """An InterpolationMode, from itself or a Pillow constant; a TypeError otherwise."""
    if isinstance(interpolation, InterpolationMode):
        return interpolation
    if isinstance(interpolation, int) and interpolation in _FROM_PIL_CONSTANT:
        return _FROM_PIL_CONSTANT[interpolation]
    raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding "
                    f"Pillow integer constant, got {interpolation!r}")


def _ints(values: Any, name: str) -> list[int]:
    if isinstance(values, numbers.Integral):
        return [int(values)]
    if isinstance(values, Sequence) and all(isinstance(v, numbers.Integral) for v in values):
        return [int(v) for v in values]
    raise TypeError(f"{name} should be an int or a sequence of ints, got {values!r}")


def _padding_ltrb(padding: Any) -> tuple[int, int, int, int]:
    """torchvision's padding forms: one int (all sides), (left/right, top/bottom), or
    (left, top, right, bottom)."""
    values = _ints(padding, "padding")
    if len(values) == 1:
        return values[0], values[0], values[0], values[0]
    if len(values) == 2:
        return values[0], values[1], values[0], values[1]
    if len(values) == 4:
        return values[0], values[1], values[2], values[3]
    raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                     f"{len(values)} element tuple")


def _size_pair(size: Any, name: str = "size") -> tuple[int, int]:
    values = _ints(size, name)
    if len(values) == 1:
        return values[0], values[0]
    if len(values) != 2:
        raise ValueError(f"Please provide only two dimensions (h, w) for {name}, got {size!r}")
    return values[0], values[1]


# --------------------------------------------------------------------------- exact ops


def crop(img: Any, top: int, left: int, height: int, width: int) -> Any:
    """The ``height`` x ``width`` window at (``top``, ``left``); outside the image is 0."""
    planes, back = to_planes(img)
    return back(crop_planes(planes, int(top), int(left), int(height), int(width)))


def pad(img: Any, padding: Any, fill: Any = 0, padding_mode: str = "constant") -> Any:
    """Pad each border (``padding``: int, (lr, tb) or (l, t, r, b); negative crops).

    ``padding_mode``: constant (``fill``, a number or one per channel), edge, reflect
    (mirror without repeating the edge) or symmetric (mirror repeating it).
    """
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    left, top, right, bottom = _padding_ltrb(padding)
    channels = get_dimensions(img)[0]
    fills = fill_values(fill, channels)
    planes, back = to_planes(img)
    return back(pad_planes(planes, left, top, right, bottom, padding_mode, fills))


def center_crop(img: Any, output_size: Any) -> Any:
    """The central ``output_size`` window (int or (h, w)); an image smaller than that is
    first padded with zeros, as torchvision."""
    crop_h, crop_w = _size_pair(output_size, "output_size")
    _, height, width = get_dimensions(img)
    if crop_w > width or crop_h > height:
        extra_w, extra_h = max(crop_w - width, 0), max(crop_h - height, 0)
        img = pad(img, [extra_w // 2, extra_h // 2, (extra_w + 1) // 2, (extra_h + 1) // 2])
        _, height, width = get_dimensions(img)
        if (crop_h, crop_w) == (height, width):
            return img
    top = int(round((height - crop_h) / 2.0))
    left = int(round((width - crop_w) / 2.0))
    return crop(img, top, left, crop_h, crop_w)


def hflip(img: Any) -> Any:
    """Mirror left to right."""
    planes, back = to_planes(img)
    return back(planes[..., ::-1])


def vflip(img: Any) -> Any:
    """Mirror top to bottom."""
    planes, back = to_planes(img)
    return back(planes[..., ::-1, :])


# --------------------------------------------------------------------------- resize


def resized_output_size(height: int, width: int, size: Any,
                        max_size: int | None = None) -> tuple[int, int]:
    """(h, w) after Resize(size): one number resizes the smaller edge to it keeping the
    aspect ratio (the longer edge truncated), capped by ``max_size``; (h, w) is taken as is."""
    values = _ints(size, "size")
    if len(values) not in (1, 2):
        raise ValueError("Size must be an int or a 1 or 2 element tuple/list, not a "
                         f"{len(values)} element tuple/list")
    if len(values) == 2:
        if max_size is not None:
            raise ValueError("max_size should only be passed if size specifies the length of "
                             "the smaller edge, i.e. size should be an int or a sequence of "
                             "length 1")
        return values[0], values[1]
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = values[0], int(values[0] * long / short)
    if max_size is not None:
        if max_size <= new_short:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                             f"requested size for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_long, new_short) if width <= height else (new_short, new_long)


def resize(img: Any, size: Any, interpolation: Any = InterpolationMode.BILINEAR,
           max_size: int | None = None, antialias: bool | None = True) -> Any:
    """Resize to ``size`` (one number: the smaller edge; or (h, w)).

    PIL Images use Pillow's ``resize`` (always antialiased, as torchvision notes). Tensors
    and arrays follow torchvision's tensor path: nearest (``floor(i * scale)``),
    nearest-exact, bilinear or bicubic; ``antialias`` widens the filter when shrinking.
    """
    mode = interpolation_mode(interpolation)
    _, height, width = get_dimensions(img)
    out_h, out_w = resized_output_size(height, width, size, max_size)
    if (out_h, out_w) == (height, width):
        return img
    if is_pil_image(img):
        if antialias is False:
            warnings.warn("Anti-alias option is always applied for PIL Image input. Argument "
                          "antialias is ignored.", stacklevel=2)
        return img.resize((out_w, out_h), _TO_PIL_CONSTANT[mode])
    planes, back = to_planes(img)
    return back(resize_planes(planes, out_h, out_w, mode.value, bool(antialias)))


def resized_crop(img: Any, top: int, left: int, height: int, width: int, size: Any,
                 interpolation: Any = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> Any:
    """Crop, then resize to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation,
                  antialias=antialias)


# --------------------------------------------------------------------------- rotate / affine


def _pil_fill(fill: Any, img: Any) -> Any:
    """``fill`` as Pillow's ``fillcolor``: ints unless the image is float ('F')."""
    values: list[Any] = fill_values(fill, get_dimensions(img)[0])
    if img.mode != "F":
        values = [int(v) for v in values]
    return values[0] if len(values) == 1 else tuple(values)


def _tensor_fill(fill: Any, channels: int) -> list[float] | None:
    if fill is None:
        return None
    values = [float(fill)] if isinstance(fill, numbers.Real) else [float(v) for v in fill]
    if len(values) not in (1, channels):
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the "
                         f"number of channels of the image ({len(values)} != {channels})")
    return values


def _centred(center: Sequence[float] | None, width: int, height: int) -> list[float]:
    """A centre in pixels as the tensor path wants it: relative to the image's middle."""
    if center is None:
        return [0.0, 0.0]
    return [float(center[0]) - width * 0.5, float(center[1]) - height * 0.5]


def rotate(img: Any, angle: float, interpolation: Any = InterpolationMode.NEAREST,
           expand: bool = False, center: Sequence[float] | None = None,
           fill: Any = None) -> Any:
    """Rotate by ``angle`` degrees counter-clockwise about ``center`` (default: the middle).

    ``expand`` grows the output to hold the whole rotated image. Outside pixels are 0, or
    ``fill`` (on Tensors/arrays blended at the border as torchvision, see ``grid_transform``).
    """
    mode = interpolation_mode(interpolation)
    if not isinstance(angle, numbers.Real):
        raise TypeError("Argument angle should be int or float")
    if center is not None and (not isinstance(center, Sequence) or len(center) != 2):
        raise TypeError("Argument center should be a sequence of two numbers")
    if is_pil_image(img):
        return img.rotate(float(angle), _TO_PIL_CONSTANT[mode], expand,
                          None if center is None else tuple(center), fillcolor=_pil_fill(fill, img))
    channels, height, width = get_dimensions(img)
    # the tensor path's matrix turns the other way (torchvision negates the angle likewise)
    matrix = inverse_affine_matrix(_centred(center, width, height), -float(angle), [0.0, 0.0],
                                   1.0, [0.0, 0.0])
    out_w, out_h = affine_output_size(matrix, width, height) if expand else (width, height)
    planes, back = to_planes(img)
    return back(grid_transform(planes, matrix, out_w, out_h, mode.value,
                               _tensor_fill(fill, channels)))


def _shear_pair(shear: Any) -> list[float]:
    if isinstance(shear, numbers.Real):
        return [float(shear), 0.0]
    if isinstance(shear, Sequence) and len(shear) in (1, 2):
        values = [float(s) for s in shear]
        return values * 2 if len(values) == 1 else values
    raise ValueError(f"Shear should be a number or a sequence containing two values. Got {shear}")


def affine(img: Any, angle: float, translate: Sequence[float], scale: float, shear: Any,
           interpolation: Any = InterpolationMode.NEAREST, fill: Any = None,
           center: Sequence[float] | None = None) -> Any:
    """Rotate by ``angle`` (clockwise, as torchvision's affine), scale, shear (degrees, along
    x or (x, y)) about ``center``, then translate by ``translate`` pixels (x, y)."""
    mode = interpolation_mode(interpolation)
    if not isinstance(angle, numbers.Real):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, Sequence) or len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    shears = _shear_pair(shear)
    channels, height, width = get_dimensions(img)
    if is_pil_image(img):
        pil_center = [width * 0.5, height * 0.5] if center is None else list(center)
        matrix = inverse_affine_matrix(pil_center, float(angle), list(translate), scale, shears)
        from PIL import Image  # Pillow is there: img is a PIL Image

        return img.transform(img.size, Image.Transform.AFFINE, matrix, _TO_PIL_CONSTANT[mode],
                             fillcolor=_pil_fill(fill, img))
    matrix = inverse_affine_matrix(_centred(center, width, height), float(angle),
                                   [float(t) for t in translate], scale, shears)
    planes, back = to_planes(img)
    return back(grid_transform(planes, matrix, width, height, mode.value,
                               _tensor_fill(fill, channels)))
