"""``tg.autograd.functional`` against ``torch.autograd.functional``: the same functions (written
once, for either library) at the same float64 points give the same values, the same nesting of
tuples, the same detaching, the same strict-mode and bad-``v`` errors; with
``create_graph=True`` the results are differentiable and their gradients match too."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as tgF
from tinygrad_edu.autograd import functional as AF

torch = pytest.importorskip("torch")
TF = torch.autograd.functional


def _F(t):
    """The nn.functional of the library ``t`` belongs to."""
    return tgF if isinstance(t, tg.Tensor) else torch.nn.functional


# Functions written once: Tensor methods and F.* have the same names in both libraries.
def scalar(x):
    return (x.tanh() * x).sum()


def vector(x):
    return x.sigmoid() * x.exp() - x / (x * x + 1)


def two_in_two_out(x, y):
    return (x * y).tanh(), (x * x).sum(0) + y.sigmoid()


def two_in_scalar(x, y):
    return (x.tanh() * y).sum() + (y**3).sum() + ((x * x + 1).log() * y.sqrt()).mean()


def same_shape_pair(x, z):  # tuple in, tuple out, no reduction and no broadcasting
    return (x * z).tanh(), (x * x + z.sigmoid()).reshape(3, 2)


def same_shape_scalar(x, z):
    return ((x.tanh() * z + z**3) * x.sigmoid()).sum()



X = np.random.default_rng(0).standard_normal((2, 3))
Y = np.random.default_rng(1).uniform(0.5, 2.0, 3)
V23 = np.random.default_rng(2).standard_normal((2, 3))
V3 = np.random.default_rng(3).standard_normal(3)
Z = np.random.default_rng(6).uniform(0.5, 2.0, (2, 3))
V32 = np.random.default_rng(7).standard_normal((3, 2))


def ours(*arrays):
    return tuple(tg.tensor(a) for a in arrays)


def theirs(*arrays):
    return tuple(torch.tensor(a) for a in arrays)


def single(values):
    return values[0] if len(values) == 1 else values


def assert_same(a, b, rtol=1e-10, atol=1e-12):
    """Same nesting (tuple or Tensor), values, shapes and requires_grad."""
    if isinstance(b, (tuple, list)):
        assert isinstance(a, tuple), f"expected a tuple, got {type(a).__name__}"
        assert len(a) == len(b)
        for p, q in zip(a, b, strict=True):
            assert_same(p, q, rtol, atol)
        return
    assert isinstance(a, tg.Tensor), f"expected a Tensor, got {type(a).__name__}"
    assert a.shape == tuple(b.shape) and a.requires_grad == b.requires_grad
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol)


# name -> (function, inputs, v) for the four products
CASES = {
    "vjp": [(scalar, (X,), None), (vector, (X,), (V23,)),
            (two_in_two_out, (X, Y), (V23, V3)), (same_shape_pair, (X, Z), (V23, V32))],
    "jvp": [(vector, (X,), (V23,)), (two_in_two_out, (X, Y), (V23, V3)),
            (lambda x: (x * x).sum(), (np.array([0.7]),), None),
            (same_shape_pair, (X, Z), (V23, V23))],
    "vhp": [(scalar, (X,), (V23,)), (two_in_scalar, (X, Y), (V23, V3)),
            (lambda x: (x**4).sum(), (np.array(0.7),), None),
            (same_shape_scalar, (X, Z), (V23, V23))],
    "hvp": [(scalar, (X,), (V23,)), (two_in_scalar, (X, Y), (V23, V3)),
            (lambda x: (x**4).sum(), (np.array(0.7),), None),
            (same_shape_scalar, (X, Z), (V23, V23))],
}
PRODUCTS = [(name, k) for name, cases in CASES.items() for k in range(len(cases))]
# create_graph=True on a jvp or hvp is a third derivative (through sum(dim), a broadcast, a sum)


@pytest.mark.parametrize("name, k", PRODUCTS)
def test_products_match_torch(name, k):
    f, inputs, v = CASES[name][k]
    got = getattr(AF, name)(f, single(ours(*inputs)), None if v is None else single(ours(*v)))
    want = getattr(TF, name)(f, single(theirs(*inputs)),
                             None if v is None else single(theirs(*v)))
    assert isinstance(got, tuple) and len(got) == 2
    assert_same(got, want)  # outputs and products detached (requires_grad False) in both


@pytest.mark.parametrize("name, k", PRODUCTS)
def test_products_with_create_graph_are_differentiable_as_torch(name, k):
    f, inputs, v = CASES[name][k]
    xs = tuple(t.requires_grad_() for t in ours(*inputs))
    xts = tuple(t.requires_grad_() for t in theirs(*inputs))
    vs = None if v is None else single(ours(*v))
    vts = None if v is None else single(theirs(*v))
    out, res = getattr(AF, name)(f, single(xs), vs, create_graph=True)
    out_t, res_t = getattr(TF, name)(f, single(xts), vts, create_graph=True)
    assert_same((out, res), (out_t, res_t))
    res, res_t = (res if isinstance(res, tuple) else (res,)), (
        res_t if isinstance(res_t, tuple) else (res_t,))
    loss = sum(((r * r).sum() for r in res), start=tg.tensor(0.0))
    loss_t = sum(((r * r).sum() for r in res_t), start=torch.tensor(0.0, dtype=torch.float64))
    grads = tg.autograd.grad(loss, xs, allow_unused=True, materialize_grads=True)
    grads_t = torch.autograd.grad(loss_t, xts, allow_unused=True, materialize_grads=True)
    assert_same(grads, grads_t, rtol=1e-9)


JACOBIANS = [  # Tensor, tuple (input side), tuple (output side), tuple of tuples
    (vector, (X,)), (two_in_scalar, (X, Y)), (lambda x: (x.tanh(), x.sum()), (X,)),
    (two_in_two_out, (X, Y)), (scalar, (X,)),
]


@pytest.mark.parametrize("k", range(len(JACOBIANS)))
@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_matches_torch_in_value_and_nesting(k, vectorize):
    f, inputs = JACOBIANS[k]
    got = AF.jacobian(f, single(ours(*inputs)), vectorize=vectorize)
    assert_same(got, TF.jacobian(f, single(theirs(*inputs)), vectorize=vectorize))


@pytest.mark.parametrize("k", range(len(JACOBIANS)))
def test_jacobian_with_create_graph_is_differentiable(k):
    f, inputs = JACOBIANS[k]
    xs = tuple(t.requires_grad_() for t in ours(*inputs))
    xts = tuple(t.requires_grad_() for t in theirs(*inputs))
    jac = AF.jacobian(f, single(xs), create_graph=True)
    jac_t = TF.jacobian(f, single(xts), create_graph=True)
    assert_same(jac, jac_t)
    flat, flat_t = [], []
    for a, b in ((jac, flat), (jac_t, flat_t)):
        stack = [a]
        while stack:  # the leaves of the nested tuples
            t = stack.pop()
            if isinstance(t, tuple):
                stack.extend(t)
            else:
                b.append((t * t).sum())
    grads = tg.autograd.grad(sum(flat[1:], start=flat[0]), xs)
    grads_t = torch.autograd.grad(sum(flat_t[1:], start=flat_t[0]), xts)
    assert_same(grads, grads_t, rtol=1e-9)


@pytest.mark.parametrize("f, inputs", [(scalar, (X,)), (two_in_scalar, (X, Y)),
                                       (lambda x: (x**3).sum(), (np.array(1.5),))])
@pytest.mark.parametrize("create_graph", [False, True])
def test_hessian_matches_torch(f, inputs, create_graph):
    xs = tuple(t.requires_grad_() for t in ours(*inputs))
    xts = tuple(t.requires_grad_() for t in theirs(*inputs))
    got = AF.hessian(f, single(xs), create_graph=create_graph)
    assert_same(got, TF.hessian(f, single(xts), create_graph=create_graph))


def test_third_derivative_through_a_hessian_with_create_graph():
    x = tg.tensor(X, requires_grad=True)
    xt = torch.tensor(X, requires_grad=True)
    (g,) = tg.autograd.grad((AF.hessian(scalar, x, create_graph=True) ** 2).sum(), x)
    (gt,) = torch.autograd.grad((TF.hessian(scalar, xt, create_graph=True) ** 2).sum(), xt)
    np.testing.assert_allclose(g.numpy(), gt.numpy(), rtol=1e-9)


def _mlp_loss(w1, b1, w2, b2, x, y):
    F = _F(w1)
    return F.mse_loss(F.linear(F.linear(x, w1, b1).tanh(), w2, b2).sigmoid(), y)


def test_hessian_of_a_small_mlp_loss_over_its_flattened_parameters_matches_torch():
    """A 3-4-2 nn.Linear network (tanh, sigmoid, MSE): the Hessian of its loss over all 26
    parameters, assembled from the blocks H[i][j], equals torch's Hessian of the same loss as
    a function of one flat parameter vector."""
    tg.manual_seed(0)
    layers = [tg.nn.Linear(3, 4, dtype=tg.float64), tg.nn.Linear(4, 2, dtype=tg.float64)]
    params = [p.detach() for layer in layers for p in (layer.weight, layer.bias)]
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((5, 3)), rng.uniform(0.2, 0.8, (5, 2))
    blocks = AF.hessian(lambda *p: _mlp_loss(*p, tg.tensor(x), tg.tensor(y)), tuple(params))
    sizes = [p.numel() for p in params]
    ours_flat = np.block([[np.asarray(blocks[i][j]).reshape(sizes[i], sizes[j])
                           for j in range(4)] for i in range(4)])

    shapes = [p.shape for p in params]
    offsets = np.cumsum([0, *sizes])

    def flat_loss(theta):
        ps = [theta[offsets[i]:offsets[i + 1]].reshape(shapes[i]) for i in range(4)]
        return _mlp_loss(*ps, torch.tensor(x), torch.tensor(y))

    theta = torch.tensor(np.concatenate([np.asarray(p).ravel() for p in params]))
    expected = TF.hessian(flat_loss, theta).numpy()
    assert ours_flat.shape == (26, 26)
    np.testing.assert_allclose(ours_flat, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours_flat, ours_flat.T, atol=1e-12)  # symmetric


def test_hvp_of_a_mlp_loss_matches_torch_and_the_hessian():
    rng = np.random.default_rng(5)
    params = [rng.standard_normal(s) * 0.5 for s in ((4, 3), (4,), (2, 4), (2,))]
    vs = [rng.standard_normal(p.shape) for p in params]
    x, y = rng.standard_normal((6, 3)), rng.uniform(0.2, 0.8, (6, 2))

    def loss(*p):
        return _mlp_loss(*p, tg.tensor(x), tg.tensor(y))

    def loss_t(*p):
        return _mlp_loss(*p, torch.tensor(x), torch.tensor(y))

    got = AF.hvp(loss, ours(*params), ours(*vs))
    assert_same(got, TF.hvp(loss_t, theirs(*params), theirs(*vs)))
    blocks = AF.hessian(loss, ours(*params))
    for i in range(4):  # (H v)_i = sum_j H[i][j] v_j
        hv = sum(np.tensordot(np.asarray(blocks[i][j]), vs[j], axes=vs[j].ndim)
                 for j in range(4))
        np.testing.assert_allclose(got[1][i].numpy(), hv, rtol=1e-9, atol=1e-12)


def test_jvp_is_the_jacobian_times_v_and_vjp_is_v_times_the_jacobian():
    x = tg.tensor(X)
    jac = AF.jacobian(vector, x).numpy().reshape(6, 6)
    _, jv = AF.jvp(vector, x, tg.tensor(V23))
    _, vj = AF.vjp(vector, x, tg.tensor(V23))
    np.testing.assert_allclose(jv.numpy().ravel(), jac @ V23.ravel(), rtol=1e-12)
    np.testing.assert_allclose(vj.numpy().ravel(), V23.ravel() @ jac, rtol=1e-12)


def test_the_function_runs_on_new_tensors_not_on_the_ones_it_captured():
    """PyTorch issue 32576: func multiplies its input by the same tensor captured from outside;
    only the argument is differentiated (d/dx of x * x_captured is x_captured, not 2x)."""
    x = tg.tensor(X, requires_grad=True)
    xt = torch.tensor(X, requires_grad=True)
    got = AF.jacobian(lambda a: (a * x).sum(), x)
    assert_same(got, TF.jacobian(lambda a: (a * xt).sum(), xt))
    np.testing.assert_allclose(got.numpy(), X)


def test_works_under_no_grad_and_keeps_float32():
    x = tg.tensor(X.astype(np.float32))
    with tg.no_grad():
        out, g = AF.vjp(scalar, x)
        h = AF.hessian(scalar, x)
    assert g.dtype == h.dtype == np.float32 and not out.requires_grad
    with torch.no_grad():
        gt = TF.vjp(scalar, torch.tensor(X.astype(np.float32)))[1]
    np.testing.assert_allclose(g.numpy(), gt.numpy(), rtol=1e-5)


def test_unused_inputs_give_zeros_and_strict_mode_errors_as_torch():
    def f(x, y):
        return x.tanh().sum()  # independent of y

    for name, args in (("vjp", ()), ("jacobian", ()), ("hessian", ()),
                       ("hvp", "v"), ("vhp", "v"), ("jvp", "v")):
        kw_ours = {"v": ours(V23, V3)} if args else {}
        kw_theirs = {"v": theirs(V23, V3)} if args else {}
        got = getattr(AF, name)(f, ours(X, Y), **kw_ours)
        assert_same(got, getattr(TF, name)(f, theirs(X, Y), **kw_theirs))
        with pytest.raises(RuntimeError) as theirs_error:
            getattr(TF, name)(f, theirs(X, Y), strict=True, **kw_theirs)
        with pytest.raises(RuntimeError, match="This is not allowed in strict mode") as error:
            getattr(AF, name)(f, ours(X, Y), strict=True, **kw_ours)
        assert str(error.value) == str(theirs_error.value), name


@pytest.mark.parametrize("name, f", [
    ("vjp", lambda x: x.detach() * 2),                      # output does not require grad
    ("jacobian", lambda x: x.detach() * 2),
    ("hessian", lambda x: (x * 2).sum()),                   # linear: the gradient is constant
    ("hvp", lambda x: (x * 2).sum()),
    ("jvp", lambda x: x.detach().sum()),
])
def test_strict_mode_messages_are_torchs(name, f):
    kw = {"v": V23} if name in ("hvp", "jvp") else {}
    if name == "vjp":
        kw = {"v": V23}
    with pytest.raises(RuntimeError) as theirs_error:
        getattr(TF, name)(f, torch.tensor(X), strict=True,
                          **{k: torch.tensor(v) for k, v in kw.items()})
    with pytest.raises(RuntimeError) as error:
        getattr(AF, name)(f, tg.tensor(X), strict=True, **{k: tg.tensor(v) for k, v in kw.items()})
    assert str(error.value) == str(theirs_error.value)
    # without strict, the mathematical answer: zeros where nothing depends on the input
    got = getattr(AF, name)(f, tg.tensor(X), **{k: tg.tensor(v) for k, v in kw.items()})
    want = getattr(TF, name)(f, torch.tensor(X), **{k: torch.tensor(v) for k, v in kw.items()})
    assert_same(got, want)


def _torch_message(error):
    """torch's message with ``torch.Size([2, 3])`` printed as our ``(2, 3)``."""
    def as_tuple(m):
        return str(tuple(int(n) for n in m.group(1).split(",") if n.strip()))
    return re.sub(r"torch\.Size\(\[([^\]]*)\]\)", as_tuple, str(error))


