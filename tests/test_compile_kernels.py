"""tg.compile's kernels (``_compile_kernels``) against the ops they write out: drawn steps of
Linear, ReLU, Sigmoid, MSELoss and CrossEntropy, on float32 and float64, every memory layout
of the data and both layouts of the weights, replayed compiled and run eagerly from the same
weights: losses, gradients and weights must be bit-identical call after call. The same
programs check that a kernel was written where its case fits and that the other cases (a
strided batch for MSELoss, momentum for SGD) take the op itself, as exactly."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from layouts import LAYOUTS, in_layout

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim

CALLS = 5


@st.composite
def programs(draw):
    return {
        "dtype": draw(st.sampled_from([np.float32, np.float64])),
        "rows": draw(st.integers(1, 9)),
        "inputs": draw(st.integers(1, 5)),
        "hidden": draw(st.integers(1, 10)),
        "classes": draw(st.integers(1, 11)),  # below and above sum_rows' BLAS threshold
        "x_layout": draw(st.sampled_from(LAYOUTS)),
        "y_layout": draw(st.sampled_from(LAYOUTS)),
        "weight_order": draw(st.sampled_from(["F", "C"])),  # nn.Linear's own is F
        "x_grad": draw(st.booleans()),
        "activation": draw(st.sampled_from(["relu", "sigmoid", "none"])),
        "two_layers": draw(st.booleans()),
        "loss": draw(st.sampled_from(["ce", "mse", "both", "act_of_param"])),
        "zero_grad": draw(st.booleans()),
        "momentum": draw(st.sampled_from([0.0, 0.0, 0.9])),
        "seed": draw(st.integers(0, 2**16)),
    }


def _build(p):
    """The drawn step with its own weights and data (the same for both builds)."""
    rng = np.random.default_rng(p["seed"])
    dtype, rows = p["dtype"], p["rows"]
    tg.manual_seed(p["seed"])
    sizes = [p["inputs"], p["hidden"], p["classes"]] if p["two_layers"] else \
        [p["inputs"], p["classes"]]
    layers = []
    for a, b in zip(sizes, sizes[1:], strict=False):
        layer = nn.Linear(a, b, dtype=dtype)
        if p["weight_order"] == "C":
            row_major = np.ascontiguousarray(layer.weight.detach().numpy())
            layer.weight = nn.Parameter(tg.tensor(row_major))
        layers.append(layer)
    act = {"relu": F.relu, "sigmoid": F.sigmoid, "none": lambda t: t}[p["activation"]]
    x = tg.from_numpy(in_layout(rng.standard_normal((rows, p["inputs"])).astype(dtype) * 2,
                                p["x_layout"])).requires_grad_(p["x_grad"])  # (views kept)
    labels = tg.tensor(rng.integers(0, p["classes"], rows))
    target = tg.from_numpy(in_layout(rng.random((rows, p["classes"])).astype(dtype),
                                     p["y_layout"]))
    free = nn.Parameter(tg.tensor(rng.standard_normal((rows, p["classes"])).astype(dtype)))
    params = [q for layer in layers for q in layer.parameters()] + [free]
    opt = optim.SGD(params, lr=0.1, momentum=p["momentum"])

    def forward():
        h = x
        for k, layer in enumerate(layers):
            h = layer(h)
            if k < len(layers) - 1 or p["loss"] == "mse":
                h = act(h)
        return h

    def step():
        if p["zero_grad"]:
            opt.zero_grad()
        if p["loss"] == "act_of_param":  # the activation's gradient goes to a leaf
            loss = F.mse_loss(act(free), target) + F.cross_entropy(forward(), labels)
        else:
            out = forward()
            loss = F.cross_entropy(out, labels) if p["loss"] == "ce" else F.mse_loss(out, target)
            if p["loss"] == "both":
                loss = loss + F.mse_loss(out, target)
        loss.backward()
        opt.step()
        return loss

    return params, x, step


def _state(params, x):
    arrays = [q.detach().numpy().copy() for q in params]
    grads = [None if q.grad is None else q.grad.numpy().copy() for q in [*params, x]]
    return arrays, grads


def _same(a, b):
    assert (a is None) == (b is None)
    if a is not None:
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


@settings(max_examples=60, deadline=None)
@given(programs())
def test_compiled_kernels_are_bit_identical_to_the_ops(p):
    params_a, x_a, eager = _build(p)
    params_b, x_b, step = _build(p)
    compiled = tg.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback to eager
        for _ in range(CALLS):
            la, lb = eager(), compiled()
            assert la.detach().numpy().tobytes() == lb.detach().numpy().tobytes()
            for (wa, ga), (wb, gb) in zip([_state(params_a, x_a)], [_state(params_b, x_b)],
                                          strict=True):
                for u, v in zip(wa + ga, wb + gb, strict=True):
                    _same(u, v)
    assert compiled.replay_count == CALLS - 2
    source = compiled.tape.source
    assert source is not None and ("out=buf_linear" in source or "linear_" in source)
    if p["momentum"] == 0:
        assert "subtract(" in source and "lr_times_grad" in source  # SGD written out
    if p["loss"] in ("ce", "both", "act_of_param"):
        assert "CrossEntropy_forward" not in source  # its kernel
    if p["activation"] != "none" and (p["two_layers"] or p["loss"] in ("mse", "both")):
        name = "ReLU" if p["activation"] == "relu" else "Sigmoid"
        assert f"{name}_forward" not in source


def _program(**changes):
    """A fixed program: a two-layer ReLU net, cross-entropy, plain SGD, with ``changes``."""
    return {"dtype": np.float32, "rows": 4, "inputs": 3, "hidden": 5, "classes": 3,
            "x_layout": "C", "y_layout": "C", "weight_order": "F", "x_grad": False,
            "activation": "relu", "two_layers": True, "loss": "ce", "zero_grad": True,
            "momentum": 0.0, "seed": 0, **changes}


def test_a_case_no_kernel_fits_takes_the_op_itself():
    """MSELoss on a strided target and SGD with momentum: the ops' own code, as exact."""
    p = _program(y_layout="strided", activation="sigmoid", loss="mse", momentum=0.9, seed=1)
    params_a, x_a, eager = _build(p)
    params_b, x_b, step = _build(p)
    compiled = tg.compile(step)
    for _ in range(CALLS):
        assert eager().detach().numpy().tobytes() == compiled().detach().numpy().tobytes()
    source = compiled.tape.source
    assert "MSELoss_forward" in source and "Sigmoid_forward" not in source
    for u, v in zip(_state(params_a, x_a)[0], _state(params_b, x_b)[0], strict=True):
        np.testing.assert_array_equal(u, v)


