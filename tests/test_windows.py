"""ops/windows.py: the window view against a direct loop, and add_windows as its transpose."""

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu.ops.windows import add_windows, window_counts, windows


@st.composite
def window_problems(draw):
    nd = draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    spatial = tuple(draw(st.integers(0, 7)) for _ in range(nd))
    lead = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
    layout = draw(st.sampled_from(["C", "F", "strided"]))
    return lead + spatial, kernel, stride, dilation, layout


def _array(shape, layout, rng):
    if layout == "strided":
        big = rng.normal(size=tuple(2 * n for n in shape))
        return big[tuple(slice(None, None, 2) for _ in shape)]
    return np.asarray(rng.normal(size=shape), order=layout)


@given(window_problems(), st.integers(0, 2**32 - 1))
def test_windows_read_what_a_loop_reads_and_add_windows_is_the_transpose(problem, seed):
    shape, kernel, stride, dilation, layout = problem
    rng = np.random.default_rng(seed)
    x = _array(shape, layout, rng)
    nd = len(kernel)
    view = windows(x, kernel, stride, dilation)
    out = window_counts(shape[-nd:], kernel, stride, dilation)
    assert view.shape == shape[:-nd] + out + kernel
    expected = np.zeros_like(view)
    for o in itertools.product(*map(range, out)):
        for k in itertools.product(*map(range, kernel)):
            src = tuple(oi * s + ki * d
                        for oi, ki, s, d in zip(o, k, stride, dilation, strict=True))
            expected[(Ellipsis,) + o + k] = x[(Ellipsis,) + src]
    np.testing.assert_array_equal(view, expected)
    # transpose: <windows(x), c> == <x, add_windows(c)> for any c
    c = rng.normal(size=view.shape)
    back = add_windows(c, shape, kernel, stride, dilation)
    assert back.shape == shape
    np.testing.assert_allclose(np.sum(view * c), np.sum(x * back), rtol=1e-10, atol=1e-10)


def test_the_view_is_read_only_and_shares_memory():
    x = np.arange(16.0).reshape(1, 4, 4)
    v = windows(x, (2, 2), (2, 2), (1, 1))
    assert np.shares_memory(v, x) and not v.flags.writeable
    assert v.shape == (1, 2, 2, 2, 2) and v[0, 1, 1].tolist() == [[10, 11], [14, 15]]
