"""``tg.accelerator``: PyTorch 2.6+'s device-agnostic check. There is no accelerator here, so
``tg.accelerator.current_accelerator()`` is None and scripts written as
``device = acc if (acc := torch.accelerator.current_accelerator()) else "cpu"`` pick the CPU."""

from __future__ import annotations

from typing import Any

from .device import device, unavailable


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def current_accelerator(check_available: bool = False) -> device | None:
    return None


def current_device_index() -> int:
    raise unavailable("accelerator")


def synchronize(device: Any = None) -> None:
    """A no-op: NumPy has finished every op when it returns."""