BAD_V = [  # name, func, inputs, v
    ("vjp", vector, (X,), (V3,)),                       # wrong shape
    ("vjp", two_in_two_out, (X, Y), (V23,)),            # tuple of the wrong length
    ("vjp", two_in_two_out, (X, Y), (V23, V23)),        # entry 1 of the wrong shape
    ("vjp", vector, (X,), None),                        # v needed: the output is not a scalar
    ("jvp", vector, (X,), (V3,)),
    ("jvp", vector, (X,), None),
    ("jvp", two_in_two_out, (X, Y), (V23, V23, V3)),
    ("hvp", scalar, (X,), (V3,)),
    ("hvp", two_in_scalar, (X, Y), (V23, V23)),
    ("vhp", scalar, (X,), None),
    ("hvp", vector, (X,), (V23,)),                      # the function must return a scalar
    ("vhp", two_in_two_out, (X, Y), (V23, V3)),
    ("hessian", vector, (X,), None),
    ("hessian", two_in_two_out, (X, Y), None),
]


@pytest.mark.parametrize("name, f, inputs, v", BAD_V)
def test_bad_v_and_non_scalar_functions_raise_torchs_errors(name, f, inputs, v):
    extra = () if name == "hessian" else (None if v is None else single(theirs(*v)),)
    with pytest.raises(RuntimeError) as theirs_error:
        getattr(TF, name)(f, single(theirs(*inputs)), *extra)
    extra = () if name == "hessian" else (None if v is None else single(ours(*v)),)
    with pytest.raises(RuntimeError) as error:
        getattr(AF, name)(f, single(ours(*inputs)), *extra)
    assert str(error.value) == _torch_message(theirs_error.value)


