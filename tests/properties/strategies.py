"""Shared Hypothesis strategies for the property suites.

Everything here draws float64 NumPy arrays with small shapes (every side <= 5) and moderate
values, so finite differences are accurate and a suite of many properties stays fast.

* ``shapes`` / ``broadcast_pairs``: array shapes; pairs (or more) that broadcast together, drawn
  with ``hypothesis.extra.numpy.mutually_broadcastable_shapes``.
* ``floats``: moderate finite float64 values; ``positive_floats`` and ``nonzero_floats`` keep
  away from 0 (for log, sqrt, abs, relu ...).
* ``grid_floats(offset)``: values ``k + offset + jitter`` (k an integer, |jitter| <= 0.1). Two
  arrays drawn with offsets 0 and 0.5 never come closer than 0.3 anywhere -- the easy way to
  stay away from ties (maximum/minimum) and from bounds (clamp at half-integers).
* ``separated_arrays``: arrays whose elements are pairwise at least ``spacing`` apart
  (reductions such as max/min away from ties, sorting-like ops).
* ``tie_floats``: a handful of values, so ties are common (tie-handling semantics).
* ``arrays``: float64 arrays of a given shape (or drawn shape) from any element strategy.

The strategy factories are memoized (their arguments must be hashable: tuples, not lists):
building and validating a fresh strategy object for every example costs more than drawing
from it, and a test that draws its shape first asks for ``arrays(shape, ...)`` every time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

MAX_SIDE = 5
DEFAULT_BOUND = 3.0

Shape = tuple[int, ...]


# ---------------------------------------------------------------------- elements


@cache
def floats(low: float = -DEFAULT_BOUND, high: float = DEFAULT_BOUND) -> st.SearchStrategy[float]:
    """Finite float64 values in [low, high] (no NaN, no inf, no subnormal surprises)."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False,
                     width=64)


@cache
def positive_floats(low: float = 0.2, high: float = DEFAULT_BOUND) -> st.SearchStrategy[float]:
    """Values in [low, high] with low > 0 (domains of log, sqrt, pow with a real exponent)."""
    if low <= 0:
        raise ValueError("positive_floats needs low > 0")
    return floats(low, high)


@cache
def nonzero_floats(margin: float = 0.1, bound: float = DEFAULT_BOUND) -> st.SearchStrategy[float]:
    """Values with margin <= |x| <= bound (away from the kink of abs, relu, leaky_relu)."""
    return floats(margin, bound) | floats(-bound, -margin)


@cache
def grid_floats(offset: float = 0.0, k_max: int = 3, jitter: float = 0.1
                ) -> st.SearchStrategy[float]:
    """``k + offset + j`` with integer |k| <= k_max and |j| <= jitter.

    With offsets 0 and 0.5 (and the default jitter) two draws differ by at least 0.3.
    """
    return st.builds(lambda k, j: float(k) + offset + j,
                     st.integers(-k_max, k_max), floats(-jitter, jitter))


@cache
def tie_floats(values: Sequence[float] = (-1.0, 0.0, 0.5, 1.0)) -> st.SearchStrategy[float]:
    """A few exact values, so equal elements (ties) turn up often."""
    return st.sampled_from(tuple(float(v) for v in values))


# ---------------------------------------------------------------------- shapes


@cache
def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
           max_side: int = MAX_SIDE) -> st.SearchStrategy[Shape]:
    """Array shapes with every side in [min_side, max_side] (<= 5)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=min(max_side, MAX_SIDE))


@cache
def broadcast_pairs(num_shapes: int = 2, min_dims: int = 0, max_dims: int = 3,
                    min_side: int = 1, max_side: int = 4
                    ) -> st.SearchStrategy[tuple[Shape, ...]]:
    """``num_shapes`` input shapes that broadcast together (drawn with
    ``mutually_broadcastable_shapes``; sizes of 1 and missing leading dims both occur)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, min_side=min_side,
        max_side=min(max_side, MAX_SIDE),
    ).map(lambda bs: tuple(bs.input_shapes))


# ---------------------------------------------------------------------- arrays


