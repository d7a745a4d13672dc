"""The differential fuzzer's machinery: programs, the two libraries, one interpreter, the checker.

A *program* is a list of ``Step``s over a value stack. A ``leaf`` step pushes a leaf tensor (its
values, dtype, memory layout and ``requires_grad`` are part of the step); every other step names
an op of ``fuzz_ops.OPS``, the stack positions of its inputs and its parameters, and pushes the
op's output(s). The same program is interpreted twice by ``execute``, once with ``TG``
(tinygrad_edu) and once with ``TORCH`` (PyTorch): both are ``Lib`` objects with one interface,
so each op is written once (``fuzz_ops``), with no second op table.

``check_program`` then compares, value by value: shape, dtype, ``requires_grad`` and the values
of every intermediate (NaN and inf positions equal, tolerances by dtype), that tinygrad_edu did
not write into a leaf's memory; then it builds the same scalar loss in both (every unconsumed
value times a fixed cotangent), runs backward (once, or twice with ``retain_graph`` so the
gradients accumulate), and compares every leaf's gradient and every intermediate's retained
gradient. A mismatch is classified (kind, op, detail) so that many programs that hit the same
bug count as one class; the smallest program of each class is kept as its reproducer.

``programs(focus=...)`` is the Hypothesis strategy that builds programs. It builds them with
PyTorch as the shape oracle: each drawn step is run in PyTorch at once (no grad), so later steps
know their inputs' shapes and dtypes, and a step PyTorch rejects (a dim out of range, a view of
non-viewable strides, a reduction over nothing that has no identity...) is drawn again.
"""

from __future__ import annotations

import math
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as tgF

LAYOUTS = ("C", "F", "T", "strided", "reversed", "reversed2")
TIE_VALUES = (-1.0, -0.5, 0.0, 0.0, 0.5, 1.0, 2.0)
SPECIAL_VALUES = (math.nan, math.inf, -math.inf)
COTANGENT_VALUES = (-1.5, -1.0, -0.5, 0.5, 1.0, 2.0)
MAX_NUMEL = 48
RTOL = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 2e-4}
BCE_FLOOR = 1e-12  # the floor of p (1 - p) in BCE's gradient, PyTorch's and ours


# ---------------------------------------------------------------------- programs


@dataclass(frozen=True)
class LeafSpec:
    """A leaf: float64 ``values`` (exact in ``dtype``), stored in memory as ``layout`` says."""

    values: np.ndarray
    dtype: str
    layout: str
    requires_grad: bool
    perm: tuple[int, ...] = ()  # for layout "T": the axes order of the underlying C array
    flip: tuple[bool, ...] = ()  # for "reversed"/"reversed2": which axes run backwards

    def array(self, layout: str | None = None) -> np.ndarray:
        """The values in this leaf's (or the given) memory layout, as a fresh ndarray."""
        return materialize(self.values.astype(self.dtype), layout or self.layout, self.perm,
                           self.flip)


@dataclass(frozen=True)
class Step:
    op: str
    args: tuple[int, ...] = ()
    params: tuple[tuple[str, Any], ...] = ()
    leaf: LeafSpec | None = None

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.params)


@dataclass(frozen=True)
class Program:
    steps: tuple[Step, ...]
    # "once", "twice" (retain_graph, a second loss, accumulation), "grad" (autograd.grad) or
    # "double" (second derivatives: autograd.grad with create_graph=True, then the gradient of
    # the gradients times cotangents, ``second_derivatives``)
    backward: str = "once"
    special: bool = False  # leaves may hold NaN / inf

    @property
    def ops(self) -> list[str]:
        return [s.op for s in self.steps if s.op != "leaf"]

    def size(self) -> tuple[int, int]:
        """For picking the smallest reproducer: (op steps, leaf elements)."""
        return len(self.ops), sum(s.leaf.values.size for s in self.steps if s.leaf is not None)


def materialize(v: np.ndarray, layout: str, perm: Sequence[int] = (),
                flip: Sequence[bool] = ()) -> np.ndarray:
    """``v`` copied into memory of the given layout. Views of bigger arrays are padded with NaN,
    so an op that reads outside its view shows it."""
    if v.ndim == 0 or layout == "C":
        return np.array(v, order="C")
    if layout == "F":
        return np.asfortranarray(v)
    if layout == "T":
        perm = tuple(perm) if len(perm) == v.ndim else tuple(reversed(range(v.ndim)))
        return np.ascontiguousarray(v.transpose(perm)).transpose(np.argsort(perm))
    flips = tuple(flip) if len(flip) == v.ndim else (True,) * v.ndim
    if layout == "strided":
        big = np.full(tuple(2 * n + 1 for n in v.shape), np.nan, v.dtype)
        view = big[tuple(slice(1, 1 + 2 * n, 2) for n in v.shape)]
    elif layout in ("reversed", "reversed2"):
        step = 1 if layout == "reversed" else 2
        big = np.full(tuple(step * n + 1 for n in v.shape), np.nan, v.dtype)
        view = big[tuple(slice(step * n, 0, -step) if f else slice(1, 1 + step * n, step)
                         for n, f in zip(v.shape, flips, strict=True))]
    else:
        raise ValueError(f"unknown layout {layout!r}")
    view[...] = v
    return view


