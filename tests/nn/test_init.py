"""``nn.init``: fans, gains, and the distribution each initializer draws, checked statistically
against its formula (bounds, mean, variance within 5 standard errors)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import init

# (out, in) for matrices and (out, in, kh, kw) for conv-like weights; never square, so that
# mixing up fan_in and fan_out changes the expected variance
SHAPES = [(300, 400), (40, 16, 5, 5)]


def _torch() -> Any:
    torch = pytest.importorskip("torch", reason="PyTorch is the optional oracle")
    torch.set_num_threads(1)  # tiny tensors: extra threads only contend on a 2-core machine
    return torch


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    receptive = int(np.prod(shape[2:]))
    return shape[1] * receptive, shape[0] * receptive


def _check_uniform(w: np.ndarray, bound: float) -> None:
    """U(-bound, bound): inside the bounds, reaching close to them, mean 0, E[w^2] = b^2/3."""
    w = w.astype(np.float64)
    n = w.size
    assert np.abs(w).max() <= bound * (1 + 1e-6)
    assert np.abs(w).max() > bound * (1 - 20 / n)  # the largest of n draws is near the bound
    assert abs(w.mean()) < 5 * bound / math.sqrt(3 * n)
    # the mean of n squares has relative standard error sqrt(0.8 / n) for a uniform
    assert abs(np.mean(w**2) / (bound**2 / 3) - 1) < 5 * math.sqrt(0.8 / n)


def _check_normal(w: np.ndarray, mean: float, std: float) -> None:
    """N(mean, std^2): sample mean and variance within 5 standard errors, normal-ish tails."""
    w = w.astype(np.float64)
    n = w.size
    assert abs(w.mean() - mean) < 5 * std / math.sqrt(n)
    # the variance estimate has relative standard error sqrt(2 / n) for a normal
    assert abs(w.var() / std**2 - 1) < 5 * math.sqrt(2 / n)
    assert np.abs(w - mean).max() > 2.5 * std  # not a uniform of the same variance


# ---------------------------------------------------------------------- fans and gains


@pytest.mark.parametrize("shape", [(3, 5), (300, 400), (40, 16, 5, 5), (2, 3, 4), (7, 1, 1, 1, 2)])
def test_fans(shape: tuple[int, ...]) -> None:
    t = tg.zeros(*shape)
    assert init._calculate_fan_in_and_fan_out(t) == _fans(shape)
    assert init._calculate_correct_fan(t, "fan_in") == _fans(shape)[0]
    assert init._calculate_correct_fan(t, "FAN_OUT") == _fans(shape)[1]


def test_fans_match_torch() -> None:
    torch = _torch()
    for shape in [(3, 5), (40, 16, 5, 5), (2, 3, 4)]:
        expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))
        assert init._calculate_fan_in_and_fan_out(tg.zeros(*shape)) == expected


def test_fan_errors() -> None:
    for shape in [(5,), ()]:
        with pytest.raises(ValueError, match="fewer than 2 dimensions"):
            init._calculate_fan_in_and_fan_out(tg.zeros(*shape))
    with pytest.raises(ValueError, match="fan_avg not supported"):
        init.kaiming_uniform_(tg.zeros(2, 3), mode="fan_avg")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fewer than 2"):
        init.xavier_uniform_(tg.zeros(4))


GAINS = [("linear", None, 1.0), ("conv2d", None, 1.0), ("conv_transpose3d", None, 1.0),
         ("sigmoid", None, 1.0), ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)),
         ("selu", None, 0.75), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
         ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("leaky_relu", 1, 1.0),
         ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3))]


@pytest.mark.parametrize(("nonlinearity", "param", "gain"), GAINS)
def test_gain_table(nonlinearity: str, param: float | None, gain: float) -> None:
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-12)


def test_gain_table_matches_torch() -> None:
    torch = _torch()
    for nonlinearity, param, _ in GAINS:
        assert init.calculate_gain(nonlinearity, param) == pytest.approx(
            torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-12)
    for bad_nonlinearity, bad_param in [("leaky_relu", True), ("leaky_relu", "0.1"),
                                        ("softplus", None)]:
        with pytest.raises(ValueError):
            torch.nn.init.calculate_gain(bad_nonlinearity, bad_param)
        with pytest.raises(ValueError):
            init.calculate_gain(bad_nonlinearity, bad_param)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- distributions


@pytest.mark.parametrize("shape", SHAPES)
def test_xavier_uniform(shape: tuple[int, ...]) -> None:
    """Seed 004's Glorot uniform: limit = gain * sqrt(6 / (fan_in + fan_out))."""
    tg.manual_seed(0)
    fan_in, fan_out = _fans(shape)
    for gain in (1.0, 5 / 3):
        w = init.xavier_uniform_(tg.zeros(*shape), gain=gain)
        _check_uniform(w.data.numpy(), gain * math.sqrt(6 / (fan_in + fan_out)))


