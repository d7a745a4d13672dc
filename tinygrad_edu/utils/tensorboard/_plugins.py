"""The summaries of TensorBoard's other plugins that PyTorch's ``SummaryWriter`` writes:
precision-recall curves (``add_pr_curve``, ``add_pr_curve_raw``), the custom-scalars layout
(``add_custom_scalars`` and its two shortcuts) and matplotlib figures rendered to images
(``add_figure``). Same fields and plugin data as ``torch.utils.tensorboard.summary``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.pr_curve.plugin_data_pb2 import PrCurvePluginData

from ._convert import TensorBoardInputError, to_numpy

PLOT_HINT = "pip install tinygrad_edu[plot]"
MAX_THRESHOLDS = 127  # PyTorch caps num_thresholds here (more breaks its protobuf, it says)
_MINIMUM_COUNT = 1e-7  # the smallest denominator of precision and recall, as TensorBoard


# --------------------------------------------------------------------------- PR curves


def _pr_summary(tag: str, curve: np.ndarray, num_thresholds: int) -> Summary:
    """The pr_curves plugin's tensor: rows TP, FP, TN, FN, precision, recall (float32), one
    column per threshold."""
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name="pr_curves",
        content=PrCurvePluginData(version=0, num_thresholds=num_thresholds)
        .SerializeToString()))
    shape = TensorShapeProto(dim=[TensorShapeProto.Dim(size=n) for n in curve.shape])
    tensor = TensorProto(dtype="DT_FLOAT", float_val=curve.reshape(-1).tolist(),
                         tensor_shape=shape)
    return Summary(value=[Summary.Value(tag=tag, metadata=meta, tensor=tensor)])


def _thresholds(num_thresholds: Any, what: str) -> int:
    if isinstance(num_thresholds, bool) or int(num_thresholds) != num_thresholds \
            or num_thresholds < 2:
        raise ValueError(f"{what}: num_thresholds must be an integer >= 2, got "
                         f"{num_thresholds!r}")
    return min(int(num_thresholds), MAX_THRESHOLDS)


def pr_curve(tag: str, labels: Any, predictions: Any, num_thresholds: int = 127,
             weights: Any = None) -> Summary:
    """Counts at ``num_thresholds`` evenly spaced thresholds in [0, 1]: a prediction ``p`` is
    positive at threshold ``k / (num_thresholds - 1)`` when ``floor(p * (num_thresholds - 1))
    >= k`` (predictions outside [0, 1] count at no threshold, as in PyTorch). ``labels``: 1
    (or True) for positives; ``weights``: one per example, or a number."""
    what = f"add_pr_curve({tag!r})"
    n = _thresholds(num_thresholds, what)
    truth = to_numpy(labels, f"{what}: labels").astype(np.float64)
    scores = to_numpy(predictions, f"{what}: predictions").astype(np.float64)
    if truth.shape != scores.shape:
        raise ValueError(f"{what}: labels and predictions need the same shape, got "
                         f"{tuple(truth.shape)} and {tuple(scores.shape)}")
    weight = 1.0 if weights is None else to_numpy(weights, f"{what}: weights").astype(
        np.float64)
    if np.ndim(weight) and np.shape(weight) != truth.shape:
        raise ValueError(f"{what}: weights need the labels' shape {tuple(truth.shape)}, got "
                         f"{tuple(np.shape(weight))}")
    bucket = np.floor(scores * (n - 1)).astype(np.int32)  # the highest threshold it passes
    per_bucket = {}
    for name, w in (("tp", truth * weight), ("fp", (1.0 - truth) * weight)):
        per_bucket[name] = np.histogram(bucket, bins=n, range=(0, n - 1),
                                        weights=np.broadcast_to(w, bucket.shape))[0]
    tp = np.cumsum(per_bucket["tp"][::-1])[::-1]  # positives at or above each threshold
    fp = np.cumsum(per_bucket["fp"][::-1])[::-1]
    tn, fn = fp[0] - fp, tp[0] - tp
    precision = tp / np.maximum(_MINIMUM_COUNT, tp + fp)
    recall = tp / np.maximum(_MINIMUM_COUNT, tp + fn)
    return _pr_summary(tag, np.stack([tp, fp, tn, fn, precision, recall]), n)


def pr_curve_raw(tag: str, true_positive_counts: Any, false_positive_counts: Any,
                 true_negative_counts: Any, false_negative_counts: Any, precision: Any,
                 recall: Any, num_thresholds: int = 127) -> Summary:
    """A PR curve from counts computed elsewhere: six arrays of one length, one entry per
    threshold (``num_thresholds`` is written as given, capped at 127, as in PyTorch)."""
    what = f"add_pr_curve_raw({tag!r})"
    n = _thresholds(num_thresholds, what)
    rows = [to_numpy(a, f"{what}: {name}").astype(np.float64).reshape(-1) for name, a in (
        ("true_positive_counts", true_positive_counts),
        ("false_positive_counts", false_positive_counts),
        ("true_negative_counts", true_negative_counts),
        ("false_negative_counts", false_negative_counts),
        ("precision", precision), ("recall", recall))]
    if len({len(r) for r in rows}) != 1:
        raise ValueError(f"{what}: the six arrays need one length, got "
                         f"{[len(r) for r in rows]}")
    return _pr_summary(tag, np.stack(rows), n)


# --------------------------------------------------------------------------- custom scalars


def _chart(category: str, title: str, spec: Any) -> layout_pb2.Chart:
    if not isinstance(spec, (list, tuple)) or len(spec) != 2:
        raise TensorBoardInputError(
            f"add_custom_scalars: layout[{category!r}][{title!r}] must be [kind, tags] with "
            f"kind 'Multiline' or 'Margin', got {spec!r}")
    kind, tags = spec
    if isinstance(tags, str):
        tags = [tags]
    if kind == "Margin":
        if len(tags) != 3:
            raise TensorBoardInputError(f"Expected 3 tags, got {len(tags)}.")
        series = layout_pb2.MarginChartContent.Series(value=tags[0], lower=tags[1],
                                                      upper=tags[2])
        return layout_pb2.Chart(title=title,
                                margin=layout_pb2.MarginChartContent(series=[series]))
    if kind != "Multiline":
        raise TensorBoardInputError(
            f"add_custom_scalars: layout[{category!r}][{title!r}]: the chart kind must be "
            f"'Multiline' or 'Margin', got {kind!r}")
    return layout_pb2.Chart(title=title,
                            multiline=layout_pb2.MultilineChartContent(tag=list(tags)))


def custom_scalars(layout: Mapping[str, Mapping[str, Sequence[Any]]]) -> Summary:
    """The custom-scalars plugin's layout: ``{category: {chart title: ['Multiline', [tags]]
    or ['Margin', [value, lower, upper]]}}``; tags may be regular expressions."""
    if not isinstance(layout, Mapping) or not all(isinstance(v, Mapping)
                                                  for v in layout.values()):
        raise TypeError("add_custom_scalars: layout must be a dict of categories, each a dict "
                        "{chart title: [kind, tags]}")
    categories = [layout_pb2.Category(title=category, chart=[
        _chart(category, title, spec) for title, spec in charts.items()])
        for category, charts in layout.items()]
    tensor = TensorProto(dtype="DT_STRING", tensor_shape=TensorShapeProto(), string_val=[
        layout_pb2.Layout(category=categories).SerializeToString()])
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="custom_scalars"))
    return Summary(value=[Summary.Value(tag="custom_scalars__config__", tensor=tensor,
                                        metadata=meta)])


# --------------------------------------------------------------------------- figures


def figure_to_image(figures: Any, close: bool = True) -> np.ndarray:
    """A matplotlib figure drawn by the Agg renderer as a uint8 RGB image (CHW), or a list
    of figures as a batch (NCHW); ``close`` closes each figure afterwards."""
    try:
        import matplotlib.pyplot as plt
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError(f"add_figure needs matplotlib to draw the figure: {PLOT_HINT}") from e

    def render(figure: Any) -> np.ndarray:
        if not isinstance(figure, Figure):
            raise TypeError(f"add_figure: expected a matplotlib Figure (or a list of them), "
                            f"got {type(figure).__name__}")
        canvas = FigureCanvasAgg(figure)  # draws off screen, whatever the backend
        canvas.draw()
        width, height = figure.canvas.get_width_height()
        rgba = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8).reshape(height, width, 4)
        if close:
            plt.close(figure)
        return np.ascontiguousarray(rgba[:, :, :3].transpose(2, 0, 1))

    if isinstance(figures, list):
        if not figures:
            raise ValueError("add_figure: the list of figures is empty")
        return np.stack([render(f) for f in figures])
    return render(figures)


# --------------------------------------------------------------------------- raw tensors

# NumPy dtype -> (TensorProto dtype, its value field), as PyTorch's ``tensor_proto``
_TENSOR_FIELDS = {
    "float16": ("DT_HALF", "half_val"), "float32": ("DT_FLOAT", "float_val"),
    "float64": ("DT_DOUBLE", "double_val"), "int8": ("DT_INT8", "int_val"),
    "int16": ("DT_INT16", "int_val"), "int32": ("DT_INT32", "int_val"),
    "int64": ("DT_INT64", "int64_val"), "uint8": ("DT_UINT8", "uint32_val"),
    "bool": ("DT_BOOL", "bool_val"), "complex64": ("DT_COMPLEX64", "scomplex_val"),
    "complex128": ("DT_COMPLEX128", "dcomplex_val"),
}
_PROTO_LIMIT = 1 << 31


def tensor_summary(tag: str, tensor: Any) -> Summary:
    """The whole tensor in a ``TensorProto`` for the tensor plugin (``add_tensor``)."""
    if isinstance(tensor, np.ndarray):
        array = tensor
    elif hasattr(tensor, "detach") and hasattr(tensor, "numpy"):
        array = np.asarray(tensor.detach().numpy())
    else:
        raise TypeError(f"add_tensor({tag!r}): expected a tensor or NumPy array, got "
                        f"{type(tensor).__name__}")
    if array.nbytes >= _PROTO_LIMIT:
        raise ValueError("tensor is bigger than protocol buffer's hard limit of 2GB in size")
    if array.dtype.name not in _TENSOR_FIELDS:
        raise ValueError(f"{tag} has unsupported tensor dtype {array.dtype}")
    dtype, field = _TENSOR_FIELDS[array.dtype.name]
    flat = array.reshape(-1)
    if array.dtype == np.float16:  # PyTorch stores each value's float32 bit pattern
        values = flat.astype(np.float32).view(np.int32).tolist()
    elif array.dtype.kind == "c":
        values = flat.view(flat.real.dtype).tolist()  # re, im, re, im, ...
    else:
        values = flat.tolist()
    proto = TensorProto(dtype=dtype, tensor_shape=TensorShapeProto(
        dim=[TensorShapeProto.Dim(size=n) for n in array.shape]), **{field: values})
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="tensor"))
    return Summary(value=[Summary.Value(tag=tag, metadata=meta, tensor=proto)])
