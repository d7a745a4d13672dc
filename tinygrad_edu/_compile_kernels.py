"""tg.compile's kernels: the hot ops written out as the NumPy calls they make, into buffers.

The straight-line replay (``_compile_codegen``) calls an op's ``forward`` and
``array_backward`` as they are, with a fresh node for each. For the ops a training step spends
its time in (``Linear``, ``ReLU``, ``Sigmoid``, ``MSELoss``, ``CrossEntropy``) and for plain
SGD's update, a kernel here writes the same work as lines of NumPy calls instead:

* the same ufuncs on the same operands in the same order as the op's own code, so the results
  are bit-identical (``tests/test_compile_kernels.py`` checks each kernel against its op over
  shapes, dtypes and layouts, forward and backward);
* results written with ``out=`` into arrays allocated once, when the tape is written, and
  reused by every call -- except where a result outlives the call (the function's outputs,
  the gradients that become ``.grad``, what an op without a kernel reads): those are fresh;
* no node, no ``ctx``, none of the checks the trace already passed (dtypes, shapes, layouts are
  guarded), so each op costs its NumPy calls and almost nothing else.

A kernel applies only to the case it states in ``fits`` (2-D inputs, matching dtypes, the
layouts it was written for: its results are laid out as the op's, C order, so every array
downstream is the same as in eager mode, layout included); anything else takes the op as it
is. Measured (the straight-line function alone, one thread): model E's step 61 -> 46 us,
model A's 144 -> 124 us; with the guards, compiled / closed form went from 1.94 to 1.19 (E)
and from 1.34 to 1.03-1.08 (A).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ._sums import _SHORT, _ones, sum_columns
from .ops.activation import _UNSIGNED, ReLU, Sigmoid
from .ops.linalg import Linear
from .ops.loss import CrossEntropy, MSELoss

#: what the generated code calls, by the names the kernels write
NAMESPACE: dict[str, Any] = {
    "empty": np.empty, "matmul": np.matmul, "add": np.add, "subtract": np.subtract,
    "multiply": np.multiply, "divide": np.true_divide, "negative": np.negative,
    "absolute": np.abs, "exp": np.exp, "log": np.log, "minimum": np.minimum,
    "maximum": np.maximum, "less_equal": np.less_equal, "bitwise_and": np.bitwise_and,
    "copyto": np.copyto, "add_reduce": np.add.reduce, "max_reduce": np.maximum.reduce,
    "sum_columns": sum_columns,
}


@dataclass(frozen=True)
class Layout:
    """What a kernel may depend on of an array: shape, dtype, memory order."""

    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    c: bool  # C-contiguous
    f: bool  # Fortran-contiguous

    @classmethod
    def of(cls, a: Any) -> Layout:
        a = np.asarray(a)
        return cls(a.shape, a.dtype, bool(a.flags.c_contiguous), bool(a.flags.f_contiguous))

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


class Writer:
    """Where kernels write: lines of the replay function, its constants, its buffers."""

    def __init__(self, const: Callable[[Any, str], str], lines: list[str]) -> None:
        self.const, self.lines = const, lines
        self._count = 0
        self._buffers: dict[str, np.ndarray] = {}
        self.indent = 0  # inside how many ifs the next line goes
        self.views: set[str] = set()  # results that are views of a buffer (base is not None)
        self.known: dict[str, Any] = {}  # names whose value is known when the code is written
        self._bound: set[str] = set()

    def scalar(self, g: str, compute: Callable[[Any], Any], hint: str) -> str:
        """``compute(g)``, a scalar from the incoming gradient: worked out now, once, when
        ``g`` is known (the seed 1 of a loss), else written to run on each call."""
        if g in self.known:
            return self.const(compute(self.known[g]), hint)
        name = self.local(hint)
        self.line(f"{name} = {self.const(compute, hint + '_of')}({g})")
        return name

    def line(self, code: str) -> None:
        self.lines.append("    " * self.indent + code)

    def local(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def array(self, shape: tuple[int, ...], dtype: Any, hint: str, fresh: bool = False,
              order: Literal["C", "F"] = "C") -> str:
        """A name for a result: a buffer made now and reused by every call, or (``fresh``) a
        new array each call, for a result that outlives the call."""
        if fresh:
            name = self.local(hint)
            self.line(f"{name} = empty({shape!r}, {self.const(np.dtype(dtype), 'D')}, "
                      f"order={order!r})")
            return name
        buffer = np.empty(shape, dtype, order=order)
        name = self.const(buffer, f"buf_{hint}_")
        self._buffers[name] = buffer
        return name

    def view(self, name: str, make: Callable[[np.ndarray], np.ndarray], hint: str) -> str:
        """A view of a buffer (``make(buffer)``), made once; of a fresh array, each call."""
        if name in self._buffers:
            return self.const(make(self._buffers[name]), hint)
        raise ValueError("internal: a view of a fresh array")

    def bind(self, expr: str) -> str:
        """``expr`` (``p_fc1_weight_3._data``, say) read once into a local
        (``p_fc1_weight_3_data``)."""
        if expr.isidentifier():
            return expr
        name = expr.replace(".", "").replace("_data", "") + "_data"
        if not name.isidentifier() or name in self._bound:
            name = self.local("x")
        self._bound.add(name)
        self.line(f"{name} = {expr}")
        return name


class Kernel:
    """One op entry written out. ``ins`` are the input expressions, ``layouts`` theirs as
    traced, ``out`` the output's, ``grad`` the layout of the gradient its backward received
    (None: forward only). ``fresh_out``: the output outlives the call."""

    op: type = object

    def __init__(self, w: Writer, ins: list[str], layouts: list[Layout], out: Layout,
                 settings: dict[str, Any], fresh_out: bool, grad: Layout | None) -> None:
        self.w, self.layouts, self.out, self.settings = w, layouts, out, settings
        self.ins = [w.bind(e) for e in ins]
        self.fresh_out, self.grad = fresh_out, grad

    @staticmethod
    def fits(layouts: list[Layout], out: Layout, settings: dict[str, Any],
             grad: Layout | None) -> bool:
        raise NotImplementedError

    def forward(self) -> str:
        """Write the forward pass; the name of the output."""
        raise NotImplementedError

    def backward(self, g: str, need: list[bool], fresh: list[bool]) -> list[str | None]:
        """Write the backward pass for incoming gradient ``g``: a name for each input's
        gradient (None where ``need`` is False). ``fresh[k]``: it outlives the call."""
        raise NotImplementedError


def _float(*layouts: Layout) -> bool:
    return all(lay.dtype.kind == "f" and lay.size > 0 for lay in layouts) and \
        len({lay.dtype for lay in layouts}) == 1


def _gradient_like(grad: Layout | None, out: Layout) -> bool:
    """The gradient the backward received has the output's shape and dtype (or there is no
    backward)."""
    return grad is None or (grad.shape == out.shape and grad.dtype == out.dtype)


def _elementwise(x: Layout, out: Layout, settings: dict[str, Any], grad: Layout | None) -> bool:
    """A one-input op on a C-ordered float array: its result is laid out as the op's."""
    return (not settings and _float(x) and len(x.shape) > 0 and x.c and out.shape == x.shape
            and _gradient_like(grad, out))