@pytest.mark.parametrize("shape", SHAPES)
def test_xavier_normal(shape: tuple[int, ...]) -> None:
    tg.manual_seed(1)
    fan_in, fan_out = _fans(shape)
    for gain in (1.0, 2.0):
        w = init.xavier_normal_(tg.zeros(*shape), gain=gain)
        _check_normal(w.data.numpy(), 0.0, gain * math.sqrt(2 / (fan_in + fan_out)))


KAIMING_CASES = [(0.0, "fan_in", "leaky_relu"), (0.0, "fan_out", "relu"),
                 (math.sqrt(5), "fan_in", "leaky_relu"), (0.2, "fan_out", "leaky_relu"),
                 (0.0, "fan_in", "tanh")]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("a", "mode", "nonlinearity"), KAIMING_CASES)
def test_kaiming_uniform(shape: tuple[int, ...], a: float, mode: str, nonlinearity: str) -> None:
    """bound = gain * sqrt(3 / fan)."""
    tg.manual_seed(2)
    fan = _fans(shape)[0 if mode == "fan_in" else 1]
    gain = init.calculate_gain(nonlinearity, a)
    w = init.kaiming_uniform_(tg.zeros(*shape), a=a, mode=mode,  # type: ignore[arg-type]
                              nonlinearity=nonlinearity)
    _check_uniform(w.data.numpy(), gain * math.sqrt(3 / fan))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("a", "mode", "nonlinearity"), KAIMING_CASES)
def test_kaiming_normal(shape: tuple[int, ...], a: float, mode: str, nonlinearity: str) -> None:
    """std = gain / sqrt(fan)."""
    tg.manual_seed(3)
    fan = _fans(shape)[0 if mode == "fan_in" else 1]
    gain = init.calculate_gain(nonlinearity, a)
    w = init.kaiming_normal_(tg.zeros(*shape), a=a, mode=mode,  # type: ignore[arg-type]
                             nonlinearity=nonlinearity)
    _check_normal(w.data.numpy(), 0.0, gain / math.sqrt(fan))


def test_kaiming_defaults_are_he_relu_and_linear_uses_a_sqrt5() -> None:
    tg.manual_seed(4)
    w = init.kaiming_uniform_(tg.zeros(300, 400))  # a=0, leaky_relu: gain sqrt(2)
    _check_uniform(w.data.numpy(), math.sqrt(2) * math.sqrt(3 / 400))
    w = init.kaiming_uniform_(tg.zeros(300, 400), a=math.sqrt(5))
    _check_uniform(w.data.numpy(), 1 / math.sqrt(400))  # what Linear's default init is


def test_uniform_and_normal() -> None:
    tg.manual_seed(5)
    w = init.uniform_(tg.zeros(300, 400), -0.08, 0.08)  # seed 000's initialisation
    _check_uniform(w.data.numpy(), 0.08)
    w = init.uniform_(tg.zeros(100, 1000))
    assert 0 <= w.data.numpy().min() and w.data.numpy().max() <= 1
    _check_uniform(w.data.numpy() - 0.5, 0.5)
    _check_normal(init.normal_(tg.zeros(300, 400), 1.5, 0.3).data.numpy(), 1.5, 0.3)
    _check_normal(init.normal_(tg.zeros(300, 400)).data.numpy(), 0.0, 1.0)


def test_constants() -> None:
    t = tg.randn(3, 4)
    assert init.zeros_(t) is t and not t.data.numpy().any()
    np.testing.assert_array_equal(init.ones_(t).data.numpy(), 1.0)
    np.testing.assert_array_equal(init.constant_(t, -2.5).data.numpy(), -2.5)


# ---------------------------------------------------------------------- in place, dtype, rng

INITIALIZERS: list[Callable[[tg.Tensor], tg.Tensor]] = [
    init.uniform_, init.normal_, init.zeros_, init.ones_, lambda t: init.constant_(t, 0.3),
    init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_, init.kaiming_normal_,
    init.trunc_normal_, init.orthogonal_, lambda t: init.sparse_(t, 0.0),
]


@pytest.mark.parametrize("fn", INITIALIZERS)
@given(dtype=st.sampled_from([np.float32, np.float64]), rows=st.integers(1, 5),
       cols=st.integers(1, 5))
def test_in_place_on_parameters_keeping_dtype(fn: Callable[[tg.Tensor], tg.Tensor], dtype: Any,
                                             rows: int, cols: int) -> None:
    p = nn.Parameter(np.full((rows, cols), 7.0, dtype=dtype))
    array = p.data.numpy()
    assert fn(p) is p  # returns the tensor itself, filled in place (no in-place grad error)
    assert p.data.numpy() is array and p.dtype == dtype
    assert p.is_leaf and p.requires_grad and p.grad_fn is None  # no graph was recorded
    assert not (p.data.numpy() == 7.0).any()


