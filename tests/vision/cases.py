"""The cases that ``fixtures/make_fixtures.py`` ran through real torchvision and that the tests
run through ours: plain data, importable without torch or tinygrad_edu.

A geometry case is (name, functional name, positional args, keyword args); interpolation is
given by its value ('bilinear' ...). Each runs on every (input, form) in ``GEOMETRY_INPUTS``.
"""

from __future__ import annotations

from typing import Any

#: (input name, form): forms are 'pil', 'tensor_u8' (C, H, W uint8), 'tensor_f32' (/ 255)
GEOMETRY_INPUTS = [("digit", "pil"), ("digit", "tensor_u8"), ("rgb", "pil"),
                   ("rgb", "tensor_u8"), ("rgb", "tensor_f32")]

GEOMETRY: list[tuple[str, str, list[Any], dict[str, Any]]] = [
    ("crop_in", "crop", [3, 5, 10, 12], {}),
    ("crop_out", "crop", [-2, 9, 10, 12], {}),
    ("center_crop_even", "center_crop", [[10, 10]], {}),
    ("center_crop_odd", "center_crop", [[9, 11]], {}),
    ("center_crop_big", "center_crop", [[31, 30]], {}),
    ("pad_int", "pad", [2], {}),
    ("pad_fill", "pad", [[1, 2]], {"fill": 7}),
    ("pad_fill_fraction", "pad", [1], {"fill": 7.6}),
    ("pad_edge", "pad", [[1, 2, 3, 4]], {"padding_mode": "edge"}),
    ("pad_reflect", "pad", [[3, 1]], {"padding_mode": "reflect"}),
    ("pad_symmetric", "pad", [[2, 3, 1, 0]], {"padding_mode": "symmetric"}),
    ("pad_negative_edge", "pad", [[-1, 2, 3, -2]], {"padding_mode": "edge"}),
    ("hflip", "hflip", [], {}),
    ("vflip", "vflip", [], {}),
    ("resize_up", "resize", [[31, 20]], {}),
    ("resize_down", "resize", [7], {}),
    ("resize_hw", "resize", [[20, 9]], {}),
    ("resize_up_nearest", "resize", [[31, 20]], {"interpolation": "nearest"}),
    ("resize_int_edge", "resize", [9], {}),
    ("resize_down_nearest", "resize", [[13, 10]], {"interpolation": "nearest"}),
    ("resize_down_nearest_exact", "resize", [[13, 10]], {"interpolation": "nearest-exact"}),
    ("resize_down_bicubic", "resize", [7], {"interpolation": "bicubic"}),
    ("resize_up_bicubic", "resize", [[30, 18]], {"interpolation": "bicubic"}),
    ("resize_down_noaa", "resize", [7], {"antialias": False}),
    ("resize_down_bicubic_noaa", "resize", [7], {"interpolation": "bicubic", "antialias": False}),
    ("resize_up_bicubic_noaa", "resize", [[30, 18]], {"interpolation": "bicubic",
                                                      "antialias": False}),
    ("resize_max_size", "resize", [10], {"max_size": 12}),
    ("rotate_30", "rotate", [30.0], {}),
    ("rotate_m45_bilinear", "rotate", [-45.0], {"interpolation": "bilinear"}),
    ("rotate_90", "rotate", [90.0], {}),
    ("rotate_expand", "rotate", [17.5], {"expand": True}),
    ("rotate_expand_bilinear", "rotate", [-63.0], {"expand": True, "interpolation": "bilinear"}),
    ("rotate_center_fill", "rotate", [25.0], {"center": [5, 7], "fill": [60.7]}),
    ("rotate_bilinear_fill", "rotate", [12.0], {"interpolation": "bilinear", "fill": [0.0]}),
    ("affine_all", "affine", [15.0, [2, -3], 1.1, [5.0, -4.0]], {}),
    ("affine_bilinear", "affine", [-30.0, [1, 1], 0.8, [10.0, 0.0]],
     {"interpolation": "bilinear"}),
    ("affine_center", "affine", [40.0, [0, 0], 1.0, [0.0, 0.0]], {"center": [4, 9]}),
    ("affine_fill_bilinear", "affine", [-10.0, [3, 0], 0.9, [0.0, 8.0]],
     {"interpolation": "bilinear", "fill": [0.0]}),
    ("resized_crop", "resized_crop", [2, 3, 9, 11, [10, 12]], {}),
    ("grayscale1", "rgb_to_grayscale", [], {"num_output_channels": 1}),
    ("grayscale3", "rgb_to_grayscale", [], {"num_output_channels": 3}),
]

