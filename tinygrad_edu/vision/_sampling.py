"""NumPy kernels of the geometric transforms, on planes (..., C, H, W).

They reproduce torchvision's *tensor* path: padding and cropping as ``torch.nn.functional.pad``,
resizing as ``interpolate`` (half-pixel centres, ``align_corners=False``; with ``antialias`` the
filter widens by the scale factor when shrinking, as Pillow and PyTorch do), and rotation/affine
as an inverse mapping sampled like ``grid_sample(align_corners=False, padding_mode='zeros')``.
Interpolation computes in float32 (or the image's own float type); integer images are rounded
back at the end.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from ._image import cast_like, work_dtype

__all__ = [
    "affine_output_size",
    "crop_planes",
    "grid_transform",
    "inverse_affine_matrix",
    "pad_planes",
    "resize_planes",
]

PAD_MODES = ("constant", "edge", "reflect", "symmetric")


# --------------------------------------------------------------------------- pad and crop


def pad_planes(planes: np.ndarray, left: int, top: int, right: int, bottom: int,
               mode: str = "constant", fill: Sequence[float] = (0.0,)) -> np.ndarray:
    """Pad the last two axes; a negative amount crops that side instead (as torch's pad).

    ``fill`` (constant mode): one value per channel, or one for all.
    """
    if mode not in PAD_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    height, width = planes.shape[-2:]
    planes = planes[..., max(-top, 0):height - max(-bottom, 0),
                    max(-left, 0):width - max(-right, 0)]
    left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
    height, width = planes.shape[-2:]
    if mode == "reflect" and (max(left, right) >= width or max(top, bottom) >= height):
        raise ValueError(f"reflect padding of ({left}, {top}, {right}, {bottom}) (left, top, "
                         f"right, bottom) needs each amount below the image's size "
                         f"({height}, {width})")
    if mode != "constant":
        if planes.size == 0:
            raise ValueError(f"{mode} padding needs a non-empty image, got shape {planes.shape}")
        widths = [(0, 0)] * (planes.ndim - 2) + [(top, bottom), (left, right)]
        return np.pad(planes, widths, mode=cast(Any, mode))
    out_shape = planes.shape[:-2] + (height + top + bottom, width + left + right)
    out = np.empty(out_shape, dtype=planes.dtype)
    channels = planes.shape[-3]
    values = np.broadcast_to(np.asarray(fill, dtype=np.float64), (channels,))
    if planes.dtype.kind in "iu":  # an integer image takes the fill truncated, as torch's pad
        values = np.trunc(values)
    out[...] = cast_like(values, planes.dtype)[:, None, None]
    out[..., top:top + height, left:left + width] = planes
    return out


def crop_planes(planes: np.ndarray, top: int, left: int, height: int, width: int) -> np.ndarray:
    """The window of ``height`` x ``width`` at (``top``, ``left``); parts outside the image are
    zeros (as torchvision's crop, tensor and PIL alike)."""
    in_height, in_width = planes.shape[-2:]
    bottom, right = top + height, left + width
    if top >= 0 and left >= 0 and bottom <= in_height and right <= in_width:
        return planes[..., top:bottom, left:right]
    inside = planes[..., max(top, 0):max(bottom, 0), max(left, 0):max(right, 0)]
    pads = (
        max(-left + min(0, right), 0),
        max(-top + min(0, bottom), 0),
        max(right - max(in_width, left), 0),
        max(bottom - max(in_height, top), 0),
    )
    return pad_planes(inside, *pads)


# --------------------------------------------------------------------------- resize


def _cubic(x: np.ndarray, a: float) -> np.ndarray:
    """Keys' cubic convolution kernel with parameter ``a`` (support [-2, 2])."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x <= 1, near, np.where(x < 2, far, 0.0))


def _antialiased_weights(in_size: int, out_size: int, mode: str) -> np.ndarray:
    """(out, in) weights: each output pixel averages the inputs under a filter centred on it,
    widened by the scale when shrinking, cut at the image and renormalised (PyTorch's
    ``antialias=True`` and Pillow's resampling)."""
    scale = in_size / out_size
    support = (1.0 if mode == "bilinear" else 2.0) * max(scale, 1.0)
    stretch = 1.0 / max(scale, 1.0)
    weights = np.zeros((out_size, in_size))
    for i in range(out_size):
        centre = scale * (i + 0.5)
        first = max(int(centre - support + 0.5), 0)
        last = min(int(centre + support + 0.5), in_size)
        taps = (np.arange(first, last) - centre + 0.5) * stretch
        w = np.maximum(1.0 - np.abs(taps), 0.0) if mode == "bilinear" else _cubic(taps, -0.5)
        total = w.sum()
        weights[i, first:last] = w / total if total != 0 else w
    return weights


def _plain_weights(in_size: int, out_size: int, mode: str) -> np.ndarray:
    """(out, in) weights without antialiasing: 2 (bilinear) or 4 (bicubic, a = -0.75,
    edge pixels repeated) taps around ``(i + 0.5) * scale - 0.5`` (PyTorch's interpolate)."""
    scale = in_size / out_size
    source = (np.arange(out_size) + 0.5) * scale - 0.5
    weights = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    if mode == "bilinear":
        source = np.maximum(source, 0.0)
        low = np.minimum(np.floor(source).astype(np.int64), in_size - 1)
        high = np.minimum(low + 1, in_size - 1)
        frac = source - low
        np.add.at(weights, (rows, low), 1.0 - frac)
        np.add.at(weights, (rows, high), frac)
        return weights
    base = np.floor(source).astype(np.int64)
    frac = source - base
    for k in range(-1, 3):
        np.add.at(weights, (rows, np.clip(base + k, 0, in_size - 1)), _cubic(frac - k, -0.75))
    return weights


def _nearest_index(in_size: int, out_size: int, exact: bool) -> np.ndarray:
    """Source index of each output pixel: ``floor(i * scale)`` (PyTorch's legacy 'nearest',
    scale in float32 as its kernel) or ``floor((i + 0.5) * scale)`` ('nearest-exact')."""
    scale = np.float32(in_size) / np.float32(out_size)
    index = np.arange(out_size, dtype=np.float32) + np.float32(0.5 if exact else 0.0)
    return np.minimum(np.floor(index * scale).astype(np.int64), in_size - 1)


def resize_planes(planes: np.ndarray, out_height: int, out_width: int, mode: str,
                  antialias: bool) -> np.ndarray:
    """Resize the last two axes. ``mode``: nearest, nearest-exact, bilinear or bicubic;
    ``antialias`` matters only for bilinear and bicubic (as in torchvision)."""
    in_height, in_width = planes.shape[-2:]
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        rows = _nearest_index(in_height, out_height, exact)
        cols = _nearest_index(in_width, out_width, exact)
        return planes[..., rows[:, None], cols[None, :]]
    if mode not in ("bilinear", "bicubic"):
        raise ValueError(f"resizing a Tensor or NumPy image supports the interpolations "
                         f"nearest, nearest-exact, bilinear and bicubic, not {mode!r} "
                         "(PIL Images support them all)")
    dtype = work_dtype(planes.dtype)
    weights = _antialiased_weights if antialias else _plain_weights
    along_rows = weights(in_height, out_height, mode).astype(dtype)
    along_cols = weights(in_width, out_width, mode).astype(dtype)
    values = planes.astype(dtype, copy=False)
    out = along_rows @ (values @ along_cols.T)  # width first, then height, as PyTorch
    if mode == "bicubic" and planes.dtype == np.uint8:
        out = np.clip(out, 0, 255)
    return cast_like(out, planes.dtype)


# --------------------------------------------------------------------------- affine


def inverse_affine_matrix(center: Sequence[float], angle: float, translate: Sequence[float],
                          scale: float, shear: Sequence[float]) -> list[float]:
    """The 2x3 matrix (row-major, 6 numbers) taking an *output* pixel back to the input.

    The forward map is: move ``center`` to the origin, scale, shear (``shear`` degrees along x
    then y), rotate by ``angle`` degrees, move back and translate. Rotation and shear form a
    matrix of determinant 1, so its inverse is its adjugate; the scale divides it.
    """
    rot, shear_x, shear_y = (math.radians(v) for v in (angle, shear[0], shear[1]))
    cx, cy = center
    tx, ty = translate
    # the forward rotation-shear block [[a, b], [c, d]]
    a = math.cos(rot - shear_y) / math.cos(shear_y)
    b = -math.cos(rot - shear_y) * math.tan(shear_x) / math.cos(shear_y) - math.sin(rot)
    c = math.sin(rot - shear_y) / math.cos(shear_y)
    d = -math.sin(rot - shear_y) * math.tan(shear_x) / math.cos(shear_y) + math.cos(rot)
    m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    # x_in = M (x_out - center - translate) + center
    m[2] = m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] = m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def affine_output_size(matrix: Sequence[float], width: int, height: int) -> tuple[int, int]:
    """(width, height) that holds the whole image after the map ``matrix`` (``expand=True``):
    the corners' bounding box, with 1e-4 of slack so a rounding error does not add a pixel."""
    corners = np.array([[-0.5 * width, -0.5 * height, 1.0], [-0.5 * width, 0.5 * height, 1.0],
                        [0.5 * width, 0.5 * height, 1.0], [0.5 * width, -0.5 * height, 1.0]],
                       dtype=np.float32)
    moved = corners @ np.array(matrix, dtype=np.float32).reshape(2, 3).T
    offset = np.array([0.5 * width, 0.5 * height], dtype=np.float32)
    low, high = moved.min(axis=0) + offset, moved.max(axis=0) + offset
    tol = np.float32(1e-4)
    size = np.ceil(np.trunc(high / tol) * tol) - np.floor(np.trunc(low / tol) * tol)
    return int(size[0]), int(size[1])


def _source_coordinates(matrix: Sequence[float], in_w: int, in_h: int, out_w: int, out_h: int,
                        dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Input pixel coordinates (x, y), each (out_h, out_w), of every output pixel.

    The matrix works on coordinates centred on the image. The arithmetic follows
    torchvision's order (normalise by the input's half size to [-1, 1], then back to pixels
    as ``grid_sample`` does) so float32 rounding matches.
    """
    theta = np.array(matrix, dtype=dtype).reshape(2, 3)
    xs = np.arange(out_w, dtype=dtype) - dtype.type(out_w * 0.5 - 0.5)
    ys = np.arange(out_h, dtype=dtype) - dtype.type(out_h * 0.5 - 0.5)
    base = np.empty((out_h, out_w, 3), dtype=dtype)
    base[..., 0] = xs[None, :]
    base[..., 1] = ys[:, None]
    base[..., 2] = 1
    scaled_theta = theta.T / np.array([0.5 * in_w, 0.5 * in_h], dtype=dtype)
    grid = base.reshape(-1, 3) @ scaled_theta
    one, two = dtype.type(1), dtype.type(2)
    x = ((grid[:, 0] + one) * dtype.type(in_w) - one) / two
    y = ((grid[:, 1] + one) * dtype.type(in_h) - one) / two
    return x.reshape(out_h, out_w), y.reshape(out_h, out_w)


def _gather(flat: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``flat`` (N, H, W) at integer (x, y), zero outside; and the inside mask."""
    height, width = flat.shape[-2:]
    inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    values = flat[:, np.clip(y, 0, height - 1), np.clip(x, 0, width - 1)]
    return np.where(inside, values, 0), inside


def grid_transform(planes: np.ndarray, matrix: Sequence[float], out_w: int, out_h: int,
                   mode: str, fill: Sequence[float] | None) -> np.ndarray:
    """Sample ``planes`` at ``matrix`` applied to each output pixel (nearest or bilinear).

    Outside the input is 0; with ``fill`` (one value per channel or one for all) it is
    blended in as torchvision does: nearest puts ``fill`` where no input pixel was hit,
    bilinear computes ``out * m + (1 - m) * fill`` with ``m`` the sampled weight of the
    input's footprint (1 inside, falling to 0 across the border pixel).
    """
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"rotating or warping a Tensor or NumPy image supports the "
                         f"interpolations nearest and bilinear, not {mode!r}")
    dtype = work_dtype(planes.dtype)
    in_h, in_w = planes.shape[-2:]
    lead: tuple[int, ...] = tuple(planes.shape[:-2])
    count = math.prod(lead)
    flat = planes.reshape((count, in_h, in_w)).astype(dtype, copy=False)
    x, y = _source_coordinates(matrix, in_w, in_h, out_w, out_h, dtype)
    if mode == "nearest":
        out, inside = _gather(flat, np.rint(x).astype(np.int64), np.rint(y).astype(np.int64))
        mask = inside.astype(dtype)
    else:
        x0, y0 = np.floor(x), np.floor(y)
        out = np.zeros((count, out_h, out_w), dtype=dtype)
        mask = np.zeros((out_h, out_w), dtype=dtype)
        for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
            weight = ((x0 + (1 - dx) - x) if dx == 0 else (x - x0)) * \
                     ((y0 + (1 - dy) - y) if dy == 0 else (y - y0))
            values, inside = _gather(flat, x0.astype(np.int64) + dx, y0.astype(np.int64) + dy)
            out += values * weight
            mask += np.where(inside, weight, 0)
    if fill is not None:
        channels = lead[-1] if lead else 1
        fills = np.broadcast_to(np.asarray(fill, dtype=dtype), (channels,))
        fill_planes = np.tile(fills, count // channels)[:, None, None]
        if mode == "nearest":
            out = np.where(mask < 0.5, fill_planes, out)
        else:
            out = out * mask + (dtype.type(1) - mask) * fill_planes
    return cast_like(out.reshape(lead + (out_h, out_w)), planes.dtype)
