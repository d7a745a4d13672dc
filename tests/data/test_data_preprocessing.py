"""Synthetic sets, one_hot, train_test_split, normalisation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.data import (
    Standardizer,
    make_moons,
    make_spiral,
    make_xor,
    normalize,
    one_hot,
    standardize,
    train_test_split,
)

# ----------------------------------------------------------------------------- synthetic


def test_make_xor_is_seed_002() -> None:
    x, y = make_xor()
    assert x.dtype == np.float32 and y.dtype == np.float32
    assert x.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.shape == (4, 1) and y.ravel().tolist() == [0, 1, 1, 0]
    assert (y.ravel() == (x[:, 0] != x[:, 1])).all()


@given(n=st.integers(1, 30), classes=st.integers(1, 5), seed=st.integers(0, 1000))
def test_make_spiral_shapes_and_determinism(n: int, classes: int, seed: int) -> None:
    x, y = make_spiral(n, classes, noise=0.2, seed=seed)
    assert x.shape == (n * classes, 2) and x.dtype == np.float32
    assert y.shape == (n * classes,) and y.dtype == np.int64
    assert np.bincount(y, minlength=classes).tolist() == [n] * classes
    x2, y2 = make_spiral(n, classes, noise=0.2, seed=seed)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    # radius is linspace(0, 1, n) within each class, whatever the angle noise
    radius = np.hypot(x[:, 0], x[:, 1]).reshape(classes, n)
    np.testing.assert_allclose(radius, np.tile(np.linspace(0, 1, n), (classes, 1)), atol=1e-6)


def test_make_spiral_noise_and_seed_matter() -> None:
    a, _ = make_spiral(50, 3, noise=0.2, seed=0)
    assert not np.array_equal(a, make_spiral(50, 3, noise=0.2, seed=1)[0])
    clean, _ = make_spiral(50, 3, noise=0.0, seed=0)
    t = np.linspace(4.0, 8.0, 50)  # class 1's angles
    np.testing.assert_allclose(clean[50:100, 0], np.linspace(0, 1, 50) * np.sin(t), atol=1e-6)
    tg.manual_seed(5)
    b = make_spiral(10, 2)[0]
    tg.manual_seed(5)
    np.testing.assert_array_equal(b, make_spiral(10, 2)[0])


@given(n=st.integers(1, 60), seed=st.integers(0, 1000))
def test_make_moons_shapes_and_determinism(n: int, seed: int) -> None:
    x, y = make_moons(n, noise=0.1, seed=seed)
    assert x.shape == (n, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y, minlength=2).tolist() == [n - n // 2, n // 2]
    np.testing.assert_array_equal(x, make_moons(n, noise=0.1, seed=seed)[0])


def test_make_moons_geometry_without_noise() -> None:
    x, y = make_moons(40, noise=0.0, seed=0)
    upper, lower = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-6)
    assert not np.array_equal(y, np.sort(y))  # shuffled
    with pytest.raises(ValueError):
        make_moons(0)
    with pytest.raises(ValueError):
        make_spiral(0, 3)


# ----------------------------------------------------------------------------- one_hot


def test_one_hot() -> None:
    out = one_hot(np.array([2, 0, 1]), 4)
    assert out.dtype == np.float32
    assert out.tolist() == [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]]
    assert one_hot([1, 3]).shape == (2, 4)  # num_classes from the data
    t = one_hot(tg.tensor([[0, 1]]), 2, dtype=np.int64)
    assert isinstance(t, tg.Tensor) and t.shape == (1, 2, 2) and t.dtype == np.int64
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        one_hot(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        one_hot(np.array([-1, 2]), 3)
    with pytest.raises(ValueError, match="must be integers"):
        one_hot(np.array([0.0, 1.0]), 2)


# ----------------------------------------------------------------------------- train_test_split


@given(
    n=st.integers(2, 80),
    frac=st.floats(0.01, 0.99),
    use_int=st.booleans(),
    seed=st.integers(0, 100),
    shuffle=st.booleans(),
)
def test_train_test_split_sizes_and_disjoint(
    n: int, frac: float, use_int: bool, seed: int, shuffle: bool
) -> None:
    n_test = max(1, min(n - 1, int(frac * n))) if use_int else int(np.ceil(frac * n))
    if not use_int and not 0 < n_test < n:
        return  # the fraction leaves one side empty (checked in the error test below)
    x = np.arange(n)
    y = np.arange(n) * 10
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=n_test if use_int else frac, seed=seed, shuffle=shuffle
    )
    assert len(x_te) == n_test and len(x_tr) == n - n_test
    assert not set(x_tr) & set(x_te) and sorted([*x_tr, *x_te]) == list(range(n))
    np.testing.assert_array_equal(y_tr, x_tr * 10)  # rows stay paired across arrays
    np.testing.assert_array_equal(y_te, x_te * 10)
    again = train_test_split(x, test_size=n_test, seed=seed, shuffle=shuffle)
    np.testing.assert_array_equal(again[1], x_te)
    if not shuffle:
        assert x_te.tolist() == list(range(n - n_test, n))


def test_seed_000_recipe_70k_pool() -> None:
    """Pool 70k, split off 10k test, then 10k validation (sizes scaled down 1000x here)."""
    pool_x, pool_y = np.arange(70), np.arange(70) % 10
    rest_x, test_x, rest_y, test_y = train_test_split(pool_x, pool_y, test_size=10, seed=0)
    train_x, val_x, train_y, val_y = train_test_split(rest_x, rest_y, test_size=10, seed=1)
    assert (len(train_x), len(val_x), len(test_x)) == (50, 10, 10)
    assert len(set(train_x) | set(val_x) | set(test_x)) == 70
    np.testing.assert_array_equal(val_y, val_x % 10)
    shuffled, _ = train_test_split(pool_x, test_size=10, seed=0)
    assert shuffled.tolist() != sorted(shuffled.tolist())


def test_train_test_split_tensors_and_errors() -> None:
    a_tr, a_te = train_test_split(tg.arange(10), test_size=0.3, seed=0)
    assert isinstance(a_tr, tg.Tensor) and a_te.shape == (3,)
    with pytest.raises(ValueError, match="different lengths"):
        train_test_split(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="both parts must be non-empty"):
        train_test_split(np.zeros(3), test_size=3)
    with pytest.raises(ValueError, match="both parts must be non-empty"):
        train_test_split(np.zeros(3), test_size=0)
    with pytest.raises(ValueError, match=r"in \(0, 1\)"):
        train_test_split(np.zeros(3), test_size=1.5)


# ----------------------------------------------------------------------------- normalisation


def test_normalize_keeps_float32_and_converts_uint8() -> None:
    x = np.array([[0, 128, 255]], dtype=np.uint8)
    out = normalize(x, 0.5 * 255, 0.25 * 255)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[-2.0, 0.0078431, 2.0]], atol=1e-5)
    assert normalize(np.ones(3, np.float64), 1, 2).dtype == np.float64


def test_standardize_fits_on_train_only() -> None:
    rng = np.random.default_rng(0)
    train = (rng.standard_normal((200, 3)) * [1, 5, 0] + [2, -1, 7]).astype(np.float32)
    test = (rng.standard_normal((50, 3)) * 3).astype(np.float32)
    train_s, test_s = standardize(train, test)
    assert train_s.dtype == np.float32 and test_s.dtype == np.float32
    np.testing.assert_allclose(train_s.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(train_s.std(0)[:2], 1, atol=1e-4)
    np.testing.assert_array_equal(train_s[:, 2], 0)  # constant column: centred, not divided by 0
    scaler = Standardizer().fit(train)
    assert scaler.mean is not None and scaler.std is not None
    np.testing.assert_allclose(test_s, (test - scaler.mean) / scaler.std, rtol=1e-6)
    assert not np.allclose(test_s.mean(0), 0, atol=0.05)  # test stats were not used
    with pytest.raises(RuntimeError, match="fit"):
        Standardizer().transform(train)
