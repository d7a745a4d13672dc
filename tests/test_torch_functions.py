"""The ``tg.<name>`` function forms: each one ``torch_functions`` made from a Tensor method gives
torch's result on a sample input (values, dtypes, shapes), refuses ``out=`` and non-tensors;
the functions PyTorch has that are not methods are there too; a core set a tutorial uses exists.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.torch_functions import TORCH_METHOD_FUNCTIONS, method_functions

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
X = rng.uniform(0.1, 0.9, (3, 4))  # positive, inside (0, 1): fits log, sqrt, logit, atanh...
Y = rng.uniform(0.1, 0.9, (3, 4))
I = np.array([[3, 5, 6, 12], [7, 1, 0, 9], [2, 2, 8, 4]])  # noqa: E741
J = np.array([[1, 3, 2, 4], [5, 1, 1, 2], [3, 2, 2, 1]])
IDX = np.array([[0, 2, 1, 3], [3, 3, 0, 1], [1, 0, 2, 2]])
IDX1 = np.array([2, 0])
MASK = X > 0.5
V3, V4 = rng.uniform(0.1, 0.9, 3), rng.uniform(0.1, 0.9, 4)
SQ = X @ X.T + np.eye(3)  # symmetric positive definite
B3, B4 = rng.uniform(size=(2, 3, 4)), rng.uniform(size=(2, 4, 2))

# name -> (input, args, kwargs); the default is (X, (), {})
SPECS: dict[str, tuple[Any, tuple[Any, ...], dict[str, Any]]] = {
    **{name: (X, (Y,), {}) for name in (
        "add sub mul div true_divide divide multiply subtract maximum minimum atan2 arctan2 "
        "hypot copysign fmod remainder floor_divide xlogy logaddexp logaddexp2 float_power "
        "heaviside fmax fmin nextafter eq ne lt le gt ge greater greater_equal less less_equal "
        "not_equal isclose allclose equal dist logical_and logical_or logical_xor igamma "
        "igammac kron is_same_size").split()},
    **{name: (I, (J,), {}) for name in (
        "bitwise_and bitwise_or bitwise_xor gcd lcm bitwise_left_shift bitwise_right_shift "
        "gcd_ lcm_").split()},
    "bitwise_not": (I, (), {}), "bincount": (I.ravel(), (), {}), "pow": (X, (2.0,), {}),
    "lerp": (X, (Y, 0.3), {}), "ldexp": (X, (J,), {}),
    **{name: (X, (1,), {}) for name in (
        "logsumexp cumsum cumprod cummax cummin logcumsumexp softmax log_softmax unsqueeze "
        "repeat_interleave").split()},
    **{name: (X, (2,), {}) for name in "kthvalue topk chunk split tensor_split hsplit".split()},
    **{name: (X, (0, 1), {}) for name in "transpose swapaxes swapdims moveaxis movedim".split()},
    "permute": (X, ((1, 0),), {}), "reshape": (X, ((-1,),), {}), "flip": (X, ((0,),), {}),
    "unflatten": (X, (1, (2, 2)), {}), "broadcast_to": (X, ((2, 3, 4),), {}),
    "narrow": (X, (1, 0, 2), {}), "select": (X, (1, 0), {}), "tile": (X, ((2, 1),), {}),
    "split_with_sizes": (X, ([1, 3], 1), {}), "roll": (X, (1, 1), {}), "vsplit": (X, (3,), {}),
    "dsplit": (B3, (2,), {}), "gather": (X, (1, IDX), {}), "scatter": (X, (1, IDX, Y), {}),
    "scatter_add": (X, (1, IDX, Y), {}), "scatter_reduce": (X, (1, IDX, Y, "sum"), {}),
    "index_select": (X, (1, IDX1), {}), "index_add": (X, (1, IDX1, Y[:, :2]), {}),
    "index_copy": (X, (1, IDX1, Y[:, :2]), {}), "index_fill": (X, (1, IDX1, 2.0), {}),
    "masked_fill": (X, (MASK, 0.0), {}), "masked_select": (X, (MASK,), {}),
    "masked_scatter": (X, (MASK, Y), {}), "take": (X, (IDX1,), {}),
    "take_along_dim": (X, (IDX, 1), {}), "mm": (X, (Y.T,), {}), "matmul": (X, (Y.T,), {}),
    "mv": (X, (V4,), {}), "bmm": (B3, (B4,), {}), "baddbmm": (B3 @ B4, (B3, B4), {}),
    "addbmm": (SQ[:, :2], (B3, B4), {}), "addmm": (SQ, (X, Y.T), {}),
    "addmv": (V3, (X, V4), {}), "addmv_": (V3, (X, V4), {}), "addr": (X, (V3, V4), {}),
    "addcdiv": (X, (Y, Y + 1), {}), "addcmul": (X, (Y, Y), {}), "cross": (SQ, (SQ.T,),
                                                                           {"dim": 1}),
    **{name: (V4, (V4,), {}) for name in "dot vdot inner outer ger".split()},
    "clamp": (X, (0.3, 0.6), {}), "clip": (X, (0.3, 0.6), {}), "clamp_": (X, (0.3, 0.6), {}),
    "clip_": (X, (0.3, 0.6), {}), "clamp_min": (X, (0.3,), {}), "clamp_max": (X, (0.6,), {}),
    "clamp_min_": (X, (0.3,), {}), "clamp_max_": (X, (0.6,), {}), "fill_": (X, (2.0,), {}),
    "renorm": (X, (2, 0, 1.0), {}), "matrix_power": (SQ, (2,), {}), "mvlgamma": (X + 2, (2,), {}),
    "is_nonzero": (X[:1, :1], (), {}), "xlogy_": (X, (Y,), {}), "ldexp_": (X, (J,), {}),
    "hardshrink": (X - 0.5, (), {}), "nan_to_num": (np.array([np.nan, np.inf, 1.0]), (), {}),
    "nan_to_num_": (np.array([np.nan, np.inf, 1.0]), (), {}), "prelu": (X - 0.5, (V4,), {}),
    **{name: (X + 1, (), {}) for name in "acosh arccosh acosh_ arccosh_".split()},
    **{name: (SQ, (), {}) for name in (
        "det inverse cholesky slogdet logdet matrix_exp pinverse cholesky_inverse").split()},
    "cholesky_solve": (X[:, :2], (np.linalg.cholesky(SQ),), {}),
    "histc": (X, (), {"bins": 4}),
}
# results that are random, or unique only up to signs or pivoting: shapes and dtypes compared
LOOSE = {"bernoulli", "multinomial", "svd", "qr", "lu"}
SKIP = {"index_put", "index_put_", "put", "index_reduce", "select_scatter", "slice_scatter",
        "lu_solve", "stft", "istft", "resolve_conj", "resolve_neg", "angle", "real", "imag",
        "conj", "narrow_copy", "multinomial"}  # arguments too special for one table


def _args(spec: tuple[Any, ...], make: Any) -> tuple[Any, list[Any], dict[str, Any]]:
    value, args, kwargs = spec

    def convert(a: Any) -> Any:  # a fresh tensor per call: in-place forms change it
        return make(a.copy()) if isinstance(a, np.ndarray) else a

    return convert(value), [convert(a) for a in args], kwargs


def _plain(result: Any) -> Any:
    """A result as nested lists/tuples of NumPy arrays and Python values."""
    if isinstance(result, tg.Tensor):
        return result.detach().numpy()
    if isinstance(result, torch.Tensor):
        return result.detach().numpy()
    if isinstance(result, (tuple, list)):
        return [_plain(r) for r in result]
    return result


def _assert_same(ours: Any, theirs: Any, name: str, loose: bool) -> None:
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), name
        for o, t in zip(ours, theirs, strict=True):
            _assert_same(o, t, name, loose)
    elif isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray), (name, type(ours))
        assert ours.shape == theirs.shape, (name, ours.shape, theirs.shape)
        # torch's legacy linalg pivots are int32; everything else must match exactly
        assert ours.dtype == theirs.dtype or theirs.dtype == np.int32, (name, ours.dtype,
                                                                          theirs.dtype)
        if not loose:
            np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9, err_msg=name)
    else:
        assert ours == theirs, (name, ours, theirs)


BOUND = sorted(set(method_functions()) - SKIP)


@pytest.mark.parametrize("name", BOUND)
def test_function_form_gives_torchs_result(name: str) -> None:
    spec = SPECS.get(name, (X, (), {}))
    ours_in, ours_args, kwargs = _args(spec, tg.tensor)
    theirs_in, theirs_args, _ = _args(spec, torch.tensor)
    ours = getattr(tg, name)(ours_in, *ours_args, **kwargs)
    theirs = getattr(torch, name)(theirs_in, *theirs_args, **kwargs)
    _assert_same(_plain(ours), _plain(theirs), name, name in LOOSE)
    # the input as well (in-place forms change it)
    _assert_same(_plain(ours_in), _plain(theirs_in), name, name in LOOSE)
    # the same as the method
    again_in, again_args, _ = _args(spec, tg.tensor)
    _assert_same(_plain(getattr(again_in, name)(*again_args, **kwargs)), _plain(ours), name,
                 name in LOOSE)


def test_function_forms_keep_the_graph() -> None:
    x = tg.tensor(X, requires_grad=True)
    tg.sum(tg.mul(tg.exp(x), 2.0)).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(X))


def test_function_forms_take_input_by_keyword_and_dims_by_keyword() -> None:
    t = tg.tensor(X)
    assert tg.sum(input=t, dim=1).shape == (3,)
    values, indices = tg.max(t, dim=1)
    tv, ti = torch.max(torch.tensor(X), dim=1)
    np.testing.assert_allclose(values.numpy(), tv.numpy())
    assert indices.tolist() == ti.tolist()
    assert tg.mean(t, 0, keepdim=True).shape == (1, 4)


def test_function_forms_refuse_out_and_non_tensors() -> None:
    t = tg.tensor(X)
    with pytest.raises(TypeError, match=r"sum\(\): out= is not supported"):
        tg.sum(t, out=t)
    assert tg.sum(t, out=None).shape == ()
    for name, args in (("exp", (2.0,)), ("sum", ([1, 2],)), ("add", (np.ones(2), 1))):
        with pytest.raises(TypeError, match="argument 'input' must be Tensor"):
            getattr(tg, name)(*args)
        with pytest.raises(TypeError):  # torch refuses them too
            getattr(torch, name)(*args)


def test_function_forms_carry_the_methods_docstring_and_name() -> None:
    assert tg.clone.__name__ == "clone" and tg.clone.__module__ == "tinygrad_edu"
    assert tg.Tensor.clone.__doc__ and tg.Tensor.clone.__doc__ in tg.clone.__doc__
    assert tg.sum.__doc__.startswith("``sum(input, ...)`` is ``input.sum(...)``")


def test_every_listed_name_is_a_torch_function_and_tensor_method() -> None:
    for name in TORCH_METHOD_FUNCTIONS:
        assert callable(getattr(torch, name)) and callable(getattr(torch.Tensor, name)), name
    assert "where" not in TORCH_METHOD_FUNCTIONS and "polygamma" not in TORCH_METHOD_FUNCTIONS


def test_a_new_method_gets_its_function_form() -> None:
    """The mechanism, not a list: a method PyTorch has as a function is picked up."""
    assert "sinc" in TORCH_METHOD_FUNCTIONS
    had = tg.Tensor.__dict__.get("sinc")
    try:
        tg.Tensor.sinc = lambda self: self * 0 + 7  # type: ignore[method-assign]
        assert method_functions()["sinc"](tg.ones(2)).tolist() == [7.0, 7.0]
    finally:
        if had is None:
            del tg.Tensor.sinc
        else:
            tg.Tensor.sinc = had  # type: ignore[method-assign]


def test_written_out_functions_win_and_match_torch() -> None:
    c = X > 0.5
    np.testing.assert_allclose(tg.where(tg.tensor(c), tg.tensor(X), tg.tensor(Y)).numpy(),
                               torch.where(torch.tensor(c), torch.tensor(X),
                                           torch.tensor(Y)).numpy())
    for join in ("cat", "stack", "concat", "concatenate"):
        ours = getattr(tg, join)([tg.tensor(X), tg.tensor(Y)], 1)
        theirs = getattr(torch, join)([torch.tensor(X), torch.tensor(Y)], 1)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_isclose_allclose_equal_as_torch() -> None:
    a = np.array([1.0, np.nan, np.inf, -np.inf, 1e-9, 1.0])
    b = np.array([1.0 + 1e-6, np.nan, np.inf, np.inf, 0.0, 1.1])
    for kwargs in ({}, {"equal_nan": True}, {"rtol": 0.2}, {"atol": 1e-8, "rtol": 0.0}):
        ours = tg.isclose(tg.tensor(a), tg.tensor(b), **kwargs)
        theirs = torch.isclose(torch.tensor(a), torch.tensor(b), **kwargs)
        assert ours.tolist() == theirs.tolist() and ours.dtype == tg.bool
        assert tg.tensor(a).isclose(tg.tensor(b), **kwargs).tolist() == theirs.tolist()
        assert tg.allclose(tg.tensor(a), tg.tensor(b), **kwargs) == torch.allclose(
            torch.tensor(a), torch.tensor(b), **kwargs)
    assert tg.allclose(tg.tensor(a[:1]), tg.tensor(b[:1])) is True
    assert tg.equal(tg.tensor(X), tg.tensor(X)) is True
    assert tg.equal(tg.tensor(X), tg.tensor(X[:2])) is False


def test_non_method_functions_are_exported() -> None:
    assert tg.from_numpy(X).dtype == tg.float64
    assert tg.is_tensor(tg.ones(1)) and tg.numel(tg.ones(2, 5)) == 10
    with tg.no_grad():
        assert not tg.is_grad_enabled()
    g = tg.Generator().manual_seed(0)
    assert isinstance(g, tg.Generator) and tg.manual_seed(0) is not None
    import tinygrad_edu as torch_like

    assert torch_like.utils.data.Dataset is not None  # tg.utils, imported on first use


# a tutorial's names (tensors, autograd, an MLP/CNN on MNIST): these must exist
CORE = """
abs add all allclose amax amin any arange argmax argmin argsort as_tensor bmm cat chunk clamp
clip clone cos cumprod cumsum detach device empty equal exp eye flatten flip float32 float64
from_numpy full gather int64 isclose is_tensor linspace log log_softmax manual_seed matmul max
maximum mean min minimum mm mul no_grad numel ones ones_like permute pow prod rand randint randn
randn_like randperm relu reshape roll sigmoid sin softmax sort split sqrt squeeze stack std sub
sum t tanh tensor topk transpose unsqueeze var where zeros zeros_like save load Generator
float double half long int short bool uint8 int8 get_default_dtype set_default_dtype finfo iinfo
masked_fill scatter scatter_add index_select tile unbind nonzero div dot outer einsum meshgrid cdist
tensordot broadcast_tensors
""".split()


def test_the_core_set_a_tutorial_uses_exists() -> None:
    missing = [name for name in CORE if not hasattr(tg, name)]
    assert missing == []