# ---------------------------------------------------------------------- the two libraries


# Set while a program runs BCE at a clamped probability (p (1 - p) under BCE_FLOOR, e.g. exactly
# 0 or 1): gradients then carry terms of size 1 / BCE_FLOOR, and where such terms cancel (x / x,
# a second backward) both libraries keep only their rounding, so gradients are compared at that
# size. A second derivative there is PyTorch's double-backward formula, of size 1 / BCE_FLOOR^2
# (it squares the clamped denominator), ours takes the clamped denominator as a constant
# (1 / BCE_FLOOR): the README lists the difference, and such programs' gradients are compared
# for their NaN/inf positions only (test_torch_parity checks the clamped first derivatives).
CLIPPED_BCE = [False]


def _reduce(per_element: Any, reduction: str) -> Any:
    if reduction == "mean":
        return per_element.mean()
    return per_element.sum() if reduction == "sum" else per_element


class Lib:
    """What the interpreter needs from a library, beyond the shared Tensor API."""

    name: str
    mod: Any
    F: Any
    float32: Any
    float64: Any

    def leaf(self, spec: LeafSpec) -> Any: ...
    def const(self, array: np.ndarray) -> Any: ...
    def index(self, array: np.ndarray, as_tensor: bool) -> Any: ...
    def getitem(self, x: Any, index: Any) -> Any: ...
    def reverse_dims(self, x: Any) -> Any: ...
    def sign(self, x: Any) -> Any: ...
    def bce(self, p: Any, y: Any, **kw: Any) -> Any: ...
    def penalty(self, w: Any, kind: str, lam: float | None) -> Any: ...
    def numpy(self, t: Any) -> np.ndarray: ...
    def dtype(self, t: Any) -> np.dtype: ...
    def is_tensor(self, v: Any) -> bool: ...


class TgLib(Lib):
    name, mod, F = "tinygrad_edu", tg, tgF
    float32, float64 = tg.float32, tg.float64

    def leaf(self, spec: LeafSpec) -> Any:
        return tg.Tensor(spec.array(), requires_grad=spec.requires_grad)  # wraps, no copy

    def const(self, array: np.ndarray) -> Any:
        return tg.tensor(array)

    def index(self, array: np.ndarray, as_tensor: bool) -> Any:
        return tg.tensor(array) if as_tensor else array

    def getitem(self, x: Any, index: Any) -> Any:
        return x[index]

    def reverse_dims(self, x: Any) -> Any:
        return x.T

    def sign(self, x: Any) -> Any:
        return x.sign()

    def bce(self, p: Any, y: Any, **kw: Any) -> Any:
        return tgF.binary_cross_entropy(p, y, **kw)

    def penalty(self, w: Any, kind: str, lam: float | None) -> Any:
        fn = tgF.l1_penalty if kind == "l1" else tgF.l2_penalty
        return fn(w) if lam is None else fn(w, lam)

    def numpy(self, t: Any) -> np.ndarray:
        return t._data

    def dtype(self, t: Any) -> np.dtype:
        return np.dtype(t.dtype)

    def is_tensor(self, v: Any) -> bool:
        return isinstance(v, tg.Tensor)


_TORCH_TO_NUMPY = {torch.float32: np.dtype(np.float32), torch.float64: np.dtype(np.float64),
                   torch.int64: np.dtype(np.int64), torch.int32: np.dtype(np.int32),
                   torch.bool: np.dtype(bool), torch.float16: np.dtype(np.float16)}


