"""tg.compile's guards against what a user changes between calls: every change below is made
to an eager twin and to the compiled step's model alike, and the two must stay bit-identical
(the compiled one tracing again where a guard changed). The regressions of a review of the
module-change counter and the kernels, each one a case that once replayed a stale tape."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim

CALLS = 7
CHANGE_AT = 4  # calls 0 and 1 trace, 2 and 3 replay, then the change


class Scaled(nn.Module):
    slope = 0.01  # a class attribute the forward reads (until the instance sets its own)

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        self.extra = nn.ModuleList([nn.Identity()])
        self.named = nn.ModuleDict({"a": nn.Identity()})
        self.register_buffer("scale", tg.ones(3))

    def forward(self, x):
        h = self.body(x)
        for layer in self.extra:  # a ModuleList never runs itself
            h = layer(h)
        for layer in self.named.values():
            h = layer(h)
        return F.leaky_relu(h * self.scale, self.slope)


def _twins(loss="ce"):
    """Two identical models and steps; the second compiled."""
    made = []
    for _ in range(2):
        tg.manual_seed(0)
        model = Scaled()
        opt = optim.SGD(model.parameters(), lr=0.1)
        x = tg.tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
        y = tg.tensor(np.array([0, 2, 2, 0, 2]))  # no 1: ignore_index=1 ignores nothing yet

        def step(model=model, opt=opt, x=x, y=y):
            opt.zero_grad()
            out = model(x)
            if loss == "ce":
                value = F.cross_entropy(out, y, ignore_index=1)
            else:  # the prediction second: the first input needs no gradient
                value = F.mse_loss(tg.zeros(5, 3), out)
            value.backward()
            opt.step()
            return value

        made.append((model, opt, x, y, step))
    return made[0], made[1], made[0][-1], tg.compile(made[1][-1])


def _new_layer():
    tg.manual_seed(5)
    return nn.Linear(8, 3)


CHANGES = {
    "Sequential[2] = layer": lambda m: m.body.__setitem__(2, _new_layer()),
    "del Sequential[1]": lambda m: m.body.__delitem__(1),
    "Sequential.insert": lambda m: m.body.insert(2, nn.Tanh()),
    "Sequential.add_module": lambda m: m.body.add_module("3", nn.Tanh()),
    "ModuleList[0] = layer": lambda m: m.extra.__setitem__(0, nn.Tanh()),
    "ModuleList.append": lambda m: m.extra.append(nn.Tanh()),
    "ModuleDict[k] = layer": lambda m: m.named.__setitem__("a", nn.Sigmoid()),
    "a buffer reassigned": lambda m: setattr(m, "scale", tg.full((3,), 5.0)),
    "a class attribute shadowed": lambda m: setattr(m, "slope", 0.9),
    "a parameter's data replaced": lambda m: setattr(m.body[0].weight, "data",
                                                     tg.zeros(8, 4)),
    "requires_grad_(False)": lambda m: m.body[0].bias.requires_grad_(False),
    "a hook replaced by another": None,  # below: it needs the handle
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_between_calls_is_seen(change):
    (ma, *_), (mb, *_), eager, compiled = _twins()
    handles = [m.body[0].register_forward_hook(lambda mod, args, out: out * 2)
               for m in (ma, mb)]
    for call in range(CALLS):
        if call == CHANGE_AT:
            for m, h in zip((ma, mb), handles, strict=True):
                if CHANGES[change] is None:
                    h.remove()
                    m.body[0].register_forward_hook(lambda mod, args, out: out * 3)
                else:
                    CHANGES[change](m)
        a, b = eager().detach().numpy(), compiled().detach().numpy()
        assert a.tobytes() == b.tobytes(), (call, a, b)
    assert compiled.replay_count >= 2 and compiled.trace_count >= 4  # traced again
    for (n1, p1), (n2, p2) in zip(ma.state_dict().items(), mb.state_dict().items(),
                                  strict=True):
        assert n1 == n2
        np.testing.assert_array_equal(np.asarray(p1), np.asarray(p2))


def test_targets_changed_under_the_tape_are_checked_as_eager_checks_them():
    """In place (an ignored class, then out of range) and by a new array (`.data =`): an
    ignored target falls back to eager, an out-of-range one raises IndexError there and
    leaves `.grad` as eager leaves it (zero_grad has run)."""
    (ma, oa, _, ya, _), (mb, ob, _, yb, _), eager, compiled = _twins()
    for _ in range(4):
        assert eager().detach().numpy().tobytes() == compiled().detach().numpy().tobytes()
    for y in (ya, yb):
        y.data = tg.tensor(np.array([0, 2, 3, 0, 2]))  # 3: out of range for 3 classes
    for run in (eager, compiled):
        with pytest.raises(IndexError, match="out of range"):
            run()
    assert ma.body[0].weight.grad is None and mb.body[0].weight.grad is None
    for y in (ya, yb):
        y.data = tg.tensor(np.array([0, 2, -4, 0, 2]))
    for run in (eager, compiled):
        with pytest.raises(IndexError, match="out of range"):
            run()
    for y in (ya, yb):
        y.data = tg.tensor(np.array([2, 2, 0, 0, 2]))  # valid again: a replay
    assert eager().detach().numpy().tobytes() == compiled().detach().numpy().tobytes()
    for y in (ya, yb):
        y._data[:] = [1, 1, 2, 0, 1]  # ignore_index=1 now appears: eager from here on
    with pytest.warns(RuntimeWarning, match="ignore_index"):
        b = compiled().detach().numpy()
    assert eager().detach().numpy().tobytes() == b.tobytes()


def test_the_target_of_mse_loss_needing_no_gradient_is_left_alone():
    """mse_loss(constant, prediction): the first input needs no gradient (a kernel once
    handed it one)."""
    _, _, eager, compiled = _twins(loss="mse")
    for _ in range(CALLS):
        assert eager().detach().numpy().tobytes() == compiled().detach().numpy().tobytes()
    assert compiled.replay_count == CALLS - 2


@pytest.mark.parametrize("dtype", [np.int8, np.int16])
def test_narrow_signed_targets_out_of_range_raise(dtype):
    """A negative int8 target viewed as uint8 (-57 reads 199) is below 200 classes: the
    check takes the min and the max for such types."""
    logits = tg.zeros(2, 200 if dtype == np.int8 else 40000, requires_grad=True)
    with pytest.raises(IndexError, match="-57 is out of range"):
        F.cross_entropy(logits, tg.tensor(np.array([3, -57], dtype=dtype)))


def test_an_array_argument_changed_in_place_traces_again():
    """A NumPy argument is a value of the key (tg.tensor(w) copies it into the tape)."""
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((8, 3)).astype(np.float32))
    y = tg.tensor(rng.integers(0, 2, 8))

    def make():
        tg.manual_seed(0)
        m = nn.Linear(3, 2)
        opt = optim.SGD(m.parameters(), lr=0.1)

        def step(x, y, w):
            opt.zero_grad()
            loss = F.cross_entropy(m(x), y) * tg.tensor(w)
            loss.backward()
            opt.step()
            return loss

        return step

    eager, compiled = make(), tg.compile(make())
    w = np.array(1.0, np.float32)
    for i in range(6):
        w[...] = 1.0 if i < 4 else 1.0 + i
        assert eager(x, y, w).item() == compiled(x, y, w).item()
    assert compiled.replay_count == 2 and compiled.trace_count == 4
