"""The teaching view (``tg.unfused()``, tinygrad_edu/nn/unfused.py) computes what the fused ops do.

For drawn shapes, dtypes (float32, float64), memory layouts (tests/layouts.py) and settings of
every op it takes apart, the unfused forward equals the fused one, and so do the gradients of
every input and parameter (first derivatives on the engine's array path, and again with
create_graph=True, whose results are then differentiated a second time: Hessian-vector
products, fused against unfused). In-place effects (batch norm's running statistics) are
compared too. A whole training step of an MLP with BatchNorm and cross_entropy gives the same
gradients, running statistics and updated parameters either way.

Values are drawn from a seeded NumPy generator (the seed drawn by Hypothesis): normal logits and
inputs, probabilities kept inside (0.02, 0.98) so binary cross-entropy never clips.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st
from layouts import LAYOUTS, in_layout

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F

DTYPES = (np.float32, np.float64)
TOLERANCE = {np.float32: {"rtol": 3e-4, "atol": 3e-5}, np.float64: {"rtol": 1e-9, "atol": 1e-11}}
REDUCTIONS = ("mean", "sum", "none")

sides = st.integers(1, 4)
seeds = st.integers(0, 2**32 - 1)


class Case:
    """One call: ``fn(*tensors)`` on tensors made from ``arrays`` (float64 values; cast to the
    drawn dtype and laid out in the drawn layout), ``needs_grad[i]`` saying which get a
    gradient."""

    def __init__(self, fn: Callable[..., Any], arrays: list[np.ndarray],
                 needs_grad: list[bool], label: str) -> None:
        self.fn, self.arrays, self.needs_grad, self.label = fn, arrays, needs_grad, label

    def __repr__(self) -> str:
        shapes = [a.shape for a in self.arrays]
        return f"Case({self.label}, shapes={shapes}, needs_grad={self.needs_grad})"


def _run(case: Case, dtype: Any, layout: str, unfused: bool, create_graph: bool
         ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """The output, the gradients of the inputs that need one, the inputs' values after the call
    (running statistics change in place) and -- with create_graph -- the second derivatives
    (the gradient of sum_k <grad_k, u_k> for fixed u_k)."""
    leaves = [tg.Tensor(in_layout(a.astype(dtype), layout), requires_grad=need)
              for a, need in zip(case.arrays, case.needs_grad, strict=True)]
    with tg.unfused() if unfused else contextlib.nullcontext():
        out = case.fn(*leaves)
    after = [leaf.detach().numpy().copy() for leaf in leaves]
    wanted = [leaf for leaf in leaves if leaf.requires_grad]
    rng = np.random.default_rng(7)
    seed = tg.tensor(rng.uniform(-1, 1, out.shape).astype(dtype))
    firsts = tg.autograd.grad(out, wanted, grad_outputs=seed, create_graph=create_graph,
                              allow_unused=True, materialize_grads=True)
    seconds: list[np.ndarray] = []
    if create_graph:
        total = sum((g * tg.tensor(rng.uniform(-1, 1, g.shape).astype(dtype))).sum()
                    for g in firsts if g.requires_grad)
        if isinstance(total, tg.Tensor):
            seconds = [s.numpy() for s in tg.autograd.grad(
                total, wanted, allow_unused=True, materialize_grads=True)]
    return out.detach().numpy(), [g.detach().numpy() for g in firsts], after, seconds


def check(case: Case, dtype: Any, layout: str) -> None:
    """Fused and unfused agree on values, gradients, in-place effects, second derivatives."""
    tol = TOLERANCE[dtype]
    for create_graph in (False, True):
        fused = _run(case, dtype, layout, unfused=False, create_graph=create_graph)
        unfused = _run(case, dtype, layout, unfused=True, create_graph=create_graph)
        assert unfused[0].dtype == fused[0].dtype and unfused[0].shape == fused[0].shape
        for part, (ours, theirs) in zip(("value", "grads", "inputs after", "second derivs"),
                                        zip(fused, unfused, strict=True), strict=True):
            ours_list = [ours] if isinstance(ours, np.ndarray) else ours
            theirs_list = [theirs] if isinstance(theirs, np.ndarray) else theirs
            assert len(ours_list) == len(theirs_list), part
            for a, b in zip(ours_list, theirs_list, strict=True):
                assert a.shape == b.shape, (part, a.shape, b.shape)
                np.testing.assert_allclose(b, a, err_msg=f"{part} ({case})", **tol)


settings_of = {"dtype": st.sampled_from(DTYPES), "layout": st.sampled_from(LAYOUTS)}


def _shape(draw: Any, min_dims: int, max_dims: int) -> tuple[int, ...]:
    return tuple(draw(st.lists(sides, min_size=min_dims, max_size=max_dims)))


# ---------------------------------------------------------------------- linear, softmax

@st.composite
def linear_cases(draw: Any) -> Case:
    rng = np.random.default_rng(draw(seeds))
    batch = _shape(draw, 0, 2)
    n_in, n_out = draw(sides), draw(sides)
    arrays = [rng.normal(size=batch + (n_in,)), rng.normal(size=(n_out, n_in))]
    if draw(st.booleans()):
        arrays.append(rng.normal(size=n_out))
    needs = [draw(st.booleans()), True] + [draw(st.booleans())] * (len(arrays) - 2)
    return Case(F.linear, arrays, needs, "linear")


@st.composite
def softmax_cases(draw: Any) -> Case:
    rng = np.random.default_rng(draw(seeds))
    shape = _shape(draw, 0, 3)
    ndim = max(len(shape), 1)  # a 0-d tensor has dim 0 (or -1)
    dim = draw(st.integers(-ndim, ndim - 1))
    fn = draw(st.sampled_from([F.softmax, F.log_softmax]))
    cast = draw(st.sampled_from([None, None, tg.float64]))
    return Case(lambda x: fn(x, dim, dtype=cast), [rng.normal(0, 3, shape)], [True],
                f"{fn.__name__}(dim={dim}, dtype={cast})")


@given(case=linear_cases(), **settings_of)
def test_linear_matches_fused(case: Case, dtype: Any, layout: str) -> None:
    check(case, dtype, layout)


@given(case=softmax_cases(), **settings_of)
def test_softmax_and_log_softmax_match_fused(case: Case, dtype: Any, layout: str) -> None:
    check(case, dtype, layout)


# ---------------------------------------------------------------------- class losses

def _class_shape(draw: Any) -> tuple[int, ...]:
    ndim = draw(st.sampled_from([1, 2, 2, 3]))
    classes = draw(sides)
    if ndim == 1:
        return (classes,)
    return (draw(sides), classes) + _shape(draw, ndim - 2, ndim - 2)


def _index_target(draw: Any, rng: Any, shape: tuple[int, ...]) -> tuple[tg.Tensor, int]:
    """Class indices for an input of ``shape``, and an ignore_index: PyTorch's default (-100,
    no target equal to it), a class index, or -1 with some targets set to it."""
    classes = shape[0] if len(shape) == 1 else shape[1]
    index_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    target = rng.integers(0, classes, index_shape)
    ignore = draw(st.sampled_from(["none", "class", "outside"]))
    ignore_index = -100
    if ignore == "class":
        ignore_index = draw(st.integers(0, classes - 1))
    elif ignore == "outside":
        ignore_index = -1
        target = np.where(rng.random(index_shape) < 0.4, -1, target)
    kinds = [np.int64, np.int32] + ([np.uint8] if ignore != "outside" else [])
    return tg.tensor(np.asarray(target).astype(draw(st.sampled_from(kinds)))), ignore_index


@st.composite
def cross_entropy_cases(draw: Any) -> Case:
    rng = np.random.default_rng(draw(seeds))
    shape = _class_shape(draw)
    classes = shape[0] if len(shape) == 1 else shape[1]
    class_dim = 0 if len(shape) == 1 else 1
    reduction = draw(st.sampled_from(REDUCTIONS))
    smoothing = draw(st.sampled_from([0.0, 0.0, 0.1, 0.6, 1.0]))
    arrays, needs = [rng.normal(0, 2, shape)], [True]
    weighted = draw(st.booleans())
    if draw(st.booleans()):  # class probabilities (the target and weight may get gradients)
        e = np.exp(rng.normal(size=shape))
        arrays.append(e / e.sum(class_dim, keepdims=True) if draw(st.booleans()) else e)
        needs.append(draw(st.booleans()))
        if weighted:
            arrays.append(rng.uniform(0.2, 2.0, classes))
            needs.append(draw(st.booleans()))

        def fn(x: tg.Tensor, t: tg.Tensor, *w: tg.Tensor) -> tg.Tensor:
            return F.cross_entropy(x, t, weight=w[0] if w else None, reduction=reduction,
                                   label_smoothing=smoothing)
        return Case(fn, arrays, needs, f"cross_entropy(probs, {reduction}, e={smoothing})")
    target, ignore_index = _index_target(draw, rng, shape)
    if weighted:  # a constant for class indices, as in PyTorch
        arrays.append(rng.uniform(0.2, 2.0, classes))
        needs.append(False)

    def indexed(x: tg.Tensor, *w: tg.Tensor) -> tg.Tensor:
        return F.cross_entropy(x, target, weight=w[0] if w else None, ignore_index=ignore_index,
                               reduction=reduction, label_smoothing=smoothing)
    return Case(indexed, arrays, needs,
                f"cross_entropy(indices {target.dtype}, ignore_index={ignore_index}, "
                f"{reduction}, e={smoothing})")


@st.composite
def nll_cases(draw: Any) -> Case:
    rng = np.random.default_rng(draw(seeds))
    shape = _class_shape(draw)
    classes = shape[0] if len(shape) == 1 else shape[1]
    reduction = draw(st.sampled_from(REDUCTIONS))
    target, ignore_index = _index_target(draw, rng, shape)
    arrays, needs = [rng.normal(-1, 1, shape)], [True]
    if draw(st.booleans()):
        arrays.append(rng.uniform(0.2, 2.0, classes))
        needs.append(False)

    def fn(log_p: tg.Tensor, *w: tg.Tensor) -> tg.Tensor:
        return F.nll_loss(log_p, target, weight=w[0] if w else None, ignore_index=ignore_index,
                          reduction=reduction)
    return Case(fn, arrays, needs, f"nll_loss(ignore_index={ignore_index}, {reduction})")


@given(case=cross_entropy_cases(), **settings_of)
def test_cross_entropy_matches_fused(case: Case, dtype: Any, layout: str) -> None:
    check(case, dtype, layout)


@given(case=nll_cases(), **settings_of)
def test_nll_loss_matches_fused(case: Case, dtype: Any, layout: str) -> None:
    check(case, dtype, layout)


# ---------------------------------------------------------------------- pointwise losses

@st.composite
def pointwise_cases(draw: Any) -> Case:
    """mse_loss, l1_loss, binary_cross_entropy and binary_cross_entropy_with_logits, with their
    weights (constants, broadcast from the last dim or of the full shape; mse's and l1's
    weight of the input's shape, differentiable)."""
    rng = np.random.default_rng(draw(seeds))
    shape = _shape(draw, 0, 3)
    reduction = draw(st.sampled_from(REDUCTIONS))
    kind = draw(st.sampled_from(["mse", "l1", "bce", "bce_logits"]))
    target = rng.uniform(0, 1, shape) if draw(st.booleans()) else rng.integers(0, 2, shape) * 1.0
    needs = [True, draw(st.booleans())]

    def const_weight() -> np.ndarray:
        return rng.uniform(0.2, 2.0, shape[-1:] if shape and draw(st.booleans()) else shape)

    if kind in ("mse", "l1"):
        arrays = [rng.normal(size=shape), rng.normal(size=shape)]
        f = F.mse_loss if kind == "mse" else F.l1_loss
        if draw(st.booleans()):
            arrays.append(rng.uniform(0.2, 2.0, shape))
            needs.append(draw(st.booleans()))
        return Case(lambda x, y, *w: f(x, y, reduction=reduction, weight=w[0] if w else None),
                    arrays, needs, f"{kind}({reduction}, weight={len(arrays) == 3})")
    if kind == "bce":
        arrays = [rng.uniform(0.02, 0.98, shape), target]
        if draw(st.booleans()):
            arrays.append(const_weight())
            needs.append(False)
        return Case(lambda p, y, *w: F.binary_cross_entropy(
            p, y, weight=w[0] if w else None, reduction=reduction), arrays, needs,
            f"binary_cross_entropy({reduction}, weight={len(arrays) == 3})")
    arrays = [rng.normal(0, 3, shape), target]
    names = [name for name in ("weight", "pos_weight") if draw(st.booleans())]
    for _ in names:
        arrays.append(const_weight())
        needs.append(False)

    def with_logits(x: tg.Tensor, y: tg.Tensor, *weights: tg.Tensor) -> tg.Tensor:
        return F.binary_cross_entropy_with_logits(x, y, reduction=reduction,
                                                  **dict(zip(names, weights, strict=True)))
    return Case(with_logits, arrays, needs, f"bce_with_logits({reduction}, {names})")


@given(case=pointwise_cases(), **settings_of)
def test_pointwise_losses_match_fused(case: Case, dtype: Any, layout: str) -> None:
    check(case, dtype, layout)


# ---------------------------------------------------------------------- norms

def _affine(draw: Any, rng: Any, shape: tuple[int, ...]) -> tuple[list[np.ndarray], list[str]]:
    names = [name for name in ("weight", "bias") if draw(st.booleans())]
    return [rng.normal(1 if name == "weight" else 0, 0.5, shape) for name in names], names


@st.composite
def batch_norm_cases(draw: Any) -> Case:
    rng = np.random.default_rng(draw(seeds))
    shape = (draw(sides), draw(st.integers(1, 3))) + _shape(draw, 0, 2)
    channels = shape[1]
    training = draw(st.booleans())
    if training:
        assume(shape[0] * int(np.prod(shape[2:])) > 1)
    running = not training or draw(st.booleans())
    momentum = draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))
    eps = draw(st.sampled_from([1e-5, 1e-3, 0.1]))
    arrays = [rng.normal(0.5, 2, shape)]
    if running:
        arrays += [rng.normal(size=channels), rng.uniform(0.5, 2.0, channels)]
    affine, names = _affine(draw, rng, (channels,))
    arrays += affine
    needs = [True] + [False] * (2 * running) + [True] * len(affine)

    def fn(x: tg.Tensor, *rest: tg.Tensor) -> tg.Tensor:
        stats = rest[:2] if running else (None, None)
        kw = dict(zip(names, rest[2 * running:], strict=True))
        return F.batch_norm(x, *stats, training=training, momentum=momentum, eps=eps, **kw)
    return Case(fn, arrays, needs, f"batch_norm(training={training}, running={running}, "
                f"{names}, momentum={momentum}, eps={eps})")


