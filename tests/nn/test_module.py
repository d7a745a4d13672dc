"""``nn.Module`` / ``nn.Parameter``: registration, naming, freezing, modes, state dicts, repr."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F
from tinygrad_edu.nn.module import IncompatibleKeys


class Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.act = nn.Tanh()

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        return self.act(self.fc(x))


class Net(nn.Module):
    """encoder.fc (4 -> 3), a scale parameter, a step buffer, a head Sequential (3 -> 2)."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = Encoder()
        self.scale = nn.Parameter(np.ones(3, dtype=np.float32))
        self.register_buffer("steps", tg.tensor([0]))
        self.register_buffer("cache", tg.zeros(3), persistent=False)
        self.head = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Dropout(0.5), nn.Linear(5, 2))
        self.note = tg.ones(2)  # a plain tensor attribute: not registered

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        return self.head(self.encoder(x) * self.scale)


NET_PARAMS = ["scale", "encoder.fc.weight", "encoder.fc.bias", "head.0.weight", "head.0.bias",
              "head.3.weight", "head.3.bias"]
NET_STATE = ["scale", "steps", "encoder.fc.weight", "encoder.fc.bias", "head.0.weight",
             "head.0.bias", "head.3.weight", "head.3.bias"]


def _torch() -> Any:
    torch = pytest.importorskip("torch", reason="PyTorch is the optional oracle")
    torch.set_num_threads(1)  # tiny tensors: extra threads only contend on a 2-core machine
    return torch


def _snapshot(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.data.numpy().copy() for k, v in model.state_dict().items()}


def _x(n: int = 6, d: int = 4, seed: int = 0) -> tg.Tensor:
    return tg.Tensor(np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32))


# ---------------------------------------------------------------------- registration


def test_attribute_assignment_registers_parameters_modules_and_buffers() -> None:
    net = Net()
    assert list(net._parameters) == ["scale"]
    assert list(net._modules) == ["encoder", "head"]
    assert list(net._buffers) == ["steps", "cache"]
    assert "note" not in net._parameters and "note" not in net._buffers
    assert isinstance(net.scale, nn.Parameter) and net.scale.requires_grad
    assert net.steps is net._buffers["steps"]
    assert [n for n, _ in net.named_buffers()] == ["steps", "cache"]
    assert all(b is not p for b in net.buffers() for p in net.parameters())
    # parameters() is exactly the registered Parameters, each once
    assert len(list(net.parameters())) == len(NET_PARAMS)
    assert all(isinstance(p, nn.Parameter) for p in net.parameters())


def test_reassignment_and_deletion_update_the_registries() -> None:
    net = Net()
    net.scale = nn.Parameter(np.zeros(3, dtype=np.float32))
    assert net._parameters["scale"].data.numpy().sum() == 0
    with pytest.raises(TypeError, match="parameter 'scale'"):
        net.scale = tg.ones(3)  # a plain tensor cannot replace a parameter
    net.scale = None  # None is allowed: a placeholder, skipped everywhere
    assert "scale" not in dict(net.named_parameters()) and "scale" not in net.state_dict()
    net.head = nn.Identity()
    assert [n for n, _ in net.named_parameters()] == ["encoder.fc.weight", "encoder.fc.bias"]
    with pytest.raises(TypeError, match="child module 'head'"):
        net.head = 3
    net.steps = tg.tensor([7])  # a tensor assigned to a buffer name updates the buffer
    assert net.state_dict()["steps"].tolist() == [7]
    with pytest.raises(TypeError, match="buffer 'steps'"):
        net.steps = "seven"
    del net.encoder
    assert "encoder" not in net._modules
    with pytest.raises(AttributeError, match="encoder"):
        net.encoder  # noqa: B018
    # a name moves between registries instead of living in two (the instance __dict__ only
    # mirrors the registry that holds it, for fast attribute lookup)
    net.note = nn.Parameter(np.ones(2, dtype=np.float32))
    assert "note" in net._parameters and net.__dict__["note"] is net._parameters["note"]
    with pytest.raises(TypeError, match="parameter 'note'"):  # as PyTorch: del it first
        net.note = nn.ReLU()
    net.plain = 3
    net.plain = nn.Tanh()
    assert isinstance(net.plain, nn.Tanh) and net.__dict__["plain"] is net._modules["plain"]
    net.plain = nn.Parameter(np.ones(1, dtype=np.float32))
    assert isinstance(net.plain, nn.Parameter) and "plain" not in net._modules
    assert net.__dict__["plain"] is net._parameters["plain"]
    del net.plain
    assert "plain" not in net.__dict__ and not hasattr(net, "plain")
    net.scale = None
    assert net.scale is None


