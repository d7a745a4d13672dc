"""Small synthetic datasets made on the spot: XOR, spirals, moons. No download, no files.

Each returns ``(X, y)`` NumPy arrays, X float32. With ``seed`` the draw is reproducible
(its own Generator); with ``seed=None`` it comes from ``tinygrad_edu.get_rng()``.
"""

from __future__ import annotations

import numpy as np

from ..random import get_rng

__all__ = ["make_moons", "make_spiral", "make_xor"]


def _rng(seed: int | None) -> np.random.Generator:
    return np.random.default_rng(seed) if seed is not None else get_rng()


def _check_int(fn: str, **sizes: object) -> None:
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{fn}: {name} must be an int, got {value!r} "
                            f"({type(value).__name__})")


def make_xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points as in seed 002: X (4, 2) float32, y (4, 1) float32 (for MSE)."""
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    return x, y


def make_spiral(
    n: int = 100, classes: int = 3, noise: float = 0.2, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """cs231n's interleaved spirals: ``n`` points per class, ``classes`` arms in the plane.

    Class ``k`` has radius r = linspace(0, 1, n) and angle t = linspace(4k, 4(k+1), n) plus
    Gaussian noise of std ``noise``; the point is (r sin t, r cos t). Returns X (n*classes, 2)
    float32 and y (n*classes,) int64, class by class.
    """
    _check_int("make_spiral", n=n, classes=classes)
    if n < 1 or classes < 1:
        raise ValueError(
            f"make_spiral: n and classes must be positive, got n={n}, classes={classes}"
        )
    rng = _rng(seed)
    r = np.tile(np.linspace(0.0, 1.0, n), classes)
    k = np.repeat(np.arange(classes), n)
    t = np.linspace(4.0 * k[::n, None], 4.0 * (k[::n, None] + 1), n, axis=1).ravel()
    t = t + rng.standard_normal(n * classes) * noise
    x = np.stack([r * np.sin(t), r * np.cos(t)], axis=1).astype(np.float32)
    return x, k.astype(np.int64)


def make_moons(
    n: int = 100, noise: float = 0.1, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (as scikit-learn's), ``n`` points in total, shuffled.

    The upper moon (class 0) has ceil(n/2) points on the unit half circle; the lower (class 1)
    the rest, shifted by (1, -0.5) and flipped. Gaussian noise of std ``noise`` is added.
    Returns X (n, 2) float32 and y (n,) int64.
    """
    _check_int("make_moons", n=n)
    if n < 1:
        raise ValueError(f"make_moons: n must be positive, got {n}")
    rng = _rng(seed)
    n_upper = n - n // 2
    n_lower = n // 2
    a = np.linspace(0.0, np.pi, n_upper)
    b = np.linspace(0.0, np.pi, n_lower)
    x = np.concatenate(
        [
            np.stack([np.cos(a), np.sin(a)], axis=1),
            np.stack([1.0 - np.cos(b), 0.5 - np.sin(b)], axis=1),
        ]
    )
    y = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_lower, np.int64)])
    x = x + rng.standard_normal(x.shape) * noise
    order = rng.permutation(n)
    return x[order].astype(np.float32), y[order]
