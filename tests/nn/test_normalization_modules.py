"""The normalization layers (nn.BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d, LayerNorm, GroupNorm)
against PyTorch's: several training steps then evaluation (outputs, gradients, running
buffers, num_batches_tracked) with drawn options (momentum incl. None, affine, bias,
track_running_stats); state dicts (keys, and a round trip into torch's module and back with
identical outputs in train and eval); the printed form; reset_*; clear errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn

torch = pytest.importorskip("torch", reason="PyTorch is the oracle of these tests")

BATCH = {"BatchNorm1d": (2, 3), "BatchNorm2d": (4,), "BatchNorm3d": (5,)}
INSTANCE = {"InstanceNorm1d": (2, 3), "InstanceNorm2d": (3, 4), "InstanceNorm3d": (4, 5)}


def to_torch(ours: nn.Module, theirs: Any) -> None:
    """Load OUR state dict into the torch module."""
    theirs.load_state_dict({k: torch.from_numpy(np.array(v.numpy()))
                            for k, v in ours.state_dict().items()})


def from_torch(theirs: Any, ours: nn.Module) -> None:
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def numpy(t: Any) -> np.ndarray:
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.array(t.detach().numpy())


def assert_same_state(ours: nn.Module, theirs: Any, rtol: float, atol: float) -> None:
    mine, other = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(other)
    for key in mine:
        a, b = numpy(mine[key]), numpy(other[key])
        assert a.dtype == b.dtype and a.shape == b.shape, key
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=key)


def shape_for(name: str, ndim: int, c: int, draw: Any) -> tuple[int, ...]:
    side = st.integers(1, 4)
    if name.startswith("Instance") and ndim == INSTANCE[name][0]:  # unbatched
        return (c, *draw(st.lists(st.integers(2, 4), min_size=ndim - 1, max_size=ndim - 1)))
    n = draw(st.integers(1 if name.startswith("Instance") else 2, 4))
    return (n, c, *draw(st.lists(st.integers(2, 4) if name.startswith("Instance") else side,
                                 min_size=ndim - 2, max_size=ndim - 2)))


@st.composite
def channel_layers(draw: Any) -> tuple[str, dict[str, Any], tuple[int, ...], Any]:
    name = draw(st.sampled_from(sorted(BATCH) + sorted(INSTANCE)))
    c = draw(st.integers(1, 4))
    options = {"momentum": draw(st.sampled_from((0.1, None, 0.5, 1.0))),
               "affine": draw(st.booleans()), "track_running_stats": draw(st.booleans()),
               "eps": draw(st.sampled_from((1e-5, 1e-3))), "bias": draw(st.booleans())}
    ndim = draw(st.sampled_from((BATCH | INSTANCE)[name]))
    shape = shape_for(name, ndim, c, draw)
    dtype = draw(st.sampled_from((np.float64, np.float32)))
    return name, {"num_features": c, **options}, shape, dtype


@settings(max_examples=40)
@given(layer=channel_layers(), seed=st.integers(0, 2**16))
def test_channel_layers_train_then_eval_as_pytorch(layer: Any, seed: int) -> None:
    name, options, shape, dtype = layer
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    ours = getattr(nn, name)(**options, dtype=dtype)
    theirs = getattr(torch.nn, name)(**options, dtype=torch_dtype)
    rng = np.random.default_rng(seed)
    if ours.affine:  # non-trivial parameters, the same in both
        with tg.no_grad():
            ours.weight.copy_(rng.uniform(0.5, 1.5, ours.num_features))
            if ours.bias is not None:
                ours.bias.copy_(rng.normal(size=ours.num_features))
    to_torch(ours, theirs)
    tol = {"rtol": 1e-9, "atol": 1e-10} if dtype == np.float64 else {"rtol": 2e-4, "atol": 2e-4}
    for step in range(6):
        training = step < 4
        ours.train(training)
        theirs.train(training)
        x = rng.normal(1.0, 2.0, shape).astype(dtype)
        v = rng.normal(size=shape).astype(dtype)
        x_ours, x_theirs = tg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y_ours, y_theirs = ours(x_ours), theirs(x_theirs)
        assert y_ours.dtype == dtype
        np.testing.assert_allclose(numpy(y_ours), numpy(y_theirs), **tol)
        y_ours.backward(v)
        y_theirs.backward(torch.from_numpy(v))
        np.testing.assert_allclose(numpy(x_ours.grad), numpy(x_theirs.grad), **tol)
        for p_ours, p_theirs in zip(ours.parameters(), theirs.parameters(), strict=True):
            np.testing.assert_allclose(numpy(p_ours.grad), numpy(p_theirs.grad), **tol)
            p_ours.grad, p_theirs.grad = None, None
        assert_same_state(ours, theirs, **tol)


def test_buffers_are_none_without_running_stats() -> None:
    bn = nn.BatchNorm2d(3, track_running_stats=False)
    assert bn.running_mean is None and bn.running_var is None and bn.num_batches_tracked is None
    assert list(bn.state_dict()) == ["weight", "bias"]
    assert [name for name, _ in bn.named_buffers()] == []
    x = tg.Tensor(np.random.default_rng(0).normal(size=(4, 3, 2, 2)).astype(np.float32))
    bn.eval()  # batch statistics in eval mode too
    expected = F.batch_norm(x, None, None, bn.weight, bn.bias, training=True)
    np.testing.assert_allclose(bn(x).detach().numpy(), expected.detach().numpy())


def test_num_batches_tracked_is_an_int64_count() -> None:
    bn = nn.BatchNorm1d(2, momentum=None)
    assert bn.num_batches_tracked.dtype == np.int64 and bn.num_batches_tracked.shape == ()
    x = tg.Tensor(np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32))
    for _ in range(3):
        bn(x)
    assert bn.num_batches_tracked.item() == 3
    bn.eval()
    bn(x)
    assert bn.num_batches_tracked.item() == 3  # eval does not count
    bn.to(tg.float64)
    assert bn.num_batches_tracked.dtype == np.int64 and bn.running_mean.dtype == np.float64


def test_running_stats_update_under_no_grad_too() -> None:
    bn = nn.BatchNorm1d(2)
    with tg.no_grad():
        bn(tg.Tensor(np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)))
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.2, 0.4], rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), [0.9 + 0.1 * 2, 0.9 + 0.1 * 8],
                               rtol=1e-6)


def test_reset_running_stats_and_parameters() -> None:
    bn = nn.BatchNorm1d(3)
    bn(tg.Tensor(np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32))).sum()
    with tg.no_grad():
        bn.weight.mul_(3.0)
    bn.reset_running_stats()
    assert np.array_equal(bn.running_mean.numpy(), np.zeros(3))
    assert np.array_equal(bn.running_var.numpy(), np.ones(3))
    assert bn.num_batches_tracked.item() == 0 and not np.all(bn.weight.detach().numpy() == 1)
    bn.reset_parameters()
    assert np.all(bn.weight.detach().numpy() == 1) and np.all(bn.bias.detach().numpy() == 0)


# ---------------------------------------------------------------------- LayerNorm, GroupNorm


@settings(max_examples=30)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data(),
       affine=st.booleans(), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_layer_norm_module_as_pytorch(shape: list[int], data: Any, affine: bool, bias: bool,
                                      seed: int) -> None:
    k = data.draw(st.integers(1, len(shape)))
    normalized = tuple(shape[len(shape) - k:])
    arg = normalized[0] if k == 1 and data.draw(st.booleans()) else normalized
    ours = nn.LayerNorm(arg, elementwise_affine=affine, bias=bias, dtype=np.float64)
    theirs = torch.nn.LayerNorm(arg, elementwise_affine=affine, bias=bias, dtype=torch.float64)
    assert repr(ours) == repr(theirs) and ours.normalized_shape == theirs.normalized_shape
    check_module(ours, theirs, tuple(shape), seed)


@settings(max_examples=30)
@given(groups=st.integers(1, 3), per_group=st.integers(1, 3),
       spatial=st.lists(st.integers(1, 3), max_size=2), n=st.integers(1, 3),
       affine=st.booleans(), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_group_norm_module_as_pytorch(groups: int, per_group: int, spatial: list[int], n: int,
                                      affine: bool, bias: bool, seed: int) -> None:
    shape = (n, groups * per_group, *spatial)
    if n * per_group * int(np.prod(spatial)) == 1:  # PyTorch's one-value check
        return
    ours = nn.GroupNorm(groups, groups * per_group, affine=affine, bias=bias, dtype=np.float64)
    theirs = torch.nn.GroupNorm(groups, groups * per_group, affine=affine, bias=bias,
                                dtype=torch.float64)
    assert repr(ours) == repr(theirs)
    check_module(ours, theirs, shape, seed)


def check_module(ours: nn.Module, theirs: Any, shape: tuple[int, ...], seed: int) -> None:
    """Parameters drawn in ours, loaded into torch's; outputs and gradients agree; and back."""
    rng = np.random.default_rng(seed)
    with tg.no_grad():
        for p in ours.parameters():
            p.copy_(rng.normal(size=p.shape))
    to_torch(ours, theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x, v = rng.normal(size=shape), rng.normal(size=shape)
    x_ours, x_theirs = tg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y_ours, y_theirs = ours(x_ours), theirs(x_theirs)
    np.testing.assert_allclose(numpy(y_ours), numpy(y_theirs), rtol=1e-9, atol=1e-10)
    y_ours.backward(v)
    y_theirs.backward(torch.from_numpy(v))
    np.testing.assert_allclose(numpy(x_ours.grad), numpy(x_theirs.grad), rtol=1e-9, atol=1e-10)
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(numpy(a.grad), numpy(b.grad), rtol=1e-9, atol=1e-10)
    args, kwargs = _args(ours)
    fresh = type(ours)(*args, **kwargs, dtype=np.float64)
    from_torch(theirs, fresh)
    np.testing.assert_array_equal(numpy(fresh(tg.Tensor(x))), numpy(ours(tg.Tensor(x))))


def _args(m: nn.Module) -> tuple[tuple[Any, ...], dict[str, Any]]:
    if isinstance(m, nn.LayerNorm):
        return (m.normalized_shape, m.eps, m.elementwise_affine, m.bias is not None), {}
    assert isinstance(m, nn.GroupNorm)
    return (m.num_groups, m.num_channels, m.eps, m.affine), {"bias": m.bias is not None}


# ---------------------------------------------------------------------- state dicts, printing


@pytest.mark.parametrize("name", sorted(BATCH))
def test_state_dict_round_trip_through_torch(name: str) -> None:
    """Ours trained a few steps -> torch's module -> a fresh one of ours: identical outputs in
    train and eval mode (and identical buffers after one more training step)."""
    c, shape = 3, {"BatchNorm1d": (6, 3, 2), "BatchNorm2d": (4, 3, 2, 3),
                   "BatchNorm3d": (2, 3, 2, 2, 2)}[name]
    rng = np.random.default_rng(0)
    ours = getattr(nn, name)(c)
    with tg.no_grad():
        ours.weight.copy_(rng.uniform(0.5, 1.5, c))
        ours.bias.copy_(rng.normal(size=c))
    for _ in range(3):
        ours(tg.Tensor(rng.normal(2, 3, shape).astype(np.float32)))
    theirs = getattr(torch.nn, name)(c)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    to_torch(ours, theirs)
    back = getattr(nn, name)(c)
    from_torch(theirs, back)
    x = rng.normal(size=shape).astype(np.float32)
    for mode in (False, True):
        for m in (ours, theirs, back):
            m.train(mode)
        outs = [numpy(m(tg.Tensor(x) if isinstance(m, nn.Module) else torch.from_numpy(x)))
                for m in (ours, theirs, back)]
        np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(outs[0], outs[2])
    assert_same_state(ours, theirs, rtol=1e-5, atol=1e-6)
    assert_same_state(back, theirs, rtol=1e-5, atol=1e-6)


def test_repr_as_pytorch() -> None:
    configs = [("BatchNorm1d", (3,), {}), ("BatchNorm2d", (8,), {"momentum": None}),
               ("BatchNorm3d", (2,), {"affine": False, "track_running_stats": False}),
               ("BatchNorm2d", (4,), {"eps": 1e-3, "bias": False}),
               ("InstanceNorm1d", (3,), {}), ("InstanceNorm2d", (3,), {"affine": True}),
               ("InstanceNorm3d", (5,), {"track_running_stats": True, "momentum": 0.3}),
               ("LayerNorm", ((4, 5),), {}), ("LayerNorm", (3,), {"bias": False}),
               ("LayerNorm", ([2, 3],), {"elementwise_affine": False, "eps": 1e-6}),
               ("GroupNorm", (2, 4), {}), ("GroupNorm", (1, 3), {"affine": False})]
    for name, args, kwargs in configs:
        assert repr(getattr(nn, name)(*args, **kwargs)) == repr(
            getattr(torch.nn, name)(*args, **kwargs))
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.ReLU())
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.BatchNorm1d(4),
                                 torch.nn.ReLU())
    assert repr(model) == repr(theirs)


