"""The random transforms. Each draws its parameters from ``tinygrad_edu.random.get_rng()`` when
called (so ``tinygrad_edu.manual_seed`` makes a pipeline repeat) through a ``get_params``
static method with torchvision's signature, then applies the functional form with them.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from ...random import get_rng
from .._image import get_dimensions, is_pil_image
from . import functional as F
from ._geometry import InterpolationMode, interpolation_mode

__all__ = [
    "RandomAffine",
    "RandomApply",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomResizedCrop",
    "RandomRotation",
    "RandomVerticalFlip",
]


def _size_hw(size: Any) -> tuple[int, int]:
    if isinstance(size, numbers.Number) and not isinstance(size, bool):
        return int(size), int(size)  # type: ignore[call-overload]
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if not isinstance(size, Sequence) or len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    return size[0], size[1]


def _angle_range(value: Any, name: str, lengths: tuple[int, ...] = (2,)) -> list[float]:
    """A number x means [-x, x]; else a sequence of one of ``lengths``, as floats."""
    if isinstance(value, numbers.Real):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        return [float(-value), float(value)]  # -0 stays 0 for an int, as torchvision
    _check_sequence(value, name, lengths)
    return [float(v) for v in value]


def _check_sequence(value: Any, name: str, lengths: tuple[int, ...]) -> None:
    wanted = " or ".join(str(n) for n in lengths)
    if not isinstance(value, Sequence):
        raise TypeError(f"{name} should be a sequence of length {wanted}.")
    if len(value) not in lengths:
        raise ValueError(f"{name} should be a sequence of length {wanted}.")


def _checked_fill(fill: Any) -> Any:
    if fill is None:
        return 0
    if not isinstance(fill, Sequence | numbers.Number):
        raise TypeError("Fill should be either a sequence or a number.")
    return fill


def _grid_fill(fill: Any, img: Any) -> Any:
    """torchvision hands non-PIL images a fill per channel, which turns on the blending of
    the border (``grid_transform``); PIL Images get the fill as given."""
    if is_pil_image(img):
        return fill
    channels = get_dimensions(img)[0]
    if isinstance(fill, numbers.Number):
        return [float(fill)] * channels  # type: ignore[arg-type]
    return [float(f) for f in fill]


class _Probability:
    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_Probability):
    """Mirror left to right with probability ``p``."""

    def __call__(self, img: Any) -> Any:
        return F.hflip(img) if get_rng().random() < self.p else img


class RandomVerticalFlip(_Probability):
    """Mirror top to bottom with probability ``p``."""

    def __call__(self, img: Any) -> Any:
        return F.vflip(img) if get_rng().random() < self.p else img


class RandomApply:
    """Apply the list of ``transforms`` in order, all or none, with probability ``p``."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]], p: float = 0.5) -> None:
        self.transforms = list(transforms)
        self.p = p

    def __call__(self, img: Any) -> Any:
        if self.p < get_rng().random():
            return img
        for transform in self.transforms:
            img = transform(img)
        return img

    def __repr__(self) -> str:
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}(\n    p={self.p}{lines}\n)"


class RandomCrop:
    """Crop a random ``size`` window, after padding by ``padding`` (as ``Pad``) if given;
    ``pad_if_needed`` pads an image smaller than ``size`` (by the shortfall on each side)."""

    def __init__(self, size: Any, padding: Any = None, pad_if_needed: bool = False,
                 fill: Any = 0, padding_mode: str = "constant") -> None:
        self.size = tuple(_size_hw(size))
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    @staticmethod
    def get_params(img: Any, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """(top, left, height, width) of a uniformly placed ``output_size`` window."""
        _, height, width = get_dimensions(img)
        crop_h, crop_w = output_size
        if height < crop_h or width < crop_w:
            raise ValueError(f"Required crop size {(crop_h, crop_w)} is larger than input "
                             f"image size {(height, width)}")
        if (height, width) == (crop_h, crop_w):
            return 0, 0, height, width
        rng = get_rng()
        top = int(rng.integers(0, height - crop_h + 1))
        left = int(rng.integers(0, width - crop_w + 1))
        return top, left, crop_h, crop_w

    def __call__(self, img: Any) -> Any:
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        top, left, crop_h, crop_w = self.get_params(img, self.size)  # type: ignore[arg-type]
        return F.crop(img, top, left, crop_h, crop_w)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomResizedCrop:
    """Crop a random window (area a ``scale`` fraction, aspect ``ratio``), resized to ``size``."""

    def __init__(self, size: Any, scale: Sequence[float] = (0.08, 1.0),
                 ratio: Sequence[float] = (3.0 / 4.0, 4.0 / 3.0),
                 interpolation: Any = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> None:
        self.size = _size_hw(size)
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        self.interpolation = interpolation_mode(interpolation)
        self.antialias = antialias
        self.scale = scale
        self.ratio = ratio

    @staticmethod
    def get_params(img: Any, scale: Sequence[float],
                   ratio: Sequence[float]) -> tuple[int, int, int, int]:
        """(top, left, height, width): up to 10 draws of area and log-uniform aspect; if none
        fits, the largest central window within ``ratio``."""
        _, height, width = get_dimensions(img)
        area = height * width
        log_low, log_high = math.log(ratio[0]), math.log(ratio[1])
        rng = get_rng()
        for _ in range(10):
            target_area = area * rng.uniform(scale[0], scale[1])
            aspect = math.exp(rng.uniform(log_low, log_high))
            crop_w = int(round(math.sqrt(target_area * aspect)))
            crop_h = int(round(math.sqrt(target_area / aspect)))
            if 0 < crop_w <= width and 0 < crop_h <= height:
                top = int(rng.integers(0, height - crop_h + 1))
                left = int(rng.integers(0, width - crop_w + 1))
                return top, left, crop_h, crop_w
        in_ratio = width / height
        if in_ratio < min(ratio):
            crop_w, crop_h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            crop_w, crop_h = int(round(height * max(ratio))), height
        else:
            crop_w, crop_h = width, height
        return (height - crop_h) // 2, (width - crop_w) // 2, crop_h, crop_w

    def __call__(self, img: Any) -> Any:
        top, left, crop_h, crop_w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, top, left, crop_h, crop_w, self.size, self.interpolation,
                              antialias=self.antialias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, "
                f"scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, "
                f"interpolation={self.interpolation.value}, antialias={self.antialias})")


class RandomRotation:
    """Rotate by an angle drawn uniformly from ``degrees`` (x means (-x, x))."""

    def __init__(self, degrees: Any, interpolation: Any = InterpolationMode.NEAREST,
                 expand: bool = False, center: Sequence[float] | None = None,
                 fill: Any = 0) -> None:
        self.degrees = _angle_range(degrees, "degrees")
        if center is not None:
            _check_sequence(center, "center", (2,))
        self.center = center
        self.interpolation = interpolation_mode(interpolation)
        self.expand = expand
        self.fill = _checked_fill(fill)

    @staticmethod
    def get_params(degrees: Sequence[float]) -> float:
        return float(get_rng().uniform(float(degrees[0]), float(degrees[1])))

    def __call__(self, img: Any) -> Any:
        fill = _grid_fill(self.fill, img)
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self) -> str:
        center = f", center={self.center}" if self.center is not None else ""
        return (f"{type(self).__name__}(degrees={self.degrees}, "
                f"interpolation={self.interpolation.value}, expand={self.expand}{center}, "
                f"fill={self.fill})")


