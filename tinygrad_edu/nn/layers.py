"""Layers: ``Linear``, the ``Sequential`` container, the dropouts, ``Flatten``/``Unflatten``,
``Identity``, ``Embedding``, and (re-exported from ``padding.py``) the padding layers.

Each layer is a thin ``Module`` around a function of ``nn.functional``; the math (and its
derivative) lives there and in ``ops/``. The printed form of every layer is PyTorch's.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, overload

import numpy as np

from .._checks import dim_index
from .._typing import DTypeLike
from ..autograd import no_grad
from ..device import check_device
from ..dtypes import _dtype, get_default_dtype
from ..tensor import Tensor
from . import functional as F
from . import init, padding
from ._args import _int_arg, _real_arg, _size
from .module import Module, Parameter
from .padding import *  # noqa: F403

__all__ = ["Linear", "Sequential", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
           "AlphaDropout", "FeatureAlphaDropout", "Flatten", "Unflatten", "Identity",
           "Embedding"]
__all__ += padding.__all__


class Linear(Module):
    """y = x @ W^T + b, with ``weight`` W of shape (out_features, in_features) and ``bias`` b of
    shape (out_features,), as PyTorch (so state dicts line up with ``torch.nn.Linear``).

    Initialisation is PyTorch's: ``init.kaiming_uniform_(W, a=sqrt(5))``, which is
    U(-1/sqrt(in_features), 1/sqrt(in_features)), and b ~ U(-1/sqrt(in_features),
    1/sqrt(in_features)), drawn from ``get_rng()`` (weight first, then bias), so
    ``manual_seed`` makes it reproducible. Another scheme is one call away, e.g. seed 000's
    ``init.uniform_(layer.weight, -0.08, 0.08)`` or seed 004's ``init.xavier_uniform_``.

    ``dtype`` defaults to float32. Input (..., in_features) -> output (..., out_features).

    W is stored column-major (Fortran order): in memory it is W^T, the (in, out) matrix of the
    hand-written X W + b. Shape, values and state dicts are PyTorch's; only the strides
    differ. BLAS then runs the hand-written step's products X W and X^T G, which for a narrow
    layer are faster than x W^T and G^T x on a row-major W (784 -> 10, batch 100: 1.4 us of a
    78 us training step), and SGD updates weight and gradient in the same memory order.
    """

    weight: Parameter
    bias: Parameter | None

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: DTypeLike = None) -> None:
        check_device(device)
        super().__init__()
        in_features = _size("Linear", "in_features", in_features)
        out_features = _size("Linear", "out_features", out_features)
        self.in_features = in_features
        self.out_features = out_features
        dt = get_default_dtype() if dtype is None else _dtype(dtype)
        self.weight = Parameter(np.zeros((out_features, in_features), dtype=dt, order="F"))
        if bias:
            self.bias = Parameter(np.zeros((out_features,), dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights and bias with PyTorch's default scheme (see the class doc)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)  # the op checks the shapes

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Sequential(Module):
    """Calls its modules in order: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Children are named ``"0"``, ``"1"``, ... (or by the keys of a dict passed as the only
    argument), which gives state-dict keys such as ``"0.weight"``. Indexing with an int gives a
    module, with a slice a new ``Sequential`` sharing the same modules (keeping their names, as
    PyTorch); it is iterable and has ``len``, ``append``, ``extend``, ``insert`` and ``del``.
    """

    def __init__(self, *args: Module | Mapping[str, Module | None]) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], Mapping):
            for key, named in args[0].items():
                self.add_module(key, named)
        else:
            for index, module in enumerate(args):
                if not isinstance(module, Module):
                    raise TypeError(f"Sequential: argument {index} is a "
                                    f"{type(module).__name__}, not a Module")
                self.add_module(str(index), module)

    def _key(self, index: int) -> str:
        n = len(self._modules)
        index = operator.index(index)
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for a Sequential of length {n}")
        return list(self._modules)[index % n]

    @overload
    def __getitem__(self, index: int) -> Module: ...

    @overload
    def __getitem__(self, index: slice) -> Sequential: ...

    def __getitem__(self, index: int | slice) -> Module | Sequential:
        if isinstance(index, slice):
            return type(self)(dict(list(self._modules.items())[index]))
        module = self._modules[self._key(index)]
        assert module is not None
        return module

    def __setitem__(self, index: int, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: {type(module).__name__} is not a Module")
        self.add_module(self._key(index), module)  # the same place, the attribute updated

    def __delitem__(self, index: int | slice) -> None:
        keys = list(self._modules)[index] if isinstance(index, slice) else [self._key(index)]
        for key in keys:
            del self._modules[key]
            self.__dict__.pop(key, None)
        self._renumber()

    def _renumber(self, modules: list[Module | None] | None = None) -> None:
        """Names 0, 1, 2, ... after a deletion or insertion (as PyTorch); names given by a
        dict are gone then, also as attributes (their ``Module._mirror`` entries)."""
        modules = list(self._modules.values()) if modules is None else modules
        for key in self._modules:
            self.__dict__.pop(key, None)
        self._modules.clear()
        for i, module in enumerate(modules):
            self._modules[str(i)] = module

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(m for m in self._modules.values() if m is not None)

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end (named ``str(len(self))``); returns ``self``."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: {type(module).__name__} is not a Module")
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"index {index} is out of range for a Sequential of length {n}")
        modules = list(self._modules.values())
        modules.insert(index, module)  # list.insert and PyTorch agree on negative indices
        self._renumber(modules)
        return self

    def pop(self, key: int | slice) -> Any:
        """Remove and return the module at ``key`` (a slice gives a ``Sequential``)."""
        value = self[key]
        del self[key]
        return value

    def __add__(self, other: Sequential) -> Sequential:
        """A new ``Sequential`` of this one's modules, then ``other``'s (the same modules)."""
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but "
                             f"{type(other)} is given.")
        return Sequential(*self, *other)

    def __iadd__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but "
                             f"{type(other)} is given.")
        return self.extend(list(other))

    def _times(self, other: Any) -> int:
        if isinstance(other, bool) or not isinstance(other, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(other)}")
        if other <= 0:
            raise ValueError(f"Non-positive multiplication factor {other} for {type(self)}")
        return other

    def __mul__(self, other: int) -> Sequential:
        """``Sequential(a, b) * 2`` is ``Sequential(a, b, a, b)``: the SAME modules repeated
        (shared parameters), as PyTorch."""
        return Sequential(*(list(self) * self._times(other)))

    __rmul__ = __mul__

    def __imul__(self, other: int) -> Sequential:
        return self.extend(list(self) * (self._times(other) - 1))

    def __dir__(self) -> list[str]:
        return [key for key in super().__dir__() if not key.isdigit()]

    def forward(self, input: Any) -> Any:
        for module in self:
            input = module(input)
        return input


class _DropoutNd(Module):
    """What the dropout layers share: ``p`` (checked), ``inplace`` and the printed form."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        F._check_dropout_p(_real_arg(type(self).__name__, "p (the dropout probability)", p))
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Inverted dropout. In training mode y = x * m / (1 - p) with m_i ~ Bernoulli(1 - p): each
    element is zeroed with probability p and the kept ones are scaled by 1/(1 - p), so E[y] = x.
    The gradient is the same mask times 1/(1 - p). In eval mode (``model.eval()``) y = x.

    The mask is drawn from ``tinygrad_edu.random.get_rng()``, so ``manual_seed`` makes it
    reproducible (PyTorch's masks come from its own generator, so they differ from ours).
    ``inplace`` is accepted for PyTorch compatibility; the computation is always out of place.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)