#: cases whose result interpolates (compared within a tolerance, see the tests)
INTERPOLATING = ("resize", "rotate", "affine", "resized_crop", "rgb_to_grayscale")

#: random transform classes run with get_params patched to return ``params``:
#: (name, class name, constructor keyword args, params)
RANDOM_CLASSES: list[tuple[str, str, dict[str, Any], Any]] = [
    ("random_crop_pad", "RandomCrop", {"size": 24, "padding": 4}, (3, 6, 24, 24)),
    ("random_crop_pad_if_needed", "RandomCrop",
     {"size": (30, 33), "pad_if_needed": True, "fill": 9, "padding_mode": "constant"},
     (1, 2, 30, 33)),
    ("random_crop_reflect", "RandomCrop", {"size": 10, "padding": (2, 3),
                                           "padding_mode": "reflect"}, (0, 5, 10, 10)),
    ("random_rotation", "RandomRotation", {"degrees": 20}, 13.5),
    ("random_rotation_bilinear", "RandomRotation",
     {"degrees": 20, "interpolation": "bilinear", "fill": 30}, -17.25),
    ("random_affine", "RandomAffine", {"degrees": 10, "translate": (0.1, 0.1),
                                       "scale": (0.9, 1.1), "shear": 5},
     (7.5, (2, -1), 1.05, (3.0, 0.0))),
    ("random_affine_bilinear", "RandomAffine",
     {"degrees": 10, "interpolation": "bilinear"}, (-8.0, (0, 0), 1.0, (0.0, 0.0))),
    ("random_resized_crop", "RandomResizedCrop", {"size": 12}, (2, 1, 9, 10)),
]

#: make_grid cases on the float batches: (name, batch name, keyword args)
GRID: list[tuple[str, str, dict[str, Any]]] = [
    ("grid_default", "digits", {}),
    ("grid_nrow2", "digits", {"nrow": 2}),
    ("grid_pad0", "digits", {"padding": 0}),
    ("grid_pad_value", "rgbs", {"padding": 3, "pad_value": 0.5}),
    ("grid_normalize", "digits_shifted", {"normalize": True}),
    ("grid_value_range", "digits_shifted", {"normalize": True, "value_range": (0.2, 0.8)}),
    ("grid_scale_each", "rgbs_shifted", {"normalize": True, "scale_each": True, "nrow": 2}),
    ("grid_single_chw", "single_chw", {}),
    ("grid_single_hw", "single_hw", {}),
]

#: transform constructors whose repr must equal torchvision's; ``T`` is the transforms module
REPRS = [
    "T.ToTensor()",
    "T.PILToTensor()",
    "T.ToPILImage()",
    "T.ToPILImage(mode='L')",
    "T.Normalize((0.1307,), (0.3081,))",
    "T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])",
    "T.Lambda(lambda x: x)",
    "T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])",
    "T.Compose([])",
    "T.Resize(32)",
    "T.Resize((20, 30), interpolation=T.InterpolationMode.NEAREST, antialias=False)",
    "T.Resize([24], max_size=40)",
    "T.CenterCrop(10)",
    "T.CenterCrop((10, 12))",
    "T.Pad(2)",
    "T.Pad((1, 2), fill=1, padding_mode='edge')",
    "T.Grayscale()",
    "T.Grayscale(3)",
    "T.RandomCrop(24, padding=4)",
    "T.RandomCrop((24, 20))",
    "T.RandomHorizontalFlip()",
    "T.RandomVerticalFlip(0.3)",
    "T.RandomRotation(10)",
    "T.RandomRotation((-5, 20), expand=True, center=(3, 4), fill=(1, 2, 3))",
    "T.RandomRotation(15, interpolation=T.InterpolationMode.BILINEAR)",
    "T.RandomAffine(0)",
    "T.RandomAffine(15, translate=(0.1, 0.2), scale=(0.9, 1.1), shear=5)",
    "T.RandomAffine((-3, 3), shear=(1, 2, 3, 4), interpolation=T.InterpolationMode.BILINEAR,"
    " fill=1, center=(2, 2))",
    "T.RandomResizedCrop(24)",
    "T.RandomResizedCrop((20, 24), scale=(0.5, 1.0), ratio=(0.9, 1.1))",
    "T.RandomApply([T.RandomHorizontalFlip(), T.CenterCrop(3)], p=0.25)",
]


class Identity:
    """A target transform with a repr that does not change between runs."""

    def __call__(self, value: Any) -> Any:
        return value

    def __repr__(self) -> str:
        return "Identity()"
