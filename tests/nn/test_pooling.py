"""Pooling (max, average, adaptive; 1-d and 2-d; functional and modules) against PyTorch.

Hypothesis draws shapes (odd sides, unbatched inputs, empty batches), every option (strides
larger than the kernel, padding, dilation, ceil_mode, count_include_pad, divisor_override,
adaptive sizes that do not divide the input, None entries), values with ties, NaN and +-inf,
float32 and float64 and every memory layout of tests/layouts.py; values, indices (exact),
dtypes and gradients must match PyTorch. Then: the tie rules spelled out, gradcheck in
float64, the fast tiled max pool against the general path, integer inputs (accepted and
refused as PyTorch does), errors, and the modules. Second derivatives: test_pooling_higher.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from layouts import LAYOUTS, in_layout

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu.gradcheck import gradcheck
from tinygrad_edu.ops import pool as P

torch = pytest.importorskip("torch", reason="PyTorch is the oracle of the pooling tests")
tF = torch.nn.functional

TOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 2e-6}


def values(shape: tuple[int, ...], mode: str, seed: int, dtype: Any) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if mode == "smooth":
        a = rng.standard_normal(shape)
    else:
        a = rng.choice([-1.0, 0.0, 0.0, 0.5, 2.0], size=shape)
        if mode == "special":
            a = np.where(rng.random(shape) < 0.2, rng.choice([np.nan, np.inf, -np.inf], shape),
                         a)
    return a.astype(dtype)


def run(lib: Any, fn: str, x: np.ndarray, cotangent: np.ndarray | None, layout: str = "C",
        **kw: Any) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(output, indices or None, gradient of sum(out * cotangent) or None) of one pooling
    call in PyTorch (``lib`` is tF) or here (``F``)."""
    grad = x.dtype.kind == "f"
    if lib is tF:
        t = torch.from_numpy(np.ascontiguousarray(x)).requires_grad_(grad)
    else:
        t = tg.Tensor(in_layout(x, layout), requires_grad=grad)
    out = getattr(lib, fn)(t, **kw)
    index = None
    if isinstance(out, tuple):
        out, index = out[0], out[1].numpy()
        assert str(index.dtype) == "int64"
    d = None
    if grad and cotangent is not None:
        g = torch.from_numpy(cotangent) if lib is tF else tg.tensor(cotangent)
        out.backward(g)
        d = t.grad.numpy() if t.grad is not None else np.zeros_like(x)
    return np.array(out.detach().numpy()), index, None if d is None else np.array(d)


def compare(fn: str, x: np.ndarray, layout: str = "C", zero_out: Any = None, **kw: Any) -> None:
    """Ours against PyTorch: shapes, dtypes, values (NaN where PyTorch has NaN), indices and
    gradients. ``zero_out(out)`` marks outputs whose cotangent is set to 0 in both."""
    ref, _, _ = run(tF, fn, x, None, **kw)
    rng = np.random.default_rng(x.size)
    v = rng.standard_normal(ref.shape).astype(x.dtype) if x.dtype.kind == "f" else None
    if v is not None and zero_out is not None:
        v[zero_out(ref)] = 0
    try:
        ref, ref_index, ref_grad = run(tF, fn, x, v, **kw)
    except RuntimeError as e:  # PyTorch's adaptive pools refuse to backpropagate an empty
        assert ref.size == 0 and "non-zero size" in str(e)  # output: ours gives zeros
        ref, ref_index, ref_grad = *run(tF, fn, x, None, **kw)[:2], np.zeros_like(x)
    out, index, grad = run(F, fn, x, v, layout, **kw)
    assert out.shape == ref.shape and out.dtype == ref.dtype, (out.shape, out.dtype, ref.shape)
    tol = TOL.get(x.dtype, 0)
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)
    if ref_index is not None:
        np.testing.assert_array_equal(index, ref_index)
    if ref_grad is not None:
        np.testing.assert_allclose(grad, ref_grad, rtol=tol, atol=tol, err_msg="gradient")
        assert grad.dtype == x.dtype


def empty_windows(n: int, k: int, s: int, p: int, d: int, ceil: bool) -> bool:
    """True if some window along this dim holds no input element (dilation jumps over it)."""
    o = P.pooled_size(n, k, s, p, d, ceil)
    return any(not any(0 <= i * s - p + t * d < n for t in range(k)) for i in range(o))