class Dropout1d(_DropoutNd):
    """Channel dropout for (N, C, L) or (C, L) input: each channel x[n, c, :] is zeroed with
    probability p in training, the kept ones scaled by 1 / (1 - p) (``F.dropout1d``)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training)


class Dropout2d(_DropoutNd):
    """Channel dropout for (N, C, H, W) input: each feature map x[n, c] is zeroed with
    probability p in training, the kept ones scaled by 1 / (1 - p) (``F.dropout2d``; a 3-D
    input is read as (N, C, L), with PyTorch's warning)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training)


class Dropout3d(_DropoutNd):
    """Channel dropout for (N, C, D, H, W) or (C, D, H, W) input (``F.dropout3d``)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout3d(input, self.p, self.training)


class AlphaDropout(_DropoutNd):
    """Alpha dropout for SELU networks (``F.alpha_dropout``): in training, dropped units go to
    SELU's saturation value and the result is rescaled to keep mean 0 and variance 1."""

    def forward(self, input: Tensor) -> Tensor:
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels (``F.feature_alpha_dropout``)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.feature_alpha_dropout(input, self.p, self.training)


class Flatten(Module):
    """Merges dims ``start_dim`` .. ``end_dim`` into one: (N, 1, 28, 28) -> (N, 784) by
    default (dim 0, the batch, is kept)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = _int_arg("Flatten", "start_dim", start_dim)
        self.end_dim = _int_arg("Flatten", "end_dim", end_dim)

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """y = x (the same tensor). Arguments are accepted and ignored, as PyTorch's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class Unflatten(Module):
    """Splits dim ``dim`` into ``unflattened_size``: (N, 784) -> (N, 1, 28, 28) with
    ``Unflatten(1, (1, 28, 28))``; one size may be -1 (inferred). The inverse of ``Flatten``."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        self.dim = _int_arg("Unflatten", "dim", dim)
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"unflattened_size must be a tuple of ints, but found type "
                            f"{type(unflattened_size).__name__}")
        for i, n in enumerate(unflattened_size):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
                raise TypeError(f"unflattened_size must be tuple of ints, but found element of "
                                f"type {type(n).__name__} at pos {i}")
        self.unflattened_size = unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        dim = dim_index(self.dim, input.ndim, "unflatten")
        sizes = [int(n) for n in self.unflattened_size]
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        n = input.shape[dim]
        known = math.prod(k for k in sizes if k != -1)
        if sizes.count(-1) > 1 or (-1 in sizes and (known == 0 or n % known)):
            raise RuntimeError(f"unflatten: cannot split dim {dim} of size {n} into {sizes} "
                               "(at most one -1, and the known sizes must divide it)")
        sizes = [n // known if k == -1 else k for k in sizes]
        if math.prod(sizes) != n:
            raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the "
                               f"size of dim {dim} ({n}) in the input tensor")
        return input.reshape(*input.shape[:dim], *sizes, *input.shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Embedding(Module):
    """A lookup table: ``weight`` (num_embeddings, embedding_dim), and forward(i) =
    weight[i] for an integer tensor i of any shape (``F.embedding``), as ``torch.nn.Embedding``.

    ``weight`` is drawn from N(0, 1) (``reset_parameters``, from ``get_rng()``) with the
    ``padding_idx`` row set to 0; that row gets no gradient, so it stays 0 in training.
    ``scale_grad_by_freq`` divides each row's gradient by its count in the batch.
    ``max_norm`` and ``sparse=True`` are not implemented (NotImplementedError).
    """

    weight: Parameter

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Tensor | None = None, _freeze: bool = False, device: Any = None,
                 dtype: DTypeLike = None) -> None:
        super().__init__()
        self.num_embeddings = _size("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = _size("Embedding", "embedding_dim", embedding_dim)
        if padding_idx is not None:
            padding_idx = _int_arg("Embedding", "padding_idx", padding_idx)
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise AssertionError(f"Padding_idx must be within num_embeddings: padding_idx "
                                     f"{padding_idx} for {self.num_embeddings} embeddings")
            padding_idx %= self.num_embeddings
        if max_norm is not None:
            raise NotImplementedError("Embedding: max_norm (renormalising rows in place) is "
                                      "not implemented")
        if sparse:
            raise NotImplementedError("Embedding: sparse gradients are not implemented")
        check_device(device)
        self.padding_idx = padding_idx
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            dt = get_default_dtype() if dtype is None else _dtype(dtype)
            self.weight = Parameter(np.zeros((self.num_embeddings, self.embedding_dim), dt),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (self.num_embeddings, self.embedding_dim):
                raise AssertionError(f"Shape of weight {tuple(_weight.shape)} does not match "
                                     f"num_embeddings and embedding_dim "
                                     f"({self.num_embeddings}, {self.embedding_dim})")
            data = _weight._data if isinstance(_weight, Tensor) else np.asarray(_weight)
            self.weight = Parameter(data, requires_grad=not _freeze)  # shares the memory

    def reset_parameters(self) -> None:
        """weight ~ N(0, 1), the padding row 0 (PyTorch's default)."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding whose weight IS ``embeddings`` (2-D; memory shared, not copied, and
        the padding row left as it is, as PyTorch); ``freeze`` turns its gradient off."""
        if not isinstance(embeddings, Tensor) or embeddings.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional, got "
                                 f"{getattr(embeddings, 'shape', type(embeddings).__name__)}")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse, _weight=embeddings,
                   _freeze=freeze)

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            text += ", sparse=True"
        return text
