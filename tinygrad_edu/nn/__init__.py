"""Neural-network building blocks, laid out like ``torch.nn``.

* ``Module`` / ``Parameter`` (``module.py``): containers that register parameters and
  submodules by attribute assignment; ``state_dict``, ``train``/``eval``, ``zero_grad``...
* layers, one module per family as PyTorch's: ``layers.py`` (``Linear``, ``Sequential``,
  ``Dropout``, ``Flatten``, ``Identity``, ...), ``activations.py``, ``conv.py``, ``pooling.py``,
  ``normalization.py``, ``containers.py`` (``ModuleList``, ...), ``losses.py``.
* submodules: ``functional`` (the same math as functions, ``F``), ``init`` (weight
  initialisation), ``utils`` (gradient clipping, parameter vectors).
"""

from . import (
    activations,
    containers,
    conv,
    functional,
    init,
    layers,
    losses,
    normalization,
    pooling,
    utils,
)
from .activations import *  # noqa: F403
from .containers import *  # noqa: F403
from .conv import *  # noqa: F403
from .layers import *  # noqa: F403
from .losses import *  # noqa: F403
from .module import Module, Parameter
from .normalization import *  # noqa: F403
from .pooling import *  # noqa: F403

__all__ = ["functional", "init", "utils", "Module", "Parameter"]
for _family in (layers, activations, conv, pooling, normalization, containers, losses):
    __all__ += _family.__all__