@cache
def arrays(shape: Shape | st.SearchStrategy[Shape] | None = None,
           elements: st.SearchStrategy[float] | None = None) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays of ``shape`` (a shape, a shape strategy, or None for ``shapes()``)."""
    return hnp.arrays(np.float64, shapes() if shape is None else shape,
                      elements=floats() if elements is None else elements)


@st.composite
def separated_arrays(draw: st.DrawFn, shape: Shape | st.SearchStrategy[Shape] | None = None,
                     spacing: float = 0.5, jitter: float = 0.1) -> np.ndarray:
    """float64 arrays whose elements are pairwise at least ``spacing - 2 * jitter`` apart:
    a random permutation of an evenly spaced grid, centred on 0, plus a small jitter."""
    if shape is None:
        shape = shapes()
    if isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    n = int(np.prod(shape, dtype=np.int64))
    order = draw(st.permutations(range(n)))
    noise = draw(hnp.arrays(np.float64, (n,), elements=floats(-jitter, jitter)))
    values = (np.asarray(order, dtype=np.float64) - (n - 1) / 2) * spacing + noise
    return values.reshape(shape)


@cache
def probabilities(shape: Shape | st.SearchStrategy[Shape], low: float = 0.05,
                  high: float = 0.95) -> st.SearchStrategy[np.ndarray]:
    """Elementwise probabilities strictly inside (0, 1) (binary cross-entropy inputs)."""
    return arrays(shape, floats(low, high))


@st.composite
def distributions(draw: st.DrawFn, shape: Shape | st.SearchStrategy[Shape],
                  axis: int = -1) -> np.ndarray:
    """Non-negative arrays whose slices along ``axis`` sum to 1 (probability targets)."""
    raw = draw(arrays(shape, floats(0.0, 1.0)))
    raw = raw + 1e-3  # no all-zero slice
    return raw / raw.sum(axis=axis, keepdims=True)


# ---------------------------------------------------------------------- dims and indices


def dims(ndim: int) -> st.SearchStrategy[int]:
    """One dim of an ``ndim``-dimensional array, negative forms included (needs ndim >= 1)."""
    return st.integers(-ndim, ndim - 1)


def dim_args(ndim: int) -> st.SearchStrategy[int | tuple[int, ...] | None]:
    """A reduction's ``dim`` argument: None, one dim, or a tuple of distinct dims (maybe
    written with negative numbers)."""
    if ndim == 0:
        return st.none()
    return st.one_of(
        st.none(),
        dims(ndim),
        st.sets(st.integers(0, ndim - 1), min_size=1, max_size=ndim).flatmap(
            lambda axes: st.tuples(*[st.sampled_from((a, a - ndim)) for a in sorted(axes)])
        ),
    )


@st.composite
def class_indices(draw: st.DrawFn, n: int, classes: int) -> np.ndarray:
    """int64 class indices of shape (n,), each in [0, classes)."""
    return draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, classes - 1)))


@st.composite
def repeated_indices(draw: st.DrawFn, size: int, min_len: int = 2,
                     max_len: int = 6) -> np.ndarray:
    """A 1-D int64 index into an axis of length ``size`` that holds at least one repeat
    (negative forms allowed), so gradients of picked elements must accumulate."""
    base = draw(st.lists(st.integers(-size, size - 1), min_size=min_len - 1,
                         max_size=max_len - 1))
    repeat = draw(st.sampled_from(base))
    where = draw(st.integers(0, len(base)))
    return np.asarray(base[:where] + [repeat] + base[where:], dtype=np.int64)


# matmul operand shapes from drawn sizes (batch b, rows m, inner k, columns n): 1-D, 2-D,
# batched and broadcast-batch patterns, shared by the gradcheck and PyTorch parity suites
ShapePair = tuple[tuple[int, ...], tuple[int, ...]]
MATMUL_SHAPES: dict[str, Callable[[int, int, int, int], ShapePair]] = {
    "1D@1D": lambda b, m, k, n: ((k,), (k,)),
    "1D@2D": lambda b, m, k, n: ((k,), (k, n)),
    "2D@1D": lambda b, m, k, n: ((m, k), (k,)),
    "2D@2D": lambda b, m, k, n: ((m, k), (k, n)),
    "3D@3D": lambda b, m, k, n: ((b, m, k), (b, k, n)),
    "3D@2D": lambda b, m, k, n: ((b, m, k), (k, n)),
    "2D@3D": lambda b, m, k, n: ((m, k), (b, k, n)),
    "1D@3D": lambda b, m, k, n: ((k,), (b, k, n)),
    "3D@1D": lambda b, m, k, n: ((b, m, k), (k,)),
    "(2,1,m,k)@(b,k,n)": lambda b, m, k, n: ((2, 1, m, k), (b, k, n)),
    "(b,1,m,k)@(1,2,k,n)": lambda b, m, k, n: ((b, 1, m, k), (1, 2, k, n)),
}