def test_inputs_and_outputs_must_be_tensors():
    with pytest.raises(TypeError, match="The inputs given to vjp must be either a Tensor or a "
                                        "tuple of Tensors but the given inputs has type"):
        AF.vjp(scalar, X)
    with pytest.raises(TypeError, match="value at index 1 has type"):
        AF.jacobian(two_in_scalar, (tg.tensor(X), Y))
    with pytest.raises(TypeError, match="outputs of the user-provided function given to jvp"):
        AF.jvp(lambda x: [x], tg.tensor(X), tg.tensor(V23))


def test_strategy_and_flag_combinations():
    x = tg.tensor(X)
    with pytest.raises(NotImplementedError, match="forward-mode"):
        AF.jacobian(vector, x, strategy="forward-mode", vectorize=True)
    with pytest.raises(NotImplementedError, match="forward-mode"):
        AF.hessian(scalar, x, outer_jacobian_strategy="forward-mode", vectorize=True)
    with pytest.raises(AssertionError, match="reverse-mode"):
        AF.jacobian(vector, x, strategy="sideways")
    with pytest.raises(RuntimeError, match="`strict=True` and `vectorized=True`"):
        AF.jacobian(vector, x, strict=True, vectorize=True)


# ----------------------------------------------------------------------------- properties

