"""Neural-network building blocks, laid out like ``torch.nn``.

* ``Module`` / ``Parameter`` (``module.py``): containers that register parameters and
  submodules by attribute assignment; ``state_dict``, ``train``/``eval``, ``zero_grad``...
* layers (``layers.py``): ``Linear``, ``Sequential``, ``ReLU``, ``LeakyReLU``, ``Sigmoid``,
  ``Tanh``, ``Softmax``, ``LogSoftmax``, ``Dropout``, ``Flatten``, ``Identity``.
* losses (``losses.py``): ``CrossEntropyLoss``, ``NLLLoss``, ``MSELoss``, ``L1Loss``,
  ``BCELoss``, ``BCEWithLogitsLoss``.
* submodules: ``functional`` (the same math as functions, ``F``), ``init`` (weight
  initialisation), ``utils`` (gradient clipping, parameter vectors).
"""

from . import functional, init, utils
from .layers import (
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import Module, Parameter

__all__ = [
    "functional", "init", "utils",
    "Module", "Parameter",
    "Linear", "Sequential", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "Dropout", "Flatten", "Identity",
    "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss",
]
