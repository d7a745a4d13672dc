"""Training pictures: loss/accuracy curves, decision boundaries, image grids, hyperparameter grids
and sweeps -- the plots of the source documents (seeds 002, 003, 004).

matplotlib is optional (``pip install tinygrad_edu[plot]``): it is imported only when a
function here is called, and a missing matplotlib raises an ``ImportError`` that says how to
install it. Figures are drawn on matplotlib's Agg canvas directly (``matplotlib.figure.Figure``,
never ``pyplot``), so nothing here changes the global backend or opens a window, and it works
on a machine without a display. Every function writes one image -- the format follows the
path's suffix (``.png``, ``.svg``, ``.pdf``) -- and returns the path written.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "grid_xy",
    "image_grid",
    "load_history",
    "plot_decision_boundary",
    "plot_grid_contour",
    "plot_history",
    "plot_sweep",
]

PathLike = str | os.PathLike[str]
INSTALL_HINT = "pip install 'tinygrad_edu[plot]'  (or: pip install matplotlib)"
X_KEYS = ("epoch", "step", "iteration", "iter")
SKIP_KEYS = ("time", "elapsed", "seconds", "timestamp", "wall_time")


def _figure(width: float, height: float) -> Figure:
    """A new Figure on an Agg canvas (no pyplot, no global state)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        # name="matplotlib": callers (the examples) can tell this from other import errors
        raise ImportError(f"plotting needs matplotlib, which is an optional dependency: "
                          f"{INSTALL_HINT}", name="matplotlib") from e
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: PathLike) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    return out


def _array(x: Any, dtype: Any = np.float64) -> np.ndarray:
    """Tensors, arrays and lists alike -> a NumPy array."""
    return np.asarray(getattr(x, "_data", x), dtype=dtype)


# --------------------------------------------------------------------------- history


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _columns(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[float]]:
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row))
    return {k: [_number(row.get(k, math.nan)) for row in rows] for k in keys}


