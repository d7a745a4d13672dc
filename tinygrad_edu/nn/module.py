"""``Module`` and ``Parameter``: the containers that models are built from, as in ``torch.nn``.

A ``Module`` finds its parameters and submodules by watching attribute assignment: ``self.fc =
Linear(3, 4)`` registers a child, ``self.w = Parameter(...)`` registers a parameter. Everything
else (``parameters()``, ``state_dict()``, ``train()``/``eval()``, ``zero_grad()``, the printed tree)
walks the tree those registrations build. Three dicts per module hold it:

* ``_parameters``: name -> ``Parameter`` (trainable; what an optimizer receives),
* ``_buffers``: name -> ``Tensor`` (state that is saved but not trained),
* ``_modules``: name -> child ``Module``.

Dotted names (``"encoder.fc.bias"``, ``"0.weight"``) are the path through ``_modules`` to the
tensor, and they are the keys of ``state_dict()``, the same keys PyTorch would use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple, TypeVar

import numpy as np

from .. import autograd
from .._tensor_convert import parse_to_args
from ..autograd import RemovableHandle, no_grad
from ..autograd.graph import module_changes as _module_changes
from ..device import unavailable
from ..tensor import Tensor
from . import hooks
from ._registry import Registry

__all__ = ["Module", "Parameter", "IncompatibleKeys"]

M = TypeVar("M", bound="Module")


class Parameter(Tensor):
    """A ``Tensor`` that a ``Module`` registers as trainable when assigned to one of its
    attributes. Requires grad by default.

    ``Parameter(data)`` wraps ``data`` like ``Tensor(data)`` does (a NumPy array or another
    tensor's array is shared, not copied). Operations on a parameter return plain tensors.
    """

    __slots__ = ()  # Tensor uses __slots__; an empty one keeps the subclass free of a __dict__

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty((0,), dtype=np.float32)
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` returns: keys the model has but the state dict lacks, and keys
    the state dict has but the model lacks (PyTorch's ``_IncompatibleKeys``)."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")


def _check_name(module: Module, name: Any, kind: str, registry: Mapping[str, Any]) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got {name!r}')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if hasattr(module, name) and name not in registry:
        raise KeyError(f"attribute '{name}' already exists")


def _addindent(text: str, spaces: int) -> str:
    """Indent every line but the first (how a child's repr nests inside its parent's)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


class Module:
    """Base class of layers and models: subclass it, assign layers and parameters in
    ``__init__``, and write ``forward``; calling the module calls ``forward``.

    ::

        class Net(Module):
            def __init__(self):
                super().__init__()              # must come before any assignment
                self.fc1 = Linear(784, 64)      # registered as child "fc1"
                self.fc2 = Linear(64, 10)

            def forward(self, x):
                return self.fc2(F.relu(self.fc1(x)))

    Differences from PyTorch: no devices, ``state_dict()`` returns a plain (ordered)
    ``dict``; ``load_state_dict`` checks everything before copying anything (PyTorch copies the
    matching entries before it raises), and it also accepts NumPy arrays as values.
    """

    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers: set[str]
    _modules: dict[str, Module | None]

    def __init__(self) -> None:
        # object.__setattr__: our own __setattr__ needs these dicts to exist already
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", Registry())  # (they count their changes)
        object.__setattr__(self, "_buffers", Registry())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", Registry())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the "forward" method')

    _has_hooks = False  # set on an instance by its first hook (nn/hooks.py)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Push the chain of modules we run inside; graph nodes recorded during forward keep it,
        # so a picture of the graph can group them by module (viz.graph).
        scope = autograd.module_scope
        scope.append(scope[-1] + (self,) if scope else (self,))
        if autograd.graph._tracer is not None:  # tg.compile: a guard on self.training
            autograd.graph._tracer.module(self)
        try:
            if self._has_hooks:
                return hooks.call_with_hooks(self, args, kwargs)
            return self.forward(*args, **kwargs)
        finally:
            scope.pop()

    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, args)`` before each forward; a returned value replaces the args."""
        return hooks.add_hook(self, "_forward_pre_hooks", hook)

    def register_forward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, args, output)`` after each forward; a returned value replaces the
        output."""
        return hooks.add_hook(self, "_forward_hooks", hook)

    def register_full_backward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` once the gradients of the module's tensor
        inputs are known; a returned tuple replaces ``grad_input``."""
        return hooks.add_hook(self, "_backward_hooks", hook)

    # ------------------------------------------------------------------ registration
    #
    # Parameters, buffers and submodules live in their registries (``_parameters``, ...), which
    # every walk of the tree reads. Each is also put in the instance ``__dict__`` under its name
    # (``_mirror``), so ``self.weight`` in a forward pass is a plain attribute lookup instead of
    # a call to ``__getattr__``: that fallback is Python code, and costs as much as a small op.

    def _mirror(self, name: str, value: Any) -> None:
        if name.isidentifier():  # Sequential's "0", "1"... are reached by index, not attribute
            self.__dict__[name] = value

    def __setattr__(self, name: str, value: Any) -> None:
        _module_changes[0] += 1
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, keep=self._parameters)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(Parameter or None expected)")
            params[name] = None
            self._mirror(name, None)
        elif isinstance(value, Module):
            if d.get("_modules") is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, keep=self._modules)
            self._modules[name] = value
            self._mirror(name, value)
        elif name in d.get("_modules", ()):
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (Module or None expected)")
            self._modules[name] = None
            self._mirror(name, None)
        elif name in d.get("_buffers", ()):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(Tensor or None expected)")
            self._buffers[name] = value
            self._mirror(name, value)
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: dict[str, Any]) -> None:
        """Drop ``name`` from every place an attribute can live but ``keep``, the registry it
        is re-registered in (so a reassigned parameter keeps its place in the state dict)."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name: str) -> Any:
        """Called only when normal lookup fails: a registered parameter, buffer or submodule."""
        d = self.__dict__  # never self._parameters here: unpickling calls this before __init__
        for registry in ("_parameters", "_buffers", "_modules"):
            found = d.get(registry)
            if found is not None and name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        _module_changes[0] += 1
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                self.__dict__.pop(name, None)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        extra = [*self._parameters, *self._buffers, *self._modules]
        return sorted(set(super().__dir__()) | set(extra))

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a ``None`` placeholder, skipped by ``parameters()`` and
        ``state_dict()``) under ``name``; the same as ``self.name = param``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(self, name, "parameter", self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (Parameter or None required)")
        if param is not None and not param.is_leaf:
            raise ValueError(f"cannot assign a non-leaf tensor to parameter '{name}'; compute "
                             "values derived from parameters in forward()")
        self._parameters[name] = param
        self._mirror(name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add non-trainable state (running statistics, masks, step counters...) under
        ``name``. It is not in ``parameters()``; it is in ``state_dict()`` when ``persistent``."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(self, name, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (Tensor or None required)")
        self._buffers[name] = tensor
        self._mirror(name, tensor)
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name``; the same as ``self.name = module``, but the
        name may be any string without dots (``Sequential`` uses ``"0"``, ``"1"``...)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name(self, name, "module", self._modules)
        self._modules[name] = module
        self._mirror(name, module)

    register_module = add_module

    # ------------------------------------------------------------------ walking the tree

    def named_modules(self, memo: set[int] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """This module and every descendant, depth-first in registration order, with dotted
        names (``""`` for this one). A module reachable twice is listed once unless
        ``remove_duplicate=False``. Walks with an explicit stack, not recursion."""
        seen = memo if memo is not None else set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in seen:
                    continue
                seen.add(id(module))
            yield name, module
            children = [(f"{name}.{key}" if name else key, child)
                        for key, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))  # reversed: the first child is popped first

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct children (each module once), with their attribute names."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``("fc1.weight", Parameter)`` pairs; a parameter shared by two modules (tied weights)
        is listed once unless ``remove_duplicate=False``."""
        seen: set[int] = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else iter([(prefix, self)]))
        for module_name, module in modules:
            for name, param in module._parameters.items():
                if param is None or (remove_duplicate and id(param) in seen):
                    continue
                seen.add(id(param))
                yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every trainable parameter (what an optimizer is given), each once."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else iter([(prefix, self)]))
        for module_name, module in modules:
            for name, buf in module._buffers.items():
                if buf is None or (remove_duplicate and id(buf) in seen):
                    continue
                seen.add(id(buf))
                yield (f"{module_name}.{name}" if module_name else name), buf

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def apply(self: M, fn: Callable[[Module], Any]) -> M:
        """Call ``fn`` on every submodule (children first, as PyTorch) and then on this one;
        e.g. a custom initialisation. Returns ``self``."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and gradients

    def train(self: M, mode: bool = True) -> M:
        """Set training mode (``training = mode``) on this module and every descendant; it
        changes layers such as ``Dropout``. Returns ``self``."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        _module_changes[0] += 1
        return self

    def eval(self: M) -> M:
        """``train(False)``: evaluation mode (``Dropout`` becomes the identity)."""
        return self.train(False)

    def requires_grad_(self: M, requires_grad: bool = True) -> M:
        """Switch gradient tracking of every parameter on or off. ``False`` freezes the module:
        its parameters get no ``.grad`` from ``backward()``, so an optimizer (which skips
        parameters whose grad is None) leaves them unchanged. Returns ``self``."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter: to ``None`` (default, as PyTorch >= 2.0),
        or, with ``set_to_none=False``, to zeros in place."""
        tracer = autograd.graph._tracer
        if tracer is not None and not tracer.calling:  # tg.compile replays the call
            if type(self).zero_grad is not Module.zero_grad:
                tracer.unsupported(f"{type(self).__name__}.zero_grad (an override)")
            else:
                return tracer.call(self.zero_grad, set_to_none)
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad.zero_()

    def to(self: M, *args: Any, **kwargs: Any) -> M:
        """``to(device)``, ``to(dtype)``, ``to(tensor)`` (its dtype), ``to(device, dtype)`` and the
        keywords ``device``, ``dtype``, ``non_blocking``, as PyTorch's: casts every floating-point
        parameter and buffer (and gradient) in place and returns ``self``. The ``Parameter``
        objects stay the same, so an optimizer made before keeps working. Any device but the
        CPU raises."""
        target, _ = parse_to_args(args, kwargs)
        if target is None:
            return self
        if target.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired "
                            f"dtype={target}")
        for tensor in [*self.parameters(), *self.buffers()]:
            if tensor.dtype.kind == "f" and tensor.dtype != target:
                tensor._data = tensor._data.astype(target)
                if tensor.grad is not None:
                    tensor.grad._data = tensor.grad._data.astype(target)
        return self

    def cpu(self: M) -> M:
        return self

    def cuda(self: M, device: Any = None) -> M:
        """Refused: there is no GPU here (see ``tg.cuda.is_available()``)."""
        raise unavailable("cuda" if device is None else device)

    def float(self: M) -> M:
        return self.to(np.float32)

    def double(self: M) -> M:
        return self.to(np.float64)

    def half(self: M) -> M:
        return self.to(np.float16)

    # ------------------------------------------------------------------ state dict

    def state_dict(self, *, prefix: str = "", keep_vars: bool = False) -> dict[str, Tensor]:
        """Every parameter and persistent buffer by dotted name, in registration order.

        The values are detached tensors that SHARE memory with the model (as PyTorch's):
        training changes them. Copy (``{k: v.clone() ...}``) to keep a snapshot.
        ``keep_vars=True`` returns the live ``Parameter`` objects themselves; ``prefix`` is
        put in front of every key as it is (``prefix="fc."`` gives ``"fc.weight"``).
        """
        out: dict[str, Tensor] = {}
        for module_name, module in self.named_modules(remove_duplicate=False):
            dot = prefix + (f"{module_name}." if module_name else "")
            for name, param in module._parameters.items():
                if param is not None:
                    out[dot + name] = param if keep_vars else param.detach()
            for name, buf in module._buffers.items():
                if buf is not None and name not in module._non_persistent_buffers:
                    out[dot + name] = buf if keep_vars else buf.detach()
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any],
                        strict: bool = True) -> IncompatibleKeys:
        """Copy values from ``state_dict`` into this model's parameters and buffers, in place.

        Values may be tensors or anything NumPy can turn into an array (NumPy arrays, PyTorch
        tensors). Each value is cast to the dtype of the tensor it lands in (a float32 model
        stays float32). Every entry is checked BEFORE anything is copied, so a failed load
        leaves the model exactly as it was. Errors (a ``RuntimeError`` listing every problem by
        name): a shape mismatch or an unreadable value, always; missing keys (in the model, not
        in the dict) and unexpected keys (in the dict, not in the model) when ``strict``.
        Returns ``IncompatibleKeys(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"expected a mapping of names to tensors, got "
                            f"{type(state_dict).__name__}")
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        errors: list[str] = []
        if strict and missing:
            errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing)
                          + ".")
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in unexpected) + ".")
        plan: list[tuple[Tensor, np.ndarray]] = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            try:
                array = value._data if isinstance(value, Tensor) else np.asarray(value)
            except Exception as e:  # e.g. a torch tensor that requires grad
                errors.append(f"could not read the value for {key} as an array: {e}")
                continue
            if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
                kind = array.dtype if isinstance(array, np.ndarray) else type(array).__name__
                errors.append(f"value for {key} is not numeric (got {kind})")
            elif array.shape != target.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{array.shape} from checkpoint, the shape in current model is "
                              f"{target.shape}.")
            elif not target._data.flags.writeable:
                errors.append(f"{key} in the model is a read-only array and cannot be loaded")
            else:
                # a private copy, already in the target's dtype: copying below cannot fail, and
                # a value that shares memory with another entry of the model cannot be
                # overwritten before it is read
                plan.append((target, np.array(array, dtype=target.dtype, copy=True)))
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        with no_grad():
            for target, array in plan:
                target.copy_(array)
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ printing

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (``in_features=3, ...``);
        override it in subclasses to show their settings."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(module), 2)
                       for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                body = extra_lines[0]
            else:
                body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{type(self).__name__}({body})"