class RandomAffine:
    """Random rotation (``degrees``), translation (fractions of width and height), scale and
    shear (degrees along x, or x then y with four bounds), about the centre."""

    def __init__(self, degrees: Any, translate: Sequence[float] | None = None,
                 scale: Sequence[float] | None = None, shear: Any = None,
                 interpolation: Any = InterpolationMode.NEAREST, fill: Any = 0,
                 center: Sequence[float] | None = None) -> None:
        self.degrees = _angle_range(degrees, "degrees")
        if translate is not None:
            _check_sequence(translate, "translate", (2,))
            if not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError("translation values should be between 0 and 1")
        self.translate = translate
        if scale is not None:
            _check_sequence(scale, "scale", (2,))
            if any(s <= 0 for s in scale):
                raise ValueError("scale values should be positive")
        self.scale = scale
        self.shear = _angle_range(shear, "shear", (2, 4)) if shear is not None else None
        self.interpolation = interpolation_mode(interpolation)
        self.fill = _checked_fill(fill)
        if center is not None:
            _check_sequence(center, "center", (2,))
        self.center = center

    @staticmethod
    def get_params(degrees: Sequence[float], translate: Sequence[float] | None,
                   scale_ranges: Sequence[float] | None, shears: Sequence[float] | None,
                   img_size: Sequence[int]) -> tuple[float, tuple[int, int], float,
                                                     tuple[float, float]]:
        """(angle, (tx, ty), scale, (shear_x, shear_y)); ``img_size`` is (width, height)."""
        rng = get_rng()
        angle = float(rng.uniform(float(degrees[0]), float(degrees[1])))
        if translate is not None:
            max_dx, max_dy = float(translate[0] * img_size[0]), float(translate[1] * img_size[1])
            translations = (int(round(rng.uniform(-max_dx, max_dx))),
                            int(round(rng.uniform(-max_dy, max_dy))))
        else:
            translations = (0, 0)
        scale = float(rng.uniform(scale_ranges[0], scale_ranges[1])) if scale_ranges else 1.0
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = float(rng.uniform(shears[0], shears[1]))
            if len(shears) == 4:
                shear_y = float(rng.uniform(shears[2], shears[3]))
        return angle, translations, scale, (shear_x, shear_y)

    def __call__(self, img: Any) -> Any:
        fill = _grid_fill(self.fill, img)
        _, height, width = get_dimensions(img)
        angle, translations, scale, shear = self.get_params(
            self.degrees, self.translate, self.scale, self.shear, [width, height])
        return F.affine(img, angle, list(translations), scale, list(shear), self.interpolation,
                        fill, self.center)

    def __repr__(self) -> str:
        parts = [f"degrees={self.degrees}"]
        for name in ("translate", "scale", "shear"):
            if getattr(self, name) is not None:
                parts.append(f"{name}={getattr(self, name)}")
        if self.interpolation != InterpolationMode.NEAREST:
            parts.append(f"interpolation={self.interpolation.value}")
        if self.fill != 0:
            parts.append(f"fill={self.fill}")
        if self.center is not None:
            parts.append(f"center={self.center}")
        return f"{type(self).__name__}({', '.join(parts)})"
