"""A bad-input table for the core (tensor.py, the factories, shape ops, reductions, in-place ops,
the engine's entry points and nn.functional), written from what PyTorch 2.13 does.

Three kinds of rows:

* ``ERRORS``: PyTorch refuses the input; so must we, with the exception type PyTorch raises
  (``ShapeError`` where this project uses ValueError for PyTorch's RuntimeError) and a message
  that names the argument, shape or dtype. An internal error (``list index out of range``, a
  NumPy ``UFuncTypeError``, an unpacking error...) is a failure even when its type matches.
* ``LIKE_TORCH``: PyTorch accepts the input; we must give PyTorch's result (shape, dtype and
  values), computed with torch in the test (skipped without torch).
* ``TORCH_OR_ERROR``: PyTorch accepts it and this project documents that it refuses it (no
  ``ignore_index``, no spatial dims in the losses, no broadcasting in the elementwise losses):
  either PyTorch's result or an error naming the problem, never a silently different value.
"""

from __future__ import annotations

import re
import signal
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import Tensor, no_grad

# PyTorch raises RuntimeError for shape errors; NumPy-style ValueError is accepted as well
# (as tests/test_errors.py does).
ShapeError = (ValueError, RuntimeError)
NaN, Inf = float("nan"), float("inf")

# Messages of errors that leaked out of the implementation instead of naming the problem.
_INTERNAL = re.compile(
    r"list (assignment )?index out of range|tuple index out of range|values to unpack"
    r"|object is not iterable|has no attribute|referenced before assignment|division by zero"
    r"|slice indices must be|list indices must be|has no len\(\)"
)


def _shape_re(shape: tuple[int, ...]) -> str:
    """A regex for a shape as NumPy, Python or PyTorch prints it: (2, 3), (2,3), [2, 3], (4,)."""
    inner = r",\s*".join(str(n) for n in shape)
    if len(shape) == 1:
        inner += r",?"
    return r"[\(\[]" + inner + r"[\)\]]"


def _shapes_re(sa: tuple[int, ...], sb: tuple[int, ...]) -> str:
    """Both shapes named, in either order."""
    a, b = _shape_re(sa), _shape_re(sb)
    return rf"(?s:{a}.*{b}|{b}.*{a})"


def _dim_re(d: int) -> str:
    """A message naming an out-of-range dim ``d`` ('Dimension out of range ... got 5')."""
    n = re.escape(str(d))
    return rf"(?is:(dim|axis).*(?<![\d-]){n}(?!\d)|(?<![\d-]){n}(?!\d).*(dim|axis))"


