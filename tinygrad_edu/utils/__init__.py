"""``tinygrad_edu.utils``: PyTorch's ``torch.utils`` places (``data``)."""

from . import data

__all__ = ["data"]
