"""nn.Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, Unfold and Fold against PyTorch's
modules: printed form, attributes, default initialisation, state dicts (ours into torch's
module and back, same outputs and gradients), padding modes, ``output_size``, and the
constructor's argument errors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn

torch = pytest.importorskip("torch", reason="PyTorch is the oracle of these tests")

CONFIGS = [
    ("Conv2d", (1, 32, 3), {"padding": 1}),
    ("Conv2d", (32, 64, 3), {"padding": 1, "bias": False}),
    ("Conv2d", (3, 6, (3, 2)), {"stride": 2, "padding": (1, 0), "groups": 3}),
    ("Conv2d", (4, 4, 3), {"padding": "same", "dilation": 2, "groups": 4}),
    ("Conv2d", (2, 3, 2), {"padding": "same"}),
    ("Conv2d", (2, 3, 3), {"padding": "valid", "stride": (1, 2)}),
    ("Conv2d", (2, 4, 3), {"padding": 2, "padding_mode": "reflect"}),
    ("Conv2d", (2, 4, 3), {"padding": (1, 2), "padding_mode": "replicate"}),
    ("Conv2d", (2, 4, (2, 3)), {"padding": 1, "padding_mode": "circular", "stride": 2}),
    ("Conv2d", (2, 4, 3), {"padding": "same", "padding_mode": "reflect"}),
    ("Conv1d", (3, 6, 3), {}),
    ("Conv1d", (4, 2, 2), {"stride": 3, "padding": 1, "dilation": 2, "groups": 2}),
    ("Conv1d", (2, 2, 3), {"padding": 1, "padding_mode": "circular"}),
    ("ConvTranspose2d", (3, 6, 3), {"stride": 2, "output_padding": 1, "dilation": 2}),
    ("ConvTranspose2d", (4, 2, (2, 3)), {"stride": (2, 1), "padding": 1, "groups": 2,
                                         "bias": False}),
    ("ConvTranspose1d", (2, 3, 3), {"stride": 3, "padding": 1, "output_padding": 2}),
]
IDS = [f"{name}{args}{kw}" for name, args, kw in CONFIGS]


def _input(name: str, channels: int, seed: int, unbatched: bool = False) -> np.ndarray:
    spatial = (7,) if name.endswith("1d") else (7, 6)
    lead = () if unbatched else (2,)
    return np.random.default_rng(seed).normal(size=lead + (channels,) + spatial).astype(
        np.float32)


@pytest.mark.parametrize("name, args, kw", CONFIGS, ids=IDS)
def test_repr_attributes_and_state_dict_keys_are_pytorchs(name: str, args: tuple,
                                                          kw: dict) -> None:
    ours, theirs = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(ours) == str(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for attr in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
                 "transposed", "output_padding", "groups", "padding_mode",
                 "_reversed_padding_repeated_twice"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert ours.weight.shape == tuple(theirs.weight.shape)
    assert ours.weight.dtype == np.float32 and ours.weight.detach().numpy().flags.c_contiguous


@pytest.mark.parametrize("name, args, kw", CONFIGS, ids=IDS)
@pytest.mark.parametrize("unbatched", [False, True])
def test_state_dict_round_trip_gives_pytorchs_outputs_and_gradients(
        name: str, args: tuple, kw: dict, unbatched: bool) -> None:
    tg.manual_seed(7)
    ours, theirs = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    # ours -> torch
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.detach().numpy()))
                            for k, v in ours.state_dict().items()})
    x = _input(name, args[0], 1, unbatched)
    xo, xt = tg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    assert yo.shape == tuple(yt.shape) and yo.dtype == np.float32
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    v = np.random.default_rng(2).normal(size=yo.shape).astype(np.float32)
    yo.backward(v)
    yt.backward(torch.from_numpy(v))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-5)
    for (key, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters(),
                                strict=True):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-4,
                                   err_msg=key)
    # torch -> ours: a freshly initialised torch module's weights
    fresh = getattr(torch.nn, name)(*args, **kw)
    ours.load_state_dict({k: tg.Tensor(v.detach().numpy()) for k, v in
                          fresh.state_dict().items()})
    np.testing.assert_allclose(ours(tg.Tensor(x)).detach().numpy(),
                               fresh(torch.from_numpy(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-5)


@given(cin=st.integers(1, 8), cout=st.integers(1, 8), k=st.integers(1, 4),
       groups=st.sampled_from([1, 2]), transposed=st.booleans(), seed=st.integers(0, 2**16))
@settings(max_examples=20)
def test_default_init_is_kaiming_uniform_within_pytorchs_bounds(
        cin: int, cout: int, k: int, groups: int, transposed: bool, seed: int) -> None:
    """weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = weight.shape[1] * k^2:
    inside the bounds, spread over them, mean about 0, reproducible from manual_seed."""
    cin, cout = cin * groups, cout * groups
    cls = nn.ConvTranspose2d if transposed else nn.Conv2d
    tg.manual_seed(seed)
    layer = cls(cin, cout, k, groups=groups)
    fan_in = layer.weight.shape[1] * k * k
    bound = 1 / math.sqrt(fan_in)
    for p in (layer.weight, layer.bias):
        values = p.detach().numpy()
        assert values.dtype == np.float32 and np.all(np.abs(values) <= bound * (1 + 1e-6))
    tg.manual_seed(seed)
    again = cls(cin, cout, k, groups=groups)
    np.testing.assert_array_equal(again.weight.detach().numpy(), layer.weight.detach().numpy())


def test_init_statistics_on_a_big_layer() -> None:
    """On 36,864 draws: the extremes near +-bound and the variance bound^2 / 3 (uniform)."""
    tg.manual_seed(0)
    layer = nn.Conv2d(64, 64, 3)
    w = layer.weight.detach().numpy().astype(np.float64)
    bound = 1 / math.sqrt(64 * 9)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.mean()) < 0.02 * bound
    assert abs(w.var() / (bound**2 / 3) - 1) < 0.05
    b = layer.bias.detach().numpy()
    assert np.abs(b).max() <= bound
    layer.reset_parameters()
    assert not np.array_equal(layer.weight.detach().numpy(), w.astype(np.float32))


def test_float64_layers_and_unsupported_devices() -> None:
    layer = nn.Conv2d(2, 3, 2, dtype="float64")
    assert layer.weight.dtype == np.float64 and layer.bias.dtype == np.float64
    y = layer(tg.Tensor(np.zeros((1, 2, 3, 3))))
    assert y.dtype == np.float64
    assert nn.Conv1d(2, 3, 2, device="cpu").weight.shape == (3, 2, 2)
    with pytest.raises(RuntimeError, match="device 'cuda' is not available"):
        nn.Conv2d(2, 3, 2, device="cuda")
    with pytest.raises(TypeError, match="floating point dtype"):
        nn.Conv2d(2, 3, 2, dtype="int64")


@pytest.mark.parametrize("stride, padding, size", [(2, 0, (15, 15)), (2, 0, (16, 16)),
                                                    (3, 1, (19, 21)), (2, 1, [2, 4, 14, 14])])
def test_conv_transpose_output_size_picks_the_output_padding(stride: int, padding: int,
                                                             size: Any) -> None:
    tg.manual_seed(0)
    ours = nn.ConvTranspose2d(3, 4, 3, stride=stride, padding=padding)
    theirs = torch.nn.ConvTranspose2d(3, 4, 3, stride=stride, padding=padding)
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.detach().numpy()))
                            for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(2, 3, 7, 7)).astype(np.float32)
    yo, yt = ours(tg.Tensor(x), output_size=size), theirs(torch.from_numpy(x), output_size=size)
    assert yo.shape == tuple(yt.shape)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)


def test_conv_transpose_output_size_errors_as_pytorch() -> None:
    layer = nn.ConvTranspose2d(3, 4, 3, stride=2)
    x = tg.Tensor(np.zeros((1, 3, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"requested an output size of \[20, 20\], but valid "
                                         r"sizes range from \[11, 11\] to \[12, 12\]"):
        layer(x, output_size=(20, 20))
    with pytest.raises(ValueError, match="output_size must have 2 or 4 elements"):
        layer(x, output_size=(11,))


def test_unfold_and_fold_modules() -> None:
    for ours, theirs in ((nn.Unfold(2, padding=1), torch.nn.Unfold(2, padding=1)),
                         (nn.Unfold((2, 3), dilation=(1, 2), stride=2),
                          torch.nn.Unfold((2, 3), dilation=(1, 2), stride=2))):
        assert repr(ours) == str(theirs)
        x = np.random.default_rng(0).normal(size=(2, 3, 6, 7))
        np.testing.assert_array_equal(ours(tg.Tensor(x)).numpy(),
                                      theirs(torch.from_numpy(x)).numpy())
    ours_f, theirs_f = nn.Fold((4, 5), (2, 2)), torch.nn.Fold((4, 5), (2, 2))
    assert repr(ours_f) == str(theirs_f)
    cols = np.random.default_rng(1).normal(size=(2, 12, 12))
    np.testing.assert_allclose(ours_f(tg.Tensor(cols)).numpy(),
                               theirs_f(torch.from_numpy(cols)).numpy(), rtol=1e-12)
    assert list(ours_f.state_dict()) == []


def test_a_small_cnn_trains_like_pytorchs() -> None:
    """Conv2d -> relu -> Conv2d(stride 2, groups) -> flatten -> Linear, three SGD steps with
    the same initial weights: the same losses and weights."""
    def build(lib: Any) -> Any:
        return lib.Sequential(lib.Conv2d(1, 4, 3, padding=1), lib.ReLU(),
                              lib.Conv2d(4, 4, 3, stride=2, padding="valid", groups=2),
                              lib.Flatten(), lib.Linear(4 * 3 * 3, 3))

    tg.manual_seed(0)
    ours, theirs = build(nn), build(torch.nn)
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.detach().numpy()))
                            for k, v in ours.state_dict().items()})
    opt_o = tg.optim.SGD(ours.parameters(), lr=0.1)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.normal(size=(5, 1, 8, 8)).astype(np.float32)
        y = rng.integers(0, 3, size=5)
        loss_o = nn.functional.cross_entropy(ours(tg.Tensor(x)), tg.tensor(y))
        loss_t = torch.nn.functional.cross_entropy(theirs(torch.from_numpy(x)),
                                                   torch.from_numpy(y))
        np.testing.assert_allclose(loss_o.item(), loss_t.item(), rtol=1e-5)
        for opt, loss in ((opt_o, loss_o), (opt_t, loss_t)):
            opt.zero_grad()
            loss.backward()
            opt.step()
    for (key, p), q in zip(ours.state_dict().items(), theirs.state_dict().values(),
                           strict=True):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-4, atol=1e-5, err_msg=key)


BAD = [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "in_channels must be divisible by groups"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), ValueError, "out_channels must be divisible"),
    (lambda: nn.Conv2d(4, 4, 3, groups=0), ValueError, "groups must be a positive integer"),
    (lambda: nn.Conv2d(4, 4, 3, padding_mode="foo"), ValueError, "padding_mode must be one of"),
    (lambda: nn.Conv2d(4, 4, 3, padding="foo"), ValueError, "Invalid padding string 'foo'"),
    (lambda: nn.Conv2d(4, 4, 3, padding="same", stride=2), ValueError, "strided convolutions"),
    (lambda: nn.Conv2d(4, 4, 0), ValueError, "kernel_size must be >= 1"),
    (lambda: nn.Conv2d(4, 4, 2.5), TypeError, "kernel_size must be an int"),
    (lambda: nn.Conv2d(4, 4, (2, 2, 2)), ValueError, "a tuple of 2 ints"),
    (lambda: nn.Conv2d(4, 4, 3, stride=0), ValueError, "stride must be >= 1"),
    (lambda: nn.Conv2d(4, 4, 3, padding=-1), ValueError, "padding must be >= 0"),
    (lambda: nn.Conv2d(-1, 4, 3), RuntimeError, "negative dimension"),
    (lambda: nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"), ValueError,
     'Only "zeros" padding mode is supported for ConvTranspose2d'),
    (lambda: nn.Conv2d(3, 4, 3)(tg.Tensor(np.zeros((1, 2, 5, 5), np.float32))), RuntimeError,
     "expected input[1, 2, 5, 5] to have 3 channels, but got 2 channels instead"),
]


@pytest.mark.parametrize("call, kind, text", BAD, ids=[b[2] for b in BAD])
def test_constructor_and_forward_errors(call: Any, kind: type, text: str) -> None:
    with pytest.raises(kind) as info:
        call()
    assert text in str(info.value)