@pytest.fixture(autouse=True)
def _no_hang():
    """A row that hangs (an endless arange, a loop that never ends) fails after 20 s."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def _timeout(signum: int, frame: Any) -> None:
        raise TimeoutError("the call did not return within 20 s")

    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(20)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _check_not_internal(error: BaseException) -> None:
    module = type(error).__module__
    assert not module.startswith(("numpy._core", "numpy.core")), (
        f"a NumPy internal error leaked out: {type(error).__name__}: {error}"
    )
    assert not _INTERNAL.search(str(error)), (
        f"an internal error leaked out: {type(error).__name__}: {error}"
    )


# --------------------------------------------------------------------------- inputs


def m23() -> Tensor:
    return tg.zeros(2, 3)


def v3() -> Tensor:
    return tg.zeros(3)


def s0() -> Tensor:
    return tg.tensor(1.0)


def e20() -> Tensor:
    return tg.zeros(2, 0)


def w23() -> Tensor:
    return tg.ones(2, 3, requires_grad=True)


def ints() -> Tensor:
    return tg.tensor([1, 2])


LOGITS = np.array([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3], [0.0, 0.1, 0.2], [-2.0, 1.0, 0.5]],
                  dtype=np.float32)
TARGET = np.array([0, 2, 1, 0])


def logits() -> Tensor:
    return tg.tensor(LOGITS)


def logp() -> Tensor:
    return tg.log_softmax(logits(), dim=1)


def target(values: Any = TARGET, dtype: Any = np.int64) -> Tensor:
    return tg.tensor(np.asarray(values, dtype=dtype))


def _assign(t: Tensor, name: str, value: Any) -> Tensor:
    setattr(t, name, value)
    return t


def _iadd(t: Tensor, other: Any) -> Tensor:
    t += other
    return t


def _itruediv(t: Tensor, other: Any) -> Tensor:
    t /= other
    return t


def _setitem(t: Tensor, index: Any, value: Any) -> Tensor:
    t[index] = value
    return t


def _backward_twice() -> None:
    x = w23()
    y = (x * x).sum()
    y.backward()
    y.backward()


def _backward_under_no_grad() -> None:
    x = w23()
    with no_grad():
        y = (x * 2).sum()
    y.backward()


def _mean_int_dim() -> Tensor:
    return tg.tensor([[1, 2], [3, 4]]).mean(0)


# --------------------------------------------------------------------------- errors


def err(id: str, call: Callable[[], Any], exc: Any, match: str) -> Any:
    return pytest.param(call, exc, match, id=id)


ERRORS = [
    # ---- Tensor construction
    err("ctor_none", lambda: Tensor(None), TypeError, r"None"),
    err("tensor_none", lambda: tg.tensor(None), (TypeError, RuntimeError), r"None"),
    err("ctor_list_with_none", lambda: Tensor([1, None]), TypeError, r"None"),
    err("tensor_list_with_none", lambda: tg.tensor([1, None]), (TypeError, RuntimeError),
        r"None"),
    err("ctor_nested_none", lambda: Tensor([[1.0], [None]]), TypeError, r"None"),
    err("ctor_str", lambda: Tensor("abc"), TypeError, r"str|'abc'"),
    err("ctor_numeric_str", lambda: Tensor("1.5"), TypeError, r"str|'1\.5'"),
    err("ctor_list_of_numeric_str", lambda: Tensor(["1", "2"]), TypeError, r"str|'1'"),
    err("tensor_list_of_str", lambda: tg.tensor(["a", "b"]), (TypeError, ValueError),
        r"(?i)str|<U"),
    err("ctor_ragged", lambda: Tensor([[1, 2], [3]]), ValueError,
        r"(?i)sequence|inhomogeneous|ragged|length"),
    err("tensor_ragged", lambda: tg.tensor([[1, 2], [3]]), ValueError,
        r"(?i)sequence|inhomogeneous|ragged|length"),
    err("tensor_ragged_scalar_then_list", lambda: tg.tensor([[1], 2]), (TypeError, ValueError),
        r"(?i)sequence|inhomogeneous|ragged|length"),
    err("tensor_ragged_number_then_list", lambda: tg.tensor([1, [2]]), (TypeError, ValueError),
        r"(?i)sequence|inhomogeneous|ragged|length"),
    err("ctor_object_ndarray", lambda: Tensor(np.array([1, "a"], dtype=object)), TypeError,
        r"object"),
    err("tensor_object_ndarray", lambda: tg.tensor(np.array([1.0, 2.0], dtype=object)),
        TypeError, r"object"),
    err("tensor_python_object", lambda: tg.tensor([object()]), (TypeError, RuntimeError),
        r"object"),
    err("tensor_dict", lambda: tg.tensor({"a": 1}), (TypeError, RuntimeError), r"dict"),
    err("tensor_set", lambda: tg.tensor({1, 2}), (TypeError, RuntimeError), r"set"),
    # complex: PyTorch has complex tensors, this project does not; it must say so.
    err("tensor_complex_scalar", lambda: tg.tensor(1 + 2j), TypeError, r"complex"),
    err("ctor_complex_list", lambda: Tensor([1, 2j]), TypeError, r"complex"),
    err("ctor_complex_ndarray", lambda: Tensor(np.array([1j])), TypeError, r"complex"),
    err("tensor_int_overflow", lambda: tg.tensor(2**70),
        (OverflowError, ValueError, TypeError, RuntimeError),
        r"(?i)overflow|too large|out of bounds|int64"),
    err("requires_grad_int_ndarray", lambda: Tensor(np.array([1, 2]), requires_grad=True),
        RuntimeError, r"floating point.*int64"),
    err("requires_grad_tensor_ints", lambda: tg.tensor([1, 2], requires_grad=True),
        RuntimeError, r"floating point.*int64"),
    err("requires_grad_tensor_bools", lambda: tg.tensor([True], requires_grad=True),
        RuntimeError, r"floating point.*bool"),
    err("requires_grad_zeros_int", lambda: tg.zeros(2, dtype=tg.int64, requires_grad=True),
        RuntimeError, r"floating point"),
    err("requires_grad_arange_int", lambda: tg.arange(3, requires_grad=True), RuntimeError,
        r"floating point"),
    err("requires_grad_setter_int", lambda: _assign(ints(), "requires_grad", True),
        RuntimeError, r"floating point"),
    err("requires_grad__int", lambda: ints().requires_grad_(), RuntimeError, r"floating point"),
    err("dtype_bad_name", lambda: Tensor([1.0], dtype="float33"), TypeError, r"float33"),
    err("dtype_bad_torch_name", lambda: tg.tensor([1.0], dtype="torch.float33"), TypeError,
        r"float33"),
    err("dtype_int_code", lambda: tg.zeros(2, dtype=5), TypeError, r"(?i)dtype"),
    err("dtype_str_type", lambda: tg.zeros(2, dtype=str), TypeError, r"(?i)dtype"),
    err("dtype_complex", lambda: tg.zeros(2, dtype="complex64"), TypeError, r"complex64"),
    err("dtype_object", lambda: tg.tensor([1], dtype=object), TypeError, r"object"),
    err("to_bad_dtype", lambda: v3().to("float33"), (TypeError, RuntimeError, ValueError),
        r"float33"),
    err("to_cuda", lambda: v3().to("cuda"), (RuntimeError, TypeError, ValueError), r"cuda"),
    # ---- factories
    err("zeros_float_size", lambda: tg.zeros(2.5), TypeError, r"2\.5|float"),
    err("zeros_float_in_tuple", lambda: tg.zeros((2, 3.0)), TypeError, r"3\.0|float"),
    err("zeros_negative", lambda: tg.zeros(-1), ShapeError, r"(?i)negative|-1"),
    err("zeros_negative_second", lambda: tg.zeros(2, -1), ShapeError, r"(?i)negative|-1"),
    err("zeros_none", lambda: tg.zeros(None), TypeError, r"None"),
    err("ones_str", lambda: tg.ones("a"), TypeError, r"'a'|str"),
    err("ones_numeric_str", lambda: tg.ones("3"), TypeError, r"'3'|str"),
    err("empty_negative", lambda: tg.empty(-1), ShapeError, r"(?i)negative|-1"),
    err("rand_float_size", lambda: tg.rand(2.5), TypeError, r"2\.5|float"),
    err("randn_negative", lambda: tg.randn(-1), ShapeError, r"(?i)negative|-1"),
    err("rand_int_dtype", lambda: tg.rand(2, dtype=tg.int64),
        (TypeError, RuntimeError, NotImplementedError), r"(?i)int64|long|float"),
    err("randn_int_dtype", lambda: tg.randn(2, dtype=tg.int64),
        (TypeError, RuntimeError, NotImplementedError), r"(?i)int64|long|float"),
    err("arange_step_zero", lambda: tg.arange(0, 10, 0), ShapeError, r"(?i)step"),
    err("arange_float_step_zero", lambda: tg.arange(0.0, 1.0, 0.0), ShapeError, r"(?i)step"),
    err("arange_end_nan", lambda: tg.arange(0, NaN), ShapeError, r"(?i)nan"),
    err("arange_start_nan", lambda: tg.arange(NaN, 5), ShapeError, r"(?i)nan"),
    err("arange_end_inf", lambda: tg.arange(0, Inf), ShapeError, r"(?i)inf"),
    err("arange_only_end_inf", lambda: tg.arange(Inf), ShapeError, r"(?i)inf"),
    err("arange_step_nan", lambda: tg.arange(0, 10, NaN), ShapeError, r"(?i)nan|step"),
    err("arange_step_wrong_sign", lambda: tg.arange(0, 10, -1), ShapeError,
        r"(?i)sign|step|bound"),
    err("arange_end_before_start", lambda: tg.arange(10, 0), ShapeError,
        r"(?i)sign|step|bound"),
    err("arange_str", lambda: tg.arange("a"), TypeError, r"'a'|str"),
    err("linspace_negative_steps", lambda: tg.linspace(0, 1, -1), ShapeError,
        r"(?i)negative|-1"),
    err("linspace_float_steps", lambda: tg.linspace(0, 1, 2.5), TypeError,
        r"(?i)steps|float|2\.5"),
    err("linspace_none_steps", lambda: tg.linspace(0, 1, None), TypeError, r"(?i)steps|None"),
    err("eye_negative", lambda: tg.eye(-1), ShapeError, r"(?i)negative|-1|>= ?0"),
    err("eye_negative_m", lambda: tg.eye(2, -1), ShapeError, r"(?i)negative|-1|>= ?0"),
    err("eye_float", lambda: tg.eye(2.5), TypeError, r"(?i)2\.5|float"),
    err("full_negative_size", lambda: tg.full((-1,), 1.0), ShapeError, r"(?i)negative|-1"),
    err("full_float_size", lambda: tg.full((2.5,), 1.0), TypeError, r"2\.5|float"),
    err("full_int_size", lambda: tg.full(3, 1.0), TypeError, r"(?i)size|tuple|sequence"),
    err("full_str_value", lambda: tg.full((2,), "a"), TypeError, r"fill_value|str|'a'"),
    err("full_none_value", lambda: tg.full((2,), None), TypeError, r"fill_value|None"),
    err("full_like_str_value", lambda: tg.full_like(v3(), "a"), TypeError,
        r"fill_value|str|'a'"),
    err("randint_low_equals_high", lambda: tg.randint(5, 5, (3,)), ShapeError,
        r"(?i)low|high|from|>="),
    err("randint_low_above_high", lambda: tg.randint(5, 2, (3,)), ShapeError,
        r"(?i)low|high|from|>="),
    err("randint_high_zero", lambda: tg.randint(0, size=(3,)), ShapeError,
        r"(?i)low|high|from|>="),
    err("randint_negative_size", lambda: tg.randint(0, 5, (-1,)), ShapeError,
        r"(?i)negative|-1"),
    err("randperm_negative", lambda: tg.randperm(-1), ShapeError, r"(?i)negative|-1"),
    err("randperm_float", lambda: tg.randperm(2.5), TypeError, r"(?i)2\.5|float"),
    # ---- shape ops
    err("permute_dim_out_of_range", lambda: m23().permute(0, 5), IndexError, _dim_re(5)),
    err("permute_negative_dim_out_of_range", lambda: m23().permute(0, -3), IndexError,
        _dim_re(-3)),
    err("permute_repeated_dim", lambda: m23().permute(0, 0), ShapeError,
        r"(?i)duplicate|repeat|permutation"),
    err("permute_repeated_negative_dim", lambda: m23().permute(1, -1), ShapeError,
        r"(?i)duplicate|repeat|permutation"),
    err("permute_too_few_dims", lambda: m23().permute(0), ShapeError,
        r"(?i)number of dim|permutation|len"),
    err("permute_too_many_dims", lambda: m23().permute(0, 1, 2), ShapeError,
        r"(?i)number of dim|permutation|len"),
    err("permute_float_dim", lambda: m23().permute(0.5, 1), TypeError, r"(?i)float|0\.5"),
    err("permute_scalar_with_dim", lambda: s0().permute(0), ShapeError,
        r"(?i)number of dim|permutation|len"),
    err("transpose_dim_out_of_range", lambda: m23().transpose(0, 5), IndexError, _dim_re(5)),
    err("transpose_negative_dim_out_of_range", lambda: m23().transpose(-3, 0), IndexError,
        _dim_re(-3)),
    err("transpose_float_dim", lambda: m23().transpose(0, 1.0), TypeError,
        r"(?i)\bdim|float|1\.0"),
    err("t_of_3d", lambda: tg.zeros(2, 3, 4).t(), ShapeError, r"<= ?2"),
    err("expand_minus_one_new_leading_dim", lambda: v3().expand(-1, 3), ShapeError,
        r"(?i)-1.*(lead|new|non-?exist)"),
    err("expand_incompatible", lambda: v3().expand(4), ShapeError, _shapes_re((3,), (4,))),
    err("expand_incompatible_2d", lambda: m23().expand(4, 3), ShapeError,
        _shapes_re((2, 3), (4, 3))),
    err("expand_fewer_sizes_than_dims", lambda: m23().expand(3), ShapeError,
        r"(?i)number of sizes|" + _shapes_re((2, 3), (3,))),
    err("expand_negative_size", lambda: v3().expand(-2), ShapeError, r"-2|negative"),
    err("expand_as_incompatible", lambda: v3().expand_as(tg.zeros(2, 4)), ShapeError,
        _shapes_re((3,), (2, 4))),
    err("broadcast_to_incompatible", lambda: v3().broadcast_to((4,)), ShapeError,
        _shapes_re((3,), (4,))),
    err("reshape_wrong_size", lambda: m23().reshape(4, 2), ShapeError,
        r"(?s)6.*" + _shape_re((4, 2)) + "|" + _shape_re((4, 2)) + r".*\b6\b"),
    err("reshape_two_minus_ones", lambda: m23().reshape(-1, -1), ShapeError,
        r"(?i)only one|one (unknown )?dim|infer"),
    err("reshape_minus_one_does_not_fit", lambda: m23().reshape(-1, 4), ShapeError,
        r"(?i)size 6|6 elements"),
    err("reshape_minus_two", lambda: m23().reshape(-2, 3), ShapeError, r"-2"),
    err("reshape_float_size", lambda: m23().reshape(2.0, 3), TypeError, r"(?i)float|2\.0"),
    err("reshape_empty_ambiguous", lambda: tg.zeros(0, 3).reshape(0, -1), ShapeError,
        r"(?i)ambiguous|0 elements|size 0"),
    err("view_wrong_size", lambda: m23().view(5), ShapeError, r"(?s)6.*" + _shape_re((5,))),
    err("view_two_minus_ones", lambda: m23().view(-1, -1), ShapeError,
        r"(?i)only one|one (unknown )?dim|infer"),
    err("view_as_wrong_size", lambda: m23().view_as(tg.zeros(4)), ShapeError,
        r"(?s)6.*" + _shape_re((4,))),
    err("squeeze_dim_out_of_range", lambda: m23().squeeze(5), IndexError, _dim_re(5)),
    err("squeeze_negative_dim_out_of_range", lambda: m23().squeeze(-3), IndexError,
        _dim_re(-3)),
    err("squeeze_tuple_dim_out_of_range", lambda: m23().squeeze((0, 5)), IndexError,
        _dim_re(5)),
    err("unsqueeze_dim_out_of_range", lambda: m23().unsqueeze(3), IndexError, _dim_re(3)),
    err("unsqueeze_negative_dim_out_of_range", lambda: m23().unsqueeze(-4), IndexError,
        _dim_re(-4)),
    err("unsqueeze_float_dim", lambda: m23().unsqueeze(1.0), TypeError,
        r"(?i)\bdim|float|1\.0"),
    err("flatten_dim_out_of_range", lambda: m23().flatten(5), IndexError, _dim_re(5)),
    err("flatten_negative_end_out_of_range", lambda: m23().flatten(0, -3), IndexError,
        _dim_re(-3)),
    err("flatten_start_after_end", lambda: m23().flatten(1, 0), ShapeError,
        r"start_dim.*end_dim"),
    err("flatten_scalar_dim_out_of_range", lambda: s0().flatten(1), IndexError, _dim_re(1)),
    err("getitem_out_of_range", lambda: m23()[2], IndexError,
        r"(?i)\b2\b.*(bounds|range|size)"),
    err("getitem_second_index_out_of_range", lambda: m23()[0, 3], IndexError,
        r"(?i)\b3\b.*(bounds|range|size)"),
    err("getitem_negative_out_of_range", lambda: m23()[-3], IndexError,
        r"(?i)-3.*(bounds|range|size)"),
    err("getitem_too_many_indices", lambda: m23()[0, 0, 0], IndexError, r"(?i)too many ind"),
    err("getitem_float_index", lambda: m23()[0.5], IndexError, r"(?i)integer|float"),
    err("getitem_str_index", lambda: m23()["0"], (IndexError, TypeError), r"(?i)integer|str"),
    err("getitem_list_out_of_range", lambda: m23()[[0, 5]], IndexError,
        r"(?i)\b5\b.*(bounds|range|size)"),
    err("getitem_tensor_out_of_range", lambda: m23()[tg.tensor([0, 5])], IndexError,
        r"(?i)\b5\b.*(bounds|range|size)"),
    err("getitem_float_tensor_index", lambda: m23()[tg.tensor([0.0])], IndexError,
        r"(?i)integer|long|bool"),
    err("getitem_mask_wrong_length", lambda: m23()[tg.tensor([True, False, True])],
        IndexError, r"(?i)mask|boolean"),
    err("getitem_scalar", lambda: s0()[0], IndexError, r"(?i)0-d|0-dim|too many|scalar"),
    err("getitem_step_zero", lambda: m23()[::0], ValueError, r"(?i)step.*zero"),
    err("setitem_out_of_range", lambda: _setitem(v3(), 5, 1.0), IndexError,
        r"(?i)\b5\b.*(bounds|range|size)"),
    err("setitem_shape_mismatch", lambda: _setitem(v3(), slice(None), tg.zeros(4)),
        ShapeError, _shapes_re((3,), (4,)) + r"|\(3\).*\(4\)|\(4\).*\(3\)"),
    err("cat_size_mismatch", lambda: tg.cat([tg.zeros(2, 3), tg.zeros(2, 4)]), ShapeError,
        r"(?s)\b3\b.*\b4\b"),
    err("cat_ndim_mismatch", lambda: tg.cat([tg.zeros(2, 3), tg.zeros(3)]), ShapeError,
        r"(?i)dimension"),
    err("cat_dim_out_of_range", lambda: tg.cat([m23(), m23()], dim=2), IndexError, _dim_re(2)),
    err("cat_empty_list", lambda: tg.cat([]), ValueError, r"(?i)empty|at least one"),
    err("cat_scalars", lambda: tg.cat([s0(), s0()]), ShapeError, r"(?i)zero-dim|0-d"),
    err("cat_of_a_tensor_not_a_list", lambda: tg.cat(m23()), TypeError,
        r"(?i)sequence|list|tuple"),
    err("stack_shape_mismatch", lambda: tg.stack([tg.zeros(2), tg.zeros(3)]), ShapeError,
        r"(?i)same (shape|size)|equal size"),
    err("stack_empty_list", lambda: tg.stack([]), ShapeError, r"(?i)empty|at least one"),
    err("stack_dim_out_of_range", lambda: tg.stack([v3(), v3()], dim=3), IndexError,
        _dim_re(3)),
    err("stack_negative_dim_out_of_range", lambda: tg.stack([m23(), m23()], dim=-4),
        IndexError, _dim_re(-4)),
    # ---- reductions
    err("sum_dim_out_of_range", lambda: m23().sum(2), IndexError, _dim_re(2)),
    err("sum_repeated_dim", lambda: m23().sum((0, 0)), ShapeError,
        r"(?i)multiple|repeat|duplicate"),
    err("sum_float_dim", lambda: m23().sum(0.5), TypeError, r"(?i)\bdim|0\.5"),
    err("sum_scalar_dim_out_of_range", lambda: s0().sum(1), IndexError, _dim_re(1)),
    err("mean_dim_out_of_range", lambda: m23().mean(-3), IndexError, _dim_re(-3)),
    err("max_dim_out_of_range", lambda: m23().max(2), IndexError, _dim_re(2)),
    err("max_scalar_dim_out_of_range", lambda: s0().max(1), IndexError, _dim_re(1)),
    err("min_dim_out_of_range", lambda: m23().min(-3), IndexError, _dim_re(-3)),
    err("var_dim_out_of_range", lambda: m23().var(2), IndexError, _dim_re(2)),
    err("std_dim_out_of_range", lambda: m23().std(5), IndexError, _dim_re(5)),
    err("amax_dim_out_of_range", lambda: m23().amax(2), IndexError, _dim_re(2)),
    err("amin_dim_out_of_range", lambda: m23().amin(-3), IndexError, _dim_re(-3)),
    err("logsumexp_dim_out_of_range", lambda: m23().logsumexp(2), IndexError, _dim_re(2)),
    err("argmax_dim_out_of_range", lambda: m23().argmax(2), IndexError, _dim_re(2)),
    err("argmin_dim_out_of_range", lambda: m23().argmin(-3), IndexError, _dim_re(-3)),
    err("size_dim_out_of_range", lambda: m23().size(5), IndexError, _dim_re(5)),
    err("mean_of_int", lambda: tg.tensor([1, 2, 3]).mean(), RuntimeError, r"(?i)float|int64"),
    err("mean_of_int_over_dim", _mean_int_dim, RuntimeError, r"(?i)float|int64"),
    err("var_of_int", lambda: tg.tensor([1, 2, 3]).var(), RuntimeError, r"(?i)float|int64"),
    err("std_of_int", lambda: tg.tensor([1, 2, 3]).std(), RuntimeError, r"(?i)float|int64"),
    err("max_of_empty", lambda: e20().max(), (RuntimeError, ValueError, IndexError),
        r"(?i)empty|zero-size|numel|no identity|0 elements|non-zero size"),
    err("min_of_empty", lambda: e20().min(), (RuntimeError, ValueError, IndexError),
        r"(?i)empty|zero-size|numel|no identity|0 elements|non-zero size"),
    err("amax_of_empty", lambda: e20().amax(), (RuntimeError, ValueError, IndexError),
        r"(?i)empty|zero-size|numel|no identity|0 elements|non-zero size"),
    err("max_over_empty_dim", lambda: e20().max(1), (IndexError, ValueError, RuntimeError),
        r"(?i)empty|zero-size|non-zero size|0 elements"),
    err("amax_over_empty_dim", lambda: e20().amax(1), (IndexError, ValueError, RuntimeError),
        r"(?i)empty|zero-size|non-zero size|0 elements"),
    err("argmax_of_empty", lambda: e20().argmax(), (IndexError, ValueError, RuntimeError),
        r"(?i)empty|zero-size|numel|0 elements|non-zero size"),
    err("argmin_of_empty", lambda: tg.zeros(0).argmin(), (IndexError, ValueError, RuntimeError),
        r"(?i)empty|zero-size|numel|0 elements|non-zero size"),
    err("argmax_over_empty_dim", lambda: e20().argmax(1), (IndexError, ValueError, RuntimeError),
        r"(?i)empty|zero-size|non-zero size|0 elements"),
    # ---- elementwise
    err("add_broadcast_mismatch", lambda: m23() + tg.zeros(4), ShapeError,
        _shapes_re((2, 3), (4,))),
    err("mul_broadcast_mismatch", lambda: m23() * tg.zeros(3, 2), ShapeError,
        _shapes_re((2, 3), (3, 2))),
    err("add_str", lambda: m23() + "x", TypeError, r"str"),
    err("add_none", lambda: m23() + None, TypeError, r"None"),
    err("maximum_broadcast_mismatch", lambda: m23().maximum(tg.zeros(4)), ShapeError,
        _shapes_re((2, 3), (4,))),
    err("where_broadcast_mismatch",
        lambda: tg.where(tg.tensor([True, False]), tg.zeros(3), tg.zeros(3)), ShapeError,
        _shapes_re((2,), (3,))),
    err("where_float_condition",
        lambda: tg.where(tg.tensor([1.0, 0.0]), tg.zeros(2), tg.ones(2)),
        (RuntimeError, TypeError), r"(?i)bool"),
    err("inplace_add__leaf_requiring_grad", lambda: w23().add_(1), RuntimeError,
        r"leaf.*requires grad"),
    err("inplace_iadd_leaf_requiring_grad", lambda: _iadd(w23(), 1), RuntimeError,
        r"leaf.*requires grad"),
    err("inplace_setitem_leaf_requiring_grad", lambda: _setitem(w23(), 0, 1.0), RuntimeError,
        r"leaf.*requires grad"),
    err("inplace_iadd_would_broadcast_self", lambda: _iadd(v3(), tg.zeros(2, 3)), ShapeError,
        _shapes_re((3,), (2, 3))),
    err("inplace_mul__would_broadcast_self", lambda: v3().mul_(tg.zeros(2, 3)), ShapeError,
        _shapes_re((3,), (2, 3))),
    err("inplace_sub__would_broadcast_self", lambda: v3().sub_(tg.zeros(2, 3)), ShapeError,
        _shapes_re((3,), (2, 3))),
    err("copy__shape_mismatch", lambda: v3().copy_(tg.zeros(4)), ShapeError,
        _shapes_re((3,), (4,)) + r"|\(3\).*\(4\)|\(4\).*\(3\)"),
    err("int_iadd_float", lambda: _iadd(ints(), 0.5), RuntimeError,
        r"(?i)cast|float.*(int|long)"),
    err("int_mul__float", lambda: ints().mul_(1.5), RuntimeError, r"(?i)cast|float.*(int|long)"),
    err("int_div__int", lambda: ints().div_(2), RuntimeError, r"(?i)cast|float.*(int|long)"),
    err("int_itruediv_int", lambda: _itruediv(ints(), 2), RuntimeError,
        r"(?i)cast|float.*(int|long)"),
    err("int_add__float_tensor", lambda: ints().add_(tg.tensor([0.5, 0.5])), RuntimeError,
        r"(?i)cast|float.*(int|long)"),
    err("int_add__float_alpha", lambda: ints().add_(1, alpha=0.5), RuntimeError,
        r"(?i)alpha|cast|float"),
    err("bool_iadd_int", lambda: _iadd(tg.tensor([True, False]), 1), RuntimeError,
        r"(?i)cast|bool"),
    err("int_pow_negative_int", lambda: ints() ** -1, ShapeError, r"(?i)negative.*power"),
    err("clamp_without_bounds", lambda: m23().clamp(), ShapeError, r"(?i)min.*max"),
    err("clamp_function_without_bounds", lambda: tg.clamp(m23()), ShapeError, r"(?i)min.*max"),
    err("clamp__without_bounds", lambda: m23().clamp_(), ShapeError, r"(?i)min.*max"),
    # ---- matmul
    err("matmul_0d_0d", lambda: s0() @ s0(), ShapeError, r"(?i)1-?D|0-?D|dimension"),
    err("matmul_0d_1d", lambda: s0() @ v3(), ShapeError, r"(?i)1-?D|0-?D|dimension"),
    err("matmul_1d_0d", lambda: tg.matmul(v3(), s0()), ShapeError, r"(?i)1-?D|0-?D|dimension"),
    err("matmul_mismatch", lambda: m23() @ tg.zeros(4, 5), ShapeError,
        _shapes_re((2, 3), (4, 5))),
    err("matmul_1d_mismatch", lambda: v3() @ tg.zeros(4), ShapeError, _shapes_re((3,), (4,))),
    err("matmul_2d_1d_mismatch", lambda: m23() @ tg.zeros(4), ShapeError,
        _shapes_re((2, 3), (4,))),
    err("matmul_batch_mismatch", lambda: tg.zeros(2, 2, 3) @ tg.zeros(3, 3, 4), ShapeError,
        _shapes_re((2, 2, 3), (3, 3, 4))),
    err("matmul_int_and_float", lambda: tg.zeros(2, 3, dtype=tg.int64) @ tg.zeros(3, 2),
        (RuntimeError, TypeError), r"(?i)dtype|int64|long"),
    # ---- backward and gradients
    err("backward_non_scalar_without_gradient", lambda: (w23() * 2).backward(), RuntimeError,
        r"scalar"),
    err("backward_gradient_wrong_shape", lambda: (w23() * 2).backward(tg.ones(3)),
        RuntimeError, _shapes_re((3,), (2, 3))),
    err("backward_gradient_broadcastable_shape", lambda: (w23() * 2).backward(tg.ones(1, 3)),
        RuntimeError, _shapes_re((1, 3), (2, 3))),
    err("backward_scalar_with_vector_gradient", lambda: w23().sum().backward(tg.ones(2)),
        RuntimeError, _shapes_re((2,), ())),
    err("backward_not_requiring_grad", lambda: tg.ones(2).sum().backward(), RuntimeError,
        r"does not require grad"),
    err("backward_leaf_not_requiring_grad", lambda: tg.ones(1).backward(), RuntimeError,
        r"does not require grad"),
    err("backward_computed_under_no_grad", _backward_under_no_grad, RuntimeError,
        r"does not require grad"),
    err("backward_twice_without_retain_graph", _backward_twice, RuntimeError,
        r"(?i)second time.*retain_graph"),
    err("grad_assign_wrong_shape", lambda: _assign(w23(), "grad", tg.zeros(3)), RuntimeError,
        _shapes_re((3,), (2, 3))),
    err("grad_assign_wrong_float_dtype",
        lambda: _assign(w23(), "grad", tg.zeros(2, 3, dtype=tg.float64)), RuntimeError,
        r"float64|double"),
    err("grad_assign_int_dtype", lambda: _assign(w23(), "grad", tg.zeros(2, 3, dtype=tg.int64)),
        RuntimeError, r"int64|long"),
    err("grad_assign_list", lambda: _assign(w23(), "grad", [[0.0] * 3] * 2), TypeError,
        r"Tensor"),
    err("grad_assign_ndarray", lambda: _assign(w23(), "grad", np.zeros((2, 3), np.float32)),
        TypeError, r"Tensor"),
    err("item_of_two_elements", lambda: tg.zeros(2).item(), (RuntimeError, ValueError),
        r"\b2 elements|" + _shape_re((2,))),
    err("item_of_empty", lambda: tg.zeros(0).item(), (RuntimeError, ValueError),
        r"\b0 elements|" + _shape_re((0,))),
    err("float_of_two_elements", lambda: float(tg.zeros(2)), (ValueError, RuntimeError),
        r"(?i)one.element|\b2 elements|" + _shape_re((2,))),
    err("int_of_two_elements", lambda: int(tg.zeros(2)), (ValueError, RuntimeError),
        r"(?i)one.element|\b2 elements|" + _shape_re((2,))),
    err("bool_of_two_elements", lambda: bool(tg.zeros(2)), RuntimeError, r"(?i)ambiguous"),
    err("bool_of_empty", lambda: bool(tg.zeros(0)), RuntimeError, r"(?i)ambiguous"),
    err("numpy_of_tensor_requiring_grad", lambda: w23().numpy(), RuntimeError,
        r"requires grad"),
    err("requires_grad__false_on_non_leaf", lambda: (w23() * 2).requires_grad_(False),
        RuntimeError, r"leaf"),
    err("retain_grad_without_requires_grad", lambda: tg.ones(2).retain_grad(), RuntimeError,
        r"requires_grad|require grad"),
    err("index_with_float_tensor", lambda: [1, 2, 3][tg.tensor(1.0)], TypeError,
        r"(?i)integer"),
    err("len_of_0d", lambda: len(s0()), TypeError, r"0-d"),
    err("iter_of_0d", lambda: iter(s0()), TypeError, r"0-d"),
    # ---- nn.functional: losses
    err("cross_entropy_int_logits", lambda: F.cross_entropy(tg.tensor([[1, 2, 3]] * 4),
                                                            target()),
        (TypeError, RuntimeError, NotImplementedError), r"(?i)int64|long|float"),
    err("cross_entropy_uint64_target",
        lambda: F.cross_entropy(logits(), target(dtype=np.uint64)), (RuntimeError, TypeError),
        r"(?i)uint64"),
    err("cross_entropy_bool_target",
        lambda: F.cross_entropy(logits(), target([True, False, True, False], bool)),
        (RuntimeError, TypeError), r"bool"),
    err("cross_entropy_index_target_wrong_batch",
        lambda: F.cross_entropy(logits(), target([0, 1])), ShapeError,
        r"(?s)\b4\b.*\b2\b"),
    err("cross_entropy_index_target_2d",
        lambda: F.cross_entropy(logits(), target(TARGET.reshape(4, 1))), ShapeError,
        _shape_re((4, 1)) + r"|1D|multi-target"),
    err("cross_entropy_uint64_target_wrong_shape",
        lambda: F.cross_entropy(logits(), target([0, 1], np.uint64)), (RuntimeError, TypeError,
                                                                       ValueError),
        r"(?i)uint64|" + _shape_re((2,))),
    err("cross_entropy_prob_target_wrong_shape",
        lambda: F.cross_entropy(logits(), tg.full((4, 2), 0.5)), ShapeError,
        _shapes_re((4, 3), (4, 2)) + r"|multi-target"),
    err("cross_entropy_float_index_target",
        lambda: F.cross_entropy(logits(), target(dtype=np.float32)), (ValueError, RuntimeError,
                                                                      TypeError),
        r"(?i)integer|long|float|shape"),
    err("cross_entropy_target_out_of_range",
        lambda: F.cross_entropy(logits(), target([0, 3, 1, 0])), IndexError, r"\b3\b"),
    err("cross_entropy_target_negative",
        lambda: F.cross_entropy(logits(), target([0, -1, 1, 0])), IndexError, r"-1"),
    err("cross_entropy_target_far_negative",
        lambda: F.cross_entropy(logits(), target([0, -5, 1, 0])), IndexError, r"-5"),
    err("cross_entropy_one_sample_target_out_of_range",
        lambda: F.cross_entropy(tg.tensor(LOGITS[0]), tg.tensor(3)), IndexError, r"\b3\b"),
    err("cross_entropy_0d_input", lambda: F.cross_entropy(s0(), tg.tensor(0)),
        (ValueError, RuntimeError), r"\(\)|0-?D|\(N, C\)|float"),
    err("cross_entropy_3d_input_bad_target",
        lambda: F.cross_entropy(tg.zeros(2, 3, 4), target([0, 1])), ShapeError,
        _shape_re((2, 3, 4)) + "|" + _shape_re((2, 4))),
    err("cross_entropy_bad_reduction",
        lambda: F.cross_entropy(logits(), target(), reduction="avg"), ValueError, r"avg"),
    err("nll_loss_int_input", lambda: F.nll_loss(tg.tensor([[1, 2, 3]] * 4), target()),
        (TypeError, RuntimeError, NotImplementedError), r"(?i)int64|long|float"),
    err("nll_loss_uint64_target", lambda: F.nll_loss(logp(), target(dtype=np.uint64)),
        (RuntimeError, TypeError), r"(?i)uint64"),
    err("nll_loss_float_target", lambda: F.nll_loss(logp(), target(dtype=np.float32)),
        (RuntimeError, TypeError), r"(?i)target.*(dtype|float|integer)|float32"),
    err("nll_loss_target_wrong_batch", lambda: F.nll_loss(logp(), target([0, 1])), ShapeError,
        r"(?s)\b4\b.*\b2\b"),
    err("nll_loss_target_out_of_range", lambda: F.nll_loss(logp(), target([0, 3, 1, 0])),
        IndexError, r"\b3\b"),
    err("nll_loss_target_negative", lambda: F.nll_loss(logp(), target([0, -1, 1, 0])),
        IndexError, r"-1"),
    err("nll_loss_bad_reduction", lambda: F.nll_loss(logp(), target(), reduction="avg"),
        ValueError, r"avg"),
    err("mse_loss_not_broadcastable", lambda: F.mse_loss(logits(), tg.zeros(2)), ShapeError,
        _shapes_re((4, 3), (2,)) + r"|\(3\).*\(2\)"),
    err("mse_loss_bad_reduction", lambda: F.mse_loss(logits(), logits(), reduction="avg"),
        ValueError, r"avg"),
    err("l1_loss_bad_reduction", lambda: F.l1_loss(logits(), logits(), reduction="avg"),
        ValueError, r"avg"),
    err("mse_loss_int", lambda: F.mse_loss(tg.tensor([1, 2]), tg.tensor([1, 3])),
        (TypeError, RuntimeError, NotImplementedError), r"(?i)int64|long|float"),
    err("bce_input_above_one",
        lambda: F.binary_cross_entropy(tg.tensor([0.5, 1.5]), tg.tensor([0.0, 1.0])),
        (RuntimeError, ValueError), r"between 0 and 1"),
    err("bce_input_below_zero",
        lambda: F.binary_cross_entropy(tg.tensor([-0.5, 0.5]), tg.tensor([0.0, 1.0])),
        (RuntimeError, ValueError), r"between 0 and 1"),
    err("bce_input_nan",
        lambda: F.binary_cross_entropy(tg.tensor([NaN, 0.5]), tg.tensor([0.0, 1.0])),
        (RuntimeError, ValueError), r"between 0 and 1"),
    err("bce_target_above_one",
        lambda: F.binary_cross_entropy(tg.full((2,), 0.5), tg.tensor([2.0, 0.0])),
        (RuntimeError, ValueError), r"between 0 and 1"),
    err("bce_shape_mismatch",
        lambda: F.binary_cross_entropy(tg.full((4,), 0.5), tg.zeros(4, 1)), ValueError,
        _shapes_re((4,), (4, 1))),
    err("bce_int_target",
        lambda: F.binary_cross_entropy(tg.full((2,), 0.5), tg.tensor([1, 0])),
        (RuntimeError, TypeError), r"(?i)int64|long|dtype"),
    err("bce_with_logits_shape_mismatch",
        lambda: F.binary_cross_entropy_with_logits(tg.zeros(4), tg.zeros(4, 1)), ValueError,
        _shapes_re((4,), (4, 1))),
    err("bce_with_logits_broadcastable_mismatch",
        lambda: F.binary_cross_entropy_with_logits(tg.zeros(4, 3), tg.zeros(4, 1)), ValueError,
        _shapes_re((4, 3), (4, 1))),
    err("bce_with_logits_bad_reduction",
        lambda: F.binary_cross_entropy_with_logits(tg.zeros(4), tg.zeros(4), reduction="x"),
        ValueError, r"'x'|\bx\b"),
    err("bce_with_logits_int_target",
        lambda: F.binary_cross_entropy_with_logits(tg.zeros(2), tg.tensor([1, 0])),
        (RuntimeError, TypeError), r"(?i)int64|long|dtype|cast"),
    # ---- nn.functional: pad, dropout, linear, softmax, activations
    err("pad_odd_length", lambda: F.pad(m23(), (1,)), ShapeError,
        r"(?i)pairs|divisible by 2|even"),
    err("pad_longer_than_dims", lambda: F.pad(v3(), (1, 1, 1, 1)), ShapeError,
        r"(?i)pairs|at most|dimension"),
    err("pad_crops_below_zero", lambda: F.pad(m23(), (-2, -2)), ShapeError,
        r"(?i)negative|-2|-1"),
    err("pad_float_width", lambda: F.pad(m23(), (1.5, 1)), TypeError, r"(?i)int|float"),
    err("pad_int_not_tuple", lambda: F.pad(m23(), 1), TypeError, r"(?i)tuple|sequence"),
    err("dropout_p_above_one", lambda: F.dropout(v3(), 1.5), ValueError, r"1\.5"),
    err("dropout_p_negative", lambda: F.dropout(v3(), -0.1), ValueError, r"-0\.1"),
    err("dropout_p_nan", lambda: F.dropout(v3(), NaN), ShapeError, r"nan"),
    err("dropout_p_str", lambda: F.dropout(v3(), "a"), TypeError, r"'a'|str"),
    err("dropout_p_negative_in_eval", lambda: F.dropout(v3(), -0.1, training=False),
        ValueError, r"-0\.1"),
    err("dropout_int_tensor", lambda: F.dropout(ints(), 0.5), (RuntimeError, TypeError),
        r"(?i)float|int64|long"),
    err("linear_in_features_mismatch", lambda: F.linear(m23(), tg.zeros(4, 5)), ShapeError,
        _shapes_re((2, 3), (4, 5)) + r"|2x3 and 5x4"),
    err("linear_bias_mismatch", lambda: F.linear(m23(), tg.zeros(4, 3), tg.zeros(5)),
        ShapeError, r"(?s)\b5\b.*\b4\b|\b4\b.*\b5\b"),
    err("linear_0d_input", lambda: F.linear(s0(), tg.zeros(4, 3)), ShapeError,
        r"(?i)1-?D|0-?D|\(\)|dimension"),
    err("linear_3d_weight", lambda: F.linear(m23(), tg.zeros(2, 4, 3)), ShapeError,
        r"(?i)<= ?2|2 dim|2-?D|" + _shape_re((2, 4, 3))),
    err("linear_int_input", lambda: F.linear(tg.zeros(2, 3, dtype=tg.int64), tg.zeros(4, 3)),
        (RuntimeError, TypeError), r"(?i)dtype|int64|long"),
    err("softmax_dim_out_of_range", lambda: F.softmax(m23(), dim=2), IndexError, _dim_re(2)),
    err("softmax_negative_dim_out_of_range", lambda: F.softmax(m23(), dim=-3), IndexError,
        _dim_re(-3)),
    err("log_softmax_dim_out_of_range", lambda: F.log_softmax(m23(), dim=2), IndexError,
        _dim_re(2)),
    err("tensor_softmax_dim_out_of_range", lambda: m23().softmax(5), IndexError, _dim_re(5)),
    err("softmax_scalar_dim_out_of_range", lambda: F.softmax(s0(), dim=1), IndexError,
        _dim_re(1)),
    err("softmax_int", lambda: F.softmax(ints(), dim=0),
        (TypeError, RuntimeError, NotImplementedError), r"(?i)int64|long|float"),
    err("leaky_relu_str_slope", lambda: F.leaky_relu(v3(), "a"), TypeError,
        r"(?i)negative_slope|str|'a'"),
    # ---- gradcheck
    err("gradcheck_float32_input",
        lambda: tg.gradcheck(lambda x: x * 2, tg.ones(3, requires_grad=True)), TypeError,
        r"float64"),
    err("gradcheck_no_input_requires_grad",
        lambda: tg.gradcheck(lambda x: x * 2, tg.ones(3, dtype=tg.float64)), ValueError,
        r"(?i)requires? grad"),
    err("gradcheck_fn_returns_non_tensor",
        lambda: tg.gradcheck(lambda x: 1.0, tg.ones(3, dtype=tg.float64, requires_grad=True)),
        TypeError, r"(?i)Tensor"),
]


@pytest.mark.parametrize(("call", "exc", "match"), ERRORS)
def test_bad_input_raises(call, exc, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc, match=match) as info:
            result = call()
            pytest.fail(f"no error; got {result!r}")  # pragma: no cover
    _check_not_internal(info.value)


# --------------------------------------------------------------------------- like PyTorch


def _assert_like(ours: Any, theirs: Any, torch: Any) -> None:
    """``ours`` (tinygrad_edu) has PyTorch's result ``theirs``: same type, shape, dtype, values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, Tensor), f"expected a Tensor like {theirs!r}, got {ours!r}"
        assert ours.shape == tuple(theirs.shape), f"shape {ours.shape} != {tuple(theirs.shape)}"
        expected_dtype = str(theirs.dtype).removeprefix("torch.")
        assert ours.dtype.name == expected_dtype, f"dtype {ours.dtype} != {expected_dtype}"
        np.testing.assert_allclose(
            np.asarray(ours.data.numpy(), dtype=np.float64), theirs.detach().double().numpy(),
            rtol=1e-5, atol=1e-6, equal_nan=True,
        )
    elif isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), f"{ours!r} vs {theirs!r}"
        for a, b in zip(ours, theirs, strict=True):
            _assert_like(a, b, torch)
    elif theirs is None:
        assert ours is None, f"expected None, got {ours!r}"
    else:
        assert type(ours) is type(theirs), f"{ours!r} vs {theirs!r}"
        assert ours == pytest.approx(theirs, nan_ok=True), f"{ours!r} vs {theirs!r}"


