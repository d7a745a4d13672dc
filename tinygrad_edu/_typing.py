"""Type aliases shared by Tensor and its mixins. ``PyInt``/``PyFloat``/``PyBool`` name Python's
own types, because Tensor's methods ``int()``, ``float()`` and ``bool()`` shadow them there."""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np

PyFloat: TypeAlias = float
PyInt: TypeAlias = int
PyBool: TypeAlias = bool
DTypeLike = Any
Dim: TypeAlias = int | tuple[int, ...] | list[int] | None
Scalar: TypeAlias = int | float | bool | np.number
