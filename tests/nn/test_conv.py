"""Convolutions, transposed convolutions, unfold and fold against PyTorch.

Hypothesis draws the shapes and options (odd sizes, stride larger than the kernel, padding,
'same'/'valid', dilation, groups including depthwise, no bias, unbatched inputs, empty
batches), the dtype (float32 stays float32) and the memory layout of every input
(tests/layouts.py); values and the gradients of input, weight and bias must match
``torch.nn.functional``. The same results must come out bit for bit in every layout.
Gradients are checked by finite differences (gradcheck, float64), second derivatives
(create_graph, with the mixed x-W terms and the derivative in the incoming gradient) against
PyTorch, and the recorded backward against the default one.
Modules (repr, init, state dicts, padding modes, output_size) are in test_conv_modules.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from layouts import LAYOUTS, in_layout

import tinygrad_edu as tg
from tinygrad_edu import gradcheck
from tinygrad_edu.nn import functional as F

torch = pytest.importorskip("torch", reason="PyTorch is the oracle of these tests")
tF = torch.nn.functional

TOL = {np.float64: (1e-10, 1e-11), np.float32: (2e-4, 2e-5)}


# ---------------------------------------------------------------------- drawn problems


def _form(draw: Any, values: tuple[int, ...]) -> Any:
    """An int when every dim has the same value (sometimes), else the tuple."""
    if len(set(values)) == 1 and draw(st.booleans()):
        return values[0]
    return values


@st.composite
def conv_cases(draw: Any, nd: int | None = None) -> dict[str, Any]:
    nd = draw(st.sampled_from([1, 2])) if nd is None else nd
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    depthwise = groups > 1 and draw(st.booleans())
    cin = groups * (1 if depthwise else draw(st.integers(1, 2)))
    cout = groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    kind = draw(st.sampled_from(["int", "tuple", "same", "valid"]))
    stride = (1,) * nd if kind == "same" else tuple(draw(st.integers(1, 4)) for _ in range(nd))
    reach = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    if kind in ("int", "tuple"):
        pads = tuple(draw(st.integers(0, 2)) for _ in range(nd))
        if kind == "int":
            pads = (pads[0],) * nd
        padding: Any = _form(draw, pads)
        totals = [2 * p for p in pads]
    else:
        padding = kind
        totals = [r - 1 for r in reach] if kind == "same" else [0] * nd
    spatial = tuple(draw(st.integers(max(1, r - t), 7)) for r, t in zip(reach, totals,
                                                                          strict=True))
    batch = draw(st.sampled_from([1, 2, 3, 0, None]))  # None: unbatched
    lead = () if batch is None else (batch,)
    return {"nd": nd, "x": lead + (cin,) + spatial, "w": (cout, cin // groups) + kernel,
            "bias": draw(st.booleans()), "dtype": draw(st.sampled_from([np.float64, np.float32])),
            "layouts": (draw(st.sampled_from(LAYOUTS)), draw(st.sampled_from(LAYOUTS)),
                        draw(st.sampled_from(LAYOUTS))),
            "kw": {"stride": _form(draw, stride), "padding": padding,
                   "dilation": _form(draw, dilation), "groups": groups},
            "seed": draw(st.integers(0, 2**16))}


@st.composite
def transpose_cases(draw: Any, nd: int | None = None) -> dict[str, Any]:
    nd = draw(st.sampled_from([1, 2])) if nd is None else nd
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    extra = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation,
                                                                      strict=True))
    pad = tuple(draw(st.integers(0, 2)) for _ in range(nd))
    spatial = tuple(draw(st.integers(1, 5)) for _ in range(nd))
    out = [(i - 1) * s - 2 * p + d * (k - 1) + e + 1 for i, s, p, d, k, e
           in zip(spatial, stride, pad, dilation, kernel, extra, strict=True)]
    assume(min(out) >= 1)
    batch = draw(st.sampled_from([1, 2, 0, None]))
    lead = () if batch is None else (batch,)
    return {"nd": nd, "x": lead + (cin,) + spatial, "w": (cin, cout // groups) + kernel,
            "bias": draw(st.booleans()), "dtype": draw(st.sampled_from([np.float64, np.float32])),
            "layouts": (draw(st.sampled_from(LAYOUTS)), draw(st.sampled_from(LAYOUTS)),
                        draw(st.sampled_from(LAYOUTS))),
            "kw": {"stride": _form(draw, stride), "padding": _form(draw, pad),
                   "output_padding": _form(draw, extra), "groups": groups,
                   "dilation": _form(draw, dilation)},
            "seed": draw(st.integers(0, 2**16))}


@st.composite
def window_cases(draw: Any) -> dict[str, Any]:
    """unfold of (N, C, H, W) or fold back to it: kernel, dilation, padding, stride."""
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(2))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(2))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(2))
    stride = tuple(draw(st.integers(1, 4)) for _ in range(2))
    reach = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    spatial = tuple(draw(st.integers(max(1, r - 2 * p), 6)) for r, p in zip(reach, padding,
                                                                             strict=True))
    blocks = [(n + 2 * p - r) // s + 1 for n, p, r, s in zip(spatial, padding, reach, stride,
                                                             strict=True)]
    batch = draw(st.sampled_from([1, 2, 0, None]))
    lead = () if batch is None else (batch,)
    c = draw(st.integers(1, 3))
    return {"image": lead + (c,) + spatial,
            "cols": lead + (c * kernel[0] * kernel[1], blocks[0] * blocks[1]),
            "size": _form(draw, spatial), "dtype": draw(st.sampled_from([np.float64, np.float32])),
            "layout": draw(st.sampled_from(LAYOUTS)),
            "kw": {"kernel_size": _form(draw, kernel), "dilation": _form(draw, dilation),
                   "padding": _form(draw, padding), "stride": _form(draw, stride)},
            "seed": draw(st.integers(0, 2**16))}


# ---------------------------------------------------------------------- running both


def _bias_size(case: dict[str, Any], transposed: bool) -> int:
    return case["w"][1] * case["kw"]["groups"] if transposed else case["w"][0]


def _inputs(case: dict[str, Any], transposed: bool = False) -> list[np.ndarray]:
    rng = np.random.default_rng(case["seed"])
    arrays = [rng.normal(size=case["x"]), rng.normal(size=case["w"])]
    if case["bias"]:
        arrays.append(rng.normal(size=(_bias_size(case, transposed),)))
    return [a.astype(case["dtype"]) for a in arrays]


def _run(lib: str, fn_name: str, arrays: list[np.ndarray], layouts: tuple[str, ...], kw: dict,
         v_seed: int) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """The output and the gradient of every input for the cotangent drawn from ``v_seed``."""
    if lib == "torch":
        leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
        out = getattr(tF, fn_name)(*leaves, **kw)
        v = np.random.default_rng(v_seed).normal(size=tuple(out.shape)).astype(arrays[0].dtype)
        out.backward(torch.from_numpy(v))
        return out.detach().numpy(), [t.grad.numpy() for t in leaves]
    tleaves = [tg.Tensor(in_layout(a, lay), requires_grad=True)
               for a, lay in zip(arrays, layouts, strict=False)]
    tout = getattr(F, fn_name)(*tleaves, **kw)
    v = np.random.default_rng(v_seed).normal(size=tout.shape).astype(arrays[0].dtype)
    tout.backward(v)
    return (np.array(tout.detach().numpy()),
            [None if t.grad is None else np.array(t.grad.numpy()) for t in tleaves])


def _compare(case: dict[str, Any], fn_name: str, arrays: list[np.ndarray], kw: dict) -> None:
    dtype = case["dtype"]
    rtol, atol = TOL[dtype]
    theirs, their_grads = _run("torch", fn_name, arrays, (), kw, case["seed"] + 1)
    ours, our_grads = _run("tg", fn_name, arrays, case["layouts"], kw, case["seed"] + 1)
    assert ours.shape == theirs.shape and ours.dtype == dtype
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)
    for k, (a, b) in enumerate(zip(our_grads, their_grads, strict=True)):
        assert a is not None and a.dtype == dtype and a.shape == b.shape, k
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"grad of input {k}")


# ---------------------------------------------------------------------- parity


@given(conv_cases())
def test_conv_values_and_gradients_match_pytorch(case: dict[str, Any]) -> None:
    _compare(case, f"conv{case['nd']}d", _inputs(case), case["kw"])


@given(transpose_cases())
def test_conv_transpose_values_and_gradients_match_pytorch(case: dict[str, Any]) -> None:
    _compare(case, f"conv_transpose{case['nd']}d", _inputs(case, transposed=True), case["kw"])


@given(window_cases())
def test_unfold_and_fold_match_pytorch(case: dict[str, Any]) -> None:
    rng = np.random.default_rng(case["seed"])
    image = rng.normal(size=case["image"]).astype(case["dtype"])
    cols = rng.normal(size=case["cols"]).astype(case["dtype"])
    c = dict(case, layouts=(case["layout"],))
    _compare(c, "unfold", [image], case["kw"])
    _compare(c, "fold", [cols], dict(case["kw"], output_size=case["size"]))


@given(conv_cases(nd=2), transpose_cases(nd=2), window_cases())
@settings(max_examples=20)
def test_every_layout_gives_the_same_bits(conv: dict[str, Any], transpose: dict[str, Any],
                                          window: dict[str, Any]) -> None:
    """The GEMM operands are always C-ordered copies or views: results and gradients in every
    memory layout of the inputs are bit-identical to the C-ordered run."""
    rng = np.random.default_rng(window["seed"])
    problems = [("conv2d", _inputs(conv), conv["kw"], conv["seed"]),
                ("conv_transpose2d", _inputs(transpose, True), transpose["kw"],
                 transpose["seed"]),
                ("unfold", [rng.normal(size=window["image"])], window["kw"], window["seed"]),
                ("fold", [rng.normal(size=window["cols"])],
                 dict(window["kw"], output_size=window["size"]), window["seed"])]
    for name, arrays, kw, seed in problems:
        base, base_grads = _run("tg", name, arrays, ("C",) * 3, kw, seed)
        for layout in LAYOUTS[1:]:
            out, grads = _run("tg", name, arrays, (layout,) * 3, kw, seed)
            np.testing.assert_array_equal(out, base, err_msg=f"{name} {layout}")
            for a, b in zip(grads, base_grads, strict=True):
                np.testing.assert_array_equal(a, b, err_msg=f"{name} {layout} grad")


def test_the_output_is_a_channel_first_view_and_float32_stays_float32() -> None:
    """The GEMM writes (OC, N L): the (N, OC, H, W) result is a view of it (no copy), and a
    float32 problem computes in float32 throughout."""
    x = tg.Tensor(np.ones((2, 3, 5, 5), np.float32), requires_grad=True)
    w = tg.Tensor(np.ones((4, 3, 3, 3), np.float32), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    assert y.dtype == np.float32 and y.shape == (2, 4, 5, 5)
    strides = y.data.numpy().strides
    assert strides[1] > strides[0]  # channel-first memory
    y.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    assert w.grad.numpy().flags.c_contiguous


# ---------------------------------------------------------------------- finite differences


def _leaves(arrays: list[np.ndarray]) -> list[tg.Tensor]:
    return [tg.Tensor(a.astype(np.float64), requires_grad=True) for a in arrays]


@given(conv_cases(), transpose_cases(), window_cases())
@settings(max_examples=12)
def test_gradcheck_float64(conv: dict[str, Any], transpose: dict[str, Any],
                           window: dict[str, Any]) -> None:
    assume(conv["x"][0] != 0 if len(conv["x"]) == conv["nd"] + 2 else True)
    name = f"conv{conv['nd']}d"
    gradcheck(lambda *t: getattr(F, name)(*t, **conv["kw"]), *_leaves(_inputs(conv)))
    name = f"conv_transpose{transpose['nd']}d"
    gradcheck(lambda *t: getattr(F, name)(*t, **transpose["kw"]),
              *_leaves(_inputs(transpose, True)))
    rng = np.random.default_rng(window["seed"])
    gradcheck(lambda t: F.unfold(t, **window["kw"]), *_leaves([rng.normal(size=window["image"])]))
    gradcheck(lambda t: F.fold(t, window["size"], **window["kw"]),
              *_leaves([rng.normal(size=window["cols"])]))


def test_gradcheck_catches_a_wrong_weight_gradient() -> None:
    """The negative control: gradcheck fails on a conv whose weight gradient is off."""
    x, w = _leaves([np.random.default_rng(0).normal(size=(1, 2, 4, 4)),
                    np.random.default_rng(1).normal(size=(3, 2, 2, 2))])
    assert gradcheck(lambda a, b: F.conv2d(a, b * 1.0), x, w)
    assert not gradcheck(lambda a, b: F.conv2d(a, _wrong_grad(b)), x, w, raise_exception=False)


class _Doubled(tg.autograd.Function):
    """Identity forward, gradient doubled (a planted bug)."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray) -> np.ndarray:
        return a.copy()

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad * 2.0