ELEMENTS = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False, width=64)
FUNCTIONS = {  # scalar-valued, built from ops whose backward is recorded
    "tanh_x": scalar,
    "mlp_like": lambda x: ((x * 0.7 - 0.2).sigmoid() * x.exp() + x.tanh() ** 2).mean(),
    "rational": lambda x: (1 / (x * x + 1) + (x * x + 2).sqrt()).sum(),
}


@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3), data=st.data(),
       name=st.sampled_from(sorted(FUNCTIONS)))
def test_random_shapes_and_values_match_torch(shape, data, name):
    f = FUNCTIONS[name]
    x0 = data.draw(hnp.arrays(np.float64, shape, elements=ELEMENTS))
    v0 = data.draw(hnp.arrays(np.float64, shape, elements=ELEMENTS))
    x, v, xt, vt = tg.tensor(x0), tg.tensor(v0), torch.tensor(x0), torch.tensor(v0)
    assert_same(AF.vjp(f, x), TF.vjp(f, xt), rtol=1e-9)
    assert_same(AF.hvp(f, x, v), TF.hvp(f, xt, vt), rtol=1e-9)
    assert_same(AF.hessian(f, x), TF.hessian(f, xt), rtol=1e-9)
    elementwise = lambda a: a.tanh() * a  # noqa: E731 (a vector output for jvp/jacobian)
    assert_same(AF.jvp(elementwise, x, v), TF.jvp(elementwise, xt, vt), rtol=1e-9)
    assert_same(AF.jacobian(elementwise, x), TF.jacobian(elementwise, xt), rtol=1e-9)