def like(id: str, ours: Callable[[], Any], theirs: Callable[[Any], Any]) -> Any:
    return pytest.param(ours, theirs, id=id)


A23 = np.arange(6, dtype=np.float32).reshape(2, 3)


def _grad_of(fn: Callable[[Any], Any], make: Callable[[], Any]) -> Any:
    x = make()
    fn(x)
    return x.grad


def _tg_then_return(t: Tensor, fn: Callable[[Tensor], Any]) -> Tensor:
    fn(t)
    return t


def _torch_iadd(t: Any, other: Any) -> Any:
    t += other
    return t


def _torch_setitem(t: Any, index: Any, value: Any) -> Any:
    t[index] = value
    return t


def _two_leaf_backwards(x: Any) -> None:
    x.backward()
    x.backward()


def _assigned_grad_then_backward(x: Any, ones: Any) -> None:
    x.grad = ones
    (x * 2).sum().backward()


LIKE_TORCH = [
    like("expand_minus_one_on_existing_dim", lambda: v3().expand(2, -1),
         lambda torch: torch.zeros(3).expand(2, -1)),
    like("expand_zero_new_dim", lambda: v3().expand(0, 3),
         lambda torch: torch.zeros(3).expand(0, 3)),
    like("squeeze_dim_not_of_size_one", lambda: tg.tensor(A23).squeeze(0),
         lambda torch: torch.tensor(A23).squeeze(0)),
    like("unsqueeze_negative_in_range", lambda: tg.tensor(A23).unsqueeze(-3),
         lambda torch: torch.tensor(A23).unsqueeze(-3)),
    like("transpose_0d", lambda: s0().transpose(0, 0),
         lambda torch: torch.tensor(1.0).transpose(0, 0)),
    like("transpose_0d_negative", lambda: s0().transpose(-1, 0),
         lambda torch: torch.tensor(1.0).transpose(-1, 0)),
    like("flatten_0d_with_dims", lambda: s0().flatten(0, 0),
         lambda torch: torch.tensor(1.0).flatten(0, 0)),
    like("sum_0d_dim0", lambda: s0().sum(0), lambda torch: torch.tensor(1.0).sum(0)),
    like("sum_0d_dim_minus_one", lambda: s0().sum(-1), lambda torch: torch.tensor(1.0).sum(-1)),
    like("mean_0d_dim0", lambda: s0().mean(0), lambda torch: torch.tensor(1.0).mean(0)),
    like("max_0d_dim0", lambda: tuple(s0().max(0)),
         lambda torch: tuple(torch.tensor(1.0).max(0))),
    like("max_over_nonempty_dim_of_empty", lambda: tuple(e20().max(0)),
         lambda torch: tuple(torch.zeros(2, 0).max(0))),
    like("sum_of_empty", lambda: e20().sum(), lambda torch: torch.zeros(2, 0).sum()),
    like("mean_of_empty", lambda: e20().mean(), lambda torch: torch.zeros(2, 0).mean()),
    like("var_of_one_element", lambda: tg.tensor([1.0]).var(),
         lambda torch: torch.tensor([1.0]).var()),
    like("logsumexp_over_empty_dim", lambda: e20().logsumexp(1),
         lambda torch: torch.zeros(2, 0).logsumexp(1)),
    like("sum_of_int", lambda: tg.tensor([1, 2, 3]).sum(),
         lambda torch: torch.tensor([1, 2, 3]).sum()),
    like("sum_of_int32", lambda: tg.tensor([1, 2, 3], dtype=tg.int32).sum(),
         lambda torch: torch.tensor([1, 2, 3], dtype=torch.int32).sum()),
    like("cat_float32_and_int64", lambda: tg.cat([tg.zeros(2), ints()]),
         lambda torch: torch.cat([torch.zeros(2), torch.tensor([1, 2])])),
    like("stack_float32_and_int64", lambda: tg.stack([tg.zeros(2), ints()]),
         lambda torch: torch.stack([torch.zeros(2), torch.tensor([1, 2])])),
    like("add_float32_and_int64", lambda: tg.ones(2) + ints(),
         lambda torch: torch.ones(2) + torch.tensor([1, 2])),
    like("mul_int64_and_float32", lambda: ints() * tg.ones(2),
         lambda torch: torch.tensor([1, 2]) * torch.ones(2)),
    like("div_int_by_int", lambda: ints() / tg.tensor([2, 2]),
         lambda torch: torch.tensor([1, 2]) / torch.tensor([2, 2])),
    like("div_int_by_zero", lambda: ints() / 0, lambda torch: torch.tensor([1, 2]) / 0),
    like("int_pow_half", lambda: tg.tensor([1, 4]) ** 0.5,
         lambda torch: torch.tensor([1, 4]) ** 0.5),
    like("sigmoid_of_int", lambda: ints().sigmoid(), lambda torch: torch.tensor([1, 2]).sigmoid()),
    like("exp_of_int", lambda: ints().exp(), lambda torch: torch.tensor([1, 2]).exp()),
    like("log_of_int", lambda: ints().log(), lambda torch: torch.tensor([1, 2]).log()),
    like("sqrt_of_int", lambda: ints().sqrt(), lambda torch: torch.tensor([1, 2]).sqrt()),
    like("tanh_of_int", lambda: ints().tanh(), lambda torch: torch.tensor([1, 2]).tanh()),
    like("relu_of_int", lambda: tg.tensor([-1, 2]).relu(),
         lambda torch: torch.tensor([-1, 2]).relu()),
    like("logsumexp_of_int", lambda: ints().logsumexp(0),
         lambda torch: torch.tensor([1, 2]).logsumexp(0)),
    like("int_iadd_int", lambda: _iadd(ints(), 3),
         lambda torch: _torch_iadd(torch.tensor([1, 2]), 3)),
    like("float_iadd_int_tensor", lambda: _iadd(tg.tensor([1.0, 2.0]), ints()),
         lambda torch: _torch_iadd(torch.tensor([1.0, 2.0]), torch.tensor([1, 2]))),
    like("inplace_add_broadcasting_other", lambda: _iadd(m23(), tg.ones(3)),
         lambda torch: _torch_iadd(torch.zeros(2, 3), torch.ones(3))),
    like("int_copy__from_float", lambda: ints().copy_(tg.tensor([1.7, 2.2])),
         lambda torch: torch.tensor([1, 2]).copy_(torch.tensor([1.7, 2.2]))),
    like("int_fill__float", lambda: ints().fill_(1.7),
         lambda torch: torch.tensor([1, 2]).fill_(1.7)),
    like("int_setitem_float", lambda: _setitem(ints(), 0, 1.7),
         lambda torch: _torch_setitem(torch.tensor([1, 2]), 0, 1.7)),
    like("copy__broadcasting_source", lambda: m23().copy_(tg.ones(3)),
         lambda torch: torch.zeros(2, 3).copy_(torch.ones(3))),
    like("clamp_min_above_max", lambda: tg.tensor([0.0, 5.0, 10.0]).clamp(min=6, max=3),
         lambda torch: torch.tensor([0.0, 5.0, 10.0]).clamp(min=6, max=3)),
    like("clamp_nan_bound", lambda: tg.tensor([0.0, 5.0]).clamp(min=NaN),
         lambda torch: torch.tensor([0.0, 5.0]).clamp(min=NaN)),
    like("linspace_zero_steps", lambda: tg.linspace(0, 1, 0),
         lambda torch: torch.linspace(0, 1, 0)),
    like("linspace_descending", lambda: tg.linspace(1, 0, 5),
         lambda torch: torch.linspace(1, 0, 5)),
    like("arange_empty", lambda: tg.arange(0, 0), lambda torch: torch.arange(0, 0)),
    like("getitem_slice_past_end", lambda: m23()[5:], lambda torch: torch.zeros(2, 3)[5:]),
    like("getitem_none_and_ellipsis", lambda: tg.tensor(A23)[None, ..., 0],
         lambda torch: torch.tensor(A23)[None, ..., 0]),
    like("backward_int_gradient",
         lambda: _grad_of(lambda x: (x * 2).backward(tg.ones(2, 3, dtype=tg.int64)), w23),
         lambda torch: _grad_of(
             lambda x: (x * 2).backward(torch.ones(2, 3, dtype=torch.int64)),
             lambda: torch.ones(2, 3, requires_grad=True))),
    like("backward_leaf_twice_accumulates",
         lambda: _grad_of(_two_leaf_backwards, lambda: tg.ones(1, requires_grad=True)),
         lambda torch: _grad_of(_two_leaf_backwards,
                                lambda: torch.ones(1, requires_grad=True))),
    like("assigned_grad_accumulates",
         lambda: _grad_of(lambda x: _assigned_grad_then_backward(x, tg.ones(2, 3)), w23),
         lambda torch: _grad_of(lambda x: _assigned_grad_then_backward(x, torch.ones(2, 3)),
                                lambda: torch.ones(2, 3, requires_grad=True))),
    like("grad_assign_none", lambda: _assign(w23(), "grad", None).grad,
         lambda torch: _assign(torch.ones(2, 3, requires_grad=True), "grad", None).grad),
    like("requires_grad__true_on_non_leaf", lambda: (w23() * 2).requires_grad_(True).requires_grad,
         lambda torch: (torch.ones(2, 3, requires_grad=True) * 2).requires_grad_(True)
         .requires_grad),
    like("item_of_1x1", lambda: tg.zeros(1, 1).item(), lambda torch: torch.zeros(1, 1).item()),
    like("cross_entropy_uint8_target",
         lambda: F.cross_entropy(logits(), target(dtype=np.uint8)),
         lambda torch: torch.nn.functional.cross_entropy(
             torch.tensor(LOGITS), torch.tensor(TARGET.astype(np.uint8)))),
    like("cross_entropy_one_sample_1d_target",
         lambda: F.cross_entropy(tg.tensor(LOGITS[0]), target([1])),
         lambda torch: torch.nn.functional.cross_entropy(torch.tensor(LOGITS[0]),
                                                         torch.tensor([1]))),
    like("cross_entropy_empty_batch",
         lambda: F.cross_entropy(tg.zeros(0, 3), target([], np.int64)),
         lambda torch: torch.nn.functional.cross_entropy(torch.zeros(0, 3),
                                                         torch.zeros(0, dtype=torch.long))),
    like("nll_loss_empty_batch",
         lambda: F.nll_loss(tg.zeros(0, 3), target([], np.int64)),
         lambda torch: torch.nn.functional.nll_loss(torch.zeros(0, 3),
                                                    torch.zeros(0, dtype=torch.long))),
    like("mse_loss_empty", lambda: F.mse_loss(tg.zeros(0), tg.zeros(0)),
         lambda torch: torch.nn.functional.mse_loss(torch.zeros(0), torch.zeros(0))),
    like("bce_at_exactly_zero_and_one",
         lambda: F.binary_cross_entropy(tg.tensor([0.0, 1.0]), tg.tensor([0.0, 1.0])),
         lambda torch: torch.nn.functional.binary_cross_entropy(torch.tensor([0.0, 1.0]),
                                                                torch.tensor([0.0, 1.0]))),
    like("linear_1d_weight", lambda: F.linear(tg.tensor(A23), tg.ones(3)),
         lambda torch: torch.nn.functional.linear(torch.tensor(A23), torch.ones(3))),
    like("linear_1d_input", lambda: F.linear(tg.tensor(A23[0]), tg.ones(4, 3)),
         lambda torch: torch.nn.functional.linear(torch.tensor(A23[0]), torch.ones(4, 3))),
    like("linear_bias_row", lambda: F.linear(tg.tensor(A23), tg.ones(4, 3), tg.ones(1, 4)),
         lambda torch: torch.nn.functional.linear(torch.tensor(A23), torch.ones(4, 3),
                                                  torch.ones(1, 4))),
    like("linear_bias_full", lambda: F.linear(tg.tensor(A23), tg.ones(4, 3), tg.ones(2, 4)),
         lambda torch: torch.nn.functional.linear(torch.tensor(A23), torch.ones(4, 3),
                                                  torch.ones(2, 4))),
    like("softmax_0d", lambda: F.softmax(s0(), dim=0),
         lambda torch: torch.nn.functional.softmax(torch.tensor(1.0), dim=0)),
    like("pad_negative_crops", lambda: F.pad(tg.tensor(A23), (-1, 0)),
         lambda torch: torch.nn.functional.pad(torch.tensor(A23), (-1, 0))),
    like("pad_negative_and_positive", lambda: F.pad(tg.tensor(A23), (1, -1, -1, 0)),
         lambda torch: torch.nn.functional.pad(torch.tensor(A23), (1, -1, -1, 0))),
]