def test_hyperparameters_and_a_new_batch_array_change_under_a_replay():
    """SGD's momentum switched on between calls leaves the written-out update; a batch whose
    array is replaced (``x.data = ...``) by one of another layout is a changed guard."""
    p = _program(dtype=np.float64, rows=6, inputs=4, hidden=7, classes=9, seed=2)
    params_a, x_a, eager = _build(p)
    params_b, x_b, step = _build(p)
    compiled = tg.compile(step)
    rng = np.random.default_rng(0)
    for call in range(10):
        if call == 4:
            for opt_owner in (eager, step):
                opt = dict(zip(opt_owner.__code__.co_freevars,
                               (c.cell_contents for c in opt_owner.__closure__),
                               strict=True))["opt"]
                opt.param_groups[0]["momentum"] = 0.5
        if call == 6:
            new = rng.standard_normal((6, 4))
            x_a.data = tg.tensor(np.asfortranarray(new))
            x_b.data = tg.tensor(np.asfortranarray(new))
        assert eager().detach().numpy().tobytes() == compiled().detach().numpy().tobytes()
        for u, v in zip(_state(params_a, x_a)[0], _state(params_b, x_b)[0], strict=True):
            np.testing.assert_array_equal(u, v)
    assert compiled.trace_count == 4  # the F-ordered batch traced again