def test_registration_errors() -> None:
    class Early(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter(np.ones(2))  # before super().__init__()

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    m = nn.Module()
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="empty"):
        m.register_buffer("", None)
    with pytest.raises(TypeError, match="Parameter or None"):
        m.register_parameter("w", tg.ones(2))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Tensor or None"):
        m.register_buffer("b", np.ones(2))  # type: ignore[arg-type]
    m.x = 1
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("x", tg.ones(1))
    with pytest.raises(ValueError, match="non-leaf"):
        w = tg.ones(2, requires_grad=True) * 2
        p = nn.Parameter(np.ones(2))
        p._ctx = w._ctx  # a parameter that is somehow the output of an op
        m.register_parameter("p", p)
    with pytest.raises(NotImplementedError, match="forward"):
        m(tg.ones(1))


def test_parameter_is_a_tensor_that_requires_grad() -> None:
    p = nn.Parameter(tg.ones(2, 3))
    assert isinstance(p, tg.Tensor) and p.requires_grad and p.is_leaf and p.shape == (2, 3)
    assert not hasattr(p, "__dict__")  # __slots__ = () keeps it as lean as Tensor
    assert not nn.Parameter(np.ones(2), requires_grad=False).requires_grad
    assert type(p * 2) is tg.Tensor  # ops return plain tensors
    assert type(p.detach()) is tg.Tensor
    array = np.ones(3, dtype=np.float64)
    assert nn.Parameter(array).data.numpy() is array  # wraps without a copy, keeping the dtype
    assert nn.Parameter().shape == (0,)
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(np.arange(3))
    assert repr(nn.Parameter(tg.ones(2))) == (
        "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    )


# ---------------------------------------------------------------------- naming


def test_nested_names() -> None:
    net = Net()
    assert [n for n, _ in net.named_parameters()] == NET_PARAMS
    assert list(net.state_dict()) == NET_STATE  # own entries first, then children, as PyTorch
    assert [n for n, _ in net.named_modules()] == [
        "", "encoder", "encoder.fc", "encoder.act", "head", "head.0", "head.1", "head.2", "head.3"
    ]
    assert [n for n, _ in net.named_children()] == ["encoder", "head"]
    assert list(net.children()) == [net.encoder, net.head]
    assert list(net.modules())[0] is net
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in net.encoder.named_parameters(prefix="enc")] == ["enc.fc.weight",
                                                                          "enc.fc.bias"]


