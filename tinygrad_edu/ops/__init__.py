"""The differentiable ops, one ``Function`` per op, grouped by family.

Each op's docstring states its local derivative; forward and backward sit side by side.
"""

from . import activation, elementwise, linalg, loss, reduce, shape

__all__ = ["activation", "elementwise", "linalg", "loss", "reduce", "shape"]
