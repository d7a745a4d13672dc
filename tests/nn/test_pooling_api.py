"""Pooling's arguments and modules: bad arguments raise PyTorch's kind of error with a
message naming the problem; the modules keep PyTorch's attributes, print as PyTorch's, and
compute what the functional forms compute."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn

torch = pytest.importorskip("torch", reason="PyTorch is the oracle of the pooling tests")
tF = torch.nn.functional

X2 = (1, 1, 3, 3)
X1 = (1, 1, 3)

# (function, input shape, kwargs, what our message must say)
BAD = [
    ("max_pool2d", X2, {"kernel_size": 2.0}, "kernel_size.*tuple of ints, not float"),
    ("max_pool2d", X2, {"kernel_size": True}, "kernel_size.*not bool"),
    ("max_pool2d", X2, {"kernel_size": 2, "stride": 1.5}, "stride.*not float"),
    ("max_pool2d", X2, {"kernel_size": 2, "padding": 1.0}, "padding.*not float"),
    ("max_pool2d", X2, {"kernel_size": (2, 2, 2)}, "kernel_size.*single int, or a tuple of 2"),
    ("max_pool2d", X2, {"kernel_size": 2, "padding": (1, 1, 1)}, "padding.*tuple of 2"),
    ("max_pool2d", X2, {"kernel_size": 0}, "kernel size should be greater than zero"),
    ("max_pool2d", X2, {"kernel_size": (2, -1)}, "kernel size should be greater than zero"),
    ("max_pool2d", X2, {"kernel_size": 2, "stride": 0}, "stride should not be zero"),
    ("max_pool2d", X2, {"kernel_size": 2, "stride": -1}, "stride should be greater than zero"),
    ("max_pool2d", X2, {"kernel_size": 2, "dilation": 0}, "dilation should be greater"),
    ("max_pool2d", X2, {"kernel_size": 2, "padding": -1}, "pad must be non-negative"),
    ("max_pool2d", X2, {"kernel_size": 2, "padding": 2}, "half of kernel size"),
    ("max_pool2d", X2, {"kernel_size": 3, "padding": 1, "dilation": 3}, "too small"),
    ("max_pool2d", X2, {"kernel_size": 5}, r"Given input size: \(1x3x3\).*\(1x0x0\)"),
    ("max_pool2d", (3, 3), {"kernel_size": 1}, r"3D or 4D.*\[3, 3\]"),
    ("max_pool2d", (2, 1, 1, 3, 3), {"kernel_size": 1}, "3D or 4D"),
    ("max_pool2d", (1, 0, 3, 3), {"kernel_size": 1}, r"non-zero size.*dimension 1"),
    ("max_pool2d", (1, 1, 0, 3), {"kernel_size": 1}, r"non-zero size.*dimension 2"),
    ("max_pool1d", (3,), {"kernel_size": 1}, r"2D or 3D.*\[3\]"),
    ("max_pool1d", X1, {"kernel_size": (2, 2)}, "kernel_size.*tuple of 1"),
    ("max_pool1d", X1, {"kernel_size": 2, "padding": 2}, "half of kernel size"),
    ("max_pool1d", X1, {"kernel_size": 5}, "too small"),
    ("max_pool1d", X1, {"kernel_size": 2, "stride": -2}, "greater than zero"),
    ("avg_pool2d", X2, {"kernel_size": 2, "padding": 2}, "half of kernel size"),
    ("avg_pool2d", X2, {"kernel_size": 5}, "too small"),
    ("avg_pool2d", X2, {"kernel_size": 2, "divisor_override": 0}, "divisor must be not zero"),
    ("avg_pool2d", X2, {"kernel_size": 2, "divisor_override": 1.5}, "divisor_override.*float"),
    ("avg_pool2d", X2, {"kernel_size": (2, 0)}, "stride should not be zero|kernel size"),
    ("avg_pool1d", (3,), {"kernel_size": 1}, "2D or 3D"),
    ("avg_pool1d", X1, {"kernel_size": 2, "stride": 2.0}, "stride.*not float"),
    ("adaptive_avg_pool2d", (3, 3), {"output_size": 2}, "3D or 4D"),
    ("adaptive_avg_pool2d", (1, 1, 0, 3), {"output_size": 2}, "non-zero size.*dimension 2"),
    ("adaptive_avg_pool2d", X2, {"output_size": (2,)}, "output_size"),
    ("adaptive_avg_pool2d", X2, {"output_size": (2, 2, 2)}, "output_size"),
    ("adaptive_avg_pool2d", X2, {"output_size": None}, "output_size.*NoneType"),
    ("adaptive_avg_pool2d", X2, {"output_size": 2.0}, "output_size.*float"),
    ("adaptive_avg_pool2d", X2, {"output_size": -1}, "greater than or equal to 0"),
    ("adaptive_avg_pool1d", X1, {"output_size": (2, 2)}, "output_size"),
    ("adaptive_avg_pool1d", (3,), {"output_size": 2}, "2D or 3D"),
    ("adaptive_max_pool2d", (1, 0, 3, 3), {"output_size": 2}, "non-zero size.*dimension 1"),
    ("adaptive_max_pool2d", X2, {"output_size": (2,)}, "output_size"),
    ("adaptive_max_pool1d", X1, {"output_size": 2.0}, "output_size.*float"),
]


@pytest.mark.parametrize("fn,shape,kw,message", BAD)
def test_bad_arguments_raise_pytorchs_kind_of_error(fn: str, shape: tuple[int, ...],
                                                    kw: dict[str, Any], message: str) -> None:
    with pytest.raises((TypeError, ValueError, RuntimeError, IndexError)) as theirs:
        getattr(tF, fn)(torch.zeros(shape), **kw)
    kind = type(theirs.value)
    with pytest.raises(kind, match=message) as ours:
        getattr(F, fn)(tg.zeros(*shape), **kw)
    assert fn.split("_pool")[0] in str(ours.value) or "argument" in str(ours.value)


def test_empty_batches_and_channels_as_pytorch() -> None:
    for fn, kw in [("max_pool2d", {"kernel_size": 2}), ("avg_pool2d", {"kernel_size": 2}),
                   ("adaptive_avg_pool2d", {"output_size": 2}),
                   ("adaptive_max_pool2d", {"output_size": 2})]:
        x = np.zeros((0, 2, 4, 4), np.float32)
        assert F.__dict__[fn](tg.tensor(x), **kw).shape == tuple(
            getattr(tF, fn)(torch.from_numpy(x), **kw).shape)
    x = np.zeros((1, 0, 3, 3), np.float32)  # adaptive average pooling takes C = 0
    assert F.adaptive_avg_pool2d(tg.tensor(x), 2).shape == (1, 0, 2, 2)


# ---------------------------------------------------------------------- modules

MODULES = [
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", ((2, 3),), {"stride": 1, "padding": (1, 0), "dilation": 2,
                              "return_indices": True, "ceil_mode": True}),
    ("MaxPool2d", ([3, 3], [2, 1]), {"padding": 1}),
    ("MaxPool1d", (3,), {}),
    ("MaxPool1d", (2, 1, 1), {"dilation": 2, "return_indices": True}),
    ("AvgPool2d", (2,), {}),
    ("AvgPool2d", (3, 1, 1, True, False, 2), {}),
    ("AvgPool1d", (2,), {}),
    ("AvgPool1d", (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}),
    ("AdaptiveAvgPool2d", ((None, 3),), {}),
    ("AdaptiveAvgPool2d", (3,), {}),
    ("AdaptiveAvgPool1d", (4,), {}),
    ("AdaptiveMaxPool2d", ((2, None),), {"return_indices": True}),
    ("AdaptiveMaxPool1d", (3,), {}),
]
ATTRIBUTES = ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices",
              "count_include_pad", "divisor_override", "output_size")


@pytest.mark.parametrize("name,args,kw", MODULES)
def test_modules_print_keep_attributes_and_compute_as_pytorchs(name: str, args: tuple[Any, ...],
                                                               kw: dict[str, Any]) -> None:
    ours, theirs = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(ours) == str(theirs)
    for attr in ATTRIBUTES:
        assert getattr(ours, attr, "absent") == getattr(theirs, attr, "absent"), attr
    assert ours.state_dict() == {} and list(ours.parameters()) == []  # no parameters, buffers
    shape = (2, 3, 7) if name.endswith("1d") else (2, 3, 7, 6)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    for data in (x, x[0]):  # batched and unbatched
        out, ref = ours(tg.Tensor(data, requires_grad=True)), theirs(torch.from_numpy(data))
        if isinstance(ref, tuple):
            np.testing.assert_array_equal(out[1].numpy(), ref[1].numpy())
            out, ref = out[0], ref[0]
        np.testing.assert_allclose(out.detach().numpy(), ref.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("make,message", [
    (lambda: nn.MaxPool2d(2.5), "kernel_size.*float"),
    (lambda: nn.MaxPool2d(0), "kernel_size must be >= 1"),
    (lambda: nn.MaxPool2d(2, stride=-1), "stride must be >= 1"),
    (lambda: nn.MaxPool2d(2, padding=-1), "padding must be >= 0"),
    (lambda: nn.MaxPool2d(2, dilation=0), "dilation must be >= 1"),
    (lambda: nn.MaxPool2d((2, 2, 2)), "kernel_size.*tuple of 2"),
    (lambda: nn.MaxPool1d((2, 2)), "kernel_size.*tuple of 1"),
    (lambda: nn.AvgPool2d(2, divisor_override=1.5), "divisor_override"),
    (lambda: nn.AvgPool2d(2, divisor_override=0), "divisor must be not zero"),
    (lambda: nn.AvgPool1d("2"), "kernel_size.*str"),
    (lambda: nn.AdaptiveAvgPool2d(2.0), "output_size"),
    (lambda: nn.AdaptiveMaxPool2d((2, -1)), "output_size must be >= 0"),
])
def test_modules_check_their_arguments_when_made(make: Any, message: str) -> None:
    with pytest.raises((TypeError, ValueError, RuntimeError), match=message):
        make()


@given(st.integers(1, 3), st.integers(4, 9), st.sampled_from(["MaxPool2d", "AvgPool2d"]))
def test_module_in_a_model_trains_like_pytorchs(c: int, side: int, name: str) -> None:
    """conv-free pooling model: pool -> flatten -> linear, the same state dict in both."""
    ours = nn.Sequential(getattr(nn, name)(2), nn.Flatten(), nn.Linear(c * (side // 2) ** 2, 3))
    theirs = torch.nn.Sequential(getattr(torch.nn, name)(2), torch.nn.Flatten(),
                                 torch.nn.Linear(c * (side // 2) ** 2, 3))
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    x = np.random.default_rng(side).standard_normal((2, c, side, side)).astype(np.float32)
    ours(tg.tensor(x)).sum().backward()
    theirs(torch.from_numpy(x)).sum().backward()
    np.testing.assert_allclose(ours[2].weight.grad.numpy(), theirs[2].weight.grad.numpy(),
                               rtol=1e-5, atol=1e-6)
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    np.testing.assert_allclose(ours(tg.tensor(x)).detach().numpy(),
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