@st.composite
def instance_norm_cases(draw: Any) -> Case:
    rng = np.random.default_rng(draw(seeds))
    shape = (draw(sides), draw(st.integers(1, 3))) + _shape(draw, 1, 2)
    assume(int(np.prod(shape[2:])) > 1)
    channels = shape[1]
    use_input_stats = draw(st.booleans())
    running = not use_input_stats or draw(st.booleans())
    momentum = draw(st.sampled_from([0.1, 0.5]))
    arrays = [rng.normal(0.5, 2, shape)]
    if running:
        arrays += [rng.normal(size=channels), rng.uniform(0.5, 2.0, channels)]
    affine, names = _affine(draw, rng, (channels,))
    arrays += affine
    needs = [True] + [False] * (2 * running) + [True] * len(affine)

    def fn(x: tg.Tensor, *rest: tg.Tensor) -> tg.Tensor:
        stats = rest[:2] if running else (None, None)
        kw = dict(zip(names, rest[2 * running:], strict=True))
        return F.instance_norm(x, *stats, use_input_stats=use_input_stats, momentum=momentum,
                               **kw)
    return Case(fn, arrays, needs, f"instance_norm(use_input_stats={use_input_stats}, "
                f"running={running}, {names})")


@st.composite
def group_norm_cases(draw: Any) -> Case:
    rng = np.random.default_rng(draw(seeds))
    groups = draw(st.integers(1, 3))
    shape = (draw(sides), groups * draw(st.integers(1, 2))) + _shape(draw, 0, 2)
    # more than one value per statistic: over one value, x - mean is 0 exactly here, while the
    # fused node's y = x a - mean a (a = 1 / sqrt(eps)) keeps a rounding error times 316
    assume(shape[1] // groups * int(np.prod(shape[2:])) > 1)
    affine, names = _affine(draw, rng, (shape[1],))
    eps = draw(st.sampled_from([1e-5, 0.1]))

    def fn(x: tg.Tensor, *rest: tg.Tensor) -> tg.Tensor:
        return F.group_norm(x, groups, eps=eps, **dict(zip(names, rest, strict=True)))
    return Case(fn, [rng.normal(0.5, 2, shape)] + affine, [True] * (1 + len(affine)),
                f"group_norm({groups}, {names})")


@st.composite
def layer_norm_cases(draw: Any) -> Case:
    rng = np.random.default_rng(draw(seeds))
    shape = _shape(draw, 1, 3)
    k = draw(st.integers(1, len(shape)))
    assume(int(np.prod(shape[-k:])) > 1)
    affine, names = _affine(draw, rng, shape[-k:])

    def fn(x: tg.Tensor, *rest: tg.Tensor) -> tg.Tensor:
        return F.layer_norm(x, shape[-k:], **dict(zip(names, rest, strict=True)))
    return Case(fn, [rng.normal(0.5, 2, shape)] + affine, [True] * (1 + len(affine)),
                f"layer_norm({shape[-k:]}, {names})")


@given(case=batch_norm_cases(), **settings_of)
def test_batch_norm_matches_fused(case: Case, dtype: Any, layout: str) -> None:
    check(case, dtype, layout)


@given(case=st.one_of(instance_norm_cases(), group_norm_cases(), layer_norm_cases()),
       **settings_of)
def test_instance_group_and_layer_norm_match_fused(case: Case, dtype: Any, layout: str) -> None:
    check(case, dtype, layout)


# ---------------------------------------------------------------------- a whole step

def _mlp(dtype: Any, sizes: tuple[int, int, int], seed: int) -> nn.Module:
    tg.manual_seed(seed)
    n_in, hidden, n_out = sizes
    model = nn.Sequential(nn.Linear(n_in, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                          nn.Linear(hidden, n_out))
    return model.to(tg.float64) if dtype == np.float64 else model


@given(batch=st.integers(2, 6), sizes=st.tuples(sides, sides, st.integers(2, 4)), seed=seeds,
       **settings_of)
def test_mlp_step_with_batch_norm_matches_fused(batch: int, sizes: tuple[int, int, int],
                                                seed: int, dtype: Any, layout: str) -> None:
    """Two SGD steps of Linear-BatchNorm-ReLU-Linear + cross_entropy: the same loss, the same
    gradient of every parameter, the same running statistics and parameters after.

    Batch norm divides by the batch's standard deviation, which multiplies rounding errors by
    1 / std: batches where a hidden unit barely varies (two samples, one input feature) are
    left out, as float32 cannot agree to the tolerance there whichever way it computes."""
    rng = np.random.default_rng(seed)
    x = tg.Tensor(in_layout(rng.normal(size=(batch, sizes[0])).astype(dtype), layout))
    y = tg.tensor(rng.integers(0, sizes[2], batch))
    with tg.no_grad():
        hidden = _mlp(np.float64, sizes, seed % 1000)[0](x.to(tg.float64)).numpy()
    assume(hidden.var(axis=0).min() > 0.05)
    results = []
    for unfused in (False, True):
        model = _mlp(dtype, sizes, seed % 1000)
        opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        record = []
        for _ in range(2):
            opt.zero_grad()
            with tg.unfused() if unfused else contextlib.nullcontext():
                loss = F.cross_entropy(model(x), y)
            loss.backward()
            record.append(loss.item())
            record += [p.grad.numpy().copy() for p in model.parameters()]
            opt.step()
        record += [v.numpy().copy() for v in model.state_dict().values()]
        results.append(record)
    for fused_value, unfused_value in zip(*results, strict=True):
        np.testing.assert_allclose(unfused_value, fused_value, **TOLERANCE[dtype])
