"""Layers: ``Linear``, the ``Sequential`` container, ``Dropout``, ``Flatten``, ``Identity``.

Each layer is a thin ``Module`` around a function of ``nn.functional``; the math (and its
derivative) lives there and in ``ops/``. The printed form of every layer is PyTorch's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, overload

import numpy as np

from .._typing import DTypeLike
from ..dtypes import _dtype, default_float
from ..tensor import Tensor
from . import functional as F
from . import init
from ._args import _int_arg, _real_arg, _size
from .module import Module, Parameter

__all__ = ["Linear", "Sequential", "Dropout", "Flatten", "Identity"]


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
                 dtype: DTypeLike = None) -> None:
        super().__init__()
        in_features = _size("Linear", "in_features", in_features)
        out_features = _size("Linear", "out_features", out_features)
        self.in_features = in_features
        self.out_features = out_features
        dt = default_float if dtype is None else _dtype(dtype)
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
        self._modules[self._key(index)] = module

    def __delitem__(self, index: int | slice) -> None:
        keys = list(self._modules)[index] if isinstance(index, slice) else [self._key(index)]
        for key in keys:
            del self._modules[key]
        self._renumber()

    def _renumber(self) -> None:
        """Keep the names 0, 1, 2, ... after a deletion or insertion (as PyTorch)."""
        modules = list(self._modules.values())
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
        self._modules.clear()
        for i, m in enumerate(modules):
            self._modules[str(i)] = m
        return self

    def forward(self, input: Any) -> Any:
        for module in self:
            input = module(input)
        return input


class Dropout(Module):
    """Inverted dropout. In training mode y = x * m / (1 - p) with m_i ~ Bernoulli(1 - p): each
    element is zeroed with probability p and the kept ones are scaled by 1/(1 - p), so E[y] = x.
    The gradient is the same mask times 1/(1 - p). In eval mode (``model.eval()``) y = x.

    The mask is drawn from ``tinygrad_edu.random.get_rng()``, so ``manual_seed`` makes it
    reproducible (PyTorch's masks come from its own generator, so they differ from ours).
    ``inplace`` is accepted for PyTorch compatibility; the computation is always out of place.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        F._check_dropout_p(_real_arg("Dropout", "p (the dropout probability)", p))
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


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
