"""Our transforms, make_grid and save_image against real torchvision's recorded outputs
(``fixtures/make_fixtures.py``, torchvision 0.29.1 / torch 2.14.1 / Pillow 13).

Exact equality for everything that does not interpolate, and for every PIL Image result
(both sides call Pillow). Tensor interpolation (resize, rotate/affine bilinear, grayscale)
computes in float32 with another summation order than PyTorch's kernels: float results agree
within 2e-6 (absolute, and relative for values far from [0, 1]); uint8 results within 1 (a
rounding tie going the other way) on at most 2% of pixels. Nearest-neighbour rotations and
affines match exactly.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinygrad_edu.vision.transforms.functional as TF
from tinygrad_edu import Tensor
from tinygrad_edu.vision import transforms as T
from tinygrad_edu.vision import utils

from .cases import GEOMETRY, GEOMETRY_INPUTS, GRID, INTERPOLATING, RANDOM_CLASSES, REPRS
from .conftest import Recorded, as_array, as_form

pytest.importorskip("PIL")

FLOAT_ATOL = 2e-6
UINT8_MAX_FRACTION = 0.02


def _interpolation(kwargs: dict[str, Any]) -> dict[str, Any]:
    out = dict(kwargs)
    if "interpolation" in out:
        out["interpolation"] = T.InterpolationMode(out["interpolation"])
    return out


def assert_matches(ours: Any, key: str, recorded: Recorded, exact: bool) -> None:
    result, expected = as_array(ours), recorded[key]
    assert result.shape == expected.shape, key
    assert result.dtype == expected.dtype, key
    mode = recorded.mode(key)
    if mode is not None:
        assert ours.mode == mode, key
    if exact:
        np.testing.assert_array_equal(result, expected, err_msg=key)
    elif result.dtype.kind == "f":
        np.testing.assert_allclose(result, expected, rtol=FLOAT_ATOL, atol=FLOAT_ATOL,
                                   err_msg=key)
    else:
        diff = np.abs(result.astype(np.int64) - expected.astype(np.int64))
        assert diff.max() <= 1, key
        assert (diff > 0).mean() <= UINT8_MAX_FRACTION, key


def _exact(op: str, kwargs: dict[str, Any], form: str) -> bool:
    """Whether a case must match exactly: PIL results, ops without interpolation, nearest."""
    if form == "pil" or op not in INTERPOLATING:
        return True
    default = "nearest" if op in ("rotate", "affine") else "bilinear"
    return kwargs.get("interpolation", default) in ("nearest", "nearest-exact")


def _inputs(recorded: Recorded) -> dict[str, np.ndarray]:
    return {"digit": recorded["in/digit"], "rgb": recorded["in/rgb"]}


@pytest.mark.parametrize("input_name,form", GEOMETRY_INPUTS)
@pytest.mark.parametrize("name,op,args,kwargs", GEOMETRY, ids=[c[0] for c in GEOMETRY])
def test_functional_matches_torchvision(recorded: Recorded, name: str, op: str, args: list[Any],
                                        kwargs: dict[str, Any], input_name: str,
                                        form: str) -> None:
    image = as_form(_inputs(recorded)[input_name], form)
    if form == "pil" and kwargs.get("antialias") is False:  # torchvision warns likewise
        with pytest.warns(UserWarning, match="Anti-alias option is always applied"):
            ours = getattr(TF, op)(image, *args, **_interpolation(kwargs))
    else:
        ours = getattr(TF, op)(image, *args, **_interpolation(kwargs))
    assert_matches(ours, f"{name}/{input_name}/{form}", recorded, _exact(op, kwargs, form))


@pytest.mark.parametrize("input_name,form", GEOMETRY_INPUTS)
@pytest.mark.parametrize("name,cls_name,kwargs,params", RANDOM_CLASSES,
                         ids=[c[0] for c in RANDOM_CLASSES])
def test_random_class_with_fixed_params_matches_torchvision(
        recorded: Recorded, monkeypatch: pytest.MonkeyPatch, name: str, cls_name: str,
        kwargs: dict[str, Any], params: Any, input_name: str, form: str) -> None:
    cls = getattr(T, cls_name)
    monkeypatch.setattr(cls, "get_params", staticmethod(lambda *a, **k: params))
    ours = cls(**_interpolation(kwargs))(as_form(_inputs(recorded)[input_name], form))
    bilinear = kwargs.get("interpolation") == "bilinear" or cls_name == "RandomResizedCrop"
    assert_matches(ours, f"{name}/{input_name}/{form}", recorded,
                   exact=form == "pil" or not bilinear)


def test_array_inputs_follow_the_tensor_path(recorded: Recorded) -> None:
    """NumPy (H, W, C) images (which torchvision's geometric ops refuse) give the tensor
    path's values, in the array layout."""
    for name, op, args, kwargs in GEOMETRY:
        for input_name in ("digit", "rgb"):
            image = _inputs(recorded)[input_name]
            ours = getattr(TF, op)(as_form(image, "array"), *args, **_interpolation(kwargs))
            via_tensor = as_array(getattr(TF, op)(as_form(image, "tensor_u8"), *args,
                                                  **_interpolation(kwargs)))
            expected = via_tensor[0] if image.ndim == 2 and via_tensor.shape[0] == 1 else \
                np.moveaxis(via_tensor, 0, -1)
            assert isinstance(ours, np.ndarray)
            np.testing.assert_array_equal(ours, expected, err_msg=f"{name}/{input_name}")


def test_conversions_match_torchvision(recorded: Recorded) -> None:
    from PIL import Image

    digit, rgb, floats = recorded["in/digit"], recorded["in/rgb"], recorded["in/floats"]
    rgb_float = Tensor(rgb.transpose(2, 0, 1).astype(np.float32) / np.float32(255))
    digit_float = Tensor(digit[None].astype(np.float32) / np.float32(255))
    u8 = Tensor(np.ascontiguousarray(rgb.transpose(2, 0, 1)))
    results = {
        "to_tensor/digit_pil": TF.to_tensor(Image.fromarray(digit)),
        "to_tensor/rgb_pil": TF.to_tensor(Image.fromarray(rgb)),
        "to_tensor/digit_array": TF.to_tensor(digit),
        "to_tensor/rgb_array": TF.to_tensor(rgb),
        "to_tensor/float_array": TF.to_tensor(floats),
        "to_tensor/bilevel_pil": TF.to_tensor(Image.fromarray(digit > 128)),
        "pil_to_tensor/digit": TF.pil_to_tensor(Image.fromarray(digit)),
        "pil_to_tensor/rgb": TF.pil_to_tensor(Image.fromarray(rgb)),
        "to_pil_image/rgb_float": TF.to_pil_image(rgb_float),
        "to_pil_image/digit_float": TF.to_pil_image(digit_float),
        "to_pil_image/digit_u8_2d": TF.to_pil_image(Tensor(digit)),
        "to_pil_image/float_array": TF.to_pil_image(floats.astype(np.float32)),
        "normalize/rgb": TF.normalize(rgb_float, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        "normalize/digit": TF.normalize(digit_float, (0.1307,), (0.3081,)),
        "normalize/batch": TF.normalize(Tensor(np.stack([rgb_float.numpy(),
                                                         1 - rgb_float.numpy()])), [0.5], [0.25]),
        "convert/u8_f32": TF.convert_image_dtype(u8, np.float32),
        "convert/f32_u8": TF.convert_image_dtype(rgb_float, np.uint8),
        "convert/u8_i16": TF.convert_image_dtype(u8, np.int16),
        "convert/i32_u8": TF.convert_image_dtype(Tensor(u8.numpy().astype(np.int32) * 8388608),
                                                 np.uint8),
        "convert/f64_i16": TF.convert_image_dtype(Tensor(rgb_float.numpy().astype(np.float64)),
                                                  np.int16),
    }
    for key, ours in results.items():
        assert_matches(ours, key, recorded, exact=True)


def test_transform_reprs_match_torchvision(recorded: Recorded) -> None:
    for expression in REPRS:
        assert repr(eval(expression, {"T": T})) == recorded.facts["reprs"][expression], expression


def _grid_batches(recorded: Recorded) -> dict[str, Tensor]:
    return {key.removeprefix("grid_in/"): Tensor(value) for key, value in recorded.arrays.items()
            if key.startswith("grid_in/")}


@pytest.mark.parametrize("name,batch_name,kwargs", GRID, ids=[c[0] for c in GRID])
def test_make_grid_matches_torchvision(recorded: Recorded, name: str, batch_name: str,
                                       kwargs: dict[str, Any]) -> None:
    grid = utils.make_grid(_grid_batches(recorded)[batch_name], **kwargs)
    assert_matches(grid, name, recorded, exact=True)


def test_make_grid_of_a_list_matches_torchvision(recorded: Recorded) -> None:
    rgbs = _grid_batches(recorded)["rgbs"]
    assert_matches(utils.make_grid(list(rgbs), nrow=2), "grid_list", recorded, exact=True)


@pytest.mark.parametrize("name,batch_name,kwargs", [("save/digits", "digits", {"nrow": 3}),
                                                    ("save/shifted", "digits_shifted", {}),
                                                    ("save/single", "single_chw", {})])
def test_save_image_png_matches_torchvision(recorded: Recorded, name: str, batch_name: str,
                                            kwargs: dict[str, Any]) -> None:
    from PIL import Image

    batch = _grid_batches(recorded)[batch_name]
    buffer = io.BytesIO()
    utils.save_image(batch, buffer, format="png", **kwargs)
    buffer.seek(0)
    image = Image.open(buffer)
    assert image.format == "PNG"
    assert_matches(image, name, recorded, exact=True)
    # and it is torchvision's rounding of the grid: floor(x * 255 + 0.5) clamped
    grid = utils.make_grid(batch, **kwargs).numpy()
    expected = np.clip(grid * np.float32(255) + np.float32(0.5), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(np.asarray(image), expected.transpose(1, 2, 0))


def test_save_image_to_a_path_by_its_suffix(recorded: Recorded, tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "grid.png"
    utils.save_image(_grid_batches(recorded)["digits"], path, nrow=3)
    with Image.open(path) as image:
        assert image.format == "PNG"
        np.testing.assert_array_equal(np.asarray(image), recorded["save/digits"])
