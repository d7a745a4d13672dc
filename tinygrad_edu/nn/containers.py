"""Containers that register what they hold, as ``torch.nn``'s: ``ModuleList``, ``ModuleDict``,
``ParameterList`` and ``ParameterDict`` (``Sequential`` is in ``layers.py``).

A plain Python list of layers hides them from ``parameters()``, ``state_dict()``, ``train()``
and the printed tree; these containers register each entry under its position (``"0"``,
``"1"``, ... -- so state-dict keys read ``"layers.0.weight"``) or its key, exactly where PyTorch
puts it, so state dicts move between the two libraries unchanged. They have no ``forward``;
the model that holds them decides how they are used.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, overload

import numpy as np

from ..tensor import Tensor
from .module import Module, Parameter, _addindent

__all__ = ["ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _position(container: Module, index: Any) -> str:
    """``index`` (an int, negative counts from the end) as the name of an entry."""
    n = len(container)
    index = operator.index(index)
    if not -n <= index < n:
        raise IndexError(f"index {index} is out of range for a {type(container).__name__} of "
                         f"length {n}")
    return str(index % n)


def _is_iterable(values: Any) -> bool:
    return isinstance(values, Iterable) and not isinstance(values, (Tensor, str, bytes))


class ModuleList(Module):
    """A list of modules, registered as children ``"0"``, ``"1"``, ...

    As a Python list: indexing (negative too; a slice gives a new ``ModuleList`` of the same
    modules, numbered from 0), assignment, ``del`` (the rest renumbered), ``len``, iteration,
    ``append``, ``extend``, ``insert``, ``pop``, ``+`` and ``+=``.
    """

    _modules: dict[str, Module]  # type: ignore[assignment]

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    @overload
    def __getitem__(self, index: int) -> Module: ...

    @overload
    def __getitem__(self, index: slice) -> ModuleList: ...

    def __getitem__(self, index: int | slice) -> Module | ModuleList:
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        return self._modules[_position(self, index)]

    def __setitem__(self, index: int, module: Module) -> None:
        self.add_module(_position(self, index), module)

    def __delitem__(self, index: int | slice) -> None:
        if isinstance(index, slice):
            for k in range(len(self._modules))[index]:
                del self._modules[str(k)]
        else:
            del self._modules[_position(self, index)]
        self._renumber(list(self._modules.values()))

    def _renumber(self, modules: list[Module]) -> None:
        """Names 0, 1, 2, ... in order again (after a deletion or insertion, as PyTorch)."""
        self._modules.clear()
        for i, module in enumerate(modules):
            self._modules[str(i)] = module

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        combined = ModuleList()
        combined.extend([*self, *other])
        return combined

    def __dir__(self) -> list[str]:
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end; returns ``self``."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append every module of an iterable; returns ``self``."""
        if not _is_iterable(modules):
            raise TypeError(f"ModuleList.extend should be called with an iterable, but got "
                            f"{type(modules).__name__}")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before ``index`` (list.insert's rule for any int)."""
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList.insert: {type(module).__name__} is not a Module")
        modules = list(self._modules.values())
        modules.insert(operator.index(index), module)
        self._renumber(modules)

    def pop(self, key: int | slice) -> Any:
        """Remove and return the module at ``key`` (a slice gives a ``ModuleList``)."""
        value = self[key]
        del self[key]
        return value

    def __repr__(self) -> str:
        """PyTorch's form: a run of modules that print alike is one line, ``(0-2): 3 x ...``."""
        reprs = [repr(module) for module in self]
        if not reprs:
            return f"{type(self).__name__}()"
        blocks: list[list[Any]] = []  # [first, last, repr]
        for i, text in enumerate(reprs):
            if blocks and blocks[-1][2] == text:
                blocks[-1][1] = i
            else:
                blocks.append([i, i, text])
        lines = [_addindent(f"({a}): {text}" if a == b else f"({a}-{b}): {b - a + 1} x {text}",
                            2) for a, b, text in blocks]
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules, each registered as the child of its key (keys keep insertion
    order; ``update`` with a plain dict keeps that dict's order, as PyTorch 2.x)."""

    _modules: dict[str, Module]  # type: ignore[assignment]

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None
                 ) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]
        self.__dict__.pop(key, None)  # the attribute mirror (Module._mirror)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def clear(self) -> None:
        for key in list(self._modules):
            del self[key]

    def pop(self, key: str) -> Module:
        value = self[key]
        del self[key]
        return value

    def keys(self) -> Any:
        return self._modules.keys()

    def items(self) -> Any:
        return self._modules.items()

    def values(self) -> Any:
        return self._modules.values()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add (or replace) entries from a mapping or an iterable of (key, module) pairs."""
        if not isinstance(modules, Iterable):
            raise TypeError(f"ModuleDict.update should be called with an iterable of key/value "
                            f"pairs, but got {type(modules).__name__}")
        if isinstance(modules, (Mapping, ModuleDict)):
            for key, module in modules.items():
                self[key] = module
            return
        for j, pair in enumerate(modules):
            if not isinstance(pair, Iterable):
                raise TypeError(f"ModuleDict update sequence element #{j} should be Iterable; "
                                f"is {type(pair).__name__}")
            entry: list[Any] = list(pair)
            if len(entry) != 2:
                raise ValueError(f"ModuleDict update sequence element #{j} has length "
                                 f"{len(entry)}; 2 is required")
            self[entry[0]] = entry[1]


_TYPENAMES = {"float16": "HalfTensor", "float32": "FloatTensor", "float64": "DoubleTensor",
              "int8": "CharTensor", "int16": "ShortTensor", "int32": "IntTensor",
              "int64": "LongTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}


def _entry_line(key: Any, value: Any, typename: bool) -> str:
    """One line of a parameter container's repr (PyTorch's, without the "torch." prefix that
    this library's dtype names do not have)."""
    if isinstance(value, Tensor):
        size = "x".join(str(n) for n in value.shape)
        kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
        dtype = str(np.dtype(value.dtype))
        name = _TYPENAMES.get(dtype, dtype) if typename else dtype
        return f"  ({key}): {kind} containing: [{name} of size {size}]"
    return f"  ({key}): Object of type: {type(value).__name__}"