def test_names_match_pytorch() -> None:
    torch = _torch()
    tnn = torch.nn

    class TEncoder(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = tnn.Linear(4, 3)
            self.act = tnn.Tanh()

    class TNet(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = TEncoder()
            self.scale = tnn.Parameter(torch.ones(3))
            self.register_buffer("steps", torch.tensor([0]))
            self.register_buffer("cache", torch.zeros(3), persistent=False)
            self.head = tnn.Sequential(tnn.Linear(3, 5), tnn.ReLU(), tnn.Dropout(0.5),
                                       tnn.Linear(5, 2))

    ours, theirs = Net(), TNet()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]


def test_shared_modules_and_parameters_are_listed_once_but_saved_under_each_name() -> None:
    fc = nn.Linear(2, 2)
    model = nn.Sequential(fc, nn.ReLU(), fc)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.modules())) == 3
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(list(model.named_modules(remove_duplicate=False))) == 4
    tied = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    tied[1].weight = tied[0].weight
    assert [n for n, _ in tied.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    assert len(list(tied.named_parameters(remove_duplicate=False))) == 4


# ---------------------------------------------------------------------- freezing


def test_frozen_parameters_get_no_grad_and_stay_put() -> None:
    """Seed 003: a trained encoder is frozen and reused under a new classifier."""
    tg.manual_seed(0)
    encoder = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    model = nn.Sequential(encoder, nn.Linear(3, 2))
    assert encoder.requires_grad_(False) is encoder
    assert all(not p.requires_grad for p in encoder.parameters())
    before = _snapshot(model)
    x, y = _x(), tg.tensor([0, 1, 0, 1, 1, 0])
    F.cross_entropy(model(x), y).backward()
    assert all(p.grad is None for p in encoder.parameters())
    assert all(p.grad is not None and np.abs(p.grad.data.numpy()).sum() > 0
               for p in model[1].parameters())
    with tg.no_grad():  # a manual SGD step, skipping parameters without a gradient
        for p in model.parameters():
            if p.grad is not None:
                p -= 0.5 * p.grad
    after = _snapshot(model)
    for key in ("0.0.weight", "0.0.bias"):
        np.testing.assert_array_equal(after[key], before[key])
    for key in ("1.weight", "1.bias"):
        assert not np.array_equal(after[key], before[key])
    encoder.requires_grad_()  # unfreezing restores gradients
    model.zero_grad()
    F.cross_entropy(model(x), y).backward()
    assert all(p.grad is not None for p in model.parameters())


# ---------------------------------------------------------------------- modes


def test_train_eval_propagate_to_every_descendant_and_switch_dropout() -> None:
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    dropout = net.head[2]
    x = tg.ones(50, 5)
    assert dropout(x) is x  # identity in eval mode
    assert net.train() is net
    assert all(m.training for m in net.modules())
    assert (dropout(x).data.numpy() == 0).any()
    net.head.train(False)  # a subtree only
    assert net.training and net.encoder.training and not net.head[2].training
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")  # type: ignore[arg-type]


# ---------------------------------------------------------------------- zero_grad / apply / to


def test_zero_grad_to_none_and_in_place() -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 1))
    x = _x()
    model(x).sum().backward()
    first = {n: p.grad.data.numpy().copy() for n, p in model.named_parameters()}
    grads = {n: p.grad for n, p in model.named_parameters()}
    model.zero_grad(set_to_none=False)
    for n, p in model.named_parameters():
        assert p.grad is grads[n]  # the same tensor, zeroed in place
        assert not p.grad.data.numpy().any()
    model(x).sum().backward()  # accumulates onto the zeros: equals one fresh gradient
    for n, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.data.numpy(), first[n], rtol=1e-6)
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.zero_grad(set_to_none=False)  # no grads at all: nothing to do, no error
    assert all(p.grad is None for p in model.parameters())


def test_apply_visits_children_first_like_pytorch() -> None:
    net = Net()
    seen: list[str] = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    expected = ["Linear", "Tanh", "Encoder", "Linear", "ReLU", "Dropout", "Linear",
                "Sequential", "Net"]
    assert seen == expected

    def zero_linears(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)

    net.apply(zero_linears)
    assert all(not m.weight.data.numpy().any() for m in net.modules() if isinstance(m, nn.Linear))


def test_apply_order_matches_pytorch() -> None:
    torch = _torch()
    tnn = torch.nn
    theirs = tnn.Sequential(tnn.Linear(2, 2), tnn.Sequential(tnn.ReLU(), tnn.Tanh()))
    ours = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Tanh()))
    a: list[str] = []
    b: list[str] = []
    theirs.apply(lambda m: a.append(type(m).__name__))
    ours.apply(lambda m: b.append(type(m).__name__))
    assert a == b


def test_to_double_casts_in_place_keeping_parameter_objects() -> None:
    model = nn.Linear(3, 2)
    params = list(model.parameters())
    model(tg.ones(1, 3)).sum().backward()
    assert model.double() is model
    assert list(model.parameters()) == params
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in params)
    assert model(tg.Tensor(np.ones((1, 3)))).dtype == np.float64
    model.to("cpu")
    assert model.weight.dtype == np.float64
    model.float()
    assert model.weight.dtype == np.float32
    with pytest.raises(TypeError, match="floating"):
        model.to(np.int64)


# ---------------------------------------------------------------------- state dict