@pytest.mark.parametrize("fn", [init.uniform_, init.normal_, init.xavier_uniform_,
                                init.xavier_normal_, init.kaiming_uniform_,
                                init.kaiming_normal_, init.trunc_normal_, init.orthogonal_])
def test_draws_come_from_the_seeded_generator(fn: Callable[..., tg.Tensor]) -> None:
    tg.manual_seed(11)
    a = fn(tg.zeros(4, 5)).data.numpy().copy()
    b = fn(tg.zeros(4, 5)).data.numpy().copy()
    tg.manual_seed(11)
    np.testing.assert_array_equal(fn(tg.zeros(4, 5)).data.numpy(), a)
    assert not np.array_equal(a, b)
    c = fn(tg.zeros(4, 5), generator=np.random.default_rng(0)).data.numpy()
    np.testing.assert_array_equal(fn(tg.zeros(4, 5),
                                     generator=np.random.default_rng(0)).data.numpy(), c)


def test_zero_element_tensors_are_left_alone_with_a_warning() -> None:
    """As PyTorch 2.13: Kaiming warns and does nothing; Xavier, whose fans stay finite for
    (0, 3), draws nothing without a warning."""
    for fn in (init.kaiming_uniform_, init.kaiming_normal_):
        with pytest.warns(UserWarning, match="zero-element"):
            assert fn(tg.zeros(0, 3)).shape == (0, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn in (init.xavier_uniform_, init.xavier_normal_, init.orthogonal_,
                   init.trunc_normal_):
            assert fn(tg.zeros(0, 3)).shape == (0, 3)


# ---------------------------------------------------------------------- conv-shaped weights

# (out, in, *kernel) of conv1d/2d/3d and of transposed convs (in, out / groups, *kernel); the
# receptive field multiplies both fans
CONV_SHAPES = [(32, 8, 7), (24, 6, 3, 5), (12, 4, 3, 3, 3), (6, 40, 4, 4)]


@pytest.mark.parametrize("shape", CONV_SHAPES)
def test_conv_fans_match_torch(shape: tuple[int, ...]) -> None:
    torch = _torch()
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))
    assert init._calculate_fan_in_and_fan_out(tg.zeros(*shape)) == expected == _fans(shape)


@pytest.mark.parametrize("shape", CONV_SHAPES)
@pytest.mark.parametrize(("nonlinearity", "a"), [("conv1d", 0), ("conv2d", 0), ("conv3d", 0),
                                                 ("conv_transpose2d", 0), ("relu", 0),
                                                 ("leaky_relu", 0.1), ("selu", 0)])
def test_conv_shaped_draws_follow_pytorchs_formulas(shape: tuple[int, ...], nonlinearity: str,
                                                     a: float) -> None:
    tg.manual_seed(8)
    fan_in, fan_out = _fans(shape)
    gain = init.calculate_gain(nonlinearity, a)
    for mode, fan in (("fan_in", fan_in), ("fan_out", fan_out)):
        w = init.kaiming_uniform_(tg.zeros(*shape), a=a, mode=mode,  # type: ignore[arg-type]
                                  nonlinearity=nonlinearity)
        _check_uniform(w.data.numpy(), gain * math.sqrt(3 / fan))
        w = init.kaiming_normal_(tg.zeros(*shape), a=a, mode=mode,  # type: ignore[arg-type]
                                 nonlinearity=nonlinearity)
        _check_normal(w.data.numpy(), 0.0, gain / math.sqrt(fan))
    w = init.xavier_uniform_(tg.zeros(*shape), gain=gain)
    _check_uniform(w.data.numpy(), gain * math.sqrt(6 / (fan_in + fan_out)))
    w = init.xavier_normal_(tg.zeros(*shape), gain=gain)
    _check_normal(w.data.numpy(), 0.0, gain * math.sqrt(2 / (fan_in + fan_out)))


def test_every_nonlinearity_gain_matches_torch() -> None:
    torch = _torch()
    names = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
             "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]
    for name in names:
        for param in (None, 0, 0.3, 2, -0.5):
            assert init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)


# ---------------------------------------------------------------------- the other initializers


def _truncated_moments(mean: float, std: float, a: float, b: float) -> tuple[float, float]:
    """Mean and variance of N(mean, std^2) restricted to [a, b] (closed form)."""
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = [math.exp(-z * z / 2) / math.sqrt(2 * math.pi) for z in (alpha, beta)]
    mass = (math.erf(beta / math.sqrt(2)) - math.erf(alpha / math.sqrt(2))) / 2
    m = mean + std * (pdf[0] - pdf[1]) / mass
    var = std**2 * (1 + (alpha * pdf[0] - beta * pdf[1]) / mass
                    - ((pdf[0] - pdf[1]) / mass) ** 2)
    return m, var


