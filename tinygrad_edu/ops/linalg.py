"""Matrix product, with NumPy's ``@`` rules: 1-D operands, batches and broadcast batch dims."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._sums import sum_columns
from ..autograd import Array, Function


class SwapLast(Function):
    """z = x with its last two axes swapped (a batched matrix transpose).   dL/dx = g swapped
    back. Its own Function (not Permute) so MatMul's recorded backward depends on ops of this
    module only; its backward is itself, so any order of derivative is recorded."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array) -> Array:
        return np.swapaxes(x, -1, -2)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return swap_last(grad)


_ndarray = np.ndarray  # a module global: np.ndarray is an attribute lookup per call


def swap_last(x: Any) -> Any:
    return np.swapaxes(x, -1, -2) if type(x) is _ndarray else SwapLast.apply(x)


class MatMul(Function):
    """Z = A @ B.   dL/dA = G @ B^T,   dL/dB = A^T @ G.

    A 1-D A is a row vector (1, k) and a 1-D B a column (k, 1), as in NumPy; the gradient
    formulas run on those 2-D forms and the added axis is dropped again. Gradients of
    broadcast batch dims are summed back by the engine. Both gradients are products again,
    so under create_graph the second derivative (d2L/dA dB: G's entries) is recorded.
    """

    saved_from = (0, 1)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"both arguments to matmul need at least 1 dimension, got "
                             f"shapes {a.shape} and {b.shape}")
        if a.dtype != b.dtype:  # as PyTorch: no silent promotion inside a product
            raise RuntimeError(f"expected both matmul operands to have the same dtype, but got "
                               f"{a.dtype} and {b.dtype} (shapes {a.shape} and {b.shape})")
        k_a, k_b = a.shape[-1], b.shape[0] if b.ndim == 1 else b.shape[-2]
        if k_a != k_b:
            raise ValueError(
                f"shapes {a.shape} and {b.shape} cannot be multiplied: the last dim of the "
                f"first ({k_a}) must equal the {'only' if b.ndim == 1 else 'second-to-last'} "
                f"dim of the second ({k_b})"
            )
        ctx.saved = (a, b)
        return a @ b

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, Any]:
        a, b = ctx.saved  # arrays, or Tensors under create_graph: the products are recorded
        need_a, need_b = ctx.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:  # dot product: grad is a scalar
            return (grad * b if need_a else None), (grad * a if need_b else None)
        # reshapes, not indexing: a recorded reshape's backward is a reshape again
        a2 = a.reshape(1, a.shape[0]) if a.ndim == 1 else a
        b2 = b.reshape(b.shape[0], 1) if b.ndim == 1 else b
        if a.ndim == 1:  # (..., m) -> (..., 1, m)
            grad = grad.reshape(grad.shape[:-1] + (1,) + grad.shape[-1:])
        if b.ndim == 1:  # (..., n) -> (..., n, 1)
            grad = grad.reshape(grad.shape + (1,))
        grad_a = grad_b = None
        if need_a:
            grad_a = grad @ swap_last(b2)
            if a.ndim == 1:  # (..., 1, k) -> (..., k)
                grad_a = grad_a.reshape(grad_a.shape[:-2] + grad_a.shape[-1:])
        if need_b:
            grad_b = swap_last(a2) @ grad
            if b.ndim == 1:  # (..., k, 1) -> (..., k)
                grad_b = grad_b.reshape(grad_b.shape[:-1])
        return grad_a, grad_b


class Linear(Function):
    """y = x W^T + b (``nn.Linear``): one node instead of transpose, matmul and add.

    dL/dx = G W,   dL/dW = G^T x,   dL/db = sum of G over all rows.
    W has shape (out, in) as in PyTorch; x is (..., in), and its leading dims are flattened
    into rows for the weight gradient. dL/dW gets W's memory order: ``nn.Linear`` stores W
    column-major (see there), and then dL/dW is written as x^T G -- the product the
    hand-written step computes -- into column-major memory, which is dL/dW's transpose.
    """

    saved_from = (0, 1)
    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, weight: Array, bias: Array | None = None) -> Array:
        if (x.dtype is not weight.dtype or bias is not None and bias.dtype is not x.dtype) and (
                x.dtype != weight.dtype or bias is not None and bias.dtype != x.dtype):
            raise RuntimeError(f"linear: expected input, weight and bias of one dtype, got "
                               f"{x.dtype}, {weight.dtype}"
                               + ("" if bias is None else f" and {bias.dtype}"))
        if x.ndim == 0 or weight.ndim != 2 or x.shape[-1] != weight.shape[1]:
            raise ValueError(
                f"input of shape {x.shape} does not fit a weight of shape {weight.shape}: "
                f"the input's last dim must be in_features = {weight.shape[1]}"
            )
        out = x @ weight.T
        if bias is not None:
            out += bias  # out is new: add in place
        ctx.saved = (x, weight)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Array) -> tuple[Array | None, ...]:
        x, weight = ctx.saved
        need = ctx.next_nodes  # None where no gradient is needed
        # (rows, out); the row count spelled out: -1 is ambiguous for size-0 arrays
        rows = grad if grad.ndim == 2 else grad.reshape(math.prod(grad.shape[:-1]), grad.shape[-1])
        grad_x = grad @ weight if need[0] is not None else None
        grad_w = None
        if need[1] is not None:
            x_rows = x if x.ndim == 2 else x.reshape(math.prod(x.shape[:-1]), x.shape[-1])
            if (type(weight) is np.ndarray and weight.flags.f_contiguous
                    and not weight.flags.c_contiguous):
                grad_w = np.empty(weight.shape, weight.dtype, order="F")
                np.matmul(x_rows.T, rows, out=grad_w.T)  # grad_w.T is row-major: no copy
            else:
                grad_w = rows.T @ x_rows
        grad_b = None
        if len(need) > 2 and need[2] is not None:
            grad_b = sum_columns(rows) if type(rows) is np.ndarray else rows.sum(0)
        return grad_x, grad_w, grad_b