class LinearKernel(Kernel):
    """``Linear.forward``/``backward`` for 2-D x: x W^T + b; G W, G^T x, column sums."""

    op = Linear

    @staticmethod
    def fits(layouts: list[Layout], out: Layout, settings: dict[str, Any],
             grad: Layout | None) -> bool:
        x, weight = layouts[0], layouts[1]
        return (len(layouts) in (2, 3) and not settings and len(x.shape) == 2 == len(weight.shape)
                and _float(*layouts) and x.shape[1] == weight.shape[1]
                and all(b.shape == weight.shape[:1] for b in layouts[2:])
                and _gradient_like(grad, out))

    def forward(self) -> str:
        x, weight, *bias = self.ins
        out = self.w.array(self.out.shape, self.out.dtype, "linear", self.fresh_out)
        self.w.line(f"matmul({x}, {weight}.T, out={out})")
        if bias:
            self.w.line(f"add({out}, {bias[0]}, out={out})")
        return out

    def backward(self, g: str, need: list[bool], fresh: list[bool]) -> list[str | None]:
        w, (x, weight, *_), lay = self.w, self.ins, self.layouts
        grads: list[str | None] = [None] * len(self.ins)
        if need[0]:
            grads[0] = w.array(lay[0].shape, lay[0].dtype, "dx", fresh[0])
            w.line(f"matmul({g}, {weight}, out={grads[0]})")
        if need[1]:
            if lay[1].f and not lay[1].c:  # as Linear.backward: x^T G into W's column-major
                grads[1] = w.array(lay[1].shape, lay[1].dtype, "dw", fresh[1], order="F")
                w.line(f"matmul({x}.T, {g}, out={grads[1]}.T)")
            else:
                grads[1] = w.array(lay[1].shape, lay[1].dtype, "dw", fresh[1])
                w.line(f"matmul({g}.T, {x}, out={grads[1]})")
        if len(need) > 2 and need[2]:
            grads[2] = w.local("db")
            grad, rows = self.grad, lay[0].shape[0]
            if grad is not None and grad.c and rows >= _SHORT:  # sum_columns: 1^T G
                ones = w.const(_ones(rows, grad.dtype), "ones")
                w.line(f"{grads[2]} = matmul({ones}, {g})")
            elif grad is not None and grad.c:  # sum_columns of a short G
                w.line(f"{grads[2]} = add_reduce({g}, axis=0)")
            else:
                w.line(f"{grads[2]} = sum_columns({g})")
        return grads


