"""Neural-network building blocks; for now the functional forms (``nn.functional``)."""

from . import functional

__all__ = ["functional"]
