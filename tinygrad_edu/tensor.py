"""``Tensor``: a NumPy array that remembers how it was computed, plus PyTorch's names for things.

A tensor holds ``data`` (a NumPy array), ``requires_grad``, and -- when it is the output of an
op run with grad on -- ``grad_fn``, the graph node that knows its inputs. ``backward()`` hands
the graph to the engine in ``autograd.py``; every op's math lives in ``ops/``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple, TypeAlias

import numpy as np

from . import autograd
from .autograd import Array, Function, bump_version
from .dtypes import bool_, default_float, float16, float32, float64, int32, int64, uint8
from .dtypes import result_type, scalar_dtype
from .ops import activation as A
from .ops import elementwise as E
from .ops import linalg as L
from .ops import reduce as R
from .ops import shape as S

# Python's own types, named so the methods float()/int()/bool() below don't shadow them
PyFloat: TypeAlias = float
PyInt: TypeAlias = int
PyBool: TypeAlias = bool
DTypeLike = Any
Dim: TypeAlias = int | tuple[int, ...] | list[int] | None
Scalar: TypeAlias = int | float | bool | np.number

_rng = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the one module-level NumPy Generator that rand/randn/init/dropout draw from."""
    global _rng
    _rng = np.random.default_rng(seed)
    return _rng


def get_rng() -> np.random.Generator:
    """The current module-level Generator (``manual_seed`` replaces it)."""
    return _rng


