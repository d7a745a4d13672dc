"""``Tensor``: a NumPy array that remembers how it was computed, plus PyTorch's names for things.

A tensor holds ``data`` (a NumPy array), ``requires_grad``, and -- when it is the output of an
op run with grad on -- ``grad_fn``, the graph node that knows its inputs. ``backward()`` hands
the graph to the engine in ``autograd.py``; every op's math lives in ``ops/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from . import autograd
from ._checks import dim_index
from ._tensor_arrange import Arrange
from ._tensor_convert import Conversions
from ._tensor_indexing import Indexing
from ._tensor_inplace import InPlace
from ._tensor_math import Math
from ._tensor_pointwise import Pointwise
from ._tensor_reductions import Reductions
from ._tensor_scans import Scans
from ._tensor_shape import ShapeOps
from ._tensor_str import format_tensor, with_suffixes
from ._typing import DTypeLike, PyBool, PyFloat, PyInt
from .autograd import AccumulateGrad, Array, Function, Node
from .autograd import graph as _graph
from .dtypes import (
    _to_array,
    bool_,
    get_default_dtype,
    int64,
    result_type,
    scalar_dtype,
)
from .ops import elementwise as E
from .ops import linalg as L
from .ops import shape as S

# Python's own types, named so the methods float()/int()/bool() below don't shadow them

def _check_can_require_grad(array: Array) -> None:
    if array.dtype.kind != "f":
        raise RuntimeError(
            f"only floating point tensors can require gradients, but this one has dtype "
            f"{array.dtype} (convert with .float() first)"
        )


def _make(data: Array, requires_grad: bool) -> Tensor:
    """The fast constructor every op uses: no conversion, no checks."""
    t = _new(Tensor)
    t._data = data
    t._grad = None
    t._requires_grad = requires_grad
    t._ctx = None
    t._node = None  # a caller that makes a leaf requiring grad gives it its AccumulateGrad
    return t


_new = object.__new__


def _constant(data: Array) -> Tensor:
    """``_make`` for a value given from outside the graph (Python data, a NumPy array, a number
    operand): tg.compile may keep it as a constant, unlike values other code computed."""
    t = _make(data, False)
    if _graph._tracer is not None:
        _graph._tracer.constant(t)
    return t


class Tensor(ShapeOps, Reductions, Math, InPlace, Pointwise, Scans, Indexing, Arrange,
             Conversions):
    """An n-dimensional array with reverse-mode autodiff.

    ``Tensor(data, requires_grad=False, dtype=None)``: Python numbers and lists become float32
    (like ``torch.Tensor``); a NumPy array keeps its dtype and is wrapped without a copy. Use
    ``tensor(...)`` to infer integer dtypes from Python data (like ``torch.tensor``).
    """

    __slots__ = ("_data", "_grad", "_requires_grad", "_ctx", "_node", "__weakref__")
    # NumPy operators with a Tensor on the right defer to ours, so np.float32(2) * t is a Tensor.
    __array_ufunc__ = None

    _data: Array  # the NumPy array; ``.data`` is the PyTorch-style detached view of it
    _grad: Tensor | None
    _requires_grad: bool
    _ctx: Function | None  # the node that made this tensor (grad_fn); None for leaves
    # where this tensor's gradient goes: ``_ctx``, or a leaf's AccumulateGrad, or None (no grad)
    _node: Node | None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: DTypeLike = None) -> None:
        self._data = _to_array(data, dtype, True)
        if requires_grad:
            _check_can_require_grad(self._data)
        self._grad = None
        self._requires_grad = bool(requires_grad)
        self._ctx = None
        self._node = AccumulateGrad(self) if requires_grad else None
        if _graph._tracer is not None:  # made from data given here: a constant for tg.compile
            _graph._tracer.constant(self)

    # ------------------------------------------------------------------ properties

    @property
    def data(self) -> Tensor:
        """This tensor's values as a new tensor that shares its memory and is cut off from the
        graph (``requires_grad=False``), as PyTorch's ``.data``: ``p.data -= lr * p.grad`` and
        ``p.data.zero_()`` change ``p`` without recording anything. Unlike ``detach()``, PyTorch
        does not catch a change made through ``.data`` to a value an op saved; here the change
        is caught anyway (versions belong to the memory), which only turns a silently wrong
        gradient into an error."""
        return _make(self._data, False)

    @data.setter
    def data(self, value: Tensor | Array) -> None:
        """``p.data = other``: ``p`` now holds ``other``'s values (shared, not copied); its shape
        may change, as in PyTorch. A NumPy array is accepted too."""
        if _graph._tracer is not None:
            _graph._tracer.unsupported("assigning .data")
        array = value._data if isinstance(value, Tensor) else value
        if isinstance(array, np.generic):  # what arithmetic on 0-d arrays returns
            array = np.asarray(array)
        if not isinstance(array, np.ndarray):
            raise TypeError(f"data must be set to a Tensor (or a NumPy array), not "
                            f"{type(value).__name__}")
        if self._requires_grad:
            _check_can_require_grad(array)
        self._data = array

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
        if _graph._tracer is not None:
            _graph._tracer.unsupported("assigning .grad")
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: "
                                   f"{value.shape} for a tensor of shape {self.shape}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: "
                                   f"{value.dtype} for a tensor of dtype {self.dtype}")
        self._grad = value

    @property
    def is_leaf(self) -> bool:
        """True unless the tensor was computed by an op that recorded a graph node."""
        return self._ctx is None

    @property
    def grad_fn(self) -> Function | None:
        """The node that made this tensor (``<MulBackward0>``...), None for leaves."""
        return self._ctx

    @property
    def retains_grad(self) -> PyBool:
        return self._ctx is not None and id(self._ctx) in autograd.hooks.retained

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        """For copy, deepcopy and pickle: a copy gets its own AccumulateGrad (a shared one
        would send the copy's gradients to the original)."""
        return None, {"data": self._data, "_grad": self._grad, "_requires_grad":
                      self._requires_grad, "_ctx": self._ctx}

    def __setstate__(self, state: tuple[None, dict[str, Any]]) -> None:
        for name, value in state[1].items():
            object.__setattr__(self, "_data" if name == "data" else name, value)
        self._node = self._ctx if self._ctx is not None or not self._requires_grad else (
            AccumulateGrad(self))

    # ``t._wrap(array, requires_grad)``: a new plain Tensor on ``array``, no checks -- how the
    # engine and the ops make tensors (a staticmethod: no bound-method call on every op)
    _wrap = staticmethod(_make)

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def T(self) -> Tensor:
        """All dims reversed (a plain transpose for matrices)."""
        return S.Transpose.apply(self, dims=tuple(reversed(range(self.ndim))))

    def dim(self) -> int:
        return self._data.ndim

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the size of one dim."""
        if dim is None:
            return self._data.shape
        if self.ndim == 0:
            dim_index(dim, 0, "size")
            raise IndexError("size(): a 0-d tensor has no dims")
        return self._data.shape[dim_index(dim, self.ndim, "size")]

    def numel(self) -> int:
        return int(self._data.size)

    def item(self) -> Any:
        if _graph._tracer is not None:
            _graph._tracer.read_value(self, "item()")
        if self._data.size != 1:
            raise ValueError(
                f"item() needs a one-element tensor, this one has shape {self.shape}"
            )
        return self._data.item()

    def numpy(self) -> Array:
        """The underlying array (shared, not copied). Refuses if grad is required, as PyTorch."""
        if self._requires_grad:
            raise RuntimeError(
                "Can't call numpy() on a tensor that requires grad; use tensor.detach().numpy()"
            )
        if _graph._tracer is not None:
            _graph._tracer.read_value(self, "numpy()")
        return self._data

    def tolist(self) -> Any:
        if _graph._tracer is not None:
            _graph._tracer.read_value(self, "tolist()")
        return self._data.tolist()

    def detach(self) -> Tensor:
        """The same data, cut off from the graph (no copy; in-place changes are shared)."""
        return _make(self._data, False)

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph (gradient flows through unchanged)."""
        return E.Clone.apply(self)

    def contiguous(self) -> Tensor:
        """This tensor if its memory is C-ordered, else a C-ordered copy in the graph (what
        ``view`` needs after a transpose, as in PyTorch)."""
        return self if self._data.flags.c_contiguous else E.Clone.apply(self)

    def is_contiguous(self) -> PyBool:
        return bool(self._data.flags.c_contiguous)

    def requires_grad_(self, requires_grad: PyBool = True) -> Tensor:
        if requires_grad:
            _check_can_require_grad(self._data)
        elif self._ctx is not None:
            raise RuntimeError(
                "requires_grad can only be switched off on leaf tensors; use detach() instead"
            )
        self._requires_grad = bool(requires_grad)
        if self._ctx is None:  # a leaf: gradients go to its AccumulateGrad, or nowhere
            if not requires_grad:
                self._node = None
            elif self._node is None:
                self._node = AccumulateGrad(self)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep theirs)."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on a tensor that does not require grad")
        if self._ctx is not None:
            autograd.retain_grad(self)

    def backward(self, gradient: Any = None, retain_graph: PyBool | None = None,
                 create_graph: PyBool = False, inputs: Any = None) -> None:
        """Fill ``.grad`` of every leaf this tensor depends on: d self / d leaf.

        ``gradient`` is needed when the tensor is not a scalar (it is the vector of the
        vector-Jacobian product). Leaf gradients accumulate; see ``zero_grad``. With ``inputs``
        only those tensors (leaves or not) get ``.grad``, as PyTorch's. With ``create_graph``
        the backward pass is recorded: ``.grad`` can then be differentiated again.
        """
        if inputs is None and not create_graph:  # the usual call: straight to the engine
            autograd.engine.run((self,), (gradient,), bool(retain_graph))
        else:
            autograd.backward(self, gradient, retain_graph, create_graph, inputs)

    def register_hook(self, hook: Any) -> autograd.RemovableHandle:
        """Call ``hook(grad)`` whenever this tensor's gradient is computed; if it returns a
        tensor, that replaces the gradient (for what flows on, and for ``.grad``). Returns a
        handle whose ``remove()`` unregisters the hook."""
        return autograd.register_hook(self, hook)

    # ------------------------------------------------------------------ conversions
    # (to, float(), type(), device... are in _tensor_convert.Conversions)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Array:
        if _graph._tracer is not None:
            _graph._tracer.read_value(self, "np.asarray(tensor)")
        return self._data if dtype is None else self._data.astype(dtype)

    def __len__(self) -> PyInt:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> PyBool:
        if _graph._tracer is not None:
            _graph._tracer.read_value(self, "bool(tensor) (an if or while on a tensor)")
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of a tensor with {self._data.size} values is ambiguous"
            )
        return bool(self._data)

    def __float__(self) -> PyFloat:
        return PyFloat(self.item())

    def __int__(self) -> PyInt:
        return PyInt(self.item())

    def __index__(self) -> PyInt:
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only one-element integer tensors can be used as an index")
        return PyInt(self.item())

    __hash__ = object.__hash__  # == is elementwise, so hash by identity (as PyTorch)

    def __repr__(self) -> str:
        data = self._data
        body = format_tensor(data, len("tensor("))  # PyTorch's layout (_tensor_str.py)
        extras = [f"size={data.shape}"] if data.size == 0 and data.ndim != 1 else []
        # as PyTorch: the default float, int64 and bool go without saying, unless it is empty
        implied = (get_default_dtype(),) if data.size == 0 else (get_default_dtype(), int64, bool_)
        if data.dtype not in implied:
            extras.append(f"dtype={data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name()}>")  # as PyTorch prints it
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return with_suffixes("tensor(" + body, extras, len("tensor("))

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
            number_dtype = scalar_dtype(self._data.dtype, other)
            if number_dtype.kind in "iu" and not isinstance(other, np.number):  # uint8 + 300 wraps
                return _constant(np.asarray(other).astype(number_dtype))  # around, as PyTorch
            return _constant(np.asarray(other, dtype=number_dtype))
        if isinstance(other, (np.ndarray, list, tuple)):
            dtype = None if isinstance(other, np.ndarray) else self._data.dtype
            return _constant(_to_array(other, dtype, True))
        raise TypeError(f"unsupported operand type for a Tensor op: {type(other).__name__}")

    def _pair(self, other: Any) -> tuple[Tensor, Tensor]:
        """``self`` and ``other`` as tensors of one dtype, PyTorch's ``result_type`` (a 0-d
        float64 tensor does not turn a float32 tensor into float64). Casts are graph nodes, so
        each gradient comes back in its input's dtype."""
        if type(other) is not Tensor:
            other = self._operand(other)
        if other._data.dtype is self._data.dtype:
            return self, other
        return _promoted(self, other)

    def __add__(self, other: Any) -> Tensor:
        if type(other) is Tensor and other._data.dtype is self._data.dtype:  # the common case
            return E.Add.apply(self, other)
        return E.Add.apply(*self._pair(other))

    def __radd__(self, other: Any) -> Tensor:
        a, b = self._pair(other)
        return E.Add.apply(b, a)

    def __sub__(self, other: Any) -> Tensor:
        if type(other) is Tensor and other._data.dtype is self._data.dtype:  # the common case
            return E.Sub.apply(self, other)
        return E.Sub.apply(*self._pair(other))

    def __rsub__(self, other: Any) -> Tensor:
        a, b = self._pair(other)
        return E.Sub.apply(b, a)

    def __mul__(self, other: Any) -> Tensor:
        if type(other) is Tensor and other._data.dtype is self._data.dtype:  # the common case
            return E.Mul.apply(self, other)
        return E.Mul.apply(*self._pair(other))

    def __rmul__(self, other: Any) -> Tensor:
        a, b = self._pair(other)
        return E.Mul.apply(b, a)

    def __truediv__(self, other: Any) -> Tensor:
        if type(other) is Tensor and other._data.dtype is self._data.dtype:  # the common case
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
            dtype = scalar_dtype(self._data.dtype, exponent)
            if dtype != self._data.dtype:  # int tensor ** 0.5: float32, as PyTorch
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

    def add(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """self + alpha * other (``alpha`` scales ``other``, as PyTorch's)."""
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """self - alpha * other."""
        return self - (other if alpha == 1 else other * alpha)

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """self / other; ``rounding_mode`` 'trunc' or 'floor' rounds the quotient (integer
        inputs stay integers) and, as in PyTorch, passes no gradient."""
        if rounding_mode is None:
            return self / other
        a, b = self._pair(other)
        if rounding_mode == "floor":
            return a.floor_divide(b)
        if rounding_mode != "trunc":
            raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or "
                             f"'floor' but found {rounding_mode!r}")
        x, y = a._data, b._data
        with np.errstate(divide="ignore", invalid="ignore"):
            if x.dtype.kind in "biu" and y.dtype.kind in "biu":
                if np.any(y == 0):
                    raise ZeroDivisionError("div(rounding_mode='trunc'): integer division by "
                                            "zero")
                q = np.abs(x) // np.abs(y) * (np.sign(x) * np.sign(y))
            else:
                q = np.trunc(x / y)
        return _make(np.asarray(q, dtype=result_type(a, b)), False)

    mul = __mul__
    pow = __pow__
    matmul = __matmul__
    neg = __neg__

    def where(self, condition: Any, other: Any) -> Tensor:
        """``self`` where ``condition`` holds, else ``other`` (as ``torch.where(c, self, o)``)."""
        return Tensor._select(condition, self, other)

    @staticmethod
    def _select(condition: Any, input: Any, other: Any) -> Tensor:
        """``tg.where``: ``input`` where ``condition`` holds, else ``other``; gradients flow to
        both branches."""
        # a bool tensor is an input of the node (the in-place check covers it); anything else is
        # copied, so later changes to the caller's array cannot move the gradient
        if isinstance(condition, Tensor) and condition._data.dtype == bool_:
            cond = condition
        else:
            cond = _make(np.array(getattr(condition, "_data", condition)), False)
            if cond._data.dtype != bool_:
                raise RuntimeError(f"where(): expected condition to be a boolean tensor, but got "
                                   f"dtype {cond.dtype} (compare first, e.g. x > 0)")
        base = input if isinstance(input, Tensor) else other
        if not isinstance(base, Tensor):  # two numbers: their dtype (where(c, 1, 2) is int64)
            base = _make(np.zeros((), result_type(input, other)), False)
        a, b = base._operand(input), base._operand(other)
        if a._data.dtype != b._data.dtype:
            a, b = _promoted(a, b)
        return E.Where.apply(cond, a, b)

    # ------------------------------------------------------------------ comparisons (no grad)

    def _compare(self, ufunc: np.ufunc, other: Any) -> Tensor:
        return _make(ufunc(self._data, self._operand(other)._data), False)

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

# ---------------------------------------------------------------------- helpers


def _promoted(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """``a`` and ``b`` cast to their ``result_type``."""
    dtype = result_type(a, b)
    return (a if a._data.dtype == dtype else a.to(dtype),
            b if b._data.dtype == dtype else b.to(dtype))


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)