class SigmoidKernel(Kernel):
    """``Sigmoid``: ``stable_sigmoid``'s seven calls; backward G z (1 - z)."""

    op = Sigmoid

    @staticmethod
    def fits(layouts: list[Layout], out: Layout, settings: dict[str, Any],
             grad: Layout | None) -> bool:
        return _elementwise(layouts[0], out, settings, grad)

    def forward(self) -> str:
        w, (x,), shape, dtype = self.w, self.ins, self.out.shape, self.out.dtype
        d = w.array(shape, dtype, "denominator")
        self.z = out = w.array(shape, dtype, "sigmoid", self.fresh_out)
        w.line(f"absolute({x}, out={d}); negative({d}, out={d}); exp({d}, out={d}); "
               f"add({d}, 1, out={d})")
        w.line(f"minimum({x}, 0, out={out}); exp({out}, out={out}); "
               f"divide({out}, {d}, out={out})")
        return out

    def backward(self, g: str, need: list[bool], fresh: list[bool]) -> list[str | None]:
        w, z, shape, dtype = self.w, self.z, self.out.shape, self.out.dtype
        one_minus = w.array(shape, dtype, "one_minus_z")
        dx = w.array(shape, dtype, "dsigmoid", fresh[0])
        w.line(f"multiply({g}, {z}, out={dx}); subtract(1, {z}, out={one_minus}); "
               f"multiply({dx}, {one_minus}, out={dx})")
        return [dx]


class ReLUKernel(Kernel):
    """``ReLU``: max(x, 0); backward ``zero_where(z <= 0, G)`` (the bit mask)."""

    op = ReLU

    @staticmethod
    def fits(layouts: list[Layout], out: Layout, settings: dict[str, Any],
             grad: Layout | None) -> bool:
        return _elementwise(layouts[0], out, settings, grad) and \
            layouts[0].dtype.itemsize in _UNSIGNED

    def forward(self) -> str:
        (x,), lay = self.ins, self.out
        self.z = out = self.w.array(lay.shape, lay.dtype, "relu", self.fresh_out)
        self.w.line(f"maximum({x}, {self.w.const(lay.dtype.type(0), 'zero')}, out={out})")
        return out

    def backward(self, g: str, need: list[bool], fresh: list[bool]) -> list[str | None]:
        w, lay = self.w, self.out
        unsigned = _UNSIGNED[lay.dtype.itemsize]
        mask = w.array(lay.shape, np.bool_, "relu_mask")
        keep = w.array(lay.shape, unsigned, "relu_keep", fresh[0])
        u = w.const(np.dtype(unsigned), "U")
        w.line(f"less_equal({self.z}, 0, out={mask}); "
               f"copyto({keep}, {mask}.view({w.const(np.dtype(np.uint8), 'U')}))")
        w.line(f"subtract({keep}, 1, out={keep}); "
               f"bitwise_and({keep}, {g}.view({u}), out={keep})")
        dx = w.local("drelu")
        w.line(f"{dx} = {keep}.view({w.const(lay.dtype, 'D')})")
        w.views.add(dx)
        return [dx]


class MSELossKernel(Kernel):
    """``MSELoss`` with reduction 'mean' on C-ordered inputs of one shape."""

    op = MSELoss

    @staticmethod
    def fits(layouts: list[Layout], out: Layout, settings: dict[str, Any],
             grad: Layout | None) -> bool:
        a, b = layouts
        return (settings == {"reduction": "mean"} and _float(a, b) and a.shape == b.shape
                and a.c and b.c and _gradient_like(grad, out))

    def forward(self) -> str:
        w, (a, b), lay = self.w, self.ins, self.layouts[0]
        self.diff = w.array(lay.shape, lay.dtype, "diff")
        square = w.array(lay.shape, lay.dtype, "square")
        loss = w.local("mse")
        w.line(f"subtract({a}, {b}, out={self.diff}); "
               f"multiply({self.diff}, {self.diff}, out={square})")
        w.line(f"{loss} = asarray(add_reduce({square}, axis=None) / {lay.size})")
        return loss

    def backward(self, g: str, need: list[bool], fresh: list[bool]) -> list[str | None]:
        w, lay = self.w, self.layouts[0]
        da = w.array(lay.shape, lay.dtype, "dmse", fresh[0])  # (computed for db too)
        size = max(lay.size, 1)
        scale = w.scalar(g, lambda grad: 2 * (grad / size), "scale")  # reduction_scale
        w.line(f"multiply({self.diff}, {scale}, out={da})")
        db = None
        if need[1]:
            db = w.array(lay.shape, lay.dtype, "dmse_b", fresh[1])
            w.line(f"negative({da}, out={db})")
        return [da if need[0] else None, db]


