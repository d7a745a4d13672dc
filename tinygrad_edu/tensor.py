"""``Tensor``: a NumPy array that remembers how it was computed, plus PyTorch's names for things.

A tensor holds ``data`` (a NumPy array), ``requires_grad``, and -- when it is the output of an
op run with grad on -- ``grad_fn``, the graph node that knows its inputs. ``backward()`` hands
the graph to the engine in ``autograd.py``; every op's math lives in ``ops/``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple, TypeAlias

import numpy as np

from . import autograd
from ._checks import dim_index, dim_tuple, size_args
from .autograd import Array, Function, bump_version
from .dtypes import (
    bool_,
    category,
    default_float,
    float32,
    float64,
    int32,
    int64,
    result_type,
    scalar_dtype,
)
from .ops import activation as A
from .ops import elementwise as E
from .ops import linalg as L
from .ops import reduce as R
from .ops import shape as S
from .random import get_rng

# Python's own types, named so the methods float()/int()/bool() below don't shadow them
PyFloat: TypeAlias = float
PyInt: TypeAlias = int
PyBool: TypeAlias = bool
DTypeLike = Any
Dim: TypeAlias = int | tuple[int, ...] | list[int] | None
Scalar: TypeAlias = int | float | bool | np.number

def _dtype(dtype: DTypeLike) -> np.dtype:
    if isinstance(dtype, str) and dtype.startswith("torch."):
        dtype = dtype[len("torch.") :]
    try:
        result = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}; use e.g. float32, float64, int64") from None
    if result.kind not in "fiub" or result.kind == "f" and result.itemsize > 8:
        raise TypeError(f"dtype {dtype!r} ({result}) is not supported: use a float (float16, "
                        f"float32, float64), int (int8 ... int64, uint8 ... uint32) or bool")
    return result


def _to_array(data: Any, dtype: DTypeLike, python_default: np.dtype | None) -> Array:
    """Data -> NumPy array. NumPy arrays keep their dtype (and memory); Python data becomes
    ``python_default`` (float32 for ``Tensor``) unless ``dtype`` says otherwise."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        array = data if dtype is None else data.astype(_dtype(dtype), copy=False)
    elif isinstance(data, np.generic):
        array = np.asarray(data, dtype=None if dtype is None else _dtype(dtype))
    else:
        # Convert without a dtype first: np.asarray(["1.5"], float32) would parse strings and
        # np.asarray([1, None], float32) would turn None into nan.
        try:
            array = np.asarray(data)
        except ValueError as e:  # ragged nesting
            raise ValueError(f"Tensor data must be a (nested) sequence of equal-length "
                             f"sequences of numbers: {e}") from None
        if array.dtype.kind not in "fiub":
            _refuse_data(data, array)
        if dtype is not None:
            array = array.astype(_dtype(dtype), copy=False)
        elif python_default is not None:  # Tensor([1, 2]) is float32, as torch.Tensor
            array = array.astype(python_default, copy=False)
        elif array.dtype.kind == "f":  # tensor([1.5]): float32, as torch.tensor
            array = array.astype(default_float)
    if array.dtype.kind not in "fiub":
        _refuse_data(data, array)
    return array


def _refuse_data(data: Any, array: Array) -> None:
    """Say what in ``data`` is not a number: None, a string, a dict... (NumPy makes an object
    or string array of it)."""
    if array.dtype.kind == "c":
        raise TypeError("complex numbers are not supported (tinygrad_edu has no complex dtype)")
    if array.dtype.kind in "US":
        raise TypeError(f"Tensor data must be numbers, got a str ({array.flat[0]!r})")
    missing = object()
    stack, culprit = [data], missing
    while stack and culprit is missing:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, int) and not -2**63 <= item < 2**64:
            raise OverflowError(f"Tensor data: Python int {item} is too large for int64")
        elif not isinstance(item, (int, float, bool, np.number, np.bool_, np.ndarray)):
            culprit = item
    if culprit is missing:
        raise TypeError(f"Tensor data must be numbers or booleans, got NumPy dtype "
                        f"{array.dtype}")
    if isinstance(culprit, complex):
        raise TypeError("complex numbers are not supported (tinygrad_edu has no complex dtype)")
    raise TypeError(f"Tensor data must be numbers or booleans, got {culprit!r} of type "
                    f"{type(culprit).__name__}")


def _check_can_require_grad(array: Array) -> None:
    if array.dtype.kind != "f":
        raise RuntimeError(
            f"only floating point tensors can require gradients, but this one has dtype "
            f"{array.dtype} (convert with .float() first)"
        )