class TorchLib(Lib):
    name, mod, F = "torch", torch, torch.nn.functional
    float32, float64 = torch.float32, torch.float64

    def leaf(self, spec: LeafSpec) -> Any:
        t = torch.from_numpy(np.array(spec.values, dtype=spec.dtype, order="C"))
        return t.requires_grad_(spec.requires_grad)

    def const(self, array: np.ndarray) -> Any:
        return torch.from_numpy(np.array(array, order="C"))

    def index(self, array: np.ndarray, as_tensor: bool) -> Any:
        return torch.from_numpy(np.array(array, order="C"))

    def getitem(self, x: Any, index: Any) -> Any:
        """PyTorch has no negative slice steps: flip those dims, then slice forwards."""
        parts = index if isinstance(index, tuple) else (index,)
        parts = tuple(self.index(p, True) if isinstance(p, np.ndarray) else p for p in parts)
        consumed = [_consumes(p) for p in parts]
        if Ellipsis in parts:
            at = parts.index(Ellipsis)
            consumed[at] = x.ndim - sum(c for i, c in enumerate(consumed) if i != at)
        dim, new_parts, flips = 0, [], []
        for p, c in zip(parts, consumed, strict=True):
            if isinstance(p, slice) and p.step is not None and p.step < 0:
                n = x.shape[dim]
                picked = range(n)[p]
                flips.append(dim)
                if len(picked) == 0:
                    p = slice(0, 0)
                else:  # element i of x is element n - 1 - i of the flipped x
                    p = slice(n - 1 - picked[0], n - picked[-1], -p.step)
            new_parts.append(p)
            dim += c
        if flips:
            x = torch.flip(x, flips)
        return x[tuple(new_parts) if isinstance(index, tuple) else new_parts[0]]

    def reverse_dims(self, x: Any) -> Any:  # x.T is deprecated in PyTorch unless 2-D
        return x.permute(*reversed(range(x.ndim)))

    def sign(self, x: Any) -> Any:
        return x.sign().detach()  # documented: tinygrad_edu's sign() is a constant

    def bce(self, p: Any, y: Any, **kw: Any) -> Any:
        """PyTorch's own BCE (ours clamps as it does); notes a clamped probability."""
        pd = p.detach().double()
        if bool((pd * (1 - pd) < BCE_FLOOR).any()):
            CLIPPED_BCE[0] = True  # its gradient there is (p - y) / 1e-12
        return torch.nn.functional.binary_cross_entropy(p, y, **kw)

    def penalty(self, w: Any, kind: str, lam: float | None) -> Any:
        base = w.abs().sum() if kind == "l1" else (w * w).sum()
        return base * (1.0 if lam is None else lam)

    def numpy(self, t: Any) -> np.ndarray:
        return t.detach().numpy(force=True)  # force: a second derivative may be a ZeroTensor

    def dtype(self, t: Any) -> np.dtype:
        return _TORCH_TO_NUMPY[t.dtype]

    def is_tensor(self, v: Any) -> bool:
        return isinstance(v, torch.Tensor)


def _consumes(part: Any) -> int:
    """How many input dims one part of an index uses."""
    if part is None or part is Ellipsis:
        return 0
    if isinstance(part, (np.ndarray, torch.Tensor)) and part.dtype in (np.bool_, torch.bool):
        return part.ndim
    return 1


TG, TORCH = TgLib(), TorchLib()


# ---------------------------------------------------------------------- the interpreter


@dataclass
class Run:
    values: list[Any] = field(default_factory=list)
    producer: list[int] = field(default_factory=list)  # step number of each stack value
    leaves: dict[int, tuple[Any, np.ndarray]] = field(default_factory=dict)
    error: tuple[int, BaseException] | None = None
    # backward "grad": the gradients autograd.grad returned, by value index (no .grad is set);
    # "double": the second derivatives (of the leaves; None for intermediates)
    returned: dict[int, Any] | None = None
    # backward "twice": each gradient's size after the first pass (the second may cancel it)
    first_pass: dict[int, float] = field(default_factory=dict)


def apply_step(lib: Lib, step: Step, values: Sequence[Any]) -> tuple[Any, ...]:
    from .fuzz_ops import OPS

    out = OPS[step.op].apply(lib, *(values[i] for i in step.args), **step.kwargs)
    return tuple(out) if isinstance(out, tuple) else (out,)


def execute(program: Program, lib: Lib, layout: str | None = None) -> Run:
    """Interpret ``program`` with ``lib``; stop at the first step that raises."""
    run = Run()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for number, step in enumerate(program.steps):
            try:
                if step.leaf is not None:
                    if lib is TG:
                        array = step.leaf.array(layout)
                        outs: tuple[Any, ...] = (
                            tg.Tensor(array, requires_grad=step.leaf.requires_grad),)
                        run.leaves[len(run.values)] = (outs[0], array.copy())
                    else:
                        outs = (lib.leaf(step.leaf),)
                else:
                    outs = apply_step(lib, step, run.values)
            except Exception as exc:  # noqa: BLE001 -- a raising step is a finding
                run.error = (number, exc)
                return run
            run.values.extend(outs)
            run.producer.extend([number] * len(outs))
    return run


def cotangent(shape: tuple[int, ...], salt: int) -> np.ndarray:
    rng = np.random.default_rng(1000 + salt)
    return rng.choice(COTANGENT_VALUES, size=shape)


