"""``torchvision.transforms``: image transforms as callables, composed into a pipeline.

``from tinygrad_edu.vision import transforms`` where PyTorch code has
``from torchvision import transforms``::

    transform = transforms.Compose([
        transforms.RandomCrop(28, padding=2),
        transforms.ToTensor(),
        transforms.Normalize((0.1307,), (0.3081,)),
    ])

Each transform takes a PIL Image (with Pillow installed), a NumPy array (H, W) / (H, W, C) or a
Tensor (..., C, H, W), and returns the same kind (``ToTensor``, ``ToPILImage`` convert;
``Normalize`` and ``ConvertImageDtype`` take Tensors, as torchvision's). Random transforms draw
from the library's Generator at call time (``tinygrad_edu.manual_seed`` makes them repeat) and
have torchvision's ``get_params`` static methods. They are plain classes, not Modules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import functional
from ._geometry import InterpolationMode, interpolation_mode
from ._random import (
    RandomAffine,
    RandomApply,
    RandomCrop,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomRotation,
    RandomVerticalFlip,
)
from .functional import normalize

__all__ = [
    "CenterCrop",
    "Compose",
    "ConvertImageDtype",
    "Grayscale",
    "InterpolationMode",
    "Lambda",
    "Normalize",
    "Pad",
    "PILToTensor",
    "RandomAffine",
    "RandomApply",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomResizedCrop",
    "RandomRotation",
    "RandomVerticalFlip",
    "Resize",
    "ToPILImage",
    "ToTensor",
    "functional",
]


class Compose:
    """Apply ``transforms`` in order."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for transform in self.transforms:
            img = transform(img)
        return img

    def __repr__(self) -> str:
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({lines}\n)"


class _Simple:
    """A transform without parameters: ``Name()``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ToTensor(_Simple):
    """PIL Image or NumPy (H, W[, C]) to a (C, H, W) Tensor; uint8 becomes float32 / 255."""

    def __call__(self, pic: Any) -> Any:
        return functional.to_tensor(pic)


class PILToTensor(_Simple):
    """PIL Image to a (C, H, W) Tensor of the same dtype (no scaling)."""

    def __call__(self, pic: Any) -> Any:
        return functional.pil_to_tensor(pic)


class ToPILImage:
    """Tensor (C, H, W) or NumPy (H, W, C) to a PIL Image (``mode`` as in ``to_pil_image``)."""

    def __init__(self, mode: str | None = None) -> None:
        self.mode = mode

    def __call__(self, pic: Any) -> Any:
        return functional.to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({'' if self.mode is None else f'mode={self.mode}'})"


class Normalize:
    """``(x - mean) / std`` per channel of a float Tensor image (see ``functional.normalize``)."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def __call__(self, tensor: Any) -> Any:
        return normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class ConvertImageDtype:
    """Convert a Tensor image to ``dtype``, rescaling (see ``functional.convert_image_dtype``)."""

    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype

    def __call__(self, image: Any) -> Any:
        return functional.convert_image_dtype(image, self.dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Lambda:
    """Apply a function of the user's as a transform."""

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _setup_size(size: Any, error: str) -> tuple[int, int]:
    """(h, w) from one number or a sequence of one or two (torchvision's rule)."""
    if isinstance(size, int | float) and not isinstance(size, bool):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if not isinstance(size, Sequence) or len(size) != 2:
        raise ValueError(error)
    return size[0], size[1]


class Resize:
    """Resize to ``size``: one number is the smaller edge (aspect kept), (h, w) is exact.

    ``interpolation`` (default bilinear), ``max_size`` caps the longer edge, ``antialias``
    (default True) smooths when shrinking Tensors and arrays (PIL always does).
    """

    def __init__(self, size: Any, interpolation: Any = InterpolationMode.BILINEAR,
                 max_size: int | None = None, antialias: bool | None = True) -> None:
        if not isinstance(size, int | Sequence):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        self.interpolation = interpolation_mode(interpolation)
        self.antialias = antialias

    def __call__(self, img: Any) -> Any:
        return functional.resize(img, self.size, self.interpolation, self.max_size,
                                 self.antialias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, "
                f"interpolation={self.interpolation.value}, max_size={self.max_size}, "
                f"antialias={self.antialias})")


class CenterCrop:
    """Crop the central ``size`` (int or (h, w)); smaller images are padded with 0 first."""

    def __init__(self, size: Any) -> None:
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def __call__(self, img: Any) -> Any:
        return functional.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class Pad:
    """Pad the borders (int, (lr, tb) or (l, t, r, b)) with ``fill`` or by ``padding_mode``
    (constant, edge, reflect, symmetric)."""

    def __init__(self, padding: Any, fill: Any = 0, padding_mode: str = "constant") -> None:
        if not isinstance(padding, int | Sequence):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, int | float | Sequence):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if isinstance(padding, Sequence) and len(padding) not in (1, 2, 4):
            raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                             f"{len(padding)} element tuple")
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, img: Any) -> Any:
        return functional.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, "
                f"padding_mode={self.padding_mode})")


class Grayscale:
    """Convert to grayscale with 1 or 3 (equal) output channels."""

    def __init__(self, num_output_channels: int = 1) -> None:
        self.num_output_channels = num_output_channels

    def __call__(self, img: Any) -> Any:
        return functional.rgb_to_grayscale(img, self.num_output_channels)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"