def test_float64_module_and_defaults() -> None:
    bn = nn.BatchNorm2d(3, dtype=tg.float64)
    assert bn.weight.dtype == np.float64 and bn.running_var.dtype == np.float64
    assert nn.LayerNorm(3).weight.dtype == np.float32
    assert (bn.eps, bn.momentum, bn.affine, bn.track_running_stats) == (1e-5, 0.1, True, True)
    inorm = nn.InstanceNorm2d(3)
    assert (inorm.affine, inorm.track_running_stats, inorm.weight) == (False, False, None)


# ---------------------------------------------------------------------- errors


ERRORS = [
    (lambda: nn.BatchNorm1d(3)(tg.zeros(2, 3, 4, 5)), ValueError,
     r"expected 2D or 3D input \(got 4D input\)"),
    (lambda: nn.BatchNorm2d(3)(tg.zeros(2, 3, 4)), ValueError, r"expected 4D input \(got 3D"),
    (lambda: nn.BatchNorm3d(3)(tg.zeros(2, 3, 4, 4)), ValueError, "expected 5D input"),
    (lambda: nn.BatchNorm2d(3)(tg.zeros(2, 4, 3, 3)), RuntimeError,
     r"should contain 4 elements not 3.*\(2, 4, 3, 3\)"),
    (lambda: nn.BatchNorm1d(3)(tg.zeros(1, 3)), ValueError,
     r"Expected more than 1 value per channel when training, got input size \(1, 3\)"),
    (lambda: F.batch_norm(tg.zeros(2, 3), None, None), RuntimeError,
     "must be defined in evaluation mode"),
    (lambda: F.batch_norm(tg.zeros(2, 3), tg.zeros(3), None, training=True), ValueError,
     "both be None or neither"),
    (lambda: F.batch_norm(tg.zeros(2, 3), None, None, tg.ones(4), training=True), RuntimeError,
     "weight should contain 3 elements not 4"),
    (lambda: F.batch_norm(tg.zeros(2, 3), None, None, tg.ones(3, dtype=tg.float64),
                          training=True), RuntimeError, "mixed dtypes.*float32.*float64"),
    (lambda: F.batch_norm(tg.zeros(2, 3), tg.zeros(3), tg.ones(3), momentum=None,
                          training=True), TypeError, "momentum"),
    (lambda: F.batch_norm(tg.tensor([[1, 2], [3, 4]]), None, None, training=True),
     RuntimeError, r"not implemented for dtype int64.*\(2, 2\)"),
    (lambda: F.batch_norm(tg.zeros(3), None, None, training=True), ValueError, r"\(3,\)"),
    (lambda: nn.GroupNorm(3, 4), ValueError, r"num_channels \(4\) must be divisible by "
                                             r"num_groups \(3\)"),
    (lambda: nn.GroupNorm(0, 4), ValueError, "positive"),
    (lambda: F.group_norm(tg.zeros(2, 3, 4), 2), RuntimeError,
     r"divisible by num_groups, but got input of shape \[2, 3, 4\] and num_groups=2"),
    (lambda: F.group_norm(tg.zeros(4), 2), RuntimeError, "at least 2 dimensions"),
    (lambda: F.group_norm(tg.zeros(2, 4, 3), 2, tg.ones(3)), RuntimeError,
     r"weight of shape \[3\] and input of shape \[2, 4, 3\]"),
    (lambda: F.group_norm(tg.zeros(1, 4, 1), 4), ValueError, "more than 1 value per channel"),
    (lambda: F.group_norm(tg.tensor([[1, 2]]), 1), RuntimeError, "not implemented for dtype"),
    (lambda: nn.LayerNorm((4, 5))(tg.zeros(2, 4, 6)), RuntimeError,
     r"normalized_shape=\[4, 5\], expected input with shape \[\*, 4, 5\], but got input of "
     r"size\[2, 4, 6\]"),
    (lambda: F.layer_norm(tg.zeros(2, 6), (6,), tg.ones(5)), RuntimeError,
     r"weight of shape \[5\] and normalized_shape = \[6\]"),
    (lambda: F.layer_norm(tg.zeros(2, 6), 6), TypeError, "must be tuple of ints"),
    (lambda: F.layer_norm(tg.zeros(2, 6), ()), RuntimeError, "at least 1-dimensional"),
    (lambda: F.layer_norm(tg.zeros(6), (2, 6)), RuntimeError, "expected input with shape"),
    (lambda: F.layer_norm(tg.tensor([[1, 2]]), (2,)), RuntimeError, "not implemented"),
    (lambda: nn.InstanceNorm2d(3, affine=True)(tg.zeros(2, 4, 3, 3)), ValueError,
     r"expected input's size at dim=1 to match num_features \(3\), but got: 4"),
    (lambda: nn.InstanceNorm1d(3)(tg.zeros(2, 3, 1)), ValueError,
     "more than 1 spatial element"),
    (lambda: nn.InstanceNorm2d(3)(tg.zeros(3, 3)), ValueError, r"expected 3D or 4D input"),
    (lambda: F.instance_norm(tg.zeros(2, 3, 4), use_input_stats=False), RuntimeError,
     "running_mean and running_var to be defined"),
    (lambda: nn.BatchNorm1d(2.5), TypeError, "num_features must be an int"),
    (lambda: nn.BatchNorm1d(-1), RuntimeError, "negative dimension"),
    (lambda: nn.BatchNorm1d(3, momentum="0.1"), TypeError, "momentum must be a real number"),
    (lambda: nn.LayerNorm((2, 1.5)), TypeError, "normalized_shape must be an int"),
    (lambda: nn.BatchNorm1d(3, device="cuda"), RuntimeError, "computes on the CPU"),
    (lambda: nn.BatchNorm1d(3, dtype=tg.int64), TypeError, "floating point"),
]


@pytest.mark.parametrize("call, error, fragment", ERRORS)
def test_errors_name_the_problem(call: Any, error: type[Exception], fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        call()


def test_instance_norm_module_warns_on_a_channel_mismatch_without_affine() -> None:
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(3)(tg.zeros(2, 4, 5))


def test_save_and_load_keep_the_buffers(tmp_path: Any) -> None:
    bn = nn.BatchNorm2d(3)
    bn(tg.Tensor(np.random.default_rng(0).normal(size=(4, 3, 2, 2)).astype(np.float32)))
    tg.save(bn.state_dict(), tmp_path / "bn.pt")
    other = nn.BatchNorm2d(3)
    other.load_state_dict(tg.load(tmp_path / "bn.pt"))
    for key, value in bn.state_dict().items():
        loaded = other.state_dict()[key]
        assert loaded.dtype == value.dtype and loaded.shape == value.shape, key
        np.testing.assert_array_equal(loaded.numpy(), value.numpy())
    assert other.num_batches_tracked.item() == 1
