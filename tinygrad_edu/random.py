"""The one NumPy Generator that rand/randn/init/dropout/DataLoader shuffling draw from, and
``Generator``, PyTorch's name for a separately seeded stream (``random_split(generator=...)``).

``manual_seed(s)`` replaces the module-level one, so a seeded run is reproducible (as
``torch.manual_seed``). Everything that draws calls ``get_rng()`` at the moment it draws, never
keeps the Generator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .autograd import graph

_rng = np.random.default_rng()


def draw(sample: Callable[..., np.ndarray], *args: Any) -> np.ndarray:
    """``sample(*args)``: a random array that ``sample`` draws from ``rng_of(generator)`` at
    the moment it is called. Every random op goes through here, so that tg.compile can call it
    again in each replay (fresh numbers, in the eager order) instead of keeping its values."""
    array = sample(*args)
    if graph._tracer is not None:
        graph._tracer.random(sample, args, array)
    return array


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the one module-level NumPy Generator that rand/randn/init/dropout draw from."""
    global _rng
    _rng = np.random.default_rng(_check_seed(seed))
    return _rng


def get_rng() -> np.random.Generator:
    """The current module-level Generator (``manual_seed`` replaces it)."""
    return _rng


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed expected an int seed, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"manual_seed expected a non-negative seed, got {seed}")
    return int(seed)


class Generator:
    """``torch.Generator``: its own stream of random numbers, apart from the module-level one.

    ``g = tg.Generator().manual_seed(42)``; ``g.numpy`` is the NumPy Generator that functions
    given ``generator=g`` draw from.
    """

    def __init__(self, device: Any = "cpu") -> None:
        self._initial_seed = int(np.random.SeedSequence().entropy % 2**63)  # type: ignore[operator]
        self.numpy = np.random.default_rng(self._initial_seed)

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed``; returns the generator, as PyTorch."""
        self._initial_seed = _check_seed(seed)
        self.numpy = np.random.default_rng(self._initial_seed)
        return self

    def seed(self) -> int:
        """Reseed from fresh entropy; returns the new seed."""
        self.__init__()  # type: ignore[misc]
        return self._initial_seed

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self) -> dict[str, Any]:
        """The NumPy bit generator's state (a dict; PyTorch gives a byte tensor)."""
        return dict(self.numpy.bit_generator.state)

    def set_state(self, state: dict[str, Any]) -> Generator:
        self.numpy.bit_generator.state = state
        return self


def rng_of(generator: Generator | None) -> np.random.Generator:
    """The NumPy Generator to draw from: ``generator``'s own, or the module-level one."""
    if generator is None:
        return _rng
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a tinygrad_edu Generator, got "
                        f"{type(generator).__name__}")
    return generator.numpy
