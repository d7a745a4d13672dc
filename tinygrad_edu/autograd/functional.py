"""Derivatives of whole functions (``torch.autograd.functional``) from reverse-mode passes.

For ``y = func(x)`` with Jacobian ``J = dy/dx`` (and, for a scalar y, Hessian ``H = d^2y/dx^2``),
x and y flattened and concatenated over the entries of a tuple:

* ``vjp`` = v^T J: one backward pass seeded with v; ``jacobian`` = J: one per output element
  (row k is e_k^T J); ``hessian`` = H: the jacobian of the gradient x -> (dy/dx)^T;
* ``jvp`` = J v by the double-vjp trick: g(u) = J^T u is linear in u, so the vjp of g with v
  is v^T (dg/du) = (J v)^T, whatever u is (zeros here);
* ``vhp`` = v^T H (a vjp of the recorded gradient), ``hvp`` = H v (the trick on h(u) = H^T u).

As in PyTorch: ``func`` runs on new tensors that require grad (so a tensor it captured is told
apart from the input); results are detached unless ``create_graph=True``, which records them to
be differentiated again; ``strict=True`` raises where the answer would be zeros (an output
independent of an input). Arguments, returned tuples and error messages are PyTorch's, except:
there is no forward-mode AD (``strategy="forward-mode"`` raises), ``vectorize=True`` computes
the same rows one by one, and shapes print as tuples, not ``torch.Size``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Union

import numpy as np

from ..creation import zeros, zeros_like
from ..functions import stack
from ..tensor import Tensor
from . import grad
from .graph import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

Tensors = Union["Tensor", tuple["Tensor", ...]]
Func = Callable[..., Any]
_STRICT = "This is not allowed in strict mode"
_MESSAGES = {  # strict mode: a result that does not require grad / a gradient that is None
    "outputs": "Output {i} of the user-provided function does not require gradients. The "
               "outputs must be computed in a differentiable manner from the input when running "
               "in strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the "
                   f"user-provided function. {_STRICT}.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided "
                "function with respect to input {i} is independent of the input. "
                f"{_STRICT}. You should ensure that your function is twice differentiable and "
                "that the jacobian depends on the inputs (this would be violated by a linear "
                "function for example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is "
               f"independent of the input. {_STRICT}. You should ensure that your function is "
               "thrice differentiable and that the hessian depends on the inputs.",
    "back": f"The output of the user-provided function is independent of input {{i}}. {_STRICT}.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  f"gradients. {_STRICT}.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   f"{_STRICT}.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
                         f"{{i}} in the grad_jacobian. {_STRICT} as it prevents from using the "
                         "double backward trick to replace forward mode AD.",
    "unused": "Output {i} of the user-provided function is independent of input {j}. "
              f"{_STRICT}.",
    "create_graph": "The {what} of the user-provided function is independent of input {i}. "
                    f"{_STRICT} when create_graph=True.",
}


def _as_tuple(value: Any, arg: str, fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(was ``value`` a tuple, ``value`` as a tuple), each entry checked to be a Tensor."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for i, el in enumerate(values):
        if not isinstance(el, Tensor):
            which = f"the value at index {i}" if is_tuple else f"the given {arg}"
            raise TypeError(f"The {arg} given to {fn} must be either a Tensor or a tuple of "
                            f"Tensors but {which} has type {type(el)}.")
    return is_tuple, values


def _unpack(res: Any, to_unpack: bool | tuple[bool, bool]) -> Any:
    """Undo ``_as_tuple``: a 1-tuple back to its entry where the user gave no tuple."""
    if isinstance(to_unpack, tuple):
        res = res if to_unpack[1] else tuple(el[0] for el in res)
        to_unpack = to_unpack[0]
    return res if to_unpack else res[0]


def _finish(values: tuple[Any, ...], create_graph: bool) -> tuple[Any, ...]:
    """Results without history unless create_graph (nested tuples for jacobian/hessian)."""
    if values and isinstance(values[0], tuple):
        return tuple(_finish(v, create_graph) for v in values)
    return values if create_graph else tuple(t.detach() for t in values)


def _check(values: tuple[Any, ...], kind: str, strict: bool) -> None:
    for i, t in enumerate(values if strict else ()):
        if t is None or not t.requires_grad:
            raise RuntimeError(_MESSAGES["back" if t is None else kind].format(i=i))


def _grad(outputs: tuple[Any, ...], inputs: tuple[Tensor, ...], grad_outputs: Any = None,
          create_graph: bool = False, retain_graph: bool | None = None) -> tuple[Any, ...]:
    """``autograd.grad`` of the outputs that require grad; None for an input not reached."""
    seeds = (None,) * len(outputs) if grad_outputs is None else grad_outputs
    pairs = [(o, g) for o, g in zip(outputs, seeds, strict=True) if o is not None
             and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return grad([o for o, _ in pairs], inputs, [g for _, g in pairs], retain_graph=retain_graph,
                create_graph=create_graph, allow_unused=True)


def _zeros_for_none(grads: tuple[Any, ...], refs: tuple[Tensor, ...], strict: bool,
                    create_graph: bool, stage: str) -> tuple[Tensor, ...]:
    """Each None gradient as zeros shaped like ``refs[i]`` (strict: an error instead)."""
    for i, g in enumerate(grads):
        if strict and (g is None or (create_graph and not g.requires_grad)):
            raise RuntimeError(_MESSAGES[stage].format(i=i) if g is None else _MESSAGES[
                "create_graph"].format(i=i, what="hessian" if "double" in stage else "jacobian"))
    return tuple(zeros_like(r) if g is None else g for g, r in zip(grads, refs, strict=True))


def _setup(func: Func, inputs: Tensors, v: Any, create_graph: bool, strict: bool, fn: str
           ) -> tuple[bool, tuple[Tensor, ...], Any, bool, tuple[Tensor, ...]]:
    """Inputs as new tensors (a differentiable view under create_graph, else detached and
    requiring grad), ``func`` run on them, ``v`` checked against the outputs (vjp) or the
    inputs: (inputs were a tuple, inputs, v, outputs were a tuple, outputs)."""
    is_in_tuple, xs = _as_tuple(inputs, "inputs", fn)
    xs = tuple(t.view_as(t) if create_graph and t.requires_grad else
               t.detach().requires_grad_(True) for t in xs)
    is_out_tuple, ys = _as_tuple(func(*xs), "outputs of the user-provided function", fn)
    _check(ys, "outputs", strict)
    like, is_tuple = (ys, is_out_tuple) if fn == "vjp" else (xs, is_in_tuple)
    vs = None
    if v is not None:
        vs = tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach()
                   for t in _as_tuple(v, "v", fn)[1])
        if len(vs) != len(like):
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(like)} but got "
                               f"{len(vs)}." if is_tuple else "The given v should contain a "
                               "single Tensor.")
        for i, (a, b) in enumerate(zip(vs, like, strict=True)):
            if a.shape != b.shape:
                raise RuntimeError(f"{f'Entry {i} in ' if is_tuple else ''}v has invalid size: "
                                   f"should be {b.shape} but got {a.shape}.")
    elif fn != "jacobian" and (len(like) != 1 or like[0].numel() != 1):
        raise RuntimeError("The vector v can only be None if the " + (
            "user-provided function returns" if fn == "vjp" else
            "input to the user-provided function is") + " a single Tensor with a single element.")
    if fn in ("hvp", "vhp") and (is_out_tuple or ys[0].numel() != 1):
        raise RuntimeError(f"The function given to {fn} should return a single Tensor"
                           if is_out_tuple else f"The Tensor returned by the function given "
                           f"to {fn} should contain a single element")
    return is_in_tuple, xs, vs, is_out_tuple, ys


_STAGES = {"vjp": "back", "jvp": "back_trick", "vhp": "double_back", "hvp": "double_back_trick"}


def _product(func: Func, inputs: Tensors, v: Any, create_graph: bool, strict: bool, fn: str
             ) -> tuple[Any, Any]:
    """One backward pass seeded with v, through: y (vjp); the recorded gradient (vhp); the
    recorded g(u) = J^T u (jvp) or h(u) = H^T u (hvp), with respect to u."""
    with enable_grad():
        is_in_tuple, xs, vs, is_out_tuple, ys = _setup(func, inputs, v, create_graph, strict, fn)
        outs, wrt = ys, xs
        if fn in ("vhp", "hvp"):
            outs = _grad(ys, xs, create_graph=True)  # the gradient, recorded
            _check(outs, "jacobian", strict)
        if fn in ("jvp", "hvp"):  # linear in u: any u will do
            wrt = tuple(zeros_like(r, requires_grad=True) for r in (ys if fn == "jvp" else xs))
            outs = _grad(outs, xs, wrt, create_graph=True)
            _check(outs if fn == "jvp" else (), "grad_inputs", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        res = _zeros_for_none(_grad(outs, wrt, vs, create_graph), ys if fn == "jvp" else xs,
                              strict, create_graph, _STAGES[fn])
    return (_unpack(_finish(ys, create_graph), is_out_tuple),
            _unpack(_finish(res, create_graph), is_out_tuple if fn == "jvp" else is_in_tuple))


def vjp(func: Func, inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), v^T J)``: the vector-Jacobian product, shaped like ``inputs``; ``v`` is
    shaped like the output (optional for a one-element output)."""
    return _product(func, inputs, v, create_graph, strict, "vjp")


