"""The dicts a Module keeps its parameters, buffers, submodules and hooks in.

A plain dict, except that every change bumps ``autograd.graph.module_changes``: a container's
``seq[2] = layer``, ``del seq[1]``, ``add_module``, a hook's registration and removal all go
through one of these. ``tg.compile``'s guards look at the modules a tape ran only when that
number moved (``_compile_codegen.guard_function``), so a change here is never missed. Reading
is the dict's own (C) code; only the rare writes pay a Python call.
"""

from __future__ import annotations

from typing import Any

from ..autograd.graph import module_changes


class Registry(dict[Any, Any]):
    """A dict that counts its changes in ``autograd.graph.module_changes``."""

    __slots__ = ()

    def __setitem__(self, key: Any, value: Any) -> None:
        module_changes[0] += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        module_changes[0] += 1
        super().__delitem__(key)

    def pop(self, *args: Any) -> Any:
        module_changes[0] += 1
        return super().pop(*args)

    def popitem(self) -> Any:
        module_changes[0] += 1
        return super().popitem()

    def clear(self) -> None:
        module_changes[0] += 1
        super().clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        module_changes[0] += 1
        super().update(*args, **kwargs)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        module_changes[0] += 1
        return super().setdefault(key, default)

    def __ior__(self, other: Any) -> Registry:  # type: ignore[misc]
        module_changes[0] += 1
        super().update(other)
        return self