@given(hidden=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_state_dict_round_trip_gives_identical_outputs(hidden: int, seed: int) -> None:
    tg.manual_seed(seed)
    a = nn.Sequential(nn.Linear(4, hidden), nn.Tanh(), nn.Linear(hidden, 2))
    b = nn.Sequential(nn.Linear(4, hidden), nn.Tanh(), nn.Linear(hidden, 2))
    x = _x(seed=seed)
    assert not np.array_equal(a(x).data.numpy(), b(x).data.numpy())
    b_params = list(b.parameters())
    assert b.load_state_dict(a.state_dict()) == IncompatibleKeys([], [])
    np.testing.assert_array_equal(a(x).data.numpy(), b(x).data.numpy())
    assert list(b.parameters()) == b_params  # loaded in place: same Parameter objects
    assert all(p.requires_grad and p.is_leaf for p in b.parameters())
    with tg.no_grad():  # independent copies: changing a does not change b
        a[0].weight.add_(1.0)
    assert not np.array_equal(a(x).data.numpy(), b(x).data.numpy())


def test_state_dict_values_share_memory_and_are_detached() -> None:
    model = nn.Linear(2, 2)
    sd = model.state_dict()
    assert all(not v.requires_grad for v in sd.values())
    # as PyTorch: a view of the live values
    assert sd["weight"].data.numpy() is model.weight.data.numpy()
    assert model.state_dict(keep_vars=True)["weight"] is model.weight
    assert list(model.state_dict(prefix="fc.")) == ["fc.weight", "fc.bias"]


def test_load_casts_to_the_parameters_dtype_and_accepts_arrays() -> None:
    model = nn.Sequential(nn.Linear(3, 2))
    sd = {k: np.full(v.shape, 0.25, dtype=np.float64) for k, v in model.state_dict().items()}
    model.load_state_dict(sd)
    assert model[0].weight.dtype == np.float32 and model[0].bias.dtype == np.float32
    np.testing.assert_array_equal(model[0].weight.data.numpy(), 0.25)
    model64 = nn.Linear(3, 2, dtype=np.float64)
    model64.load_state_dict({"weight": np.ones((2, 3), dtype=np.float32), "bias": [1.0, 2.0]})
    assert model64.weight.dtype == np.float64 and model64.bias.tolist() == [1.0, 2.0]


def test_load_from_pytorch_state_dict() -> None:
    torch = _torch()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    ours.load_state_dict(theirs.state_dict())  # torch tensors go through np.asarray
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours(tg.Tensor(x)).data.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_strict_missing_keys_are_named() -> None:
    model = Net()
    sd = model.state_dict()
    del sd["head.0.bias"], sd["steps"]
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "steps", '
                                           r'"head.0.bias"\.') as info:
        model.load_state_dict(sd)
    assert "for Net" in str(info.value) and "Unexpected" not in str(info.value)


def test_strict_unexpected_keys_are_named() -> None:
    model = nn.Sequential(nn.Linear(2, 2))
    sd = dict(model.state_dict(), **{"1.weight": tg.ones(2, 2), "extra": np.zeros(1)})
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "1.weight", '
                                           r'"extra"\.') as info:
        model.load_state_dict(sd)
    assert "Missing" not in str(info.value)


def test_shape_mismatch_is_named_even_when_not_strict() -> None:
    model = nn.Sequential(nn.Linear(3, 2))
    sd = model.state_dict()
    sd["0.weight"] = tg.zeros(3, 2)
    pattern = (r"size mismatch for 0\.weight: copying a param with shape \(3, 2\) from "
               r"checkpoint, the shape in current model is \(2, 3\)")
    for strict in (True, False):
        with pytest.raises(RuntimeError, match=pattern):
            model.load_state_dict(sd, strict=strict)


def test_every_problem_is_reported_at_once() -> None:
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    sd = model.state_dict()
    del sd["1.bias"]
    sd["0.bias"] = tg.zeros(5)
    sd["0.weight"] = "not an array"
    sd["2.weight"] = tg.zeros(1)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(sd)
    message = str(info.value)
    for fragment in ('Missing key(s) in state_dict: "1.bias"',
                     'Unexpected key(s) in state_dict: "2.weight"',
                     "size mismatch for 0.bias", "value for 0.weight is not numeric"):
        assert fragment in message


