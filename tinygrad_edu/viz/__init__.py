"""Pictures for teaching: the computation graph autograd recorded (``graph``, needs Graphviz's
``dot`` only to render), an interactive page stepping through a recorded backward pass
(``explore``, after ``with watch(): ...``; needs nothing) and training curves / decision
boundaries / image grids (``plots``, needs matplotlib: ``pip install tinygrad_edu[plot]``)."""

from ..autograd import watch
from .explore import NotRecordedError, explore
from .graph import (
    GraphTooLargeError,
    GraphvizNotFoundError,
    draw_graph,
    render,
    to_dot,
)
from .plots import (
    grid_xy,
    image_grid,
    load_history,
    plot_decision_boundary,
    plot_grid_contour,
    plot_history,
    plot_sweep,
)

__all__ = [
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "NotRecordedError",
    "draw_graph",
    "explore",
    "grid_xy",
    "image_grid",
    "load_history",
    "plot_decision_boundary",
    "plot_grid_contour",
    "plot_history",
    "plot_sweep",
    "render",
    "to_dot",
    "watch",
]
