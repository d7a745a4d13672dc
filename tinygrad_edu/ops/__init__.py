"""The differentiable ops, one ``Function`` per op, grouped by family.

Each op's docstring states its local derivative; forward and backward sit side by side.
``either.py`` holds the operations a backward may use on arrays and Tensors alike, ``windows.py``
the strided im2col view that convolution and pooling share, ``erf.py`` the error function GELU
needs.
"""

from . import (
    activation,
    activation_smooth,
    arrange,
    conv,
    einsum,
    elementwise,
    embedding,
    indexing,
    linalg,
    loss,
    loss_distance,
    loss_pointwise,
    norm,
    pointwise,
    pointwise_binary,
    pool,
    reduce,
    scan,
    shape,
)

__all__ = ["activation", "activation_smooth", "arrange", "conv", "einsum", "elementwise",
           "embedding", "indexing", "linalg", "loss", "loss_distance", "loss_pointwise", "norm",
           "pointwise", "pointwise_binary", "pool", "reduce", "scan", "shape"]
