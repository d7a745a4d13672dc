"""First-order ``autograd.grad``, ``backward(inputs=...)``, tensor hooks and module hooks,
against PyTorch where it imports (issue 12's first-order parts)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn

torch = pytest.importorskip("torch")


def _pair(values, requires_grad=True):
    return (tg.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad),
            torch.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad))


def _close(ours, theirs):
    np.testing.assert_allclose(ours.data.numpy() if hasattr(ours, "data") and not isinstance(
        ours, torch.Tensor) else ours, theirs.detach().numpy(), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- autograd.grad


@given(st.lists(st.floats(-3, 3), min_size=1, max_size=5), st.floats(-2, 2))
def test_grad_matches_torch_and_leaves_dot_grad_alone(values, scale):
    x, tx = _pair(values)
    w, tw = _pair([scale])
    y = ((x * w).tanh() * x).sum()
    ty = ((tx * tw).tanh() * tx).sum()
    gx, gw = tg.autograd.grad(y, [x, w])
    tgx, tgw = torch.autograd.grad(ty, [tx, tw])
    _close(gx, tgx)
    _close(gw, tgw)
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad


def test_grad_of_several_outputs_with_grad_outputs_and_a_non_leaf_input():
    a, ta = _pair([1.0, 2.0])
    b, tb = a * 3, ta * 3
    c, tc = (b * b).sum(), (tb * tb).sum()
    weights = np.array([1.0, -1.0])
    ours = tg.autograd.grad([c, b], [a, b], grad_outputs=[None, tg.tensor(weights)])
    theirs = torch.autograd.grad([tc, tb], [ta, tb], grad_outputs=[None, torch.tensor(weights)])
    for o, t in zip(ours, theirs, strict=True):
        _close(o, t)


def test_grad_unused_input_and_errors():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    unused = tg.tensor(3.0, requires_grad=True)
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        tg.autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = tg.autograd.grad(y, [x, unused], allow_unused=True)
    assert gu is None
    np.testing.assert_array_equal(gx.data.numpy(), [2.0, 4.0])
    with pytest.raises(RuntimeError, match="second time"):
        tg.autograd.grad(y, x)  # the first call freed the graph
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.autograd.grad(y, tg.tensor([1.0]))


def test_backward_with_inputs_fills_only_those():
    x, tx = _pair([1.0, 2.0])
    z, tz = _pair([3.0, 4.0])
    h, th = x * z, tx * tz
    h.retain_grad()
    (h * h).sum().backward(inputs=[x, h])
    th.retain_grad()
    (th * th).sum().backward(inputs=[tx, th])
    _close(x.grad, tx.grad)
    _close(h.grad, th.grad)
    assert z.grad is None and tz.grad is None


# --------------------------------------------------------------------------- tensor hooks


def test_tensor_hooks_see_and_replace_gradients_as_in_torch():
    x, tx = _pair([1.0, -2.0, 3.0])
    seen, tseen = [], []
    h, th = x * 2, tx * 2
    handle = h.register_hook(lambda g: seen.append(g.data.numpy().copy()) or g * 10)
    th.register_hook(lambda g: tseen.append(g.detach().numpy().copy()) or g * 10)
    x.register_hook(lambda g: g + 1)
    tx.register_hook(lambda g: g + 1)
    (h * h).sum().backward()
    (th * th).sum().backward()
    np.testing.assert_allclose(seen[0], tseen[0])
    _close(x.grad, tx.grad)  # the leaf's hook ran on its total gradient, before .grad
    handle.remove()
    x.grad = None
    h2 = x * 2
    (h2 * h2).sum().backward()
    assert len(seen) == 1  # removed: not called again


def test_hook_on_a_tensor_used_twice_runs_once_on_the_total():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    x.register_hook(lambda g: calls.append(g.data.numpy().copy()))
    (x * x + x).sum().backward()
    assert len(calls) == 1
    np.testing.assert_array_equal(calls[0], [3.0, 5.0])


def test_register_hook_errors():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tg.tensor([1.0]).register_hook(lambda g: g)
    with pytest.raises(TypeError, match="callable"):
        tg.tensor([1.0], requires_grad=True).register_hook(3)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: tg.ones(3))
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).sum().backward()


# --------------------------------------------------------------------------- module hooks


def _twin_nets():
    tg.manual_seed(0)
    ours = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    with torch.no_grad():
        for key, value in ours.state_dict().items():
            theirs.state_dict()[key].copy_(torch.tensor(np.asarray(value)))
    return ours, theirs


def test_recording_activations_and_gradient_norms_during_training():
    ours, theirs = _twin_nets()
    records: dict[str, list] = {"tg": [], "torch": []}
    for key, net in (("tg", ours), ("torch", theirs)):
        for name, module in net.named_modules():
            if not name:
                continue
            module.register_forward_hook(
                lambda m, args, out, name=name, key=key: records[key].append(
                    ("act", name, float(np.linalg.norm(np.asarray(out.detach()))))))
            module.register_full_backward_hook(
                lambda m, gi, go, name=name, key=key: records[key].append(
                    ("grad", name, None if gi[0] is None else float(np.linalg.norm(
                        np.asarray(gi[0].detach()))), float(np.linalg.norm(
                        np.asarray(go[0].detach()))))))
    rng = np.random.default_rng(1)
    opt = tg.optim.SGD(ours.parameters(), lr=0.1)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.1)
    for _ in range(3):
        x = rng.normal(size=(5, 4)).astype(np.float32)
        y = rng.integers(0, 3, size=5)
        opt.zero_grad()
        F.cross_entropy(ours(tg.tensor(x)), tg.tensor(y)).backward()
        opt.step()
        topt.zero_grad()
        torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y)).backward()
        topt.step()
    assert len(records["tg"]) == len(records["torch"]) == 3 * 6
    for ours_row, theirs_row in zip(records["tg"], records["torch"], strict=True):
        assert ours_row[:2] == theirs_row[:2]
        np.testing.assert_allclose([v for v in ours_row[2:] if v is not None],
                                   [v for v in theirs_row[2:] if v is not None], rtol=1e-5)
        assert (ours_row[2] is None) == (theirs_row[2] is None)


def test_forward_pre_hook_and_forward_hook_replace_and_handles_remove():
    layer = nn.Linear(3, 2)
    x = tg.ones(4, 3)
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    np.testing.assert_allclose(layer(x).data.numpy(), np.broadcast_to(layer.bias.data.numpy(),
                                                                      (4, 2)))
    pre.remove()
    with layer.register_forward_hook(lambda m, args, out: out * 0):
        assert float(layer(x).abs().sum()) == 0.0
    assert float(layer(x).abs().sum()) > 0.0  # removed on leaving the with block


def test_backward_hook_replaces_the_input_gradient():
    layer = nn.Linear(3, 2)
    x = tg.ones(4, 3, requires_grad=True)
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0,))
    layer(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), np.zeros((4, 3)))
    assert layer.weight.grad is not None and float(layer.weight.grad.abs().sum()) > 0


# --------------------------------------------------------------------------- review findings


def test_targets_prune_the_pass_hooks_retain_grad_and_unwanted_leaves():
    x, tx = _pair([1.0, 2.0])
    w, tw = _pair([3.0, 4.0])
    calls = {"tg": [], "torch": []}
    for key, (a, b) in (("tg", (x, w)), ("torch", (tx, tw))):
        b.register_hook(lambda g, key=key: calls[key].append("w"))
        h = a * 2
        h.register_hook(lambda g, key=key: calls[key].append("h"))
        y = h * b
        y.retain_grad()
        (y * y).sum().backward(inputs=[y])  # nothing below y is asked for
    assert calls["tg"] == calls["torch"] == []


def test_retain_grad_with_inputs_and_with_grad():
    x, tx = _pair([1.0, 2.0])
    y, ty = x * 2, tx * 2
    y.retain_grad()
    ty.retain_grad()
    (y * y).sum().backward(inputs=[x])
    (ty * ty).sum().backward(inputs=[tx])
    _close(y.grad, ty.grad)


def test_grad_of_a_non_leaf_input_is_taken_before_its_hooks():
    x, tx = _pair([1.0, 2.0])
    y, ty = x * 3, tx * 3
    y.register_hook(lambda g: g * 10)
    ty.register_hook(lambda g: g * 10)
    for o, t in zip(tg.autograd.grad((y * y).sum(), [y, x]),
                    torch.autograd.grad((ty * ty).sum(), [ty, tx]), strict=True):
        _close(o, t)


def test_module_backward_hook_when_an_input_gets_no_gradient_and_for_identity_modules():
    class Second(nn.Module):
        def forward(self, a, b):
            return b * 2

    class TSecond(torch.nn.Module):
        def forward(self, a, b):
            return b * 2

    class Same(nn.Module):
        def forward(self, a):
            return a

    class TSame(torch.nn.Module):
        def forward(self, a):
            return a

    def record(out):
        return lambda m, gi, go: out.append(
            (tuple(None if g is None else np.asarray(g.detach()).tolist() for g in gi),
             tuple(None if g is None else np.asarray(g.detach()).tolist() for g in go)))

    for ours, theirs, n in ((Second(), TSecond(), 2), (Same(), TSame(), 1)):
        got, want = [], []
        ours.register_full_backward_hook(record(got))
        theirs.register_full_backward_hook(record(want))
        args = [_pair([1.0, 2.0]) for _ in range(n)]
        (ours(*[a for a, _ in args]) * 3).sum().backward()
        (theirs(*[b for _, b in args]) * 3).sum().backward()
        assert got == want


def test_index_and_reduction_corner_cases_match_torch():
    x, tx = _pair(np.arange(6.0).reshape(2, 3).tolist())
    x[tg.tensor(1), [0, 2]].sum().backward()
    tx[torch.tensor(1), [0, 2]].sum().backward()
    _close(x.grad, tx.grad)  # a 0-d int tensor beside a list: the gradient is not lost
    a, ta = _pair(np.linspace(-1, 2, 12).reshape(3, 4).tolist())
    for name in ("sum", "mean", "amax", "var", "std"):
        _close(getattr(a, name)(dim=()), getattr(ta, name)(dim=()))  # () means every dim
    shape = tuple(torch.zeros(2, 3, 4)[0, True, [1, 2]].shape)
    assert tg.zeros(2, 3, 4)[0, True, [1, 2]].shape == shape
    z = tg.zeros(2, 3, 4)
    z[0, :, [1, 2]] = tg.ones(3, 2)  # assignment uses the same index rule as reading
    tz = torch.zeros(2, 3, 4)
    tz[0, :, [1, 2]] = torch.ones(3, 2)
    np.testing.assert_array_equal(z.data.numpy(), tz.numpy())


def test_dtype_corner_cases_match_torch():
    pairs = [
        (tg.tensor([0, 5]).clamp(1, 3), torch.tensor([0, 5]).clamp(1, 3)),
        (tg.tensor([0, 2]).clamp(0.5, 1.5), torch.tensor([0, 2]).clamp(0.5, 1.5)),
        (tg.where(tg.tensor([True, False]), 1, 2), torch.where(torch.tensor([True, False]), 1, 2)),
        (tg.tensor([1], dtype=tg.uint8) + 300, torch.tensor([1], dtype=torch.uint8) + 300),
        (tg.arange(0, 1, 0.1), torch.arange(0, 1, 0.1)),
    ]
    for ours, theirs in pairs:
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.data.numpy(), theirs.numpy())
    with pytest.raises(OverflowError):
        tg.tensor([2**63])
    with pytest.raises(RuntimeError, match="can't be cast"):
        tg.tensor([0, 5]).clamp_(0.5)


def test_grad_takes_any_iterable_of_inputs_and_names_a_non_tensor():
    layer = nn.Linear(3, 2)
    loss = layer(tg.ones(4, 3)).sum()
    grads = tg.autograd.grad(loss, layer.parameters())
    assert [g.shape for g in grads] == [(2, 3), (2,)]
    with pytest.raises(TypeError, match="must be a Tensor, got int"):
        tg.autograd.grad(layer(tg.ones(4, 3)).sum(), [3])


def test_a_hook_may_not_change_the_dtype():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g.double())
    with pytest.raises(RuntimeError, match="changed the type"):
        (x * 2).sum().backward()