def _wrong_grad(t: tg.Tensor) -> tg.Tensor:
    return _Doubled.apply(t)


# ---------------------------------------------------------------------- second derivatives


def _second(lib: str, fn: Any, arrays: list[np.ndarray], v: np.ndarray,
            weights: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """First derivatives vjp(fn, v) with create_graph, then d sum_k(w_k first_k) /
    d(inputs..., v): holds the mixed terms d(grad_x)/dW and d(grad_W)/dx."""
    if lib == "torch":
        leaves = [torch.tensor(a, requires_grad=True) for a in [*arrays, v]]
        firsts = torch.autograd.grad(fn(tF, *leaves[:-1]), leaves[:-1], leaves[-1],
                                     create_graph=True)
        total = sum((g * torch.from_numpy(w)).sum() for g, w in zip(firsts, weights,
                                                                     strict=True))
        seconds = torch.autograd.grad(total, leaves, allow_unused=True)
        return ([g.detach().numpy() for g in firsts],
                [np.zeros_like(a) if s is None else s.detach().numpy()
                 for a, s in zip([*arrays, v], seconds, strict=True)])
    tleaves = [tg.Tensor(a, requires_grad=True) for a in [*arrays, v]]
    tfirsts = tg.autograd.grad(fn(F, *tleaves[:-1]), tleaves[:-1], tleaves[-1],
                               create_graph=True)
    assert all(g.grad_fn is not None for g in tfirsts)  # recorded
    ttotal = sum((g * tg.tensor(w)).sum() for g, w in zip(tfirsts, weights, strict=True))
    tseconds = tg.autograd.grad(ttotal, tleaves, allow_unused=True)
    return ([np.array(g.detach().numpy()) for g in tfirsts],
            [np.zeros_like(a) if s is None else np.array(s.numpy())
             for a, s in zip([*arrays, v], tseconds, strict=True)])


def _second_matches(fn: Any, arrays: list[np.ndarray], seed: int) -> None:
    rng = np.random.default_rng(seed)
    out = fn(tF, *[torch.from_numpy(a) for a in arrays])
    v = rng.normal(size=tuple(out.shape))
    weights = [rng.normal(size=a.shape) for a in arrays]
    theirs = _second("torch", fn, arrays, v, weights)
    ours = _second("tg", fn, arrays, v, weights)
    for mine, ref in zip(ours[0] + ours[1], theirs[0] + theirs[1], strict=True):
        np.testing.assert_allclose(mine, ref, rtol=1e-9, atol=1e-10)


@given(conv_cases(), transpose_cases(), window_cases())
@settings(max_examples=25)
def test_second_derivatives_match_pytorch(conv: dict[str, Any], transpose: dict[str, Any],
                                          window: dict[str, Any]) -> None:
    conv_name, t_name = f"conv{conv['nd']}d", f"conv_transpose{transpose['nd']}d"
    arrays = [a.astype(np.float64) for a in _inputs(conv)]
    _second_matches(lambda L, *t: getattr(L, conv_name)(*t, **conv["kw"]) ** 2, arrays,
                    conv["seed"])  # squared: the x-x and W-W terms are not 0 either
    _second_matches(lambda L, *t: getattr(L, conv_name)(*t, **conv["kw"]), arrays,
                    conv["seed"])  # bilinear: only the mixed terms and the one in v
    arrays = [a.astype(np.float64) for a in _inputs(transpose, True)]
    _second_matches(lambda L, *t: getattr(L, t_name)(*t, **transpose["kw"]) ** 2, arrays,
                    transpose["seed"])
    rng = np.random.default_rng(window["seed"])
    _second_matches(lambda L, t: L.unfold(t, **window["kw"]) ** 2,
                    [rng.normal(size=window["image"])], window["seed"])
    _second_matches(lambda L, t: L.fold(t, window["size"], **window["kw"]) ** 2,
                    [rng.normal(size=window["cols"])], window["seed"])


@given(conv_cases(), transpose_cases())
@settings(max_examples=20)
def test_the_recorded_backward_equals_the_default_one(conv: dict[str, Any],
                                                      transpose: dict[str, Any]) -> None:
    """Under create_graph the backward runs on Tensors (unfold(x) recomputed, sums as Tensor
    ops); it must give the default path's gradients."""
    for case, name, transposed in ((conv, f"conv{conv['nd']}d", False),
                                   (transpose, f"conv_transpose{transpose['nd']}d", True)):
        arrays = [a.astype(np.float64) for a in _inputs(case, transposed)]
        results = []
        for create in (False, True):
            leaves = _leaves(arrays)
            out = getattr(F, name)(*leaves, **case["kw"])
            v = np.random.default_rng(case["seed"]).normal(size=out.shape)
            grads = tg.autograd.grad(out, leaves, tg.tensor(v), create_graph=create)
            results.append([np.array(g.detach().numpy()) for g in grads])
        for a, b in zip(*results, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_a_third_derivative_is_recorded_too() -> None:
    """d^3/dx dW dx of sum(conv(x, W)^2 v): every backward is recorded again."""
    rng = np.random.default_rng(3)
    x_np, w_np = rng.normal(size=(1, 2, 4, 4)), rng.normal(size=(2, 2, 2, 2))
    results = []
    for lib, mk in ((F, lambda a: tg.Tensor(a, requires_grad=True)),
                    (tF, lambda a: torch.tensor(a, requires_grad=True))):
        auto = tg.autograd if lib is F else torch.autograd
        x, w = mk(x_np), mk(w_np)
        y = lib.conv2d(x, w, padding=1) ** 2
        (gx,) = auto.grad(y.sum(), [x], create_graph=True)
        (gw,) = auto.grad((gx * gx).sum(), [w], create_graph=True)
        (gxx,) = auto.grad(gw.sum(), [x])
        results.append(np.array(gxx.detach().numpy()))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-9, atol=1e-10)


# ---------------------------------------------------------------------- argument errors


X2 = np.zeros((2, 3, 5, 5), np.float32)
W2 = np.zeros((4, 3, 3, 3), np.float32)
BAD_CALLS = [
    ("channels", lambda: F.conv2d(tg.tensor(np.zeros((2, 2, 5, 5), np.float32)), tg.tensor(W2)),
     RuntimeError, "expected input[2, 2, 5, 5] to have 3 channels, but got 2"),
    ("groups divide weight", lambda: F.conv2d(tg.tensor(X2), tg.tensor(W2[:3]), groups=2),
     RuntimeError, "divisible by 2 at dimension 0"),
    ("groups split channels", lambda: F.conv2d(tg.tensor(X2), tg.tensor(W2[:, :1]), groups=2),
     RuntimeError, "to have 2 channels, but got 3"),
    ("groups 0", lambda: F.conv2d(tg.tensor(X2), tg.tensor(W2), groups=0), RuntimeError,
     "non-positive groups"),
    ("stride 0", lambda: F.conv2d(tg.tensor(X2), tg.tensor(W2), stride=0), RuntimeError,
     "non-positive stride"),
    ("stride -1", lambda: F.conv1d(tg.tensor(X2[0]), tg.tensor(W2[..., 0]), stride=-1),
     RuntimeError, "non-positive stride"),
    ("dilation 0", lambda: F.conv2d(tg.tensor(X2), tg.tensor(W2), dilation=(1, 0)),
     RuntimeError, "non-positive dilation"),
    ("negative padding", lambda: F.conv2d(tg.tensor(X2), tg.tensor(W2), padding=-1),
     RuntimeError, "negative padding"),
    ("kernel too big", lambda: F.conv2d(tg.tensor(X2[:, :, :2, :2]), tg.tensor(W2)),
     RuntimeError, "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3)"),
    ("dilated kernel too big", lambda: F.conv2d(tg.tensor(X2), tg.tensor(W2), dilation=3),
     RuntimeError, "Kernel size: (7 x 7)"),
    ("same with stride", lambda: F.conv2d(tg.tensor(X2), tg.tensor(W2), padding="same",
                                          stride=2), RuntimeError, "strided convolutions"),
    ("padding string", lambda: F.conv2d(tg.tensor(X2), tg.tensor(W2), padding="full"),
     RuntimeError, "Invalid padding string: 'full'"),
    ("integer input", lambda: F.conv2d(tg.tensor(np.zeros((2, 3, 5, 5), np.int64)),
                                       tg.tensor(W2)), RuntimeError, "floating point input"),
    ("mixed dtypes", lambda: F.conv2d(tg.tensor(X2.astype(np.float64)), tg.tensor(W2)),
     RuntimeError, "same dtype, got input float64, weight float32"),
    ("input rank", lambda: F.conv2d(tg.tensor(X2[0, 0]), tg.tensor(W2)), RuntimeError,
     "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [5, 5]"),
    ("weight rank", lambda: F.conv2d(tg.tensor(X2), tg.tensor(W2[0])), RuntimeError,
     "expected a 4-D weight"),
    ("stride length", lambda: F.conv2d(tg.tensor(X2), tg.tensor(W2), stride=(1, 1, 1)),
     RuntimeError, "a list of 2 values"),
    ("float stride", lambda: F.conv2d(tg.tensor(X2), tg.tensor(W2), stride=1.5), TypeError,
     "'stride' must be an int"),
    ("bias size", lambda: F.conv2d(tg.tensor(X2), tg.tensor(W2), tg.tensor(np.zeros(3,
                                                                          np.float32))),
     RuntimeError, "expected bias to be 1-dimensional with 4 elements"),
    ("no weight", lambda: F.conv2d(tg.tensor(X2), W2), TypeError, "must be a Tensor"),
    ("transpose channels", lambda: F.conv_transpose2d(tg.tensor(X2), tg.tensor(W2[:2])),
     RuntimeError, "Given transposed=1, weight of size [2, 3, 3, 3]"),
    ("output padding", lambda: F.conv_transpose2d(tg.tensor(X2), tg.tensor(W2[:3]), stride=2,
                                                  output_padding=2),
     RuntimeError, "output padding must be smaller than either stride or dilation"),
    ("output too small", lambda: F.conv_transpose2d(tg.tensor(X2[:, :, :2, :2]),
                                                    tg.tensor(W2[:3, :, :1, :1]), padding=2),
     RuntimeError, "Output size is too small"),
    ("transpose padding string", lambda: F.conv_transpose2d(tg.tensor(X2), tg.tensor(W2[:3]),
                                                            padding="same"),
     TypeError, "must be tuple of ints"),
    ("unfold blocks", lambda: F.unfold(tg.tensor(X2[:, :, :2, :2]), 3), RuntimeError,
     "calculated shape of the array of sliding blocks as (0, 0)"),
    ("unfold stride", lambda: F.unfold(tg.tensor(X2), 2, stride=0), RuntimeError,
     "stride should be greater than zero"),
    ("unfold kernel pair", lambda: F.unfold(tg.tensor(X2), (2, 2, 2)), RuntimeError,
     "kernel_size equals to 2"),
    ("unfold rank", lambda: F.unfold(tg.tensor(X2[0, 0]), 2), RuntimeError, "3-D (unbatched)"),
    ("fold blocks", lambda: F.fold(tg.tensor(np.zeros((1, 12, 10))), (5, 5), 2), RuntimeError,
     "calculated number of sliding blocks 4 * 4 = 16, but got input.size(2)=10"),
    ("fold channels", lambda: F.fold(tg.tensor(np.zeros((1, 10, 16))), (5, 5), 2),
     RuntimeError, "divisible by the product of kernel_size"),
    ("fold rank", lambda: F.fold(tg.tensor(np.zeros((1, 2, 10, 16))), (5, 5), 2), RuntimeError,
     "Expected 2D or 3D"),
]


@pytest.mark.parametrize("name, call, kind, text", BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
def test_bad_arguments_raise_clear_errors(name: str, call: Any, kind: type, text: str) -> None:
    with pytest.raises(kind) as info:
        call()
    assert text in str(info.value)


@pytest.mark.parametrize("name", ["conv2d", "conv_transpose2d"])
@pytest.mark.parametrize("wanted", [(True, False, False), (False, True, False),
                                    (False, False, True), (True, False, True)])
def test_only_the_gradients_asked_for(name: str, wanted: tuple[bool, bool, bool]) -> None:
    """A frozen weight, an input without grad, a bias alone: the others stay None and the
    asked ones equal PyTorch's."""
    rng = np.random.default_rng(5)
    w_shape = (4, 3, 2, 3) if name == "conv2d" else (3, 4, 2, 3)
    arrays = [rng.normal(size=(2, 3, 5, 4)), rng.normal(size=w_shape), rng.normal(size=(4,))]
    kw = {"stride": 2, "padding": 1}
    ours = [tg.Tensor(a, requires_grad=r) for a, r in zip(arrays, wanted, strict=True)]
    theirs = [torch.tensor(a, requires_grad=r) for a, r in zip(arrays, wanted, strict=True)]
    getattr(F, name)(*ours, **kw).square().sum().backward()
    getattr(tF, name)(*theirs, **kw).square().sum().backward()
    for a, b, r in zip(ours, theirs, wanted, strict=True):
        assert (a.grad is None) == (not r)
        if r:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_a_transposed_convolution_to_an_empty_output_is_empty_as_pytorch():
    """Output size 0 (not negative) is an empty result in PyTorch's float32 path, and here in
    every dtype (found by the long fuzz run, where this raised; PyTorch's float64 path raises
    instead)."""
    x = np.random.default_rng(0).normal(size=(2, 1, 2)).astype(np.float32)
    w = np.random.default_rng(1).normal(size=(1, 2, 1)).astype(np.float32)
    ours = tg.tensor(x, requires_grad=True)
    out = F.conv_transpose1d(ours, tg.tensor(w), padding=1, dilation=2)
    theirs = torch.nn.functional.conv_transpose1d(torch.tensor(x), torch.tensor(w), padding=1,
                                                  dilation=2)
    assert out.shape == tuple(theirs.shape) == (2, 2, 0)
    out.sum().backward()
    assert ours.grad.shape == x.shape and not ours.grad.numpy().any()