def _make(data: Array, requires_grad: bool) -> Tensor:
    """The fast constructor every op uses: no conversion, no checks."""
    t = _new(Tensor)
    t.data = data
    t._grad = None
    t._requires_grad = requires_grad
    t._ctx = None
    t._version = 0
    t._base = None
    t._retains_grad = False
    return t


_new = object.__new__


class ValuesIndices(NamedTuple):
    """What ``max(dim)`` / ``min(dim)`` return, as in PyTorch."""

    values: Tensor
    indices: Tensor


class Tensor:
    """An n-dimensional array with reverse-mode autodiff.

    ``Tensor(data, requires_grad=False, dtype=None)``: Python numbers and lists become float32
    (like ``torch.Tensor``); a NumPy array keeps its dtype and is wrapped without a copy. Use
    ``tensor(...)`` to infer integer dtypes from Python data (like ``torch.tensor``).
    """

    __slots__ = ("data", "_grad", "_requires_grad", "_ctx", "_version", "_base",
                 "_retains_grad", "__weakref__")
    # NumPy operators with a Tensor on the right defer to ours, so np.float32(2) * t is a Tensor.
    __array_ufunc__ = None

    data: Array
    _grad: Tensor | None
    _requires_grad: bool
    _ctx: Function | None
    _version: int  # clock tick of the last in-place change (kept on the memory's owner)
    _base: Tensor | None  # for views: the tensor that owns the memory
    _retains_grad: bool

    def __init__(self, data: Any, requires_grad: bool = False, dtype: DTypeLike = None) -> None:
        self.data = _to_array(data, dtype, default_float)
        if requires_grad:
            _check_can_require_grad(self.data)
        self._grad = None
        self._requires_grad = bool(requires_grad)
        self._ctx = None
        self._version = 0
        self._base = None
        self._retains_grad = False

    # ------------------------------------------------------------------ properties

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    @property
    def grad(self) -> Tensor | None:
        """d(last backward's root)/d(self), accumulated over backward calls; None until then.

        Assigning checks what PyTorch checks: a Tensor (or None) of this tensor's shape and
        dtype -- a wrong shape would otherwise be broadcast by the next backward or step.
        """
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value.data.shape != self.data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: "
                                   f"{value.shape} for a tensor of shape {self.shape}")
            if value.data.dtype != self.data.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: "
                                   f"{value.dtype} for a tensor of dtype {self.dtype}")
        self._grad = value

    @property
    def is_leaf(self) -> bool:
        """True unless the tensor was computed by an op that recorded a graph node."""
        return self._ctx is None

    @property
    def grad_fn(self) -> Function | None:
        """The node that made this tensor (``<MulBackward>``...), None for leaves."""
        return self._ctx

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def T(self) -> Tensor:
        """All dims reversed (a plain transpose for matrices)."""
        return S.Transpose.apply(self, dims=tuple(reversed(range(self.ndim))))

    def dim(self) -> int:
        return self.data.ndim

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the size of one dim."""
        if dim is None:
            return self.data.shape
        if self.ndim == 0:
            dim_index(dim, 0, "size")
            raise IndexError("size(): a 0-d tensor has no dims")
        return self.data.shape[dim_index(dim, self.ndim, "size")]

    def numel(self) -> int:
        return int(self.data.size)

    def item(self) -> Any:
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a one-element tensor, this one has shape {self.shape}"
            )
        return self.data.item()

    def numpy(self) -> Array:
        """The underlying array (shared, not copied). Refuses if grad is required, as PyTorch."""
        if self._requires_grad:
            raise RuntimeError(
                "Can't call numpy() on a tensor that requires grad; use tensor.detach().numpy()"
            )
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same data, cut off from the graph (no copy; in-place changes are shared)."""
        t = _make(self.data, False)
        t._base = self if self._base is None else self._base
        return t

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph (gradient flows through unchanged)."""
        return E.Clone.apply(self)

    def contiguous(self) -> Tensor:
        return self

    def requires_grad_(self, requires_grad: PyBool = True) -> Tensor:
        if requires_grad:
            _check_can_require_grad(self.data)
        elif self._ctx is not None:
            raise RuntimeError(
                "requires_grad can only be switched off on leaf tensors; use detach() instead"
            )
        self._requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep theirs)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on a tensor that does not require grad")
        if self._ctx is not None:
            self._retains_grad = True

    def backward(self, gradient: Any = None, retain_graph: PyBool = False) -> None:
        """Fill ``.grad`` of every leaf this tensor depends on: d self / d leaf.

        ``gradient`` is needed when the tensor is not a scalar (it is the vector of the
        vector-Jacobian product). Leaf gradients accumulate; see ``zero_grad``.
        """
        autograd.backward(self, gradient, retain_graph)

    # ------------------------------------------------------------------ conversions

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)`` casts (keeping the graph); ``to('cpu')`` is a no-op here."""
        dtype = kwargs.get("dtype")
        for arg in args:
            if isinstance(arg, str) and arg in ("cpu", "cpu:0"):
                continue
            dtype = arg
        if dtype is None:
            return self
        dtype = _dtype(dtype)
        if dtype == self.data.dtype:
            return self
        if dtype.kind != "f":  # integer/bool results cannot carry gradients
            return _make(self.data.astype(dtype), False)
        return E.Cast.apply(self, dtype=dtype)

    def cpu(self) -> Tensor:
        return self

    def float(self) -> Tensor:
        return self.to(float32)

    def double(self) -> Tensor:
        return self.to(float64)

    def long(self) -> Tensor:
        return self.to(int64)

    def int(self) -> Tensor:
        return self.to(int32)

    def bool(self) -> Tensor:
        return self.to(bool_)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Array:
        return self.data if dtype is None else self.data.astype(dtype)

    def __len__(self) -> PyInt:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __bool__(self) -> PyBool:
        if self.data.size != 1:
            raise RuntimeError(
                f"Boolean value of a tensor with {self.data.size} values is ambiguous"
            )
        return bool(self.data)

    def __float__(self) -> PyFloat:
        return PyFloat(self.item())

    def __int__(self) -> PyInt:
        return PyInt(self.item())

    def __index__(self) -> PyInt:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only one-element integer tensors can be used as an index")
        return PyInt(self.item())

    __hash__ = object.__hash__  # == is elementwise, so hash by identity (as PyTorch)

    def __repr__(self) -> str:
        data = self.data
        finite = data[np.isfinite(data)] if data.dtype.kind == "f" else data
        whole = data.dtype.kind != "f" or bool(np.all(finite == np.round(finite)))
        # as PyTorch: 4 fixed decimals, unless every value is a whole number ("1., 2.")
        body = np.array2string(data, separator=", ", prefix="tensor(", precision=4,
                               floatmode="maxprec" if whole else "fixed")
        extras = []
        if self.data.dtype not in (float32, int64, bool_):
            extras.append(f"dtype={self.data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx!r}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"

    # ------------------------------------------------------------------ arithmetic

    def _operand(self, other: Any) -> Tensor:
        """Another operand as a Tensor: numbers and arrays become constants (no grad).

        A Python or NumPy number takes this tensor's dtype unless it is of a higher category
        (``dtypes.scalar_dtype``), so a float32 model stays float32 (NumPy would turn
        ``float32 * np.float64(2)`` into float64), as in PyTorch.
        """
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (PyInt, PyFloat, np.number, np.bool_)):
            return _make(np.asarray(other, dtype=scalar_dtype(self.data.dtype, other)), False)
        if isinstance(other, (np.ndarray, list, tuple)):
            dtype = None if isinstance(other, np.ndarray) else self.data.dtype
            return _make(_to_array(other, dtype, default_float), False)
        raise TypeError(f"unsupported operand type for a Tensor op: {type(other).__name__}")

    def _pair(self, other: Any) -> tuple[Tensor, Tensor]:
        """``self`` and ``other`` as tensors of one dtype, PyTorch's ``result_type`` (a 0-d
        float64 tensor does not turn a float32 tensor into float64). Casts are graph nodes, so
        each gradient comes back in its input's dtype."""
        if type(other) is not Tensor:
            other = self._operand(other)
        if other.data.dtype is self.data.dtype:
            return self, other
        return _promoted(self, other)

    def __add__(self, other: Any) -> Tensor:
        if type(other) is Tensor and other.data.dtype is self.data.dtype:  # the common case
            return E.Add.apply(self, other)
        return E.Add.apply(*self._pair(other))

    def __radd__(self, other: Any) -> Tensor:
        a, b = self._pair(other)
        return E.Add.apply(b, a)

    def __sub__(self, other: Any) -> Tensor:
        if type(other) is Tensor and other.data.dtype is self.data.dtype:  # the common case
            return E.Sub.apply(self, other)
        return E.Sub.apply(*self._pair(other))

    def __rsub__(self, other: Any) -> Tensor:
        a, b = self._pair(other)
        return E.Sub.apply(b, a)

    def __mul__(self, other: Any) -> Tensor:
        if type(other) is Tensor and other.data.dtype is self.data.dtype:  # the common case
            return E.Mul.apply(self, other)
        return E.Mul.apply(*self._pair(other))

    def __rmul__(self, other: Any) -> Tensor:
        a, b = self._pair(other)
        return E.Mul.apply(b, a)

    def __truediv__(self, other: Any) -> Tensor:
        if type(other) is Tensor and other.data.dtype is self.data.dtype:  # the common case
            return E.Div.apply(self, other)
        return E.Div.apply(*self._pair(other))

    def __rtruediv__(self, other: Any) -> Tensor:
        a, b = self._pair(other)
        return E.Div.apply(b, a)

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, (PyInt, PyFloat, np.number)) and not isinstance(exponent, PyBool):
            # a Python number keeps float32 float32 (a NumPy float64 scalar would upcast)
            if isinstance(exponent, np.number):
                exponent = exponent.item()
            base = self
            dtype = scalar_dtype(self.data.dtype, exponent)
            if dtype != self.data.dtype:  # int tensor ** 0.5: float32, as PyTorch
                base = self.to(dtype)
            return E.PowScalar.apply(base, exponent=exponent)
        return E.Pow.apply(*self._pair(exponent))

    def __rpow__(self, base: Any) -> Tensor:
        a, b = self._pair(base)
        return E.Pow.apply(b, a)

    def __matmul__(self, other: Any) -> Tensor:
        return L.MatMul.apply(self, other if type(other) is Tensor else self._operand(other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return L.MatMul.apply(self._operand(other), self)

    def __neg__(self) -> Tensor:
        return E.Neg.apply(self)

    def __abs__(self) -> Tensor:
        return E.Abs.apply(self)

    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    pow = __pow__
    matmul = __matmul__
    neg = __neg__

    def exp(self) -> Tensor:
        return E.Exp.apply(self._floating())

    def log(self) -> Tensor:
        return E.Log.apply(self._floating())

    def sqrt(self) -> Tensor:
        return E.Sqrt.apply(self._floating())

    def abs(self) -> Tensor:
        return E.Abs.apply(self)

    def square(self) -> Tensor:
        return E.PowScalar.apply(self, exponent=2)

    def maximum(self, other: Any) -> Tensor:
        return E.Maximum.apply(*self._pair(other))

    def minimum(self, other: Any) -> Tensor:
        return E.Minimum.apply(*self._pair(other))

    def clamp(self, min: Scalar | None = None, max: Scalar | None = None) -> Tensor:
        if min is None and max is None:
            raise RuntimeError("clamp(): at least one of 'min' or 'max' must not be None")
        low = None if min is None else PyFloat(min)  # Python floats: no upcast of float32
        high = None if max is None else PyFloat(max)
        return E.Clamp.apply(self, low=low, high=high)

    clip = clamp

    def where(self, condition: Any, other: Any) -> Tensor:
        """``self`` where ``condition`` holds, else ``other`` (as ``torch.where(c, self, o)``)."""
        return where(condition, self, other)

    def sign(self) -> Tensor:
        """-1, 0 or 1 per element (0 at NaN, as PyTorch); a constant (its derivative is 0
        almost everywhere)."""
        return _make(E.sgn(np.asarray(self.data)), False)

    # ------------------------------------------------------------------ activations

    def relu(self) -> Tensor:
        return A.ReLU.apply(self)

    def sigmoid(self) -> Tensor:
        return A.Sigmoid.apply(self._floating())

    def tanh(self) -> Tensor:
        return A.Tanh.apply(self._floating())

    def _floating(self) -> Tensor:
        """Integer and bool inputs of float-valued ops (exp, sqrt...) become float32, as in
        PyTorch (NumPy would give float64)."""
        return self if self.data.dtype.kind == "f" else _make(self.data.astype(default_float),
                                                               False)

    def _softmax_dim(self, dim: Any, op: str) -> PyInt:
        if self.data.dtype.kind != "f":
            raise RuntimeError(f"{op}(): expected a floating point tensor, got dtype "
                               f"{self.dtype} (convert with .float())")
        axis = dim_index(dim, self.ndim, op)
        return axis if self.ndim else -1

    def softmax(self, dim: PyInt = -1) -> Tensor:
        return A.Softmax.apply(self, dim=self._softmax_dim(dim, "softmax"))

    def log_softmax(self, dim: PyInt = -1) -> Tensor:
        return A.LogSoftmax.apply(self, dim=self._softmax_dim(dim, "log_softmax"))

    # ------------------------------------------------------------------ comparisons (no grad)

    def _compare(self, ufunc: np.ufunc, other: Any) -> Tensor:
        return _make(ufunc(self.data, self._operand(other).data), False)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(np.equal, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(np.not_equal, other)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(np.less, other)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(np.less_equal, other)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(np.greater, other)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(np.greater_equal, other)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def equal(self, other: Tensor) -> PyBool:
        """True if both have the same shape and elements (``torch.equal``)."""
        return self.shape == other.shape and bool(np.array_equal(self.data, other.data))

    def allclose(self, other: Any, rtol: PyFloat = 1e-5, atol: PyFloat = 1e-8) -> PyBool:
        return bool(np.allclose(self.data, self._operand(other).data, rtol=rtol, atol=atol))

    # ------------------------------------------------------------------ reductions

    def sum(self, dim: Dim = None, keepdim: PyBool = False, **numpy_names: Any) -> Tensor:
        dim, keepdim = _numpy_names(dim, keepdim, numpy_names)
        axes = tuple(range(self.data.ndim)) if dim is None else dim_tuple(dim, self.ndim, "sum")
        return R.Sum.apply(self, axes=axes, keepdim=keepdim)

    def mean(self, dim: Dim = None, keepdim: PyBool = False, **numpy_names: Any) -> Tensor:
        dim, keepdim = _numpy_names(dim, keepdim, numpy_names)
        if self.data.dtype.kind != "f":
            raise RuntimeError(f"mean() needs a floating point tensor, got dtype {self.dtype}")
        axes = tuple(range(self.data.ndim)) if dim is None else dim_tuple(dim, self.ndim, "mean")
        return R.Mean.apply(self, axes=axes, keepdim=keepdim)

    def _reduced_axes(self, dim: Dim, op: str) -> tuple[PyInt, ...]:
        """The axes of ``dim`` for a reduction that has no value over nothing (max, argmax)."""
        axes = dim_tuple(dim, self.ndim, op)
        for axis in axes if self.ndim else ():
            if self.data.shape[axis] == 0:
                raise IndexError(f"{op}(): expected reduction dim {axis} to have non-zero size "
                                 f"(tensor of shape {self.shape})")
        if dim is None and self.data.size == 0:
            raise RuntimeError(f"{op}(): expected a non-empty tensor, got shape {self.shape}; "
                               "specify a dim to reduce along one dim")
        return axes

    def _extreme(self, dim: Any, keepdim: PyBool, smallest: PyBool) -> Any:
        if isinstance(dim, Tensor):  # torch.max(a, b) is the elementwise maximum
            return self.minimum(dim) if smallest else self.maximum(dim)
        name = "min" if smallest else "max"
        if dim is None:
            self._reduced_axes(None, name)
            return (R.Min if smallest else R.Max).apply(self)
        if isinstance(dim, (tuple, list)):
            raise TypeError(f"{name}(): dim must be one int, got {dim!r} (amax/amin take several)")
        axes = self._reduced_axes(dim, name)
        if self.ndim == 0:  # a 0-d tensor is its own max along dim 0 or -1, at index 0
            return ValuesIndices(S.View.apply(self, shape=()), _make(np.zeros((), np.int64), False))
        (axis,) = axes
        index = (self.data.argmin if smallest else self.data.argmax)(axis=axis, keepdims=True)
        values = R.TakeAlongDim.apply(self, index=index, dim=axis, keepdim=keepdim)
        # the caller gets a copy: changing it in place must not move the saved gradient index
        index = index.copy() if keepdim else index.squeeze(axis).copy()
        return ValuesIndices(values, _make(index, False))

    def max(self, dim: Any = None, keepdim: PyBool = False) -> Any:
        """No dim: the largest element (ties share the gradient evenly). With ``dim``:
        ``(values, indices)`` along it (the gradient goes to the index returned)."""
        return self._extreme(dim, keepdim, smallest=False)

    def min(self, dim: Any = None, keepdim: PyBool = False) -> Any:
        """As ``max``, for the smallest elements."""
        return self._extreme(dim, keepdim, smallest=True)

    def amax(self, dim: Dim = None, keepdim: PyBool = False) -> Tensor:
        axes = self._reduced_axes(dim, "amax")
        return R.Amax.apply(self, axes=axes, keepdim=keepdim)

    def amin(self, dim: Dim = None, keepdim: PyBool = False) -> Tensor:
        axes = self._reduced_axes(dim, "amin")
        return R.Amin.apply(self, axes=axes, keepdim=keepdim)

    def _arg_extreme(self, dim: PyInt | None, keepdim: PyBool, smallest: PyBool) -> Tensor:
        name = "argmin" if smallest else "argmax"
        self._reduced_axes(dim, name)
        pick = self.data.argmin if smallest else self.data.argmax
        if dim is None:
            index = np.asarray(pick())
            return _make(index.reshape((1,) * self.ndim) if keepdim else index, False)
        if self.ndim == 0:
            return _make(np.zeros((), np.int64), False)
        axis = dim_index(dim, self.ndim, name)
        return _make(pick(axis=axis, keepdims=keepdim), False)

    def argmax(self, dim: PyInt | None = None, keepdim: PyBool = False) -> Tensor:
        """Index of the first largest element (flat if ``dim`` is None); no gradient."""
        return self._arg_extreme(dim, keepdim, smallest=False)

    def argmin(self, dim: PyInt | None = None, keepdim: PyBool = False) -> Tensor:
        """Index of the first smallest element (flat if ``dim`` is None); no gradient."""
        return self._arg_extreme(dim, keepdim, smallest=True)

    def _moment_args(self, dim: Dim, unbiased: PyBool, correction: Any, op: str) -> tuple[
            tuple[PyInt, ...], PyInt]:
        if self.data.dtype.kind != "f":
            raise RuntimeError(f"{op}(): only floating point tensors are supported, got dtype "
                               f"{self.dtype}")
        if correction is None:
            correction = 1 if unbiased else 0
        return dim_tuple(dim, self.ndim, op), correction

    def var(self, dim: Dim = None, unbiased: PyBool = True, keepdim: PyBool = False, *,
            correction: PyInt | None = None) -> Tensor:
        """Variance with ``correction`` (default 1: the unbiased n - 1 divisor, as PyTorch)."""
        axes, correction = self._moment_args(dim, unbiased, correction, "var")
        return R.Var.apply(self, axes=axes, correction=correction, keepdim=keepdim,
                           whole=dim is None or self.ndim == 0)

    def std(self, dim: Dim = None, unbiased: PyBool = True, keepdim: PyBool = False, *,
            correction: PyInt | None = None) -> Tensor:
        """Standard deviation; its gradient is 0 where it is 0 (constant values), as PyTorch."""
        axes, correction = self._moment_args(dim, unbiased, correction, "std")
        return R.Std.apply(self, axes=axes, correction=correction, keepdim=keepdim,
                           whole=dim is None or self.ndim == 0)

    def logsumexp(self, dim: Dim, keepdim: PyBool = False) -> Tensor:
        x = self._floating()
        return R.LogSumExp.apply(x, axes=dim_tuple(dim, self.ndim, "logsumexp"), keepdim=keepdim)

    # ------------------------------------------------------------------ shape

    def _new_shape(self, shape: tuple[Any, ...], op: str) -> tuple[PyInt, ...]:
        """A reshape target: ints >= 0 and at most one -1, holding as many elements."""
        sizes = size_args(shape, op, allow_minus_one=True)
        known = math.prod(n for n in sizes if n != -1)
        if -1 in sizes:
            if known == 0 or self.data.size % known:
                raise RuntimeError(f"{op}(): shape {sizes} is invalid for input of size "
                                   f"{self.data.size}")
            sizes = tuple(self.data.size // known if n == -1 else n for n in sizes)
        elif known != self.data.size:
            raise RuntimeError(f"{op}(): input of size {self.data.size} (shape {self.shape}) "
                               f"cannot take the shape {sizes}")
        return sizes

    def reshape(self, *shape: Any) -> Tensor:
        return S.Reshape.apply(self, shape=self._new_shape(shape, "reshape"))

    def view(self, *shape: Any) -> Tensor:
        return S.View.apply(self, shape=self._new_shape(shape, "view"))

    def view_as(self, other: Tensor) -> Tensor:
        return S.View.apply(self, shape=self._new_shape(other.shape, "view_as"))

    def reshape_as(self, other: Tensor) -> Tensor:
        return S.Reshape.apply(self, shape=self._new_shape(other.shape, "reshape_as"))

    def flatten(self, start_dim: PyInt = 0, end_dim: PyInt = -1) -> Tensor:
        start = dim_index(start_dim, self.ndim, "flatten")
        end = dim_index(end_dim, self.ndim, "flatten")
        if self.ndim == 0:
            return S.Flatten.apply(self, shape=(1,))
        if start > end:
            raise RuntimeError(f"flatten(): start_dim ({start_dim}) cannot come after end_dim "
                               f"({end_dim})")
        # the merged size spelled out: -1 is ambiguous when another dim is 0
        merged = math.prod(self.shape[start : end + 1])
        shape = self.shape[:start] + (merged,) + self.shape[end + 1 :]
        return S.Flatten.apply(self, shape=shape)

    def permute(self, *dims: Any) -> Tensor:
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        if len(dims) != self.ndim:
            raise RuntimeError(f"permute(): number of dims don't match: {len(dims)} dims "
                               f"{tuple(dims)} for a tensor of shape {self.shape}")
        axes = tuple(dim_index(d, self.ndim, "permute") for d in dims)
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"permute(): repeated dim in the permutation {tuple(dims)}")
        return S.Permute.apply(self, dims=axes)

    def transpose(self, dim0: PyInt, dim1: PyInt) -> Tensor:
        d0 = dim_index(dim0, self.ndim, "transpose")
        d1 = dim_index(dim1, self.ndim, "transpose")
        if self.ndim == 0:  # a 0-d tensor is its own transpose (dims 0 and -1 are allowed)
            return S.View.apply(self, shape=())
        dims = list(range(self.ndim))
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return S.Transpose.apply(self, dims=tuple(dims))

    swapaxes = swapdims = transpose

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dims, got shape {self.shape}")
        return self.T

    def squeeze(self, dim: Dim = None) -> Tensor:
        axes = dim_tuple(dim, self.ndim, "squeeze")
        shape = tuple(n for i, n in enumerate(self.shape) if not (i in axes and n == 1))
        return S.Squeeze.apply(self, shape=shape)

    def unsqueeze(self, dim: PyInt) -> Tensor:
        axis = dim_index(dim, self.ndim + 1, "unsqueeze")
        return S.Unsqueeze.apply(self, shape=self.shape[:axis] + (1,) + self.shape[axis:])

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to ``sizes`` without copying; -1 keeps an existing dim (not allowed for a
        new leading dim, as in PyTorch)."""
        sizes = size_args(sizes, "expand", allow_minus_one=True, one_minus_one=False)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand(): the number of sizes provided ({len(sizes)}) must be "
                               f"greater or equal to the number of dimensions in the tensor "
                               f"({self.ndim}, shape {self.shape})")
        if -1 in sizes[:lead]:
            raise RuntimeError(f"expand(): -1 is not allowed for a new leading dim: sizes "
                               f"{sizes} for a tensor of shape {self.shape}")
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
        return self.broadcast_to(shape)

    def broadcast_to(self, shape: Sequence[PyInt]) -> Tensor:
        shape = size_args((tuple(shape),), "broadcast_to")
        try:
            np.broadcast_shapes(self.shape, shape)
            fits = len(shape) >= self.ndim and all(
                n == m or n == 1 for n, m in zip(self.shape[::-1], shape[::-1], strict=False))
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(f"expand(): the shape {self.shape} cannot be expanded to "
                               f"{shape}: each dim must match or be 1")
        return S.Expand.apply(self, shape=shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.broadcast_to(other.shape)

    def __getitem__(self, index: Any) -> Tensor:
        template, index_tensors = _index_template(index)
        return S.GetItem.apply(self, *index_tensors, index=template)

    # ------------------------------------------------------------------ in-place (no graph)

    def _before_inplace(self, op: str) -> None:
        if autograd._grad_enabled and self._requires_grad:
            if self._ctx is None:
                raise RuntimeError(
                    f"{op}: a leaf tensor that requires grad is being used in an in-place "
                    "operation; do it inside `with no_grad():` (as optimizers do)"
                )
            raise RuntimeError(
                f"{op}: in-place operations on a tensor that is part of a recorded graph are "
                "not supported; use the out-of-place form (y = y + 1)"
            )
        if not self.data.flags.writeable:
            raise RuntimeError(f"{op}: this tensor is a read-only view (from expand?); clone() it")

    def _inplace(self, op: str, ufunc: np.ufunc, other: Any) -> Tensor:
        self._before_inplace(op)
        operand = self._operand(other)
        result = result_type(self, operand)
        if ufunc is np.divide and result.kind != "f":
            result = default_float  # int / int is a float
        if category(result) > category(self.data.dtype):  # as PyTorch: no float into an int
            raise RuntimeError(f"{op}: result type {result} can't be cast to the desired output "
                               f"type {self.dtype} of this in-place operation")
        ufunc(self.data, operand.data, out=self.data, casting="unsafe")
        bump_version(self)
        return self

    def _scaled(self, other: Any, alpha: Scalar, op: str) -> Any:
        if alpha == 1:
            return other
        if self.data.dtype.kind != "f" and isinstance(alpha, (PyFloat, np.floating)):
            raise RuntimeError(f"{op}: for integral input tensors, argument alpha must not be a "
                               f"floating point number (got {alpha})")
        # scale as an array: no graph node, and a Python alpha keeps the dtype
        return self._operand(other).data * alpha

    def add_(self, other: Any, alpha: Scalar = 1) -> Tensor:
        """self += alpha * other."""
        return self._inplace("add_", np.add, self._scaled(other, alpha, "add_"))

    def sub_(self, other: Any, alpha: Scalar = 1) -> Tensor:
        """self -= alpha * other."""
        return self._inplace("sub_", np.subtract, self._scaled(other, alpha, "sub_"))

    def mul_(self, other: Any) -> Tensor:
        return self._inplace("mul_", np.multiply, other)

    def div_(self, other: Any) -> Tensor:
        return self._inplace("div_", np.divide, other)

    __iadd__, __isub__, __imul__, __itruediv__ = add_, sub_, mul_, div_

    def copy_(self, source: Any) -> Tensor:
        """Copy ``source`` (broadcast to this shape) into this tensor, converting its dtype as
        PyTorch does (floats copied into an int tensor are truncated)."""
        self._before_inplace("copy_")
        np.copyto(self.data, self._operand(source).data, casting="unsafe")
        bump_version(self)
        return self

    def fill_(self, value: Scalar) -> Tensor:
        self._before_inplace("fill_")
        self.data.fill(_fill_value(value, "fill_"))
        bump_version(self)
        return self

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def clamp_(self, min: Scalar | None = None, max: Scalar | None = None) -> Tensor:
        if min is None and max is None:
            raise RuntimeError("clamp_(): at least one of 'min' or 'max' must not be None")
        self._before_inplace("clamp_")
        np.clip(self.data, min, max, out=self.data)
        bump_version(self)
        return self

    def uniform_(self, low: PyFloat = 0.0, high: PyFloat = 1.0) -> Tensor:
        return self.copy_(get_rng().uniform(low, high, self.shape))

    def normal_(self, mean: PyFloat = 0.0, std: PyFloat = 1.0) -> Tensor:
        return self.copy_(get_rng().normal(mean, std, self.shape))

    def __setitem__(self, index: Any, value: Any) -> None:
        self._before_inplace("__setitem__")
        self.data[_index_arrays(index)] = self._operand(value).data
        bump_version(self)


# ---------------------------------------------------------------------- helpers


def _numpy_names(dim: Any, keepdim: PyBool, numpy_names: dict[str, Any]) -> tuple[Any, PyBool]:
    """Accept NumPy's ``axis`` / ``keepdims`` beside PyTorch's ``dim`` / ``keepdim``."""
    if numpy_names:
        unknown = set(numpy_names) - {"axis", "keepdims"}
        if unknown:
            raise TypeError(f"unexpected keyword argument(s): {sorted(unknown)}")
        dim = numpy_names.get("axis", dim)
        keepdim = numpy_names.get("keepdims", keepdim)
    return dim, keepdim


def _index_arrays(index: Any) -> Any:
    """Tensors inside an index become their arrays (NumPy does the indexing)."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _promoted(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """``a`` and ``b`` cast to their ``result_type``."""
    dtype = result_type(a, b)
    return (a if a.data.dtype == dtype else a.to(dtype),
            b if b.data.dtype == dtype else b.to(dtype))


def _index_template(index: Any) -> tuple[Any, list[Tensor]]:
    """Split an index into a template and the tensors it holds (inputs of the GetItem node).

    Arrays and lists of ints or bools become tensors too: their own copies, since a later
    change of the caller's array must not change where the gradient goes.
    """
    parts = index if isinstance(index, tuple) else (index,)
    template: list[Any] = []
    tensors: list[Tensor] = []
    for part in parts:
        if isinstance(part, Tensor):
            tensor = part
        elif isinstance(part, (np.ndarray, list)):
            array = np.array(part)
            if array.size == 0 and array.dtype.kind == "f":  # x[[]]: an empty long index
                array = array.astype(np.int64)
            if array.dtype.kind not in "iub":
                raise IndexError(f"tensors used as indices must be long, int or bool, got "
                                 f"{array.dtype}")
            tensor = _make(array, False)
        else:
            template.append(part)
            continue
        if tensor.data.dtype.kind not in "iub":
            raise IndexError(f"tensors used as indices must be long, int or bool, got "
                             f"{tensor.dtype}")
        template.append(S.IndexSlot(len(tensors)))
        tensors.append(tensor)
    if isinstance(index, tuple):
        return tuple(template), tensors
    return template[0], tensors


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _fill_value(value: Any, op: str) -> Any:
    if isinstance(value, Tensor):
        value = value.item()
    if not isinstance(value, (PyInt, PyFloat, np.number, np.bool_)):
        raise TypeError(f"{op}(): argument 'fill_value' must be a number, got {value!r} "
                        f"({type(value).__name__})")
    return value


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """``input`` where ``condition`` holds, else ``other``; gradients flow to both branches."""
    # a bool tensor is an input of the node (the in-place check covers it); anything else is
    # copied, so later changes to the caller's array cannot move the gradient
    if isinstance(condition, Tensor) and condition.data.dtype == bool_:
        cond = condition
    else:
        cond = _make(np.array(getattr(condition, "data", condition)), False)
        if cond.data.dtype != bool_:
            raise RuntimeError(f"where(): expected condition to be a boolean tensor, but got "
                               f"dtype {cond.dtype} (compare first, e.g. x > 0)")
    base = input if isinstance(input, Tensor) else other
    if not isinstance(base, Tensor):
        base = Tensor(input)
    a, b = base._operand(input), base._operand(other)
    if a.data.dtype != b.data.dtype:
        a, b = _promoted(a, b)
    return E.Where.apply(cond, a, b)


autograd._make_tensor = _make