class CrossEntropyKernel(Kernel):
    """``CrossEntropy`` (class indices, reduction 'mean'): the shifted exps and row sums
    kept for the backward, softmax * g / N minus g / N at the true classes."""

    op = CrossEntropy

    @staticmethod
    def fits(layouts: list[Layout], out: Layout, settings: dict[str, Any],
             grad: Layout | None) -> bool:
        logits, target = layouts
        return (settings == {"reduction": "mean"} and _float(logits) and len(logits.shape) == 2
                and target.shape == logits.shape[:1]
                and (target.dtype.kind == "i" or target.dtype.char in "BHI")
                and _gradient_like(grad, out))

    def forward(self) -> str:
        w, (z, target), lay = self.w, self.ins, self.layouts[0]
        (n, classes), dtype = lay.shape, lay.dtype
        rows = w.const(np.arange(0, n * classes, classes), "row_starts")
        self.picks = w.array((n,), np.intp, "picks")
        row_max = w.array((n, 1), dtype, "row_max")
        self.e = w.array((n, classes), dtype, "exp")
        self.sums = w.array((n,), dtype, "sums")
        shifted, per_row, loss = w.local("true_shifted"), w.array((n,), dtype, "per_row"), \
            w.local("cross_entropy")
        w.line(f"add({rows}, {target}, out={self.picks})")
        w.line(f"max_reduce({z}, axis=-1, keepdims=True, out={row_max}); "
               f"subtract({z}, {row_max}, out={self.e})")
        w.line(f"{shifted} = {w.view(self.e, lambda a: a.reshape(-1), 'flat')}[{self.picks}]; "
               f"exp({self.e}, out={self.e})")
        if classes < _SHORT:  # sum_rows
            w.line(f"add_reduce({self.e}, axis=-1, out={self.sums})")
        else:
            w.line(f"matmul({self.e}, {w.const(_ones(classes, dtype), 'ones')}, "
                   f"out={self.sums})")
        w.line(f"log({self.sums}, out={per_row}); subtract({per_row}, {shifted}, out={per_row})")
        w.line(f"{loss} = asarray(add_reduce({per_row}, axis=None) / {n})")
        return loss

    def backward(self, g: str, need: list[bool], fresh: list[bool]) -> list[str | None]:
        w, lay = self.w, self.layouts[0]
        (n, classes), dtype = lay.shape, lay.dtype
        scale, ratio = w.scalar(g, lambda grad: grad / n, "scale"), w.array((n,), dtype, "ratio")
        grad = w.array((n, classes), dtype, "dlogits", fresh[0])
        w.line(f"divide({scale}, {self.sums}, out={ratio})")
        flat = f"{grad}.reshape(-1)" if fresh[0] else w.view(grad, lambda a: a.reshape(-1), "flat")
        w.line(f"multiply({self.e}, {w.view(ratio, lambda a: a[:, None], 'column')}, out={grad}); "
               f"{flat}[{self.picks}] -= {scale}")
        return [grad if need[0] else None, None]


KERNELS: dict[type, type[Kernel]] = {k.op: k for k in (
    LinearKernel, SigmoidKernel, ReLUKernel, MSELossKernel, CrossEntropyKernel)}


def optimizer_lines(optimizer: Any, group: dict[str, Any], const: Callable[[Any, str], str],
                    w: Writer, generic: list[str]) -> list[str]:
    """One parameter group's updates in ``Optimizer.step``: ``generic`` calls ``_update`` for
    each parameter; plain SGD (no momentum, weight decay or maximize, checked on each call:
    they may change) is written out as ``SGD._update`` does it, theta -= lr g."""
    from .optim.sgd import SGD  # (optim imports tensors; this module is lower)

    if type(optimizer)._update is not SGD._update:
        return generic
    lines = ["if group['momentum'] == 0 and group['weight_decay'] == 0 and "
             "not group['maximize']:", "    lr = group['lr']"]
    for p in group["params"]:
        # the parameter's memory order, as SGD's _scratch: lr g and theta -= ... stream
        t, scratch = const(p, "T"), const(np.empty_like(p._data), "buf_lr_times_grad_")
        update = (f"multiply({t}._grad._data, lr, out={scratch}); "
                  f"subtract({t}._data, {scratch}, out={t}._data)")
        lines.append(f"    if {t}._grad is not None: state[{t}]; {update}; stepped.append({t})")
    return [*lines, "else:", *[f"    {line}" for line in generic]]