def test_non_strict_returns_missing_and_unexpected_and_loads_the_rest() -> None:
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    old_second = model[1].weight.data.numpy().copy()
    sd = {"0.weight": np.ones((2, 3)), "0.bias": np.ones(2), "9.weight": np.ones(4)}
    result = model.load_state_dict(sd, strict=False)
    assert isinstance(result, tuple) and result == (["1.weight", "1.bias"], ["9.weight"])
    assert result.missing_keys == ["1.weight", "1.bias"]
    assert result.unexpected_keys == ["9.weight"]
    np.testing.assert_array_equal(model[0].weight.data.numpy(), 1.0)
    np.testing.assert_array_equal(model[1].weight.data.numpy(), old_second)
    assert repr(model.load_state_dict(model.state_dict())) == "<All keys matched successfully>"
    with pytest.raises(TypeError, match="mapping"):
        model.load_state_dict([("0.weight", np.ones((2, 3)))])  # type: ignore[arg-type]


@given(victim=st.integers(0, 3), fault=st.sampled_from(["shape", "missing", "unexpected",
                                                           "not numeric", "dtype object"]))
def test_a_failed_load_changes_nothing(victim: int, fault: str) -> None:
    """All entries are checked before any is copied: no half-loaded model."""
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 2))
    before = _snapshot(model)
    keys = list(before)
    sd: dict[str, Any] = {k: np.full(v.shape, 9.0) for k, v in before.items()}
    key = keys[victim]
    if fault == "shape":
        sd[key] = np.zeros((7,))
    elif fault == "missing":
        del sd[key]
    elif fault == "unexpected":
        sd[f"{key}_extra"] = np.zeros(1)
    elif fault == "not numeric":
        sd[key] = np.full(before[key].shape, "x")
    else:
        sd[key] = np.full(before[key].shape, None, dtype=object)
    with pytest.raises(RuntimeError, match="Error"):
        model.load_state_dict(sd)
    after = _snapshot(model)
    for k in keys:
        np.testing.assert_array_equal(after[k], before[k])


def test_a_read_only_target_is_caught_before_anything_is_copied() -> None:
    model = nn.Linear(2, 2)
    model.register_buffer("table", tg.zeros(3).expand(2, 3))  # a read-only broadcast view
    before = _snapshot(model)
    sd = {k: np.ones(v.shape) for k, v in before.items()}
    with pytest.raises(RuntimeError, match="table in the model is a read-only array"):
        model.load_state_dict(sd)
    for k, v in _snapshot(model).items():
        np.testing.assert_array_equal(v, before[k])


def test_a_buffer_can_be_made_persistent_again() -> None:
    net = Net()
    assert "cache" not in net.state_dict()
    net.register_buffer("cache", tg.ones(3))
    assert "cache" in net.state_dict()
    net.register_buffer("cache", tg.ones(3), persistent=False)
    assert "cache" not in net.state_dict() and "cache" in dict(net.named_buffers())


def test_swapped_entries_that_alias_the_model_load_correctly() -> None:
    """Values sharing memory with the model are read before anything is overwritten."""
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    w0, w1 = model[0].weight.data.numpy().copy(), model[1].weight.data.numpy().copy()
    sd = model.state_dict()  # views of the live arrays
    sd["0.weight"], sd["1.weight"] = sd["1.weight"], sd["0.weight"]
    model.load_state_dict(sd)
    np.testing.assert_array_equal(model[0].weight.data.numpy(), w1)
    np.testing.assert_array_equal(model[1].weight.data.numpy(), w0)


def test_copy_and_pickle() -> None:
    model = Net().eval()
    x = _x()
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        np.testing.assert_array_equal(clone(x).data.numpy(), model(x).data.numpy())
        assert clone.encoder.fc.weight is not model.encoder.fc.weight
        assert isinstance(clone.scale, nn.Parameter) and not clone.training


# ---------------------------------------------------------------------- repr


