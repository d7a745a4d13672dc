"""Device and dtype boilerplate: tg.device, tg.cuda/accelerator/backends, .to(...), device= on
factories and modules, torch's dtype names, default dtype, Linear/Conv dtype errors -- compared
with torch 2.13 where it has the same thing."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

torch = pytest.importorskip("torch")

CUDA_MESSAGE = "tinygrad_edu computes on the CPU with NumPy: device 'cuda' is not available"


# ---------------------------------------------------------------------- tg.device

@pytest.mark.parametrize("args", [("cpu",), ("cpu", 0), ("cpu:0",), ("cpu:3",), ("cuda",),
                                  ("cuda", 1), ("mps",), ("cuda:0",)])
def test_device_matches_torch_device(args: tuple) -> None:
    ours, theirs = tg.device(*args), torch.device(*args)
    assert (ours.type, ours.index, str(ours), repr(ours)) == (
        theirs.type, theirs.index, str(theirs), repr(theirs))
    assert tg.device(ours) == ours and hash(tg.device(*args)) == hash(ours)


def test_device_equality_as_torch() -> None:
    pairs = [("cpu", "cpu"), ("cpu", "cpu:0"), ("cpu:0", "cpu:0"), ("cpu", "cuda")]
    for a, b in pairs:
        assert (tg.device(a) == tg.device(b)) == (torch.device(a) == torch.device(b))
    # a device never equals a string in torch 2.13 either: compare .type
    assert (tg.device("cpu") == "cpu") == (torch.device("cpu") == "cpu") is False
    assert tg.zeros(2).device == tg.device("cpu") and tg.zeros(2).device.type == "cpu"
    assert repr(tg.zeros(2).device) == repr(torch.zeros(2).device)


@pytest.mark.parametrize("bad, error, match", [
    ("gpu", RuntimeError, "Expected one of cpu, cuda"), ("cpu:x", RuntimeError, "Invalid device"),
    (("cpu", -1), RuntimeError, "must not be negative"), (3.5, TypeError, "expected a string"),
    (("cpu:0", 0), RuntimeError, "must not include an index")])
def test_bad_devices_are_refused_like_torch(bad: object, error: type, match: str) -> None:
    args = bad if isinstance(bad, tuple) else (bad,)
    with pytest.raises(error, match=match):
        tg.device(*args)
    if error is RuntimeError:
        with pytest.raises(RuntimeError):
            torch.device(*args)


def test_accelerator_checks_say_there_is_none() -> None:
    assert tg.cuda.is_available() is torch.cuda.is_available() is False
    assert tg.cuda.device_count() == torch.cuda.device_count() == 0
    assert tg.cuda.manual_seed(1) is None and tg.cuda.manual_seed_all(1) is None
    assert tg.cuda.synchronize() is None
    assert tg.accelerator.is_available() is False and tg.accelerator.device_count() == 0
    assert tg.accelerator.current_accelerator() is None
    assert tg.backends.mps.is_available() is False and tg.backends.mps.is_built() is False
    tg.backends.cudnn.deterministic = True
    tg.backends.cudnn.benchmark = False
    assert tg.backends.cudnn.deterministic is True and tg.backends.cudnn.benchmark is False
    tg.backends.cudnn.deterministic = False


def test_the_usual_device_line_picks_the_cpu() -> None:
    device = tg.device("cuda" if tg.cuda.is_available() else "cpu")
    acc = tg.accelerator.current_accelerator()
    other = acc if acc is not None else tg.device("cpu")
    model = nn.Linear(3, 2).to(device)
    x = tg.randn(4, 3, device=device).to(other)
    assert model(x).shape == (4, 2) and str(x.device) == "cpu"


# ---------------------------------------------------------------------- the one device error

UNAVAILABLE = ["cuda", "cuda:0", "mps", tg.device("cuda"), tg.device("mps"), tg.device("xpu"),
               "meta", 0]


@pytest.mark.parametrize("dev", UNAVAILABLE, ids=str)
@pytest.mark.parametrize("use", [
    "tensor.to", "tensor.to(device=)", "zeros", "ones", "tensor", "randn", "rand", "arange",
    "full", "empty", "eye", "linspace", "zeros_like", "randn_like", "randint", "randperm",
    "new_zeros", "module.to", "Linear(device=)", "load(map_location=)"])
def test_every_other_device_raises_the_one_message(dev: object, use: str) -> None:
    x = tg.ones(2)
    calls = {
        "tensor.to": lambda: x.to(dev), "tensor.to(device=)": lambda: x.to(device=dev),
        "zeros": lambda: tg.zeros(2, device=dev), "ones": lambda: tg.ones(2, device=dev),
        "tensor": lambda: tg.tensor([1.0], device=dev), "randn": lambda: tg.randn(2, device=dev),
        "rand": lambda: tg.rand(2, device=dev), "arange": lambda: tg.arange(3, device=dev),
        "full": lambda: tg.full((2,), 1.0, device=dev), "empty": lambda: tg.empty(2, device=dev),
        "eye": lambda: tg.eye(2, device=dev), "linspace": lambda: tg.linspace(0, 1, 3, device=dev),
        "zeros_like": lambda: tg.zeros_like(x, device=dev),
        "randn_like": lambda: tg.randn_like(x, device=dev),
        "randint": lambda: tg.randint(0, 3, (2,), device=dev),
        "randperm": lambda: tg.randperm(3, device=dev),
        "new_zeros": lambda: x.new_zeros(2, device=dev),
        "module.to": lambda: nn.Linear(2, 2).to(dev),
        "Linear(device=)": lambda: nn.Linear(2, 2, device=dev),
        "load(map_location=)": lambda: tg.load("unused.npz", map_location=dev),
    }
    name = str(dev) if not isinstance(dev, int) else f"cuda:{dev}"
    expected = f"tinygrad_edu computes on the CPU with NumPy: device '{name}' is not available"
    with pytest.raises(RuntimeError) as info:
        calls[use]()
    assert str(info.value) == expected


def test_cuda_methods_raise_the_message() -> None:
    for call in (lambda: tg.ones(2).cuda(), lambda: nn.Linear(2, 2).cuda()):
        with pytest.raises(RuntimeError, match=f"^{CUDA_MESSAGE}$"):
            call()
    x = tg.ones(2)
    assert x.cpu() is x and x.pin_memory() is x
    model = nn.Linear(2, 2)
    assert model.cpu() is model


# ---------------------------------------------------------------------- Tensor.to

def test_to_forms_match_torch() -> None:
    a_np = np.arange(6, dtype=np.float32).reshape(2, 3)
    ours, theirs = tg.tensor(a_np), torch.tensor(a_np)
    other64 = (tg.zeros(1, dtype=tg.float64), torch.zeros(1, dtype=torch.float64))
    forms = [
        (("cpu",), {}), ((tg.device("cpu"),), {}), ((tg.float64,), {}), ((tg.long,), {}),
        ((other64[0],), {}), (("cpu", tg.float16), {}), ((), {"dtype": tg.int32}),
        ((), {"dtype": tg.float64, "device": "cpu", "non_blocking": True, "copy": True}),
        ((tg.float32, False, True), {}), ((), {"device": tg.device("cpu")}),
    ]
    translate = {tg.float64: torch.float64, tg.long: torch.long, tg.float16: torch.float16,
                 tg.int32: torch.int32, tg.float32: torch.float32}

    def to_torch(v: object) -> object:
        if isinstance(v, tg.device):
            return torch.device(str(v))
        if isinstance(v, tg.Tensor):
            return other64[1]
        return translate.get(v, v) if isinstance(v, np.dtype) else v

    for args, kwargs in forms:
        mine = ours.to(*args, **kwargs)
        ref = theirs.to(*[to_torch(a) for a in args], **{k: to_torch(v) for k, v in
                                                          kwargs.items()})
        assert str(mine.dtype) == str(ref.dtype).removeprefix("torch.")
        assert (mine is ours) == (ref is theirs), (args, kwargs)
        np.testing.assert_array_equal(mine.numpy(), ref.numpy())


def test_to_keeps_the_graph_for_float_casts_and_copies() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(tg.float64) * 3
    y.sum().backward()
    assert x.grad.dtype == tg.float32 and x.grad.tolist() == [3.0, 3.0]
    c = x.to(copy=True)
    assert c is not x and c.grad_fn is not None
    assert x.to(tg.long).requires_grad is False


def test_to_refuses_bad_arguments() -> None:
    with pytest.raises(TypeError, match="unexpected keyword"):
        tg.ones(2).to(devcie="cpu")
    with pytest.raises(TypeError, match="unknown dtype"):
        tg.ones(2).to("floaty")


# ---------------------------------------------------------------------- factories

@pytest.mark.parametrize("name, args", [
    ("zeros", (2, 3)), ("ones", ((2, 3),)), ("empty", (2,)), ("full", ((2,), 1.5)),
    ("arange", (5,)), ("linspace", (0, 1, 4)), ("eye", (3,)), ("tensor", ([1, 2],)),
    ("rand", (2,)), ("randn", (2,)), ("randint", (0, 4, (3,))), ("randperm", (4,))])
def test_factories_take_device_and_give_torchs_dtype(name: str, args: tuple) -> None:
    ours = getattr(tg, name)(*args, device="cpu")
    theirs = getattr(torch, name)(*args, device="cpu")
    assert ours.device == tg.device("cpu") and str(ours.dtype) == str(theirs.dtype)[6:]
    assert ours.shape == tuple(theirs.shape)
    ours = getattr(tg, name)(*args, device=tg.device("cpu"))
    assert ours.shape == tuple(theirs.shape)


def test_like_factories_take_device_and_dtype() -> None:
    x = tg.ones(2, 3, dtype=tg.float64)
    for f in (tg.zeros_like, tg.ones_like, tg.empty_like, tg.rand_like, tg.randn_like):
        out = f(x, device="cpu")
        assert out.shape == (2, 3) and out.dtype == tg.float64
        assert f(x, dtype=tg.float32, device=tg.device("cpu")).dtype == tg.float32
    assert tg.full_like(x, 7, device="cpu").tolist() == [[7.0] * 3] * 2


def test_randint_and_randperm_take_dtype_and_generator() -> None:
    g = tg.Generator().manual_seed(3)
    a = tg.randint(0, 10, (5,), generator=g, dtype=tg.int32)
    b = tg.randint(0, 10, (5,), generator=tg.Generator().manual_seed(3), dtype=tg.int32)
    assert a.dtype == tg.int32 and a.tolist() == b.tolist()
    assert sorted(tg.randperm(6, generator=g, dtype=tg.int16).tolist()) == list(range(6))
    r1 = tg.randn(3, generator=tg.Generator().manual_seed(1))
    r2 = tg.randn(3, generator=tg.Generator().manual_seed(1))
    assert r1.tolist() == r2.tolist()


# ---------------------------------------------------------------------- Module.to

def test_module_to_converts_in_place_and_keeps_the_optimizer_working() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    params = list(model.parameters())
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    for call in (lambda m: m.to("cpu"), lambda m: m.to(tg.device("cpu")),
                 lambda m: m.to(tg.float64), lambda m: m.double(), lambda m: m.cpu()):
        assert call(model) is model
    assert all(p.dtype == tg.float64 for p in model.parameters())
    assert model[1].running_mean.dtype == tg.float64
    assert model[1].num_batches_tracked.dtype == tg.int64  # integer buffers stay as they are
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    before = params[0].detach().clone()
    loss = (model(tg.randn(5, 3, dtype=tg.float64)) ** 2).sum()  # (a plain sum is flat in BN)
    loss.backward()
    opt.step()
    assert not np.array_equal(before.numpy(), params[0].detach().numpy())
    assert model.to(device="cpu", dtype=tg.float32) is model
    assert model.half().to(tg.zeros(1)) is model  # to(tensor): its dtype
    assert params[0].dtype == tg.float32
    with pytest.raises(TypeError, match="floating point"):
        model.to(tg.int64)


# ---------------------------------------------------------------------- dtype names

def test_torch_dtype_names_match_torch() -> None:
    names = ["float", "double", "half", "long", "int", "short", "bool", "uint8", "int8",
             "float16", "float32", "float64", "int16", "int32", "int64"]
    for name in names:
        ours, theirs = getattr(tg, name), getattr(torch, name)
        assert str(ours) == str(theirs).removeprefix("torch.").replace("bool", "bool"), name
        assert tg.zeros(2, dtype=ours).dtype == ours
    x = tg.zeros(2)
    assert x.dtype == tg.float32 and x.dtype == tg.float and x.dtype == np.float32
    assert tg.tensor([1, 2]).dtype == tg.long
    for name in ("bfloat16", "cfloat", "complex64"):
        with pytest.raises(AttributeError, match="has no attribute"):
            getattr(tg, name)


@pytest.mark.parametrize("method, dtype", [
    ("float", "float32"), ("double", "float64"), ("half", "float16"), ("long", "int64"),
    ("int", "int32"), ("short", "int16"), ("byte", "uint8"), ("char", "int8"), ("bool", "bool")])
def test_cast_methods_match_torch(method: str, dtype: str) -> None:
    data = np.array([[-1.5, 0.0, 2.7]], np.float32)
    ours, theirs = getattr(tg.tensor(data), method)(), getattr(torch.tensor(data), method)()
    assert str(ours.dtype) == dtype == str(theirs.dtype)[6:]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.type() == theirs.type()


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16",
                                   "int8", "uint8", "bool"])
def test_type_names_and_type_casts_match_torch(dtype: str) -> None:
    ours, theirs = tg.zeros(2, dtype=getattr(tg, dtype)), torch.zeros(2, dtype=getattr(torch,
                                                                                        dtype))
    assert ours.type() == theirs.type()
    assert tg.zeros(2).type(theirs.type()).dtype == ours.dtype  # 'torch.DoubleTensor' casts
    assert tg.zeros(2).type(getattr(tg, dtype)).dtype == ours.dtype
    assert ours.element_size() == theirs.element_size() and ours.itemsize == theirs.itemsize
    assert ours.nbytes == theirs.nbytes


def test_default_dtype_as_torch() -> None:
    assert tg.get_default_dtype() == tg.float32
    try:
        tg.set_default_dtype(tg.float64)
        torch.set_default_dtype(torch.float64)
        cases = [lambda m: m.tensor([1.5]), lambda m: m.Tensor([1, 2]), lambda m: m.zeros(2),
                 lambda m: m.rand(2), lambda m: m.arange(0.0, 1.0, 0.5), lambda m: m.eye(2),
                 lambda m: m.linspace(0, 1, 3), lambda m: m.tensor([1, 2]) * 2.5,
                 lambda m: m.nn.Linear(2, 2).weight, lambda m: m.full((2,), 1.5),
                 lambda m: m.tensor([1, 2])]
        for case in cases:
            assert str(case(tg).dtype) == str(case(torch).dtype)[6:]
        assert tg.get_default_dtype() == tg.float64
        assert "dtype" not in repr(tg.zeros(1)) and "float32" in repr(tg.zeros(1, dtype=tg.float))
    finally:
        tg.set_default_dtype(tg.float32)
        torch.set_default_dtype(torch.float32)
    with pytest.raises(TypeError, match="floating-point"):
        tg.set_default_dtype(tg.int64)


def test_finfo_iinfo_is_tensor_is_floating_point() -> None:
    assert tg.finfo(tg.float32).eps == torch.finfo(torch.float32).eps
    assert tg.finfo().eps == torch.finfo().eps
    assert tg.finfo(tg.float16).max == torch.finfo(torch.float16).max
    assert tg.iinfo(tg.int64).max == torch.iinfo(torch.int64).max
    assert tg.iinfo(tg.uint8).min == 0
    with pytest.raises(TypeError):
        tg.finfo(tg.int32)
    assert tg.is_tensor(tg.zeros(1)) and tg.is_tensor(nn.Parameter(tg.zeros(1)))
    assert not tg.is_tensor(np.zeros(1)) and not tg.is_tensor([1])
    assert tg.is_floating_point(tg.zeros(1)) and not tg.is_floating_point(tg.tensor([1]))
    assert tg.numel(tg.zeros(2, 3)) == torch.numel(torch.zeros(2, 3)) == 6


# ---------------------------------------------------------------------- Linear / Conv dtypes

BATCH = np.arange(6, dtype=np.float32).reshape(2, 3)


@pytest.mark.parametrize("dtype", ["uint8", "int64", "int32", "bool", "float64"])
def test_linear_refuses_an_input_of_another_dtype_as_torch(dtype: str) -> None:
    torch.manual_seed(0)
    theirs = torch.nn.Linear(3, 2)
    with pytest.raises(RuntimeError) as expected:
        theirs(torch.tensor(BATCH).to(getattr(torch, dtype)))
    ours = nn.Linear(3, 2)
    x = tg.tensor(BATCH).to(getattr(tg, dtype))
    for call in (lambda: ours(x), lambda: F.linear(x, ours.weight, ours.bias),
                 lambda: F.linear(x, ours.weight)):
        with pytest.raises(RuntimeError) as info:
            call()
        assert str(info.value).startswith(str(expected.value))  # "... but got Byte and Float"
    hint = "x.float()" if dtype != "float64" else "model.to(float64)"
    assert hint in str(info.value)


def test_linear_refuses_an_integer_weight_and_double_model_works() -> None:
    with pytest.raises(RuntimeError, match="got Float and Long"):
        F.linear(tg.ones(2, 3), tg.ones(2, 3, dtype=tg.long))
    model = nn.Linear(3, 2).double()
    assert model(tg.tensor(BATCH, dtype=tg.float64)).dtype == tg.float64


@pytest.mark.parametrize("dtype", ["uint8", "int64", "bool", "float64"])
@pytest.mark.parametrize("layer", ["Conv1d", "Conv2d", "ConvTranspose2d"])
def test_conv_refuses_an_input_of_another_dtype(dtype: str, layer: str) -> None:
    dims = 1 if layer == "Conv1d" else 2
    conv = getattr(nn, layer)(1, 1, 2)
    x = tg.zeros((1, 1) + (4,) * dims, dtype=getattr(tg, dtype))
    theirs = getattr(torch.nn, layer)(1, 1, 2)
    with pytest.raises(RuntimeError):
        theirs(torch.zeros((1, 1) + (4,) * dims, dtype=getattr(torch, dtype)))
    names = {"uint8": "Byte", "int64": "Long", "bool": "Bool", "float64": "Double"}
    with pytest.raises(RuntimeError, match=f"{names[dtype]}.*Float"):
        conv(x)


@pytest.mark.parametrize("fn", [lambda t: t / 2, lambda t: t.exp(), lambda t: t.sqrt(),
                                lambda t: t.sin(), lambda t: t.log1p(), lambda t: t.deg2rad()])
def test_integer_inputs_compute_in_the_default_float(fn) -> None:
    """As torch: an int tensor's transcendental functions give the default float dtype."""
    import torch

    x, t = tg.tensor([1, 2, 4]), torch.tensor([1, 2, 4])
    try:
        tg.set_default_dtype(tg.float64)
        torch.set_default_dtype(torch.float64)
        ours, theirs = fn(x), fn(t)
        assert ours.dtype == np.float64 and theirs.dtype == torch.float64
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-15)
        tg.set_default_dtype(tg.float32)
        assert fn(x).dtype == np.float32
    finally:
        tg.set_default_dtype(tg.float32)
        torch.set_default_dtype(torch.float32)