@pytest.mark.parametrize(("ours", "theirs"), LIKE_TORCH)
def test_accepted_input_matches_torch(ours, theirs):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = theirs(torch)
        got = ours()
    _assert_like(got, expected, torch)


# ------------------------------------------------- PyTorch's result or a documented refusal


def either(id: str, ours: Callable[[], Any], theirs: Callable[[Any], Any], exc: Any,
           match: str, warns: bool = False) -> Any:
    return pytest.param(ours, theirs, exc, match, warns, id=id)


def _torch_F(torch: Any) -> Any:
    return torch.nn.functional


X3D = np.linspace(-1, 1, 24, dtype=np.float32).reshape(2, 3, 4)
T3D = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])

TORCH_OR_ERROR = [
    # PyTorch broadcasts the target with a UserWarning (a classic bug: (N,) vs (N, 1) becomes
    # (N, N)); nn.MSELoss documents that here a mismatch is an error.
    either("mse_loss_column_target",
           lambda: F.mse_loss(tg.arange(4.0), tg.arange(4.0).reshape(4, 1)),
           lambda torch: _torch_F(torch).mse_loss(torch.arange(4.0),
                                                  torch.arange(4.0).reshape(4, 1)),
           ShapeError, _shapes_re((4,), (4, 1)), warns=True),
    either("mse_loss_broadcast_target", lambda: F.mse_loss(logits(), tg.zeros(4, 1)),
           lambda torch: _torch_F(torch).mse_loss(torch.tensor(LOGITS), torch.zeros(4, 1)),
           ShapeError, _shapes_re((4, 3), (4, 1)), warns=True),
    either("l1_loss_column_target",
           lambda: F.l1_loss(tg.arange(4.0), tg.arange(4.0).reshape(4, 1)),
           lambda torch: _torch_F(torch).l1_loss(torch.arange(4.0),
                                                 torch.arange(4.0).reshape(4, 1)),
           ShapeError, _shapes_re((4,), (4, 1)), warns=True),
    # PyTorch's ignore_index=-100; CrossEntropyLoss documents "no ignore_index" here.
    either("cross_entropy_target_minus_100",
           lambda: F.cross_entropy(logits(), target([0, -100, 1, 0])),
           lambda torch: _torch_F(torch).cross_entropy(torch.tensor(LOGITS),
                                                       torch.tensor([0, -100, 1, 0])),
           IndexError, r"-100"),
    # (N, C, d) inputs; documented here as (N, C) or (C,) only.
    either("cross_entropy_3d_input",
           lambda: F.cross_entropy(tg.tensor(X3D), tg.tensor(T3D)),
           lambda torch: _torch_F(torch).cross_entropy(torch.tensor(X3D), torch.tensor(T3D)),
           ShapeError, _shape_re((2, 3, 4))),
    either("nll_loss_3d_input",
           lambda: F.nll_loss(tg.tensor(X3D), tg.tensor(T3D)),
           lambda torch: _torch_F(torch).nll_loss(torch.tensor(X3D), torch.tensor(T3D)),
           ShapeError, _shape_re((2, 3, 4))),
    either("nll_loss_1d_input",
           lambda: F.nll_loss(tg.tensor(LOGITS[0]), tg.tensor(1)),
           lambda torch: _torch_F(torch).nll_loss(torch.tensor(LOGITS[0]), torch.tensor(1)),
           ShapeError, _shape_re((3,))),
]


@pytest.mark.parametrize(("ours", "theirs", "exc", "match", "warns"), TORCH_OR_ERROR)
def test_torch_result_or_documented_refusal(ours, theirs, exc, match, warns):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = theirs(torch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            got = ours()
        except exc as e:
            assert re.search(match, str(e)), f"{type(e).__name__}: {e} does not match {match!r}"
            _check_not_internal(e)
            return
    _assert_like(got, expected, torch)
    if warns:
        assert any(issubclass(w.category, UserWarning) for w in caught), (
            "PyTorch warns that the shapes differ and broadcasting will likely give wrong "
            "results; a silent broadcast is not acceptable"
        )


def test_table_size():
    assert len(ERRORS) + len(LIKE_TORCH) + len(TORCH_OR_ERROR) >= 100
