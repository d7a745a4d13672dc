"""Rearranging ops that move every element to a new place: flip and roll. Each is a
permutation of the elements, so its backward is the inverse permutation (the same op, with
the flip repeated or the shift negated), recorded to any order. (The other rearranging
methods -- repeat, split, tril, diagonal... -- are built from the shape ops.)"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Array, Function
from . import either


class Flip(Function):
    """z = x with the order of the elements along ``dims`` reversed (a copy, as PyTorch's
    ``flip``).   dL/dx = g flipped back along the same dims."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, dims: tuple[int, ...]) -> Array:
        ctx.dims = dims
        return np.flip(x, dims).copy() if dims else x.copy()

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        if either.is_array(grad):
            return np.flip(grad, ctx.dims) if ctx.dims else grad
        return Flip.apply(grad, dims=ctx.dims)


class Roll(Function):
    """z = x with its elements shifted by ``shifts`` along ``dims``, wrapping around (or
    along the flattened x when ``dims`` is empty).   dL/dx = g rolled back (shifts negated)."""

    differentiable_backward = True

    @staticmethod
    def forward(ctx: Any, x: Array, shifts: tuple[int, ...], dims: tuple[int, ...]) -> Array:
        ctx.shifts, ctx.dims = shifts, dims
        return _roll(x, shifts, dims)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        back = tuple(-s for s in ctx.shifts)
        if either.is_array(grad):
            return _roll(grad, back, ctx.dims)
        return Roll.apply(grad, shifts=back, dims=ctx.dims)


def _roll(x: Array, shifts: tuple[int, ...], dims: tuple[int, ...]) -> Array:
    if not dims:
        return np.roll(x.reshape(-1), shifts[0]).reshape(x.shape)
    return np.roll(x, shifts, dims)