def sinks(program: Program, run: Run, lib: Lib) -> list[int]:
    """Values no op consumed that carry a gradient: they (times cotangents) make the loss."""
    used = {i for s in program.steps for i in s.args}
    return [i for i, v in enumerate(run.values)
            if i not in used and v.requires_grad and lib.dtype(v).kind == "f"]


def loss(lib: Lib, values: Sequence[Any], chosen: Sequence[int], salt: int) -> Any:
    total = None
    for i in chosen:
        v = values[i]
        term = (v.double() * lib.const(cotangent(tuple(v.shape), salt + i))).sum()
        total = term if total is None else total + term
    return total


def backward(program: Program, lib: Lib, run: Run, chosen: Sequence[int],
             grad_values: Sequence[int]) -> None:
    """Retain every intermediate's gradient, then backpropagate the loss once or twice; or
    (mode "grad") ask ``autograd.grad`` for the gradient of every value that requires one."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if program.backward == "double":
            run.returned = second_derivatives(program, lib, run, chosen, grad_values)
            return
        if program.backward == "grad":
            targets = [run.values[i] for i in grad_values]
            grads = lib.mod.autograd.grad(loss(lib, run.values, chosen, 0), targets,
                                          allow_unused=True)
            run.returned = dict(zip(grad_values, grads, strict=True))
            return
        for i in grad_values:
            if not run.values[i].is_leaf:
                run.values[i].retain_grad()
        first = loss(lib, run.values, chosen, 0)
        if program.backward == "twice":
            first.backward(retain_graph=True)
            for i in grad_values:
                g = run.values[i].grad
                if g is not None:
                    run.first_pass[i] = float(np.abs(lib.numpy(g).astype(np.float64)).max(
                        initial=0.0))
            loss(lib, run.values, chosen, 500).backward()
        else:
            first.backward()


def second_derivatives(program: Program, lib: Lib, run: Run, chosen: Sequence[int],
                       grad_values: Sequence[int]) -> dict[int, Any]:
    """d/dx of sum_k(dL/dx_k * c_k) for every leaf x: the first gradients are taken with
    ``create_graph=True`` and the second pass differentiates through them. A gradient that
    does not depend on any leaf (it does not require grad) adds nothing, and a leaf the second
    loss does not reach gets zeros: PyTorch leaves out the recording of some constant
    gradients, so where a second derivative is zero only its value is compared."""
    # the leaves the program made (not values PyTorch aliases to a leaf, e.g. flatten(0, 0)),
    # each with the cotangent of its value index, so both libraries weight the same values
    leaves = [i for i in grad_values if program.steps[run.producer[i]].leaf is not None]
    targets = [run.values[i] for i in leaves]
    firsts = lib.mod.autograd.grad(loss(lib, run.values, chosen, 0), targets,
                                   create_graph=True, allow_unused=True)
    terms = [(g.double() * lib.const(cotangent(tuple(g.shape), 700 + i))).sum()
             for i, g in zip(leaves, firsts, strict=True)
             if g is not None and g.requires_grad]
    seconds: Sequence[Any] = [None] * len(targets)
    if terms:
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        seconds = lib.mod.autograd.grad(total, targets, allow_unused=True)
    returned: dict[int, Any] = dict.fromkeys(grad_values)
    for i, t, g in zip(leaves, targets, seconds, strict=True):
        returned[i] = g if g is not None else lib.const(
            np.zeros(tuple(t.shape), dtype=lib.dtype(t)))
    return returned


# ---------------------------------------------------------------------- comparing


@dataclass(frozen=True)
class Mismatch:
    kind: str  # forward / dtype / requires_grad / error / grad / leaf-mutated / data-type
    op: str
    detail: str
    message: str

    @property
    def key(self) -> str:
        return f"{self.kind} | {self.op} | {self.detail}"


def difference(ours: np.ndarray, ref: np.ndarray, rtol: float, size: float = 0.0) -> str | None:
    """None if equal within ``rtol`` (NaN and inf positions equal), else what differs.
    ``size``: a magnitude the values were computed from (a sum that cancelled)."""
    if ours.shape != ref.shape:
        return "shape"
    if ours.dtype.kind not in "fc" or ref.dtype.kind not in "fc":
        return None if np.array_equal(ours, ref) else "values"
    a, b = ours.astype(np.float64), ref.astype(np.float64)
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    if not np.array_equal(nan_a, nan_b):
        return "nan where torch has a number" if (nan_a & ~nan_b).any() else \
            "a number where torch has nan"
    finite = np.isfinite(b)
    if not np.array_equal(np.isfinite(a), finite) or not np.array_equal(a[~finite & ~nan_b],
                                                                        b[~finite & ~nan_b]):
        return "inf"
    a, b = a[finite], b[finite]
    scale = max(1.0, float(np.abs(b).max(initial=0.0)), size)
    if np.all(np.abs(a - b) <= rtol * (np.abs(b) + scale)):
        return None
    return "values"


def _rtol(*dtypes: np.dtype) -> float:
    return max(RTOL.get(np.dtype(d), 1e-9) for d in dtypes)


def raised_where(exc: BaseException) -> str:
    """``ExcType in Function.method`` of the innermost tinygrad_edu frame that raised."""
    where = "?"
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        if "tinygrad_edu" in frame.f_code.co_filename:
            code = frame.f_code
            where = getattr(code, "co_qualname", code.co_name)
    return f"{type(exc).__name__} in {where}"


def _describe(ours: np.ndarray, ref: np.ndarray) -> str:
    worst = ""
    if ours.shape == ref.shape and ours.size and ours.dtype.kind == ref.dtype.kind == "f":
        a, b = ours.astype(np.float64), ref.astype(np.float64)
        gap = np.where(np.isnan(a) == np.isnan(b), np.abs(np.nan_to_num(a - b)), np.inf)
        at = np.unravel_index(int(np.argmax(gap)), a.shape)
        worst = f"\n    worst at {tuple(int(i) for i in at)}: {a[at]!r} vs torch {b[at]!r}"
    with np.printoptions(precision=6, threshold=30, linewidth=120):
        return f"tinygrad_edu: {ours!r}\n    torch: {ref!r}{worst}"


def _op_name(program: Program, step: int) -> str:
    return program.steps[step].op


def low_precision(program: Program, ref: Run) -> list[bool]:
    """Per value: does it or any value it was computed from have a dtype below float64? Such a
    float64 value carries float32 round-off (which differs between the libraries)."""
    low: list[bool] = []
    for i, v in enumerate(ref.values):
        step = program.steps[ref.producer[i]]
        own = v.dtype in (torch.float32, torch.float16)
        low.append(own or any(low[j] for j in step.args))
    return low


def compare_forward(program: Program, ours: Run, ref: Run) -> list[Mismatch]:
    found: list[Mismatch] = []
    low = low_precision(program, ref)
    kinds: set[str] = set()

    def add(kind: str, index: int, detail: str, message: str) -> None:
        if kind not in kinds:  # later values inherit the first difference
            kinds.add(kind)
            op = _op_name(program, ref.producer[index])
            found.append(Mismatch(kind, op, detail, f"value x{index} ({op}): {message}"))

    for i, (t, r) in enumerate(zip(ours.values, ref.values, strict=False)):
        if not TG.is_tensor(t):
            add("data-type", i, type(t).__name__, f"not a Tensor: {type(t).__name__}")
            continue
        if not isinstance(t._data, np.ndarray):
            add("data-type", i, f"data is {type(t._data).__name__}",
                f"Tensor._data is {type(t._data).__name__}, not an ndarray")
        ours_dtype, ref_dtype = TG.dtype(t), TORCH.dtype(r)
        if ours_dtype != ref_dtype:
            add("dtype", i, f"{ours_dtype} vs torch {ref_dtype}",
                f"dtype {ours_dtype}, torch {ref_dtype} (shape {tuple(r.shape)})")
        if bool(t.requires_grad) != bool(r.requires_grad):
            add("requires_grad", i, f"{t.requires_grad} vs torch {r.requires_grad}",
                f"requires_grad {t.requires_grad}, torch {r.requires_grad}")
        a, b = np.asarray(TG.numpy(t)), TORCH.numpy(r)
        diff = difference(a, b, _rtol(a.dtype, b.dtype, np.float32 if low[i] else np.float64))
        if diff is not None:
            add("forward", i, diff, _describe(a, b))
            break  # everything after is built on a different value
    if ours.error is not None:
        number, exc = ours.error
        produced = [r for r, n in zip(ref.values, ref.producer, strict=True) if n == number]
        # Documented: an index out of range is an IndexError here even where the result is
        # empty; PyTorch then returns the empty result without checking the indices.
        documented = (program.steps[number].op == "getitem" and isinstance(exc, IndexError)
                      and bool(produced) and all(r.numel() == 0 for r in produced))
        if not documented:
            found.append(Mismatch("error", _op_name(program, number), raised_where(exc),
                                  f"step {number} raised {type(exc).__name__}: {exc}"))
    for i, (tensor, original) in ours.leaves.items():
        if not np.array_equal(tensor._data, original, equal_nan=True):
            found.append(Mismatch("leaf-mutated", "?", "", f"leaf x{i} was written to"))
    return found


def _aliased(run: Run, i: int) -> bool:
    """True if value i is the same tensor object as an earlier value (its .grad is that one's)."""
    return any(run.values[j] is run.values[i] for j in range(i))


def compare_grads(program: Program, ours: Run, ref: Run, grad_values: Sequence[int]
                  ) -> list[Mismatch]:
    """Every gradient; a differing one is blamed on the ops that consumed the value: of all
    values whose gradient differs, the one made last has consumers whose gradients agree."""
    consumers: dict[int, list[str]] = {}
    for s in program.steps:
        for i in s.args:
            consumers.setdefault(i, []).append(s.op)
    found: list[Mismatch] = []
    worst: tuple[int, str, str] | None = None
    any_low = any(low_precision(program, ref))  # gradients mix every value's precision
    for i in grad_values:
        t, r = ours.values[i], ref.values[i]
        if _aliased(ours, i) or _aliased(ref, i):
            continue  # torch's flatten(0, 0), contiguous(), ... return their input itself
        if ours.returned is not None and ref.returned is not None:
            g, h = ours.returned[i], ref.returned[i]
        else:
            g, h = t.grad, r.grad
        if g is None and h is None:
            continue
        if g is None or h is None:
            problem, message = "grad presence", f"tinygrad_edu grad {g!r}, torch grad {h!r}"
        else:
            data = g._data if TG.is_tensor(g) else g
            if not TG.is_tensor(g) or not isinstance(data, np.ndarray):
                if not any(m.kind == "grad-type" for m in found):
                    found.append(Mismatch(
                        "grad-type", "leaf" if t.is_leaf else "intermediate",
                        f"{type(g).__name__} holding {type(data).__name__}",
                        f"x{i}.grad is a {type(g).__name__} holding {type(data).__name__}"))
            a, b = np.asarray(data), TORCH.numpy(h)
            if a.dtype != TG.dtype(t):
                found.append(Mismatch("grad-dtype", _op_name(program, ref.producer[i]),
                                      f"{a.dtype} for a {TG.dtype(t)} tensor",
                                      f"x{i}.grad dtype {a.dtype}"))
            problem = difference(a, b, _rtol(a.dtype, b.dtype, TG.dtype(t),
                                             np.float32 if any_low else np.float64),
                                 max(ref.first_pass.get(i, 0.0),  # a second pass may cancel it
                                     np.inf if CLIPPED_BCE[0] else 0.0))
            message = _describe(a, b)
        if problem is not None and (worst is None or i > worst[0]):
            worst = (i, problem, message)
    if worst is not None:
        i, problem, message = worst
        names = sorted(set(consumers.get(i, ["loss"])))
        found.append(Mismatch("grad", "+".join(names), problem, f"grad of x{i}: {message}"))
    return found


@dataclass
class Outcome:
    mismatches: list[Mismatch]
    ops: Counter[str]


def check_program(program: Program) -> Outcome:
    ops = Counter(program.ops)
    CLIPPED_BCE[0] = False
    ref = execute(program, TORCH)
    if ref.error is not None:  # the builder only keeps steps PyTorch runs
        number, exc = ref.error
        return Outcome([Mismatch("oracle-error", _op_name(program, number), type(exc).__name__,
                                 str(exc))], ops)
    ours = execute(program, TG)
    found = compare_forward(program, ours, ref)
    if any(m.kind in ("forward", "error", "requires_grad", "data-type") for m in found):
        return Outcome(found, ops)
    chosen = sinks(program, ref, TORCH)
    if not chosen:
        return Outcome(found, ops)
    grad_values = [i for i, v in enumerate(ref.values) if v.requires_grad]
    backward(program, TORCH, ref, chosen, grad_values)
    try:
        backward(program, TG, ours, chosen, grad_values)
    except Exception as exc:  # noqa: BLE001
        found.append(Mismatch("backward-error", raised_where(exc), type(exc).__name__,
                              f"{type(exc).__name__}: {exc}"))
        return Outcome(found, ops)
    found += compare_grads(program, ours, ref, grad_values)
    return Outcome(found, ops)


# ---------------------------------------------------------------------- rendering


def _fmt(value: Any) -> str:
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=4, threshold=40, linewidth=100):
            return f"np.array({value.tolist()!r}, dtype={value.dtype})"
    if isinstance(value, tuple):
        inner = ", ".join(_fmt(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, slice):
        return f"slice({value.start}, {value.stop}, {value.step})"
    return repr(value)


def render(program: Program) -> str:
    """A readable listing: one line per step, the leaves with their values."""
    lines, count = [], 0
    for step in program.steps:
        if step.leaf is not None:
            leaf = step.leaf
            extra = f", perm={leaf.perm}" if leaf.layout == "T" else (
                f", flip={leaf.flip}" if leaf.layout.startswith("reversed") else "")
            lines.append(f"x{count} = leaf({leaf.values.tolist()!r}, {leaf.dtype}, "
                         f"layout={leaf.layout}{extra}, requires_grad={leaf.requires_grad})")
            count += 1
            continue
        from .fuzz_ops import OPS

        n_out = OPS[step.op].outputs
        outs = ", ".join(f"x{count + k}" for k in range(n_out))
        args = ", ".join(f"x{i}" for i in step.args)
        params = ", ".join(f"{k}={_fmt(v)}" for k, v in step.params)
        lines.append(f"{outs} = {step.op}({args}{', ' if args and params else ''}{params})")
        count += n_out
    lines.append(f"loss = sum of unconsumed values x cotangents; backward: {program.backward}")
    return "\n".join(lines)


# ---------------------------------------------------------------------- building programs


@dataclass(frozen=True)
class Meta:
    shape: tuple[int, ...]
    dtype: np.dtype
    requires_grad: bool

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def is_float(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


def broadcastable(a: Sequence[int], b: Sequence[int]) -> bool:
    return all(x == y or x == 1 or y == 1 for x, y in zip(reversed(a), reversed(b), strict=False))


class Builder:
    """Draws a program step by step; PyTorch runs each step at once to tell the next ones the
    shapes and dtypes (the values themselves are of no interest here)."""

    def __init__(self, draw: Callable[..., Any], all_float64: bool, special: bool) -> None:
        self.draw = draw
        self.all_float64, self.special = all_float64, special
        self.steps: list[Step] = []
        self.values: list[torch.Tensor] = []
        self.fresh = False  # True while drawing the focus op: new leaves (any layout) likelier

    # -- small draws
    def choice(self, options: Sequence[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def flag(self, percent: int = 50) -> bool:
        return self.draw(st.integers(0, 99)) < percent

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))

    def shuffle(self, items: Sequence[Any]) -> list[Any]:
        return list(self.draw(st.permutations(list(items))))

    def meta(self, i: int) -> Meta:
        v = self.values[i]
        return Meta(tuple(v.shape), TORCH.dtype(v), bool(v.requires_grad))

    def side(self) -> int:
        return self.choice((0, 1, 1, 2, 2, 3, 3, 4))

    def shape(self, min_ndim: int = 0, max_ndim: int = 4) -> tuple[int, ...]:
        ndim = self.integer(min_ndim, max_ndim)
        shape = [self.side() for _ in range(ndim)]
        while math.prod(shape) > MAX_NUMEL:
            shape[shape.index(max(shape))] -= 1
        return tuple(shape)

    def dim(self, ndim: int, extra: int = 0) -> int:
        """A dim in PyTorch's range for ``ndim`` dims (+ ``extra`` for unsqueeze/stack)."""
        n = max(ndim + extra, 1)
        return self.integer(-n, n - 1)

    def dims(self, ndim: int, allow_none: bool = True) -> Any:
        """None, one dim, a tuple or list of distinct dims (negative ones too), or () (which
        PyTorch's reductions read as every dim)."""
        forms = ("none", "int", "tuple", "list", "empty") if allow_none else ("int", "tuple")
        form = self.choice(forms)
        if form == "none":
            return None
        if form == "empty":
            return ()
        if form == "int" or ndim == 0:
            return self.dim(ndim)
        picked = self.draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                                    unique=True))
        dims = [d - ndim if self.flag() else d for d in picked]
        return dims if form == "list" else tuple(dims)

    # -- leaves
    def leaf(self, shape: tuple[int, ...] | None = None, *, requires_grad: bool | None = None,
             dtype: str | None = None, kind: str = "values") -> int:
        shape = self.shape() if shape is None else tuple(shape)
        if dtype is None:
            dtype = "float64" if self.all_float64 else self.choice(("float32", "float64"))
        if requires_grad is None:
            requires_grad = self.flag(80)
        layout = self.choice(LAYOUTS)
        ndim = len(shape)
        perm = tuple(self.draw(st.permutations(range(ndim)))) if layout == "T" else ()
        flip = tuple(self.flag() for _ in range(ndim)) if layout.startswith("reversed") else ()
        if flip and not any(flip):
            flip = (True,) + flip[1:]
        seed = self.integer(0, 2**31 - 1)
        values = leaf_values(shape, kind, self.choice(("ties", "smooth", "mixed")), seed,
                             self.special and kind == "values" and self.flag(60))
        values = values.astype(dtype).astype(np.float64)  # exact in its dtype
        spec = LeafSpec(values, dtype, layout, requires_grad, perm, flip)
        self.steps.append(Step("leaf", leaf=spec))
        self.values.append(TORCH.leaf(spec).detach().requires_grad_(requires_grad))
        return len(self.values) - 1

    def operand(self, pred: Callable[[Meta], bool] | None = None,
                make: Callable[[], int] | None = None, reuse: int = 65) -> int:
        """An existing stack value that satisfies ``pred`` (floats by default), or a new leaf."""
        pred = pred or (lambda m: m.is_float)
        existing = [i for i in range(len(self.values)) if pred(self.meta(i))]
        if existing and self.flag(reuse // 2 if self.fresh else reuse):
            return self.choice(existing)
        return make() if make is not None else self.leaf()

    def partner_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """A shape that broadcasts with ``shape``: fewer leading dims, some dims 1, more dims."""
        form = self.choice(("same", "same", "scalar", "ones", "drop", "grow"))
        if form == "same":
            return shape
        if form == "scalar":
            return ()
        if form == "ones":
            return tuple(1 if self.flag() else n for n in shape)
        if form == "drop":
            return shape[self.integer(0, len(shape)):]
        lead = tuple(self.choice((1, 2, 3)) for _ in range(self.integer(1, 2)))
        new = lead + tuple(1 if self.flag(30) else n for n in shape)
        return new if math.prod(new) <= MAX_NUMEL * 2 else shape

    def partner(self, shape: tuple[int, ...], float_only: bool = True) -> int:
        def pred(m: Meta) -> bool:
            return (m.is_float or not float_only) and broadcastable(m.shape, shape)

        return self.operand(pred, lambda: self.leaf(self.partner_shape(shape)), reuse=40)

    # -- steps
    def add_step(self, op: str) -> bool:
        from .fuzz_ops import OPS

        mark = len(self.steps), len(self.values)
        args, params = OPS[op].draw(self)
        step = Step(op, tuple(args), tuple(params.items()))
        try:
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                outs = apply_step(TORCH, step, self.values)
            grad_flags = [self.values[i].requires_grad for i in step.args]
            outs = tuple(_with_grad_flag(o, any(grad_flags)) for o in outs)
        except Exception:  # noqa: BLE001 -- PyTorch rejects it: not a valid program
            del self.steps[mark[0]:], self.values[mark[1]:]
            return False
        self.steps.append(step)
        self.values.extend(outs)
        return True


def _with_grad_flag(t: torch.Tensor, flag: bool) -> torch.Tensor:
    """Outputs computed under no_grad: mark them as needing grad like the real run would."""
    t = t.detach()
    if flag and t.dtype.is_floating_point:
        t.requires_grad_(True)
    return t


def leaf_values(shape: tuple[int, ...], kind: str, mode: str, seed: int, special: bool
                ) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "unit":  # targets and probabilities in [0, 1]
        ties = rng.choice((0.0, 1.0, 0.5, 0.25), size=shape)
        smooth = rng.uniform(0.0, 1.0, size=shape)
    elif kind == "positive":
        ties = rng.choice((0.5, 1.0, 2.0), size=shape)
        smooth = rng.uniform(0.1, 2.0, size=shape)
    else:
        ties = rng.choice(TIE_VALUES, size=shape)
        smooth = rng.uniform(-2.5, 2.5, size=shape)
    if mode == "ties":
        values = ties
    elif mode == "smooth":
        values = smooth
    else:
        values = np.where(rng.random(size=shape) < 0.5, ties, smooth)
    values = np.asarray(values, dtype=np.float64)
    if special and values.size:
        mask = rng.random(size=shape) < 0.25
        values = np.where(mask, rng.choice(SPECIAL_VALUES, size=shape), values)
    return np.asarray(values, dtype=np.float64)


@st.composite
def programs(draw: Callable[..., Any], focus: str | None = None, max_ops: int = 5,
             only_focus: bool = False) -> Program:
    """A random program; with ``focus`` it contains that op (at a random position)."""
    from .fuzz_ops import OPS, RANDOM_OPS

    b = Builder(draw, all_float64=draw(st.booleans()), special=draw(st.integers(0, 99)) < 15)
    for _ in range(draw(st.integers(1, 2))):
        b.leaf()
    n_ops = 1 if only_focus else draw(st.integers(1, max_ops))
    focus_at = draw(st.integers(0, n_ops - 1))
    for k in range(n_ops):
        for _attempt in range(8):
            op = focus if (focus is not None and k == focus_at) else draw(
                st.sampled_from(RANDOM_OPS))
            assert op in OPS, op
            b.fresh = op == focus
            if b.add_step(op):
                break
    b.fresh = False
    mode = draw(st.integers(0, 99))
    backward_mode = "twice" if mode < 30 else ("grad" if mode < 45 else "once")
    if mode >= 70 and not b.special:  # second derivatives on finite values
        backward_mode = "double"
    return Program(tuple(b.steps), backward_mode, b.special)