# ---------------------------------------------------------------------- drawn cases


@st.composite
def window_case(draw: Any, spatial: int, kind: str) -> tuple[np.ndarray, dict[str, Any], str]:
    sizes = [draw(st.integers(1, 7)) for _ in range(spatial)]
    lead = [draw(st.integers(1, 3))]  # C, and N (sometimes 0) unless unbatched
    if draw(st.booleans()):
        lead.insert(0, draw(st.sampled_from([0, 1, 1, 2])))
    kernel = [draw(st.integers(1, 3)) for _ in range(spatial)]
    tiled = draw(st.integers(0, 3)) == 0  # the fast path: stride = kernel, nothing else
    stride = None if tiled or draw(st.booleans()) else [draw(st.integers(1, 4))
                                                        for _ in range(spatial)]
    padding = [0 if tiled else draw(st.integers(0, k // 2)) for k in kernel]
    dilation = [1 if tiled or kind == "avg" else draw(st.integers(1, 3)) for _ in kernel]
    ceil = draw(st.booleans())
    steps = stride or kernel
    assume(all(P.pooled_size(n, k, s, p, d, ceil) >= 1 for n, k, s, p, d in
               zip(sizes, kernel, steps, padding, dilation, strict=True)))
    x = values(tuple(lead + sizes), draw(st.sampled_from(["smooth", "ties", "special"])),
               draw(st.integers(0, 2**16)), draw(st.sampled_from([np.float32, np.float64])))

    def form(v: list[int]) -> Any:  # an int when it can be, sometimes
        return v[0] if len(set(v)) == 1 and draw(st.booleans()) else tuple(v)

    kw: dict[str, Any] = {"kernel_size": form(kernel), "ceil_mode": ceil}
    if stride is not None:
        kw["stride"] = form(stride)
    if any(padding) or draw(st.booleans()):
        kw["padding"] = form(padding)
    if kind == "max" and (any(d > 1 for d in dilation) or draw(st.booleans())):
        kw["dilation"] = form(dilation)
    return x, kw, draw(st.sampled_from(LAYOUTS))


@given(window_case(2, "max"), st.booleans())
def test_max_pool2d_matches_pytorch(case: Any, indices: bool) -> None:
    x, kw, layout = case
    compare("max_pool2d", x, layout, zero_out=lambda out: out == -np.inf,
            return_indices=indices, **kw)


@given(window_case(1, "max"), st.booleans())
def test_max_pool1d_matches_pytorch(case: Any, indices: bool) -> None:
    x, kw, layout = case
    compare("max_pool1d", x, layout, zero_out=lambda out: out == -np.inf,
            return_indices=indices, **kw)


@given(window_case(2, "avg"), st.booleans(), st.sampled_from([None, 1, 3, -2]))
def test_avg_pool2d_matches_pytorch(case: Any, count_include_pad: bool,
                                    divisor: int | None) -> None:
    x, kw, layout = case
    compare("avg_pool2d", x, layout, count_include_pad=count_include_pad,
            divisor_override=divisor, **kw)


@given(window_case(1, "avg"), st.booleans())
def test_avg_pool1d_matches_pytorch(case: Any, count_include_pad: bool) -> None:
    x, kw, layout = case
    compare("avg_pool1d", x, layout, count_include_pad=count_include_pad, **kw)


@st.composite
def adaptive_case(draw: Any, spatial: int) -> tuple[np.ndarray, Any, str]:
    sizes = [draw(st.integers(1, 7)) for _ in range(spatial)]
    lead = [draw(st.sampled_from([0, 1, 2])), draw(st.integers(1, 3))][
        draw(st.integers(0, 1)):]
    out = [draw(st.sampled_from([None, 0, 1, 2, 3, 5, 8])) if spatial == 2 else
           draw(st.sampled_from([0, 1, 2, 3, 5, 8])) for _ in range(spatial)]
    x = values(tuple(lead + sizes), draw(st.sampled_from(["smooth", "ties", "special"])),
               draw(st.integers(0, 2**16)), draw(st.sampled_from([np.float32, np.float64])))
    size = out[0] if len(set(out)) == 1 and out[0] is not None and draw(st.booleans()) else (
        tuple(out) if draw(st.booleans()) else list(out))
    return x, size, draw(st.sampled_from(LAYOUTS))


@given(adaptive_case(2))
def test_adaptive_avg_pool2d_matches_pytorch(case: Any) -> None:
    x, size, layout = case
    compare("adaptive_avg_pool2d", x, layout, output_size=size)


@given(adaptive_case(1))
def test_adaptive_avg_pool1d_matches_pytorch(case: Any) -> None:
    x, size, layout = case
    compare("adaptive_avg_pool1d", x, layout, output_size=size)


@given(adaptive_case(2), st.booleans())
def test_adaptive_max_pool2d_matches_pytorch(case: Any, indices: bool) -> None:
    x, size, layout = case
    assume(x.ndim == 3 or x.shape[1] > 0)  # PyTorch refuses C = 0 here (tested below)
    compare("adaptive_max_pool2d", x, layout, output_size=size, return_indices=indices)


@given(adaptive_case(1), st.booleans())
def test_adaptive_max_pool1d_matches_pytorch(case: Any, indices: bool) -> None:
    x, size, layout = case
    assume(x.ndim == 2 or x.shape[1] > 0)
    compare("adaptive_max_pool1d", x, layout, output_size=size, return_indices=indices)


@given(window_case(2, "max"), st.integers(0, 2**16))
def test_results_are_the_same_bits_in_every_layout(case: Any, seed: int) -> None:
    x, kw, _ = case
    v = np.random.default_rng(seed).standard_normal(run(F, "max_pool2d", x, None, **kw)[0].shape)
    first = run(F, "max_pool2d", x, v.astype(x.dtype), "C", return_indices=True, **kw)
    kw_avg = {k: v for k, v in kw.items() if k != "dilation"}
    avg = run(F, "avg_pool2d", x, None, "C", **kw_avg)[0]
    for layout in LAYOUTS[1:]:
        other = run(F, "max_pool2d", x, v.astype(x.dtype), layout, return_indices=True, **kw)
        for a, b in zip(first, other, strict=True):
            np.testing.assert_array_equal(b, a, err_msg=layout)
        np.testing.assert_array_equal(run(F, "avg_pool2d", x, None, layout, **kw_avg)[0], avg)


# ---------------------------------------------------------------------- tie rules, spelled out


@pytest.mark.parametrize("kw", [{}, {"stride": 1}, {"padding": 1}])
def test_tied_window_gives_its_gradient_to_the_first_maximum(kw: dict[str, Any]) -> None:
    x = np.array([[[[1.0, 2.0, 2.0], [2.0, 0.0, 2.0], [2.0, 2.0, 1.0]]]])
    compare("max_pool2d", x, return_indices=True, kernel_size=2, **kw)
    out, index, grad = run(F, "max_pool2d", x, np.ones((1, 1, 1, 1)), kernel_size=2,
                           return_indices=True)
    assert index.item() == 1 and grad[0, 0].tolist()[0] == [0, 1, 0]


@pytest.mark.parametrize("kernel,stride", [(2, None), (2, 1), (3, 2)])
def test_nan_is_the_max_and_the_last_nan_of_a_window_gets_the_gradient(kernel: int,
                                                                        stride: Any) -> None:
    x = np.array([[[[1.0, np.nan, 3.0, 0.0], [np.nan, 5.0, np.nan, 2.0],
                    [0.0, 1.0, 2.0, np.nan], [4.0, np.nan, 1.0, 1.0]]]])
    compare("max_pool2d", x, return_indices=True, kernel_size=kernel, stride=stride)
    out, index, _ = run(F, "max_pool2d", x, None, kernel_size=2, return_indices=True)
    assert np.isnan(out).all() and index[0, 0, 0, 0] == 4  # (1, 0): the later of two NaNs


def test_all_minus_inf_window_with_padding_indexes_its_first_element() -> None:
    x = np.full((1, 1, 2, 2), -np.inf)
    compare("max_pool2d", x, return_indices=True, kernel_size=2, padding=1)
    compare("adaptive_max_pool2d", x, return_indices=True, output_size=1)


def test_a_window_the_dilation_jumps_over_is_minus_inf_and_passes_no_gradient() -> None:
    """The documented difference: PyTorch's index of such a window points past its row (at
    x[1, 0] here), and its backward adds the window's gradient there."""
    x = np.array([[[[3.0, 4.0], [5.0, 6.0]]]])
    kw = {"kernel_size": (1, 2), "stride": 1, "padding": (0, 1), "dilation": (1, 3)}
    out, index, grad = run(F, "max_pool2d", x, np.ones((1, 1, 2, 1)), return_indices=True, **kw)
    ref, ref_index, ref_grad = run(tF, "max_pool2d", x, np.ones((1, 1, 2, 1)),
                                   return_indices=True, **kw)
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(index, ref_index)  # PyTorch's (meaningless) indices
    assert (out == -np.inf).all() and not grad.any() and ref_grad[0, 0, 1, 0] == 1


def test_overlapping_windows_add_their_gradients() -> None:
    x = np.array([[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]])
    _, _, grad = run(F, "max_pool2d", x, np.ones((1, 1, 2, 2)), kernel_size=2, stride=1)
    assert grad[0, 0, 1, 1] == 4 and grad.sum() == 4
    compare("avg_pool2d", x, kernel_size=2, stride=1)


# ---------------------------------------------------------------------- gradcheck, fast path


def _distinct(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Values 0.1 apart at least (a random order): finite differences stay off the ties."""
    rng = np.random.default_rng(seed)
    return (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1
            + rng.uniform(-0.02, 0.02, shape))


@pytest.mark.parametrize("fn,kw", [
    (F.max_pool2d, {"kernel_size": 2}),
    (F.max_pool2d, {"kernel_size": (3, 2), "stride": (2, 1), "padding": 1, "dilation": (1, 2),
                    "ceil_mode": True}),
    (F.max_pool1d, {"kernel_size": 3, "stride": 2, "padding": 1}),
    (F.avg_pool2d, {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
                    "count_include_pad": False}),
    (F.avg_pool2d, {"kernel_size": 2, "divisor_override": 3}),
    (F.avg_pool1d, {"kernel_size": 2, "stride": 1}),
    (F.adaptive_avg_pool2d, {"output_size": (3, 2)}),
    (F.adaptive_avg_pool1d, {"output_size": 4}),
    (F.adaptive_max_pool2d, {"output_size": (2, 3)}),
    (F.adaptive_max_pool1d, {"output_size": 3}),
])
def test_gradcheck(fn: Any, kw: dict[str, Any]) -> None:
    shape = (2, 2, 5) if "1d" in fn.__name__ else (2, 2, 5, 4)
    x = tg.Tensor(_distinct(shape, 0), requires_grad=True)
    assert gradcheck(lambda t: fn(t, **kw), x)


def test_gradcheck_catches_a_wrong_backward(monkeypatch: Any) -> None:
    """The negative control: a gradient sent to the wrong slot fails."""
    real = P.MaxPoolTiled.array_backward
    monkeypatch.setattr(P.MaxPoolTiled, "array_backward",
                        staticmethod(lambda ctx, g: np.roll(real(ctx, g), 1, axis=-1)))
    x = tg.Tensor(_distinct((1, 1, 4, 4), 1), requires_grad=True)
    assert not gradcheck(lambda t: F.max_pool2d(t, 2), x, raise_exception=False)


def test_the_cnn_case_takes_the_tiled_op_and_the_rest_the_general_one() -> None:
    x = tg.Tensor(np.zeros((2, 3, 4, 6), np.float32), requires_grad=True)
    assert F.max_pool2d(x, 2).grad_fn.name() == "MaxPoolTiledBackward0"
    assert F.max_pool2d(x, 2, ceil_mode=True).grad_fn.name() == "MaxPoolTiledBackward0"
    assert F.max_pool2d(x, (2, 3)).grad_fn.name() == "MaxPoolTiledBackward0"
    assert F.max_pool2d(x, 2, 1).grad_fn.name() == "PlaneGatherBackward0"
    assert F.max_pool2d(x, 2, padding=1).grad_fn.name() == "PlaneGatherBackward0"
    assert F.max_pool2d(x[..., :5], 2, ceil_mode=True).grad_fn.name() == "PlaneGatherBackward0"


@given(st.tuples(st.integers(0, 2), st.integers(1, 3), st.integers(1, 7), st.integers(1, 7)),
       st.integers(1, 3), st.integers(1, 3), st.sampled_from(["smooth", "ties", "special"]),
       st.sampled_from(LAYOUTS), st.integers(0, 2**16))
def test_tiled_op_equals_the_general_path_and_its_recorded_backward(
        shape: tuple[int, ...], kh: int, kw: int, mode: str, layout: str, seed: int) -> None:
    """MaxPoolTiled's array backward (the floats' bits) = its recorded backward (PlaneScatter
    at its winners) = the general path's (PyTorch's scan and PlaneGather), on every value."""
    assume(shape[2] >= kh and shape[3] >= kw)
    for dtype in (np.float32, np.float64):
        x = in_layout(values(shape, mode, seed, dtype), layout)
        v = values((shape[0], shape[1], shape[2] // kh, shape[3] // kw), mode, seed + 1, dtype)
        out = P.MaxPoolTiled.apply(tg.Tensor(x, requires_grad=True), kernel=(kh, kw))
        node = out.grad_fn
        fast = node.array_backward(node, v)
        recorded = node.backward(node, tg.tensor(v)).numpy()
        index, empty = P.max_pool_index(x, (kh, kw), (kh, kw), (0, 0), (1, 1), False)
        general = P.PlaneGather.apply(tg.Tensor(x, requires_grad=True), index=index,
                                      empty=empty, fill=-np.inf, unique=True)
        np.testing.assert_array_equal(out.detach().numpy(), general.detach().numpy())
        np.testing.assert_array_equal(P.tiled_index(x, out.detach().numpy(), (kh, kw)), index)
        reference = general.grad_fn.backward(general.grad_fn, v)
        np.testing.assert_array_equal(fast, reference)
        np.testing.assert_array_equal(recorded, reference)
        assert fast.dtype == dtype


# ---------------------------------------------------------------------- integers and dtypes


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8])
@pytest.mark.parametrize("kw", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 1,
                                                     "padding": 1}])
def test_integer_max_pool2d_as_pytorch(dtype: Any, kw: dict[str, Any]) -> None:
    x = np.random.default_rng(3).integers(0, 100, (2, 2, 5, 5)).astype(dtype)
    compare("max_pool2d", x, return_indices=True, **kw)
    compare("max_pool1d", x[0], return_indices=True, **kw)


@pytest.mark.parametrize("kw", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2,
                                                     "padding": 1, "ceil_mode": True},
                                {"kernel_size": 2, "divisor_override": -3}])
def test_int64_avg_pool_divides_with_truncation_as_pytorch(kw: dict[str, Any]) -> None:
    x = np.random.default_rng(4).integers(-50, 50, (2, 2, 5, 5)).astype(np.int64)
    compare("avg_pool2d", x, **kw)
    if "divisor_override" not in kw:
        compare("avg_pool1d", x[0], **{k: v for k, v in kw.items()})


REFUSED = [  # (function, dtype, kwargs): PyTorch raises for these integer (or bool) inputs
    ("max_pool2d", np.bool_, {"kernel_size": 2}),
    ("max_pool1d", np.int64, {"kernel_size": 2}),
    ("avg_pool2d", np.int32, {"kernel_size": 2}),
    ("avg_pool2d", np.uint8, {"kernel_size": 2}),
    ("avg_pool1d", np.int16, {"kernel_size": 2}),
    ("adaptive_avg_pool2d", np.int64, {"output_size": 1}),
    ("adaptive_avg_pool1d", np.int32, {"output_size": 1}),
    ("adaptive_max_pool2d", np.int64, {"output_size": 1}),
    ("adaptive_max_pool1d", np.uint8, {"output_size": 1}),
]


@pytest.mark.parametrize("fn,dtype,kw", REFUSED)
def test_integer_inputs_pytorch_refuses_are_refused(fn: str, dtype: Any,
                                                    kw: dict[str, Any]) -> None:
    x = np.ones((1, 2, 4) if "1d" in fn else (1, 2, 4, 4), dtype)
    with pytest.raises(RuntimeError) as theirs:
        getattr(tF, fn)(torch.from_numpy(x), **kw)
    with pytest.raises(type(theirs.value), match="implemented for|dtype"):
        getattr(F, fn)(tg.tensor(x), **kw)
