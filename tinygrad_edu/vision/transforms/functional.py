"""``torchvision.transforms.functional``: each transform as a function with its parameters given,
``import tinygrad_edu.vision.transforms.functional as TF``; ``TF.rotate(img, 30.0)``.

Images are PIL Images (with Pillow), NumPy arrays (H, W) or (H, W, C), or Tensors
(..., C, H, W); every op returns the kind it was given (see ``tinygrad_edu.vision._image``).
The conversions (``to_tensor``, ``to_pil_image`` ...) and ``normalize`` take what torchvision's
take.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...dtypes import _dtype
from ...tensor import Tensor
from .._image import (
    get_dimensions,
    is_pil_image,
    pil_from_array,
    require_pil,
    to_planes,
    work_dtype,
)
from ._geometry import (
    InterpolationMode,
    affine,
    center_crop,
    crop,
    hflip,
    pad,
    resize,
    resized_crop,
    rotate,
    vflip,
)

__all__ = [
    "InterpolationMode",
    "affine",
    "center_crop",
    "convert_image_dtype",
    "crop",
    "get_dimensions",
    "get_image_num_channels",
    "get_image_size",
    "hflip",
    "normalize",
    "pad",
    "pil_to_tensor",
    "resize",
    "resized_crop",
    "rgb_to_grayscale",
    "rotate",
    "to_grayscale",
    "to_pil_image",
    "to_tensor",
    "vflip",
]


def get_image_size(img: Any) -> list[int]:
    """[width, height], as torchvision (note the order)."""
    _, height, width = get_dimensions(img)
    return [width, height]


def get_image_num_channels(img: Any) -> int:
    return get_dimensions(img)[0]


# --------------------------------------------------------------------------- conversions

_PIL_INTEGER_DTYPES = {"I": np.int32, "I;16": np.int16, "F": np.float32}


def to_tensor(pic: Any) -> Tensor:
    """A PIL Image or NumPy array (H, W) / (H, W, C) as a (C, H, W) Tensor.

    uint8 data (and PIL modes L, RGB, ... and '1') become float32 in [0, 1] (divided by 255);
    other dtypes keep their type and values, as torchvision's ``ToTensor``.
    """
    if is_pil_image(pic):
        array = np.array(pic, dtype=_PIL_INTEGER_DTYPES.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            array = array * np.uint8(255)
        array = array.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        array = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    chw = np.ascontiguousarray(array.transpose(2, 0, 1))
    if chw.dtype == np.uint8:
        return Tensor(chw.astype(np.float32) / np.float32(255))
    return Tensor(chw)


def pil_to_tensor(pic: Any) -> Tensor:
    """A PIL Image as a (C, H, W) Tensor of its own dtype, values unchanged (uint8 stays)."""
    if not is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    array = np.array(pic, copy=True).reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    return Tensor(np.ascontiguousarray(array.transpose(2, 0, 1)))


_MODES_BY_CHANNELS = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}
_SINGLE_CHANNEL_MODES = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16",
                         np.dtype(np.int32): "I", np.dtype(np.float32): "F"}


def to_pil_image(pic: Any, mode: str | None = None) -> Any:
    """A Tensor (C, H, W) or NumPy array (H, W, C) as a PIL Image.

    Float data (unless ``mode='F'``) is scaled by 255 and truncated to uint8, as torchvision.
    One channel gives mode L (uint8), I;16, I or F by dtype; 2: LA; 3: RGB; 4: RGBA.
    """
    require_pil("to_pil_image")
    if isinstance(pic, Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        data = pic.detach().numpy()
        array = data[:, :, None] if data.ndim == 2 else np.moveaxis(data, 0, -1)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        array = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if array.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {array.shape[-1]} channels.")
    if array.dtype.kind == "f" and mode != "F":
        array = (array * 255).astype(np.uint8)  # truncation, as torchvision's .byte()
    channels = array.shape[-1]
    if channels == 1:
        array = array[:, :, 0]
        expected = _SINGLE_CHANNEL_MODES.get(array.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {array.dtype}. "
                             f"Should be {expected}")
        mode = expected
    else:
        permitted = _MODES_BY_CHANNELS[channels]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for {channels}-channel "
                             "inputs")
        if mode is None and array.dtype == np.uint8:
            mode = permitted[0]
    if mode is None:
        raise TypeError(f"Input type {array.dtype} is not supported")
    if mode == "I;16" and sys.byteorder != "little":
        mode = "I;16B"
    return pil_from_array(array, mode)


# --------------------------------------------------------------------------- tensor-only ops


def _check_tensor_image(tensor: Any, what: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what}: img should be Tensor Image. Got {type(tensor)}")


def normalize(tensor: Tensor, mean: Sequence[float], std: Sequence[float],
              inplace: bool = False) -> Tensor:
    """``(tensor - mean) / std`` per channel of a float (..., C, H, W) Tensor.

    Out of place it is recorded by autograd (a Tensor op); ``inplace`` overwrites ``tensor``.
    ``mean`` and ``std`` have one value per channel, or one for all.
    """
    _check_tensor_image(tensor, "normalize")
    if tensor.dtype.kind != "f":
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tuple(tensor.shape)}.")
    mean_array = np.asarray(mean, dtype=tensor.dtype).reshape(-1)
    std_array = np.asarray(std, dtype=tensor.dtype).reshape(-1)
    if (std_array == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading "
                         "to division by zero.")
    channels = tensor.shape[-3]
    for name, values in (("mean", mean_array), ("std", std_array)):
        if len(values) not in (1, channels):
            raise RuntimeError(f"normalize: {name} has {len(values)} values for an image of "
                               f"{channels} channels (shape {tuple(tensor.shape)}); give one "
                               "per channel or one for all")
    mean_t, std_t = Tensor(mean_array[:, None, None]), Tensor(std_array[:, None, None])
    if inplace:
        return tensor.sub_(mean_t).div_(std_t)
    return (tensor - mean_t) / std_t


def _int_max(dtype: np.dtype) -> int:
    return int(np.iinfo(dtype).max)


def convert_image_dtype(image: Tensor, dtype: Any = np.float32) -> Tensor:
    """Change an image Tensor's dtype and rescale: integers span [0, max], floats [0, 1].

    float -> int multiplies by ``max + 1 - 0.001`` and truncates; int -> int shifts by the
    ratio of the ranges; float32 -> int32/int64 and float64 -> int64 are refused (they
    cannot be done exactly), as torchvision.
    """
    _check_tensor_image(image, "convert_image_dtype")
    target = _dtype(dtype)
    data = image.detach().numpy()
    source = data.dtype
    if source == target:
        return image
    if source.kind == "f":
        if target.kind == "f":
            return Tensor(data.astype(target))
        if (source == np.float32 and target in (np.int32, np.int64)) or (
                source == np.float64 and target == np.int64):
            raise RuntimeError(f"The cast from {source} to {target} cannot be performed "
                               "safely.")
        scaled = data * source.type(_int_max(target) + 1.0 - 1e-3)
        return Tensor(scaled.astype(target))
    if target.kind == "f":
        return Tensor(data.astype(target) / target.type(_int_max(source)))
    if _int_max(source) > _int_max(target):
        factor = (_int_max(source) + 1) // (_int_max(target) + 1)
        return Tensor((data // factor).astype(target))
    factor = (_int_max(target) + 1) // (_int_max(source) + 1)
    return Tensor(data.astype(target) * target.type(factor))


def rgb_to_grayscale(img: Any, num_output_channels: int = 1) -> Any:
    """Luminance of an RGB image (a 1-channel image is kept), as 1 or 3 equal channels.

    PIL Images use Pillow's ``convert('L')`` (its fixed-point weights 299/587/114 per mille);
    Tensors and arrays ``0.2989 R + 0.587 G + 0.114 B`` truncated to the dtype, as torchvision.
    """
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if is_pil_image(img):
        gray = img.convert("L")
        if num_output_channels == 1:
            return gray
        return pil_from_array(np.repeat(np.asarray(gray)[:, :, None], 3, axis=2), "RGB")
    channels = get_dimensions(img)[0]
    if channels not in (1, 3):
        raise TypeError(f"Input image should have 1 or 3 channels, got {channels}")
    planes, back = to_planes(img)
    if channels == 3:
        # in float32 (or the image's float type) as torch does, then truncated to the dtype
        red, green, blue = (planes[..., i:i + 1, :, :].astype(work_dtype(planes.dtype))
                            for i in range(3))
        weights = [red.dtype.type(w) for w in (0.2989, 0.587, 0.114)]
        luminance = (weights[0] * red + weights[1] * green + weights[2] * blue
                     ).astype(planes.dtype)
        if num_output_channels == 3:
            luminance = np.repeat(luminance, 3, axis=-3)
    else:  # one channel stays one channel, even when 3 are asked for (torchvision's expand)
        luminance = planes.copy()
    return back(luminance)


def to_grayscale(img: Any, num_output_channels: int = 1) -> Any:
    """A PIL Image in grayscale (torchvision's PIL-only alias of ``rgb_to_grayscale``)."""
    if not is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")
    return rgb_to_grayscale(img, num_output_channels)
