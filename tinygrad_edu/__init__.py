"""tinygrad_edu: an educational reverse-mode autograd framework on NumPy, in PyTorch's names.

    import tinygrad_edu as tg
    w = tg.randn(3, requires_grad=True)
    loss = (w * w).sum()
    loss.backward()          # w.grad == 2 * w
"""

from typing import Any

from . import accelerator, autograd, backends, cuda, data, nn, ops, optim, return_types
from ._tensor_str import get_printoptions, set_printoptions
from .autograd import (
    Function,
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .autograd import functional as _functional  # noqa: F401 (loads tg.autograd.functional)
from .compile import compile  # the tracing JIT: a step recorded once, then replayed
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
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
from .device import device
from .dtypes import (
    TORCH_DTYPES,
    TORCH_MISSING,
    bool_,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    result_type,
    set_default_dtype,
    uint8,
)
from .functions import (
    Size,
    cat,
    column_stack,
    concat,
    concatenate,
    dstack,
    finfo,
    hstack,
    iinfo,
    is_tensor,
    row_stack,
    stack,
    vstack,
    where,
)
from .functions_more import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    block_diag,
    broadcast_tensors,
    bucketize,
    cartesian_prod,
    cdist,
    einsum,
    meshgrid,
    searchsorted,
    tensordot,
)
from .gradcheck import gradcheck
from .legacy_types import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from .nn.unfused import is_unfused, unfused  # the teaching view: fused ops as primitives
from .random import Generator, get_rng, manual_seed
from .serialization import CheckpointError, load, save
from .tensor import Tensor
from .torch_functions import method_functions

# tg.sum, tg.exp, tg.mm, ...: every Tensor method PyTorch also has as a function (the written-out
# functions above win); then PyTorch's dtype names, tg.float, tg.long, tg.bool... (NumPy dtypes).
# Both shadow builtins (abs, float, int, bool...) in this module only: nothing below uses those.
globals().update({name: f for name, f in method_functions().items() if name not in globals()})
globals().update(TORCH_DTYPES)
uint16, uint32 = TORCH_DTYPES["uint16"], TORCH_DTYPES["uint32"]

__version__ = "0.1.0"

_LAZY = ("viz", "utils", "vision")  # imported when first used: they cost import time


def __getattr__(name: str) -> Any:
    """``tg.viz``, ``tg.utils`` (``tg.utils.data.DataLoader``) and ``tg.vision`` are imported
    when first used (graphs and plots alone cost 13 ms of the import); a PyTorch dtype this
    library lacks (``tg.bfloat16``) says why."""
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    if name in TORCH_MISSING:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}: "
                             f"{TORCH_MISSING[name]}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
