"""Text for the graph pictures: DOT quoting, HTML-like labels, colours, and how a tensor's
values are written (every value of a small tensor, a summary of a large one)."""

from __future__ import annotations

import functools
import html
import textwrap
from collections.abc import Mapping
from typing import Any

import numpy as np

# Colours: fill, border. Blue = learned, yellow = computation, green = result, grey = data,
# red = where a NaN/inf appeared.
STYLE: dict[str, dict[str, str]] = {
    "param": {"shape": "box", "style": "rounded,filled", "fillcolor": "#cfe2ff",
              "color": "#2f5ea8", "penwidth": "1.4"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#fff4c2", "color": "#b8962e",
           "margin": "0.04,0.02"},
    "output": {"shape": "box", "style": "rounded,filled", "fillcolor": "#c8f0c8",
               "color": "#2e7d32", "penwidth": "2"},
    "data": {"shape": "box", "style": "filled", "fillcolor": "#eeeeee", "color": "#8a8a8a"},
    "anomaly": {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffcdd2",
                "color": "#c62828", "penwidth": "2.5"},
}
# An op with more to say than its name and shape is a rounded box (an ellipse that tall is
# very wide); same colours.
STYLE["op_box"] = {**STYLE["op"], "shape": "box", "style": "rounded,filled", "margin": "0.1,0.05"}
CLUSTER_FILLS = ("#f6f8fb", "#eef2f8", "#e6ecf5", "#dee6f2")
GRAD_COLOR = "#b3261e"
VALUE_COLOR = "#1b5e20"
DIM_COLOR = "#555555"
SAVED_COLOR = "#8a4b00"
ATTR_COLOR = "#4a3b8f"
FORMULA_COLOR = "#222222"
ANOMALY_COLOR = "#c62828"

TINY = 16  # tensors with at most this many elements show every value, larger ones a summary
ROW = 6  # values per line of a longer vector
WRAP = 46  # label lines longer than this are wrapped (formulas, messages)

STYLE_ATTRS = {kind: " ".join(f'{k}="{v}"' for k, v in attrs.items())
               for kind, attrs in STYLE.items()}

Line = tuple[str, str]  # (text, colour)


def quote(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, newlines as ``\\n``."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return f'"{text}"'


def attrs(values: Mapping[str, str]) -> str:
    """``[key=value ...]``: values starting with ``<`` are HTML-like labels, the rest quoted."""
    parts = []
    for key, value in values.items():
        is_html = value.startswith("<") and value.endswith(">")
        parts.append(f"{key}={value if is_html else quote(value)}")
    return "[" + " ".join(parts) + "]"


h = functools.partial(html.escape, quote=True)  # text in an HTML-like label: & < > quotes


@functools.lru_cache(maxsize=1024)
def shape_text(shape: tuple[int, ...]) -> str:
    return "scalar" if shape == () else str(shape)


def number(value: Any) -> str:
    """Four significant digits: ``0.1235``, ``2.5``, ``-1e-05``, ``nan``."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{float(value):.4g}"


def _bad_counts(a: np.ndarray) -> str:
    n_nan, n_inf = int(np.isnan(a).sum()), int(np.isinf(a).sum())
    return ", ".join(f"{n} {w}" for n, w in ((n_nan, "NaN"), (n_inf, "inf")) if n)


def summary_numbers(array: np.ndarray) -> dict[str, float]:
    """What a large tensor's summary shows: the 2-norm, the mean and the largest absolute
    value, of its finite elements (float64)."""
    a = np.asarray(array)
    a = a.astype(np.float64) if a.dtype.kind in "biuf" else np.abs(a).astype(np.float64)
    a = a[np.isfinite(a)]
    if a.size == 0:
        return {}
    return {"norm": float(np.sqrt(np.sum(a * a))), "mean": float(a.mean()),
            "max |x|": float(np.abs(a).max())}


def value_lines(array: np.ndarray) -> list[str]:
    """A tensor's values as label lines: every value of a tiny one (a matrix row by row),
    else ``norm ..., mean ..., max |x| ...`` (NaN and inf counted, not hidden)."""
    a = np.asarray(array)
    if a.size == 0:
        return ["empty"]
    if a.dtype.kind == "b":
        a = a.astype(np.int64)
    if a.size <= TINY:
        if a.ndim == 0:
            return [number(a)]
        if a.ndim == 2 and a.shape[0] > 1 and a.shape[1] > 1:
            rows = ["[" + ", ".join(number(v) for v in row) + "]" for row in a]
            return ["[" + rows[0] + ","] + [" " + r + "," for r in rows[1:-1]] + \
                [" " + rows[-1] + "]"]
        flat = [number(v) for v in a.ravel()]
        rows = [", ".join(flat[i:i + ROW]) for i in range(0, len(flat), ROW)]
        return ["[" + ",\n ".join(rows) + "]"][0].split("\n")
    found = summary_numbers(a)
    bad = _bad_counts(a) if a.dtype.kind in "fc" else ""
    if not found:
        return [bad or "empty"]
    text = ", ".join(f"{k} {number(v)}" for k, v in found.items())
    return [text + (f"  ({bad})" if bad else "")]


def summarize(array: np.ndarray) -> str:
    """``value_lines`` as one line (rows joined)."""
    return " ".join(value_lines(array))


def tensor_lines(value: np.ndarray | None, grad: np.ndarray | None) -> list[Line]:
    """``data ...`` and ``grad ...`` lines (either may be missing)."""
    lines: list[Line] = []
    for prefix, array, color in (("data", value, VALUE_COLOR), ("grad", grad, GRAD_COLOR)):
        if array is None:
            continue
        pad = " " * (len(prefix) + 1)
        for i, text in enumerate(value_lines(array)):
            lines.append(((prefix + " " if i == 0 else pad) + text, color))
    return lines


def wrapped(text: str, color: str, width: int = WRAP, max_lines: int | None = None
            ) -> list[Line]:
    """Long text as label lines of at most ``width`` characters (its own lines kept)."""
    out: list[str] = []
    for line in text.splitlines():
        out += textwrap.wrap(line, width, subsequent_indent="  ") or [""]
    if max_lines is not None and len(out) > max_lines:
        out = out[:max_lines - 1] + [out[max_lines - 1].rstrip() + " ..."]
    return [(line, color) for line in out]


def label(lines: list[Line]) -> str:
    """An HTML-like label: the first line bold, then smaller lines in their colours (left
    aligned when there are several, so columns of numbers line up)."""
    (title, _), *rest = lines
    parts = [f"<B>{h(title)}</B>"]
    parts += [f'<FONT POINT-SIZE="9" COLOR="{color}">{h(text)}</FONT>' for text, color in rest]
    # values, formulas and settings read better left aligned; name and shape alone centred
    sep = '<BR ALIGN="LEFT"/>' if len(rest) > 1 else "<BR/>"
    return "<" + sep.join(parts) + (sep if len(rest) > 1 else "") + ">"


def node_attrs(lines: list[Line], tooltip: str, kind: str) -> str:
    return f"label={label(lines)} tooltip={quote(tooltip)} {STYLE_ATTRS[kind]}"
