"""The array and parameter types every reference model uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating[Any]]
Params = dict[str, FloatArray]
# Inputs are read through Mapping (covariant), so a dict of float64 arrays type-checks too.
ParamsIn = Mapping[str, FloatArray]