def load_history(source: Any) -> dict[str, list[float]]:
    """Metric name -> per-epoch values, from any of: ``train.History``, a mapping of lists, an
    object with a ``.history`` mapping (Keras style), a list of per-epoch dicts, or a metrics
    file (``.csv`` with a header row, ``.jsonl`` with one JSON object per line, or ``.json``
    holding either form). Values that are not numbers become NaN; columns with no number at
    all (e.g. a phase name) are dropped."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"plot_history: no metrics file at {path}")
        suffix = path.suffix.lower()
        text = path.read_text(encoding="utf-8")
        if suffix == ".csv":
            columns = _columns(list(csv.DictReader(text.splitlines())))
        elif suffix in (".jsonl", ".ndjson"):
            columns = _columns([json.loads(line) for line in text.splitlines() if line.strip()])
        elif suffix == ".json":
            return load_history(json.loads(text))
        else:
            raise ValueError(f"plot_history: cannot read {path.name}: use a .csv or .jsonl "
                             "metrics file")
    elif isinstance(source, Mapping):
        columns = {str(k): [_number(v) for v in np.ravel(_array(vs, object))]
                   for k, vs in source.items()}
    elif isinstance(getattr(source, "history", None), Mapping):
        return load_history(source.history)
    elif isinstance(getattr(source, "epochs", None), list):  # train.History: per-epoch rows
        return load_history(source.epochs)
    elif isinstance(source, Sequence) and all(isinstance(r, Mapping) for r in source):
        columns = _columns(list(source))
    else:
        raise TypeError(f"plot_history: expected a mapping of metric -> values, a list of "
                        f"per-epoch dicts or a .csv/.jsonl path, got {type(source).__name__}")
    return {k: v for k, v in columns.items() if not all(math.isnan(x) for x in v)}


def _panels(metrics: Mapping[str, list[float]]) -> list[tuple[str, list[str]]]:
    """Group metric names: every loss on one panel, every accuracy on another, the rest alone."""
    losses = [k for k in metrics if "loss" in k.lower()]
    accuracies = [k for k in metrics if "acc" in k.lower() and k not in losses]
    panels = []
    if losses:
        panels.append(("loss", losses))
    if accuracies:
        panels.append(("accuracy", accuracies))
    panels += [(k, [k]) for k in metrics if k not in losses and k not in accuracies]
    return panels


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _constant(values: Sequence[float]) -> bool:
    finite = [v for v in values if math.isfinite(v)]
    return len(set(finite)) == 1 and len(finite) == len(values)


def plot_history(history_or_path: Any, path: PathLike, title: str | None = None) -> Path:
    """Loss and accuracy curves over epochs, one panel each (other metrics get their own).

    ``history_or_path``: anything ``load_history`` reads. An ``epoch`` or ``step`` column, if
    present, is the x axis; otherwise epochs count from 1. A loss spanning more than two decades
    is drawn on a log scale. Every point has a marker while there are few (one epoch is a dot,
    with its value written beside it); a metric that never changed (a constant learning rate)
    gets no panel of its own but a line under the title. The title says how many epochs (or
    steps) the curves cover, after ``title`` if one is given.
    """
    metrics = load_history(history_or_path)
    x_key = next((k for k in X_KEYS if k in metrics), None)
    ys = {k: v for k, v in metrics.items()
          if k != x_key and k.lower() not in SKIP_KEYS}
    if not ys:
        raise ValueError("plot_history: found no metric to plot (expected e.g. 'loss', "
                         f"'accuracy'); columns: {list(metrics)}")
    panels = _panels(ys)
    flat = [(panel, keys) for panel, keys in panels
            if panel not in ("loss", "accuracy") and all(_constant(ys[k]) for k in keys)]
    if len(flat) < len(panels):  # keep at least one panel
        panels = [p for p in panels if p not in flat]
    else:
        flat = []
    fig = _figure(4.6 * len(panels), 3.6)
    from matplotlib.ticker import MaxNLocator  # after _figure: it says how to install

    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    n_points = max(len(v) for v in ys.values())
    for ax, (panel, keys) in zip(axes, panels, strict=True):
        for key in keys:
            y = np.asarray(ys[key], dtype=np.float64)
            x = (np.asarray(metrics[x_key], dtype=np.float64)[: len(y)] if x_key
                 else np.arange(1, len(y) + 1))
            ax.plot(x, y, marker="o" if len(y) <= 30 else None,
                    markersize=6 if len(y) <= 5 else 3, label=key)
            if len(y) == 1 and np.isfinite(y[0]):  # a lone dot: say what it is
                ax.annotate(f"{y[0]:.4g}", (x[0], y[0]), xytext=(7, 0),
                            textcoords="offset points", va="center")
        values = np.concatenate([np.asarray(ys[k], dtype=np.float64) for k in keys])
        finite = values[np.isfinite(values)]
        wide = finite.size and finite.min() > 0 and finite.max() > 100 * finite.min()
        if panel == "loss" and wide:
            ax.set_yscale("log")
        ax.set_xlabel(x_key or "epoch")
        # at most 5 whole-number ticks: step counts like 20000 would run into each other
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        xs = np.unique(np.asarray(metrics[x_key] if x_key else [1.0], dtype=np.float64))
        single = n_points == 1 or xs.size == 1
        if single:  # one x: a whole-number axis around it, the dots off the frame
            ax.set_xlim(xs[0] - 1, xs[0] + 1)
            ax.set_xticks([xs[0]])
            ax.margins(y=0.2)
        ax.set_ylabel(panel)
        ax.set_title(panel)
        ax.grid(True, alpha=0.3)
        if len(keys) > 1:  # one x: the left half is empty, the values are on the right
            ax.legend(loc="center left" if single else "best")
    span = _count(n_points, "step" if x_key in ("step", "iteration", "iter") else "epoch")
    heading = f"{title} ({span})" if title else span
    if flat:
        heading += "\n" + ", ".join(f"{k} {ys[k][0]:.4g}" + (" (constant)" if n_points > 1 else "")
                                    for _, keys in flat for k in keys)
    fig.suptitle(heading)
    return _save(fig, path)


# --------------------------------------------------------------------------- decision boundary


def plot_decision_boundary(predict_fn: Callable[[np.ndarray], Any], X: Any, y: Any,
                           path: PathLike, resolution: int = 200, margin: float = 0.5,
                           threshold: float | None = None, title: str | None = None) -> Path:
    """Regions a 2-D classifier assigns to each class, with the data points on top (seed 002).

    ``predict_fn(points)`` gets a float32 array (M, 2) of grid points and returns, as an array
    or tensor, one score per point -- a probability of class 1 (thresholded at 0.5) or a logit
    (at 0) -- or class scores (M, C) (the argmax wins). It runs under ``no_grad()``; for a model
    write ``lambda P: model(tg.Tensor(P))``. ``X``: (N, 2) points; ``y``: their labels.
    """
    from ..autograd import no_grad

    points = _array(X)
    labels = _array(y, None).reshape(-1)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have shape (N, 2), got {points.shape}")
    if labels.shape[0] != points.shape[0]:
        raise ValueError(f"plot_decision_boundary: {points.shape[0]} points but "
                         f"{labels.shape[0]} labels")
    lo, hi = points.min(axis=0) - margin, points.max(axis=0) + margin
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([g0.ravel(), g1.ravel()]).astype(np.float32)
    with no_grad():
        scores = _array(predict_fn(grid))
    fig = _figure(5.2, 4.4)
    ax = fig.subplots()
    if scores.ndim == 2 and scores.shape[1] > 1:  # class scores: colour by the winner
        classes = scores.argmax(axis=1).reshape(g0.shape)
        n = int(max(classes.max(), labels.max())) + 1
        ax.contourf(g0, g1, classes, levels=np.arange(n + 1) - 0.5, cmap="tab10", vmin=0,
                    vmax=9, alpha=0.3)
        sc = ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", vmin=0, vmax=9,
                        edgecolors="black", s=40)
        ax.legend(*sc.legend_elements(), title="class", loc="best")
    else:
        if scores.size != g0.size:
            raise ValueError(f"plot_decision_boundary: predict_fn returned {scores.shape} for "
                             f"{grid.shape[0]} points; expected one score per point or (M, C)")
        z = scores.reshape(g0.shape)
        probability = bool(np.nanmin(z) >= 0 and np.nanmax(z) <= 1)
        cut = threshold if threshold is not None else (0.5 if probability else 0.0)
        levels = np.linspace(0, 1, 11) if probability else 20
        filled = ax.contourf(g0, g1, z, levels=levels, cmap="RdYlGn_r", alpha=0.45)
        if np.nanmin(z) < cut < np.nanmax(z):
            ax.contour(g0, g1, z, levels=[cut], colors="black", linewidths=1.5)
        fig.colorbar(filled, ax=ax, label="P(class 1)" if probability else "score")
        for value, color in ((0, "#2e7d32"), (1, "#c62828")):
            mask = labels == value
            if mask.any():
                ax.scatter(points[mask, 0], points[mask, 1], color=color, edgecolors="black",
                           s=50, label=f"class {value}")
        ax.legend(loc="best")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title or "decision boundary")
    return _save(fig, path)


# --------------------------------------------------------------------------- images


def _batch(images: Any, image_shape: tuple[int, ...] | None) -> np.ndarray:
    a = _array(images)
    if image_shape is not None:
        return a.reshape((-1, *image_shape))
    if a.ndim == 2:  # (n, D) flat images: square ones (784 -> 28 x 28)
        side = math.isqrt(a.shape[1])
        if side * side != a.shape[1]:
            raise ValueError(f"image_grid: flat images of {a.shape[1]} pixels are not square; "
                             "pass image_shape=(H, W)")
        return a.reshape(-1, side, side)
    if a.ndim in (3, 4):
        return a
    raise ValueError(f"image_grid: each row must be images (n, D), (n, H, W) or (n, H, W, 3), "
                     f"got shape {a.shape}")


def image_grid(images_rows: Sequence[Any], path: PathLike,
               titles: Sequence[str] | None = None, image_shape: tuple[int, ...] | None = None,
               cmap: str = "gray") -> Path:
    """Rows of images, e.g. originals over reconstructions (seed 003's autoencoder).

    ``images_rows``: one batch per row, each (n, D) flat (square images), (n, H, W) or
    (n, H, W, 3); ``titles``: one label per row. All grey images share one colour scale, so a
    faint reconstruction looks faint.
    """
    rows = [_batch(r, image_shape) for r in images_rows]
    if not rows or max(len(r) for r in rows) == 0:
        raise ValueError("image_grid: no images given")
    if titles is not None and len(titles) != len(rows):
        raise ValueError(f"image_grid: {len(titles)} titles for {len(rows)} rows")
    ncols = max(len(r) for r in rows)
    finite = [r[np.isfinite(r)] for r in rows if r.size]
    vmin = min(float(f.min()) for f in finite if f.size)
    vmax = max(float(f.max()) for f in finite if f.size)
    fig = _figure(1.0 * ncols + (1.0 if titles else 0.2), 1.1 * len(rows) + 0.2)
    axes = fig.subplots(len(rows), ncols, squeeze=False)
    for i, row in enumerate(rows):
        for j in range(ncols):
            ax = axes[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(row):
                ax.axis("off")
                continue
            ax.imshow(row[j], cmap=cmap, vmin=vmin, vmax=vmax)
            if j == 0 and titles:
                ax.set_ylabel(titles[i], rotation=0, ha="right", va="center")
    return _save(fig, path)


# --------------------------------------------------------------------------- grids and sweeps


def grid_xy(xs: Any, ys: Any, Z: Any, indexing: str = "xy"
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(xs, ys, Z)`` with Z of shape (len(ys), len(xs)) and Z[i, j] at (xs[j], ys[i])
    (matplotlib's layout), from Z in the ``indexing`` layout (see ``plot_grid_contour``)."""
    x, yv, z = _array(xs).ravel(), _array(ys).ravel(), _array(Z)
    if indexing not in ("xy", "ij"):
        raise ValueError(f"indexing must be 'xy' or 'ij', got {indexing!r}")
    want = (len(yv), len(x)) if indexing == "xy" else (len(x), len(yv))
    names = "len(ys), len(xs)" if indexing == "xy" else "len(xs), len(ys)"
    if z.shape != want:
        hint = (" (it looks transposed: pass indexing='ij' or Z.T)" if z.shape == want[::-1]
                else "")
        raise ValueError(f"plot_grid_contour: with indexing={indexing!r} Z must have shape "
                         f"{want} = ({names}), got {z.shape}{hint}")
    return x, yv, (z if indexing == "xy" else z.T)


def plot_grid_contour(xs: Any, ys: Any, Z: Any, path: PathLike, xlabel: str = "x",
                      ylabel: str = "y", zlabel: str = "accuracy", title: str | None = None,
                      indexing: str = "xy", mark: str | None = None) -> Path:
    """A filled contour plot of a 2-D hyperparameter grid (seed 003's L1 x L2 accuracy).

    The convention is NumPy's ``meshgrid`` one, named by ``indexing``:

    * ``"xy"`` (default, matplotlib's): Z has shape (len(ys), len(xs)) and ``Z[i, j]`` is the
      result at ``x = xs[j], y = ys[i]`` -- rows go up the y axis.
    * ``"ij"``: Z has shape (len(xs), len(ys)) and ``Z[i, j]`` is at ``x = xs[i], y = ys[j]``
      -- what a loop ``for i, a in enumerate(xs): for j, b in enumerate(ys): Z[i, j] = ...``
      fills. Seed 003 fills ``zgrid[i][j]`` with L1 = coeffs[i], L2 = coeffs[j] and plots it
      as "xy", which swaps its L1/L2 axis labels; ``indexing="ij"`` draws it the right way.

    The measured grid points are drawn as dots (the colours between them are interpolated);
    ``mark="max"`` or ``"min"`` puts a star on the best point.
    """
    x, yv, z = grid_xy(xs, ys, Z, indexing)
    if len(x) < 2 or len(yv) < 2:
        raise ValueError("plot_grid_contour: need at least 2 values along each axis")
    fig = _figure(5.4, 4.4)
    ax = fig.subplots()
    filled = ax.contourf(x, yv, z, levels=20, cmap="viridis")
    fig.colorbar(filled, ax=ax, label=zlabel)
    gx, gy = np.meshgrid(x, yv)
    ax.scatter(gx.ravel(), gy.ravel(), s=8, color="white", edgecolors="black", linewidths=0.4,
               clip_on=False, zorder=3)
    if mark is not None:
        if mark not in ("max", "min"):
            raise ValueError(f"mark must be 'max', 'min' or None, got {mark!r}")
        i, j = np.unravel_index(np.nanargmax(z) if mark == "max" else np.nanargmin(z), z.shape)
        best = f"{mark} {z[i, j]:.4g} at ({x[j]:.3g}, {yv[i]:.3g})"
        ax.scatter([x[j]], [yv[i]], marker="*", s=220, color="red", edgecolors="black",
                   clip_on=False, zorder=4, label=best)
        ax.legend(loc="best")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return _save(fig, path)


def plot_sweep(xs: Any, ys: Any, path: PathLike, log2: bool = True, xlabel: str = "width",
               ylabel: str = "accuracy", title: str | None = None,
               labels: Sequence[str] | None = None) -> Path:
    """A metric against a swept setting (seed 003's width 2..2048 and depth 1..10 sweeps).

    ``ys``: one series, several (a 2-D array, one row per series, named by ``labels``), or a
    mapping label -> series. ``log2``: a base-2 log x axis with a tick at every x (for widths;
    use ``log2=False`` for depths).
    """
    x = _array(xs).ravel()
    series: list[tuple[str | None, np.ndarray]]
    if isinstance(ys, Mapping):
        series = [(str(k), _array(v).ravel()) for k, v in ys.items()]
    else:
        arr = _array(ys)
        rows = arr[None, :] if arr.ndim == 1 else arr
        names: Sequence[str | None] = labels if labels is not None else [None] * len(rows)
        if len(names) != len(rows):
            raise ValueError(f"plot_sweep: {len(names)} labels for {len(rows)} series")
        series = list(zip(names, rows, strict=True))
    for name, s in series:
        if s.shape != x.shape:
            raise ValueError(f"plot_sweep: series {name or ''} has {s.size} values for "
                             f"{x.size} x values")
    if log2 and (x <= 0).any():
        raise ValueError("plot_sweep: log2=True needs x > 0 (pass log2=False)")
    fig = _figure(5.6, 3.8)
    ax: Axes = fig.subplots()
    for name, s in series:
        ax.plot(x, s, marker="o", label=name)
    if log2:
        ax.set_xscale("log", base=2)
        ax.minorticks_off()
    ax.set_xticks(x, [f"{v:g}" for v in x])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if any(name for name, _ in series):
        ax.legend()
    if title:
        ax.set_title(title)
    return _save(fig, path)