@pytest.mark.parametrize(("mean", "std", "a", "b"), [
    (0.0, 1.0, -2.0, 2.0),      # the default: the normal-rejection sampler
    (0.0, 0.02, -0.04, 0.04),   # the ViT-style init
    (0.0, 1.0, 1.0, 3.0),       # a tail: under 30 % of the mass, the uniform sampler
    (1.0, 0.5, -1.0, -0.2)])    # far in the tail (PyTorch warns)
def test_trunc_normal_draws_the_truncated_normal(mean: float, std: float, a: float,
                                                 b: float) -> None:
    tg.manual_seed(9)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        w = init.trunc_normal_(tg.zeros(200, 300, dtype=tg.float64), mean, std, a, b)
    assert bool(caught) == (mean < a - 2 * std or mean > b + 2 * std)
    values = w.data.numpy()
    assert values.min() >= a and values.max() <= b
    m, var = _truncated_moments(mean, std, a, b)
    n = values.size
    assert abs(values.mean() - m) < 5 * math.sqrt(var / n)
    assert abs(values.var() / var - 1) < 5 * math.sqrt(2 / n) * 1.5  # the tails are lighter
    seeded = init.trunc_normal_(tg.zeros(3, 4), generator=np.random.default_rng(0))
    assert seeded.dtype == np.float32


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (6, 2, 3, 3), (2, 3, 4)])
def test_orthogonal(shape: tuple[int, ...]) -> None:
    tg.manual_seed(10)
    w = init.orthogonal_(tg.zeros(*shape, dtype=tg.float64), gain=2.0).data.numpy()
    flat = w.reshape(shape[0], -1) / 2.0
    rows, cols = flat.shape
    gram = flat @ flat.T if rows <= cols else flat.T @ flat
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-12)
    a = init.orthogonal_(tg.zeros(*shape), generator=np.random.default_rng(3)).data.numpy()
    b = init.orthogonal_(tg.zeros(*shape), generator=np.random.default_rng(3)).data.numpy()
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="2 or more"):
        init.orthogonal_(tg.zeros(3))


def test_eye_and_dirac_match_torch() -> None:
    torch = _torch()
    for shape in [(3, 5), (4, 2), (3, 3)]:
        np.testing.assert_array_equal(init.eye_(tg.ones(*shape)).data.numpy(),
                                      torch.nn.init.eye_(torch.ones(*shape)).numpy())
    for shape, groups in [((4, 3, 3), 1), ((6, 2, 3, 4), 2), ((4, 4, 3, 3, 3), 4),
                          ((2, 5, 5, 5), 1), ((6, 1, 2), 3)]:
        np.testing.assert_array_equal(
            init.dirac_(tg.ones(*shape), groups).data.numpy(),
            torch.nn.init.dirac_(torch.ones(*shape), groups).numpy())
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(tg.zeros(2, 2, 2))
    with pytest.raises(ValueError, match="3, 4, or 5"):
        init.dirac_(tg.zeros(2, 2))
    with pytest.raises(ValueError, match="divisible by groups"):
        init.dirac_(tg.zeros(3, 2, 3), groups=2)
    # a dirac-initialised conv weight is the identity map: conv(x) == x (in-channels kept)
    w = init.dirac_(tg.zeros(3, 3, 3, 3)).data.numpy()
    x = np.random.default_rng(0).standard_normal((1, 3, 5, 5)).astype(np.float32)
    out = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1)
    np.testing.assert_allclose(out.numpy(), x, rtol=1e-6)


def test_sparse() -> None:
    tg.manual_seed(11)
    w = init.sparse_(tg.zeros(50, 400), sparsity=0.3, std=0.5).data.numpy()
    zeros_per_column = (w == 0).sum(axis=0)
    np.testing.assert_array_equal(zeros_per_column, math.ceil(0.3 * 50))
    _check_normal(w[w != 0], 0.0, 0.5)
    with pytest.raises(ValueError, match="2 dimensions"):
        init.sparse_(tg.zeros(2, 2, 2), 0.1)


def test_deprecated_spellings_warn_and_work() -> None:
    tg.manual_seed(12)
    with pytest.warns(FutureWarning, match="nn.init.xavier_uniform_"):
        w = init.xavier_uniform(tg.zeros(30, 40))  # type: ignore[attr-defined]
    _check_uniform(w.data.numpy(), math.sqrt(6 / 70))
    with pytest.warns(FutureWarning, match="nn.init.constant_"):
        assert (init.constant(tg.zeros(2), 3.0).data.numpy() == 3).all()  # type: ignore[attr-defined]