def jvp(func: Func, inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), J v)``: the Jacobian-vector product, shaped like the output; ``v`` is
    shaped like ``inputs``. By the double-vjp trick: d/du of v^T (J^T u) = (J v)^T."""
    return _product(func, inputs, v, create_graph, strict, "jvp")


def _stack(rows: list[Tensor], shape: tuple[int, ...], create_graph: bool) -> Tensor:
    """The rows e_k^T J as one tensor of ``shape`` (recorded under create_graph, so that J can
    be differentiated again)."""
    if not create_graph:
        return Tensor(np.stack([np.asarray(r.detach()) for r in rows]).reshape(shape))
    return stack(rows).reshape(shape)


def jacobian(func: Func, inputs: Tensors, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """J[i][j] = d outputs[i] / d inputs[j], of shape ``outputs[i].shape + inputs[j].shape``:
    a Tensor, a tuple (if one side is a tuple) or a tuple of tuples (both are), as PyTorch's.
    Row k of J[i] is e_k^T J[i], one backward pass each. ``vectorize`` only changes how PyTorch
    batches those passes: the result is the same. There is no forward-mode AD here, so
    ``strategy="forward-mode"`` raises NotImplementedError (use ``jvp`` for J v)."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    if strategy == "forward-mode":
        raise NotImplementedError('jacobian: strategy="forward-mode" needs forward-mode AD, '
                                  'which tinygrad_edu does not have (jvp uses the double-vjp '
                                  'trick); strategy="reverse-mode" gives the same Jacobian')
    if strict and vectorize:
        raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized="
                           "True` are not supported together. Please either set `strict=False` "
                           "or `vectorize=False`.")
    with enable_grad():
        is_in_tuple, xs, _, is_out_tuple, ys = _setup(func, inputs, None, create_graph, strict,
                                                      "jacobian")
        jac = []
        for i, y in enumerate(ys):
            rows: list[list[Tensor]] = [[] for _ in xs]
            for k in range(y.numel()):  # seeded with e_k: the row e_k^T J
                e_k = Tensor(np.eye(1, y.numel(), k, dtype=y.dtype).reshape(y.shape))
                for j, g in enumerate(_grad((y,), xs, (e_k,), create_graph, True)):
                    if strict and (g is None or (create_graph and not g.requires_grad)):
                        raise RuntimeError(_MESSAGES["unused" if g is None else "create_graph"]
                                           .format(i=i, j=j, what="jacobian"))
                    rows[j].append(zeros(xs[j].shape, dtype=xs[j].dtype) if g is None else g)
            jac.append(tuple(_stack(r, y.shape + x.shape, create_graph) if r else
                             zeros(y.shape + x.shape, dtype=x.dtype)
                             for r, x in zip(rows, xs, strict=True)))
        return _unpack(_finish(tuple(jac), create_graph), (is_out_tuple, is_in_tuple))


