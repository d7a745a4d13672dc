"""``Tensor``'s conversions and small conveniences -- ``to``, ``float()``/``long()``/...,
``type()``, ``device``, memory facts (``stride``, ``element_size``...), ``new_zeros`` and
friends, ``isclose``/``allclose``/``equal``, ``__format__`` -- as a mixin class that ``Tensor``
inherits. Everything lives on the CPU (``device.py`` says why and raises for other devices).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import dtypes
from ._checks import dim_index, size_args
from ._checks import fill_value as check_fill_value
from ._typing import DTypeLike, PyBool, PyFloat, PyInt, TensorFields
from .device import CPU, DEVICE_TYPES, check_device, device, unavailable
from .ops import elementwise as E

if TYPE_CHECKING:
    from .tensor import Tensor


def parse_to_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[
        Any, PyBool]:
    """``to``'s arguments as PyTorch reads them -- ``to(device)``, ``to(dtype)``,
    ``to(other)``, ``to(device, dtype)``, each optionally followed by ``non_blocking, copy``,
    plus the same as keywords -- checked, and returned as (target dtype or None, copy)."""
    unknown = set(kwargs) - {"dtype", "device", "non_blocking", "copy", "memory_format"}
    if unknown:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(unknown)}")
    dtype, flags = kwargs.get("dtype"), []
    check_device(kwargs.get("device"))
    for arg in args:
        if isinstance(arg, PyBool):  # non_blocking, then copy (positional, as PyTorch)
            flags.append(arg)
        elif isinstance(arg, device) or isinstance(arg, PyInt) or (
                isinstance(arg, str) and arg.partition(":")[0] in DEVICE_TYPES):
            check_device(arg)
        elif isinstance(arg, TensorFields):  # a Tensor: to(other) takes its dtype (and device)
            dtype = arg._data.dtype
        else:
            dtype = arg
    if len(flags) > 2:
        raise TypeError("to() takes at most two bool arguments (non_blocking, copy)")
    copy = PyBool(kwargs.get("copy", flags[1] if len(flags) == 2 else False))
    return (None if dtype is None else dtypes._dtype(dtype)), copy


class Conversions(TensorFields):
    """Methods of ``Tensor`` (see the module docstring)."""

    __slots__ = ()

    # ------------------------------------------------------------------ device

    @property
    def device(self) -> device:
        """``device(type='cpu')``: every tensor lives in NumPy's memory."""
        return CPU

    @property
    def is_cuda(self) -> PyBool:
        return False

    @property
    def is_cpu(self) -> PyBool:
        return True

    def cpu(self) -> Tensor:
        return self  # type: ignore[return-value]

    def cuda(self, device: Any = None, non_blocking: PyBool = False) -> Tensor:
        """Refused: there is no GPU here (see ``tg.cuda.is_available()``)."""
        raise unavailable("cuda" if device is None else device)

    def pin_memory(self) -> Tensor:
        """A no-op (pinned memory speeds up copies to a GPU there is none of)."""
        return self  # type: ignore[return-value]

    # ------------------------------------------------------------------ dtype

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)``, ``to(other)`` (its dtype), ``to('cpu')``, ``to(device, dtype)``, and the
        keywords ``dtype``, ``device``, ``non_blocking``, ``copy``. A float cast stays in the
        graph (gradients come back in this tensor's dtype); an integer or bool result cannot
        carry gradients. Returns ``self`` when nothing changes, unless ``copy=True``; any
        device but the CPU raises."""
        dtype, copy = parse_to_args(args, kwargs)
        if dtype is None or dtype == self._data.dtype:
            return E.Clone.apply(self) if copy else self  # type: ignore[return-value]
        if dtype.kind != "f":  # integer/bool results cannot carry gradients
            return self._wrap(self._data.astype(dtype), False)
        return E.Cast.apply(self, dtype=dtype)

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def half(self) -> Tensor:
        return self.to(dtypes.float16)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def short(self) -> Tensor:
        return self.to(dtypes.int16)

    def char(self) -> Tensor:
        return self.to(dtypes.int8)

    def byte(self) -> Tensor:
        return self.to(dtypes.uint8)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other._data.dtype)

    def type(self, dtype: DTypeLike = None, non_blocking: PyBool = False) -> Any:
        """With no argument, PyTorch's legacy type name: ``'torch.FloatTensor'`` (the same
        string as PyTorch's, so comparisons with it keep working); with a dtype (or such a
        name), this tensor cast to it."""
        if dtype is None:
            return dtypes.legacy_type_name(self._data.dtype)
        return self.to(dtype)

    # is_floating_point() and is_complex() are in _tensor_pointwise.Pointwise

    # ------------------------------------------------------------------ memory

    def element_size(self) -> PyInt:
        """Bytes per element (4 for float32)."""
        return self._data.itemsize

    @property
    def itemsize(self) -> PyInt:
        return self._data.itemsize

    @property
    def nbytes(self) -> PyInt:
        return self._data.nbytes

    def stride(self, dim: PyInt | None = None) -> Any:
        """Steps between neighbours of each dim, in elements (NumPy counts bytes): ``(3, 1)``
        for a C-ordered (2, 3) tensor, as PyTorch. May be negative for a reversed view (which
        PyTorch cannot make)."""
        steps = tuple(s // self._data.itemsize for s in self._data.strides)
        if dim is None:
            return steps
        if self._data.ndim == 0:
            dim_index(dim, 0, "stride")
        return steps[dim_index(dim, self._data.ndim, "stride")]

    def storage_offset(self) -> PyInt:
        """Where this tensor starts in the memory it views, in elements (0 unless a view)."""
        root = self._data
        while isinstance(root.base, np.ndarray):  # the array that owns the memory
            root = root.base
        first = self._data.__array_interface__["data"][0]
        return (first - root.__array_interface__["data"][0]) // self._data.itemsize

    def data_ptr(self) -> PyInt:
        """The address of the first element (two tensors sharing it share memory)."""
        return PyInt(self._data.__array_interface__["data"][0])

    # ------------------------------------------------------------------ new_* factories

    def _new(self, array: np.ndarray, dtype: DTypeLike, dev: Any,
             requires_grad: PyBool) -> Tensor:
        check_device(dev)
        if dtype is not None:
            array = array.astype(dtypes._dtype(dtype), copy=False)
        out = self._wrap(array, False)
        return out.requires_grad_(True) if requires_grad else out

    def new_zeros(self, *size: Any, dtype: DTypeLike = None, device: Any = None,
                  requires_grad: PyBool = False) -> Tensor:
        """Zeros of ``size`` with this tensor's dtype (and device) unless given."""
        array = np.zeros(size_args(size, "new_zeros"), self._data.dtype)
        return self._new(array, dtype, device, requires_grad)

    def new_ones(self, *size: Any, dtype: DTypeLike = None, device: Any = None,
                 requires_grad: PyBool = False) -> Tensor:
        array = np.ones(size_args(size, "new_ones"), self._data.dtype)
        return self._new(array, dtype, device, requires_grad)

    def new_empty(self, *size: Any, dtype: DTypeLike = None, device: Any = None,
                  requires_grad: PyBool = False) -> Tensor:
        """Zeros, in fact (uninitialized memory would make runs differ)."""
        array = np.zeros(size_args(size, "new_empty"), self._data.dtype)
        return self._new(array, dtype, device, requires_grad)

    def new_full(self, size: Any, fill_value: Any, *, dtype: DTypeLike = None,
                 device: Any = None, requires_grad: PyBool = False) -> Tensor:
        array = np.full(size_args((size,), "new_full"), check_fill_value(fill_value, "new_full"),
                        self._data.dtype if dtype is None else dtypes._dtype(dtype))
        return self._new(array, None, device, requires_grad)

    def new_tensor(self, data: Any, dtype: DTypeLike = None, device: Any = None,
                   requires_grad: PyBool = False) -> Tensor:
        """A copy of ``data`` in this tensor's dtype unless ``dtype`` is given."""
        array = np.array(dtypes._to_array(data, self._data.dtype if dtype is None else dtype,
                                          False), copy=True)
        return self._new(array, None, device, requires_grad)

    # ------------------------------------------------------------------ comparisons (no grad)

    def equal(self, other: Tensor) -> PyBool:
        """True if both have the same shape and elements (``torch.equal``)."""
        return self.shape == other.shape and PyBool(np.array_equal(self._data, other._data))

    def isclose(self, other: Any, rtol: PyFloat = 1e-05, atol: PyFloat = 1e-08,
                equal_nan: PyBool = False) -> Tensor:
        """Elementwise ``|self - other| <= atol + rtol * |other|`` (a bool tensor); NaNs are
        equal only with ``equal_nan``, infinities only to themselves."""
        a, b = self._pair(other)
        return self._wrap(np.isclose(a._data, b._data, rtol=rtol, atol=atol,
                                     equal_nan=equal_nan), False)

    def allclose(self, other: Any, rtol: PyFloat = 1e-05, atol: PyFloat = 1e-08,
                 equal_nan: PyBool = False) -> PyBool:
        """True if every element ``isclose`` (``torch.allclose``)."""
        return PyBool(self.isclose(other, rtol, atol, equal_nan)._data.all())

    # ------------------------------------------------------------------ formatting

    def __format__(self, spec: str) -> str:
        """As PyTorch: a 0-d tensor formats its number (``f"{loss:.3f}"``); a bigger one prints
        as ``str`` with an empty spec and refuses any other."""
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return str(self)