@given(data=st.data(), sizes=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)))
def test_random_two_layer_net_hvp_equals_vhp_and_torch(data, sizes):
    n, d, h = sizes
    arrays = [data.draw(hnp.arrays(np.float64, s, elements=ELEMENTS))
              for s in ((h, d), (h,), (1, h), (n, d))]
    v0 = [data.draw(hnp.arrays(np.float64, s, elements=ELEMENTS)) for s in ((h, d), (h,))]

    def loss(w, b, *, w2, x):
        F = _F(w)
        return F.mse_loss(F.linear(F.linear(x, w, b).tanh(), w2), x.sum(1, keepdim=True) * 0.5)

    ours_w2, ours_x = tg.tensor(arrays[2]), tg.tensor(arrays[3])
    t_w2, t_x = torch.tensor(arrays[2]), torch.tensor(arrays[3])
    got = AF.hvp(lambda w, b: loss(w, b, w2=ours_w2, x=ours_x), ours(*arrays[:2]), ours(*v0))
    want = TF.hvp(lambda w, b: loss(w, b, w2=t_w2, x=t_x), theirs(*arrays[:2]), theirs(*v0))
    assert_same(got, want, rtol=1e-8, atol=1e-11)
    _, vh = AF.vhp(lambda w, b: loss(w, b, w2=ours_w2, x=ours_x), ours(*arrays[:2]), ours(*v0))
    for a, b in zip(got[1], vh, strict=True):  # H is symmetric
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-8, atol=1e-11)
