"""``einsum``: a sum of products over labelled axes, and its derivative, which is an einsum
again.

The op sees an explicit equation of single letters (``tg.einsum`` has already written out
``...`` and the implicit output, and expanded size-1 axes that broadcast). For operand k
with subscripts s_k, the gradient is the einsum of the output gradient with the other
operands, giving s_k's labels:

    dL/dA_k = einsum(out, s_1, .. (without s_k) .. -> s_k)(g, A_1, ..)

A label that only operand k has (summed away within it, as j in 'ij->i') is missing from
that einsum: its gradient is the same for every j, a broadcast. A label repeated in s_k (a
trace 'ii->', a diagonal 'ii->i') names one axis of the gradient einsum, which is then put
on that diagonal of zeros (an ``IndexAdd``). Both are recorded ops, and the einsum is an
``Einsum`` node, so derivatives of any order are recorded.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Array, Function
from . import either
from . import shape as S


def einsum(inputs: tuple[str, ...], output: str, *operands: Any) -> Any:
    """np.einsum on arrays, a recorded ``Einsum`` on Tensors (arrays become constants)."""
    tensor = either.any_tensor(*operands)
    if tensor is None:
        return np.einsum(f"{','.join(inputs)}->{output}", *operands, optimize=len(operands) > 2)
    wrapped = [o if o is tensor or not either.is_array(o) else tensor._wrap(np.asarray(o), False)
               for o in operands]
    return Einsum.apply(*wrapped, inputs=inputs, output=output)


class Einsum(Function):
    """z = einsum(s_1, .., s_n -> out) of the operands.   dL/dA_k = einsum of g with the other
    operands, to s_k's labels (see the module docstring)."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, *arrays: Array, inputs: tuple[str, ...], output: str) -> Array:
        ctx.saved = arrays
        ctx.saved_from = tuple(range(len(arrays)))  # under create_graph: the inputs again
        ctx.inputs, ctx.output = inputs, output
        ctx.shapes = tuple(a.shape for a in arrays)
        return np.einsum(f"{','.join(inputs)}->{output}", *arrays,
                         optimize=len(arrays) > 2)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, ...]:
        arrays = ctx.saved
        grads: list[Any] = []
        for k, target in enumerate(ctx.inputs):
            if ctx.next_nodes[k] is None:
                grads.append(None)
                continue
            others = [j for j in range(len(arrays)) if j != k]
            labels = "".join(dict.fromkeys(target))  # each label once, in order
            reach = set(ctx.output).union(*(ctx.inputs[j] for j in others))
            found = "".join(c for c in labels if c in reach)
            g = einsum((ctx.output, *(ctx.inputs[j] for j in others)), found, grad,
                       *(arrays[j] for j in others))
            sizes = dict(zip(target, ctx.shapes[k], strict=True))
            if found != labels:  # labels only this operand has: the same gradient along them
                g = g.reshape(tuple(sizes[c] if c in found else 1 for c in labels))
                full = tuple(sizes[c] for c in labels)
                g = np.broadcast_to(g, full) if either.is_array(g) else g.expand(*full)
            if len(labels) != len(target):  # repeated labels: onto the diagonal of zeros
                grids = np.ix_(*(np.arange(sizes[c]) for c in labels))
                where = tuple(grids[labels.index(c)] for c in target)
                g = S.index_add(g, (where,), ctx.shapes[k])
            grads.append(g)
        return tuple(grads)