def hessian(func: Func, inputs: Tensors, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """H[i][j] = d^2 y / d inputs[i] d inputs[j] for a one-element ``func``, of shape
    ``inputs[i].shape + inputs[j].shape``: the jacobian of the gradient x -> (dy/dx)^T (itself
    a jacobian, recorded with create_graph), one row e_k^T H per backward pass."""
    is_in_tuple, xs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def single_output(*inp: Tensor) -> Tensor:
        out = func(*inp)
        is_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check(outs, "outputs", strict)
        if is_tuple or out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor"
                               if is_tuple else "The Tensor returned by the function given to "
                               "hessian should contain a single element")
        return out.squeeze()

    def gradient(*inp: Tensor) -> Any:
        jac = jacobian(single_output, inp, create_graph=True)
        _check(jac, "jacobian", strict)
        return jac

    res = jacobian(gradient, xs, create_graph, strict, vectorize, outer_jacobian_strategy)
    return _unpack(res, (is_in_tuple, is_in_tuple))


def vhp(func: Func, inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), v^T H)`` for a one-element ``func``: a backward pass through the
    recorded gradient, seeded with ``v`` (shaped like ``inputs``)."""
    return _product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func: Func, inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), H v)`` for a one-element ``func``, by the double-vjp trick: d/du of
    v^T (H^T u) = (H v)^T. One pass more than ``vhp``; equal to it when H is symmetric (a
    twice continuously differentiable func)."""
    return _product(func, inputs, v, create_graph, strict, "hvp")
