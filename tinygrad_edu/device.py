"""``tg.device``: PyTorch's device objects, for the boilerplate scripts carry.

tinygrad_edu computes on the CPU with NumPy, so ``'cpu'`` is the only device that works.
``tg.device('cuda')`` can still be *made* (as in PyTorch, where making one never touches the
GPU: ``device = tg.device("cuda" if tg.cuda.is_available() else "cpu")`` is common), but putting
anything on it raises ``check_device``'s one-line error. An unknown type (``'gpu'``) is refused
when the device is made, as PyTorch does.
"""

from __future__ import annotations

from typing import Any

# PyTorch's device types (torch.device's error message lists them); only 'cpu' computes here
DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                "privateuseone")


class device:  # noqa: N801 (PyTorch's name)
    """``device('cpu')``, ``device('cpu', 0)``, ``device('cpu:0')``: a device type and an optional
    index, compared, hashed and printed as ``torch.device`` (``device('cpu') == device('cpu:0')``
    is False, and a device never equals a string: compare ``.type``)."""

    __slots__ = ("_type", "_index")
    _type: str
    _index: int | None

    def __init__(self, type: Any, index: int | None = None) -> None:
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): an index cannot be given with a device object")
            self._type, self._index = type._type, type._index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            raise RuntimeError("device(): a bare index means an accelerator device; "
                               "tinygrad_edu has none (use 'cpu')")
        if not isinstance(type, str):
            raise TypeError(f"device() expected a string like 'cpu' or a device, got "
                            f"{type.__class__.__name__}")
        name, sep, number = type.partition(":")
        if name not in DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start "
                               f"of device string: {type}")
        if sep:
            if index is not None:
                raise RuntimeError(f"device(): type (string) {type!r} must not include an index "
                                   f"because index was passed explicitly: {index}")
            if not number.isdigit():
                raise RuntimeError(f"Invalid device string: {type!r}")
            index = int(number)
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)
                                  or index < 0):
            raise RuntimeError(f"Device index must not be negative (and must be an int), got "
                               f"{index!r}")
        self._type, self._index = name, index

    @property
    def type(self) -> str:
        return self._type

    @property
    def index(self) -> int | None:
        return self._index

    def __str__(self) -> str:
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __repr__(self) -> str:
        if self._index is None:
            return f"device(type={self._type!r})"
        return f"device(type={self._type!r}, index={self._index})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, device):
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self) -> int:
        return hash((self._type, self._index))

    def __reduce__(self) -> tuple[Any, ...]:
        return (device, (self._type, self._index))

    # ``with tg.device('cpu'):`` is PyTorch's way of setting the default device for factories;
    # the CPU is the only one here, so entering it changes nothing
    def __enter__(self) -> device:
        check_device(self)
        return self

    def __exit__(self, *exc: object) -> None:
        return None


CPU = device("cpu")  # what every tensor's ``.device`` is


def unavailable(name: object) -> RuntimeError:
    """The one error for a device that is not the CPU: ``'cuda'``, ``'mps'``, ``'cuda:1'``..."""
    return RuntimeError(f"tinygrad_edu computes on the CPU with NumPy: device {str(name)!r} "
                        f"is not available")


def check_device(dev: Any) -> None:
    """Accept ``None``, ``'cpu'``, ``'cpu:<n>'`` and CPU ``device`` objects (PyTorch treats every
    CPU index as the one CPU); raise ``unavailable`` for any other device (an int too: PyTorch
    reads it as an accelerator index). Fast for the usual ``None`` and ``'cpu'``."""
    if dev is None or dev is CPU or dev == "cpu":
        return
    if isinstance(dev, int) and not isinstance(dev, bool):
        raise unavailable(f"cuda:{dev}")
    parsed = dev if isinstance(dev, device) else device(dev)
    if parsed._type != "cpu":
        raise unavailable(parsed)
