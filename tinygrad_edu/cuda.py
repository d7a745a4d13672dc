"""``tg.cuda``: the answers a CUDA check gets on a machine without a GPU, so the usual
``device = "cuda" if tg.cuda.is_available() else "cpu"`` picks the CPU. Seeding calls are no-ops
(there is no CUDA generator to seed; ``tg.manual_seed`` seeds what tinygrad_edu draws from)."""

from __future__ import annotations

from typing import Any

from .device import unavailable


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed: int) -> None:
    """A no-op, as ``torch.cuda.manual_seed`` without CUDA."""


def manual_seed_all(seed: int) -> None:
    """A no-op, as ``torch.cuda.manual_seed_all`` without CUDA."""


def synchronize(device: Any = None) -> None:
    """A no-op: NumPy has finished every op when it returns."""


def empty_cache() -> None:
    """A no-op: there is no CUDA memory to release."""


def current_device() -> int:
    raise unavailable("cuda")


def get_device_name(device: Any = None) -> str:
    raise unavailable("cuda")
