"""``.data`` and ``.numpy()`` as in PyTorch, each idiom checked against torch."""

import numpy as np
import pytest
import torch

import tinygrad_edu as tg
from tinygrad_edu import nn


def _pair(values):
    return tg.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)


def test_data_is_a_detached_tensor_sharing_memory():
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    d = p.data
    assert isinstance(d, tg.Tensor) and not d.requires_grad and d.grad_fn is None
    assert d.numpy() is p.detach().numpy() or np.shares_memory(d.numpy(), p.detach().numpy())
    d[0] = 5.0
    assert p.tolist() == [5.0, 2.0]


@pytest.mark.parametrize("idiom", ["sub", "isub", "add_", "zero_", "mul_", "copy_", "clamp_"])
def test_update_idioms_change_the_parameter_as_in_torch(idiom):
    ours, theirs = _pair([[1.0, -2.0], [3.0, 0.5]])
    for p in (ours, theirs):
        (p * p).sum().backward()
        if idiom == "sub":
            p.data = p.data - 0.1 * p.grad
        elif idiom == "isub":
            p.data -= 0.1 * p.grad
        elif idiom == "add_":
            p.data.add_(p.grad, alpha=-0.1)
        elif idiom == "zero_":
            p.data.zero_()
        elif idiom == "mul_":
            p.data.mul_(3.0)
        elif idiom == "copy_":
            p.data.copy_(p.grad)
        else:
            p.data.clamp_(-1.0, 1.0)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)
    assert ours.requires_grad and ours.is_leaf
    (ours * 2).sum().backward()  # still a working leaf after the update
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy() + 2, rtol=1e-6)


def test_init_through_data_and_reassigning_data():
    m = nn.Linear(3, 4)
    m.weight.data.normal_(0, 0.02)
    w = m.weight.detach().numpy()
    assert abs(float(w.std()) - 0.02) < 0.02 and w.std() > 0
    m.weight.data.fill_(0.5)
    assert (m.weight.detach().numpy() == 0.5).all()
    other = tg.ones(2, 5)
    m.weight.data = other  # shape may change, as in PyTorch; memory is shared
    assert m.weight.shape == (2, 5) and m.weight.requires_grad
    assert np.shares_memory(m.weight.detach().numpy(), other.numpy())
    m.weight.data = np.zeros((1, 1), np.float32)  # a NumPy array is accepted too
    assert m.weight.shape == (1, 1)


def test_bad_data_assignments_name_the_problem():
    p = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="data must be set to a Tensor"):
        p.data = [1.0, 2.0]
    with pytest.raises(RuntimeError, match="only floating point"):
        p.data = tg.tensor([1, 2])
    assert p.tolist() == [1.0]  # nothing half-written


def test_numpy_shares_memory_and_refuses_grad_with_torchs_hint():
    t = tg.ones(3)
    a = t.numpy()
    a[1] = 7.0
    assert t.tolist() == [1.0, 7.0, 1.0]
    p = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        p.numpy()
    assert np.shares_memory(p.detach().numpy(), p.data.numpy())


def test_a_change_through_data_to_a_saved_value_is_caught_not_silent():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    w.data.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_micrograd_style_loop_trains():
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.standard_normal((32, 2)).astype(np.float32))
    y = tg.Tensor((x.numpy() @ np.array([[2.0], [-1.0]], np.float32)) + 0.5)
    model = nn.Linear(2, 1)
    first = None
    for _ in range(200):
        loss = ((model(x) - y) ** 2).mean()
        first = first if first is not None else loss.item()
        for p in model.parameters():
            p.grad = None
        loss.backward()
        for p in model.parameters():
            p.data -= 0.1 * p.grad
    assert loss.item() < 1e-4 < first
    np.testing.assert_allclose(model.weight.detach().numpy(), [[2.0, -1.0]], atol=1e-2)


def test_an_optimizer_step_after_reassigning_data_still_dates_the_change():
    """The optimizer's version shortcut (AccumulateGrad remembers the array) follows p.data."""
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = tg.optim.SGD([p], lr=0.1)
    for _ in range(2):  # the second step uses the remembered entry
        (p * p).sum().backward()
        opt.step()
    p.data = tg.tensor([3.0, 4.0])
    loss = (p * p).sum()  # saves the new array
    p.grad = tg.ones(2)
    opt.step()  # changes it in place
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()
