"""How a tensor prints: PyTorch's layout, so a script's printed output reads the same.

One formatter per tensor, chosen from its nonzero finite values (as PyTorch's): whole numbers
print as ``1.``; values spanning more than 1000x, above 1e8 or below 1e-4 in scientific
notation; others with ``precision`` (4) decimals. Every entry is right-aligned to the widest
of those values (inf and NaN may stick out), rows wrap at ``linewidth`` (80), and tensors of
more than ``threshold`` (1000) elements show ``edgeitems`` (3) at each end with ``...``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["PrintOptions", "format_tensor", "get_printoptions", "set_printoptions"]


@dataclass
class PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None  # None: chosen from the values


_OPTIONS = PrintOptions()
_PROFILES = {"default": PrintOptions(), "short": PrintOptions(precision=2, edgeitems=2),
             "full": PrintOptions(threshold=math.inf)}


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """``torch.set_printoptions``: digits, summarization threshold, edge items, line width,
    a profile (``'default'``, ``'short'``, ``'full'``) and forced scientific notation."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PROFILES)}, "
                             f"got {profile!r}")
        base = _PROFILES[profile]
        for name in ("precision", "threshold", "edgeitems", "linewidth"):
            setattr(_OPTIONS, name, getattr(base, name))
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(_OPTIONS, name, value)
    _OPTIONS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    return dict(vars(_OPTIONS))


class _Formatter:
    """Formats one element; ``width`` is the common width of the tensor's entries."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        precision = _OPTIONS.precision
        if not self.floating:
            self.width = max([len(self._plain(v)) for v in values.ravel()], default=1)
            return
        shown = values[np.isfinite(values) & (values != 0)].astype(np.float64)
        if shown.size:
            big, small = float(np.abs(shown).max()), float(np.abs(shown).min())
            self.int_mode = bool(np.all(shown == np.ceil(shown)))
            self.sci_mode = big / small > 1000.0 or big > 1.0e8 or (
                not self.int_mode and small < 1.0e-4)
            if self.sci_mode:
                texts = [f"{v:.{precision}e}" for v in shown]
            elif self.int_mode:
                texts = [f"{v:.0f}." for v in shown]
            else:
                texts = [f"{v:.{precision}f}" for v in shown]
            self.width = max(len(t) for t in texts)
        if _OPTIONS.sci_mode is not None:
            self.sci_mode = _OPTIONS.sci_mode

    @staticmethod
    def _plain(value: Any) -> str:
        return str(bool(value)) if isinstance(value, (bool, np.bool_)) else str(value)

    def __call__(self, value: Any) -> str:
        if not self.floating:
            text = self._plain(value)
        elif self.sci_mode:
            text = f"{float(value):{self.width}.{_OPTIONS.precision}e}"
        elif self.int_mode:
            text = f"{float(value):.0f}" + ("" if not math.isfinite(value) else ".")
        else:
            text = f"{float(value):.{_OPTIONS.precision}f}"
        return " " * (self.width - len(text)) + text


def _summarized(data: np.ndarray, edge: int) -> np.ndarray:
    """The elements a summarized print shows (edge items of each dim), for the formatter."""
    for axis in range(data.ndim):
        if data.shape[axis] > 2 * edge:
            data = np.concatenate([np.take(data, range(edge), axis),
                                   np.take(data, range(data.shape[axis] - edge,
                                                       data.shape[axis]), axis)], axis)
    return data


def _body(data: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    edge = _OPTIONS.edgeitems
    if data.ndim == 1:
        n = data.shape[0]
        if summarize and n > 2 * edge:
            items = [fmt(v) for v in data[:edge]] + [" ..."] + [fmt(v) for v in data[-edge:]]
        else:
            items = [fmt(v) for v in data]
        per_line = max(1, (_OPTIONS.linewidth - indent) // (fmt.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"
    n = data.shape[0]
    if summarize and n > 2 * edge:
        parts = ([_body(data[i], indent + 1, summarize, fmt) for i in range(edge)] + ["..."]
                 + [_body(data[i], indent + 1, summarize, fmt) for i in range(n - edge, n)])
    else:
        parts = [_body(data[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def format_tensor(data: np.ndarray, indent: int) -> str:
    """The values part of ``tensor(...)``: ``indent`` is the column the values start at."""
    if data.size == 0:
        return "[]"
    summarize = data.size > _OPTIONS.threshold
    fmt = _Formatter(_summarized(data, _OPTIONS.edgeitems) if summarize else data)
    if data.ndim == 0:
        return fmt(data.item())
    return _body(data, indent, summarize, fmt)


def with_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """``text`` + ``, dtype=...`` etc. and the closing parenthesis; a suffix that would pass
    ``linewidth`` goes on its own line, as PyTorch's."""
    parts = [text]
    line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line + len(suffix) + 2 > _OPTIONS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line += len(suffix) + 2
    return "".join(parts) + ")"