def test_repr_tree_exact() -> None:
    model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Dropout(0.2),
                          nn.Sequential(nn.Linear(64, 10, bias=False), nn.LogSoftmax(dim=1)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=784, out_features=64, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Dropout(p=0.2, inplace=False)\n"
        "  (3): Sequential(\n"
        "    (0): Linear(in_features=64, out_features=10, bias=False)\n"
        "    (1): LogSoftmax(dim=1)\n"
        "  )\n"
        ")"
    )
    assert repr(nn.Module()) == "Module()"


def test_repr_matches_pytorch() -> None:
    torch = _torch()
    tnn = torch.nn

    def build(lib: Any) -> Any:
        return lib.Sequential(
            lib.Flatten(), lib.Linear(784, 32), lib.LeakyReLU(0.2), lib.Dropout(0.1),
            lib.Sequential(lib.Linear(32, 10), lib.Sigmoid(), lib.Tanh(), lib.Identity()),
            lib.Softmax(dim=-1), lib.ReLU(inplace=True), lib.CrossEntropyLoss(),
            lib.MSELoss(reduction="sum"),
        )

    assert repr(build(nn)) == repr(build(tnn))
    assert repr(Net()).startswith("Net(\n  (encoder): Encoder(\n    (fc): Linear(in_features=4")

    class Multi(nn.Module):
        def extra_repr(self) -> str:
            return "a=1\nb=2"

    class TMulti(tnn.Module):
        def extra_repr(self) -> str:
            return "a=1\nb=2"

    ours, theirs = Multi(), TMulti()
    ours.child = nn.Linear(1, 1)
    theirs.child = tnn.Linear(1, 1)
    assert repr(ours).replace("Multi", "X") == repr(theirs).replace("TMulti", "X")


# ---------------------------------------------------------------------- Sequential


def test_sequential_indexing_iteration_and_editing() -> None:
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid()]
    model = nn.Sequential(*layers)
    assert len(model) == 4 and list(model) == layers
    assert model[0] is layers[0] and model[-1] is layers[3]
    part = model[1:3]
    assert isinstance(part, nn.Sequential) and list(part) == layers[1:3]
    assert list(part._modules) == ["1", "2"]  # names kept, as PyTorch
    with pytest.raises(IndexError, match="out of range"):
        model[4]
    with pytest.raises(IndexError):
        model[-5]
    extra = nn.Tanh()
    assert model.append(extra) is model and model[4] is extra and "4" in model._modules
    del model[1]
    assert list(model._modules) == ["0", "1", "2", "3"] and list(model) == [
        layers[0], layers[2], layers[3], extra]
    model.insert(-1, layers[1])
    assert list(model) == [layers[0], layers[2], layers[3], layers[1], extra]
    model[0] = nn.Identity()
    assert isinstance(model[0], nn.Identity)
    del model[1:3]
    assert len(model) == 3 and list(model._modules) == ["0", "1", "2"]
    model.extend([nn.ReLU()])
    assert len(model) == 4
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)  # type: ignore[arg-type]
    named = nn.Sequential({"fc": nn.Linear(2, 2), "act": nn.ReLU()})
    assert [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]
    assert named.fc is named[0]


def test_sequential_editing_matches_pytorch() -> None:
    torch = _torch()
    tnn = torch.nn

    def edit(lib: Any) -> list[str]:
        m = lib.Sequential(lib.Linear(1, 1), lib.ReLU(), lib.Tanh(), lib.Sigmoid())
        del m[1]
        m.insert(-1, lib.Identity())
        m.append(lib.ReLU())
        return [f"{k}:{type(v).__name__}" for k, v in m._modules.items()] + [
            str(list(m[1:3]._modules))]

    assert edit(nn) == edit(tnn)


def test_a_reassigned_parameter_or_module_keeps_its_place_in_the_state_dict():
    """As PyTorch: assigning a new Parameter (or Module) to an existing name replaces it in
    place, so the state dict's key order does not change."""
    layer = nn.Linear(2, 3)
    layer.weight = nn.Parameter(tg.zeros(3, 2))
    assert list(layer.state_dict()) == ["weight", "bias"]
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    model[0] = nn.Linear(2, 2)
    setattr(model, "0", nn.Linear(2, 2))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
