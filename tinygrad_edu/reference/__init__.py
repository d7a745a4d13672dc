"""Closed-form reference models of the source documents: NumPy only, no autograd.

Each module writes one document's model with its gradients derived by hand, as the document
derives them (bugs of the documents fixed and noted in the docstrings):

- :mod:`.softmax_regression` (seeds 000, 003): ``dW = X^T (P - Y) / N``, ``db = mean(P - Y)``,
  plus L1/L2 penalties on ``W``; also the stable ``softmax`` and the fused cross-entropy with
  ``dL/dlogits = (softmax - Y) / N``.
- :mod:`.two_layer_net` (seed 001): the 784-64-10 ReLU net and its hand backprop.
- :mod:`.mlp`: a ReLU MLP of any depth (e.g. 784-256-128-10), the same backprop as a loop over
  layers: ``dW = A_prev^T dZ``, ``db = sum dZ``, ``dZ_prev = relu'(Z_prev) * (dZ W^T)``.
- :mod:`.xor_mlp` (seed 002): the 2-4-1 sigmoid net on XOR with MSE, ``sigmoid' = s (1 - s)``.
- :mod:`.logistic_regression` (seed 004): binary log-likelihood, ``dW = X^T (p - y) / N``.
- :mod:`.penalties` (seed 003): ``L1 -> lam sign(w)``, ``L2 -> 2 lam w``.
- :mod:`.cnn`: a LeNet-style CNN (im2col convolution, batch norm, ReLU, 2x2 max pooling,
  linear, dropout, softmax-CE), its backward written out: ``dW = dout cols^T``, col2im.
- :mod:`.mlp_bn`: an MLP with batch norm and dropout; :mod:`.batchnorm`: batch norm's
  closed-form backward ``dx = gamma s (dy - mean(dy) - xhat mean(dy xhat))``, derived.
- :mod:`.adam`: the published Adam update on a dict of arrays (seeds 000 and 002 get it wrong).

They are oracles: tests check the autograd engine's gradients against them (and check them
against finite differences), examples reproduce the documents with them, and benchmarks time
their ``sgd_step`` functions as the hand-written NumPy floor an autograd step is compared with.
Every function is vectorised and keeps the float dtype it is given (float32 in, float32 out).
"""

from . import (
    adam,
    batchnorm,
    cnn,
    logistic_regression,
    mlp,
    mlp_bn,
    penalties,
    softmax_regression,
    two_layer_net,
    xor_mlp,
)

__all__ = [
    "adam",
    "batchnorm",
    "cnn",
    "logistic_regression",
    "mlp",
    "mlp_bn",
    "penalties",
    "softmax_regression",
    "two_layer_net",
    "xor_mlp",
]