def _dtype(dtype: DTypeLike) -> np.dtype:
    if isinstance(dtype, str) and dtype.startswith("torch."):
        dtype = dtype[len("torch.") :]
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}; use e.g. float32, float64, int64") from None


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
        if dtype is None and python_default is None:  # tensor(): infer like torch.tensor
            array = np.asarray(data)
            if array.dtype.kind == "f":
                array = array.astype(default_float)
        else:
            array = np.asarray(data, dtype=_dtype(dtype) if dtype is not None else python_default)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"Tensor data must be numbers or booleans, got NumPy dtype {array.dtype}")
    return array


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
        return self.data.shape if dim is None else self.data.shape[dim]

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
        return E.Add.apply(*self._pair(other))

    def __radd__(self, other: Any) -> Tensor:
        a, b = self._pair(other)
        return E.Add.apply(b, a)

    def __sub__(self, other: Any) -> Tensor:
        return E.Sub.apply(*self._pair(other))

    def __rsub__(self, other: Any) -> Tensor:
        a, b = self._pair(other)
        return E.Sub.apply(b, a)

    def __mul__(self, other: Any) -> Tensor:
        return E.Mul.apply(*self._pair(other))

    def __rmul__(self, other: Any) -> Tensor:
        a, b = self._pair(other)
        return E.Mul.apply(b, a)

    def __truediv__(self, other: Any) -> Tensor:
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
        return E.Exp.apply(self)

    def log(self) -> Tensor:
        return E.Log.apply(self)

    def sqrt(self) -> Tensor:
        return E.Sqrt.apply(self)

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
            raise ValueError("clamp needs at least one of min and max")
        low = None if min is None else PyFloat(min)  # Python floats: no upcast of float32
        high = None if max is None else PyFloat(max)
        return E.Clamp.apply(self, low=low, high=high)

    clip = clamp

    def where(self, condition: Any, other: Any) -> Tensor:
        """``self`` where ``condition`` holds, else ``other`` (as ``torch.where(c, self, o)``)."""
        return where(condition, self, other)

    def sign(self) -> Tensor:
        """-1, 0 or 1 per element; a constant (its derivative is 0 almost everywhere)."""
        return _make(np.sign(self.data), False)

    # ------------------------------------------------------------------ activations

    def relu(self) -> Tensor:
        return A.ReLU.apply(self)

    def sigmoid(self) -> Tensor:
        return A.Sigmoid.apply(self)

    def tanh(self) -> Tensor:
        return A.Tanh.apply(self)

    def softmax(self, dim: PyInt = -1) -> Tensor:
        return A.Softmax.apply(self, dim=dim)

    def log_softmax(self, dim: PyInt = -1) -> Tensor:
        return A.LogSoftmax.apply(self, dim=dim)

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
        return R.Sum.apply(self, axes=R.normalize_dims(dim, self.ndim), keepdim=keepdim)

    def mean(self, dim: Dim = None, keepdim: PyBool = False, **numpy_names: Any) -> Tensor:
        dim, keepdim = _numpy_names(dim, keepdim, numpy_names)
        if self.data.dtype.kind != "f":
            raise RuntimeError(f"mean() needs a floating point tensor, got dtype {self.dtype}")
        return R.Mean.apply(self, axes=R.normalize_dims(dim, self.ndim), keepdim=keepdim)

    def _reduced_axes(self, dim: Dim, op: str) -> tuple[PyInt, ...]:
        """The axes of ``dim`` for a reduction that has no value over nothing (max, argmax)."""
        axes = R.normalize_dims(dim, self.ndim)
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
        (axis,) = R.normalize_dims(dim, self.ndim)
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
        return R.normalize_dims(dim, self.ndim), correction

    def var(self, dim: Dim = None, unbiased: PyBool = True, keepdim: PyBool = False, *,
            correction: PyInt | None = None) -> Tensor:
        """Variance with ``correction`` (default 1: the unbiased n - 1 divisor, as PyTorch)."""
        axes, correction = self._moment_args(dim, unbiased, correction, "var")
        return R.Var.apply(self, axes=axes, correction=correction, keepdim=keepdim)

    def std(self, dim: Dim = None, unbiased: PyBool = True, keepdim: PyBool = False, *,
            correction: PyInt | None = None) -> Tensor:
        """Standard deviation; its gradient is 0 where it is 0 (constant values), as PyTorch."""
        axes, correction = self._moment_args(dim, unbiased, correction, "std")
        return R.Std.apply(self, axes=axes, correction=correction, keepdim=keepdim)

    def logsumexp(self, dim: Dim, keepdim: PyBool = False) -> Tensor:
        return R.LogSumExp.apply(self, axes=R.normalize_dims(dim, self.ndim), keepdim=keepdim)

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape: Any) -> Tensor:
        return S.Reshape.apply(self, shape=_shape_args(shape))

    def view(self, *shape: Any) -> Tensor:
        return S.View.apply(self, shape=_shape_args(shape))

    def view_as(self, other: Tensor) -> Tensor:
        return S.View.apply(self, shape=other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return S.Reshape.apply(self, shape=other.shape)

    def flatten(self, start_dim: PyInt = 0, end_dim: PyInt = -1) -> Tensor:
        if self.ndim == 0:
            return S.Flatten.apply(self, shape=(1,))
        n = self.ndim
        for d in (start_dim, end_dim):
            if not -n <= d < n:
                raise IndexError(f"flatten: dim {d} out of range for a tensor with {n} dims "
                                 f"(expected [-{n}, {n - 1}])")
        start, end = start_dim % n, end_dim % n
        if start > end:
            raise ValueError(f"flatten: start_dim ({start_dim}) comes after end_dim ({end_dim})")
        shape = self.shape[:start] + (-1,) + self.shape[end + 1 :]
        return S.Flatten.apply(self, shape=shape)

    def permute(self, *dims: Any) -> Tensor:
        dims = _shape_args(dims)
        if sorted(d % max(self.ndim, 1) for d in dims) != list(range(self.ndim)):
            raise ValueError(f"permute: {dims} is not a permutation of the {self.ndim} dims")
        return S.Permute.apply(self, dims=tuple(d % self.ndim for d in dims))

    def transpose(self, dim0: PyInt, dim1: PyInt) -> Tensor:
        dims = list(range(self.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return S.Transpose.apply(self, dims=tuple(dims))

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with <= 2 dims, got shape {self.shape}")
        return self.T

    def squeeze(self, dim: Dim = None) -> Tensor:
        axes = R.normalize_dims(dim, self.ndim)
        shape = tuple(n for i, n in enumerate(self.shape) if not (i in axes and n == 1))
        return S.Squeeze.apply(self, shape=shape)

    def unsqueeze(self, dim: PyInt) -> Tensor:
        if not -self.ndim - 1 <= dim <= self.ndim:
            raise IndexError(f"unsqueeze: dim {dim} out of range for {self.ndim} dims")
        dim = dim % (self.ndim + 1)
        return S.Unsqueeze.apply(self, shape=self.shape[:dim] + (1,) + self.shape[dim:])

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to ``sizes`` (-1 keeps a dim) without copying."""
        sizes = _shape_args(sizes)
        lead = len(sizes) - self.ndim
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
        return self.broadcast_to(shape)

    def broadcast_to(self, shape: Sequence[PyInt]) -> Tensor:
        return S.Expand.apply(self, shape=tuple(shape))

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
        ufunc(self.data, self._operand(other).data, out=self.data, casting="same_kind")
        bump_version(self)
        return self

    def add_(self, other: Any, alpha: Scalar = 1) -> Tensor:
        """self += alpha * other."""
        if alpha != 1:  # scale as an array: no graph node, and a Python alpha keeps the dtype
            other = self._operand(other).data * alpha
        return self._inplace("add_", np.add, other)

    def sub_(self, other: Any, alpha: Scalar = 1) -> Tensor:
        """self -= alpha * other."""
        if alpha != 1:
            other = self._operand(other).data * alpha
        return self._inplace("sub_", np.subtract, other)

    def mul_(self, other: Any) -> Tensor:
        return self._inplace("mul_", np.multiply, other)

    def div_(self, other: Any) -> Tensor:
        return self._inplace("div_", np.divide, other)

    __iadd__, __isub__, __imul__, __itruediv__ = add_, sub_, mul_, div_

    def copy_(self, source: Any) -> Tensor:
        self._before_inplace("copy_")
        np.copyto(self.data, self._operand(source).data, casting="same_kind")
        bump_version(self)
        return self

    def fill_(self, value: Scalar) -> Tensor:
        self._before_inplace("fill_")
        self.data.fill(value)
        bump_version(self)
        return self

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def clamp_(self, min: Scalar | None = None, max: Scalar | None = None) -> Tensor:
        self._before_inplace("clamp_")
        np.clip(self.data, min, max, out=self.data)
        bump_version(self)
        return self

    def uniform_(self, low: PyFloat = 0.0, high: PyFloat = 1.0) -> Tensor:
        return self.copy_(_rng.uniform(low, high, self.shape))

    def normal_(self, mean: PyFloat = 0.0, std: PyFloat = 1.0) -> Tensor:
        return self.copy_(_rng.normal(mean, std, self.shape))

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


def _shape_args(args: tuple[Any, ...]) -> tuple[PyInt, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` both mean the shape (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return tuple(PyInt(a) for a in args)


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
    return (a if a.data.dtype == dtype else a.to(dtype)), (b if b.data.dtype == dtype else b.to(dtype))


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


# ---------------------------------------------------------------------- constructors


def tensor(data: Any, dtype: DTypeLike = None, requires_grad: PyBool = False) -> Tensor:
    """A new tensor holding a copy of ``data``; like ``torch.tensor``, Python ints give int64
    and floats give float32."""
    array = np.array(_to_array(data, dtype, None), copy=True)
    if requires_grad:
        _check_can_require_grad(array)
    return _make(array, bool(requires_grad))


def as_tensor(data: Any, dtype: DTypeLike = None) -> Tensor:
    """Wrap ``data`` without copying when it already is an array of the right dtype."""
    if isinstance(data, Tensor) and (dtype is None or _dtype(dtype) == data.dtype):
        return data
    return _make(_to_array(data, dtype, None), False)


def from_numpy(array: Array) -> Tensor:
    return _make(np.asarray(array), False)


def _filled(shape: tuple[Any, ...], fill: Any, dtype: DTypeLike, requires_grad: PyBool) -> Tensor:
    dtype = default_float if dtype is None else _dtype(dtype)
    array = np.full(_shape_args(shape), fill, dtype=dtype)
    return Tensor(array, requires_grad=requires_grad)


def zeros(*size: Any, dtype: DTypeLike = None, requires_grad: PyBool = False) -> Tensor:
    return _filled(size, 0, dtype, requires_grad)


def ones(*size: Any, dtype: DTypeLike = None, requires_grad: PyBool = False) -> Tensor:
    return _filled(size, 1, dtype, requires_grad)


def empty(*size: Any, dtype: DTypeLike = None, requires_grad: PyBool = False) -> Tensor:
    return _filled(size, 0, dtype, requires_grad)


def full(size: Sequence[PyInt], fill_value: Scalar, dtype: DTypeLike = None,
         requires_grad: PyBool = False) -> Tensor:
    return _filled(tuple(size), fill_value, dtype, requires_grad)


def zeros_like(t: Tensor, dtype: DTypeLike = None, requires_grad: PyBool = False) -> Tensor:
    return zeros(t.shape, dtype=t.dtype if dtype is None else dtype, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: DTypeLike = None, requires_grad: PyBool = False) -> Tensor:
    return ones(t.shape, dtype=t.dtype if dtype is None else dtype, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value: Scalar, dtype: DTypeLike = None,
              requires_grad: PyBool = False) -> Tensor:
    return full(t.shape, fill_value, t.dtype if dtype is None else dtype, requires_grad)


def arange(start: Scalar, end: Scalar | None = None, step: Scalar = 1, dtype: DTypeLike = None,
           requires_grad: PyBool = False) -> Tensor:
    """Like ``torch.arange``: int64 for whole-number arguments, float32 otherwise."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        whole = all(isinstance(v, (PyInt, np.integer)) for v in (start, end, step))
        dtype = int64 if whole else default_float
    array = np.arange(start, end, step, dtype=_dtype(dtype))  # type: ignore[arg-type]
    return Tensor(array, requires_grad=requires_grad)


def linspace(start: PyFloat, end: PyFloat, steps: PyInt, dtype: DTypeLike = None,
             requires_grad: PyBool = False) -> Tensor:
    array = np.linspace(start, end, steps, dtype=default_float if dtype is None else _dtype(dtype))
    return Tensor(array, requires_grad=requires_grad)


def eye(n: PyInt, m: PyInt | None = None, dtype: DTypeLike = None,
        requires_grad: PyBool = False) -> Tensor:
    array = np.eye(n, m, dtype=default_float if dtype is None else _dtype(dtype))
    return Tensor(array, requires_grad=requires_grad)


def rand(*size: Any, dtype: DTypeLike = None, requires_grad: PyBool = False) -> Tensor:
    """Uniform on [0, 1), from the module-level Generator (see ``manual_seed``)."""
    array = _rng.random(_shape_args(size), dtype=default_float if dtype is None else _dtype(dtype))
    return Tensor(array, requires_grad=requires_grad)


def randn(*size: Any, dtype: DTypeLike = None, requires_grad: PyBool = False) -> Tensor:
    """Standard normal, from the module-level Generator (see ``manual_seed``)."""
    dtype = default_float if dtype is None else _dtype(dtype)
    array = _rng.standard_normal(_shape_args(size), dtype=dtype)
    return Tensor(array, requires_grad=requires_grad)


def rand_like(t: Tensor, requires_grad: PyBool = False) -> Tensor:
    return rand(t.shape, dtype=t.dtype, requires_grad=requires_grad)


def randn_like(t: Tensor, requires_grad: PyBool = False) -> Tensor:
    return randn(t.shape, dtype=t.dtype, requires_grad=requires_grad)


def randint(low: PyInt, high: PyInt | None = None, size: Sequence[PyInt] = ()) -> Tensor:
    if high is None:
        low, high = 0, low
    return Tensor(_rng.integers(low, high, size=tuple(size), dtype=np.int64))


def randperm(n: PyInt) -> Tensor:
    return Tensor(_rng.permutation(n).astype(np.int64))


# ---------------------------------------------------------------------- function forms


def cat(tensors: Sequence[Tensor], dim: PyInt = 0) -> Tensor:
    """Join tensors along an existing dim."""
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat() needs at least one tensor")
    return S.Cat.apply(*tensors, dim=dim)


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: PyInt = 0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack() needs at least one tensor")
    return S.Stack.apply(*tensors, dim=dim)


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """``input`` where ``condition`` holds, else ``other``; gradients flow to both branches."""
    # a bool tensor is an input of the node (the in-place check covers it); anything else is
    # copied, so later changes to the caller's array cannot move the gradient
    if isinstance(condition, Tensor) and condition.data.dtype == bool_:
        cond = condition
    else:
        cond = _make(np.array(getattr(condition, "data", condition), dtype=bool), False)
    base = input if isinstance(input, Tensor) else other
    if not isinstance(base, Tensor):
        base = Tensor(input)
    a, b = base._operand(input), base._operand(other)
    if a.data.dtype != b.data.dtype:
        a, b = _promoted(a, b)
    return E.Where.apply(cond, a, b)


def maximum(a: Tensor, b: Any) -> Tensor:
    return _as_tensor(a).maximum(b)


def minimum(a: Tensor, b: Any) -> Tensor:
    return _as_tensor(a).minimum(b)


def clamp(x: Tensor, min: Scalar | None = None, max: Scalar | None = None) -> Tensor:
    return x.clamp(min, max)


clip = clamp


def matmul(a: Tensor, b: Any) -> Tensor:
    return _as_tensor(a) @ b


def exp(x: Tensor) -> Tensor:
    return x.exp()


def log(x: Tensor) -> Tensor:
    return x.log()


def sqrt(x: Tensor) -> Tensor:
    return x.sqrt()


def abs(x: Tensor) -> Tensor:
    return x.abs()


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


def relu(x: Tensor) -> Tensor:
    return x.relu()


def softmax(x: Tensor, dim: PyInt = -1) -> Tensor:
    return x.softmax(dim)


def log_softmax(x: Tensor, dim: PyInt = -1) -> Tensor:
    return x.log_softmax(dim)


def logsumexp(x: Tensor, dim: Dim, keepdim: PyBool = False) -> Tensor:
    return x.logsumexp(dim, keepdim)


def argmax(x: Tensor, dim: PyInt | None = None, keepdim: PyBool = False) -> Tensor:
    return x.argmax(dim, keepdim)


def flatten(x: Tensor, start_dim: PyInt = 0, end_dim: PyInt = -1) -> Tensor:
    return x.flatten(start_dim, end_dim)


autograd._make_tensor = _make
