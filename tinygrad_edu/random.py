"""The one NumPy Generator that rand/randn/init/dropout/DataLoader shuffling draw from.

``manual_seed(s)`` replaces it, so a seeded run is reproducible (as ``torch.manual_seed``).
Everything that draws calls ``get_rng()`` at the moment it draws, never keeps the Generator.
"""

from __future__ import annotations

import numpy as np

_rng = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the one module-level NumPy Generator that rand/randn/init/dropout draw from."""
    global _rng
    _rng = np.random.default_rng(seed)
    return _rng


def get_rng() -> np.random.Generator:
    """The current module-level Generator (``manual_seed`` replaces it)."""
    return _rng