def _put(container: Module, name: str, value: Any) -> None:
    """``setattr(container, name, value)``, a plain tensor made a ``Parameter`` first. A
    parameter replacing a parameter keeps its place in ``_parameters`` (and so in the state
    dict), as PyTorch's ``__setattr__`` does."""
    value = _as_parameter(value)
    if isinstance(value, Parameter) and name in container._parameters:
        container.register_parameter(name, value)
    else:
        setattr(container, name, value)


def _as_parameter(value: Any) -> Any:
    """A plain tensor becomes a ``Parameter`` (sharing its memory; an integer tensor cannot
    require grad, so it is refused), as in PyTorch."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value._data)
    return value


class ParameterList(Module):
    """A list of parameters, registered as ``"0"``, ``"1"``, ... (``parameters()``, state-dict
    keys ``"0"``, ...). A plain tensor put in becomes a ``Parameter``; other objects are kept
    as they are (modules are registered as children)."""

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> ParameterList: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            out = type(self)()
            for i in range(*index.indices(len(self))):
                out.append(self[i])
            return out
        return getattr(self, _position(self, index))

    def __setitem__(self, index: int, value: Any) -> None:
        _put(self, _position(self, index), value)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return iter([self[i] for i in range(len(self))])

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def __dir__(self) -> list[str]:
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value: Any) -> ParameterList:
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        if not _is_iterable(values):
            raise TypeError(f"ParameterList.extend should be called with an iterable, but got "
                            f"{type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(_entry_line(k, p, typename=False) for k, p in enumerate(self))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterList should not be called.")


class _MissingKey(KeyError, AttributeError):
    """A key not in a ParameterDict: KeyError, as a dict; PyTorch raises AttributeError
    (the entry is an attribute), so this is that too."""


class ParameterDict(Module):
    """A dict of parameters, each registered under its key (a string). A plain tensor put in
    becomes a ``Parameter``. Keys keep insertion order; ``update`` with a plain dict (not an
    ordered one or a ParameterDict) adds its keys sorted, as PyTorch."""

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _attr(key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError(f"Index given to ParameterDict cannot be used as a key as it is not "
                            f"a string (type is '{type(key).__name__}'). Open an issue on "
                            "github if you need non-string keys.")
        return key

    def __getitem__(self, key: str) -> Any:
        if self._attr(key) not in self._keys:
            raise _MissingKey(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        _put(self, self._attr(key), value)
        self._keys[key] = None

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, self._attr(key))

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __reversed__(self) -> Iterator[str]:
        return reversed(list(self._keys))

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same parameters."""
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def pop(self, key: str) -> Any:
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple[str, Any]:
        """Remove and return the last inserted (key, parameter) pair."""
        if not self._keys:
            raise KeyError("popitem(): ParameterDict is empty")
        key = next(reversed(list(self._keys)))
        return key, self.pop(key)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> ParameterDict:
        return ParameterDict([(k, default) for k in keys])

    def keys(self) -> Any:
        return self._keys.keys()

    def items(self) -> Iterator[tuple[str, Any]]:
        return iter([(k, self[k]) for k in self._keys])

    def values(self) -> Iterator[Any]:
        return iter([self[k] for k in self._keys])

    def update(self, parameters: Any) -> None:
        """Add (or replace) entries from a mapping or an iterable of (key, value) pairs."""
        if not isinstance(parameters, Iterable):
            raise TypeError(f"ParametersDict.update should be called with an iterable of "
                            f"key/value pairs, but got {type(parameters).__name__}")
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = list(parameters.items())
        elif isinstance(parameters, Mapping):
            pairs = sorted(parameters.items())  # PyTorch sorts the keys of a plain dict
        else:
            pairs = []
            for j, pair in enumerate(parameters):
                if not isinstance(pair, Iterable):
                    raise TypeError(f"ParameterDict update sequence element #{j} should be "
                                    f"Iterable; is {type(pair).__name__}")
                entry = list(pair)
                if len(entry) != 2:
                    raise ValueError(f"ParameterDict update sequence element #{j} has length "
                                     f"{len(entry)}; 2 is required")
                pairs.append((entry[0], entry[1]))
        for key, value in pairs:
            self[key] = value

    def extra_repr(self) -> str:
        return "\n".join(_entry_line(k, p, typename=True) for k, p in self.items())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterDict should not be called.")

    def __or__(self, other: ParameterDict) -> ParameterDict:
        copy = self.copy()
        copy.update(other)
        return copy

    def __ror__(self, other: ParameterDict) -> ParameterDict:
        copy = other.copy()
        copy.update(self)
        return copy

    def __ior__(self, other: ParameterDict) -> ParameterDict:
        self.update(other)
        return self
