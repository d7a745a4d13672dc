"""tinygrad_edu: an educational reverse-mode autograd framework on NumPy, in PyTorch's names.

    import tinygrad_edu as tg
    w = tg.randn(3, requires_grad=True)
    loss = (w * w).sum()
    loss.backward()          # w.grad == 2 * w
"""

from typing import Any

from . import autograd, data, nn, ops, optim
from .autograd import (
    Function,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .autograd import functional as _functional  # noqa: F401 (loads tg.autograd.functional)
from .creation import (
    arange,
    as_tensor,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import (
    bool_,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    result_type,
    uint8,
)
from .functions import (
    abs,
    argmax,
    cat,
    clamp,
    clip,
    concat,
    concatenate,
    exp,
    flatten,
    log,
    log_softmax,
    logsumexp,
    matmul,
    maximum,
    minimum,
    relu,
    sigmoid,
    softmax,
    sqrt,
    stack,
    tanh,
    where,
)
from .gradcheck import gradcheck
from .random import get_rng, manual_seed
from .serialization import CheckpointError, load, save
from .tensor import Tensor

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``tg.viz`` is imported when first used: graphs and plots cost 13 ms of the import."""
    if name == "viz":
        import importlib

        return importlib.import_module(".viz", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
